/*
 * Settings: the table below is the single source of every key, its type,
 * default, check and help text; parsing, --help and the sample quire.conf
 * are all driven from it (see config.h).
 */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/strutil.h"

enum setting_type {
	SETTING_STRING,
	SETTING_UNSIGNED,       /* unsigned */
	SETTING_SIZE,           /* size_t, K/M/G suffixes */
	SETTING_U64,            /* uint64_t, K/M/G suffixes */
	SETTING_BOOL,
	SETTING_PLAINTEXT_AUTH, /* enum plaintext_auth */
	SETTING_LOG_LEVEL,      /* char *, one of log.h's level names */
};

/* Extra validation of a string value; returns NULL or the reason. */
typedef const char *string_check_fn(const char *value);

struct setting {
	const char *section; /* set on the first setting of a sample section */
	const char *name;
	enum setting_type type;
	size_t offset;       /* into struct config */
	const char *def;     /* default, in file syntax */
	uint64_t min, max;   /* numeric types: accepted range */
	string_check_fn *check;
	const char *help;
};

static const char *check_not_empty(const char *value)
{
	return value[0] == '\0' ? "must not be empty" : NULL;
}

static const char *check_store_kind(const char *value)
{
	if (strcmp(value, "sqlite") == 0 || strcmp(value, "postgresql") == 0)
		return NULL;
	return "expected sqlite or postgresql";
}

/* "" (disabled), HOST:PORT or [IPV6]:PORT with port 0..65535 (0 binds an
 * ephemeral port, which the server logs: the protocol tests use it). Names
 * are resolved by the listener; this only catches the typos worth catching
 * before binding. */
static const char *check_listen(const char *value)
{
	static const char reason[] =
		"expected HOST:PORT, [IPV6]:PORT or \"\" to disable";
	size_t len = strlen(value);
	if (len == 0)
		return NULL;
	const char *colon = strrchr(value, ':');
	if (colon == NULL || colon == value)
		return reason;
	if (value[0] == '[' && colon[-1] != ']')
		return reason;
	if (value[0] != '[' && memchr(value, ':', (size_t)(colon - value)))
		return reason; /* bare IPv6 address: port is ambiguous */
	uint32_t port;
	const char *p = colon + 1;
	if (str_to_u32(p, strlen(p), &port) < 0 || port > 65535)
		return reason;
	return NULL;
}

/* As check_listen, or an absolute path for a Unix socket (the form
 * Postfix's lmtp:unix:/path uses). */
static const char *check_listen_or_path(const char *value)
{
	if (value[0] == '/')
		return NULL;
	const char *why = check_listen(value);
	return why == NULL ? NULL :
		"expected HOST:PORT, [IPV6]:PORT, /path/to/socket or \"\" "
		"to disable";
}

static int parse_bool(const char *value, bool *r);

/* Names of the listeners a PROXY header may be required on. */
static const char *const proxy_listener_names[] = { "imap", "imaps", "lmtp" };

/* Calls fn for each item of a list separated by commas and/or spaces;
 * stops at the first item for which it returns false. Returns false then. */
static bool each_item(const char *list, bool (*fn)(const char *item,
						    size_t len, void *arg),
		      void *arg)
{
	const char *p = list;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len > 0 && !fn(p, len, arg))
			return false;
		p += len;
	}
	return true;
}

static bool is_proxy_listener(const char *item, size_t len, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < 3; i++) {
		if (strlen(proxy_listener_names[i]) == len &&
		    memcmp(item, proxy_listener_names[i], len) == 0)
			return true;
	}
	return false;
}

static const char *check_proxy_protocol(const char *value)
{
	bool on;
	if (parse_bool(value, &on) == 0 ||
	    (value[0] != '\0' && each_item(value, is_proxy_listener, NULL)))
		return NULL;
	return "expected yes, no, or a list of imap, imaps, lmtp";
}

static bool not_this_name(const char *item, size_t len, void *arg)
{
	const char *name = arg;
	return !(strlen(name) == len && memcmp(item, name, len) == 0);
}

bool config_proxy_protocol_on(const char *value, const char *name)
{
	bool on;
	if (parse_bool(value, &on) == 0)
		return on && is_proxy_listener(name, strlen(name), NULL);
	return !each_item(value, not_this_name, (void *)name);
}

/* An IPv4 or IPv6 address with an optional /prefix. The network layer
 * parses the list again into its matcher (net/proxy-protocol.h); this is
 * here so a typo is reported with the file and line. */
static bool is_network(const char *item, size_t len, void *arg)
{
	char tmp[INET6_ADDRSTRLEN + 4];
	uint8_t addr[16];
	(void)arg;
	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, item, len);
	tmp[len] = '\0';
	char *slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash = '\0';
	uint32_t max = inet_pton(AF_INET, tmp, addr) == 1 ? 32 :
		inet_pton(AF_INET6, tmp, addr) == 1 ? 128 : 0;
	uint32_t bits;
	if (max == 0)
		return false;
	return slash == NULL || (str_to_u32(slash + 1, strlen(slash + 1),
					    &bits) == 0 && bits <= max);
}

static const char *check_networks(const char *value)
{
	return each_item(value, is_network, NULL) ? NULL :
		"expected addresses or networks such as 127.0.0.0/8, ::1";
}

#define OFF(field) offsetof(struct config, field)
#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define GIB (1024ULL * 1024 * 1024)

static const struct setting settings[] = {
	{ "Server", "data_dir", SETTING_STRING, OFF(data_dir), "./quire-data",
	  0, 0, check_not_empty,
	  "directory for the database, message files and generated TLS keys" },
	{ NULL, "imap_listen", SETTING_STRING, OFF(imap_listen),
	  "127.0.0.1:1143", 0, 0, check_listen,
	  "address for IMAP with STARTTLS (\"\" disables)" },
	{ NULL, "imaps_listen", SETTING_STRING, OFF(imaps_listen),
	  "127.0.0.1:1993", 0, 0, check_listen,
	  "address for IMAP over implicit TLS (\"\" disables)" },
	{ NULL, "tls_cert", SETTING_STRING, OFF(tls_cert), "", 0, 0, NULL,
	  "TLS certificate chain, PEM (\"\" = data_dir/tls-cert.pem, "
	  "self-signed, generated)" },
	{ NULL, "tls_key", SETTING_STRING, OFF(tls_key), "", 0, 0, NULL,
	  "TLS private key, PEM (\"\" = data_dir/tls-key.pem, generated)" },
	{ NULL, "user", SETTING_STRING, OFF(user), "", 0, 0, NULL,
	  "user to switch to after binding when started as root "
	  "(\"\" = do not switch)" },
	{ NULL, "log_level", SETTING_LOG_LEVEL, OFF(log_level), "info", 0, 0,
	  NULL, "least severe level logged" },
	{ NULL, "workers", SETTING_UNSIGNED, OFF(workers), "0", 0, 1024, NULL,
	  "worker threads (0 = four per CPU core)" },
	{ NULL, "plaintext_auth", SETTING_PLAINTEXT_AUTH, OFF(plaintext_auth),
	  "loopback", 0, 0, NULL,
	  "where LOGIN and plaintext SASL are allowed without TLS" },
	{ NULL, "loopback_is_insecure", SETTING_BOOL, OFF(loopback_is_insecure),
	  "no", 0, 0, NULL,
	  "treat loopback peers as remote for plaintext_auth (for tests)" },

	{ "Limits", "max_line_length", SETTING_SIZE, OFF(max_line_length),
	  "64K", KIB, GIB, NULL,
	  "longest command line, literals excluded" },
	{ NULL, "max_literal_size", SETTING_U64, OFF(max_literal_size), "64M",
	  1, 1024 * GIB, NULL,
	  "largest literal, so largest APPEND (announced as APPENDLIMIT)" },
	{ NULL, "literal_minus", SETTING_BOOL, OFF(literal_minus), "no", 0, 0,
	  NULL, "announce LITERAL- instead of LITERAL+ (RFC 7888 5): "
	  "non-synchronizing literals of at most 4096 bytes" },
	{ NULL, "output_buffer_max", SETTING_SIZE, OFF(output_buffer_max),
	  "4M", 64 * KIB, GIB, NULL,
	  "unsent output per connection before a non-reading client is dropped" },
	{ NULL, "notify_max_pending", SETTING_UNSIGNED, OFF(notify_max_pending),
	  "1000", 1, 1000000, NULL,
	  "NOTIFY changes held for a client whose output is backed up before "
	  "it gets NOTIFICATIONOVERFLOW (RFC 5465 5.8)" },
	{ NULL, "max_bad_commands", SETTING_UNSIGNED, OFF(max_bad_commands),
	  "10", 1, 1000, NULL,
	  "consecutive BAD replies before the connection is closed with BYE" },
	{ NULL, "auth_timeout", SETTING_UNSIGNED, OFF(auth_timeout), "60", 1,
	  3600, NULL, "seconds a connection may stay unauthenticated" },
	{ NULL, "idle_timeout", SETTING_UNSIGNED, OFF(idle_timeout), "1800", 1,
	  7 * 86400, NULL,
	  "seconds of inactivity after login before logout "
	  "(RFC 3501 5.4 asks for at least 1800)" },
	{ NULL, "max_connections", SETTING_UNSIGNED, OFF(max_connections),
	  "20000", 1, 10000000, NULL, "connections for the whole server" },
	{ NULL, "max_connections_per_ip", SETTING_UNSIGNED,
	  OFF(max_connections_per_ip), "256", 1, 10000000, NULL,
	  "connections from one source address" },

	{ "Delivery (LMTP, RFC 2033)", "lmtp_listen", SETTING_STRING,
	  OFF(lmtp_listen), "", 0, 0, check_listen_or_path,
	  "address or Unix socket path for LMTP from the MTA "
	  "(\"\" disables)" },
	{ NULL, "lmtp_max_message_size", SETTING_U64,
	  OFF(lmtp_max_message_size), "64M", 1024, 1024 * GIB, NULL,
	  "largest message accepted over LMTP (announced as SIZE)" },
	{ NULL, "lmtp_detail_delivery", SETTING_BOOL,
	  OFF(lmtp_detail_delivery), "yes", 0, 0, NULL,
	  "deliver user+box@domain to the user's mailbox box when it exists" },
	{ NULL, "lmtp_quota_permanent", SETTING_BOOL,
	  OFF(lmtp_quota_permanent), "no", 0, 0, NULL,
	  "reject over-quota recipients permanently (552) instead of "
	  "temporarily (452)" },

	{ "Observability", "metrics_listen", SETTING_STRING,
	  OFF(metrics_listen), "", 0, 0, check_listen,
	  "address of the HTTP endpoint serving Prometheus metrics at "
	  "/metrics (\"\" disables)" },

	{ "Access control and quota", "admin_user", SETTING_STRING,
	  OFF(admin_user), "", 0, 0, NULL,
	  "account that may set quotas (SETQUOTA) and administers the "
	  "Shared/ mailboxes (\"\" = none)" },
	{ NULL, "quota_storage", SETTING_U64, OFF(quota_storage), "0", 0,
	  UINT64_MAX / 2, NULL,
	  "default storage limit per user, in bytes (K/M/G suffixes; "
	  "0 = unlimited)" },
	{ NULL, "quota_messages", SETTING_U64, OFF(quota_messages), "0", 0,
	  UINT64_MAX / 2, NULL,
	  "default limit on the number of messages per user (0 = unlimited)" },

	{ "Storage backend", "store", SETTING_STRING, OFF(store), "sqlite",
	  0, 0, check_store_kind,
	  "where mail metadata lives: sqlite (data_dir/quire.db) or "
	  "postgresql (pg_conninfo; several front ends may share it)" },
	{ NULL, "pg_conninfo", SETTING_STRING, OFF(pg_conninfo), "", 0, 0,
	  NULL, "libpq connection string for store = postgresql, e.g. "
	  "\"host=db1 dbname=quire user=quire\" (\"\" = libpq defaults)" },
	{ NULL, "blob_dir", SETTING_STRING, OFF(blob_dir), "", 0, 0, NULL,
	  "directory of message files for store = postgresql, shared by "
	  "every front end (\"\" = data_dir/blobs)" },

	{ "Authentication throttling", "auth_max_failures", SETTING_UNSIGNED,
	  OFF(auth_max_failures), "3", 1, 1000, NULL,
	  "failed logins on one connection before it is closed" },
	{ NULL, "auth_fail_delay_ms", SETTING_UNSIGNED, OFF(auth_fail_delay_ms),
	  "500", 0, 60000, NULL,
	  "delay after a failed login, doubled after each further failure" },
	{ NULL, "auth_fail_delay_max_ms", SETTING_UNSIGNED,
	  OFF(auth_fail_delay_max_ms), "15000", 0, 600000, NULL,
	  "upper bound of that delay" },
	{ NULL, "auth_lockout_failures", SETTING_UNSIGNED,
	  OFF(auth_lockout_failures), "20", 0, 1000000, NULL,
	  "failed logins from one address before it is locked out "
	  "(0 = never)" },
	{ NULL, "auth_lockout_seconds", SETTING_UNSIGNED,
	  OFF(auth_lockout_seconds), "300", 1, 86400, NULL,
	  "how long a locked-out address is refused" },

	{ "Load balancers (PROXY protocol)", "proxy_protocol", SETTING_STRING,
	  OFF(proxy_protocol), "no", 0, 0, check_proxy_protocol,
	  "require a PROXY v1/v2 header naming the real client on every "
	  "connection: yes (imap, imaps and lmtp), no, or a list of those "
	  "listeners" },
	{ NULL, "proxy_trusted", SETTING_STRING, OFF(proxy_trusted),
	  "127.0.0.0/8, ::1", 0, 0, check_networks,
	  "addresses or networks (a.b.c.d/n, ipv6/n) of the balancers; "
	  "others are refused on PROXY listeners" },
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static const char *const plaintext_auth_names[] = {
	[PLAINTEXT_AUTH_LOOPBACK] = "loopback",
	[PLAINTEXT_AUTH_ALWAYS] = "always",
	[PLAINTEXT_AUTH_NEVER] = "never",
};

static const struct setting *setting_find(const char *name)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	}
	return NULL;
}

/*
 * Parses digits with an optional K, M or G suffix (binary multiples,
 * case-insensitive). Returns 0, or -1 with the reason in *reason.
 */
static int parse_number(const char *value, bool allow_suffix, uint64_t *r,
			struct buf *reason)
{
	size_t len = strlen(value);
	uint64_t mult = 1;
	if (allow_suffix && len > 0) {
		switch (str_ascii_lower(value[len - 1])) {
		case 'k': mult = KIB; break;
		case 'm': mult = MIB; break;
		case 'g': mult = GIB; break;
		default: break;
		}
		if (mult != 1)
			len--;
	}
	uint64_t v;
	if (str_to_u64(value, len, &v) < 0) {
		bool digits = len > 0 && strspn(value, "0123456789") == len;
		buf_append_str(reason, digits ? "number too large" :
				       allow_suffix ?
				       "expected a number (with optional K, M "
				       "or G suffix)" : "expected a number");
		return -1;
	}
	if (v > UINT64_MAX / mult) {
		buf_append_str(reason, "number too large");
		return -1;
	}
	*r = v * mult;
	return 0;
}

static int parse_bool(const char *value, bool *r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t len = strlen(value);
	for (size_t i = 0; i < 4; i++) {
		if (str_ascii_caseeq_n(value, len, yes[i], strlen(yes[i]))) {
			*r = true;
			return 0;
		}
		if (str_ascii_caseeq_n(value, len, no[i], strlen(no[i]))) {
			*r = false;
			return 0;
		}
	}
	return -1;
}

static int set_number(struct config *cfg, const struct setting *s,
		      const char *value, struct buf *reason)
{
	uint64_t v;
	if (parse_number(value, s->type != SETTING_UNSIGNED, &v, reason) < 0)
		return -1;
	if (v < s->min || v > s->max) {
		buf_printf(reason, "out of range (%llu..%llu)",
			   (unsigned long long)s->min,
			   (unsigned long long)s->max);
		return -1;
	}
	void *field = (char *)cfg + s->offset;
	switch (s->type) {
	case SETTING_UNSIGNED:
		*(unsigned *)field = (unsigned)v;
		break;
	case SETTING_SIZE:
		*(size_t *)field = (size_t)v;
		break;
	default:
		*(uint64_t *)field = v;
		break;
	}
	return 0;
}

static void set_string_field(struct config *cfg, const struct setting *s,
			     const char *value)
{
	char **field = (char **)((char *)cfg + s->offset);
	free(*field);
	*field = xstrdup(value);
}

/* Sets one known key. Returns 0, or -1 with the reason in *reason. */
static int setting_apply(struct config *cfg, const struct setting *s,
			 const char *value, struct buf *reason)
{
	void *field = (char *)cfg + s->offset;
	switch (s->type) {
	case SETTING_STRING: {
		const char *why = s->check != NULL ? s->check(value) : NULL;
		if (why != NULL) {
			buf_append_str(reason, why);
			return -1;
		}
		set_string_field(cfg, s, value);
		return 0;
	}
	case SETTING_UNSIGNED:
	case SETTING_SIZE:
	case SETTING_U64:
		return set_number(cfg, s, value, reason);
	case SETTING_BOOL:
		if (parse_bool(value, (bool *)field) < 0) {
			buf_append_str(reason, "expected yes or no");
			return -1;
		}
		return 0;
	case SETTING_PLAINTEXT_AUTH:
		for (size_t i = 0; i < 3; i++) {
			if (strcmp(value, plaintext_auth_names[i]) == 0) {
				*(enum plaintext_auth *)field =
					(enum plaintext_auth)i;
				return 0;
			}
		}
		buf_append_str(reason, "expected loopback, always or never");
		return -1;
	case SETTING_LOG_LEVEL: {
		enum log_level level;
		if (log_level_parse(value, &level) < 0) {
			buf_append_str(reason,
				       "expected debug, info, warn or error");
			return -1;
		}
		set_string_field(cfg, s, value);
		return 0;
	}
	}
	abort();
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_SETTINGS; i++) {
		struct buf reason = BUF_INIT;
		int ret = setting_apply(cfg, &settings[i], settings[i].def,
					&reason);
		/* A default that fails its own check is a bug in the table. */
		if (ret < 0) {
			fprintf(stderr, "quire: default of '%s': %s\n",
				settings[i].name, buf_cstr(&reason));
			abort();
		}
		buf_free(&reason);
	}
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (s->type == SETTING_STRING || s->type == SETTING_LOG_LEVEL) {
			char **field = (char **)((char *)cfg + s->offset);
			free(*field);
			*field = NULL;
		}
	}
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char **error_r)
{
	const struct setting *s = setting_find(key);
	struct buf err = BUF_INIT;
	if (s == NULL) {
		buf_printf(&err, "unknown key '%s'", key);
		*error_r = buf_steal(&err);
		return -1;
	}
	struct buf reason = BUF_INIT;
	int ret = setting_apply(cfg, s, value, &reason);
	if (ret < 0) {
		buf_printf(&err, "bad value '%s' for '%s': %s", value, key,
			   buf_cstr(&reason));
		*error_r = buf_steal(&err);
	}
	buf_free(&reason);
	return ret;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims surrounding whitespace of [*start, *end). */
static void trim(const char **start, const char **end)
{
	while (*start < *end && is_space(**start))
		(*start)++;
	while (*end > *start && is_space((*end)[-1]))
		(*end)--;
}

int config_set_option(struct config *cfg, const char *key_value,
		      char **error_r)
{
	const char *eq = strchr(key_value, '=');
	if (eq == NULL) {
		struct buf err = BUF_INIT;
		buf_printf(&err, "expected key=value, got '%s'", key_value);
		*error_r = buf_steal(&err);
		return -1;
	}
	const char *ks = key_value, *ke = eq;
	const char *vs = eq + 1, *ve = eq + strlen(eq);
	trim(&ks, &ke);
	trim(&vs, &ve);
	char *key = xstrndup(ks, (size_t)(ke - ks));
	char *value = xstrndup(vs, (size_t)(ve - vs));
	int ret = config_set(cfg, key, value, error_r);
	free(key);
	free(value);
	return ret;
}

/*
 * Splits one line into key and value. Returns 0 with both set (caller
 * frees), 1 for a blank or comment line, or -1 with the reason (which names
 * the key when there is one) in *reason.
 */
static int parse_line(const char *line, size_t len, char **key_r,
		      char **value_r, struct buf *reason)
{
	const char *p = line, *end = line + len;
	trim(&p, &end);
	if (p == end || *p == '#')
		return 1;
	const char *eq = memchr(p, '=', (size_t)(end - p));
	if (eq == NULL) {
		buf_append_str(reason, "expected 'key = value'");
		return -1;
	}
	const char *ks = p, *ke = eq;
	trim(&ks, &ke);
	if (ks == ke) {
		buf_append_str(reason, "missing key before '='");
		return -1;
	}
	char *key = xstrndup(ks, (size_t)(ke - ks));
	const char *vs = eq + 1, *ve;
	while (vs < end && is_space(*vs))
		vs++;
	if (vs < end && *vs == '"') {
		/* A quoted value keeps '#' and surrounding spaces. */
		vs++;
		ve = memchr(vs, '"', (size_t)(end - vs));
		const char *after = ve != NULL ? ve + 1 : end;
		while (after < end && is_space(*after))
			after++;
		if (ve == NULL || (after < end && *after != '#')) {
			buf_printf(reason, "key '%s': %s", key,
				   ve == NULL ? "unterminated quoted value"
					      : "text after the closing quote");
			free(key);
			return -1;
		}
	} else {
		ve = memchr(vs, '#', (size_t)(end - vs));
		if (ve == NULL)
			ve = end;
		while (ve > vs && is_space(ve[-1]))
			ve--;
	}
	*key_r = key;
	*value_r = xstrndup(vs, (size_t)(ve - vs));
	return 0;
}

/* Applies one parsed line; returns 0 or -1 with the reason. */
static int apply_line(struct config *cfg, const char *key, const char *value,
		      struct buf *reason)
{
	const struct setting *s = setting_find(key);
	if (s == NULL) {
		buf_printf(reason, "key '%s': unknown key", key);
		return -1;
	}
	struct buf why = BUF_INIT;
	int ret = setting_apply(cfg, s, value, &why);
	if (ret < 0)
		buf_printf(reason, "key '%s': bad value '%s': %s", key, value,
			   buf_cstr(&why));
	buf_free(&why);
	return ret;
}

int config_load_file(struct config *cfg, const char *path, char **error_r)
{
	struct buf err = BUF_INIT;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		buf_printf(&err, "%s: %s", path, strerror(errno));
		*error_r = buf_steal(&err);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int ret = 0;
	struct buf reason = BUF_INIT;
	while (ret == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		char *key = NULL, *value = NULL;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			buf_append_str(&reason, "NUL byte in line");
			ret = -1;
		} else if ((ret = parse_line(line, (size_t)n, &key, &value,
					     &reason)) == 0) {
			ret = apply_line(cfg, key, value, &reason);
		} else if (ret > 0) {
			ret = 0;
		}
		free(key);
		free(value);
	}
	if (ret == 0 && ferror(f)) {
		buf_printf(&err, "%s: read error: %s", path, strerror(errno));
		ret = -1;
	} else if (ret < 0) {
		buf_printf(&err, "%s:%u: %s", path, lineno, buf_cstr(&reason));
	}
	free(line);
	fclose(f);
	buf_free(&reason);
	if (ret < 0)
		*error_r = buf_steal(&err);
	return ret;
}

/* The form a value takes, for the sample file (nothing for free text). */
static void write_type(FILE *out, const struct setting *s)
{
	switch (s->type) {
	case SETTING_STRING:
		break;
	case SETTING_UNSIGNED:
		fprintf(out, "number %llu..%llu", (unsigned long long)s->min,
			(unsigned long long)s->max);
		break;
	case SETTING_SIZE:
	case SETTING_U64:
		fprintf(out, "size %llu..%llu bytes, K/M/G suffixes allowed",
			(unsigned long long)s->min, (unsigned long long)s->max);
		break;
	case SETTING_BOOL:
		fputs("yes or no", out);
		break;
	case SETTING_PLAINTEXT_AUTH:
		fputs("loopback (TLS or 127.0.0.0/8, ::1), always, or never "
		      "(TLS only)", out);
		break;
	case SETTING_LOG_LEVEL:
		fputs("debug, info, warn or error", out);
		break;
	}
}

/* Defaults that are empty or hold spaces or '#' need quotes to survive
 * the parser. */
static void write_value(FILE *out, const char *value)
{
	if (value[0] == '\0' || strpbrk(value, " \t#") != NULL)
		fprintf(out, "\"%s\"", value);
	else
		fputs(value, out);
}

void config_write_sample(FILE *out)
{
	fputs("# quire.conf: sample configuration written by quire from its\n"
	      "# settings table. Every setting is commented out and shows its\n"
	      "# default; remove the leading '#' to change one.\n"
	      "#\n"
	      "# Syntax: key = value; '#' starts a comment (except inside\n"
	      "# double quotes); values may be wrapped in double quotes.\n",
	      out);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (s->section != NULL)
			fprintf(out, "\n## %s\n", s->section);
		fprintf(out, "\n# %s\n", s->help);
		if (s->type != SETTING_STRING) {
			fputs("# (", out);
			write_type(out, s);
			fputs(")\n", out);
		}
		fprintf(out, "#%s = ", s->name);
		write_value(out, s->def);
		fputc('\n', out);
	}
}

void config_write_help(FILE *out)
{
	fputs("Settings (in quire.conf, or -o key=value):\n", out);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		fprintf(out, "  %-24s %s [", s->name, s->help);
		write_value(out, s->def);
		fputs("]\n", out);
	}
}

unsigned config_worker_count(const struct config *cfg)
{
	if (cfg->workers > 0)
		return cfg->workers;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n * 4 : 4;
}
