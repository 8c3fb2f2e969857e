/* LOGIN (RFC 3501 6.2.3). */
#include <string.h>

#include "auth/password.h"
#include "imap/login.h"
#include "store/store.h"

bool cmd_login(struct command *cmd)
{
	struct session *s = cmd->session;
	const char *user, *password;
	size_t user_len, password_len;

	if (cmd->args_count != 2 ||
	    !imap_arg_as_astring(&cmd->args[0], &user, &user_len) ||
	    !imap_arg_as_astring(&cmd->args[1], &password, &password_len))
		return command_bad(cmd, NULL, "LOGIN needs a user name and a password");
	/* RFC 3501 6.2.3: with LOGINDISABLED advertised, LOGIN is refused. */
	if (!session_plaintext_allowed(s))
		return command_no(cmd, "PRIVACYREQUIRED",
				  "Plaintext login is not allowed without TLS");
	if (login_refuse_if_locked(cmd))
		return true;
	if (strlen(user) != user_len || strlen(password) != password_len)
		return login_fail(cmd, NULL, "LOGIN", "NUL in user name or password");

	struct store *st = session_store(s);
	struct store_user account;
	const char *error;
	if (st == NULL)
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	int code = store_user_get(st, user, &account, &error);
	if (login_store_unavailable(cmd, code))
		return true;
	if (code != STORE_OK) {
		/* Same cost as a real check, so timing does not tell which
		 * user names exist. */
		password_verify(password, password_dummy_hash());
		return login_fail(cmd, user, "LOGIN", "unknown user");
	}
	bool ok = password_verify(password, account.password_hash);
	store_user_free(&account);
	if (!ok)
		return login_fail(cmd, user, "LOGIN", "wrong password");
	return login_succeed(cmd, user, "LOGIN");
}
