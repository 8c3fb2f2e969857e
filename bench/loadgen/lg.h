#ifndef QUIRE_BENCH_LG_H
#define QUIRE_BENCH_LG_H
/*
 * loadgen: an IMAP load generator for comparing Quire with Dovecot.
 *
 * Threads each run one epoll loop over many non-blocking client connections
 * (plain or TLS). A client is a small state machine: connect, greeting,
 * LOGIN, SELECT, then the commands of the chosen mode. Every response is
 * framed (literals included) and parsed enough to check it; a wrong answer
 * is an error, never a success. Latencies go into per-thread histograms that
 * are merged at the end and printed as RESULT lines.
 *
 * Standalone on purpose: it links only libc, pthreads and OpenSSL, so it can
 * be built before the server builds and it shares no code with the server
 * it judges.
 */
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable byte buffer (lg-util.c) ---- */
struct gbuf {
	char *data;
	size_t len, cap;
};
void gbuf_reserve(struct gbuf *b, size_t extra);
void gbuf_add(struct gbuf *b, const void *p, size_t n);
void gbuf_adds(struct gbuf *b, const char *s);
void gbuf_printf(struct gbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gbuf_vprintf(struct gbuf *b, const char *fmt, va_list ap);
/* Drops the first n bytes. */
void gbuf_consume(struct gbuf *b, size_t n);
void gbuf_free(struct gbuf *b);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
uint64_t now_us(void);
/* xorshift64*: deterministic per seed, never returns the same state twice
 * in a row for a nonzero seed. */
uint64_t rng_next(uint64_t *state);
uint32_t rng_below(uint64_t *state, uint32_t n);

/* ---- latency histograms (lg-stats.c) ---- */
#define HIST_BUCKETS 1280
struct hist {
	uint64_t count, errors;
	uint64_t sum_us;
	uint64_t bucket[HIST_BUCKETS];
};
void hist_add(struct hist *h, uint64_t us);
void hist_merge(struct hist *into, const struct hist *from);
/* Value (microseconds, lower edge of its bucket) at quantile q in [0,1]. */
uint64_t hist_quantile(const struct hist *h, double q);

/* ---- generated mail (lg-msg.c) ---- */
enum msg_kind {
	MSG_SMALL,   /* ~600 byte plain text, for the 100,000 flags mailbox */
	MSG_VARIED,  /* plain, alternative, attachments, nested rfc822, QP ... */
	MSG_SEARCH,  /* plain text with planted words at known frequencies */
	MSG_10K,     /* 10 KB plain text, for APPEND throughput */
};
/*
 * Appends message number `index` of `kind` (deterministic from seed and
 * index) to out, CRLF line ends. internal_date_r receives an IMAP
 * date-time string for APPEND (static storage of the caller: 32 bytes).
 */
void msg_generate(struct gbuf *out, enum msg_kind kind, uint64_t seed,
		  uint32_t index, char internal_date_r[32]);
int msg_kind_parse(const char *s, enum msg_kind *kind_r);
/* The planted words of MSG_SEARCH and how many of messages 0..n-1 match
 * `SEARCH BODY word` and `SEARCH TEXT phrase`. */
#define SEARCH_BODY_WORD "zebrafish"
#define SEARCH_TEXT_PHRASE "purple elephant"
uint32_t msg_search_body_expected(uint32_t n);
uint32_t msg_search_text_expected(uint32_t n);

/* ---- response parsing (lg-resp.c) ---- */
/*
 * Finds the end of one complete server response in buf[0..len), following
 * literals ({N}CRLF then N bytes). *scan_r holds where to resume between
 * calls (0 for a new response). Returns the response length including its
 * final CRLF, 0 if incomplete, or -1 if it is malformed (a literal size
 * that does not parse).
 */
long resp_frame(const char *buf, size_t len, size_t *scan_r);

struct span {
	const char *p;
	size_t n;
};
/* A cursor over one framed response. */
struct rp {
	const char *p, *end;
};
bool rp_eat(struct rp *r, const char *lit); /* case-insensitive prefix */
bool rp_sp(struct rp *r);
bool rp_number(struct rp *r, uint64_t *n_r);
bool rp_atom(struct rp *r, struct span *s_r);
/* Skips one value: atom, number, NIL, quoted string, literal, or a
 * parenthesized list of values. Returns the span; for a literal or quoted
 * string, *content_r (if not NULL) is its content. */
bool rp_value(struct rp *r, struct span *s_r, struct span *content_r);
/* Counts the elements of a parenthesized list; -1 if it is not one. */
int rp_list_len(struct span list);
bool span_eq(struct span s, const char *lit); /* case-insensitive */
bool span_has(struct span s, const char *lit); /* case-insensitive */

/* What one FETCH response carried. */
struct fetch_info {
	uint32_t seq;
	bool has_uid, has_flags, has_size, has_body, has_env, has_bs;
	bool env_ok, bs_ok;
	uint32_t uid;
	uint64_t size;
	size_t body_len;
	struct span flags;
};
/* Parses the part after "* N FETCH ". Returns false if malformed. */
bool resp_parse_fetch(struct rp *r, struct fetch_info *fi);

/* ---- the run (loadgen.c, lg-client.c) ---- */
enum mode {
	MODE_MIXED,
	MODE_APPEND,
	MODE_SELECT_FETCH_FLAGS,
	MODE_FETCH_ENVELOPE,
	MODE_SEARCH_TEXT,
	MODE_IDLE_MEMORY,
	MODE_CONNECT_RATE,
	MODE_POPULATE,
};

/* Per-command statistics slots. */
enum op {
	OP_CONNECT,    /* TCP (+TLS) connect to the greeting */
	OP_LOGIN,
	OP_SELECT,
	OP_SYNC_FLAGS, /* UID FETCH 1:* (FLAGS) */
	OP_FETCH_NEW,  /* UID FETCH n:* (FLAGS ENVELOPE ...) */
	OP_FETCH_BODY, /* UID FETCH u (BODY.PEEK[]) */
	OP_FETCH_ENV,  /* FETCH 1:* (ENVELOPE BODYSTRUCTURE) */
	OP_STORE,
	OP_APPEND,
	OP_SEARCH,
	OP_SEARCH_BODY,
	OP_SEARCH_TEXT,
	OP_EXPUNGE,
	OP_IDLE,
	OP_NOOP,
	OP_LOGOUT,
	OP_CYCLE,      /* one whole unit of a mode: SELECT+FETCH, a connection */
	OP_COUNT
};
extern const char *const op_names[OP_COUNT];

/* Ports one run may spread its clients over (several front ends). */
#define LG_MAX_PORTS 8

struct options {
	enum mode mode;
	const char *host;
	int ports[LG_MAX_PORTS]; /* see client_connect() for which one */
	unsigned nports;
	bool tls;
	const char *user_prefix;
	unsigned users;        /* users are PREFIX1..PREFIXn; 0: PREFIX alone */
	unsigned user_first;
	const char *password;
	const char *mailbox;
	unsigned clients;
	unsigned threads;
	double duration;       /* seconds of load */
	double hard_cap;       /* seconds after which everything stops */
	uint64_t max_ops;      /* 0 = no bound */
	unsigned src_addrs;    /* spread clients over 127.0.0.1..N */
	unsigned ramp;         /* connections being set up at once per thread */
	double hold;           /* idle-memory: seconds to hold when ready */
	const char *ready_file;
	unsigned idle_ms;      /* mixed: longest IDLE */
	double cmd_timeout;    /* seconds for one response */
	/* populate */
	enum msg_kind kind;
	uint32_t messages;     /* per user */
	unsigned per_user;     /* populate connections per user */
	unsigned pipeline;
	unsigned batch;        /* populate: messages per MULTIAPPEND */
	uint64_t seed;
	bool verbose;
};

struct thread;
struct client;

/* Shared run state. */
struct run {
	struct options opt;
	SSL_CTX *ssl_ctx;
	uint64_t start_us, stop_us, hard_us;
	volatile int stopping;         /* set once duration or max_ops is hit */
	volatile int measuring;        /* every client is set up: count ops */
	volatile int hard_stop;        /* the hard cap: abandon everything */
	unsigned clients_setup;        /* atomic, done with LOGIN+SELECT or failed */
	uint64_t ops_done;             /* atomic, counted cycles/commands */
	unsigned idle_ready;           /* atomic, idle-memory clients in IDLE */
	unsigned clients_failed;       /* atomic */
	unsigned threads_done;         /* atomic */
	pthread_mutex_t err_lock;
	unsigned err_shown;
	uint64_t err_total;
};
extern struct run g_run;

struct thread {
	unsigned id;
	pthread_t tid;
	int epfd;
	struct client **clients;
	unsigned nclients;
	unsigned started;              /* clients[0..started) have begun */
	unsigned connecting;           /* clients between connect and SELECT */
	uint64_t rng;
	struct hist hist[OP_COUNT];
};

void *thread_main(void *arg);
/* Reports one failure (shown for the first few only). */
void run_error(const struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
