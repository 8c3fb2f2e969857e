/*
 * libFuzzer target: the MIME parser and everything FETCH builds on it
 * (mail/mime.h, mail/cache.h, mail/section.h). The input is a message.
 *
 * Checks beyond "does not crash":
 *  - every part's offsets and sizes lie inside the message and inside its
 *    parent;
 *  - the cache record round-trips: serialize, deserialize, serialize again
 *    gives the same bytes, and mail_cache_peek() sees the rendered strings;
 *  - section fetches and BINARY fetches give the same bytes from the
 *    parsed tree and from the tree rebuilt from the cache record;
 *  - a section range always lies inside the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mail/cache.h"
#include "mail/mime.h"
#include "mail/section.h"

/* Parts visited for the per-part BINARY check (bounds the run time). */
#define MAX_BINARY_PARTS 64

static const char *const sections[] = {
	"", "1", "2", "1.1", "1.2.1", "HEADER", "TEXT", "1.MIME", "2.MIME",
	"1.HEADER", "2.TEXT", "1.1.HEADER",
	"HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
	"X-Priority References Newsgroups In-Reply-To Content-Type "
	"Reply-To Received)",
	"HEADER.FIELDS.NOT (Received Subject)",
	"2.HEADER.FIELDS (\"Content-Type\" {4}\r\nDate)",
};

static void check_part(const struct mail_part *part, size_t msg_size)
{
	if (part->type == NULL || part->subtype == NULL)
		abort();
	if (part->body_offset != part->header_offset + part->header_size ||
	    part->body_offset > msg_size ||
	    part->body_size > msg_size - part->body_offset)
		abort();
	if (part->body_lines > part->body_size) {
		/* every counted line ends with a LF of the body */
		fprintf(stderr, "part %s/%s body %zu+%zu has %u lines\n",
			part->type, part->subtype, part->body_offset,
			part->body_size, (unsigned)part->body_lines);
		abort();
	}
	const struct mail_part *parent = part->parent;
	if (parent != NULL &&
	    (part->header_offset < parent->body_offset ||
	     part->body_offset + part->body_size >
	     parent->body_offset + parent->body_size)) {
		fprintf(stderr, "part %s/%s header %zu+%zu body %zu+%zu "
			"outside parent %s/%s body %zu+%zu\n", part->type,
			part->subtype, part->header_offset,
			part->header_size, part->body_offset, part->body_size,
			parent->type, parent->subtype, parent->body_offset,
			parent->body_size);
		abort();
	}
	unsigned n = 0;
	size_t prev_end = part->body_offset;
	for (const struct mail_part *c = part->children; c != NULL;
	     c = c->next, n++) {
		if (c->parent != part)
			abort();
		/* siblings in order, not overlapping (the cache needs it) */
		if (c->header_offset < prev_end) {
			fprintf(stderr, "part %s/%s at %zu overlaps its previous "
				"sibling ending at %zu\n", c->type, c->subtype,
				c->header_offset, prev_end);
			abort();
		}
		prev_end = c->body_offset + c->body_size;
		check_part(c, msg_size);
	}
	if (n != part->child_count)
		abort();
	(void)mail_part_param(part, "charset");
	(void)mail_part_is(part, "text", "plain");
}

static void dump_tree(const struct mail_part *part, unsigned depth)
{
	fprintf(stderr, "%*s%s/%s flags %#x header %zu+%zu body %zu+%zu "
		"lines %u\n", (int)depth * 2, "", part->type, part->subtype,
		part->flags, part->header_offset, part->header_size,
		part->body_offset, part->body_size, (unsigned)part->body_lines);
	for (const struct mail_part *c = part->children; c != NULL; c = c->next)
		dump_tree(c, depth + 1);
}

static void fetch_section(const struct mail_tree *a, const struct mail_tree *b,
			  const char *msg, size_t len, const char *spec)
{
	struct mail_section sec;
	const char *error;
	if (mail_section_parse(spec, strlen(spec), &sec, &error) < 0) {
		fprintf(stderr, "fixed section '%s' rejected: %s\n", spec,
			error);
		abort();
	}
	struct mail_section_result ra, rb;
	mail_section_fetch(a, msg, len, &sec, &ra);
	mail_section_fetch(b, msg, len, &sec, &rb);
	if (!ra.generated && (ra.offset > len || ra.size > len - ra.offset))
		abort();
	const char *pa = mail_section_result_ptr(&ra, msg);
	const char *pb = mail_section_result_ptr(&rb, msg);
	if (ra.size != rb.size || ra.generated != rb.generated ||
	    (ra.size > 0 && memcmp(pa, pb, ra.size) != 0))
		abort();
	size_t off, n;
	mail_section_partial(ra.size, 1, 10, &off, &n);
	if (off > ra.size || n > ra.size - off)
		abort();
	mail_section_partial(ra.size, UINT64_MAX, UINT64_MAX, &off, &n);
	if (off > ra.size || n > ra.size - off)
		abort();
	mail_section_result_free(&ra);
	mail_section_result_free(&rb);
	mail_section_free(&sec);
}

/* Depth-first walk collecting part paths for BINARY[path]. */
struct walk {
	uint32_t path[MAIL_MIME_MAX_DEPTH];
	unsigned visited;
	const struct mail_tree *a, *b;
	const char *msg;
	size_t len;
};

static void binary_walk(struct walk *w, const struct mail_part *part,
			unsigned depth)
{
	if (w->visited++ >= MAX_BINARY_PARTS)
		return;
	struct buf oa = BUF_INIT, ob = BUF_INIT;
	int ra = mail_binary_fetch(w->a, w->msg, w->len, w->path, depth, &oa);
	int rb = mail_binary_fetch(w->b, w->msg, w->len, w->path, depth, &ob);
	if (ra != rb || oa.len != ob.len ||
	    (oa.len > 0 && memcmp(oa.data, ob.data, oa.len) != 0))
		abort();
	if (depth > 0 && mail_tree_find_part(w->a, w->path, depth) == NULL)
		abort();
	buf_free(&oa);
	buf_free(&ob);
	if (depth == MAIL_MIME_MAX_DEPTH)
		return;
	if (depth == 0 && !(part->flags & MAIL_PART_FLAG_MULTIPART)) {
		/* a non-multipart message has only part 1: its body, and
		   below it the parts of a message/rfc822 root */
		w->path[0] = 1;
		binary_walk(w, part, 1);
		return;
	}
	/* a message/rfc822 part's numbers address its inner message's
	   parts; a multipart's address its children */
	const struct mail_part *kids = part->children;
	if (part->flags & MAIL_PART_FLAG_MESSAGE && kids != NULL) {
		if (kids->flags & MAIL_PART_FLAG_MULTIPART)
			kids = kids->children;
	}
	uint32_t i = 1;
	for (const struct mail_part *c = kids; c != NULL; c = c->next, i++) {
		w->path[depth] = i;
		binary_walk(w, c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct mail_tree *tree = mail_mime_parse(msg, size);
	if (tree == NULL || tree->root == NULL || tree->msg_size != size)
		abort();
	check_part(tree->root, size);

	struct buf rec = BUF_INIT, rec2 = BUF_INIT;
	mail_tree_serialize(tree, &rec);
	struct mail_tree *copy = NULL;
	const char *error = NULL;
	if (mail_tree_deserialize(rec.data, rec.len, size, &copy, &error) < 0) {
		fprintf(stderr, "own cache record rejected: %s\n", error);
		dump_tree(tree->root, 0);
		abort();
	}
	mail_tree_serialize(copy, &rec2);
	if (rec.len != rec2.len || memcmp(rec.data, rec2.data, rec.len) != 0)
		abort();
	struct mail_cache_rendered rendered;
	if (mail_cache_peek(rec.data, rec.len, size, &rendered, &error) < 0 ||
	    rendered.bodystructure_len != tree->bodystructure.len ||
	    memcmp(rendered.bodystructure, tree->bodystructure.data,
		   tree->bodystructure.len) != 0)
		abort();
	/* a record for another message size must be refused */
	if (mail_cache_peek(rec.data, rec.len, size + 1, &rendered,
			    &error) == 0)
		abort();
	/* truncated records must be refused, never read past */
	struct mail_tree *bad = NULL;
	if (rec.len > 1 &&
	    mail_tree_deserialize(rec.data, rec.len / 2, size, &bad,
				  &error) == 0)
		mail_tree_free(&bad);

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		fetch_section(tree, copy, msg, size, sections[i]);

	struct walk w;
	memset(&w, 0, sizeof(w));
	w.a = tree;
	w.b = copy;
	w.msg = msg;
	w.len = size;
	binary_walk(&w, tree->root, 0);

	/* re-rendering from the parts gives the same strings */
	struct buf bs = BUF_INIT;
	buf_append(&bs, tree->bodystructure.data, tree->bodystructure.len);
	mail_tree_render(tree);
	if (bs.len != tree->bodystructure.len ||
	    memcmp(bs.data, tree->bodystructure.data, bs.len) != 0)
		abort();
	buf_free(&bs);

	buf_free(&rec);
	buf_free(&rec2);
	mail_tree_free(&copy);
	mail_tree_free(&tree);
	return 0;
}
