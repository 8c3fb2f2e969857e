#ifndef QUIRE_IMAP_SEARCH_INDEXER_H
#define QUIRE_IMAP_SEARCH_INDEXER_H
/*
 * The background indexer of a running server: one thread with its own
 * store handle indexes the bodies APPEND and LMTP store for SEARCH
 * BODY/TEXT, so no client's command waits while a batch of documents is
 * extracted and indexed (64 bodies took ~100 ms, the p99 of APPEND). A
 * body that never gets indexed (the queue was full, the server stopped)
 * is caught up by the first search that needs it, as after a crash.
 */
#include <stdbool.h>
#include <stdint.h>

/* Starts the thread (after imap_server_init). Returns 0, or -1 with
 * *error_r (malloc'd). */
int search_indexer_start(char **error_r);

/* Stops and joins the thread, dropping what is still queued (before
 * imap_server_deinit). Safe when not started. */
void search_indexer_stop(void);

/* Queues a body for the thread; false when none runs (the caller indexes
 * itself). Any thread. */
bool search_indexer_queue(int64_t blob_id, uint64_t size);

#endif
