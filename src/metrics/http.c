#include "metrics/http.h"

#include <string.h>

#include "core/buf.h"
#include "metrics/metrics.h"

#define REQUEST_MAX 8192
#define TIMEOUT_SECONDS 10

static void respond(struct conn *conn, const char *status, const char *type,
		    const struct buf *body)
{
	struct buf head = BUF_INIT;
	buf_printf(&head, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		   status, type, body->len);
	conn_write(conn, head.data, head.len);
	conn_write(conn, body->data, body->len);
	buf_free(&head);
	conn_close(conn, "metrics served");
}

static void respond_text(struct conn *conn, const char *status,
			 const char *text)
{
	struct buf body = BUF_INIT;
	buf_append_str(&body, text);
	respond(conn, status, "text/plain; charset=utf-8", &body);
	buf_free(&body);
}

/* Only the request line matters; headers are read and ignored. */
static void handle_request(struct conn *conn, const char *line, size_t len)
{
	const char *sp1 = memchr(line, ' ', len);
	if (sp1 == NULL) {
		respond_text(conn, "400 Bad Request", "bad request\n");
		return;
	}
	size_t method_len = (size_t)(sp1 - line);
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', len - method_len - 1);
	size_t target_len = sp2 != NULL ? (size_t)(sp2 - target)
					: len - method_len - 1;
	if (method_len != 3 || memcmp(line, "GET", 3) != 0) {
		respond_text(conn, "405 Method Not Allowed", "GET only\n");
		return;
	}
	if (!((target_len == 8 && memcmp(target, "/metrics", 8) == 0) ||
	      (target_len == 1 && target[0] == '/'))) {
		respond_text(conn, "404 Not Found", "try /metrics\n");
		return;
	}
	struct buf body = BUF_INIT;
	metrics_render(&body);
	respond(conn, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		&body);
	buf_free(&body);
}

static void http_on_open(struct conn *conn)
{
	conn_set_idle_timeout(conn, TIMEOUT_SECONDS);
	conn_set_data(conn, NULL);
}

static void http_on_input(struct conn *conn)
{
	struct buf *in = conn_input(conn);
	if (conn_get_data(conn) != NULL) {
		/* Answered: ignore whatever else arrives before the close. */
		buf_consume(in, in->len);
		return;
	}
	/* The blank line ending the headers; bare LF from hand-typed
	 * requests (nc) is accepted too. */
	const char *end = memmem(in->data, in->len, "\r\n\r\n", 4);
	if (end == NULL)
		end = memmem(in->data, in->len, "\n\n", 2);
	if (end == NULL) {
		if (in->len > REQUEST_MAX) {
			conn_set_data(conn, conn);
			buf_consume(in, in->len);
			respond_text(conn, "431 Request Header Fields Too Large",
				     "request too large\n");
		}
		return;
	}
	const char *eol = memchr(in->data, '\n', in->len);
	size_t line_len = (size_t)(eol - in->data);
	if (line_len > 0 && in->data[line_len - 1] == '\r')
		line_len--;
	conn_set_data(conn, conn);
	handle_request(conn, in->data, line_len);
	buf_consume(in, in->len);
}

static void http_on_drained(struct conn *conn)
{
	(void)conn;
}

static void http_on_timeout(struct conn *conn)
{
	conn_close(conn, "metrics request timed out");
}

static void http_on_shutdown(struct conn *conn)
{
	(void)conn;
}

static void http_on_close(struct conn *conn)
{
	(void)conn;
}

const struct conn_ops metrics_http_ops = {
	.on_open = http_on_open,
	.on_input = http_on_input,
	.on_drained = http_on_drained,
	.on_timeout = http_on_timeout,
	.on_shutdown = http_on_shutdown,
	.on_close = http_on_close,
};
