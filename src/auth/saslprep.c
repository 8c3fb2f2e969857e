/*
 * SASLprep (RFC 4013) for the ASCII range, with UTF-8 validation; see
 * saslprep.h for what is deliberately left out.
 */
#include "auth/saslprep.h"

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

/* Decodes one UTF-8 sequence at in[0..len). Returns its length and sets
   *cp_r, or 0 if it is malformed: truncated, bad continuation byte,
   overlong form, surrogate, or beyond U+10FFFF (RFC 3629 section 3). */
static size_t utf8_decode(const unsigned char *in, size_t len, uint32_t *cp_r)
{
	uint32_t cp;
	size_t n;
	uint32_t min;

	if (in[0] < 0x80) {
		*cp_r = in[0];
		return 1;
	} else if ((in[0] & 0xE0) == 0xC0) {
		cp = in[0] & 0x1F;
		n = 2;
		min = 0x80;
	} else if ((in[0] & 0xF0) == 0xE0) {
		cp = in[0] & 0x0F;
		n = 3;
		min = 0x800;
	} else if ((in[0] & 0xF8) == 0xF0) {
		cp = in[0] & 0x07;
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((in[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (in[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*cp_r = cp;
	return n;
}

/* RFC 3454 C.2.1 (ASCII control characters) and C.2.2 up to U+009F
   (C1 controls), both prohibited by RFC 4013 section 2.3. */
static bool is_prohibited_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

int saslprep(const char *in, size_t len, struct buf *out, const char **error_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t pos = 0;

	while (pos < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + pos, len - pos, &cp);
		if (n == 0) {
			*error_r = "invalid UTF-8";
			return -1;
		}
		if (is_prohibited_control(cp)) {
			*error_r = "control character";
			return -1;
		}
		/* RFC 4013 2.1 maps nothing in ASCII and NFKC (2.2) leaves ASCII
		   unchanged; other characters pass through as documented. */
		buf_append(out, in + pos, n);
		pos += n;
	}
	return 0;
}
