#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "imap/mailbox-name.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static enum mailbox_name_status check(const char *name, size_t len,
				      enum mailbox_name_kind kind)
{
	const char *error = NULL;
	enum mailbox_name_status st = mailbox_name_check(name, len, kind, &error);
	if (st == MAILBOX_NAME_OK)
		assert_null(error);
	else
		assert_non_null(error);
	return st;
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(check(S("INBOX"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S("a/b/c"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S("a/"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S("Tom &- Jerry"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	/* Japanese, RFC 3501 5.1.3 style. */
	assert_int_equal(check(S("&ZeVnLIqe-"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
			       MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S("[Gmail]"), MAILBOX_NAME_NEW), MAILBOX_NAME_OK);
	assert_int_equal(check(S(""), MAILBOX_NAME_EXISTING), MAILBOX_NAME_OK);
	/* Wildcards and empty levels may name nothing, but are not BAD. */
	assert_int_equal(check(S("a*"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_OK);
	assert_int_equal(check(S("a//b"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_OK);
}

static void test_bad_encoding(void **state)
{
	(void)state;
	/* Unterminated shift, consecutive shifts, bare '&'. */
	assert_int_equal(check(S("&Jjo"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("&AGE-&AGE-"), MAILBOX_NAME_NEW), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("a&b"), MAILBOX_NAME_NEW), MAILBOX_NAME_BAD);
	/* Printable ASCII encoded in a shift ("&AGE-" is 'a'). */
	assert_int_equal(check(S("&AGE-"), MAILBOX_NAME_NEW), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("caf\xc3\xa9"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("a\0b"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("a\tb"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("a\x7f"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_BAD);
	assert_int_equal(check(S("a\r\nb"), MAILBOX_NAME_NEW), MAILBOX_NAME_BAD);
}

static void test_length(void **state)
{
	(void)state;
	char name[MAILBOX_NAME_MAX_LEN + 1];
	memset(name, 'x', sizeof(name));
	assert_int_equal(check(name, MAILBOX_NAME_MAX_LEN, MAILBOX_NAME_NEW),
			 MAILBOX_NAME_OK);
	assert_int_equal(check(name, MAILBOX_NAME_MAX_LEN + 1, MAILBOX_NAME_NEW),
			 MAILBOX_NAME_BAD);
	assert_int_equal(check(name, MAILBOX_NAME_MAX_LEN + 1, MAILBOX_NAME_EXISTING),
			 MAILBOX_NAME_BAD);
}

static void test_refused_new(void **state)
{
	(void)state;
	assert_int_equal(check(S(""), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("/"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a*"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a/%/b"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a//b"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("/a"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a//"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	/* U+0001 and U+0085 (C1 NEL), validly encoded but invisible. */
	assert_int_equal(check(S("a&AAE-"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a&AIU-"), MAILBOX_NAME_NEW), MAILBOX_NAME_REFUSED);
	assert_int_equal(check(S("a&AAE-"), MAILBOX_NAME_EXISTING), MAILBOX_NAME_OK);
}

static void normalized(const char *in, const char *want)
{
	struct buf out = BUF_INIT;
	buf_append_str(&out, "junk");
	mailbox_name_normalize(in, strlen(in), &out);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

static void test_normalize(void **state)
{
	(void)state;
	normalized("inbox", "INBOX");
	normalized("InBox/Sub", "INBOX/Sub");
	normalized("inboxes", "inboxes");
	normalized("a/inbox", "a/inbox");
	normalized("foo/", "foo");
	normalized("inbox/", "INBOX");
	normalized("", "");
	normalized("/", "/");
}

static void test_is_inbox(void **state)
{
	(void)state;
	assert_true(mailbox_name_is_inbox(S("inbox")));
	assert_true(mailbox_name_is_inbox(S("INBOX")));
	assert_false(mailbox_name_is_inbox(S("INBOX/a")));
	assert_false(mailbox_name_is_inbox(S("INBO")));
}

static void written(const char *name, size_t len, const char *want)
{
	struct buf out = BUF_INIT;
	mailbox_name_write(&out, name, len);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data, want, out.len);
	buf_free(&out);
}

static void test_write(void **state)
{
	(void)state;
	written(S("INBOX"), "INBOX");
	written(S("a/b"), "a/b");
	written(S("&ZeVnLIqe-"), "&ZeVnLIqe-");
	written(S("Tom Jerry"), "\"Tom Jerry\"");
	written(S("say \"hi\""), "\"say \\\"hi\\\"\"");
	written(S("[Gmail]"), "\"[Gmail]\"");
	written(S("a%"), "\"a%\"");
	written(S("NIL"), "\"NIL\"");
	written(S(""), "\"\"");
	written(S("\xc3\xa9"), "{2}\r\n\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad_encoding),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_refused_new),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_is_inbox),
		cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
