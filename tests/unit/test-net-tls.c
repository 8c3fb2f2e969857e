/* TLS: certificate generation, STARTTLS (with injection attempts) and the
 * implicit TLS listener, over real sockets on 127.0.0.1. */
#include "test-net-util.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "net/tls.h"

static void test_generate_self_signed(void **state)
{
	(void)state;
	char dir[] = "/tmp/quire-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct buf cert = BUF_INIT, key = BUF_INIT;
	buf_printf(&cert, "%s/c.pem", dir);
	buf_printf(&key, "%s/k.pem", dir);
	char *error = NULL;
	assert_int_equal(tls_generate_self_signed(buf_cstr(&cert), buf_cstr(&key),
						  "mail.example", &error), 0);
	struct stat st;
	assert_int_equal(stat(buf_cstr(&key), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	FILE *f = fopen(buf_cstr(&cert), "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_int_equal(X509_check_host(x, "mail.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(x, "other.example", 0, 0, NULL), 0);
	/* about ten years */
	int days = 0, secs = 0;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	assert_true(days >= 3640 && days <= 3660);
	X509_free(x);

	/* the pair loads as a server context */
	struct config cfg = { 0 };
	cfg.tls_cert = (char *)buf_cstr(&cert);
	cfg.tls_key = (char *)buf_cstr(&key);
	struct tls_context *ctx = tls_context_new(&cfg, &error);
	assert_non_null(ctx);
	assert_int_equal(tls_context_reload(ctx, &error), 0);
	tls_context_free(&ctx);
	assert_null(ctx);

	unlink(buf_cstr(&cert));
	unlink(buf_cstr(&key));
	rmdir(dir);
	buf_free(&cert);
	buf_free(&key);
}

static void test_context_errors(void **state)
{
	(void)state;
	char *error = NULL;
	struct config cfg = { 0 };
	cfg.tls_cert = "/nonexistent/cert.pem";
	cfg.tls_key = "";
	assert_null(tls_context_new(&cfg, &error));
	assert_string_equal(error, "tls_cert and tls_key must be set together");
	free(error);

	cfg.tls_key = "/nonexistent/key.pem";
	assert_null(tls_context_new(&cfg, &error));
	assert_non_null(strstr(error, "cannot load TLS certificate "
			       "/nonexistent/cert.pem"));
	free(error);
}

static void test_default_cert_created_in_data_dir(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	/* data_dir does not exist yet: it is created */
	rmdir(ts.data_dir);
	char *error = NULL;
	ts.server = server_new(&ts.cfg, &test_ops, &error);
	assert_non_null(ts.server);
	struct buf key = BUF_INIT;
	buf_printf(&key, "%s/tls-key.pem", ts.data_dir);
	struct stat st;
	assert_int_equal(stat(buf_cstr(&key), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	buf_free(&key);
	test_server_finish(&ts);
}

static void test_implicit_tls(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAPS);
	assert_true(port > 0);
	struct client *c = client_connect(port);
	assert_true(client_start_tls(c));
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 1 TLSv1.3 1");
	client_send(c, "hi\r\n");
	assert_string_equal(client_line(c), "ECHO hi");
	client_send(c, "QUIT\r\n");
	assert_string_equal(client_line(c), "* BYE");
	client_free(c);
	test_server_finish(&ts);
}

static void test_implicit_tls_rejects_plaintext(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAPS);
	struct client *c = client_connect(port);
	client_send(c, "a LOGIN user pass\r\n");
	assert_true(client_sees_close(c));
	client_free(c);
	/* the protocol never saw it: no on_open before the handshake */
	assert_int_equal(atomic_load(&stats.opened), 0);
	test_server_finish(&ts);
}

static void test_tls12_minimum(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAPS);
	struct client *c = client_connect(port);
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(c->ctx, 0);
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(c->ctx, TLS1_1_VERSION);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	assert_int_not_equal(SSL_connect(c->ssl), 1);
	ERR_clear_error();
	client_free(c);

	c = client_connect(port);
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_max_proto_version(c->ctx, TLS1_2_VERSION);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	assert_int_equal(SSL_connect(c->ssl), 1);
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 1 TLSv1.2 1");
	client_free(c);
	test_server_finish(&ts);
}

static void test_starttls_discards_pipelined_injection(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAP);
	struct client *c = client_connect(port);
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 0 - 0");
	/* one write: the injected command rides behind STARTTLS */
	client_send(c, "a STARTTLS\r\nb INJECTED\r\n");
	assert_string_equal(client_line(c), "a OK Begin TLS");
	assert_int_equal(c->len, 0);
	assert_true(client_start_tls(c));
	client_send(c, "c AFTER\r\n");
	assert_string_equal(client_line(c), "ECHO c AFTER");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 1 TLSv1.3 0");
	client_send(c, "QUIT\r\n");
	assert_string_equal(client_line(c), "* BYE");
	client_free(c);
	test_server_finish(&ts);
	assert_int_equal(atomic_load(&stats.injected_seen), 0);
	assert_int_equal(atomic_load(&stats.closed), 1);
}

static void test_starttls_injection_in_second_segment(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAP);
	struct client *c = client_connect(port);
	assert_string_equal(client_line(c), "* OK hello");
	/* separate segments, before the reply is read: the server may read
	 * the second one either with the first (discarded) or as the start
	 * of the handshake (which then fails). Never as a command. */
	client_send(c, "a STARTTLS\r\n");
	client_send(c, "b INJECTED\r\n");
	assert_string_equal(client_line(c), "a OK Begin TLS");
	if (client_start_tls(c)) {
		client_send(c, "c AFTER\r\n");
		assert_string_equal(client_line(c), "ECHO c AFTER");
	}
	ERR_clear_error();
	client_free(c);
	assert_true(wait_for(&stats.closed, 1));
	test_server_finish(&ts);
	assert_int_equal(atomic_load(&stats.injected_seen), 0);
}

static void test_starttls_twice_and_bad_handshake(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAP);
	struct client *c = client_connect(port);
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "a STARTTLS\r\n");
	assert_string_equal(client_line(c), "a OK Begin TLS");
	/* garbage instead of a ClientHello: the conn is closed */
	client_send(c, "b LOGIN x y\r\n");
	assert_true(client_sees_close(c));
	client_free(c);
	assert_true(wait_for(&stats.closed, 1));
	assert_int_equal(atomic_load(&stats.opened), 1);
	test_server_finish(&ts);
}

static void test_tls_large_transfer(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAPS);
	struct client *c = client_connect(port);
	assert_true(client_start_tls(c));
	assert_string_equal(client_line(c), "* OK hello");
	size_t total = 4 * 1024 * 1024;
	client_send(c, "PRODUCE 4194304\r\nafter\r\n");
	assert_string_equal(client_line(c), "* DATA 4194304");
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
	client_free(c);
	test_server_finish(&ts);
}

static void test_shutdown_bye_over_tls(void **state)
{
	(void)state;
	struct test_server ts;
	test_config(&ts);
	test_server_start(&ts);
	int port = server_listen_port(ts.server, SERVER_LISTENER_IMAPS);
	struct client *c = client_connect(port);
	assert_true(client_start_tls(c));
	assert_string_equal(client_line(c), "* OK hello");
	server_stop(ts.server);
	pthread_join(ts.thread, NULL);
	ts.running = false;
	assert_string_equal(client_line(c), "* BYE shutting down");
	assert_null(client_line(c));
	client_free(c);
	assert_int_equal(atomic_load(&stats.shutdowns), 1);
	test_server_finish(&ts);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_self_signed),
		cmocka_unit_test(test_context_errors),
		cmocka_unit_test(test_default_cert_created_in_data_dir),
		cmocka_unit_test(test_implicit_tls),
		cmocka_unit_test(test_implicit_tls_rejects_plaintext),
		cmocka_unit_test(test_tls12_minimum),
		cmocka_unit_test(test_starttls_discards_pipelined_injection),
		cmocka_unit_test(test_starttls_injection_in_second_segment),
		cmocka_unit_test(test_starttls_twice_and_bad_handshake),
		cmocka_unit_test(test_tls_large_transfer),
		cmocka_unit_test(test_shutdown_bye_over_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
