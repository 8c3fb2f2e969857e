/*
 * store/pg: the readers and writers `quire migrate` needs beyond the
 * ordinary API (store.h "Exact copies between two stores"), with the
 * contracts store/sqlite/migrate.c has: raw subscriptions, tombstones and
 * quota limits, and writes that keep UIDs, modseqs, savedates and
 * uidvalidity as the source had them.
 *
 * Every writer locks the mailbox row first (pg_mailbox_read with lock),
 * so a front end appending to the same mailbox meanwhile waits for the
 * copy's commit instead of taking a UID the copy is about to set.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg/internal.h"

/* ---- readers ---- */

int store_pg_subscriptions_list(struct store *s, int64_t user_id,
				char ***names_r, size_t *count_r,
				const char **error_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, user_id);
	/* COLLATE "C": bytewise, as the contract (and SQLite) sorts */
	PGresult *res = pg_query(s, "SELECT name FROM subscriptions WHERE"
		" user_id = $1 ORDER BY name COLLATE \"C\"", &p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	*names_r = NULL;
	if (res != NULL) {
		char **names = xcalloc((size_t)n + 1, sizeof(*names));
		for (int i = 0; i < n; i++)
			names[i] = xstrdup(pg_str(res, i, 0));
		*names_r = names;
		if (count_r != NULL)
			*count_r = (size_t)n;
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_tombstones_get(struct store *s, int64_t mailbox_id,
			    struct store_tombstone **list_r, size_t *count_r,
			    const char **error_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int code = pg_mailbox_read(s, mailbox_id, false, &mb);

	*list_r = NULL;
	*count_r = 0;
	pg_param_int(&p, mailbox_id);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT uid, modseq FROM tombstones WHERE mailbox_id = $1"
		" ORDER BY uid", &p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	if (n > 0) {
		*list_r = xcalloc((size_t)n, sizeof(**list_r));
		for (int i = 0; i < n; i++) {
			(*list_r)[i].uid = (uint32_t)pg_int(res, i, 0);
			(*list_r)[i].modseq = (uint64_t)pg_int(res, i, 1);
		}
		*count_r = (size_t)n;
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_quota_limits_get(struct store *s, const char *user,
			      struct store_quota_limits *limits_r,
			      const char **error_r)
{
	struct pg_params p = { 0 };
	int64_t id = 0;
	int code = pg_user_id(s, user, &id, NULL);

	memset(limits_r, 0, sizeof(*limits_r));
	pg_param_int(&p, id);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT storage_kib, messages FROM quota_limits"
		" WHERE user_id = $1", &p, &code);
	if (res != NULL) {
		/* no row: the configured default; NULL: unlimited */
		limits_r->use_default = PQntuples(res) == 0;
		if (PQntuples(res) > 0) {
			limits_r->storage_limited = !PQgetisnull(res, 0, 0);
			limits_r->storage_kib = (uint64_t)pg_int(res, 0, 0);
			limits_r->messages_limited = !PQgetisnull(res, 0, 1);
			limits_r->messages = (uint64_t)pg_int(res, 0, 1);
		}
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

/* ---- writers ---- */

static int insert_row(struct store *s, int64_t mailbox_id,
		      const struct store_migrate_msg *m, const char *keywords,
		      int64_t blob_id, int64_t thread_id)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, m->uid);
	pg_param_int(&p, (int64_t)m->modseq);
	pg_param_int(&p, m->msg.flags & STORE_FLAGS_ALL);
	pg_param_str(&p, *keywords != '\0' ? keywords : NULL);
	pg_param_int(&p, m->msg.internaldate);
	pg_param_int(&p, m->msg.tz_offset_min);
	pg_param_int(&p, (int64_t)m->msg.size);
	pg_param_int(&p, blob_id);
	pg_param_int(&p, m->savedate);
	pg_param_int(&p, thread_id);
	return pg_exec(s, "INSERT INTO messages (mailbox_id, uid, modseq, flags,"
		       " keywords, internaldate, tz, size, blob_id, savedate,"
		       " thread_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
		       " $10, $11)", &p);
}

/* One above the largest UID of a message in the mailbox (1 if none). */
static int first_free_uid(struct store *s, int64_t mailbox_id, uint32_t *uid_r)
{
	struct pg_params p = { 0 };
	int64_t uid = 0;

	pg_param_int(&p, mailbox_id);
	int ret = pg_query_int(s, "SELECT coalesce(max(uid), 0) + 1"
		" FROM messages WHERE mailbox_id = $1", &p, &uid, "mailbox");
	*uid_r = (uint32_t)uid;
	return ret;
}

/* A UID with a tombstone stays expunged (RFC 3501 2.3.1.1: never reused). */
static int check_not_expunged(struct store *s, int64_t mailbox_id,
			      uint32_t uid)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, uid);
	PGresult *res = pg_query(s, "SELECT 1 FROM tombstones"
		" WHERE mailbox_id = $1 AND uid = $2", &p, &code);
	if (res != NULL && PQntuples(res) > 0)
		code = pg_fail(s, STORE_ECANNOT, "UID %u was expunged", uid);
	PQclear(res);
	return code;
}

/* Moves uidnext and highestmodseq up to at least the given values. */
static int raise_counters(struct store *s, int64_t mailbox_id,
			  uint32_t uidnext, uint64_t modseq)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, uidnext);
	pg_param_int(&p, (int64_t)modseq);
	return pg_exec(s, "UPDATE mailboxes SET uidnext = greatest(uidnext, $2),"
		       " highestmodseq = greatest(highestmodseq, $3)"
		       " WHERE id = $1", &p);
}

static int append_tx(struct store *s, int64_t mailbox_id,
		     const struct store_migrate_msg *msgs,
		     struct store_blobfile_src *src,
		     const struct mail_thread_keys *keys, size_t count)
{
	struct store_mailbox mb;
	struct buf kw = BUF_INIT;
	int ret = pg_mailbox_read(s, mailbox_id, true, &mb);

	if (ret == STORE_ENONEXISTENT)
		return pg_fail(s, STORE_ETRYCREATE, "no such mailbox");
	if (ret != STORE_OK)
		return ret;
	if (mb.attrs & STORE_MBOX_NOSELECT)
		return pg_fail(s, STORE_ECANNOT, "mailbox is \\Noselect");
	uint32_t next = 0;
	uint64_t modseq = mb.highestmodseq;
	ret = first_free_uid(s, mailbox_id, &next);
	/* copied mail gets a THREADID as delivered mail does */
	if (ret == STORE_OK)
		ret = pg_thread_lock(s, mb.user_id);
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		int64_t blob_id = 0, thread_id = 0;
		if (msgs[i].uid < next || msgs[i].uid >= UINT32_MAX - 1)
			ret = pg_fail(s, STORE_ECANNOT, "UID %u is not above"
				      " the mailbox's messages", msgs[i].uid);
		if (ret == STORE_OK)
			ret = check_not_expunged(s, mailbox_id, msgs[i].uid);
		if (ret == STORE_OK)
			ret = pg_blob_attach(s, &src[i], &blob_id);
		if (ret == STORE_OK)
			ret = pg_thread_assign(s, mb.user_id, blob_id, &keys[i],
					       &thread_id);
		if (ret == STORE_OK)
			ret = pg_keywords_register(s, mailbox_id,
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
		ret = raise_counters(s, mailbox_id, next, modseq);
	if (ret == STORE_OK && store_blobfiles_sync(&s->files, &s->error) < 0)
		ret = pg_fail(s, STORE_EUNAVAILABLE, "%s", buf_cstr(&s->error));
	if (ret == STORE_OK)
		pg_tx_changed(s, mailbox_id);
	return ret;
}

int store_pg_migrate_append(struct store *s, int64_t mailbox_id,
			    const struct store_migrate_msg *msgs, size_t count,
			    const char **error_r)
{
	size_t n = count ? count : 1;
	struct store_blobfile_src *src = xcalloc(n, sizeof(*src));
	struct mail_thread_keys *keys = xcalloc(n, sizeof(*keys));
	int ret = STORE_OK;

	/* bodies first and fsynced, outside any lock, as store_append */
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		const struct store_append_msg *m = &msgs[i].msg;
		if (m->fd < 0 && m->data == NULL && m->size > 0) {
			ret = pg_fail(s, STORE_EINVALID, "no message data");
			break;
		}
		src[i].data = m->data;
		src[i].fd = m->fd;
		src[i].size = m->size;
		if (m->sha256 != NULL)
			memcpy(src[i].sha, m->sha256, STORE_SHA256_LEN);
		buf_reset(&s->error);
		if (store_blobfile_prepare(&s->files, &src[i], m->sha256 != NULL,
					   &s->error) < 0)
			ret = pg_fail(s, STORE_EUNAVAILABLE, "%s",
				      buf_cstr(&s->error));
		if (ret == STORE_OK)
			pg_thread_keys_of(&src[i], &keys[i]);
	}
	if (ret == STORE_OK && count > 0) {
		ret = pg_tx_begin(s);
		if (ret == STORE_OK)
			ret = pg_tx_end(s, append_tx(s, mailbox_id, msgs, src,
						     keys, count));
	}
	for (size_t i = 0; i < count; i++)
		mail_thread_keys_free(&keys[i]);
	free(keys);
	free(src);
	pg_error_out(s, error_r);
	return ret;
}

static int flags_tx(struct store *s, int64_t mailbox_id,
		    const struct store_msg *msgs, size_t count)
{
	struct store_mailbox mb;
	int ret = pg_mailbox_read(s, mailbox_id, true, &mb);

	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		const char *kw = msgs[i].keywords;
		struct pg_params p = { 0 };
		ret = pg_keywords_register_str(s, mailbox_id, kw);
		pg_param_int(&p, mailbox_id);
		pg_param_int(&p, msgs[i].uid);
		pg_param_int(&p, msgs[i].flags & STORE_FLAGS_ALL);
		pg_param_str(&p, kw != NULL && *kw != '\0' ? kw : NULL);
		pg_param_int(&p, (int64_t)msgs[i].modseq);
		if (ret == STORE_OK)
			ret = pg_exec(s, "UPDATE messages SET flags = $3,"
				      " keywords = $4, modseq = $5"
				      " WHERE mailbox_id = $1 AND uid = $2", &p);
	}
	if (ret == STORE_OK)
		pg_tx_changed(s, mailbox_id);
	return ret;
}

int store_pg_migrate_flags_set(struct store *s, int64_t mailbox_id,
			       const struct store_msg *msgs, size_t count,
			       const char **error_r)
{
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_tx_end(s, flags_tx(s, mailbox_id, msgs, count));
	pg_error_out(s, error_r);
	return ret;
}

/* Makes the tombstones exactly state's: a message whose UID has one is
 * removed (its blob freed when unshared), without a new modseq. */
static int tombstones_replace(struct store *s, int64_t mailbox_id,
			      const struct store_mailbox_state *state)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	code = pg_exec(s, "DELETE FROM tombstones WHERE mailbox_id = $1", &p);
	for (size_t i = 0; i < state->tombstone_count && code == STORE_OK;
	     i++) {
		const struct store_tombstone *t = &state->tombstones[i];
		struct pg_params q = { 0 };
		pg_param_int(&q, mailbox_id);
		pg_param_int(&q, t->uid);
		PGresult *res = pg_query(s, "DELETE FROM messages WHERE"
			" mailbox_id = $1 AND uid = $2 RETURNING blob_id",
			&q, &code);
		pg_param_int(&q, (int64_t)t->modseq);
		int64_t blob_id = res != NULL && PQntuples(res) > 0 ?
			pg_int(res, 0, 0) : 0;
		PQclear(res);
		if (code == STORE_OK && blob_id != 0)
			code = pg_blob_release(s, blob_id);
		if (code == STORE_OK)
			code = pg_exec(s, "INSERT INTO tombstones (mailbox_id,"
				" uid, modseq) VALUES ($1, $2, $3)"
				" ON CONFLICT (mailbox_id, uid)"
				" DO UPDATE SET modseq = EXCLUDED.modseq", &q);
	}
	return code;
}

/* The number of messages and the largest UID among them. */
static int message_extent(struct store *s, int64_t mailbox_id,
			  int64_t *count_r, int64_t *max_uid_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	PGresult *res = pg_query(s, "SELECT count(*), coalesce(max(uid), 0)"
		" FROM messages WHERE mailbox_id = $1", &p, &code);
	if (res != NULL) {
		*count_r = pg_int(res, 0, 0);
		*max_uid_r = pg_int(res, 0, 1);
	}
	PQclear(res);
	return code;
}

static int register_keywords(struct store *s, int64_t mailbox_id,
			     const struct store_mailbox_state *state)
{
	int ret = STORE_OK;

	for (size_t i = 0; i < state->keyword_count && ret == STORE_OK; i++) {
		if (!store_keyword_valid(state->keywords[i]))
			return pg_fail(s, STORE_EINVALID, "invalid keyword");
		ret = pg_keywords_register_str(s, mailbox_id,
					       state->keywords[i]);
	}
	return ret;
}

/* RFC 3501 2.3.1.1: uidvalidity_seq must not hand out a copied value (or
 * a lower one) again, so it moves up to it, never down. (A nextval of
 * another front end racing this statement can at worst get the copied
 * value for another mailbox: the rule is per mailbox name.) */
static int reserve_uidvalidity(struct store *s, uint32_t uidvalidity)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, uidvalidity);
	return pg_exec(s, "SELECT setval('uidvalidity_seq', $1::bigint)"
		       " FROM uidvalidity_seq WHERE last_value < $1::bigint",
		       &p);
}

static int check_state(struct store *s, const struct store_mailbox *mb,
		       const struct store_mailbox_state *state)
{
	int64_t messages = 0, max_uid = 0;
	int ret = state->uidvalidity == 0 ?
		pg_fail(s, STORE_EINVALID, "uidvalidity 0") :
		message_extent(s, mb->id, &messages, &max_uid);

	if (ret == STORE_OK && messages > 0 &&
	    mb->uidvalidity != state->uidvalidity)
		ret = pg_fail(s, STORE_ECANNOT, "mailbox not empty: its"
			      " uidvalidity stays %u", mb->uidvalidity);
	if (ret == STORE_OK)
		ret = tombstones_replace(s, mb->id, state);
	if (ret == STORE_OK)
		ret = message_extent(s, mb->id, &messages, &max_uid);
	if (ret == STORE_OK && max_uid >= (int64_t)state->uidnext)
		ret = pg_fail(s, STORE_ECANNOT, "uidnext %u is not above"
			      " UID %lld", state->uidnext, (long long)max_uid);
	if (ret == STORE_OK && messages > 0 &&
	    (state->attrs & STORE_MBOX_NOSELECT))
		ret = pg_fail(s, STORE_ECANNOT, "\\Noselect mailbox with"
			      " messages");
	return ret;
}

static int mailbox_set_tx(struct store *s, int64_t mailbox_id,
			  const struct store_mailbox_state *state)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int ret = pg_mailbox_read(s, mailbox_id, true, &mb);

	if (ret == STORE_OK)
		ret = check_state(s, &mb, state);
	if (ret == STORE_OK)
		ret = register_keywords(s, mailbox_id, state);
	if (ret == STORE_OK)
		ret = reserve_uidvalidity(s, state->uidvalidity);
	if (ret != STORE_OK)
		return ret;
	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, state->uidvalidity);
	pg_param_int(&p, state->uidnext);
	pg_param_int(&p, (int64_t)state->highestmodseq);
	pg_param_int(&p, state->first_recent_uid);
	pg_param_int(&p, state->attrs & (STORE_MBOX_NOSELECT |
					 STORE_MBOX_SPECIAL_USE_MASK));
	pg_tx_changed(s, mailbox_id);
	return pg_exec(s, "UPDATE mailboxes SET uidvalidity = $2, uidnext = $3,"
		       " highestmodseq = $4, first_recent_uid = $5, attrs = $6"
		       " WHERE id = $1", &p);
}

int store_pg_migrate_mailbox_set(struct store *s, int64_t mailbox_id,
				 const struct store_mailbox_state *state,
				 const char **error_r)
{
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_tx_end(s, mailbox_set_tx(s, mailbox_id, state));
	pg_error_out(s, error_r);
	return ret;
}
