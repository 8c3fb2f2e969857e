/*
 * XQUIREVERSION: a site-specific X command (RFC 3501 6.5.1), registered in
 * the command table like any other to keep the X-command path tested.
 * Answers `* XQUIREVERSION "<version>"`.
 */
#include "imap/command.h"
#include "imap/version.h"

bool cmd_xquireversion(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "XQUIREVERSION takes no arguments");
	session_untagged(cmd->session, "XQUIREVERSION \"%s\"", QUIRE_VERSION);
	return command_ok(cmd, NULL, "Version completed");
}
