#ifndef QUIRE_IMAP_MESSAGE_H
#define QUIRE_IMAP_MESSAGE_H
/*
 * One stored message as FETCH and SEARCH need it: the parsed MIME tree
 * (from the store's parse cache, so FETCH never re-parses) and, only when
 * a command needs the bytes, the body mapped read-only from its blob file.
 * Small messages are read into the heap; large ones are mapped, which
 * keeps a 50 MB attachment out of the heap; the writer sends either in
 * chunks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct mail_tree;
struct store;

struct message {
	int64_t blob_id;
	const char *data;	/* NULL until mapped */
	size_t size;
	struct mail_tree *tree;	/* NULL until loaded */
	void *map_;		/* private: a mapping of a large message */
	char *heap_;		/* private: a small message read in */
};

/*
 * Loads what is asked for a message of the given blob and size: the tree
 * (need_tree) and/or the bytes (need_body). A missing or stale cache entry
 * is rebuilt from the bytes and stored. Returns 0, or a store error with
 * *error_r. Release with message_release even after an error.
 */
int message_load(struct store *st, int64_t blob_id, uint64_t size,
		 bool need_tree, bool need_body, struct message *msg,
		 const char **error_r);
void message_release(struct message *msg);

/*
 * Reads only the header block of a blob (through the empty line that ends
 * it, or the whole message when there is none) into out, replacing its
 * contents: what header SEARCH keys need, without reading the body.
 * Returns 0, or a store error with *error_r.
 */
int message_load_header(struct store *st, int64_t blob_id, struct buf *out,
			const char **error_r);

/*
 * Parse once at delivery (DESIGN.md "Store"): before a message is
 * appended, message_append_prepare parses it and attaches its parse
 * record and search header summary to m, so store_append writes them in
 * the message's own transaction and the first FETCH or header SEARCH
 * finds them ready. A spilled literal (m->fd) is mapped for the parse;
 * one that cannot be mapped is stored without them (a later read parses
 * it). After store_append succeeded, message_append_finish queues the
 * body for the full-text index (so SEARCH BODY/TEXT never catches up);
 * message_append_prep_free releases what prepare made, whatever the
 * outcome.
 */
struct message_append_prep {
	struct buf cache;
	struct buf headers;
	int64_t blob_id;
};
struct store_append_msg;
void message_append_prepare(struct store_append_msg *m,
			    struct message_append_prep *prep);
void message_append_finish(struct store *st, const struct store_append_msg *m,
			   const struct message_append_prep *prep);
void message_append_prep_free(struct message_append_prep *prep);

#endif
