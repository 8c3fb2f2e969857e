/*
 * loadgen: command line, threads, the clock of the run, and the RESULT
 * lines. See lg.h for the design and usage() for the options.
 */
#include "lg-client.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

struct run g_run;

const char *const op_names[OP_COUNT] = {
	[OP_CONNECT] = "CONNECT",         [OP_LOGIN] = "LOGIN",
	[OP_SELECT] = "SELECT",           [OP_SYNC_FLAGS] = "FETCH_FLAGS",
	[OP_FETCH_NEW] = "FETCH_NEW",     [OP_FETCH_BODY] = "FETCH_BODY",
	[OP_FETCH_ENV] = "FETCH_ENVELOPE", [OP_STORE] = "STORE",
	[OP_APPEND] = "APPEND",           [OP_SEARCH] = "SEARCH",
	[OP_SEARCH_BODY] = "SEARCH_BODY", [OP_SEARCH_TEXT] = "SEARCH_TEXT",
	[OP_EXPUNGE] = "EXPUNGE",         [OP_IDLE] = "IDLE",
	[OP_NOOP] = "NOOP",               [OP_LOGOUT] = "LOGOUT",
	[OP_CYCLE] = "CYCLE",
};

static const struct {
	const char *name;
	enum mode mode;
} modes[] = {
	{ "mixed", MODE_MIXED },
	{ "append", MODE_APPEND },
	{ "select-fetch-flags", MODE_SELECT_FETCH_FLAGS },
	{ "fetch-envelope", MODE_FETCH_ENVELOPE },
	{ "search-text", MODE_SEARCH_TEXT },
	{ "idle-memory", MODE_IDLE_MEMORY },
	{ "connect-rate", MODE_CONNECT_RATE },
	{ "populate", MODE_POPULATE },
};

static const char *mode_name(enum mode m)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == m)
			return modes[i].name;
	return "?";
}

#define MAX_ERRORS_SHOWN 20

void run_error(const struct client *c, const char *fmt, ...)
{
	pthread_mutex_lock(&g_run.err_lock);
	g_run.err_total++;
	if (g_run.err_shown < MAX_ERRORS_SHOWN || g_run.opt.verbose) {
		g_run.err_shown++;
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "loadgen: client %u (%s): ", c->idx,
			c->user_name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	pthread_mutex_unlock(&g_run.err_lock);
}

static void usage(FILE *f)
{
	fputs(
"usage: loadgen --mode MODE [options]\n"
"modes: mixed append select-fetch-flags fetch-envelope search-text\n"
"       idle-memory connect-rate populate\n"
"  --host ADDR          server IPv4 address (127.0.0.1)\n"
"  --port N[,N...]      port (143); with --tls, an implicit-TLS port; a\n"
"                       list (at most 8) spreads the clients, and each\n"
"                       user's clients, evenly over several servers\n"
"  --tls                TLS from the first byte (IMAPS)\n"
"  --user-prefix P      user names are P1..Pn (or P alone with --users 0)\n"
"  --users N            number of users (0)\n"
"  --user-first N       first user number (1)\n"
"  --password S         password of every user (bench)\n"
"  --mailbox NAME       mailbox to select or fill (INBOX)\n"
"  --clients N          concurrent connections (1; populate: users*per-user)\n"
"  --threads N          event-loop threads (cores / 2, at least 1)\n"
"  --duration S         seconds of measured load (10)\n"
"  --hard-cap S         stop everything after S seconds (duration + 120)\n"
"  --max-ops N          stop after N measured operations\n"
"  --src-addrs N        spread connections over 127.0.0.1..N (1)\n"
"  --ramp N             connections being set up at once per thread (64)\n"
"  --hold S             idle-memory: seconds to hold once all idle (10)\n"
"  --ready-file PATH    idle-memory: created once all clients idle;\n"
"                       removing it ends the hold\n"
"  --idle-ms N          mixed: longest wait in IDLE for new mail; 0 sends\n"
"                       DONE at once, so waiting does not dilute throughput (0)\n"
"  --cmd-timeout S      seconds to wait for one answer (120)\n"
"  --kind K             populate: small varied search 10k (small)\n"
"  --messages N         populate: messages per user (1000)\n"
"  --per-user N         populate: connections per user (1)\n"
"  --pipeline N         populate: APPENDs in flight per connection (16)\n"
"  --batch N            populate: messages per MULTIAPPEND (1)\n"
"  --seed N             generated mail seed (1)\n"
"  --verbose            show every error\n"
"Output: one 'RESULT mode=.. op=.. ops=.. ops_per_sec=.. p50_ms=.. p99_ms=..\n"
"errors=..' line per command kind, then a SUMMARY line.\n", f);
}

/* "143" or "1143,1144": every port in 1..65535, at most LG_MAX_PORTS. */
static int parse_ports(const char *a, struct options *o)
{
	o->nports = 0;
	for (const char *p = a;;) {
		char *end = NULL;
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > 65535 ||
		    (*end != '\0' && *end != ',') || o->nports == LG_MAX_PORTS) {
			fprintf(stderr, "loadgen: bad --port '%s' (1..65535, at "
				"most %d, comma-separated)\n", a, LG_MAX_PORTS);
			return -1;
		}
		o->ports[o->nports++] = (int)v;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option lo[] = {
		{ "mode", 1, 0, 'm' },        { "host", 1, 0, 'H' },
		{ "port", 1, 0, 'p' },        { "tls", 0, 0, 'T' },
		{ "user-prefix", 1, 0, 'u' }, { "users", 1, 0, 'U' },
		{ "user-first", 1, 0, 'F' },  { "password", 1, 0, 'w' },
		{ "mailbox", 1, 0, 'b' },     { "clients", 1, 0, 'c' },
		{ "threads", 1, 0, 't' },     { "duration", 1, 0, 'd' },
		{ "hard-cap", 1, 0, 'X' },    { "max-ops", 1, 0, 'n' },
		{ "src-addrs", 1, 0, 'A' },   { "ramp", 1, 0, 'r' },
		{ "hold", 1, 0, 'h' },        { "ready-file", 1, 0, 'R' },
		{ "idle-ms", 1, 0, 'I' },     { "cmd-timeout", 1, 0, 'C' },
		{ "kind", 1, 0, 'k' },        { "messages", 1, 0, 'M' },
		{ "per-user", 1, 0, 'P' },    { "pipeline", 1, 0, 'L' },
		{ "seed", 1, 0, 's' },        { "verbose", 0, 0, 'v' },
		{ "batch", 1, 0, 'B' },
		{ "help", 0, 0, '?' },        { 0, 0, 0, 0 },
	};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct options){
		.mode = MODE_MIXED, .host = "127.0.0.1", .ports = { 143 }, .nports = 1,
		.user_prefix = "bench", .user_first = 1, .password = "bench",
		.mailbox = "INBOX", .clients = 1,
		.threads = cores > 1 ? (unsigned)cores / 2 : 1,
		.duration = 10, .src_addrs = 1, .ramp = 64, .hold = 10,
		.idle_ms = 0, .cmd_timeout = 120, .kind = MSG_SMALL,
		.messages = 1000, .per_user = 1, .pipeline = 16, .seed = 1,
		.batch = 1,
	};
	bool mode_set = false, clients_set = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *end = NULL;
		const char *a = optarg;
		switch (ch) {
		case 'm':
			mode_set = false;
			for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
				if (strcmp(a, modes[i].name) == 0) {
					o->mode = modes[i].mode;
					mode_set = true;
				}
			if (!mode_set) {
				fprintf(stderr, "loadgen: unknown mode %s\n", a);
				return -1;
			}
			break;
		case 'H': o->host = a; break;
		case 'p':
			if (parse_ports(a, o) < 0)
				return -1;
			break;
		case 'T': o->tls = true; break;
		case 'u': o->user_prefix = a; break;
		case 'U': o->users = (unsigned)strtoul(a, &end, 10); break;
		case 'F': o->user_first = (unsigned)strtoul(a, &end, 10); break;
		case 'w': o->password = a; break;
		case 'b': o->mailbox = a; break;
		case 'c':
			o->clients = (unsigned)strtoul(a, &end, 10);
			clients_set = true;
			break;
		case 't': o->threads = (unsigned)strtoul(a, &end, 10); break;
		case 'd': o->duration = strtod(a, &end); break;
		case 'X': o->hard_cap = strtod(a, &end); break;
		case 'n': o->max_ops = strtoull(a, &end, 10); break;
		case 'A': o->src_addrs = (unsigned)strtoul(a, &end, 10); break;
		case 'r': o->ramp = (unsigned)strtoul(a, &end, 10); break;
		case 'h': o->hold = strtod(a, &end); break;
		case 'R': o->ready_file = a; break;
		case 'I': o->idle_ms = (unsigned)strtoul(a, &end, 10); break;
		case 'C': o->cmd_timeout = strtod(a, &end); break;
		case 'k':
			if (msg_kind_parse(a, &o->kind) < 0) {
				fprintf(stderr, "loadgen: unknown kind %s\n", a);
				return -1;
			}
			break;
		case 'M': o->messages = (uint32_t)strtoul(a, &end, 10); break;
		case 'P': o->per_user = (unsigned)strtoul(a, &end, 10); break;
		case 'L': o->pipeline = (unsigned)strtoul(a, &end, 10); break;
		case 's': o->seed = strtoull(a, &end, 10); break;
		case 'B': o->batch = (unsigned)strtoul(a, &end, 10); break;
		case 'v': o->verbose = true; break;
		default:
			usage(ch == '?' && optopt == 0 ? stdout : stderr);
			return -1;
		}
		if (end != NULL && (*end != '\0' || end == a)) {
			fprintf(stderr, "loadgen: bad number '%s'\n", a);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "loadgen: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (o->mode == MODE_POPULATE) {
		if (o->per_user == 0)
			o->per_user = 1;
		o->clients = (o->users ? o->users : 1) * o->per_user;
		if (o->duration == 10)
			o->duration = 86400;
	} else if (!clients_set && o->mode == MODE_APPEND) {
		o->clients = 4;
	}
	if (o->clients == 0 ||
	    o->duration <= 0 || o->cmd_timeout <= 0) {
		fputs("loadgen: --clients, --duration and --cmd-timeout "
		      "must be positive\n", stderr);
		return -1;
	}
	if (o->threads == 0)
		o->threads = 1;
	if (o->threads > o->clients)
		o->threads = o->clients;
	if (o->ramp == 0)
		o->ramp = 1;
	if (o->pipeline == 0)
		o->pipeline = 1;
	if (o->hard_cap <= 0)
		o->hard_cap = (o->mode == MODE_IDLE_MEMORY ? o->hold : o->duration)
			      + 120;
	return 0;
}

static void raise_fd_limit(unsigned need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)need + 32)
		fprintf(stderr, "loadgen: fd limit %llu is below %u clients; "
			"raise ulimit -n\n", (unsigned long long)rl.rlim_cur,
			need);
}

void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct epoll_event ev[256];
	uint64_t last_tick = 0;
	for (;;) {
		while (t->started < t->nclients && t->connecting < g_run.opt.ramp &&
		       !g_run.stopping) {
			struct client *c = t->clients[t->started++];
			t->connecting++;
			if (!client_connect(c)) {
				t->connecting--;
				__atomic_add_fetch(&g_run.clients_failed, 1,
						   __ATOMIC_RELAXED);
				__atomic_add_fetch(&g_run.clients_setup, 1,
						   __ATOMIC_RELAXED);
				c->setup_done = true;
			}
		}
		int n = epoll_wait(t->epfd, ev, 256, 10);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			client_event(ev[i].data.ptr, ev[i].events);
		uint64_t now = now_us();
		if (now - last_tick < 10000 && n > 0)
			continue;
		last_tick = now;
		if (g_run.hard_stop) {
			for (unsigned i = 0; i < t->nclients; i++) {
				struct client *c = t->clients[i];
				if (c->state != C_DONE && c->state != C_NEW &&
				    i < t->started)
					run_error(c, "hard cap reached with a "
						  "command in flight");
				client_close(c);
				c->state = C_DONE;
			}
			break;
		}
		unsigned live = 0;
		for (unsigned i = 0; i < t->started; i++) {
			client_tick(t->clients[i], now);
			if (t->clients[i]->state != C_DONE)
				live++;
		}
		if (live == 0 && (t->started == t->nclients || g_run.stopping))
			break;
	}
	__atomic_add_fetch(&g_run.threads_done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void print_line(const char *mode, const char *op, const struct hist *h,
		       double secs)
{
	printf("RESULT mode=%s op=%s ops=%llu ops_per_sec=%.1f p50_ms=%.3f "
	       "p99_ms=%.3f mean_ms=%.3f errors=%llu\n",
	       mode, op, (unsigned long long)h->count,
	       secs > 0 ? (double)h->count / secs : 0.0,
	       (double)hist_quantile(h, 0.50) / 1000.0,
	       (double)hist_quantile(h, 0.99) / 1000.0,
	       h->count ? (double)h->sum_us / (double)h->count / 1000.0 : 0.0,
	       (unsigned long long)h->errors);
}

static void report(struct thread *threads, unsigned nt, double secs)
{
	static struct hist all[OP_COUNT], total;
	const char *mode = mode_name(g_run.opt.mode);
	for (unsigned i = 0; i < nt; i++)
		for (int op = 0; op < OP_COUNT; op++)
			hist_merge(&all[op], &threads[i].hist[op]);
	for (int op = 0; op < OP_COUNT; op++) {
		if (all[op].count == 0 && all[op].errors == 0)
			continue;
		print_line(mode, op_names[op], &all[op], secs);
		if (op != OP_CONNECT && op != OP_CYCLE)
			hist_merge(&total, &all[op]);
	}
	print_line(mode, "TOTAL", &total, secs);
	printf("SUMMARY mode=%s clients=%u failed=%u elapsed_s=%.3f "
	       "idle_ready=%u errors_total=%llu\n",
	       mode, g_run.opt.clients, g_run.clients_failed, secs,
	       g_run.idle_ready, (unsigned long long)g_run.err_total);
	fflush(stdout);
}

static void init_clients(struct thread *threads)
{
	const struct options *o = &g_run.opt;
	unsigned users = o->users ? o->users : 1;
	for (unsigned i = 0; i < o->clients; i++) {
		struct client *c = xcalloc(1, sizeof(*c));
		struct thread *t = &threads[i % o->threads];
		c->idx = i;
		c->t = t;
		c->fd = -1;
		c->user = i % users;
		c->slot = i / users;
		c->slots = o->clients / users + (c->user < o->clients % users);
		c->rng = o->seed * 7919 + i + 1;
		if (o->users)
			snprintf(c->user_name, sizeof(c->user_name), "%s%u",
				 o->user_prefix, o->user_first + c->user);
		else
			snprintf(c->user_name, sizeof(c->user_name), "%s",
				 o->user_prefix);
		t->clients[t->nclients++] = c;
	}
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv, &g_run.opt) < 0)
		return 2;
	const struct options *o = &g_run.opt;
	pthread_mutex_init(&g_run.err_lock, NULL);
	raise_fd_limit(o->clients);
	if (o->tls) {
		g_run.ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (g_run.ssl_ctx == NULL) {
			fputs("loadgen: SSL_CTX_new failed\n", stderr);
			return 1;
		}
		/* A benchmark against self-signed test certificates. */
		SSL_CTX_set_verify(g_run.ssl_ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_mode(g_run.ssl_ctx,
				 SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				 SSL_MODE_RELEASE_BUFFERS);
	}
	struct thread *threads = xcalloc(o->threads, sizeof(*threads));
	for (unsigned i = 0; i < o->threads; i++) {
		threads[i].id = i;
		threads[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		threads[i].clients = xcalloc(o->clients / o->threads + 1,
					     sizeof(struct client *));
		if (threads[i].epfd < 0) {
			perror("loadgen: epoll_create1");
			return 1;
		}
	}
	init_clients(threads);

	g_run.start_us = now_us();
	g_run.hard_us = g_run.start_us + (uint64_t)(o->hard_cap * 1e6);
	uint64_t measure_start = 0, stop_at = 0, ready_at = 0;
	if (o->mode == MODE_POPULATE || o->mode == MODE_IDLE_MEMORY) {
		g_run.measuring = 1;
		measure_start = g_run.start_us;
		stop_at = measure_start + (uint64_t)(o->duration * 1e6);
	}
	for (unsigned i = 0; i < o->threads; i++)
		pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]);

	uint64_t stopped_at = 0;
	while (__atomic_load_n(&g_run.threads_done, __ATOMIC_RELAXED) <
	       o->threads) {
		usleep(5000);
		uint64_t now = now_us();
		unsigned setup = __atomic_load_n(&g_run.clients_setup,
						 __ATOMIC_RELAXED);
		if (!g_run.measuring && setup >= o->clients) {
			measure_start = now;
			stop_at = now + (uint64_t)(o->duration * 1e6);
			g_run.measuring = 1;
		}
		if (o->mode == MODE_IDLE_MEMORY && ready_at == 0 &&
		    g_run.idle_ready + g_run.clients_failed >= o->clients) {
			ready_at = now;
			printf("READY idle=%u failed=%u setup_s=%.3f\n",
			       g_run.idle_ready, g_run.clients_failed,
			       (double)(now - g_run.start_us) / 1e6);
			fflush(stdout);
			if (o->ready_file) {
				FILE *f = fopen(o->ready_file, "w");
				if (f) {
					fprintf(f, "%u\n", g_run.idle_ready);
					fclose(f);
				}
			}
		}
		bool stop = false;
		if (o->mode == MODE_IDLE_MEMORY)
			/* The measuring script removes the ready file when it
			 * is done; --hold bounds the wait. */
			stop = ready_at &&
			       (now >= ready_at + (uint64_t)(o->hold * 1e6) ||
				(o->ready_file &&
				 access(o->ready_file, F_OK) != 0));
		else if (g_run.measuring && now >= stop_at)
			stop = true;
		if (o->max_ops && g_run.ops_done >= o->max_ops)
			stop = true;
		if (o->mode == MODE_POPULATE && setup >= o->clients &&
		    g_run.clients_failed >= o->clients)
			stop = true;
		if (stop && !g_run.stopping) {
			stopped_at = now;
			g_run.stopping = 1;
		}
		if (now >= g_run.hard_us && !g_run.hard_stop) {
			fputs("loadgen: hard cap reached\n", stderr);
			if (!stopped_at)
				stopped_at = now;
			g_run.stopping = 1;
			g_run.hard_stop = 1;
		}
	}
	for (unsigned i = 0; i < o->threads; i++)
		pthread_join(threads[i].tid, NULL);
	uint64_t end = now_us();
	if (o->mode == MODE_POPULATE || !stopped_at)
		stopped_at = end;
	double secs = measure_start ? (double)(stopped_at - measure_start) / 1e6
				    : 0;
	report(threads, o->threads, secs);
	return g_run.clients_failed == o->clients ? 1 : 0;
}
