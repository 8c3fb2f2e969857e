#ifndef QUIRE_IMAP_SEARCH_PROGRAM_H
#define QUIRE_IMAP_SEARCH_PROGRAM_H
/*
 * SEARCH programs (RFC 3501 6.4.4, 9 "search-key"): the parsed tree of
 * search keys shared by SEARCH, SORT (RFC 5256) and THREAD, and its
 * evaluation against the selected mailbox.
 *
 * Strings in the tree are UTF-8: the parser converts them from the
 * command's CHARSET. Matching of strings is a case-insensitive substring
 * match (RFC 3501 6.4.4) on decoded header values (RFC 2047 undone) and
 * decoded body text (transfer encoding and charset undone); the folding
 * covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (see
 * search-fold.c).
 *
 * Bounds: a program has at most SEARCH_MAX_NODES keys and nests at most
 * SEARCH_MAX_DEPTH deep (NOT, OR and parentheses); beyond, BAD.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/parser.h"
#include "imap/seqset.h"

#define SEARCH_MAX_DEPTH 64
#define SEARCH_MAX_NODES 2000

struct session;
struct searchres;

enum search_op {
	SEARCH_OP_ALL,
	SEARCH_OP_AND,		/* children: every one matches */
	SEARCH_OP_OR,		/* two children */
	SEARCH_OP_NOT,		/* one child */
	SEARCH_OP_FLAG,		/* flags (enum store_flag) all set */
	SEARCH_OP_KEYWORD,	/* str: keyword present */
	SEARCH_OP_RECENT,
	SEARCH_OP_SEQSET,	/* set, sequence numbers */
	SEARCH_OP_UIDSET,	/* set, UIDs */
	SEARCH_OP_SAVED,	/* "$": the saved result (RFC 5182) */
	SEARCH_OP_LARGER,	/* number */
	SEARCH_OP_SMALLER,
	SEARCH_OP_BEFORE,	/* date: INTERNALDATE day < date */
	SEARCH_OP_ON,
	SEARCH_OP_SINCE,
	SEARCH_OP_SENTBEFORE,	/* date: Date header day < date */
	SEARCH_OP_SENTON,
	SEARCH_OP_SENTSINCE,
	SEARCH_OP_HEADER,	/* name, str: a field name contains str */
	SEARCH_OP_BODY,		/* str in the decoded body text */
	SEARCH_OP_TEXT,		/* str in the header or the body text */
	SEARCH_OP_MODSEQ,	/* number: modseq >= it (RFC 7162 3.1.5) */
	SEARCH_OP_OLDER,	/* date: INTERNALDATE <= it (RFC 5032 2) */
	SEARCH_OP_YOUNGER,	/* date: INTERNALDATE >= it */
	SEARCH_OP_SAVEDBEFORE,	/* date: save date's UTC day < date (RFC 8514) */
	SEARCH_OP_SAVEDON,
	SEARCH_OP_SAVEDSINCE,
	SEARCH_OP_EMAILID,	/* str: EMAILID equals it (RFC 8474 6) */
	SEARCH_OP_THREADID,	/* number: the stored thread (RFC 8474 6) */
};

/* How much of a message a key needs; the evaluator reads no more. */
enum search_cost {
	SEARCH_COST_VIEW = 0,	/* flags, UIDs, sequence numbers */
	SEARCH_COST_RECORD = 1,	/* size, internaldate (one store query) */
	SEARCH_COST_HEADER = 2,	/* the header bytes */
	SEARCH_COST_TEXT = 3,	/* the decoded text */
};

struct search_node {
	enum search_op op;
	struct search_node *children;	/* AND, OR, NOT */
	size_t child_count;
	uint32_t flags;			/* FLAG */
	uint64_t number;		/* LARGER, SMALLER */
	time_t date;			/* 00:00 UTC of the day asked for;
					   OLDER/YOUNGER: the instant */
	char *name;			/* HEADER: field name */
	char *str;			/* KEYWORD, HEADER, BODY, TEXT; UTF-8,
					   case-folded for matching */
	size_t str_len;
	struct seqset set;		/* SEQSET, UIDSET */
	enum search_cost cost;		/* the most this subtree needs */

	/* HEADER: the field's index in the search header summary
	   (mail_search_headers_field), 0 when it has none; set by the
	   evaluator. */
	unsigned summary_field;

	/* Filled by the evaluator for BODY/TEXT when the full-text index
	   could answer: the only UIDs that can match (ascending). */
	bool has_candidates;
	uint32_t *candidates;
	size_t candidate_count;
};

struct search_program {
	struct search_node root;	/* an AND of the top-level keys */
	size_t node_count;
	bool uses_saved;		/* "$" appears */
	bool uses_seqs;			/* a message sequence set key appears */
	bool uses_modseq;		/* MODSEQ appears: CONDSTORE enabling,
					   results carry MODSEQ (RFC 7162 3.1.5) */
	uint64_t highest_modseq;	/* set by search_program_run when
					   uses_modseq: the highest modseq of
					   the matches (0: none) */
};

enum search_parse_result {
	SEARCH_PARSE_OK = 0,
	SEARCH_PARSE_BAD = -1,		/* syntax: tagged BAD */
	SEARCH_PARSE_BADCHARSET = -2,	/* NO [BADCHARSET (...)] */
};

/* The charsets a BADCHARSET response code lists (RFC 3501 7.1). */
#define SEARCH_BADCHARSET_CODE "BADCHARSET (UTF-8 US-ASCII)"

/*
 * Parses the search keys args[0..count) (at least one) into *prog_r,
 * converting strings from charset to UTF-8 (charset NULL: UTF-8, a
 * superset of the US-ASCII default of RFC 3501 6.4.4). Returns
 * SEARCH_PARSE_OK, or BAD / BADCHARSET with *error_r a static reason;
 * *prog_r is then empty (search_program_free is still safe).
 */
enum search_parse_result search_program_parse(const struct imap_arg *args,
					      size_t count, const char *charset,
					      struct search_program *prog_r,
					      const char **error_r);

/* Frees the tree; the struct can be parsed into again. */
void search_program_free(struct search_program *prog);

/* True when charset is one a SEARCH may name (UTF-8, US-ASCII, and what
 * iconv converts). */
bool search_charset_known(const char *charset);

/*
 * Runs prog against the selected mailbox of s (which must be selected).
 * saved is the session's SEARCHRES result for "$" (may be NULL: "$" then
 * matches nothing). On success returns 0 with the matching sequence
 * numbers ascending in *seqs_r (caller frees; NULL when none) and
 * *count_r. Messages marked expunged in the view never match. For a UID
 * command (UID SEARCH, SORT, THREAD) without sequence set keys it first
 * brings the view up to date (session_sync_first), EXPUNGE included. Returns a
 * store error (enum store_error) with *error_r when the store fails.
 */
int search_program_run(struct session *s, struct search_program *prog,
		       const struct searchres *saved, uint32_t **seqs_r,
		       size_t *count_r, const char **error_r);

#endif
