#ifndef QUIRE_AUTH_ACL_RIGHTS_H
#define QUIRE_AUTH_ACL_RIGHTS_H
/*
 * ACL rights arithmetic (RFC 4314 2, 2.1, 2.1.1, 3.1): rights strings to
 * bitmasks and back, SETACL's +/- modifiers, and how the entries of one
 * mailbox's ACL combine into one user's rights. No I/O: the store keeps the
 * entries and calls these.
 *
 * Quire's choices where the RFC leaves one:
 *  - the obsolete "c" is the "create" right = {k}, and "d" the "delete"
 *    right = {x, t, e} (RFC 4314 2.1.1, second group: c = k and DELETE
 *    controlled by x). Both are returned after the real rights whenever
 *    one of their members is present;
 *  - no rights are tied: each of l r s w i p k x t e a may be granted alone;
 *  - a user's rights are the union of the entries for their name and for
 *    "anyone", minus the union of the negative entries "-name" and
 *    "-anyone" (RFC 4314 2: negative rights);
 *  - digits (site-defined rights) are not supported: they are refused like
 *    any unknown right.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum acl_right {
	ACL_LOOKUP = 1u << 0,  /* l */
	ACL_READ = 1u << 1,    /* r */
	ACL_SEEN = 1u << 2,    /* s */
	ACL_WRITE = 1u << 3,   /* w */
	ACL_INSERT = 1u << 4,  /* i */
	ACL_POST = 1u << 5,    /* p */
	ACL_CREATE = 1u << 6,  /* k */
	ACL_DELETE = 1u << 7,  /* x */
	ACL_DELETED = 1u << 8, /* t: set/clear \Deleted */
	ACL_EXPUNGE = 1u << 9, /* e */
	ACL_ADMIN = 1u << 10,  /* a */
};
#define ACL_RIGHTS_ALL 0x7ffu
/* The letters of ACL_RIGHTS_ALL in bit order. */
#define ACL_RIGHTS_LETTERS "lrswipkxtea"
/* RFC 4314 5.1.1: the rights beyond RFC 2086, for RIGHTS= */
#define ACL_RIGHTS_CAPABILITY "texk"
/* The identifier every user matches (RFC 4314 2). */
#define ACL_ANYONE "anyone"

/*
 * Parses a rights string (no +/- prefix) into a bitmask, expanding "c" and
 * "d". Returns 0, or -1 with *error_r (static text) for an uppercase letter
 * or any character that is not a supported right (RFC 4314 3.1: "MUST
 * NOT silently ignore unrecognized rights").
 */
int acl_rights_parse(const char *s, size_t len, uint32_t *rights_r,
		     const char **error_r);

/*
 * Applies a SETACL mod-rights string to current: "+r" adds, "-r" removes,
 * "r" replaces (RFC 4314 3.1). Same errors as acl_rights_parse.
 */
int acl_rights_modify(uint32_t current, const char *mod, size_t len,
		      uint32_t *rights_r, const char **error_r);

/* Appends the rights in canonical order ("lrswipkxtea"), then "c" if k is
 * present and "d" if any of x, t, e is (RFC 4314 2.1.1). Nothing for 0. */
void acl_rights_write(uint32_t rights, struct buf *out);

/* One stored ACL entry: identifier ("bob", "-bob", "anyone", "-anyone"). */
struct acl_entry {
	const char *identifier;
	uint32_t rights;
};

/*
 * The rights user (a canonical user name, compared ignoring ASCII case)
 * gets from entries: positive entries for user and "anyone", minus the
 * negative ones for "-user" and "-anyone".
 */
uint32_t acl_rights_resolve(const struct acl_entry *entries, size_t count,
			    const char *user);

/* True when identifier is a negative one ("-bob"). */
bool acl_identifier_is_negative(const char *identifier);

#endif
