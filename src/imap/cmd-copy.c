/*
 * COPY, UID COPY (RFC 3501 6.4.7, 6.4.8) and MOVE, UID MOVE (RFC 6851),
 * with COPYUID (RFC 4315 3).
 *
 * The store copies rows, never bytes, in one transaction: a failed COPY
 * leaves the destination as it was (RFC 3501 6.4.7).
 *
 * Messages another session expunged: a non-UID COPY or MOVE naming one
 * that this session still shows (marked expunged in the view) is refused
 * as a whole with NO [EXPUNGEISSUED], copying nothing (RFC 2180 4.4.1,
 * RFC 5530); the client learns of the expunge at its next command. One
 * that vanishes between the view and the store call is simply not copied
 * (RFC 2180 4.4.2) and COPYUID names only what was copied. For the UID
 * forms an expunged UID is one that does not exist, which is no error.
 */
#include <stdlib.h>
#include <string.h>

#include "imap/command.h"
#include "imap/mailbox-name.h"
#include "imap/seqset.h"
#include "imap/view.h"
#include "store/store.h"

static bool copy_is_uid(const struct command *cmd)
{
	return strncmp(cmd->def->name, "UID ", 4) == 0;
}

/* "COPYUID uidvalidity src-set dst-set" (RFC 4315 3). */
static void copy_format_copyuid(const struct store_copy_result *res,
				struct buf *out)
{
	buf_printf(out, "COPYUID %u ", res->uidvalidity);
	seqset_format_array(out, res->src_uids, res->count);
	buf_append_char(out, ' ');
	seqset_format_array(out, res->dst_uids, res->count);
}

/* Resolves the set into UID ranges; false after a BAD or NO reply. */
static bool copy_resolve(struct command *cmd, struct store_uid_range **ranges_r,
			 size_t *range_count_r)
{
	struct mailbox_view *view = cmd->session->view;
	const struct imap_arg *set = &cmd->args[0];
	const char *error = NULL;
	uint32_t *seqs;
	size_t count;
	bool uid = copy_is_uid(cmd);

	if (set->type != IMAP_ARG_ATOM ||
	    mailbox_view_resolve(view, set->str, set->len, uid, &seqs, &count,
				 &error) < 0) {
		command_bad(cmd, NULL, "%s",
			    error != NULL ? error : "Invalid sequence set");
		return false;
	}
	for (size_t i = 0; i < count && !uid; i++) {
		if (mailbox_view_flags(view, seqs[i]) & VIEW_FLAG_EXPUNGED) {
			free(seqs);
			command_no(cmd, "EXPUNGEISSUED",
				   "Some of the messages no longer exist");
			return false;
		}
	}
	mailbox_view_uid_ranges(view, seqs, count, ranges_r, range_count_r);
	free(seqs);
	return true;
}

/* Looks the destination up; false after a NO reply. */
static bool copy_destination(struct command *cmd, const char *name,
			     int64_t *mailbox_id_r)
{
	struct store *st = session_store(cmd->session);
	struct store_mailbox mailbox;
	const char *error = NULL;

	if (st == NULL) {
		command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
		return false;
	}
	int r = store_mailbox_lookup(st, cmd->session->user_id, name, &mailbox,
				     &error);
	/* RFC 3501 6.4.7: a missing destination gets [TRYCREATE]; a name
	 * no mailbox can have ("") would make CREATE fail too. */
	if (r == STORE_EINVALID) {
		command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
		return false;
	}
	if (r == STORE_ENONEXISTENT)
		r = STORE_ETRYCREATE;
	if (r != STORE_OK) {
		mailbox_name_reply_store_error(cmd, r, error);
		return false;
	}
	*mailbox_id_r = mailbox.id;
	return true;
}

static bool copy_or_move(struct command *cmd, bool move)
{
	struct session *s = cmd->session;
	struct buf name = BUF_INIT;
	struct store_uid_range *ranges;
	size_t range_count;
	int64_t dst_id;

	if (cmd->args_count != 2)
		return command_bad(cmd, NULL, "%s needs a set and a mailbox",
				   move ? "MOVE" : "COPY");
	if (!copy_resolve(cmd, &ranges, &range_count))
		return true;
	bool name_ok = mailbox_name_arg(cmd, &cmd->args[1],
					MAILBOX_NAME_EXISTING, &name);
	bool dst_ok = name_ok && copy_destination(cmd, buf_cstr(&name), &dst_id);
	buf_free(&name);
	if (!dst_ok) {
		free(ranges);
		return true;
	}
	/* RFC 6851 3.3: MOVE expunges, which EXAMINE forbids (RFC 3501
	 * 6.3.2); COPY only reads the source. */
	if (move && s->view->readonly) {
		free(ranges);
		return command_no(cmd, "READ-ONLY", "Mailbox is read-only");
	}
	if (range_count == 0) {
		/* UID forms naming no existing message (RFC 3501 6.4.8). */
		free(ranges);
		return command_ok(cmd, NULL, "No messages %s",
				  move ? "moved" : "copied");
	}

	struct store_copy_result res;
	const char *error = NULL;
	int r = (move ? store_move : store_copy)(session_store(s),
						 s->view->mailbox_id, ranges,
						 range_count, dst_id, &res,
						 &error);
	free(ranges);
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);

	struct buf code = BUF_INIT;
	if (res.count > 0)
		copy_format_copyuid(&res, &code);
	if (move) {
		/* RFC 6851 4.3/4.4: COPYUID goes in an untagged OK before the
		 * EXPUNGEs, since the tagged OK comes after them. */
		if (res.count > 0)
			session_untagged(s, "OK [%s] Moved", buf_cstr(&code));
		mailbox_view_remove_uids(s, res.src_uids, res.count, false);
		command_ok(cmd, NULL, "Move completed");
	} else {
		command_ok(cmd, res.count > 0 ? buf_cstr(&code) : NULL,
			   "Copy completed");
	}
	buf_free(&code);
	store_copy_result_free(&res);
	return true;
}

bool cmd_copy(struct command *cmd)
{
	return copy_or_move(cmd, false);
}

bool cmd_move(struct command *cmd)
{
	return copy_or_move(cmd, true);
}
