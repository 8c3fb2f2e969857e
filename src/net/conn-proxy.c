/*
 * Reading a conn's PROXY header (proxy_protocol setting) off its socket and
 * making the client it names the conn's peer.
 *
 * The header must be taken from the socket to the byte: on an implicit TLS
 * listener the ClientHello follows it, and OpenSSL reads that from the fd
 * itself. So each step peeks at what has arrived, lets the parser say how
 * much of it is header, and consumes exactly that much. proxy_parse returns
 * "more" only when all the bytes it saw belong to the header, so those can
 * be consumed too, and level-triggered epoll never spins on peeked bytes.
 */
#include "net/net-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/proxy-protocol.h"

struct conn_proxy {
	size_t have;                     /* header bytes consumed so far */
	uint8_t buf[PROXY_HEADER_MAX];
};

void conn_proxy_begin(struct conn *c)
{
	c->proxy = xcalloc(1, sizeof(*c->proxy));
	c->state = CONN_PROXY;
}

/* Makes the proxied client the conn's peer, counted against its own
 * max_connections_per_ip rather than the balancer's. */
static int apply(struct conn *c, const struct proxy_header *hdr)
{
	/* Only trusted balancers get this far (proxy_refused in server.c),
	 * so their word that the client used TLS is taken. */
	c->proxy_tls = hdr->client_tls;
	const char *tls = hdr->client_tls ? " (client TLS)" : "";
	if (!hdr->has_addresses) {
		/* proxy-protocol.txt 2.1 (UNKNOWN), 2.2 (LOCAL, UNSPEC): keep
		 * the socket's endpoints. */
		log_info(c->session_id, "PROXY v%u %s: client is %s%s",
			 hdr->version, hdr->local ? "LOCAL" : "without address",
			 c->peer, tls);
		return 1;
	}
	char ip[48];
	bool loopback;
	const char *reason;
	net_peer_info(&hdr->src, ip, sizeof(ip), &loopback);
	if (!server_conn_move(c->worker->server, c->peer_ip, ip, &reason)) {
		log_info(c->session_id, "refused proxied client %s on %s: %s",
			 ip, c->listener->name, reason);
		server_send_refusal(c->listener, c->fd, true);
		conn_abort(c, reason);
		return -1;
	}
	char via[sizeof(c->peer)];
	memcpy(via, c->peer, sizeof(via));
	conn_set_peer(c, &hdr->src, ip, loopback);
	log_info(c->session_id, "PROXY v%u: client %s via %s%s", hdr->version,
		 c->peer, via, tls);
	return 1;
}

int conn_proxy_read(struct conn *c)
{
	struct conn_proxy *p = c->proxy;
	/* Each pass consumes at least one byte or returns: bounded by the
	 * buffer. */
	while (p->have < sizeof(p->buf)) {
		ssize_t n = recv(c->fd, p->buf + p->have,
				 sizeof(p->buf) - p->have, MSG_PEEK);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR))
			return 0;
		if (n <= 0) {
			conn_abort(c, n == 0 ? "disconnected before the PROXY "
				   "header" : "read failed");
			return -1;
		}
		struct proxy_header hdr;
		const char *error;
		enum proxy_parse_result r = proxy_parse(
			p->buf, p->have + (size_t)n, &hdr, &error);
		if (r == PROXY_PARSE_ERROR) {
			log_info(c->session_id, "bad PROXY header from %s: %s",
				 c->peer, error);
			conn_abort(c, "bad PROXY header");
			return -1;
		}
		size_t take = r == PROXY_PARSE_DONE ?
			hdr.length - p->have : (size_t)n;
		/* The bytes were peeked, so they are there to be taken. */
		if (recv(c->fd, p->buf + p->have, take, 0) != (ssize_t)take) {
			conn_abort(c, "read failed");
			return -1;
		}
		p->have += take;
		c->bytes_in += take;
		if (r == PROXY_PARSE_DONE) {
			free(c->proxy);
			c->proxy = NULL;
			return apply(c, &hdr);
		}
	}
	/* proxy_parse never asks for more than PROXY_HEADER_MAX bytes. */
	conn_abort(c, "bad PROXY header");
	return -1;
}
