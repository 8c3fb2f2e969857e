#include "imap/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "imap/imap-server.h"
#include "imap/notify-session.h"
#include "imap/session.h"
#include "net/server.h"
#include "store/store.h"

struct watcher {
	int64_t mailbox_id;
	struct session *session;
};

/* Each worker thread's watchers; only that thread touches them. */
static __thread struct watcher *watchers;
static __thread size_t watcher_count, watcher_cap;

/* Each worker thread's NOTIFY sessions, which hear of every change. */
static __thread struct session **listeners;
static __thread size_t listener_count, listener_cap;

static struct server *bus_server;
static int bus_socket_fd = -1;

/*
 * Change marks (imap_notify_mark): process-wide counters, bumped for a
 * mailbox on the thread that hears of the change (for this process's own
 * commits, the committing thread, before its command replies). Mailbox ids
 * share MARK_BUCKETS counters: a collision only costs a needless sync.
 * mark_any counts STORE_CHANGE_ANY and notifications possibly lost.
 */
#define MARK_BUCKETS 1024
static uint64_t mark_buckets[MARK_BUCKETS];
static uint64_t mark_any;
/* Whether every commit is counted by the time anyone can know of it. */
static bool marks_exact;
/* notify.sock datagrams read since the queue was last found empty, and
 * the queue's length (a sender's datagram is dropped when it is full). */
static uint64_t socket_reads;
static uint64_t socket_qlen = 10;

static void mark_bump(int64_t mailbox_id)
{
	if (mailbox_id == STORE_CHANGE_ANY)
		__atomic_add_fetch(&mark_any, 1, __ATOMIC_SEQ_CST);
	else if (mailbox_id > 0)
		__atomic_add_fetch(&mark_buckets[(uint64_t)mailbox_id % MARK_BUCKETS],
				   1, __ATOMIC_SEQ_CST);
}

static void notify_worker_deliver(struct worker *worker, void *arg)
{
	int64_t mailbox_id = (int64_t)(intptr_t)arg;
	(void)worker;
	/* A session may unwatch itself inside the callback, so walk a
	 * snapshot of the count and re-check the slot each time. */
	for (size_t i = 0; i < watcher_count; i++) {
		if (watchers[i].mailbox_id == mailbox_id ||
		    mailbox_id == STORE_CHANGE_ANY)
			session_mailbox_changed(watchers[i].session);
	}
	/* After the watchers, so IDLE has synced the view first. A listener
	 * may drop out (NOTIFICATIONOVERFLOW) inside the call: the swap in
	 * unlisten then moves an unvisited one into slot i, so re-check it. */
	for (size_t i = 0; i < listener_count; i++) {
		struct session *s = listeners[i];
		notify_session_event(s, mailbox_id);
		if (i < listener_count && listeners[i] != s)
			i--;
	}
}

static void notify_broadcast(int64_t mailbox_id)
{
	struct server *server = bus_server;
	mark_bump(mailbox_id);
	if (server == NULL)
		return;
	for (unsigned i = 0; i < server_worker_count(server); i++)
		worker_post(server_worker(server, i), notify_worker_deliver,
			    (void *)(intptr_t)mailbox_id);
}

static void notify_store_hook(int64_t mailbox_id, void *context)
{
	(void)context;
	notify_broadcast(mailbox_id);
}

/* Reads the queued datagrams (from the watcher, or from any worker
 * taking a mark). A queue that was full since it was last empty may have
 * refused datagrams: then every mark moves. */
static void notify_socket_drain(int fd)
{
	int64_t mailbox_id;
	while (store_notify_socket_read(fd, &mailbox_id) == 1) {
		__atomic_add_fetch(&socket_reads, 1, __ATOMIC_SEQ_CST);
		notify_broadcast(mailbox_id);
	}
	if (__atomic_exchange_n(&socket_reads, 0, __ATOMIC_SEQ_CST) >= socket_qlen)
		mark_bump(STORE_CHANGE_ANY);
}

static void notify_socket_readable(struct worker *worker, int fd, void *arg)
{
	(void)worker;
	(void)arg;
	notify_socket_drain(fd);
}

/* The kernel's datagram queue length for AF_UNIX; 10 if unreadable. */
static uint64_t unix_dgram_qlen(void)
{
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
	char line[32];
	uint64_t qlen = 10;
	if (f == NULL)
		return qlen;
	if (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long long v = strtoull(line, &end, 10);
		if (end != line && v > 0)
			qlen = v;
	}
	fclose(f);
	return qlen;
}

int imap_notify_start(struct server *server, const char *data_dir, char **error_r)
{
	bus_server = server;
	store_set_change_hook(notify_store_hook, NULL);
	if (store_notify_socket_open(data_dir, &bus_socket_fd, error_r) != STORE_OK)
		return -1;
	socket_qlen = unix_dgram_qlen();
	/* Other PostgreSQL front ends are heard through LISTEN, which may
	 * deliver after their client already got its reply. */
	const struct config *cfg = imap_server_config();
	marks_exact = cfg == NULL || strcmp(cfg->store, "postgresql") != 0;
	return server_watch_fd(server, bus_socket_fd, notify_socket_readable,
			       NULL, error_r);
}

void imap_notify_stop(void)
{
	store_set_change_hook(NULL, NULL);
	bus_server = NULL;
	marks_exact = false;
	if (bus_socket_fd >= 0) {
		close(bus_socket_fd);
		bus_socket_fd = -1;
	}
}

void imap_notify_watch(struct session *s, int64_t mailbox_id)
{
	imap_notify_unwatch(s);
	if (watcher_count == watcher_cap) {
		watcher_cap = watcher_cap ? watcher_cap * 2 : 16;
		watchers = xrealloc(watchers, watcher_cap * sizeof(*watchers));
	}
	watchers[watcher_count].mailbox_id = mailbox_id;
	watchers[watcher_count].session = s;
	watcher_count++;
}

void imap_notify_unwatch(struct session *s)
{
	for (size_t i = 0; i < watcher_count; i++) {
		if (watchers[i].session == s) {
			watchers[i] = watchers[--watcher_count];
			break;
		}
	}
	if (watcher_count == 0) {
		/* Give the memory back when the worker has no watchers left,
		 * and so leave nothing for the leak checker at exit. */
		free(watchers);
		watchers = NULL;
		watcher_cap = 0;
	}
}

void imap_notify_listen(struct session *s)
{
	for (size_t i = 0; i < listener_count; i++) {
		if (listeners[i] == s)
			return;
	}
	if (listener_count == listener_cap) {
		listener_cap = listener_cap ? listener_cap * 2 : 16;
		listeners = xrealloc(listeners, listener_cap * sizeof(*listeners));
	}
	listeners[listener_count++] = s;
}

void imap_notify_unlisten(struct session *s)
{
	for (size_t i = 0; i < listener_count; i++) {
		if (listeners[i] == s) {
			listeners[i] = listeners[--listener_count];
			break;
		}
	}
	if (listener_count == 0) {
		free(listeners);
		listeners = NULL;
		listener_cap = 0;
	}
}

uint64_t imap_notify_mark(int64_t mailbox_id)
{
	/* A datagram sent before this call (`quire deliver` sends it before
	 * it reports success) is counted before the mark is read. */
	if (bus_socket_fd >= 0)
		notify_socket_drain(bus_socket_fd);
	uint64_t bucket = mailbox_id > 0 ? (uint64_t)mailbox_id % MARK_BUCKETS : 0;
	return __atomic_load_n(&mark_buckets[bucket], __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&mark_any, __ATOMIC_SEQ_CST);
}

bool imap_notify_marks_exact(void)
{
	return marks_exact;
}
