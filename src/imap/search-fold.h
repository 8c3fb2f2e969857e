#ifndef QUIRE_IMAP_SEARCH_FOLD_H
#define QUIRE_IMAP_SEARCH_FOLD_H
/*
 * Case folding for SEARCH string matching (RFC 3501 6.4.4: "case-
 * insensitive substring"). UTF-8 in, UTF-8 out, byte length unchanged:
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals become
 * their small letters; every other byte (invalid UTF-8 included) is
 * copied. The full-text index folds a superset of these letters, so a
 * match found here is always among its candidates.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Appends the folded form of in[0..len) to out (exactly len bytes). */
void search_fold(const char *in, size_t len, struct buf *out);

/*
 * True when the already folded needle occurs in hay[0..hay_len) after
 * folding hay. scratch is a caller's buffer reused between calls (its
 * contents are replaced). An empty needle matches everything.
 */
bool search_fold_contains(const char *hay, size_t hay_len,
			  const char *needle, size_t needle_len,
			  struct buf *scratch);

#endif
