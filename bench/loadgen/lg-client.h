#ifndef QUIRE_BENCH_LG_CLIENT_H
#define QUIRE_BENCH_LG_CLIENT_H
/* One simulated IMAP client: connection, framing, and the command state. */
#include "lg.h"

enum cstate {
	C_NEW,        /* not connected yet (ramp) or waiting to reconnect */
	C_CONNECTING,
	C_TLS,
	C_GREETING,
	C_READY,      /* logged in or logging in: commands flow */
	C_DONE,
};

#define PIPE_MAX 64

struct client {
	struct thread *t;
	unsigned idx;
	unsigned user, slot, slots; /* slot of slots clients sharing the user */
	char user_name[64];
	int fd;
	unsigned gen;               /* bumped by every (re)connect */
	SSL *ssl;
	enum cstate state;
	bool setup_done;            /* first LOGIN+SELECT finished */
	bool logging_out;
	struct gbuf in, out;
	size_t in_off, out_off, scan;

	bool cap_seen, cap_literal_plus, cap_uidplus, cap_multiappend;

	uint32_t exists, max_uid;
	uint32_t *owned;            /* UIDs only this client touches (mixed) */
	unsigned nowned, owned_cap;

	/* the command in flight (or the pipeline, for populate) */
	unsigned tagn;
	enum op op;
	int step;
	uint64_t t_start, t_connect, t_cycle, deadline;
	uint64_t pipe_start[PIPE_MAX];
	uint32_t pipe_msgs[PIPE_MAX];   /* messages in each pipelined APPEND */
	unsigned pipe_first_tag, inflight;
	struct gbuf pending_literal; /* APPEND without LITERAL+ */
	bool awaiting_cont;

	/* what the responses to it carried */
	unsigned n_fetch, n_match, n_expunge, n_search, n_bye, n_exists;
	uint32_t search_hits, target_uid, expect;
	bool expect_flag;
	bool bad;
	char why[160];

	/* IDLE */
	bool idling;
	uint64_t idle_until, idle_wait_us;

	/* populate */
	uint32_t next_msg, msgs_total, msgs_done;
	uint64_t rng;
	const char *store_flag;
	uint64_t t_done;            /* IDLE: when DONE was sent */
};

/* Starts (or restarts) the connection. Returns false if socket setup
 * failed at once (the client is then DONE and counted as failed). */
bool client_connect(struct client *c);
/* Handles epoll events for the client. */
void client_event(struct client *c, uint32_t events);
/* Checks deadlines (response timeout, end of IDLE, stop). */
void client_tick(struct client *c, uint64_t now);
void client_close(struct client *c);
/* Queues bytes for the server and tries to send them. */
void client_send(struct client *c, const void *p, size_t n);
/* Starts a tagged command "aN <text>\r\n" for op; resets the counters. */
void client_command(struct client *c, enum op op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Fails the connection: counts an error for the op in flight, closes, and
 * reconnects later unless the run is stopping. */
void client_fail(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Records the op in flight as done (latency from t_start) or failed. */
void client_record(struct client *c, enum op op, uint64_t t_start, bool ok);

/* lg-cmd.c: what the client says and how answers are checked. */
void cmd_greeting(struct client *c, struct rp *r);
void cmd_untagged(struct client *c, struct rp *r);
void cmd_continuation(struct client *c);
void cmd_tagged(struct client *c, unsigned tagn, bool ok, struct rp *r);
/* The server closed the connection (after LOGOUT or not). */
void cmd_closed(struct client *c);
void cmd_tick(struct client *c, uint64_t now);

#endif
