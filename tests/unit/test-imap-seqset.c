#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "imap/seqset.h"

/* Parses s and returns its ranges formatted back, or "ERR: reason". */
static void parse_fmt(const char *s, struct buf *out)
{
	struct seqset set;
	const char *error = NULL;
	buf_reset(out);
	if (seqset_parse(s, strlen(s), &set, &error) < 0) {
		assert_non_null(error);
		assert_null(set.ranges);
		assert_int_equal(set.count, 0);
		buf_printf(out, "ERR: %s", error);
		return;
	}
	seqset_format(out, &set);
	seqset_free(&set);
}

#define PARSE(in, want) do { \
		parse_fmt(in, &out); \
		assert_string_equal(buf_cstr(&out), want); \
	} while (0)

static void test_parse(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	PARSE("1", "1");
	PARSE("1:5,7,*,10:*", "1:5,7,*,10:*");
	PARSE("5:2", "2:5");
	PARSE("*:4", "4:*");
	PARSE("*:*", "*");
	PARSE("3:3", "3");
	PARSE("4294967294", "4294967294");
	PARSE("1:4294967295", "1:*");
	PARSE("1,1,1", "1,1,1");
	PARSE("", "ERR: Empty sequence set");
	PARSE("0", "ERR: Invalid number 0 in sequence set");
	PARSE("1:0", "ERR: Invalid number 0 in sequence set");
	PARSE("01", "ERR: Invalid number 0 in sequence set");
	PARSE("4294967296", "ERR: Number too large in sequence set");
	PARSE("99999999999999999999999", "ERR: Number too large in sequence set");
	PARSE("1,", "ERR: Empty element in sequence set");
	PARSE(",1", "ERR: Empty element in sequence set");
	PARSE("1,,2", "ERR: Empty element in sequence set");
	PARSE("1:", "ERR: Empty element in sequence set");
	PARSE(":3", "ERR: Empty element in sequence set");
	PARSE("1:2:3", "ERR: Invalid character in sequence set");
	PARSE("$", "ERR: Invalid character in sequence set");
	PARSE("+1", "ERR: Invalid character in sequence set");
	PARSE("-1", "ERR: Invalid character in sequence set");
	PARSE("1 ", "ERR: Invalid character in sequence set");
	PARSE("1a", "ERR: Invalid character in sequence set");
	PARSE("**", "ERR: Invalid character in sequence set");
	buf_free(&out);

	/* no NUL needed: only len bytes are read */
	struct seqset set;
	const char *error;
	assert_int_equal(seqset_parse("12,", 2, &set, &error), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.ranges[0].lo, 12);
	seqset_free(&set);
}

static void test_contains(void **state)
{
	(void)state;
	struct seqset set;
	const char *error;
	assert_int_equal(seqset_parse("2:4,10:*", 8, &set, &error), 0);
	assert_false(seqset_contains(&set, 1, 20));
	assert_true(seqset_contains(&set, 2, 20));
	assert_true(seqset_contains(&set, 4, 20));
	assert_false(seqset_contains(&set, 5, 20));
	assert_true(seqset_contains(&set, 10, 20));
	assert_true(seqset_contains(&set, 20, 20));
	assert_false(seqset_contains(&set, 21, 20));
	/* RFC 3501 6.4.8: 10:* with the largest number 7 means 7:10 */
	assert_true(seqset_contains(&set, 7, 7));
	assert_false(seqset_contains(&set, 6, 7));
	seqset_free(&set);

	assert_int_equal(seqset_parse("*", 1, &set, &error), 0);
	assert_true(seqset_contains(&set, 9, 9));
	assert_false(seqset_contains(&set, 8, 9));
	assert_false(seqset_contains(&set, 1, 0));
	seqset_free(&set);
}

static void test_normalize_and_resolve(void **state)
{
	(void)state;
	struct seqset set;
	const char *error;
	struct buf out = BUF_INIT;
	const char *in = "9,1:3,4,7:8,2,20:*,15";
	assert_int_equal(seqset_parse(in, strlen(in), &set, &error), 0);
	seqset_normalize(&set);
	seqset_format(&out, &set);
	assert_string_equal(buf_cstr(&out), "1:4,7:9,15,20:*");

	seqset_resolve(&set, 17, 17);
	buf_reset(&out);
	seqset_format(&out, &set);
	/* 20:* with star 17 is 17:20, clipped to 17 */
	assert_string_equal(buf_cstr(&out), "1:4,7:9,15,17");
	assert_int_equal(seqset_count(&set), 9);
	seqset_free(&set);

	/* an empty mailbox: "1:*" resolves to nothing */
	assert_int_equal(seqset_parse("1:*", 3, &set, &error), 0);
	seqset_resolve(&set, 0, 0);
	assert_int_equal(set.count, 0);
	assert_int_equal(seqset_count(&set), 0);
	seqset_free(&set);

	/* merging up to UINT32_MAX must not wrap */
	seqset_init(&set);
	seqset_add_range(&set, 4294967290U, UINT32_MAX);
	seqset_add_range(&set, 5, 1);
	seqset_add_range(&set, 6, 6);
	seqset_normalize(&set);
	buf_reset(&out);
	seqset_format(&out, &set);
	assert_string_equal(buf_cstr(&out), "1:6,4294967290:*");
	seqset_resolve(&set, UINT32_MAX - 1, UINT32_MAX);
	assert_int_equal(seqset_count(&set), 6 + 5);
	seqset_free(&set);
	buf_free(&out);
}

static void test_iterate(void **state)
{
	(void)state;
	struct seqset set;
	const char *error;
	const char *in = "3,1:2,8:*";
	assert_int_equal(seqset_parse(in, strlen(in), &set, &error), 0);
	struct seqset_iter it;
	uint32_t n, got[16];
	size_t count = 0;
	seqset_iter_init(&it, &set, 10, 9);
	while (seqset_iter_next(&it, &n)) {
		assert_true(count < 16);
		got[count++] = n;
	}
	/* stored order, * = 10, clipped at 9 */
	uint32_t want[] = { 3, 1, 2, 8, 9 };
	assert_int_equal(count, 5);
	assert_memory_equal(got, want, sizeof(want));
	seqset_free(&set);

	/* a huge range iterates lazily and stops at max */
	assert_int_equal(seqset_parse("1:4294967295", 12, &set, &error), 0);
	seqset_iter_init(&it, &set, 5, 3);
	count = 0;
	while (seqset_iter_next(&it, &n))
		count++;
	assert_int_equal(count, 3);
	/* the top of the range ends cleanly, without wrapping to 0 */
	seqset_free(&set);
	seqset_init(&set);
	seqset_add_range(&set, UINT32_MAX - 1, UINT32_MAX - 1);
	seqset_add_range(&set, UINT32_MAX, UINT32_MAX);
	seqset_iter_init(&it, &set, UINT32_MAX, UINT32_MAX);
	count = 0;
	while (seqset_iter_next(&it, &n)) {
		assert_true(n >= UINT32_MAX - 1);
		count++;
	}
	assert_int_equal(count, 2);
	seqset_free(&set);

	/* empty set */
	seqset_iter_init(&it, &set, 5, 5);
	assert_false(seqset_iter_next(&it, &n));
}

static void test_format_array(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	uint32_t a[] = { 1, 2, 3, 7 };
	seqset_format_array(&out, a, 4);
	assert_string_equal(buf_cstr(&out), "1:3,7");
	buf_reset(&out);
	uint32_t b[] = { 3, 2, 5, 6, 9, 10, 11 };
	seqset_format_array(&out, b, 7);
	assert_string_equal(buf_cstr(&out), "3,2,5:6,9:11");
	buf_reset(&out);
	uint32_t c[] = { UINT32_MAX, 1 };
	seqset_format_array(&out, c, 2);
	assert_string_equal(buf_cstr(&out), "4294967295,1");
	buf_reset(&out);
	seqset_format_array(&out, NULL, 0);
	assert_string_equal(buf_cstr(&out), "");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_normalize_and_resolve),
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_format_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
