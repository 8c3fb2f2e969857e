/*
 * EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315 2.1).
 *
 * The store removes the messages and commits before the reply; the view
 * then drops them with one "* n EXPUNGE" each. Messages expunged by other
 * sessions go out in the same batch: EXPUNGE does not use sequence
 * numbers, so RFC 3501 7.4.1 allows it.
 *
 * CHECK (RFC 3501 6.4.1) needs no code of its own: every store write is
 * already durable when it returns, so CHECK is NOOP in the selected state
 * (its table row points at cmd_noop).
 */
#include <stdlib.h>

#include "imap/command.h"
#include "imap/view.h"
#include "store/store.h"

static bool expunge_run(struct command *cmd,
			const struct store_uid_range *ranges, size_t range_count)
{
	struct session *s = cmd->session;
	const char *error = NULL;
	uint32_t *uids = NULL;
	size_t count = 0;

	/* RFC 3501 6.3.2: EXAMINE allows no change to the mailbox. */
	if (s->view->readonly)
		return command_no(cmd, "READ-ONLY", "Mailbox is read-only");
	uint64_t modseq = 0;
	int r = store_expunge(session_store(s), s->view->mailbox_id, ranges,
			      range_count, &uids, &count, &modseq, &error);
	if (r != STORE_OK)
		return command_no(cmd, store_error_code(r), "%s", error);
	/* With QRESYNC this writes one VANISHED (RFC 7162 3.2.7). */
	mailbox_view_remove_uids(s, uids, count, false);
	free(uids);
	if (count > 0 && s->enabled_qresync) {
		/* RFC 7162 3.2.7, 3.2.9: the new HIGHESTMODSEQ goes in the
		 * tagged OK once QRESYNC is on. */
		struct buf code = BUF_INIT;
		buf_printf(&code, "HIGHESTMODSEQ %llu", (unsigned long long)modseq);
		command_ok(cmd, buf_cstr(&code), "Expunge completed");
		buf_free(&code);
		return true;
	}
	return command_ok(cmd, NULL, "Expunge completed");
}

bool cmd_expunge(struct command *cmd)
{
	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "EXPUNGE takes no arguments");
	return expunge_run(cmd, NULL, 0);
}

bool cmd_uid_expunge(struct command *cmd)
{
	struct mailbox_view *view = cmd->session->view;
	const char *error = NULL;
	uint32_t *seqs;
	size_t count;

	if (cmd->args_count != 1 || cmd->args[0].type != IMAP_ARG_ATOM)
		return command_bad(cmd, NULL, "UID EXPUNGE needs a UID set");
	if (mailbox_view_resolve(view, cmd->args[0].str, cmd->args[0].len, true,
				 &seqs, &count, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);

	/* Only UIDs the client knows: "*" or a wide range must not reach
	 * messages it has not been told about (RFC 4315 2.1). */
	struct store_uid_range *ranges;
	size_t range_count;
	mailbox_view_uid_ranges(view, seqs, count, &ranges, &range_count);
	free(seqs);
	bool done;
	if (range_count == 0)
		done = view->readonly ?
			command_no(cmd, "READ-ONLY", "Mailbox is read-only") :
			command_ok(cmd, NULL, "Expunge completed");
	else
		done = expunge_run(cmd, ranges, range_count);
	free(ranges);
	return done;
}
