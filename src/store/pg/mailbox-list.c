/*
 * store/pg: LIST (every mailbox of a user with attributes, merged with
 * subscriptions and the shared mailboxes the actor may see), subscriptions,
 * STATUS, \Recent claims and the keyword list of a mailbox.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/namespace.h"
#include "store/pg/internal.h"

/* Other users' mailboxes with an ACL, and the public user's, where the
 * actor holds l (RFC 4314 4), with their namespace levels. */
static int list_shared(struct store *s, int64_t user_id,
		       struct store_mailbox_list *list, size_t *cap)
{
	struct pg_params p = { 0 };
	int64_t public_id = -1;
	int code;

	if (pg_user_id(s, STORE_PUBLIC_USER, &public_id, NULL) != STORE_OK)
		public_id = -1;
	pg_param_int(&p, user_id);
	pg_param_int(&p, public_id);
	PGresult *res = pg_query(s, "SELECT m.id, m.user_id, u.name, m.name,"
		" m.attrs FROM mailboxes m JOIN users u ON u.id = m.user_id"
		" WHERE m.user_id != $1 AND (m.user_id = $2 OR EXISTS"
		" (SELECT 1 FROM acl a WHERE a.mailbox_id = m.id))", &p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	struct store_ns_candidate *c = xcalloc((size_t)n + 1, sizeof(*c));
	for (int i = 0; i < n; i++) {
		c[i].id = pg_int(res, i, 0);
		c[i].owner_id = pg_int(res, i, 1);
		c[i].owner = pg_str(res, i, 2);
		c[i].name = pg_str(res, i, 3);
		c[i].attrs = (uint32_t)pg_int(res, i, 4);
	}
	if (code == STORE_OK)
		code = store_ns_list_shared(s, public_id, c, (size_t)n, list,
					    cap);
	free(c);
	PQclear(res);
	return code;
}

static int list_tx(struct store *s, int64_t user_id,
		   struct store_mailbox_list *list)
{
	struct store_mailbox_list found = { 0 };
	struct pg_params p = { 0 };
	size_t found_cap = 0;
	int code;

	pg_param_int(&p, user_id);
	PGresult *subs = pg_query(s, "SELECT name FROM subscriptions WHERE"
		" user_id = $1 ORDER BY name COLLATE \"C\"", &p, &code);
	if (subs == NULL)
		return code;
	PGresult *res = pg_query(s, "SELECT name, id, attrs FROM mailboxes"
				 " WHERE user_id = $1", &p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res); i++)
		store_list_add(&found, &found_cap, pg_str(res, i, 0),
			       pg_int(res, i, 1), (uint32_t)pg_int(res, i, 2));
	PQclear(res);
	if (code == STORE_OK)
		code = list_shared(s, user_id, &found, &found_cap);
	int nsubs = PQntuples(subs);
	const char **names = xcalloc((size_t)nsubs + 1, sizeof(*names));
	for (int i = 0; i < nsubs; i++)
		names[i] = pg_str(subs, i, 0);
	store_list_merge(&found, names, (size_t)nsubs, list);
	free(names);
	PQclear(subs);
	store_mailbox_list_free(&found);
	return code;
}

int store_pg_mailbox_list(struct store *s, int64_t user_id,
			  struct store_mailbox_list *list_r,
			  const char **error_r)
{
	int ret = pg_tx_begin(s);

	memset(list_r, 0, sizeof(*list_r));
	if (ret == STORE_OK) {
		ret = list_tx(s, user_id, list_r);
		pg_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_mailbox_list_free(list_r);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_mailbox_subscribe(struct store *s, int64_t user_id,
			       const char *name, bool subscribe,
			       const char **error_r)
{
	struct buf norm = BUF_INIT;
	struct pg_params p = { 0 };
	int code = STORE_OK;

	if (store_mailbox_name_normalize(name, &norm) != STORE_OK)
		code = pg_fail(s, STORE_EINVALID, "invalid mailbox name");
	pg_param_int(&p, user_id);
	pg_param_str(&p, buf_cstr(&norm));
	/* a transaction, so the NOTIFY event (RFC 5465 5.5) goes out with
	 * the commit, to this process's bus and to other front ends */
	if (code == STORE_OK)
		code = pg_tx_begin(s);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s, subscribe ?
		"INSERT INTO subscriptions (user_id, name) VALUES ($1, $2)"
		" ON CONFLICT DO NOTHING" :
		"DELETE FROM subscriptions WHERE user_id = $1 AND name = $2",
		&p, &code);
	if (res != NULL && !subscribe && strcmp(PQcmdTuples(res), "0") == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "not subscribed");
	PQclear(res);
	if (code == STORE_OK)
		pg_tx_changed(s, STORE_CHANGE_SUBSCRIPTIONS);
	if (s->in_tx)
		code = pg_tx_end(s, code);
	buf_free(&norm);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_mailbox_status(struct store *s, int64_t mailbox_id,
			    struct store_mailbox_status *st_r,
			    const char **error_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int code = pg_tx_begin(s);

	memset(st_r, 0, sizeof(*st_r));
	if (code == STORE_OK)
		code = pg_require_mailbox(s, mailbox_id, ACL_READ, false, &mb);
	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, mb.first_recent_uid);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT count(*), count(*) FILTER (WHERE flags & 1 = 0),"
		" count(*) FILTER (WHERE flags & 8 != 0),"
		" count(*) FILTER (WHERE uid >= $2), coalesce(sum(size), 0),"
		" coalesce(sum(size) FILTER (WHERE flags & 8 != 0), 0)"
		" FROM messages WHERE mailbox_id = $1", &p, &code);
	if (res != NULL) {
		st_r->uidnext = mb.uidnext;
		st_r->uidvalidity = mb.uidvalidity;
		st_r->highestmodseq = mb.highestmodseq;
		st_r->messages = (uint32_t)pg_int(res, 0, 0);
		st_r->unseen = (uint32_t)pg_int(res, 0, 1);
		st_r->deleted = (uint32_t)pg_int(res, 0, 2);
		st_r->recent = (uint32_t)pg_int(res, 0, 3);
		st_r->size = (uint64_t)pg_int(res, 0, 4);
		st_r->deleted_size = (uint64_t)pg_int(res, 0, 5);
	}
	PQclear(res);
	pg_tx_rollback(s);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_mailbox_claim_recent(struct store *s, int64_t mailbox_id,
				  uint32_t *first_recent_uid_r,
				  const char **error_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int64_t old = 0;
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_require_mailbox(s, mailbox_id, ACL_READ, false, &mb);
	pg_param_int(&p, mailbox_id);
	/* the old value comes from the locked row itself: two sessions
	 * claiming at once get disjoint ranges */
	if (ret == STORE_OK)
		ret = pg_query_int(s, "UPDATE mailboxes m SET first_recent_uid"
			" = m.uidnext FROM (SELECT id, first_recent_uid FROM"
			" mailboxes WHERE id = $1 FOR UPDATE) o WHERE m.id = o.id"
			" RETURNING o.first_recent_uid", &p, &old, "mailbox");
	if (ret == STORE_OK || s->in_tx)
		ret = pg_tx_end(s, ret);
	if (ret == STORE_OK)
		*first_recent_uid_r = (uint32_t)old;
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_mailbox_keywords(struct store *s, int64_t mailbox_id,
			      char ***keywords_r, const char **error_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int code = pg_require_mailbox(s, mailbox_id, ACL_READ, false, &mb);

	*keywords_r = NULL;
	pg_param_int(&p, mailbox_id);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"SELECT name FROM mailbox_keywords WHERE mailbox_id = $1"
		" ORDER BY seq", &p, &code);
	if (res != NULL) {
		int n = PQntuples(res);
		*keywords_r = xcalloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; i < n; i++)
			(*keywords_r)[i] = xstrdup(pg_str(res, i, 0));
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}
