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
 *  THREADID "T<hex>": the thread number the store gave the message at
 *   delivery (see mail/thread-keys.h for the rule), kept with the row and
 *   copied with it by COPY/MOVE.
 *
 * The prefixes keep the three kinds apart (RFC 8474 5.2 MUST NOT share).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

/* Appends the MAILBOXID objectid (without parentheses). */
void objectid_mailbox(uint32_t uidvalidity, struct buf *out);

/* Appends the EMAILID objectid for a message whose blob has the given
 * SHA-256 and whose INTERNALDATE is internaldate. */
void objectid_email(const uint8_t sha256[32], time_t internaldate,
		    struct buf *out);

/* RFC 8474 7: the longest objectid. */
#define OBJECTID_MAX_LEN 255

/* Appends the THREADID objectid of a stored thread number (> 0). */
void objectid_thread(int64_t thread_id, struct buf *out);

/* True when s[0..len) has the objectid syntax of RFC 8474 7. */
bool objectid_valid(const char *s, size_t len);

/* The thread number of a THREADID this server writes: 0 and *thread_id_r
 * set, or -1 for any other string. */
int objectid_thread_parse(const char *s, size_t len, uint64_t *thread_id_r);

/* The INTERNALDATE part of an EMAILID in the form objectid_email writes:
 * 0 and *internaldate_r set, or -1 when s cannot be such an id. The hash
 * part is not checked: callers compare whole ids. */
int objectid_email_date(const char *s, size_t len, time_t *internaldate_r);

#endif
