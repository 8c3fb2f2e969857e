#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "imap/flags.h"
#include "imap/parser.h"
#include "store/store.h"

static struct imap_arg atom(const char *s)
{
	struct imap_arg a;
	memset(&a, 0, sizeof(a));
	a.type = IMAP_ARG_ATOM;
	a.str = s;
	a.len = strlen(s);
	a.fd = -1;
	return a;
}

static void test_system_flags_any_case(void **state)
{
	(void)state;
	struct imap_arg args[] = { atom("\\SEEN"), atom("\\answered"),
				   atom("\\Flagged"), atom("\\Deleted"),
				   atom("\\dRaFt"), atom("\\Seen") };
	struct imap_flag_set set;
	const char *error = NULL;
	assert_int_equal(imap_flags_parse(args, 6, &set, &error), 0);
	assert_int_equal(set.flags, STORE_FLAGS_ALL);
	assert_int_equal(set.keyword_count, 0);
	imap_flag_set_free(&set);
}

static void test_keywords_deduplicated(void **state)
{
	(void)state;
	struct imap_arg args[] = { atom("$Work"), atom("\\Seen"), atom("$work"),
				   atom("Later") };
	struct imap_flag_set set;
	const char *error = NULL;
	assert_int_equal(imap_flags_parse(args, 4, &set, &error), 0);
	assert_int_equal(set.flags, STORE_FLAG_SEEN);
	assert_int_equal(set.keyword_count, 2);
	assert_string_equal(set.keywords[0], "$Work");
	assert_string_equal(set.keywords[1], "Later");
	imap_flag_set_free(&set);
	assert_null(set.keywords);
}

static void expect_bad(struct imap_arg arg, const char *reason)
{
	struct imap_flag_set set;
	const char *error = NULL;
	struct imap_arg args[] = { atom("ok"), arg };
	assert_int_equal(imap_flags_parse(args, 2, &set, &error), -1);
	assert_string_equal(error, reason);
	assert_null(set.keywords);
	assert_int_equal(set.keyword_count, 0);
}

static void test_refused(void **state)
{
	(void)state;
	expect_bad(atom("\\Recent"), "\\Recent cannot be set");
	expect_bad(atom("\\recent"), "\\Recent cannot be set");
	expect_bad(atom("\\Bogus"), "Unknown system flag");
	expect_bad(atom("\\"), "Unknown system flag");
	expect_bad(atom("NIL"), "Invalid keyword");
	expect_bad(atom("a]b"), "Invalid keyword");
	expect_bad(atom("a%b"), "Invalid keyword");
	expect_bad(atom(""), "Invalid keyword");
	char longer[STORE_KEYWORD_MAX_LEN + 2];
	memset(longer, 'k', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	expect_bad(atom(longer), "Invalid keyword");
	longer[STORE_KEYWORD_MAX_LEN] = '\0';
	struct imap_arg max = atom(longer);
	struct imap_flag_set set;
	const char *error = NULL;
	assert_int_equal(imap_flags_parse(&max, 1, &set, &error), 0);
	imap_flag_set_free(&set);

	struct imap_arg quoted = atom("Seen");
	quoted.type = IMAP_ARG_QUOTED;
	expect_bad(quoted, "Flags must be atoms");
}

static void test_list(void **state)
{
	(void)state;
	struct imap_arg elems[] = { atom("\\Draft"), atom("x") };
	struct imap_arg list;
	memset(&list, 0, sizeof(list));
	list.type = IMAP_ARG_LIST;
	list.list = elems;
	list.list_count = 2;
	struct imap_flag_set set;
	const char *error = NULL;
	assert_int_equal(imap_flags_parse_list(&list, &set, &error), 0);
	assert_int_equal(set.flags, STORE_FLAG_DRAFT);
	assert_int_equal(set.keyword_count, 1);
	imap_flag_set_free(&set);

	list.list_count = 0;
	assert_int_equal(imap_flags_parse_list(&list, &set, &error), 0);
	assert_int_equal(set.flags, 0);
	imap_flag_set_free(&set);

	struct imap_arg not_list = atom("\\Seen");
	assert_int_equal(imap_flags_parse_list(&not_list, &set, &error), -1);
	assert_string_equal(error, "Expected a flag list");
}

static void test_list_contains(void **state)
{
	(void)state;
	assert_true(imap_flags_list_contains("a $Work b", "$work", 5));
	assert_true(imap_flags_list_contains("a", "A", 1));
	assert_false(imap_flags_list_contains("ab", "a", 1));
	assert_false(imap_flags_list_contains("", "a", 1));
	assert_false(imap_flags_list_contains(NULL, "a", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_flags_any_case),
		cmocka_unit_test(test_keywords_deduplicated),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_contains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
