#ifndef QUIRE_MAIL_DECODE_H
#define QUIRE_MAIL_DECODE_H
/*
 * Content decoding: transfer encodings (RFC 2045 6), RFC 2047 encoded
 * words, charset conversion to UTF-8 (iconv), and the text SEARCH indexes.
 * Every decoder is lenient: mail in the wild is broken in every possible
 * way, and a decoder that gives up loses the text a user searches for.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "mail/mime.h"

/* Quoted-printable (RFC 2045 6.7), appended to out. Invalid "=XY"
   sequences are kept literally, soft line breaks ("=" at end of line,
   trailing whitespace allowed) removed, trailing whitespace before a line
   end dropped. header == true is the RFC 2047 "Q" flavour: "_" is a space. */
void mail_qp_decode(const char *in, size_t len, bool header, struct buf *out);

/* Base64 (RFC 2045 6.8), appended to out. Characters outside the alphabet
   are skipped, decoding stops at "=" padding; a truncated last quantum
   yields the whole bytes it holds. (core/base64.h is written in
   parallel; this lenient MIME variant stays here until they are merged.) */
void mail_base64_decode_lenient(const char *in, size_t len, struct buf *out);

/* Converts in[0..len) from charset to UTF-8, appended to out. Invalid or
   incomplete sequences become U+FFFD. us-ascii and utf-8 are handled
   without iconv (invalid UTF-8 becomes U+FFFD too). Returns 0, or -1 when
   iconv does not know the charset (nothing appended), so SEARCH can answer
   NO [BADCHARSET]. */
int mail_charset_to_utf8(const char *charset, const char *in, size_t len,
			 struct buf *out);

/* RFC 2047: appends the header value in[0..len) with encoded words
   (B and Q) decoded to UTF-8. Whitespace between adjacent encoded words
   is dropped (RFC 2047 6.2); malformed words and words in unknown charsets
   are copied as they are. Other bytes are copied unchanged. */
void mail_rfc2047_decode(const char *in, size_t len, struct buf *out);

/* Undoes Content-Transfer-Encoding encoding (NULL, 7bit, 8bit, binary: a
   copy; base64; quoted-printable) on in[0..len), appended to out.
   Returns 0, or -1 for an unknown encoding (nothing appended). */
int mail_transfer_decode(const char *encoding, const char *in, size_t len,
			 struct buf *out);

/*
 * Text for the full-text index: the header values of every message header
 * in the tree (RFC 2047 decoded, one "Name: value" line each) and the
 * decoded, UTF-8 content of every text/ * leaf, separated by newlines.
 * Parts in unknown charsets or encodings are added as raw bytes, so they
 * are still searchable as ASCII.
 */
void mail_text_for_search(const struct mail_tree *tree, const char *msg,
			  size_t msg_len, struct buf *out);

#endif
