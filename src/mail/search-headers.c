#include "mail/search-headers.h"

#include <string.h>
#include <strings.h>

#include "mail/decode.h"
#include "mail/header.h"

#define RECORD_VERSION 1
#define RECORD_INCOMPLETE 0x80

/* The fields RFC 3501 6.4.4 gives keys of their own, plus Message-ID,
 * which clients look up with HEADER after a move or to find duplicates.
 * Index = position + 1; stored records depend on this order. */
static const char *const summary_fields[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Message-ID",
};
#define FIELD_COUNT (sizeof(summary_fields) / sizeof(summary_fields[0]))

unsigned mail_search_headers_field(const char *name)
{
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		if (strcasecmp(name, summary_fields[i]) == 0)
			return (unsigned)i + 1;
	}
	return 0;
}

static unsigned field_of(const struct mail_header_field *f)
{
	if (!f->has_colon)
		return 0;
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		if (mail_header_name_is(f, summary_fields[i]))
			return (unsigned)i + 1;
	}
	return 0;
}

void mail_search_header_value(const char *value, size_t len, struct buf *out,
			      struct buf *scratch)
{
	buf_reset(scratch);
	mail_header_unfold(value, len, scratch);
	struct buf decoded = BUF_INIT;
	mail_rfc2047_decode(scratch->data == NULL ? "" : scratch->data,
			    scratch->len, &decoded);
	/* Raw 8-bit header bytes may be any charset: made UTF-8 the way the
	 * text index does, so both agree. */
	buf_reset(out);
	mail_charset_to_utf8("utf-8", decoded.data == NULL ? "" : decoded.data,
			     decoded.len, out);
	buf_free(&decoded);
}

static void put_u32le(struct buf *out, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
			       (v >> 24) & 0xff };
	buf_append(out, b, sizeof(b));
}

void mail_search_headers_build(const char *hdr, size_t len, struct buf *out)
{
	struct mail_header_iter it;
	struct mail_header_field f;
	struct buf value = BUF_INIT, scratch = BUF_INIT;
	size_t flags_at = out->len;

	buf_append_char(out, RECORD_VERSION);
	mail_header_iter_init(&it, hdr, len);
	while (mail_header_iter_next(&it, &f)) {
		unsigned field = field_of(&f);
		if (field == 0)
			continue;
		mail_search_header_value(f.value, f.value_len, &value, &scratch);
		if (value.len > MAIL_SEARCH_HEADERS_VALUE_MAX) {
			out->data[flags_at] |= (char)RECORD_INCOMPLETE;
			continue;
		}
		buf_append_char(out, (char)field);
		put_u32le(out, (uint32_t)value.len);
		if (value.len > 0)
			buf_append(out, value.data, value.len);
	}
	buf_free(&value);
	buf_free(&scratch);
}

bool mail_search_headers_iter_init(struct mail_search_headers_iter *it,
				   const void *record, size_t len)
{
	const uint8_t *p = record;
	it->pos = it->end = NULL;
	if (p == NULL || len == 0 || p[0] != RECORD_VERSION)
		return false;
	/* A damaged record must not answer "no match": every entry has to
	 * fit exactly, or the message is read instead. */
	struct mail_search_headers_iter check = { p + 1, p + len };
	unsigned field;
	const char *value;
	size_t n;
	while (mail_search_headers_iter_next(&check, &field, &value, &n)) {
	}
	if (check.pos != check.end)
		return false;
	it->pos = p + 1;
	it->end = p + len;
	return true;
}

bool mail_search_headers_iter_next(struct mail_search_headers_iter *it,
				   unsigned *field_r, const char **value_r,
				   size_t *len_r)
{
	if (it->pos == NULL || (size_t)(it->end - it->pos) < 5)
		return false;
	const uint8_t *p = it->pos;
	uint32_t n = (uint32_t)p[1] | (uint32_t)p[2] << 8 |
		     (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
	if (n > (size_t)(it->end - p) - 5)
		return false;	/* truncated: stop rather than read past it */
	*field_r = p[0];
	*value_r = (const char *)p + 5;
	*len_r = n;
	it->pos = p + 5 + n;
	return true;
}
