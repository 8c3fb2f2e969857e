#ifndef QUIRE_NET_NET_PRIVATE_H
#define QUIRE_NET_NET_PRIVATE_H
/*
 * Internals shared by the files of src/net only. Nothing outside src/net
 * includes this header.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct ssl_st;

#include "core/buf.h"
#include "net/conn.h"
#include "net/server.h"
#include "net/tls.h"
#include "net/worker.h"

/* Every epoll registration points at one of these as the first member of
 * its owner, so the loop can dispatch on the kind. */
enum net_handle_kind {
	NET_HANDLE_LISTENER,
	NET_HANDLE_CONN,
	NET_HANDLE_POST,
	NET_HANDLE_WATCH,
};

struct net_handle {
	enum net_handle_kind kind;
};

/* ---- byte streams: the conn's I/O stack ---------------------------------
 *
 * The conn keeps plaintext buffers and moves bytes through its top stream:
 * socket (plain), or TLS over the socket, and possibly a COMPRESS=DEFLATE
 * layer (RFC 4978) above either, whose lower is the previous top, so the
 * protocol and the buffers do not change when it is inserted.
 */
enum stream_result {
	STREAM_OK,          /* *n_r bytes moved (> 0) */
	STREAM_WANT_READ,   /* retry when the socket is readable */
	STREAM_WANT_WRITE,  /* retry when the socket is writable */
	STREAM_EOF,         /* the peer closed (cleanly for TLS) */
	STREAM_ERROR,       /* fatal; stream->error says why */
};

struct stream;

struct stream_vfuncs {
	enum stream_result (*read)(struct stream *s, void *data, size_t size,
				   size_t *n_r);
	/* Must be retried with the same (or longer) data after a WANT. */
	enum stream_result (*write)(struct stream *s, const void *data,
				    size_t size, size_t *n_r);
	/* Best-effort end of stream (TLS close_notify); never blocks. */
	void (*shutdown)(struct stream *s);
	/*
	 * NULL for layers that keep no output of their own. Otherwise, a
	 * write may return STREAM_OK for bytes the layer still holds: the conn
	 * calls flush whenever its own output is empty, until it returns
	 * STREAM_OK (nothing held), or WANT_* to be called again then.
	 */
	enum stream_result (*flush)(struct stream *s);
	void (*destroy)(struct stream *s);
};

struct stream {
	const struct stream_vfuncs *v;
	struct stream *lower; /* NULL when this layer talks to the fd */
	int fd;
	char *error;          /* text of the last STREAM_ERROR, owned */
};

/* The plain socket layer, embedded in the conn (no allocation). */
void stream_socket_init(struct stream *s, int fd);
/* Sets s->error from errno-style code or text. */
void stream_set_error(struct stream *s, const char *prefix, int errnum);
void stream_set_error_text(struct stream *s, const char *text);
void stream_free(struct stream *s);

/* A TLS layer talking to fd in server mode; takes ownership of ssl. */
struct stream *stream_tls_new(struct ssl_st *ssl, int fd);
/* Drives the handshake: STREAM_OK when done, WANT_* or STREAM_ERROR. */
enum stream_result stream_tls_handshake(struct stream *s);
/* "TLSv1.3" / cipher name of an established TLS stream. */
const char *stream_tls_version(const struct stream *s);
const char *stream_tls_cipher(const struct stream *s);

/*
 * A COMPRESS=DEFLATE layer (RFC 4978: raw deflate, RFC 1951) over lower,
 * which it owns from now on (stream_free frees the chain). The first
 * passthrough bytes written go to lower unchanged: the reply that
 * announced compression was queued before it, and RFC 4978 3 has the
 * server compress "immediately after the CRLF which ends the tagged OK".
 * in[0..in_len) is input already received after the command; it is
 * decompressed before anything read from lower. Every write ends with a
 * sync flush, so each response reaches the client whole. Returns NULL with
 * *error_r (static) if zlib cannot be initialised.
 */
struct stream *stream_compress_new(struct stream *lower, size_t passthrough,
				   const void *in, size_t in_len,
				   const char **error_r);

/* ---- listeners ---------------------------------------------------------- */

struct listener {
	struct net_handle h;
	int fd;
	bool implicit_tls;
	unsigned port;
	char *name; /* "imap" / "imaps" / "lmtp" / "metrics" */
	/* NULL: the server's ops; else this listener's protocol (LMTP, ...) */
	const struct conn_ops *ops;
	char *unix_path; /* a Unix socket's path, removed on close; or NULL */
	/* Every conn starts with a PROXY header (proxy_protocol setting) */
	bool proxy_protocol;
};

/*
 * Binds and listens on spec ("host:port", "[v6]:port", "*:port", or an
 * absolute path "/run/quire/lmtp" for a Unix socket, mode 0666, replacing a
 * stale socket file). Returns 0 with *l filled, or -1 with "cannot listen
 * on SPEC: reason".
 */
int listener_open(struct listener *l, const char *name, const char *spec,
		  bool implicit_tls, char **error_r);
void listener_close(struct listener *l);

/* ---- workers ------------------------------------------------------------ */

struct worker_post_item {
	worker_fn *fn;
	void *arg;
	struct worker_post_item *next;
};

struct worker {
	struct net_handle post_handle; /* the eventfd waking worker_post */
	struct server *server;
	unsigned index;
	pthread_t thread;
	bool thread_started;
	int epfd;
	int post_fd;

	pthread_mutex_t post_lock;
	struct worker_post_item *post_head, *post_tail;
	bool post_closed; /* under post_lock: the loop has exited */

	uint64_t now_ms;
	struct worker_timer **timers; /* binary min-heap */
	size_t timer_count, timer_cap;
	uint64_t timer_seq;

	struct conn *conns;       /* every conn of this worker */
	unsigned conn_count;
	struct conn *ready;       /* conns with work to do before sleeping */
	bool stopping;

	char scratch[16384];      /* read buffer shared by the worker's conns */
};

int worker_init(struct worker *w, struct server *server, unsigned index,
		char **error_r);
/* Runs the loop until shutdown completes. The thread entry point. */
void *worker_main(void *arg);
void worker_deinit(struct worker *w);
/* Adds fd to the worker's epoll with events, data pointing at h. */
int worker_epoll_add(struct worker *w, int fd, uint32_t events,
		     struct net_handle *h);
/* Posts the shutdown sequence to the worker. Returns worker_post's value. */
int worker_begin_shutdown(struct worker *w);
/* Puts a conn on the worker's ready list (idempotent). */
void worker_schedule(struct worker *w, struct conn *conn);
/* Accepts pending connections on a listener (called by the loop). */
void worker_accept(struct worker *w, struct listener *l);

/* ---- conns -------------------------------------------------------------- */

enum conn_state {
	CONN_PROXY,              /* reading the PROXY header, before all else */
	CONN_HANDSHAKE,          /* implicit TLS handshake, before on_open */
	CONN_OPEN,
	CONN_STARTTLS_FLUSH,     /* sending the cleartext STARTTLS reply */
	CONN_STARTTLS_HANDSHAKE,
	CONN_CLOSING,            /* flushing output, then shutdown */
	CONN_LINGER,             /* write side shut, discarding input */
	CONN_DEAD,               /* waiting for the loop to free it */
};

struct conn {
	struct net_handle h;
	struct worker *worker;
	const struct listener *listener;
	struct conn *prev, *next;  /* worker->conns */
	struct conn *ready_next;   /* worker->ready */
	void *data;

	enum conn_state state;
	struct stream sock;        /* bottom layer */
	struct stream *top;        /* &sock, or TLS and/or COMPRESS on top */
	struct stream *tls_layer;  /* the TLS stream within the stack, or NULL */
	int fd;
	uint32_t epoll_events;     /* currently registered */

	struct buf in;
	struct buf out;
	size_t out_pos;            /* bytes of out already sent */
	size_t cleartext_left;     /* CONN_STARTTLS_FLUSH: bytes to send plain */

	struct conn_proxy *proxy;  /* CONN_PROXY: the header read so far */
	struct worker_timer *timer; /* idle timeout, or close deadline */
	uint64_t last_activity_ms;
	unsigned idle_timeout_ms;

	uint64_t bytes_in, bytes_out;
	const char *close_reason;

	bool opened;           /* on_open ran, so on_close must run */
	bool in_ready;         /* on worker->ready */
	bool read_again;       /* try reading without waiting for epoll */
	bool input_paused;
	bool redeliver;        /* call on_input for buffered input */
	bool drained_wanted;
	bool tls;
	bool proxy_tls;        /* the trusted balancer's PROXY header: PP2_CLIENT_SSL */
	bool compressed;       /* a COMPRESS layer is on the stack */
	bool stream_pending;   /* the stack holds output (stream flush) */
	bool loopback;
	bool read_wants_write, write_wants_read;
	bool hs_wants_write;

	unsigned local_port;
	char session_id[12];
	char peer_ip[48];
	char peer[56];
};

/* Creates a conn for an accepted fd and runs on_open (or starts the
 * implicit TLS handshake). The counts were already taken by the server. */
void conn_accepted(struct worker *w, int fd, const struct listener *l,
		   const struct sockaddr_storage *addr, const char *peer_ip,
		   bool loopback);
/* Sets peer_ip (ip), peer (ip and addr's port) and loopback. */
void conn_set_peer(struct conn *conn, const struct sockaddr_storage *addr,
		   const char *ip, bool loopback);
/* Handles epoll events for a conn. */
void conn_handle_events(struct conn *conn, uint32_t events);
/* Does the deferred work of a conn on the ready list (frees dead ones). */
void conn_run_ready(struct conn *conn);
/* Server stopping: on_shutdown, then close. */
void conn_shutdown(struct conn *conn);
/* Closes at once without flushing (fatal errors, shutdown deadline). */
void conn_abort(struct conn *conn, const char *reason);

/* ---- the PROXY header (conn-proxy.c) ------------------------------------ */

/* Allocates conn->proxy and puts the conn in CONN_PROXY. */
void conn_proxy_begin(struct conn *conn);
/*
 * Reads what has arrived of the header of a conn in CONN_PROXY, never a
 * byte past it: what follows (an IMAP command, a TLS ClientHello) stays in
 * the socket for the next layer. Returns 1 when the header is complete and
 * applied (peer address, per-address count; conn->proxy freed), 0 when it
 * waits for more bytes, -1 when the conn was aborted (bad header, EOF,
 * per-address limit of the proxied client).
 */
int conn_proxy_read(struct conn *conn);

/* ---- server internals used by workers and conns ------------------------- */

struct server_limits {
	size_t output_buffer_max;
	size_t input_buffer_max;
	unsigned auth_timeout;     /* seconds */
	unsigned max_connections;
	unsigned max_connections_per_ip;
};

const struct conn_ops *server_ops(const struct server *server);
const struct server_limits *server_limits(const struct server *server);
struct tls_context *server_tls(const struct server *server);
/* Counts a new connection from ip; false (nothing counted) when a limit is
 * reached, with the reason in *reason_r. */
bool server_conn_admit(struct server *server, const char *ip,
		       const char **reason_r);
void server_conn_release(struct server *server, const char *ip);
/* Moves one counted connection from old_ip to new_ip (a proxied client):
 * false, nothing changed, when new_ip is at max_connections_per_ip. */
bool server_conn_move(struct server *server, const char *old_ip,
		      const char *new_ip, const char **reason_r);
/* Writes the "* BYE" line of a refused connection where the listener's
 * protocol has one (plain IMAP), without blocking. */
void server_send_refusal(const struct listener *l, int fd, bool per_ip);
/* Address as text (IPv4-mapped IPv6 shown as IPv4; "unix" for a Unix
 * socket) and whether it is loopback: 127.0.0.0/8, ::1,
 * ::ffff:127.0.0.0/104, or a Unix socket. */
void net_peer_info(const struct sockaddr_storage *ss, char *ip, size_t size,
		   bool *loopback_r);
/* Runs the callback of a watched fd (NET_HANDLE_WATCH). */
void server_watch_dispatch(struct worker *w, struct net_handle *h);
/* Listeners, for the loop to register and unregister. */
size_t server_listener_count(const struct server *server);
struct listener *server_listener(struct server *server, size_t index);

#endif
