/*
 * NAMESPACE (RFC 2342 5): the personal namespace with an empty prefix,
 * other users' mailboxes shared with the user under "Other Users/" and
 * the public user's under "Shared/" (store.h "Namespaces"), all with "/"
 * as delimiter.
 */
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

bool cmd_namespace(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "NAMESPACE takes no arguments");
	session_untagged(cmd->session,
			 "NAMESPACE ((\"\" \"%c\")) ((\"%s%c\" \"%c\")) "
			 "((\"%s%c\" \"%c\"))", MAILBOX_NAME_DELIM,
			 STORE_NS_OTHER, MAILBOX_NAME_DELIM, MAILBOX_NAME_DELIM,
			 STORE_NS_SHARED, MAILBOX_NAME_DELIM, MAILBOX_NAME_DELIM);
	return command_ok(cmd, NULL, "NAMESPACE completed");
}
