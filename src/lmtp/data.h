#ifndef QUIRE_LMTP_DATA_H
#define QUIRE_LMTP_DATA_H
/*
 * The message text after DATA (RFC 5321 4.1.1.4, 4.5.2): lines up to a
 * line holding only ".", with the leading dot of every other line that
 * starts with one removed ("dot-unstuffing"). Decoding is incremental:
 * feed whatever arrived; lines may be split anywhere between calls, and
 * no line length limit applies (bytes are copied as they come).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct lmtp_data {
	struct buf message;   /* the unstuffed message so far */
	uint64_t max_size;    /* past this, bytes are counted, not kept */
	uint64_t size;        /* unstuffed bytes seen, kept or not */
	bool at_line_start;
	bool too_big;
};

/* Starts a message of at most max_size bytes (message emptied). */
void lmtp_data_begin(struct lmtp_data *d, uint64_t max_size);

/*
 * Consumes bytes of in[0..len) into d and sets *consumed_r. Returns true
 * when the terminating "." line was consumed (bytes after it are left for
 * the next command: PIPELINING), false when more input is needed (then
 * every byte may not have been consumed: a lone "." or ".\r" at the end is
 * kept until the next bytes decide what it is). The "." line may end in
 * CRLF or, leniently, in a bare LF.
 */
bool lmtp_data_feed(struct lmtp_data *d, const char *in, size_t len,
		    size_t *consumed_r);

void lmtp_data_free(struct lmtp_data *d);

#endif
