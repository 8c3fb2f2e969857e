#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth/acl-rights.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static uint32_t parse_ok(const char *s)
{
	uint32_t r = 0xdead;
	const char *error = NULL;
	assert_int_equal(acl_rights_parse(s, strlen(s), &r, &error), 0);
	return r;
}

static void assert_written(uint32_t rights, const char *expected)
{
	struct buf b = BUF_INIT;
	acl_rights_write(rights, &b);
	assert_string_equal(buf_cstr(&b), expected);
	buf_free(&b);
}

static void test_parse_all(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("lrswipkxtea"), ACL_RIGHTS_ALL);
	assert_int_equal(parse_ok(""), 0);
	assert_int_equal(parse_ok("l"), ACL_LOOKUP);
	assert_int_equal(parse_ok("rl"), ACL_LOOKUP | ACL_READ);
	assert_int_equal(parse_ok("aa"), ACL_ADMIN);
	assert_int_equal(parse_ok("t"), ACL_DELETED);
	assert_int_equal(parse_ok("x"), ACL_DELETE);
}

static void test_parse_obsolete(void **state)
{
	(void)state;
	/* RFC 4314 2.1.1: c = create (k), d = delete (x t e) here. */
	assert_int_equal(parse_ok("c"), ACL_CREATE);
	assert_int_equal(parse_ok("d"), ACL_DELETE | ACL_DELETED | ACL_EXPUNGE);
	assert_int_equal(parse_ok("lrswida"),
			 ACL_LOOKUP | ACL_READ | ACL_SEEN | ACL_WRITE |
			 ACL_INSERT | ACL_DELETE | ACL_DELETED | ACL_EXPUNGE |
			 ACL_ADMIN);
}

static void test_parse_errors(void **state)
{
	(void)state;
	uint32_t r = 7;
	const char *error = NULL;
	/* RFC 4314 3.1: uppercase and unknown rights are BAD, never ignored */
	assert_int_equal(acl_rights_parse(S("lrQswicda"), &r, &error), -1);
	assert_string_equal(error, "Uppercase rights are not allowed");
	assert_int_equal(acl_rights_parse(S("lrqswicda"), &r, &error), -1);
	assert_string_equal(error, "Unsupported right");
	assert_int_equal(acl_rights_parse(S("0"), &r, &error), -1);
	assert_int_equal(acl_rights_parse(S("l r"), &r, &error), -1);
	assert_int_equal(acl_rights_parse(S("+l"), &r, &error), -1);
	assert_int_equal(acl_rights_parse("l\0r", 3, &r, &error), -1);
	assert_int_equal(r, 7);
}

static void test_write(void **state)
{
	(void)state;
	assert_written(0, "");
	/* c and d appear whenever one of their members does (2.1.1) */
	assert_written(ACL_RIGHTS_ALL, "lrswipkxteacd");
	assert_written(ACL_LOOKUP | ACL_READ, "lr");
	assert_written(ACL_CREATE, "kc");
	assert_written(ACL_EXPUNGE, "ed");
	assert_written(parse_ok("lrswida"), "lrswixtead");
	/* RFC 4314 3.1 example: Chris lrswi +cda */
	assert_written(parse_ok("lrswicda"), "lrswikxteacd");
}

static void test_modify(void **state)
{
	(void)state;
	uint32_t r = 0;
	const char *error = NULL;
	uint32_t lr = ACL_LOOKUP | ACL_READ;
	assert_int_equal(acl_rights_modify(lr, S("+i"), &r, &error), 0);
	assert_int_equal(r, lr | ACL_INSERT);
	assert_int_equal(acl_rights_modify(lr, S("-r"), &r, &error), 0);
	assert_int_equal(r, ACL_LOOKUP);
	assert_int_equal(acl_rights_modify(lr, S("w"), &r, &error), 0);
	assert_int_equal(r, ACL_WRITE);
	assert_int_equal(acl_rights_modify(lr, S(""), &r, &error), 0);
	assert_int_equal(r, 0);
	assert_int_equal(acl_rights_modify(lr, S("+"), &r, &error), 0);
	assert_int_equal(r, lr);
	assert_int_equal(acl_rights_modify(ACL_RIGHTS_ALL, S("-d"), &r, &error), 0);
	assert_int_equal(r, ACL_RIGHTS_ALL & ~(ACL_DELETE | ACL_DELETED | ACL_EXPUNGE));
	assert_int_equal(acl_rights_modify(lr, S("+Z"), &r, &error), -1);
	assert_int_equal(acl_rights_modify(lr, S("--r"), &r, &error), -1);
}

static void test_resolve(void **state)
{
	(void)state;
	const struct acl_entry acl[] = {
		{ "bob", ACL_LOOKUP | ACL_READ | ACL_WRITE },
		{ "anyone", ACL_LOOKUP | ACL_INSERT },
		{ "-bob", ACL_WRITE | ACL_INSERT },
		{ "carol", ACL_ADMIN },
		{ "-anyone", ACL_ADMIN },
	};
	size_t n = sizeof(acl) / sizeof(acl[0]);
	/* bob: (lrw | li) - (wi) = lr */
	assert_int_equal(acl_rights_resolve(acl, n, "bob"), ACL_LOOKUP | ACL_READ);
	assert_int_equal(acl_rights_resolve(acl, n, "BOB"), ACL_LOOKUP | ACL_READ);
	/* carol: a removed by -anyone, keeps anyone's li */
	assert_int_equal(acl_rights_resolve(acl, n, "carol"), ACL_LOOKUP | ACL_INSERT);
	assert_int_equal(acl_rights_resolve(acl, n, "dave"), ACL_LOOKUP | ACL_INSERT);
	assert_int_equal(acl_rights_resolve(acl, 0, "bob"), 0);
	/* a negative entry alone grants nothing; "-bobby" is not "-bob" */
	const struct acl_entry neg[] = {
		{ "-bob", ACL_READ },
		{ "bobby", ACL_READ },
	};
	assert_int_equal(acl_rights_resolve(neg, 2, "bob"), 0);
	assert_int_equal(acl_rights_resolve(neg, 2, "bobby"), ACL_READ);
	assert_true(acl_identifier_is_negative("-bob"));
	assert_false(acl_identifier_is_negative("bob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_parse_obsolete),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_modify),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
