/* Base subject extraction (RFC 5256 2.1) and msg-id normalization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imap/sort.h"

static void check(const char *subject, const char *base, bool reply)
{
	struct buf out = BUF_INIT;
	bool is_reply = !reply;
	mail_base_subject(subject, strlen(subject), &out, &is_reply);
	assert_string_equal(buf_cstr(&out), base);
	assert_int_equal(is_reply, reply);
	buf_free(&out);
}

static void test_plain(void **state)
{
	(void)state;
	check("hello", "hello", false);
	check("", "", false);
	check("  hello   world\t ", "hello world", false);
	check("hello\r\n world", "hello world", false);
	/* "Ref:" is not "re" + ":" */
	check("Ref: x", "Ref: x", false);
	check("Reply to this", "Reply to this", false);
}

static void test_refwd(void **state)
{
	(void)state;
	check("Re: hello", "hello", true);
	check("RE: re: Fwd: hello", "hello", true);
	check("Fw: hello", "hello", true);
	check("FWD : hello", "hello", true);
	check("Re[2]: hi", "hi", true);
	check("Re [list]: hi", "hi", true);
	check("re: ", "", true);
}

static void test_blobs(void **state)
{
	(void)state;
	/* step (4): a leading blob goes only when something remains */
	check("[list] hello", "hello", false);
	check("[list]", "[list]", false);
	check("[a][b] hello", "hello", false);
	check("[list] Re: hello", "hello", true);
	check("Re: [list] Re: hello", "hello", true);
	check("[list] [other]", "[other]", false);
}

static void test_trailers_and_fwd(void **state)
{
	(void)state;
	check("hello (fwd)", "hello", true);
	check("hello (FWD) (fwd)  ", "hello", true);
	check("[fwd: hello]", "hello", true);
	check("[Fwd: Re: hello (fwd)]", "hello", true);
	check("[fwd: [fwd: x]]", "x", true);
	/* no closing "]": not a subj-fwd */
	check("[fwd: hello", "[fwd: hello", false);
}

static void test_encoded_words(void **state)
{
	(void)state;
	check("=?UTF-8?Q?Re=3A_caf=C3=A9?=", "caf\xc3\xa9", true);
	check("=?ISO-8859-1?Q?Re:_na=EFve?=", "na\xc3\xafve", true);
	check("Re: =?UTF-8?B?aGVsbG8=?= world", "hello world", true);
}

static void test_msgids(void **state)
{
	(void)state;
	char **ids = NULL;
	size_t n = 0;
	const char *refs = "<a@x> junk <\"b c\"@y>\r\n <nodomain> <d@z>";
	assert_int_equal(mail_msgids_parse(refs, strlen(refs), 10, &ids, &n), 3);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "<a@x>");
	assert_string_equal(ids[1], "<bc@y>");
	assert_string_equal(ids[2], "<d@z>");
	/* max is respected */
	assert_int_equal(mail_msgids_parse(refs, strlen(refs), 1, &ids, &n), 1);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void test_casemap(void **state)
{
	(void)state;
	assert_int_equal(sort_casemap_cmp("Hello", "hELLO"), 0);
	assert_true(sort_casemap_cmp("a", "B") < 0);
	assert_true(sort_casemap_cmp("ab", "a") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_refwd),
		cmocka_unit_test(test_blobs),
		cmocka_unit_test(test_trailers_and_fwd),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_msgids),
		cmocka_unit_test(test_casemap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
