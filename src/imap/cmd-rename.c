/* RENAME (RFC 3501 6.3.5, RFC 9051 6.3.6). */
#include <string.h>

#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

static bool rename_names(struct command *cmd, const char *from, const char *to)
{
	struct session *s = cmd->session;
	const char *error = NULL;

	/* INBOX always exists (RFC 3501 5.1), so nothing can become it. */
	if (mailbox_name_is_inbox(to, strlen(to)))
		return command_no(cmd, "ALREADYEXISTS", "INBOX always exists");
	struct store *st = session_store(s);
	if (st == NULL)
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	/* The store moves the children along, creates missing superiors of
	 * the new name, and for INBOX moves the messages only, as 6.3.5
	 * describes. */
	int r = store_mailbox_rename(st, s->user_id, from, to, &error);
	switch (r) {
	case STORE_OK:
		return command_ok(cmd, NULL, "RENAME completed");
	case STORE_ENONEXISTENT:
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	case STORE_EALREADYEXISTS:
		return command_no(cmd, "ALREADYEXISTS", "Target mailbox already exists");
	case STORE_EINVALID:
		return command_no(cmd, "CANNOT", "%s", error);
	default:
		return mailbox_name_reply_store_error(cmd, r, error);
	}
}

bool cmd_rename(struct command *cmd)
{
	struct buf from = BUF_INIT, to = BUF_INIT;
	bool done = false;

	if (cmd->args_count != 2)
		return command_bad(cmd, NULL, "RENAME takes two mailbox names");
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &from) ||
	    !mailbox_name_arg(cmd, &cmd->args[1], MAILBOX_NAME_NEW, &to))
		done = true;
	if (!done)
		rename_names(cmd, buf_cstr(&from), buf_cstr(&to));
	buf_free(&from);
	buf_free(&to);
	return true;
}
