#include "mail/cache.h"

#include <string.h>

#include "mail/pool.h"

#define CACHE_MAGIC "QMC"
#define KNOWN_FLAGS (MAIL_PART_FLAG_MULTIPART | MAIL_PART_FLAG_MESSAGE | \
		     MAIL_PART_FLAG_TEXT | MAIL_PART_FLAG_DEFAULT_TYPE | \
		     MAIL_PART_FLAG_OPAQUE | MAIL_PART_FLAG_HAS_NUL)
/* Larger than anything the parser produces; bounds a hostile record. */
#define MAX_LIST_ITEMS 1024

static void put_varint(struct buf *out, uint64_t v)
{
	while (v >= 0x80) {
		buf_append_char(out, (char)(v | 0x80));
		v >>= 7;
	}
	buf_append_char(out, (char)v);
}

/* A string as len+1, or 0 for NULL. */
static void put_nstr(struct buf *out, const char *s, size_t len)
{
	if (s == NULL) {
		put_varint(out, 0);
		return;
	}
	put_varint(out, (uint64_t)len + 1);
	buf_append(out, s, len);
}

static void put_cstr(struct buf *out, const char *s)
{
	put_nstr(out, s, s == NULL ? 0 : strlen(s));
}

static void put_params(struct buf *out, const struct mail_param *params,
		       unsigned int count)
{
	put_varint(out, count);
	for (unsigned int i = 0; i < count; i++) {
		put_cstr(out, params[i].name);
		put_cstr(out, params[i].value);
		put_cstr(out, params[i].value_2231);
	}
}

static void put_part(struct buf *out, const struct mail_part *part)
{
	put_varint(out, part->flags);
	put_varint(out, part->child_count);
	put_varint(out, part->header_offset);
	put_varint(out, part->header_size);
	put_varint(out, part->body_size);
	put_varint(out, part->body_lines);
	put_cstr(out, part->type);
	put_cstr(out, part->subtype);
	put_cstr(out, part->id);
	put_cstr(out, part->description);
	put_cstr(out, part->encoding);
	put_cstr(out, part->md5);
	put_cstr(out, part->disposition);
	put_cstr(out, part->location);
	put_nstr(out, part->envelope, part->envelope_len);
	put_params(out, part->params, part->param_count);
	put_params(out, part->disp_params, part->disp_param_count);
	put_varint(out, part->language_count);
	for (unsigned int i = 0; i < part->language_count; i++)
		put_cstr(out, part->languages[i]);
	for (const struct mail_part *c = part->children; c != NULL; c = c->next)
		put_part(out, c);
}

void mail_tree_serialize(const struct mail_tree *tree, struct buf *out)
{
	buf_append(out, CACHE_MAGIC, 3);
	buf_append_char(out, MAIL_CACHE_VERSION);
	put_varint(out, tree->msg_size);
	/* the rendered strings first, so mail_cache_peek() stops early */
	put_nstr(out, tree->envelope.data == NULL ? "" : tree->envelope.data,
		 tree->envelope.len);
	put_nstr(out, tree->body.data == NULL ? "" : tree->body.data,
		 tree->body.len);
	put_nstr(out, tree->bodystructure.data == NULL ? "" :
		 tree->bodystructure.data, tree->bodystructure.len);
	put_varint(out, tree->part_count);
	put_part(out, tree->root);
}

struct reader {
	const unsigned char *p, *end;
	struct mail_pool *pool;
	const char *error;
	unsigned int parts_read;
	unsigned int parts_max;
};

static bool get_varint(struct reader *r, uint64_t *v_r)
{
	uint64_t v = 0;
	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (r->p == r->end)
			break;
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*v_r = v;
			return true;
		}
	}
	r->error = "Truncated or invalid number";
	return false;
}

static bool get_u32(struct reader *r, uint64_t max, uint32_t *v_r)
{
	uint64_t v;
	if (!get_varint(r, &v))
		return false;
	if (v > max) {
		r->error = "Number out of range";
		return false;
	}
	*v_r = (uint32_t)v;
	return true;
}

static bool get_nstr(struct reader *r, char **s_r, size_t *len_r)
{
	uint64_t n;
	if (!get_varint(r, &n))
		return false;
	*s_r = NULL;
	if (len_r != NULL)
		*len_r = 0;
	if (n == 0)
		return true;
	n--;
	if (n > (uint64_t)(r->end - r->p)) {
		r->error = "String past the end of the record";
		return false;
	}
	*s_r = mail_pool_strndup(r->pool, (const char *)r->p, (size_t)n);
	if (len_r != NULL)
		*len_r = (size_t)n;
	r->p += n;
	return true;
}

/* A string as a view into the record (no copy). */
static bool get_view(struct reader *r, const char **s_r, size_t *len_r)
{
	uint64_t n;
	if (!get_varint(r, &n))
		return false;
	if (n == 0 || n - 1 > (uint64_t)(r->end - r->p)) {
		r->error = "Missing or truncated rendered string";
		return false;
	}
	*s_r = (const char *)r->p;
	*len_r = (size_t)(n - 1);
	r->p += n - 1;
	return true;
}

/* Reads magic, version, message size and the rendered strings. */
static bool get_head(struct reader *r, size_t msg_size,
		     struct mail_cache_rendered *rendered_r)
{
	size_t len = (size_t)(r->end - r->p);
	if (len < 4 || memcmp(r->p, CACHE_MAGIC, 3) != 0) {
		r->error = "Not a parsed-message record";
		return false;
	}
	if (r->p[3] != MAIL_CACHE_VERSION) {
		r->error = "Unsupported record version";
		return false;
	}
	r->p += 4;
	uint64_t size;
	if (!get_varint(r, &size))
		return false;
	if (size != msg_size) {
		r->error = "Record is for another message";
		return false;
	}
	return get_view(r, &rendered_r->envelope, &rendered_r->envelope_len) &&
	       get_view(r, &rendered_r->body, &rendered_r->body_len) &&
	       get_view(r, &rendered_r->bodystructure,
			&rendered_r->bodystructure_len);
}

int mail_cache_peek(const void *data, size_t len, size_t msg_size,
		    struct mail_cache_rendered *rendered_r,
		    const char **error_r)
{
	struct reader r = { data, (const unsigned char *)data + len, NULL,
			    NULL, 0, 0 };
	if (!get_head(&r, msg_size, rendered_r)) {
		*error_r = r.error;
		return -1;
	}
	return 0;
}

static bool get_str(struct reader *r, char **s_r)
{
	return get_nstr(r, s_r, NULL);
}

static bool get_params(struct reader *r, struct mail_param **params_r,
		       unsigned int *count_r)
{
	uint32_t n;
	if (!get_u32(r, MAX_LIST_ITEMS, &n))
		return false;
	*count_r = n;
	*params_r = n == 0 ? NULL : mail_pool_alloc(r->pool, sizeof(**params_r) * n);
	for (uint32_t i = 0; i < n; i++) {
		if (!get_str(r, &(*params_r)[i].name) ||
		    !get_str(r, &(*params_r)[i].value) ||
		    !get_str(r, &(*params_r)[i].value_2231))
			return false;
		if ((*params_r)[i].name == NULL || (*params_r)[i].value == NULL) {
			r->error = "NULL parameter";
			return false;
		}
	}
	return true;
}

static bool get_fields(struct reader *r, struct mail_part *part)
{
	if (!get_str(r, &part->type) || !get_str(r, &part->subtype) ||
	    !get_str(r, &part->id) || !get_str(r, &part->description) ||
	    !get_str(r, &part->encoding) || !get_str(r, &part->md5) ||
	    !get_str(r, &part->disposition) || !get_str(r, &part->location) ||
	    !get_nstr(r, &part->envelope, &part->envelope_len) ||
	    !get_params(r, &part->params, &part->param_count) ||
	    !get_params(r, &part->disp_params, &part->disp_param_count))
		return false;
	if (part->type == NULL || part->subtype == NULL) {
		r->error = "Part without a type";
		return false;
	}
	uint32_t n;
	if (!get_u32(r, MAX_LIST_ITEMS, &n))
		return false;
	part->language_count = n;
	if (n > 0)
		part->languages = mail_pool_alloc(r->pool, sizeof(char *) * n);
	for (uint32_t i = 0; i < n; i++) {
		if (!get_str(r, &part->languages[i]))
			return false;
		if (part->languages[i] == NULL) {
			r->error = "NULL language";
			return false;
		}
	}
	return true;
}

/* Reads a part that must lie within [start, end) of the message. */
static struct mail_part *get_part(struct reader *r, struct mail_part *parent,
				  size_t start, size_t end, unsigned int depth)
{
	if (depth > MAIL_MIME_MAX_DEPTH || r->parts_read == r->parts_max) {
		r->error = "Too deep or too many parts";
		return NULL;
	}
	r->parts_read++;
	struct mail_part *part = mail_pool_alloc(r->pool, sizeof(*part));
	part->parent = parent;
	uint64_t hoff, hsize, bsize;
	uint32_t lines;
	if (!get_u32(r, KNOWN_FLAGS, &part->flags) ||
	    !get_u32(r, MAIL_MIME_MAX_PARTS, &part->child_count) ||
	    !get_varint(r, &hoff) || !get_varint(r, &hsize) ||
	    !get_varint(r, &bsize) || !get_u32(r, UINT32_MAX, &lines))
		return NULL;
	/* written so that no sum can overflow */
	if (hoff < start || hoff > end || hsize > end - hoff ||
	    bsize > end - hoff - hsize || lines > bsize) {
		r->error = "Part outside its parent";
		return NULL;
	}
	part->header_offset = (size_t)hoff;
	part->header_size = (size_t)hsize;
	part->body_offset = (size_t)(hoff + hsize);
	part->body_size = (size_t)bsize;
	part->body_lines = lines;
	bool multipart = (part->flags & MAIL_PART_FLAG_MULTIPART) != 0;
	bool message = (part->flags & MAIL_PART_FLAG_MESSAGE) != 0;
	if ((multipart && message) || (message && part->child_count != 1) ||
	    (!multipart && !message && part->child_count != 0)) {
		r->error = "Children do not match the part type";
		return NULL;
	}
	if (!get_fields(r, part))
		return NULL;
	size_t child_start = part->body_offset;
	size_t body_end = part->body_offset + part->body_size;
	struct mail_part **link = &part->children;
	for (unsigned int i = 0; i < part->child_count; i++) {
		struct mail_part *c = get_part(r, part, child_start, body_end,
					       depth + 1);
		if (c == NULL)
			return NULL;
		*link = c;
		link = &c->next;
		child_start = c->body_offset + c->body_size;
	}
	return part;
}

int mail_tree_deserialize(const void *data, size_t len, size_t msg_size,
			  struct mail_tree **tree_r, const char **error_r)
{
	struct reader r = { data, (const unsigned char *)data + len, NULL,
			    NULL, 0, 0 };
	struct mail_cache_rendered rendered;
	*tree_r = NULL;
	if (!get_head(&r, msg_size, &rendered)) {
		*error_r = r.error;
		return -1;
	}
	struct mail_tree *tree = xcalloc(1, sizeof(*tree));
	tree->pool = mail_pool_new();
	tree->msg_size = msg_size;
	r.pool = tree->pool;
	uint32_t count = 0;
	bool ok = get_u32(&r, MAIL_MIME_MAX_PARTS, &count);
	if (ok && count == 0) {
		r.error = "Record without parts";
		ok = false;
	}
	if (ok) {
		r.parts_max = count;
		tree->part_count = count;
		tree->root = get_part(&r, NULL, 0, msg_size, 0);
		ok = tree->root != NULL;
	}
	if (ok && tree->root->header_offset != 0) {
		r.error = "Root does not start the message";
		ok = false;
	}
	if (ok && r.parts_read != count) {
		r.error = "Part count mismatch";
		ok = false;
	}
	if (ok && r.p != r.end) {
		r.error = "Junk after the record";
		ok = false;
	}
	if (!ok) {
		*error_r = r.error != NULL ? r.error : "Invalid record";
		mail_tree_free(&tree);
		return -1;
	}
	buf_append(&tree->envelope, rendered.envelope, rendered.envelope_len);
	buf_append(&tree->body, rendered.body, rendered.body_len);
	buf_append(&tree->bodystructure, rendered.bodystructure,
		   rendered.bodystructure_len);
	*tree_r = tree;
	return 0;
}
