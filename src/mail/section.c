#include "mail/section.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/decode.h"
#include "mail/header.h"

/* Field names in one HEADER.FIELDS list; RFC 3501 sets no limit, this one
   only bounds the memory a client can make us hold. */
#define MAX_SECTION_FIELDS 1000

struct spec_reader {
	const char *p, *end;
};

static bool read_keyword(struct spec_reader *r, const char *kw)
{
	size_t n = strlen(kw);
	if ((size_t)(r->end - r->p) < n || strncasecmp(r->p, kw, n) != 0)
		return false;
	r->p += n;
	return true;
}

static int parse_path(struct spec_reader *r, struct mail_section *sec,
		      const char **error_r)
{
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (*r->p == '0') {
			*error_r = "Invalid part number";  /* nz-number */
			return -1;
		}
		uint64_t n = 0;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			n = n * 10 + (uint64_t)(*r->p++ - '0');
			if (n > UINT32_MAX) {
				*error_r = "Part number too large";
				return -1;
			}
		}
		if (sec->path_len == MAIL_MIME_MAX_DEPTH) {
			*error_r = "Too many part numbers";
			return -1;
		}
		sec->path[sec->path_len++] = (uint32_t)n;
		if (r->p == r->end || *r->p != '.')
			break;
		r->p++;
		if (r->p == r->end) {
			*error_r = "Missing section after '.'";
			return -1;
		}
	}
	return 0;
}

/* An astring: atom, quoted string or literal {N}CRLF (RFC 3501 9). */
static int read_astring(struct spec_reader *r, struct buf *out)
{
	if (r->p < r->end && *r->p == '"') {
		r->p++;
		while (r->p < r->end && *r->p != '"') {
			if (*r->p == '\\' && r->p + 1 < r->end)
				r->p++;
			if (*r->p == '\r' || *r->p == '\n')
				return -1;
			buf_append_char(out, *r->p++);
		}
		if (r->p == r->end)
			return -1;
		r->p++;
		return 0;
	}
	if (r->p < r->end && *r->p == '{') {
		uint64_t n = 0;
		r->p++;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9' && n < 1000000)
			n = n * 10 + (uint64_t)(*r->p++ - '0');
		if (r->p < r->end && *r->p == '+')
			r->p++;
		if (r->end - r->p < 3 || memcmp(r->p, "}\r\n", 3) != 0)
			return -1;
		r->p += 3;
		if ((uint64_t)(r->end - r->p) < n)
			return -1;
		buf_append(out, r->p, (size_t)n);
		r->p += n;
		return 0;
	}
	const char *start = r->p;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\", c) != NULL)
			break;
		r->p++;
	}
	if (r->p == start)
		return -1;
	buf_append(out, start, (size_t)(r->p - start));
	return 0;
}

static int parse_field_list(struct spec_reader *r, struct mail_section *sec,
			    const char **error_r)
{
	*error_r = "Invalid header field list";
	if (r->p == r->end || *r->p++ != ' ')
		return -1;
	if (r->p == r->end || *r->p++ != '(')
		return -1;
	struct buf name = BUF_INIT;
	for (;;) {
		buf_reset(&name);
		if (read_astring(r, &name) < 0 || name.len == 0 ||
		    memchr(name.data, '\0', name.len) != NULL ||
		    sec->field_count == MAX_SECTION_FIELDS) {
			buf_free(&name);
			return -1;
		}
		sec->fields = xrealloc(sec->fields,
				       sizeof(char *) * (sec->field_count + 1));
		sec->fields[sec->field_count++] = xstrndup(name.data, name.len);
		if (r->p < r->end && *r->p == ' ') {
			r->p++;
			continue;
		}
		break;
	}
	buf_free(&name);
	if (r->p == r->end || *r->p++ != ')')
		return -1;
	return 0;
}

int mail_section_parse(const char *spec, size_t len,
		       struct mail_section *section_r, const char **error_r)
{
	struct spec_reader r = { spec, spec + len };
	memset(section_r, 0, sizeof(*section_r));
	section_r->kind = MAIL_SECTION_ALL;
	if (parse_path(&r, section_r, error_r) < 0)
		goto fail;
	if (r.p == r.end)
		return 0;
	bool has_part = section_r->path_len > 0;
	/* longest keyword first: HEADER is a prefix of HEADER.FIELDS */
	if (read_keyword(&r, "HEADER.FIELDS.NOT")) {
		section_r->kind = MAIL_SECTION_HEADER_FIELDS_NOT;
		if (parse_field_list(&r, section_r, error_r) < 0)
			goto fail;
	} else if (read_keyword(&r, "HEADER.FIELDS")) {
		section_r->kind = MAIL_SECTION_HEADER_FIELDS;
		if (parse_field_list(&r, section_r, error_r) < 0)
			goto fail;
	} else if (read_keyword(&r, "HEADER")) {
		section_r->kind = MAIL_SECTION_HEADER;
	} else if (read_keyword(&r, "TEXT")) {
		section_r->kind = MAIL_SECTION_TEXT;
	} else if (has_part && read_keyword(&r, "MIME")) {
		/* RFC 3501 6.4.5: MIME only after a part number */
		section_r->kind = MAIL_SECTION_MIME;
	} else {
		*error_r = "Invalid section";
		goto fail;
	}
	if (r.p != r.end) {
		*error_r = "Junk after section";
		goto fail;
	}
	return 0;
fail:
	mail_section_free(section_r);
	return -1;
}

void mail_section_free(struct mail_section *section)
{
	for (unsigned int i = 0; i < section->field_count; i++)
		free(section->fields[i]);
	free(section->fields);
	section->fields = NULL;
	section->field_count = 0;
}

static bool field_listed(const struct mail_section *sec,
			 const struct mail_header_field *f)
{
	for (unsigned int i = 0; i < sec->field_count; i++) {
		if (mail_header_name_is(f, sec->fields[i]))
			return true;
	}
	return false;
}

static void filter_fields(const struct mail_section *sec, const char *hdr,
			  size_t hdr_len, struct buf *out)
{
	bool want = sec->kind == MAIL_SECTION_HEADER_FIELDS;
	struct mail_header_iter it;
	struct mail_header_field f;
	mail_header_iter_init(&it, hdr, hdr_len);
	while (mail_header_iter_next(&it, &f)) {
		if (!f.has_colon || field_listed(sec, &f) != want)
			continue;
		buf_append(out, hdr + f.start, f.end - f.start);
		if (hdr[f.end - 1] != '\n')
			buf_append_str(out, "\r\n");
	}
	/* RFC 3501 6.4.5: the blank line ending the header is included */
	buf_append_str(out, "\r\n");
}

static void set_range(struct mail_section_result *res, size_t offset,
		      size_t size)
{
	res->offset = offset;
	res->size = size;
}

void mail_section_fetch(const struct mail_tree *tree, const char *msg,
			size_t msg_len, const struct mail_section *section,
			struct mail_section_result *result_r)
{
	memset(result_r, 0, sizeof(*result_r));
	if (tree->msg_size != msg_len)
		return;  /* the tree is not of these bytes: serve nothing */
	const struct mail_part *part =
		mail_tree_find_part(tree, section->path, section->path_len);
	if (part == NULL)
		return;
	if (section->kind == MAIL_SECTION_ALL) {
		if (section->path_len == 0)
			set_range(result_r, 0, msg_len);
		else
			set_range(result_r, part->body_offset, part->body_size);
		return;
	}
	if (section->kind == MAIL_SECTION_MIME) {
		set_range(result_r, part->header_offset, part->header_size);
		return;
	}
	/* HEADER, HEADER.FIELDS and TEXT address a message: the top one,
	   or the one inside a message/rfc822 part (RFC 3501 6.4.5). */
	if (section->path_len > 0) {
		if ((part->flags & MAIL_PART_FLAG_MESSAGE) == 0)
			return;
		part = part->children;
	}
	switch (section->kind) {
	case MAIL_SECTION_HEADER:
		set_range(result_r, part->header_offset, part->header_size);
		break;
	case MAIL_SECTION_TEXT:
		set_range(result_r, part->body_offset, part->body_size);
		break;
	case MAIL_SECTION_HEADER_FIELDS:
	case MAIL_SECTION_HEADER_FIELDS_NOT:
		result_r->generated = true;
		filter_fields(section, msg + part->header_offset,
			      part->header_size, &result_r->data);
		result_r->size = result_r->data.len;
		break;
	default:
		break;
	}
}

void mail_section_result_free(struct mail_section_result *result)
{
	buf_free(&result->data);
}

const char *mail_section_result_ptr(const struct mail_section_result *result,
				    const char *msg)
{
	if (result->generated)
		return result->data.data;
	return msg + result->offset;
}

void mail_section_partial(size_t size, uint64_t origin, uint64_t octets,
			  size_t *offset_r, size_t *len_r)
{
	if (origin >= size) {
		*offset_r = size;
		*len_r = 0;
		return;
	}
	*offset_r = (size_t)origin;
	uint64_t left = size - (size_t)origin;
	*len_r = (size_t)(octets < left ? octets : left);
}

int mail_binary_fetch(const struct mail_tree *tree, const char *msg,
		      size_t msg_len, const uint32_t *path,
		      unsigned int path_len, struct buf *out)
{
	if (tree->msg_size != msg_len)
		return MAIL_BINARY_OK;
	if (path_len == 0) {
		buf_append(out, msg, msg_len);
		return MAIL_BINARY_OK;
	}
	const struct mail_part *part = mail_tree_find_part(tree, path, path_len);
	if (part == NULL)
		return MAIL_BINARY_OK;
	const char *body = msg + part->body_offset;
	if ((part->flags & (MAIL_PART_FLAG_MULTIPART | MAIL_PART_FLAG_MESSAGE)) != 0) {
		buf_append(out, body, part->body_size);
		return MAIL_BINARY_OK;
	}
	if (mail_transfer_decode(part->encoding, body, part->body_size, out) < 0)
		return MAIL_BINARY_UNKNOWN_CTE;
	return MAIL_BINARY_OK;
}
