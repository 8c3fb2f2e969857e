/* Modified UTF-7 (RFC 3501 5.1.3) and strict UTF-8; see mutf7.h. */
#include "core/mutf7.h"

#include <stdint.h>

#define MB64_INVALID 0xff

static const char mb64_alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Modified base64: RFC 3501 5.1.3 uses ',' where base64 uses '/'. */
static uint8_t mb64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (uint8_t)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (uint8_t)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (uint8_t)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return MB64_INVALID;
}

/* Printable US-ASCII, which RFC 3501 5.1.3 says represents itself. */
static bool is_direct(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static void utf8_put(struct buf *out, uint32_t cp)
{
	char tmp[4];
	size_t n;
	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | cp >> 6);
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | cp >> 12);
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | cp >> 18);
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(out, tmp, n);
}

/*
 * Decodes one UTF-8 sequence at s[*pos] (RFC 3629 section 4 grammar).
 * Returns 0 and advances *pos, or -1 on any ill-formed sequence.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *pos,
		     uint32_t *cp_r)
{
	size_t i = *pos;
	unsigned char c = s[i];
	uint32_t cp, min;
	size_t n;
	if (c < 0x80) {
		*cp_r = c;
		*pos = i + 1;
		return 0;
	} else if (c >= 0xc2 && c <= 0xdf) {
		cp = c & 0x1f;
		n = 1;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		cp = c & 0x0f;
		n = 2;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		cp = c & 0x07;
		n = 3;
		min = 0x10000;
	} else {
		return -1; /* continuation byte, C0/C1 overlong, or > F4 */
	}
	if (len - i - 1 < n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		unsigned char cc = s[i + k];
		if ((cc & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (cc & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*cp_r = cp;
	*pos = i + 1 + n;
	return 0;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8_next(u, len, &i, &cp) < 0)
			return false;
	}
	return true;
}

/* One decoded UTF-16 unit from a shift; pairs surrogates, emits code
 * points. Returns -1 on anything RFC 3501 5.1.3 forbids. */
static int shift_unit(uint32_t unit, uint32_t *high, struct buf *out)
{
	uint32_t cp;
	if (*high != 0) {
		if (unit < 0xdc00 || unit > 0xdfff)
			return -1;
		cp = 0x10000 + ((*high - 0xd800) << 10) + (unit - 0xdc00);
		*high = 0;
	} else if (unit >= 0xd800 && unit <= 0xdbff) {
		*high = unit;
		return 0;
	} else if (unit >= 0xdc00 && unit <= 0xdfff) {
		return -1;
	} else {
		cp = unit;
		/* "MUST NOT be used to represent any printing US-ASCII
		 * character which can represent itself" ('&' included: it
		 * has "&-"). */
		if (is_direct(cp) || cp == 0)
			return -1;
	}
	if (out != NULL)
		utf8_put(out, cp);
	return 0;
}

/*
 * Decodes the base64 part of a shift starting at s[start] (just after '&')
 * up to its '-'. Returns the index of the '-', or -1 if invalid.
 */
static long decode_shift(const char *s, size_t len, size_t start,
			 struct buf *out)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	size_t i = start;
	for (; i < len && s[i] != '-'; i++) {
		uint8_t v = mb64_value((unsigned char)s[i]);
		if (v == MB64_INVALID)
			return -1; /* includes "no implicit shift back" */
		bits = bits << 6 | v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			uint32_t unit = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			if (shift_unit(unit, &high, out) < 0)
				return -1;
		}
	}
	if (i == len)
		return -1; /* RFC 3501 5.1.3: names MUST end in US-ASCII */
	/* Minimal length leaves fewer than 6 spare bits, all zero; this also
	 * rejects a shift too short to hold one unit. */
	if (nbits >= 6 || bits != 0 || high != 0)
		return -1;
	return (long)i;
}

static int mutf7_decode(const char *s, size_t len, struct buf *out)
{
	bool after_shift = false;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c != '&') {
			if (!is_direct(c))
				return -1;
			if (out != NULL)
				buf_append_char(out, (char)c);
			after_shift = false;
			i++;
		} else if (i + 1 < len && s[i + 1] == '-') {
			if (out != NULL)
				buf_append_char(out, '&');
			after_shift = false;
			i += 2;
		} else {
			/* RFC 3501 5.1.3: "&U,BTFw-&ZeVnLIqe-" has a
			 * superfluous shift; it must be one sequence. */
			if (after_shift)
				return -1;
			long end = decode_shift(s, len, i + 1, out);
			if (end < 0)
				return -1;
			after_shift = true;
			i = (size_t)end + 1;
		}
	}
	return 0;
}

bool mutf7_valid(const char *s, size_t len)
{
	return mutf7_decode(s, len, NULL) == 0;
}

int mutf7_to_utf8(const char *s, size_t len, struct buf *out)
{
	size_t orig_len = out->len;
	if (mutf7_decode(s, len, out) < 0) {
		buf_truncate(out, orig_len);
		return -1;
	}
	return 0;
}

struct shift_writer {
	struct buf *out;
	uint32_t bits;
	unsigned nbits;
	bool open;
};

static void shift_put_unit(struct shift_writer *w, uint32_t unit)
{
	if (!w->open) {
		buf_append_char(w->out, '&');
		w->open = true;
	}
	w->bits = w->bits << 16 | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		buf_append_char(w->out, mb64_alphabet[(w->bits >> w->nbits) & 63]);
	}
	w->bits &= (1u << w->nbits) - 1;
}

static void shift_close(struct shift_writer *w)
{
	if (!w->open)
		return;
	if (w->nbits > 0)
		buf_append_char(w->out,
				mb64_alphabet[(w->bits << (6 - w->nbits)) & 63]);
	buf_append_char(w->out, '-');
	w->bits = 0;
	w->nbits = 0;
	w->open = false;
}

int mutf7_from_utf8(const char *s, size_t len, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	struct shift_writer w = { .out = out };
	size_t orig_len = out->len;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		if (utf8_next(u, len, &i, &cp) < 0 || cp == 0) {
			buf_truncate(out, orig_len);
			return -1;
		}
		if (is_direct(cp)) {
			shift_close(&w);
			if (cp == '&')
				buf_append_str(out, "&-");
			else
				buf_append_char(out, (char)cp);
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			shift_put_unit(&w, 0xd800 + (cp >> 10));
			shift_put_unit(&w, 0xdc00 + (cp & 0x3ff));
		} else {
			shift_put_unit(&w, cp);
		}
	}
	shift_close(&w);
	return 0;
}
