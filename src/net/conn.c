/*
 * A connection's state machine: reading into the plaintext input buffer,
 * flushing the plaintext output buffer through the I/O stack, STARTTLS,
 * backpressure, idle timeouts and the orderly close.
 */
#include "net/net-private.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define OUTPUT_SOFT_MAX (64 * 1024)
/* Reads per wakeup before giving the other conns of the worker a turn. */
#define READS_PER_TURN 4
/* A closing conn gets this long to flush, then this long to linger. */
#define CLOSE_FLUSH_MS 10000
#define LINGER_MS 2000
/* Compact the output buffer once this much of its head has been sent. */
#define OUTPUT_COMPACT_MIN (64 * 1024)

static void conn_run(struct conn *c, bool try_read);

static const struct conn_ops *ops_of(const struct conn *c)
{
	if (c->listener->ops != NULL)
		return c->listener->ops;
	return server_ops(c->worker->server);
}

static const struct server_limits *limits_of(const struct conn *c)
{
	return server_limits(c->worker->server);
}

static void schedule(struct conn *c)
{
	worker_schedule(c->worker, c);
}

/* ---- getters ------------------------------------------------------------ */

struct buf *conn_input(struct conn *c)
{
	return &c->in;
}

size_t conn_output_pending(const struct conn *c)
{
	return c->out.len - c->out_pos;
}

bool conn_is_tls(const struct conn *c)
{
	return c->tls;
}

bool conn_is_secure(const struct conn *c)
{
	return c->tls || c->proxy_tls;
}

bool conn_is_proxy_tls(const struct conn *c)
{
	return c->proxy_tls;
}

bool conn_is_compressed(const struct conn *c)
{
	return c->compressed;
}

const char *conn_tls_version(const struct conn *c)
{
	if (c->tls_layer == NULL || c->state == CONN_HANDSHAKE ||
	    c->state == CONN_STARTTLS_HANDSHAKE ||
	    c->state == CONN_STARTTLS_FLUSH)
		return NULL;
	return stream_tls_version(c->tls_layer);
}

const char *conn_peer_ip(const struct conn *c)
{
	return c->peer_ip;
}

const char *conn_peer(const struct conn *c)
{
	return c->peer;
}

unsigned conn_local_port(const struct conn *c)
{
	return c->local_port;
}

bool conn_is_implicit_tls_listener(const struct conn *c)
{
	return c->listener->implicit_tls;
}

uint64_t conn_bytes_in(const struct conn *c)
{
	return c->bytes_in;
}

uint64_t conn_bytes_out(const struct conn *c)
{
	return c->bytes_out;
}

bool conn_is_loopback(const struct conn *c)
{
	return c->loopback;
}

const char *conn_session_id(const struct conn *c)
{
	return c->session_id;
}

void conn_set_data(struct conn *c, void *data)
{
	c->data = data;
}

void *conn_get_data(const struct conn *c)
{
	return c->data;
}

struct worker *conn_worker(const struct conn *c)
{
	return c->worker;
}

/* ---- timers ------------------------------------------------------------- */

static void conn_timer_fired(struct worker *w, void *arg);

static void arm_timer(struct conn *c, uint64_t ms)
{
	worker_timer_cancel(c->worker, c->timer);
	c->timer = worker_timer_add(c->worker, ms, conn_timer_fired, c);
}

static void activity(struct conn *c)
{
	c->last_activity_ms = c->worker->now_ms;
}

/*
 * One timer per conn serves both the idle timeout and the close deadline.
 * Activity only stamps last_activity_ms; the timer re-arms itself for the
 * remainder, so busy conns do not touch the heap on every read.
 */
static void conn_timer_fired(struct worker *w, void *arg)
{
	struct conn *c = arg;
	c->timer = NULL;
	switch (c->state) {
	case CONN_CLOSING:
		conn_abort(c, "close timed out");
		return;
	case CONN_LINGER:
		conn_abort(c, NULL);
		return;
	case CONN_DEAD:
		return;
	default:
		break;
	}
	if (c->idle_timeout_ms == 0)
		return;
	uint64_t idle = w->now_ms - c->last_activity_ms;
	if (idle < c->idle_timeout_ms) {
		arm_timer(c, c->idle_timeout_ms - idle);
		return;
	}
	if (c->state != CONN_OPEN) {
		conn_abort(c, c->state == CONN_PROXY ?
			   "no PROXY header in time" : "idle timeout");
		return;
	}
	arm_timer(c, c->idle_timeout_ms);
	activity(c);
	ops_of(c)->on_timeout(c);
	schedule(c);
}

void conn_set_idle_timeout(struct conn *c, unsigned seconds)
{
	c->idle_timeout_ms = seconds > UINT_MAX / 1000 ? UINT_MAX / 1000 * 1000 :
		seconds * 1000U;
	if (c->state == CONN_CLOSING || c->state == CONN_LINGER ||
	    c->state == CONN_DEAD)
		return;
	activity(c);
	if (c->idle_timeout_ms == 0) {
		worker_timer_cancel(c->worker, c->timer);
		c->timer = NULL;
	} else {
		arm_timer(c, c->idle_timeout_ms);
	}
}

/* ---- output ------------------------------------------------------------- */

static size_t soft_max(const struct conn *c)
{
	size_t half = limits_of(c)->output_buffer_max / 2;
	return half < OUTPUT_SOFT_MAX ? half : OUTPUT_SOFT_MAX;
}

void conn_write(struct conn *c, const void *data, size_t len)
{
	if (c->state == CONN_CLOSING || c->state == CONN_LINGER ||
	    c->state == CONN_DEAD || len == 0)
		return;
	size_t pending = conn_output_pending(c);
	size_t max = limits_of(c)->output_buffer_max;
	if (len > max || pending > max - len) {
		log_warn(c->session_id, "output buffer limit of %zu bytes "
			 "exceeded (client not reading): disconnecting", max);
		conn_abort(c, "output buffer limit exceeded");
		return;
	}
	buf_append(&c->out, data, len);
	schedule(c);
}

void conn_write_str(struct conn *c, const char *s)
{
	conn_write(c, s, strlen(s));
}

bool conn_output_full(struct conn *c)
{
	if (conn_output_pending(c) < soft_max(c))
		return false;
	c->drained_wanted = true;
	return true;
}

static void conn_flush(struct conn *c)
{
	c->write_wants_read = false;
	while (conn_output_pending(c) > 0) {
		size_t want = conn_output_pending(c);
		if (c->state == CONN_STARTTLS_FLUSH) {
			if (c->cleartext_left == 0)
				break;
			if (want > c->cleartext_left)
				want = c->cleartext_left;
		}
		size_t n = 0;
		enum stream_result r = c->top->v->write(
			c->top, c->out.data + c->out_pos, want, &n);
		if (r == STREAM_WANT_WRITE)
			break;
		if (r == STREAM_WANT_READ) {
			c->write_wants_read = true;
			break;
		}
		if (r != STREAM_OK) {
			conn_abort(c, c->top->error != NULL ? c->top->error :
				   "write failed");
			return;
		}
		c->out_pos += n;
		c->bytes_out += n;
		if (c->state == CONN_STARTTLS_FLUSH)
			c->cleartext_left -= n;
		activity(c);
	}
	if (conn_output_pending(c) == 0 && c->top->v->flush != NULL &&
	    c->state != CONN_STARTTLS_FLUSH) {
		/* A layer that took bytes may still hold some (COMPRESS). */
		enum stream_result r = c->top->v->flush(c->top);
		if (r == STREAM_ERROR) {
			conn_abort(c, c->top->error != NULL ? c->top->error :
				   "write failed");
			return;
		}
		c->stream_pending = r != STREAM_OK;
		if (r == STREAM_WANT_READ)
			c->write_wants_read = true;
	}
	if (conn_output_pending(c) == 0) {
		/* Idle conns hold no output memory. */
		buf_free(&c->out);
		c->out_pos = 0;
	} else if (c->out_pos >= OUTPUT_COMPACT_MIN &&
		   c->out_pos >= c->out.len / 2) {
		buf_consume(&c->out, c->out_pos);
		c->out_pos = 0;
	}
	if (c->drained_wanted && c->state == CONN_OPEN &&
	    conn_output_pending(c) < soft_max(c) / 4) {
		c->drained_wanted = false;
		ops_of(c)->on_drained(c);
	}
}

/* ---- input -------------------------------------------------------------- */

static bool input_wanted(const struct conn *c)
{
	return c->state == CONN_OPEN && !c->input_paused &&
		c->in.len < limits_of(c)->input_buffer_max;
}

static void release_input_if_empty(struct conn *c)
{
	if (c->in.len == 0)
		buf_free(&c->in);
}

static void conn_read(struct conn *c)
{
	struct worker *w = c->worker;
	c->read_again = false;
	c->read_wants_write = false;
	for (int i = 0; input_wanted(c); i++) {
		if (i == READS_PER_TURN) {
			/* TLS may hold decrypted bytes epoll cannot see. */
			c->read_again = true;
			schedule(c);
			break;
		}
		size_t n = 0;
		enum stream_result r = c->top->v->read(c->top, w->scratch,
						       sizeof(w->scratch), &n);
		if (r == STREAM_WANT_READ)
			break;
		if (r == STREAM_WANT_WRITE) {
			c->read_wants_write = true;
			break;
		}
		if (r == STREAM_EOF) {
			conn_close(c, "disconnected by peer");
			break;
		}
		if (r == STREAM_ERROR) {
			conn_abort(c, c->top->error != NULL ? c->top->error :
				   "read failed");
			break;
		}
		c->bytes_in += n;
		activity(c);
		buf_append(&c->in, w->scratch, n);
		ops_of(c)->on_input(c);
	}
	/* A COMPRESS layer may hold inflated input that epoll cannot see:
	 * look again at the next run instead of waiting for the socket. */
	if (c->compressed && c->state == CONN_OPEN && !input_wanted(c))
		c->read_again = true;
	release_input_if_empty(c);
}

void conn_pause_input(struct conn *c, bool paused)
{
	if (c->input_paused == paused || c->state == CONN_DEAD)
		return;
	c->input_paused = paused;
	if (!paused) {
		c->read_again = true;
		c->redeliver = c->in.len > 0;
	}
	schedule(c);
}

/* ---- TLS ---------------------------------------------------------------- */

static int start_tls(struct conn *c, enum conn_state state)
{
	struct ssl_st *ssl = tls_context_new_ssl(server_tls(c->worker->server));
	if (ssl == NULL) {
		conn_abort(c, "cannot create TLS session");
		return -1;
	}
	c->tls = true;
	/* TLS is the lowest layer (it owns the fd); COMPRESS would later be
	 * pushed on top of it, keeping tls_layer for the getters. */
	c->tls_layer = stream_tls_new(ssl, c->fd);
	c->top = c->tls_layer;
	c->state = state;
	return 0;
}

int conn_starttls(struct conn *c)
{
	/* TLS goes below COMPRESS (RFC 4978 3); IMAP never asks for that
	 * order, as STARTTLS is over before login and COMPRESS comes after. */
	if (c->tls || c->compressed || c->state != CONN_OPEN)
		return -1;
	/* RFC 3501 6.2.1 / RFC 2595 3.1: whatever the client pipelined after
	 * STARTTLS was sent in clear and could be an attacker's injection
	 * (CVE-2011-0411 class); it must not be executed after the handshake.
	 * Bytes still in the kernel are fed to the handshake instead, which
	 * rejects them as non-TLS and closes the conn. */
	buf_free(&c->in);
	c->redeliver = false;
	c->tls = true;
	c->cleartext_left = conn_output_pending(c);
	c->state = CONN_STARTTLS_FLUSH;
	schedule(c);
	return 0;
}

static void conn_handshake(struct conn *c)
{
	c->hs_wants_write = false;
	enum stream_result r = stream_tls_handshake(c->tls_layer);
	if (r == STREAM_WANT_READ)
		return;
	if (r == STREAM_WANT_WRITE) {
		c->hs_wants_write = true;
		return;
	}
	if (r != STREAM_OK) {
		conn_abort(c, c->tls_layer->error != NULL ?
			   c->tls_layer->error : "TLS handshake failed");
		return;
	}
	activity(c);
	log_info(c->session_id, "TLS established: %s %s",
		 stream_tls_version(c->tls_layer),
		 stream_tls_cipher(c->tls_layer));
	bool implicit = c->state == CONN_HANDSHAKE;
	c->state = CONN_OPEN;
	/* A TLS 1.3 client may send data right behind its Finished; OpenSSL
	 * may already hold it, where epoll cannot see it. */
	c->read_again = true;
	schedule(c);
	if (implicit) {
		c->opened = true;
		ops_of(c)->on_open(c);
	}
}

/* ---- COMPRESS ----------------------------------------------------------- */

int conn_start_compress(struct conn *c)
{
	const char *error;
	if (c->compressed || c->state != CONN_OPEN)
		return -1;
	/* What is queued now (the tagged OK) goes out as it is; whatever the
	 * client sent after the command was, per RFC 4978 3, compressed. */
	struct stream *z = stream_compress_new(c->top, conn_output_pending(c),
					       c->in.data, c->in.len, &error);
	if (z == NULL) {
		log_warn(c->session_id, "COMPRESS: %s", error);
		return -1;
	}
	buf_free(&c->in);
	c->redeliver = false;
	c->top = z;
	c->compressed = true;
	c->read_again = true;
	schedule(c);
	return 0;
}

/* ---- closing ------------------------------------------------------------ */

void conn_abort(struct conn *c, const char *reason)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->close_reason == NULL)
		c->close_reason = reason != NULL ? reason : "closed";
	c->state = CONN_DEAD;
	worker_timer_cancel(c->worker, c->timer);
	c->timer = NULL;
	schedule(c);
}

void conn_close(struct conn *c, const char *reason)
{
	switch (c->state) {
	case CONN_CLOSING:
	case CONN_LINGER:
	case CONN_DEAD:
		return;
	case CONN_PROXY:
	case CONN_HANDSHAKE:
	case CONN_STARTTLS_HANDSHAKE:
		conn_abort(c, reason != NULL ? reason : "closed by server");
		return;
	case CONN_STARTTLS_FLUSH:
		/* Only the cleartext STARTTLS reply may go out in clear. */
		buf_truncate(&c->out, c->out_pos + c->cleartext_left);
		break;
	case CONN_OPEN:
		break;
	}
	c->close_reason = reason != NULL ? reason : "closed by server";
	c->state = CONN_CLOSING;
	buf_free(&c->in);
	arm_timer(c, CLOSE_FLUSH_MS);
	schedule(c);
}

/*
 * Output is flushed: send close_notify and FIN, then read and discard
 * until the client closes too. Closing with unread input would make the
 * kernel send RST, and the client could lose our last reply (`* BYE`).
 */
static void begin_linger(struct conn *c)
{
	c->top->v->shutdown(c->top);
	shutdown(c->fd, SHUT_WR);
	/* When stopping, do not wait for clients' FIN if nothing unread is
	 * queued: closing then sends no RST, and the restart is not held up. */
	int unread = 0;
	if (c->worker->stopping && ioctl(c->fd, FIONREAD, &unread) == 0 &&
	    unread == 0) {
		conn_abort(c, NULL);
		return;
	}
	c->state = CONN_LINGER;
	arm_timer(c, LINGER_MS);
}

static void linger_read(struct conn *c)
{
	for (int i = 0; i < READS_PER_TURN; i++) {
		ssize_t n = read(c->fd, c->worker->scratch,
				 sizeof(c->worker->scratch));
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_abort(c, NULL);
		return;
	}
}

void conn_shutdown(struct conn *c)
{
	if (c->state == CONN_OPEN && c->opened) {
		ops_of(c)->on_shutdown(c);
		conn_close(c, "server shutdown");
	} else if (c->state != CONN_CLOSING && c->state != CONN_LINGER) {
		conn_abort(c, "server shutdown");
	}
}

static void conn_destroy(struct conn *c)
{
	struct worker *w = c->worker;
	assert(c->state == CONN_DEAD);
	log_info(c->session_id, "disconnect: %s (in=%llu out=%llu bytes)",
		 c->close_reason, (unsigned long long)c->bytes_in,
		 (unsigned long long)c->bytes_out);
	/* Marked as scheduled, so nothing on_close calls can put the conn on
	 * the ready list again. */
	c->in_ready = true;
	if (c->opened) {
		c->opened = false;
		ops_of(c)->on_close(c);
	}
	worker_timer_cancel(w, c->timer);
	c->timer = NULL;
	close(c->fd);
	free(c->proxy);
	if (c->top != &c->sock)
		stream_free(c->top);
	free(c->sock.error);
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->conn_count--;
	server_conn_release(w->server, c->peer_ip);
	free(c);
}

/* ---- the per-conn run step ---------------------------------------------- */

static void update_events(struct conn *c)
{
	uint32_t ev = 0;
	bool pending = conn_output_pending(c) > 0 || c->stream_pending;
	switch (c->state) {
	case CONN_PROXY:
		ev = EPOLLIN;
		break;
	case CONN_HANDSHAKE:
	case CONN_STARTTLS_HANDSHAKE:
		ev = c->hs_wants_write ? EPOLLOUT : EPOLLIN;
		break;
	case CONN_STARTTLS_FLUSH:
		ev = EPOLLOUT;
		break;
	case CONN_OPEN:
		if (c->read_wants_write)
			ev |= EPOLLOUT;
		else if (input_wanted(c))
			ev |= EPOLLIN;
		/* fall through */
	case CONN_CLOSING:
		if (pending)
			ev |= c->write_wants_read ? EPOLLIN : EPOLLOUT;
		break;
	case CONN_LINGER:
		ev = EPOLLIN;
		break;
	case CONN_DEAD:
		return;
	}
	if (ev == c->epoll_events)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = &c->h };
	if (epoll_ctl(c->worker->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0) {
		conn_abort(c, "epoll_ctl failed");
		return;
	}
	c->epoll_events = ev;
}

/* The connection proper begins: after accept, or after the PROXY header. */
static void conn_start(struct conn *c)
{
	if (c->listener->implicit_tls) {
		/* RFC 8314 3.3: the TLS handshake comes first, the greeting
		 * only inside TLS. */
		start_tls(c, CONN_HANDSHAKE);
		return;
	}
	c->state = CONN_OPEN;
	c->opened = true;
	ops_of(c)->on_open(c);
	schedule(c);
}

static void conn_run(struct conn *c, bool try_read)
{
	/* Whatever the client sent behind the header is still in the socket:
	 * try_read stays true, so it is read (or handshaken) below. */
	if (c->state == CONN_PROXY && try_read && conn_proxy_read(c) > 0)
		conn_start(c);
	if (c->state == CONN_STARTTLS_FLUSH) {
		conn_flush(c);
		if (c->state == CONN_STARTTLS_FLUSH && c->cleartext_left == 0)
			start_tls(c, CONN_STARTTLS_HANDSHAKE);
	}
	if (c->state == CONN_HANDSHAKE || c->state == CONN_STARTTLS_HANDSHAKE)
		conn_handshake(c);
	if (c->state == CONN_OPEN && c->redeliver && !c->input_paused) {
		c->redeliver = false;
		if (c->in.len > 0)
			ops_of(c)->on_input(c);
	}
	if (c->state == CONN_OPEN && (try_read || c->read_again))
		conn_read(c);
	if (c->state == CONN_OPEN || c->state == CONN_CLOSING)
		conn_flush(c);
	if (c->state == CONN_CLOSING && conn_output_pending(c) == 0 &&
	    !c->stream_pending) {
		begin_linger(c);
		try_read = true;
	}
	if (c->state == CONN_LINGER && try_read)
		linger_read(c);
	update_events(c);
}

void conn_handle_events(struct conn *c, uint32_t events)
{
	if (c->state == CONN_DEAD)
		return;
	if ((events & (EPOLLERR | EPOLLHUP)) && !(c->epoll_events & EPOLLIN)) {
		conn_abort(c, "disconnected by peer");
		return;
	}
	bool try_read = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ||
		(c->read_wants_write && (events & EPOLLOUT));
	conn_run(c, try_read);
}

void conn_run_ready(struct conn *c)
{
	if (c->state == CONN_DEAD)
		conn_destroy(c);
	else
		conn_run(c, false);
}

/* ---- accept ------------------------------------------------------------- */

static atomic_uint session_counter;
static uint32_t session_seed;
static pthread_once_t session_once = PTHREAD_ONCE_INIT;

static void session_seed_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	session_seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^
		((uint32_t)getpid() << 16);
}

static void make_session_id(char *out, size_t size)
{
	pthread_once(&session_once, session_seed_init);
	unsigned n = atomic_fetch_add(&session_counter, 1);
	uint32_t seed = session_seed;
	/* Multiplying by an odd constant permutes 32-bit values: ids are
	 * unique for 2^32 connections yet do not look sequential. */
	uint32_t id = (uint32_t)n * 2654435761U + seed;
	snprintf(out, size, "%08x", id);
}

void conn_accepted(struct worker *w, int fd, const struct listener *l,
		   const struct sockaddr_storage *addr, const char *peer_ip,
		   bool loopback)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	c->h.kind = NET_HANDLE_CONN;
	c->worker = w;
	c->listener = l;
	c->fd = fd;
	stream_socket_init(&c->sock, fd);
	c->top = &c->sock;
	c->local_port = l->port;
	make_session_id(c->session_id, sizeof(c->session_id));
	conn_set_peer(c, addr, peer_ip, loopback);

	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->conn_count++;

	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	log_info(c->session_id, "connect from %s to %s port %u", c->peer,
		 l->name, l->port);
	c->state = CONN_OPEN;
	c->epoll_events = EPOLLIN;
	if (worker_epoll_add(w, fd, EPOLLIN, &c->h) < 0) {
		conn_abort(c, "epoll_ctl failed");
		return;
	}
	/* Also the deadline of the PROXY header and the TLS handshake:
	 * their bytes do not count as activity, so a trickle cannot hold the
	 * conn open past it. */
	conn_set_idle_timeout(c, limits_of(c)->auth_timeout);
	if (l->proxy_protocol) {
		/* proxy-protocol.txt 2: the header comes first, before the
		 * greeting or the TLS handshake; epoll reports its bytes. */
		conn_proxy_begin(c);
		return;
	}
	conn_start(c);
}

void conn_set_peer(struct conn *c, const struct sockaddr_storage *addr,
		   const char *ip, bool loopback)
{
	snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", ip);
	unsigned port = addr->ss_family == AF_INET6 ?
		ntohs(((const struct sockaddr_in6 *)addr)->sin6_port) :
		addr->ss_family == AF_INET ?
		ntohs(((const struct sockaddr_in *)addr)->sin_port) : 0;
	snprintf(c->peer, sizeof(c->peer), strchr(ip, ':') != NULL ?
		 "[%s]:%u" : "%s:%u", ip, port);
	c->loopback = loopback;
}
