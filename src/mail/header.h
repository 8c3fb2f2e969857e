#ifndef QUIRE_MAIL_HEADER_H
#define QUIRE_MAIL_HEADER_H
/*
 * RFC 5322 header blocks, read in place from the message bytes.
 *
 * Nothing here copies or rewrites the message: a field is a pair of
 * pointers into the caller's bytes. Lines may end in CRLF or in a bare LF
 * (mbox and Maildir deliveries often have no CR); 8-bit bytes and NULs are
 * passed through untouched (RFC 6532 and plain broken mailers both send
 * them, and the message is served back byte for byte).
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct mail_header_field {
	/* Field name as in the message, without the colon. */
	const char *name;
	size_t name_len;
	/* Raw value after the colon: leading whitespace kept, folding kept
	   (CRLF/LF + WSP inside), the final line ending excluded. */
	const char *value;
	size_t value_len;
	/* Offsets relative to the start of the header block: the first byte of
	   the field and the byte just past its final line ending. */
	size_t start;
	size_t end;
	/* false for a line with no colon (obsolete or garbage): name then holds
	   the whole line and value is empty. Such lines stay part of the
	   header bytes but never match mail_header_find(). */
	bool has_colon;
};

struct mail_header_iter {
	const char *data;
	size_t len;
	size_t pos;
};

/*
 * Finds the end of the header block starting at data[0].
 * The header ends with the first empty line (CRLF or LF alone); the empty
 * line belongs to the header (RFC 3501 6.4.5: BODY[HEADER] includes it).
 * Returns the header size, which is also the offset of the body. When there
 * is no empty line at all, the whole input is header and the body is empty
 * (returns len). An input starting with an empty line has a header of just
 * that line.
 */
size_t mail_header_block_size(const char *data, size_t len);

/* Iterates over the fields of a header block (data, len: only the header,
   as sized by mail_header_block_size(); a trailing empty line is skipped). */
void mail_header_iter_init(struct mail_header_iter *it, const char *data,
			   size_t len);
/* Returns true and fills *field_r with the next field, false at the end.
   A line starting with whitespace before any field is a field of its own
   with has_colon == false. */
bool mail_header_iter_next(struct mail_header_iter *it,
			   struct mail_header_field *field_r);

/*
 * Finds the first field whose name equals name case-insensitively (name is
 * NUL-terminated, without colon). Returns true and fills *field_r if found.
 */
bool mail_header_find(const char *data, size_t len, const char *name,
		      struct mail_header_field *field_r);

/*
 * Appends value to out with the folding removed (RFC 5322 2.2.3: CRLF or
 * LF followed by WSP is deleted, the WSP kept) and leading and trailing
 * whitespace trimmed. Other bytes, 8-bit included, are copied as is.
 */
void mail_header_unfold(const char *value, size_t len, struct buf *out);

/* Returns true when the field's name equals name (case-insensitive). */
bool mail_header_name_is(const struct mail_header_field *field,
			 const char *name);

#endif
