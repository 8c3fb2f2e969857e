/* FETCH sections (RFC 3501 6.4.5), partials and BINARY (RFC 3516). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/section.h"
#include "test-mail-corpus.h"

struct fixture {
	struct buf msg;
	struct mail_tree *tree;
	struct buf got;
};

static struct fixture *fixture_new(const char *name)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	corpus_load(name, &fx->msg);
	fx->tree = mail_mime_parse(fx->msg.data, fx->msg.len);
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	mail_tree_free(&fx->tree);
	buf_free(&fx->msg);
	buf_free(&fx->got);
	free(fx);
}

/* Fetches BODY[spec] into fx->got. */
static void fetch(struct fixture *fx, const char *spec)
{
	struct mail_section sec;
	const char *error = NULL;
	if (mail_section_parse(spec, strlen(spec), &sec, &error) < 0) {
		fprintf(stderr, "parse %s: %s\n", spec, error);
		fail();
	}
	struct mail_section_result res;
	mail_section_fetch(fx->tree, fx->msg.data, fx->msg.len, &sec, &res);
	buf_reset(&fx->got);
	buf_append(&fx->got, mail_section_result_ptr(&res, fx->msg.data), res.size);
	mail_section_result_free(&res);
	mail_section_free(&sec);
}

static void test_top_level(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new("alternative.eml");
	fetch(fx, "");
	assert_int_equal(fx->got.len, fx->msg.len);
	assert_memory_equal(fx->got.data, fx->msg.data, fx->msg.len);
	fetch(fx, "HEADER");
	const char *blank = strstr(fx->msg.data, "\r\n\r\n");
	assert_int_equal(fx->got.len, (size_t)(blank - fx->msg.data) + 4);
	fetch(fx, "TEXT");
	assert_true(fx->got.len > 9);
	assert_memory_equal(fx->got.data, "preamble\r\n--XX\r\n", 16);
	assert_int_equal(fx->got.len + (size_t)(blank - fx->msg.data) + 4,
			 fx->msg.len);
	fetch(fx, "header.fields (SUBJECT from)");
	assert_buf_equal(&fx->got,
		"From: Alice <alice@example.com>\r\nSubject: alt\r\n\r\n");
	fetch(fx, "HEADER.FIELDS.NOT (Subject From Date Message-ID To)");
	assert_buf_equal(&fx->got,
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n");
	fetch(fx, "HEADER.FIELDS (X-Nothing)");
	assert_buf_equal(&fx->got, "\r\n");
	fixture_free(fx);
}

static void test_parts(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new("alternative.eml");
	fetch(fx, "1");
	assert_buf_equal(&fx->got, "plain");
	fetch(fx, "2");
	assert_buf_equal(&fx->got, "<p>h=C3=A9</p>");
	fetch(fx, "1.MIME");
	assert_buf_equal(&fx->got, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	/* missing parts are empty, not errors */
	fetch(fx, "3");
	assert_int_equal(fx->got.len, 0);
	fetch(fx, "1.1");
	assert_int_equal(fx->got.len, 0);
	/* HEADER/TEXT of a part that is not message/rfc822 */
	fetch(fx, "1.HEADER");
	assert_int_equal(fx->got.len, 0);
	fixture_free(fx);
}

static void test_single_part_numbering(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new("simple.eml");
	/* RFC 3501 6.4.5: a non-multipart message has part 1, its body */
	fetch(fx, "1");
	assert_buf_equal(&fx->got, "Hello world.\r\nSecond line.\r\n");
	fetch(fx, "2");
	assert_int_equal(fx->got.len, 0);
	fixture_free(fx);
}

static void test_nested_message(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new("nested.eml");
	fetch(fx, "2.HEADER");
	assert_buf_equal(&fx->got,
		"From: inner@example.net\r\nSubject: inner\r\n"
		"Content-Type: multipart/alternative; boundary=inner\r\n\r\n");
	fetch(fx, "2.MIME");
	assert_buf_equal(&fx->got,
		"Content-Type: message/rfc822\r\n"
		"Content-Description: forwarded\r\n\r\n");
	fetch(fx, "2.HEADER.FIELDS (subject)");
	assert_buf_equal(&fx->got, "Subject: inner\r\n\r\n");
	fetch(fx, "2.TEXT");
	assert_buf_equal(&fx->got,
		"--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
		"inner plain\r\n--inner\r\nContent-Type: text/html\r\n\r\n"
		"<b>x</b>\r\n--inner--\r\n");
	fetch(fx, "2.1");
	assert_buf_equal(&fx->got, "inner plain");
	fetch(fx, "2.2");
	assert_buf_equal(&fx->got, "<b>x</b>");
	fetch(fx, "2.2.MIME");
	assert_buf_equal(&fx->got, "Content-Type: text/html\r\n\r\n");
	fetch(fx, "2");
	assert_int_equal(fx->got.len, 221);
	assert_memory_equal(fx->got.data, "From: inner@example.net\r\n", 25);
	fetch(fx, "4");
	assert_buf_equal(&fx->got, "caf=E9 =\r\nsoft");
	fixture_free(fx);
}

static void test_partial(void **state)
{
	(void)state;
	size_t off, len;
	mail_section_partial(10, 0, 4, &off, &len);
	assert_int_equal(off, 0);
	assert_int_equal(len, 4);
	mail_section_partial(10, 8, 100, &off, &len);
	assert_int_equal(off, 8);
	assert_int_equal(len, 2);
	mail_section_partial(10, 10, 5, &off, &len);
	assert_int_equal(len, 0);
	mail_section_partial(10, UINT64_MAX, UINT64_MAX, &off, &len);
	assert_int_equal(off, 10);
	assert_int_equal(len, 0);

	/* BODY[1]<2.3> of "plain" is "ain" */
	struct fixture *fx = fixture_new("alternative.eml");
	fetch(fx, "1");
	mail_section_partial(fx->got.len, 2, 3, &off, &len);
	assert_memory_equal(fx->got.data + off, "ain", len);
	assert_int_equal(len, 3);
	fixture_free(fx);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"0", "1.", "1..2", "01", "MIME", "HEADER.FIELDS", "HEADER.FIELDS ()",
		"HEADER.FIELDS (A", "HEADER.FIELDS(A)", "TEXT ", "HEADERX",
		"1.FOO", "99999999999", "HEADER.FIELDS (\"unterminated)",
		"HEADER.FIELDS ({5}\r\nab)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mail_section sec;
		const char *error = NULL;
		if (mail_section_parse(bad[i], strlen(bad[i]), &sec, &error) != -1) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			fail();
		}
		assert_non_null(error);
	}
	struct mail_section sec;
	const char *error;
	const char ok[] = "4.2.HEADER.FIELDS (X \"Y z\" {3}\r\nabc)";
	assert_int_equal(mail_section_parse(ok, sizeof(ok) - 1, &sec, &error), 0);
	assert_int_equal(sec.path_len, 2);
	assert_int_equal(sec.path[0], 4);
	assert_int_equal(sec.path[1], 2);
	assert_int_equal(sec.kind, MAIL_SECTION_HEADER_FIELDS);
	assert_int_equal(sec.field_count, 3);
	assert_string_equal(sec.fields[1], "Y z");
	assert_string_equal(sec.fields[2], "abc");
	mail_section_free(&sec);
	assert_int_equal(mail_section_parse("1.2.3", 5, &sec, &error), 0);
	assert_int_equal(sec.kind, MAIL_SECTION_ALL);
	assert_int_equal(sec.path_len, 3);
	mail_section_free(&sec);
}

static void test_binary(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new("nested.eml");
	struct buf out = BUF_INIT;
	uint32_t p3[] = { 3 }, p4[] = { 4 }, p21[] = { 2, 1 }, p9[] = { 9 };
	assert_int_equal(mail_binary_fetch(fx->tree, fx->msg.data, fx->msg.len,
					   p3, 1, &out), MAIL_BINARY_OK);
	assert_buf_equal(&out, "\x00\x01\x02\xff");
	buf_reset(&out);
	assert_int_equal(mail_binary_fetch(fx->tree, fx->msg.data, fx->msg.len,
					   p4, 1, &out), MAIL_BINARY_OK);
	assert_buf_equal(&out, "caf\xe9 soft");
	buf_reset(&out);
	assert_int_equal(mail_binary_fetch(fx->tree, fx->msg.data, fx->msg.len,
					   p21, 2, &out), MAIL_BINARY_OK);
	assert_buf_equal(&out, "inner plain");
	buf_reset(&out);
	assert_int_equal(mail_binary_fetch(fx->tree, fx->msg.data, fx->msg.len,
					   p9, 1, &out), MAIL_BINARY_OK);
	assert_int_equal(out.len, 0);
	fixture_free(fx);

	fx = fixture_new("bare-lf.eml");
	uint32_t p2[] = { 2 };
	buf_reset(&out);
	mail_binary_fetch(fx->tree, fx->msg.data, fx->msg.len, p2, 1, &out);
	assert_buf_equal(&out, "hello");
	fixture_free(fx);

	const char msg[] = "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n";
	struct mail_tree *tree = mail_mime_parse(msg, sizeof(msg) - 1);
	uint32_t p1[] = { 1 };
	buf_reset(&out);
	assert_int_equal(mail_binary_fetch(tree, msg, sizeof(msg) - 1, p1, 1, &out),
			 MAIL_BINARY_UNKNOWN_CTE);
	mail_tree_free(&tree);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_single_part_numbering),
		cmocka_unit_test(test_nested_message),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
