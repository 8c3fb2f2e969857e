/*
 * store/sqlite: mailboxes, their names and hierarchy, subscriptions, STATUS.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

#define DELIM '/'

static int normalize(struct store *s, const char *name, struct buf *out)
{
	if (store_mailbox_name_normalize(name, out) != STORE_OK)
		return store_fail(s, STORE_EINVALID, "invalid mailbox name");
	return STORE_OK;
}

int store_uidvalidity_next(struct store *s, uint32_t *uidvalidity_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT value FROM meta WHERE key = 'uidvalidity'");
	uint64_t last = 0, now = (uint64_t)time(NULL), next;

	assert(s->in_tx);
	if (st == NULL)
		return STORE_ESERVERBUG;
	if (sqlite3_step(st) == SQLITE_ROW)
		last = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* RFC 3501 2.3.1.1: never reused, even after delete and create of
	 * the same name: a global counter that starts at the clock. */
	next = now > last ? now : last + 1;
	if (next > UINT32_MAX)
		return store_fail(s, STORE_ESERVERBUG, "uidvalidity exhausted");
	st = store_stmt(s, "INSERT OR REPLACE INTO meta (key, value) "
			"VALUES ('uidvalidity', ?1)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)next);
	*uidvalidity_r = (uint32_t)next;
	return store_exec_stmt(s, st, "allocate uidvalidity");
}

#define MAILBOX_COLUMNS \
	"id, user_id, uidvalidity, uidnext, highestmodseq, first_recent_uid, attrs"

static void read_mailbox_row(sqlite3_stmt *st, struct store_mailbox *mb)
{
	mb->id = sqlite3_column_int64(st, 0);
	mb->user_id = sqlite3_column_int64(st, 1);
	mb->uidvalidity = (uint32_t)sqlite3_column_int64(st, 2);
	mb->uidnext = (uint32_t)sqlite3_column_int64(st, 3);
	mb->highestmodseq = (uint64_t)sqlite3_column_int64(st, 4);
	mb->first_recent_uid = (uint32_t)sqlite3_column_int64(st, 5);
	mb->attrs = (uint32_t)sqlite3_column_int64(st, 6);
}

static int step_mailbox(struct store *s, sqlite3_stmt *st,
			struct store_mailbox *mb_r)
{
	int rc = sqlite3_step(st), ret = STORE_OK;

	if (rc == SQLITE_ROW)
		read_mailbox_row(st, mb_r);
	else if (rc == SQLITE_DONE)
		ret = store_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	else
		ret = store_fail_db(s, "find mailbox");
	sqlite3_reset(st);
	if (ret == STORE_OK)
		ret = store_rights_of(s, mb_r->id, mb_r->user_id,
				      &mb_r->rights);
	return ret;
}

int store_mailbox_read(struct store *s, int64_t mailbox_id,
		       struct store_mailbox *mb_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?1");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	return step_mailbox(s, st, mb_r);
}

static int find_by_name(struct store *s, int64_t user_id, const char *name,
			struct store_mailbox *mb_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " MAILBOX_COLUMNS
		" FROM mailboxes WHERE user_id = ?1 AND name = ?2");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return step_mailbox(s, st, mb_r);
}

int store_mailbox_set_counters(struct store *s, int64_t mailbox_id,
			       uint32_t uidnext, uint64_t highestmodseq)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE mailboxes SET uidnext = ?2,"
				      " highestmodseq = ?3 WHERE id = ?1");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uidnext);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)highestmodseq);
	store_tx_changed(s, mailbox_id);
	return store_exec_stmt(s, st, "update mailbox");
}

/* A mailbox without any right of the actor is not there (RFC 4314 6). */
static int hide_unseen(struct store *s, int ret, const struct store_mailbox *mb)
{
	if (ret == STORE_OK && mb->rights == 0)
		return store_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	return ret;
}

int store_sqlite_mailbox_lookup(struct store *s, int64_t user_id, const char *name,
			 struct store_mailbox *mailbox_r, const char **error_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_mailbox(s, user_id, name, &ns);

	if (ret == STORE_OK)
		ret = find_by_name(s, ns.owner_id, buf_cstr(&ns.local),
				   mailbox_r);
	ret = hide_unseen(s, ret, mailbox_r);
	buf_free(&ns.local);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_mailbox_get(struct store *s, int64_t mailbox_id,
		      struct store_mailbox *mailbox_r, const char **error_r)
{
	int ret = store_mailbox_read(s, mailbox_id, mailbox_r);

	ret = hide_unseen(s, ret, mailbox_r);
	store_error_out(s, error_r);
	return ret;
}

/* Runs body inside a write transaction, committing on success. */
#define WRITE_TX(s, ret, body) do { \
	(ret) = store_tx_write(s); \
	if ((ret) == STORE_OK) { \
		(ret) = (body); \
		if ((ret) == STORE_OK) \
			(ret) = store_tx_commit(s); \
		else \
			store_tx_rollback(s); \
	} \
} while (0)

/* ---- hierarchy ---- */

static int has_children(struct store *s, int64_t user_id, const char *name,
			bool *yes_r)
{
	/* Children are exactly the names in ["name/", "name0"): '0' follows
	 * '/' in ASCII, and this stays an index range scan (LIKE would not,
	 * and would treat '%' and '_' in names as wildcards). */
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM mailboxes WHERE"
		" user_id = ?1 AND name >= ?2 || '/' AND name < ?2 || '0'"
		" LIMIT 1");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, "find children");
	*yes_r = rc == SQLITE_ROW;
	return STORE_OK;
}

static int insert_mailbox(struct store *s, int64_t user_id, const char *name,
			  uint32_t attrs, int64_t inherit_from, int64_t *id_r)
{
	uint32_t uidvalidity;
	int ret = store_uidvalidity_next(s, &uidvalidity);

	if (ret != STORE_OK)
		return ret;
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO mailboxes"
		" (user_id, name, uidvalidity, attrs) VALUES (?1, ?2, ?3, ?4)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, uidvalidity);
	sqlite3_bind_int64(st, 4, attrs);
	ret = store_exec_stmt(s, st, "create mailbox");
	store_tx_changed(s, STORE_CHANGE_NAMES);
	int64_t id = sqlite3_last_insert_rowid(s->db);
	if (ret == STORE_OK && id_r != NULL)
		*id_r = id;
	/* RFC 4314 4: a new mailbox SHOULD inherit its parent's ACL. */
	if (ret == STORE_OK && inherit_from != 0)
		ret = store_acl_inherit(s, inherit_from, id);
	return ret;
}

/* The deepest existing mailbox above name: *found_r false if none. */
static int nearest_parent(struct store *s, int64_t user_id, const char *name,
			  struct store_mailbox *mb_r, bool *found_r)
{
	struct buf prefix = BUF_INIT;
	int ret = STORE_ENONEXISTENT;

	buf_append_str(&prefix, name);
	*found_r = false;
	for (char *slash = strrchr(prefix.data, DELIM);
	     slash != NULL && ret == STORE_ENONEXISTENT;
	     slash = strrchr(prefix.data, DELIM)) {
		buf_truncate(&prefix, (size_t)(slash - prefix.data));
		ret = find_by_name(s, user_id, buf_cstr(&prefix), mb_r);
	}
	buf_free(&prefix);
	*found_r = ret == STORE_OK;
	return ret == STORE_ENONEXISTENT ? STORE_OK : ret;
}

/* RFC 4314 4: creating under a mailbox (CREATE, RENAME's new parent)
 * needs k on the nearest existing parent; its owner needs nothing. Sets
 * *inherit_r to the parent whose ACL the new mailboxes take (0: none). */
static int check_create(struct store *s, int64_t user_id, const char *name,
			int64_t *inherit_r)
{
	struct store_mailbox parent;
	bool found, owns;
	int ret = nearest_parent(s, user_id, name, &parent, &found);

	if (ret == STORE_OK)
		ret = store_actor_owns(s, user_id, &owns);
	if (ret != STORE_OK)
		return ret;
	*inherit_r = found ? parent.id : 0;
	if (owns || (found && (parent.rights & ACL_CREATE)))
		return STORE_OK;
	return store_fail(s, STORE_ENOPERM, "permission denied");
}

/* RFC 3501 6.3.3, 6.3.5: create the superior names a new name needs. */
static int create_parents(struct store *s, int64_t user_id, const char *name,
			  int64_t inherit_from)
{
	struct buf prefix = BUF_INIT;
	struct store_mailbox mb;
	int ret = STORE_OK;

	for (const char *p = strchr(name, DELIM); p != NULL && ret == STORE_OK;
	     p = strchr(p + 1, DELIM)) {
		buf_reset(&prefix);
		buf_append(&prefix, name, (size_t)(p - name));
		ret = find_by_name(s, user_id, buf_cstr(&prefix), &mb);
		if (ret == STORE_ENONEXISTENT)
			ret = insert_mailbox(s, user_id, buf_cstr(&prefix), 0,
					     inherit_from, NULL);
	}
	buf_free(&prefix);
	return ret;
}

static int create_tx(struct store *s, int64_t user_id, const char *name,
		     uint32_t special_use, int64_t *id_r)
{
	struct store_mailbox mb;
	int64_t inherit = 0;
	int ret = check_create(s, user_id, name, &inherit);

	if (ret == STORE_OK)
		ret = find_by_name(s, user_id, name, &mb);
	if (ret == STORE_OK && (mb.attrs & STORE_MBOX_NOSELECT) == 0)
		return store_fail(s, STORE_EALREADYEXISTS,
				  "mailbox already exists");
	if (ret == STORE_OK) {
		/* A \Noselect parent becomes a real mailbox again: a new
		 * incarnation, so a new uidvalidity (RFC 3501 2.3.1.1). */
		uint32_t uidvalidity;
		ret = store_uidvalidity_next(s, &uidvalidity);
		sqlite3_stmt *st = ret ? NULL : store_stmt(s,
			"UPDATE mailboxes SET uidvalidity = ?2, attrs = ?3"
			" WHERE id = ?1");
		if (st == NULL)
			return ret ? ret : STORE_ESERVERBUG;
		sqlite3_bind_int64(st, 1, mb.id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		sqlite3_bind_int64(st, 3, special_use);
		if (id_r != NULL)
			*id_r = mb.id;
		store_tx_changed(s, mb.id);
		return store_exec_stmt(s, st, "create mailbox");
	}
	if (ret != STORE_ENONEXISTENT)
		return ret;
	ret = create_parents(s, user_id, name, inherit);
	if (ret == STORE_OK)
		ret = insert_mailbox(s, user_id, name, special_use, inherit,
				     id_r);
	return ret;
}

int store_sqlite_mailbox_create(struct store *s, int64_t user_id, const char *name,
			 uint32_t special_use, int64_t *id_r,
			 const char **error_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_create(s, user_id, name, &ns);

	special_use &= STORE_MBOX_SPECIAL_USE_MASK;
	if (ret == STORE_OK)
		WRITE_TX(s, ret, create_tx(s, ns.owner_id, buf_cstr(&ns.local),
					   special_use, id_r));
	buf_free(&ns.local);
	store_error_out(s, error_r);
	return ret;
}

static int delete_tx(struct store *s, int64_t user_id, const char *name)
{
	struct store_mailbox mb;
	bool children = false;
	int ret;

	/* RFC 3501 6.3.4: it is an error to attempt to delete INBOX. */
	if (strcmp(name, "INBOX") == 0)
		return store_fail(s, STORE_ECANNOT, "cannot delete INBOX");
	ret = find_by_name(s, user_id, name, &mb);
	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_DELETE, STORE_ENONEXISTENT);
	if (ret == STORE_OK)
		ret = has_children(s, user_id, name, &children);
	if (ret != STORE_OK)
		return ret;
	/* RFC 4314 4: DELETE MUST delete the mailbox's ACL (also when the
	 * name stays as a \Noselect parent). */
	sqlite3_stmt *del_acl = store_stmt(s, "DELETE FROM acl"
					   " WHERE mailbox_id = ?1");
	if (del_acl == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(del_acl, 1, mb.id);
	ret = store_exec_stmt(s, del_acl, "delete acl");
	if (ret != STORE_OK)
		return ret;
	if (children && (mb.attrs & STORE_MBOX_NOSELECT) != 0)
		return store_fail(s, STORE_ECANNOT, "mailbox has children");
	ret = store_messages_delete_all(s, mb.id);
	if (ret != STORE_OK)
		return ret;
	store_tx_changed(s, mb.id);
	store_tx_changed(s, STORE_CHANGE_NAMES);
	sqlite3_stmt *st;
	if (children) {
		/* RFC 3501 6.3.4: remove the messages, keep the name as a
		 * \Noselect parent of its children. */
		st = store_stmt(s, "UPDATE mailboxes SET attrs = ?2,"
				" highestmodseq = highestmodseq + 1 WHERE id = ?1");
		if (st != NULL)
			sqlite3_bind_int64(st, 2, STORE_MBOX_NOSELECT);
	} else {
		st = store_stmt(s, "DELETE FROM mailboxes WHERE id = ?1");
	}
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mb.id);
	return store_exec_stmt(s, st, "delete mailbox");
}

int store_sqlite_mailbox_delete(struct store *s, int64_t user_id, const char *name,
			 const char **error_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_mailbox(s, user_id, name, &ns);

	if (ret == STORE_OK)
		WRITE_TX(s, ret, delete_tx(s, ns.owner_id, buf_cstr(&ns.local)));
	buf_free(&ns.local);
	store_error_out(s, error_r);
	return ret;
}

static int children_ids(struct store *s, int64_t user_id, const char *name,
			int64_t **ids_r, char ***names_r, size_t *count_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name FROM mailboxes WHERE"
		" user_id = ?1 AND name >= ?2 || '/' AND name < ?2 || '0'");
	int rc, ret = STORE_OK;

	*ids_r = NULL;
	*names_r = NULL;
	*count_r = 0;
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = *count_r;
		*ids_r = xrealloc(*ids_r, (n + 1) * sizeof(**ids_r));
		*names_r = xrealloc(*names_r, (n + 1) * sizeof(**names_r));
		(*ids_r)[n] = sqlite3_column_int64(st, 0);
		(*names_r)[n] = xstrdup((const char *)sqlite3_column_text(st, 1));
		*count_r = n + 1;
	}
	if (rc != SQLITE_DONE)
		ret = store_fail_db(s, "list children");
	sqlite3_reset(st);
	return ret;
}

static int rename_one(struct store *s, int64_t id, const char *new_name)
{
	sqlite3_stmt *st = store_stmt(s,
		"UPDATE mailboxes SET name = ?2 WHERE id = ?1");

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, new_name, -1, SQLITE_TRANSIENT);
	store_tx_changed(s, id);
	store_tx_changed(s, STORE_CHANGE_NAMES);
	return store_exec_stmt(s, st, "rename mailbox");
}

/* Renames the children of old_name under new_name, refusing if any
 * target name is taken. */
static int rename_children(struct store *s, int64_t user_id,
			   const char *old_name, const char *new_name)
{
	struct buf target = BUF_INIT;
	struct store_mailbox mb;
	int64_t *ids;
	char **names;
	size_t count, old_len = strlen(old_name);
	int ret = children_ids(s, user_id, old_name, &ids, &names, &count);

	for (size_t pass = 0; pass < 2 && ret == STORE_OK; pass++) {
		for (size_t i = 0; i < count && ret == STORE_OK; i++) {
			buf_reset(&target);
			buf_printf(&target, "%s%s", new_name,
				   names[i] + old_len);
			if (pass == 1) {
				ret = rename_one(s, ids[i], buf_cstr(&target));
				continue;
			}
			ret = find_by_name(s, user_id, buf_cstr(&target), &mb);
			if (ret == STORE_OK)
				ret = store_fail(s, STORE_EALREADYEXISTS,
						 "mailbox already exists");
			else if (ret == STORE_ENONEXISTENT)
				ret = STORE_OK;
		}
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(ids);
	buf_free(&target);
	return ret;
}

static int rename_tx(struct store *s, int64_t user_id, const char *old_name,
		     const char *new_name)
{
	struct store_mailbox mb, other;
	size_t old_len = strlen(old_name);
	int64_t inherit = 0;
	int ret = find_by_name(s, user_id, old_name, &mb);

	/* RFC 4314 4: x on the old name, k on the new parent; the renamed
	 * mailboxes keep their ACLs (SHOULD NOT change them). */
	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_DELETE, STORE_ENONEXISTENT);
	if (ret == STORE_OK)
		ret = check_create(s, user_id, new_name, &inherit);
	if (ret != STORE_OK)
		return ret;
	ret = find_by_name(s, user_id, new_name, &other);
	if (ret == STORE_OK)
		return store_fail(s, STORE_EALREADYEXISTS,
				  "mailbox already exists");
	if (ret != STORE_ENONEXISTENT)
		return ret;
	ret = create_parents(s, user_id, new_name, inherit);
	if (ret != STORE_OK)
		return ret;
	if (strcmp(old_name, "INBOX") == 0) {
		/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new
		 * mailbox and leaves INBOX (and its children) in place. */
		int64_t new_id;
		ret = insert_mailbox(s, user_id, new_name, 0, inherit,
				     &new_id);
		if (ret == STORE_OK)
			ret = store_messages_move_all(s, mb.id, new_id);
		return ret;
	}
	if (strncmp(new_name, old_name, old_len) == 0 &&
	    new_name[old_len] == DELIM)
		return store_fail(s, STORE_ECANNOT,
				  "cannot rename a mailbox into itself");
	/* Subscriptions stay on the old names: RFC 9051 6.3.6 says renaming
	 * does not update them, the client resubscribes. */
	ret = rename_children(s, user_id, old_name, new_name);
	if (ret == STORE_OK)
		ret = rename_one(s, mb.id, new_name);
	return ret;
}

int store_sqlite_mailbox_rename(struct store *s, int64_t user_id,
			 const char *old_name, const char *new_name,
			 const char **error_r)
{
	struct store_ns_name from, to;
	int ret = store_ns_resolve_rename(s, user_id, old_name, new_name,
					  &from, &to);

	if (ret == STORE_OK)
		WRITE_TX(s, ret, rename_tx(s, from.owner_id,
					   buf_cstr(&from.local),
					   buf_cstr(&to.local)));
	buf_free(&to.local);
	buf_free(&from.local);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_mailbox_subscribe(struct store *s, int64_t user_id, const char *name,
			    bool subscribe, const char **error_r)
{
	struct buf norm = BUF_INIT;
	int ret = normalize(s, name, &norm);
	sqlite3_stmt *st = NULL;

	if (ret == STORE_OK)
		st = store_stmt(s, subscribe ?
			"INSERT OR IGNORE INTO subscriptions (user_id, name)"
			" VALUES (?1, ?2)" :
			"DELETE FROM subscriptions WHERE user_id = ?1"
			" AND name = ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_text(st, 2, buf_cstr(&norm), -1, SQLITE_STATIC);
		ret = store_exec_stmt(s, st, "subscribe");
		if (ret == STORE_OK && !subscribe && sqlite3_changes(s->db) == 0)
			ret = store_fail(s, STORE_ENONEXISTENT,
					 "not subscribed");
		/* One autocommitted statement: no transaction to notify at
		 * commit, so tell the bus here. */
		if (ret == STORE_OK && !s->in_tx)
			store_notify_changed(s, STORE_CHANGE_SUBSCRIPTIONS);
		else if (ret == STORE_OK)
			store_tx_changed(s, STORE_CHANGE_SUBSCRIPTIONS);
	} else if (ret == STORE_OK) {
		ret = STORE_ESERVERBUG;
	}
	buf_free(&norm);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_mailbox_claim_recent(struct store *s, int64_t mailbox_id,
			       uint32_t *first_recent_uid_r,
			       const char **error_r)
{
	struct store_mailbox mb;
	/* Most claims find nothing new (every SELECT, every sync of a busy
	 * session): answer those from a read transaction, so they cost no
	 * write lock and no WAL fsync. */
	int ret = store_tx_read(s);

	if (ret == STORE_OK) {
		ret = store_mailbox_read(s, mailbox_id, &mb);
		if (ret == STORE_OK)
			ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
		bool nothing_new = ret == STORE_OK && mb.first_recent_uid >= mb.uidnext;
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
		if (ret == STORE_OK && nothing_new) {
			*first_recent_uid_r = mb.first_recent_uid;
			return STORE_OK;
		}
	}
	/* \Recent is advisory (gone from IMAP4rev2): a claim lost to a
	 * power failure only shows messages as recent once more, so it is
	 * not worth an fsync (store_tx_write_relaxed). */
	if (ret == STORE_OK)
		ret = store_tx_write_relaxed(s);
	if (ret == STORE_OK) {
		ret = store_mailbox_read(s, mailbox_id, &mb);
		if (ret == STORE_OK)
			ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
		sqlite3_stmt *st = ret ? NULL : store_stmt(s,
			"UPDATE mailboxes SET first_recent_uid = uidnext"
			" WHERE id = ?1");
		if (st != NULL) {
			sqlite3_bind_int64(st, 1, mailbox_id);
			ret = store_exec_stmt(s, st, "claim recent");
		} else if (ret == STORE_OK) {
			ret = STORE_ESERVERBUG;
		}
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	if (ret == STORE_OK)
		*first_recent_uid_r = mb.first_recent_uid;
	store_error_out(s, error_r);
	return ret;
}

static int status_tx(struct store *s, int64_t mailbox_id,
		     struct store_mailbox_status *st_r)
{
	struct store_mailbox mb;
	int ret = store_mailbox_read(s, mailbox_id, &mb);

	/* RFC 4314 4: STATUS needs r. */
	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	if (ret != STORE_OK)
		return ret;
	memset(st_r, 0, sizeof(*st_r));
	st_r->uidnext = mb.uidnext;
	st_r->uidvalidity = mb.uidvalidity;
	st_r->highestmodseq = mb.highestmodseq;
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*),"
		" total((flags & 1) = 0), total((flags & 8) != 0),"
		" total(uid >= ?2), total(size),"
		" total(CASE WHEN (flags & 8) != 0 THEN size ELSE 0 END)"
		" FROM messages WHERE mailbox_id = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, mb.first_recent_uid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		st_r->messages = (uint32_t)sqlite3_column_int64(st, 0);
		st_r->unseen = (uint32_t)sqlite3_column_int64(st, 1);
		st_r->deleted = (uint32_t)sqlite3_column_int64(st, 2);
		st_r->recent = (uint32_t)sqlite3_column_int64(st, 3);
		st_r->size = (uint64_t)sqlite3_column_int64(st, 4);
		st_r->deleted_size = (uint64_t)sqlite3_column_int64(st, 5);
	} else {
		ret = store_fail_db(s, "status");
	}
	sqlite3_reset(st);
	return ret;
}

int store_sqlite_mailbox_status(struct store *s, int64_t mailbox_id,
			 struct store_mailbox_status *status_r,
			 const char **error_r)
{
	int ret = store_tx_read(s);

	if (ret == STORE_OK) {
		ret = status_tx(s, mailbox_id, status_r);
		store_tx_rollback(s); /* read only: nothing to commit */
	}
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_mailbox_keywords(struct store *s, int64_t mailbox_id,
			   char ***keywords_r, const char **error_r)
{
	char **names = xcalloc(1, sizeof(*names));
	size_t count = 0;
	struct store_mailbox mb;
	int rc, ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret == STORE_OK)
		ret = store_require(s, &mb, ACL_READ, STORE_ENONEXISTENT);
	sqlite3_stmt *st = ret ? NULL : store_stmt(s,
		"SELECT name FROM mailbox_keywords WHERE mailbox_id = ?1"
		" ORDER BY seq");
	if (ret == STORE_OK && st == NULL) {
		ret = STORE_ESERVERBUG;
	} else if (ret == STORE_OK) {
		sqlite3_bind_int64(st, 1, mailbox_id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			names = xrealloc(names, (count + 2) * sizeof(*names));
			names[count++] = xstrdup(
				(const char *)sqlite3_column_text(st, 0));
			names[count] = NULL;
		}
		if (rc != SQLITE_DONE)
			ret = store_fail_db(s, "list keywords");
		sqlite3_reset(st);
	}
	if (ret != STORE_OK) {
		store_strings_free(names);
		names = NULL;
	}
	*keywords_r = names;
	store_error_out(s, error_r);
	return ret;
}
