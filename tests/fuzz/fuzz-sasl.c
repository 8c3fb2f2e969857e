/*
 * libFuzzer target: server side of the SASL exchanges (auth/sasl.h).
 *
 * Input: byte 0 picks the mechanism (PLAIN, LOGIN, SCRAM-SHA-256, or an
 * arbitrary name taken from the first message) and whether the first
 * message is an initial response (SASL-IR); the rest is the client's
 * messages separated by LF, already base64-decoded as the protocol layer
 * hands them over.
 *
 * Every user except "nobody" exists with password "pencil". Password
 * hashes are MD5-crypt, cheap enough to keep the fuzzer fast (yescrypt
 * would cost ~50 ms per try). A SCRAM client message that is exactly
 * "PROOF" is replaced by a correct client-final message for the exchange
 * so far (RFC 5802 3), so the fuzzer also reaches the success path and
 * what follows it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/sasl.h"
#include "auth/scram.h"
#include "core/buf.h"

#define PASSWORD "pencil"
/* crypt("pencil", "$1$fuzzsalt$") */
static char md5_hash[64];
static struct scram_credentials creds;
static unsigned char client_key[SCRAM_KEY_LEN];

static int get_password_hash(void *ctx, const char *user, char **hash_r)
{
	(void)ctx;
	if (strcmp(user, "nobody") == 0)
		return -1;
	*hash_r = xstrdup(md5_hash);
	return 0;
}

static int get_scram(void *ctx, const char *user, struct scram_credentials *r)
{
	(void)ctx;
	if (strcmp(user, "nobody") == 0)
		return -1;
	*r = creds;
	return 0;
}

static const struct sasl_credentials_ops ops = {
	.get_password_hash = get_password_hash,
	.get_scram = get_scram,
};

#include <crypt.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_r(PASSWORD, "$1$fuzzsalt$", &cd);
	if (h == NULL || h[0] != '$' || strlen(h) >= sizeof(md5_hash))
		abort();
	snprintf(md5_hash, sizeof(md5_hash), "%s", h);
	static const char salt[] = "QSXCR+Q6sek8bf92";
	if (scram_credentials_derive_salt(PASSWORD, salt, sizeof(salt) - 1,
					  4096, &creds) < 0)
		abort();
	unsigned char salted[SCRAM_KEY_LEN];
	unsigned int len = SCRAM_KEY_LEN;
	PKCS5_PBKDF2_HMAC(PASSWORD, (int)strlen(PASSWORD),
			  (const unsigned char *)salt, (int)sizeof(salt) - 1,
			  4096, EVP_sha256(), SCRAM_KEY_LEN, salted);
	HMAC(EVP_sha256(), salted, SCRAM_KEY_LEN,
	     (const unsigned char *)"Client Key", 10, client_key, &len);
	return 0;
}

/* The client-final message that proves PASSWORD for this exchange, or
   nothing when client_first/server_first are not shaped for it. */
static void scram_proof(const struct buf *client_first,
			const struct buf *server_first, struct buf *out)
{
	const char *cf = client_first->data;
	const char *c1 = cf ? memchr(cf, ',', client_first->len) : NULL;
	const char *c2 = c1 ? memchr(c1 + 1, ',', client_first->len -
				     (size_t)(c1 + 1 - cf)) : NULL;
	if (c2 == NULL || server_first->len < 3 ||
	    memcmp(server_first->data, "r=", 2) != 0)
		return;
	size_t gs2_len = (size_t)(c2 + 1 - cf);
	const char *bare = c2 + 1;
	size_t bare_len = client_first->len - gs2_len;
	const char *sc = memchr(server_first->data, ',', server_first->len);
	size_t nonce_len = sc ? (size_t)(sc - server_first->data)
			      : server_first->len;

	unsigned char gs2_b64[4 * 8192 / 3 + 8];
	if (gs2_len > 8192)
		return;
	EVP_EncodeBlock(gs2_b64, (const unsigned char *)cf, (int)gs2_len);
	struct buf without_proof = BUF_INIT, auth = BUF_INIT;
	buf_append_str(&without_proof, "c=");
	buf_append_str(&without_proof, (const char *)gs2_b64);
	buf_append_char(&without_proof, ',');
	buf_append(&without_proof, server_first->data, nonce_len);
	buf_append(&auth, bare, bare_len);
	buf_append_char(&auth, ',');
	buf_append(&auth, server_first->data, server_first->len);
	buf_append_char(&auth, ',');
	buf_append(&auth, without_proof.data, without_proof.len);

	unsigned char sig[SCRAM_KEY_LEN], proof[SCRAM_KEY_LEN];
	unsigned int len = SCRAM_KEY_LEN;
	HMAC(EVP_sha256(), creds.stored_key, SCRAM_KEY_LEN,
	     (const unsigned char *)auth.data, auth.len, sig, &len);
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		proof[i] = client_key[i] ^ sig[i];
	unsigned char proof_b64[64];
	EVP_EncodeBlock(proof_b64, proof, SCRAM_KEY_LEN);
	buf_append(out, without_proof.data, without_proof.len);
	buf_append_str(out, ",p=");
	buf_append_str(out, (const char *)proof_b64);
	buf_free(&without_proof);
	buf_free(&auth);
}

static const char *const mechs[] = { "PLAIN", "LOGIN", "SCRAM-SHA-256",
				     "scram-sha-256" };

/* Steps per exchange: every mechanism is done in 4. */
#define MAX_STEPS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	const char *p = (const char *)data + 1;
	const char *end = (const char *)data + size;
	bool initial = (sel & 0x10) != 0;
	const char *mech = mechs[sel % 4];
	char *free_mech = NULL;
	if (sel & 0x20) {
		/* an arbitrary mechanism name: the first line */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		free_mech = xstrndup(p, n);
		mech = free_mech;
		p += n + (nl != NULL);
	}
	struct sasl_server *s = sasl_server_new(mech, &ops, NULL);
	free(free_mech);
	if (s == NULL)
		return 0;
	bool scram = strcmp(sasl_server_mech_name(s), "SCRAM-SHA-256") == 0;

	struct buf out = BUF_INIT, msg = BUF_INIT;
	struct buf client_first = BUF_INIT, server_first = BUF_INIT;
	bool have_input = initial;
	enum sasl_status st = SASL_CONTINUE;
	for (int step = 0; step < MAX_STEPS; step++) {
		buf_reset(&msg);
		if (have_input) {
			if (p > end)
				break;	/* the client has nothing more */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			buf_append(&msg, p, n);
			p += n + 1;	/* may step to end + 1: input used up */
			if (scram && msg.len == 5 &&
			    memcmp(msg.data, "PROOF", 5) == 0) {
				buf_reset(&msg);
				scram_proof(&client_first, &server_first, &msg);
			}
			if (scram && client_first.len == 0 &&
			    msg.len > 0)
				buf_append(&client_first, msg.data, msg.len);
		}
		const char *error = NULL;
		st = sasl_server_step(s, msg.data ? msg.data : "", msg.len,
				      have_input, &out, &error);
		if (st == SASL_FAIL && error == NULL)
			abort();
		if (scram && server_first.len == 0 && st == SASL_CONTINUE &&
		    out.len > 0)
			buf_append(&server_first, out.data, out.len);
		const char *user = sasl_server_user(s);
		if ((st == SASL_OK) != (user != NULL))
			abort();
		if (st == SASL_OK && strcmp(user, "nobody") == 0)
			abort();	/* an unknown user never gets in */
		if (st != SASL_CONTINUE) {
			/* finished: a further step must fail */
			if (sasl_server_step(s, "", 0, true, &out,
					     &error) != SASL_FAIL)
				abort();
			break;
		}
		have_input = true;
	}
	sasl_server_free(&s);
	if (s != NULL)
		abort();
	buf_free(&out);
	buf_free(&msg);
	buf_free(&client_first);
	buf_free(&server_first);
	return 0;
}
