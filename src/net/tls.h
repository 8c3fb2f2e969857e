#ifndef QUIRE_NET_TLS_H
#define QUIRE_NET_TLS_H
/*
 * Server-side TLS with OpenSSL 3: TLS 1.2 minimum, forward-secret AEAD
 * ciphers only for TLS 1.2 (TLS 1.3 suites are all fine), server cipher
 * preference, no compression, no renegotiation.
 */
#include "core/config.h"

struct tls_context;
struct ssl_st;

/*
 * Builds the server context. Certificate and key come from cfg->tls_cert
 * and cfg->tls_key; when both are empty, data_dir/tls-cert.pem and
 * data_dir/tls-key.pem are used and, if missing, generated (self-signed,
 * see tls_generate_self_signed; data_dir is created if missing).
 * Returns the context, or NULL with a message naming the file in *error_r
 * (caller frees).
 */
struct tls_context *tls_context_new(const struct config *cfg, char **error_r);
/*
 * Rebuilds the context from the same files (e.g. on SIGHUP after a
 * certificate renewal). Sessions already running keep the old certificate.
 * Returns 0, or -1 with *error_r (caller frees) and the old context kept.
 * Thread-safe with tls_context_new_ssl.
 */
int tls_context_reload(struct tls_context *ctx, char **error_r);
void tls_context_free(struct tls_context **ctx);

/* A new server-side SSL object for one connection (caller SSL_free()s it),
 * or NULL on allocation failure. Thread-safe. */
struct ssl_st *tls_context_new_ssl(struct tls_context *ctx);

/*
 * Writes a self-signed certificate and its private key (EC P-256, SHA-256,
 * valid 10 years, CN = hostname, SAN DNS:<hostname>, DNS:localhost,
 * IP:127.0.0.1, IP:::1). The key file is created with mode 0600.
 * Returns 0, or -1 with *error_r (caller frees).
 */
int tls_generate_self_signed(const char *cert_path, const char *key_path,
			     const char *hostname, char **error_r);

/* Last OpenSSL error queue entries as text (caller frees); clears the queue.
 * Never NULL. */
char *tls_error_string(void);

#endif
