/*
 * store/sqlite: the three namespaces (RFC 2342): a user's own mailboxes,
 * other users' ("Other Users/<owner>/<name>") and the public user's
 * ("Shared/<name>"). Names from clients are resolved to (owner, name in
 * the owner's tree) here; listing adds the shared mailboxes the actor may
 * see (RFC 4314 4: LIST needs l).
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

#define DELIM '/'

/* If name is prefix or starts with prefix + '/', returns what follows
 * ("" for the prefix itself); else NULL. */
static const char *after_prefix(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	if (strncmp(name, prefix, len) != 0)
		return NULL;
	if (name[len] == '\0')
		return name + len;
	return name[len] == DELIM ? name + len + 1 : NULL;
}

static int resolve_local(struct store *s, const char *rest,
			 struct store_ns_name *out)
{
	if (*rest == '\0') {
		out->node = true;
		return STORE_OK;
	}
	/* "Other Users/bob/inbox" is bob's INBOX. */
	if (store_mailbox_name_normalize(rest, &out->local) != STORE_OK)
		return store_fail(s, STORE_EINVALID, "invalid mailbox name");
	return STORE_OK;
}

static int resolve_other(struct store *s, int64_t user_id, const char *rest,
			 struct store_ns_name *out)
{
	const char *slash = strchr(rest, DELIM);
	struct buf owner = BUF_INIT;
	int64_t public_id = 0;
	int ret;

	if (*rest == '\0') {
		out->node = true;
		return STORE_OK;
	}
	buf_append(&owner, rest, slash ? (size_t)(slash - rest) : strlen(rest));
	ret = store_user_id(s, buf_cstr(&owner), &out->owner_id, NULL);
	buf_free(&owner);
	if (ret == STORE_OK &&
	    store_user_id(s, STORE_PUBLIC_USER, &public_id, NULL) != STORE_OK)
		public_id = 0;
	/* One name per mailbox: one's own are personal, the public user's
	 * are under Shared. */
	if (ret == STORE_OK &&
	    (out->owner_id == user_id || out->owner_id == public_id))
		ret = STORE_ENONEXISTENT;
	if (ret != STORE_OK)
		return ret == STORE_ENONEXISTENT ?
			store_fail(s, STORE_ENONEXISTENT, "no such mailbox") :
			ret;
	return resolve_local(s, slash ? slash + 1 : "", out);
}

int store_ns_resolve(struct store *s, int64_t user_id, const char *name,
		     struct store_ns_name *out)
{
	const char *rest;
	int ret;

	memset(out, 0, sizeof(*out));
	out->owner_id = user_id;
	if (store_mailbox_name_normalize(name, &out->local) != STORE_OK)
		return store_fail(s, STORE_EINVALID, "invalid mailbox name");
	/* out->local is the normalised whole name; look at that */
	char *full = xstrdup(buf_cstr(&out->local));
	if ((rest = after_prefix(full, STORE_NS_OTHER)) != NULL) {
		ret = resolve_other(s, user_id, rest, out);
	} else if ((rest = after_prefix(full, STORE_NS_SHARED)) != NULL) {
		ret = store_user_id(s, STORE_PUBLIC_USER, &out->owner_id, NULL);
		if (ret == STORE_OK && out->owner_id == user_id)
			ret = STORE_ENONEXISTENT;
		if (ret == STORE_ENONEXISTENT)
			ret = store_fail(s, ret, "no such mailbox");
		if (ret == STORE_OK)
			ret = resolve_local(s, rest, out);
	} else {
		ret = STORE_OK;
	}
	free(full);
	return ret;
}

void store_list_add(struct store_mailbox_list *list, size_t *cap,
		    const char *name, int64_t id, uint32_t attrs)
{
	if (list->count == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		list->entries = xrealloc(list->entries,
					 *cap * sizeof(*list->entries));
	}
	struct store_mailbox_entry *e = &list->entries[list->count++];
	e->name = xstrdup(name);
	e->id = id;
	e->attrs = attrs;
}

struct shared_row {
	int64_t id, owner_id;
	char *owner, *name;
	uint32_t attrs;
};

/* Candidates: other users' mailboxes that have an ACL, and all of the
 * public user's when the actor administers them. */
static int read_candidates(struct store *s, int64_t user_id,
			   struct shared_row **rows_r, size_t *count_r)
{
	int64_t public_id = 0;
	bool admin = false;
	int rc, ret = STORE_OK;

	if (store_user_id(s, STORE_PUBLIC_USER, &public_id, NULL) == STORE_OK)
		ret = store_actor_owns(s, public_id, &admin);
	sqlite3_stmt *st = ret ? NULL : store_stmt(s,
		"SELECT m.id, m.user_id, u.name, m.name, m.attrs"
		" FROM mailboxes m JOIN users u ON u.id = m.user_id"
		" WHERE m.user_id != ?1 AND (m.user_id = ?2 OR EXISTS"
		" (SELECT 1 FROM acl a WHERE a.mailbox_id = m.id))");
	if (st == NULL)
		return ret ? ret : STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, admin ? public_id : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rows_r = xrealloc(*rows_r, (*count_r + 1) * sizeof(**rows_r));
		struct shared_row *r = &(*rows_r)[(*count_r)++];
		r->id = sqlite3_column_int64(st, 0);
		r->owner_id = sqlite3_column_int64(st, 1);
		r->owner = xstrdup((const char *)sqlite3_column_text(st, 2));
		r->name = xstrdup((const char *)sqlite3_column_text(st, 3));
		r->attrs = (uint32_t)sqlite3_column_int64(st, 4);
		/* the public user's are Shared/, whoever lists */
		if (r->owner_id == public_id)
			r->owner_id = -r->owner_id;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "list shared");
}

/* Adds name unless the list already has it (namespace levels). */
static void add_node(struct store_mailbox_list *list, size_t *cap,
		     size_t first, const char *name)
{
	for (size_t i = first; i < list->count; i++) {
		if (strcmp(list->entries[i].name, name) == 0)
			return;
	}
	store_list_add(list, cap, name, 0, STORE_MBOX_NOSELECT);
}

int store_ns_list_shared(struct store *s, int64_t user_id,
			 struct store_mailbox_list *list, size_t *cap)
{
	struct shared_row *rows = NULL;
	struct buf name = BUF_INIT;
	size_t count = 0, first = list->count;
	int ret = read_candidates(s, user_id, &rows, &count);

	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		struct shared_row *r = &rows[i];
		bool public = r->owner_id < 0;
		int64_t owner = public ? -r->owner_id : r->owner_id;
		uint32_t rights = 0;
		ret = store_rights_of(s, r->id, owner, &rights);
		if (ret != STORE_OK || (rights & ACL_LOOKUP) == 0)
			continue;
		buf_reset(&name);
		if (public) {
			add_node(list, cap, first, STORE_NS_SHARED);
			buf_printf(&name, "%s/%s", STORE_NS_SHARED, r->name);
		} else {
			add_node(list, cap, first, STORE_NS_OTHER);
			buf_printf(&name, "%s/%s", STORE_NS_OTHER, r->owner);
			add_node(list, cap, first, buf_cstr(&name));
			buf_printf(&name, "/%s", r->name);
		}
		store_list_add(list, cap, buf_cstr(&name), r->id,
			       r->attrs & ~STORE_MBOX_SPECIAL_USE_MASK);
	}
	for (size_t i = 0; i < count; i++) {
		free(rows[i].owner);
		free(rows[i].name);
	}
	free(rows);
	buf_free(&name);
	return ret;
}
