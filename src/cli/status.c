/*
 * quire status: what a running server is doing, read from its metrics
 * endpoint (metrics_listen), so it works across privilege boundaries and
 * needs nothing but the config file the server uses.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"

#define CLI_EX_UNAVAILABLE 69

static void status_usage(FILE *out)
{
	fputs("usage: quire status [--raw] [-c FILE] [-o key=value]...\n\n"
	      "Prints the counters of the server running with this\n"
	      "configuration, fetched from its metrics endpoint (the\n"
	      "metrics_listen setting must be set for both). --raw prints the\n"
	      "Prometheus text unchanged; by default the comment lines and\n"
	      "histogram buckets are left out.\n"
	      "Exit status: 0, 69 if the server cannot be reached, 78 if\n"
	      "metrics_listen is not set.\n", out);
	cli_print_common_help(out);
}

/* Connects to "host:port" / "[v6]:port" ("*" means loopback here). */
static int connect_to(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL)
		return -1;
	char *host = xstrndup(spec, (size_t)(colon - spec));
	if (host[0] == '[') {
		size_t len = strlen(host);
		memmove(host, host + 1, len);
		if (len >= 2 && host[len - 2] == ']')
			host[len - 2] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int fd = -1;
	const char *name = host[0] == '\0' || strcmp(host, "*") == 0 ?
		"127.0.0.1" : strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" :
		strcmp(host, "::") == 0 ? "::1" : host;
	if (getaddrinfo(name, colon + 1, &hints, &res) == 0) {
		for (struct addrinfo *ai = res; ai != NULL && fd < 0;
		     ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(res);
	}
	free(host);
	return fd;
}

static int fetch(const char *spec, struct buf *response)
{
	int fd = connect_to(spec);
	if (fd < 0)
		return -1;
	const char *req = "GET /metrics HTTP/1.0\r\nHost: quire\r\n\r\n";
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	for (;;) {
		buf_reserve(response, 65536);
		ssize_t n = read(fd, response->data + response->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return n == 0 ? 0 : -1;
		}
		response->len += (size_t)n;
	}
}

static void print_body(const char *body, bool raw)
{
	const char *p = body;
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		bool skip = !raw && (p[0] == '#' ||
			    memmem(p, len, "_bucket{", 8) != NULL);
		if (!skip)
			printf("%.*s\n", (int)len, p);
		p += len + (eol ? 1 : 0);
	}
}

static int status_run(struct cli_args *args)
{
	bool raw = false;
	for (int i = 0; i < args->rest_count; i++) {
		if (strcmp(args->rest[i], "--raw") == 0) {
			raw = true;
		} else {
			status_usage(stderr);
			return CLI_EX_USAGE;
		}
	}
	const char *spec = args->cfg.metrics_listen;
	if (spec[0] == '\0') {
		fputs("quire status: metrics_listen is not set; set it in the "
		      "server's quire.conf (e.g. 127.0.0.1:9143)\n", stderr);
		return CLI_EX_CONFIG;
	}
	struct buf response = BUF_INIT;
	if (fetch(spec, &response) < 0) {
		fprintf(stderr, "quire status: cannot reach the server at %s: "
			"%s\n", spec, strerror(errno));
		buf_free(&response);
		return CLI_EX_UNAVAILABLE;
	}
	const char *text = buf_cstr(&response);
	const char *body = strstr(text, "\r\n\r\n");
	if (strncmp(text, "HTTP/1.1 200", 12) != 0 || body == NULL) {
		fprintf(stderr, "quire status: unexpected answer from %s\n",
			spec);
		buf_free(&response);
		return CLI_EX_UNAVAILABLE;
	}
	print_body(body + 4, raw);
	buf_free(&response);
	return CLI_EX_OK;
}

int cli_status(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		status_usage(stdout);
	else if (ret == 0)
		ret = status_run(&args);
	cli_args_free(&args);
	return ret;
}
