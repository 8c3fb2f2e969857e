#include "imap/imap-server.h"

#include <pthread.h>
#include <stdlib.h>

#include "auth/throttle.h"
#include "core/buf.h"
#include "core/log.h"
#include "store/store.h"

static const struct config *server_cfg;
static struct auth_throttle *server_throttle;
static char *server_spill_dir;
static pthread_key_t store_key;
static __thread struct store *thread_store;

/* Each worker thread has its own SQLite connection (DESIGN.md
 * "Concurrency"); the key's destructor closes it when the thread ends. */
static void thread_store_close(void *store)
{
	struct store *st = store;
	store_close(&st);
}

int imap_server_init(const struct config *cfg, char **error_r)
{
	if (pthread_key_create(&store_key, thread_store_close) != 0) {
		*error_r = xstrdup("cannot create thread key");
		return -1;
	}
	server_cfg = cfg;
	/* Big literals spill next to the blobs, so the store can link the
	 * file into place instead of copying it. */
	struct buf dir = BUF_INIT;
	store_spill_dir(cfg->data_dir, &dir);
	server_spill_dir = buf_steal(&dir);
	server_throttle = auth_throttle_new(cfg->auth_fail_delay_ms,
					    cfg->auth_fail_delay_max_ms,
					    cfg->auth_lockout_failures,
					    cfg->auth_lockout_seconds);
	return 0;
}

void imap_server_deinit(void)
{
	/* The main thread may have opened a store too (e.g. at start-up). */
	if (thread_store != NULL) {
		store_close(&thread_store);
		pthread_setspecific(store_key, NULL);
	}
	auth_throttle_free(&server_throttle);
	free(server_spill_dir);
	server_spill_dir = NULL;
	pthread_key_delete(store_key);
	server_cfg = NULL;
}

const struct config *imap_server_config(void)
{
	return server_cfg;
}

const char *imap_server_spill_dir(void)
{
	return server_spill_dir;
}

struct auth_throttle *imap_server_throttle(void)
{
	return server_throttle;
}

struct store *imap_server_store(void)
{
	if (thread_store != NULL)
		return thread_store;
	char *error = NULL;
	if (store_open(server_cfg->data_dir, &thread_store, &error) != 0) {
		log_error(NULL, "cannot open the store in %s: %s",
			  server_cfg->data_dir, error ? error : "unknown error");
		free(error);
		thread_store = NULL;
		return NULL;
	}
	pthread_setspecific(store_key, thread_store);
	return thread_store;
}
