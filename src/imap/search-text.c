#include "imap/search-text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/message.h"
#include "imap/search-indexer.h"
#include "mail/decode.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "store/store.h"

/* Messages extracted and indexed per store transaction while catching up:
 * few enough that a concurrent delivery waits briefly, many enough that
 * one commit per batch is cheap. */
#define INDEX_BATCH 200

static void add_header_lines(const char *hdr, size_t len, struct buf *raw)
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
		buf_append(raw, f.name, f.name_len);
		buf_append_str(raw, ": ");
		mail_rfc2047_decode(v.data == NULL ? "" : v.data, v.len, raw);
		buf_append_char(raw, '\n');
	}
	buf_free(&v);
}

static void add_text_leaf(const struct mail_part *part, const char *msg,
			  struct buf *raw)
{
	struct buf decoded = BUF_INIT;
	const char *data = msg + part->body_offset;
	if (mail_transfer_decode(part->encoding, data, part->body_size, &decoded) < 0)
		buf_append(&decoded, data, part->body_size);
	const char *charset = mail_part_param(part, "charset");
	const char *d = decoded.data == NULL ? "" : decoded.data;
	/* Unknown charsets stay bytes: their ASCII is still searchable. */
	if (mail_charset_to_utf8(charset != NULL ? charset : "us-ascii", d,
				 decoded.len, raw) < 0)
		buf_append(raw, d, decoded.len);
	buf_append_char(raw, '\n');
	buf_free(&decoded);
}

/* raw -> out as valid UTF-8 without NULs. */
static void finish_text(const struct buf *raw, struct buf *out)
{
	size_t start = out->len;
	if (raw->len > 0)
		mail_charset_to_utf8("utf-8", raw->data, raw->len, out);
	for (size_t i = start; i < out->len; i++) {
		if (out->data[i] == '\0')
			out->data[i] = ' ';
	}
}

void search_text_extract(const struct mail_tree *tree, const char *msg,
			 size_t len, struct buf *header, struct buf *body)
{
	struct buf raw = BUF_INIT;
	const struct mail_part *root = tree->root;

	if (tree->msg_size != len || root == NULL)
		return;
	add_header_lines(msg + root->header_offset, root->header_size, &raw);
	finish_text(&raw, header);
	buf_reset(&raw);
	/* Depth-first over the parts below the root. */
	const struct mail_part *part = root;
	for (;;) {
		if (part != root && part->envelope != NULL)
			add_header_lines(msg + part->header_offset, part->header_size, &raw);
		if (part->children == NULL && (part->flags & MAIL_PART_FLAG_TEXT))
			add_text_leaf(part, msg, &raw);
		if (part->children != NULL) {
			part = part->children;
			continue;
		}
		while (part != root && part->next == NULL)
			part = part->parent;
		if (part == root)
			break;
		part = part->next;
	}
	finish_text(&raw, body);
	buf_free(&raw);
}

int search_text_index_bodies(struct store *st, const int64_t *ids,
			     const uint64_t *sizes, size_t count,
			     const char **error_r)
{
	struct store_fts_doc *docs = xcalloc(count, sizeof(*docs));
	struct buf *texts = xcalloc(count * 2, sizeof(*texts));
	int ret = STORE_OK;

	for (size_t i = 0; i < count; i++) {
		struct message msg = { 0 };
		docs[i].blob_id = ids[i];
		if (message_load(st, ids[i], sizes[i], true, true, &msg, error_r) == STORE_OK)
			search_text_extract(msg.tree, msg.data, msg.size,
					    &texts[2 * i], &texts[2 * i + 1]);
		/* An unreadable blob is indexed empty: a full scan could
		 * not read it either, and the catch-up must not loop. */
		message_release(&msg);
		docs[i].header = texts[2 * i].data;
		docs[i].header_len = texts[2 * i].len;
		docs[i].body = texts[2 * i + 1].data;
		docs[i].body_len = texts[2 * i + 1].len;
	}
	ret = store_fts_index(st, docs, count, error_r);
	for (size_t i = 0; i < count * 2; i++)
		buf_free(&texts[i]);
	free(texts);
	free(docs);
	return ret;
}

int search_text_index_mailbox(struct store *st, int64_t mailbox_id,
			      const char **error_r)
{
	for (;;) {
		int64_t *ids;
		uint64_t *sizes;
		size_t count;
		int ret = store_fts_unindexed(st, mailbox_id, INDEX_BATCH, &ids,
					      &sizes, &count, error_r);
		if (ret == STORE_OK && count > 0)
			ret = search_text_index_bodies(st, ids, sizes, count,
						       error_r);
		free(ids);
		free(sizes);
		if (ret != STORE_OK || count < INDEX_BATCH)
			return ret;
	}
}

/*
 * Deferred indexing at delivery. FTS5 pays dearly for one small
 * transaction per document (every commit writes a segment and triggers
 * merges): indexing each APPEND on its own made APPEND six times slower.
 * In a running server the background indexer (search-indexer.c) takes
 * new bodies; elsewhere (quire deliver) they queue per thread (each
 * thread has its own store handle) and are indexed DEFERRED_BATCH at a
 * time in one transaction. Whatever is still queued when a search comes
 * is caught up by search_text_index_mailbox, as after a crash.
 */
#define DEFERRED_BATCH 64

static __thread int64_t deferred_ids[DEFERRED_BATCH];
static __thread uint64_t deferred_sizes[DEFERRED_BATCH];
static __thread size_t deferred_count;

static void index_deferred(struct store *st)
{
	const char *error;
	(void)search_text_index_bodies(st, deferred_ids, deferred_sizes,
				       deferred_count, &error);
	deferred_count = 0;
}

void search_text_index_later(struct store *st, int64_t blob_id, uint64_t size)
{
	if (search_indexer_queue(blob_id, size))
		return;
	deferred_ids[deferred_count] = blob_id;
	deferred_sizes[deferred_count] = size;
	if (++deferred_count == DEFERRED_BATCH)
		index_deferred(st);
}
