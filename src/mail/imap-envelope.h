#ifndef QUIRE_MAIL_IMAP_ENVELOPE_H
#define QUIRE_MAIL_IMAP_ENVELOPE_H
/*
 * IMAP ENVELOPE (RFC 3501 7.4.2) from a RFC 5322 header block.
 *
 * Strings are sent as the header has them, unfolded but not RFC 2047
 * decoded (RFC 3501 7.4.2 ENVELOPE: the client decodes). Sender and
 * reply-to default to from when absent or empty; absent fields are NIL.
 * Address lists come from RFC 5322 3.4 syntax including the obsolete forms
 * of 4.4: routes (@a,@b:) go to adl, comments are dropped except that a
 * trailing comment of a bare addr-spec becomes the personal name (old
 * "user@host (Full Name)" style), a quoted local part is sent unquoted
 * and unescaped (the IMAP string quotes it again), groups become (NIL NIL "group" NIL) ... (NIL NIL NIL NIL) (RFC 3501 7.4.2).
 * A list that yields no address at all is NIL.
 */
#include <stddef.h>

#include "core/buf.h"

/* Appends the parenthesized ENVELOPE for the header block hdr[0..len). */
void mail_envelope_write(const char *hdr, size_t len, struct buf *out);

/* Appends the IMAP address list (or NIL) for one raw header value (as in
   struct mail_header_field.value); exported for tests and for the
   SEARCH FROM/TO handlers' address matching. */
void mail_envelope_write_addresses(const char *value, size_t len,
				   struct buf *out);

#endif
