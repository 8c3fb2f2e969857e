#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "imap/list-match.h"

static bool match(const char *pattern, const char *name)
{
	struct list_match m;
	list_match_init(&m, pattern, strlen(pattern), '/');
	bool r = list_match_name(&m, name, strlen(name));
	list_match_deinit(&m);
	return r;
}

static void test_literal(void **state)
{
	(void)state;
	assert_true(match("foo", "foo"));
	assert_false(match("foo", "fo"));
	assert_false(match("foo", "fooo"));
	assert_false(match("foo", "Foo"));
	assert_true(match("a/b", "a/b"));
	assert_true(match("", ""));
	assert_false(match("", "a"));
}

static void test_star(void **state)
{
	(void)state;
	assert_true(match("*", ""));
	assert_true(match("*", "a/b/c"));
	assert_true(match("a*", "a"));
	assert_true(match("a*", "a/b"));
	assert_true(match("*b", "a/b"));
	assert_false(match("*b", "a/c"));
	assert_true(match("a*c", "a/b/c"));
	assert_true(match("a**c", "abc"));
	assert_true(match("*a*", "xxaxx"));
	assert_false(match("*a*", "xxbxx"));
	/* RFC 3501 6.3.8 example: "foo*" matches foo, foo/bar, foobar. */
	assert_true(match("foo*", "foo"));
	assert_true(match("foo*", "foo/bar"));
	assert_true(match("foo*", "foobar"));
}

static void test_percent(void **state)
{
	(void)state;
	assert_true(match("%", "abc"));
	assert_true(match("%", ""));
	assert_false(match("%", "a/b"));
	assert_true(match("%/%", "a/b"));
	assert_false(match("%/%", "a/b/c"));
	assert_true(match("a/%", "a/b"));
	assert_false(match("a/%", "a"));
	assert_false(match("a/%", "a/b/c"));
	assert_true(match("a%c", "abc"));
	assert_false(match("a%c", "a/c"));
	/* A run holding "*" crosses levels; "%%" does not. */
	assert_true(match("a%*", "a/b/c"));
	assert_true(match("a*%", "a/b/c"));
	assert_false(match("a%%", "a/b"));
}

static void test_percent_flag(void **state)
{
	(void)state;
	struct list_match m;
	list_match_init(&m, "a/%", 3, '/');
	assert_true(list_match_has_percent(&m));
	list_match_deinit(&m);
	list_match_init(&m, "a/*", 3, '/');
	assert_false(list_match_has_percent(&m));
	list_match_deinit(&m);
	/* "%*" collapses into "*": no level-limited wildcard is left. */
	list_match_init(&m, "%*", 2, '/');
	assert_false(list_match_has_percent(&m));
	list_match_deinit(&m);
}

static void test_inbox_case(void **state)
{
	(void)state;
	assert_true(match("inbox", "INBOX"));
	assert_true(match("InBoX", "INBOX"));
	assert_true(match("in%", "INBOX"));
	assert_true(match("inbox/%", "INBOX/sub"));
	assert_true(match("i*", "INBOX/sub"));
	/* Only the INBOX component folds. */
	assert_false(match("inbox/SUB", "INBOX/sub"));
	assert_false(match("inboxes", "INBOXES"));
	assert_false(match("inbox", "INBOXES"));
	assert_false(match("x/inbox", "x/INBOX"));
}

static void test_delimiter_other(void **state)
{
	(void)state;
	struct list_match m;
	list_match_init(&m, "a.%", 3, '.');
	assert_true(list_match_name(&m, "a.b", 3));
	assert_false(list_match_name(&m, "a.b.c", 5));
	assert_true(list_match_name(&m, "a.b/c", 5));
	list_match_deinit(&m);
}

/* A backtracking matcher takes exponential time here and never finishes;
 * the state-set matcher is one pass. */
static void test_pathological(void **state)
{
	(void)state;
	char name[513];
	memset(name, 'a', 512);
	name[512] = '\0';
	assert_false(match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
	assert_false(match("%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b", name));
	assert_true(match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", name));
	name[511] = 'b';
	assert_true(match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name));

	char pattern[LIST_MATCH_MAX_PATTERN + 1];
	for (size_t i = 0; i < LIST_MATCH_MAX_PATTERN; i++)
		pattern[i] = i % 2 == 0 ? '*' : 'a';
	pattern[LIST_MATCH_MAX_PATTERN] = '\0';
	/* 512 literals: more than the 511 letters 'a' left in name. */
	assert_false(match(pattern, name));
	pattern[LIST_MATCH_MAX_PATTERN - 2] = '\0';
	assert_false(match(pattern, name));
	name[511] = 'a';
	assert_true(match(pattern, name));
}

static void test_embedded_bytes(void **state)
{
	(void)state;
	struct list_match m;
	list_match_init(&m, "a*", 2, '/');
	assert_true(list_match_name(&m, "a\0b", 3));
	list_match_deinit(&m);
	list_match_init(&m, "a\0b", 3, '/');
	assert_false(list_match_name(&m, "a", 1));
	assert_true(list_match_name(&m, "a\0b", 3));
	list_match_deinit(&m);
}

static void join(const char *ref, const char *pattern, const char *want)
{
	struct buf out = BUF_INIT;
	list_match_join(ref, strlen(ref), pattern, strlen(pattern), '/', &out);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

static void test_join(void **state)
{
	(void)state;
	join("", "%", "%");
	join("", "a/b", "a/b");
	join("a", "b", "a/b");
	join("a/", "b", "a/b");
	join("a", "/b", "a/b");
	join("a/", "/b", "a/b");
	join("a/b", "*", "a/b/*");
	join("a", "", "a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_percent_flag),
		cmocka_unit_test(test_inbox_case),
		cmocka_unit_test(test_delimiter_other),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_embedded_bytes),
		cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
