/*
 * store/sqlite: LIST support: every mailbox of a user with its attributes,
 * and the shared mailboxes the actor may see (RFC 2342, RFC 4314 4: LIST
 * needs l), merged with the subscriptions (store/listing.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/namespace.h"
#include "store/sqlite/internal.h"

static int read_names(struct store *s, sqlite3_stmt *st, int64_t user_id,
		      char ***names_r, size_t *count_r)
{
	size_t count = 0;
	char **names = NULL;
	int rc;

	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	*names_r = names;
	*count_r = count;
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "list");
}

struct shared_row {
	int64_t id, owner_id;
	char *owner, *name;
	uint32_t attrs;
};

/* Candidates: other users' mailboxes that have an ACL, and all of the
 * public user's when the actor administers them. All rows are read before
 * the rights of any (which run statements of their own). */
static int read_candidates(struct store *s, int64_t user_id,
			   int64_t *public_id_r, struct shared_row **rows_r,
			   size_t *count_r)
{
	bool admin = false;
	int rc, ret = STORE_OK;

	*public_id_r = 0;
	if (store_user_id(s, STORE_PUBLIC_USER, public_id_r, NULL) == STORE_OK)
		ret = store_actor_owns(s, *public_id_r, &admin);
	else
		*public_id_r = 0;
	sqlite3_stmt *st = ret ? NULL : store_stmt(s,
		"SELECT m.id, m.user_id, u.name, m.name, m.attrs"
		" FROM mailboxes m JOIN users u ON u.id = m.user_id"
		" WHERE m.user_id != ?1 AND (m.user_id = ?2 OR EXISTS"
		" (SELECT 1 FROM acl a WHERE a.mailbox_id = m.id))");
	if (st == NULL)
		return ret ? ret : STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, admin ? *public_id_r : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rows_r = xrealloc(*rows_r, (*count_r + 1) * sizeof(**rows_r));
		struct shared_row *r = &(*rows_r)[(*count_r)++];
		r->id = sqlite3_column_int64(st, 0);
		r->owner_id = sqlite3_column_int64(st, 1);
		r->owner = xstrdup((const char *)sqlite3_column_text(st, 2));
		r->name = xstrdup((const char *)sqlite3_column_text(st, 3));
		r->attrs = (uint32_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "list shared");
}

/* The other users' and public mailboxes the actor may list (namespace.h). */
static int list_shared(struct store *s, int64_t user_id,
		       struct store_mailbox_list *list, size_t *cap)
{
	struct shared_row *rows = NULL;
	size_t count = 0;
	int64_t public_id;
	int ret = read_candidates(s, user_id, &public_id, &rows, &count);
	struct store_ns_candidate *c = xcalloc(count + 1, sizeof(*c));

	for (size_t i = 0; i < count; i++) {
		c[i].id = rows[i].id;
		c[i].owner_id = rows[i].owner_id;
		c[i].owner = rows[i].owner;
		c[i].name = rows[i].name;
		c[i].attrs = rows[i].attrs;
	}
	if (ret == STORE_OK)
		ret = store_ns_list_shared(s, public_id, c, count, list, cap);
	for (size_t i = 0; i < count; i++) {
		free(rows[i].owner);
		free(rows[i].name);
	}
	free(rows);
	free(c);
	return ret;
}

/* The existing mailboxes: the user's own, then the shared ones. */
static int read_mailboxes(struct store *s, int64_t user_id,
			  struct store_mailbox_list *list, size_t *cap)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name, id, attrs FROM mailboxes"
				      " WHERE user_id = ?1");
	int rc;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_list_add(list, cap, (const char *)sqlite3_column_text(st, 0),
			       sqlite3_column_int64(st, 1),
			       (uint32_t)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, "list mailboxes");
	return list_shared(s, user_id, list, cap);
}

static int list_tx(struct store *s, int64_t user_id,
		   struct store_mailbox_list *list)
{
	struct store_mailbox_list found = { 0 };
	sqlite3_stmt *st;
	char **subs = NULL;
	size_t sub_count = 0, found_cap = 0;
	int ret;

	st = store_stmt(s, "SELECT name FROM subscriptions WHERE user_id = ?1"
			" ORDER BY name");
	if (st == NULL)
		return STORE_ESERVERBUG;
	ret = read_names(s, st, user_id, &subs, &sub_count);
	if (ret == STORE_OK)
		ret = read_mailboxes(s, user_id, &found, &found_cap);
	store_list_merge(&found, (const char *const *)subs, sub_count, list);
	for (size_t i = 0; i < sub_count; i++)
		free(subs[i]);
	free(subs);
	store_mailbox_list_free(&found);
	return ret;
}

int store_sqlite_mailbox_list(struct store *s, int64_t user_id,
		       struct store_mailbox_list *list_r, const char **error_r)
{
	int ret = store_tx_read(s);

	list_r->entries = NULL;
	list_r->count = 0;
	if (ret == STORE_OK) {
		ret = list_tx(s, user_id, list_r);
		store_tx_rollback(s);
	}
	if (ret != STORE_OK)
		store_mailbox_list_free(list_r);
	store_error_out(s, error_r);
	return ret;
}
