#include "mail/imap-bodystructure.h"

#include <string.h>
#include <strings.h>

#include "mail/imap-string.h"

/* RFC 3501 9: body-type-mpart needs at least one body; a multipart whose
   boundary never occurs gets an empty text/plain (as Dovecot writes). */
#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
#define EMPTY_BODYSTRUCTURE \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"

static void write_str(struct buf *out, const char *s)
{
	mail_imap_write_string(out, s, strlen(s));
}

/* body-fld-param; text parts always name a charset (RFC 2045 5.2 default),
   as Dovecot does, so clients need not apply the default themselves. */
static void write_params(struct buf *out, const struct mail_param *params,
			 unsigned int count, bool default_charset)
{
	bool seen_charset = false;
	if (count == 0 && !default_charset) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			buf_append_char(out, ' ');
		if (strcasecmp(params[i].name, "charset") == 0)
			seen_charset = true;
		if (params[i].value_2231 != NULL) {
			struct buf name = BUF_INIT;
			buf_append_str(&name, params[i].name);
			buf_append_char(&name, '*');
			mail_imap_write_string(out, name.data, name.len);
			buf_free(&name);
			buf_append_char(out, ' ');
			write_str(out, params[i].value_2231);
		} else {
			write_str(out, params[i].name);
			buf_append_char(out, ' ');
			write_str(out, params[i].value);
		}
	}
	if (default_charset && !seen_charset) {
		if (count > 0)
			buf_append_char(out, ' ');
		buf_append_str(out, "\"charset\" \"us-ascii\"");
	}
	buf_append_char(out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void write_ext_common(const struct mail_part *part, struct buf *out)
{
	buf_append_char(out, ' ');
	if (part->disposition == NULL) {
		buf_append_str(out, "NIL");
	} else {
		buf_append_char(out, '(');
		write_str(out, part->disposition);
		buf_append_char(out, ' ');
		write_params(out, part->disp_params, part->disp_param_count, false);
		buf_append_char(out, ')');
	}
	buf_append_char(out, ' ');
	if (part->language_count == 0) {
		buf_append_str(out, "NIL");
	} else {
		buf_append_char(out, '(');
		for (unsigned int i = 0; i < part->language_count; i++) {
			if (i > 0)
				buf_append_char(out, ' ');
			write_str(out, part->languages[i]);
		}
		buf_append_char(out, ')');
	}
	buf_append_char(out, ' ');
	mail_imap_write_nstring(out, part->location);
}

static void write_part(const struct mail_part *part, bool extended,
		       struct buf *out);

static void write_multipart(const struct mail_part *part, bool extended,
			    struct buf *out)
{
	if (part->children == NULL)
		buf_append_str(out, extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
	for (const struct mail_part *c = part->children; c != NULL; c = c->next)
		write_part(c, extended, out);
	buf_append_char(out, ' ');
	write_str(out, part->subtype);
	if (!extended)
		return;
	buf_append_char(out, ' ');
	write_params(out, part->params, part->param_count, false);
	write_ext_common(part, out);
}

static void write_single(const struct mail_part *part, bool extended,
			 struct buf *out)
{
	bool text = (part->flags & MAIL_PART_FLAG_TEXT) != 0;
	bool message = (part->flags & MAIL_PART_FLAG_MESSAGE) != 0;
	write_str(out, part->type);
	buf_append_char(out, ' ');
	write_str(out, part->subtype);
	buf_append_char(out, ' ');
	write_params(out, part->params, part->param_count, text);
	buf_append_char(out, ' ');
	mail_imap_write_nstring(out, part->id);
	buf_append_char(out, ' ');
	mail_imap_write_nstring(out, part->description);
	buf_append_char(out, ' ');
	if (part->encoding == NULL)
		buf_append_str(out, "\"7bit\"");
	else
		write_str(out, part->encoding);
	buf_append_char(out, ' ');
	buf_append_u64(out, part->body_size);
	if (message && part->children != NULL) {
		/* body-type-msg: envelope, body, lines */
		const struct mail_part *inner = part->children;
		buf_append_char(out, ' ');
		if (inner->envelope != NULL)
			buf_append(out, inner->envelope, inner->envelope_len);
		else
			buf_append_str(out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
		buf_append_char(out, ' ');
		write_part(inner, extended, out);
	}
	if (text || (message && part->children != NULL)) {
		buf_append_char(out, ' ');
		buf_append_u64(out, part->body_lines);
	}
	if (!extended)
		return;
	buf_append_char(out, ' ');
	mail_imap_write_nstring(out, part->md5);
	write_ext_common(part, out);
}

static void write_part(const struct mail_part *part, bool extended,
		       struct buf *out)
{
	buf_append_char(out, '(');
	if ((part->flags & MAIL_PART_FLAG_MULTIPART) != 0)
		write_multipart(part, extended, out);
	else
		write_single(part, extended, out);
	buf_append_char(out, ')');
}

void mail_bodystructure_write(const struct mail_part *part, bool extended,
			      struct buf *out)
{
	write_part(part, extended, out);
}
