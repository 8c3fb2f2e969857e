/* NOOP (RFC 3501 6.1.2): does nothing but let the session send the updates
 * of its selected mailbox, which command_ok does for every command. */
#include "imap/command.h"

bool cmd_noop(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "NOOP takes no arguments");
	return command_ok(cmd, NULL, "NOOP completed");
}
