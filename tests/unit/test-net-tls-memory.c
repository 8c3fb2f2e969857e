/* What an idle TLS connection holds: after the read that runs dry, no
 * record buffers (17 KB each way). Tens of thousands of IDLE connections
 * each sit in exactly that state; SSL_MODE_RELEASE_BUFFERS (net/stream.c)
 * is what gives them back, including after a read that found nothing.
 * OpenSSL's allocations are counted through CRYPTO_set_mem_functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "net/net-private.h"
#include "net/tls.h"

/* ---- counting allocator: a 16-byte header holds the size ---- */

static size_t live_bytes;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	unsigned char *p = malloc(n + 16);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	live_bytes += n;
	return p + 16;
}

static void count_free(void *ptr, const char *file, int line)
{
	(void)file;
	(void)line;
	if (ptr == NULL)
		return;
	unsigned char *p = (unsigned char *)ptr - 16;
	size_t n;
	memcpy(&n, p, sizeof(n));
	live_bytes -= n;
	free(p);
}

static void *count_realloc(void *ptr, size_t n, const char *file, int line)
{
	if (ptr == NULL)
		return count_malloc(n, file, line);
	unsigned char *p = (unsigned char *)ptr - 16;
	size_t old;
	memcpy(&old, p, sizeof(old));
	unsigned char *q = realloc(p, n + 16);
	if (q == NULL)
		return NULL;
	memcpy(q, &n, sizeof(n));
	live_bytes = live_bytes - old + n;
	return q + 16;
}

/* ---- a server stream and an OpenSSL client over a socketpair ---- */

struct pair {
	char dir[32];
	struct tls_context *ctx;
	SSL_CTX *client_ctx;
	SSL *client;
	SSL *server_ssl;	/* owned by server */
	struct stream *server;
	int fds[2];
};

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static void pair_open(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", "/tmp/quire-tlsmem-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	struct buf cert = BUF_INIT, key = BUF_INIT;
	buf_printf(&cert, "%s/c.pem", p->dir);
	buf_printf(&key, "%s/k.pem", p->dir);
	char *error = NULL;
	assert_int_equal(tls_generate_self_signed(buf_cstr(&cert), buf_cstr(&key),
						  "localhost", &error), 0);
	struct config cfg = { 0 };
	cfg.tls_cert = (char *)buf_cstr(&cert);
	cfg.tls_key = (char *)buf_cstr(&key);
	p->ctx = tls_context_new(&cfg, &error);
	assert_non_null(p->ctx);
	unlink(buf_cstr(&cert));
	unlink(buf_cstr(&key));
	rmdir(p->dir);
	buf_free(&cert);
	buf_free(&key);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds), 0);
	set_nonblock(p->fds[0]);
	set_nonblock(p->fds[1]);
	p->server_ssl = tls_context_new_ssl(p->ctx);
	p->server = stream_tls_new(p->server_ssl, p->fds[0]);
	p->client_ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(p->client_ctx);
	p->client = SSL_new(p->client_ctx);
	SSL_set_fd(p->client, p->fds[1]);
	SSL_set_connect_state(p->client);

	/* Both sides are non-blocking: take turns, a bounded number. */
	bool server_done = false, client_done = false;
	for (int i = 0; i < 200 && !(server_done && client_done); i++) {
		if (!client_done) {
			int r = SSL_do_handshake(p->client);
			client_done = r == 1;
			if (r != 1) {
				int e = SSL_get_error(p->client, r);
				assert_true(e == SSL_ERROR_WANT_READ ||
					    e == SSL_ERROR_WANT_WRITE);
			}
		}
		if (!server_done) {
			enum stream_result r = stream_tls_handshake(p->server);
			assert_true(r == STREAM_OK || r == STREAM_WANT_READ ||
				    r == STREAM_WANT_WRITE);
			server_done = r == STREAM_OK;
		}
	}
	assert_true(server_done && client_done);
}

static void pair_close(struct pair *p)
{
	SSL_free(p->client);
	SSL_CTX_free(p->client_ctx);
	stream_free(p->server);
	close(p->fds[0]);
	close(p->fds[1]);
	tls_context_free(&p->ctx);
}

static void client_send(struct pair *p, const char *text)
{
	size_t n = 0;
	assert_int_equal(SSL_write_ex(p->client, text, strlen(text), &n), 1);
	assert_int_equal(n, strlen(text));
}

/* Reads what the server stream has now into out; returns the last
 * result (WANT_READ when it ran dry). */
static enum stream_result server_drain(struct pair *p, struct buf *out)
{
	char data[16384];
	for (int i = 0; i < 100; i++) {
		size_t n = 0;
		enum stream_result r = p->server->v->read(p->server, data,
							  sizeof(data), &n);
		if (r != STREAM_OK)
			return r;
		buf_append(out, data, n);
	}
	fail_msg("the server stream never ran dry");
	return STREAM_ERROR;
}

static void test_idle_read_holds_no_buffer(void **state)
{
	(void)state;
	struct pair p;
	struct buf got = BUF_INIT;
	pair_open(&p);

	client_send(&p, "a1 IDLE\r\n");
	assert_int_equal(server_drain(&p, &got), STREAM_WANT_READ);
	assert_string_equal(buf_cstr(&got), "a1 IDLE\r\n");

	/* Idle after the read that ran dry: OpenSSL holds no record
	 * buffer, so freeing its buffers frees nothing. */
	size_t before = live_bytes;
	assert_int_equal(SSL_free_buffers(p.server_ssl), 1);
	assert_int_equal(live_bytes, before);
	for (int i = 0; i < 3; i++)
		assert_int_equal(server_drain(&p, &got), STREAM_WANT_READ);
	assert_int_equal(live_bytes, before);

	/* Data arriving later is still read, whole, and the buffer it
	 * needed is gone again afterwards. */
	client_send(&p, "DONE\r\n");
	buf_reset(&got);
	assert_int_equal(server_drain(&p, &got), STREAM_WANT_READ);
	assert_string_equal(buf_cstr(&got), "DONE\r\n");
	assert_int_equal(live_bytes, before);

	/* A clean close still reads as EOF. */
	SSL_shutdown(p.client);
	assert_int_equal(server_drain(&p, &got), STREAM_EOF);
	buf_free(&got);
	pair_close(&p);
}

static void test_peer_gone_reads_as_eof(void **state)
{
	(void)state;
	struct pair p;
	struct buf got = BUF_INIT;
	pair_open(&p);
	client_send(&p, "x\r\n");
	assert_int_equal(server_drain(&p, &got), STREAM_WANT_READ);
	/* No close_notify: the socket just closes. */
	shutdown(p.fds[1], SHUT_RDWR);
	assert_int_equal(server_drain(&p, &got), STREAM_EOF);
	buf_free(&got);
	pair_close(&p);
}

int main(void)
{
	/* Before OpenSSL allocates anything. */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_read_holds_no_buffer),
		cmocka_unit_test(test_peer_gone_reads_as_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
