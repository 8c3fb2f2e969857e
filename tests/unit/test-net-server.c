/* Network layer over real sockets on 127.0.0.1: lines, backpressure,
 * limits, timers, posts, watches and shutdown. TLS is in test-net-tls.c. */
#include "test-net-util.h"

#include <signal.h>
#include <sys/eventfd.h>

static int imap_port(struct test_server *ts)
{
	int port = server_listen_port(ts->server, SERVER_LISTENER_IMAP);
	assert_true(port > 0);
	return port;
}

static void test_echo_and_pipelining(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "hello\r\n");
	assert_string_equal(client_line(c), "ECHO hello");
	/* two commands in one segment, the second split across writes */
	client_send(c, "one\r\ntw");
	assert_string_equal(client_line(c), "ECHO one");
	client_send(c, "o\r\n");
	assert_string_equal(client_line(c), "ECHO two");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 0 - 0");
	client_send(c, "QUIT\r\n");
	assert_string_equal(client_line(c), "* BYE");
	assert_true(client_sees_close(c));
	client_free(c);
	assert_true(wait_for(&stats.closed, 1));
	assert_int_equal(atomic_load(&stats.opened), 1);
	test_server_finish(&ts);
	/* on_close ran exactly once per on_open */
	assert_int_equal(atomic_load(&stats.closed), 1);
}

static void test_busy_port_is_clear_error(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	socklen_t len = sizeof(sin);
	getsockname(fd, (struct sockaddr *)&sin, &len);

	struct test_server ts;
	test_config(&ts);
	free(ts.cfg.imap_listen);
	struct buf spec = BUF_INIT;
	buf_printf(&spec, "127.0.0.1:%u", ntohs(sin.sin_port));
	ts.cfg.imap_listen = xstrdup(buf_cstr(&spec));
	char *error = NULL;
	assert_null(server_new(&ts.cfg, &test_ops, &error));
	struct buf want = BUF_INIT;
	buf_printf(&want, "cannot listen on %s: Address already in use",
		   buf_cstr(&spec));
	assert_string_equal(error, buf_cstr(&want));
	free(error);

	free(ts.cfg.imap_listen);
	ts.cfg.imap_listen = xstrdup("no-port-here");
	assert_null(server_new(&ts.cfg, &test_ops, &error));
	assert_non_null(strstr(error, "cannot listen on no-port-here: "));
	free(error);

	buf_free(&spec);
	buf_free(&want);
	close(fd);
	test_server_finish(&ts);
}

static void test_disabled_listener(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	free(ts.cfg.imaps_listen);
	ts.cfg.imaps_listen = xstrdup("");
	test_server_start(&ts);
	assert_int_equal(server_listen_port(ts.server, SERVER_LISTENER_IMAPS), -1);
	assert_true(server_listen_port(ts.server, SERVER_LISTENER_IMAP) > 0);
	test_server_finish(&ts);
}

static void test_non_reader_is_disconnected(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = xcalloc(1, sizeof(*c));
	c->fd = client_socket(imap_port(&ts), 4096);
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "FLOOD\r\n");
	/* never read: the server must give up on us */
	assert_true(wait_for(&stats.closed, 1));
	assert_int_equal(atomic_load(&stats.flood_closed), 1);
	size_t bound = ts.cfg.output_buffer_max;
	assert_true(atomic_load(&stats.max_flood_pending) <= bound);
	/* it really tried to write more than the bound */
	assert_true(atomic_load(&stats.flood_written) > bound);
	assert_true(client_sees_close(c));
	client_free(c);
	test_server_finish(&ts);
}

static void test_backpressure_producer(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	size_t total = 8 * 1024 * 1024;
	/* the pipelined "after" must wait until the payload is out */
	client_send(c, "PRODUCE 8388608\r\nafter\r\n");
	assert_string_equal(client_line(c), "* DATA 8388608");
	size_t got = 0;
	bool pattern_ok = true;
	while (got < total) {
		if (c->len == 0)
			assert_true(client_fill(c) > 0);
		size_t n = c->len < total - got ? c->len : total - got;
		for (size_t i = 0; i < n; i++) {
			if (c->buf[i] != (char)('a' + (got + i) % 26))
				pattern_ok = false;
		}
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
		got += n;
	}
	assert_true(pattern_ok);
	assert_string_equal(client_line(c), "");
	assert_string_equal(client_line(c), "* DONE");
	assert_string_equal(client_line(c), "ECHO after");
	assert_true(atomic_load(&stats.drained) > 0);
	/* the producer stopped near the soft watermark, far below the bound */
	assert_true(atomic_load(&stats.max_produce_pending) <= 64 * 1024 + 16384);
	client_free(c);
	test_server_finish(&ts);
}

static void test_input_is_bounded(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	client_timeouts(c->fd, 1);
	/* 32 MiB without a newline (more than any kernel socket buffers
	 * hold): the test ops never consume it */
	char chunk[65536];
	memset(chunk, 'x', sizeof(chunk));
	size_t sent = 0;
	while (sent < 32 * 1024 * 1024) {
		ssize_t n = send(c->fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server stopped reading: send timed out */
		sent += (size_t)n;
	}
	assert_true(sent < 32 * 1024 * 1024);
	/* 256 KiB bound plus at most one 16 KiB read */
	assert_true(atomic_load(&stats.max_input) <= 256 * 1024 + 16384);
	assert_true(atomic_load(&stats.max_input) >= 64 * 1024);
	client_free(c);
	test_server_finish(&ts);
}

static void test_per_ip_limit(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	ts.cfg.max_connections_per_ip = 2;
	test_server_start(&ts);
	int port = imap_port(&ts);
	struct client *a = client_connect(port);
	struct client *b = client_connect(port);
	assert_string_equal(client_line(a), "* OK hello");
	assert_string_equal(client_line(b), "* OK hello");
	struct client *c = client_connect(port);
	assert_string_equal(client_line(c),
			    "* BYE Too many connections from your address");
	assert_true(client_sees_close(c));
	client_free(c);
	/* the refused one never reached the protocol */
	assert_int_equal(atomic_load(&stats.opened), 2);
	/* a slot frees up when a client leaves */
	client_free(a);
	assert_true(wait_for(&stats.closed, 1));
	c = client_connect(port);
	assert_string_equal(client_line(c), "* OK hello");
	client_free(c);
	client_free(b);
	test_server_finish(&ts);
}

static void test_timer_fires_and_cancel(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "TIMER\r\n");
	/* the cancelled 5 ms timer would have come first */
	assert_string_equal(client_line(c), "* TIMER fired");
	client_send(c, "QUIT\r\n");
	assert_string_equal(client_line(c), "* BYE");
	client_free(c);
	test_server_finish(&ts);
}

static void test_idle_timeout(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	ts.cfg.auth_timeout = 1;
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	assert_string_equal(client_line(c), "* BYE idle");
	assert_true(client_sees_close(c));
	assert_int_equal(atomic_load(&stats.timeouts), 1);
	client_free(c);
	test_server_finish(&ts);
}

struct post_probe {
	atomic_int done;
	unsigned index;
	pthread_t thread;
};

static void post_fn(struct worker *w, void *arg)
{
	struct post_probe *p = arg;
	p->index = worker_index(w);
	p->thread = pthread_self();
	atomic_store(&p->done, 1);
}

static void test_worker_post(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	assert_int_equal(server_worker_count(ts.server), 2);
	struct post_probe probe = { 0 };
	assert_int_equal(worker_post(server_worker(ts.server, 1), post_fn,
				     &probe), 0);
	assert_true(wait_for(&probe.done, 1));
	assert_int_equal(probe.index, 1);
	assert_false(pthread_equal(probe.thread, pthread_self()));
	assert_false(pthread_equal(probe.thread, ts.thread));
	server_stop(ts.server);
	pthread_join(ts.thread, NULL);
	ts.running = false;
	/* a stopped worker refuses posts instead of losing them silently */
	assert_int_equal(worker_post(server_worker(ts.server, 0), post_fn,
				     &probe), -1);
	test_server_finish(&ts);
}

struct watch_probe {
	atomic_int hits;
	unsigned index;
};

static void watch_fn(struct worker *w, int fd, void *arg)
{
	struct watch_probe *p = arg;
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));
	(void)n;
	p->index = worker_index(w);
	atomic_fetch_add(&p->hits, 1);
}

static void test_watch_fd(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int efd = eventfd(0, EFD_NONBLOCK);
	struct watch_probe probe = { 0 };
	char *error = NULL;
	assert_int_equal(server_watch_fd(ts.server, efd, watch_fn, &probe,
					 &error), 0);
	uint64_t one = 1;
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	assert_true(wait_for(&probe.hits, 1));
	assert_int_equal(probe.index, 0);
	assert_int_equal(server_watch_fd(ts.server, -1, watch_fn, &probe,
					 &error), -1);
	assert_non_null(error);
	free(error);
	test_server_finish(&ts);
	close(efd);
}

static void test_stop_says_bye_to_all(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = imap_port(&ts);
	struct client *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = client_connect(port);
		assert_string_equal(client_line(c[i]), "* OK hello");
	}
	assert_int_equal(server_connection_count(ts.server), 3);
	server_stop(ts.server);
	pthread_join(ts.thread, NULL);
	ts.running = false;
	assert_int_equal(ts.run_ret, 0);
	assert_int_equal(atomic_load(&stats.shutdowns), 3);
	assert_int_equal(atomic_load(&stats.closed), 3);
	assert_int_equal(server_connection_count(ts.server), 0);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(client_line(c[i]), "* BYE shutting down");
		assert_true(client_sees_close(c[i]));
		client_free(c[i]);
	}
	test_server_finish(&ts);
}

static void test_sigterm_stops(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	struct client *c = client_connect(imap_port(&ts));
	assert_string_equal(client_line(c), "* OK hello");
	/* workers run only after server_run installed its handlers, so the
	 * signal cannot hit the default action (which would kill the test) */
	struct post_probe probe = { 0 };
	assert_int_equal(worker_post(server_worker(ts.server, 0), post_fn,
				     &probe), 0);
	assert_true(wait_for(&probe.done, 1));
	assert_int_equal(pthread_kill(ts.thread, SIGTERM), 0);
	pthread_join(ts.thread, NULL);
	ts.running = false;
	assert_int_equal(ts.run_ret, 0);
	assert_string_equal(client_line(c), "* BYE shutting down");
	assert_int_equal(atomic_load(&stats.shutdowns), 1);
	client_free(c);
	test_server_finish(&ts);
}

static void test_drop_privileges(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	char *error = NULL;
	ts.server = server_new(&ts.cfg, &test_ops, &error);
	assert_non_null(ts.server);
	assert_int_equal(server_drop_privileges(ts.server, "", &error), 0);
	int ret = server_drop_privileges(ts.server, "quire-no-such-user-x",
					 &error);
	if (geteuid() == 0) {
		assert_int_equal(ret, -1);
		assert_non_null(strstr(error, "unknown user"));
		free(error);
	} else {
		assert_int_equal(ret, 0);
	}
	test_server_finish(&ts);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_and_pipelining),
		cmocka_unit_test(test_busy_port_is_clear_error),
		cmocka_unit_test(test_disabled_listener),
		cmocka_unit_test(test_non_reader_is_disconnected),
		cmocka_unit_test(test_backpressure_producer),
		cmocka_unit_test(test_input_is_bounded),
		cmocka_unit_test(test_per_ip_limit),
		cmocka_unit_test(test_timer_fires_and_cancel),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_worker_post),
		cmocka_unit_test(test_watch_fd),
		cmocka_unit_test(test_stop_says_bye_to_all),
		cmocka_unit_test(test_sigterm_stops),
		cmocka_unit_test(test_drop_privileges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
