/*
 * The MIME parser: one pass over the lines of the message with an explicit
 * stack of open multiparts (no recursion, so depth cannot blow the C
 * stack). Each line is looked at once; bodies are never copied. Only lines
 * starting with "--" are compared with the boundaries, innermost first,
 * then every enclosing one, because a boundary of an outer multipart also
 * ends the inner ones (a missing final boundary must not swallow the rest
 * of the message).
 */
#include "mail/mime.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/header.h"
#include "mail/imap-bodystructure.h"
#include "mail/imap-envelope.h"
#include "mail/mime-params.h"
#include "mail/pool.h"

struct frame {
	struct mail_part *part;      /* the multipart */
	const char *boundary;
	size_t boundary_len;
	struct mail_part *last_child;
};

struct parser {
	const char *msg;
	size_t len;
	struct mail_tree *tree;
	struct frame frames[MAIL_MIME_MAX_DEPTH];
	unsigned int frame_count;
	/* Deepest open entity; its ancestors are open too. */
	struct mail_part *cur;
	bool cur_in_header;
	/* Number of LFs before the current line: body_lines holds the line
	   number of the body start until the part is closed. */
	uint32_t lineno;
	/* Part limit reached: no new parts, no boundaries recognized. */
	bool full;
};

static unsigned int part_depth(const struct mail_part *part)
{
	unsigned int depth = 0;
	for (; part->parent != NULL; part = part->parent)
		depth++;
	return depth;
}

static struct mail_part *new_part(struct parser *p, struct mail_part *parent,
				  size_t offset)
{
	struct mail_part *part = mail_pool_alloc(p->tree->pool, sizeof(*part));
	part->parent = parent;
	part->header_offset = offset;
	p->tree->part_count++;
	if (p->tree->part_count >= MAIL_MIME_MAX_PARTS)
		p->full = true;
	return part;
}

static void set_default_type(struct parser *p, struct mail_part *part)
{
	struct mail_pool *pool = p->tree->pool;
	const struct mail_part *parent = part->parent;
	part->flags |= MAIL_PART_FLAG_DEFAULT_TYPE;
	/* RFC 2046 5.1.5: in a digest the default is message/rfc822 */
	if (parent != NULL && (parent->flags & MAIL_PART_FLAG_MULTIPART) != 0 &&
	    strcasecmp(parent->subtype, "digest") == 0) {
		part->type = mail_pool_strndup(pool, "message", 7);
		part->subtype = mail_pool_strndup(pool, "rfc822", 6);
		return;
	}
	/* RFC 2045 5.2 */
	part->type = mail_pool_strndup(pool, "text", 4);
	part->subtype = mail_pool_strndup(pool, "plain", 5);
	part->params = mail_pool_alloc(pool, sizeof(*part->params));
	part->params[0].name = mail_pool_strndup(pool, "charset", 7);
	part->params[0].value = mail_pool_strndup(pool, "us-ascii", 8);
	part->param_count = 1;
}

static char *unfolded(struct mail_pool *pool, const struct mail_header_field *f,
		      struct buf *tmp)
{
	buf_reset(tmp);
	mail_header_unfold(f->value, f->value_len, tmp);
	return mail_pool_strndup(pool, tmp->data, tmp->len);
}

/* Reads the MIME fields of part's header, [header_offset, body_offset). */
static void read_mime_fields(struct parser *p, struct mail_part *part)
{
	struct mail_pool *pool = p->tree->pool;
	struct mail_header_iter it;
	struct mail_header_field f;
	struct buf tmp = BUF_INIT;
	bool have_type = false;
	mail_header_iter_init(&it, p->msg + part->header_offset, part->header_size);
	while (mail_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len < 8 ||
		    strncasecmp(f.name, "content-", 8) != 0)
			continue;
		if (!have_type && mail_header_name_is(&f, "content-type")) {
			buf_reset(&tmp);
			mail_header_unfold(f.value, f.value_len, &tmp);
			have_type = mime_parse_content_type(pool, tmp.data, tmp.len, part);
		} else if (part->encoding == NULL &&
			   mail_header_name_is(&f, "content-transfer-encoding")) {
			part->encoding = mime_parse_token(pool, f.value, f.value_len);
		} else if (part->id == NULL && mail_header_name_is(&f, "content-id")) {
			part->id = unfolded(pool, &f, &tmp);
		} else if (part->description == NULL &&
			   mail_header_name_is(&f, "content-description")) {
			part->description = unfolded(pool, &f, &tmp);
		} else if (part->md5 == NULL && mail_header_name_is(&f, "content-md5")) {
			part->md5 = unfolded(pool, &f, &tmp);
		} else if (part->disposition == NULL &&
			   mail_header_name_is(&f, "content-disposition")) {
			buf_reset(&tmp);
			mail_header_unfold(f.value, f.value_len, &tmp);
			mime_parse_disposition(pool, tmp.data, tmp.len, part);
		} else if (part->languages == NULL &&
			   mail_header_name_is(&f, "content-language")) {
			buf_reset(&tmp);
			mail_header_unfold(f.value, f.value_len, &tmp);
			mime_parse_languages(pool, tmp.data, tmp.len, part);
		} else if (part->location == NULL &&
			   mail_header_name_is(&f, "content-location")) {
			part->location = unfolded(pool, &f, &tmp);
		}
	}
	buf_free(&tmp);
	if (!have_type)
		set_default_type(p, part);
	if (strcasecmp(part->type, "text") == 0)
		part->flags |= MAIL_PART_FLAG_TEXT;
}

static bool is_message_root(const struct mail_part *part)
{
	return part->parent == NULL ||
	       (part->parent->flags & MAIL_PART_FLAG_MESSAGE) != 0;
}

static bool identity_encoding(const char *enc)
{
	return enc == NULL || strcasecmp(enc, "7bit") == 0 ||
	       strcasecmp(enc, "8bit") == 0 || strcasecmp(enc, "binary") == 0;
}

/* The header of p->cur ends at body_offset (forced: a boundary or the end
   of input cut it short, so its content is not parsed further). */
static void end_header(struct parser *p, size_t body_offset,
		       uint32_t body_lineno, bool forced)
{
	struct mail_part *part = p->cur;
	part->header_size = body_offset - part->header_offset;
	part->body_offset = body_offset;
	part->body_lines = body_lineno;
	p->cur_in_header = false;
	read_mime_fields(p, part);
	if (is_message_root(part)) {
		struct buf env = BUF_INIT;
		mail_envelope_write(p->msg + part->header_offset,
				    part->header_size, &env);
		part->envelope = mail_pool_strndup(p->tree->pool, env.data, env.len);
		part->envelope_len = env.len;
		buf_free(&env);
	}
	bool deep = part_depth(part) + 1 >= MAIL_MIME_MAX_DEPTH ||
		    p->frame_count >= MAIL_MIME_MAX_DEPTH;
	if (strcasecmp(part->type, "multipart") == 0) {
		const char *boundary = mail_part_param(part, "boundary");
		if (boundary == NULL || boundary[0] == '\0')
			return;  /* a leaf: its body as is (Dovecot does so) */
		part->flags |= MAIL_PART_FLAG_MULTIPART;
		if (deep || p->full || forced) {
			part->flags |= MAIL_PART_FLAG_OPAQUE;
			return;
		}
		struct frame *fr = &p->frames[p->frame_count++];
		fr->part = part;
		fr->boundary = boundary;
		fr->boundary_len = strlen(boundary);
		fr->last_child = NULL;
	} else if (strcasecmp(part->type, "message") == 0 &&
		   strcasecmp(part->subtype, "rfc822") == 0 &&
		   identity_encoding(part->encoding)) {
		/* an encoded message/rfc822 cannot be parsed in place; it is
		   a plain leaf then */
		if (deep || p->full || forced) {
			if (!forced)
				part->flags |= MAIL_PART_FLAG_OPAQUE;
			return;
		}
		part->flags |= MAIL_PART_FLAG_MESSAGE;
		struct mail_part *child = new_part(p, part, body_offset);
		part->children = child;
		part->child_count = 1;
		p->cur = child;
		p->cur_in_header = true;
	}
}

/* Closes p->cur and its ancestors up to (not including) stop, their bodies
   ending at end, with end_lineno LFs before end. */
static void close_up_to(struct parser *p, struct mail_part *stop, size_t end,
			uint32_t end_lineno)
{
	if (p->cur_in_header) {
		/* The line break before a boundary belongs to the boundary
		 * (RFC 2046 5.1.1), so an empty part can end before its own
		 * header began: clamp, or the header size would wrap. */
		if (end < p->cur->header_offset)
			p->cur->header_offset = end;
		end_header(p, end, end_lineno, true);
	}
	for (struct mail_part *part = p->cur; part != stop; part = part->parent) {
		assert(part != NULL);
		if (end <= part->body_offset) {
			/* Likewise a header that ran into the boundary's line
			 * break ends there, inside its parent. */
			if (end < part->body_offset && end >= part->header_offset) {
				part->header_size = end - part->header_offset;
				part->body_offset = end;
			}
			part->body_size = 0;
			part->body_lines = 0;
		} else {
			part->body_size = end - part->body_offset;
			part->body_lines = end_lineno - part->body_lines;
		}
	}
	p->cur = stop;
}

/* If the line [pos, line_end) is a boundary of an open multipart, returns
   its frame index (innermost match) and sets *close_r for "--b--". */
static int match_boundary(const struct parser *p, size_t pos, size_t line_end,
			  bool *close_r)
{
	const char *line = p->msg + pos;
	size_t len = line_end - pos;
	if (len < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	for (int i = (int)p->frame_count - 1; i >= 0; i--) {
		const struct frame *fr = &p->frames[i];
		if (len < 2 + fr->boundary_len ||
		    memcmp(line + 2, fr->boundary, fr->boundary_len) != 0)
			continue;
		size_t j = 2 + fr->boundary_len;
		bool close = len >= j + 2 && line[j] == '-' && line[j + 1] == '-';
		if (close)
			j += 2;
		/* RFC 2046 5.1.1: only transport padding may follow */
		while (j < len && (line[j] == ' ' || line[j] == '\t' ||
				   line[j] == '\r' || line[j] == '\n'))
			j++;
		if (j == len) {
			*close_r = close;
			return i;
		}
	}
	return -1;
}

static void on_boundary(struct parser *p, int k, bool close, size_t pos,
			size_t next)
{
	struct frame *fr = &p->frames[k];
	/* RFC 2046 5.1.1: the line break before the boundary is part of it */
	size_t eol = 0;
	if (pos >= 1 && p->msg[pos - 1] == '\n')
		eol = pos >= 2 && p->msg[pos - 2] == '\r' ? 2 : 1;
	close_up_to(p, fr->part, pos - eol, p->lineno - (eol > 0 ? 1 : 0));
	p->frame_count = (unsigned int)k + 1;
	if (close) {
		p->frame_count--;  /* the rest is epilogue of fr->part */
		return;
	}
	if (p->full)
		return;
	struct mail_part *child = new_part(p, fr->part, next);
	if (fr->last_child == NULL)
		fr->part->children = child;
	else
		fr->last_child->next = child;
	fr->last_child = child;
	fr->part->child_count++;
	p->cur = child;
	p->cur_in_header = true;
}

static bool line_is_empty(const char *line, size_t len)
{
	return len == 0 || (len == 1 && line[0] == '\n') ||
	       (len == 2 && line[0] == '\r' && line[1] == '\n') ||
	       (len == 1 && line[0] == '\r');
}

static void parse_lines(struct parser *p)
{
	size_t pos = 0;
	while (pos < p->len) {
		const char *lf = memchr(p->msg + pos, '\n', p->len - pos);
		size_t next = lf == NULL ? p->len : (size_t)(lf - p->msg) + 1;
		bool close;
		int k = p->full ? -1 : match_boundary(p, pos, next, &close);
		if (k >= 0)
			on_boundary(p, k, close, pos, next);
		else if (p->cur_in_header &&
			 line_is_empty(p->msg + pos, next - pos))
			end_header(p, next, p->lineno + (lf != NULL), false);
		if (lf != NULL)
			p->lineno++;
		pos = next;
		if (!p->cur_in_header && p->frame_count == 0) {
			/* no boundary can follow: count the rest and stop */
			while (pos < p->len && (lf = memchr(p->msg + pos, '\n',
							    p->len - pos)) != NULL) {
				p->lineno++;
				pos = (size_t)(lf - p->msg) + 1;
			}
			break;
		}
	}
	close_up_to(p, NULL, p->len, p->lineno);
}

struct mail_tree *mail_mime_parse(const char *msg, size_t len)
{
	struct mail_tree *tree = xcalloc(1, sizeof(*tree));
	tree->pool = mail_pool_new();
	tree->msg_size = len;
	struct parser p = { .msg = msg, .len = len, .tree = tree };
	tree->root = new_part(&p, NULL, 0);
	p.cur = tree->root;
	p.cur_in_header = true;
	parse_lines(&p);
	mail_tree_render(tree);
	return tree;
}

void mail_tree_render(struct mail_tree *tree)
{
	buf_reset(&tree->envelope);
	buf_reset(&tree->body);
	buf_reset(&tree->bodystructure);
	if (tree->root->envelope != NULL)
		buf_append(&tree->envelope, tree->root->envelope,
			   tree->root->envelope_len);
	mail_bodystructure_write(tree->root, false, &tree->body);
	mail_bodystructure_write(tree->root, true, &tree->bodystructure);
}

void mail_tree_free(struct mail_tree **treep)
{
	struct mail_tree *tree = *treep;
	if (tree == NULL)
		return;
	mail_pool_free(tree->pool);
	buf_free(&tree->envelope);
	buf_free(&tree->body);
	buf_free(&tree->bodystructure);
	free(tree);
	*treep = NULL;
}

const struct mail_part *mail_tree_find_part(const struct mail_tree *tree,
					    const uint32_t *path,
					    unsigned int count)
{
	const struct mail_part *part = tree->root;
	for (unsigned int i = 0; i < count; i++) {
		/* below the top, the numbers of a message/rfc822 part address
		   the parts of the message it holds (RFC 3501 6.4.5) */
		const struct mail_part *entity = part;
		if (i > 0 && (part->flags & MAIL_PART_FLAG_MESSAGE) != 0)
			entity = part->children;
		else if (i > 0 && (part->flags & MAIL_PART_FLAG_MULTIPART) == 0)
			return NULL;  /* a leaf has no sub-parts */
		if ((entity->flags & MAIL_PART_FLAG_MULTIPART) == 0) {
			/* a non-multipart entity has only part 1: itself */
			if (path[i] != 1)
				return NULL;
			part = entity;
			continue;
		}
		if (path[i] == 0)
			return NULL;
		const struct mail_part *child = entity->children;
		for (uint32_t n = 1; child != NULL && n < path[i]; n++)
			child = child->next;
		if (child == NULL)
			return NULL;
		part = child;
	}
	return part;
}

const char *mail_part_param(const struct mail_part *part, const char *name)
{
	for (unsigned int i = 0; i < part->param_count; i++) {
		if (strcasecmp(part->params[i].name, name) == 0)
			return part->params[i].value;
	}
	return NULL;
}

bool mail_part_is(const struct mail_part *part, const char *type,
		  const char *subtype)
{
	return strcasecmp(part->type, type) == 0 &&
	       strcasecmp(part->subtype, subtype) == 0;
}
