#ifndef QUIRE_IMAP_CAPABILITY_H
#define QUIRE_IMAP_CAPABILITY_H
/*
 * The CAPABILITY list: one table (capability.c), each row with its RFC and
 * the condition under which it is announced. A capability appears only
 * when its code is complete and enabled.
 */
#include <stdint.h>

#include "core/buf.h"
#include "imap/session.h"

/* Appends the space-separated list for the session as it is now, starting
 * with IMAP4rev1 (no "CAPABILITY" word, no CRLF). */
void capability_write(const struct session *s, struct buf *out);

/* The largest message APPEND accepts, announced as APPENDLIMIT=N (RFC
 * 7889 2) and in STATUS (APPENDLIMIT): max_literal_size, at most 2^32-1. */
uint64_t capability_appendlimit(void);

#endif
