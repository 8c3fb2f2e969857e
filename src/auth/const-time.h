#ifndef QUIRE_AUTH_CONST_TIME_H
#define QUIRE_AUTH_CONST_TIME_H
/*
 * Comparison of secrets (password hashes, SCRAM proofs) whose running time
 * does not depend on where the first difference is, so a network attacker
 * cannot learn a secret byte by byte from response times.
 */
#include <stdbool.h>
#include <stddef.h>

/* Returns true if a[0..alen) equals b[0..blen). The time taken depends only
   on the lengths, never on the contents. Lengths are not secret (a hash's
   length is fixed by its scheme), so unequal lengths return false at once. */
bool auth_const_time_eq(const void *a, size_t alen, const void *b, size_t blen);

#endif
