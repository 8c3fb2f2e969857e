/*
 * Shared by the test-net-*.c files: a test server with a line-based
 * conn_ops running in a thread, and a blocking client (plain or TLS) with
 * bounded waits. Included once per test program, hence static functions.
 */
#ifndef QUIRE_TEST_NET_UTIL_H
#define QUIRE_TEST_NET_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "net/conn.h"
#include "net/server.h"
#include "net/worker.h"

#define WAIT_LIMIT_MS 10000

/* ---- what the test ops observed (written by workers, read by tests) ---- */

struct test_stats {
	atomic_int opened, closed, shutdowns, drained, timeouts;
	atomic_int injected_seen;       /* a line containing INJECTED arrived */
	atomic_size_t max_flood_pending;
	atomic_size_t flood_written;
	atomic_int flood_closed;
	atomic_size_t max_input;
	atomic_size_t max_produce_pending;
};

static struct test_stats stats;

struct test_conn {
	struct conn *conn;
	struct worker_timer *flood_timer;
	size_t produce_left;
	size_t produce_pos;
};

static void stats_max(atomic_size_t *slot, size_t value)
{
	size_t old = atomic_load(slot);
	while (value > old && !atomic_compare_exchange_weak(slot, &old, value))
		;
}

static void t_on_open(struct conn *conn)
{
	struct test_conn *tc = xcalloc(1, sizeof(*tc));
	tc->conn = conn;
	conn_set_data(conn, tc);
	atomic_fetch_add(&stats.opened, 1);
	conn_write_str(conn, "* OK hello\r\n");
}

/* Writes the PRODUCE payload while the output buffer has room. */
static void produce(struct conn *conn)
{
	struct test_conn *tc = conn_get_data(conn);
	char chunk[16384];
	while (tc->produce_left > 0) {
		if (conn_output_full(conn))
			return; /* resumed in on_drained */
		size_t n = tc->produce_left < sizeof(chunk) ?
			tc->produce_left : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (tc->produce_pos + i) % 26);
		conn_write(conn, chunk, n);
		tc->produce_pos += n;
		tc->produce_left -= n;
		stats_max(&stats.max_produce_pending, conn_output_pending(conn));
	}
	conn_write_str(conn, "\r\n* DONE\r\n");
	conn_pause_input(conn, false);
}

/* A producer that ignores backpressure, as a buggy handler would. */
static void flood_tick(struct worker *w, void *arg)
{
	struct test_conn *tc = arg;
	tc->flood_timer = NULL;
	char chunk[65536];
	memset(chunk, 'f', sizeof(chunk));
	for (int i = 0; i < 4; i++) {
		conn_write(tc->conn, chunk, sizeof(chunk));
		atomic_fetch_add(&stats.flood_written, sizeof(chunk));
		stats_max(&stats.max_flood_pending,
			  conn_output_pending(tc->conn));
	}
	tc->flood_timer = worker_timer_add(w, 1, flood_tick, tc);
}

static void timer_write(struct worker *w, void *arg)
{
	(void)w;
	conn_write_str(arg, "* TIMER fired\r\n");
}

static void timer_cancelled(struct worker *w, void *arg)
{
	(void)w;
	conn_write_str(arg, "* CANCELLED\r\n");
}

static void handle_line(struct conn *conn, const char *line)
{
	struct test_conn *tc = conn_get_data(conn);
	struct buf out = BUF_INIT;
	if (strstr(line, "INJECTED") != NULL)
		atomic_fetch_add(&stats.injected_seen, 1);
	if (strcmp(line, "QUIT") == 0) {
		conn_write_str(conn, "* BYE\r\n");
		conn_close(conn, "logout");
	} else if (strcmp(line, "PEER") == 0) {
		const char *v = conn_tls_version(conn);
		buf_printf(&out, "* PEER %s %d %d %s %d\r\n", conn_peer_ip(conn),
			   conn_is_loopback(conn), conn_is_tls(conn),
			   v != NULL ? v : "-",
			   conn_is_implicit_tls_listener(conn));
		conn_write(conn, out.data, out.len);
	} else if (strcmp(line, "FLOOD") == 0) {
		flood_tick(conn_worker(conn), tc);
	} else if (strncmp(line, "PRODUCE ", 8) == 0) {
		tc->produce_left = strtoul(line + 8, NULL, 10);
		buf_printf(&out, "* DATA %zu\r\n", tc->produce_left);
		conn_write(conn, out.data, out.len);
		conn_pause_input(conn, true);
		produce(conn);
	} else if (strcmp(line, "TIMER") == 0) {
		struct worker *w = conn_worker(conn);
		struct worker_timer *t = worker_timer_add(w, 5, timer_cancelled,
							  conn);
		worker_timer_add(w, 30, timer_write, conn);
		worker_timer_cancel(w, t);
	} else {
		buf_printf(&out, "ECHO %s\r\n", line);
		conn_write(conn, out.data, out.len);
	}
	buf_free(&out);
}

static void t_on_input(struct conn *conn)
{
	struct buf *in = conn_input(conn);
	stats_max(&stats.max_input, in->len);
	for (;;) {
		if (in->len == 0)
			return;
		char *eol = memchr(in->data, '\n', in->len);
		if (eol == NULL)
			return;
		size_t len = (size_t)(eol - in->data) + 1;
		char *line = xstrndup(in->data, len - 1);
		if (len >= 2 && line[len - 2] == '\r')
			line[len - 2] = '\0';
		buf_consume(in, len);
		char *sp = strchr(line, ' ');
		if (sp != NULL && strcmp(sp + 1, "STARTTLS") == 0) {
			/* the line is consumed; reply in clear, then switch */
			struct buf out = BUF_INIT;
			buf_printf(&out, "%.*s OK Begin TLS\r\n",
				   (int)(sp - line), line);
			conn_write(conn, out.data, out.len);
			buf_free(&out);
			free(line);
			assert_int_equal(conn_starttls(conn), 0);
			assert_int_equal(conn_starttls(conn), -1);
			return;
		}
		handle_line(conn, line);
		free(line);
		struct test_conn *tc = conn_get_data(conn);
		if (tc->produce_left > 0)
			return; /* input paused until the payload is out */
	}
}

static void t_on_drained(struct conn *conn)
{
	atomic_fetch_add(&stats.drained, 1);
	produce(conn);
}

static void t_on_timeout(struct conn *conn)
{
	atomic_fetch_add(&stats.timeouts, 1);
	conn_write_str(conn, "* BYE idle\r\n");
	conn_close(conn, "idle");
}

static void t_on_shutdown(struct conn *conn)
{
	atomic_fetch_add(&stats.shutdowns, 1);
	conn_write_str(conn, "* BYE shutting down\r\n");
}

static void t_on_close(struct conn *conn)
{
	struct test_conn *tc = conn_get_data(conn);
	if (tc->flood_timer != NULL) {
		worker_timer_cancel(conn_worker(conn), tc->flood_timer);
		atomic_fetch_add(&stats.flood_closed, 1);
	}
	free(tc);
	atomic_fetch_add(&stats.closed, 1);
}

static const struct conn_ops test_ops = {
	t_on_open, t_on_input, t_on_drained, t_on_timeout, t_on_shutdown,
	t_on_close,
};

/* ---- the server under test ---------------------------------------------- */

struct test_server {
	struct config cfg;
	char data_dir[64];
	struct server *server;
	pthread_t thread;
	int run_ret;
	bool running;
};

static void test_config(struct test_server *ts)
{
	memset(ts, 0, sizeof(*ts));
	snprintf(ts->data_dir, sizeof(ts->data_dir), "/tmp/quire-net-XXXXXX");
	assert_non_null(mkdtemp(ts->data_dir));
	struct config *cfg = &ts->cfg;
	cfg->data_dir = xstrdup(ts->data_dir);
	cfg->imap_listen = xstrdup("127.0.0.1:0");
	cfg->imaps_listen = xstrdup("127.0.0.1:0");
	cfg->tls_cert = xstrdup("");
	cfg->tls_key = xstrdup("");
	cfg->user = xstrdup("");
	cfg->workers = 2;
	cfg->max_line_length = 65536;
	cfg->output_buffer_max = 1024 * 1024;
	cfg->auth_timeout = 60;
	cfg->max_connections = 100;
	cfg->max_connections_per_ip = 100;
	memset(&stats, 0, sizeof(stats));
}

static void *server_thread(void *arg)
{
	struct test_server *ts = arg;
	ts->run_ret = server_run(ts->server);
	return NULL;
}

static void test_server_start(struct test_server *ts)
{
	char *error = NULL;
	ts->server = server_new(&ts->cfg, &test_ops, &error);
	if (ts->server == NULL)
		fail_msg("server_new: %s", error);
	assert_int_equal(pthread_create(&ts->thread, NULL, server_thread, ts), 0);
	ts->running = true;
}

static void rm_rf_data_dir(const char *dir)
{
	const char *names[] = { "tls-cert.pem", "tls-key.pem" };
	for (size_t i = 0; i < 2; i++) {
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s/%s", dir, names[i]);
		unlink(buf_cstr(&p));
		buf_free(&p);
	}
	rmdir(dir);
}

/* Stops (if running) and frees the server and the config. */
static void test_server_finish(struct test_server *ts)
{
	if (ts->running) {
		server_stop(ts->server);
		pthread_join(ts->thread, NULL);
		ts->running = false;
		assert_int_equal(ts->run_ret, 0);
	}
	server_free(&ts->server);
	rm_rf_data_dir(ts->data_dir);
	free(ts->cfg.data_dir);
	free(ts->cfg.imap_listen);
	free(ts->cfg.imaps_listen);
	free(ts->cfg.tls_cert);
	free(ts->cfg.tls_key);
	free(ts->cfg.user);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits (bounded) until *value >= want. A guard, not a timing assertion. */
static bool wait_for(atomic_int *value, int want)
{
	uint64_t end = now_ms() + WAIT_LIMIT_MS;
	while (atomic_load(value) < want) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* ---- a blocking client -------------------------------------------------- */

struct client {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[65536];
	size_t len;
	char line[8192];
};

static void client_timeouts(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int client_socket(int port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	client_timeouts(fd, 10);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static struct client *client_connect(int port)
{
	struct client *c = xcalloc(1, sizeof(*c));
	c->fd = client_socket(port, 0);
	return c;
}

/* Starts TLS on the client's socket; returns false if the handshake fails. */
__attribute__((unused)) static bool client_start_tls(struct client *c)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(c->ctx);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	return SSL_connect(c->ssl) == 1;
}

static void client_send(struct client *c, const char *s)
{
	size_t len = strlen(s);
	if (c->ssl != NULL) {
		size_t n = 0;
		assert_int_equal(SSL_write_ex(c->ssl, s, len, &n), 1);
		assert_int_equal(n, len);
	} else {
		assert_int_equal(send(c->fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
	}
}

/* Reads more bytes; returns <= 0 on EOF, error or timeout. */
static ssize_t client_fill(struct client *c)
{
	if (c->len == sizeof(c->buf))
		return -1;
	if (c->ssl != NULL) {
		size_t n = 0;
		if (SSL_read_ex(c->ssl, c->buf + c->len, sizeof(c->buf) - c->len,
				&n) != 1)
			return 0;
		c->len += n;
		return (ssize_t)n;
	}
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Next line without CRLF, or NULL on EOF/timeout. */
static const char *client_line(struct client *c)
{
	for (;;) {
		char *eol = memchr(c->buf, '\n', c->len);
		if (eol != NULL) {
			size_t len = (size_t)(eol - c->buf);
			size_t copy = len < sizeof(c->line) ? len : sizeof(c->line) - 1;
			memcpy(c->line, c->buf, copy);
			c->line[copy] = '\0';
			if (copy > 0 && c->line[copy - 1] == '\r')
				c->line[copy - 1] = '\0';
			memmove(c->buf, eol + 1, c->len - len - 1);
			c->len -= len + 1;
			return c->line;
		}
		if (client_fill(c) <= 0)
			return NULL;
	}
}

/* True if the server closes the connection (EOF or reset) after any data. */
static bool client_sees_close(struct client *c)
{
	for (;;) {
		c->len = 0;
		ssize_t n = client_fill(c);
		if (n == 0)
			return true;
		if (n < 0)
			return errno == ECONNRESET;
	}
}

static void client_free(struct client *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	close(c->fd);
	free(c);
}

#endif
