/*
 * store/sqlite: LIST support: every mailbox of a user with its attributes,
 * merged with the subscriptions.
 */
#include <stdlib.h>
#include <string.h>

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

/* Entries are sorted bytewise, so the names that start with an entry's name
 * directly follow it; HASCHILDREN looks there for "name/..." that exists. */
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

static int entry_cmp(const void *a, const void *b)
{
	const struct store_mailbox_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
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
	return store_ns_list_shared(s, user_id, list, cap);
}

static int list_tx(struct store *s, int64_t user_id,
		   struct store_mailbox_list *list)
{
	struct store_mailbox_list found = { 0 };
	sqlite3_stmt *st;
	char **subs = NULL;
	size_t sub_count = 0, cap = 0, found_cap = 0, k = 0;
	int ret;

	st = store_stmt(s, "SELECT name FROM subscriptions WHERE user_id = ?1"
			" ORDER BY name");
	if (st == NULL)
		return STORE_ESERVERBUG;
	ret = read_names(s, st, user_id, &subs, &sub_count);
	if (ret == STORE_OK)
		ret = read_mailboxes(s, user_id, &found, &found_cap);
	if (found.count > 1)
		qsort(found.entries, found.count, sizeof(*found.entries),
		      entry_cmp);
	/* merge: subscriptions to names that do not exist come in between */
	for (size_t i = 0; i < found.count; i++) {
		struct store_mailbox_entry *e = &found.entries[i];
		for (; k < sub_count && strcmp(subs[k], e->name) < 0; k++)
			store_list_add(list, &cap, subs[k], 0,
				       STORE_MBOX_SUBSCRIBED |
				       STORE_MBOX_NONEXISTENT);
		if (k < sub_count && strcmp(subs[k], e->name) == 0) {
			e->attrs |= STORE_MBOX_SUBSCRIBED;
			k++;
		}
		store_list_add(list, &cap, e->name, e->id, e->attrs);
	}
	for (; k < sub_count; k++)
		store_list_add(list, &cap, subs[k], 0,
			       STORE_MBOX_SUBSCRIBED | STORE_MBOX_NONEXISTENT);
	for (size_t i = 0; i < sub_count; i++)
		free(subs[i]);
	free(subs);
	store_mailbox_list_free(&found);
	mark_children(list);
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

void store_mailbox_list_free(struct store_mailbox_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->entries[i].name);
	free(list->entries);
	list->entries = NULL;
	list->count = 0;
}
