#ifndef QUIRE_STORE_NAMESPACE_H
#define QUIRE_STORE_NAMESPACE_H
/*
 * Private to src/store: the three namespaces (RFC 2342) for every
 * backend: a user's own mailboxes, other users' ("Other Users/<owner>/
 * <name>") and the public user's ("Shared/<name>"). Client names are
 * resolved to (owner, name in the owner's tree) here; the backend is
 * reached only through its hooks (store_hooks_of, backend.h), inside its
 * open transaction if it has one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

struct store_ns_name {
	int64_t owner_id;
	struct buf local;           /* the name in the owner's tree */
	bool node;                  /* a namespace level, not a mailbox name:
				       "Other Users", "Other Users/bob",
				       "Shared" */
};

/* Resolves a client name for user_id (normalising it). Unknown owner, the
 * user's own name or the public user under "Other Users", or "Shared"
 * without a public user: STORE_ENONEXISTENT; bad name: STORE_EINVALID
 * (error text set). Free out->local with buf_free whatever the result. */
int store_ns_resolve(struct store *s, int64_t user_id, const char *name,
		     struct store_ns_name *out);
/* store_ns_resolve for a name that must be a mailbox (lookup, delete):
 * a namespace level is STORE_ENONEXISTENT too. */
int store_ns_resolve_mailbox(struct store *s, int64_t user_id,
			     const char *name, struct store_ns_name *out);
/* store_ns_resolve for a name to be created or changed: namespace levels
 * are not mailboxes and cannot become ones (STORE_ECANNOT). */
int store_ns_resolve_change(struct store *s, int64_t user_id,
			    const char *name, struct store_ns_name *out);
/* For CREATE: store_ns_resolve_change, where an owner that is unknown is
 * as forbidden as a known one: STORE_ENOPERM. */
int store_ns_resolve_create(struct store *s, int64_t user_id,
			    const char *name, struct store_ns_name *out);
/* For RENAME: the old name must be a mailbox (STORE_ENONEXISTENT), the new
 * one as for CREATE, and both in one owner's tree (else STORE_ECANNOT).
 * Free both ->local with buf_free whatever the result. */
int store_ns_resolve_rename(struct store *s, int64_t user_id,
			    const char *old_name, const char *new_name,
			    struct store_ns_name *from,
			    struct store_ns_name *to);

/* A mailbox of another user that LIST may show (strings borrowed). */
struct store_ns_candidate {
	int64_t id, owner_id;
	const char *owner;          /* the owner's user name */
	const char *name;           /* in the owner's tree */
	uint32_t attrs;
};
/* Appends to list the candidates the actor may list (RFC 4314 4: l) under
 * their namespace names (public_id's under "Shared", the others' under
 * "Other Users/<owner>"), with the namespace levels above them as
 * \Noselect entries, each once. */
int store_ns_list_shared(struct store *s, int64_t public_id,
			 const struct store_ns_candidate *rows, size_t count,
			 struct store_mailbox_list *list, size_t *cap);

#endif
