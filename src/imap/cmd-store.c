/*
 * STORE and UID STORE (RFC 3501 6.4.6, 6.4.8):
 *
 *	STORE sequence-set ["+" / "-"] "FLAGS" [".SILENT"] (flag-list / flag *(SP flag))
 *
 * The untagged FETCH responses carry the flags the store reports after the
 * change, which may include changes other sessions made meanwhile; they
 * are recorded in the view first, so the sync before the tagged reply does
 * not send them a second time.
 *
 * Messages another session expunged (marked in the view, or gone from the
 * store before the view heard of it) follow RFC 2180 4.2: with .SILENT the
 * rest is stored and the reply is OK (4.2.1); otherwise the rest is stored,
 * its FETCH responses sent, and the reply is NO [EXPUNGEISSUED] (4.2.2,
 * 4.2.3, RFC 5530). For UID STORE an expunged UID is like one that never
 * existed, which RFC 3501 6.4.8 says is not an error.
 *
 * CONDSTORE (RFC 7162 3.1.3): the UNCHANGEDSINCE modifier leaves alone the
 * messages changed after the given modseq and names them in [MODIFIED]
 * (sequence numbers, or UIDs for UID STORE). Once the session is
 * CONDSTORE-aware every FETCH carries MODSEQ (and UID), and a .SILENT
 * store still reports the new MODSEQ of what it changed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "imap/command.h"
#include "imap/flags.h"
#include "imap/seqset.h"
#include "imap/view.h"
#include "store/store.h"

struct store_request {
	enum store_flags_op op;
	bool silent;
	struct imap_flag_set flags;
	bool has_unchangedsince;
	uint64_t unchangedsince;
};

static bool store_is_uid(const struct command *cmd)
{
	return strncmp(cmd->def->name, "UID ", 4) == 0;
}

/* "FLAGS", "+FLAGS.SILENT", ... (RFC 3501 9 store-att-flags). */
static int store_parse_item(const struct imap_arg *arg,
			    struct store_request *req)
{
	const char *s = arg->str;
	size_t len = arg->len;

	if (arg->type != IMAP_ARG_ATOM)
		return -1;
	req->op = STORE_FLAGS_SET;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		req->op = s[0] == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
		s++;
		len--;
	}
	req->silent = len >= 7 &&
		      str_ascii_caseeq_n(s + len - 7, 7, ".SILENT", 7);
	if (req->silent)
		len -= 7;
	return str_ascii_caseeq_n(s, len, "FLAGS", 5) ? 0 : -1;
}

static int store_parse(const struct command *cmd, struct store_request *req,
		       const char **error_r)
{
	const struct imap_arg *args = cmd->args;

	memset(req, 0, sizeof(*req));
	if (cmd->args_count >= 2 && args[1].type == IMAP_ARG_LIST) {
		/* RFC 4466 2.5 store-modifiers; RFC 7162 3.1.3 UNCHANGEDSINCE
		 * is the only one, given once. */
		const struct imap_arg *mods;
		size_t count;
		imap_arg_as_list(&args[1], &mods, &count);
		if (count != 2 || !imap_arg_atom_equals(&mods[0], "UNCHANGEDSINCE") ||
		    mods[1].type != IMAP_ARG_ATOM ||
		    str_to_u64(mods[1].str, mods[1].len, &req->unchangedsince) < 0 ||
		    req->unchangedsince > INT64_MAX) {
			*error_r = "Invalid STORE modifier";
			return -1;
		}
		req->has_unchangedsince = true;
		args++;
	}
	size_t args_count = cmd->args_count - (req->has_unchangedsince ? 1 : 0);
	if (args_count < 3) {
		*error_r = "STORE needs a set, an item and flags";
		return -1;
	}
	if (store_parse_item(&args[1], req) < 0) {
		*error_r = "Invalid STORE item";
		return -1;
	}
	/* A flag-list, or one or more bare flags. */
	if (args_count == 3 && args[2].type == IMAP_ARG_LIST)
		return imap_flags_parse_list(&args[2], &req->flags, error_r);
	return imap_flags_parse(args + 2, args_count - 2, &req->flags,
				error_r);
}

/* True when list (space-separated) and the keyword array hold the same
 * keywords, ignoring case and order. */
static bool keywords_equal_array(const char *list, const char *const *kws,
				 size_t count)
{
	size_t n = 0;
	for (const char *p = list; p != NULL && *p != '\0'; n++) {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		bool found = false;
		for (size_t i = 0; i < count && !found; i++)
			found = str_ascii_caseeq_n(p, len, kws[i], strlen(kws[i]));
		if (!found)
			return false;
		p = end != NULL ? end + 1 : NULL;
	}
	return n == count;
}

/*
 * Whether the flags the store reports are exactly what the client expects
 * from what it was told plus its own change. Only then may a .SILENT STORE
 * record them in the view without a word; anything else (a change by
 * another session) must still reach the client through the sync
 * (RFC 7162 3.2 asks for that even of a silent STORE).
 */
static bool store_result_expected(uint32_t old_flags, const char *old_keywords,
				  const struct store_request *req,
				  const struct store_msg *m)
{
	uint32_t old = old_flags & STORE_FLAGS_ALL, want;
	const struct imap_flag_set *f = &req->flags;

	switch (req->op) {
	case STORE_FLAGS_SET:
		want = f->flags;
		break;
	case STORE_FLAGS_ADD:
		want = old | f->flags;
		break;
	default:
		want = old & ~f->flags;
		break;
	}
	if (m->flags != want)
		return false;
	/* Expected keywords: the new list for SET, else the old ones with
	 * ours added or removed. Compare by membership both ways. */
	const char *got = m->keywords;
	if (req->op == STORE_FLAGS_SET)
		return keywords_equal_array(got, f->keywords, f->keyword_count);
	for (size_t i = 0; i < f->keyword_count; i++) {
		bool has = imap_flags_list_contains(got, f->keywords[i],
						    strlen(f->keywords[i]));
		if (has != (req->op == STORE_FLAGS_ADD))
			return false;
	}
	/* Every other keyword must be one the client already knew of, and
	 * every old one not removed must still be there. */
	for (const char *p = got; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		bool ours = false;
		for (size_t i = 0; i < f->keyword_count && !ours; i++)
			ours = str_ascii_caseeq_n(p, len, f->keywords[i],
						  strlen(f->keywords[i]));
		if (!ours && !imap_flags_list_contains(old_keywords, p, len))
			return false;
		p = end != NULL ? end + 1 : NULL;
	}
	for (const char *p = old_keywords; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		bool removed = false;
		for (size_t i = 0; i < f->keyword_count && !removed; i++)
			removed = str_ascii_caseeq_n(p, len, f->keywords[i],
						     strlen(f->keywords[i]));
		if (!removed && !imap_flags_list_contains(got, p, len))
			return false;
		p = end != NULL ? end + 1 : NULL;
	}
	return true;
}

/*
 * Records the results in the view, lets the view announce what is new to
 * the client (a FLAGS response for a new keyword must come before a FETCH
 * that uses it, RFC 3501 7.2.6; changes by other sessions), then writes
 * the FETCH responses.
 */
static void store_report(struct command *cmd, const struct store_request *req,
			 const struct store_msg_list *list)
{
	struct session *s = cmd->session;
	struct mailbox_view *view = s->view;
	bool uid = store_is_uid(cmd);
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < list->count; i++) {
		const struct store_msg *m = &list->msgs[i];
		uint32_t seq = mailbox_view_seq_of(view, m->uid);
		if (seq != 0 && (!req->silent ||
				 store_result_expected(mailbox_view_flags(view, seq),
						       mailbox_view_keywords(view, seq),
						       req, m)))
			mailbox_view_set_flags(view, seq, m->flags, m->keywords,
					       m->modseq);
	}
	/* No EXPUNGE here: the tagged reply's sync sends those when the
	 * command allows it. */
	mailbox_view_sync(s, false);
	/* RFC 7162 3.1.3: with CONDSTORE even .SILENT reports the new
	 * MODSEQ of each message it changed (without FLAGS). */
	if (req->silent && !s->enabled_condstore)
		return;
	for (size_t i = 0; i < list->count; i++) {
		const struct store_msg *m = &list->msgs[i];
		uint32_t seq = mailbox_view_seq_of(view, m->uid);
		if (seq == 0 || (req->silent && !m->changed))
			continue;
		if (s->enabled_condstore || s->enabled_rev2) {
			/* The sync above may have seen a newer change of
			 * the message; the modseq noted is then that one. */
			uint64_t modseq = mailbox_view_noted_modseq(view, m->uid);
			mailbox_view_write_flag_update(s, seq, !req->silent,
						       modseq > m->modseq ? modseq : m->modseq,
						       &out);
		} else {
			/* RFC 3501 6.4.8: UID STORE's FETCH responses
			 * include UID. */
			buf_printf(&out, "* %u FETCH (", seq);
			if (uid)
				buf_printf(&out, "UID %u ", m->uid);
			buf_append_str(&out, "FLAGS ");
			mailbox_view_write_flags(view, seq, &out);
			buf_append_str(&out, ")\r\n");
		}
		if (out.len >= 65536) {
			session_write(s, out.data, out.len);
			buf_reset(&out);
		}
	}
	session_write(s, out.data, out.len);
	buf_free(&out);
}

/* "MODIFIED set" (RFC 7162 3.1.3): sequence numbers for STORE, UIDs for
 * UID STORE. Appends nothing when no message failed. */
static void store_format_modified(const struct command *cmd,
				  const struct store_flags_result *result,
				  struct buf *code)
{
	const struct mailbox_view *view = cmd->session->view;
	uint32_t *nums = xmalloc((result->modified_count + 1) * sizeof(uint32_t));
	size_t n = 0;

	for (size_t i = 0; i < result->modified_count; i++) {
		uint32_t num = result->modified[i];
		if (!store_is_uid(cmd))
			num = mailbox_view_seq_of(view, num);
		if (num != 0)
			nums[n++] = num;
	}
	if (n > 0) {
		buf_append_str(code, "MODIFIED ");
		seqset_format_array(code, nums, n);
	}
	free(nums);
}

/* Runs the store call for seqs; returns the number of requested messages
 * that turned out to be expunged, or -1 after a NO reply. The MODIFIED
 * response code, if any, is appended to modified. */
static long store_apply(struct command *cmd, const struct store_request *req,
			const uint32_t *seqs, size_t count, struct buf *modified)
{
	struct session *s = cmd->session;
	struct mailbox_view *view = s->view;
	struct store_uid_range *ranges;
	size_t range_count;
	struct store_flags_result result;
	const char *error = NULL;

	mailbox_view_uid_ranges(view, seqs, count, &ranges, &range_count);
	/* Those left out of the ranges are marked expunged in the view. */
	size_t live = 0;
	for (size_t i = 0; i < count; i++) {
		if (!(mailbox_view_flags(view, seqs[i]) & VIEW_FLAG_EXPUNGED))
			live++;
	}
	if (range_count == 0) {
		free(ranges);
		return (long)count;
	}
	int r = store_flags_update(session_store(s), view->mailbox_id, ranges,
				   range_count, req->op, req->flags.flags,
				   req->flags.keywords, req->flags.keyword_count,
				   req->has_unchangedsince ? &req->unchangedsince : NULL,
				   &result, &error);
	free(ranges);
	if (r != STORE_OK) {
		command_no(cmd, store_error_code(r), "%s", error);
		return -1;
	}
	store_report(cmd, req, &result.msgs);
	store_format_modified(cmd, &result, modified);
	/* Those the store no longer has were expunged before our view heard
	 * of it: the sync after this command marks them. */
	size_t seen = result.msgs.count + result.modified_count;
	size_t missing = live > seen ? live - seen : 0;
	store_flags_result_free(&result);
	return (long)(count - live + missing);
}

bool cmd_store(struct command *cmd)
{
	struct session *s = cmd->session;
	struct store_request req;
	const char *error = NULL;
	uint32_t *seqs;
	size_t count;
	bool uid = store_is_uid(cmd);

	if (store_parse(cmd, &req, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);
	if (cmd->args[0].type != IMAP_ARG_ATOM ||
	    mailbox_view_resolve(s->view, cmd->args[0].str, cmd->args[0].len,
				 uid, &seqs, &count, &error) < 0) {
		imap_flag_set_free(&req.flags);
		return command_bad(cmd, NULL, "%s",
				   error != NULL ? error : "Invalid sequence set");
	}
	/* RFC 3501 6.3.2: nothing may change in a mailbox selected with
	 * EXAMINE. READ-ONLY (RFC 3501 7.1) says why. */
	if (s->view->readonly) {
		free(seqs);
		imap_flag_set_free(&req.flags);
		return command_no(cmd, "READ-ONLY", "Mailbox is read-only");
	}
	/* RFC 7162 3.1: UNCHANGEDSINCE is a CONDSTORE enabling command. */
	if (req.has_unchangedsince)
		mailbox_view_enable_condstore(s);
	struct buf modified = BUF_INIT;
	long expunged = count > 0 ? store_apply(cmd, &req, seqs, count, &modified) : 0;
	free(seqs);
	imap_flag_set_free(&req.flags);
	bool done;
	if (expunged < 0)
		done = true;
	else if (expunged > 0 && !uid && !req.silent)
		/* RFC 7162 3.1.3 example 11: MODIFIED may ride on the NO. */
		done = command_no(cmd, modified.len > 0 ? buf_cstr(&modified) :
				  "EXPUNGEISSUED", "%s",
				  (size_t)expunged == count ?
				  "Messages have been expunged" :
				  "Some of the messages no longer exist");
	else if (modified.len > 0)
		done = command_ok(cmd, buf_cstr(&modified), "Conditional store failed");
	else
		done = command_ok(cmd, NULL, "Store completed");
	buf_free(&modified);
	return done;
}
