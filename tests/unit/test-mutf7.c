#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/mutf7.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const struct {
	const char *mutf7, *utf8;
} pairs[] = {
	/* RFC 3501 5.1.3's example: Chinese and Japanese path components. */
	{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	  "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	/* The RFC's merged form of two adjacent shifts. */
	{ "&U,BTF2XlZyyKng-",
	  "\xe5\x8f\xb0\xe5\x8c\x97\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "&-", "&" },
	{ "Tom &- Jerry", "Tom & Jerry" },
	{ "&AOQ-", "\xc3\xa4" },
	{ "&AOQA9g-", "\xc3\xa4\xc3\xb6" },
	{ "Entw&APw-rfe", "Entw\xc3\xbcrfe" },
	{ "&AOQ-&-", "\xc3\xa4&" },       /* '&' right after a shift */
	{ "&-&AOQ-", "&\xc3\xa4" },
	{ "&2D3eAA-", "\xf0\x9f\x98\x80" }, /* surrogate pair, U+1F600 */
	{ "&AOnYPd4A-x", "\xc3\xa9\xf0\x9f\x98\x80x" },
	{ "&,AA-", "\xef\xb0\x80" },          /* ',' replaces '/' */
	{ "&AAE-", "\x01" },                  /* controls are encoded */
	{ "&AH8-", "\x7f" },
	{ "a~b\\c", "a~b\\c" },               /* '~' and '\' are direct */
};

static void test_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *m = pairs[i].mutf7, *u = pairs[i].utf8;
		struct buf b = BUF_INIT;
		if (!mutf7_valid(m, strlen(m)))
			fail_msg("'%s' should be valid", m);
		assert_int_equal(mutf7_to_utf8(m, strlen(m), &b), 0);
		assert_string_equal(buf_cstr(&b), u);
		buf_reset(&b);
		assert_int_equal(mutf7_from_utf8(u, strlen(u), &b), 0);
		assert_string_equal(buf_cstr(&b), m);
		assert_true(utf8_valid(u, strlen(u)));
		buf_free(&b);
	}
}

static void test_invalid_mutf7(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"&Jjo!",               /* RFC example: no shift back before '!' */
		"&U,BTFw-&ZeVnLIqe-",  /* RFC example: superfluous shift */
		"&AOQ-&APY-",          /* adjacent shifts must be merged */
		"&AGE-",               /* 'a' encoded: must be direct */
		"&AGE-&AGE-",
		"&ACY-",               /* '&' encoded: must be "&-" */
		"&ACA-",               /* space encoded */
		"&AOR-",               /* non-zero padding bits */
		"&AOQA-",              /* superfluous base64 character */
		"&AA-",                /* too short for one UTF-16 unit */
		"&A-",
		"&AAA-",               /* U+0000 */
		"&2D0-",               /* lone high surrogate */
		"&2D0A5A-",            /* high surrogate then U+00E4 */
		"&3gA-",               /* lone low surrogate */
		"&",                   /* unterminated */
		"abc&AOQ",             /* unterminated */
		"&/AA-",               /* '/' is not modified base64 */
		"&AO=Q-",              /* no '=' padding in modified base64 */
		"\xc3\xa4",            /* bare 8-bit */
		"a\tb",                /* bare control character */
		"a\x7f",
		"&&-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mutf7_valid(bad[i], strlen(bad[i])))
			fail_msg("'%s' accepted", bad[i]);
		struct buf b = BUF_INIT;
		buf_append_str(&b, "keep");
		assert_int_equal(mutf7_to_utf8(bad[i], strlen(bad[i]), &b), -1);
		/* Failure leaves the output as it was. */
		assert_string_equal(buf_cstr(&b), "keep");
		buf_free(&b);
	}
	/* An embedded NUL is a control byte, not the end of the name. */
	assert_false(mutf7_valid(S("IN\0BOX")));
	/* The length bounds the input: "&AOQ-" cut before '-' is open. */
	assert_false(mutf7_valid("&AOQ-", 4));
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\xc0\xaf",              /* overlong '/' */
		"\xc1\xbf",
		"\xe0\x9f\xbf",          /* overlong U+07FF */
		"\xf0\x8f\xbf\xbf",      /* overlong U+FFFF */
		"\xed\xa0\x80",          /* surrogate U+D800 */
		"\xed\xbf\xbf",          /* surrogate U+DFFF */
		"\xf4\x90\x80\x80",      /* U+110000 */
		"\xf5\x80\x80\x80",
		"\xff",
		"\x80",                  /* lone continuation */
		"\xe6\x97",              /* truncated */
		"a\xe6\x97" "b",         /* truncated, then ASCII */
		"\xc3\xc3\xa4",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("invalid UTF-8 #%zu accepted", i);
		struct buf b = BUF_INIT;
		assert_int_equal(mutf7_from_utf8(bad[i], strlen(bad[i]), &b), -1);
		assert_int_equal(b.len, 0);
		buf_free(&b);
	}
	static const char *const good[] = {
		"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(utf8_valid(good[i], strlen(good[i])));
	/* NUL is valid UTF-8 but never part of a mailbox name. */
	assert_true(utf8_valid(S("a\0b")));
	struct buf b = BUF_INIT;
	assert_int_equal(mutf7_from_utf8(S("a\0b"), &b), -1);
	buf_free(&b);
}

static size_t put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Every code point, alone and between neighbours (to vary the bit phase
 * inside a shift), survives UTF-8 -> modified UTF-7 -> UTF-8, and the
 * encoder's output always passes the validator. */
static void test_round_trip_all_code_points(void **state)
{
	(void)state;
	struct buf m = BUF_INIT, back = BUF_INIT;
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		char u[16];
		size_t n = put_utf8(u, cp);
		n += put_utf8(u + n, 0xe4);
		n += put_utf8(u + n, cp);
		buf_reset(&m);
		buf_reset(&back);
		if (mutf7_from_utf8(u, n, &m) != 0)
			fail_msg("U+%04X refused", cp);
		if (!mutf7_valid(m.data, m.len))
			fail_msg("U+%04X: own output '%s' invalid", cp, m.data);
		assert_int_equal(mutf7_to_utf8(m.data, m.len, &back), 0);
		assert_int_equal(back.len, n);
		assert_memory_equal(back.data, u, n);
	}
	buf_free(&m);
	buf_free(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_invalid_mutf7),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_round_trip_all_code_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
