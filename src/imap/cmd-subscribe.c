/* SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7). */
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

static bool subscription(struct command *cmd, bool subscribe)
{
	struct session *s = cmd->session;
	const char *word = subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
	struct buf name = BUF_INIT;
	const char *error = NULL;

	if (cmd->args_count != 1)
		return command_bad(cmd, NULL, "%s takes one mailbox name", word);
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &name)) {
		buf_free(&name);
		return true;
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	/* RFC 3501 6.3.6 lets a name be subscribed whether or not it exists
	 * (it may come back, or live on another server); the store keeps it
	 * either way and never drops it on its own. */
	int r = store_mailbox_subscribe(st, s->user_id, buf_cstr(&name),
					subscribe, &error);
	buf_free(&name);
	if (r == STORE_ENONEXISTENT)
		return command_no(cmd, "NONEXISTENT", "Mailbox is not subscribed");
	if (r == STORE_EINVALID)
		return command_no(cmd, "CANNOT", "%s", error);
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);
	return command_ok(cmd, NULL, "%s completed", word);
}

bool cmd_subscribe(struct command *cmd)
{
	return subscription(cmd, true);
}

bool cmd_unsubscribe(struct command *cmd)
{
	return subscription(cmd, false);
}
