/*
 * SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2), with the select parameters
 * of RFC 4466 2.1: CONDSTORE (RFC 7162 3.1.8) and QRESYNC (RFC 7162
 * 3.2.5).
 *
 *	SELECT mailbox [SP "(" select-param *(SP select-param) ")"]
 *	QRESYNC (uidvalidity modseq [known-uids] [(known-seqs known-uids)])
 *
 * Every parameter is checked before anything is closed or opened: a bad
 * one is a BAD with the session unchanged (RFC 7162 3.2.5).
 */
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "imap/command.h"
#include "imap/mailbox-name.h"
#include "imap/seqset.h"
#include "imap/view.h"
#include "store/store.h"

struct select_params {
	bool condstore;
	bool qresync;
	struct mailbox_view_qresync q;
	struct seqset known_uids;
	bool have_known_uids;
	uint32_t *match_seqs, *match_uids;
};

static void select_params_free(struct select_params *p)
{
	seqset_free(&p->known_uids);
	free(p->match_seqs);
	free(p->match_uids);
}

/* A number in 1..max as an atom. */
static bool parse_number(const struct imap_arg *arg, uint64_t max,
			 uint64_t *value_r)
{
	uint64_t v;
	if (arg->type != IMAP_ARG_ATOM ||
	    str_to_u64(arg->str, arg->len, &v) < 0 || v == 0 || v > max)
		return false;
	*value_r = v;
	return true;
}

/* A sequence set without "*" (RFC 7162 7: "*" is not allowed in
 * known-uids and the match data). */
static bool parse_set_no_star(const struct imap_arg *arg, struct seqset *set_r)
{
	const char *error;
	if (arg->type != IMAP_ARG_ATOM ||
	    memchr(arg->str, '*', arg->len) != NULL ||
	    seqset_parse(arg->str, arg->len, set_r, &error) < 0)
		return false;
	return true;
}

/* Expands a set (no "*") to its numbers in the order given; false when it
 * holds more than limit of them. */
static bool set_to_array(const struct seqset *set, size_t limit,
			 uint32_t **nums_r, size_t *count_r)
{
	size_t n = 0;
	uint32_t *nums = NULL;
	for (size_t i = 0; i < set->count; i++) {
		for (uint64_t v = set->ranges[i].lo; v <= set->ranges[i].hi; v++) {
			if (n == limit) {
				free(nums);
				return false;
			}
			if (n % 64 == 0)
				nums = xrealloc(nums, (n + 64) * sizeof(*nums));
			nums[n++] = (uint32_t)v;
		}
	}
	*nums_r = nums;
	*count_r = n;
	return true;
}

/* RFC 7162 3.2.5.2: "(known-sequence-set known-uid-set)", both ascending,
 * pairing by position. The sets are samples, so a bound on their size
 * costs a real client nothing. */
#define QRESYNC_MATCH_MAX 65536

static bool parse_match(const struct imap_arg *arg, struct select_params *p)
{
	const struct imap_arg *list;
	size_t count, nseq = 0, nuid = 0;
	struct seqset seqs = SEQSET_INIT, uids = SEQSET_INIT;
	bool ok = false;

	if (!imap_arg_as_list(arg, &list, &count) || count != 2 ||
	    !parse_set_no_star(&list[0], &seqs) || !parse_set_no_star(&list[1], &uids))
		goto out;
	if (!set_to_array(&seqs, QRESYNC_MATCH_MAX, &p->match_seqs, &nseq) ||
	    !set_to_array(&uids, QRESYNC_MATCH_MAX, &p->match_uids, &nuid) ||
	    nseq != nuid)
		goto out;
	for (size_t i = 1; i < nseq; i++) {
		if (p->match_seqs[i] <= p->match_seqs[i - 1] ||
		    p->match_uids[i] <= p->match_uids[i - 1])
			goto out;
	}
	p->q.match_seqs = p->match_seqs;
	p->q.match_uids = p->match_uids;
	p->q.match_count = nseq;
	ok = true;
out:
	seqset_free(&seqs);
	seqset_free(&uids);
	return ok;
}

static bool parse_qresync(const struct imap_arg *arg, struct select_params *p)
{
	const struct imap_arg *list;
	size_t count;
	uint64_t v;

	if (!imap_arg_as_list(arg, &list, &count) || count < 2 || count > 4)
		return false;
	if (!parse_number(&list[0], UINT32_MAX, &v))
		return false;
	p->q.uidvalidity = (uint32_t)v;
	/* mod-sequence-value: 1 .. 2^63-1 */
	if (!parse_number(&list[1], INT64_MAX, &p->q.modseq))
		return false;
	size_t i = 2;
	if (i < count && list[i].type == IMAP_ARG_ATOM) {
		if (!parse_set_no_star(&list[i], &p->known_uids))
			return false;
		seqset_normalize(&p->known_uids);
		p->have_known_uids = true;
		p->q.known_uids = &p->known_uids;
		i++;
	}
	if (i < count) {
		if (!parse_match(&list[i], p))
			return false;
		i++;
	}
	return i == count;
}

/* Returns NULL, or the BAD text. */
static const char *parse_params(struct session *s, const struct imap_arg *arg,
				struct select_params *p)
{
	const struct imap_arg *list;
	size_t count;

	if (!imap_arg_as_list(arg, &list, &count) || count == 0)
		return "Select parameters are a list";
	for (size_t i = 0; i < count; i++) {
		if (imap_arg_atom_equals(&list[i], "CONDSTORE") && !p->condstore) {
			p->condstore = true;
		} else if (imap_arg_atom_equals(&list[i], "QRESYNC") && !p->qresync &&
			   i + 1 < count) {
			/* RFC 7162 3.2.5: only after ENABLE QRESYNC. */
			if (!s->enabled_qresync)
				return "QRESYNC must be enabled first";
			if (!parse_qresync(&list[++i], p))
				return "Invalid QRESYNC parameter";
			p->qresync = true;
		} else {
			return "Unknown or repeated select parameter";
		}
	}
	return NULL;
}

static bool select_mailbox(struct command *cmd, bool readonly)
{
	struct session *s = cmd->session;
	const char *name, *error = NULL;
	size_t len;
	struct buf utf8_name = BUF_INIT;
	struct select_params params;

	memset(&params, 0, sizeof(params));
	if (cmd->args_count < 1 || cmd->args_count > 2 ||
	    !imap_arg_as_astring(&cmd->args[0], &name, &len))
		return command_bad(cmd, NULL, "%s needs a mailbox name",
				   readonly ? "EXAMINE" : "SELECT");
	/* RFC 6855 3: after ENABLE UTF8=ACCEPT the name comes in UTF-8. */
	if (!mailbox_name_from_client(s, name, len, &utf8_name, &name, &len,
				      &error)) {
		buf_free(&utf8_name);
		return command_bad(cmd, NULL, "%s", error);
	}
	if (cmd->args_count == 2 &&
	    (error = parse_params(s, &cmd->args[1], &params)) != NULL) {
		select_params_free(&params);
		return command_bad(cmd, NULL, "%s", error);
	}
	/* RFC 3501 6.3.1: a SELECT, even a failing one, first leaves the
	 * mailbox that was selected; RFC 7162 3.2.11 (and RFC 9051 6.3.2)
	 * mark that boundary with [CLOSED]. */
	if (s->view != NULL) {
		mailbox_view_close(s);
		session_untagged(s, "OK [CLOSED] Previous mailbox closed");
	}
	/* RFC 7162 3.1.8: the parameter makes the session CONDSTORE-aware
	 * before anything is sent (no separate HIGHESTMODSEQ: the select
	 * responses carry it). */
	if (params.condstore || params.qresync)
		s->enabled_condstore = true;
	int r = mailbox_view_open(s, name, readonly, &error);
	buf_free(&utf8_name);
	if (r == STORE_OK && params.qresync)
		r = mailbox_view_qresync(s, &params.q, &error);
	select_params_free(&params);
	if (r == STORE_ENONEXISTENT)
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	if (r != STORE_OK) {
		mailbox_view_close(s);
		return command_no(cmd, store_error_code(r), "%s", error);
	}
	/* The view may be read-only for want of rights (RFC 4314 5.2). */
	return command_ok(cmd, s->view->readonly ? "READ-ONLY" : "READ-WRITE",
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
