#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "imap/command.h"
#include "imap/session-private.h"

static void test_table_sorted_for_bsearch(void **state)
{
	(void)state;
	assert_true(command_table_is_sorted());
}

static void test_find(void **state)
{
	(void)state;
	assert_non_null(command_find("LOGIN"));
	assert_non_null(command_find("UID FETCH"));
	assert_non_null(command_find("XQUIREVERSION"));
	assert_null(command_find("login"));	/* the parser uppercases */
	assert_null(command_find("XNOSUCH"));
	assert_null(command_find(""));
	const struct command_def *fetch = command_find("FETCH");
	assert_true(fetch->flags & COMMAND_FLAG_USES_SEQS);
	assert_false(command_find("UID FETCH")->flags & COMMAND_FLAG_USES_SEQS);
	assert_int_equal(command_find("LOGIN")->states, SESSION_NOT_AUTHENTICATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted_for_bsearch),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
