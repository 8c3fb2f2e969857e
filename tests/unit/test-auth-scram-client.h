#ifndef QUIRE_TEST_AUTH_SCRAM_CLIENT_H
#define QUIRE_TEST_AUTH_SCRAM_CLIENT_H
/*
 * Test-only SCRAM-SHA-256 client pieces shared by test-auth-scram.c and
 * test-auth-sasl.c. Include after <cmocka.h> and "core/buf.h".
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static inline size_t scram_test_b64_decode(const char *in, unsigned char *out)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)strlen(in));
	assert_true(n >= 0);
	size_t len = (size_t)n;
	for (const char *p = in + strlen(in); p > in && p[-1] == '='; p--)
		len--;
	return len;
}

/* Client side, written independently from RFC 5802 section 3, to produce
   proofs for exchanges that are not in the RFC. */
static inline void scram_test_client_final(const char *password, const char *gs2_b64,
			     const char *client_first_bare,
			     const char *server_first, struct buf *out)
{
	const char *s_pos = strstr(server_first, ",s=") + 3;
	const char *i_pos = strstr(server_first, ",i=");
	char salt_b64[128];
	unsigned char salt[96], salted[32], client_key[32], stored[32], sig[32];
	unsigned int len = 32;

	memcpy(salt_b64, s_pos, (size_t)(i_pos - s_pos));
	salt_b64[i_pos - s_pos] = '\0';
	size_t salt_len = scram_test_b64_decode(salt_b64, salt);
	int iter = (int)strtol(i_pos + 3, NULL, 10);
	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
			  iter, EVP_sha256(), 32, salted);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10,
	     client_key, &len);
	EVP_Digest(client_key, 32, stored, NULL, EVP_sha256(), NULL);

	struct buf without_proof = BUF_INIT, auth = BUF_INIT;
	const char *nonce_end = strchr(server_first, ',');
	buf_printf(&without_proof, "c=%s,%.*s", gs2_b64,
		   (int)(nonce_end - server_first), server_first);
	buf_printf(&auth, "%s,%s,%s", client_first_bare, server_first,
		   buf_cstr(&without_proof));
	HMAC(EVP_sha256(), stored, 32, (const unsigned char *)auth.data, auth.len,
	     sig, &len);
	unsigned char proof[32];
	for (int i = 0; i < 32; i++)
		proof[i] = client_key[i] ^ sig[i];
	char proof_b64[64];
	EVP_EncodeBlock((unsigned char *)proof_b64, proof, 32);
	buf_printf(out, "%s,p=%s", buf_cstr(&without_proof), proof_b64);
	buf_free(&without_proof);
	buf_free(&auth);
}

#endif
