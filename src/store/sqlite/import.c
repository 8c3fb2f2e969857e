/*
 * store/sqlite: migration support (appending with the UIDs and uidvalidity
 * of another server, finding a message already imported) and statistics.
 * See the "Operations" block at the end of store.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/sqlite/internal.h"

_Static_assert(STORE_IMPORT_HASH_LEN == STORE_SHA256_LEN,
	       "import hash is the blob hash");

void store_import_hash(const void *data, size_t len,
		       uint8_t out[STORE_IMPORT_HASH_LEN])
{
	store_sha256(data, len, out);
}

static int count_rows(struct store *s, const char *sql, int64_t mailbox_id,
		      int64_t *count_r)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	int rc = sqlite3_step(st);
	*count_r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_fail_db(s, "count rows");
}

static int set_uidvalidity_tx(struct store *s, int64_t mailbox_id,
			      uint32_t uidvalidity, uint32_t uidnext)
{
	struct store_mailbox mb;
	int64_t messages = 0, tombstones = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret != STORE_OK)
		return ret;
	if (uidvalidity == 0)
		return store_fail(s, STORE_EINVALID, "uidvalidity 0");
	if (mb.uidvalidity != uidvalidity) {
		ret = count_rows(s, "SELECT count(*) FROM messages"
				 " WHERE mailbox_id = ?1", mailbox_id, &messages);
		if (ret == STORE_OK)
			ret = count_rows(s, "SELECT count(*) FROM tombstones"
					 " WHERE mailbox_id = ?1", mailbox_id,
					 &tombstones);
		if (ret != STORE_OK)
			return ret;
		if (messages > 0 || tombstones > 0)
			return store_fail(s, STORE_ECANNOT, "mailbox not empty:"
					  " its uidvalidity stays %u",
					  mb.uidvalidity);
	}
	sqlite3_stmt *st = store_stmt(s, "UPDATE mailboxes SET uidvalidity = ?2,"
				      " uidnext = max(uidnext, ?3) WHERE id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uidnext);
	store_tx_changed(s, mailbox_id);
	return store_exec_stmt(s, st, "set uidvalidity");
}

int store_sqlite_import_set_uidvalidity(struct store *s, int64_t mailbox_id,
				 uint32_t uidvalidity, uint32_t uidnext,
				 const char **error_r)
{
	int ret = store_tx_write(s);
	if (ret == STORE_OK)
		ret = set_uidvalidity_tx(s, mailbox_id, uidvalidity, uidnext);
	return store_tx_end(s, ret, error_r);
}

static int insert_row(struct store *s, int64_t mailbox_id, uint32_t uid,
		      uint64_t modseq, const struct store_append_msg *m,
		      const char *keywords, int64_t blob_id, int64_t thread_id,
		      time_t now)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO messages (mailbox_id, uid,"
		" modseq, flags, keywords, internaldate, tz, size, blob_id,"
		" savedate, thread_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 4, m->flags & STORE_FLAGS_ALL);
	if (*keywords != '\0')
		sqlite3_bind_text(st, 5, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->internaldate ? m->internaldate : now);
	sqlite3_bind_int(st, 7, m->tz_offset_min);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)m->size);
	sqlite3_bind_int64(st, 9, blob_id);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, thread_id);
	return store_exec_stmt(s, st, "insert message");
}

static int import_tx(struct store *s, int64_t mailbox_id,
		     const struct store_append_msg *msgs, const uint32_t *uids,
		     struct store_blob_src *srcs,
		     const struct mail_thread_keys *keys, size_t count,
		     uint32_t *uids_r)
{
	struct store_mailbox mb;
	struct buf kw = BUF_INIT;
	time_t now = time(NULL);
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret != STORE_OK)
		return ret;
	if (mb.attrs & STORE_MBOX_NOSELECT)
		return store_fail(s, STORE_ECANNOT, "mailbox is \\Noselect");
	uint64_t modseq = mb.highestmodseq + 1;
	uint32_t next = mb.uidnext;
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		uint32_t uid = uids[i] >= next ? uids[i] : next;
		if (uid >= UINT32_MAX - 1) {
			ret = store_fail(s, STORE_ECANNOT,
					 "mailbox UIDs exhausted");
			break;
		}
		int64_t blob_id, thread_id = 0;
		ret = store_blob_attach(s, &srcs[i], &blob_id);
		if (ret == STORE_OK)
			ret = store_thread_assign(s, mb.user_id, blob_id,
						  &keys[i], &thread_id);
		if (ret == STORE_OK)
			ret = store_keywords_register(s, mailbox_id,
						      msgs[i].keywords,
						      msgs[i].keyword_count, &kw);
		if (ret == STORE_OK)
			ret = insert_row(s, mailbox_id, uid, modseq, &msgs[i],
					 buf_cstr(&kw), blob_id, thread_id, now);
		if (uids_r != NULL)
			uids_r[i] = uid;
		next = uid + 1;
	}
	buf_free(&kw);
	if (ret == STORE_OK)
		ret = store_mailbox_set_counters(s, mailbox_id, next, modseq);
	return ret;
}

int store_sqlite_import_append(struct store *s, int64_t mailbox_id,
			const struct store_append_msg *msgs,
			const uint32_t *uids, size_t count, uint32_t *uids_r,
			const char **error_r)
{
	int ret = STORE_OK;
	if (count == 0)
		ret = store_fail(s, STORE_EINVALID, "no message to append");
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		if (msgs[i].fd < 0 && msgs[i].data == NULL && msgs[i].size > 0)
			ret = store_fail(s, STORE_EINVALID, "no message data");
	}
	struct store_blob_src *srcs = xcalloc(count ? count : 1, sizeof(*srcs));
	struct mail_thread_keys *keys = xcalloc(count ? count : 1, sizeof(*keys));
	/* Bodies first, outside the write lock, as store_append does. */
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		ret = store_body_prepare(s, &msgs[i], &srcs[i], &keys[i]);
	}
	if (ret == STORE_OK)
		ret = store_tx_write(s);
	if (ret == STORE_OK) {
		ret = import_tx(s, mailbox_id, msgs, uids, srcs, keys, count,
				uids_r);
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	for (size_t i = 0; i < count; i++)
		mail_thread_keys_free(&keys[i]);
	free(keys);
	free(srcs);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_import_find(struct store *s, int64_t mailbox_id,
		      const uint8_t sha256[STORE_IMPORT_HASH_LEN],
		      uint64_t size, uint32_t *uid_r, const char **error_r)
{
	int ret = store_tx_read(s);
	if (ret == STORE_OK) {
		sqlite3_stmt *st = store_stmt(s, "SELECT m.uid FROM blobs b"
			" JOIN messages m ON m.blob_id = b.id"
			" WHERE b.sha256 = ?1 AND b.size = ?2"
			" AND m.mailbox_id = ?3 ORDER BY m.uid LIMIT 1");
		if (st == NULL) {
			ret = STORE_ESERVERBUG;
		} else {
			sqlite3_bind_blob(st, 1, sha256, STORE_SHA256_LEN,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
			sqlite3_bind_int64(st, 3, mailbox_id);
			int rc = sqlite3_step(st);
			if (rc == SQLITE_ROW && uid_r != NULL)
				*uid_r = (uint32_t)sqlite3_column_int64(st, 0);
			ret = rc == SQLITE_ROW ? STORE_OK :
			      rc == SQLITE_DONE ?
			      store_fail(s, STORE_ENONEXISTENT, "not found") :
			      store_fail_db(s, "find message");
			sqlite3_reset(st);
		}
		store_tx_rollback(s);
	}
	store_error_out(s, error_r);
	return ret;
}

static int stat_one(struct store *s, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st == NULL)
		return STORE_ESERVERBUG;
	int rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_fail_db(s, "statistics");
}

int store_sqlite_stats(struct store *s, struct store_stats *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	int ret = store_tx_read(s);
	if (ret == STORE_OK)
		ret = stat_one(s, "SELECT count(*) FROM users", &r->users);
	if (ret == STORE_OK)
		ret = stat_one(s, "SELECT count(*) FROM mailboxes"
			       " WHERE attrs & 1 = 0", &r->mailboxes);
	if (ret == STORE_OK)
		ret = stat_one(s, "SELECT count(*) FROM messages",
			       &r->messages);
	if (ret == STORE_OK)
		ret = stat_one(s, "SELECT coalesce(sum(size), 0) FROM messages",
			       &r->message_bytes);
	if (ret == STORE_OK)
		ret = stat_one(s, "SELECT coalesce(sum(size), 0) FROM blobs",
			       &r->blob_bytes);
	store_tx_rollback(s);
	store_error_out(s, error_r);
	return ret;
}
