#ifndef QUIRE_CORE_CONFIG_H
#define QUIRE_CORE_CONFIG_H
/*
 * Settings: one table (config.c) of name, type, default, check and help
 * text. `quire --help`, `quire serve --help` and the sample quire.conf are
 * generated from it, so they cannot drift. Every setting has a default, so an
 * empty configuration runs.
 *
 * File syntax: `key = value` lines, `#` starts a comment, blank lines ignored,
 * values may be wrapped in double quotes. An unknown key or a bad value is an
 * error naming file, line and key.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum plaintext_auth {
	PLAINTEXT_AUTH_LOOPBACK = 0, /* allowed on TLS or from 127.0.0.0/8, ::1 */
	PLAINTEXT_AUTH_ALWAYS,
	PLAINTEXT_AUTH_NEVER,        /* only over TLS */
};

struct config {
	/* strings are owned by the struct (free with config_free) */
	char *data_dir;            /* ./quire-data */
	char *imap_listen;         /* 127.0.0.1:1143 ("" disables) */
	char *imaps_listen;        /* 127.0.0.1:1993 ("" disables) */
	char *tls_cert;            /* "" = data_dir/tls-cert.pem, generated */
	char *tls_key;             /* "" = data_dir/tls-key.pem, generated */
	char *user;                /* drop root to this user after binding */
	char *log_level;           /* debug|info|warn|error */
	unsigned workers;          /* 0 = number of cores */
	enum plaintext_auth plaintext_auth;

	/* limits */
	size_t max_line_length;    /* 65536 */
	uint64_t max_literal_size; /* 67108864 (also APPENDLIMIT) */
	bool literal_minus;        /* LITERAL- instead of LITERAL+: no */
	size_t output_buffer_max;  /* 4194304: past this a non-reader is dropped */
	unsigned max_bad_commands; /* 10 in a row -> BYE */
	unsigned auth_timeout;     /* seconds before login: 60 */
	unsigned idle_timeout;     /* seconds after login: 1800 */
	unsigned max_connections;  /* whole server: 20000 */
	unsigned max_connections_per_ip; /* 256 */
	unsigned notify_max_pending; /* NOTIFY events held for a backed-up client: 1000 */

	/* authentication throttling */
	unsigned auth_max_failures;      /* per connection, then BYE: 3 */
	unsigned auth_fail_delay_ms;     /* first delay, doubles: 500 */
	unsigned auth_fail_delay_max_ms; /* cap: 15000 */
	unsigned auth_lockout_failures;  /* per source address: 20 */
	unsigned auth_lockout_seconds;   /* 300 */
	/* delivery (LMTP, RFC 2033) */
	char *lmtp_listen;         /* "" (off), HOST:PORT or /path/to/socket */
	uint64_t lmtp_max_message_size; /* 67108864, announced as SIZE */
	bool lmtp_detail_delivery; /* user+box@ delivers to box if it exists */
	bool lmtp_quota_permanent; /* over quota: 552 5.2.2, else 452 4.2.2 */

	/* observability */
	char *metrics_listen;      /* "" (off) or HOST:PORT: Prometheus text */

	/* access control and quota (RFC 4314, RFC 9208) */
	char *admin_user;          /* "" = none; may SETQUOTA, owns Shared/ */
	uint64_t quota_storage;    /* default per-user limit, bytes; 0 = none */
	uint64_t quota_messages;   /* default per-user limit; 0 = none */
	/* storage backend (store/store.h store_configure) */
	char *store;               /* sqlite | postgresql */
	char *pg_conninfo;         /* libpq connection string; "" = defaults */
	char *blob_dir;            /* "" = data_dir/blobs (postgresql only) */
	/* Treat loopback peers as non-loopback for plaintext_auth=loopback (tests
	 * of LOGINDISABLED without a second address). */
	bool loopback_is_insecure;

	/* load balancers (HAProxy's PROXY protocol v1/v2) */
	char *proxy_protocol;      /* "no", "yes" or listener names: "imap, lmtp" */
	char *proxy_trusted;       /* networks allowed to send it: "127.0.0.0/8, ::1" */
};

/* Fills every field with its default. */
void config_init(struct config *cfg);
void config_free(struct config *cfg);

/*
 * Sets one key from its text form (as in the file or `-o key=value`).
 * Returns 0, or -1 with a message ("unknown key 'x'", "bad value 'y' for
 * 'workers': expected a number") in *error_r (caller frees).
 */
int config_set(struct config *cfg, const char *key, const char *value,
	       char **error_r);
/* Parses "key=value" (for -o). Same return contract as config_set. */
int config_set_option(struct config *cfg, const char *key_value, char **error_r);

/*
 * Reads a quire.conf. Returns 0, or -1 with "FILE:LINE: key 'K': reason" (or
 * the open error) in *error_r (caller frees). Stops at the first error.
 */
int config_load_file(struct config *cfg, const char *path, char **error_r);

/* Writes every key with its default and help text, as a sample quire.conf. */
void config_write_sample(FILE *out);
/* Writes the list of keys with one-line help, for --help. */
void config_write_help(FILE *out);

/* Number of worker threads to start: workers, or four per core. */
unsigned config_worker_count(const struct config *cfg);

/*
 * True if a proxy_protocol value (already accepted by config_set) turns
 * the PROXY header on for the listener called name ("imap", "imaps",
 * "lmtp"): "yes" means all three, "no" none, otherwise the value lists the
 * names, separated by commas and/or spaces.
 */
bool config_proxy_protocol_on(const char *value, const char *name);

#endif
