/*
 * store: the rights rules of RFC 4314 shared by both backends
 * (acl-rules.h).
 */
#include <stdlib.h>
#include <strings.h>

#include "auth/acl-rights.h"
#include "store/acl-rules.h"
#include "store/backend.h"

uint32_t store_acl_rights_for(const struct store_acl *acl, const char *name)
{
	struct acl_entry *e = xcalloc(acl->count + 1, sizeof(*e));

	for (size_t i = 0; i < acl->count; i++) {
		e[i].identifier = acl->entries[i].identifier;
		e[i].rights = acl->entries[i].rights;
	}
	uint32_t rights = acl_rights_resolve(e, acl->count, name);
	free(e);
	return rights;
}

int store_acl_require(struct store *s, uint32_t rights, uint32_t need,
		      int hidden_code)
{
	const struct store_hooks *h = store_hooks_of(s);

	if ((rights & need) == need)
		return STORE_OK;
	/* RFC 4314 6: without l (or r, which SELECT needed) the mailbox
	 * must look as if it did not exist. */
	if (rights & (ACL_LOOKUP | ACL_READ))
		return h->fail(s, STORE_ENOPERM, "permission denied");
	return h->fail(s, hidden_code, "no such mailbox");
}

int store_acl_identifier(struct store *s, const char *identifier,
			 int64_t owner_id, struct buf *out)
{
	const struct store_hooks *h = store_hooks_of(s);
	bool negative = acl_identifier_is_negative(identifier);
	const char *id = identifier + (negative ? 1 : 0);
	struct buf name = BUF_INIT;
	int64_t uid;

	buf_reset(out);
	if (negative)
		buf_append_char(out, '-');
	if (strcasecmp(id, ACL_ANYONE) == 0) {
		buf_append_str(out, ACL_ANYONE);
		return STORE_OK;
	}
	int ret = h->user_id(s, id, &uid, &name);
	if (ret == STORE_ENONEXISTENT)
		ret = h->fail(s, STORE_EINVALID, "no such user");
	else if (ret == STORE_OK && uid == owner_id)
		ret = h->fail(s, STORE_ECANNOT,
			      "the owner always holds every right");
	if (ret == STORE_OK)
		buf_append(out, name.data, name.len);
	buf_free(&name);
	return ret;
}

uint32_t store_acl_apply(uint32_t current, bool delete, enum store_acl_op op,
			 uint32_t rights)
{
	if (delete)
		return 0;
	if (op == STORE_ACL_ADD)
		return current | rights;
	if (op == STORE_ACL_REMOVE)
		return current & ~rights;
	return rights;
}

void store_acl_letters(uint32_t rights, struct buf *out)
{
	buf_reset(out);
	acl_rights_write(rights & ACL_RIGHTS_ALL, out);
	while (out->len > 0 && (out->data[out->len - 1] == 'c' ||
				out->data[out->len - 1] == 'd'))
		buf_truncate(out, out->len - 1);
}

int store_acl_listrights_of(int ret, uint32_t *always_r, uint32_t *optional_r)
{
	*always_r = 0;
	*optional_r = ACL_RIGHTS_ALL;
	if (ret == STORE_ECANNOT) {
		*always_r = ACL_RIGHTS_ALL;
		*optional_r = 0;
		ret = STORE_OK;
	}
	return ret;
}

int store_acl_myrights_check(struct store *s, uint32_t rights)
{
	if ((rights & (ACL_LOOKUP | ACL_READ | ACL_INSERT | ACL_CREATE |
		       ACL_DELETE | ACL_ADMIN)) == 0)
		return store_hooks_of(s)->fail(s, STORE_ENONEXISTENT,
					       "no such mailbox");
	return STORE_OK;
}
