/*
 * store/sqlite: the full-text index for SEARCH BODY/TEXT (store.h "Full-
 * text index"). Table `fts` (FTS5, tokenize='trigram', rowid = blob id)
 * is created by its own schema migration, with a trigger that drops a
 * document when its blob row goes, so expunge needs no code here.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/sqlite/internal.h"

/*
 * A plain one-row INSERT, its conditions asked first (sql_fts_wanted):
 * INSERT OR REPLACE ... SELECT is a multi-row statement that may abort,
 * so SQLite wraps each one in a statement savepoint, and FTS5 flushes its
 * pending terms to a new segment at every savepoint release: a batch of
 * 64 documents wrote 64 segments (and their merges) instead of one.
 */
static const char sql_fts_wanted[] =
	"SELECT EXISTS (SELECT 1 FROM blobs WHERE id = ?1) AND NOT EXISTS "
	"(SELECT 1 FROM fts_docsize WHERE id = ?1)";
static const char sql_fts_insert[] =
	"INSERT INTO fts(rowid, header, body) VALUES (?1, ?2, ?3)";
/* fts_docsize is FTS5's own table of per-document token counts, with a
 * row for every indexed document: a rowid probe in it is a plain b-tree
 * lookup, cheaper than asking the FTS table, and its rows are a few bytes
 * (those of fts_content hold the whole text, a page or more each), so a
 * mailbox's probes touch few pages. SEARCH header keys run this every
 * time. */
static const char sql_fts_unindexed[] =
	"SELECT DISTINCT m.blob_id, b.size FROM messages m "
	"JOIN blobs b ON b.id = m.blob_id "
	"WHERE m.mailbox_id = ?1 AND NOT EXISTS "
	"(SELECT 1 FROM fts_docsize c WHERE c.id = m.blob_id) "
	"ORDER BY m.blob_id LIMIT ?2";
/* The subquery runs the full-text query once; as a join, SQLite's planner
 * would walk the mailbox and run MATCH once per message. */
static const char sql_fts_match[] =
	"SELECT uid FROM messages WHERE mailbox_id = ?1 AND blob_id IN "
	"(SELECT rowid FROM fts WHERE fts MATCH ?2) ORDER BY uid";
static const char sql_fts_text[] =
	"SELECT header, body FROM fts WHERE rowid = ?1";

static int fts_wanted(struct store *s, int64_t blob_id, bool *wanted_r)
{
	sqlite3_stmt *st = store_stmt(s, sql_fts_wanted);
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	*wanted_r = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_fail_db(s, "find unindexed blob");
}

int store_sqlite_fts_index(struct store *s, const struct store_fts_doc *docs,
		    size_t count, const char **error_r)
{
	/* Like the parse cache, the index is derived data: a crash that
	 * loses it costs a later catch-up (store_fts_unindexed), never mail,
	 * so its commit does not wait for an fsync of its own. */
	int ret = store_tx_write_relaxed(s);
	for (size_t i = 0; ret == STORE_OK && i < count; i++) {
		/* A blob expunged meanwhile gets no document (none may name
		 * a blob that is gone), and one already indexed (a search
		 * caught up first) keeps its own: a blob never changes. */
		bool wanted;
		ret = fts_wanted(s, docs[i].blob_id, &wanted);
		if (ret != STORE_OK || !wanted)
			continue;
		sqlite3_stmt *st = store_stmt(s, sql_fts_insert);
		if (st == NULL) {
			ret = STORE_ESERVERBUG;
			break;
		}
		sqlite3_bind_int64(st, 1, docs[i].blob_id);
		sqlite3_bind_text(st, 2, docs[i].header == NULL ? "" : docs[i].header,
				  (int)docs[i].header_len, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, docs[i].body == NULL ? "" : docs[i].body,
				  (int)docs[i].body_len, SQLITE_STATIC);
		ret = store_exec_stmt(s, st, "index text");
	}
	return store_tx_end(s, ret, error_r);
}

int store_sqlite_fts_unindexed(struct store *s, int64_t mailbox_id, size_t max,
			int64_t **ids_r, uint64_t **sizes_r, size_t *count_r,
			const char **error_r)
{
	size_t n = 0, cap = 0;
	int64_t *ids = NULL;
	uint64_t *sizes = NULL;
	int ret = store_tx_read(s);
	/* message data of one mailbox: the actor needs r (RFC 4314 4) */
	if (ret == STORE_OK)
		ret = store_require_mailbox(s, mailbox_id, ACL_READ);
	sqlite3_stmt *st = ret == STORE_OK ? store_stmt(s, sql_fts_unindexed) : NULL;

	if (ret == STORE_OK && st == NULL)
		ret = STORE_ESERVERBUG;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				ids = xrealloc(ids, cap * sizeof(*ids));
				sizes = xrealloc(sizes, cap * sizeof(*sizes));
			}
			ids[n] = sqlite3_column_int64(st, 0);
			sizes[n] = (uint64_t)sqlite3_column_int64(st, 1);
			n++;
		}
		if (rc != SQLITE_DONE)
			ret = store_fail_db(s, "list unindexed blobs");
		sqlite3_reset(st);
	}
	store_tx_rollback(s);
	if (ret != STORE_OK) {
		free(ids);
		free(sizes);
		ids = NULL;
		sizes = NULL;
		n = 0;
	}
	*ids_r = ids;
	*sizes_r = sizes;
	*count_r = n;
	store_error_out(s, error_r);
	return ret;
}

/* An FTS5 query for the literal text: one phrase (FTS5 strings are in
 * double quotes, a quote inside doubled), restricted to column unless it
 * is NULL. */
static void fts_query(const char *text, size_t len, const char *column,
		      struct buf *out)
{
	if (column != NULL)
		buf_printf(out, "%s : ", column);
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			buf_append_char(out, '"');
		buf_append_char(out, text[i]);
	}
	buf_append_char(out, '"');
}

static int fts_candidates(struct store *s, int64_t mailbox_id,
			  const char *text, size_t len, const char *column,
			  uint32_t **uids_r, size_t *count_r,
			  const char **error_r)
{
	struct buf query = BUF_INIT;
	size_t n = 0, cap = 0;
	uint32_t *uids = NULL;
	int ret = store_tx_read(s);
	/* message data of one mailbox: the actor needs r (RFC 4314 4) */
	if (ret == STORE_OK)
		ret = store_require_mailbox(s, mailbox_id, ACL_READ);
	sqlite3_stmt *st = ret == STORE_OK ? store_stmt(s, sql_fts_match) : NULL;

	if (ret == STORE_OK && st == NULL)
		ret = STORE_ESERVERBUG;
	if (st != NULL) {
		fts_query(text, len, column, &query);
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_text(st, 2, query.data, (int)query.len, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				uids = xrealloc(uids, cap * sizeof(*uids));
			}
			uids[n++] = (uint32_t)sqlite3_column_int64(st, 0);
		}
		if (rc != SQLITE_DONE)
			ret = store_fail_db(s, "full-text query");
		sqlite3_reset(st);
	}
	store_tx_rollback(s);
	buf_free(&query);
	if (ret != STORE_OK) {
		free(uids);
		uids = NULL;
		n = 0;
	}
	*uids_r = uids;
	*count_r = n;
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_fts_candidates(struct store *s, int64_t mailbox_id,
			 const char *text, size_t len, bool body_only,
			 uint32_t **uids_r, size_t *count_r,
			 const char **error_r)
{
	return fts_candidates(s, mailbox_id, text, len,
			      body_only ? "body" : NULL, uids_r, count_r,
			      error_r);
}

int store_sqlite_fts_header_candidates(struct store *s, int64_t mailbox_id,
				const char *text, size_t len,
				uint32_t **uids_r, size_t *count_r,
				const char **error_r)
{
	return fts_candidates(s, mailbox_id, text, len, "header", uids_r,
			      count_r, error_r);
}

static void column_append(sqlite3_stmt *st, int col, struct buf *out)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	if (text != NULL && len > 0)
		buf_append(out, text, len);
}

int store_sqlite_fts_text(struct store *s, int64_t blob_id, struct buf *header,
		   struct buf *body, const char **error_r)
{
	sqlite3_stmt *st = store_stmt(s, sql_fts_text);
	int ret = STORE_OK;

	if (st == NULL) {
		store_error_out(s, error_r);
		return STORE_ESERVERBUG;
	}
	/* One statement: autocommit gives it its own consistent read. */
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		column_append(st, 0, header);
		column_append(st, 1, body);
	} else if (rc == SQLITE_DONE) {
		ret = store_fail(s, STORE_ENONEXISTENT, "blob %lld is not indexed",
				 (long long)blob_id);
	} else {
		ret = store_fail_db(s, "read indexed text");
	}
	sqlite3_reset(st);
	store_error_out(s, error_r);
	return ret;
}
