/* The layers of a conn's I/O stack: plain socket and server-side TLS. */
#include "net/net-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

void stream_set_error_text(struct stream *s, const char *text)
{
	free(s->error);
	s->error = xstrdup(text);
}

void stream_set_error(struct stream *s, const char *prefix, int errnum)
{
	char tmp[128];
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s: %s", prefix, strerror_r(errnum, tmp, sizeof(tmp)));
	free(s->error);
	s->error = buf_steal(&b);
}

void stream_free(struct stream *s)
{
	while (s != NULL) {
		struct stream *lower = s->lower;
		free(s->error);
		s->error = NULL;
		s->v->destroy(s);
		s = lower;
	}
}

/* ---- socket ------------------------------------------------------------- */

static enum stream_result socket_read(struct stream *s, void *data,
				      size_t size, size_t *n_r)
{
	for (;;) {
		ssize_t n = recv(s->fd, data, size, 0);
		if (n > 0) {
			*n_r = (size_t)n;
			return STREAM_OK;
		}
		if (n == 0)
			return STREAM_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return STREAM_WANT_READ;
		if (errno == ECONNRESET)
			return STREAM_EOF;
		stream_set_error(s, "read", errno);
		return STREAM_ERROR;
	}
}

static enum stream_result socket_write(struct stream *s, const void *data,
				       size_t size, size_t *n_r)
{
	for (;;) {
		/* MSG_NOSIGNAL: a vanished peer is an error value, not SIGPIPE. */
		ssize_t n = send(s->fd, data, size, MSG_NOSIGNAL);
		if (n >= 0) {
			*n_r = (size_t)n;
			return n > 0 ? STREAM_OK : STREAM_WANT_WRITE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return STREAM_WANT_WRITE;
		stream_set_error(s, "write", errno);
		return STREAM_ERROR;
	}
}

static void socket_shutdown(struct stream *s)
{
	(void)s;
}

static void socket_destroy(struct stream *s)
{
	/* Embedded in the conn, which owns the fd. */
	(void)s;
}

static const struct stream_vfuncs socket_vfuncs = {
	socket_read, socket_write, socket_shutdown, NULL, socket_destroy,
};

void stream_socket_init(struct stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->v = &socket_vfuncs;
	s->fd = fd;
}

/* ---- TLS ---------------------------------------------------------------- */

struct tls_stream {
	struct stream s;
	SSL *ssl;
};

/*
 * Maps SSL_get_error() after a failed call. The caller cleared the error
 * queue before the call, so what is there now belongs to this connection.
 */
static enum stream_result tls_result(struct stream *s, int ret,
				     const char *what)
{
	struct tls_stream *t = (struct tls_stream *)s;
	int err = SSL_get_error(t->ssl, ret);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		return STREAM_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return STREAM_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return STREAM_EOF;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || errno == ECONNRESET || errno == EPIPE) {
			ERR_clear_error();
			return STREAM_EOF;
		}
		stream_set_error(s, what, errno);
		ERR_clear_error();
		return STREAM_ERROR;
	default: {
		char *text = tls_error_string();
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s: %s", what, text);
		free(text);
		free(s->error);
		s->error = buf_steal(&b);
		return STREAM_ERROR;
	}
	}
}

static enum stream_result tls_read(struct stream *s, void *data, size_t size,
				   size_t *n_r)
{
	struct tls_stream *t = (struct tls_stream *)s;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_read_ex(t->ssl, data, size, n_r);
	if (ret == 1)
		return STREAM_OK;
	return tls_result(s, ret, "TLS read");
}

static enum stream_result tls_write(struct stream *s, const void *data,
				    size_t size, size_t *n_r)
{
	struct tls_stream *t = (struct tls_stream *)s;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_write_ex(t->ssl, data, size, n_r);
	if (ret == 1)
		return STREAM_OK;
	enum stream_result r = tls_result(s, ret, "TLS write");
	/* The peer is gone: for a writer that is an error, not a clean EOF. */
	if (r == STREAM_EOF) {
		stream_set_error_text(s, "TLS write: connection closed");
		return STREAM_ERROR;
	}
	return r;
}

static void tls_shutdown(struct stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;
	/* One attempt: close_notify goes out if the socket takes it. The peer's
	 * close_notify is not awaited (RFC 8446 6.1 allows that). */
	ERR_clear_error();
	if (SSL_is_init_finished(t->ssl))
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

static void tls_destroy(struct stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;
	SSL_free(t->ssl);
	free(t);
}

static const struct stream_vfuncs tls_vfuncs = {
	tls_read, tls_write, tls_shutdown, NULL, tls_destroy,
};

struct stream *stream_tls_new(SSL *ssl, int fd)
{
	struct tls_stream *t = xcalloc(1, sizeof(*t));
	t->s.v = &tls_vfuncs;
	t->s.fd = fd;
	t->ssl = ssl;
	/* Partial writes and a moving buffer: the conn's output buffer may be
	 * reallocated by conn_write between a WANT_WRITE and the retry.
	 * RELEASE_BUFFERS keeps idle TLS conns small. */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
		     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
		     SSL_MODE_RELEASE_BUFFERS);
	SSL_set_fd(ssl, fd);
	SSL_set_accept_state(ssl);
	return &t->s;
}

enum stream_result stream_tls_handshake(struct stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_do_handshake(t->ssl);
	if (ret == 1)
		return STREAM_OK;
	enum stream_result r = tls_result(s, ret, "TLS handshake");
	if (r == STREAM_EOF) {
		stream_set_error_text(s, "TLS handshake: connection closed");
		return STREAM_ERROR;
	}
	return r;
}

const char *stream_tls_version(const struct stream *s)
{
	const struct tls_stream *t = (const struct tls_stream *)s;
	return SSL_get_version(t->ssl);
}

const char *stream_tls_cipher(const struct stream *s)
{
	const struct tls_stream *t = (const struct tls_stream *)s;
	return SSL_get_cipher_name(t->ssl);
}
