#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/password.h"
#include "auth/sasl.h"
#include "auth/scram.h"
#include "core/buf.h"
#include "test-auth-scram-client.h"

/* An in-memory account table standing in for the store. */
struct fake_db {
	char *alice_hash;                 /* yescrypt of "secret" */
	struct scram_credentials alice_scram;
	int hash_lookups;
	int scram_lookups;
};

/* crypt(3) SHA-512 of "pw": carol is an imported account without SCRAM */
static const char carol_hash[] =
	"$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
	"PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/";

static int db_get_password_hash(void *ctx, const char *user, char **hash_r)
{
	struct fake_db *db = ctx;
	db->hash_lookups++;
	if (strcmp(user, "alice") == 0) {
		*hash_r = xstrdup(db->alice_hash);
		return 0;
	}
	if (strcmp(user, "carol") == 0) {
		*hash_r = xstrdup(carol_hash);
		return 0;
	}
	return -1;
}

static int db_get_scram(void *ctx, const char *user, struct scram_credentials *r)
{
	struct fake_db *db = ctx;
	db->scram_lookups++;
	if (strcmp(user, "alice") != 0)
		return -1;
	*r = db->alice_scram;
	return 0;
}

static const struct sasl_credentials_ops db_ops = {
	.get_password_hash = db_get_password_hash,
	.get_scram = db_get_scram,
};

static struct fake_db db;

static int group_setup(void **state)
{
	(void)state;
	if (password_hash("secret", &db.alice_hash) < 0)
		return -1;
	return scram_credentials_derive("secret", 4096, &db.alice_scram);
}

static int group_teardown(void **state)
{
	(void)state;
	free(db.alice_hash);
	return 0;
}

struct exchange {
	struct sasl_server *s;
	struct buf out;
	const char *error;
};

static void begin(struct exchange *x, const char *mech)
{
	x->s = sasl_server_new(mech, &db_ops, &db);
	assert_non_null(x->s);
	buf_init(&x->out);
	x->error = NULL;
	db.hash_lookups = 0;
	db.scram_lookups = 0;
}

static enum sasl_status step(struct exchange *x, const void *in, size_t len)
{
	return sasl_server_step(x->s, in, len, true, &x->out, &x->error);
}

static void end(struct exchange *x)
{
	sasl_server_free(&x->s);
	assert_null(x->s);
	buf_free(&x->out);
}

/* Runs a one-shot exchange with initial response in[0..len). */
static enum sasl_status one_shot(const char *mech, const void *in, size_t len,
				 const char **error_r)
{
	struct exchange x;
	begin(&x, mech);
	enum sasl_status st = step(&x, in, len);
	*error_r = x.error;
	if (st == SASL_OK)
		assert_non_null(sasl_server_user(x.s));
	else
		assert_null(sasl_server_user(x.s));
	end(&x);
	return st;
}

#define PLAIN(lit, st, reason) do { \
	const char *err_ = NULL; \
	assert_int_equal(one_shot("PLAIN", lit, sizeof(lit) - 1, &err_), st); \
	if ((reason) != NULL) \
		assert_string_equal(err_, reason); \
} while (0)

static void test_mechanisms(void **state)
{
	(void)state;
	assert_string_equal(sasl_mechanisms_list(), "PLAIN LOGIN SCRAM-SHA-256");
	const char *ok[] = { "PLAIN", "plain", "Login", "scram-sha-256" };
	const char *canon[] = { "PLAIN", "PLAIN", "LOGIN", "SCRAM-SHA-256" };
	for (size_t i = 0; i < 4; i++) {
		struct sasl_server *s = sasl_server_new(ok[i], &db_ops, &db);
		assert_non_null(s);
		assert_string_equal(sasl_server_mech_name(s), canon[i]);
		sasl_server_free(&s);
	}
	assert_null(sasl_server_new("CRAM-MD5", &db_ops, &db));
	assert_null(sasl_server_new("SCRAM-SHA-256-PLUS", &db_ops, &db));
	assert_null(sasl_server_new("", &db_ops, &db));
	assert_null(sasl_server_new("PLAINX", &db_ops, &db));
	sasl_server_free(NULL);
}

static void test_plain_success(void **state)
{
	(void)state;
	struct exchange x;

	begin(&x, "PLAIN");
	assert_int_equal(step(&x, "\0alice\0secret", 13), SASL_OK);
	assert_string_equal(sasl_server_user(x.s), "alice");
	assert_int_equal(x.out.len, 0);
	/* finished: further input is refused */
	assert_int_equal(step(&x, "\0alice\0secret", 13), SASL_FAIL);
	assert_string_equal(x.error, "exchange already finished");
	end(&x);

	PLAIN("alice\0alice\0secret", SASL_OK, NULL);
	PLAIN("\0carol\0pw", SASL_OK, NULL);       /* SHA-512-crypt account */

	/* no initial response: empty challenge, then the message */
	begin(&x, "PLAIN");
	assert_int_equal(sasl_server_step(x.s, NULL, 0, false, &x.out, &x.error),
			 SASL_CONTINUE);
	assert_int_equal(x.out.len, 0);
	assert_null(sasl_server_user(x.s));
	assert_int_equal(step(&x, "\0alice\0secret", 13), SASL_OK);
	assert_string_equal(sasl_server_user(x.s), "alice");
	end(&x);
}

static void test_plain_edge_cases(void **state)
{
	(void)state;
	PLAIN("alicesecret", SASL_FAIL, "malformed PLAIN message");
	PLAIN("\0alicesecret", SASL_FAIL, "malformed PLAIN message");
	PLAIN("", SASL_FAIL, "malformed PLAIN message");
	PLAIN("bob\0alice\0secret", SASL_FAIL, "proxy authorization not supported");
	PLAIN("alic\0alice\0secret", SASL_FAIL, "proxy authorization not supported");
	PLAIN("\0alice\0", SASL_FAIL, "empty password");
	PLAIN("\0alice\0sec\0ret", SASL_FAIL, "NUL in password");
	PLAIN("\0alice\0secret\0", SASL_FAIL, "NUL in password");
	PLAIN("\0\0secret", SASL_FAIL, "empty user name");
	PLAIN("\0al\nice\0secret", SASL_FAIL, "invalid user name");
	PLAIN("\0alice\0Secret", SASL_FAIL, "wrong password");
	PLAIN("\0carol\0secret", SASL_FAIL, "wrong password");

	/* unknown user: looked up, then fails like a wrong password */
	PLAIN("\0mallory\0secret", SASL_FAIL, "unknown user");
	assert_int_equal(db.hash_lookups, 1);

	/* a second step without input is a protocol error */
	struct exchange x;
	begin(&x, "PLAIN");
	assert_int_equal(sasl_server_step(x.s, NULL, 0, false, &x.out, &x.error),
			 SASL_CONTINUE);
	assert_int_equal(sasl_server_step(x.s, NULL, 0, false, &x.out, &x.error),
			 SASL_FAIL);
	assert_string_equal(x.error, "missing client response");
	end(&x);

	/* oversized input */
	char *big = xcalloc(1, SASL_MAX_INPUT + 1);
	const char *err = NULL;
	assert_int_equal(one_shot("PLAIN", big, SASL_MAX_INPUT + 1, &err), SASL_FAIL);
	assert_string_equal(err, "client response too long");
	free(big);
}

static void test_login(void **state)
{
	(void)state;
	struct exchange x;

	/* without initial response */
	begin(&x, "LOGIN");
	assert_int_equal(sasl_server_step(x.s, NULL, 0, false, &x.out, &x.error),
			 SASL_CONTINUE);
	assert_string_equal(buf_cstr(&x.out), "Username:");
	assert_int_equal(step(&x, "alice", 5), SASL_CONTINUE);
	assert_string_equal(buf_cstr(&x.out), "Password:");
	assert_null(sasl_server_user(x.s));
	assert_int_equal(step(&x, "secret", 6), SASL_OK);
	assert_int_equal(x.out.len, 0);
	assert_string_equal(sasl_server_user(x.s), "alice");
	end(&x);

	/* initial response is the user name */
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "alice", 5), SASL_CONTINUE);
	assert_string_equal(buf_cstr(&x.out), "Password:");
	assert_int_equal(step(&x, "secret", 6), SASL_OK);
	assert_string_equal(sasl_server_user(x.s), "alice");
	end(&x);

	/* wrong password */
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "alice", 5), SASL_CONTINUE);
	assert_int_equal(step(&x, "secreT", 6), SASL_FAIL);
	assert_string_equal(x.error, "wrong password");
	assert_int_equal(x.out.len, 0);
	assert_null(sasl_server_user(x.s));
	end(&x);

	/* unknown user: still asked for a password, then fails */
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "mallory", 7), SASL_CONTINUE);
	assert_string_equal(buf_cstr(&x.out), "Password:");
	assert_int_equal(step(&x, "secret", 6), SASL_FAIL);
	assert_string_equal(x.error, "unknown user");
	assert_int_equal(db.hash_lookups, 1);
	end(&x);

	/* empty password, empty user name, NULs */
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "alice", 5), SASL_CONTINUE);
	assert_int_equal(step(&x, "", 0), SASL_FAIL);
	assert_string_equal(x.error, "empty password");
	end(&x);
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "", 0), SASL_FAIL);
	assert_string_equal(x.error, "empty user name");
	end(&x);
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "al\0ice", 6), SASL_FAIL);
	end(&x);
	begin(&x, "LOGIN");
	assert_int_equal(step(&x, "alice", 5), SASL_CONTINUE);
	assert_int_equal(step(&x, "sec\0ret", 7), SASL_FAIL);
	assert_string_equal(x.error, "NUL in password");
	end(&x);
}

/* Runs SCRAM as user with password; returns the final status. */
static enum sasl_status scram_run(const char *user, const char *password,
				  bool initial_response, struct exchange *x)
{
	struct buf first = BUF_INIT, bare = BUF_INIT, final = BUF_INIT;
	enum sasl_status st;

	begin(x, "SCRAM-SHA-256");
	buf_printf(&bare, "n=%s,r=fyko+d2lbbFgONRv9qkxdawL", user);
	buf_printf(&first, "n,,%s", buf_cstr(&bare));
	if (!initial_response) {
		assert_int_equal(sasl_server_step(x->s, NULL, 0, false, &x->out,
						  &x->error), SASL_CONTINUE);
		assert_int_equal(x->out.len, 0);
	}
	st = step(x, first.data, first.len);
	if (st == SASL_CONTINUE) {
		assert_memory_equal(x->out.data, "r=fyko+d2lbbFgONRv9qkxdawL", 26);
		scram_test_client_final(password, "biws", buf_cstr(&bare),
					buf_cstr(&x->out), &final);
		st = step(x, final.data, final.len);
	}
	buf_free(&first);
	buf_free(&bare);
	buf_free(&final);
	return st;
}

static void test_scram(void **state)
{
	(void)state;
	struct exchange x;

	assert_int_equal(scram_run("alice", "secret", true, &x), SASL_OK);
	assert_string_equal(sasl_server_user(x.s), "alice");
	/* additional data with success: the server signature */
	assert_int_equal(x.out.len, 2 + 44);
	assert_memory_equal(x.out.data, "v=", 2);
	end(&x);

	assert_int_equal(scram_run("alice", "secret", false, &x), SASL_OK);
	assert_string_equal(sasl_server_user(x.s), "alice");
	end(&x);

	assert_int_equal(scram_run("alice", "wrong", true, &x), SASL_FAIL);
	assert_string_equal(x.error, "invalid proof");
	assert_int_equal(x.out.len, 0);
	assert_null(sasl_server_user(x.s));
	end(&x);

	/* refused at once: channel binding requested */
	begin(&x, "SCRAM-SHA-256");
	assert_int_equal(step(&x, "p=tls-unique,,n=alice,r=abc", 27), SASL_FAIL);
	assert_string_equal(x.error, "channel binding not supported");
	assert_int_equal(db.scram_lookups, 0);
	end(&x);
}

static void test_scram_unknown_user(void **state)
{
	(void)state;
	struct exchange x;

	/* The unknown user gets a normal-looking server-first message and
	   fails only after sending a proof. */
	assert_int_equal(scram_run("ghost", "secret", true, &x), SASL_FAIL);
	assert_string_equal(x.error, "unknown user");
	assert_int_equal(db.scram_lookups, 1);
	end(&x);

	/* an account without SCRAM credentials behaves the same */
	assert_int_equal(scram_run("carol", "pw", true, &x), SASL_FAIL);
	assert_string_equal(x.error, "unknown user");
	end(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_plain_success),
		cmocka_unit_test(test_plain_edge_cases),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_scram),
		cmocka_unit_test(test_scram_unknown_user),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
