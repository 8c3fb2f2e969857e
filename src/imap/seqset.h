#ifndef QUIRE_IMAP_SEQSET_H
#define QUIRE_IMAP_SEQSET_H
/*
 * IMAP sequence sets (RFC 3501 9 "sequence-set", 6.4.8 for UIDs):
 * "1:5,7,*,10:*". Used for both message sequence numbers and UIDs.
 *
 * "*" is stored as SEQSET_STAR (UINT32_MAX) and resolved later against
 * the largest number in use ("star value"). A range is stored with
 * lo <= hi as numbers, so "*:5" is stored as 5:* and "5:2" as 2:5
 * (RFC 3501 9: "2:4" and "4:2" are equivalent). When resolving, "n:*"
 * with n greater than the star value means star:n, i.e. it still holds
 * the largest number (RFC 3501 6.4.8: "559:*" always includes the UID of
 * the last message, even if 559 is higher than any assigned UID).
 *
 * The number 4294967295 itself is read as "*": the two cannot be told
 * apart in this representation. The store never assigns UID 4294967295
 * and no mailbox holds that many messages, so the only visible effect is
 * that "4294967295" selects the last message rather than none.
 *
 * "$" (SEARCHRES, RFC 5182) is not a sequence set: the caller checks for
 * it before calling seqset_parse(), which rejects it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SEQSET_STAR UINT32_MAX

struct seqset_range {
	uint32_t lo, hi;	/* lo <= hi; hi may be SEQSET_STAR */
};

struct seqset {
	struct seqset_range *ranges;
	size_t count;
	size_t cap;
};

#define SEQSET_INIT { NULL, 0, 0 }

/* Initialises an empty set. */
void seqset_init(struct seqset *set);
/* Frees the ranges; the set is empty and reusable afterwards. */
void seqset_free(struct seqset *set);

/*
 * Parses s[0..len) (no NUL needed) into *set_r, which this initialises
 * (any previous contents are not freed). Ranges keep the client's order
 * and are not merged: call seqset_normalize() for that.
 * Returns 0, or -1 with *error_r set to a fixed human reason and *set_r
 * left empty (nothing to free). Rejects: empty input, empty elements
 * (",," or a trailing ","), 0, numbers above 4294967295, leading "+"/"-",
 * any other character, ":" without both ends ("1:", ":3", "1:2:3").
 */
int seqset_parse(const char *s, size_t len, struct seqset *set_r,
		 const char **error_r);

/* Appends the range lo:hi (either order; SEQSET_STAR allowed). */
void seqset_add_range(struct seqset *set, uint32_t lo, uint32_t hi);

/* Sorts the ranges and merges overlapping and adjacent ones, without
 * resolving "*". */
void seqset_normalize(struct seqset *set);

/*
 * Resolves "*" to star_value, reorders ranges that became reversed
 * ("5:*" with star 3 becomes 3:5), clips every range to [1, max], drops
 * empty ones and normalizes. Afterwards the set holds no SEQSET_STAR
 * (unless star_value or max is UINT32_MAX) and iterates in ascending
 * order without duplicates. Typical call: seqset_resolve(set, count,
 * count) for sequence numbers; for UIDs star is the highest UID in the
 * mailbox (0 when empty) and max the same.
 */
void seqset_resolve(struct seqset *set, uint32_t star_value, uint32_t max);

/* True when n is in the set, with "*" meaning star_value. */
bool seqset_contains(const struct seqset *set, uint32_t n,
		     uint32_t star_value);

/* Number of values in a normalized set without SEQSET_STAR (after
 * seqset_resolve()); up to 2^32-1, hence 64 bits. */
uint64_t seqset_count(const struct seqset *set);

/*
 * Iteration over the numbers of a set without materialising them, so
 * "1:4294967295" costs nothing. Each range is visited in stored order
 * with "*" resolved to star_value, swapped if reversed, and clipped to
 * [1, max]; for ascending unique numbers, resolve or normalize first.
 *
 *	struct seqset_iter it;
 *	uint32_t n;
 *	seqset_iter_init(&it, &set, star, max);
 *	while (seqset_iter_next(&it, &n))
 *		...
 *
 * The set must not change during the iteration.
 */
struct seqset_iter {
	const struct seqset *set;
	uint32_t star_value;
	uint32_t max;
	size_t idx;
	uint64_t next;	/* next value of the current range; 64 bits so
			   stepping past UINT32_MAX cannot wrap */
	uint64_t end;	/* last value of the current range */
	bool in_range;
};

void seqset_iter_init(struct seqset_iter *it, const struct seqset *set,
		      uint32_t star_value, uint32_t max);
/* Stores the next number in *n_r and returns true, or returns false at
 * the end. */
bool seqset_iter_next(struct seqset_iter *it, uint32_t *n_r);

/* Appends the set in IMAP syntax ("1:3,7,10:*"); ranges as stored. An
 * empty set appends nothing (the caller decides what that means). */
void seqset_format(struct buf *out, const struct seqset *set);

/*
 * Appends nums[0..count) compactly: runs of consecutive ascending numbers
 * become "a:b", everything else is listed in the given order (COPYUID,
 * RFC 4315 3, pairs source and destination UIDs by position, so the order
 * is kept, never sorted). [1,2,3,7] gives "1:3,7"; [3,2] gives "3,2".
 */
void seqset_format_array(struct buf *out, const uint32_t *nums,
			 size_t count);

/* Whether n is in the ascending array a[0..count) (binary search). */
bool sorted_u32_contains(const uint32_t *a, size_t count, uint32_t n);

#endif
