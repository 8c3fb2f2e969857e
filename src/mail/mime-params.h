#ifndef QUIRE_MAIL_MIME_PARAMS_H
#define QUIRE_MAIL_MIME_PARAMS_H
/*
 * Internal to src/mail: RFC 2045 5.1 Content-Type and RFC 2183
 * Content-Disposition values, with RFC 2231 parameter continuations and
 * charsets. Values come unfolded (mail_header_unfold()).
 */
#include <stdbool.h>
#include <stddef.h>

#include "mail/mime.h"
#include "mail/pool.h"

/* Parses "type/subtype *(; param)" into part->type, subtype and params
   (allocated from pool). Returns false (part untouched) when there is no
   type "/" subtype, so the caller applies the RFC 2045 5.2 default. */
bool mime_parse_content_type(struct mail_pool *pool, const char *value,
			     size_t len, struct mail_part *part);

/* Parses "disposition *(; param)" into part->disposition and disp_params.
   Returns false when there is no disposition token. */
bool mime_parse_disposition(struct mail_pool *pool, const char *value,
			    size_t len, struct mail_part *part);

/* Parses the first token (e.g. Content-Transfer-Encoding), skipping
   comments; NULL when there is none. */
char *mime_parse_token(struct mail_pool *pool, const char *value, size_t len);

/* Splits a Content-Language list into tags ("en, de (German)"). */
void mime_parse_languages(struct mail_pool *pool, const char *value,
			  size_t len, struct mail_part *part);

#endif
