#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/strutil.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_casecmp(void **state)
{
	(void)state;
	assert_int_equal(str_ascii_casecmp_n(S("INBOX"), S("inbox")), 0);
	assert_true(str_ascii_casecmp_n(S("abc"), S("abd")) < 0);
	assert_true(str_ascii_casecmp_n(S("ABD"), S("abc")) > 0);
	assert_true(str_ascii_casecmp_n(S("ab"), S("abc")) < 0);
	assert_true(str_ascii_casecmp_n(S("abc"), S("AB")) > 0);
	assert_int_equal(str_ascii_casecmp_n(S(""), S("")), 0);
	/* Only ASCII letters fold: '[' (0x5b) is not 'z'+1 folded. */
	assert_true(str_ascii_casecmp_n(S("["), S("{")) != 0);
	/* 8-bit bytes compare unsigned and are not folded. */
	assert_true(str_ascii_casecmp_n(S("\xc3\x84"), S("\xc3\xa4")) < 0);
	assert_true(str_ascii_casecmp_n(S("\x80"), S("a")) > 0);
	/* Embedded NUL is an ordinary byte. */
	assert_true(str_ascii_casecmp_n(S("a\0b"), S("a\0c")) < 0);
	assert_true(str_ascii_caseeq_n(S("Seen"), S("SEEN")));
	assert_false(str_ascii_caseeq_n(S("Seen"), S("SEENx")));
}

static void test_casefind(void **state)
{
	(void)state;
	const char hay[] = "Subject: Hello World";
	const char *p = str_ascii_casefind(S(hay), S("WORLD"));
	assert_non_null(p);
	assert_int_equal(p - hay, 15);
	assert_ptr_equal(str_ascii_casefind(S(hay), S("subject")), hay);
	assert_null(str_ascii_casefind(S(hay), S("worlds")));
	assert_null(str_ascii_casefind(S(hay), S("xyz")));
	assert_ptr_equal(str_ascii_casefind(S(hay), S("")), hay);
	assert_null(str_ascii_casefind(S("ab"), S("abc")));
	/* Match at the very end and after a partial match. */
	p = str_ascii_casefind(S("aaab"), S("AAB"));
	assert_non_null(p);
	assert_string_equal(p, "aab");
	/* The haystack length bounds the search, not a NUL. */
	assert_null(str_ascii_casefind("hello", 4, S("lo")));
	const char nul_hay[] = "x\0yZ";
	p = str_ascii_casefind(S(nul_hay), S("\0Yz"));
	assert_ptr_equal(p, nul_hay + 1);
}

static void test_to_u32(void **state)
{
	(void)state;
	uint32_t v = 7;
	assert_int_equal(str_to_u32(S("0"), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_u32(S("4294967295"), &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(str_to_u32(S("00042"), &v), 0);
	assert_int_equal(v, 42);
	v = 7;
	assert_int_equal(str_to_u32(S("4294967296"), &v), -1);
	assert_int_equal(str_to_u32(S("99999999999999999999999"), &v), -1);
	assert_int_equal(str_to_u32(S(""), &v), -1);
	assert_int_equal(str_to_u32(S("-1"), &v), -1);
	assert_int_equal(str_to_u32(S("+1"), &v), -1);
	assert_int_equal(str_to_u32(S(" 1"), &v), -1);
	assert_int_equal(str_to_u32(S("1 "), &v), -1);
	assert_int_equal(str_to_u32(S("12a"), &v), -1);
	assert_int_equal(v, 7);
	/* len bounds the parse. */
	assert_int_equal(str_to_u32("123abc", 3, &v), 0);
	assert_int_equal(v, 123);
}

static void test_to_u64(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_int_equal(str_to_u64(S("18446744073709551615"), &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(str_to_u64(S("18446744073709551616"), &v), -1);
	assert_int_equal(str_to_u64(S("18446744073709551620"), &v), -1);
	assert_int_equal(str_to_u64(S("184467440737095516150"), &v), -1);
	assert_int_equal(str_to_u64(S("4294967296"), &v), 0);
	assert_true(v == 4294967296ULL);
	assert_int_equal(str_to_u64(S("0x10"), &v), -1);
}

static void test_ends_with(void **state)
{
	(void)state;
	assert_true(str_ends_with(S("message.eml"), S(".eml")));
	assert_true(str_ends_with(S("abc"), S("")));
	assert_true(str_ends_with(S("abc"), S("abc")));
	assert_false(str_ends_with(S("bc"), S("abc")));
	assert_false(str_ends_with(S("abc"), S("ABC")));
	assert_false(str_ends_with(S("abcd"), S("abc")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_casecmp),
		cmocka_unit_test(test_casefind),
		cmocka_unit_test(test_to_u32),
		cmocka_unit_test(test_to_u64),
		cmocka_unit_test(test_ends_with),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
