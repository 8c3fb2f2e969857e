/*
 * The COMPRESS=DEFLATE stream layer (net/compress.c) over a socketpair,
 * with zlib on the peer's side: passthrough of the announcing reply,
 * sync-flushed output, inflating input (also input handed over at start),
 * backpressure through flush, corrupt input and the end of the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zlib.h>

#include "net/net-private.h"

struct pair {
	int fds[2];             /* [0] the server's, [1] the peer's */
	struct stream sock;
	struct stream *z;
	z_stream peer_inf, peer_def;
};

static void pair_open(struct pair *p, size_t passthrough, const void *in,
		      size_t in_len)
{
	const char *error = NULL;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds), 0);
	for (int i = 0; i < 2; i++)
		fcntl(p->fds[i], F_SETFL, fcntl(p->fds[i], F_GETFL) | O_NONBLOCK);
	stream_socket_init(&p->sock, p->fds[0]);
	p->z = stream_compress_new(&p->sock, passthrough, in, in_len, &error);
	assert_non_null(p->z);
	memset(&p->peer_inf, 0, sizeof(p->peer_inf));
	memset(&p->peer_def, 0, sizeof(p->peer_def));
	assert_int_equal(inflateInit2(&p->peer_inf, -15), Z_OK);
	assert_int_equal(deflateInit2(&p->peer_def, 6, Z_DEFLATED, -15, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
}

static void pair_close(struct pair *p)
{
	stream_free(p->z);
	inflateEnd(&p->peer_inf);
	deflateEnd(&p->peer_def);
	close(p->fds[0]);
	close(p->fds[1]);
}

/* What the peer compresses and sends (sync-flushed, like a client). */
static void peer_deflate(struct pair *p, const char *data, size_t len,
			 int flush, struct buf *out)
{
	unsigned char chunk[4096];
	p->peer_def.next_in = (Bytef *)data;
	p->peer_def.avail_in = (uInt)len;
	do {
		p->peer_def.next_out = chunk;
		p->peer_def.avail_out = sizeof(chunk);
		int r = deflate(&p->peer_def, flush);
		assert_true(r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR);
		buf_append(out, chunk, sizeof(chunk) - p->peer_def.avail_out);
	} while (p->peer_def.avail_out == 0);
}

static void peer_send(struct pair *p, const void *data, size_t len)
{
	assert_int_equal(write(p->fds[1], data, len), (ssize_t)len);
}

/* Reads what is in the socket for the peer (raw bytes). */
static void peer_read_raw(struct pair *p, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	while ((n = read(p->fds[1], chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
}

static void peer_inflate(struct pair *p, const void *data, size_t len,
			 struct buf *out)
{
	unsigned char chunk[65536];
	p->peer_inf.next_in = (Bytef *)data;
	p->peer_inf.avail_in = (uInt)len;
	do {
		p->peer_inf.next_out = chunk;
		p->peer_inf.avail_out = sizeof(chunk);
		int r = inflate(&p->peer_inf, Z_SYNC_FLUSH);
		assert_true(r == Z_OK || r == Z_BUF_ERROR);
		buf_append(out, chunk, sizeof(chunk) - p->peer_inf.avail_out);
	} while (p->peer_inf.avail_in > 0 || p->peer_inf.avail_out == 0);
}

/* Writes everything through the layer as the conn does: write, then flush
 * once the caller's bytes are all taken. */
static enum stream_result write_all(struct pair *p, const char *data,
				    size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		size_t n = 0;
		enum stream_result r = p->z->v->write(p->z, data + pos,
						      len - pos, &n);
		if (r != STREAM_OK)
			return r;
		assert_true(n > 0 && n <= len - pos);
		pos += n;
	}
	return p->z->v->flush(p->z);
}

static void test_passthrough_then_compressed(void **state)
{
	(void)state;
	struct pair p;
	const char *ok = "a1 OK DEFLATE active\r\n";
	pair_open(&p, strlen(ok), NULL, 0);

	assert_int_equal(write_all(&p, ok, strlen(ok)), STREAM_OK);
	assert_int_equal(write_all(&p, "* 1 EXISTS\r\n", 12), STREAM_OK);
	assert_int_equal(write_all(&p, "a2 OK done\r\n", 12), STREAM_OK);

	struct buf raw = BUF_INIT, plain = BUF_INIT;
	peer_read_raw(&p, &raw);
	/* RFC 4978 3: the OK itself is in clear, the rest is deflate. */
	assert_true(raw.len > strlen(ok));
	assert_memory_equal(raw.data, ok, strlen(ok));
	peer_inflate(&p, raw.data + strlen(ok), raw.len - strlen(ok), &plain);
	assert_int_equal(plain.len, 24);
	assert_memory_equal(plain.data, "* 1 EXISTS\r\na2 OK done\r\n", 24);
	buf_free(&raw);
	buf_free(&plain);
	pair_close(&p);
}

static void test_each_write_is_flushed(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p, 0, NULL, 0);
	struct buf raw = BUF_INIT, plain = BUF_INIT;
	/* Every response must be readable whole as soon as it is written:
	 * nothing stays in the compressor. */
	for (int i = 0; i < 3; i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "* %d EXISTS\r\n", i);
		assert_int_equal(write_all(&p, line, (size_t)len), STREAM_OK);
		buf_reset(&raw);
		buf_reset(&plain);
		peer_read_raw(&p, &raw);
		peer_inflate(&p, raw.data, raw.len, &plain);
		assert_int_equal(plain.len, (size_t)len);
		assert_memory_equal(plain.data, line, (size_t)len);
	}
	buf_free(&raw);
	buf_free(&plain);
	pair_close(&p);
}

static void test_read_inflates_and_takes_initial_input(void **state)
{
	(void)state;
	struct pair p;
	struct buf z = BUF_INIT;
	/* The client compressed "a NOOP" and sent it with the COMPRESS
	 * command: it arrives as input buffered before the layer existed. */
	pair_open(&p, 0, NULL, 0);
	peer_deflate(&p, "a NOOP\r\n", 8, Z_SYNC_FLUSH, &z);
	size_t first = z.len;
	peer_deflate(&p, "b LOGOUT\r\n", 10, Z_SYNC_FLUSH, &z);
	stream_free(p.z);
	const char *error = NULL;
	p.z = stream_compress_new(&p.sock, 0, z.data, first / 2, &error);
	assert_non_null(p.z);
	peer_send(&p, z.data + first / 2, z.len - first / 2);

	struct buf got = BUF_INIT;
	char data[4096];
	for (;;) {
		size_t n = 0;
		enum stream_result r = p.z->v->read(p.z, data, sizeof(data), &n);
		if (r == STREAM_WANT_READ)
			break;
		assert_int_equal(r, STREAM_OK);
		assert_true(n > 0);
		buf_append(&got, data, n);
	}
	assert_int_equal(got.len, 18);
	assert_memory_equal(got.data, "a NOOP\r\nb LOGOUT\r\n", 18);
	buf_free(&got);
	buf_free(&z);
	pair_close(&p);
}

static void test_read_small_buffer_keeps_the_rest(void **state)
{
	(void)state;
	struct pair p;
	struct buf z = BUF_INIT, got = BUF_INIT;
	pair_open(&p, 0, NULL, 0);
	char big[50000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 23);
	peer_deflate(&p, big, sizeof(big), Z_SYNC_FLUSH, &z);
	peer_send(&p, z.data, z.len);
	/* A reader that takes 100 bytes at a time still gets everything,
	 * although the socket is empty after the first read. */
	char data[100];
	for (;;) {
		size_t n = 0;
		enum stream_result r = p.z->v->read(p.z, data, sizeof(data), &n);
		if (r == STREAM_WANT_READ)
			break;
		assert_int_equal(r, STREAM_OK);
		buf_append(&got, data, n);
	}
	assert_int_equal(got.len, sizeof(big));
	assert_memory_equal(got.data, big, sizeof(big));
	buf_free(&z);
	buf_free(&got);
	pair_close(&p);
}

static void test_corrupt_input_is_an_error(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p, 0, NULL, 0);
	/* 0xff: a block type of 3, which does not exist (RFC 1951 3.2.3). */
	peer_send(&p, "\xff\xff\xff\xffxyz", 7);
	char data[64];
	size_t n = 0;
	assert_int_equal(p.z->v->read(p.z, data, sizeof(data), &n), STREAM_ERROR);
	assert_non_null(p.z->error);
	pair_close(&p);
}

static void test_end_of_stream_and_eof(void **state)
{
	(void)state;
	struct pair p;
	struct buf z = BUF_INIT;
	char data[64];
	size_t n = 0;

	pair_open(&p, 0, NULL, 0);
	peer_deflate(&p, "x LOGOUT\r\n", 10, Z_FINISH, &z);
	peer_send(&p, z.data, z.len);
	assert_int_equal(p.z->v->read(p.z, data, sizeof(data), &n), STREAM_OK);
	assert_int_equal(n, 10);
	/* Nothing can follow the end of the client's deflate stream. */
	peer_send(&p, "more", 4);
	assert_int_equal(p.z->v->read(p.z, data, sizeof(data), &n), STREAM_EOF);
	pair_close(&p);

	/* The peer closing the socket is EOF as well. */
	pair_open(&p, 0, NULL, 0);
	shutdown(p.fds[1], SHUT_WR);
	assert_int_equal(p.z->v->read(p.z, data, sizeof(data), &n), STREAM_EOF);
	buf_free(&z);
	pair_close(&p);
}

static void test_backpressure_and_flush(void **state)
{
	(void)state;
	struct pair p;
	pair_open(&p, 0, NULL, 0);
	int small = 4096;
	setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(p.fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

	/* Incompressible data, so the socket fills up. */
	size_t total = 1 << 20;
	char *data = xmalloc(total);
	uint32_t x = 12345;
	for (size_t i = 0; i < total; i++) {
		x = x * 1103515245 + 12345;
		data[i] = (char)(x >> 24);
	}
	struct buf raw = BUF_INIT, plain = BUF_INIT;
	size_t pos = 0;
	bool saw_want = false, flushed = false;
	while (!flushed) {
		enum stream_result r;
		if (pos < total) {
			size_t n = 0;
			r = p.z->v->write(p.z, data + pos, total - pos, &n);
			if (r == STREAM_OK)
				pos += n;
		} else {
			r = p.z->v->flush(p.z);
			flushed = r == STREAM_OK;
		}
		assert_true(r == STREAM_OK || r == STREAM_WANT_WRITE);
		if (r == STREAM_WANT_WRITE) {
			saw_want = true;
			buf_reset(&raw);
			peer_read_raw(&p, &raw);
			peer_inflate(&p, raw.data, raw.len, &plain);
		}
	}
	buf_reset(&raw);
	peer_read_raw(&p, &raw);
	peer_inflate(&p, raw.data, raw.len, &plain);
	assert_true(saw_want);
	assert_int_equal(plain.len, total);
	assert_memory_equal(plain.data, data, total);
	free(data);
	buf_free(&raw);
	buf_free(&plain);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passthrough_then_compressed),
		cmocka_unit_test(test_each_write_is_flushed),
		cmocka_unit_test(test_read_inflates_and_takes_initial_input),
		cmocka_unit_test(test_read_small_buffer_keeps_the_rest),
		cmocka_unit_test(test_corrupt_input_is_an_error),
		cmocka_unit_test(test_end_of_stream_and_eof),
		cmocka_unit_test(test_backpressure_and_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
