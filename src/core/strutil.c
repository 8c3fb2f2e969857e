/* ASCII-only string helpers; see strutil.h. */
#include "core/strutil.h"

#include <string.h>

int str_ascii_casecmp_n(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)str_ascii_lower(a[i]);
		unsigned char cb = (unsigned char)str_ascii_lower(b[i]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

bool str_ascii_caseeq_n(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && str_ascii_casecmp_n(a, alen, b, blen) == 0;
}

/*
 * Candidates are found by the needle's first byte in either case, so the
 * common miss costs one comparison per haystack byte; the full comparison
 * only runs where the first byte already matches. Quadratic only on
 * pathological inputs, which SEARCH limits bound.
 */
const char *str_ascii_casefind(const char *haystack, size_t haystack_len,
			       const char *needle, size_t needle_len)
{
	if (needle_len == 0)
		return haystack;
	if (needle_len > haystack_len)
		return NULL;
	char first = str_ascii_lower(needle[0]);
	size_t last_start = haystack_len - needle_len;
	for (size_t i = 0; i <= last_start; i++) {
		if (str_ascii_lower(haystack[i]) != first)
			continue;
		size_t j = 1;
		while (j < needle_len && str_ascii_lower(haystack[i + j]) ==
					 str_ascii_lower(needle[j]))
			j++;
		if (j == needle_len)
			return haystack + i;
	}
	return NULL;
}

int str_to_u64(const char *s, size_t len, uint64_t *r)
{
	if (len == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*r = v;
	return 0;
}

int str_to_u32(const char *s, size_t len, uint32_t *r)
{
	uint64_t v;
	if (str_to_u64(s, len, &v) < 0 || v > UINT32_MAX)
		return -1;
	*r = (uint32_t)v;
	return 0;
}

bool str_ends_with(const char *s, size_t len, const char *suffix,
		   size_t suffix_len)
{
	return suffix_len <= len &&
	       memcmp(s + len - suffix_len, suffix, suffix_len) == 0;
}
