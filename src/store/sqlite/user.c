/*
 * store/sqlite: accounts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/sqlite/internal.h"

#define USER_NAME_MAX 64

/* A new account gets these, subscribed (RFC 6154 special-use). */
static const struct {
	const char *name;
	uint32_t attrs;
} default_mailboxes[] = {
	{ "INBOX", 0 },
	{ "Drafts", STORE_MBOX_DRAFTS },
	{ "Sent", STORE_MBOX_SENT },
	{ "Trash", STORE_MBOX_TRASH },
	{ "Junk", STORE_MBOX_JUNK },
	{ "Archive", STORE_MBOX_ARCHIVE },
};

bool store_user_name_valid(const char *name, const char **reason_r)
{
	const char *reason = NULL;
	size_t len = strlen(name);

	if (len == 0)
		reason = "user name is empty";
	else if (len > USER_NAME_MAX)
		reason = "user name is longer than 64 bytes";
	for (size_t i = 0; i < len && reason == NULL; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			reason = "user name contains a control character";
		else if (c == ' ')
			reason = "user name contains a space";
		else if (c == '/')
			reason = "user name contains '/'";
	}
	/* RFC 4314 2: "anyone" and names starting with '-' are ACL
	 * identifiers of their own. */
	if (reason == NULL && strcasecmp(name, "anyone") == 0)
		reason = "\"anyone\" is reserved for access control lists";
	else if (reason == NULL && name[0] == '-')
		reason = "user name starts with '-'";
	if (reason_r != NULL)
		*reason_r = reason;
	return reason == NULL;
}

static void bind_scram(sqlite3_stmt *st, int first,
		       const struct store_scram *scram)
{
	if (scram == NULL) {
		for (int i = 0; i < 4; i++)
			sqlite3_bind_null(st, first + i);
		return;
	}
	sqlite3_bind_blob(st, first, scram->salt ? (const void *)scram->salt : "",
			  (int)scram->salt_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 1, scram->iterations);
	sqlite3_bind_blob(st, first + 2, scram->stored_key, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, first + 3, scram->server_key, 32, SQLITE_STATIC);
}

static int check_scram(struct store *s, const struct store_scram *scram)
{
	if (scram != NULL && (scram->salt_len > 1024 || scram->iterations == 0))
		return store_fail(s, STORE_EINVALID, "bad SCRAM parameters");
	return STORE_OK;
}

static int add_mailboxes(struct store *s, int64_t user_id)
{
	int ret = STORE_OK;

	for (size_t i = 0; i < sizeof(default_mailboxes) /
	     sizeof(default_mailboxes[0]) && ret == STORE_OK; i++) {
		uint32_t uidvalidity;
		ret = store_uidvalidity_next(s, &uidvalidity);
		if (ret != STORE_OK)
			break;
		sqlite3_stmt *st = store_stmt(s,
			"INSERT INTO mailboxes (user_id, name, uidvalidity, attrs) "
			"VALUES (?1, ?2, ?3, ?4)");
		if (st == NULL)
			return STORE_ESERVERBUG;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_text(st, 2, default_mailboxes[i].name, -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, uidvalidity);
		sqlite3_bind_int64(st, 4, default_mailboxes[i].attrs);
		ret = store_exec_stmt(s, st, "create mailbox");
		if (ret != STORE_OK)
			break;
		st = store_stmt(s, "INSERT OR IGNORE INTO subscriptions "
				"(user_id, name) VALUES (?1, ?2)");
		if (st == NULL)
			return STORE_ESERVERBUG;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_text(st, 2, default_mailboxes[i].name, -1,
				  SQLITE_STATIC);
		ret = store_exec_stmt(s, st, "subscribe");
	}
	return ret;
}

static int user_add_tx(struct store *s, const char *name, const char *hash,
		       const struct store_scram *scram, int64_t *id_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT 1 FROM users WHERE name = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return store_fail(s, STORE_EALREADYEXISTS,
				  "user %s already exists", name);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, "find user");
	st = store_stmt(s, "INSERT INTO users (name, password_hash, scram_salt,"
			" scram_iterations, scram_stored_key, scram_server_key)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	bind_scram(st, 3, scram);
	int ret = store_exec_stmt(s, st, "add user");
	if (ret != STORE_OK)
		return ret;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	if (id_r != NULL)
		*id_r = id;
	return add_mailboxes(s, id);
}

int store_sqlite_user_add(struct store *s, const char *name, const char *password_hash,
		   const struct store_scram *scram, int64_t *id_r,
		   const char **error_r)
{
	const char *reason;
	int ret;

	if (!store_user_name_valid(name, &reason))
		ret = store_fail(s, STORE_EINVALID, "%s", reason);
	else
		ret = check_scram(s, scram);
	if (ret == STORE_OK)
		ret = store_tx_write(s);
	if (ret == STORE_OK)
		ret = user_add_tx(s, name, password_hash, scram, id_r);
	return store_tx_end(s, ret, error_r);
}

static void read_user(sqlite3_stmt *st, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	u->name = xstrdup((const char *)sqlite3_column_text(st, 1));
	u->password_hash = xstrdup((const char *)sqlite3_column_text(st, 2));
	if (sqlite3_column_type(st, 3) == SQLITE_NULL ||
	    sqlite3_column_bytes(st, 5) != 32 ||
	    sqlite3_column_bytes(st, 6) != 32)
		return;
	u->has_scram = true;
	u->scram.salt_len = (size_t)sqlite3_column_bytes(st, 3);
	u->scram.salt = xmemdup(u->scram.salt_len ? sqlite3_column_blob(st, 3)
				: "", u->scram.salt_len);
	u->scram.iterations = (uint32_t)sqlite3_column_int64(st, 4);
	memcpy(u->scram.stored_key, sqlite3_column_blob(st, 5), 32);
	memcpy(u->scram.server_key, sqlite3_column_blob(st, 6), 32);
}

int store_sqlite_user_get(struct store *s, const char *name,
		   struct store_user *user_r, const char **error_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT id, name, password_hash, scram_salt, scram_iterations,"
		" scram_stored_key, scram_server_key FROM users WHERE name = ?1");
	int ret = STORE_OK;

	memset(user_r, 0, sizeof(*user_r));
	if (st == NULL) {
		store_error_out(s, error_r);
		return STORE_ESERVERBUG;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_user(st, user_r);
	else if (rc == SQLITE_DONE)
		ret = store_fail(s, STORE_ENONEXISTENT, "no such user");
	else
		ret = store_fail_db(s, "find user");
	sqlite3_reset(st);
	store_error_out(s, error_r);
	return ret;
}

void store_user_free(struct store_user *user)
{
	free(user->name);
	free(user->password_hash);
	free(user->scram.salt);
	memset(user, 0, sizeof(*user));
}

int store_sqlite_user_set_password(struct store *s, const char *name,
			    const char *password_hash,
			    const struct store_scram *scram,
			    const char **error_r)
{
	int ret = check_scram(s, scram);
	sqlite3_stmt *st = ret == STORE_OK ? store_stmt(s,
		"UPDATE users SET password_hash = ?2, scram_salt = ?3,"
		" scram_iterations = ?4, scram_stored_key = ?5,"
		" scram_server_key = ?6 WHERE name = ?1") : NULL;

	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, password_hash, -1, SQLITE_STATIC);
		bind_scram(st, 3, scram);
		ret = store_exec_stmt(s, st, "set password");
		if (ret == STORE_OK && sqlite3_changes(s->db) == 0)
			ret = store_fail(s, STORE_ENONEXISTENT, "no such user");
	} else if (ret == STORE_OK) {
		ret = STORE_ESERVERBUG;
	}
	store_error_out(s, error_r);
	return ret;
}

static int user_delete_tx(struct store *s, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT m.id FROM mailboxes m"
		" JOIN users u ON u.id = m.user_id WHERE u.name = ?1");
	int64_t *ids = NULL;
	size_t count = 0;
	int rc, ret = STORE_OK;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (count + 1) * sizeof(*ids));
		ids[count++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		ret = store_fail_db(s, "list mailboxes");
	sqlite3_reset(st);
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		ret = store_messages_delete_all(s, ids[i]);
		store_tx_changed(s, ids[i]);
	}
	free(ids);
	/* The user's ACL entries on others' mailboxes go too: a new account
	 * of the same name must not inherit them. */
	st = ret ? NULL : store_stmt(s, "DELETE FROM acl WHERE identifier IN"
		" (SELECT name FROM users WHERE name = ?1"
		"  UNION SELECT '-' || name FROM users WHERE name = ?1)");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		ret = store_exec_stmt(s, st, "delete acl entries");
	}
	if (ret != STORE_OK)
		return ret;
	st = store_stmt(s, "DELETE FROM users WHERE name = ?1");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ret = store_exec_stmt(s, st, "delete user");
	if (ret == STORE_OK && sqlite3_changes(s->db) == 0)
		ret = store_fail(s, STORE_ENONEXISTENT, "no such user");
	return ret;
}

int store_sqlite_user_delete(struct store *s, const char *name, const char **error_r)
{
	int ret = store_tx_write(s);

	if (ret == STORE_OK)
		ret = user_delete_tx(s, name);
	return store_tx_end(s, ret, error_r);
}

int store_sqlite_user_list(struct store *s, char ***names_r, size_t *count_r,
		    const char **error_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name FROM users ORDER BY name");
	char **names = xcalloc(1, sizeof(*names));
	size_t count = 0;
	int rc, ret = STORE_OK;

	if (st == NULL) {
		ret = STORE_ESERVERBUG;
	} else {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			names = xrealloc(names, (count + 2) * sizeof(*names));
			names[count++] = xstrdup(
				(const char *)sqlite3_column_text(st, 0));
			names[count] = NULL;
		}
		if (rc != SQLITE_DONE)
			ret = store_fail_db(s, "list users");
		sqlite3_reset(st);
	}
	if (ret != STORE_OK) {
		store_strings_free(names);
		names = NULL;
		count = 0;
	}
	*names_r = names;
	if (count_r != NULL)
		*count_r = count;
	store_error_out(s, error_r);
	return ret;
}

void store_strings_free(char **strings)
{
	if (strings == NULL)
		return;
	for (size_t i = 0; strings[i] != NULL; i++)
		free(strings[i]);
	free(strings);
}
