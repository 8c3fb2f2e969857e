/*
 * LIST and LSUB (RFC 3501 6.3.8, 6.3.9), with the CHILDREN attributes
 * (RFC 3348) and the special-use attributes (RFC 6154 2) on LIST.
 *
 * The store hands over every mailbox and subscription of the user; the
 * pattern is matched here (list-match.h), over names sorted bytewise, so a
 * name's children are one contiguous run right after "name/".
 */
#include <stdlib.h>
#include <string.h>

#include "core/mutf7.h"
#include "imap/cmd-mailbox.h"
#include "imap/list-extended.h"
#include "imap/list-match.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

/* One line of the answer. */
struct list_item {
	const char *name;	/* points into the store list or into synth */
	size_t len;
	uint32_t attrs;		/* enum store_mailbox_attr */
	bool has_children;
};

struct list_run {
	bool lsub;
	/* UTF8=ACCEPT: the pattern is UTF-8, so names are matched in UTF-8
	 * (RFC 6855 3); converting the pattern to modified UTF-7 instead
	 * would break "%" next to non-ASCII characters, which share one
	 * base64 run in a stored name. */
	bool utf8;
	struct buf scratch;
	struct store_mailbox_list all;	/* sorted with name_cmp */
	struct list_match match;
	struct list_item *items;
	size_t count, cap;
	char **synth;		/* names made up for "%" (RFC 3501 6.3.9) */
	size_t synth_count, synth_cap;
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

static int item_cmp(const void *a, const void *b)
{
	const struct list_item *x = a, *y = b;
	return bytes_cmp(x->name, x->len, y->name, y->len);
}

/* Index of the first entry not below key[0..len). */
static size_t lower_bound(const struct store_mailbox_list *all,
			  const char *key, size_t len)
{
	size_t lo = 0, hi = all->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = all->entries[mid].name;
		if (bytes_cmp(n, strlen(n), key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether an entry counts for this command: existing mailboxes for LIST,
 * subscriptions for LSUB. */
static bool entry_listed(const struct list_run *run,
			 const struct store_mailbox_entry *e)
{
	if (run->lsub)
		return (e->attrs & STORE_MBOX_SUBSCRIBED) != 0;
	return (e->attrs & STORE_MBOX_NONEXISTENT) == 0;
}

/* The listed entry named name[0..len), or NULL. */
static const struct store_mailbox_entry *
find_listed(const struct list_run *run, const char *name, size_t len)
{
	size_t i = lower_bound(&run->all, name, len);
	if (i == run->all.count)
		return NULL;
	const struct store_mailbox_entry *e = &run->all.entries[i];
	if (strlen(e->name) != len || memcmp(e->name, name, len) != 0)
		return NULL;
	return entry_listed(run, e) ? e : NULL;
}

/* RFC 3348: an existing mailbox below name[0..len) makes it a parent. The
 * names starting with "name/" sort together, but not right after name
 * ("a-b" sorts between "a" and "a/b"), so look them up. */
static bool has_children(const struct list_run *run, const char *name,
			 size_t len)
{
	struct buf prefix = BUF_INIT;
	buf_append(&prefix, name, len);
	buf_append_char(&prefix, MAILBOX_NAME_DELIM);
	bool found = false;
	for (size_t i = lower_bound(&run->all, prefix.data, prefix.len);
	     i < run->all.count && !found; i++) {
		const struct store_mailbox_entry *e = &run->all.entries[i];
		if (strncmp(e->name, prefix.data, prefix.len) != 0)
			break;
		found = (e->attrs & STORE_MBOX_NONEXISTENT) == 0;
	}
	buf_free(&prefix);
	return found;
}

/* Whether the stored name[0..len) matches the pattern. */
static bool name_matches(struct list_run *run, const char *name, size_t len)
{
	if (!run->utf8)
		return list_match_name(&run->match, name, len);
	buf_reset(&run->scratch);
	if (mutf7_to_utf8(name, len, &run->scratch) < 0)
		return list_match_name(&run->match, name, len);
	return list_match_name(&run->match, buf_cstr(&run->scratch),
			       run->scratch.len);
}

static void add_item(struct list_run *run, const char *name, size_t len,
		     uint32_t attrs)
{
	if (run->count == run->cap) {
		run->cap = run->cap == 0 ? 64 : run->cap * 2;
		run->items = xrealloc(run->items, run->cap * sizeof(*run->items));
	}
	struct list_item *it = &run->items[run->count++];
	it->name = name;
	it->len = len;
	it->attrs = attrs;
	it->has_children = !run->lsub && has_children(run, name, len);
}

static bool synth_seen(const struct list_run *run, const char *name, size_t len)
{
	for (size_t i = run->synth_count; i > 0; i--) {
		const char *s = run->synth[i - 1];
		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return true;
	}
	return false;
}

/*
 * RFC 3501 6.3.8/6.3.9: with "%", a level of hierarchy that matches while
 * the names below it do not is listed itself, \Noselect when it is not a
 * listed name of its own (LSUB: "foo" unsubscribed, "foo/bar" subscribed).
 * Each made-up parent is listed once, however many children it has.
 */
static void add_parents(struct list_run *run, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < len; i++) {
		if (name[i] != MAILBOX_NAME_DELIM || i == 0)
			continue;
		if (!name_matches(run, name, i) ||
		    find_listed(run, name, i) != NULL || synth_seen(run, name, i))
			continue;
		if (run->synth_count == run->synth_cap) {
			run->synth_cap = run->synth_cap == 0 ? 8 : run->synth_cap * 2;
			run->synth = xrealloc(run->synth,
					      run->synth_cap * sizeof(*run->synth));
		}
		char *copy = xstrndup(name, i);
		run->synth[run->synth_count++] = copy;
		add_item(run, copy, i, STORE_MBOX_NOSELECT);
	}
}

static void collect(struct list_run *run)
{
	bool percent = list_match_has_percent(&run->match);
	for (size_t i = 0; i < run->all.count; i++) {
		const struct store_mailbox_entry *e = &run->all.entries[i];
		if (!entry_listed(run, e))
			continue;
		size_t len = strlen(e->name);
		if (name_matches(run, e->name, len)) {
			uint32_t attrs = e->attrs;
			/* A subscription whose mailbox is gone cannot be
			 * selected. */
			if (run->lsub && (attrs & STORE_MBOX_NONEXISTENT))
				attrs |= STORE_MBOX_NOSELECT;
			add_item(run, e->name, len, attrs);
		} else if (percent) {
			add_parents(run, e->name);
		}
	}
	if (run->count > 1)
		qsort(run->items, run->count, sizeof(*run->items), item_cmp);
}

static const struct {
	uint32_t bit;
	const char *name;
} special_use[] = {
	/* RFC 6154 2 */
	{ STORE_MBOX_ALL, "\\All" },
	{ STORE_MBOX_ARCHIVE, "\\Archive" },
	{ STORE_MBOX_DRAFTS, "\\Drafts" },
	{ STORE_MBOX_FLAGGED, "\\Flagged" },
	{ STORE_MBOX_JUNK, "\\Junk" },
	{ STORE_MBOX_SENT, "\\Sent" },
	{ STORE_MBOX_TRASH, "\\Trash" },
};

static void write_attrs(const struct list_run *run, const struct list_item *it,
			struct buf *out)
{
	size_t start = out->len;
	if (it->attrs & STORE_MBOX_NOSELECT)
		buf_append_str(out, " \\Noselect");
	if (!run->lsub) {
		/* RFC 3348 3 */
		buf_append_str(out, it->has_children ? " \\HasChildren" :
			       " \\HasNoChildren");
		for (size_t i = 0; i < sizeof(special_use) / sizeof(special_use[0]); i++) {
			if (it->attrs & special_use[i].bit) {
				buf_append_char(out, ' ');
				buf_append_str(out, special_use[i].name);
			}
		}
	}
	/* Drop the first separator: "(\Noselect ...)", "()". */
	if (out->len > start) {
		memmove(out->data + start, out->data + start + 1, out->len - start - 1);
		buf_truncate(out, out->len - 1);
	}
}

static void write_items(struct session *s, const struct list_run *run)
{
	const char *word = run->lsub ? "LSUB" : "LIST";
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < run->count; i++) {
		const struct list_item *it = &run->items[i];
		buf_printf(&out, "* %s (", word);
		write_attrs(run, it, &out);
		buf_printf(&out, ") \"%c\" ", MAILBOX_NAME_DELIM);
		mailbox_name_write_for(s, &out, it->name, it->len);
		buf_append(&out, "\r\n", 2);
		/* Hand over in pieces: 1000 mailboxes need no 100 kB buffer. */
		if (out.len >= 16384) {
			session_write(s, out.data, out.len);
			buf_reset(&out);
		}
	}
	if (out.len > 0)
		session_write(s, out.data, out.len);
	buf_free(&out);
}

static void run_free(struct list_run *run)
{
	store_mailbox_list_free(&run->all);
	list_match_deinit(&run->match);
	free(run->items);
	for (size_t i = 0; i < run->synth_count; i++)
		free(run->synth[i]);
	free(run->synth);
	buf_free(&run->scratch);
}

/* Reference and pattern are matched as bytes: they may hold wildcards
 * anywhere, even inside a "&...-" shift, so they are not checked as modified
 * UTF-7; what cannot be in a name only makes the match fail. */
static const char *check_list_arg(const char *s, size_t len, bool utf8)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return "Control character or NUL in LIST argument";
		if (c >= 0x80 && !utf8)
			return "8-bit LIST argument: use modified UTF-7 (RFC 3501 5.1.3)";
	}
	if (utf8 && !utf8_valid(s, len))
		return "LIST argument is not valid UTF-8 (RFC 6855 3)";
	return NULL;
}

static bool list_or_lsub(struct command *cmd, bool lsub)
{
	struct session *s = cmd->session;
	const char *word = lsub ? "LSUB" : "LIST";
	const char *ref, *pattern, *error = NULL;
	size_t ref_len, pattern_len;

	/* RFC 3501 9: list = "LIST" SP mailbox SP list-mailbox. The
	 * extended forms of RFC 5258 went to list_extended() instead. */
	if (cmd->args_count != 2 ||
	    !imap_arg_as_astring(&cmd->args[0], &ref, &ref_len) ||
	    !imap_arg_as_astring(&cmd->args[1], &pattern, &pattern_len))
		return command_bad(cmd, NULL, "%s takes a reference name and a mailbox pattern", word);
	bool utf8 = s->enabled_utf8;
	if ((error = check_list_arg(ref, ref_len, utf8)) != NULL ||
	    (error = check_list_arg(pattern, pattern_len, utf8)) != NULL)
		return command_bad(cmd, NULL, "%s", error);

	/* RFC 3501 6.3.8: an empty pattern asks for the delimiter and the
	 * root of the reference; the personal namespace has root "". */
	if (pattern_len == 0) {
		session_untagged(s, "%s (\\Noselect) \"%c\" \"\"", word,
				 MAILBOX_NAME_DELIM);
		return command_ok(cmd, NULL, "%s completed", word);
	}

	struct buf full = BUF_INIT;
	list_match_join(ref, ref_len, pattern, pattern_len, MAILBOX_NAME_DELIM, &full);
	if (full.len > LIST_MATCH_MAX_PATTERN) {
		buf_free(&full);
		return command_bad(cmd, NULL, "%s pattern too long", word);
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&full);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}

	struct list_run run = { .lsub = lsub, .utf8 = utf8 };
	int r = store_mailbox_list(st, s->user_id, &run.all, &error);
	if (r != STORE_OK) {
		buf_free(&full);
		return mailbox_name_reply_store_error(cmd, r, error);
	}
	if (run.all.count > 1)
		qsort(run.all.entries, run.all.count, sizeof(*run.all.entries),
		      entry_cmp);
	list_match_init(&run.match, full.data, full.len, MAILBOX_NAME_DELIM);
	buf_free(&full);
	collect(&run);
	write_items(s, &run);
	run_free(&run);
	return command_ok(cmd, NULL, "%s completed", word);
}

bool cmd_list(struct command *cmd)
{
	struct list_options opts;
	const char *error;

	/* RFC 5258: selection options, pattern lists and RETURN. */
	if (list_options_parse(cmd->args, cmd->args_count, &opts, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);
	if (opts.extended)
		return list_extended(cmd, &opts);
	return list_or_lsub(cmd, false);
}

bool cmd_lsub(struct command *cmd)
{
	return list_or_lsub(cmd, true);
}
