/* RFC 5322 header blocks and the IMAP string quoting helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/header.h"
#include "mail/imap-string.h"
#include "test-mail-corpus.h"

static void test_block_size(void **state)
{
	(void)state;
	assert_int_equal(mail_header_block_size("A: b\r\n\r\nbody", 12), 8);
	assert_int_equal(mail_header_block_size("A: b\n\nbody", 10), 6);
	/* no empty line: everything is header */
	assert_int_equal(mail_header_block_size("A: b\r\nC: d\r\n", 12), 12);
	assert_int_equal(mail_header_block_size("A: b", 4), 4);
	assert_int_equal(mail_header_block_size("", 0), 0);
	/* empty header */
	assert_int_equal(mail_header_block_size("\r\nbody", 6), 2);
}

static void test_iterate(void **state)
{
	(void)state;
	const char hdr[] = "Subject: a\r\n\tb\r\nX-8bit: \xc3\xa9\r\n"
			   "junk line\r\nTo : x\nLast: y";
	struct mail_header_iter it;
	struct mail_header_field f;
	mail_header_iter_init(&it, hdr, sizeof(hdr) - 1);

	assert_true(mail_header_iter_next(&it, &f));
	assert_true(mail_header_name_is(&f, "SUBJECT"));
	assert_int_equal(f.value_len, 6);
	assert_memory_equal(f.value, " a\r\n\tb", 6);
	assert_int_equal(f.start, 0);
	assert_int_equal(f.end, 16);
	struct buf v = BUF_INIT;
	mail_header_unfold(f.value, f.value_len, &v);
	assert_buf_equal(&v, "a\tb");

	assert_true(mail_header_iter_next(&it, &f));
	assert_true(mail_header_name_is(&f, "x-8bit"));
	buf_reset(&v);
	mail_header_unfold(f.value, f.value_len, &v);
	assert_buf_equal(&v, "\xc3\xa9");

	assert_true(mail_header_iter_next(&it, &f));
	assert_false(f.has_colon);
	assert_false(mail_header_name_is(&f, "junk line"));

	/* obsolete "To :" and a bare LF */
	assert_true(mail_header_iter_next(&it, &f));
	assert_true(mail_header_name_is(&f, "to"));
	assert_int_equal(f.value_len, 2);

	assert_true(mail_header_iter_next(&it, &f));
	assert_true(mail_header_name_is(&f, "last"));
	assert_int_equal(f.end, sizeof(hdr) - 1);
	assert_false(mail_header_iter_next(&it, &f));
	buf_free(&v);
}

static void test_find(void **state)
{
	(void)state;
	const char hdr[] = "A: 1\r\nb: 2\r\nB: 3\r\n\r\nB: body\r\n";
	struct mail_header_field f;
	assert_true(mail_header_find(hdr, sizeof(hdr) - 1, "b", &f));
	assert_memory_equal(f.value, " 2", 2);
	assert_false(mail_header_find(hdr, sizeof(hdr) - 1, "c", &f));
	/* stops at the end of the header */
	assert_false(mail_header_find("A: 1\r\n\r\nC: 2\r\n", 14, "c", &f));
}

static void test_imap_string(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	mail_imap_write_string(&out, "a \"q\" \\", 7);
	assert_buf_equal(&out, "\"a \\\"q\\\" \\\\\"");
	buf_reset(&out);
	mail_imap_write_string(&out, "a\r\nb", 4);
	assert_buf_equal(&out, "{4}\r\na\r\nb");
	buf_reset(&out);
	mail_imap_write_string(&out, "\xc3\xa9", 2);
	assert_buf_equal(&out, "{2}\r\n\xc3\xa9");
	buf_reset(&out);
	mail_imap_write_nstring(&out, NULL);
	mail_imap_write_nstring(&out, "");
	assert_buf_equal(&out, "NIL\"\"");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_imap_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
