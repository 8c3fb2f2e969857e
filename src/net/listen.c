/* Listening sockets from "host:port" settings. */
#include "net/net-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"

static void listen_error(char **error_r, const char *spec, const char *reason)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "cannot listen on %s: %s", spec, reason);
	*error_r = buf_steal(&b);
}

/* Splits "host:port", "[v6]:port", "*:port" or ":port". host_r is
 * NULL for all addresses. */
static int parse_spec(const char *spec, char **host_r, char **port_r)
{
	const char *colon;
	const char *host_start = spec, *host_end;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host_start = spec + 1;
		host_end = close;
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || memchr(spec, ':', (size_t)(colon - spec)))
			return -1;
		host_end = colon;
	}
	const char *port = colon + 1;
	size_t port_len = strlen(port);
	if (port_len == 0 || port_len > 5 ||
	    strspn(port, "0123456789") != port_len)
		return -1;
	unsigned long value = strtoul(port, NULL, 10);
	if (value > 65535)
		return -1;
	size_t host_len = (size_t)(host_end - host_start);
	if (host_len == 0 || (host_len == 1 && host_start[0] == '*'))
		*host_r = NULL;
	else
		*host_r = xstrndup(host_start, host_len);
	*port_r = xstrdup(port);
	return 0;
}

static void format_addr(const struct sockaddr *sa, struct buf *out)
{
	char ip[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		buf_printf(out, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		buf_printf(out, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static int open_socket(const struct addrinfo *ai, const char *spec,
		       char **error_r)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		listen_error(error_r, spec, strerror(errno));
		return -1;
	}
	/* SO_REUSEADDR lets a restart bind past TIME_WAIT; unlike SO_REUSEPORT
	 * it still fails when another process is listening, which is the
	 * error an administrator must see. */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 511) != 0) {
		listen_error(error_r, spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* An MTA on the same host (Postfix lmtp:unix:...) talks over a Unix
 * socket. A leftover socket file from a previous run is replaced; any other
 * kind of file is left alone and reported. */
static int open_unix(struct listener *l, const char *name, const char *path,
		     char **error_r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		listen_error(error_r, path, "path too long");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			listen_error(error_r, path, "exists and is not a socket");
			return -1;
		}
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0666) != 0 || listen(fd, 511) != 0) {
		listen_error(error_r, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	l->h.kind = NET_HANDLE_LISTENER;
	l->fd = fd;
	l->name = xstrdup(name);
	l->unix_path = xstrdup(path);
	log_info(NULL, "listening %s unix:%s", name, path);
	return 0;
}

int listener_open(struct listener *l, const char *name, const char *spec,
		  bool implicit_tls, char **error_r)
{
	char *host, *port;
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (spec[0] == '/')
		return open_unix(l, name, spec, error_r);
	if (parse_spec(spec, &host, &port) < 0) {
		listen_error(error_r, spec,
			     "expected host:port, [ipv6]:port or *:port");
		return -1;
	}
	struct addrinfo hints = { 0 };
	hints.ai_family = host == NULL ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	free(host);
	free(port);
	if (gai != 0) {
		listen_error(error_r, spec, gai_strerror(gai));
		return -1;
	}
	int fd = open_socket(res, spec, error_r);
	freeaddrinfo(res);
	if (fd < 0)
		return -1;

	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		listen_error(error_r, spec, strerror(errno));
		close(fd);
		return -1;
	}
	l->h.kind = NET_HANDLE_LISTENER;
	l->fd = fd;
	l->implicit_tls = implicit_tls;
	l->name = xstrdup(name);
	l->port = ss.ss_family == AF_INET6 ?
		ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
		ntohs(((struct sockaddr_in *)&ss)->sin_port);
	struct buf addr = BUF_INIT;
	format_addr((struct sockaddr *)&ss, &addr);
	/* Tests and scripts parse this line for the real (ephemeral) port. */
	log_info(NULL, "listening %s %s", name, buf_cstr(&addr));
	buf_free(&addr);
	return 0;
}

void listener_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->unix_path != NULL)
		unlink(l->unix_path);
	free(l->unix_path);
	l->unix_path = NULL;
	free(l->name);
	l->name = NULL;
}
