/* PREVIEW text (RFC 8970 3.3): which part, decoding, markup, length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/mime.h"
#include "mail/preview.h"

/* The preview of msg as a NUL-terminated string (static buffer). */
static const char *preview(const char *msg)
{
	static char out[2048];
	struct buf b = BUF_INIT;
	struct mail_tree *tree = mail_mime_parse(msg, strlen(msg));
	mail_preview(tree, msg, strlen(msg), &b);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.data != NULL ? b.data : "", b.len);
	out[b.len] = '\0';
	buf_free(&b);
	mail_tree_free(&tree);
	return out;
}

static unsigned utf8_chars(const char *s)
{
	unsigned n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void test_plain(void **state)
{
	(void)state;
	assert_string_equal(preview("Subject: x\r\n\r\n  Hello,\r\n\r\n\tworld  \r\n"),
			    "Hello, world");
	/* no Content-Type: text/plain by default; no body: empty */
	assert_string_equal(preview("Subject: x\r\n\r\n"), "");
}

static void test_quoted_lines_dropped(void **state)
{
	(void)state;
	assert_string_equal(preview("Subject: x\r\n\r\nYes.\r\n> old text\r\n>> older\r\nBye\r\n"),
			    "Yes. Bye");
}

static void test_qp_and_charset(void **state)
{
	(void)state;
	const char *msg =
		"Content-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Gr=FC=DFe aus K=F6ln, sch=\r\nön\r\n";
	/* The 8-bit "ö" of the raw line is Latin-1 0xC3 0xB6 bytes here:
	 * converted as Latin-1 like the rest. */
	const char *p = preview(msg);
	assert_true(strncmp(p, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, sch", 22) == 0);
}

static void test_base64_html_only(void **state)
{
	(void)state;
	const char *msg =
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		/* <html><style>p{}</style><p>Hi &amp; <b>bye</b></p></html> */
		"PGh0bWw+PHN0eWxlPnB7fTwvc3R5bGU+PHA+SGkgJmFtcDsgPGI+YnllPC9iPjwvcD48L2h0bWw+\r\n";
	assert_string_equal(preview(msg), "Hi & bye");
}

static void test_multipart_prefers_plain_skips_attachment(void **state)
{
	(void)state;
	const char *msg =
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n"
		"attached notes\r\n"
		"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
		"--c\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n"
		"--c\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
		"--c--\r\n"
		"--b--\r\n";
	assert_string_equal(preview(msg), "plain version");
}

static void test_image_only_is_empty(void **state)
{
	(void)state;
	const char *msg = "Content-Type: image/png\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n";
	assert_string_equal(preview(msg), "");
}

static void test_length_limit(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT;
	buf_append_str(&msg, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	for (int i = 0; i < 300; i++)
		buf_append_str(&msg, "\xc3\xa9 ");	/* "é " */
	const char *p = preview(buf_cstr(&msg));
	assert_true(utf8_chars(p) <= MAIL_PREVIEW_CHARS);
	assert_true(utf8_chars(p) >= MAIL_PREVIEW_CHARS - 1);
	/* never cut inside a character, never ends on the space */
	size_t len = strlen(p);
	assert_true(len >= 2 && p[len - 1] != ' ');
	assert_true(((unsigned char)p[len - 1] & 0xc0) == 0x80);
	buf_free(&msg);
}

static void test_huge_part_bounded(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT;
	buf_append_str(&msg, "Subject: big\r\n\r\n");
	for (int i = 0; i < 100000; i++)
		buf_append_str(&msg, "> quoted line that is never shown\r\n");
	buf_append_str(&msg, "the end\r\n");
	/* Only the first MAIL_PREVIEW_INPUT_MAX bytes are looked at. */
	assert_string_equal(preview(buf_cstr(&msg)), "");
	buf_free(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quoted_lines_dropped),
		cmocka_unit_test(test_qp_and_charset),
		cmocka_unit_test(test_base64_html_only),
		cmocka_unit_test(test_multipart_prefers_plain_skips_attachment),
		cmocka_unit_test(test_image_only_is_empty),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_huge_part_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
