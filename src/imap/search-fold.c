#include "imap/search-fold.h"

#include <string.h>

/* The small letter of a two-byte UTF-8 code point, or cp itself. */
static unsigned fold_cp(unsigned cp)
{
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 0x20;
	if ((cp >= 0x100 && cp <= 0x12f) || (cp >= 0x132 && cp <= 0x137) ||
	    (cp >= 0x14a && cp <= 0x177))
		return (cp % 2 == 0) ? cp + 1 : cp;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return (cp % 2 == 1) ? cp + 1 : cp;
	if (cp == 0x178)
		return 0xff;
	if ((cp >= 0x391 && cp <= 0x3a1) || (cp >= 0x3a3 && cp <= 0x3ab))
		return cp + 0x20;
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 0x50;
	return cp;
}

void search_fold(const char *in, size_t len, struct buf *out)
{
	buf_reserve(out, len + 1);
	char *dst = out->data + out->len;
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0 && i + 1 < len && (s[i + 1] & 0xc0) == 0x80) {
			unsigned cp = ((unsigned)(c & 0x1f) << 6) | (s[i + 1] & 0x3f);
			unsigned f = fold_cp(cp);
			/* Every folded code point stays below U+0800: two bytes. */
			dst[i] = (char)(0xc0 | (f >> 6));
			dst[i + 1] = (char)(0x80 | (f & 0x3f));
			i += 2;
			continue;
		}
		dst[i] = (char)c;
		i++;
	}
	out->len += len;
	out->data[out->len] = '\0';
}

bool search_fold_contains(const char *hay, size_t hay_len,
			  const char *needle, size_t needle_len,
			  struct buf *scratch)
{
	if (needle_len == 0)
		return true;
	if (hay_len < needle_len)
		return false;
	buf_reset(scratch);
	search_fold(hay, hay_len, scratch);
	return memmem(scratch->data, scratch->len, needle, needle_len) != NULL;
}
