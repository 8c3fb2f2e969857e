/* CAPABILITY (RFC 3501 6.1.1). */
#include "imap/capability.h"
#include "imap/command.h"

bool cmd_capability(struct command *cmd)
{
	struct buf line = BUF_INIT;

	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "CAPABILITY takes no arguments");
	buf_append_str(&line, "* CAPABILITY ");
	capability_write(cmd->session, &line);
	buf_append(&line, "\r\n", 2);
	session_write(cmd->session, line.data, line.len);
	buf_free(&line);
	return command_ok(cmd, NULL, "Capability completed");
}
