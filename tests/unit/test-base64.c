#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/base64.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* RFC 4648 section 10 test vectors. */
static const struct {
	const char *plain, *encoded;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_encode_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b = BUF_INIT;
		base64_encode(vectors[i].plain, strlen(vectors[i].plain), &b);
		assert_string_equal(buf_cstr(&b), vectors[i].encoded);
		buf_free(&b);
	}
}

static void test_encode_appends(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_append_str(&b, "AUTH ");
	base64_encode(S("\0user\0pass"), &b);
	assert_string_equal(buf_cstr(&b), "AUTH AHVzZXIAcGFzcw==");
	buf_free(&b);
}

static void test_decode_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b = BUF_INIT;
		const char *enc = vectors[i].encoded;
		assert_int_equal(base64_decode(enc, strlen(enc), &b), 0);
		assert_int_equal(b.len, strlen(vectors[i].plain));
		assert_memory_equal(buf_cstr(&b), vectors[i].plain, b.len);
		buf_reset(&b);
		base64_decode_mime(enc, strlen(enc), &b);
		assert_int_equal(b.len, strlen(vectors[i].plain));
		assert_memory_equal(buf_cstr(&b), vectors[i].plain, b.len);
		buf_free(&b);
	}
}

static void test_round_trip_binary(void **state)
{
	(void)state;
	unsigned char all[256 + 2];
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof(all); len++) {
		struct buf enc = BUF_INIT, dec = BUF_INIT;
		base64_encode(all, len, &enc);
		assert_int_equal(enc.len, (len + 2) / 3 * 4);
		assert_int_equal(base64_decode(enc.data, enc.len, &dec), 0);
		assert_int_equal(dec.len, len);
		if (len > 0)
			assert_memory_equal(dec.data, all, len);
		buf_free(&enc);
		buf_free(&dec);
	}
}

static void test_decode_strict_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg",          /* padding missing */
		"Zg=",         /* incomplete padding */
		"Zm9vYg",      /* no padding */
		"Zm9v\r\nYmFy", /* line break */
		"Zm9v YmFy",   /* space */
		"Zm=v",        /* '=' in the middle of a group */
		"Zg==Zm9v",    /* data after padding */
		"=Zg=",        /* leading padding */
		"Zg===",       /* too much padding */
		"Zh==",        /* non-zero pad bits (RFC 4648 3.5) */
		"Zm9=",        /* non-zero pad bits, one '=' */
		"Zm9v!mFy",    /* character outside the alphabet */
		"Zm9v\x80mFy", /* 8-bit byte */
		"Zm-_",        /* URL-safe alphabet is not accepted */
		"====",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		if (base64_decode(bad[i], strlen(bad[i]), &b) != -1)
			fail_msg("accepted bad input '%s'", bad[i]);
		buf_free(&b);
	}
	/* An embedded NUL is bad input, not the end of the string. */
	struct buf b = BUF_INIT;
	assert_int_equal(base64_decode(S("Zm9v\0mFy"), &b), -1);
	buf_free(&b);
}

static void test_decode_mime_lenient(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	/* Line breaks and stray spaces are skipped (RFC 2045 6.8). */
	base64_decode_mime(S("Zm9v\r\nYmFy\r\n"), &b);
	assert_string_equal(buf_cstr(&b), "foobar");
	buf_reset(&b);
	base64_decode_mime(S(" Z m 9 v Y m E = \r\n"), &b);
	assert_string_equal(buf_cstr(&b), "fooba");
	/* Decoding stops at the first '='; what follows is ignored. */
	buf_reset(&b);
	base64_decode_mime(S("Zm8=Zm9v"), &b);
	assert_string_equal(buf_cstr(&b), "fo");
	/* Missing padding: whole bytes still come out. */
	buf_reset(&b);
	base64_decode_mime(S("Zm9vYg"), &b);
	assert_string_equal(buf_cstr(&b), "foob");
	buf_reset(&b);
	base64_decode_mime(S("Zm9vYmE"), &b);
	assert_string_equal(buf_cstr(&b), "fooba");
	/* A lone trailing character holds no whole byte. */
	buf_reset(&b);
	base64_decode_mime(S("Zm9vY"), &b);
	assert_string_equal(buf_cstr(&b), "foo");
	/* Garbage characters are skipped, not fatal. */
	buf_reset(&b);
	base64_decode_mime(S("Zm!9v\x80\x01Ym*Fy"), &b);
	assert_string_equal(buf_cstr(&b), "foobar");
	/* Nothing decodable: nothing appended, no failure. */
	buf_reset(&b);
	base64_decode_mime(S("!!!\r\n"), &b);
	assert_int_equal(b.len, 0);
	/* Appends. */
	buf_reset(&b);
	buf_append_str(&b, ">");
	base64_decode_mime(S("Zm9v"), &b);
	assert_string_equal(buf_cstr(&b), ">foo");
	buf_free(&b);
}

static void test_mime_long_body(void **state)
{
	(void)state;
	unsigned char data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ (i >> 3));
	struct buf enc = BUF_INIT, wrapped = BUF_INIT, dec = BUF_INIT;
	base64_encode(data, sizeof(data), &enc);
	/* Wrap at 76 characters as MIME writers do. */
	for (size_t i = 0; i < enc.len; i += 76) {
		size_t n = enc.len - i < 76 ? enc.len - i : 76;
		buf_append(&wrapped, enc.data + i, n);
		buf_append_str(&wrapped, "\r\n");
	}
	base64_decode_mime(wrapped.data, wrapped.len, &dec);
	assert_int_equal(dec.len, sizeof(data));
	assert_memory_equal(dec.data, data, sizeof(data));
	/* The strict decoder refuses the wrapped form. */
	buf_reset(&dec);
	assert_int_equal(base64_decode(wrapped.data, wrapped.len, &dec), -1);
	buf_free(&enc);
	buf_free(&wrapped);
	buf_free(&dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_encode_appends),
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_round_trip_binary),
		cmocka_unit_test(test_decode_strict_rejects),
		cmocka_unit_test(test_decode_mime_lenient),
		cmocka_unit_test(test_mime_long_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
