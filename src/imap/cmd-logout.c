/* LOGOUT (RFC 3501 6.1.3): BYE, then the tagged OK, then close. */
#include "core/log.h"
#include "imap/command.h"

bool cmd_logout(struct command *cmd)
{
	struct session *s = cmd->session;

	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "LOGOUT takes no arguments");
	session_write_str(s, "* BYE Logging out\r\n");
	/* Leave the selected state first: no updates after BYE. */
	s->state = SESSION_LOGOUT;
	command_ok(cmd, NULL, "Logout completed");
	session_close(s, "logout");
	return true;
}
