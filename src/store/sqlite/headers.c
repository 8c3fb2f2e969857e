/*
 * store/sqlite: search header summaries (store.h "Search header
 * summaries"), table blob_headers (schema migration 5), and the derived
 * data APPEND stores with a new body.
 */
#include <stdlib.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

static const char sql_summaries[] =
	"SELECT m.uid, h.data FROM messages m "
	"JOIN blob_headers h ON h.blob_id = m.blob_id "
	"WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid";

int store_sqlite_header_summaries_get(struct store *s, int64_t mailbox_id,
				      const struct store_uid_range *range,
				      struct store_header_summary_list *list,
				      const char **error_r)
{
	size_t cap = 0;
	int ret = store_tx_read(s);
	/* message data of one mailbox: the actor needs r (RFC 4314 4) */
	if (ret == STORE_OK)
		ret = store_require_mailbox(s, mailbox_id, ACL_READ);
	sqlite3_stmt *st = ret == STORE_OK ? store_stmt(s, sql_summaries) : NULL;
	if (ret == STORE_OK && st == NULL)
		ret = STORE_ESERVERBUG;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, range->first);
		sqlite3_bind_int64(st, 3, range->last);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			store_header_summary_list_push(list, &cap,
				(uint32_t)sqlite3_column_int64(st, 0),
				sqlite3_column_blob(st, 1),
				(size_t)sqlite3_column_bytes(st, 1));
		}
		if (rc != SQLITE_DONE)
			ret = store_fail_db(s, "read header summaries");
		sqlite3_reset(st);
	}
	store_tx_rollback(s);
	if (ret != STORE_OK)
		store_header_summary_list_free(list);
	store_header_summary_list_finish(list);
	store_error_out(s, error_r);
	return ret;
}

/* A blob row may be gone (expunged meanwhile): the SELECT inserts
 * nothing then, where VALUES would break the foreign key. Blob ids can
 * be given again once the highest is deleted, hence the size check for
 * a summary computed a while ago (?3 < 0: the body was just stored). */
static const char sql_summary_put[] =
	"INSERT OR IGNORE INTO blob_headers (blob_id, data) "
	"SELECT id, ?2 FROM blobs WHERE id = ?1 AND (?3 < 0 OR size = ?3)";
static const char sql_cache_put[] =
	"INSERT OR IGNORE INTO blob_cache (blob_id, data) VALUES (?1, ?2)";

static int put_blob(struct store *s, const char *sql, int64_t blob_id,
		    int64_t size, const void *data, size_t len, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, blob_id);
	sqlite3_bind_blob64(st, 2, len > 0 ? data : "", len, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, size);
	return store_exec_stmt(s, st, what);
}

int store_sqlite_header_summaries_put(struct store *s,
				      const struct store_header_summary_put *items,
				      size_t count, const char **error_r)
{
	/* Derived data, rebuilt from the blob when lost: no fsync of its
	 * own (the next durable commit carries it). */
	int ret = store_tx_write_relaxed(s);
	for (size_t i = 0; ret == STORE_OK && i < count; i++)
		ret = put_blob(s, sql_summary_put, items[i].blob_id,
			       (int64_t)items[i].blob_size, items[i].data,
			       items[i].len, "write header summary");
	return store_tx_end(s, ret, error_r);
}

int store_blob_derived_put(struct store *s, int64_t blob_id,
			   const struct store_append_msg *m)
{
	int ret = STORE_OK;
	if (m->cache != NULL)
		ret = put_blob(s, sql_cache_put, blob_id, -1, m->cache,
			       m->cache_len, "write cache");
	if (ret == STORE_OK && m->headers != NULL)
		ret = put_blob(s, sql_summary_put, blob_id, -1, m->headers,
			       m->headers_len, "write header summary");
	return ret;
}
