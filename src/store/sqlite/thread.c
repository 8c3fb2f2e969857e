/*
 * store/sqlite: THREADID numbers (RFC 8474 5.2), given to every message
 * row when it is stored, by the rule described in mail/thread-keys.h.
 *
 * Tables (schema migration 4): messages.thread_id holds the number (COPY
 * and MOVE copy it with the row); thread_names maps each message-id a
 * user's messages named to the thread it was first seen in, with that
 * message's base subject; meta 'thread_next' is the next free number.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

void store_thread_keys_of(const struct store_blob_src *src,
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

int store_body_prepare(struct store *s, const struct store_append_msg *m,
		       struct store_blob_src *src, struct mail_thread_keys *keys)
{
	src->data = m->data;
	src->fd = m->fd;
	src->size = m->size;
	if (m->sha256 != NULL)
		memcpy(src->sha, m->sha256, STORE_SHA256_LEN);
	int ret = store_blob_prepare(s, src, m->sha256 != NULL);
	/* Parsed here, outside the write lock, like the fsyncs. */
	if (ret == STORE_OK)
		store_thread_keys_of(src, keys);
	return ret;
}

/* Rule 1: the thread of a row sharing the body. 0 when none. */
static int thread_of_blob(struct store *s, int64_t blob_id, int64_t *thread_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT thread_id FROM messages"
		" WHERE blob_id = ?1 AND thread_id <> 0 LIMIT 1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	*thread_r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, "read thread of body");
	return STORE_OK;
}

/* Rule 2: the first id recorded with the same base subject. */
static int thread_of_ids(struct store *s, int64_t user_id,
			 const struct mail_thread_keys *keys, int64_t *thread_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT thread_id, subject"
		" FROM thread_names WHERE user_id = ?1 AND message_id = ?2");
	size_t subject_len = strlen(keys->subject);
	int rc = SQLITE_DONE;

	*thread_r = 0;
	if (st == NULL)
		return STORE_ESERVERBUG;
	for (size_t i = 0; i < keys->id_count && *thread_r == 0; i++) {
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_blob(st, 2, keys->ids[i], (int)strlen(keys->ids[i]),
				  SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    (size_t)sqlite3_column_bytes(st, 1) == subject_len &&
		    (subject_len == 0 ||
		     memcmp(sqlite3_column_blob(st, 1), keys->subject,
			    subject_len) == 0))
			*thread_r = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail_db(s, "read thread names");
	}
	return STORE_OK;
}

/* Rule 3: a new number from the counter. */
static int thread_new(struct store *s, int64_t *thread_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT value FROM meta WHERE key = 'thread_next'");
	int64_t next = 1;
	if (st == NULL)
		return STORE_ESERVERBUG;
	if (sqlite3_step(st) == SQLITE_ROW)
		next = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (next < 1)
		next = 1;
	st = store_stmt(s, "INSERT OR REPLACE INTO meta (key, value)"
			" VALUES ('thread_next', ?1)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, next + 1);
	*thread_r = next;
	return store_exec_stmt(s, st, "allocate thread");
}

/* Rule 4: records the ids not yet known; known ones keep their thread. */
static int thread_record(struct store *s, int64_t user_id,
			 const struct mail_thread_keys *keys, int64_t thread)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO thread_names"
		" (user_id, message_id, subject, thread_id)"
		" VALUES (?1, ?2, ?3, ?4)");
	int ret = STORE_OK;
	if (st == NULL)
		return STORE_ESERVERBUG;
	for (size_t i = 0; i < keys->id_count && ret == STORE_OK; i++) {
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_blob(st, 2, keys->ids[i], (int)strlen(keys->ids[i]),
				  SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, keys->subject, (int)strlen(keys->subject),
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, thread);
		ret = store_exec_stmt(s, st, "record thread name");
	}
	return ret;
}

int store_thread_assign(struct store *s, int64_t user_id, int64_t blob_id,
			const struct mail_thread_keys *keys, int64_t *thread_id_r)
{
	int64_t thread = 0;
	int ret = thread_of_blob(s, blob_id, &thread);

	if (ret == STORE_OK && thread == 0)
		ret = thread_of_ids(s, user_id, keys, &thread);
	if (ret == STORE_OK && thread == 0)
		ret = thread_new(s, &thread);
	if (ret == STORE_OK)
		ret = thread_record(s, user_id, keys, thread);
	*thread_id_r = thread;
	return ret;
}
