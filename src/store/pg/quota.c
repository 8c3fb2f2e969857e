/*
 * store/pg: quota (RFC 9208): one root per owner. Usage is kept by the
 * messages trigger of schema.c in the changing transaction; a change that
 * grows usage past a limit is refused before its commit.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/namespace.h"
#include "store/pg/internal.h"

struct limits {
	bool storage_limited, messages_limited;
	uint64_t storage_kib, messages;
};

int pg_usage_read(struct store *s, int64_t owner_id, struct pg_usage *u)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, owner_id);
	PGresult *res = pg_query(s, "SELECT storage, messages FROM quota_usage"
				 " WHERE user_id = $1", &p, &code);
	memset(u, 0, sizeof(*u));
	if (res != NULL && PQntuples(res) == 1) {
		u->storage = (uint64_t)pg_int(res, 0, 0);
		u->messages = (uint64_t)pg_int(res, 0, 1);
	}
	PQclear(res);
	return code;
}

static int read_limits(struct store *s, int64_t owner_id, struct limits *l)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, owner_id);
	PGresult *res = pg_query(s, "SELECT storage_kib, messages FROM"
		" quota_limits WHERE user_id = $1", &p, &code);
	memset(l, 0, sizeof(*l));
	if (res != NULL && PQntuples(res) == 1) {
		l->storage_limited = !PQgetisnull(res, 0, 0);
		l->storage_kib = (uint64_t)pg_int(res, 0, 0);
		l->messages_limited = !PQgetisnull(res, 0, 1);
		l->messages = (uint64_t)pg_int(res, 0, 1);
	} else if (res != NULL) {
		uint64_t def_storage, def_messages;
		store_policy_quota(&def_storage, &def_messages);
		l->storage_limited = def_storage != 0;
		l->storage_kib = def_storage / 1024;
		l->messages_limited = def_messages != 0;
		l->messages = def_messages;
	}
	PQclear(res);
	return code;
}

int pg_quota_check(struct store *s, int64_t owner_id,
		   const struct pg_usage *before)
{
	struct pg_usage now;
	struct limits l;
	int ret = pg_usage_read(s, owner_id, &now);

	if (ret == STORE_OK)
		ret = read_limits(s, owner_id, &l);
	if (ret != STORE_OK)
		return ret;
	/* only growth is refused: moving or expunging over a lowered limit
	 * stays possible */
	if (l.storage_limited && now.storage > before->storage &&
	    now.storage > l.storage_kib * 1024)
		return pg_fail(s, STORE_EOVERQUOTA, "quota exceeded (storage)");
	if (l.messages_limited && now.messages > before->messages &&
	    now.messages > l.messages)
		return pg_fail(s, STORE_EOVERQUOTA, "quota exceeded (messages)");
	return STORE_OK;
}

static int fill_quota(struct store *s, int64_t owner_id, struct store_quota *q)
{
	struct pg_usage usage;
	struct limits l = { 0 };
	struct buf name = BUF_INIT;
	int ret = pg_user_name(s, owner_id, &name);

	if (ret == STORE_OK)
		ret = pg_usage_read(s, owner_id, &usage);
	if (ret == STORE_OK)
		ret = read_limits(s, owner_id, &l);
	if (ret == STORE_OK) {
		q->user = buf_steal(&name);
		q->storage_used = usage.storage;
		q->messages_used = usage.messages;
		q->storage_limited = l.storage_limited;
		q->storage_limit = l.storage_kib;
		q->messages_limited = l.messages_limited;
		q->messages_limit = l.messages;
	}
	buf_free(&name);
	return ret;
}

/* Whether the actor holds r on some mailbox of owner. */
static int reads_some(struct store *s, int64_t owner_id, bool *yes_r)
{
	struct pg_params p = { 0 };
	int code;

	*yes_r = false;
	pg_param_int(&p, owner_id);
	PGresult *res = pg_query(s, "SELECT DISTINCT m.id FROM mailboxes m"
		" JOIN acl a ON a.mailbox_id = m.id WHERE m.user_id = $1",
		&p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) && !*yes_r &&
	     code == STORE_OK; i++) {
		uint32_t rights = 0;
		code = pg_rights_of(s, pg_int(res, i, 0), owner_id, &rights);
		*yes_r = (rights & ACL_READ) != 0;
	}
	PQclear(res);
	return code;
}

static int quota_get_tx(struct store *s, const char *user,
			struct store_quota *q)
{
	int64_t owner_id;
	bool allowed = false;
	int ret = pg_user_id(s, user, &owner_id, NULL);

	if (ret == STORE_OK)
		ret = pg_actor_owns(s, owner_id, &allowed);
	if (ret == STORE_OK && !allowed)
		allowed = pg_actor_is_admin(s);
	if (ret == STORE_OK && !allowed)
		ret = reads_some(s, owner_id, &allowed);
	if (ret == STORE_OK && !allowed)
		ret = STORE_ENONEXISTENT;
	if (ret == STORE_ENONEXISTENT)
		return pg_fail(s, ret, "no such quota root");
	return ret == STORE_OK ? fill_quota(s, owner_id, q) : ret;
}

int store_pg_quota_get(struct store *s, const char *user,
		       struct store_quota *quota_r, const char **error_r)
{
	int ret = pg_tx_begin(s);

	memset(quota_r, 0, sizeof(*quota_r));
	if (ret == STORE_OK) {
		ret = quota_get_tx(s, user, quota_r);
		pg_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_quota_free(quota_r);
	pg_error_out(s, error_r);
	return ret;
}

static int quota_root_tx(struct store *s, int64_t user_id, const char *name,
			 struct store_quota *q)
{
	struct store_ns_name ns;
	struct store_mailbox mb;
	int ret = store_ns_resolve(s, user_id, name, &ns);
	bool own = ret == STORE_OK && ns.owner_id == user_id;

	/* RFC 9208 6: usage reveals size: r is needed outside one's own
	 * namespace, where the name need not exist (4.1.2) */
	if (ret == STORE_OK && !own) {
		ret = ns.node ? pg_fail(s, STORE_ENONEXISTENT, "no such mailbox") :
			pg_mailbox_find(s, user_id, name, &mb);
		if (ret == STORE_OK)
			ret = pg_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	}
	if (ret == STORE_OK)
		ret = fill_quota(s, ns.owner_id, q);
	buf_free(&ns.local);
	return ret;
}

int store_pg_quota_root(struct store *s, int64_t user_id, const char *name,
			struct store_quota *quota_r, const char **error_r)
{
	int ret = pg_tx_begin(s);

	memset(quota_r, 0, sizeof(*quota_r));
	if (ret == STORE_OK) {
		ret = quota_root_tx(s, user_id, name, quota_r);
		pg_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_quota_free(quota_r);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_quota_set(struct store *s, const char *user,
		       const uint64_t *storage_kib, const uint64_t *messages,
		       bool use_default, const char **error_r)
{
	struct pg_params p = { 0 };
	int64_t owner_id;
	int ret = STORE_OK;

	if ((storage_kib != NULL && *storage_kib > INT64_MAX) ||
	    (messages != NULL && *messages > INT64_MAX))
		ret = pg_fail(s, STORE_EINVALID, "limit too large");
	/* RFC 9208 4.1.3: only the administrator sets limits */
	else if (!pg_actor_is_admin(s))
		ret = pg_fail(s, STORE_ENOPERM,
			      "only the administrator sets quotas");
	if (ret == STORE_OK) {
		ret = pg_user_id(s, user, &owner_id, NULL);
		if (ret == STORE_ENONEXISTENT)
			ret = pg_fail(s, ret, "no such quota root");
	}
	if (ret == STORE_OK) {
		pg_param_int(&p, owner_id);
		if (use_default) {
			ret = pg_exec(s, "DELETE FROM quota_limits WHERE"
				      " user_id = $1", &p);
		} else {
			if (storage_kib != NULL)
				pg_param_int(&p, (int64_t)*storage_kib);
			else
				pg_param_str(&p, NULL);
			if (messages != NULL)
				pg_param_int(&p, (int64_t)*messages);
			else
				pg_param_str(&p, NULL);
			ret = pg_exec(s, "INSERT INTO quota_limits (user_id,"
				" storage_kib, messages) VALUES ($1, $2, $3)"
				" ON CONFLICT (user_id) DO UPDATE SET storage_kib"
				" = EXCLUDED.storage_kib, messages ="
				" EXCLUDED.messages", &p);
		}
	}
	pg_error_out(s, error_r);
	return ret;
}
