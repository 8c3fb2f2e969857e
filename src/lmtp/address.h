#ifndef QUIRE_LMTP_ADDRESS_H
#define QUIRE_LMTP_ADDRESS_H
/*
 * The paths of MAIL FROM and RCPT TO (RFC 5321 4.1.2) as an MTA sends
 * them, and the local part a mailbox owner is found by.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/*
 * Parses `<path> [params]` (spaces before '<' allowed; a missing '<' ... '>'
 * around a bare address is accepted, as Postfix never sends one but
 * hand-typed sessions do). A source route ("@a,@b:user@c") is dropped.
 * Appends the address without brackets to addr (empty for the null path
 * "<>") and points *params_r at the parameters (after spaces; "" if none).
 * Returns 0, or -1 with a static reason in *reason_r (unbalanced brackets,
 * control characters, spaces outside quotes, longer than 512 bytes).
 */
int lmtp_address_parse(const char *arg, size_t len, struct buf *addr,
		       const char **params_r, const char **reason_r);

/*
 * The local part of addr (before the last '@', or all of it), with a quoted
 * string's quotes and backslashes removed, into out (reset first).
 */
void lmtp_address_local_part(const char *addr, struct buf *out);

/*
 * Splits a local part at the first '+': user[0..*user_len_r) and the detail
 * after it. Returns false (nothing set) when there is no '+' or either side
 * is empty.
 */
bool lmtp_address_detail(const char *local, size_t *user_len_r,
			 const char **detail_r);

/*
 * Finds the ESMTP parameter name (case-insensitive) in params
 * ("SIZE=123 BODY=8BITMIME"). Returns its value (up to the next space, in
 * value_len_r; "" for a parameter without '='), or NULL if absent.
 */
const char *lmtp_param_find(const char *params, const char *name,
			    size_t *value_len_r);

#endif
