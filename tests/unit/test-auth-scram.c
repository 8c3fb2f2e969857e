#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/scram.h"
#include "core/buf.h"
#include "test-auth-scram-client.h"

/* RFC 7677 section 3 */
#define RFC_SALT_B64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CLIENT_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SUFFIX "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_NONCE "rOprNGfwEbeRWgbNEkqO" RFC_SUFFIX
#define RFC_SERVER_FIRST "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096"
#define RFC_CLIENT_FINAL "c=biws,r=" RFC_NONCE \
	",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void rfc_credentials(struct scram_credentials *creds)
{
	unsigned char salt[64];
	size_t salt_len = scram_test_b64_decode(RFC_SALT_B64, salt);
	assert_int_equal(scram_credentials_derive_salt("pencil", salt, salt_len,
						       4096, creds), 0);
}

/* Runs client-first and server-first; returns the server. */
static struct scram_server *start(const char *client_first,
				  const struct scram_credentials *creds,
				  bool known, struct buf *server_first)
{
	struct scram_server *s = scram_server_new();
	const char *error = NULL;
	scram_server_set_nonce_suffix(s, RFC_SUFFIX);
	assert_int_equal(scram_server_client_first(s, client_first,
						   strlen(client_first), &error), 0);
	assert_int_equal(scram_server_server_first(s, creds, known, server_first), 0);
	return s;
}

static int finish(struct scram_server *s, const char *client_final,
		  struct buf *out, const char **error_r)
{
	return scram_server_client_final(s, client_final, strlen(client_final),
					 out, error_r);
}

static void test_rfc7677_vector(void **state)
{
	(void)state;
	struct scram_credentials creds;
	struct buf out = BUF_INIT;
	const char *error = NULL;

	rfc_credentials(&creds);
	struct scram_server *s = start(RFC_CLIENT_FIRST, &creds, true, &out);
	assert_string_equal(scram_server_username(s), "user");
	assert_string_equal(buf_cstr(&out), RFC_SERVER_FIRST);
	buf_reset(&out);
	assert_int_equal(finish(s, RFC_CLIENT_FINAL, &out, &error), 0);
	assert_string_equal(buf_cstr(&out), RFC_SERVER_FINAL);
	scram_server_free(&s);
	assert_null(s);
	buf_free(&out);
}

static void expect_final_fails(const char *client_final, const char *reason)
{
	struct scram_credentials creds;
	struct buf out = BUF_INIT;
	const char *error = NULL;

	rfc_credentials(&creds);
	struct scram_server *s = start(RFC_CLIENT_FIRST, &creds, true, &out);
	buf_reset(&out);
	assert_int_equal(finish(s, client_final, &out, &error), -1);
	assert_string_equal(error, reason);
	assert_int_equal(out.len, 0);
	scram_server_free(&s);
	buf_free(&out);
}

static void test_wrong_proof(void **state)
{
	(void)state;
	expect_final_fails("c=biws,r=" RFC_NONCE
			   ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=",
			   "invalid proof");
	/* proof of the wrong length */
	expect_final_fails("c=biws,r=" RFC_NONCE ",p=dHzbZapW", "invalid proof encoding");
	expect_final_fails("c=biws,r=" RFC_NONCE ",p=", "invalid proof encoding");
	expect_final_fails("c=biws,r=" RFC_NONCE ",p=!!!!", "invalid proof encoding");
	expect_final_fails("c=biws,r=" RFC_NONCE, "missing proof");
	expect_final_fails("", "missing proof");
}

static void test_tampered_nonce(void **state)
{
	(void)state;
	/* client nonce only, server part dropped */
	expect_final_fails("c=biws,r=rOprNGfwEbeRWgbNEkqO,"
			   "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			   "nonce mismatch");
	/* one character changed in the server part */
	expect_final_fails("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
			   "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			   "nonce mismatch");
	/* wrong channel binding: "y,," encoded although client sent "n,," */
	expect_final_fails("c=eSws,r=" RFC_NONCE
			   ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			   "channel binding mismatch");
	/* attributes out of order */
	expect_final_fails("r=" RFC_NONCE ",c=biws"
			   ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			   "channel binding mismatch");
}

static void expect_first_fails(const char *msg, size_t len, const char *reason)
{
	struct scram_server *s = scram_server_new();
	const char *error = NULL;
	assert_int_equal(scram_server_client_first(s, msg, len, &error), -1);
	if (reason != NULL)
		assert_string_equal(error, reason);
	else
		assert_non_null(error);
	scram_server_free(&s);
}

#define FIRST_FAILS(msg, reason) expect_first_fails(msg, strlen(msg), reason)

static void test_bad_client_first(void **state)
{
	(void)state;
	FIRST_FAILS("p=tls-unique,,n=user,r=abc", "channel binding not supported");
	FIRST_FAILS("p=tls-server-end-point,a=user,n=user,r=abc",
		    "channel binding not supported");
	FIRST_FAILS("x,,n=user,r=abc", "invalid gs2 header");
	FIRST_FAILS("nn,,n=user,r=abc", "invalid gs2 header");
	FIRST_FAILS("", "invalid gs2 header");
	FIRST_FAILS("n", "invalid gs2 header");
	FIRST_FAILS("n,", "invalid gs2 header");
	FIRST_FAILS("n,n=user,r=abc", "invalid authzid");
	FIRST_FAILS("n,a=,n=user,r=abc", "invalid authzid");
	FIRST_FAILS("n,a=other,n=user,r=abc", "authzid differs from username");
	FIRST_FAILS("n,,", "missing username");
	FIRST_FAILS("n,,r=abc", "missing username");
	FIRST_FAILS("n,,m=ext,n=user,r=abc", "mandatory extension not supported");
	FIRST_FAILS("n,,n=,r=abc", "invalid username encoding");
	FIRST_FAILS("n,,n=us=2Xer,r=abc", "invalid username encoding");
	FIRST_FAILS("n,,n=user=,r=abc", "invalid username encoding");
	FIRST_FAILS("n,,n=us\ter,r=abc", "control character");
	FIRST_FAILS("n,,n=\xff,r=abc", "invalid UTF-8");
	FIRST_FAILS("n,,n=user", "missing or invalid nonce");
	FIRST_FAILS("n,,n=user,r=", "missing or invalid nonce");
	FIRST_FAILS("n,,n=user,r=a b", "missing or invalid nonce");
	FIRST_FAILS("n,,n=user,x=1,r=abc", "missing or invalid nonce");
	FIRST_FAILS("n,,n=user,r=abc,", "malformed extension");
	FIRST_FAILS("n,,n=user,r=abc,1=x", "malformed extension");
	expect_first_fails("n,,n=us\0er,r=abc", 16, "NUL in message");
}

static void test_client_first_variants(void **state)
{
	(void)state;
	struct scram_credentials creds;
	const char *error = NULL;
	struct buf out = BUF_INIT;

	rfc_credentials(&creds);
	/* escapes */
	struct scram_server *s = scram_server_new();
	const char *msg = "n,,n=a=2Cb=3Dc=2c,r=abc,x=ignored";
	assert_int_equal(scram_server_client_first(s, msg, strlen(msg), &error), 0);
	assert_string_equal(scram_server_username(s), "a,b=c,");
	scram_server_free(&s);

	/* "y,," is fine: we do not offer channel binding. c= must then be
	   base64("y,,") = "eSws", and "biws" is refused. */
	s = start("y,,n=user,r=rOprNGfwEbeRWgbNEkqO", &creds, true, &out);
	buf_reset(&out);
	assert_int_equal(finish(s, "c=biws,r=" RFC_NONCE ",p=AAAA", &out, &error), -1);
	assert_string_equal(error, "channel binding mismatch");
	scram_server_free(&s);

	/* authzid equal to the user */
	s = scram_server_new();
	msg = "n,a=user,n=user,r=abc";
	assert_int_equal(scram_server_client_first(s, msg, strlen(msg), &error), 0);
	assert_string_equal(scram_server_username(s), "user");
	scram_server_free(&s);
	buf_free(&out);
}

static void test_derived_credentials_exchange(void **state)
{
	(void)state;
	struct scram_credentials creds;
	struct buf sf = BUF_INIT, cf = BUF_INIT, out = BUF_INIT;
	const char *error = NULL;

	assert_int_equal(scram_credentials_derive("s3cret", 0, &creds), 0);
	assert_int_equal(creds.iterations, SCRAM_DEFAULT_ITERATIONS);
	assert_int_equal(creds.salt_len, SCRAM_SALT_LEN);

	/* random server nonce (no injection) */
	struct scram_server *s = scram_server_new();
	const char *msg = "n,a=bob,n=bob,r=clientnonce";
	assert_int_equal(scram_server_client_first(s, msg, strlen(msg), &error), 0);
	assert_int_equal(scram_server_server_first(s, &creds, true, &sf), 0);
	assert_memory_equal(sf.data, "r=clientnonce", 13);
	assert_true(strchr(sf.data, ',') - sf.data >= 2 + 11 + 24);
	/* base64("n,a=bob,") */
	scram_test_client_final("s3cret", "bixhPWJvYiw=", "n=bob,r=clientnonce",
			 buf_cstr(&sf), &cf);
	assert_int_equal(scram_server_client_final(s, cf.data, cf.len, &out, &error), 0);
	assert_memory_equal(out.data, "v=", 2);
	scram_server_free(&s);

	/* same exchange, wrong password */
	buf_reset(&sf);
	buf_reset(&cf);
	buf_reset(&out);
	s = scram_server_new();
	assert_int_equal(scram_server_client_first(s, msg, strlen(msg), &error), 0);
	assert_int_equal(scram_server_server_first(s, &creds, true, &sf), 0);
	scram_test_client_final("s3cre", "bixhPWJvYiw=", "n=bob,r=clientnonce",
			 buf_cstr(&sf), &cf);
	assert_int_equal(scram_server_client_final(s, cf.data, cf.len, &out, &error), -1);
	assert_string_equal(error, "invalid proof");
	scram_server_free(&s);
	buf_free(&sf);
	buf_free(&cf);
	buf_free(&out);
}

static void test_unknown_user_fails_at_end(void **state)
{
	(void)state;
	struct scram_credentials fake, fake2, other;
	struct buf sf = BUF_INIT, cf = BUF_INIT, out = BUF_INIT;
	const char *error = NULL;

	scram_fake_credentials("ghost", &fake);
	scram_fake_credentials("ghost", &fake2);
	scram_fake_credentials("ghost2", &other);
	assert_memory_equal(&fake, &fake2, sizeof(fake));
	assert_memory_not_equal(fake.salt, other.salt, SCRAM_SALT_LEN);
	assert_int_equal(fake.iterations, SCRAM_DEFAULT_ITERATIONS);

	struct scram_server *s = start("n,,n=ghost,r=abc", &fake, false, &sf);
	assert_memory_equal(sf.data, "r=abc" RFC_SUFFIX ",s=", 5 + 30 + 3);
	scram_test_client_final("anything", "biws", "n=ghost,r=abc", buf_cstr(&sf), &cf);
	assert_int_equal(scram_server_client_final(s, cf.data, cf.len, &out, &error), -1);
	assert_string_equal(error, "unknown user");
	assert_int_equal(out.len, 0);
	scram_server_free(&s);

	/* Even a proof that matches the fake keys must fail: build real
	   credentials, pretend they are fake. */
	struct scram_credentials creds;
	rfc_credentials(&creds);
	buf_reset(&sf);
	s = start(RFC_CLIENT_FIRST, &creds, false, &sf);
	assert_int_equal(finish(s, RFC_CLIENT_FINAL, &out, &error), -1);
	assert_string_equal(error, "unknown user");
	scram_server_free(&s);
	buf_free(&sf);
	buf_free(&cf);
	buf_free(&out);
}

static void test_credentials_format(void **state)
{
	(void)state;
	struct scram_credentials creds, parsed;
	struct buf text = BUF_INIT;

	rfc_credentials(&creds);
	scram_credentials_format(&creds, &text);
	assert_memory_equal(text.data, "SCRAM-SHA-256$4096:" RFC_SALT_B64 "$", 19 + 24 + 1);
	assert_int_equal(scram_credentials_parse(buf_cstr(&text), &parsed), 0);
	assert_int_equal(parsed.iterations, 4096);
	assert_int_equal(parsed.salt_len, creds.salt_len);
	assert_memory_equal(parsed.salt, creds.salt, creds.salt_len);
	assert_memory_equal(parsed.stored_key, creds.stored_key, SCRAM_KEY_LEN);
	assert_memory_equal(parsed.server_key, creds.server_key, SCRAM_KEY_LEN);

	const char *bad[] = {
		"",
		"SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
		"SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
		"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
		"SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
		"SCRAM-SHA-256$4096",
		"SCRAM-SHA-256$-1:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(scram_credentials_parse(bad[i], &parsed), -1);
	/* truncate the server key: must fail */
	buf_truncate(&text, text.len - 4);
	assert_int_equal(scram_credentials_parse(buf_cstr(&text), &parsed), -1);
	buf_free(&text);
}

static void test_derive_errors(void **state)
{
	(void)state;
	struct scram_credentials a, b;
	assert_int_equal(scram_credentials_derive("pw", 4096, &a), 0);
	assert_int_equal(scram_credentials_derive("pw", 4096, &b), 0);
	assert_memory_not_equal(a.salt, b.salt, SCRAM_SALT_LEN);
	assert_int_equal(scram_credentials_derive("pw", 100, &a), -1);
	assert_int_equal(scram_credentials_derive("p\x01w", 0, &a), -1);
	assert_int_equal(scram_credentials_derive_salt("pw", "s", 0, 1, &a), -1);
	assert_int_equal(scram_credentials_derive_salt("pw", "s", 1, 0, &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7677_vector),
		cmocka_unit_test(test_wrong_proof),
		cmocka_unit_test(test_tampered_nonce),
		cmocka_unit_test(test_bad_client_first),
		cmocka_unit_test(test_client_first_variants),
		cmocka_unit_test(test_derived_credentials_exchange),
		cmocka_unit_test(test_unknown_user_fails_at_end),
		cmocka_unit_test(test_credentials_format),
		cmocka_unit_test(test_derive_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
