/* One worker thread: its epoll loop, timers and cross-thread posts. */
#include "net/net-private.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

/* Shutdown: how long conns get to flush their `* BYE` before being cut. */
#define SHUTDOWN_FLUSH_MS 2000
#define MAX_EVENTS 64

struct worker_timer {
	uint64_t when_ms;
	uint64_t seq;      /* ties broken in creation order */
	size_t index;      /* position in the heap */
	worker_fn *fn;
	void *arg;
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned worker_index(const struct worker *w)
{
	return w->index;
}

struct server *worker_server(const struct worker *w)
{
	return w->server;
}

uint64_t worker_now_ms(const struct worker *w)
{
	return w->now_ms;
}

/* ---- timer heap --------------------------------------------------------- */

static bool timer_before(const struct worker_timer *a,
			 const struct worker_timer *b)
{
	return a->when_ms < b->when_ms ||
		(a->when_ms == b->when_ms && a->seq < b->seq);
}

static void heap_set(struct worker *w, size_t i, struct worker_timer *t)
{
	w->timers[i] = t;
	t->index = i;
}

static void heap_up(struct worker *w, size_t i)
{
	struct worker_timer *t = w->timers[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, w->timers[parent]))
			break;
		heap_set(w, i, w->timers[parent]);
		i = parent;
	}
	heap_set(w, i, t);
}

static void heap_down(struct worker *w, size_t i)
{
	struct worker_timer *t = w->timers[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= w->timer_count)
			break;
		if (child + 1 < w->timer_count &&
		    timer_before(w->timers[child + 1], w->timers[child]))
			child++;
		if (!timer_before(w->timers[child], t))
			break;
		heap_set(w, i, w->timers[child]);
		i = child;
	}
	heap_set(w, i, t);
}

static void heap_remove(struct worker *w, struct worker_timer *t)
{
	size_t i = t->index;
	assert(i < w->timer_count && w->timers[i] == t);
	struct worker_timer *last = w->timers[--w->timer_count];
	if (last == t)
		return;
	heap_set(w, i, last);
	heap_up(w, i);
	heap_down(w, last->index);
}

struct worker_timer *worker_timer_add(struct worker *w, uint64_t ms,
				      worker_fn *fn, void *arg)
{
	if (w->timer_count == w->timer_cap) {
		w->timer_cap = w->timer_cap ? w->timer_cap * 2 : 64;
		w->timers = xrealloc(w->timers,
				     w->timer_cap * sizeof(*w->timers));
	}
	struct worker_timer *t = xmalloc(sizeof(*t));
	t->when_ms = w->now_ms + ms;
	t->seq = w->timer_seq++;
	t->fn = fn;
	t->arg = arg;
	w->timers[w->timer_count] = t;
	t->index = w->timer_count++;
	heap_up(w, t->index);
	return t;
}

void worker_timer_cancel(struct worker *w, struct worker_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(w, t);
	free(t);
}

/* Runs the timers due now; ones added meanwhile wait for the next turn, so
 * a timer re-adding itself with 0 ms cannot starve the loop. */
static void run_timers(struct worker *w)
{
	uint64_t seq_limit = w->timer_seq;
	while (w->timer_count > 0) {
		struct worker_timer *t = w->timers[0];
		if (t->when_ms > w->now_ms || t->seq >= seq_limit)
			break;
		heap_remove(w, t);
		worker_fn *fn = t->fn;
		void *arg = t->arg;
		free(t);
		fn(w, arg);
	}
}

static int next_timeout(const struct worker *w)
{
	if (w->ready != NULL)
		return 0;
	if (w->timer_count == 0)
		return -1;
	uint64_t when = w->timers[0]->when_ms;
	uint64_t now = monotonic_ms();
	if (when <= now)
		return 0;
	uint64_t wait = when - now;
	return wait > 60000 ? 60000 : (int)wait;
}

/* ---- posts -------------------------------------------------------------- */

int worker_post(struct worker *w, worker_fn *fn, void *arg)
{
	struct worker_post_item *item = xmalloc(sizeof(*item));
	item->fn = fn;
	item->arg = arg;
	item->next = NULL;
	pthread_mutex_lock(&w->post_lock);
	if (w->post_closed) {
		pthread_mutex_unlock(&w->post_lock);
		free(item);
		return -1;
	}
	bool was_empty = w->post_head == NULL;
	if (w->post_tail != NULL)
		w->post_tail->next = item;
	else
		w->post_head = item;
	w->post_tail = item;
	pthread_mutex_unlock(&w->post_lock);
	if (was_empty) {
		uint64_t one = 1;
		ssize_t n = write(w->post_fd, &one, sizeof(one));
		(void)n; /* only fails when the counter is saturated: still woken */
	}
	return 0;
}

static void run_posts(struct worker *w)
{
	uint64_t count;
	ssize_t n = read(w->post_fd, &count, sizeof(count));
	(void)n;
	pthread_mutex_lock(&w->post_lock);
	struct worker_post_item *item = w->post_head;
	w->post_head = w->post_tail = NULL;
	pthread_mutex_unlock(&w->post_lock);
	while (item != NULL) {
		struct worker_post_item *next = item->next;
		item->fn(w, item->arg);
		free(item);
		item = next;
	}
}

/* ---- the loop ----------------------------------------------------------- */

int worker_epoll_add(struct worker *w, int fd, uint32_t events,
		     struct net_handle *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int worker_init(struct worker *w, struct server *server, unsigned index,
		char **error_r)
{
	memset(w, 0, sizeof(*w));
	w->server = server;
	w->index = index;
	w->post_handle.kind = NET_HANDLE_POST;
	w->post_fd = -1;
	pthread_mutex_init(&w->post_lock, NULL);
	w->now_ms = monotonic_ms();
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd >= 0)
		w->post_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->post_fd < 0 ||
	    worker_epoll_add(w, w->post_fd, EPOLLIN, &w->post_handle) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "cannot create worker loop: %s", strerror(errno));
		*error_r = buf_steal(&b);
		worker_deinit(w);
		return -1;
	}
	/* EPOLLEXCLUSIVE: one worker wakes per incoming connection instead of
	 * all of them (thundering herd). */
	for (size_t i = 0; i < server_listener_count(server); i++) {
		struct listener *l = server_listener(server, i);
		if (worker_epoll_add(w, l->fd, EPOLLIN | EPOLLEXCLUSIVE,
				     &l->h) < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "cannot watch listener: %s",
				   strerror(errno));
			*error_r = buf_steal(&b);
			worker_deinit(w);
			return -1;
		}
	}
	return 0;
}

void worker_deinit(struct worker *w)
{
	assert(w->conns == NULL);
	for (size_t i = 0; i < w->timer_count; i++)
		free(w->timers[i]);
	free(w->timers);
	w->timers = NULL;
	w->timer_count = 0;
	struct worker_post_item *item = w->post_head;
	while (item != NULL) {
		struct worker_post_item *next = item->next;
		free(item);
		item = next;
	}
	w->post_head = w->post_tail = NULL;
	if (w->post_fd >= 0)
		close(w->post_fd);
	if (w->epfd >= 0)
		close(w->epfd);
	w->post_fd = w->epfd = -1;
	pthread_mutex_destroy(&w->post_lock);
}

static void shutdown_deadline(struct worker *w, void *arg)
{
	(void)arg;
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		conn_abort(c, "server shutdown (flush timed out)");
}

/* Posted by server_run: stop accepting, say BYE, close everything. */
static void begin_shutdown(struct worker *w, void *arg)
{
	(void)arg;
	w->stopping = true;
	for (size_t i = 0; i < server_listener_count(w->server); i++) {
		struct listener *l = server_listener(w->server, i);
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	}
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		conn_shutdown(c);
	if (w->conns != NULL)
		worker_timer_add(w, SHUTDOWN_FLUSH_MS, shutdown_deadline, NULL);
}

int worker_begin_shutdown(struct worker *w)
{
	return worker_post(w, begin_shutdown, NULL);
}

void worker_schedule(struct worker *w, struct conn *c)
{
	if (c->in_ready)
		return;
	c->in_ready = true;
	c->ready_next = w->ready;
	w->ready = c;
}

static void run_ready(struct worker *w)
{
	struct conn *list = w->ready;
	w->ready = NULL;
	while (list != NULL) {
		struct conn *c = list;
		list = c->ready_next;
		c->ready_next = NULL;
		c->in_ready = false;
		conn_run_ready(c);
	}
}

static void dispatch(struct worker *w, struct epoll_event *ev)
{
	struct net_handle *h = ev->data.ptr;
	switch (h->kind) {
	case NET_HANDLE_LISTENER:
		if (!w->stopping)
			worker_accept(w, (struct listener *)h);
		break;
	case NET_HANDLE_POST:
		run_posts(w);
		break;
	case NET_HANDLE_WATCH:
		server_watch_dispatch(w, h);
		break;
	case NET_HANDLE_CONN:
		conn_handle_events((struct conn *)h, ev->events);
		break;
	}
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[MAX_EVENTS];
	while (!w->stopping || w->conns != NULL) {
		int n = epoll_wait(w->epfd, events, MAX_EVENTS, next_timeout(w));
		if (n < 0 && errno != EINTR) {
			log_error(NULL, "worker %u: epoll_wait: %s", w->index,
				  strerror(errno));
			break;
		}
		w->now_ms = monotonic_ms();
		for (int i = 0; i < n; i++)
			dispatch(w, &events[i]);
		run_timers(w);
		run_ready(w);
	}
	if (w->conns != NULL) {
		shutdown_deadline(w, NULL);
		run_ready(w);
	}
	/* Posts queued before this point still run (their args are freed by
	 * their fn); later ones are refused by worker_post. */
	pthread_mutex_lock(&w->post_lock);
	w->post_closed = true;
	pthread_mutex_unlock(&w->post_lock);
	uint64_t one = 1;
	ssize_t wr = write(w->post_fd, &one, sizeof(one));
	(void)wr;
	run_posts(w);
	return NULL;
}
