/* Shared by the test-mail-*.c programs: loading tests/mail-corpus files
   (make unit-test runs from the project root) and comparing output. */
#ifndef QUIRE_TEST_MAIL_CORPUS_H
#define QUIRE_TEST_MAIL_CORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#ifndef MAIL_CORPUS_DIR
#define MAIL_CORPUS_DIR "tests/mail-corpus/"
#endif

static inline void corpus_load(const char *name, struct buf *out)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", MAIL_CORPUS_DIR, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (run from the project root)\n", path);
		abort();
	}
	char chunk[4096];
	size_t n;
	buf_reset(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	if (out->data == NULL)
		buf_append(out, "", 0);
}

/* Compares a buffer with an expected string that may contain NULs. */
#define assert_buf_equal(b, s) do { \
	const struct buf *b_ = (b); \
	if (b_->len != sizeof(s) - 1 || memcmp(b_->data, s, b_->len) != 0) { \
		fprintf(stderr, "expected: %s\n     got: %.*s\n", s, \
			(int)b_->len, b_->data == NULL ? "" : b_->data); \
		fail(); \
	} \
} while (0)

#endif
