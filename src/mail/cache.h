#ifndef QUIRE_MAIL_CACHE_H
#define QUIRE_MAIL_CACHE_H
/*
 * The parsed tree as a compact binary record, stored by the store next to
 * the message so that FETCH ENVELOPE/BODY/BODYSTRUCTURE and section
 * fetches need no parsing: the record holds every part's offsets, sizes,
 * line counts and fields, and the pre-rendered ENVELOPE, BODY and
 * BODYSTRUCTURE strings.
 *
 * Format: magic "QMC", version byte (MAIL_CACHE_VERSION), then
 * little-endian varints and length-prefixed strings: the message size,
 * the three rendered strings, then the parts in depth-first order. A reader meeting
 * another version rejects the record; the caller re-parses the message and
 * stores a new one.
 */
#include <stddef.h>

#include "core/buf.h"
#include "mail/mime.h"

#define MAIL_CACHE_VERSION 1

/* Appends the serialized tree to out. */
void mail_tree_serialize(const struct mail_tree *tree, struct buf *out);

/*
 * Rebuilds a tree from data[0..len) for a message of msg_size bytes.
 * The record comes from the database and is not trusted: every length,
 * count, offset and size is checked (parts inside their parent and inside
 * the message, counts within limits, strings within the record).
 * Returns 0 and a new tree in *tree_r (free with mail_tree_free()), or -1
 * with a static reason in *error_r (then re-parse the message).
 */
int mail_tree_deserialize(const void *data, size_t len, size_t msg_size,
			  struct mail_tree **tree_r, const char **error_r);

/* The rendered FETCH strings of a record, as views into the record. */
struct mail_cache_rendered {
	const char *envelope;
	size_t envelope_len;
	const char *body;
	size_t body_len;
	const char *bodystructure;
	size_t bodystructure_len;
};

/*
 * The fast path for FETCH ENVELOPE / BODY / BODYSTRUCTURE: reads only the
 * head of the record (no allocation, no part parsing) and points
 * *rendered_r into data, valid while data is. Checks the magic, version,
 * message size and string lengths. Returns 0, or -1 with a static reason
 * in *error_r (re-parse the message). A record whose parts are corrupt
 * can still pass here; section fetches go through
 * mail_tree_deserialize(), which checks everything.
 */
int mail_cache_peek(const void *data, size_t len, size_t msg_size,
		    struct mail_cache_rendered *rendered_r,
		    const char **error_r);

#endif
