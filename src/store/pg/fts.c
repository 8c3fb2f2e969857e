/*
 * store/pg: the SEARCH text index: one document per blob, trigram GIN
 * indexes (pg_trgm) answering ILIKE '%text%'. Answers are candidates; the
 * IMAP layer verifies each one exactly, as with SQLite's FTS5.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/pg/internal.h"

int store_pg_fts_index(struct store *s, const struct store_fts_doc *docs,
		       size_t count, const char **error_r)
{
	struct buf header = BUF_INIT, body = BUF_INIT;
	int ret = pg_tx_begin(s);

	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		struct pg_params p = { 0 };
		/* text columns cannot hold NUL: the bytes before one */
		buf_reset(&header);
		buf_reset(&body);
		buf_append(&header, docs[i].header, strnlen(docs[i].header,
							    docs[i].header_len));
		buf_append(&body, docs[i].body, strnlen(docs[i].body,
							docs[i].body_len));
		pg_param_int(&p, docs[i].blob_id);
		pg_param_str(&p, buf_cstr(&header));
		pg_param_str(&p, buf_cstr(&body));
		ret = pg_exec(s, "INSERT INTO fts (blob_id, header, body)"
			" SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM blobs"
			" WHERE id = $1) ON CONFLICT (blob_id) DO UPDATE SET"
			" header = EXCLUDED.header, body = EXCLUDED.body", &p);
	}
	if (s->in_tx)
		ret = pg_tx_end(s, ret);
	buf_free(&header);
	buf_free(&body);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_fts_unindexed(struct store *s, int64_t mailbox_id, size_t max,
			   int64_t **ids_r, uint64_t **sizes_r,
			   size_t *count_r, const char **error_r)
{
	struct pg_params p = { 0 };
	int code;

	*ids_r = NULL;
	*sizes_r = NULL;
	*count_r = 0;
	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, (int64_t)max);
	PGresult *res = pg_query(s, "SELECT DISTINCT b.id, b.size FROM"
		" messages m JOIN blobs b ON b.id = m.blob_id WHERE"
		" m.mailbox_id = $1 AND NOT EXISTS (SELECT 1 FROM fts f WHERE"
		" f.blob_id = b.id) ORDER BY b.id LIMIT $2", &p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	if (n > 0) {
		*ids_r = xcalloc((size_t)n, sizeof(**ids_r));
		*sizes_r = xcalloc((size_t)n, sizeof(**sizes_r));
		for (int i = 0; i < n; i++) {
			(*ids_r)[i] = pg_int(res, i, 0);
			(*sizes_r)[i] = (uint64_t)pg_int(res, i, 1);
		}
	}
	*count_r = (size_t)n;
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

/* The SQL condition on fts row f that a candidate must meet; $2 is the
 * escaped ILIKE pattern. */
enum pg_fts_scope { PG_FTS_BODY, PG_FTS_HEADER, PG_FTS_ANY };

static const char *const pg_fts_candidate_sql[] = {
	[PG_FTS_BODY] = "SELECT m.uid FROM messages m JOIN fts f ON f.blob_id ="
		" m.blob_id WHERE m.mailbox_id = $1 AND f.body ILIKE $2"
		" ORDER BY m.uid",
	[PG_FTS_HEADER] = "SELECT m.uid FROM messages m JOIN fts f ON f.blob_id ="
		" m.blob_id WHERE m.mailbox_id = $1 AND f.header ILIKE $2"
		" ORDER BY m.uid",
	[PG_FTS_ANY] = "SELECT m.uid FROM messages m JOIN fts f ON f.blob_id ="
		" m.blob_id WHERE m.mailbox_id = $1 AND (f.header ILIKE $2"
		" OR f.body ILIKE $2) ORDER BY m.uid",
};

static int pg_fts_candidates(struct store *s, int64_t mailbox_id,
			     const char *text, size_t len,
			     enum pg_fts_scope scope, uint32_t **uids_r,
			     size_t *count_r, const char **error_r)
{
	struct buf pattern = BUF_INIT;
	struct pg_params p = { 0 };
	struct store_mailbox mb;
	int code = pg_require_mailbox(s, mailbox_id, ACL_READ, false, &mb);

	*uids_r = NULL;
	*count_r = 0;
	/* LIKE's own characters are escaped: the text is literal */
	buf_append_char(&pattern, '%');
	for (size_t i = 0; i < len && text[i] != '\0'; i++) {
		if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
			buf_append_char(&pattern, '\\');
		buf_append_char(&pattern, text[i]);
	}
	buf_append_char(&pattern, '%');
	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, buf_cstr(&pattern));
	PGresult *res = code != STORE_OK ? NULL :
		pg_query(s, pg_fts_candidate_sql[scope], &p, &code);
	int n = res != NULL ? PQntuples(res) : 0;
	if (n > 0) {
		*uids_r = xcalloc((size_t)n, sizeof(**uids_r));
		for (int i = 0; i < n; i++)
			(*uids_r)[i] = (uint32_t)pg_int(res, i, 0);
	}
	*count_r = (size_t)n;
	PQclear(res);
	buf_free(&pattern);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_fts_candidates(struct store *s, int64_t mailbox_id,
			    const char *text, size_t len, bool body_only,
			    uint32_t **uids_r, size_t *count_r,
			    const char **error_r)
{
	return pg_fts_candidates(s, mailbox_id, text, len,
				 body_only ? PG_FTS_BODY : PG_FTS_ANY,
				 uids_r, count_r, error_r);
}

int store_pg_fts_header_candidates(struct store *s, int64_t mailbox_id,
				   const char *text, size_t len,
				   uint32_t **uids_r, size_t *count_r,
				   const char **error_r)
{
	return pg_fts_candidates(s, mailbox_id, text, len, PG_FTS_HEADER,
				 uids_r, count_r, error_r);
}

int store_pg_fts_text(struct store *s, int64_t blob_id, struct buf *header,
		      struct buf *body, const char **error_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, blob_id);
	PGresult *res = pg_query(s, "SELECT header, body FROM fts"
				 " WHERE blob_id = $1", &p, &code);
	if (res != NULL && PQntuples(res) == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "not indexed");
	else if (res != NULL) {
		buf_append_str(header, pg_str(res, 0, 0));
		buf_append_str(body, pg_str(res, 0, 1));
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}
