#ifndef QUIRE_CORE_STRUTIL_H
#define QUIRE_CORE_STRUTIL_H
/*
 * Small string helpers over (pointer, length) pairs. Nothing here depends
 * on the locale: IMAP's case-insensitivity is ASCII-only (RFC 3501 9,
 * "case-insensitive" applies to US-ASCII letters), so these helpers fold
 * only A-Z and leave every other byte alone.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns the ASCII lowercase of c (only 'A'..'Z' change). */
static inline char str_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/*
 * Compares a[0..alen) and b[0..blen) ignoring ASCII case, like strcmp:
 * negative, 0 or positive. Bytes compare as unsigned after folding; a proper
 * prefix sorts first.
 */
int str_ascii_casecmp_n(const char *a, size_t alen, const char *b, size_t blen);

/* True if a[0..alen) equals b[0..blen) ignoring ASCII case. */
bool str_ascii_caseeq_n(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Finds the first occurrence of needle[0..needle_len) in
 * haystack[0..haystack_len), ignoring ASCII case. Returns a pointer into
 * haystack, or NULL if absent. An empty needle matches at haystack.
 * Embedded NUL bytes are ordinary bytes on both sides.
 */
const char *str_ascii_casefind(const char *haystack, size_t haystack_len,
			       const char *needle, size_t needle_len);

/*
 * Parses s[0..len) as a decimal number: one or more ASCII digits and nothing
 * else (no sign, no spaces, no "0x"). Leading zeros are allowed.
 * Returns 0 and sets *r, or -1 (leaving *r untouched) if the text is empty,
 * holds a non-digit, or overflows the type.
 */
int str_to_u32(const char *s, size_t len, uint32_t *r);
int str_to_u64(const char *s, size_t len, uint64_t *r);

/* True if s[0..len) ends with suffix[0..suffix_len) (case-sensitive). */
bool str_ends_with(const char *s, size_t len, const char *suffix,
		   size_t suffix_len);

#endif
