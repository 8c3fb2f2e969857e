/* Inputs the fuzzers found crashing, fed to the same APIs (tests/fuzz/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "mail/cache.h"
#include "mail/mime.h"

/* Every part must lie inside the message and inside its parent. */
static void check_part(const struct mail_part *part, size_t size)
{
	assert_true(part->header_offset <= size);
	assert_true(part->header_size <= size - part->header_offset);
	assert_true(part->body_offset <= size);
	assert_true(part->body_size <= size - part->body_offset);
}

static void check_message(const char *msg, size_t len)
{
	struct mail_tree *tree = mail_mime_parse(msg, len);
	struct buf record = BUF_INIT;
	struct mail_tree *back = NULL;
	const char *error = NULL;

	check_part(tree->root, len);
	mail_tree_serialize(tree, &record);
	/* The cache must accept its own record (no re-parse per FETCH). */
	assert_int_equal(mail_tree_deserialize(record.data, record.len, len,
					       &back, &error), 0);
	mail_tree_free(&back);
	buf_free(&record);
	mail_tree_free(&tree);
}

static void test_empty_part_before_boundary(void **state)
{
	(void)state;
	static const char msg[] =
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n--b--";
	check_message(msg, sizeof(msg) - 1);
}

static void test_regression_files(void **state)
{
	(void)state;
	static const char *const files[] = {
		"tests/fuzz/fuzz-mime/regressions/empty-part.eml",
		"tests/fuzz/fuzz-mime/regressions/rfc822-empty-before-boundary.eml",
		"tests/fuzz/fuzz-mime/regressions/rfc822-header-past-boundary.eml",
		"tests/fuzz/fuzz-mime/regressions/crash-1dc5e147-nested-rfc822",
		"tests/fuzz/fuzz-mime/regressions/crash-a32f8dcd-nested-rfc822",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "rb");
		assert_non_null(f);
		char buf[65536];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		check_message(buf, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_part_before_boundary),
		cmocka_unit_test(test_regression_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
