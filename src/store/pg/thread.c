/*
 * store/pg: THREADID numbers (RFC 8474 5.2), given to every message row
 * when it is stored, by the rule described in mail/thread-keys.h (the one
 * store/sqlite/thread.c applies).
 *
 * Tables (schema migration 2): messages.thread_id holds the number (COPY
 * and MOVE copy it with the row); thread_names maps each message-id a
 * user's messages named to the thread it was first seen in, with that
 * message's base subject (bytea, sent as hex: headers need not be UTF-8);
 * thread_seq hands out new numbers.
 *
 * Several front ends: pg_thread_lock serializes the deliveries of one
 * owner for the rest of the transaction, so a reply and its parent
 * stored at once on two front ends still see each other's names. It
 * costs nothing new: the quota trigger already row-locks the owner's
 * usage until commit.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg/internal.h"

void pg_thread_keys_of(const struct store_blobfile_src *src,
		       struct mail_thread_keys *keys_r)
{
	size_t len = src->size < MAIL_THREAD_HEADER_MAX ?
		src->size : MAIL_THREAD_HEADER_MAX;

	if (src->data != NULL || src->fd < 0) {
		mail_thread_keys_read(src->data, src->data != NULL ? len : 0,
				      keys_r);
		return;
	}
	/* A spilled literal: only its head is read. A failed read leaves
	 * the message without ids, so it starts a thread of its own. */
	char *head = xmalloc(len + 1);
	ssize_t n = pread(src->fd, head, len, 0);
	mail_thread_keys_read(head, n > 0 ? (size_t)n : 0, keys_r);
	free(head);
}

int pg_thread_lock(struct store *s, int64_t user_id)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, user_id);
	return pg_exec(s, "SELECT pg_advisory_xact_lock("
		       "hashtextextended('quire-thread', $1))", &p);
}

static void hex_append(struct buf *out, const char *bytes)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *b = (const unsigned char *)bytes; *b; b++) {
		buf_append_char(out, hex[*b >> 4]);
		buf_append_char(out, hex[*b & 15]);
	}
}

/* The ids as a text[] literal of hex strings, nearest first. */
static void ids_literal(const struct mail_thread_keys *keys, struct buf *out)
{
	buf_append_char(out, '{');
	for (size_t i = 0; i < keys->id_count; i++) {
		if (i > 0)
			buf_append_char(out, ',');
		hex_append(out, keys->ids[i]);
	}
	buf_append_char(out, '}');
}

/*
 * Rules 1 to 4 in one statement (one round trip per message): the thread
 * of a row sharing the body; else of the first id, in the keys' order,
 * recorded with the same base subject; else a new number (COALESCE
 * evaluates nextval only when it gets that far; the CTE is evaluated
 * once). Then the ids not yet recorded are recorded with it.
 */
#define ASSIGN_SQL \
	"WITH pick AS (SELECT coalesce(" \
	"  (SELECT thread_id FROM messages WHERE blob_id = $2" \
	"    AND thread_id <> 0 LIMIT 1)," \
	"  (SELECT t.thread_id FROM unnest($3::text[]) WITH ORDINALITY" \
	"    AS k (id, ord) JOIN thread_names t ON t.user_id = $1" \
	"    AND t.message_id = decode(k.id, 'hex')" \
	"    WHERE t.subject = decode($4, 'hex') ORDER BY k.ord LIMIT 1)," \
	"  nextval('thread_seq')) AS id)," \
	" rec AS (INSERT INTO thread_names (user_id, message_id, subject," \
	"  thread_id) SELECT $1, decode(k.id, 'hex'), decode($4, 'hex')," \
	"  pick.id FROM unnest($3::text[]) AS k (id), pick" \
	"  ON CONFLICT DO NOTHING)" \
	" SELECT id FROM pick"

int pg_thread_assign(struct store *s, int64_t user_id, int64_t blob_id,
		     const struct mail_thread_keys *keys, int64_t *thread_id_r)
{
	struct buf ids = BUF_INIT, subject = BUF_INIT;
	struct pg_params p = { 0 };
	int64_t thread = 0;

	ids_literal(keys, &ids);
	hex_append(&subject, keys->subject != NULL ? keys->subject : "");
	pg_param_int(&p, user_id);
	pg_param_int(&p, blob_id);
	pg_param_str(&p, buf_cstr(&ids));
	pg_param_str(&p, buf_cstr(&subject));
	int ret = pg_query_int(s, ASSIGN_SQL, &p, &thread, "thread number");
	buf_free(&ids);
	buf_free(&subject);
	*thread_id_r = ret == STORE_OK ? thread : 0;
	return ret;
}
