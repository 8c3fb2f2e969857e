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

/* Rule 1: the thread of a row sharing the body. 0 when none. */
static int thread_of_blob(struct store *s, int64_t blob_id, int64_t *thread_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, blob_id);
	PGresult *res = pg_query(s, "SELECT thread_id FROM messages"
		" WHERE blob_id = $1 AND thread_id <> 0 LIMIT 1", &p, &code);
	*thread_r = res != NULL && PQntuples(res) > 0 ? pg_int(res, 0, 0) : 0;
	PQclear(res);
	return code;
}

/* Rule 2: the first id, in the keys' order, recorded with the same base
 * subject. 0 when none. */
static int thread_of_ids(struct store *s, int64_t user_id, const char *ids,
			 const char *subject, int64_t *thread_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, user_id);
	pg_param_str(&p, ids);
	pg_param_str(&p, subject);
	PGresult *res = pg_query(s, "SELECT t.thread_id FROM unnest($2::text[])"
		" WITH ORDINALITY AS k (id, ord) JOIN thread_names t ON"
		" t.user_id = $1 AND t.message_id = decode(k.id, 'hex')"
		" WHERE t.subject = decode($3, 'hex') ORDER BY k.ord LIMIT 1",
		&p, &code);
	*thread_r = res != NULL && PQntuples(res) > 0 ? pg_int(res, 0, 0) : 0;
	PQclear(res);
	return code;
}

/* Rule 4: records the ids not yet known; known ones keep their thread. */
static int thread_record(struct store *s, int64_t user_id, const char *ids,
			 const char *subject, int64_t thread)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, user_id);
	pg_param_str(&p, ids);
	pg_param_str(&p, subject);
	pg_param_int(&p, thread);
	return pg_exec(s, "INSERT INTO thread_names (user_id, message_id,"
		       " subject, thread_id) SELECT $1, decode(id, 'hex'),"
		       " decode($3, 'hex'), $4 FROM unnest($2::text[]) AS id"
		       " ON CONFLICT DO NOTHING", &p);
}

int pg_thread_assign(struct store *s, int64_t user_id, int64_t blob_id,
		     const struct mail_thread_keys *keys, int64_t *thread_id_r)
{
	struct buf ids = BUF_INIT, subject = BUF_INIT;
	int64_t thread = 0;
	int ret = thread_of_blob(s, blob_id, &thread);

	ids_literal(keys, &ids);
	hex_append(&subject, keys->subject != NULL ? keys->subject : "");
	if (ret == STORE_OK && thread == 0 && keys->id_count > 0)
		ret = thread_of_ids(s, user_id, buf_cstr(&ids),
				    buf_cstr(&subject), &thread);
	/* Rule 3: a new number */
	if (ret == STORE_OK && thread == 0)
		ret = pg_query_int(s, "SELECT nextval('thread_seq')", NULL,
				   &thread, "thread number");
	if (ret == STORE_OK && keys->id_count > 0)
		ret = thread_record(s, user_id, buf_cstr(&ids),
				    buf_cstr(&subject), thread);
	buf_free(&ids);
	buf_free(&subject);
	*thread_id_r = ret == STORE_OK ? thread : 0;
	return ret;
}
