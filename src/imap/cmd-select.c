/* SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2). */
#include "imap/command.h"
#include "imap/mailbox-name.h"
#include "imap/view.h"
#include "store/store.h"

static bool select_mailbox(struct command *cmd, bool readonly)
{
	struct session *s = cmd->session;
	const char *name, *error = NULL;
	size_t len;
	struct buf utf8_name = BUF_INIT;

	if (cmd->args_count != 1 || !imap_arg_as_astring(&cmd->args[0], &name, &len))
		return command_bad(cmd, NULL, "%s needs a mailbox name",
				   readonly ? "EXAMINE" : "SELECT");
	/* RFC 6855 3: after ENABLE UTF8=ACCEPT the name comes in UTF-8. */
	if (!mailbox_name_from_client(s, name, len, &utf8_name, &name, &len,
				      &error)) {
		buf_free(&utf8_name);
		return command_bad(cmd, NULL, "%s", error);
	}
	/* RFC 3501 6.3.1: a SELECT, even a failing one, first leaves the
	 * mailbox that was selected. */
	mailbox_view_close(s);
	int r = mailbox_view_open(s, name, readonly, &error);
	buf_free(&utf8_name);
	if (r == STORE_ENONEXISTENT)
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	if (r != STORE_OK)
		return command_no(cmd, store_error_code(r), "%s", error);
	return command_ok(cmd, readonly ? "READ-ONLY" : "READ-WRITE",
			  "%s completed", readonly ? "Examine" : "Select");
}

bool cmd_select(struct command *cmd)
{
	return select_mailbox(cmd, false);
}

bool cmd_examine(struct command *cmd)
{
	return select_mailbox(cmd, true);
}
