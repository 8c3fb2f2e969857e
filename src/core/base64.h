#ifndef QUIRE_CORE_BASE64_H
#define QUIRE_CORE_BASE64_H
/*
 * Base64 (RFC 4648 section 4, standard alphabet with '=' padding).
 * All functions append to out and never reset it.
 */
#include <stddef.h>

#include "core/buf.h"

/* Appends the padded encoding of data[0..len) to out (no line breaks). */
void base64_encode(const void *data, size_t len, struct buf *out);

/*
 * Strict decoding for protocol use (SASL, RFC 4422): in[0..len) must be a
 * whole number of 4-character groups from the standard alphabet, '=' only as
 * the final padding, no whitespace, and the unused bits before the padding
 * must be zero (RFC 4648 3.5), so every input has one canonical form.
 * Empty input decodes to nothing. Returns 0, or -1 on any bad input; on -1,
 * out may hold a partial result: the caller truncates back if it cares.
 */
int base64_decode(const char *in, size_t len, struct buf *out);

/*
 * Lenient decoding for MIME bodies (RFC 2045 6.8): characters outside the
 * alphabet (line breaks, spaces, garbage) are skipped, decoding stops at the
 * first '=', and a trailing incomplete group yields the whole bytes it holds.
 * Never fails: damaged mail still shows whatever can be recovered.
 */
void base64_decode_mime(const char *in, size_t len, struct buf *out);

#endif
