/* THREAD and UID THREAD (RFC 5256 3): ORDEREDSUBJECT and REFERENCES. */
#include <stdlib.h>
#include <string.h>

#include "imap/command.h"
#include "imap/sort.h"
#include "store/store.h"

bool cmd_thread(struct command *cmd)
{
	struct session *s = cmd->session;
	bool uid = cmd->def->name[0] == 'U';
	bool references;
	const char *error;
	uint32_t *seqs;
	size_t count;

	if (cmd->args_count < 3)
		return command_bad(cmd, NULL, "THREAD needs an algorithm, a charset and search keys");
	if (imap_arg_atom_equals(&cmd->args[0], "REFERENCES"))
		references = true;
	else if (imap_arg_atom_equals(&cmd->args[0], "ORDEREDSUBJECT"))
		references = false;
	else
		return command_bad(cmd, NULL, "Unknown threading algorithm");
	/* RFC 7162 3.1.9: THREAD responses are unchanged by MODSEQ. */
	uint64_t modseq;
	if (sort_run_search(cmd, cmd->args + 1, cmd->args_count - 1, &seqs, &count,
			    &modseq))
		return true;

	struct sort_msg *msgs;
	size_t n;
	int r = sort_msgs_load(s, seqs, count, references, &msgs, &n, &error);
	free(seqs);
	if (r != STORE_OK)
		return command_no(cmd, store_error_code(r), "%s", error);
	struct buf line = BUF_INIT;
	buf_append_str(&line, "* THREAD ");
	if (references)
		thread_references(msgs, n, uid, &line);
	else
		thread_orderedsubject(msgs, n, uid, &line);
	/* RFC 5256 4: no threads is "* THREAD" alone. */
	if (n == 0)
		buf_truncate(&line, line.len - 1);
	buf_append_str(&line, "\r\n");
	session_write(s, line.data, line.len);
	buf_free(&line);
	sort_msgs_free(msgs, n);
	return command_ok(cmd, NULL, "Thread completed");
}
