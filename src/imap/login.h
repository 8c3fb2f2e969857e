#ifndef QUIRE_IMAP_LOGIN_H
#define QUIRE_IMAP_LOGIN_H
/*
 * What LOGIN and AUTHENTICATE share: the per-address lockout, the growing
 * delay before a failure is answered, the per-connection failure limit,
 * and the switch to the authenticated state.
 */
#include <stdbool.h>

#include "imap/command.h"

struct sasl_credentials_ops;

/* If the client's address is locked out, answers NO and returns true. */
bool login_refuse_if_locked(struct command *cmd);

/* Logs the user in and answers OK with the new capabilities (RFC 3501
 * 6.2.3 allows them in the tagged reply). Returns true (replied). */
bool login_succeed(struct command *cmd, const char *user, const char *mech);

/* If store_code is STORE_EUNAVAILABLE, answers NO [UNAVAILABLE] without
 * counting a failed login, and returns true; else returns false. */
bool login_store_unavailable(struct command *cmd, int store_code);

/*
 * Records a failure and answers NO [AUTHENTICATIONFAILED] after the growing
 * delay; past auth_max_failures the connection is closed. reason goes to
 * the log only. When a credential lookup just failed because the store
 * was unavailable, answers NO [UNAVAILABLE] instead, counting nothing.
 * Returns what the handler returns: false while the delay
 * runs (the command resumes by itself), true if it answered at once.
 */
bool login_fail(struct command *cmd, const char *user, const char *mech,
		const char *reason);

/* Credential lookups for SASL, backed by the store. ctx is the session. */
extern const struct sasl_credentials_ops login_credentials_ops;

#endif
