/* CREATE (RFC 3501 6.3.3). */
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

bool cmd_create(struct command *cmd)
{
	struct session *s = cmd->session;
	struct buf name = BUF_INIT;
	const char *error = NULL;

	if (cmd->args_count != 1)
		return command_bad(cmd, NULL, "CREATE takes one mailbox name");
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_NEW, &name)) {
		buf_free(&name);
		return true;
	}
	/* RFC 3501 6.3.3: it is an error to create INBOX; it always exists
	 * (RFC 5530 3: ALREADYEXISTS). */
	if (mailbox_name_is_inbox(name.data, name.len)) {
		buf_free(&name);
		return command_no(cmd, "ALREADYEXISTS", "INBOX always exists");
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	/* The store creates missing superior names (RFC 3501 6.3.3 SHOULD). */
	int r = store_mailbox_create(st, s->user_id, buf_cstr(&name), 0, NULL,
				     &error);
	buf_free(&name);
	if (r == STORE_EALREADYEXISTS)
		return command_no(cmd, "ALREADYEXISTS", "Mailbox already exists");
	if (r == STORE_EINVALID)
		return command_no(cmd, "CANNOT", "%s", error);
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);
	return command_ok(cmd, NULL, "CREATE completed");
}
