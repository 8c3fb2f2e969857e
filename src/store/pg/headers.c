/*
 * store/pg: search header summaries (store.h "Search header summaries"),
 * table blob_headers (schema migration 3), and the derived data APPEND
 * stores with a new body. The summaries are bytes: sent and read in
 * libpq's binary format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/pg/internal.h"

static const char sql_summaries[] =
	"SELECT m.uid, h.data FROM messages m "
	"JOIN blob_headers h ON h.blob_id = m.blob_id "
	"WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 AND $3 ORDER BY m.uid";

/* A binary-format bigint: 8 bytes, network order. */
static uint64_t binary_int8(const PGresult *res, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	uint64_t v = 0;
	if (PQgetlength(res, row, col) != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int store_pg_header_summaries_get(struct store *s, int64_t mailbox_id,
				  const struct store_uid_range *range,
				  struct store_header_summary_list *list,
				  const char **error_r)
{
	struct store_mailbox mb;
	char ints[3][24];
	const char *values[3] = { ints[0], ints[1], ints[2] };
	size_t cap = 0;
	/* message data of one mailbox: the actor needs r (RFC 4314 4) */
	int code = pg_require_mailbox(s, mailbox_id, ACL_READ, false, &mb);
	if (code != STORE_OK) {
		pg_error_out(s, error_r);
		return code;
	}
	snprintf(ints[0], sizeof(ints[0]), "%lld", (long long)mailbox_id);
	snprintf(ints[1], sizeof(ints[1]), "%u", range->first);
	snprintf(ints[2], sizeof(ints[2]), "%u", range->last);
	PGresult *res = pg_query_bytes(s, sql_summaries, 3, values, NULL, NULL,
				       1, &code);
	if (res != NULL) {
		for (int i = 0; i < PQntuples(res); i++)
			store_header_summary_list_push(list, &cap,
				(uint32_t)binary_int8(res, i, 0),
				PQgetvalue(res, i, 1),
				(size_t)PQgetlength(res, i, 1));
	}
	PQclear(res);
	if (code != STORE_OK)
		store_header_summary_list_free(list);
	store_header_summary_list_finish(list);
	pg_error_out(s, error_r);
	return code;
}

/* A blob row may be gone (expunged meanwhile): the SELECT inserts nothing
 * then, where VALUES would break the foreign key. An existing entry is
 * kept: a body never changes. Ids come from a sequence and are never
 * given again, so the size check ($3 < 0: the body was just stored) only
 * mirrors SQLite's. */
static const char sql_summary_put[] =
	"INSERT INTO blob_headers (blob_id, data) SELECT id, $2 FROM blobs"
	" WHERE id = $1 AND ($3::bigint < 0 OR size = $3::bigint)"
	" ON CONFLICT (blob_id) DO NOTHING";
static const char sql_cache_put[] =
	"INSERT INTO blob_cache (blob_id, data) SELECT id, $2 FROM blobs"
	" WHERE id = $1 ON CONFLICT (blob_id) DO NOTHING";

static int put_bytes(struct store *s, const char *sql, int64_t blob_id,
		     int64_t size, const void *data, size_t len, const char *what)
{
	char id[24], sz[24];
	const char *values[3] = { id, len > 0 ? data : "", sz };
	int lengths[3] = { 0, (int)len, 0 };
	int formats[3] = { 0, 1, 0 };
	int code;

	if (len > INT32_MAX)
		return pg_fail(s, STORE_EINVALID, "%s: entry too large", what);
	snprintf(id, sizeof(id), "%lld", (long long)blob_id);
	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	/* $3 (the size) only where the statement names it */
	int count = strstr(sql, "$3") != NULL ? 3 : 2;
	PQclear(pg_query_bytes(s, sql, count, values, lengths, formats, 0,
			       &code));
	return code;
}

int store_pg_header_summaries_put(struct store *s,
				  const struct store_header_summary_put *items,
				  size_t count, const char **error_r)
{
	int code = pg_tx_begin(s);
	for (size_t i = 0; code == STORE_OK && i < count; i++)
		code = put_bytes(s, sql_summary_put, items[i].blob_id,
				 (int64_t)items[i].blob_size, items[i].data,
				 items[i].len, "write header summary");
	code = pg_tx_end(s, code);
	pg_error_out(s, error_r);
	return code;
}

int pg_blob_derived_put(struct store *s, int64_t blob_id,
			const struct store_append_msg *m)
{
	int code = STORE_OK;
	if (m->cache != NULL)
		code = put_bytes(s, sql_cache_put, blob_id, -1, m->cache,
				 m->cache_len, "write cache");
	if (code == STORE_OK && m->headers != NULL)
		code = put_bytes(s, sql_summary_put, blob_id, -1, m->headers,
				 m->headers_len, "write header summary");
	return code;
}
