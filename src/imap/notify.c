#include "imap/notify.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
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

static void notify_socket_readable(struct worker *worker, int fd, void *arg)
{
	int64_t mailbox_id;
	(void)worker;
	(void)arg;
	while (store_notify_socket_read(fd, &mailbox_id) == 1)
		notify_broadcast(mailbox_id);
}

int imap_notify_start(struct server *server, const char *data_dir, char **error_r)
{
	bus_server = server;
	store_set_change_hook(notify_store_hook, NULL);
	if (store_notify_socket_open(data_dir, &bus_socket_fd, error_r) != STORE_OK)
		return -1;
	return server_watch_fd(server, bus_socket_fd, notify_socket_readable,
			       NULL, error_r);
}

void imap_notify_stop(void)
{
	store_set_change_hook(NULL, NULL);
	bus_server = NULL;
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
