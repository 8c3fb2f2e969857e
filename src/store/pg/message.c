/*
 * store/pg: adding messages (APPEND, delivery, import) and reading them
 * back (snapshots, changes since a modseq, FETCH details).
 *
 * Reads that must agree with each other (a snapshot and the counters it
 * is valid for) run in one REPEATABLE READ transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "store/pg/internal.h"

/* ---- keywords ---- */

static int register_one(struct store *s, int64_t mailbox_id, const char *kw,
			struct buf *out)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, kw);
	code = pg_exec(s, "INSERT INTO mailbox_keywords (mailbox_id, name)"
		       " VALUES ($1, $2) ON CONFLICT DO NOTHING", &p);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT name FROM mailbox_keywords WHERE mailbox_id = $1"
		" AND lower(name) = lower($2)", &p, &code);
	if (res != NULL && PQntuples(res) == 1) {
		const char *name = pg_str(res, 0, 0);
		if (!store_keywords_contain(buf_cstr(out), name, strlen(name))) {
			if (out->len > 0)
				buf_append_char(out, ' ');
			buf_append_str(out, name);
		}
	}
	PQclear(res);
	return code;
}

int pg_keywords_register(struct store *s, int64_t mailbox_id,
			 const char *const *keywords, size_t count,
			 struct buf *out)
{
	int ret = STORE_OK;

	buf_reset(out);
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		if (!store_keyword_valid(keywords[i]))
			return pg_fail(s, STORE_EINVALID, "invalid keyword");
		ret = register_one(s, mailbox_id, keywords[i], out);
	}
	return ret;
}

int pg_keywords_register_str(struct store *s, int64_t mailbox_id,
			     const char *keywords)
{
	struct buf out = BUF_INIT, kw = BUF_INIT;
	int ret = STORE_OK;

	for (const char *p = keywords; p != NULL && *p != '\0' &&
	     ret == STORE_OK;) {
		size_t n = strcspn(p, " ");
		buf_reset(&kw);
		buf_append(&kw, p, n);
		if (n > 0)
			ret = register_one(s, mailbox_id, buf_cstr(&kw), &out);
		p += n + (p[n] == ' ');
	}
	buf_free(&out);
	buf_free(&kw);
	return ret;
}

/* ---- APPEND ---- */

static int insert_message(struct store *s, int64_t mailbox_id, uint32_t uid,
			  uint64_t modseq, const struct store_append_msg *m,
			  uint32_t flags, const char *keywords, int64_t blob_id,
			  int64_t thread_id)
{
	struct pg_params p = { 0 };
	time_t now = time(NULL);

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, uid);
	pg_param_int(&p, (int64_t)modseq);
	pg_param_int(&p, flags);
	pg_param_str(&p, keywords != NULL && *keywords ? keywords : NULL);
	pg_param_int(&p, m->internaldate ? m->internaldate : now);
	pg_param_int(&p, m->tz_offset_min);
	pg_param_int(&p, (int64_t)m->size);
	pg_param_int(&p, blob_id);
	pg_param_int(&p, now);
	pg_param_int(&p, thread_id);
	return pg_exec(s, "INSERT INTO messages (mailbox_id, uid, modseq, flags,"
		       " keywords, internaldate, tz, size, blob_id, savedate,"
		       " thread_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
		       " $10, $11)", &p);
}

/* The UID for one message: `want` if it is at least uidnext, else the
 * next free one; uidnext moves past it in the same locked UPDATE. */
static int take_uid(struct store *s, int64_t mailbox_id, uint32_t want,
		    uint32_t *uid_r)
{
	struct pg_params p = { 0 };
	int64_t uid;

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, want);
	int ret = pg_query_int(s, "UPDATE mailboxes SET uidnext ="
		" greatest(uidnext, $2) + 1 WHERE id = $1"
		" RETURNING uidnext - 1", &p, &uid, "mailbox");
	if (ret == STORE_OK && uid >= UINT32_MAX)
		ret = pg_fail(s, STORE_ECANNOT, "mailbox out of UIDs");
	*uid_r = (uint32_t)uid;
	return ret;
}

int pg_append_tx(struct store *s, int64_t mailbox_id,
		 const struct store_append_msg *msgs, const uint32_t *uids,
		 size_t count, uint32_t *uids_r, uint32_t *uidvalidity_r)
{
	struct store_blobfile_src *src = xcalloc(count, sizeof(*src));
	struct mail_thread_keys *keys = xcalloc(count, sizeof(*keys));
	struct buf kw = BUF_INIT;
	struct store_mailbox mb;
	struct pg_usage before;
	uint32_t first;
	uint64_t modseq;
	int ret = STORE_OK;

	/* bodies first, outside any lock: the slow part */
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		src[i].data = msgs[i].data;
		src[i].fd = msgs[i].fd;
		src[i].size = msgs[i].size;
		if (msgs[i].sha256 != NULL)
			memcpy(src[i].sha, msgs[i].sha256, STORE_SHA256_LEN);
		struct buf why = BUF_INIT;
		if (store_blobfile_prepare(&s->files, &src[i],
					   msgs[i].sha256 != NULL, &why) < 0)
			ret = pg_fail(s, STORE_EUNAVAILABLE, "%s",
				      buf_cstr(&why));
		buf_free(&why);
		/* parsed here, outside the transaction, like the fsyncs */
		if (ret == STORE_OK)
			pg_thread_keys_of(&src[i], &keys[i]);
	}
	if (ret == STORE_OK)
		ret = pg_tx_begin(s);
	if (ret != STORE_OK)
		goto out;
	ret = pg_mailbox_read(s, mailbox_id, false, &mb);
	if (ret == STORE_ENONEXISTENT)
		ret = pg_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret == STORE_OK)
		ret = pg_require(s, &mb, ACL_INSERT, STORE_ETRYCREATE);
	if (ret == STORE_OK && (mb.attrs & STORE_MBOX_NOSELECT))
		ret = pg_fail(s, STORE_ECANNOT, "mailbox is not selectable");
	if (ret == STORE_OK)
		ret = pg_usage_read(s, mb.user_id, &before);
	/* one new modseq for the whole append; locks the mailbox row */
	if (ret == STORE_OK)
		ret = pg_mailbox_allocate(s, mailbox_id, 0, &first, &modseq);
	if (ret == STORE_OK)
		ret = pg_thread_lock(s, mb.user_id);
	uint32_t mask = store_flag_mask(mb.rights);
	bool may_keywords = (mb.rights & ACL_WRITE) != 0;
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		int64_t blob_id, thread_id = 0;
		uint32_t uid;
		ret = take_uid(s, mailbox_id, uids ? uids[i] : 0, &uid);
		if (ret == STORE_OK)
			ret = pg_blob_attach(s, &src[i], &blob_id);
		if (ret == STORE_OK)
			ret = pg_blob_derived_put(s, blob_id, &msgs[i]);
		if (ret == STORE_OK && msgs[i].blob_id_r != NULL)
			*msgs[i].blob_id_r = blob_id;
		if (ret == STORE_OK)
			ret = pg_thread_assign(s, mb.user_id, blob_id, &keys[i],
					       &thread_id);
		buf_reset(&kw);
		if (ret == STORE_OK && may_keywords)
			ret = pg_keywords_register(s, mailbox_id,
						   msgs[i].keywords,
						   msgs[i].keyword_count, &kw);
		if (ret == STORE_OK)
			ret = insert_message(s, mailbox_id, uid, modseq, &msgs[i],
					     msgs[i].flags & mask, buf_cstr(&kw),
					     blob_id, thread_id);
		if (ret == STORE_OK && uids_r != NULL)
			uids_r[i] = uid;
	}
	if (ret == STORE_OK)
		ret = pg_quota_check(s, mb.user_id, &before);
	struct buf why = BUF_INIT;
	if (ret == STORE_OK && store_blobfiles_sync(&s->files, &why) < 0)
		ret = pg_fail(s, STORE_EUNAVAILABLE, "%s", buf_cstr(&why));
	buf_free(&why);
	ret = pg_tx_end(s, ret);
	if (ret == STORE_OK && uidvalidity_r != NULL)
		*uidvalidity_r = mb.uidvalidity;
out:
	for (size_t i = 0; i < count; i++)
		mail_thread_keys_free(&keys[i]);
	free(keys);
	free(src);
	buf_free(&kw);
	return ret;
}

int store_pg_append(struct store *s, int64_t mailbox_id,
		    const struct store_append_msg *msgs, size_t count,
		    uint32_t *uids_r, uint32_t *uidvalidity_r,
		    const char **error_r)
{
	int ret = STORE_OK;

	if (count == 0)
		ret = pg_fail(s, STORE_EINVALID, "no message to append");
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		if (msgs[i].fd < 0 && msgs[i].data == NULL && msgs[i].size > 0)
			ret = pg_fail(s, STORE_EINVALID, "no message data");
		for (size_t k = 0; k < msgs[i].keyword_count; k++) {
			if (!store_keyword_valid(msgs[i].keywords[k]))
				ret = pg_fail(s, STORE_EINVALID,
					      "invalid keyword");
		}
	}
	if (ret == STORE_OK)
		ret = pg_append_tx(s, mailbox_id, msgs, NULL, count, uids_r,
				   uidvalidity_r);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_spill_create(struct store *s, int *fd_r, const char **error_r)
{
	int ret = STORE_OK;

	buf_reset(&s->error);
	*fd_r = store_blobfile_spill(&s->files, &s->error);
	if (*fd_r < 0)
		ret = STORE_EUNAVAILABLE;
	pg_error_out(s, error_r);
	return ret;
}

/* ---- views ---- */

/*
 * A view's resync in one statement, so one round trip and one snapshot
 * (a single statement sees one snapshot, which is what the counters and
 * the rows must agree on): kind 0 is the mailbox row (MAILBOX_COLUMNS of
 * mailbox.c), kind 1 the messages changed after $2, kind 2 the tombstones
 * after $2 (only when $3).
 */
#define VIEW_SQL \
	"SELECT 0, id, user_id, uidvalidity, uidnext, highestmodseq," \
	" first_recent_uid, attrs, NULL::text FROM mailboxes WHERE id = $1" \
	" UNION ALL SELECT 1, uid, flags, modseq, NULL, NULL, NULL, NULL," \
	" keywords FROM messages WHERE mailbox_id = $1 AND modseq > $2" \
	" UNION ALL SELECT 2, uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL" \
	" FROM tombstones WHERE $3::boolean AND mailbox_id = $1" \
	" AND modseq > $2 ORDER BY 1, 2"

/* The mailbox row at columns col.. of the first row (MAILBOX_COLUMNS of
 * mailbox.c) with the actor's rights, which must include read. */
static int view_mailbox(struct store *s, const PGresult *res, int col,
			struct store_mailbox *mb)
{
	if (PQntuples(res) == 0 || (col > 0 && pg_int(res, 0, 0) != 0))
		return pg_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	memset(mb, 0, sizeof(*mb));
	mb->id = pg_int(res, 0, col);
	mb->user_id = pg_int(res, 0, col + 1);
	mb->uidvalidity = (uint32_t)pg_int(res, 0, col + 2);
	mb->uidnext = (uint32_t)pg_int(res, 0, col + 3);
	mb->highestmodseq = (uint64_t)pg_int(res, 0, col + 4);
	mb->first_recent_uid = (uint32_t)pg_int(res, 0, col + 5);
	mb->attrs = (uint32_t)pg_int(res, 0, col + 6);
	int ret = pg_rights_of(s, mb->id, mb->user_id, &mb->rights);
	return ret == STORE_OK ?
		pg_require(s, mb, ACL_READ, STORE_ENONEXISTENT) : ret;
}

/* The changes of mailbox_id after since into l (and the expunges into
 * uids_r/count_r when they are not NULL). */
static int read_view(struct store *s, int64_t mailbox_id, uint64_t since,
		     struct store_msg_list *l, uint32_t **uids_r,
		     size_t *count_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	size_t cap = 0, ucap = 0;
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, (int64_t)since);
	pg_param_str(&p, uids_r != NULL ? "true" : "false");
	PGresult *res = pg_query(s, VIEW_SQL, &p, &code);
	if (res != NULL)
		code = view_mailbox(s, res, 1, &mb);
	int n = code == STORE_OK ? PQntuples(res) : 0;
	for (int i = 1; i < n; i++) {
		uint32_t uid = (uint32_t)pg_int(res, i, 1);
		if (pg_int(res, i, 0) == 1) {
			store_msg_list_push(l, &cap, uid,
					    (uint32_t)pg_int(res, i, 2),
					    (uint64_t)pg_int(res, i, 3),
					    pg_str(res, i, 8), false);
			continue;
		}
		if (uids_r == NULL)
			continue;
		if (*count_r == ucap) {
			ucap = ucap ? ucap * 2 : 16;
			*uids_r = xrealloc(*uids_r, ucap * sizeof(**uids_r));
		}
		(*uids_r)[(*count_r)++] = uid;
	}
	store_msg_list_finish(l);
	if (code == STORE_OK) {
		l->highestmodseq = mb.highestmodseq;
		l->uidnext = mb.uidnext;
	}
	PQclear(res);
	return code;
}

int store_pg_mailbox_snapshot(struct store *s, int64_t mailbox_id,
			      struct store_msg_list *list_r,
			      const char **error_r)
{
	memset(list_r, 0, sizeof(*list_r));
	int ret = read_view(s, mailbox_id, 0, list_r, NULL, NULL);
	if (ret != STORE_OK)
		store_msg_list_free(list_r);
	pg_error_out(s, error_r);
	return ret;
}

static int read_tombstones(struct store *s, int64_t mailbox_id,
			   uint64_t since, uint32_t **uids_r, size_t *count_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, (int64_t)since);
	PGresult *res = pg_query(s, "SELECT uid FROM tombstones WHERE"
		" mailbox_id = $1 AND modseq > $2 ORDER BY uid", &p, &code);
	*uids_r = NULL;
	*count_r = 0;
	if (res != NULL && PQntuples(res) > 0) {
		*count_r = (size_t)PQntuples(res);
		*uids_r = xcalloc(*count_r, sizeof(**uids_r));
		for (size_t i = 0; i < *count_r; i++)
			(*uids_r)[i] = (uint32_t)pg_int(res, (int)i, 0);
	}
	PQclear(res);
	return code;
}

int store_pg_changes_since(struct store *s, int64_t mailbox_id,
			   uint64_t since, struct store_changes *changes_r,
			   const char **error_r)
{
	memset(changes_r, 0, sizeof(*changes_r));
	int ret = read_view(s, mailbox_id, since, &changes_r->changed,
			    &changes_r->expunged, &changes_r->expunged_count);
	if (ret != STORE_OK)
		store_changes_free(changes_r);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_expunged_since(struct store *s, int64_t mailbox_id,
			    uint64_t since, uint32_t **uids_r,
			    size_t *count_r, const char **error_r)
{
	struct store_mailbox mb;
	int ret = pg_mailbox_read(s, mailbox_id, false, &mb);

	*uids_r = NULL;
	*count_r = 0;
	if (ret == STORE_OK)
		ret = read_tombstones(s, mailbox_id, since, uids_r, count_r);
	pg_error_out(s, error_r);
	return ret;
}

/* messages_get: the first message column, after the mailbox's seven */
#define MSG_COL 7

int store_pg_messages_get(struct store *s, int64_t mailbox_id,
			  const struct store_uid_range *ranges,
			  size_t range_count, struct store_message_list *list_r,
			  const char **error_r)
{
	struct store_mailbox mb;
	struct buf set = BUF_INIT;
	struct pg_params p = { 0 };
	int code;

	memset(list_r, 0, sizeof(*list_r));
	/* ranges as an int8multirange literal: one query for any set */
	buf_append_char(&set, '{');
	for (size_t i = 0; i < range_count; i++)
		buf_printf(&set, "%s[%u,%llu]", i ? "," : "", ranges[i].first,
			   (unsigned long long)ranges[i].last);
	buf_append_char(&set, '}');
	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, buf_cstr(&set));
	/* the mailbox row (and its rights) on every row, one round trip;
	 * a mailbox without such messages gives one row of NULL messages */
	PGresult *res = pg_query(s, "SELECT mb.id, mb.user_id,"
		" mb.uidvalidity, mb.uidnext, mb.highestmodseq,"
		" mb.first_recent_uid, mb.attrs, m.uid, m.flags, m.modseq,"
		" m.keywords, m.internaldate, m.tz, m.size, m.blob_id,"
		" m.savedate, m.thread_id, b.sha256, b.size FROM mailboxes mb"
		" LEFT JOIN (messages m LEFT JOIN blobs b ON b.id = m.blob_id)"
		" ON m.mailbox_id = mb.id AND $2::int8multirange @> m.uid"
		" WHERE mb.id = $1 ORDER BY m.uid", &p, &code);
	if (res != NULL)
		code = view_mailbox(s, res, 0, &mb);
	int n = code == STORE_OK ? PQntuples(res) : 0;
	if (n > 0 && PQgetisnull(res, n - 1, MSG_COL))
		n--; /* NULLs sort last: at most the one empty row */
	list_r->msgs = n ? xcalloc((size_t)n, sizeof(*list_r->msgs)) : NULL;
	for (int i = 0; i < n; i++) {
		struct store_message *m = &list_r->msgs[i];
		const int c = MSG_COL;
		const char *kw = pg_str(res, i, c + 3);
		m->uid = (uint32_t)pg_int(res, i, c);
		m->flags = (uint32_t)pg_int(res, i, c + 1);
		m->modseq = (uint64_t)pg_int(res, i, c + 2);
		m->internaldate = (time_t)pg_int(res, i, c + 4);
		m->tz_offset_min = (int)pg_int(res, i, c + 5);
		m->size = (uint64_t)pg_int(res, i, c + 6);
		m->blob_id = pg_int(res, i, c + 7);
		m->savedate = (time_t)pg_int(res, i, c + 8);
		m->thread_id = pg_int(res, i, c + 9);
		/* the caller opens the files next: no lookup per message */
		if (!PQgetisnull(res, i, c + 10))
			pg_blob_remember(s, m->blob_id, pg_str(res, i, c + 10),
					 (uint64_t)pg_int(res, i, c + 11));
		if (kw != NULL && *kw != '\0') {
			m->keywords = (const char *)(uintptr_t)
				(list_r->strings_.len + 1);
			buf_append(&list_r->strings_, kw, strlen(kw) + 1);
		}
	}
	for (int i = 0; i < n; i++) {
		uintptr_t off = (uintptr_t)list_r->msgs[i].keywords;
		if (off != 0)
			list_r->msgs[i].keywords = list_r->strings_.data + off - 1;
	}
	list_r->count = (size_t)n;
	PQclear(res);
	buf_free(&set);
	pg_error_out(s, error_r);
	return code;
}
