/*
 * NAMESPACE (RFC 2342 5). One personal namespace with an empty prefix and
 * "/" as delimiter; no other users' and no shared namespaces yet (ACL
 * sharing will add them).
 */
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"

bool cmd_namespace(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "NAMESPACE takes no arguments");
	session_untagged(cmd->session, "NAMESPACE ((\"\" \"%c\")) NIL NIL",
			 MAILBOX_NAME_DELIM);
	return command_ok(cmd, NULL, "NAMESPACE completed");
}
