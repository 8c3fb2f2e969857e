/*
 * SCRAM-SHA-256 server side (RFC 5802, RFC 7677): key derivation, the
 * storable credential format, and one exchange.
 */
#include "auth/scram.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/const-time.h"
#include "auth/saslprep.h"
#include "core/buf.h"

/* Server part of the nonce: 18 random bytes, 24 base64 characters
   (RFC 5802 section 5.1: the nonce must be fresh and unpredictable). */
#define SCRAM_SERVER_NONCE_BYTES 18

/* ---- base64 (RFC 4648 section 4) ----
 * Private copy, to be replaced by core/base64.h (base64_encode /
 * base64_decode) once that module is merged; kept here so this branch does
 * not depend on unmerged work. */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void scram_b64_encode(const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_append_char(out, b64_alphabet[(v >> 18) & 63]);
		buf_append_char(out, b64_alphabet[(v >> 12) & 63]);
		buf_append_char(out, b64_alphabet[(v >> 6) & 63]);
		buf_append_char(out, b64_alphabet[v & 63]);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		buf_append_char(out, b64_alphabet[(v >> 18) & 63]);
		buf_append_char(out, b64_alphabet[(v >> 12) & 63]);
		buf_append_char(out, i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=');
		buf_append_char(out, '=');
	}
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict decoding as RFC 5802's base64 rule demands: padded to a multiple
   of four, no whitespace, unused bits zero. Returns 0 or -1. */
static int scram_b64_decode(const char *in, size_t len, struct buf *out)
{
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		int pad = 0;
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			char c = in[i + j];
			int d;
			if (c == '=' && last && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				pad++;
				d = 0;
			} else if (pad > 0 || (d = b64_value(c)) < 0) {
				return -1;
			}
			v = v << 6 | (uint32_t)d;
		}
		unsigned char bytes[3] = { v >> 16, (v >> 8) & 0xff, v & 0xff };
		if ((pad == 2 && (v & 0xffff) != 0) ||
		    (pad == 1 && (v & 0xff) != 0))
			return -1;
		buf_append(out, bytes, 3 - (size_t)pad);
	}
	return 0;
}

/* ---- key derivation (RFC 5802 section 3) ---- */

static void hmac_sha256(const void *key, size_t key_len, const void *data,
			size_t len, unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int out_len = SCRAM_KEY_LEN;
	if (HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) == NULL)
		abort(); /* only fails on allocation failure */
	assert(out_len == SCRAM_KEY_LEN);
}

int scram_credentials_derive_salt(const char *password, const void *salt,
				  size_t salt_len, unsigned int iterations,
				  struct scram_credentials *out)
{
	struct buf prepared = BUF_INIT;
	unsigned char salted[SCRAM_KEY_LEN];
	unsigned char client_key[SCRAM_KEY_LEN];
	const char *error;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (salt_len == 0 || salt_len > SCRAM_SALT_MAX || iterations == 0 ||
	    iterations > SCRAM_MAX_ITERATIONS || iterations > INT32_MAX)
		return -1;
	/* Hi(Normalize(password), salt, i) */
	if (saslprep(password, strlen(password), &prepared, &error) < 0)
		goto out;
	if (PKCS5_PBKDF2_HMAC(buf_cstr(&prepared), (int)prepared.len, salt,
			      (int)salt_len, (int)iterations, EVP_sha256(),
			      sizeof(salted), salted) != 1)
		goto out;
	hmac_sha256(salted, sizeof(salted), "Client Key", 10, client_key);
	SHA256(client_key, sizeof(client_key), out->stored_key);
	hmac_sha256(salted, sizeof(salted), "Server Key", 10, out->server_key);
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->iterations = iterations;
	ret = 0;
out:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(client_key, sizeof(client_key));
	if (prepared.data != NULL)
		explicit_bzero(prepared.data, prepared.len);
	buf_free(&prepared);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

int scram_credentials_derive(const char *password, unsigned int iterations,
			     struct scram_credentials *out)
{
	unsigned char salt[SCRAM_SALT_LEN];

	memset(out, 0, sizeof(*out));
	if (iterations == 0)
		iterations = SCRAM_DEFAULT_ITERATIONS;
	if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	return scram_credentials_derive_salt(password, salt, sizeof(salt),
					     iterations, out);
}

/* ---- storable text form ---- */

#define SCRAM_FORMAT_PREFIX "SCRAM-SHA-256$"

void scram_credentials_format(const struct scram_credentials *creds,
			      struct buf *out)
{
	assert(creds->salt_len > 0 && creds->salt_len <= SCRAM_SALT_MAX);
	buf_append_str(out, SCRAM_FORMAT_PREFIX);
	buf_append_u64(out, creds->iterations);
	buf_append_char(out, ':');
	scram_b64_encode(creds->salt, creds->salt_len, out);
	buf_append_char(out, '$');
	scram_b64_encode(creds->stored_key, SCRAM_KEY_LEN, out);
	buf_append_char(out, ':');
	scram_b64_encode(creds->server_key, SCRAM_KEY_LEN, out);
}

/* Parses a decimal without sign or leading zero in [1, max]. */
static int parse_count(const char *s, size_t len, unsigned int max,
		       unsigned int *value_r)
{
	uint64_t v = 0;

	if (len == 0 || s[0] == '0' || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*value_r = (unsigned int)v;
	return 0;
}

/* Decodes base64 in[0..len) into exactly want bytes at dest (want 0: any
   length from 1 to max). Returns the decoded length or -1. */
static int decode_field(const char *in, size_t len, void *dest, size_t want,
			size_t max)
{
	struct buf raw = BUF_INIT;
	int ret = -1;

	if (scram_b64_decode(in, len, &raw) == 0 && raw.len > 0 &&
	    raw.len <= max && (want == 0 || raw.len == want)) {
		memcpy(dest, raw.data, raw.len);
		ret = (int)raw.len;
	}
	buf_free(&raw);
	return ret;
}

int scram_credentials_parse(const char *text, struct scram_credentials *out)
{
	const char *p = text, *colon, *dollar, *colon2;
	int salt_len;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, SCRAM_FORMAT_PREFIX, strlen(SCRAM_FORMAT_PREFIX)) != 0)
		return -1;
	p += strlen(SCRAM_FORMAT_PREFIX);
	if ((colon = strchr(p, ':')) == NULL ||
	    (dollar = strchr(colon, '$')) == NULL ||
	    (colon2 = strchr(dollar, ':')) == NULL)
		goto fail;
	if (parse_count(p, (size_t)(colon - p), SCRAM_MAX_ITERATIONS,
			&out->iterations) < 0)
		goto fail;
	salt_len = decode_field(colon + 1, (size_t)(dollar - colon - 1),
				out->salt, 0, SCRAM_SALT_MAX);
	if (salt_len < 0)
		goto fail;
	out->salt_len = (size_t)salt_len;
	if (decode_field(dollar + 1, (size_t)(colon2 - dollar - 1),
			 out->stored_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN) < 0 ||
	    decode_field(colon2 + 1, strlen(colon2 + 1), out->server_key,
			 SCRAM_KEY_LEN, SCRAM_KEY_LEN) < 0)
		goto fail;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* ---- fake credentials for unknown users ---- */

static unsigned char fake_secret[32];
static pthread_once_t fake_secret_once = PTHREAD_ONCE_INIT;

static void fake_secret_init(void)
{
	/* If the random source failed, the secret stays zero: fake salts are
	   then computable by an attacker who reads this code, which reveals
	   that a user does not exist, nothing more. */
	if (RAND_bytes(fake_secret, sizeof(fake_secret)) != 1)
		memset(fake_secret, 0, sizeof(fake_secret));
}

static void fake_derive(const char *label, const char *user,
			unsigned char out[SCRAM_KEY_LEN])
{
	struct buf msg = BUF_INIT;
	buf_append_str(&msg, label);
	buf_append_char(&msg, '\0');
	buf_append_str(&msg, user);
	hmac_sha256(fake_secret, sizeof(fake_secret), msg.data, msg.len, out);
	buf_free(&msg);
}

void scram_fake_credentials(const char *user, struct scram_credentials *out)
{
	unsigned char salt[SCRAM_KEY_LEN];

	pthread_once(&fake_secret_once, fake_secret_init);
	memset(out, 0, sizeof(*out));
	fake_derive("salt", user, salt);
	memcpy(out->salt, salt, SCRAM_SALT_LEN);
	out->salt_len = SCRAM_SALT_LEN;
	out->iterations = SCRAM_DEFAULT_ITERATIONS;
	fake_derive("stored", user, out->stored_key);
	fake_derive("server", user, out->server_key);
}

/* ---- one exchange ---- */

enum scram_state {
	SCRAM_STATE_CLIENT_FIRST,
	SCRAM_STATE_SERVER_FIRST,
	SCRAM_STATE_CLIENT_FINAL,
	SCRAM_STATE_DONE,
};

struct scram_server {
	enum scram_state state;
	bool user_known;
	char *username;
	char *nonce_suffix;         /* injected by tests, or NULL */
	struct buf gs2_header;      /* exactly as sent, for the c= check */
	struct buf client_first_bare;
	struct buf server_first;
	struct buf nonce;           /* client nonce + server nonce */
	struct scram_credentials creds;
};

struct scram_server *scram_server_new(void)
{
	struct scram_server *s = xcalloc(1, sizeof(*s));
	s->state = SCRAM_STATE_CLIENT_FIRST;
	return s;
}

void scram_server_free(struct scram_server **sp)
{
	struct scram_server *s = sp == NULL ? NULL : *sp;

	if (s == NULL)
		return;
	free(s->username);
	free(s->nonce_suffix);
	buf_free(&s->gs2_header);
	buf_free(&s->client_first_bare);
	buf_free(&s->server_first);
	buf_free(&s->nonce);
	explicit_bzero(s, sizeof(*s));
	free(s);
	*sp = NULL;
}

/* RFC 5802 section 7: printable = %x21-2B / %x2D-7E */
static bool is_printable_nonce(const char *p, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
			return false;
	}
	return true;
}

void scram_server_set_nonce_suffix(struct scram_server *s,
				   const char *nonce_suffix)
{
	assert(s->state <= SCRAM_STATE_SERVER_FIRST);
	assert(is_printable_nonce(nonce_suffix, strlen(nonce_suffix)));
	free(s->nonce_suffix);
	s->nonce_suffix = xstrdup(nonce_suffix);
}

const char *scram_server_username(const struct scram_server *s)
{
	return s->username;
}

/* A cursor over one message: attributes are separated by ','. */
struct cursor {
	const char *p;
	const char *end;
};

/* Takes the next field up to ',' or the end. Returns false at the end. */
static bool next_field(struct cursor *c, const char **field_r, size_t *len_r)
{
	if (c->p == NULL)
		return false;
	const char *comma = memchr(c->p, ',', (size_t)(c->end - c->p));
	*field_r = c->p;
	*len_r = (size_t)((comma != NULL ? comma : c->end) - c->p);
	c->p = comma != NULL ? comma + 1 : NULL;
	return true;
}

static bool field_is(const char *field, size_t len, char attr)
{
	return len >= 2 && field[0] == attr && field[1] == '=';
}

/* saslname (RFC 5802 section 5.1): "=2C" is ',' and "=3D" is '='; any
   other '=' is an error. Appends the SASLprep'ed name to out. */
static int saslname_decode(const char *in, size_t len, struct buf *out,
			   const char **error_r)
{
	struct buf raw = BUF_INIT;
	int ret = -1;

	*error_r = "invalid username encoding";
	if (len == 0)
		goto out;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '=') {
			buf_append_char(&raw, in[i]);
		} else if (len - i >= 3 && in[i + 1] == '2' &&
			   (in[i + 2] == 'C' || in[i + 2] == 'c')) {
			buf_append_char(&raw, ',');
			i += 2;
		} else if (len - i >= 3 && in[i + 1] == '3' &&
			   (in[i + 2] == 'D' || in[i + 2] == 'd')) {
			buf_append_char(&raw, '=');
			i += 2;
		} else {
			goto out;
		}
	}
	/* RFC 5802 5.1: user names are prepared with SASLprep */
	if (saslprep(raw.data, raw.len, out, error_r) == 0 && out->len > 0)
		ret = 0;
out:
	buf_free(&raw);
	return ret;
}

/* gs2-header = gs2-cbind-flag "," [ authzid ] "," (RFC 5802 section 7).
   Sets *authzid_r (unescaped, or empty when absent). */
static int parse_gs2_header(struct cursor *c, struct buf *authzid_r,
			    const char **error_r)
{
	const char *f;
	size_t len;

	if (!next_field(c, &f, &len)) {
		*error_r = "empty message";
		return -1;
	}
	if (field_is(f, len, 'p')) {
		/* RFC 5802 section 6: we do not offer -PLUS */
		*error_r = "channel binding not supported";
		return -1;
	}
	/* "y" (client could bind but thinks we cannot) must be refused only
	   by a server that supports channel binding, which we do not. */
	if (len != 1 || (f[0] != 'n' && f[0] != 'y')) {
		*error_r = "invalid gs2 header";
		return -1;
	}
	if (!next_field(c, &f, &len) || c->p == NULL) {
		*error_r = "invalid gs2 header";
		return -1;
	}
	if (len > 0) {
		if (!field_is(f, len, 'a') ||
		    saslname_decode(f + 2, len - 2, authzid_r, error_r) < 0) {
			*error_r = "invalid authzid";
			return -1;
		}
	}
	return 0;
}

int scram_server_client_first(struct scram_server *s, const void *msg,
			      size_t len, const char **error_r)
{
	struct cursor c = { msg, (const char *)msg + len };
	struct buf authzid = BUF_INIT, user = BUF_INIT;
	const char *f;
	size_t flen;
	int ret = -1;

	assert(s->state == SCRAM_STATE_CLIENT_FIRST);
	s->state = SCRAM_STATE_DONE; /* until proven otherwise */
	if (len == 0) {
		*error_r = "invalid gs2 header";
		goto out;
	}
	if (memchr(msg, '\0', len) != NULL) {
		*error_r = "NUL in message";
		goto out;
	}
	if (parse_gs2_header(&c, &authzid, error_r) < 0)
		goto out;
	buf_reset(&s->gs2_header);
	buf_append(&s->gs2_header, msg, (size_t)(c.p - (const char *)msg));
	buf_append(&s->client_first_bare, c.p, (size_t)(c.end - c.p));

	if (!next_field(&c, &f, &flen)) {
		*error_r = "missing username";
		goto out;
	}
	if (field_is(f, flen, 'm')) {
		/* RFC 5802 section 5.1: unknown mandatory extension: fail */
		*error_r = "mandatory extension not supported";
		goto out;
	}
	if (!field_is(f, flen, 'n')) {
		*error_r = "missing username";
		goto out;
	}
	if (saslname_decode(f + 2, flen - 2, &user, error_r) < 0)
		goto out;
	if (!next_field(&c, &f, &flen) || !field_is(f, flen, 'r') ||
	    !is_printable_nonce(f + 2, flen - 2)) {
		*error_r = "missing or invalid nonce";
		goto out;
	}
	buf_append(&s->nonce, f + 2, flen - 2);
	/* Optional extensions: RFC 5802 section 7 says unknown ones MUST be
	   ignored, but they must still look like attr-val. */
	while (next_field(&c, &f, &flen)) {
		if (flen < 2 || f[1] != '=' || !((f[0] >= 'a' && f[0] <= 'z') ||
						 (f[0] >= 'A' && f[0] <= 'Z'))) {
			*error_r = "malformed extension";
			goto out;
		}
	}
	if (authzid.len > 0 &&
	    (authzid.len != user.len ||
	     memcmp(authzid.data, user.data, user.len) != 0)) {
		*error_r = "authzid differs from username";
		goto out;
	}
	s->username = buf_steal(&user);
	s->state = SCRAM_STATE_SERVER_FIRST;
	ret = 0;
out:
	buf_free(&authzid);
	buf_free(&user);
	return ret;
}

int scram_server_server_first(struct scram_server *s,
			      const struct scram_credentials *creds,
			      bool user_known, struct buf *out)
{
	assert(s->state == SCRAM_STATE_SERVER_FIRST);
	assert(creds->salt_len > 0 && creds->salt_len <= SCRAM_SALT_MAX);
	s->state = SCRAM_STATE_DONE;
	if (s->nonce_suffix != NULL) {
		buf_append_str(&s->nonce, s->nonce_suffix);
	} else {
		unsigned char rnd[SCRAM_SERVER_NONCE_BYTES];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		scram_b64_encode(rnd, sizeof(rnd), &s->nonce);
	}
	s->creds = *creds;
	s->user_known = user_known;

	buf_append_str(&s->server_first, "r=");
	buf_append(&s->server_first, s->nonce.data, s->nonce.len);
	buf_append_str(&s->server_first, ",s=");
	scram_b64_encode(creds->salt, creds->salt_len, &s->server_first);
	buf_append_str(&s->server_first, ",i=");
	buf_append_u64(&s->server_first, creds->iterations);
	buf_append(out, s->server_first.data, s->server_first.len);
	s->state = SCRAM_STATE_CLIENT_FINAL;
	return 0;
}

/* Splits client-final-message into the part without proof and the decoded
   proof, and checks c= and r=. */
static int parse_client_final(struct scram_server *s, const char *msg,
			      size_t len, size_t *without_proof_len_r,
			      unsigned char proof_r[SCRAM_KEY_LEN],
			      const char **error_r)
{
	struct buf expected_cb = BUF_INIT;
	struct cursor c = { msg, msg + len };
	const char *f, *last_comma;
	size_t flen;
	int ret = -1;

	/* The proof is the last attribute and base64 has no ','. */
	last_comma = memrchr(msg, ',', len);
	if (last_comma == NULL || !field_is(last_comma + 1,
					    len - (size_t)(last_comma + 1 - msg), 'p')) {
		*error_r = "missing proof";
		goto out;
	}
	*without_proof_len_r = (size_t)(last_comma - msg);
	c.end = last_comma;

	/* RFC 5802 section 7: c= is base64 of the gs2 header ("biws" for
	   "n,,"); with no channel binding there is no cbind-data after it. */
	scram_b64_encode(s->gs2_header.data, s->gs2_header.len, &expected_cb);
	if (!next_field(&c, &f, &flen) || !field_is(f, flen, 'c') ||
	    flen - 2 != expected_cb.len ||
	    memcmp(f + 2, expected_cb.data, expected_cb.len) != 0) {
		*error_r = "channel binding mismatch";
		goto out;
	}
	if (!next_field(&c, &f, &flen) || !field_is(f, flen, 'r') ||
	    flen - 2 != s->nonce.len ||
	    memcmp(f + 2, s->nonce.data, s->nonce.len) != 0) {
		*error_r = "nonce mismatch";
		goto out;
	}
	while (next_field(&c, &f, &flen)) {
		if (flen < 2 || f[1] != '=') {
			*error_r = "malformed extension";
			goto out;
		}
	}
	f = last_comma + 3;
	flen = len - (size_t)(f - msg);
	if (decode_field(f, flen, proof_r, SCRAM_KEY_LEN, SCRAM_KEY_LEN) < 0) {
		*error_r = "invalid proof encoding";
		goto out;
	}
	ret = 0;
out:
	buf_free(&expected_cb);
	return ret;
}

int scram_server_client_final(struct scram_server *s, const void *msg,
			      size_t len, struct buf *out,
			      const char **error_r)
{
	struct buf auth_message = BUF_INIT;
	unsigned char proof[SCRAM_KEY_LEN], client_sig[SCRAM_KEY_LEN];
	unsigned char client_key[SCRAM_KEY_LEN], stored[SCRAM_KEY_LEN];
	unsigned char server_sig[SCRAM_KEY_LEN];
	size_t without_proof_len;
	int ret = -1;

	assert(s->state == SCRAM_STATE_CLIENT_FINAL);
	s->state = SCRAM_STATE_DONE;
	if (len == 0) {
		*error_r = "missing proof";
		return -1;
	}
	if (memchr(msg, '\0', len) != NULL) {
		*error_r = "NUL in message";
		return -1;
	}
	if (parse_client_final(s, msg, len, &without_proof_len, proof,
			       error_r) < 0)
		return -1;

	/* RFC 5802 section 3:
	   AuthMessage = client-first-message-bare + "," +
	                 server-first-message + "," +
	                 client-final-message-without-proof */
	buf_append(&auth_message, s->client_first_bare.data,
		   s->client_first_bare.len);
	buf_append_char(&auth_message, ',');
	buf_append(&auth_message, s->server_first.data, s->server_first.len);
	buf_append_char(&auth_message, ',');
	buf_append(&auth_message, msg, without_proof_len);

	/* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage);
	   the client knows the password iff H(ClientKey) == StoredKey. */
	hmac_sha256(s->creds.stored_key, SCRAM_KEY_LEN, auth_message.data,
		    auth_message.len, client_sig);
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ client_sig[i];
	SHA256(client_key, sizeof(client_key), stored);
	bool proof_ok = auth_const_time_eq(stored, sizeof(stored),
					   s->creds.stored_key, SCRAM_KEY_LEN);
	if (!s->user_known) {
		/* Fake credentials: all the work above was done so that this
		   failure takes as long as a wrong password. */
		*error_r = "unknown user";
	} else if (!proof_ok) {
		*error_r = "invalid proof";
	} else {
		hmac_sha256(s->creds.server_key, SCRAM_KEY_LEN,
			    auth_message.data, auth_message.len, server_sig);
		buf_append_str(out, "v=");
		scram_b64_encode(server_sig, sizeof(server_sig), out);
		ret = 0;
	}
	explicit_bzero(client_key, sizeof(client_key));
	explicit_bzero(client_sig, sizeof(client_sig));
	buf_free(&auth_message);
	return ret;
}
