#ifndef QUIRE_IMAP_FETCH_ITEMS_H
#define QUIRE_IMAP_FETCH_ITEMS_H
/*
 * FETCH data items (RFC 3501 6.4.5, RFC 3516 BINARY): parsed once per
 * command, before any message is touched, so a bad item is a BAD with
 * nothing sent.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/parser.h"
#include "mail/section.h"

enum fetch_item_kind {
	FETCH_FLAGS,
	FETCH_UID,
	FETCH_INTERNALDATE,
	FETCH_RFC822_SIZE,
	FETCH_ENVELOPE,
	FETCH_BODY,		/* BODY without a section: non-extensible structure */
	FETCH_BODYSTRUCTURE,
	FETCH_SECTION,		/* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER/TEXT */
	FETCH_BINARY,		/* BINARY[...], BINARY.PEEK[...] */
	FETCH_BINARY_SIZE,	/* BINARY.SIZE[...] */
	FETCH_MODSEQ,		/* RFC 7162 3.1.4.2 */
	FETCH_EMAILID,		/* RFC 8474 5.3 */
	FETCH_THREADID,		/* RFC 8474 5.3 */
	FETCH_SAVEDATE,		/* RFC 8514 4.2 */
	FETCH_PREVIEW,		/* RFC 8970 3, with or without (LAZY) */
};

struct fetch_item {
	enum fetch_item_kind kind;
	/* The name in the response: "BODY[HEADER]<0>", "RFC822.TEXT", ... */
	char *label;
	struct mail_section section;
	bool has_section;
	bool partial;
	uint64_t origin, octets;
};

struct fetch_items {
	struct fetch_item *items;
	size_t count;
	/* Sets \Seen on the messages (a non-PEEK body item, RFC 3501 6.4.5). */
	bool sets_seen;
	/* Needs the message bytes (sections, BINARY) or only the cached
	 * parse (ENVELOPE, BODY, BODYSTRUCTURE) or neither. */
	bool needs_body;
	bool needs_tree;
	/* Needs the store's per-message record (INTERNALDATE, size). */
	bool needs_record;
	/* MODSEQ was asked for (a CONDSTORE enabling command, RFC 7162 3.1). */
	bool has_modseq;
};

/*
 * Parses the item argument of FETCH: an atom, a macro (ALL FAST FULL) or a
 * parenthesized list. uid_command adds UID (RFC 3501 6.4.8). Returns 0, or
 * -1 with *error_r (static text) for a BAD.
 */
int fetch_items_parse(const struct imap_arg *arg, bool uid_command,
		      struct fetch_items *items_r, const char **error_r);

/* Adds MODSEQ unless present (CHANGEDSINCE implies it, RFC 7162
 * 3.1.4.1). */
void fetch_items_add_modseq(struct fetch_items *items);
void fetch_items_free(struct fetch_items *items);

#endif
