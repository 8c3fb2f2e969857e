#ifndef QUIRE_IMAP_LIST_OPTIONS_H
#define QUIRE_IMAP_LIST_OPTIONS_H
/*
 * The arguments of the extended LIST command (RFC 5258 3, 6): selection
 * options, one pattern or a list of them, and return options, with the
 * options of SPECIAL-USE (RFC 6154 6) and LIST-STATUS (RFC 5819 2); and
 * the special-use attribute names (RFC 6154 2), shared with CREATE's USE
 * parameter.
 *
 *	LIST [SP "(" select-opts ")"] SP mailbox SP (pattern / "(" patterns ")")
 *	     [SP "RETURN" SP "(" return-opts ")"]
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "imap/parser.h"

enum list_select {
	LIST_SELECT_SUBSCRIBED = 1 << 0,
	LIST_SELECT_REMOTE = 1 << 1,		/* no remote mailboxes: no-op */
	LIST_SELECT_RECURSIVEMATCH = 1 << 2,
	LIST_SELECT_SPECIAL_USE = 1 << 3,
};

enum list_return {
	LIST_RETURN_SUBSCRIBED = 1 << 0,
	LIST_RETURN_CHILDREN = 1 << 1,
	LIST_RETURN_SPECIAL_USE = 1 << 2,
	LIST_RETURN_STATUS = 1 << 3,
};

struct list_options {
	/* Any RFC 5258 form was used (selection list, pattern list or
	 * RETURN): the empty pattern is then no request for the delimiter
	 * (RFC 5258 3) and the extended rules apply. */
	bool extended;
	unsigned select;	/* enum list_select */
	unsigned ret;		/* enum list_return, with the implied ones */
	unsigned status_items;	/* LIST_RETURN_STATUS: cmd_status_parse_items */
	/* The reference name and the patterns: astring arguments, pointing
	 * into the parsed command. */
	const struct imap_arg *ref;
	const struct imap_arg *patterns;
	size_t pattern_count;
};

/*
 * Parses LIST's arguments args[0..count) into opts_r. Returns 0, or -1
 * with *error_r (static text for a tagged BAD: RFC 5258 3 wants BAD for an
 * unknown option, and for RECURSIVEMATCH without a base option).
 */
int list_options_parse(const struct imap_arg *args, size_t count,
		       struct list_options *opts_r, const char **error_r);

/* The STORE_MBOX_* bit of a special-use attribute ("\Drafts", any case),
 * or 0 for a name RFC 6154 2 does not define. */
uint32_t list_special_use_bit(const char *name, size_t len);

/* Appends " \All", " \Drafts", ... for each special-use bit in attrs. */
void list_special_use_write(uint32_t attrs, struct buf *out);

#endif
