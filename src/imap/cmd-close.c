/* CLOSE (RFC 3501 6.4.2) and UNSELECT (RFC 3691). */
#include <stdlib.h>

#include "core/log.h"
#include "imap/command.h"
#include "imap/view.h"
#include "store/store.h"

bool cmd_close(struct command *cmd)
{
	struct session *s = cmd->session;

	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "CLOSE takes no arguments");
	/* RFC 3501 6.4.2: expunge silently, and only when read-write. */
	if (!s->view->readonly) {
		uint32_t *uids = NULL;
		size_t count = 0;
		const char *error;
		int r = store_expunge(session_store(s), s->view->mailbox_id, NULL, 0,
				      &uids, &count, NULL, &error);
		free(uids);
		if (r != STORE_OK)
			log_warn(session_id(s), "CLOSE could not expunge: %s", error);
	}
	mailbox_view_close(s);
	return command_ok(cmd, NULL, "Close completed");
}

bool cmd_unselect(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "UNSELECT takes no arguments");
	mailbox_view_close(cmd->session);
	return command_ok(cmd, NULL, "Unselect completed");
}
