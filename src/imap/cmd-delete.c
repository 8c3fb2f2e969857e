/* DELETE (RFC 3501 6.3.4, RFC 9051 6.3.5). */
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "imap/view.h"
#include "store/store.h"

bool cmd_delete(struct command *cmd)
{
	struct session *s = cmd->session;
	struct buf name = BUF_INIT;
	struct store_mailbox mailbox;
	const char *error = NULL;

	if (cmd->args_count != 1)
		return command_bad(cmd, NULL, "DELETE takes one mailbox name");
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &name)) {
		buf_free(&name);
		return true;
	}
	/* RFC 3501 6.3.4: it is an error to delete INBOX; it can never
	 * succeed (RFC 5530 3: CANNOT). */
	if (mailbox_name_is_inbox(name.data, name.len)) {
		buf_free(&name);
		return command_no(cmd, "CANNOT", "INBOX cannot be deleted");
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	int r = store_mailbox_lookup(st, s->user_id, buf_cstr(&name), &mailbox, &error);
	if (r == STORE_OK)
		r = store_mailbox_delete(st, s->user_id, buf_cstr(&name), &error);
	buf_free(&name);
	if (r == STORE_ENONEXISTENT || r == STORE_EINVALID)
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	/* RFC 3501 6.3.4: a \Noselect name with inferiors cannot go; RFC 9051
	 * 7.1 names the code. */
	if (r == STORE_ECANNOT && (mailbox.attrs & STORE_MBOX_NOSELECT))
		return command_no(cmd, "HASCHILDREN",
				  "Name has inferior hierarchical names and is \\Noselect");
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);
	/* The selected mailbox lost all its messages (or its existence):
	 * leave it rather than stream EXPUNGEs for it, as Dovecot does, and
	 * say so, since the client now is in the authenticated state. The
	 * CLOSED code (RFC 9051 7.1) marks the end of the selected state. */
	if (s->view != NULL && s->view->mailbox_id == mailbox.id) {
		mailbox_view_close(s);
		session_untagged(s, "OK [CLOSED] Selected mailbox was deleted");
	}
	return command_ok(cmd, NULL, "DELETE completed");
}
