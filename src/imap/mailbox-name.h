#ifndef QUIRE_IMAP_MAILBOX_NAME_H
#define QUIRE_IMAP_MAILBOX_NAME_H
/*
 * Mailbox names at the protocol edge: the one place that decides whether a
 * client's mailbox argument is acceptable, and the one place that writes
 * names into responses.
 *
 * Names are stored in modified UTF-7 (RFC 3501 5.1.3) exactly as the
 * client spelled them, with '/' as the hierarchy delimiter; only the INBOX
 * component is canonicalised (RFC 3501 5.1: INBOX is case-insensitive), as
 * the store does too. A session that enabled UTF8=ACCEPT speaks UTF-8
 * names instead (RFC 6855 3): they are converted here, at the edge, both
 * ways, so the rest of the server only ever sees the stored form.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "imap/command.h"

/* The hierarchy delimiter of the personal namespace. */
#define MAILBOX_NAME_DELIM '/'
/* Longest name accepted, in bytes of modified UTF-7. */
#define MAILBOX_NAME_MAX_LEN 512

enum mailbox_name_kind {
	/* Names a mailbox that may or may not exist (SELECT, DELETE,
	 * STATUS, SUBSCRIBE, RENAME's source). */
	MAILBOX_NAME_EXISTING,
	/* A name to be created (CREATE, RENAME's target): also no
	 * wildcards, no empty levels, no control characters once decoded. */
	MAILBOX_NAME_NEW,
};

enum mailbox_name_status {
	MAILBOX_NAME_OK = 0,
	/* Not a well-formed name (encoding, NUL, control bytes, length):
	 * answered with BAD. */
	MAILBOX_NAME_BAD,
	/* Well-formed, but not acceptable for a new mailbox: answered with
	 * NO [CANNOT] (RFC 5530 3). */
	MAILBOX_NAME_REFUSED,
};

/*
 * Checks name[0..len) for kind. Returns MAILBOX_NAME_OK, or another status
 * with *error_r set to a static reason (fit for a reply line, never holding
 * client bytes). The empty name is OK for MAILBOX_NAME_EXISTING (it names
 * no mailbox, which the store then says) and REFUSED for MAILBOX_NAME_NEW.
 */
enum mailbox_name_status mailbox_name_check(const char *name, size_t len,
					    enum mailbox_name_kind kind,
					    const char **error_r);

/*
 * Puts the canonical form of an already checked name into out (reset
 * first): a first component equal to INBOX in any case becomes "INBOX",
 * and a trailing delimiter is dropped (RFC 3501 6.3.3: "foo/" is a
 * request to create "foo" as a parent).
 */
void mailbox_name_normalize(const char *name, size_t len, struct buf *out);

/*
 * Reads a mailbox argument (an astring) of cmd, checks it for kind and puts
 * its canonical stored form into out (reset first); after ENABLE
 * UTF8=ACCEPT the argument is UTF-8 and is converted first. Returns true
 * when the name is usable; otherwise it has already sent the tagged BAD or
 * NO, and the handler just returns true.
 */
bool mailbox_name_arg(struct command *cmd, const struct imap_arg *arg,
		      enum mailbox_name_kind kind, struct buf *out);

/* True when name[0..len) is INBOX in any case (not a child of it). */
bool mailbox_name_is_inbox(const char *name, size_t len);

/* Appends name[0..len) as an astring: an atom when it may be one, else a
 * quoted string, else a literal (RFC 3501 9 "mailbox"). */
void mailbox_name_write(struct buf *out, const char *name, size_t len);

/* As mailbox_name_write, for session s: after ENABLE UTF8=ACCEPT the
 * stored name goes out decoded to UTF-8 (RFC 6855 3), quoted with 8-bit. */
void mailbox_name_write_for(const struct session *s, struct buf *out,
			    const char *name, size_t len);

/*
 * The client's spelling of a name as stored: for a session that enabled
 * UTF8=ACCEPT, name[0..len) is UTF-8 and is converted to modified UTF-7
 * into tmp (reset first), and *name_r and *len_r point there; otherwise they
 * are name and len unchanged. Returns false with *error_r (static) when
 * the UTF-8 is not valid or holds characters RFC 6855 3 forbids in names
 * (U+0000-U+001F, U+007F-U+009F, U+2028, U+2029).
 */
bool mailbox_name_from_client(const struct session *s, const char *name,
			      size_t len, struct buf *tmp,
			      const char **name_r, size_t *len_r,
			      const char **error_r);

/*
 * Sends the tagged NO for a store error r with the store's reason and the
 * RFC 5530 code store_error_code() gives. Returns true. r must not be
 * STORE_OK.
 */
bool mailbox_name_reply_store_error(struct command *cmd, int r,
				    const char *error);

#endif
