#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"

static void test_append_and_consume(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_string_equal(buf_cstr(&b), "");
	buf_append_str(&b, "hello");
	buf_append_char(&b, ' ');
	buf_printf(&b, "%d-%s", 42, "x");
	assert_string_equal(buf_cstr(&b), "hello 42-x");
	buf_consume(&b, 6);
	assert_string_equal(buf_cstr(&b), "42-x");
	buf_append_u64(&b, 18446744073709551615ULL);
	assert_string_equal(buf_cstr(&b), "42-x18446744073709551615");
	buf_free(&b);
}

static void test_large_printf(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, 5001);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[5000], '>');
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_consume),
		cmocka_unit_test(test_large_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
