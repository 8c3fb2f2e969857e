/*
 * store/pg: LIST (every mailbox of a user with attributes, merged with
 * subscriptions and the shared mailboxes the actor may see), subscriptions,
 * STATUS, \Recent claims and the keyword list of a mailbox.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/pg/internal.h"

static int entry_cmp(const void *a, const void *b)
{
	const struct store_mailbox_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* HASCHILDREN: entries are sorted, so children follow their parent. */
static void mark_children(struct store_mailbox_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *name = list->entries[i].name;
		size_t len = strlen(name);
		for (size_t j = i + 1; j < list->count; j++) {
			const char *other = list->entries[j].name;
			if (strncmp(other, name, len) != 0)
				break;
			if (other[len] == '/' && list->entries[j].id != 0) {
				list->entries[i].attrs |= STORE_MBOX_HASCHILDREN;
				break;
			}
		}
	}
}

static void add_node(struct store_mailbox_list *list, size_t *cap,
		     size_t first, const char *name)
{
	for (size_t i = first; i < list->count; i++) {
		if (strcmp(list->entries[i].name, name) == 0)
			return;
	}
	store_list_add(list, cap, name, 0, STORE_MBOX_NOSELECT);
}

/* Other users' mailboxes with an ACL, and the public user's, where the
 * actor holds l (RFC 4314 4), with their namespace levels. */
static int list_shared(struct store *s, int64_t user_id,
		       struct store_mailbox_list *list, size_t *cap)
{
	struct pg_params p = { 0 };
	struct buf name = BUF_INIT;
	int64_t public_id = -1;
	size_t first = list->count;
	int code;

	if (pg_user_id(s, STORE_PUBLIC_USER, &public_id, NULL) != STORE_OK)
		public_id = -1;
	pg_param_int(&p, user_id);
	pg_param_int(&p, public_id);
	PGresult *res = pg_query(s, "SELECT m.id, m.user_id, u.name, m.name,"
		" m.attrs FROM mailboxes m JOIN users u ON u.id = m.user_id"
		" WHERE m.user_id != $1 AND (m.user_id = $2 OR EXISTS"
		" (SELECT 1 FROM acl a WHERE a.mailbox_id = m.id))", &p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) && code == STORE_OK;
	     i++) {
		int64_t owner = pg_int(res, i, 1);
		uint32_t rights = 0;
		code = pg_rights_of(s, pg_int(res, i, 0), owner, &rights);
		if (code != STORE_OK || (rights & ACL_LOOKUP) == 0)
			continue;
		buf_reset(&name);
		if (owner == public_id) {
			add_node(list, cap, first, STORE_NS_SHARED);
			buf_printf(&name, "%s/%s", STORE_NS_SHARED,
				   pg_str(res, i, 3));
		} else {
			add_node(list, cap, first, STORE_NS_OTHER);
			buf_printf(&name, "%s/%s", STORE_NS_OTHER,
				   pg_str(res, i, 2));
			add_node(list, cap, first, buf_cstr(&name));
			buf_printf(&name, "/%s", pg_str(res, i, 3));
		}
		store_list_add(list, cap, buf_cstr(&name), pg_int(res, i, 0),
			       (uint32_t)pg_int(res, i, 4) &
			       ~STORE_MBOX_SPECIAL_USE_MASK);
	}
	PQclear(res);
	buf_free(&name);
	return code;
}

static int list_tx(struct store *s, int64_t user_id,
		   struct store_mailbox_list *list)
{
	struct store_mailbox_list found = { 0 };
	struct pg_params p = { 0 };
	size_t cap = 0, found_cap = 0;
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
	if (found.count > 1)
		qsort(found.entries, found.count, sizeof(*found.entries),
		      entry_cmp);
	int k = 0, nsubs = PQntuples(subs);
	for (size_t i = 0; i < found.count; i++) {
		struct store_mailbox_entry *e = &found.entries[i];
		for (; k < nsubs && strcmp(pg_str(subs, k, 0), e->name) < 0; k++)
			store_list_add(list, &cap, pg_str(subs, k, 0), 0,
				       STORE_MBOX_SUBSCRIBED |
				       STORE_MBOX_NONEXISTENT);
		if (k < nsubs && strcmp(pg_str(subs, k, 0), e->name) == 0) {
			e->attrs |= STORE_MBOX_SUBSCRIBED;
			k++;
		}
		store_list_add(list, &cap, e->name, e->id, e->attrs);
	}
	for (; k < nsubs; k++)
		store_list_add(list, &cap, pg_str(subs, k, 0), 0,
			       STORE_MBOX_SUBSCRIBED | STORE_MBOX_NONEXISTENT);
	PQclear(subs);
	store_mailbox_list_free(&found);
	mark_children(list);
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
