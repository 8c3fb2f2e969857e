/*
 * store/pg: change notifications across front ends. Each commit that
 * changed a mailbox sends NOTIFY on channel quire_mailbox with payload
 * "<sender>:<mailbox id>" (the id may be a pseudo id of store.h,
 * STORE_CHANGE_NAMES or STORE_CHANGE_SUBSCRIPTIONS), delivered by
 * PostgreSQL at commit to every listening front end; a server process
 * runs one LISTEN thread that
 * feeds other senders' notifications into the same change hook the
 * in-process bus uses. A lost notification only delays a session until
 * its next sync: the views compare modseqs, not notifications.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/pg/internal.h"

#define CHANNEL "quire_mailbox"
/* Back-off between reconnects of the listener, doubling up to the cap. */
#define LISTEN_RETRY_FIRST_MS 100
#define LISTEN_RETRY_MAX_MS 5000

static pthread_mutex_t listener_lock = PTHREAD_MUTEX_INITIALIZER;
static bool listener_started;
static char sender[32];         /* this process, in every payload */
static PGconn *listener_conn;   /* reachable while the thread runs */

int pg_notify_queue(struct store *s, int64_t mailbox_id)
{
	struct pg_params p = { 0 };
	char payload[64];

	snprintf(payload, sizeof(payload), "%s:%lld", sender[0] ? sender : "-",
		 (long long)mailbox_id);
	pg_param_str(&p, payload);
	return pg_exec(s, "SELECT pg_notify('" CHANNEL "', $1)", &p);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static PGconn *listen_connect(void)
{
	const char *keys[] = { "connect_timeout", "dbname",
			       "application_name", NULL };
	const char *vals[] = { "5", store_config_pg_conninfo(),
			       "quire-listen", NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	PGresult *res = NULL;

	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		res = PQexec(conn, "LISTEN " CHANNEL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

static void deliver(const char *payload)
{
	const char *colon = strrchr(payload, ':');
	size_t len = colon ? (size_t)(colon - payload) : 0;

	/* this process's own commits already ran the hook */
	if (colon == NULL || (len == strlen(sender) &&
			      strncmp(payload, sender, len) == 0))
		return;
	char *end;
	long long id = strtoll(colon + 1, &end, 10);
	/* mailbox ids, and the pseudo ids of store.h for NOTIFY's name and
	 * subscription events */
	if (end != colon + 1 && *end == '\0' &&
	    (id > 0 || id == STORE_CHANGE_NAMES ||
	     id == STORE_CHANGE_SUBSCRIPTIONS))
		store_hook_run(id);
}

static void *listen_thread(void *arg)
{
	unsigned delay = LISTEN_RETRY_FIRST_MS;
	bool lost = false;

	(void)arg;
	for (;;) {
		PGconn *conn = listen_connect();
		if (conn == NULL) {
			sleep_ms(delay);
			delay = delay * 2 > LISTEN_RETRY_MAX_MS ?
				LISTEN_RETRY_MAX_MS : delay * 2;
			continue;
		}
		delay = LISTEN_RETRY_FIRST_MS;
		__atomic_store_n(&listener_conn, conn, __ATOMIC_RELEASE);
		/* Commits while no LISTEN was up were not heard: now that one
		 * is, every watching session resyncs (by modseq) once, and
		 * later commits arrive as notifications again. */
		if (lost)
			store_hook_run(STORE_CHANGE_ANY);
		lost = true;
		while (PQstatus(conn) == CONNECTION_OK) {
			struct pollfd pfd = { PQsocket(conn), POLLIN, 0 };
			if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
				break;
			if (PQconsumeInput(conn) == 0)
				break;
			PGnotify *n;
			while ((n = PQnotifies(conn)) != NULL) {
				deliver(n->extra);
				PQfreemem(n);
			}
		}
		__atomic_store_n(&listener_conn, NULL, __ATOMIC_RELEASE);
		PQfinish(conn);
	}
	return NULL;
}

void pg_notify_listener_start(void)
{
	pthread_t thread;
	pthread_attr_t attr;

	if (!store_hook_is_set())
		return;
	pthread_mutex_lock(&listener_lock);
	if (!listener_started) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(sender, sizeof(sender), "%ld.%lx", (long)getpid(),
			 (unsigned long)ts.tv_nsec);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		listener_started = pthread_create(&thread, &attr,
						  listen_thread, NULL) == 0;
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&listener_lock);
}
