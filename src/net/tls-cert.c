/* Self-signed certificate for a server started without one, so that
 * `quire serve` with no configuration offers TLS at once. */
#include "net/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/buf.h"

#define CERT_DAYS (10 * 365)

static void set_error(char **error_r, const char *what, const char *path)
{
	char *text = tls_error_string();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
		   text);
	free(text);
	*error_r = buf_steal(&b);
}

static void set_errno_error(char **error_r, const char *what, const char *path)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s %s: %s", what, path, strerror(errno));
	*error_r = buf_steal(&b);
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *pkey, const char *hostname)
{
	X509 *x = X509_new();
	if (x == NULL)
		return NULL;
	BIGNUM *serial = BN_new();
	X509_NAME *name = X509_NAME_new();
	struct buf san = BUF_INIT;
	bool ok = serial != NULL && name != NULL &&
		X509_set_version(x, X509_VERSION_3) == 1 &&
		BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
		BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL &&
		X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
		X509_gmtime_adj(X509_getm_notAfter(x),
				(long)CERT_DAYS * 24 * 3600) != NULL &&
		X509_set_pubkey(x, pkey) == 1 &&
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					   (const unsigned char *)hostname,
					   -1, -1, 0) == 1 &&
		X509_set_subject_name(x, name) == 1 &&
		X509_set_issuer_name(x, name) == 1;
	if (ok) {
		buf_printf(&san, "DNS:%s", hostname);
		if (strcmp(hostname, "localhost") != 0)
			buf_append_str(&san, ",DNS:localhost");
		buf_append_str(&san, ",IP:127.0.0.1,IP:::1");
		ok = add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
			add_ext(x, NID_key_usage, "critical,digitalSignature") == 0 &&
			add_ext(x, NID_ext_key_usage, "serverAuth") == 0 &&
			add_ext(x, NID_subject_alt_name, buf_cstr(&san)) == 0 &&
			X509_sign(x, pkey, EVP_sha256()) > 0;
	}
	buf_free(&san);
	BN_free(serial);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes to path.tmp with mode, then renames, so a reader never sees half
 * a file. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *x,
		     char **error_r)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.tmp", path);
	int fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      mode);
	if (fd < 0) {
		set_errno_error(error_r, "cannot create", buf_cstr(&tmp));
		buf_free(&tmp);
		return -1;
	}
	/* O_CREAT does not change the mode of an existing file. */
	if (fchmod(fd, mode) != 0) {
		set_errno_error(error_r, "cannot chmod", buf_cstr(&tmp));
		close(fd);
		goto fail;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		set_errno_error(error_r, "cannot open", buf_cstr(&tmp));
		close(fd);
		goto fail;
	}
	int ok = key != NULL ?
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
		PEM_write_X509(f, x);
	if (ok != 1) {
		fclose(f);
		set_error(error_r, "cannot write", buf_cstr(&tmp));
		goto fail;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		set_errno_error(error_r, "cannot write", buf_cstr(&tmp));
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0) {
		set_errno_error(error_r, "cannot write", buf_cstr(&tmp));
		goto fail;
	}
	if (rename(buf_cstr(&tmp), path) != 0) {
		set_errno_error(error_r, "cannot rename to", path);
		goto fail;
	}
	buf_free(&tmp);
	return 0;
fail:
	unlink(buf_cstr(&tmp));
	buf_free(&tmp);
	return -1;
}

int tls_generate_self_signed(const char *cert_path, const char *key_path,
			     const char *hostname, char **error_r)
{
	ERR_clear_error();
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pkey == NULL) {
		set_error(error_r, "cannot generate TLS key", NULL);
		return -1;
	}
	X509 *x = make_cert(pkey, hostname);
	if (x == NULL) {
		set_error(error_r, "cannot build TLS certificate", NULL);
		EVP_PKEY_free(pkey);
		return -1;
	}
	int ret = -1;
	if (write_pem(key_path, 0600, pkey, NULL, error_r) == 0 &&
	    write_pem(cert_path, 0644, NULL, x, error_r) == 0)
		ret = 0;
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}
