#ifndef QUIRE_MAIL_IMAP_BODYSTRUCTURE_H
#define QUIRE_MAIL_IMAP_BODYSTRUCTURE_H
/*
 * IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2, grammar in 9: body,
 * body-type-1part, body-type-mpart, body-ext-1part, body-ext-mpart).
 */
#include <stdbool.h>

#include "core/buf.h"
#include "mail/mime.h"

/*
 * Appends the parenthesized body of part and its descendants.
 * extended == false: BODY (no extension data). extended == true:
 * BODYSTRUCTURE: body-ext-1part is md5, disposition, language, location;
 * body-ext-mpart is params, disposition, language, location (always all
 * four, NIL when absent, as Dovecot sends them). A message/rfc822 part
 * needs its child's envelope (set by the parser or the cache).
 */
void mail_bodystructure_write(const struct mail_part *part, bool extended,
			      struct buf *out);

#endif
