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

struct buf;
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
 * Parses a message just stored and caches its tree, so the first FETCH
 * finds it ready ("parse once at delivery"). Failures only cost a later
 * parse, so they are logged, not returned.
 */
void message_cache_fill(struct store *st, int64_t blob_id, const char *data,
			size_t size);

/* The same for messages just appended to a mailbox, by UID (APPEND,
 * deliver): each is parsed from its blob unless its parse is cached, and
 * added to the full-text index so SEARCH BODY/TEXT never catches up. */
void message_cache_fill_uids(struct store *st, int64_t mailbox_id,
			     const uint32_t *uids, size_t count);

#endif
