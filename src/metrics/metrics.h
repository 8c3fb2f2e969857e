#ifndef QUIRE_METRICS_METRICS_H
#define QUIRE_METRICS_METRICS_H
/*
 * Process-wide counters for the Prometheus endpoint (metrics_listen) and
 * `quire status`. Every update is a few relaxed atomic additions, callable
 * from any thread at any time (also before anything is set up), so the
 * protocol code can count without locks or setup order worries.
 *
 * Where the IMAP session calls these (the integrator wires them):
 *   metrics_session_state  on open (NONE -> NOTAUTH), after LOGIN /
 *                          AUTHENTICATE (-> AUTH), SELECT/EXAMINE
 *                          (-> SELECTED), CLOSE/UNSELECT (-> AUTH), and
 *                          on_close (current -> NONE)
 *   metrics_login          after each LOGIN/AUTHENTICATE outcome
 *   metrics_command_done   after each tagged reply, with the command name
 *                          as in the command table (unknown: "UNKNOWN")
 *                          and the time from parse to tagged reply
 *   metrics_bytes          in on_close, with conn_bytes_in/out (net/conn.h)
 * LMTP (src/lmtp) calls metrics_session_state and metrics_delivery itself.
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

enum metrics_state {
	METRICS_STATE_NONE = 0,  /* not counted: before open, after close */
	METRICS_STATE_NOTAUTH,   /* IMAP, before login */
	METRICS_STATE_AUTH,      /* IMAP, logged in, nothing selected */
	METRICS_STATE_SELECTED,  /* IMAP, a mailbox selected */
	METRICS_STATE_LMTP,      /* an LMTP connection */
	METRICS_STATE_COUNT_,
};

/* Moves one connection from state `from` to `to` (gauges by state). */
void metrics_session_state(enum metrics_state from, enum metrics_state to);

/* One login attempt finished. */
void metrics_login(bool ok);

/*
 * One command finished after usec microseconds. name is copied (at most 31
 * bytes are kept); up to METRICS_MAX_COMMANDS distinct names are counted
 * separately, later ones together under "OTHER", so a client sending
 * random command names cannot grow memory.
 */
#define METRICS_MAX_COMMANDS 96
void metrics_command_done(const char *name, uint64_t usec);

/* Bytes moved by one connection (add them when it closes). */
void metrics_bytes(uint64_t in, uint64_t out);

/* One message delivered to one recipient (ok) or refused/failed. */
void metrics_delivery(bool ok);

/*
 * Extra gauges computed at scrape time (open connections, store size):
 * fn appends complete Prometheus lines to out. Set once before serving;
 * fn runs on a worker thread, so it must be thread-safe. NULL removes it.
 */
typedef void metrics_gauge_fn(struct buf *out, void *context);
void metrics_set_gauge_source(metrics_gauge_fn *fn, void *context);

/* Appends every metric in Prometheus text exposition format 0.0.4. */
void metrics_render(struct buf *out);

/* Zeroes every counter (tests). Not safe while others update. */
void metrics_reset(void);

#endif
