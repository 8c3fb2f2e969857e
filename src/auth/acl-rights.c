/* ACL rights arithmetic (RFC 4314 2, 3.1). */
#include "auth/acl-rights.h"

#include <string.h>
#include <strings.h>

/* RFC 4314 2.1.1, the choice documented in the header. */
#define ACL_CREATE_MEMBERS ACL_CREATE
#define ACL_DELETE_MEMBERS (ACL_DELETE | ACL_DELETED | ACL_EXPUNGE)

static uint32_t letter_right(char c)
{
	const char *p = strchr(ACL_RIGHTS_LETTERS, c);

	if (c == '\0' || p == NULL)
		return 0;
	return 1u << (p - ACL_RIGHTS_LETTERS);
}

int acl_rights_parse(const char *s, size_t len, uint32_t *rights_r,
		     const char **error_r)
{
	uint32_t rights = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == 'c') {
			rights |= ACL_CREATE_MEMBERS;
		} else if (c == 'd') {
			rights |= ACL_DELETE_MEMBERS;
		} else if (letter_right(c) != 0) {
			rights |= letter_right(c);
		} else {
			/* RFC 4314 2: uppercase rights are not allowed. */
			*error_r = c >= 'A' && c <= 'Z' ?
				"Uppercase rights are not allowed" :
				"Unsupported right";
			return -1;
		}
	}
	*rights_r = rights;
	return 0;
}

int acl_rights_modify(uint32_t current, const char *mod, size_t len,
		      uint32_t *rights_r, const char **error_r)
{
	uint32_t change;
	char op = len > 0 ? mod[0] : '\0';
	size_t skip = op == '+' || op == '-' ? 1 : 0;

	if (acl_rights_parse(mod + skip, len - skip, &change, error_r) < 0)
		return -1;
	if (op == '+')
		*rights_r = current | change;
	else if (op == '-')
		*rights_r = current & ~change;
	else
		*rights_r = change;
	return 0;
}

void acl_rights_write(uint32_t rights, struct buf *out)
{
	for (size_t i = 0; ACL_RIGHTS_LETTERS[i] != '\0'; i++) {
		if (rights & (1u << i))
			buf_append_char(out, ACL_RIGHTS_LETTERS[i]);
	}
	if (rights & ACL_CREATE_MEMBERS)
		buf_append_char(out, 'c');
	if (rights & ACL_DELETE_MEMBERS)
		buf_append_char(out, 'd');
}

bool acl_identifier_is_negative(const char *identifier)
{
	return identifier[0] == '-';
}

static bool identifier_matches(const char *id, const char *user)
{
	return strcasecmp(id, ACL_ANYONE) == 0 || strcasecmp(id, user) == 0;
}

uint32_t acl_rights_resolve(const struct acl_entry *entries, size_t count,
			    const char *user)
{
	uint32_t granted = 0, denied = 0;

	for (size_t i = 0; i < count; i++) {
		const char *id = entries[i].identifier;
		if (acl_identifier_is_negative(id)) {
			if (identifier_matches(id + 1, user))
				denied |= entries[i].rights;
		} else if (identifier_matches(id, user)) {
			granted |= entries[i].rights;
		}
	}
	return granted & ~denied & ACL_RIGHTS_ALL;
}
