#include "imap/search-indexer.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "imap/imap-server.h"
#include "imap/search-text.h"
#include "store/store.h"

/* Bodies per transaction: FTS5 writes a segment per commit, so fewer
 * commits cost less in all; more per commit hold the writer lock longer. */
#define INDEXER_BATCH 64
/* A batch not yet full waits this long for more. */
#define INDEXER_WAIT_MS 200
/* Past this many waiting bodies new ones are left to the search catch-up
 * rather than held in memory. */
#define INDEXER_QUEUE_MAX 16384

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	int64_t ids[INDEXER_QUEUE_MAX];
	uint64_t sizes[INDEXER_QUEUE_MAX];
	size_t head, count;	/* a ring: count items from head */
} indexer = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

bool search_indexer_queue(int64_t blob_id, uint64_t size)
{
	pthread_mutex_lock(&indexer.lock);
	bool taken = indexer.running && !indexer.stopping;
	if (taken && indexer.count < INDEXER_QUEUE_MAX) {
		size_t tail = (indexer.head + indexer.count) % INDEXER_QUEUE_MAX;
		indexer.ids[tail] = blob_id;
		indexer.sizes[tail] = size;
		if (++indexer.count == INDEXER_BATCH)
			pthread_cond_signal(&indexer.wake);
	}
	pthread_mutex_unlock(&indexer.lock);
	return taken;
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* With the lock held: waits for a full batch, or for INDEXER_WAIT_MS
 * after the first body of one; moves it out. False when stopping. */
static bool take_batch(int64_t *ids, uint64_t *sizes, size_t *n_r)
{
	while (!indexer.stopping && indexer.count == 0)
		pthread_cond_wait(&indexer.wake, &indexer.lock);
	if (!indexer.stopping && indexer.count < INDEXER_BATCH) {
		struct timespec until;
		deadline_in(&until, INDEXER_WAIT_MS);
		while (!indexer.stopping && indexer.count < INDEXER_BATCH &&
		       pthread_cond_timedwait(&indexer.wake, &indexer.lock,
					      &until) != ETIMEDOUT) {
		}
	}
	if (indexer.stopping)
		return false;
	size_t n = indexer.count < INDEXER_BATCH ? indexer.count : INDEXER_BATCH;
	for (size_t i = 0; i < n; i++) {
		ids[i] = indexer.ids[indexer.head];
		sizes[i] = indexer.sizes[indexer.head];
		indexer.head = (indexer.head + 1) % INDEXER_QUEUE_MAX;
	}
	indexer.count -= n;
	*n_r = n;
	return true;
}

static void *indexer_main(void *arg)
{
	(void)arg;
	int64_t ids[INDEXER_BATCH];
	uint64_t sizes[INDEXER_BATCH];
	size_t n;

	pthread_mutex_lock(&indexer.lock);
	while (take_batch(ids, sizes, &n)) {
		pthread_mutex_unlock(&indexer.lock);
		/* The thread's own handle (closed when the thread ends), as
		 * the server itself: bodies are not any user's to check. */
		struct store *st = imap_server_store();
		const char *error = NULL;
		if (st != NULL) {
			store_set_actor(st, 0);
			if (search_text_index_bodies(st, ids, sizes, n, &error) != STORE_OK)
				log_warn(NULL, "background indexing of %zu bodies: %s",
					 n, error ? error : "");
		}
		pthread_mutex_lock(&indexer.lock);
	}
	pthread_mutex_unlock(&indexer.lock);
	return NULL;
}

int search_indexer_start(char **error_r)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_destroy(&indexer.wake);
	pthread_cond_init(&indexer.wake, &attr);
	pthread_condattr_destroy(&attr);
	indexer.stopping = false;
	indexer.head = indexer.count = 0;
	int rc = pthread_create(&indexer.thread, NULL, indexer_main, NULL);
	if (rc != 0) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "cannot start the indexer thread: %s", strerror(rc));
		*error_r = buf_steal(&e);
		return -1;
	}
	pthread_mutex_lock(&indexer.lock);
	indexer.running = true;
	pthread_mutex_unlock(&indexer.lock);
	return 0;
}

void search_indexer_stop(void)
{
	pthread_mutex_lock(&indexer.lock);
	bool was_running = indexer.running;
	indexer.stopping = true;
	pthread_cond_signal(&indexer.wake);
	pthread_mutex_unlock(&indexer.lock);
	if (was_running)
		pthread_join(indexer.thread, NULL);
	pthread_mutex_lock(&indexer.lock);
	indexer.running = false;
	indexer.count = 0;
	pthread_mutex_unlock(&indexer.lock);
}
