/* OpenSSL 3 server context: protocol floor, ciphers, certificate files. */
#include "net/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "core/log.h"

struct tls_context {
	pthread_mutex_t lock; /* guards ctx against tls_context_reload */
	SSL_CTX *ctx;
	char *cert_path;
	char *key_path;
};

/* TLS 1.2 suites: ECDHE for forward secrecy, AEAD only. TLS 1.3 suites are
 * OpenSSL's defaults, which are all AEAD. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"

char *tls_error_string(void)
{
	struct buf b = BUF_INIT;
	unsigned long code;
	while ((code = ERR_get_error()) != 0) {
		char tmp[256];
		ERR_error_string_n(code, tmp, sizeof(tmp));
		if (b.len > 0)
			buf_append_str(&b, "; ");
		buf_append_str(&b, tmp);
	}
	if (b.len == 0)
		buf_append_str(&b, "unknown TLS error");
	return buf_steal(&b);
}

static void set_ssl_error(char **error_r, const char *what, const char *path)
{
	char *text = tls_error_string();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
		   text);
	free(text);
	*error_r = buf_steal(&b);
}

static SSL_CTX *build_ctx(const char *cert_path, const char *key_path,
			  char **error_r)
{
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		set_ssl_error(error_r, "cannot create TLS context", NULL);
		return NULL;
	}
	/* RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8314 4.1 asks for current
	 * versions. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* IGNORE_UNEXPECTED_EOF: a client that drops TCP without close_notify
	 * is an ordinary disconnect, not an error worth logging as one. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE |
			    SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_IGNORE_UNEXPECTED_EOF);
	static const unsigned char sid_ctx[] = "quire";
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		set_ssl_error(error_r, "cannot set TLS ciphers", NULL);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		set_ssl_error(error_r, "cannot load TLS certificate", cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		set_ssl_error(error_r, "cannot load TLS key", key_path);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		set_ssl_error(error_r, "TLS key does not match certificate",
			      key_path);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static char *path_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, name);
	return buf_steal(&b);
}

/* A hostname fit for a certificate CN and DNS SAN, else "localhost". */
static void cert_hostname(char *name, size_t size)
{
	if (gethostname(name, size) != 0 || name[0] == '\0')
		goto fallback;
	name[size - 1] = '\0';
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			goto fallback;
	}
	return;
fallback:
	snprintf(name, size, "localhost");
}

/* Uses data_dir/tls-{cert,key}.pem, generating them when either is
 * missing (a crash between writing the two must not block later starts). */
static int default_cert_paths(const struct config *cfg, char **cert_r,
			      char **key_r, char **error_r)
{
	const char *dir = cfg->data_dir != NULL && cfg->data_dir[0] != '\0' ?
		cfg->data_dir : ".";
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "cannot create data_dir %s: %s", dir,
			   strerror(errno));
		*error_r = buf_steal(&b);
		return -1;
	}
	*cert_r = path_join(dir, "tls-cert.pem");
	*key_r = path_join(dir, "tls-key.pem");
	if (access(*cert_r, F_OK) == 0 && access(*key_r, F_OK) == 0)
		return 0;
	char host[256];
	cert_hostname(host, sizeof(host));
	if (tls_generate_self_signed(*cert_r, *key_r, host, error_r) < 0) {
		free(*cert_r);
		free(*key_r);
		return -1;
	}
	log_info(NULL, "generated self-signed TLS certificate %s for %s",
		 *cert_r, host);
	return 0;
}

struct tls_context *tls_context_new(const struct config *cfg, char **error_r)
{
	const char *cert = cfg->tls_cert != NULL ? cfg->tls_cert : "";
	const char *key = cfg->tls_key != NULL ? cfg->tls_key : "";
	char *cert_path, *key_path;
	if (cert[0] == '\0' && key[0] == '\0') {
		if (default_cert_paths(cfg, &cert_path, &key_path, error_r) < 0)
			return NULL;
	} else if (cert[0] == '\0' || key[0] == '\0') {
		*error_r = xstrdup("tls_cert and tls_key must be set together");
		return NULL;
	} else {
		cert_path = xstrdup(cert);
		key_path = xstrdup(key);
	}
	SSL_CTX *ctx = build_ctx(cert_path, key_path, error_r);
	if (ctx == NULL) {
		free(cert_path);
		free(key_path);
		return NULL;
	}
	struct tls_context *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->ctx = ctx;
	t->cert_path = cert_path;
	t->key_path = key_path;
	return t;
}

int tls_context_reload(struct tls_context *t, char **error_r)
{
	SSL_CTX *ctx = build_ctx(t->cert_path, t->key_path, error_r);
	if (ctx == NULL)
		return -1;
	pthread_mutex_lock(&t->lock);
	SSL_CTX *old = t->ctx;
	t->ctx = ctx;
	pthread_mutex_unlock(&t->lock);
	/* SSL objects hold their own reference, so running sessions go on. */
	SSL_CTX_free(old);
	return 0;
}

void tls_context_free(struct tls_context **tp)
{
	struct tls_context *t = *tp;
	if (t == NULL)
		return;
	*tp = NULL;
	SSL_CTX_free(t->ctx);
	pthread_mutex_destroy(&t->lock);
	free(t->cert_path);
	free(t->key_path);
	free(t);
}

SSL *tls_context_new_ssl(struct tls_context *t)
{
	pthread_mutex_lock(&t->lock);
	SSL *ssl = SSL_new(t->ctx);
	pthread_mutex_unlock(&t->lock);
	return ssl;
}
