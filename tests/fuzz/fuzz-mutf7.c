/*
 * libFuzzer target: modified UTF-7 (core/mutf7.h). The input is tried as
 * modified UTF-7 and as UTF-8, checking the round-trip promises:
 *  - mutf7_valid(s) <=> mutf7_to_utf8(s) succeeds, and then the UTF-8 is
 *    valid and mutf7_from_utf8() gives back exactly s (one spelling per
 *    name);
 *  - valid UTF-8 without NUL <=> mutf7_from_utf8() succeeds, the result
 *    is valid modified UTF-7 and decodes back to the input;
 *  - a failing conversion leaves the output buffer as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mutf7.h"

static const char prefix[] = "keep";

static void check_mutf7(const char *s, size_t len)
{
	struct buf utf8 = BUF_INIT, back = BUF_INIT;
	buf_append_str(&utf8, prefix);
	bool valid = mutf7_valid(s, len);
	int r = mutf7_to_utf8(s, len, &utf8);
	if ((r == 0) != valid)
		abort();
	if (r < 0) {
		if (utf8.len != strlen(prefix))
			abort();
	} else {
		const char *u = utf8.data + strlen(prefix);
		size_t ulen = utf8.len - strlen(prefix);
		if (!utf8_valid(u, ulen) || memchr(u, '\0', ulen) != NULL)
			abort();
		if (mutf7_from_utf8(u, ulen, &back) < 0 || back.len != len ||
		    (len > 0 && memcmp(back.data, s, len) != 0))
			abort();
	}
	buf_free(&utf8);
	buf_free(&back);
}

static void check_utf8(const char *s, size_t len)
{
	struct buf m = BUF_INIT, back = BUF_INIT;
	buf_append_str(&m, prefix);
	bool ok = utf8_valid(s, len) && memchr(s, '\0', len) == NULL;
	int r = mutf7_from_utf8(s, len, &m);
	if ((r == 0) != ok)
		abort();
	if (r < 0) {
		if (m.len != strlen(prefix))
			abort();
	} else {
		const char *e = m.data + strlen(prefix);
		size_t elen = m.len - strlen(prefix);
		if (!mutf7_valid(e, elen))
			abort();
		if (mutf7_to_utf8(e, elen, &back) < 0 || back.len != len ||
		    (len > 0 && memcmp(back.data, s, len) != 0))
			abort();
	}
	buf_free(&m);
	buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_mutf7((const char *)data, size);
	check_utf8((const char *)data, size);
	return 0;
}
