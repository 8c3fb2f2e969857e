#ifndef QUIRE_MAIL_IMAP_STRING_H
#define QUIRE_MAIL_IMAP_STRING_H
/*
 * IMAP string output for the pre-rendered ENVELOPE and BODYSTRUCTURE.
 * src/imap/writer.h has the protocol's own imap_write_string(); mail may
 * not depend on imap (DESIGN.md: imap -> mail, never back), so this small
 * copy of the rules lives here. Both follow RFC 3501 9 (quoted vs literal).
 */
#include <stddef.h>

#include "core/buf.h"

/* Appends s[0..len) as a quoted string ("..." with \ before " and \), or
   as a literal {N}CRLF<bytes> when s holds CR, LF, NUL or 8-bit bytes,
   which a quoted string cannot carry (RFC 3501 4.3, 9 QUOTED-CHAR). */
void mail_imap_write_string(struct buf *out, const char *s, size_t len);
/* The same for a NUL-terminated string, or NIL when s is NULL. */
void mail_imap_write_nstring(struct buf *out, const char *s);

#endif
