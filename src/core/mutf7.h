#ifndef QUIRE_CORE_MUTF7_H
#define QUIRE_CORE_MUTF7_H
/*
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3), and strict UTF-8
 * validation. Mailbox names are stored and compared in their modified UTF-7
 * form; UTF-8 conversion is for IMAP4rev2 / UTF8=ACCEPT clients and for
 * logs.
 *
 * The checks follow RFC 3501 5.1.3's "SHOULD verify" list, so every name
 * has exactly one valid spelling: printable ASCII other than '&' is always
 * direct, "&-" is '&', a shift holds modified base64 (',' instead of '/')
 * of UTF-16BE with the fewest characters and zero padding bits, ends with
 * '-', is never immediately followed by another shift, and pairs its
 * surrogates. U+0000 is refused everywhere: a name is never allowed to
 * carry a NUL.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* True if s[0..len) is valid, canonical modified UTF-7 (see above). */
bool mutf7_valid(const char *s, size_t len);

/*
 * Converts modified UTF-7 s[0..len) to UTF-8, appended to out.
 * Returns 0, or -1 if s is not valid modified UTF-7 (out is then left as
 * it was on entry).
 */
int mutf7_to_utf8(const char *s, size_t len, struct buf *out);

/*
 * Converts UTF-8 s[0..len) to canonical modified UTF-7, appended to out.
 * Returns 0, or -1 if s is not strictly valid UTF-8 or contains U+0000
 * (out is then left as it was on entry). The result always satisfies
 * mutf7_valid().
 */
int mutf7_from_utf8(const char *s, size_t len, struct buf *out);

/*
 * True if s[0..len) is well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogate code points (U+D800..U+DFFF), nothing above U+10FFFF, no
 * truncated sequences. U+0000 is valid here.
 */
bool utf8_valid(const char *s, size_t len);

#endif
