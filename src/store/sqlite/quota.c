/*
 * store/sqlite: quota (RFC 9208). One quota root per user, covering every
 * mailbox the user owns; resources STORAGE (KiB, RFC 9208 5.1) and
 * MESSAGE (5.2). Usage is kept by the triggers of schema migration 2;
 * here it is read, compared with the limits, and the limits are set.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

struct limits {
	bool storage_limited, messages_limited;
	uint64_t storage_kib, messages;
};

int store_usage_read(struct store *s, int64_t owner_id,
		     struct store_usage *usage_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT storage, messages"
				      " FROM quota_usage WHERE user_id = ?1");
	int rc;

	memset(usage_r, 0, sizeof(*usage_r));
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, owner_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 bytes = sqlite3_column_int64(st, 0);
		sqlite3_int64 count = sqlite3_column_int64(st, 1);
		usage_r->storage = bytes > 0 ? (uint64_t)bytes : 0;
		usage_r->messages = count > 0 ? (uint64_t)count : 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK :
		store_fail_db(s, "read quota usage");
}

static int read_limits(struct store *s, int64_t owner_id, struct limits *l)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT storage_kib, messages"
				      " FROM quota_limits WHERE user_id = ?1");
	uint64_t def_storage, def_messages;
	int rc;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, owner_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		l->storage_limited = sqlite3_column_type(st, 0) != SQLITE_NULL;
		l->storage_kib = (uint64_t)sqlite3_column_int64(st, 0);
		l->messages_limited = sqlite3_column_type(st, 1) != SQLITE_NULL;
		l->messages = (uint64_t)sqlite3_column_int64(st, 1);
	} else {
		/* no row: the configured default, where 0 means none */
		store_policy_quota(&def_storage, &def_messages);
		l->storage_limited = def_storage != 0;
		l->storage_kib = def_storage / 1024;
		l->messages_limited = def_messages != 0;
		l->messages = def_messages;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK :
		store_fail_db(s, "read quota limits");
}

int store_quota_check(struct store *s, int64_t owner_id,
		      const struct store_usage *before)
{
	struct store_usage now;
	struct limits l;
	int ret = store_usage_read(s, owner_id, &now);

	if (ret == STORE_OK)
		ret = read_limits(s, owner_id, &l);
	if (ret != STORE_OK)
		return ret;
	/* Only growth is refused: a user over a lowered limit may still
	 * move mail between their own mailboxes or expunge. */
	if (l.storage_limited && now.storage > before->storage &&
	    now.storage > l.storage_kib * 1024)
		return store_fail(s, STORE_EOVERQUOTA,
				  "quota exceeded (storage)");
	if (l.messages_limited && now.messages > before->messages &&
	    now.messages > l.messages)
		return store_fail(s, STORE_EOVERQUOTA,
				  "quota exceeded (messages)");
	return STORE_OK;
}

void store_quota_free(struct store_quota *quota)
{
	free(quota->user);
	memset(quota, 0, sizeof(*quota));
}

static int fill_quota(struct store *s, int64_t owner_id, struct store_quota *q)
{
	struct store_usage usage;
	struct limits l = { 0 };
	struct buf name = BUF_INIT;
	int ret = store_user_name(s, owner_id, &name);

	if (ret == STORE_OK)
		ret = store_usage_read(s, owner_id, &usage);
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

/* Whether the actor holds r on some mailbox of owner: then it may learn
 * the owner's usage (GETQUOTAROOT on that mailbox shows it anyway). */
static int reads_some(struct store *s, int64_t owner_id, bool *yes_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT DISTINCT m.id FROM mailboxes m"
		" JOIN acl a ON a.mailbox_id = m.id WHERE m.user_id = ?1");
	int64_t *ids = NULL;
	size_t count = 0;
	int rc, ret = STORE_OK;

	*yes_r = false;
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, owner_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (count + 1) * sizeof(*ids));
		ids[count++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		ret = store_fail_db(s, "read acl");
	for (size_t i = 0; i < count && ret == STORE_OK && !*yes_r; i++) {
		uint32_t rights;
		ret = store_rights_of(s, ids[i], owner_id, &rights);
		*yes_r = (rights & ACL_READ) != 0;
	}
	free(ids);
	return ret;
}

static int quota_get_tx(struct store *s, const char *user,
			struct store_quota *q)
{
	int64_t owner_id;
	bool allowed;
	int ret = store_user_id(s, user, &owner_id, NULL);

	if (ret == STORE_OK)
		ret = store_actor_owns(s, owner_id, &allowed);
	if (ret == STORE_OK && !allowed)
		allowed = store_actor_is_admin(s);
	if (ret == STORE_OK && !allowed)
		ret = reads_some(s, owner_id, &allowed);
	if (ret == STORE_OK && !allowed)
		ret = STORE_ENONEXISTENT;
	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, ret, "no such quota root");
	return ret == STORE_OK ? fill_quota(s, owner_id, q) : ret;
}

int store_sqlite_quota_get(struct store *s, const char *user,
		    struct store_quota *quota_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(quota_r, 0, sizeof(*quota_r));
	if (ret == STORE_OK) {
		ret = quota_get_tx(s, user, quota_r);
		store_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_quota_free(quota_r);
	store_error_out(s, error_r);
	return ret;
}

static int quota_root_tx(struct store *s, int64_t user_id, const char *name,
			 struct store_quota *q)
{
	struct store_ns_name ns;
	struct store_mailbox mb;
	int ret = store_ns_resolve(s, user_id, name, &ns);
	bool own = ret == STORE_OK && ns.owner_id == user_id;

	/* RFC 9208 6: usage reveals the mailbox's size: r is needed, except
	 * in one's own namespace, where the name need not exist (4.1.2). */
	if (ret == STORE_OK && !own) {
		ret = ns.node ? store_fail(s, STORE_ENONEXISTENT,
					   "no such mailbox") :
			store_mailbox_lookup(s, user_id, name, &mb, NULL);
		if (ret == STORE_OK)
			ret = store_require(s, &mb, ACL_READ,
					    STORE_ENONEXISTENT);
	}
	if (ret == STORE_OK)
		ret = fill_quota(s, ns.owner_id, q);
	buf_free(&ns.local);
	return ret;
}

int store_sqlite_quota_root(struct store *s, int64_t user_id, const char *name,
		     struct store_quota *quota_r, const char **error_r)
{
	int ret = store_tx_read(s);

	memset(quota_r, 0, sizeof(*quota_r));
	if (ret == STORE_OK) {
		ret = quota_root_tx(s, user_id, name, quota_r);
		store_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_quota_free(quota_r);
	store_error_out(s, error_r);
	return ret;
}

static int quota_set_tx(struct store *s, const char *user,
			const uint64_t *storage_kib, const uint64_t *messages,
			bool use_default)
{
	int64_t owner_id;
	int ret;

	/* RFC 9208 4.1.3 leaves who may set limits to the server: only the
	 * administrator, never a user for their own root. */
	if (!store_actor_is_admin(s))
		return store_fail(s, STORE_ENOPERM,
				  "only the administrator sets quotas");
	ret = store_user_id(s, user, &owner_id, NULL);
	if (ret == STORE_ENONEXISTENT)
		return store_fail(s, ret, "no such quota root");
	if (ret != STORE_OK)
		return ret;
	sqlite3_stmt *st = store_stmt(s, use_default ?
		"DELETE FROM quota_limits WHERE user_id = ?1" :
		"INSERT OR REPLACE INTO quota_limits (user_id, storage_kib,"
		" messages) VALUES (?1, ?2, ?3)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, owner_id);
	if (!use_default && storage_kib != NULL)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)*storage_kib);
	if (!use_default && messages != NULL)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)*messages);
	return store_exec_stmt(s, st, "set quota");
}

int store_sqlite_quota_set(struct store *s, const char *user,
		    const uint64_t *storage_kib, const uint64_t *messages,
		    bool use_default, const char **error_r)
{
	int ret;

	/* SQLite integers are signed 64-bit; RFC 9208 limits are 63-bit. */
	if ((storage_kib != NULL && *storage_kib > INT64_MAX) ||
	    (messages != NULL && *messages > INT64_MAX)) {
		ret = store_fail(s, STORE_EINVALID, "limit too large");
	} else {
		ret = store_tx_write(s);
		if (ret == STORE_OK)
			ret = quota_set_tx(s, user, storage_kib, messages,
					   use_default);
	}
	return store_tx_end(s, ret, error_r);
}
