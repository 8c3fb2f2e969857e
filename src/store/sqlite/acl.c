/*
 * store/sqlite: access control (RFC 4314): the acting user, the rights it
 * holds on a mailbox, and the ACL commands' storage (GETACL, SETACL,
 * DELETEACL, LISTRIGHTS, MYRIGHTS).
 *
 * The owner of a mailbox always holds every right, so the common case (a
 * user in their own mailboxes) costs no query at all; for anyone else the
 * mailbox's few ACL rows are read once per transaction and combined by
 * acl_rights_resolve (auth/acl-rights.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/acl-rights.h"
#include "store/acl-rules.h"
#include "store/sqlite/internal.h"

static struct {
	char *admin_user;
	uint64_t quota_storage;
	uint64_t quota_messages;
} policy;

void store_set_policy(const struct store_policy *p)
{
	free(policy.admin_user);
	memset(&policy, 0, sizeof(policy));
	if (p == NULL)
		return;
	if (p->admin_user != NULL && p->admin_user[0] != '\0')
		policy.admin_user = xstrdup(p->admin_user);
	policy.quota_storage = p->quota_storage;
	policy.quota_messages = p->quota_messages;
}

void store_policy_quota(uint64_t *storage_r, uint64_t *messages_r)
{
	*storage_r = policy.quota_storage;
	*messages_r = policy.quota_messages;
}

const char *store_policy_admin(void)
{
	return policy.admin_user;
}

void store_sqlite_set_actor(struct store *s, int64_t user_id)
{
	if (s->actor == user_id)
		return;
	s->actor = user_id;
	free(s->actor_name);
	s->actor_name = NULL;
	store_rights_forget(s);
}

uint32_t store_flag_mask(uint32_t rights)
{
	uint32_t mask = 0;

	if (rights & ACL_SEEN)
		mask |= STORE_FLAG_SEEN;
	if (rights & ACL_DELETED)
		mask |= STORE_FLAG_DELETED;
	if (rights & ACL_WRITE)
		mask |= STORE_FLAGS_ALL & ~(STORE_FLAG_SEEN | STORE_FLAG_DELETED);
	return mask;
}

void store_rights_forget(struct store *s)
{
	s->rights_count = 0;
}

int store_user_id(struct store *s, const char *name, int64_t *id_r,
		  struct buf *canon)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name FROM users"
				      " WHERE name = ?1");
	int rc, ret = STORE_OK;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		if (canon != NULL) {
			buf_reset(canon);
			buf_append_str(canon,
				(const char *)sqlite3_column_text(st, 1));
		}
	} else if (rc == SQLITE_DONE) {
		ret = store_fail(s, STORE_ENONEXISTENT, "no such user");
	} else {
		ret = store_fail_db(s, "find user");
	}
	sqlite3_reset(st);
	return ret;
}

int store_user_name(struct store *s, int64_t id, struct buf *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name FROM users WHERE id = ?1");
	int rc, ret = STORE_OK;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	buf_reset(out);
	if (rc == SQLITE_ROW)
		buf_append_str(out, (const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		ret = store_fail(s, STORE_ENONEXISTENT, "no such user");
	else
		ret = store_fail_db(s, "find user");
	sqlite3_reset(st);
	return ret;
}

static int actor_name(struct store *s, const char **name_r)
{
	if (s->actor_name == NULL) {
		struct buf name = BUF_INIT;
		int ret = store_user_name(s, s->actor, &name);
		if (ret != STORE_OK) {
			buf_free(&name);
			return ret;
		}
		s->actor_name = buf_steal(&name);
	}
	*name_r = s->actor_name;
	return STORE_OK;
}

bool store_actor_is_admin(struct store *s)
{
	const char *name;

	if (s->actor == 0)
		return true;
	return policy.admin_user != NULL && actor_name(s, &name) == STORE_OK &&
		strcasecmp(name, policy.admin_user) == 0;
}

int store_actor_owns(struct store *s, int64_t owner_id, bool *yes_r)
{
	*yes_r = s->actor == 0 || s->actor == owner_id;
	if (*yes_r || policy.admin_user == NULL)
		return STORE_OK;
	/* The admin administers the Shared namespace as its owner. */
	int64_t public_id;
	const char *name;
	int ret = store_user_id(s, STORE_PUBLIC_USER, &public_id, NULL);
	if (ret == STORE_ENONEXISTENT || (ret == STORE_OK && public_id != owner_id))
		return STORE_OK;
	if (ret == STORE_OK)
		ret = actor_name(s, &name);
	if (ret == STORE_OK)
		*yes_r = strcasecmp(name, policy.admin_user) == 0;
	return ret;
}

/* Reads the ACL rows of a mailbox into acl (identifiers sorted). */
static int read_acl(struct store *s, int64_t mailbox_id, struct store_acl *acl)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT identifier, rights FROM acl"
				      " WHERE mailbox_id = ?1 ORDER BY identifier");
	const char *error;
	int rc;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rights = (const char *)sqlite3_column_text(st, 1);
		uint32_t bits = 0;
		if (acl_rights_parse(rights, strlen(rights), &bits, &error) < 0)
			bits = 0; /* written by us; never trust more than parses */
		acl->entries = xrealloc(acl->entries, (acl->count + 1) *
					sizeof(*acl->entries));
		acl->entries[acl->count].identifier =
			xstrdup((const char *)sqlite3_column_text(st, 0));
		acl->entries[acl->count].rights = bits;
		acl->count++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read acl");
}

void store_acl_free(struct store_acl *acl)
{
	for (size_t i = 0; i < acl->count; i++)
		free(acl->entries[i].identifier);
	free(acl->entries);
	free(acl->owner);
	memset(acl, 0, sizeof(*acl));
}

static int compute_rights(struct store *s, int64_t mailbox_id,
			  uint32_t *rights_r)
{
	struct store_acl acl = { 0 };
	const char *name;
	int ret = actor_name(s, &name);

	if (ret == STORE_ENONEXISTENT) {
		/* the acting account is gone: it holds nothing */
		*rights_r = 0;
		return STORE_OK;
	}
	if (ret == STORE_OK)
		ret = read_acl(s, mailbox_id, &acl);
	if (ret == STORE_OK)
		*rights_r = store_acl_rights_for(&acl, name);
	store_acl_free(&acl);
	return ret;
}

int store_rights_of(struct store *s, int64_t mailbox_id, int64_t owner_id,
		    uint32_t *rights_r)
{
	bool owns;
	int ret;

	if (s->actor == 0 || s->actor == owner_id) {
		*rights_r = ACL_RIGHTS_ALL;
		return STORE_OK;
	}
	for (size_t i = 0; s->in_tx && i < s->rights_count; i++) {
		if (s->rights_cache[i].mailbox_id == mailbox_id) {
			*rights_r = s->rights_cache[i].rights;
			return STORE_OK;
		}
	}
	ret = store_actor_owns(s, owner_id, &owns);
	if (ret == STORE_OK && owns)
		*rights_r = ACL_RIGHTS_ALL;
	else if (ret == STORE_OK)
		ret = compute_rights(s, mailbox_id, rights_r);
	if (ret == STORE_OK && s->in_tx) {
		if (s->rights_count == s->rights_cap) {
			s->rights_cap = s->rights_cap ? s->rights_cap * 2 : 8;
			s->rights_cache = xrealloc(s->rights_cache, s->rights_cap *
						   sizeof(*s->rights_cache));
		}
		s->rights_cache[s->rights_count].mailbox_id = mailbox_id;
		s->rights_cache[s->rights_count].rights = *rights_r;
		s->rights_count++;
	}
	return ret;
}

int store_require(struct store *s, const struct store_mailbox *mb,
		  uint32_t need, int hidden_code)
{
	return store_acl_require(s, mb->rights, need, hidden_code);
}

int store_require_mailbox(struct store *s, int64_t mailbox_id, uint32_t need)
{
	struct store_mailbox mb;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	return ret == STORE_OK ? store_require(s, &mb, need, STORE_ENONEXISTENT) :
		ret;
}

int store_acl_inherit(struct store *s, int64_t from, int64_t to)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR REPLACE INTO acl"
		" (mailbox_id, identifier, rights) SELECT ?2, identifier, rights"
		" FROM acl WHERE mailbox_id = ?1");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return store_exec_stmt(s, st, "inherit acl");
}

/* ---- the ACL commands ---- */

/* Finds the mailbox named for user_id and checks need. */
static int acl_mailbox(struct store *s, int64_t user_id, const char *name,
		       uint32_t need, struct store_mailbox *mb_r)
{
	int ret = store_mailbox_lookup(s, user_id, name, mb_r, NULL);

	if (ret == STORE_OK)
		ret = store_require(s, mb_r, need, STORE_ENONEXISTENT);
	return ret;
}

int store_sqlite_acl_get(struct store *s, int64_t user_id, const char *name,
		  struct store_acl *acl_r, const char **error_r)
{
	struct store_mailbox mb;
	struct buf owner = BUF_INIT;
	int ret = store_tx_read(s);

	memset(acl_r, 0, sizeof(*acl_r));
	if (ret == STORE_OK) {
		ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);
		if (ret == STORE_OK)
			ret = store_user_name(s, mb.user_id, &owner);
		if (ret == STORE_OK)
			ret = read_acl(s, mb.id, acl_r);
		store_tx_rollback(s);
	}
	if (ret == STORE_OK)
		acl_r->owner = buf_steal(&owner);
	else
		store_acl_free(acl_r);
	buf_free(&owner);
	store_error_out(s, error_r);
	return ret;
}

static int entry_rights(struct store *s, int64_t mailbox_id, const char *id,
			uint32_t *rights_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT rights FROM acl"
				      " WHERE mailbox_id = ?1 AND identifier = ?2");
	const char *error;
	int rc;

	*rights_r = 0;
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (acl_rights_parse(r, strlen(r), rights_r, &error) < 0)
			*rights_r = 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK :
		store_fail_db(s, "read acl");
}

static int write_entry(struct store *s, int64_t mailbox_id, const char *id,
		       uint32_t rights)
{
	struct buf letters = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	/* An entry without rights grants and denies nothing: drop it. */
	if (rights == 0) {
		st = store_stmt(s, "DELETE FROM acl WHERE mailbox_id = ?1"
				" AND identifier = ?2");
	} else {
		st = store_stmt(s, "INSERT OR REPLACE INTO acl (mailbox_id,"
				" identifier, rights) VALUES (?1, ?2, ?3)");
		store_acl_letters(rights, &letters);
	}
	if (st == NULL) {
		buf_free(&letters);
		return STORE_ESERVERBUG;
	}
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (rights != 0)
		sqlite3_bind_text(st, 3, buf_cstr(&letters), -1, SQLITE_STATIC);
	ret = store_exec_stmt(s, st, "write acl");
	buf_free(&letters);
	/* Sessions with the mailbox selected re-read their rights; who may
	 * LIST it may have changed too (RFC 5465 5.4). */
	store_tx_changed(s, mailbox_id);
	store_tx_changed(s, STORE_CHANGE_NAMES);
	return ret;
}

static int acl_set_tx(struct store *s, int64_t user_id, const char *name,
		      const char *identifier, bool delete,
		      enum store_acl_op op, uint32_t rights)
{
	struct store_mailbox mb;
	struct buf id = BUF_INIT;
	uint32_t current;
	int ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);

	if (ret == STORE_OK)
		ret = store_acl_identifier(s, identifier, mb.user_id, &id);
	if (ret == STORE_OK)
		ret = entry_rights(s, mb.id, buf_cstr(&id), &current);
	if (ret == STORE_OK)
		ret = write_entry(s, mb.id, buf_cstr(&id),
				  store_acl_apply(current, delete, op, rights));
	store_rights_forget(s);
	buf_free(&id);
	return ret;
}

static int acl_change(struct store *s, int64_t user_id, const char *name,
		      const char *identifier, bool delete,
		      enum store_acl_op op, uint32_t rights,
		      const char **error_r)
{
	int ret = store_tx_write(s);

	if (ret == STORE_OK)
		ret = acl_set_tx(s, user_id, name, identifier, delete, op,
				 rights);
	return store_tx_end(s, ret, error_r);
}

int store_sqlite_acl_set(struct store *s, int64_t user_id, const char *name,
		  const char *identifier, enum store_acl_op op,
		  uint32_t rights, const char **error_r)
{
	return acl_change(s, user_id, name, identifier, false, op, rights,
			  error_r);
}

int store_sqlite_acl_delete(struct store *s, int64_t user_id, const char *name,
		     const char *identifier, const char **error_r)
{
	return acl_change(s, user_id, name, identifier, true,
			  STORE_ACL_REPLACE, 0, error_r);
}

int store_sqlite_acl_listrights(struct store *s, int64_t user_id, const char *name,
			 const char *identifier, uint32_t *always_r,
			 uint32_t *optional_r, const char **error_r)
{
	struct store_mailbox mb;
	struct buf id = BUF_INIT;
	int ret = store_tx_read(s);

	if (ret == STORE_OK) {
		ret = acl_mailbox(s, user_id, name, ACL_ADMIN, &mb);
		if (ret == STORE_OK)
			ret = store_acl_identifier(s, identifier, mb.user_id,
						   &id);
		store_tx_rollback(s);
	}
	ret = store_acl_listrights_of(ret, always_r, optional_r);
	buf_free(&id);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_acl_myrights(struct store *s, int64_t user_id, const char *name,
		       uint32_t *rights_r, const char **error_r)
{
	struct store_mailbox mb;
	int ret = store_mailbox_lookup(s, user_id, name, &mb, NULL);

	if (ret == STORE_OK)
		ret = store_acl_myrights_check(s, mb.rights);
	if (ret == STORE_OK)
		*rights_r = mb.rights;
	store_error_out(s, error_r);
	return ret;
}
