#include "mail/preview.h"

#include <string.h>
#include <strings.h>

#include "mail/decode.h"

static bool part_is_attachment(const struct mail_part *part)
{
	return part->disposition != NULL &&
	       strcasecmp(part->disposition, "attachment") == 0;
}

/* The first leaf of type text/subtype that is not an attachment, in
 * depth-first order, not descending into attached messages. */
static const struct mail_part *find_text(const struct mail_part *part,
					 const char *subtype)
{
	if (part->flags & MAIL_PART_FLAG_MULTIPART) {
		for (const struct mail_part *c = part->children; c != NULL; c = c->next) {
			const struct mail_part *found = find_text(c, subtype);
			if (found != NULL)
				return found;
		}
		return NULL;
	}
	if ((part->flags & MAIL_PART_FLAG_MESSAGE) || part_is_attachment(part))
		return NULL;
	return mail_part_is(part, "text", subtype) ? part : NULL;
}

/* Decodes the start of the part to UTF-8. */
static void decode_part(const struct mail_part *part, const char *msg,
			size_t msg_len, struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t len = part->body_size;

	if (part->body_offset > msg_len)
		return;
	if (len > msg_len - part->body_offset)
		len = msg_len - part->body_offset;
	if (len > MAIL_PREVIEW_INPUT_MAX)
		len = MAIL_PREVIEW_INPUT_MAX;
	const char *body = msg + part->body_offset;
	if (mail_transfer_decode(part->encoding, body, len, &raw) < 0)
		buf_append(&raw, body, len);
	const char *charset = mail_part_param(part, "charset");
	const char *data = raw.data != NULL ? raw.data : "";
	if (mail_charset_to_utf8(charset != NULL ? charset : "us-ascii", data,
				 raw.len, out) < 0)
		mail_charset_to_utf8("utf-8", data, raw.len, out);
	buf_free(&raw);
}

static const struct {
	const char *name;
	const char *text;
} entities[] = {
	{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
	{ "apos;", "'" }, { "#39;", "'" }, { "nbsp;", " " },
};

/* Removes tags; drops <script> and <style> contents; decodes the common
 * entities (others are kept as written). */
static void strip_html(const char *in, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		if (in[i] == '<') {
			bool skip_body = (len - i > 7 && strncasecmp(in + i, "<script", 7) == 0) ||
					 (len - i > 6 && strncasecmp(in + i, "<style", 6) == 0);
			const char *close = skip_body ?
				(in[i + 2] == 'c' || in[i + 2] == 'C' ? "</script" : "</style") : NULL;
			const char *gt = memchr(in + i, '>', len - i);
			if (gt == NULL)
				break;
			i = (size_t)(gt - in) + 1;
			if (close != NULL) {
				const char *end = NULL;
				for (size_t j = i; j + strlen(close) <= len && end == NULL; j++) {
					if (strncasecmp(in + j, close, strlen(close)) == 0)
						end = in + j;
				}
				if (end == NULL)
					break;
				gt = memchr(end, '>', len - (size_t)(end - in));
				if (gt == NULL)
					break;
				i = (size_t)(gt - in) + 1;
			}
			buf_append_char(out, ' ');
			continue;
		}
		if (in[i] == '&') {
			size_t k = 0;
			while (k < sizeof(entities) / sizeof(entities[0]) &&
			       !(len - i - 1 >= strlen(entities[k].name) &&
				 strncasecmp(in + i + 1, entities[k].name,
					     strlen(entities[k].name)) == 0))
				k++;
			if (k < sizeof(entities) / sizeof(entities[0])) {
				buf_append_str(out, entities[k].text);
				i += 1 + strlen(entities[k].name);
				continue;
			}
		}
		buf_append_char(out, in[i++]);
	}
}

/* Drops lines starting with '>' (quoted replies) from plain text. */
static void drop_quoted(const char *in, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - in) + 1 : len;
		if (in[i] != '>')
			buf_append(out, in + i, end - i);
		else
			buf_append_char(out, '\n');
		i = end;
	}
}

/* Collapses white space and controls to single spaces, trims, and stops
 * after MAIL_PREVIEW_CHARS characters (UTF-8 lead bytes). */
static void normalize(const char *in, size_t len, struct buf *out)
{
	unsigned chars = 0;
	bool space = false;
	size_t start = out->len;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = true;
			continue;
		}
		bool lead = (c & 0xc0) != 0x80;
		if (lead) {
			if (space && out->len > start) {
				if (chars + 1 >= MAIL_PREVIEW_CHARS)
					break;
				buf_append_char(out, ' ');
				chars++;
			}
			if (chars == MAIL_PREVIEW_CHARS)
				break;
			chars++;
		}
		space = false;
		buf_append_char(out, (char)c);
	}
}

void mail_preview(const struct mail_tree *tree, const char *msg, size_t len,
		  struct buf *out)
{
	if (tree == NULL || tree->root == NULL)
		return;
	const struct mail_part *part = find_text(tree->root, "plain");
	bool html = false;
	if (part == NULL) {
		part = find_text(tree->root, "html");
		html = part != NULL;
	}
	if (part == NULL)
		return;
	struct buf text = BUF_INIT, clean = BUF_INIT;
	decode_part(part, msg, len, &text);
	const char *t = text.data != NULL ? text.data : "";
	if (html)
		strip_html(t, text.len, &clean);
	else
		drop_quoted(t, text.len, &clean);
	normalize(clean.data != NULL ? clean.data : "", clean.len, out);
	buf_free(&text);
	buf_free(&clean);
}
