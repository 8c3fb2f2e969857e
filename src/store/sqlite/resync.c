/*
 * store/sqlite: the reads QRESYNC (RFC 7162) and OBJECTID (RFC 8474) need
 * beyond the view queries of message.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

static int expunged_tx(struct store *s, int64_t mailbox_id, uint64_t since,
		       uint32_t **uids_r, size_t *count_r)
{
	struct store_mailbox mb;
	size_t cap = 0;
	int rc, ret = store_mailbox_read(s, mailbox_id, &mb);

	if (ret != STORE_OK)
		return ret;
	/* INDEXED BY: as in changes_tx (message.c), the modseq index reads
	 * only the tombstones asked for, not the mailbox's every one. */
	sqlite3_stmt *st = store_stmt(s, "SELECT uid FROM tombstones"
		" INDEXED BY tombstones_modseq"
		" WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count_r == cap) {
			cap = cap ? cap * 2 : 64;
			*uids_r = xrealloc(*uids_r, cap * sizeof(**uids_r));
		}
		(*uids_r)[(*count_r)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "read tombstones");
}

int store_sqlite_expunged_since(struct store *s, int64_t mailbox_id, uint64_t since,
			 uint32_t **uids_r, size_t *count_r,
			 const char **error_r)
{
	int ret = store_tx_read(s);

	*uids_r = NULL;
	*count_r = 0;
	if (ret == STORE_OK) {
		ret = expunged_tx(s, mailbox_id, since, uids_r, count_r);
		store_tx_rollback(s);
	}
	if (ret != STORE_OK) {
		free(*uids_r);
		*uids_r = NULL;
		*count_r = 0;
	}
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_blob_sha256(struct store *s, int64_t blob_id, uint8_t sha256_r[32],
		      const char **error_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT sha256 FROM blobs WHERE id = ?1");
	int ret;

	if (st == NULL) {
		store_error_out(s, error_r);
		return STORE_ESERVERBUG;
	}
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == STORE_SHA256_LEN) {
		memcpy(sha256_r, sqlite3_column_blob(st, 0), STORE_SHA256_LEN);
		ret = STORE_OK;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		ret = store_fail(s, STORE_ENONEXISTENT, "no blob %lld",
				 (long long)blob_id);
	} else {
		ret = store_fail_db(s, "read blob");
	}
	sqlite3_reset(st);
	store_error_out(s, error_r);
	return ret;
}
