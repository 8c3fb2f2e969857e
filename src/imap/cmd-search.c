/*
 * SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8), with ESEARCH result
 * options (RFC 4731: RETURN (MIN MAX COUNT ALL)) and SEARCHRES (RFC 5182:
 * RETURN (SAVE) and "$").
 */
#include <stdlib.h>
#include <string.h>

#include "imap/command.h"
#include "imap/search-program.h"
#include "imap/searchres.h"
#include "imap/view.h"
#include "store/store.h"

enum return_opts {
	RETURN_MIN = 1 << 0,
	RETURN_MAX = 1 << 1,
	RETURN_COUNT = 1 << 2,
	RETURN_ALL = 1 << 3,
	RETURN_SAVE = 1 << 4,
};

/* RFC 4731 3.1: "RETURN (...)"; an empty list means ALL. */
static int parse_return(const struct imap_arg *list, unsigned *opts_r,
			const char **error_r)
{
	const struct imap_arg *items;
	size_t count;
	static const struct { const char *name; unsigned opt; } names[] = {
		{ "MIN", RETURN_MIN }, { "MAX", RETURN_MAX },
		{ "COUNT", RETURN_COUNT }, { "ALL", RETURN_ALL },
		{ "SAVE", RETURN_SAVE },
	};

	if (!imap_arg_as_list(list, &items, &count)) {
		*error_r = "RETURN needs a list of options";
		return -1;
	}
	*opts_r = 0;
	for (size_t i = 0; i < count; i++) {
		size_t k;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (imap_arg_atom_equals(&items[i], names[k].name))
				break;
		}
		if (k == sizeof(names) / sizeof(names[0])) {
			*error_r = "Unknown RETURN option";
			return -1;
		}
		*opts_r |= names[k].opt;
	}
	if (*opts_r == 0)
		*opts_r = RETURN_ALL;
	return 0;
}

/* The numbers a response lists: UIDs for UID SEARCH, else sequence
 * numbers. Rewrites seqs in place. */
static void to_uids(const struct mailbox_view *view, uint32_t *seqs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		seqs[i] = mailbox_view_uid(view, seqs[i]);
}

/* RFC 5182 2.4: what "$" holds for each combination of options. */
static void save_result(struct searchres *res, unsigned opts,
			const uint32_t *uids, size_t count)
{
	if (count == 0 || (opts & (RETURN_ALL | RETURN_COUNT)) ||
	    !(opts & (RETURN_MIN | RETURN_MAX))) {
		searchres_set(res, uids, count);
		return;
	}
	uint32_t keep[2];
	size_t n = 0;
	if (opts & RETURN_MIN)
		keep[n++] = uids[0];
	if ((opts & RETURN_MAX) && (n == 0 || uids[count - 1] != keep[0]))
		keep[n++] = uids[count - 1];
	searchres_set(res, keep, n);
}

static void write_esearch(struct command *cmd, bool uid, unsigned opts,
			  const uint32_t *nums, size_t count, uint64_t modseq)
{
	struct buf line = BUF_INIT;
	buf_printf(&line, "* ESEARCH (TAG \"%s\")", cmd->tag);
	if (uid)
		buf_append_str(&line, " UID");
	/* RFC 4731 3.1: MIN, MAX and ALL are left out for an empty result;
	 * COUNT 0 is still sent. */
	if ((opts & RETURN_MIN) && count > 0)
		buf_printf(&line, " MIN %u", nums[0]);
	if ((opts & RETURN_MAX) && count > 0)
		buf_printf(&line, " MAX %u", nums[count - 1]);
	if (opts & RETURN_COUNT)
		buf_printf(&line, " COUNT %zu", count);
	if ((opts & RETURN_ALL) && count > 0) {
		buf_append_str(&line, " ALL ");
		seqset_format_array(&line, nums, count);
	}
	/* RFC 7162 3.1.10 */
	if (modseq > 0 && count > 0)
		buf_printf(&line, " MODSEQ %llu", (unsigned long long)modseq);
	buf_append_str(&line, "\r\n");
	session_write(cmd->session, line.data, line.len);
	buf_free(&line);
}

static void write_search(struct command *cmd, const uint32_t *nums, size_t count,
			 uint64_t modseq)
{
	struct buf line = BUF_INIT;
	buf_append_str(&line, "* SEARCH");
	for (size_t i = 0; i < count; i++)
		buf_printf(&line, " %u", nums[i]);
	/* RFC 7162 3.1.6: the highest modseq of the messages found. */
	if (modseq > 0 && count > 0)
		buf_printf(&line, " (MODSEQ %llu)", (unsigned long long)modseq);
	buf_append_str(&line, "\r\n");
	session_write(cmd->session, line.data, line.len);
	buf_free(&line);
}

bool cmd_search(struct command *cmd)
{
	struct session *s = cmd->session;
	bool uid = cmd->def->name[0] == 'U';
	const struct imap_arg *args = cmd->args;
	size_t count = cmd->args_count, pos = 0;
	unsigned opts = 0;
	bool esearch = false;
	char *charset = NULL;
	const char *error;

	if (pos + 1 < count && imap_arg_atom_equals(&args[pos], "RETURN")) {
		if (parse_return(&args[pos + 1], &opts, &error) < 0)
			return command_bad(cmd, NULL, "%s", error);
		esearch = true;
		pos += 2;
	}
	struct searchres *saved = searchres_of(s);
	if (pos + 1 < count && imap_arg_atom_equals(&args[pos], "CHARSET")) {
		/* RFC 6855 3: after ENABLE UTF8=ACCEPT the client MUST NOT
		 * name a charset; the conflicting labels get BAD. */
		if (s->enabled_utf8_accept) {
			if (opts & RETURN_SAVE)
				searchres_clear(saved);	/* RFC 5182 2.1 */
			return command_bad(cmd, NULL,
					   "No CHARSET after ENABLE UTF8=ACCEPT");
		}
		const char *cs;
		size_t cs_len;
		if (!imap_arg_as_astring(&args[pos + 1], &cs, &cs_len) ||
		    memchr(cs, '\0', cs_len) != NULL)
			return command_bad(cmd, NULL, "Invalid charset");
		charset = xstrndup(cs, cs_len);
		pos += 2;
	}
	if (pos >= count) {
		free(charset);
		return command_bad(cmd, NULL, "SEARCH needs search keys");
	}

	struct search_program prog;
	enum search_parse_result pr =
		search_program_parse(args + pos, count - pos, charset, &prog, &error);
	free(charset);
	if (pr != SEARCH_PARSE_OK) {
		/* RFC 5182 2.1: a failed SEARCH ... SAVE empties "$". */
		if (opts & RETURN_SAVE)
			searchres_clear(saved);
		if (pr == SEARCH_PARSE_BADCHARSET)
			return command_no(cmd, SEARCH_BADCHARSET_CODE, "%s", error);
		return command_bad(cmd, NULL, "%s", error);
	}

	uint32_t *nums;
	size_t n;
	int r = search_program_run(s, &prog, saved, &nums, &n, &error);
	bool uses_modseq = prog.uses_modseq;
	uint64_t highest_modseq = prog.highest_modseq;
	search_program_free(&prog);
	if (r != STORE_OK) {
		if (opts & RETURN_SAVE)
			searchres_clear(saved);
		return command_no(cmd, store_error_code(r), "%s", error);
	}
	uint64_t modseq = 0;
	if (r == STORE_OK && uses_modseq) {
		/* RFC 7162 3.1: MODSEQ in SEARCH is CONDSTORE enabling. */
		mailbox_view_enable_condstore(s);
		modseq = highest_modseq;
	}
	to_uids(s->view, nums, n);
	if (opts & RETURN_SAVE)
		save_result(saved, opts, nums, n);
	if (!uid) {
		for (size_t i = 0; i < n; i++)
			nums[i] = mailbox_view_seq_of(s->view, nums[i]);
	}
	/* RFC 5182 2.4: SAVE alone produces no ESEARCH response. */
	if (esearch && (opts & ~(unsigned)RETURN_SAVE) != 0)
		write_esearch(cmd, uid, opts, nums, n, modseq);
	else if (!esearch && s->enabled_rev2)
		/* RFC 9051 6.4.4: IMAP4rev2 answers with ESEARCH, ALL by
		 * default. */
		write_esearch(cmd, uid, RETURN_ALL, nums, n, modseq);
	else if (!esearch)
		write_search(cmd, nums, n, modseq);
	free(nums);
	return command_ok(cmd, NULL, "Search completed");
}
