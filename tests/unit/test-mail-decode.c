/* Transfer decoding, charsets, RFC 2047 words and the search text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/decode.h"
#include "test-mail-corpus.h"

static void test_qp(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	const char in[] = "a=3Db=\r\nc  \r\nd=4=zz=e9=\nend=";
	mail_qp_decode(in, sizeof(in) - 1, false, &out);
	/* soft breaks removed, trailing blanks dropped, bad escapes kept,
	   lowercase hex accepted, line ends kept as given */
	assert_buf_equal(&out, "a=bc\r\nd=4=zz\xe9" "end");
	buf_reset(&out);
	mail_qp_decode("a_b=5F", 6, true, &out);
	assert_buf_equal(&out, "a b_");
	buf_free(&out);
}

static void test_base64(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	mail_base64_decode_lenient("aGVs\r\nbG8g\r\nd29y bGQ=", 21, &out);
	assert_buf_equal(&out, "hello world");
	buf_reset(&out);
	/* junk skipped, missing padding tolerated */
	mail_base64_decode_lenient("a*GV%sbA", 8, &out);
	assert_buf_equal(&out, "hell");  /* "aGVs" + "bA" (12 bits: one byte) */
	buf_reset(&out);
	mail_base64_decode_lenient("AAEC/w==garbage", 15, &out);
	assert_buf_equal(&out, "\x00\x01\x02\xff");
	buf_free(&out);
}

static void test_charset(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	assert_int_equal(mail_charset_to_utf8("ISO-8859-1", "caf\xe9", 4, &out), 0);
	assert_buf_equal(&out, "caf\xc3\xa9");
	buf_reset(&out);
	assert_int_equal(mail_charset_to_utf8("windows-1252", "\x80", 1, &out), 0);
	assert_buf_equal(&out, "\xe2\x82\xac");
	buf_reset(&out);
	/* invalid UTF-8 becomes U+FFFD */
	assert_int_equal(mail_charset_to_utf8("utf-8", "a\xff" "b", 3, &out), 0);
	assert_buf_equal(&out, "a\xef\xbf\xbd" "b");
	buf_reset(&out);
	assert_int_equal(mail_charset_to_utf8("x-no-such-charset", "a", 1, &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_rfc2047(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	const char *s = "=?UTF-8?B?SGVsbG8gV8O2cmxk?=";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "Hello W\xc3\xb6rld");
	buf_reset(&out);
	/* ISO-8859-1 Q word followed by an adjacent UTF-8 word: the
	   whitespace between them goes (RFC 2047 6.2) */
	s = "=?ISO-8859-1?Q?Caf=E9_cr=E8me?= =?UTF-8?B?IOKCrA==?=";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x82\xac");
	buf_reset(&out);
	/* a UTF-8 character split over two words comes out whole */
	s = "=?utf-8?q?J=C3?=  =?utf-8?q?=B6rg?= x";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "J\xc3\xb6rg x");
	buf_reset(&out);
	/* text between words is kept, malformed words left as they are */
	s = "a =?utf-8?q?b?= c =?bad =?utf-8?x?y?= =?utf-8?q?open";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "a b c =?bad =?utf-8?x?y?= =?utf-8?q?open");
	buf_reset(&out);
	/* unknown charset: bytes kept */
	s = "=?x-unknown?q?abc?=";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "abc");
	buf_reset(&out);
	/* RFC 2231 language suffix */
	s = "=?US-ASCII*EN?Q?Keith_Moore?=";
	mail_rfc2047_decode(s, strlen(s), &out);
	assert_buf_equal(&out, "Keith Moore");
	buf_free(&out);
}

static void test_transfer_decode(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	assert_int_equal(mail_transfer_decode("BASE64", "aGk=", 4, &out), 0);
	assert_buf_equal(&out, "hi");
	buf_reset(&out);
	assert_int_equal(mail_transfer_decode(NULL, "x\0y", 3, &out), 0);
	assert_buf_equal(&out, "x\0y");
	buf_reset(&out);
	assert_int_equal(mail_transfer_decode("x-uuencode", "x", 1, &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_search_text(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT, out = BUF_INIT;
	corpus_load("nested.eml", &msg);
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	mail_text_for_search(tree, msg.data, msg.len, &out);
	const char *s = buf_cstr(&out);
	assert_non_null(strstr(s, "Subject: nested\n"));
	assert_non_null(strstr(s, "Subject: inner\n"));     /* inner message */
	assert_non_null(strstr(s, "Body text.\n"));
	assert_non_null(strstr(s, "inner plain\n"));
	assert_non_null(strstr(s, "caf\xc3\xa9 soft\n"));   /* QP + latin-1 */
	assert_null(strstr(s, "AAEC"));                     /* not text */
	mail_tree_free(&tree);

	buf_reset(&out);
	corpus_load("encoded-words.eml", &msg);
	tree = mail_mime_parse(msg.data, msg.len);
	mail_text_for_search(tree, msg.data, msg.len, &out);
	assert_non_null(strstr(buf_cstr(&out),
			       "Subject: Caf\xc3\xa9 cr\xc3\xa8me \xe2\x82\xac\n"));
	assert_non_null(strstr(buf_cstr(&out), "From: J\xc3\xb6rg <joerg"));
	mail_tree_free(&tree);
	buf_free(&msg);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_transfer_decode),
		cmocka_unit_test(test_search_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
