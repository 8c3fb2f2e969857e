/*
 * The search header summary of a message: the values of the header fields
 * clients search most (FROM, TO, CC, BCC, SUBJECT, HEADER Message-ID),
 * already unfolded, RFC 2047 decoded and made UTF-8, in one small record
 * stored beside the message. A SEARCH on those fields then reads one row
 * per message from the store instead of opening every message file, with
 * the same result: the values are exactly the text the header scan
 * compares (mail_search_header_value).
 *
 * Record: one byte of version and flags, then for each field occurrence
 * in message order one byte of field index and a 4-byte little-endian
 * length, then the value. A value longer than MAIL_SEARCH_HEADERS_VALUE_MAX
 * is left out and the record marked incomplete: a search then reads that
 * message's header as before.
 */
#ifndef QUIRE_MAIL_SEARCH_HEADERS_H
#define QUIRE_MAIL_SEARCH_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MAIL_SEARCH_HEADERS_VALUE_MAX 8192

/* The field's index in the summary (1-based), or 0 when the summary does
 * not hold it; name compares case-insensitively (RFC 5322 1.2.2). */
unsigned mail_search_headers_field(const char *name);

/* Appends the summary record of the header block [hdr, hdr + len). */
void mail_search_headers_build(const char *hdr, size_t len, struct buf *out);

/* The text a header search compares for one raw field value: unfolded,
 * RFC 2047 decoded, raw 8-bit bytes made UTF-8 the way the text index
 * does. Replaces out's contents; scratch is working space. */
void mail_search_header_value(const char *value, size_t len, struct buf *out,
			      struct buf *scratch);

struct mail_search_headers_iter {
	const uint8_t *pos, *end;
};

/* Starts reading a record. False when it cannot answer for the message
 * (unknown version, truncated, or incomplete). */
bool mail_search_headers_iter_init(struct mail_search_headers_iter *it,
				   const void *record, size_t len);

/* The next occurrence: its field index and value; false at the end. */
bool mail_search_headers_iter_next(struct mail_search_headers_iter *it,
				   unsigned *field_r, const char **value_r,
				   size_t *len_r);

#endif
