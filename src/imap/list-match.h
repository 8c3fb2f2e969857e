#ifndef QUIRE_IMAP_LIST_MATCH_H
#define QUIRE_IMAP_LIST_MATCH_H
/*
 * Mailbox name patterns of LIST and LSUB (RFC 3501 6.3.8): "*" matches
 * zero or more characters, "%" matches zero or more characters except the
 * hierarchy delimiter, every other byte matches itself. The name INBOX is
 * case-insensitive (RFC 3501 5.1), so when a name's first component is
 * INBOX its five letters match a pattern in any case ("inbox", "In%").
 *
 * Matching runs the pattern as a set of states over the name (one pass,
 * O(name length * pattern length)), so patterns such as "*a*a*a*a*a*b"
 * cost no more than any other pattern of that length: no backtracking,
 * nothing exponential.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Longest pattern accepted after joining reference and pattern. */
#define LIST_MATCH_MAX_PATTERN 1024

struct list_match {
	char *pattern;		/* wildcard runs collapsed */
	size_t len;
	char delim;
	size_t literals;	/* non-wildcard bytes: a shorter name never matches */
	bool has_percent;
	/* Two state rows of len + 1 entries, reused between names. */
	unsigned char *row;
};

/*
 * Joins a LIST reference and pattern into one pattern, appended to out
 * (RFC 3501 6.3.8: the reference names the context the pattern is
 * interpreted in). An empty reference leaves the pattern as it is; a
 * non-empty one gets exactly one delimiter between it and the pattern
 * ("a" + "b" and "a/" + "b" give "a/b", "a/" + "/b" gives "a/b"). An empty
 * pattern is not joined: the caller answers it with the delimiter.
 */
void list_match_join(const char *ref, size_t ref_len, const char *pattern,
		     size_t pattern_len, char delim, struct buf *out);

/*
 * Prepares m for pattern[0..len). Never fails: the caller bounds len
 * (LIST_MATCH_MAX_PATTERN). Free with list_match_deinit().
 */
void list_match_init(struct list_match *m, const char *pattern, size_t len,
		     char delim);
void list_match_deinit(struct list_match *m);

/* True when name[0..len) matches the whole pattern. */
bool list_match_name(struct list_match *m, const char *name, size_t len);

/* True when the pattern holds a "%" (so levels of hierarchy above a
 * matching name's children are listed, RFC 3501 6.3.8/6.3.9). */
bool list_match_has_percent(const struct list_match *m);

#endif
