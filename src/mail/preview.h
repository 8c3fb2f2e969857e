#ifndef QUIRE_MAIL_PREVIEW_H
#define QUIRE_MAIL_PREVIEW_H
/*
 * PREVIEW text (RFC 8970 3.3): the start of a message's readable text,
 * as plain UTF-8 without markup, at most MAIL_PREVIEW_CHARS characters.
 *
 * The text is that of the first text/plain part that is not an
 * attachment (not looking inside attached messages), else of the first
 * such text/html part with tags, scripts and styles removed and the
 * common entities decoded. Quoted lines ("> ...") of plain text are
 * skipped; runs of white space become one space. The work is bounded:
 * only the first MAIL_PREVIEW_INPUT_MAX bytes of the part are decoded,
 * whatever the size of the message.
 */
#include <stddef.h>

#include "core/buf.h"
#include "mail/mime.h"

/* RFC 8970 3.3: SHOULD 200, MUST NOT exceed 256. */
#define MAIL_PREVIEW_CHARS 200
#define MAIL_PREVIEW_INPUT_MAX 16384

/*
 * Appends the preview of the message msg[0..len) with parse tree `tree` to
 * out: valid UTF-8, no control characters, possibly empty (RFC 8970 3.2:
 * an empty string when there is no text to show, e.g. only an image).
 */
void mail_preview(const struct mail_tree *tree, const char *msg, size_t len,
		  struct buf *out);

#endif
