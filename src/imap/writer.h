#ifndef QUIRE_IMAP_WRITER_H
#define QUIRE_IMAP_WRITER_H
/*
 * IMAP response writer: puts strings into responses with the quoting
 * rules of RFC 3501 4 and 9, so no client-supplied byte ever goes out
 * unquoted. Everything appends to a struct buf; nothing here fails.
 *
 * Choice of form, for the functions that choose:
 *  atom     non-empty, every byte an ATOM-CHAR (RFC 3501 9: no
 *           atom-specials, so no "(){ %*\"\\]" and no CTL/SP/8-bit), and
 *           not NIL in any case (that would read as NIL);
 *  quoted   every byte 7-bit and not CR, LF or NUL ('"' and '\' are
 *           escaped) -- or, with IMAP_WRITE_UTF8, also valid UTF-8 8-bit
 *           sequences (RFC 9051 4.3, RFC 6855 3);
 *  literal  anything else: "{N}\r\n" followed by the bytes.
 * A string holding NUL can only be sent as a literal; strictly that needs
 * literal8 (RFC 3516) -- callers that may see NULs decide that themselves
 * with imap_write_literal8().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum imap_write_flags {
	/* UTF8=ACCEPT is enabled (or IMAP4rev2): valid UTF-8 may be quoted. */
	IMAP_WRITE_UTF8 = 0x01,
};

/* True when s[0..len) may be sent as an atom (see above). */
bool imap_write_is_atom(const char *s, size_t len);
/* True when s[0..len) may be sent as a quoted string under flags. */
bool imap_write_is_quotable(const char *s, size_t len,
			    enum imap_write_flags flags);

/* astring: atom, else quoted, else literal. For mailbox names (already
 * encoded), keywords given back, etc. */
void imap_write_astring(struct buf *out, const char *s, size_t len,
			enum imap_write_flags flags);
/* string: quoted, else literal; never an atom. For ENVELOPE fields and
 * other places where the grammar says "string". */
void imap_write_string(struct buf *out, const char *s, size_t len,
		       enum imap_write_flags flags);
/* nstring: NIL when s is NULL, else as imap_write_string(). */
void imap_write_nstring(struct buf *out, const char *s, size_t len,
			enum imap_write_flags flags);
/* Always a quoted string. The caller must know that s is quotable
 * (asserted); use imap_write_string() otherwise. */
void imap_write_quoted(struct buf *out, const char *s, size_t len);
/* Always a literal: "{len}\r\n" + bytes. */
void imap_write_literal(struct buf *out, const char *s, size_t len);
/* Always a literal8 (RFC 3516 4.2): "~{len}\r\n" + bytes. */
void imap_write_literal8(struct buf *out, const char *s, size_t len);
/* Only the "{len}\r\n" header, for a literal whose bytes the caller
 * streams itself (a FETCH of a large body from a file). */
void imap_write_literal_header(struct buf *out, uint64_t len, bool literal8);

#endif
