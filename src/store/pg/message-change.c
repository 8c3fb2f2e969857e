/*
 * store/pg: changing messages: STORE (flags), COPY, MOVE, EXPUNGE, and the
 * whole-mailbox moves and deletes of RENAME INBOX and DELETE.
 *
 * Every change first locks the mailbox row(s) it changes (in id order, so
 * two front ends copying in opposite directions cannot deadlock), then
 * takes its new modseq and UIDs from those rows.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "store/pg/internal.h"

/* The UID ranges as an int8multirange literal, clamped below uidnext. */
static void ranges_literal(const struct store_uid_range *ranges, size_t n,
			   uint32_t uidnext, struct buf *out)
{
	buf_append_char(out, '{');
	if (ranges == NULL)
		buf_printf(out, "[1,%u]", uidnext);
	for (size_t i = 0; ranges != NULL && i < n; i++)
		buf_printf(out, "%s[%u,%u]", i ? "," : "", ranges[i].first,
			   ranges[i].last < uidnext ? ranges[i].last : uidnext);
	buf_append_char(out, '}');
}

/* Locks the mailbox rows a and b (b may be 0) in id order. */
static int lock_mailboxes(struct store *s, int64_t a, int64_t b)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, a < b || b == 0 ? a : b);
	pg_param_int(&p, a < b || b == 0 ? b : a);
	return pg_exec(s, "SELECT 1 FROM mailboxes WHERE id IN ($1, $2)"
		       " ORDER BY id FOR UPDATE", &p);
}

/* ---- STORE ---- */

static uint32_t apply_flags(uint32_t old, enum store_flags_op op,
			    uint32_t flags, uint32_t mask)
{
	flags &= mask;
	switch (op) {
	case STORE_FLAGS_SET: return (old & ~mask) | flags;
	case STORE_FLAGS_ADD: return old | flags;
	default: return old & ~flags;
	}
}

static int flags_tx(struct store *s, int64_t mailbox_id,
		    const struct store_uid_range *ranges, size_t range_count,
		    enum store_flags_op op, uint32_t flags,
		    const char *const *keywords, size_t keyword_count,
		    const uint64_t *unchangedsince, struct store_flags_result *r)
{
	struct store_mailbox mb;
	struct buf set = BUF_INIT, change = BUF_INIT, kw = BUF_INIT;
	struct pg_params p = { 0 };
	uint64_t modseq = 0;
	uint32_t unused;
	size_t cap = 0, mod_cap = 0;
	int code = pg_mailbox_read(s, mailbox_id, true, &mb);

	if (code != STORE_OK)
		return code;
	uint32_t mask = store_flag_mask(mb.rights);
	bool write_kw = (mb.rights & ACL_WRITE) != 0;
	code = pg_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	if (code != STORE_OK)
		return code;
	/* RFC 4314 4: a STORE naming one flag the actor may change succeeds
	 * with that one; one naming none of them fails. FLAGS (replace)
	 * names them all. */
	bool some = op == STORE_FLAGS_SET ? mask != 0 :
		(flags & mask) != 0 || (write_kw && keyword_count > 0);
	if (!some)
		return pg_fail(s, STORE_ENOPERM,
			       "no right to change these flags");
	if (op == STORE_FLAGS_REMOVE || !write_kw) {
		for (size_t i = 0; i < keyword_count; i++) {
			if (!store_keyword_valid(keywords[i]))
				return pg_fail(s, STORE_EINVALID,
					       "invalid keyword");
			buf_printf(&change, "%s%s", i ? " " : "", keywords[i]);
		}
	} else {
		code = pg_keywords_register(s, mailbox_id, keywords,
					    keyword_count, &change);
	}
	ranges_literal(ranges, range_count, mb.uidnext, &set);
	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, buf_cstr(&set));
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT uid, flags, modseq, keywords FROM messages WHERE"
		" mailbox_id = $1 AND $2::int8multirange @> uid ORDER BY uid",
		&p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) && code == STORE_OK;
	     i++) {
		uint32_t uid = (uint32_t)pg_int(res, i, 0);
		uint32_t old = (uint32_t)pg_int(res, i, 1);
		uint64_t old_modseq = (uint64_t)pg_int(res, i, 2);
		const char *old_kw = pg_str(res, i, 3);
		if (unchangedsince != NULL && old_modseq > *unchangedsince) {
			if (r->modified_count == mod_cap) {
				mod_cap = mod_cap ? mod_cap * 2 : 16;
				r->modified = xrealloc(r->modified, mod_cap *
						       sizeof(*r->modified));
			}
			r->modified[r->modified_count++] = uid;
			continue;
		}
		uint32_t now = apply_flags(old, op, flags, mask);
		buf_reset(&kw);
		if (write_kw)
			store_keywords_apply(old_kw ? old_kw : "", op,
					     buf_cstr(&change), &kw);
		else
			buf_append_str(&kw, old_kw ? old_kw : "");
		bool changed = now != old ||
			strcmp(buf_cstr(&kw), old_kw ? old_kw : "") != 0;
		if (changed && modseq == 0)
			code = pg_mailbox_allocate(s, mailbox_id, 0, &unused,
						   &modseq);
		if (changed && code == STORE_OK) {
			struct pg_params u = { 0 };
			pg_param_int(&u, mailbox_id);
			pg_param_int(&u, uid);
			pg_param_int(&u, now);
			pg_param_str(&u, kw.len ? buf_cstr(&kw) : NULL);
			pg_param_int(&u, (int64_t)modseq);
			code = pg_exec(s, "UPDATE messages SET flags = $3,"
				       " keywords = $4, modseq = $5 WHERE"
				       " mailbox_id = $1 AND uid = $2", &u);
		}
		store_msg_list_push(&r->msgs, &cap, uid, now,
				    changed ? modseq : old_modseq,
				    buf_cstr(&kw), changed);
	}
	store_msg_list_finish(&r->msgs);
	r->msgs.highestmodseq = modseq ? modseq : mb.highestmodseq;
	r->msgs.uidnext = mb.uidnext;
	PQclear(res);
	buf_free(&set);
	buf_free(&change);
	buf_free(&kw);
	return code;
}

int store_pg_flags_update(struct store *s, int64_t mailbox_id,
			  const struct store_uid_range *ranges,
			  size_t range_count, enum store_flags_op op,
			  uint32_t flags, const char *const *keywords,
			  size_t keyword_count, const uint64_t *unchangedsince,
			  struct store_flags_result *result_r,
			  const char **error_r)
{
	int ret = pg_tx_begin(s);

	memset(result_r, 0, sizeof(*result_r));
	if (ret == STORE_OK)
		ret = pg_tx_end(s, flags_tx(s, mailbox_id, ranges, range_count,
					    op, flags, keywords, keyword_count,
					    unchangedsince, result_r));
	if (ret != STORE_OK)
		store_flags_result_free(result_r);
	pg_error_out(s, error_r);
	return ret;
}

/* ---- COPY, MOVE ---- */

/* Removes the listed messages of a mailbox, leaving tombstones with
 * modseq, and releases blobs nobody refers to any more. */
static int remove_messages(struct store *s, int64_t mailbox_id,
			   const char *set, uint64_t modseq, bool deleted_only,
			   uint32_t **uids_r, size_t *count_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, set);
	pg_param_int(&p, (int64_t)modseq);
	pg_param_int(&p, deleted_only ? 8 : 0);
	PGresult *res = pg_query(s, "WITH d AS (DELETE FROM messages WHERE"
		" mailbox_id = $1 AND $2::int8multirange @> uid AND"
		" flags & $4 = $4 RETURNING uid, blob_id), t AS (INSERT INTO"
		" tombstones (mailbox_id, uid, modseq) SELECT $1, uid, $3"
		" FROM d ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq ="
		" EXCLUDED.modseq) SELECT uid, blob_id FROM d ORDER BY uid",
		&p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	if (uids_r != NULL && n > 0) {
		*uids_r = xcalloc((size_t)n, sizeof(**uids_r));
		for (int i = 0; i < n; i++)
			(*uids_r)[i] = (uint32_t)pg_int(res, i, 0);
	}
	if (count_r != NULL)
		*count_r = (size_t)n;
	for (int i = 0; i < n && code == STORE_OK; i++)
		code = pg_blob_release(s, pg_int(res, i, 1));
	PQclear(res);
	pg_tx_changed(s, mailbox_id);
	return code;
}

static int copy_tx(struct store *s, int64_t src_id,
		   const struct store_uid_range *ranges, size_t range_count,
		   int64_t dst_id, bool move, struct store_copy_result *r)
{
	struct store_mailbox src, dst;
	struct buf set = BUF_INIT;
	struct pg_params p = { 0 };
	struct pg_usage before;
	uint32_t first = 0, unused;
	uint64_t modseq = 0;
	int code = lock_mailboxes(s, src_id, dst_id);
	uint32_t need = ACL_READ | (move ? ACL_DELETED | ACL_EXPUNGE : 0);

	if (code == STORE_OK)
		code = pg_require_mailbox(s, src_id, need, false, &src);
	if (code == STORE_OK) {
		code = pg_mailbox_read(s, dst_id, false, &dst);
		if (code == STORE_ENONEXISTENT)
			code = pg_fail(s, STORE_ETRYCREATE, "no such mailbox");
	}
	if (code == STORE_OK)
		code = pg_require(s, &dst, ACL_INSERT, STORE_ETRYCREATE);
	if (code == STORE_OK && (dst.attrs & STORE_MBOX_NOSELECT))
		code = pg_fail(s, STORE_ECANNOT, "mailbox is not selectable");
	if (code == STORE_OK && move && src_id == dst_id)
		code = pg_fail(s, STORE_ECANNOT, "cannot move to the same mailbox");
	if (code != STORE_OK)
		return code;
	r->uidvalidity = dst.uidvalidity;
	ranges_literal(ranges, range_count, src.uidnext, &set);
	pg_param_int(&p, src_id);
	pg_param_str(&p, buf_cstr(&set));
	PGresult *res = pg_query(s, "SELECT uid FROM messages WHERE"
		" mailbox_id = $1 AND $2::int8multirange @> uid ORDER BY uid",
		&p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	r->count = (size_t)n;
	if (n > 0) {
		r->src_uids = xcalloc((size_t)n, sizeof(uint32_t));
		r->dst_uids = xcalloc((size_t)n, sizeof(uint32_t));
		for (int i = 0; i < n; i++)
			r->src_uids[i] = (uint32_t)pg_int(res, i, 0);
	}
	PQclear(res);
	if (code != STORE_OK || n == 0)
		goto out;
	code = pg_usage_read(s, dst.user_id, &before);
	if (code == STORE_OK)
		code = pg_mailbox_allocate(s, dst_id, (uint32_t)n, &first,
					   &modseq);
	for (int i = 0; i < n; i++)
		r->dst_uids[i] = first + (uint32_t)i;
	/* flags survive where the actor may set them on the target
	 * (RFC 4314 4), keywords with w */
	pg_param_int(&p, dst_id);
	pg_param_int(&p, first);
	pg_param_int(&p, (int64_t)modseq);
	pg_param_int(&p, store_flag_mask(dst.rights));
	pg_param_int(&p, (dst.rights & ACL_WRITE) ? 1 : 0);
	pg_param_int(&p, time(NULL));
	if (code == STORE_OK)
		code = pg_exec(s, "INSERT INTO messages (mailbox_id, uid, modseq,"
			" flags, keywords, internaldate, tz, size, blob_id,"
			" savedate, thread_id) SELECT $3, $4 + row_number()"
			" OVER (ORDER BY uid) - 1, $5, flags & $6, CASE WHEN"
			" $7 = 1 THEN keywords END, internaldate, tz, size,"
			" blob_id, $8, thread_id"
			" FROM messages WHERE mailbox_id = $1 AND"
			" $2::int8multirange @> uid", &p);
	struct pg_params k = { 0 };
	pg_param_int(&k, src_id);
	pg_param_int(&k, dst_id);
	pg_param_int(&k, (int64_t)modseq);
	/* the target learns the keywords the copies carry */
	if (code == STORE_OK && (dst.rights & ACL_WRITE))
		code = pg_exec(s, "INSERT INTO mailbox_keywords (mailbox_id,"
			" name) SELECT $2, k.name FROM mailbox_keywords k WHERE"
			" k.mailbox_id = $1 AND EXISTS (SELECT 1 FROM messages m"
			" WHERE m.mailbox_id = $2 AND m.modseq = $3 AND"
			" lower(' ' || m.keywords || ' ') LIKE ('% ' ||"
			" lower(k.name) || ' %')) ORDER BY k.seq"
			" ON CONFLICT DO NOTHING", &k);
	if (code == STORE_OK && move)
		code = pg_mailbox_allocate(s, src_id, 0, &unused,
					   &r->src_modseq);
	if (code == STORE_OK && move)
		code = remove_messages(s, src_id, buf_cstr(&set), r->src_modseq,
				       false, NULL, NULL);
	/* after the removal: a MOVE within one owner adds nothing to its
	 * quota root, so it passes even at the limit (RFC 9208 4.3.1:
	 * only an addition is refused) */
	if (code == STORE_OK)
		code = pg_quota_check(s, dst.user_id, &before);
out:
	buf_free(&set);
	return code;
}

static int copy_or_move(struct store *s, int64_t src_id,
			const struct store_uid_range *ranges,
			size_t range_count, int64_t dst_id, bool move,
			struct store_copy_result *result_r,
			const char **error_r)
{
	int ret = pg_tx_begin(s);

	memset(result_r, 0, sizeof(*result_r));
	if (ret == STORE_OK)
		ret = pg_tx_end(s, copy_tx(s, src_id, ranges, range_count,
					   dst_id, move, result_r));
	if (ret != STORE_OK)
		store_copy_result_free(result_r);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_copy(struct store *s, int64_t src_mailbox_id,
		  const struct store_uid_range *ranges, size_t range_count,
		  int64_t dst_mailbox_id, struct store_copy_result *result_r,
		  const char **error_r)
{
	return copy_or_move(s, src_mailbox_id, ranges, range_count,
			    dst_mailbox_id, false, result_r, error_r);
}

int store_pg_move(struct store *s, int64_t src_mailbox_id,
		  const struct store_uid_range *ranges, size_t range_count,
		  int64_t dst_mailbox_id, struct store_copy_result *result_r,
		  const char **error_r)
{
	return copy_or_move(s, src_mailbox_id, ranges, range_count,
			    dst_mailbox_id, true, result_r, error_r);
}

/* ---- EXPUNGE ---- */

static int expunge_tx(struct store *s, int64_t mailbox_id,
		      const struct store_uid_range *ranges, size_t range_count,
		      uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r)
{
	struct store_mailbox mb;
	struct buf set = BUF_INIT;
	struct pg_params p = { 0 };
	uint64_t modseq = 0;
	uint32_t unused;
	int64_t any = 0;
	int code = pg_require_mailbox(s, mailbox_id, ACL_EXPUNGE, true, &mb);

	if (code != STORE_OK)
		return code;
	ranges_literal(ranges, range_count, mb.uidnext, &set);
	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, buf_cstr(&set));
	code = pg_query_int(s, "SELECT count(*) FROM messages WHERE"
		" mailbox_id = $1 AND $2::int8multirange @> uid AND"
		" flags & 8 != 0", &p, &any, "mailbox");
	modseq = mb.highestmodseq;
	if (code == STORE_OK && any > 0)
		code = pg_mailbox_allocate(s, mailbox_id, 0, &unused, &modseq);
	if (code == STORE_OK && any > 0)
		code = remove_messages(s, mailbox_id, buf_cstr(&set), modseq,
				       true, uids_r, count_r);
	if (modseq_r != NULL)
		*modseq_r = modseq;
	buf_free(&set);
	return code;
}

int store_pg_expunge(struct store *s, int64_t mailbox_id,
		     const struct store_uid_range *ranges, size_t range_count,
		     uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		     const char **error_r)
{
	int ret = pg_tx_begin(s);

	*uids_r = NULL;
	*count_r = 0;
	if (ret == STORE_OK)
		ret = pg_tx_end(s, expunge_tx(s, mailbox_id, ranges, range_count,
					      uids_r, count_r, modseq_r));
	if (ret != STORE_OK) {
		free(*uids_r);
		*uids_r = NULL;
		*count_r = 0;
	}
	pg_error_out(s, error_r);
	return ret;
}

/* ---- whole mailboxes ---- */

int pg_messages_delete_all(struct store *s, int64_t mailbox_id)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	PGresult *res = pg_query(s, "WITH d AS (DELETE FROM messages WHERE"
		" mailbox_id = $1 RETURNING blob_id) SELECT DISTINCT blob_id"
		" FROM d", &p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) && code == STORE_OK;
	     i++)
		code = pg_blob_release(s, pg_int(res, i, 0));
	PQclear(res);
	return code;
}

int pg_messages_move_all(struct store *s, int64_t src, int64_t dst)
{
	struct store_uid_range all = { 1, UINT32_MAX };
	struct store_copy_result r;
	int64_t user = s->actor;

	/* the system moves: RENAME already checked the rights */
	s->actor = 0;
	memset(&r, 0, sizeof(r));
	int ret = copy_tx(s, src, &all, 1, dst, true, &r);
	s->actor = user;
	store_copy_result_free(&r);
	return ret;
}
