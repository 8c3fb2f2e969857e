#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth/saslprep.h"
#include "core/buf.h"

static void expect_prep(const char *in, size_t len, const char *want)
{
	struct buf out = BUF_INIT;
	const char *error = NULL;
	assert_int_equal(saslprep(in, len, &out, &error), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(buf_cstr(&out), want, out.len);
	buf_free(&out);
}

static void expect_prep_fail(const char *in, size_t len)
{
	struct buf out = BUF_INIT;
	const char *error = NULL;
	assert_int_equal(saslprep(in, len, &out, &error), -1);
	assert_non_null(error);
	buf_free(&out);
}

static void test_saslprep(void **state)
{
	(void)state;
	expect_prep("user", 4, "user");
	expect_prep("", 0, "");
	expect_prep("a b~!", 5, "a b~!");
	/* non-ASCII passes through unchanged (documented choice) */
	expect_prep("j\xc3\xb6rg \xe2\x82\xac", 9, "j\xc3\xb6rg \xe2\x82\xac");
	expect_prep("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
	/* RFC 4013 section 3 example: <U+0007> is prohibited */
	expect_prep_fail("\x07", 1);
	expect_prep_fail("a\tb", 3);
	expect_prep_fail("a\nb", 3);
	expect_prep_fail("a\0b", 3);
	expect_prep_fail("a\x7f", 2);
	expect_prep_fail("\xc2\x85", 2);          /* U+0085, C1 control */
	expect_prep_fail("\xff", 1);              /* not UTF-8 */
	expect_prep_fail("\xc3", 1);              /* truncated */
	expect_prep_fail("\xc0\xaf", 2);          /* overlong '/' */
	expect_prep_fail("\xed\xa0\x80", 3);      /* surrogate */
	expect_prep_fail("\xf4\x90\x80\x80", 4);  /* beyond U+10FFFF */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saslprep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
