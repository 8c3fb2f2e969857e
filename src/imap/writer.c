#include "imap/writer.h"

#include <assert.h>
#include <strings.h>

/* ATOM-CHAR = any CHAR except atom-specials (RFC 3501 9):
   "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]" */
static bool is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*':
	case '"': case '\\': case ']':
		return false;
	default:
		return true;
	}
}

bool imap_write_is_atom(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_atom_char((unsigned char)s[i]))
			return false;
	}
	/* an atom NIL would be read back as NIL, not as the string */
	return !(len == 3 && strncasecmp(s, "NIL", 3) == 0);
}

/* Length of the valid UTF-8 sequence starting at s[0] (a lead byte
 * >= 0x80), or 0 if invalid: no overlongs, no surrogates, <= U+10FFFF
 * (RFC 3629 4). */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

bool imap_write_is_quotable(const char *s, size_t len,
			    enum imap_write_flags flags)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len; ) {
		unsigned char c = u[i];
		if (c == '\0' || c == '\r' || c == '\n')
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((flags & IMAP_WRITE_UTF8) == 0)
			return false;
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

void imap_write_quoted(struct buf *out, const char *s, size_t len)
{
	assert(imap_write_is_quotable(s, len, IMAP_WRITE_UTF8));
	buf_reserve(out, len + 2);
	buf_append_char(out, '"');
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			buf_append(out, s + start, i - start);
			buf_append_char(out, '\\');
			start = i;
		}
	}
	buf_append(out, s + start, len - start);
	buf_append_char(out, '"');
}

void imap_write_literal_header(struct buf *out, uint64_t len, bool literal8)
{
	if (literal8)
		buf_append_char(out, '~');
	buf_append_char(out, '{');
	buf_append_u64(out, len);
	buf_append(out, "}\r\n", 3);
}

void imap_write_literal(struct buf *out, const char *s, size_t len)
{
	imap_write_literal_header(out, len, false);
	buf_append(out, s, len);
}

void imap_write_literal8(struct buf *out, const char *s, size_t len)
{
	imap_write_literal_header(out, len, true);
	buf_append(out, s, len);
}

void imap_write_string(struct buf *out, const char *s, size_t len,
		       enum imap_write_flags flags)
{
	if (imap_write_is_quotable(s, len, flags))
		imap_write_quoted(out, s, len);
	else
		imap_write_literal(out, s, len);
}

void imap_write_astring(struct buf *out, const char *s, size_t len,
			enum imap_write_flags flags)
{
	if (imap_write_is_atom(s, len))
		buf_append(out, s, len);
	else
		imap_write_string(out, s, len, flags);
}

void imap_write_nstring(struct buf *out, const char *s, size_t len,
			enum imap_write_flags flags)
{
	if (s == NULL)
		buf_append(out, "NIL", 3);
	else
		imap_write_string(out, s, len, flags);
}
