#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"

/* Writes text to a fresh temporary quire.conf; returns its path. */
static char *write_conf(const char *text)
{
	/* mkstemps wants six 'X' before the ".conf" suffix. */
	struct buf tmpl = BUF_INIT;
	buf_append_str(&tmpl, "/tmp/quire-test-");
	for (int i = 0; i < 6; i++)
		buf_append_char(&tmpl, 'X');
	buf_append_str(&tmpl, ".conf");
	char *path = buf_steal(&tmpl);
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Loads text as a file; returns the error (caller frees) or NULL. The
 * temporary path in the message is replaced by "quire.conf". */
static char *load_text(struct config *cfg, const char *text)
{
	char *path = write_conf(text);
	char *error = NULL;
	int ret = config_load_file(cfg, path, &error);
	size_t plen = strlen(path);
	unlink(path);
	if (ret == 0) {
		assert_null(error);
		free(path);
		return NULL;
	}
	assert_non_null(error);
	assert_memory_equal(error, path, plen);
	struct buf b = BUF_INIT;
	buf_printf(&b, "quire.conf%s", error + plen);
	free(error);
	free(path);
	return buf_steal(&b);
}

static void expect_load_error(const char *text, const char *expect)
{
	struct config cfg;
	config_init(&cfg);
	char *error = load_text(&cfg, text);
	if (error == NULL)
		fail_msg("accepted: %s", text);
	assert_string_equal(error, expect);
	free(error);
	config_free(&cfg);
}

static void test_defaults(void **state)
{
	(void)state;
	struct config cfg;
	config_init(&cfg);
	assert_string_equal(cfg.data_dir, "./quire-data");
	assert_string_equal(cfg.imap_listen, "127.0.0.1:1143");
	assert_string_equal(cfg.imaps_listen, "127.0.0.1:1993");
	assert_string_equal(cfg.tls_cert, "");
	assert_string_equal(cfg.tls_key, "");
	assert_string_equal(cfg.user, "");
	assert_string_equal(cfg.log_level, "info");
	assert_int_equal(cfg.workers, 0);
	assert_int_equal(cfg.plaintext_auth, PLAINTEXT_AUTH_LOOPBACK);
	assert_int_equal(cfg.max_line_length, 65536);
	assert_true(cfg.max_literal_size == 67108864);
	assert_int_equal(cfg.output_buffer_max, 4194304);
	assert_int_equal(cfg.max_bad_commands, 10);
	assert_int_equal(cfg.auth_timeout, 60);
	assert_int_equal(cfg.idle_timeout, 1800);
	assert_int_equal(cfg.max_connections, 20000);
	assert_int_equal(cfg.max_connections_per_ip, 256);
	assert_int_equal(cfg.auth_max_failures, 3);
	assert_int_equal(cfg.auth_fail_delay_ms, 500);
	assert_int_equal(cfg.auth_fail_delay_max_ms, 15000);
	assert_int_equal(cfg.auth_lockout_failures, 20);
	assert_int_equal(cfg.auth_lockout_seconds, 300);
	assert_false(cfg.loopback_is_insecure);
	config_free(&cfg);
	assert_null(cfg.data_dir);
	config_free(&cfg); /* twice is harmless */
}

static void test_set_every_type(void **state)
{
	(void)state;
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	/* string */
	assert_int_equal(config_set(&cfg, "data_dir", "/var/lib/quire", &error), 0);
	assert_string_equal(cfg.data_dir, "/var/lib/quire");
	assert_int_equal(config_set(&cfg, "imap_listen", "", &error), 0);
	assert_string_equal(cfg.imap_listen, "");
	assert_int_equal(config_set(&cfg, "imaps_listen", "[::1]:993", &error), 0);
	assert_int_equal(config_set(&cfg, "imaps_listen", "*:993", &error), 0);
	/* unsigned */
	assert_int_equal(config_set(&cfg, "workers", "8", &error), 0);
	assert_int_equal(cfg.workers, 8);
	/* size with suffixes */
	assert_int_equal(config_set(&cfg, "max_line_length", "1M", &error), 0);
	assert_int_equal(cfg.max_line_length, 1048576);
	assert_int_equal(config_set(&cfg, "max_line_length", "8k", &error), 0);
	assert_int_equal(cfg.max_line_length, 8192);
	assert_int_equal(config_set(&cfg, "max_line_length", "2000", &error), 0);
	assert_int_equal(cfg.max_line_length, 2000);
	assert_int_equal(config_set(&cfg, "output_buffer_max", "1G", &error), 0);
	assert_int_equal(cfg.output_buffer_max, 1073741824);
	/* u64 */
	assert_int_equal(config_set(&cfg, "max_literal_size", "8G", &error), 0);
	assert_true(cfg.max_literal_size == 8589934592ULL);
	/* bool */
	assert_int_equal(config_set(&cfg, "loopback_is_insecure", "yes", &error), 0);
	assert_true(cfg.loopback_is_insecure);
	assert_int_equal(config_set(&cfg, "loopback_is_insecure", "off", &error), 0);
	assert_false(cfg.loopback_is_insecure);
	assert_int_equal(config_set(&cfg, "loopback_is_insecure", "TRUE", &error), 0);
	assert_true(cfg.loopback_is_insecure);
	/* enum */
	assert_int_equal(config_set(&cfg, "plaintext_auth", "never", &error), 0);
	assert_int_equal(cfg.plaintext_auth, PLAINTEXT_AUTH_NEVER);
	assert_int_equal(config_set(&cfg, "plaintext_auth", "always", &error), 0);
	assert_int_equal(cfg.plaintext_auth, PLAINTEXT_AUTH_ALWAYS);
	/* log level */
	assert_int_equal(config_set(&cfg, "log_level", "debug", &error), 0);
	assert_string_equal(cfg.log_level, "debug");
	assert_null(error);
	config_free(&cfg);
}

static void expect_set_error(const char *key, const char *value,
			     const char *expect)
{
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	if (config_set(&cfg, key, value, &error) != -1)
		fail_msg("accepted %s=%s", key, value);
	assert_non_null(error);
	assert_string_equal(error, expect);
	free(error);
	config_free(&cfg);
}

static void test_set_errors(void **state)
{
	(void)state;
	expect_set_error("wokers", "4", "unknown key 'wokers'");
	expect_set_error("store", "mysql", "bad value 'mysql' for 'store': "
			 "expected sqlite or postgresql");
	expect_set_error("workers", "x",
			 "bad value 'x' for 'workers': expected a number");
	expect_set_error("workers", "-1",
			 "bad value '-1' for 'workers': expected a number");
	expect_set_error("workers", "4K",
			 "bad value '4K' for 'workers': expected a number");
	expect_set_error("workers", "",
			 "bad value '' for 'workers': expected a number");
	expect_set_error("workers", "2000",
			 "bad value '2000' for 'workers': out of range (0..1024)");
	expect_set_error("workers", "99999999999999999999999",
			 "bad value '99999999999999999999999' for 'workers': "
			 "number too large");
	expect_set_error("max_literal_size", "17179869184G",
			 "bad value '17179869184G' for 'max_literal_size': "
			 "number too large");
	expect_set_error("max_line_length", "10",
			 "bad value '10' for 'max_line_length': "
			 "out of range (1024..1073741824)");
	expect_set_error("max_line_length", "1T",
			 "bad value '1T' for 'max_line_length': expected a "
			 "number (with optional K, M or G suffix)");
	expect_set_error("max_line_length", "K",
			 "bad value 'K' for 'max_line_length': expected a "
			 "number (with optional K, M or G suffix)");
	expect_set_error("loopback_is_insecure", "maybe",
			 "bad value 'maybe' for 'loopback_is_insecure': "
			 "expected yes or no");
	expect_set_error("plaintext_auth", "sometimes",
			 "bad value 'sometimes' for 'plaintext_auth': "
			 "expected loopback, always or never");
	expect_set_error("log_level", "verbose",
			 "bad value 'verbose' for 'log_level': "
			 "expected debug, info, warn or error");
	expect_set_error("data_dir", "",
			 "bad value '' for 'data_dir': must not be empty");
	static const char *const bad_listen[] = {
		"localhost", "127.0.0.1:", "127.0.0.1:65536",
		"::1:143", "[::1]", ":143", "127.0.0.1:x",
	};
	for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++) {
		struct config cfg;
		char *error = NULL;
		config_init(&cfg);
		if (config_set(&cfg, "imap_listen", bad_listen[i], &error) != -1)
			fail_msg("accepted listen '%s'", bad_listen[i]);
		assert_non_null(strstr(error, "expected HOST:PORT"));
		/* A failed set leaves the old value. */
		assert_string_equal(cfg.imap_listen, "127.0.0.1:1143");
		free(error);
		config_free(&cfg);
	}
}

static void test_set_option(void **state)
{
	(void)state;
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	assert_int_equal(config_set_option(&cfg, "workers=3", &error), 0);
	assert_int_equal(cfg.workers, 3);
	assert_int_equal(config_set_option(&cfg, " workers = 5 ", &error), 0);
	assert_int_equal(cfg.workers, 5);
	assert_int_equal(config_set_option(&cfg, "user=", &error), 0);
	assert_string_equal(cfg.user, "");
	assert_int_equal(config_set_option(&cfg, "data_dir=/a=b", &error), 0);
	assert_string_equal(cfg.data_dir, "/a=b");
	assert_null(error);
	assert_int_equal(config_set_option(&cfg, "workers", &error), -1);
	assert_string_equal(error, "expected key=value, got 'workers'");
	free(error);
	assert_int_equal(config_set_option(&cfg, "nope=1", &error), -1);
	assert_string_equal(error, "unknown key 'nope'");
	free(error);
	assert_int_equal(config_set_option(&cfg, "workers=many", &error), -1);
	assert_string_equal(error,
			    "bad value 'many' for 'workers': expected a number");
	free(error);
	config_free(&cfg);
}

static void test_load_file(void **state)
{
	(void)state;
	struct config cfg;
	config_init(&cfg);
	char *error = load_text(&cfg,
		"# Quire test configuration\n"
		"\n"
		"   \t\n"
		"data_dir = /srv/mail   # trailing comment\n"
		"  workers=4\n"
		"imap_listen = \"\"\n"
		"user = \"mail user\"  # quoted keeps the space\n"
		"tls_cert = \"/etc/ssl/a#b.pem\"\n"
		"tls_key = \"  padded  \"\n"
		"max_literal_size = 128M\r\n"
		"loopback_is_insecure = yes\n"
		"plaintext_auth = \"never\"\n"
		"log_level = warn#no space before the comment\n"
		"workers = 6\n"
		"max_line_length = 2K"); /* no final newline */
	assert_null(error);
	assert_string_equal(cfg.data_dir, "/srv/mail");
	assert_int_equal(cfg.workers, 6); /* last one wins */
	assert_string_equal(cfg.imap_listen, "");
	assert_string_equal(cfg.user, "mail user");
	assert_string_equal(cfg.tls_cert, "/etc/ssl/a#b.pem");
	assert_string_equal(cfg.tls_key, "  padded  ");
	assert_true(cfg.max_literal_size == 128 * 1048576ULL);
	assert_true(cfg.loopback_is_insecure);
	assert_int_equal(cfg.plaintext_auth, PLAINTEXT_AUTH_NEVER);
	assert_string_equal(cfg.log_level, "warn");
	assert_int_equal(cfg.max_line_length, 2048);
	/* Untouched keys keep their defaults. */
	assert_int_equal(cfg.idle_timeout, 1800);
	config_free(&cfg);

	/* An empty file is a valid configuration. */
	config_init(&cfg);
	assert_null(load_text(&cfg, ""));
	assert_string_equal(cfg.data_dir, "./quire-data");
	config_free(&cfg);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("# c\n\nworkers = x\n",
			  "quire.conf:3: key 'workers': bad value 'x': "
			  "expected a number");
	expect_load_error("workers = 1\nfoo = bar\n",
			  "quire.conf:2: key 'foo': unknown key");
	expect_load_error("auth_timeout = 0\n",
			  "quire.conf:1: key 'auth_timeout': bad value '0': "
			  "out of range (1..3600)");
	expect_load_error("plaintext_auth = tls\n",
			  "quire.conf:1: key 'plaintext_auth': bad value 'tls': "
			  "expected loopback, always or never");
	expect_load_error("loopback_is_insecure = 2\n",
			  "quire.conf:1: key 'loopback_is_insecure': bad value "
			  "'2': expected yes or no");
	expect_load_error("max_literal_size = 12Q\n",
			  "quire.conf:1: key 'max_literal_size': bad value "
			  "'12Q': expected a number (with optional K, M or G "
			  "suffix)");
	expect_load_error("\n\n\n\nworkers\n",
			  "quire.conf:5: expected 'key = value'");
	expect_load_error("= 4\n", "quire.conf:1: missing key before '='");
	expect_load_error("user = \"abc\n",
			  "quire.conf:1: key 'user': unterminated quoted value");
	expect_load_error("user = \"abc\" def\n",
			  "quire.conf:1: key 'user': text after the closing "
			  "quote");
	/* A '#' inside quotes is not a comment, so the quote is open. */
	expect_load_error("user = \"a # b\n",
			  "quire.conf:1: key 'user': unterminated quoted value");
	/* Quoted numbers are still checked. */
	expect_load_error("workers = \"4 \"\n",
			  "quire.conf:1: key 'workers': bad value '4 ': "
			  "expected a number");
	/* Stops at the first error: the later bad line is not reported. */
	expect_load_error("workers = 4\nworkers = y\nworkers = z\n",
			  "quire.conf:2: key 'workers': bad value 'y': "
			  "expected a number");

	/* Open errors name the file. */
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, "/nonexistent/quire.conf",
					  &error), -1);
	assert_string_equal(error, "/nonexistent/quire.conf: No such file or "
				   "directory");
	free(error);
	config_free(&cfg);
}

static void test_nul_byte(void **state)
{
	(void)state;
	char *path = write_conf("workers = 4\n");
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fwrite("user = a\0b\n", 1, 11, f);
	fclose(f);
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, path, &error), -1);
	assert_non_null(strstr(error, ":2: NUL byte in line"));
	free(error);
	config_free(&cfg);
	unlink(path);
	free(path);
}

/* The sample loads as is, and with every setting uncommented it still
 * yields exactly the defaults: help output and defaults cannot drift. */
static void test_sample(void **state)
{
	(void)state;
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	assert_non_null(mem);
	config_write_sample(mem);
	fclose(mem);
	assert_non_null(strstr(text, "#max_literal_size = 64M\n"));
	assert_non_null(strstr(text, "#tls_cert = \"\"\n"));
	assert_non_null(strstr(text, "## Limits"));

	struct config cfg;
	config_init(&cfg);
	assert_null(load_text(&cfg, text));
	config_free(&cfg);

	struct buf active = BUF_INIT;
	size_t keys = 0;
	for (const char *line = text; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line + 1) : strlen(line);
		if (len > 1 && line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
			buf_append(&active, line + 1, len - 1);
			keys++;
		} else {
			buf_append(&active, line, len);
		}
		line += len;
	}
	assert_int_equal(keys, 38); /* 23 + lmtp_* (4) + metrics_listen + admin_user, quota_* (2), literal_minus, proxy_* (2), store, pg_conninfo, blob_dir, notify_max_pending */

	struct config defaults, loaded;
	config_init(&defaults);
	config_init(&loaded);
	/* Start from other values so the file must really set them. */
	char *error = NULL;
	assert_int_equal(config_set(&loaded, "workers", "9", &error), 0);
	assert_int_equal(config_set(&loaded, "user", "x", &error), 0);
	assert_int_equal(config_set(&loaded, "max_line_length", "9K", &error), 0);
	assert_null(load_text(&loaded, buf_cstr(&active)));
	assert_int_equal(loaded.workers, defaults.workers);
	assert_string_equal(loaded.user, defaults.user);
	assert_int_equal(loaded.max_line_length, defaults.max_line_length);
	assert_true(loaded.max_literal_size == defaults.max_literal_size);
	assert_string_equal(loaded.imap_listen, defaults.imap_listen);
	config_free(&defaults);
	config_free(&loaded);
	buf_free(&active);
	free(text);
}

static void test_help(void **state)
{
	(void)state;
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	assert_non_null(mem);
	config_write_help(mem);
	fclose(mem);
	assert_non_null(strstr(text, "  workers "));
	assert_non_null(strstr(text, "[0]\n"));
	assert_non_null(strstr(text, "  auth_lockout_seconds "));
	/* One line per key plus the heading. */
	size_t lines = 0;
	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 39);
	free(text);
}

static void test_worker_count(void **state)
{
	(void)state;
	struct config cfg;
	config_init(&cfg);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(config_worker_count(&cfg),
			 cores > 0 ? (unsigned)cores * 4 : 4);
	cfg.workers = 7;
	assert_int_equal(config_worker_count(&cfg), 7);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_every_type),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_set_option),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_worker_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
