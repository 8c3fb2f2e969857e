/*
 * store/sqlite: the readers and writers `quire migrate` needs beyond the
 * ordinary API (store.h "Exact copies between two stores"): raw
 * subscriptions, tombstones and quota limits, and writes that keep UIDs,
 * modseqs, savedates and uidvalidity as the source had them.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

#define WRITE_TX(s, ret, body) do { \
	(ret) = store_tx_write(s); \
	if ((ret) == STORE_OK) { \
		(ret) = (body); \
		if ((ret) == STORE_OK) \
			(ret) = store_tx_commit(s); \
		else \
			store_tx_rollback(s); \
	} \
} while (0)

/* ---- readers ---- */

static int subscriptions_tx(struct store *s, int64_t user_id, char ***names_r,
			    size_t *count_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name FROM subscriptions"
				      " WHERE user_id = ?1 ORDER BY name");
	size_t count = 0, cap = 8;
	char **names = xcalloc(cap, sizeof(*names));
	int rc;

	if (st == NULL) {
		free(names);
		return STORE_ESERVERBUG;
	}
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count + 1 == cap) {
			cap *= 2;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[count++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	names[count] = NULL;
	if (rc != SQLITE_DONE) {
		store_strings_free(names);
		return store_fail_db(s, "read subscriptions");
	}
	*names_r = names;
	if (count_r != NULL)
		*count_r = count;
	return STORE_OK;
}

int store_sqlite_subscriptions_list(struct store *s, int64_t user_id,
		char ***names_r, size_t *count_r, const char **error_r)
{
	int ret = store_tx_read(s);

	*names_r = NULL;
	if (ret == STORE_OK) {
		ret = subscriptions_tx(s, user_id, names_r, count_r);
		store_tx_rollback(s);
	}
	store_error_out(s, error_r);
	return ret;
}

static int tombstones_tx(struct store *s, int64_t mailbox_id,
			 struct store_tombstone **list_r, size_t *count_r)
{
	struct store_mailbox mb;
	struct store_tombstone *list = NULL;
	size_t count = 0, cap = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);
	int rc;

	if (ret != STORE_OK)
		return ret;
	sqlite3_stmt *st = store_stmt(s, "SELECT uid, modseq FROM tombstones"
				      " WHERE mailbox_id = ?1 ORDER BY uid");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[count].uid = (uint32_t)sqlite3_column_int64(st, 0);
		list[count].modseq = (uint64_t)sqlite3_column_int64(st, 1);
		count++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(list);
		return store_fail_db(s, "read tombstones");
	}
	*list_r = list;
	*count_r = count;
	return STORE_OK;
}

int store_sqlite_tombstones_get(struct store *s, int64_t mailbox_id,
		struct store_tombstone **list_r, size_t *count_r,
		const char **error_r)
{
	int ret = store_tx_read(s);

	*list_r = NULL;
	*count_r = 0;
	if (ret == STORE_OK) {
		ret = tombstones_tx(s, mailbox_id, list_r, count_r);
		store_tx_rollback(s);
	}
	store_error_out(s, error_r);
	return ret;
}

static int limits_tx(struct store *s, const char *user,
		     struct store_quota_limits *l)
{
	int64_t id;
	int ret = store_user_id(s, user, &id, NULL);

	if (ret != STORE_OK)
		return ret;
	sqlite3_stmt *st = store_stmt(s, "SELECT storage_kib, messages"
				      " FROM quota_limits WHERE user_id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	l->use_default = rc != SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		l->storage_limited = sqlite3_column_type(st, 0) != SQLITE_NULL;
		l->storage_kib = (uint64_t)sqlite3_column_int64(st, 0);
		l->messages_limited = sqlite3_column_type(st, 1) != SQLITE_NULL;
		l->messages = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK :
		store_fail_db(s, "read quota limits");
}

int store_sqlite_quota_limits_get(struct store *s, const char *user,
		struct store_quota_limits *limits_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(limits_r, 0, sizeof(*limits_r));
	if (ret == STORE_OK) {
		ret = limits_tx(s, user, limits_r);
		store_tx_rollback(s);
	}
	store_error_out(s, error_r);
	return ret;
}

/* ---- writers ---- */

static int insert_row(struct store *s, int64_t mailbox_id,
		      const struct store_migrate_msg *m, const char *keywords,
		      int64_t blob_id, int64_t thread_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO messages (mailbox_id, uid,"
		" modseq, flags, keywords, internaldate, tz, size, blob_id,"
		" savedate, thread_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		" ?9, ?10, ?11)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)m->modseq);
	sqlite3_bind_int64(st, 4, m->msg.flags & STORE_FLAGS_ALL);
	if (*keywords != '\0')
		sqlite3_bind_text(st, 5, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->msg.internaldate);
	sqlite3_bind_int(st, 7, m->msg.tz_offset_min);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)m->msg.size);
	sqlite3_bind_int64(st, 9, blob_id);
	sqlite3_bind_int64(st, 10, m->savedate);
	sqlite3_bind_int64(st, 11, thread_id);
	return store_exec_stmt(s, st, "insert message");
}

/* One above the largest UID of a message in the mailbox (1 if none). */
static int first_free_uid(struct store *s, int64_t mailbox_id, uint32_t *uid_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(uid), 0) + 1"
				      " FROM messages WHERE mailbox_id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	int rc = sqlite3_step(st);
	*uid_r = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_fail_db(s, "read UIDs");
}

/* A UID with a tombstone stays expunged (RFC 3501 2.3.1.1: never reused). */
static int check_not_expunged(struct store *s, int64_t mailbox_id,
			      uint32_t uid)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM tombstones"
				      " WHERE mailbox_id = ?1 AND uid = ?2");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return store_fail(s, STORE_ECANNOT, "UID %u was expunged", uid);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read tombstone");
}

static int append_tx(struct store *s, int64_t mailbox_id,
		     const struct store_migrate_msg *msgs,
		     struct store_blob_src *srcs,
		     const struct mail_thread_keys *keys, size_t count)
{
	struct store_mailbox mb;
	struct buf kw = BUF_INIT;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret != STORE_OK)
		return ret;
	if (mb.attrs & STORE_MBOX_NOSELECT)
		return store_fail(s, STORE_ECANNOT, "mailbox is \\Noselect");
	uint32_t next = 0;
	uint64_t modseq = mb.highestmodseq;
	ret = first_free_uid(s, mailbox_id, &next);
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		if (msgs[i].uid < next || msgs[i].uid >= UINT32_MAX - 1)
			ret = store_fail(s, STORE_ECANNOT, "UID %u is not above"
					 " the mailbox's messages", msgs[i].uid);
		if (ret == STORE_OK)
			ret = check_not_expunged(s, mailbox_id, msgs[i].uid);
		int64_t blob_id = 0, thread_id = 0;
		if (ret == STORE_OK)
			ret = store_blob_attach(s, &srcs[i], &blob_id);
		/* Thread numbers are not copied: the destination's rule
		 * (mail/thread-keys.h) gives them, as on delivery, so its
		 * thread_names stay consistent with its own numbering. */
		if (ret == STORE_OK)
			ret = store_thread_assign(s, mb.user_id, blob_id,
						  &keys[i], &thread_id);
		if (ret == STORE_OK)
			ret = store_keywords_register(s, mailbox_id,
						      msgs[i].msg.keywords,
						      msgs[i].msg.keyword_count,
						      &kw);
		if (ret == STORE_OK)
			ret = insert_row(s, mailbox_id, &msgs[i], buf_cstr(&kw),
					 blob_id, thread_id);
		next = msgs[i].uid + 1;
		if (msgs[i].modseq > modseq)
			modseq = msgs[i].modseq;
	}
	buf_free(&kw);
	if (ret == STORE_OK)
		ret = store_mailbox_set_counters(s, mailbox_id,
			next > mb.uidnext ? next : mb.uidnext, modseq);
	return ret;
}

int store_sqlite_migrate_append(struct store *s, int64_t mailbox_id,
		const struct store_migrate_msg *msgs, size_t count,
		const char **error_r)
{
	struct store_blob_src *srcs = xcalloc(count ? count : 1, sizeof(*srcs));
	struct mail_thread_keys *keys = xcalloc(count ? count : 1, sizeof(*keys));
	int ret = STORE_OK;

	/* Bodies first and fsynced, outside the write lock, as store_append. */
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		const struct store_append_msg *m = &msgs[i].msg;
		if (m->fd < 0 && m->data == NULL && m->size > 0) {
			ret = store_fail(s, STORE_EINVALID, "no message data");
			break;
		}
		ret = store_body_prepare(s, m, &srcs[i], &keys[i]);
	}
	if (ret == STORE_OK)
		ret = store_blob_sync_dirs(s);
	if (ret == STORE_OK && count > 0) {
		ret = store_tx_write(s);
		if (ret == STORE_OK) {
			ret = append_tx(s, mailbox_id, msgs, srcs, keys, count);
			if (ret == STORE_OK)
				ret = store_blob_sync_dirs(s);
			if (ret == STORE_OK)
				ret = store_tx_commit(s);
			else
				store_tx_rollback(s);
		}
	}
	for (size_t i = 0; i < count; i++)
		mail_thread_keys_free(&keys[i]);
	free(srcs);
	free(keys);
	store_error_out(s, error_r);
	return ret;
}

static int flags_tx(struct store *s, int64_t mailbox_id,
		    const struct store_msg *msgs, size_t count)
{
	struct store_mailbox mb;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		const char *kw = msgs[i].keywords;
		ret = store_keywords_register_str(s, mailbox_id, kw);
		sqlite3_stmt *st = ret ? NULL : store_stmt(s,
			"UPDATE messages SET flags = ?3, keywords = ?4,"
			" modseq = ?5 WHERE mailbox_id = ?1 AND uid = ?2");
		if (st == NULL)
			return ret ? ret : STORE_ESERVERBUG;
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, msgs[i].uid);
		sqlite3_bind_int64(st, 3, msgs[i].flags & STORE_FLAGS_ALL);
		if (kw != NULL && *kw != '\0')
			sqlite3_bind_text(st, 4, kw, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)msgs[i].modseq);
		ret = store_exec_stmt(s, st, "set flags");
	}
	if (ret == STORE_OK)
		store_tx_changed(s, mailbox_id);
	return ret;
}

int store_sqlite_migrate_flags_set(struct store *s, int64_t mailbox_id,
		const struct store_msg *msgs, size_t count,
		const char **error_r)
{
	int ret;

	WRITE_TX(s, ret, flags_tx(s, mailbox_id, msgs, count));
	store_error_out(s, error_r);
	return ret;
}

/* Removes the message with uid, if any, freeing its blob when unshared;
 * the caller writes the tombstone. */
static int drop_message(struct store *s, int64_t mailbox_id, uint32_t uid)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM messages"
		" WHERE mailbox_id = ?1 AND uid = ?2 RETURNING blob_id");
	int64_t blob_id = 0;
	int rc;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		blob_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, "expunge");
	return blob_id != 0 ? store_blob_release(s, blob_id) : STORE_OK;
}

static int tombstones_replace(struct store *s, int64_t mailbox_id,
			      const struct store_mailbox_state *state)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM tombstones"
				      " WHERE mailbox_id = ?1");
	int ret;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	ret = store_exec_stmt(s, st, "clear tombstones");
	for (size_t i = 0; i < state->tombstone_count && ret == STORE_OK; i++) {
		const struct store_tombstone *t = &state->tombstones[i];
		ret = drop_message(s, mailbox_id, t->uid);
		st = ret ? NULL : store_stmt(s, "INSERT OR REPLACE INTO"
			" tombstones (mailbox_id, uid, modseq)"
			" VALUES (?1, ?2, ?3)");
		if (st == NULL)
			return ret ? ret : STORE_ESERVERBUG;
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, t->uid);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)t->modseq);
		ret = store_exec_stmt(s, st, "tombstone");
	}
	return ret;
}

/* The number of messages and the largest UID among them. */
static int message_extent(struct store *s, int64_t mailbox_id,
			  int64_t *count_r, int64_t *max_uid_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*), coalesce(max(uid), 0)"
				      " FROM messages WHERE mailbox_id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	int rc = sqlite3_step(st);
	*count_r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	*max_uid_r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_fail_db(s, "count messages");
}

static int register_keywords(struct store *s, int64_t mailbox_id,
			     const struct store_mailbox_state *state)
{
	int ret = STORE_OK;

	for (size_t i = 0; i < state->keyword_count && ret == STORE_OK; i++) {
		if (!store_keyword_valid(state->keywords[i]))
			return store_fail(s, STORE_EINVALID, "invalid keyword");
		ret = store_keywords_register_str(s, mailbox_id,
						  state->keywords[i]);
	}
	return ret;
}

/* RFC 3501 2.3.1.1: the allocator must never hand out a copied value (or
 * a lower one) again, so it moves up to it. */
static int reserve_uidvalidity(struct store *s, uint32_t uidvalidity)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO meta (key, value)"
		" VALUES ('uidvalidity', ?1) ON CONFLICT (key)"
		" DO UPDATE SET value = max(value, excluded.value)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, uidvalidity);
	return store_exec_stmt(s, st, "reserve uidvalidity");
}

static int mailbox_set_tx(struct store *s, int64_t mailbox_id,
			  const struct store_mailbox_state *state)
{
	struct store_mailbox mb;
	int64_t messages = 0, max_uid = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK && state->uidvalidity == 0)
		ret = store_fail(s, STORE_EINVALID, "uidvalidity 0");
	if (ret == STORE_OK)
		ret = message_extent(s, mailbox_id, &messages, &max_uid);
	if (ret == STORE_OK && messages > 0 &&
	    mb.uidvalidity != state->uidvalidity)
		ret = store_fail(s, STORE_ECANNOT, "mailbox not empty: its"
				 " uidvalidity stays %u", mb.uidvalidity);
	if (ret == STORE_OK)
		ret = tombstones_replace(s, mailbox_id, state);
	if (ret == STORE_OK)
		ret = message_extent(s, mailbox_id, &messages, &max_uid);
	if (ret == STORE_OK && max_uid >= (int64_t)state->uidnext)
		ret = store_fail(s, STORE_ECANNOT, "uidnext %u is not above"
				 " UID %lld", state->uidnext,
				 (long long)max_uid);
	if (ret == STORE_OK && messages > 0 &&
	    (state->attrs & STORE_MBOX_NOSELECT))
		ret = store_fail(s, STORE_ECANNOT, "\\Noselect mailbox with"
				 " messages");
	if (ret == STORE_OK)
		ret = register_keywords(s, mailbox_id, state);
	if (ret == STORE_OK)
		ret = reserve_uidvalidity(s, state->uidvalidity);
	if (ret != STORE_OK)
		return ret;
	sqlite3_stmt *st = store_stmt(s, "UPDATE mailboxes SET uidvalidity = ?2,"
		" uidnext = ?3, highestmodseq = ?4, first_recent_uid = ?5,"
		" attrs = ?6 WHERE id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, state->uidvalidity);
	sqlite3_bind_int64(st, 3, state->uidnext);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)state->highestmodseq);
	sqlite3_bind_int64(st, 5, state->first_recent_uid);
	sqlite3_bind_int64(st, 6, state->attrs & (STORE_MBOX_NOSELECT |
						  STORE_MBOX_SPECIAL_USE_MASK));
	store_tx_changed(s, mailbox_id);
	return store_exec_stmt(s, st, "set mailbox state");
}

int store_sqlite_migrate_mailbox_set(struct store *s, int64_t mailbox_id,
		const struct store_mailbox_state *state, const char **error_r)
{
	int ret;

	WRITE_TX(s, ret, mailbox_set_tx(s, mailbox_id, state));
	store_error_out(s, error_r);
	return ret;
}
