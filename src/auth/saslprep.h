#ifndef QUIRE_AUTH_SASLPREP_H
#define QUIRE_AUTH_SASLPREP_H
/*
 * SASLprep (RFC 4013), the string preparation SCRAM applies to user names
 * and passwords (RFC 5802 section 2.2).
 *
 * Scope, chosen deliberately (full NFKC needs Unicode tables we do not
 * carry):
 *  - the ASCII range is handled exactly: RFC 4013 maps nothing there and
 *    NFKC leaves it unchanged; ASCII control characters U+0000-U+001F and
 *    U+007F are prohibited (RFC 4013 2.3, RFC 3454 C.2.1);
 *  - C1 control characters U+0080-U+009F are prohibited too (C.2.2), a cheap
 *    check that rejects the obvious garbage;
 *  - every other character passes through unchanged (no mapping of
 *    non-ASCII spaces, no NFKC, no bidi check). Clients that do normalize
 *    send the same bytes for the common, already-NFC input, and an account
 *    whose password is non-ASCII stays usable as long as the client sends
 *    the same bytes it used when the password was set;
 *  - the input must be well-formed UTF-8 (RFC 5802 says the strings are
 *    UTF-8), without overlong forms or surrogates.
 */
#include <stddef.h>

struct buf;

/* Prepares in[0..len) and appends the result to out. Returns 0 on success,
   or -1 with *error_r set to a static reason (for logs) when the string
   contains a prohibited character or is not valid UTF-8; out may then hold
   a partial result the caller discards. An empty input is valid. */
int saslprep(const char *in, size_t len, struct buf *out, const char **error_r);

#endif
