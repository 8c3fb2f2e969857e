#ifndef QUIRE_IMAP_SEARCH_TEXT_H
#define QUIRE_IMAP_SEARCH_TEXT_H
/*
 * The text SEARCH BODY and TEXT look in (RFC 3501 6.4.4), and what the
 * full-text index stores, so that an indexed search and a full scan see
 * exactly the same bytes:
 *  header: the top-level header, one "Name: value" line per field, the
 *          value unfolded and RFC 2047 decoded;
 *  body:   the headers of embedded messages (as above) and every text/ *
 *          leaf with its transfer encoding and charset undone.
 * Both are valid UTF-8 (invalid bytes become U+FFFD) without NUL bytes
 * (a NUL becomes a space). Non-text parts (attachments) are left out.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct mail_tree;
struct message;
struct store;

/* Appends the header and body text of msg[0..len), parsed as tree. */
void search_text_extract(const struct mail_tree *tree, const char *msg,
			 size_t len, struct buf *header, struct buf *body);

/*
 * Makes sure every message of the mailbox is in the full-text index,
 * extracting and indexing in batches. Returns 0, or a store error with
 * *error_r (the index then stays as complete as it got).
 */
int search_text_index_mailbox(struct store *st, int64_t mailbox_id,
			      const char **error_r);

/* Extracts and indexes the given bodies in one transaction (a body gone
 * meanwhile is skipped, an unreadable one indexed empty). */
int search_text_index_bodies(struct store *st, const int64_t *ids,
			     const uint64_t *sizes, size_t count,
			     const char **error_r);

/* Queues a body just stored (delivery, APPEND) for indexing: by the
 * background indexer when the server runs one, else with others of this
 * thread in one transaction; see search-text.c for why. */
void search_text_index_later(struct store *st, int64_t blob_id, uint64_t size);

#endif
