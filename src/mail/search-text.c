/* mail_text_for_search() (declared in decode.h): the FTS index input. */
#include "mail/decode.h"

#include "mail/header.h"

static void add_header_text(const char *hdr, size_t len, struct buf *out)
{
	struct mail_header_iter it;
	struct mail_header_field f;
	struct buf v = BUF_INIT;
	mail_header_iter_init(&it, hdr, len);
	while (mail_header_iter_next(&it, &f)) {
		if (!f.has_colon)
			continue;
		buf_reset(&v);
		mail_header_unfold(f.value, f.value_len, &v);
		buf_append(out, f.name, f.name_len);
		buf_append_str(out, ": ");
		mail_rfc2047_decode(v.data == NULL ? "" : v.data, v.len, out);
		buf_append_char(out, '\n');
	}
	buf_free(&v);
}

static void add_text_part(const struct mail_part *part, const char *msg,
			  struct buf *out)
{
	struct buf decoded = BUF_INIT;
	const char *body = msg + part->body_offset;
	if (mail_transfer_decode(part->encoding, body, part->body_size,
				 &decoded) < 0)
		buf_append(&decoded, body, part->body_size);
	const char *charset = mail_part_param(part, "charset");
	if (charset == NULL)
		charset = "us-ascii";
	const char *d = decoded.data == NULL ? "" : decoded.data;
	if (mail_charset_to_utf8(charset, d, decoded.len, out) < 0)
		buf_append(out, d, decoded.len);
	buf_append_char(out, '\n');
	buf_free(&decoded);
}

void mail_text_for_search(const struct mail_tree *tree, const char *msg,
			  size_t msg_len, struct buf *out)
{
	if (tree->msg_size != msg_len)
		return;
	const struct mail_part *part = tree->root;
	while (part != NULL) {
		if (part->envelope != NULL)  /* a message root */
			add_header_text(msg + part->header_offset,
					part->header_size, out);
		if (part->children == NULL &&
		    (part->flags & MAIL_PART_FLAG_TEXT) != 0)
			add_text_part(part, msg, out);
		if (part->children != NULL) {
			part = part->children;
			continue;
		}
		while (part != NULL && part->next == NULL)
			part = part->parent;
		if (part != NULL)
			part = part->next;
	}
}
