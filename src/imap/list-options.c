/* Arguments of the extended LIST command (RFC 5258 6, RFC 6154 6, RFC
 * 5819 4) and the special-use attribute names (RFC 6154 2). */
#include "imap/list-options.h"

#include <string.h>

#include "core/strutil.h"
#include "imap/cmd-mailbox.h"
#include "store/store.h"

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
#define SPECIAL_USE_COUNT (sizeof(special_use) / sizeof(special_use[0]))

uint32_t list_special_use_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < SPECIAL_USE_COUNT; i++) {
		if (str_ascii_caseeq_n(name, len, special_use[i].name,
				       strlen(special_use[i].name)))
			return special_use[i].bit;
	}
	return 0;
}

void list_special_use_write(uint32_t attrs, struct buf *out)
{
	for (size_t i = 0; i < SPECIAL_USE_COUNT; i++) {
		if (attrs & special_use[i].bit) {
			buf_append_char(out, ' ');
			buf_append_str(out, special_use[i].name);
		}
	}
}

static int parse_select(const struct imap_arg *arg, unsigned *select_r,
			const char **error_r)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "SUBSCRIBED", LIST_SELECT_SUBSCRIBED },
		{ "REMOTE", LIST_SELECT_REMOTE },
		{ "RECURSIVEMATCH", LIST_SELECT_RECURSIVEMATCH },
		{ "SPECIAL-USE", LIST_SELECT_SPECIAL_USE },	/* RFC 6154 6 */
	};
	*select_r = 0;
	for (size_t i = 0; i < arg->list_count; i++) {
		size_t k = 0;
		while (k < sizeof(names) / sizeof(names[0]) &&
		       !imap_arg_atom_equals(&arg->list[i], names[k].name))
			k++;
		if (k == sizeof(names) / sizeof(names[0])) {
			*error_r = "Unknown LIST selection option";
			return -1;
		}
		/* RFC 5258 3: an option given twice counts once. */
		*select_r |= names[k].bit;
	}
	/* RFC 5258 3.1: RECURSIVEMATCH alone (or with REMOTE) is BAD. */
	if ((*select_r & LIST_SELECT_RECURSIVEMATCH) &&
	    !(*select_r & (LIST_SELECT_SUBSCRIBED | LIST_SELECT_SPECIAL_USE))) {
		*error_r = "RECURSIVEMATCH needs another selection option";
		return -1;
	}
	return 0;
}

static int parse_return(const struct imap_arg *arg, struct list_options *opts,
			const char **error_r)
{
	for (size_t i = 0; i < arg->list_count; i++) {
		const struct imap_arg *a = &arg->list[i];
		if (imap_arg_atom_equals(a, "SUBSCRIBED")) {
			opts->ret |= LIST_RETURN_SUBSCRIBED;
		} else if (imap_arg_atom_equals(a, "CHILDREN")) {
			opts->ret |= LIST_RETURN_CHILDREN;
		} else if (imap_arg_atom_equals(a, "SPECIAL-USE")) {
			opts->ret |= LIST_RETURN_SPECIAL_USE;
		} else if (imap_arg_atom_equals(a, "STATUS")) {
			/* RFC 5819 4: "STATUS" SP "(" status-att ... ")" */
			unsigned items;
			if (i + 1 == arg->list_count ||
			    !cmd_status_parse_items(&arg->list[i + 1], &items)) {
				*error_r = "RETURN STATUS takes a list of STATUS items";
				return -1;
			}
			opts->ret |= LIST_RETURN_STATUS;
			opts->status_items |= items;
			i++;
		} else {
			*error_r = "Unknown LIST return option";
			return -1;
		}
	}
	return 0;
}

static bool is_astring(const struct imap_arg *arg)
{
	const char *s;
	size_t len;
	return imap_arg_as_astring(arg, &s, &len);
}

int list_options_parse(const struct imap_arg *args, size_t count,
		       struct list_options *opts_r, const char **error_r)
{
	size_t i = 0;

	memset(opts_r, 0, sizeof(*opts_r));
	*error_r = "LIST takes [(options)] reference pattern [RETURN (options)]";
	if (count > 0 && args[0].type == IMAP_ARG_LIST) {
		if (parse_select(&args[0], &opts_r->select, error_r) < 0)
			return -1;
		opts_r->extended = true;
		i++;
	}
	if (count - i < 2 || !is_astring(&args[i]))
		return -1;
	opts_r->ref = &args[i++];
	if (args[i].type == IMAP_ARG_LIST) {
		/* RFC 5258 6: patterns = "(" list-mailbox *(SP list-mailbox) ")" */
		if (args[i].list_count == 0)
			return -1;
		for (size_t k = 0; k < args[i].list_count; k++) {
			if (!is_astring(&args[i].list[k]))
				return -1;
		}
		opts_r->patterns = args[i].list;
		opts_r->pattern_count = args[i].list_count;
		opts_r->extended = true;
	} else if (is_astring(&args[i])) {
		opts_r->patterns = &args[i];
		opts_r->pattern_count = 1;
	} else {
		return -1;
	}
	i++;
	if (i < count) {
		if (count - i != 2 || !imap_arg_atom_equals(&args[i], "RETURN") ||
		    args[i + 1].type != IMAP_ARG_LIST)
			return -1;
		if (parse_return(&args[i + 1], opts_r, error_r) < 0)
			return -1;
		opts_r->extended = true;
	}
	/* RFC 5258 3.1: the SUBSCRIBED selection option implies the return
	 * option; RFC 6154 6 says the same of SPECIAL-USE. */
	if (opts_r->select & LIST_SELECT_SUBSCRIBED)
		opts_r->ret |= LIST_RETURN_SUBSCRIBED;
	if (opts_r->select & LIST_SELECT_SPECIAL_USE)
		opts_r->ret |= LIST_RETURN_SPECIAL_USE;
	return 0;
}
