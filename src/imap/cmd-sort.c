/*
 * SORT and UID SORT (RFC 5256 3; DISPLAYFROM/DISPLAYTO from RFC 5957).
 * The messages a search program selects are ordered by the criteria in
 * turn, ties broken by sequence number (RFC 5256 2.2).
 */
#include <stdlib.h>
#include <string.h>

#include "imap/command.h"
#include "imap/search-fold.h"
#include "imap/search-program.h"
#include "imap/searchres.h"
#include "imap/sort.h"
#include "imap/view.h"
#include "store/store.h"

#define MAX_CRITERIA 16

enum sort_key {
	SORT_ARRIVAL, SORT_CC, SORT_DATE, SORT_FROM, SORT_SIZE, SORT_SUBJECT,
	SORT_TO, SORT_DISPLAYFROM, SORT_DISPLAYTO,
};

struct sort_criterion {
	enum sort_key key;
	bool reverse;
};

struct sort_program {
	struct sort_criterion criteria[MAX_CRITERIA];
	size_t count;
};

static const struct { const char *name; enum sort_key key; } key_names[] = {
	{ "ARRIVAL", SORT_ARRIVAL }, { "CC", SORT_CC }, { "DATE", SORT_DATE },
	{ "DISPLAYFROM", SORT_DISPLAYFROM }, { "DISPLAYTO", SORT_DISPLAYTO },
	{ "FROM", SORT_FROM }, { "SIZE", SORT_SIZE }, { "SUBJECT", SORT_SUBJECT },
	{ "TO", SORT_TO },
};

static int parse_criteria(const struct imap_arg *arg, struct sort_program *prog,
			  const char **error_r)
{
	const struct imap_arg *items;
	size_t count;
	bool reverse = false;

	prog->count = 0;
	if (!imap_arg_as_list(arg, &items, &count) || count == 0) {
		*error_r = "SORT needs a list of sort criteria";
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (imap_arg_atom_equals(&items[i], "REVERSE")) {
			reverse = true;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(key_names) / sizeof(key_names[0]); k++) {
			if (imap_arg_atom_equals(&items[i], key_names[k].name))
				break;
		}
		if (k == sizeof(key_names) / sizeof(key_names[0]) ||
		    prog->count == MAX_CRITERIA) {
			*error_r = "Unknown sort criterion";
			return -1;
		}
		prog->criteria[prog->count].key = key_names[k].key;
		prog->criteria[prog->count].reverse = reverse;
		prog->count++;
		reverse = false;
	}
	if (reverse || prog->count == 0) {
		*error_r = "REVERSE must precede a sort criterion";
		return -1;
	}
	return 0;
}

static int cmp_num(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* RFC 5957: display names compare with i;unicode-casemap; folding then
 * comparing bytes approximates it for the scripts search-fold knows. */
static int cmp_folded(const char *a, const char *b)
{
	struct buf fa = BUF_INIT, fb = BUF_INIT;
	search_fold(a, strlen(a), &fa);
	search_fold(b, strlen(b), &fb);
	int r = strcmp(fa.data, fb.data);
	buf_free(&fa);
	buf_free(&fb);
	return r;
}

static int cmp_key(const struct sort_msg *a, const struct sort_msg *b,
		   enum sort_key key)
{
	switch (key) {
	case SORT_ARRIVAL:
		return cmp_num((uint64_t)a->arrival, (uint64_t)b->arrival);
	case SORT_DATE:
		return a->sent < b->sent ? -1 : a->sent > b->sent;
	case SORT_SIZE:
		return cmp_num(a->size, b->size);
	case SORT_SUBJECT:
		return sort_casemap_cmp(a->subject, b->subject);
	case SORT_FROM:
		return sort_casemap_cmp(a->from, b->from);
	case SORT_TO:
		return sort_casemap_cmp(a->to, b->to);
	case SORT_CC:
		return sort_casemap_cmp(a->cc, b->cc);
	case SORT_DISPLAYFROM:
		return cmp_folded(a->display_from, b->display_from);
	case SORT_DISPLAYTO:
		return cmp_folded(a->display_to, b->display_to);
	}
	return 0;
}

static int cmp_msgs(const void *x, const void *y, void *arg)
{
	const struct sort_program *prog = arg;
	const struct sort_msg *a = x, *b = y;
	for (size_t i = 0; i < prog->count; i++) {
		int r = cmp_key(a, b, prog->criteria[i].key);
		if (r != 0)
			return prog->criteria[i].reverse ? -r : r;
	}
	/* RFC 5256 2.2: the sequence number breaks ties, never reversed. */
	return cmp_num(a->seq, b->seq);
}

bool sort_run_search(struct command *cmd, const struct imap_arg *args,
		     size_t count, uint32_t **seqs_r, size_t *count_r,
		     uint64_t *modseq_r)
{
	struct session *s = cmd->session;
	const char *cs, *error;
	size_t cs_len;

	*seqs_r = NULL;
	*count_r = 0;
	*modseq_r = 0;
	if (count < 2 || !imap_arg_as_astring(&args[0], &cs, &cs_len) ||
	    memchr(cs, '\0', cs_len) != NULL)
		return command_bad(cmd, NULL, "Missing charset or search keys");
	char *charset = xstrndup(cs, cs_len);
	struct search_program prog;
	enum search_parse_result pr =
		search_program_parse(args + 1, count - 1, charset, &prog, &error);
	free(charset);
	if (pr == SEARCH_PARSE_BADCHARSET)
		return command_no(cmd, SEARCH_BADCHARSET_CODE, "%s", error);
	if (pr != SEARCH_PARSE_OK)
		return command_bad(cmd, NULL, "%s", error);
	int r = search_program_run(s, &prog, searchres_of(s), seqs_r, count_r,
				   &error);
	bool uses_modseq = prog.uses_modseq;
	/* RFC 7162 3.1.6: the highest modseq of the messages found, which
	 * the search read from their records (the view keeps none). */
	uint64_t highest_modseq = prog.highest_modseq;
	search_program_free(&prog);
	if (r != STORE_OK)
		return command_no(cmd, store_error_code(r), "%s", error);
	if (uses_modseq) {
		mailbox_view_enable_condstore(s);
		*modseq_r = highest_modseq;
	}
	return false;
}

bool cmd_sort(struct command *cmd)
{
	struct session *s = cmd->session;
	bool uid = cmd->def->name[0] == 'U';
	struct sort_program prog;
	const char *error;
	uint32_t *seqs;
	size_t count;

	if (cmd->args_count < 3)
		return command_bad(cmd, NULL, "SORT needs criteria, a charset and search keys");
	if (parse_criteria(&cmd->args[0], &prog, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);
	uint64_t modseq;
	if (sort_run_search(cmd, cmd->args + 1, cmd->args_count - 1, &seqs, &count,
			    &modseq))
		return true;

	struct sort_msg *msgs;
	size_t n;
	int r = sort_msgs_load(s, seqs, count, false, &msgs, &n, &error);
	free(seqs);
	if (r != STORE_OK)
		return command_no(cmd, store_error_code(r), "%s", error);
	if (n > 1)
		qsort_r(msgs, n, sizeof(*msgs), cmp_msgs, &prog);

	struct buf line = BUF_INIT;
	buf_append_str(&line, "* SORT");
	for (size_t i = 0; i < n; i++)
		buf_printf(&line, " %u", uid ? msgs[i].uid : msgs[i].seq);
	/* RFC 7162 3.1.9: a non-empty result of a MODSEQ search ends with
	 * the highest modseq of the messages returned. */
	if (modseq > 0 && n > 0)
		buf_printf(&line, " (MODSEQ %llu)", (unsigned long long)modseq);
	buf_append_str(&line, "\r\n");
	session_write(s, line.data, line.len);
	buf_free(&line);
	sort_msgs_free(msgs, n);
	return command_ok(cmd, NULL, "Sort completed");
}
