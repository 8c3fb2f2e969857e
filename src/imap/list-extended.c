/*
 * The extended LIST command (RFC 5258): selection by subscription or
 * special use (RFC 6154 6), several patterns, RECURSIVEMATCH with
 * CHILDINFO, \NonExistent and \Subscribed, and STATUS for each listed
 * mailbox (LIST-STATUS, RFC 5819). The plain LIST of RFC 3501 stays in
 * cmd-list.c: its "%" and empty-pattern rules differ (RFC 5258 3).
 */
#include "imap/list-extended.h"

#include <stdlib.h>
#include <string.h>

#include "core/mutf7.h"
#include "imap/cmd-mailbox.h"
#include "imap/list-match.h"
#include "imap/mailbox-name.h"
#include "imap/view.h"
#include "store/store.h"

/* A name that may be listed: a mailbox or subscription, or a parent of
 * one that meets the selection criteria (RECURSIVEMATCH). */
struct candidate {
	const char *name;		/* into the store list or owned */
	size_t len;
	char *owned;
	bool meets;			/* satisfies the selection criteria */
	bool child_meets;		/* a descendant does */
	bool child_unlisted;		/* ... and does not match a pattern */
};

struct xlist {
	struct session *session;
	const struct list_options *opts;
	struct store_mailbox_list all;	/* sorted bytewise */
	struct list_match *matches;
	size_t match_count;
	bool utf8;
	struct buf scratch;
	struct candidate *cands;
	size_t count, cap;
};

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct store_mailbox_entry *x = a, *y = b;
	return bytes_cmp(x->name, strlen(x->name), y->name, strlen(y->name));
}

static int cand_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	return bytes_cmp(x->name, x->len, y->name, y->len);
}

/* Index of the first entry not below key[0..len). */
static size_t lower_bound(const struct xlist *x, const char *key, size_t len)
{
	size_t lo = 0, hi = x->all.count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = x->all.entries[mid].name;
		if (bytes_cmp(n, strlen(n), key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct store_mailbox_entry *find_entry(const struct xlist *x,
						    const char *name, size_t len)
{
	size_t i = lower_bound(x, name, len);
	if (i == x->all.count)
		return NULL;
	const struct store_mailbox_entry *e = &x->all.entries[i];
	return strlen(e->name) == len && memcmp(e->name, name, len) == 0 ?
		e : NULL;
}

/* RFC 5258 4: \HasChildren counts existing mailboxes below the name. */
static bool has_children(const struct xlist *x, const char *name, size_t len)
{
	struct buf prefix = BUF_INIT;
	buf_append(&prefix, name, len);
	buf_append_char(&prefix, MAILBOX_NAME_DELIM);
	bool found = false;
	for (size_t i = lower_bound(x, prefix.data, prefix.len);
	     i < x->all.count && !found; i++) {
		const struct store_mailbox_entry *e = &x->all.entries[i];
		if (strncmp(e->name, prefix.data, prefix.len) != 0)
			break;
		found = (e->attrs & STORE_MBOX_NONEXISTENT) == 0;
	}
	buf_free(&prefix);
	return found;
}

/* Whether the stored name[0..len) matches any pattern; in UTF-8 when the
 * session enabled UTF8=ACCEPT, as the patterns are then UTF-8. */
static bool name_matches(struct xlist *x, const char *name, size_t len)
{
	if (x->utf8) {
		buf_reset(&x->scratch);
		if (mutf7_to_utf8(name, len, &x->scratch) == 0) {
			name = buf_cstr(&x->scratch);
			len = x->scratch.len;
		}
	}
	for (size_t i = 0; i < x->match_count; i++) {
		if (list_match_name(&x->matches[i], name, len))
			return true;
	}
	return false;
}

/* RFC 5258 3.1, RFC 6154 6: every given selection option must hold; with
 * none, the existing mailboxes are selected. */
static bool meets_criteria(const struct xlist *x, uint32_t attrs)
{
	unsigned sel = x->opts->select;
	bool exists = (attrs & STORE_MBOX_NONEXISTENT) == 0;
	if ((sel & LIST_SELECT_SUBSCRIBED) && !(attrs & STORE_MBOX_SUBSCRIBED))
		return false;
	if ((sel & LIST_SELECT_SPECIAL_USE) &&
	    (!exists || !(attrs & STORE_MBOX_SPECIAL_USE_MASK)))
		return false;
	if (!(sel & LIST_SELECT_SUBSCRIBED) && !exists)
		return false;
	return true;
}

static struct candidate *add_candidate(struct xlist *x, const char *name,
				       size_t len)
{
	if (x->count == x->cap) {
		x->cap = x->cap == 0 ? 64 : x->cap * 2;
		x->cands = xrealloc(x->cands, x->cap * sizeof(*x->cands));
	}
	struct candidate *c = &x->cands[x->count++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->len = len;
	return c;
}

static void collect(struct xlist *x)
{
	bool recursive = x->opts->select & LIST_SELECT_RECURSIVEMATCH;
	for (size_t i = 0; i < x->all.count; i++) {
		const struct store_mailbox_entry *e = &x->all.entries[i];
		size_t len = strlen(e->name);
		bool meets = meets_criteria(x, e->attrs);
		bool matches = name_matches(x, e->name, len);
		if (meets && matches)
			add_candidate(x, e->name, len)->meets = true;
		if (!recursive || !meets)
			continue;
		/* RFC 5258 3.5: the parents that match hear of this child. */
		for (size_t k = 1; k < len; k++) {
			if (e->name[k] != MAILBOX_NAME_DELIM ||
			    !name_matches(x, e->name, k))
				continue;
			struct candidate *c = add_candidate(x, e->name, k);
			c->child_meets = true;
			c->child_unlisted = !matches;
		}
	}
	if (x->count > 1)
		qsort(x->cands, x->count, sizeof(*x->cands), cand_cmp);
	/* One response per name (RFC 5258 3.3 rule 1): merge duplicates. */
	size_t out = 0;
	for (size_t i = 0; i < x->count; i++) {
		if (out > 0 && cand_cmp(&x->cands[out - 1], &x->cands[i]) == 0) {
			struct candidate *c = &x->cands[out - 1];
			c->meets |= x->cands[i].meets;
			c->child_meets |= x->cands[i].child_meets;
			c->child_unlisted |= x->cands[i].child_unlisted;
			continue;
		}
		x->cands[out++] = x->cands[i];
	}
	x->count = out;
}

static void write_attrs(const struct xlist *x, const struct candidate *c,
			const struct store_mailbox_entry *e, struct buf *out)
{
	uint32_t attrs = e != NULL ? e->attrs : STORE_MBOX_NONEXISTENT;
	size_t start = out->len;
	/* RFC 5258 3: \NonExistent implies \Noselect. */
	if (attrs & STORE_MBOX_NONEXISTENT)
		buf_append_str(out, " \\NonExistent");
	else if (attrs & STORE_MBOX_NOSELECT)
		buf_append_str(out, " \\Noselect");
	/* RFC 5258 4: the CHILDREN attributes may always be given. */
	buf_append_str(out, has_children(x, c->name, c->len) ?
		       " \\HasChildren" : " \\HasNoChildren");
	if ((x->opts->ret & LIST_RETURN_SUBSCRIBED) &&
	    (attrs & STORE_MBOX_SUBSCRIBED))
		buf_append_str(out, " \\Subscribed");
	if (!(attrs & STORE_MBOX_NONEXISTENT))
		list_special_use_write(attrs & STORE_MBOX_SPECIAL_USE_MASK, out);
	/* Drop the first separator. */
	memmove(out->data + start, out->data + start + 1, out->len - start - 1);
	buf_truncate(out, out->len - 1);
}

/* RFC 5258 3.5: CHILDINFO names the criteria a descendant met. */
static void write_childinfo(const struct xlist *x, struct buf *out)
{
	buf_append_str(out, " (\"CHILDINFO\" (");
	if (x->opts->select & LIST_SELECT_SUBSCRIBED)
		buf_append_str(out, "\"SUBSCRIBED\"");
	if (x->opts->select & LIST_SELECT_SPECIAL_USE) {
		if (x->opts->select & LIST_SELECT_SUBSCRIBED)
			buf_append_char(out, ' ');
		buf_append_str(out, "\"SPECIAL-USE\"");
	}
	buf_append_str(out, "))");
}

/* RFC 5819 2: STATUS follows the LIST line of each selectable mailbox
 * that meets the criteria; one that cannot be counted gets none. */
static void write_status(struct xlist *x, const struct candidate *c,
			 const struct store_mailbox_entry *e)
{
	struct store_mailbox_status status;
	const char *error;
	struct store *st = session_store(x->session);
	if (st == NULL || e == NULL || e->id == 0 ||
	    (e->attrs & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT)) ||
	    store_mailbox_status(st, e->id, &status, &error) != STORE_OK)
		return;
	cmd_status_write(x->session, c->name, c->len, x->opts->status_items,
			 &status);
}

static void write_all(struct xlist *x)
{
	bool recursive = x->opts->select & LIST_SELECT_RECURSIVEMATCH;
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < x->count; i++) {
		const struct candidate *c = &x->cands[i];
		/* RFC 5258 3.5: a name that does not meet the criteria is
		 * listed only for a child that is not listed itself. */
		if (!c->meets && !(recursive && c->child_unlisted))
			continue;
		const struct store_mailbox_entry *e = find_entry(x, c->name, c->len);
		buf_reset(&out);
		buf_append_str(&out, "* LIST (");
		write_attrs(x, c, e, &out);
		buf_printf(&out, ") \"%c\" ", MAILBOX_NAME_DELIM);
		mailbox_name_write_for(x->session, &out, c->name, c->len);
		if (recursive && c->child_meets)
			write_childinfo(x, &out);
		buf_append(&out, "\r\n", 2);
		session_write(x->session, out.data, out.len);
		if ((x->opts->ret & LIST_RETURN_STATUS) && c->meets)
			write_status(x, c, e);
	}
	buf_free(&out);
}

static void xlist_free(struct xlist *x)
{
	store_mailbox_list_free(&x->all);
	for (size_t i = 0; i < x->match_count; i++)
		list_match_deinit(&x->matches[i]);
	free(x->matches);
	free(x->cands);
	buf_free(&x->scratch);
}

/* The reference or a pattern as matched: bytes, checked like plain
 * LIST's (no controls; 8-bit only as UTF-8 after UTF8=ACCEPT). */
static bool pattern_ok(const char *s, size_t len, bool utf8)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			return false;
	}
	return !utf8 || utf8_valid(s, len);
}

bool list_extended(struct command *cmd, const struct list_options *opts)
{
	struct session *s = cmd->session;
	struct xlist x = { .session = s, .opts = opts, .utf8 = s->enabled_utf8 };
	const char *ref, *error = NULL;
	size_t ref_len;

	if (!imap_arg_as_astring(opts->ref, &ref, &ref_len) ||
	    !pattern_ok(ref, ref_len, x.utf8))
		return command_bad(cmd, NULL, "Bad LIST reference name");
	x.matches = xcalloc(opts->pattern_count, sizeof(*x.matches));
	for (size_t i = 0; i < opts->pattern_count; i++) {
		const char *pat;
		size_t len;
		if (!imap_arg_as_astring(&opts->patterns[i], &pat, &len) ||
		    !pattern_ok(pat, len, x.utf8)) {
			xlist_free(&x);
			return command_bad(cmd, NULL, "Bad LIST pattern");
		}
		/* RFC 5258 3: the empty pattern is ignored, and a pattern the
		 * server does not accept is silently ignored too. */
		struct buf full = BUF_INIT;
		if (len > 0)
			list_match_join(ref, ref_len, pat, len,
					MAILBOX_NAME_DELIM, &full);
		if (len > 0 && full.len <= LIST_MATCH_MAX_PATTERN)
			list_match_init(&x.matches[x.match_count++], full.data,
					full.len, MAILBOX_NAME_DELIM);
		buf_free(&full);
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		xlist_free(&x);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	int r = store_mailbox_list(st, s->user_id, &x.all, &error);
	if (r != STORE_OK) {
		xlist_free(&x);
		return mailbox_name_reply_store_error(cmd, r, error);
	}
	if (x.all.count > 1)
		qsort(x.all.entries, x.all.count, sizeof(*x.all.entries),
		      entry_cmp);
	/* RFC 5819 STATUS of each mailbox is a STATUS: with HIGHESTMODSEQ
	 * it is CONDSTORE enabling (RFC 7162 3.1). */
	if ((opts->ret & LIST_RETURN_STATUS) &&
	    cmd_status_items_condstore(opts->status_items))
		mailbox_view_enable_condstore(s);
	collect(&x);
	write_all(&x);
	xlist_free(&x);
	return command_ok(cmd, NULL, "LIST completed");
}
