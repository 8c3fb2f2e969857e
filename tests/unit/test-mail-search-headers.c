/* The search header summary: what it keeps, and that a damaged or
 * incomplete record refuses to answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mail/search-headers.h"

struct entry {
	unsigned field;
	const char *value;
};

/* Builds the summary of hdr and checks its entries are exactly want. */
static void expect_entries(const char *hdr, const struct entry *want,
			   size_t count)
{
	struct buf rec = BUF_INIT;
	struct mail_search_headers_iter it;
	unsigned field;
	const char *value;
	size_t len, n = 0;

	mail_search_headers_build(hdr, strlen(hdr), &rec);
	assert_true(mail_search_headers_iter_init(&it, rec.data, rec.len));
	while (mail_search_headers_iter_next(&it, &field, &value, &len)) {
		assert_true(n < count);
		assert_int_equal(field, want[n].field);
		assert_int_equal(len, strlen(want[n].value));
		assert_memory_equal(value, want[n].value, len);
		n++;
	}
	assert_int_equal(n, count);
	buf_free(&rec);
}

static void test_fields(void **state)
{
	(void)state;
	assert_int_equal(mail_search_headers_field("From"), 1);
	assert_int_equal(mail_search_headers_field("SUBJECT"), 5);
	assert_int_equal(mail_search_headers_field("message-id"), 6);
	assert_int_equal(mail_search_headers_field("Received"), 0);
	assert_int_equal(mail_search_headers_field(""), 0);
}

static void test_values_decoded_in_order(void **state)
{
	(void)state;
	const char hdr[] =
		"Received: from x\r\n"
		"From: =?ISO-8859-1?Q?Ren=E9?= <r@example.fr>\r\n"
		"To: a@example.com\r\n"
		"Subject: folded\r\n line\r\n"
		"To: b@example.com\r\n"
		"Cc:\r\n"
		"X-Other: y\r\n"
		"\r\n";
	const struct entry want[] = {
		{ 1, "Ren\xc3\xa9 <r@example.fr>" },
		{ 2, "a@example.com" },
		{ 5, "folded line" },
		{ 2, "b@example.com" },
		{ 3, "" },
	};
	expect_entries(hdr, want, sizeof(want) / sizeof(want[0]));
}

static void test_no_fields(void **state)
{
	(void)state;
	expect_entries("X-Only: this\r\n\r\n", NULL, 0);
	expect_entries("", NULL, 0);
}

static void test_overlong_value_marks_incomplete(void **state)
{
	(void)state;
	struct buf hdr = BUF_INIT, rec = BUF_INIT;
	struct mail_search_headers_iter it;
	buf_append_str(&hdr, "From: a@example.com\r\nSubject: ");
	for (int i = 0; i < MAIL_SEARCH_HEADERS_VALUE_MAX + 1; i++)
		buf_append_char(&hdr, 'x');
	buf_append_str(&hdr, "\r\n\r\n");
	mail_search_headers_build(hdr.data, hdr.len, &rec);
	assert_false(mail_search_headers_iter_init(&it, rec.data, rec.len));
	buf_free(&hdr);
	buf_free(&rec);
}

static void test_damaged_records_refused(void **state)
{
	(void)state;
	struct mail_search_headers_iter it;
	/* empty, unknown version, truncated length, length past the end */
	assert_false(mail_search_headers_iter_init(&it, "", 0));
	assert_false(mail_search_headers_iter_init(&it, "\x02", 1));
	assert_false(mail_search_headers_iter_init(&it, "\x01\x01\xff", 3));
	assert_false(mail_search_headers_iter_init(&it, "\x01\x01\x05\x00\x00\x00"
						   "abc", 9));
	/* a bare version byte: a message with none of the fields */
	assert_true(mail_search_headers_iter_init(&it, "\x01", 1));
	unsigned field;
	const char *value;
	size_t len;
	assert_false(mail_search_headers_iter_next(&it, &field, &value, &len));
}

/* Records read back from the store may be anything: no input may make
 * the reader step outside it (ASan watches the heap copies). */
static void test_random_records(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t len = (seed = seed * 1103515245u + 12345u) % 40;
		unsigned char *rec = malloc(len + 1);
		assert_non_null(rec);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			rec[i] = (unsigned char)(seed >> 16);
			/* mostly small lengths, so some records are valid */
			if (i % 5 != 0 && i % 5 != 1)
				rec[i] = 0;
		}
		if (len > 0 && round % 2 == 0)
			rec[0] = 1;
		struct mail_search_headers_iter it;
		unsigned field;
		const char *value;
		size_t n, total = 0;
		if (mail_search_headers_iter_init(&it, rec, len)) {
			while (mail_search_headers_iter_next(&it, &field, &value, &n)) {
				assert_true(value >= (const char *)rec + 6);
				assert_true(value + n <= (const char *)rec + len);
				total += n;
			}
			assert_true(total <= len);
		}
		free(rec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_values_decoded_in_order),
		cmocka_unit_test(test_no_fields),
		cmocka_unit_test(test_overlong_value_marks_incomplete),
		cmocka_unit_test(test_damaged_records_refused),
		cmocka_unit_test(test_random_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
