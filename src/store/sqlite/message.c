/*
 * store/sqlite: adding messages (APPEND, delivery) and reading them back
 * (snapshots, changes since a modseq, FETCH details).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

static int cmp_range(const void *a, const void *b)
{
	const struct store_uid_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

size_t store_ranges_normalize(const struct store_uid_range *in, size_t count,
			      uint32_t uidnext, struct store_uid_range *out)
{
	size_t n = 0;

	if (uidnext <= 1)
		return 0;
	for (size_t i = 0; i < count; i++) {
		struct store_uid_range r = in[i];
		if (r.first > r.last) {
			uint32_t t = r.first;
			r.first = r.last;
			r.last = t;
		}
		if (r.first == 0)
			r.first = 1;
		if (r.last >= uidnext)
			r.last = uidnext - 1;
		if (r.first <= r.last)
			out[n++] = r;
	}
	qsort(out, n, sizeof(*out), cmp_range);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && out[i].first <= out[m - 1].last + 1) {
			if (out[i].last > out[m - 1].last)
				out[m - 1].last = out[i].last;
		} else {
			out[m++] = out[i];
		}
	}
	return m;
}

/* While building, keywords holds (offset + 1) into strings_, because the
 * buffer moves as it grows; finish turns offsets into pointers. */
void store_msg_list_push(struct store_msg_list *l, size_t *cap, uint32_t uid,
			 uint32_t flags, uint64_t modseq, const char *keywords,
			 bool changed)
{
	if (l->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		l->msgs = xrealloc(l->msgs, *cap * sizeof(*l->msgs));
	}
	struct store_msg *m = &l->msgs[l->count++];
	m->uid = uid;
	m->flags = flags;
	m->modseq = modseq;
	m->changed = changed;
	m->keywords = NULL;
	if (keywords != NULL && *keywords != '\0') {
		m->keywords = (const char *)(uintptr_t)(l->strings_.len + 1);
		buf_append(&l->strings_, keywords, strlen(keywords) + 1);
	}
}

void store_msg_list_finish(struct store_msg_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		uintptr_t off = (uintptr_t)l->msgs[i].keywords;
		if (off != 0)
			l->msgs[i].keywords = l->strings_.data + off - 1;
	}
}

void store_msg_list_free(struct store_msg_list *list)
{
	free(list->msgs);
	buf_free(&list->strings_);
	memset(list, 0, sizeof(*list));
}

/* ---- APPEND ---- */

static int check_append(struct store *s, const struct store_append_msg *msgs,
			size_t count)
{
	if (count == 0)
		return store_fail(s, STORE_EINVALID, "no message to append");
	for (size_t i = 0; i < count; i++) {
		if (msgs[i].fd < 0 && msgs[i].data == NULL && msgs[i].size > 0)
			return store_fail(s, STORE_EINVALID, "no message data");
		for (size_t k = 0; k < msgs[i].keyword_count; k++) {
			if (!store_keyword_valid(msgs[i].keywords[k]))
				return store_fail(s, STORE_EINVALID,
						  "invalid keyword");
		}
	}
	return STORE_OK;
}

static int insert_message(struct store *s, int64_t mailbox_id, uint32_t uid,
			  uint64_t modseq, const struct store_append_msg *m,
			  uint32_t flags, const char *keywords, int64_t blob_id,
			  int64_t thread_id, time_t now)
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
	sqlite3_bind_int64(st, 4, flags & STORE_FLAGS_ALL);
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

static int append_tx(struct store *s, int64_t mailbox_id,
		     const struct store_append_msg *msgs,
		     struct store_blob_src *srcs,
		     const struct mail_thread_keys *keys, size_t count,
		     uint32_t *uids_r, uint32_t *uidvalidity_r)
{
	struct store_mailbox mb;
	struct store_usage before;
	struct buf kw = BUF_INIT;
	time_t now = time(NULL);
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	/* RFC 3501 6.3.11: a missing destination gets [TRYCREATE], and so
	 * does one the actor may not see (RFC 4314 6). */
	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_INSERT, STORE_ETRYCREATE);
	if (ret == STORE_OK)
		ret = store_usage_read(s, mb.user_id, &before);
	if (ret != STORE_OK)
		return ret;
	/* RFC 4314 4: flags without the right to set them are dropped, the
	 * message is stored all the same. */
	uint32_t flag_mask = store_flag_mask(mb.rights);
	bool keywords_ok = (mb.rights & ACL_WRITE) != 0;
	if (mb.attrs & STORE_MBOX_NOSELECT)
		return store_fail(s, STORE_ECANNOT, "mailbox is \\Noselect");
	if ((uint64_t)mb.uidnext + count >= UINT32_MAX)
		return store_fail(s, STORE_ECANNOT, "mailbox UIDs exhausted");
	uint64_t modseq = mb.highestmodseq + 1;
	uint32_t uid = mb.uidnext;
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		int64_t blob_id, thread_id = 0;
		ret = store_blob_attach(s, &srcs[i], &blob_id);
		if (ret == STORE_OK)
			ret = store_blob_derived_put(s, blob_id, &msgs[i]);
		if (ret == STORE_OK && msgs[i].blob_id_r != NULL)
			*msgs[i].blob_id_r = blob_id;
		if (ret == STORE_OK)
			ret = store_thread_assign(s, mb.user_id, blob_id,
						  &keys[i], &thread_id);
		if (ret == STORE_OK)
			ret = store_keywords_register(s, mailbox_id,
				msgs[i].keywords,
				keywords_ok ? msgs[i].keyword_count : 0, &kw);
		if (ret == STORE_OK)
			ret = insert_message(s, mailbox_id, uid, modseq,
					     &msgs[i], msgs[i].flags & flag_mask,
					     buf_cstr(&kw), blob_id, thread_id,
					     now);
		if (uids_r != NULL)
			uids_r[i] = uid;
		uid++;
	}
	buf_free(&kw);
	/* RFC 9208 4.3.1: nothing is stored past the owner's quota. */
	if (ret == STORE_OK)
		ret = store_quota_check(s, mb.user_id, &before);
	if (ret == STORE_OK)
		ret = store_mailbox_set_counters(s, mailbox_id, uid, modseq);
	if (uidvalidity_r != NULL)
		*uidvalidity_r = mb.uidvalidity;
	return ret;
}

int store_sqlite_append(struct store *s, int64_t mailbox_id,
		 const struct store_append_msg *msgs, size_t count,
		 uint32_t *uids_r, uint32_t *uidvalidity_r,
		 const char **error_r)
{
	struct store_blob_src *srcs = NULL;
	struct mail_thread_keys *keys = NULL;
	int ret = check_append(s, msgs, count);

	if (ret == STORE_OK) {
		srcs = xcalloc(count, sizeof(*srcs));
		keys = xcalloc(count, sizeof(*keys));
	}
	/* Bodies first, outside the write lock: the fsyncs are the slow
	 * part and must not hold up other writers. */
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		ret = store_body_prepare(s, &msgs[i], &srcs[i], &keys[i]);
	}
	if (ret == STORE_OK)
		ret = store_blob_sync_dirs(s);
	if (ret == STORE_OK) {
		ret = store_tx_write(s);
		if (ret == STORE_OK) {
			ret = append_tx(s, mailbox_id, msgs, srcs, keys, count,
					uids_r, uidvalidity_r);
			/* files rewritten or adopted under the lock */
			if (ret == STORE_OK)
				ret = store_blob_sync_dirs(s);
			if (ret == STORE_OK)
				ret = store_tx_commit(s);
			else
				store_tx_rollback(s);
		}
	}
	/* On failure the files written stay unreferenced: a later append of
	 * the same bytes reuses them, store_check removes the rest. */
	for (size_t i = 0; keys != NULL && i < count; i++)
		mail_thread_keys_free(&keys[i]);
	free(keys);
	free(srcs);
	store_error_out(s, error_r);
	return ret;
}

/* ---- reading ---- */

static int read_msgs(struct store *s, sqlite3_stmt *st,
		     struct store_msg_list *list, size_t *cap)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_msg_list_push(list, cap,
			(uint32_t)sqlite3_column_int64(st, 0),
			(uint32_t)sqlite3_column_int64(st, 1),
			(uint64_t)sqlite3_column_int64(st, 2),
			(const char *)sqlite3_column_text(st, 3), false);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read messages");
}

static int snapshot_tx(struct store *s, int64_t mailbox_id,
		       struct store_msg_list *list)
{
	struct store_mailbox mb;
	size_t cap = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	if (ret != STORE_OK)
		return ret;
	list->highestmodseq = mb.highestmodseq;
	list->uidnext = mb.uidnext;
	/* Primary-key order of a WITHOUT ROWID table: one range scan. */
	sqlite3_stmt *st = store_stmt(s, "SELECT uid, flags, modseq, keywords"
		" FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	return read_msgs(s, st, list, &cap);
}

int store_sqlite_mailbox_snapshot(struct store *s, int64_t mailbox_id,
			   struct store_msg_list *list_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(list_r, 0, sizeof(*list_r));
	if (ret == STORE_OK) {
		ret = snapshot_tx(s, mailbox_id, list_r);
		store_tx_rollback(s);
	}
	store_msg_list_finish(list_r);
	if (ret != STORE_OK)
		store_msg_list_free(list_r);
	store_error_out(s, error_r);
	return ret;
}

static int read_uids(struct store *s, sqlite3_stmt *st, uint32_t **uids_r,
		     size_t *count_r)
{
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count_r == cap) {
			cap = cap ? cap * 2 : 64;
			*uids_r = xrealloc(*uids_r, cap * sizeof(**uids_r));
		}
		(*uids_r)[(*count_r)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read uids");
}

static int changes_tx(struct store *s, int64_t mailbox_id, uint64_t since,
		      struct store_changes *ch)
{
	struct store_mailbox mb;
	size_t cap = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	if (ret != STORE_OK)
		return ret;
	ch->changed.highestmodseq = mb.highestmodseq;
	ch->changed.uidnext = mb.uidnext;
	if (since >= mb.highestmodseq)
		return STORE_OK; /* the common case for an idle session */
	/*
	 * INDEXED BY: without statistics the planner prefers the primary key
	 * for its ORDER BY uid and reads every message of the mailbox; a
	 * session syncing after a few changes wants only those rows, which
	 * the modseq index finds directly (the sort is then of a few rows).
	 */
	sqlite3_stmt *st = store_stmt(s, "SELECT uid, flags, modseq, keywords"
		" FROM messages INDEXED BY messages_modseq"
		" WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	ret = read_msgs(s, st, &ch->changed, &cap);
	if (ret != STORE_OK)
		return ret;
	st = store_stmt(s, "SELECT uid FROM tombstones INDEXED BY"
			" tombstones_modseq WHERE mailbox_id = ?1"
			" AND modseq > ?2 ORDER BY uid");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	return read_uids(s, st, &ch->expunged, &ch->expunged_count);
}

int store_sqlite_changes_since(struct store *s, int64_t mailbox_id, uint64_t since,
			struct store_changes *changes_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(changes_r, 0, sizeof(*changes_r));
	if (ret == STORE_OK) {
		ret = changes_tx(s, mailbox_id, since, changes_r);
		store_tx_rollback(s);
	}
	store_msg_list_finish(&changes_r->changed);
	if (ret != STORE_OK)
		store_changes_free(changes_r);
	store_error_out(s, error_r);
	return ret;
}

void store_changes_free(struct store_changes *changes)
{
	store_msg_list_free(&changes->changed);
	free(changes->expunged);
	changes->expunged = NULL;
	changes->expunged_count = 0;
}

static void push_message(struct store_message_list *l, size_t *cap,
			 sqlite3_stmt *st)
{
	if (l->count == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		l->msgs = xrealloc(l->msgs, *cap * sizeof(*l->msgs));
	}
	struct store_message *m = &l->msgs[l->count++];
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->flags = (uint32_t)sqlite3_column_int64(st, 1);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 2);
	m->keywords = NULL;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
		/* offset + 1, as in store_msg_list_push */
		m->keywords = (const char *)(uintptr_t)(l->strings_.len + 1);
		buf_append(&l->strings_, sqlite3_column_text(st, 3),
			   (size_t)sqlite3_column_bytes(st, 3) + 1);
	}
	m->internaldate = (time_t)sqlite3_column_int64(st, 4);
	m->tz_offset_min = sqlite3_column_int(st, 5);
	m->size = (uint64_t)sqlite3_column_int64(st, 6);
	m->blob_id = sqlite3_column_int64(st, 7);
	m->savedate = (time_t)sqlite3_column_int64(st, 8);
	m->thread_id = sqlite3_column_int64(st, 9);
}

static int messages_get_tx(struct store *s, int64_t mailbox_id,
			   const struct store_uid_range *ranges, size_t n,
			   struct store_message_list *l)
{
	struct store_mailbox mb;
	size_t cap = 0;
	int rc = SQLITE_DONE, ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	if (ret != STORE_OK)
		return ret;
	struct store_uid_range *norm = xmalloc((n + 1) * sizeof(*norm));
	n = store_ranges_normalize(ranges, n, mb.uidnext, norm);
	sqlite3_stmt *st = store_stmt(s, "SELECT uid, flags, modseq, keywords,"
		" internaldate, tz, size, blob_id, savedate, thread_id"
		" FROM messages"
		" WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid");
	for (size_t i = 0; st != NULL && i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, norm[i].first);
		sqlite3_bind_int64(st, 3, norm[i].last);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			push_message(l, &cap, st);
	}
	if (st != NULL)
		sqlite3_reset(st);
	free(norm);
	if (st == NULL)
		return STORE_ESERVERBUG;
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read messages");
}

int store_sqlite_messages_get(struct store *s, int64_t mailbox_id,
		       const struct store_uid_range *ranges, size_t range_count,
		       struct store_message_list *list_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(list_r, 0, sizeof(*list_r));
	if (ret == STORE_OK) {
		ret = messages_get_tx(s, mailbox_id, ranges, range_count, list_r);
		store_tx_rollback(s);
	}
	for (size_t i = 0; i < list_r->count; i++) {
		uintptr_t off = (uintptr_t)list_r->msgs[i].keywords;
		if (off != 0)
			list_r->msgs[i].keywords = list_r->strings_.data + off - 1;
	}
	if (ret != STORE_OK)
		store_message_list_free(list_r);
	store_error_out(s, error_r);
	return ret;
}

void store_message_list_free(struct store_message_list *list)
{
	free(list->msgs);
	buf_free(&list->strings_);
	memset(list, 0, sizeof(*list));
}
