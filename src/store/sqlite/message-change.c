/*
 * store/sqlite: changing messages: STORE (flags), COPY, MOVE, EXPUNGE.
 * Each is one write transaction that allocates one new modseq per changed
 * mailbox (highestmodseq + 1) for all the messages it touches.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

/* A message row as read for a change. */
struct row {
	uint32_t uid;
	uint32_t flags;
	uint64_t modseq;
	int64_t blob_id;
	char *keywords;
};

struct rows {
	struct row *v;
	size_t count, cap;
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->v[i].keywords);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Reads the rows in the normalised ranges (all rows if ranges is NULL),
 * only those with \Deleted if deleted_only. */
static int read_rows(struct store *s, int64_t mailbox_id, uint32_t uidnext,
		     const struct store_uid_range *ranges, size_t n,
		     bool deleted_only, struct rows *out)
{
	struct store_uid_range all = { 1, UINT32_MAX };
	struct store_uid_range *norm = xmalloc((n + 1) * sizeof(*norm));
	int rc = SQLITE_DONE;

	n = store_ranges_normalize(ranges ? ranges : &all, ranges ? n : 1,
				   uidnext, norm);
	sqlite3_stmt *st = store_stmt(s, "SELECT uid, flags, modseq, blob_id,"
		" keywords FROM messages WHERE mailbox_id = ?1"
		" AND uid BETWEEN ?2 AND ?3 AND (flags & ?4) = ?4 ORDER BY uid");
	for (size_t i = 0; st != NULL && i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, norm[i].first);
		sqlite3_bind_int64(st, 3, norm[i].last);
		sqlite3_bind_int(st, 4, deleted_only ? STORE_FLAG_DELETED : 0);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (out->count == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 64;
				out->v = xrealloc(out->v,
						  out->cap * sizeof(*out->v));
			}
			struct row *r = &out->v[out->count++];
			r->uid = (uint32_t)sqlite3_column_int64(st, 0);
			r->flags = (uint32_t)sqlite3_column_int64(st, 1);
			r->modseq = (uint64_t)sqlite3_column_int64(st, 2);
			r->blob_id = sqlite3_column_int64(st, 3);
			const char *kw = (const char *)sqlite3_column_text(st, 4);
			r->keywords = kw ? xstrdup(kw) : NULL;
		}
	}
	if (st != NULL)
		sqlite3_reset(st);
	free(norm);
	if (st == NULL)
		return STORE_ESERVERBUG;
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read messages");
}

/* ---- STORE ---- */

static uint32_t apply_flags(uint32_t cur, enum store_flags_op op,
			    uint32_t flags)
{
	switch (op) {
	case STORE_FLAGS_SET: return flags;
	case STORE_FLAGS_ADD: return cur | flags;
	case STORE_FLAGS_REMOVE: return cur & ~flags;
	}
	return cur;
}

static int update_row(struct store *s, int64_t mailbox_id, uint32_t uid,
		      uint32_t flags, const char *keywords, uint64_t modseq)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE messages SET flags = ?3,"
		" keywords = ?4, modseq = ?5 WHERE mailbox_id = ?1 AND uid = ?2");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, flags);
	if (*keywords != '\0')
		sqlite3_bind_text(st, 4, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)modseq);
	return store_exec_stmt(s, st, "update flags");
}

struct flags_req {
	const struct store_uid_range *ranges;
	size_t range_count;
	enum store_flags_op op;
	uint32_t flags;
	const char *const *keywords;
	size_t keyword_count;
	const uint64_t *unchangedsince;
};

static void push_modified(struct store_flags_result *res, uint32_t uid)
{
	res->modified = xrealloc(res->modified, (res->modified_count + 1) *
				 sizeof(*res->modified));
	res->modified[res->modified_count++] = uid;
}

/*
 * RFC 4314 4: STORE needs s for \Seen, t for \Deleted, w for the other
 * flags and keywords, and SHOULD NOT fail when one of the flags named may
 * be changed: the others are left alone. FLAGS (replace) names them all.
 * Returns the changeable system flags in *mask_r and whether keywords may
 * change in *keywords_r, or STORE_ENOPERM when nothing named may change.
 */
static int flags_allowed(struct store *s, const struct store_mailbox *mb,
			 const struct flags_req *req, uint32_t *mask_r,
			 bool *keywords_r)
{
	int ret = store_require(s, mb, ACL_READ, STORE_ENONEXISTENT);

	*mask_r = store_flag_mask(mb->rights);
	*keywords_r = (mb->rights & ACL_WRITE) != 0;
	if (ret != STORE_OK)
		return ret;
	bool some = req->op == STORE_FLAGS_SET ?
		*mask_r != 0 :
		(req->flags & *mask_r) != 0 ||
		(*keywords_r && req->keyword_count > 0);
	if (!some)
		return store_fail(s, STORE_ENOPERM,
				  "no right to change these flags");
	return STORE_OK;
}

static int flags_tx(struct store *s, int64_t mailbox_id,
		    const struct flags_req *req, struct store_flags_result *res)
{
	struct store_mailbox mb;
	struct rows rows = { 0 };
	struct buf change = BUF_INIT, kw = BUF_INIT;
	size_t cap = 0;
	bool any = false, keywords_ok = false;
	uint32_t mask = 0;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = flags_allowed(s, &mb, req, &mask, &keywords_ok);
	/* without w, keywords stay as they are: no change list */
	if (ret == STORE_OK && keywords_ok)
		ret = req->op == STORE_FLAGS_REMOVE ?
			store_keywords_join(s, req->keywords,
					    req->keyword_count, &change) :
			store_keywords_register(s, mailbox_id, req->keywords,
						req->keyword_count, &change);
	if (ret == STORE_OK)
		ret = read_rows(s, mailbox_id, mb.uidnext, req->ranges,
				req->range_count, false, &rows);
	uint64_t modseq = mb.highestmodseq + 1;
	for (size_t i = 0; i < rows.count && ret == STORE_OK; i++) {
		struct row *r = &rows.v[i];
		/* RFC 7162 3.1.3: a message changed after UNCHANGEDSINCE is
		 * not touched and is reported as MODIFIED. */
		if (req->unchangedsince && r->modseq > *req->unchangedsince) {
			push_modified(res, r->uid);
			continue;
		}
		uint32_t flags = apply_flags(r->flags, req->op,
					     req->flags & STORE_FLAGS_ALL);
		flags = (flags & mask) | (r->flags & ~mask);
		if (keywords_ok) {
			store_keywords_apply(r->keywords, req->op,
					     buf_cstr(&change), &kw);
		} else {
			buf_reset(&kw);
			buf_append_str(&kw, r->keywords ? r->keywords : "");
		}
		bool changed = flags != r->flags ||
			strcmp(buf_cstr(&kw), r->keywords ? r->keywords : "");
		if (changed) {
			ret = update_row(s, mailbox_id, r->uid, flags,
					 buf_cstr(&kw), modseq);
			any = true;
		}
		store_msg_list_push(&res->msgs, &cap, r->uid, flags,
				    changed ? modseq : r->modseq,
				    buf_cstr(&kw), changed);
	}
	if (ret == STORE_OK && any)
		ret = store_mailbox_set_counters(s, mailbox_id, mb.uidnext,
						 modseq);
	res->msgs.highestmodseq = any ? modseq : mb.highestmodseq;
	res->msgs.uidnext = mb.uidnext;
	rows_free(&rows);
	buf_free(&change);
	buf_free(&kw);
	return ret;
}

int store_sqlite_flags_update(struct store *s, int64_t mailbox_id,
		       const struct store_uid_range *ranges, size_t range_count,
		       enum store_flags_op op, uint32_t flags,
		       const char *const *keywords, size_t keyword_count,
		       const uint64_t *unchangedsince,
		       struct store_flags_result *result_r,
		       const char **error_r)
{
	struct flags_req req = { ranges, range_count, op, flags, keywords,
				 keyword_count, unchangedsince };
	/* Flags, like Dovecot's index with mail_fsync=optimized, are not
	 * fsynced on their own: see store_tx_write_relaxed. */
	int ret = store_tx_write_relaxed(s);

	memset(result_r, 0, sizeof(*result_r));
	if (ret == STORE_OK) {
		ret = flags_tx(s, mailbox_id, &req, result_r);
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	store_msg_list_finish(&result_r->msgs);
	if (ret != STORE_OK)
		store_flags_result_free(result_r);
	store_error_out(s, error_r);
	return ret;
}

void store_flags_result_free(struct store_flags_result *result)
{
	store_msg_list_free(&result->msgs);
	free(result->modified);
	result->modified = NULL;
	result->modified_count = 0;
}

/* ---- EXPUNGE ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Deletes the rows, leaves (uid, modseq) tombstones for QRESYNC and other
 * sessions, and frees blobs that lost their last reference. */
static int expunge_rows(struct store *s, const struct store_mailbox *mb,
			const struct rows *rows, uint64_t *modseq_r)
{
	uint64_t modseq = mb->highestmodseq + 1;
	int ret = STORE_OK;

	*modseq_r = mb->highestmodseq;
	if (rows->count == 0)
		return STORE_OK;
	sqlite3_stmt *del = store_stmt(s, "DELETE FROM messages"
				       " WHERE mailbox_id = ?1 AND uid = ?2");
	sqlite3_stmt *tomb = store_stmt(s, "INSERT OR REPLACE INTO tombstones"
		" (mailbox_id, uid, modseq) VALUES (?1, ?2, ?3)");
	if (del == NULL || tomb == NULL)
		return STORE_ESERVERBUG;
	int64_t *blobs = xmalloc(rows->count * sizeof(*blobs));
	for (size_t i = 0; i < rows->count && ret == STORE_OK; i++) {
		blobs[i] = rows->v[i].blob_id;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, mb->id);
		sqlite3_bind_int64(del, 2, rows->v[i].uid);
		ret = store_exec_stmt(s, del, "expunge");
		if (ret != STORE_OK)
			break;
		sqlite3_reset(tomb);
		sqlite3_bind_int64(tomb, 1, mb->id);
		sqlite3_bind_int64(tomb, 2, rows->v[i].uid);
		sqlite3_bind_int64(tomb, 3, (sqlite3_int64)modseq);
		ret = store_exec_stmt(s, tomb, "tombstone");
	}
	qsort(blobs, rows->count, sizeof(*blobs), cmp_i64);
	for (size_t i = 0; i < rows->count && ret == STORE_OK; i++) {
		if (i == 0 || blobs[i] != blobs[i - 1])
			ret = store_blob_release(s, blobs[i]);
	}
	free(blobs);
	if (ret == STORE_OK)
		ret = store_mailbox_set_counters(s, mb->id, mb->uidnext, modseq);
	*modseq_r = modseq;
	return ret;
}

static int expunge_tx(struct store *s, int64_t mailbox_id,
		      const struct store_uid_range *ranges, size_t n,
		      uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r)
{
	struct store_mailbox mb;
	struct rows rows = { 0 };
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	/* RFC 4314 4: EXPUNGE (and CLOSE's) needs e. */
	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_EXPUNGE, STORE_ENONEXISTENT);
	if (ret == STORE_OK)
		ret = read_rows(s, mailbox_id, mb.uidnext, ranges, n, true,
				&rows);
	if (ret == STORE_OK)
		ret = expunge_rows(s, &mb, &rows, modseq_r);
	if (ret == STORE_OK && rows.count > 0) {
		*uids_r = xmalloc(rows.count * sizeof(**uids_r));
		for (size_t i = 0; i < rows.count; i++)
			(*uids_r)[i] = rows.v[i].uid;
		*count_r = rows.count;
	}
	rows_free(&rows);
	return ret;
}

int store_sqlite_expunge(struct store *s, int64_t mailbox_id,
		  const struct store_uid_range *ranges, size_t range_count,
		  uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		  const char **error_r)
{
	uint64_t modseq = 0;
	int ret = store_tx_write(s);

	*uids_r = NULL;
	*count_r = 0;
	if (ret == STORE_OK) {
		ret = expunge_tx(s, mailbox_id, ranges, range_count, uids_r,
				 count_r, &modseq);
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	if (ret != STORE_OK) {
		free(*uids_r);
		*uids_r = NULL;
		*count_r = 0;
	}
	if (modseq_r != NULL)
		*modseq_r = modseq;
	store_error_out(s, error_r);
	return ret;
}

int store_messages_delete_all(struct store *s, int64_t mailbox_id)
{
	struct store_mailbox mb;
	struct rows rows = { 0 };
	uint64_t modseq;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = read_rows(s, mailbox_id, mb.uidnext, NULL, 0, false, &rows);
	if (ret == STORE_OK)
		ret = expunge_rows(s, &mb, &rows, &modseq);
	rows_free(&rows);
	return ret;
}

/* ---- COPY, MOVE ---- */

int store_message_copy_row(struct store *s, int64_t src_mailbox_id,
			   uint32_t src_uid, int64_t dst_mailbox_id,
			   uint32_t dst_uid, uint64_t dst_modseq, time_t now)
{
	/* Rows only: the body is shared through blob_id (no bytes copied). */
	/* RFC 8474 5.1/5.2: the copy keeps EMAILID and so its THREADID. */
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO messages (mailbox_id,"
		" uid, modseq, flags, keywords, internaldate, tz, size, blob_id,"
		" savedate, thread_id) SELECT ?3, ?4, ?5, flags, keywords,"
		" internaldate, tz, size, blob_id, ?6, thread_id FROM messages"
		" WHERE mailbox_id = ?1 AND uid = ?2");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, src_mailbox_id);
	sqlite3_bind_int64(st, 2, src_uid);
	sqlite3_bind_int64(st, 3, dst_mailbox_id);
	sqlite3_bind_int64(st, 4, dst_uid);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)dst_modseq);
	sqlite3_bind_int64(st, 6, now);
	return store_exec_stmt(s, st, "copy message");
}

static int mask_row(struct store *s, int64_t mailbox_id, uint32_t uid,
		    uint32_t mask, bool keywords_ok)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE messages SET flags = flags & ?3,"
		" keywords = CASE WHEN ?4 THEN keywords END"
		" WHERE mailbox_id = ?1 AND uid = ?2");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, mask);
	sqlite3_bind_int(st, 4, keywords_ok);
	return store_exec_stmt(s, st, "mask flags");
}

/* Copies rows into dst; fills result's uid arrays. */
static int copy_rows(struct store *s, const struct store_mailbox *src,
		     const struct store_mailbox *dst, const struct rows *rows,
		     struct store_copy_result *res)
{
	uint64_t modseq = dst->highestmodseq + 1;
	uint32_t uid = dst->uidnext;
	time_t now = time(NULL);
	int ret = STORE_OK;

	res->uidvalidity = dst->uidvalidity;
	if (rows->count == 0)
		return STORE_OK;
	if ((uint64_t)uid + rows->count >= UINT32_MAX)
		return store_fail(s, STORE_ECANNOT, "mailbox UIDs exhausted");
	res->src_uids = xmalloc(rows->count * sizeof(uint32_t));
	res->dst_uids = xmalloc(rows->count * sizeof(uint32_t));
	/* RFC 4314 4: flags the actor may not set in the target are not
	 * copied; the message is. */
	uint32_t mask = store_flag_mask(dst->rights);
	bool keywords_ok = (dst->rights & ACL_WRITE) != 0;
	for (size_t i = 0; i < rows->count && ret == STORE_OK; i++) {
		ret = store_message_copy_row(s, src->id, rows->v[i].uid,
					     dst->id, uid, modseq, now);
		if (ret == STORE_OK && (mask != STORE_FLAGS_ALL || !keywords_ok))
			ret = mask_row(s, dst->id, uid, mask, keywords_ok);
		if (ret == STORE_OK && keywords_ok && rows->v[i].keywords != NULL)
			ret = store_keywords_register_str(s, dst->id,
							  rows->v[i].keywords);
		res->src_uids[i] = rows->v[i].uid;
		res->dst_uids[i] = uid++;
		res->count = i + 1;
	}
	if (ret == STORE_OK)
		ret = store_mailbox_set_counters(s, dst->id, uid, modseq);
	return ret;
}

static int copy_tx(struct store *s, int64_t src_id,
		   const struct store_uid_range *ranges, size_t n,
		   int64_t dst_id, bool move, struct store_copy_result *res)
{
	struct store_mailbox src, dst;
	struct store_usage before;
	struct rows rows = { 0 };
	int ret = store_mailbox_read(s, src_id, &src);

	/* RFC 6851 4.2: MOVE needs what STORE \Deleted and EXPUNGE need on
	 * the source. */
	if (ret == STORE_OK)
		ret = store_require(s, &src, ACL_READ | (move ?
				    ACL_DELETED | ACL_EXPUNGE : 0),
				    STORE_ENONEXISTENT);
	if (ret != STORE_OK)
		return ret;
	ret = store_mailbox_read(s, dst_id, &dst);
	/* RFC 3501 6.4.7: a missing destination gets [TRYCREATE], and so
	 * does one the actor may not see (RFC 4314 6). */
	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret == STORE_OK)
		ret = store_require(s, &dst, ACL_INSERT, STORE_ETRYCREATE);
	if (ret == STORE_OK)
		ret = store_usage_read(s, dst.user_id, &before);
	if (ret != STORE_OK)
		return ret;
	if (dst.attrs & STORE_MBOX_NOSELECT)
		return store_fail(s, STORE_ECANNOT, "mailbox is \\Noselect");
	if (move && src_id == dst_id)
		return store_fail(s, STORE_ECANNOT,
				  "cannot move to the same mailbox");
	ret = read_rows(s, src_id, src.uidnext, ranges, n, false, &rows);
	if (ret == STORE_OK)
		ret = copy_rows(s, &src, &dst, &rows, res);
	/* RFC 6851 3.3: MOVE is copy + expunge, atomically. */
	if (ret == STORE_OK && move)
		ret = expunge_rows(s, &src, &rows, &res->src_modseq);
	/* RFC 9208 4.3.1; a MOVE within one owner's mailboxes adds nothing */
	if (ret == STORE_OK)
		ret = store_quota_check(s, dst.user_id, &before);
	rows_free(&rows);
	return ret;
}

static int copy_or_move(struct store *s, int64_t src_id,
			const struct store_uid_range *ranges, size_t n,
			int64_t dst_id, bool move,
			struct store_copy_result *res, const char **error_r)
{
	int ret = store_tx_write(s);

	memset(res, 0, sizeof(*res));
	if (ret == STORE_OK) {
		ret = copy_tx(s, src_id, ranges, n, dst_id, move, res);
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_copy_result_free(res);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_copy(struct store *s, int64_t src_mailbox_id,
	       const struct store_uid_range *ranges, size_t range_count,
	       int64_t dst_mailbox_id, struct store_copy_result *result_r,
	       const char **error_r)
{
	return copy_or_move(s, src_mailbox_id, ranges, range_count,
			    dst_mailbox_id, false, result_r, error_r);
}

int store_sqlite_move(struct store *s, int64_t src_mailbox_id,
	       const struct store_uid_range *ranges, size_t range_count,
	       int64_t dst_mailbox_id, struct store_copy_result *result_r,
	       const char **error_r)
{
	return copy_or_move(s, src_mailbox_id, ranges, range_count,
			    dst_mailbox_id, true, result_r, error_r);
}

void store_copy_result_free(struct store_copy_result *result)
{
	free(result->src_uids);
	free(result->dst_uids);
	memset(result, 0, sizeof(*result));
}

int store_messages_move_all(struct store *s, int64_t src_mailbox_id,
			    int64_t dst_mailbox_id)
{
	struct store_copy_result res;
	struct store_mailbox src, dst;
	struct rows rows = { 0 };
	uint64_t modseq;
	int ret = store_mailbox_read(s, src_mailbox_id, &src);

	memset(&res, 0, sizeof(res));
	if (ret == STORE_OK)
		ret = store_mailbox_read(s, dst_mailbox_id, &dst);
	if (ret == STORE_OK)
		ret = read_rows(s, src.id, src.uidnext, NULL, 0, false, &rows);
	if (ret == STORE_OK)
		ret = copy_rows(s, &src, &dst, &rows, &res);
	if (ret == STORE_OK)
		ret = expunge_rows(s, &src, &rows, &modseq);
	rows_free(&rows);
	store_copy_result_free(&res);
	return ret;
}
