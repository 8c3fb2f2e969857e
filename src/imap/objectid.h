#ifndef QUIRE_IMAP_OBJECTID_H
#define QUIRE_IMAP_OBJECTID_H
/*
 * OBJECTID identifiers (RFC 8474), derived from what the store already
 * keeps, so nothing new is stored:
 *
 *  MAILBOXID "M<uidvalidity>": uidvalidity values are allocated from one
 *   counter for the whole store and never reused, a RENAME keeps them
 *   (RFC 8474 4: same id across rename, never reused), and renaming
 *   INBOX makes a new mailbox with a new one (RFC 8474 4, RFC 3501).
 *  EMAILID "E<sha256 prefix>-<internaldate>": the body is content
 *   addressed and COPY/MOVE share it and keep INTERNALDATE, so a copy has
 *   the id of its source (RFC 8474 5.1 MUST); identical bytes appended
 *   with the same INTERNALDATE share an id, which 5.1 allows; the date is
 *   part of it because INTERNALDATE is immutable per message too.
 *  THREADID: not computed; FETCH answers NIL (RFC 8474 5.2 allows it).
 */
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

/* Appends the MAILBOXID objectid (without parentheses). */
void objectid_mailbox(uint32_t uidvalidity, struct buf *out);

/* Appends the EMAILID objectid for a message whose blob has the given
 * SHA-256 and whose INTERNALDATE is internaldate. */
void objectid_email(const uint8_t sha256[32], time_t internaldate,
		    struct buf *out);

#endif
