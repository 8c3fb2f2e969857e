#include "mail/header.h"

#include <string.h>
#include <strings.h>

/* Returns the offset just past the line starting at pos (past its LF, or
   len when the last line has none). */
static size_t line_end(const char *data, size_t len, size_t pos)
{
	const char *lf = memchr(data + pos, '\n', len - pos);
	return lf == NULL ? len : (size_t)(lf - data) + 1;
}

/* True when the line at pos is empty: "\r\n", "\n" (or "\r" at the very
   end of the input). */
static bool line_is_empty(const char *data, size_t len, size_t pos)
{
	if (data[pos] == '\n')
		return true;
	return data[pos] == '\r' && (pos + 1 == len || data[pos + 1] == '\n');
}

size_t mail_header_block_size(const char *data, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		if (line_is_empty(data, len, pos))
			return line_end(data, len, pos);
		pos = line_end(data, len, pos);
	}
	return len;
}

void mail_header_iter_init(struct mail_header_iter *it, const char *data,
			   size_t len)
{
	it->data = data;
	it->len = len;
	it->pos = 0;
}

/* Length of the content of the line [start, end) without its CRLF/LF. */
static size_t strip_eol(const char *data, size_t start, size_t end)
{
	if (end > start && data[end - 1] == '\n')
		end--;
	if (end > start && data[end - 1] == '\r')
		end--;
	return end - start;
}

bool mail_header_iter_next(struct mail_header_iter *it,
			   struct mail_header_field *field_r)
{
	const char *d = it->data;
	size_t len = it->len;
	if (it->pos >= len || line_is_empty(d, len, it->pos))
		return false;

	size_t start = it->pos;
	size_t end = line_end(d, len, start);
	/* RFC 5322 2.2.3: a line starting with WSP continues the field. */
	while (end < len && (d[end] == ' ' || d[end] == '\t'))
		end = line_end(d, len, end);
	it->pos = end;

	size_t content_len = strip_eol(d, start, end);
	const char *colon = memchr(d + start, ':', content_len);
	memset(field_r, 0, sizeof(*field_r));
	field_r->start = start;
	field_r->end = end;
	field_r->name = d + start;
	if (colon == NULL) {
		field_r->name_len = content_len;
		field_r->value = d + start + content_len;
		return true;
	}
	size_t name_len = (size_t)(colon - (d + start));
	/* RFC 5322 4.5 obs-optional allows WSP between name and colon. */
	while (name_len > 0 &&
	       (d[start + name_len - 1] == ' ' || d[start + name_len - 1] == '\t'))
		name_len--;
	field_r->has_colon = true;
	field_r->name_len = name_len;
	field_r->value = colon + 1;
	field_r->value_len = content_len - (size_t)(colon + 1 - (d + start));
	return true;
}

bool mail_header_name_is(const struct mail_header_field *field,
			 const char *name)
{
	size_t n = strlen(name);
	return field->has_colon && field->name_len == n &&
	       strncasecmp(field->name, name, n) == 0;
}

bool mail_header_find(const char *data, size_t len, const char *name,
		      struct mail_header_field *field_r)
{
	struct mail_header_iter it;
	mail_header_iter_init(&it, data, len);
	while (mail_header_iter_next(&it, field_r)) {
		if (mail_header_name_is(field_r, name))
			return true;
	}
	return false;
}

void mail_header_unfold(const char *value, size_t len, struct buf *out)
{
	size_t start = 0;
	while (start < len && (value[start] == ' ' || value[start] == '\t' ||
			       value[start] == '\r' || value[start] == '\n'))
		start++;
	while (len > start && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
			       value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	size_t run = start;
	for (size_t i = start; i < len; i++) {
		if (value[i] != '\r' && value[i] != '\n')
			continue;
		buf_append(out, value + run, i - run);
		run = i + 1;
	}
	buf_append(out, value + run, len - run);
}
