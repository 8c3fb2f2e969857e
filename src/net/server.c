/*
 * The server: listeners, workers, connection admission (global and
 * per-address bounds), signals and the shutdown sequence.
 */
#include "net/net-private.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "net/proxy-protocol.h"

#define IP_BUCKETS 1024
/* imap, imaps, and server_add_listener's (lmtp, metrics, ...) */
#define SERVER_MAX_LISTENERS 8
#define ACCEPTS_PER_WAKEUP 16
/* After EMFILE/ENFILE the listener is unwatched for this long: with a
 * level-triggered listener the loop would otherwise spin. */
#define ACCEPT_BACKOFF_MS 200
/* Below max(this, 2 * max_line_length) of unconsumed input we keep
 * reading; above it the client waits (TCP flow control). */
#define INPUT_BUFFER_MIN (256 * 1024)

struct ip_count {
	struct ip_count *next;
	unsigned count;
	char ip[48];
};

struct watch {
	struct net_handle h;
	int fd;
	server_watch_fn *cb;
	void *arg;
	struct watch *next;
};

struct server {
	const struct conn_ops *ops;
	struct server_limits limits;
	struct tls_context *tls;
	struct listener listeners[SERVER_MAX_LISTENERS];
	size_t listener_count;
	int listener_of[2];       /* enum server_listener -> index, or -1 */
	struct worker *workers;
	unsigned worker_count;
	int stop_fd;

	pthread_mutex_t ip_lock;  /* guards ip_buckets and conn_total */
	struct ip_count *ip_buckets[IP_BUCKETS];
	atomic_uint conn_total;

	pthread_mutex_t watch_lock;
	struct watch *watches;

	char *proxy_protocol;        /* the setting, for listeners added later */
	struct proxy_trust *proxy_trust;
};

/* ---- accessors for net internals ---------------------------------------- */

const struct conn_ops *server_ops(const struct server *s)
{
	return s->ops;
}

const struct server_limits *server_limits(const struct server *s)
{
	return &s->limits;
}

struct tls_context *server_tls(const struct server *s)
{
	return s->tls;
}

size_t server_listener_count(const struct server *s)
{
	return s->listener_count;
}

struct listener *server_listener(struct server *s, size_t index)
{
	return &s->listeners[index];
}

unsigned server_worker_count(const struct server *s)
{
	return s->worker_count;
}

struct worker *server_worker(struct server *s, unsigned index)
{
	return index < s->worker_count ? &s->workers[index] : NULL;
}

unsigned server_connection_count(const struct server *s)
{
	return atomic_load(&((struct server *)s)->conn_total);
}

int server_listen_port(const struct server *s, enum server_listener which)
{
	if ((unsigned)which > SERVER_LISTENER_IMAPS || s->listener_of[which] < 0)
		return -1;
	return (int)s->listeners[s->listener_of[which]].port;
}

/* ---- admission ---------------------------------------------------------- */

static unsigned ip_hash(const char *ip)
{
	uint32_t h = 2166136261U; /* FNV-1a */
	for (const char *p = ip; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619U;
	return h % IP_BUCKETS;
}

static struct ip_count **ip_find(struct server *s, const char *ip)
{
	struct ip_count **p = &s->ip_buckets[ip_hash(ip)];
	while (*p != NULL && strcmp((*p)->ip, ip) != 0)
		p = &(*p)->next;
	return p;
}

bool server_conn_admit(struct server *s, const char *ip, const char **reason_r)
{
	bool ok = false;
	pthread_mutex_lock(&s->ip_lock);
	struct ip_count **p = ip_find(s, ip);
	if (s->limits.max_connections != 0 &&
	    atomic_load(&s->conn_total) >= s->limits.max_connections) {
		*reason_r = "max_connections reached";
	} else if (s->limits.max_connections_per_ip != 0 && *p != NULL &&
		   (*p)->count >= s->limits.max_connections_per_ip) {
		*reason_r = "max_connections_per_ip reached";
	} else {
		if (*p == NULL) {
			*p = xcalloc(1, sizeof(**p));
			snprintf((*p)->ip, sizeof((*p)->ip), "%s", ip);
		}
		(*p)->count++;
		atomic_fetch_add(&s->conn_total, 1);
		ok = true;
	}
	pthread_mutex_unlock(&s->ip_lock);
	return ok;
}

bool server_conn_move(struct server *s, const char *old_ip, const char *new_ip,
		      const char **reason_r)
{
	if (strcmp(old_ip, new_ip) == 0)
		return true;
	bool ok = false;
	pthread_mutex_lock(&s->ip_lock);
	struct ip_count **p = ip_find(s, new_ip);
	if (s->limits.max_connections_per_ip != 0 && *p != NULL &&
	    (*p)->count >= s->limits.max_connections_per_ip) {
		*reason_r = "max_connections_per_ip reached";
	} else {
		if (*p == NULL) {
			*p = xcalloc(1, sizeof(**p));
			snprintf((*p)->ip, sizeof((*p)->ip), "%s", new_ip);
		}
		(*p)->count++;
		struct ip_count **old = ip_find(s, old_ip);
		if (*old != NULL && --(*old)->count == 0) {
			struct ip_count *dead = *old;
			*old = dead->next;
			free(dead);
		}
		ok = true;
	}
	pthread_mutex_unlock(&s->ip_lock);
	return ok;
}

void server_conn_release(struct server *s, const char *ip)
{
	pthread_mutex_lock(&s->ip_lock);
	struct ip_count **p = ip_find(s, ip);
	if (*p != NULL && --(*p)->count == 0) {
		struct ip_count *dead = *p;
		*p = dead->next;
		free(dead);
	}
	atomic_fetch_sub(&s->conn_total, 1);
	pthread_mutex_unlock(&s->ip_lock);
}

/* ---- accept ------------------------------------------------------------- */

void net_peer_info(const struct sockaddr_storage *ss, char *ip, size_t size,
		   bool *loopback_r)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			const uint8_t *b = s6->sin6_addr.s6_addr;
			inet_ntop(AF_INET, b + 12, ip, (socklen_t)size);
			*loopback_r = b[12] == 127;
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)size);
			*loopback_r = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		}
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)size);
		*loopback_r = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	} else {
		/* A Unix socket: a local peer, as trusted as loopback. */
		snprintf(ip, size, "unix");
		*loopback_r = true;
	}
}

void server_send_refusal(const struct listener *l, int fd, bool per_ip)
{
	/* On the implicit TLS port a cleartext line would be garbage to the
	 * client, so it only sees the close there; the same for listeners of
	 * other protocols, to which an IMAP line means nothing. */
	if (!l->implicit_tls && l->ops == NULL) {
		const char *line = per_ip ?
			"* BYE Too many connections from your address\r\n" :
			"* BYE [UNAVAILABLE] Server too busy, try later\r\n";
		ssize_t n = send(fd, line, strlen(line),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
	}
}

static void refuse(const struct listener *l, int fd, const char *ip,
		   const char *reason, bool per_ip)
{
	log_info(NULL, "refused connection from %s on %s: %s", ip, l->name,
		 reason);
	server_send_refusal(l, fd, per_ip);
	close(fd);
}

/* Only the balancers may speak on a PROXY listener: anyone else could
 * claim any address and slip past the per-address limits and lockout.
 * A Unix socket peer is local, so as trusted as the machine. */
static bool proxy_refused(struct server *s, const struct listener *l,
			  const struct sockaddr_storage *ss)
{
	return l->proxy_protocol && ss->ss_family != AF_UNIX &&
		!proxy_trust_match(s->proxy_trust, ss);
}

static void accept_resume(struct worker *w, void *arg)
{
	struct listener *l = arg;
	if (!w->stopping)
		worker_epoll_add(w, l->fd, EPOLLIN | EPOLLEXCLUSIVE, &l->h);
}

void worker_accept(struct worker *w, struct listener *l)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_error(NULL, "accept on %s: %s", l->name,
				  strerror(errno));
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL);
				worker_timer_add(w, ACCEPT_BACKOFF_MS,
						 accept_resume, l);
			}
			return;
		}
		char ip[48];
		bool loopback;
		net_peer_info(&ss, ip, sizeof(ip), &loopback);
		if (proxy_refused(w->server, l, &ss)) {
			/* Nothing is written: the peer is not our balancer
			 * and the listener's protocol starts with a header. */
			log_info(NULL, "refused connection from %s on %s: "
				 "not in proxy_trusted", ip, l->name);
			close(fd);
			continue;
		}
		const char *reason;
		if (!server_conn_admit(w->server, ip, &reason)) {
			refuse(l, fd, ip, reason,
			       strcmp(reason, "max_connections_per_ip reached") == 0);
			continue;
		}
		conn_accepted(w, fd, l, &ss, ip, loopback);
	}
}

/* ---- watches ------------------------------------------------------------ */

void server_watch_dispatch(struct worker *w, struct net_handle *h)
{
	struct watch *watch = (struct watch *)h;
	watch->cb(w, watch->fd, watch->arg);
}

int server_watch_fd(struct server *s, int fd, server_watch_fn *cb, void *arg,
		    char **error_r)
{
	struct watch *watch = xcalloc(1, sizeof(*watch));
	watch->h.kind = NET_HANDLE_WATCH;
	watch->fd = fd;
	watch->cb = cb;
	watch->arg = arg;
	pthread_mutex_lock(&s->watch_lock);
	watch->next = s->watches;
	s->watches = watch;
	pthread_mutex_unlock(&s->watch_lock);
	if (worker_epoll_add(&s->workers[0], fd, EPOLLIN, &watch->h) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "cannot watch fd %d: %s", fd, strerror(errno));
		*error_r = buf_steal(&b);
		/* Stays listed (freed by server_free): a concurrent loop
		 * iteration cannot hold it, as it was never registered. */
		watch->fd = -1;
		return -1;
	}
	return 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

int server_add_listener(struct server *s, const char *name, const char *spec,
			const struct conn_ops *ops, char **error_r)
{
	assert(ops != NULL);
	if (s->listener_count == SERVER_MAX_LISTENERS) {
		*error_r = xstrdup("too many listeners");
		return -1;
	}
	struct listener *l = &s->listeners[s->listener_count];
	if (listener_open(l, name, spec, false, error_r) < 0)
		return -1;
	l->ops = ops;
	l->proxy_protocol = config_proxy_protocol_on(s->proxy_protocol, name);
	s->listener_count++;
	/* Workers already exist (server_new made them): register it with
	 * each, as worker_init did for the first listeners. */
	for (unsigned i = 0; i < s->worker_count; i++) {
		if (worker_epoll_add(&s->workers[i], l->fd,
				     EPOLLIN | EPOLLEXCLUSIVE, &l->h) < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "cannot watch listener: %s",
				   strerror(errno));
			*error_r = buf_steal(&b);
			return -1;
		}
	}
	return 0;
}

#define SERVER_WORKERS_PER_CORE 4

static unsigned worker_count_for(const struct config *cfg)
{
	/* Mirrors config_worker_count(); computed here so the network layer
	 * does not depend on the settings table being linked in. */
	if (cfg->workers > 0)
		return cfg->workers > 1024 ? 1024 : cfg->workers;
	/* Workers wait on the disk inline (fsync, blob files, database
	 * pages), and a worker that waits stalls all its connections: with
	 * several workers per core another one runs meanwhile. On the mixed
	 * bench (2 cores) 8 workers gave 1.4x the throughput of 2. */
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	n *= SERVER_WORKERS_PER_CORE;
	return n > 1024 ? 1024 : (unsigned)n;
}

static int open_listener(struct server *s, enum server_listener which,
			 const char *name, const char *spec, char **error_r)
{
	s->listener_of[which] = -1;
	if (spec == NULL || spec[0] == '\0')
		return 0;
	struct listener *l = &s->listeners[s->listener_count];
	if (listener_open(l, name, spec, which == SERVER_LISTENER_IMAPS,
			  error_r) < 0)
		return -1;
	l->proxy_protocol = config_proxy_protocol_on(s->proxy_protocol, name);
	s->listener_of[which] = (int)s->listener_count++;
	return 0;
}

struct server *server_new(const struct config *cfg, const struct conn_ops *ops,
			  char **error_r)
{
	struct server *s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->stop_fd = -1;
	pthread_mutex_init(&s->ip_lock, NULL);
	pthread_mutex_init(&s->watch_lock, NULL);
	s->limits.output_buffer_max = cfg->output_buffer_max > 0 ?
		cfg->output_buffer_max : 4194304;
	s->limits.input_buffer_max = cfg->max_line_length * 2 > INPUT_BUFFER_MIN ?
		cfg->max_line_length * 2 : INPUT_BUFFER_MIN;
	s->limits.auth_timeout = cfg->auth_timeout;
	s->limits.max_connections = cfg->max_connections;
	s->limits.max_connections_per_ip = cfg->max_connections_per_ip;
	s->proxy_protocol = xstrdup(cfg->proxy_protocol != NULL ?
				    cfg->proxy_protocol : "no");
	char *trust_error = NULL;
	if (proxy_trust_parse(cfg->proxy_trusted != NULL ?
			      cfg->proxy_trusted : "", &s->proxy_trust,
			      &trust_error) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "proxy_trusted: %s", trust_error);
		free(trust_error);
		*error_r = buf_steal(&b);
		goto fail;
	}

	if (open_listener(s, SERVER_LISTENER_IMAP, "imap", cfg->imap_listen,
			  error_r) < 0 ||
	    open_listener(s, SERVER_LISTENER_IMAPS, "imaps", cfg->imaps_listen,
			  error_r) < 0)
		goto fail;
	s->tls = tls_context_new(cfg, error_r);
	if (s->tls == NULL)
		goto fail;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "eventfd: %s", strerror(errno));
		*error_r = buf_steal(&b);
		goto fail;
	}
	unsigned count = worker_count_for(cfg);
	s->workers = xcalloc(count, sizeof(*s->workers));
	for (; s->worker_count < count; s->worker_count++) {
		if (worker_init(&s->workers[s->worker_count], s,
				s->worker_count, error_r) < 0)
			goto fail;
	}
	return s;
fail:
	server_free(&s);
	return NULL;
}

static int signal_stop_fd = -1;

/* The stop eventfd carries two counters: stops in the low 32 bits and
 * SIGHUP reload requests above them, so one read tells both apart. */
#define SIGNAL_RELOAD_UNIT ((uint64_t)1 << 32)

static void on_stop_signal(int signo)
{
	int saved = errno;
	uint64_t value = signo == SIGHUP ? SIGNAL_RELOAD_UNIT : 1;
	if (signal_stop_fd >= 0) {
		ssize_t n = write(signal_stop_fd, &value, sizeof(value));
		(void)n;
	}
	errno = saved;
}

/* SIGHUP: renewed certificates (e.g. from certbot) are picked up without
 * dropping anyone; connections keep the TLS session they have. */
static void server_reload(struct server *s)
{
	char *error = NULL;
	if (s->tls == NULL)
		return;
	if (tls_context_reload(s->tls, &error) < 0) {
		log_error(NULL, "SIGHUP: keeping the old TLS certificate: %s", error);
		free(error);
		return;
	}
	log_info(NULL, "SIGHUP: TLS certificate and key reloaded");
}

void server_stop(struct server *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->stop_fd, &one, sizeof(one));
	(void)n;
}

static void stop_workers(struct server *s, unsigned started)
{
	for (unsigned i = 0; i < started; i++)
		worker_begin_shutdown(&s->workers[i]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(s->workers[i].thread, NULL);
}

static int start_workers(struct server *s)
{
	/* Workers leave SIGTERM/SIGINT to the thread running server_run. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	unsigned i;
	int err = 0;
	for (i = 0; i < s->worker_count; i++) {
		struct worker *w = &s->workers[i];
		err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err != 0)
			break;
		w->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		log_error(NULL, "cannot start worker thread: %s", strerror(err));
		stop_workers(s, i);
		return -1;
	}
	return 0;
}

int server_run(struct server *s)
{
	struct sigaction sa, old_term, old_int, old_hup;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(2) */
	signal_stop_fd = s->stop_fd;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGHUP, &sa, &old_hup);

	int ret = start_workers(s);
	sigset_t stop_signals, old_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	/* A stop signal that arrived while the caller kept them blocked
	 * during start-up is delivered now, to on_stop_signal. */
	pthread_sigmask(SIG_UNBLOCK, &stop_signals, &old_mask);
	if (ret == 0) {
		log_info(NULL, "started %u worker%s", s->worker_count,
			 s->worker_count == 1 ? "" : "s");
		for (;;) {
			uint64_t value;
			ssize_t n = read(s->stop_fd, &value, sizeof(value));
			if (n < 0 && errno != EINTR)
				break;
			if (n != (ssize_t)sizeof(value))
				continue;
			if (value >= SIGNAL_RELOAD_UNIT)
				server_reload(s);
			if ((value & (SIGNAL_RELOAD_UNIT - 1)) != 0)
				break;
		}
		log_info(NULL, "shutting down (%u connections)",
			 server_connection_count(s));
		stop_workers(s, s->worker_count);
		for (unsigned i = 0; i < s->worker_count; i++)
			s->workers[i].thread_started = false;
		log_info(NULL, "stopped");
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	signal_stop_fd = -1;
	return ret;
}

int server_drop_privileges(struct server *s, const char *username,
			   char **error_r)
{
	(void)s;
	if (username == NULL || username[0] == '\0' || geteuid() != 0)
		return 0;
	struct passwd pw, *res = NULL;
	char tmp[16384];
	struct buf b = BUF_INIT;
	int err = getpwnam_r(username, &pw, tmp, sizeof(tmp), &res);
	if (res == NULL) {
		buf_printf(&b, "cannot drop privileges: unknown user '%s'%s%s",
			   username, err != 0 ? ": " : "",
			   err != 0 ? strerror(err) : "");
		*error_r = buf_steal(&b);
		return -1;
	}
	if (initgroups(username, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 ||
	    setuid(pw.pw_uid) != 0) {
		buf_printf(&b, "cannot drop privileges to '%s': %s", username,
			   strerror(errno));
		*error_r = buf_steal(&b);
		return -1;
	}
	if (setuid(0) == 0) {
		buf_printf(&b, "cannot drop privileges to '%s': root regained",
			   username);
		*error_r = buf_steal(&b);
		return -1;
	}
	log_info(NULL, "running as user %s", username);
	return 0;
}

void server_free(struct server **sp)
{
	struct server *s = *sp;
	if (s == NULL)
		return;
	*sp = NULL;
	for (unsigned i = 0; i < s->worker_count; i++)
		worker_deinit(&s->workers[i]);
	free(s->workers);
	for (size_t i = 0; i < s->listener_count; i++)
		listener_close(&s->listeners[i]);
	tls_context_free(&s->tls);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	for (size_t i = 0; i < IP_BUCKETS; i++) {
		while (s->ip_buckets[i] != NULL) {
			struct ip_count *next = s->ip_buckets[i]->next;
			free(s->ip_buckets[i]);
			s->ip_buckets[i] = next;
		}
	}
	while (s->watches != NULL) {
		struct watch *next = s->watches->next;
		free(s->watches);
		s->watches = next;
	}
	proxy_trust_free(&s->proxy_trust);
	free(s->proxy_protocol);
	pthread_mutex_destroy(&s->ip_lock);
	pthread_mutex_destroy(&s->watch_lock);
	free(s);
}
