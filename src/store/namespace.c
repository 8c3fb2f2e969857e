/*
 * store: the namespaces of RFC 2342 for both backends (namespace.h). What
 * needs the database (user ids, rights) goes through the backend's hooks.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/backend.h"
#include "store/common.h"
#include "store/namespace.h"

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
		return store_hooks_of(s)->fail(s, STORE_EINVALID,
					       "invalid mailbox name");
	return STORE_OK;
}

static int resolve_other(struct store *s, int64_t user_id, const char *rest,
			 struct store_ns_name *out)
{
	const struct store_hooks *h = store_hooks_of(s);
	const char *slash = strchr(rest, DELIM);
	struct buf owner = BUF_INIT;
	int64_t public_id = 0;
	int ret;

	if (*rest == '\0') {
		out->node = true;
		return STORE_OK;
	}
	buf_append(&owner, rest, slash ? (size_t)(slash - rest) : strlen(rest));
	ret = h->user_id(s, buf_cstr(&owner), &out->owner_id, NULL);
	buf_free(&owner);
	if (ret == STORE_OK &&
	    h->user_id(s, STORE_PUBLIC_USER, &public_id, NULL) != STORE_OK)
		public_id = 0;
	/* One name per mailbox: one's own are personal, the public user's
	 * are under Shared. */
	if (ret == STORE_OK &&
	    (out->owner_id == user_id || out->owner_id == public_id))
		ret = STORE_ENONEXISTENT;
	if (ret != STORE_OK)
		return ret == STORE_ENONEXISTENT ?
			h->fail(s, STORE_ENONEXISTENT, "no such mailbox") :
			ret;
	return resolve_local(s, slash ? slash + 1 : "", out);
}

int store_ns_resolve(struct store *s, int64_t user_id, const char *name,
		     struct store_ns_name *out)
{
	const struct store_hooks *h = store_hooks_of(s);
	const char *rest;
	int ret = STORE_OK;

	memset(out, 0, sizeof(*out));
	out->owner_id = user_id;
	if (store_mailbox_name_normalize(name, &out->local) != STORE_OK)
		return h->fail(s, STORE_EINVALID, "invalid mailbox name");
	/* out->local is the normalised whole name; look at that */
	char *full = xstrdup(buf_cstr(&out->local));
	if ((rest = after_prefix(full, STORE_NS_OTHER)) != NULL) {
		ret = resolve_other(s, user_id, rest, out);
	} else if ((rest = after_prefix(full, STORE_NS_SHARED)) != NULL) {
		ret = h->user_id(s, STORE_PUBLIC_USER, &out->owner_id, NULL);
		if (ret == STORE_OK && out->owner_id == user_id)
			ret = STORE_ENONEXISTENT;
		if (ret == STORE_ENONEXISTENT)
			ret = h->fail(s, ret, "no such mailbox");
		if (ret == STORE_OK)
			ret = resolve_local(s, rest, out);
	}
	free(full);
	return ret;
}

int store_ns_resolve_mailbox(struct store *s, int64_t user_id,
			     const char *name, struct store_ns_name *out)
{
	int ret = store_ns_resolve(s, user_id, name, out);

	if (ret == STORE_OK && out->node)
		ret = store_hooks_of(s)->fail(s, STORE_ENONEXISTENT,
					      "no such mailbox");
	return ret;
}

int store_ns_resolve_change(struct store *s, int64_t user_id,
			    const char *name, struct store_ns_name *out)
{
	int ret = store_ns_resolve(s, user_id, name, out);

	if (ret == STORE_OK && out->node)
		ret = store_hooks_of(s)->fail(s, STORE_ECANNOT,
					      "name reserved for a namespace");
	return ret;
}

int store_ns_resolve_create(struct store *s, int64_t user_id,
			    const char *name, struct store_ns_name *out)
{
	int ret = store_ns_resolve_change(s, user_id, name, out);

	if (ret == STORE_ENONEXISTENT)
		ret = store_hooks_of(s)->fail(s, STORE_ENOPERM,
					      "permission denied");
	return ret;
}

int store_ns_resolve_rename(struct store *s, int64_t user_id,
			    const char *old_name, const char *new_name,
			    struct store_ns_name *from,
			    struct store_ns_name *to)
{
	const struct store_hooks *h = store_hooks_of(s);
	int ret = store_ns_resolve_change(s, user_id, old_name, from);

	memset(to, 0, sizeof(*to));
	if (ret == STORE_ECANNOT)
		ret = h->fail(s, STORE_ENONEXISTENT, "no such mailbox");
	if (ret == STORE_OK)
		ret = store_ns_resolve_create(s, user_id, new_name, to);
	if (ret == STORE_OK && to->owner_id != from->owner_id)
		ret = h->fail(s, STORE_ECANNOT, "cannot rename a"
			      " mailbox into another user's tree");
	return ret;
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

int store_ns_list_shared(struct store *s, int64_t public_id,
			 const struct store_ns_candidate *rows, size_t count,
			 struct store_mailbox_list *list, size_t *cap)
{
	const struct store_hooks *h = store_hooks_of(s);
	struct buf name = BUF_INIT;
	size_t first = list->count;
	int ret = STORE_OK;

	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		const struct store_ns_candidate *r = &rows[i];
		uint32_t rights = 0;
		ret = h->rights_of(s, r->id, r->owner_id, &rights);
		if (ret != STORE_OK || (rights & ACL_LOOKUP) == 0)
			continue;
		buf_reset(&name);
		if (r->owner_id == public_id) {
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
	buf_free(&name);
	return ret;
}
