#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "imap/writer.h"

typedef void write_fn(struct buf *, const char *, size_t,
		      enum imap_write_flags);

static void expect(write_fn *fn, const char *s, size_t len,
		   enum imap_write_flags flags, const char *want,
		   size_t want_len)
{
	struct buf out = BUF_INIT;
	buf_append_str(&out, "<");
	fn(&out, s, len, flags);
	assert_int_equal(out.len, want_len + 1);
	assert_memory_equal(out.data + 1, want, want_len);
	buf_free(&out);
}

#define EXPECT(fn, in, flags, want) \
	expect(fn, in, sizeof(in) - 1, flags, want, sizeof(want) - 1)

static void test_astring(void **state)
{
	(void)state;
	EXPECT(imap_write_astring, "INBOX", 0, "INBOX");
	EXPECT(imap_write_astring, "a.b-c_d/e~f", 0, "a.b-c_d/e~f");
	EXPECT(imap_write_astring, "", 0, "\"\"");
	EXPECT(imap_write_astring, "NIL", 0, "\"NIL\"");
	EXPECT(imap_write_astring, "nil", 0, "\"nil\"");
	EXPECT(imap_write_astring, "NILS", 0, "NILS");
	EXPECT(imap_write_astring, "a b", 0, "\"a b\"");
	/* every atom-special forces quoting */
	EXPECT(imap_write_astring, "a(", 0, "\"a(\"");
	EXPECT(imap_write_astring, "a)", 0, "\"a)\"");
	EXPECT(imap_write_astring, "a{", 0, "\"a{\"");
	EXPECT(imap_write_astring, "a%", 0, "\"a%\"");
	EXPECT(imap_write_astring, "a*", 0, "\"a*\"");
	EXPECT(imap_write_astring, "a]", 0, "\"a]\"");
	EXPECT(imap_write_astring, "a\"b", 0, "\"a\\\"b\"");
	EXPECT(imap_write_astring, "a\\b", 0, "\"a\\\\b\"");
	EXPECT(imap_write_astring, "\t", 0, "\"\t\"");
	EXPECT(imap_write_astring, "a\x7f", 0, "\"a\x7f\"");
	/* CR, LF, NUL and 8-bit need a literal */
	EXPECT(imap_write_astring, "a\rb", 0, "{3}\r\na\rb");
	EXPECT(imap_write_astring, "a\nb", 0, "{3}\r\na\nb");
	EXPECT(imap_write_astring, "a\0b", 0, "{3}\r\na\0b");
	EXPECT(imap_write_astring, "caf\xc3\xa9", 0, "{5}\r\ncaf\xc3\xa9");
	/* UTF-8 mode quotes valid UTF-8 only */
	EXPECT(imap_write_astring, "caf\xc3\xa9", IMAP_WRITE_UTF8,
	       "\"caf\xc3\xa9\"");
	EXPECT(imap_write_astring, "caf\xc3", IMAP_WRITE_UTF8,
	       "{4}\r\ncaf\xc3");
	EXPECT(imap_write_astring, "\xc0\xaf", IMAP_WRITE_UTF8,
	       "{2}\r\n\xc0\xaf");
	EXPECT(imap_write_astring, "\xed\xa0\x80", IMAP_WRITE_UTF8,
	       "{3}\r\n\xed\xa0\x80");
	EXPECT(imap_write_astring, "\xf4\x90\x80\x80", IMAP_WRITE_UTF8,
	       "{4}\r\n\xf4\x90\x80\x80");
	EXPECT(imap_write_astring, "\xf0\x9f\x93\xa7", IMAP_WRITE_UTF8,
	       "\"\xf0\x9f\x93\xa7\"");
	/* UTF-8 mode still never quotes CR */
	EXPECT(imap_write_astring, "\xc3\xa9\r", IMAP_WRITE_UTF8,
	       "{3}\r\n\xc3\xa9\r");
}

static void test_string(void **state)
{
	(void)state;
	EXPECT(imap_write_string, "INBOX", 0, "\"INBOX\"");
	EXPECT(imap_write_string, "", 0, "\"\"");
	EXPECT(imap_write_string, "NIL", 0, "\"NIL\"");
	EXPECT(imap_write_string, "\"\\", 0, "\"\\\"\\\\\"");
	EXPECT(imap_write_string, "x\r\n", 0, "{3}\r\nx\r\n");
	EXPECT(imap_write_nstring, "", 0, "\"\"");
	EXPECT(imap_write_nstring, "a\nb", 0, "{3}\r\na\nb");

	struct buf out = BUF_INIT;
	imap_write_nstring(&out, NULL, 0, 0);
	assert_string_equal(buf_cstr(&out), "NIL");
	buf_free(&out);
}

static void test_forced_forms(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	imap_write_quoted(&out, "a\"b\\", 4);
	assert_string_equal(buf_cstr(&out), "\"a\\\"b\\\\\"");
	buf_reset(&out);
	imap_write_literal(&out, "atom", 4);
	assert_string_equal(buf_cstr(&out), "{4}\r\natom");
	buf_reset(&out);
	imap_write_literal(&out, "", 0);
	assert_string_equal(buf_cstr(&out), "{0}\r\n");
	buf_reset(&out);
	imap_write_literal8(&out, "a\0", 2);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.data, "~{2}\r\na\0", 8);
	buf_reset(&out);
	imap_write_literal_header(&out, 5000000000ULL, false);
	assert_string_equal(buf_cstr(&out), "{5000000000}\r\n");
	buf_free(&out);
}

static void test_predicates(void **state)
{
	(void)state;
	assert_true(imap_write_is_atom("\\Seen", 0) == false);
	assert_false(imap_write_is_atom("\\Seen", 5));
	assert_true(imap_write_is_atom("$Junk", 5));
	assert_false(imap_write_is_atom("", 0));
	assert_true(imap_write_is_quotable("", 0, 0));
	assert_false(imap_write_is_quotable("\xc3\xa9", 2, 0));
	assert_true(imap_write_is_quotable("\xc3\xa9", 2, IMAP_WRITE_UTF8));
	/* a lead byte cut off at the end of the string */
	assert_false(imap_write_is_quotable("\xe2\x82", 2, IMAP_WRITE_UTF8));
	assert_true(imap_write_is_quotable("\xe2\x82\xac", 3,
					   IMAP_WRITE_UTF8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_astring),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_forced_forms),
		cmocka_unit_test(test_predicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
