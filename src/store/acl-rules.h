#ifndef QUIRE_STORE_ACL_RULES_H
#define QUIRE_STORE_ACL_RULES_H
/*
 * Private to src/store: the rights rules of RFC 4314 for every backend;
 * the backend reads and writes the ACL rows, these decide. Errors go
 * through the backend's hooks (store_hooks_of, backend.h).
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

/* The rights acl grants the user named name (acl_rights_resolve:
 * negative entries and "anyone" applied). */
uint32_t store_acl_rights_for(const struct store_acl *acl, const char *name);
/*
 * Checks that rights has every bit of need. Returns STORE_OK; else
 * STORE_ENOPERM when the actor may see the mailbox (l or r), else
 * hidden_code (STORE_ENONEXISTENT or STORE_ETRYCREATE) with the text a
 * missing mailbox gets.
 */
int store_acl_require(struct store *s, uint32_t rights, uint32_t need,
		      int hidden_code);
/* Canonical form of an identifier into out: "anyone" lower case, user
 * names as the account is spelled, the '-' kept. Unknown user:
 * STORE_EINVALID; the owner (owner_id): STORE_ECANNOT. */
int store_acl_identifier(struct store *s, const char *identifier,
			 int64_t owner_id, struct buf *out);
/* An entry's rights after SETACL (op with rights) or DELETEACL (delete). */
uint32_t store_acl_apply(uint32_t current, bool delete, enum store_acl_op op,
			 uint32_t rights);
/* The letters stored for rights into out (reset first): without the
 * virtual c and d, which are for the wire only. */
void store_acl_letters(uint32_t rights, struct buf *out);
/* LISTRIGHTS from the result ret of store_acl_identifier: no rights are
 * tied, each may be granted alone; the owner (STORE_ECANNOT) holds them
 * all, always. Returns ret, STORE_OK for the owner. */
int store_acl_listrights_of(int ret, uint32_t *always_r, uint32_t *optional_r);
/* RFC 4314 4: MYRIGHTS needs any of l r i k x a; else STORE_ENONEXISTENT. */
int store_acl_myrights_check(struct store *s, uint32_t rights);

#endif
