/* RFC 5322 address syntax (incl. obsolete forms) as ENVELOPE lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/imap-envelope.h"
#include "test-mail-corpus.h"

static void check(const char *value, const char *expected)
{
	struct buf out = BUF_INIT;
	mail_envelope_write_addresses(value, strlen(value), &out);
	if (strcmp(buf_cstr(&out), expected) != 0) {
		fprintf(stderr, "input: %s\nexpected: %s\n     got: %s\n",
			value, expected, buf_cstr(&out));
		fail();
	}
	buf_free(&out);
}

static void test_addresses(void **state)
{
	(void)state;
	check("", "NIL");
	check("  ", "NIL");
	check("a@b.c", "((NIL NIL \"a\" \"b.c\"))");
	check("Name <a@b.c>", "((\"Name\" NIL \"a\" \"b.c\"))");
	check("\"Last, First\" <a@b.c>", "((\"Last, First\" NIL \"a\" \"b.c\"))");
	check("\"q\\\"x\" <a@b.c>", "((\"q\\\"x\" NIL \"a\" \"b.c\"))");
	check("John Q. Public <jqp@x.org>",
	      "((\"John Q. Public\" NIL \"jqp\" \"x.org\"))");
	/* comments dropped; "addr (Name)" gives the name */
	check("a@b.c (Real Name)", "((\"Real Name\" NIL \"a\" \"b.c\"))");
	check("Name (c1) <a(c2)@b.c>", "((\"Name\" NIL \"a\" \"b.c\"))");
	/* obsolete local part with spaces around the dot, empty members */
	check("john . doe @ example.com,, ,x@y",
	      "((NIL NIL \"john.doe\" \"example.com\")(NIL NIL \"x\" \"y\"))");
	check("\"quoted local\"@example.com",
	      "((NIL NIL \"quoted local\" \"example.com\"))");
	check("<@a.net,@b.net:u@c.net>",
	      "((NIL \"@a.net,@b.net\" \"u\" \"c.net\"))");
	check("a@[127.0.0.1]", "((NIL NIL \"a\" \"[127.0.0.1]\"))");
	check("Team: a@b.c, C <c@d.e>;",
	      "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"b.c\")"
	      "(\"C\" NIL \"c\" \"d.e\")(NIL NIL NIL NIL))");
	/* a group without ";" is closed at the end */
	check("G: a@b.c", "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b.c\")(NIL NIL NIL NIL))");
	/* no domain: "" rather than NIL, which would mean a group */
	check("localonly", "((NIL NIL \"localonly\" \"\"))");
	check("<>", "((NIL NIL \"\" \"\"))");
	check(",;<>@:", "((NIL NIL \"\" \"\"))");
}

static void test_envelope_defaults(void **state)
{
	(void)state;
	const char hdr[] = "From: a@b.c\r\nSender:\r\nReply-To: r@b.c\r\n"
			   "Subject:  folded\r\n subject \r\n"
			   "In-Reply-To: <x@y>\r\n\r\n";
	struct buf out = BUF_INIT;
	mail_envelope_write(hdr, sizeof(hdr) - 1, &out);
	/* RFC 3501 7.4.2: an empty Sender is replaced by From */
	assert_buf_equal(&out,
		"(NIL \"folded subject\" ((NIL NIL \"a\" \"b.c\")) "
		"((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"r\" \"b.c\")) "
		"NIL NIL NIL \"<x@y>\" NIL)");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_envelope_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
