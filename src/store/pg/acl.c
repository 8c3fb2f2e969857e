/*
 * store/pg: access control (RFC 4314): the actor, its rights on a
 * mailbox, and the ACL commands (GETACL, SETACL, DELETEACL, LISTRIGHTS,
 * MYRIGHTS). ACL rows change in the same transaction as the mailbox row
 * they follow, under that row's lock.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/acl-rights.h"
#include "store/acl-rules.h"
#include "store/pg/internal.h"

void store_pg_set_actor(struct store *s, int64_t user_id)
{
	if (s->actor == user_id)
		return;
	s->actor = user_id;
	free(s->actor_name);
	s->actor_name = NULL;
}

static int actor_name(struct store *s, const char **name_r)
{
	if (s->actor_name == NULL) {
		struct buf name = BUF_INIT;
		int ret = pg_user_name(s, s->actor, &name);
		if (ret != STORE_OK) {
			buf_free(&name);
			return ret;
		}
		s->actor_name = buf_steal(&name);
	}
	*name_r = s->actor_name;
	return STORE_OK;
}

bool pg_actor_is_admin(struct store *s)
{
	const char *name, *admin = store_policy_admin();

	if (s->actor == 0)
		return true;
	return admin != NULL && actor_name(s, &name) == STORE_OK &&
		strcasecmp(name, admin) == 0;
}

int pg_actor_owns(struct store *s, int64_t owner_id, bool *yes_r)
{
	const char *admin = store_policy_admin(), *name;
	int64_t public_id;

	*yes_r = s->actor == 0 || s->actor == owner_id;
	if (*yes_r || admin == NULL)
		return STORE_OK;
	/* the admin administers the Shared namespace as its owner */
	int ret = pg_user_id(s, STORE_PUBLIC_USER, &public_id, NULL);
	if (ret == STORE_ENONEXISTENT || (ret == STORE_OK && public_id != owner_id))
		return STORE_OK;
	if (ret == STORE_OK)
		ret = actor_name(s, &name);
	if (ret == STORE_OK)
		*yes_r = strcasecmp(name, admin) == 0;
	return ret;
}

static int read_acl(struct store *s, int64_t mailbox_id, struct store_acl *acl)
{
	struct pg_params p = { 0 };
	const char *error;
	int code;

	pg_param_int(&p, mailbox_id);
	PGresult *res = pg_query(s, "SELECT identifier, rights FROM acl"
		" WHERE mailbox_id = $1 ORDER BY identifier COLLATE \"C\"",
		&p, &code);
	if (res == NULL)
		return code;
	int n = PQntuples(res);
	acl->entries = n ? xcalloc((size_t)n, sizeof(*acl->entries)) : NULL;
	for (int i = 0; i < n; i++) {
		const char *rights = pg_str(res, i, 1);
		uint32_t bits = 0;
		if (acl_rights_parse(rights, strlen(rights), &bits, &error) < 0)
			bits = 0;
		acl->entries[i].identifier = xstrdup(pg_str(res, i, 0));
		acl->entries[i].rights = bits;
	}
	acl->count = (size_t)n;
	PQclear(res);
	return STORE_OK;
}

int pg_rights_of(struct store *s, int64_t mailbox_id, int64_t owner_id,
		 uint32_t *rights_r)
{
	struct store_acl acl = { 0 };
	const char *name;
	bool owns;

	if (s->actor == 0 || s->actor == owner_id) {
		*rights_r = ACL_RIGHTS_ALL;
		return STORE_OK;
	}
	int ret = pg_actor_owns(s, owner_id, &owns);
	if (ret == STORE_OK && owns) {
		*rights_r = ACL_RIGHTS_ALL;
		return STORE_OK;
	}
	if (ret == STORE_OK)
		ret = actor_name(s, &name);
	if (ret == STORE_ENONEXISTENT) {
		*rights_r = 0; /* the acting account is gone */
		return STORE_OK;
	}
	if (ret == STORE_OK)
		ret = read_acl(s, mailbox_id, &acl);
	if (ret == STORE_OK)
		*rights_r = store_acl_rights_for(&acl, name);
	store_acl_free(&acl);
	return ret;
}

int pg_require(struct store *s, const struct store_mailbox *mb, uint32_t need,
	       int hidden_code)
{
	return store_acl_require(s, mb->rights, need, hidden_code);
}

int pg_acl_inherit(struct store *s, int64_t from, int64_t to)
{
	struct pg_params p = { 0 };

	pg_param_int(&p, from);
	pg_param_int(&p, to);
	return pg_exec(s, "INSERT INTO acl (mailbox_id, identifier, rights)"
		       " SELECT $2, identifier, rights FROM acl"
		       " WHERE mailbox_id = $1 ON CONFLICT (mailbox_id,"
		       " identifier) DO UPDATE SET rights = EXCLUDED.rights", &p);
}

static int acl_mailbox(struct store *s, int64_t user_id, const char *name,
		       uint32_t need, struct store_mailbox *mb_r)
{
	int ret = pg_mailbox_find(s, user_id, name, mb_r);

	return ret == STORE_OK ? pg_require(s, mb_r, need, STORE_ENONEXISTENT) :
		ret;
}

int store_pg_acl_get(struct store *s, int64_t user_id, const char *name,
		     struct store_acl *acl_r, const char **error_r)
{
	struct store_mailbox mb;
	struct buf owner = BUF_INIT;
	int ret = pg_tx_begin(s);

	memset(acl_r, 0, sizeof(*acl_r));
	if (ret == STORE_OK) {
		ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);
		if (ret == STORE_OK)
			ret = pg_user_name(s, mb.user_id, &owner);
		if (ret == STORE_OK)
			ret = read_acl(s, mb.id, acl_r);
		pg_tx_rollback(s);
	}
	if (ret == STORE_OK)
		acl_r->owner = buf_steal(&owner);
	else
		store_acl_free(acl_r);
	buf_free(&owner);
	pg_error_out(s, error_r);
	return ret;
}

static int acl_set_tx(struct store *s, int64_t user_id, const char *name,
		      const char *identifier, bool delete,
		      enum store_acl_op op, uint32_t rights)
{
	struct store_mailbox mb;
	struct buf id = BUF_INIT, letters = BUF_INIT;
	struct pg_params p = { 0 };
	uint32_t current = 0;
	const char *error;
	int code, ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);

	if (ret == STORE_OK)
		ret = store_acl_identifier(s, identifier, mb.user_id, &id);
	pg_param_int(&p, mb.id);
	pg_param_str(&p, buf_cstr(&id));
	PGresult *res = ret != STORE_OK ? NULL : pg_query(s,
		"SELECT rights FROM acl WHERE mailbox_id = $1"
		" AND identifier = $2 FOR UPDATE", &p, &code);
	if (ret == STORE_OK && res == NULL)
		ret = code;
	if (res != NULL && PQntuples(res) == 1 &&
	    acl_rights_parse(pg_str(res, 0, 0), strlen(pg_str(res, 0, 0)),
			     &current, &error) < 0)
		current = 0;
	PQclear(res);
	if (ret == STORE_OK) {
		current = store_acl_apply(current, delete, op, rights);
		store_acl_letters(current, &letters);
		if (current == 0) {
			ret = pg_exec(s, "DELETE FROM acl WHERE mailbox_id = $1"
				      " AND identifier = $2", &p);
		} else {
			pg_param_str(&p, buf_cstr(&letters));
			ret = pg_exec(s, "INSERT INTO acl (mailbox_id,"
				" identifier, rights) VALUES ($1, $2, $3)"
				" ON CONFLICT (mailbox_id, identifier)"
				" DO UPDATE SET rights = EXCLUDED.rights", &p);
		}
		/* sessions with the mailbox selected re-read their rights;
		 * who may LIST it may have changed too (RFC 5465 5.4) */
		pg_tx_changed(s, mb.id);
		pg_tx_changed(s, STORE_CHANGE_NAMES);
	}
	buf_free(&id);
	buf_free(&letters);
	return ret;
}

static int acl_change(struct store *s, int64_t user_id, const char *name,
		      const char *identifier, bool delete,
		      enum store_acl_op op, uint32_t rights,
		      const char **error_r)
{
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_tx_end(s, acl_set_tx(s, user_id, name, identifier,
					      delete, op, rights));
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_acl_set(struct store *s, int64_t user_id, const char *name,
		     const char *identifier, enum store_acl_op op,
		     uint32_t rights, const char **error_r)
{
	return acl_change(s, user_id, name, identifier, false, op, rights,
			  error_r);
}

int store_pg_acl_delete(struct store *s, int64_t user_id, const char *name,
			const char *identifier, const char **error_r)
{
	return acl_change(s, user_id, name, identifier, true,
			  STORE_ACL_REPLACE, 0, error_r);
}

int store_pg_acl_listrights(struct store *s, int64_t user_id,
			    const char *name, const char *identifier,
			    uint32_t *always_r, uint32_t *optional_r,
			    const char **error_r)
{
	struct store_mailbox mb;
	struct buf id = BUF_INIT;
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK) {
		ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);
		if (ret == STORE_OK)
			ret = store_acl_identifier(s, identifier, mb.user_id,
						   &id);
		pg_tx_rollback(s);
	}
	ret = store_acl_listrights_of(ret, always_r, optional_r);
	buf_free(&id);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_acl_myrights(struct store *s, int64_t user_id, const char *name,
			  uint32_t *rights_r, const char **error_r)
{
	struct store_mailbox mb;
	int ret = store_pg_mailbox_lookup(s, user_id, name, &mb, NULL);

	if (ret == STORE_OK)
		ret = store_acl_myrights_check(s, mb.rights);
	if (ret == STORE_OK)
		*rights_r = mb.rights;
	pg_error_out(s, error_r);
	return ret;
}
