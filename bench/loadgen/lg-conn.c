/*
 * Client connections: non-blocking connect, optional TLS, edge-triggered
 * reads and writes, and framing of responses. What the responses mean is
 * lg-cmd.c's business.
 */
#include "lg-client.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define READ_CHUNK 65536

static bool bind_source(struct client *c)
{
	unsigned n = g_run.opt.src_addrs;
	if (n <= 1)
		return true;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* 127.0.0.1 .. 127.0.0.n: loopback /8 (RFC 1122 3.2.1.3), so every
	 * server treats them as local; this keeps ephemeral ports apart. */
	sa.sin_addr.s_addr = htonl(0x7f000001u + (c->idx % n));
	int one = 1;
	setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		   sizeof(one));
	return bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

bool client_connect(struct client *c)
{
	c->gen++;
	c->in.len = c->out.len = 0;
	c->in_off = c->out_off = c->scan = 0;
	c->logging_out = false;
	c->awaiting_cont = false;
	c->idling = false;
	c->inflight = 0;
	c->cap_seen = false;
	c->t_connect = now_us();
	c->deadline = c->t_connect + (uint64_t)(g_run.opt.cmd_timeout * 1e6);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		run_error(c, "socket: %s", strerror(errno));
		c->state = C_DONE;
		return false;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!bind_source(c)) {
		run_error(c, "bind source address: %s", strerror(errno));
		close(c->fd);
		c->fd = -1;
		c->state = C_DONE;
		return false;
	}
	/* Fixed per client, so a reconnect goes back to the same server;
	 * user + slot rather than idx so that the clients of one user are
	 * spread over the servers too (with idx and an even number of users,
	 * every client of a user would land on one server). */
	int port = g_run.opt.ports[(c->user + c->slot) % g_run.opt.nports];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, g_run.opt.host, &sa.sin_addr) != 1) {
		run_error(c, "bad host %s (an IPv4 address)", g_run.opt.host);
		close(c->fd);
		c->fd = -1;
		c->state = C_DONE;
		return false;
	}
	c->state = C_CONNECTING;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET |
					    EPOLLRDHUP,
				  .data.ptr = c };
	if (epoll_ctl(c->t->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		run_error(c, "epoll_ctl: %s", strerror(errno));
		close(c->fd);
		c->fd = -1;
		c->state = C_DONE;
		return false;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		client_fail(c, "connect: %s", strerror(errno));
		return false;
	}
	return true;
}

void client_close(struct client *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->idling = false;
}

void client_record(struct client *c, enum op op, uint64_t t_start, bool ok)
{
	if (!g_run.measuring)
		return;
	struct hist *h = &c->t->hist[op];
	if (ok)
		hist_add(h, now_us() - t_start);
	else
		h->errors++;
	if (op != OP_CONNECT)
		__atomic_add_fetch(&g_run.ops_done, 1, __ATOMIC_RELAXED);
}

void client_fail(struct client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	run_error(c, "%s", msg);
	enum op op = c->state == C_READY ? c->op : OP_CONNECT;
	client_record(c, op, c->t_start, false);
	client_close(c);
	if (!c->setup_done) {
		/* A client that never got going is not retried: its failure
		 * is the result (connection limits, refused logins). */
		c->setup_done = true;
		__atomic_add_fetch(&g_run.clients_failed, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&g_run.clients_setup, 1, __ATOMIC_RELAXED);
		if (c->t->connecting > 0)
			c->t->connecting--;
		c->state = C_DONE;
		return;
	}
	/* Reconnect after a pause, unless stopping. A populate connection
	 * would start its share over, so it stops instead. */
	c->state = g_run.stopping || g_run.opt.mode == MODE_POPULATE ? C_DONE
								     : C_NEW;
	c->deadline = now_us() + 200000;
}

static void flush_out(struct client *c)
{
	while (c->out_off < c->out.len) {
		size_t n = c->out.len - c->out_off;
		ssize_t w;
		if (c->ssl != NULL) {
			int r = SSL_write(c->ssl, c->out.data + c->out_off,
					  n > INT32_MAX ? INT32_MAX : (int)n);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					return;
				client_fail(c, "TLS write failed");
				return;
			}
			w = r;
		} else {
			w = send(c->fd, c->out.data + c->out_off, n,
				 MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				client_fail(c, "send: %s", strerror(errno));
				return;
			}
		}
		c->out_off += (size_t)w;
	}
	c->out.len = c->out_off = 0;
}

void client_send(struct client *c, const void *p, size_t n)
{
	gbuf_add(&c->out, p, n);
	if (c->state == C_READY || c->state == C_GREETING)
		flush_out(c);
}

void client_command(struct client *c, enum op op, const char *fmt, ...)
{
	c->op = op;
	c->tagn++;
	c->t_start = now_us();
	c->deadline = c->t_start + (uint64_t)(g_run.opt.cmd_timeout * 1e6);
	c->n_fetch = c->n_match = c->n_expunge = c->n_search = 0;
	c->n_bye = c->n_exists = 0;
	c->search_hits = 0;
	c->bad = false;
	c->why[0] = '\0';
	gbuf_printf(&c->out, "a%u ", c->tagn);
	va_list ap;
	va_start(ap, fmt);
	gbuf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	gbuf_adds(&c->out, "\r\n");
	flush_out(c);
}

static void dispatch(struct client *c, const char *p, size_t n)
{
	struct rp r = { p, p + n };
	assert(c->state == C_GREETING || c->state == C_READY);
	if (c->state == C_GREETING) {
		cmd_greeting(c, &r);
		return;
	}
	if (rp_eat(&r, "+")) {
		cmd_continuation(c);
		return;
	}
	if (rp_eat(&r, "* ")) {
		cmd_untagged(c, &r);
		return;
	}
	uint64_t tagn;
	if (!rp_eat(&r, "a") || !rp_number(&r, &tagn) || !rp_sp(&r)) {
		client_fail(c, "unparsable response: %.60s", p);
		return;
	}
	bool ok = rp_eat(&r, "OK");
	if (!ok && !rp_eat(&r, "NO") && !rp_eat(&r, "BAD")) {
		client_fail(c, "bad tagged status: %.60s", p);
		return;
	}
	rp_sp(&r);
	cmd_tagged(c, (unsigned)tagn, ok, &r);
}

/* Frames and dispatches every complete response in the input buffer. A
 * response may end the connection and start the next one (LOGOUT, then
 * reconnect); processing stops there, as the buffer now belongs to the new
 * connection. */
static void process_input(struct client *c)
{
	unsigned gen = c->gen;
	while (c->fd >= 0 && c->gen == gen && c->in_off < c->in.len) {
		long n = resp_frame(c->in.data + c->in_off,
				    c->in.len - c->in_off, &c->scan);
		if (n < 0) {
			client_fail(c, "malformed literal announcement");
			return;
		}
		if (n == 0)
			break;
		size_t at = c->in_off;
		c->in_off += (size_t)n;
		dispatch(c, c->in.data + at, (size_t)n);
	}
	if (c->gen != gen)
		return;
	if (c->in_off > 0) {
		gbuf_consume(&c->in, c->in_off);
		c->in_off = 0;
	}
}

/* Reads until the socket would block. Returns false if the connection is
 * gone (closed by the server or failed). */
static bool read_in(struct client *c)
{
	unsigned gen = c->gen;
	for (;;) {
		gbuf_reserve(&c->in, READ_CHUNK);
		char *dst = c->in.data + c->in.len;
		ssize_t n;
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, dst, READ_CHUNK);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return true;
				n = 0;
				if (e != SSL_ERROR_ZERO_RETURN &&
				    e != SSL_ERROR_SYSCALL) {
					ERR_clear_error();
					n = -1;
					errno = EPROTO;
				}
			} else {
				n = r;
			}
		} else {
			n = recv(c->fd, dst, READ_CHUNK, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return true;
		}
		if (n <= 0) {
			process_input(c);
			if (c->fd < 0 || c->gen != gen)
				return false;
			if (n < 0 && errno != ECONNRESET) {
				client_fail(c, "read: %s", strerror(errno));
				return false;
			}
			client_close(c);
			cmd_closed(c);
			return false;
		}
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		process_input(c);
		if (c->fd < 0 || c->gen != gen)
			return false;
	}
}

static bool tls_step(struct client *c)
{
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = C_GREETING;
		return true;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return false;
	unsigned long le = ERR_get_error();
	char buf[128];
	ERR_error_string_n(le, buf, sizeof(buf));
	ERR_clear_error();
	client_fail(c, "TLS handshake failed: %s", buf);
	return false;
}

void client_event(struct client *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	unsigned gen = c->gen;
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			client_fail(c, "connect: %s", strerror(err));
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		if (g_run.opt.tls) {
			c->ssl = SSL_new(g_run.ssl_ctx);
			SSL_set_fd(c->ssl, c->fd);
			SSL_set_connect_state(c->ssl);
			c->state = C_TLS;
		} else {
			c->state = C_GREETING;
		}
	}
	if (c->state == C_TLS && !tls_step(c))
		return;
	flush_out(c);
	if (c->fd < 0)
		return;
	if (!read_in(c) || c->gen != gen)
		return;
	flush_out(c);
}

void client_tick(struct client *c, uint64_t now)
{
	if (c->state == C_NEW) {
		if (now >= c->deadline && !g_run.stopping)
			client_connect(c);
		else if (g_run.stopping)
			c->state = C_DONE;
		return;
	}
	if (c->state == C_DONE)
		return;
	cmd_tick(c, now);
}
