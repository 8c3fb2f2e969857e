#ifndef QUIRE_CLI_IMPORT_H
#define QUIRE_CLI_IMPORT_H
/*
 * Shared by `quire import maildir` and `quire import mbox`: messages are
 * queued into batches (one store transaction each), skipped when the
 * mailbox already holds the same bytes (so a re-run imports only what is
 * new), and counted for the summary and the progress line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

struct store;

struct import_ctx {
	struct store *st;
	int64_t user_id;
	const char *user;
	bool progress;          /* stderr is a terminal: show a live count */
	uint64_t max_size;      /* larger messages are refused */
	unsigned long imported, skipped, failed;
	/* the open batch, all for batch_mailbox */
	int64_t batch_mailbox;
	struct import_msg *batch;
	size_t batch_count, batch_bytes;
	const char *label;      /* mailbox shown in the progress line */
};

struct import_msg {
	char *data;             /* owned; freed by the batch */
	size_t size;
	uint32_t uid;           /* wanted UID, 0 = next */
	uint32_t flags;         /* enum store_flag */
	char **keywords;        /* owned, keyword_count entries */
	size_t keyword_count;
	time_t internaldate;
	uint8_t hash[32];
};

/* Looks mailbox name up for ctx's user, creating it when missing.
 * Returns 0 with *id_r, or -1 (printed). */
int import_mailbox(struct import_ctx *ctx, const char *name, int64_t *id_r);

/* Takes ownership of msg's data and keywords and queues it for mailbox_id
 * (flushing the batch when it is full or for another mailbox). Returns 0,
 * or -1 when a store write failed (printed; stop importing). */
int import_add(struct import_ctx *ctx, int64_t mailbox_id,
	       struct import_msg *msg);

/* Writes the open batch. Returns 0 or -1 (printed). */
int import_flush(struct import_ctx *ctx);

/* Reads a whole file into out (appending). Returns 0, or -1 with errno. */
int import_read_file(int dirfd, const char *path, struct buf *out);

/* The two importers. Return a CLI_EX_* code. */
int import_maildir(struct import_ctx *ctx, const char *path);
int import_mbox(struct import_ctx *ctx, const char *path,
		const char *mailbox);

#endif
