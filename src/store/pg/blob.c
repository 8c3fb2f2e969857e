/*
 * store/pg: blob rows (one per distinct body, keyed by SHA-256), their
 * files in the shared blob_dir (store/blobfile.c), and the parse cache.
 *
 * Files and rows across front ends: an appender takes a transaction-level
 * advisory lock on the body's hash, upserts the row, and checks the file
 * (rewriting it if missing) before it commits. A collector removes a file
 * only after its row is gone, under the same advisory lock and after
 * re-checking that no row came back. So a file a committed row names is
 * never removed, whatever the interleaving; a crash leaves at worst an
 * unreferenced file for store_check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg/internal.h"

#define HASH_LOCK "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))"

void pg_sha_hex(const uint8_t sha[STORE_SHA256_LEN], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < STORE_SHA256_LEN; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
}

int pg_sha_parse(const char *hex, uint8_t out[STORE_SHA256_LEN])
{
	if (hex == NULL || strlen(hex) != 64)
		return -1;
	char dir[3] = { hex[0], hex[1], '\0' };
	return store_blobfile_name_parse(dir, hex + 2, out) ? 0 : -1;
}

/* Ids are sequential, so a direct-mapped table keeps the newest
 * PG_BLOB_SLOTS ids of a range without collisions; bounded by design. */
static struct pg_blob_slot *blob_slot(struct store *s, int64_t blob_id)
{
	if (s->blob_slots == NULL)
		s->blob_slots = xcalloc(PG_BLOB_SLOTS, sizeof(*s->blob_slots));
	return &s->blob_slots[(uint64_t)blob_id % PG_BLOB_SLOTS];
}

void pg_blob_remember(struct store *s, int64_t blob_id, const char *sha_hex,
		      uint64_t size)
{
	uint8_t sha[STORE_SHA256_LEN];

	if (blob_id <= 0 || pg_sha_parse(sha_hex, sha) < 0)
		return;
	struct pg_blob_slot *slot = blob_slot(s, blob_id);
	slot->id = blob_id;
	slot->size = size;
	memcpy(slot->sha, sha, sizeof(sha));
}

static void blob_forget(struct store *s, int64_t blob_id)
{
	if (s->blob_slots != NULL && blob_slot(s, blob_id)->id == blob_id)
		blob_slot(s, blob_id)->id = 0;
}

int pg_blob_attach(struct store *s, struct store_blobfile_src *src,
		   int64_t *blob_id_r)
{
	struct pg_params p = { 0 };
	char hex[65];
	int code;

	pg_sha_hex(src->sha, hex);
	pg_param_str(&p, hex);
	code = pg_exec(s, HASH_LOCK, &p);
	pg_param_int(&p, (int64_t)src->size);
	PGresult *res = code != STORE_OK ? NULL : pg_query(s,
		"INSERT INTO blobs (sha256, size) VALUES ($1, $2)"
		" ON CONFLICT (sha256) DO UPDATE SET size = blobs.size"
		" RETURNING id, size", &p, &code);
	if (res != NULL) {
		*blob_id_r = pg_int(res, 0, 0);
		if ((uint64_t)pg_int(res, 0, 1) != src->size)
			code = pg_fail(s, STORE_ESERVERBUG, "blob %lld: size "
				       "differs for the same SHA-256",
				       (long long)*blob_id_r);
	}
	PQclear(res);
	struct buf why = BUF_INIT;
	if (code == STORE_OK && store_blobfile_ensure(&s->files, src, &why) < 0)
		code = pg_fail(s, STORE_EUNAVAILABLE, "%s", buf_cstr(&why));
	buf_free(&why);
	return code;
}

int pg_blob_release(struct store *s, int64_t blob_id)
{
	struct pg_params p = { 0 };
	int code;

	blob_forget(s, blob_id);
	pg_param_int(&p, blob_id);
	PGresult *res = pg_query(s, "DELETE FROM blobs WHERE id = $1 AND NOT"
		" EXISTS (SELECT 1 FROM messages WHERE blob_id = $1)"
		" RETURNING sha256", &p, &code);
	if (res != NULL && PQntuples(res) == 1) {
		if (s->dead_count == s->dead_cap) {
			s->dead_cap = s->dead_cap ? s->dead_cap * 2 : 16;
			s->dead = xrealloc(s->dead, s->dead_cap *
					   sizeof(*s->dead));
		}
		snprintf(s->dead[s->dead_count++], sizeof(s->dead[0]), "%s",
			 pg_str(res, 0, 0));
	}
	PQclear(res);
	return code;
}

void pg_blob_unlink_dead(struct store *s)
{
	size_t count = s->dead_count;

	/* Not pg_tx_begin: this runs inside pg_tx_commit. A failure leaves
	 * the files as orphans for store_check. */
	for (size_t i = 0; i < count; i++) {
		struct pg_params p = { 0 };
		uint8_t sha[STORE_SHA256_LEN];
		int code;
		pg_param_str(&p, s->dead[i]);
		if (pg_sha_parse(s->dead[i], sha) < 0 ||
		    pg_exec(s, "BEGIN", NULL) != STORE_OK)
			continue;
		PGresult *res = pg_exec(s, HASH_LOCK, &p) != STORE_OK ? NULL :
			pg_query(s, "SELECT 1 FROM blobs WHERE sha256 = $1",
				 &p, &code);
		if (res != NULL && PQntuples(res) == 0)
			store_blobfile_unlink(&s->files, sha);
		PQclear(res);
		PQclear(PQexec(s->conn, "COMMIT"));
	}
	s->dead_count = 0;
}

/* fresh: skip the remembered rows (the caller needs the row to exist). */
static int blob_sha(struct store *s, int64_t blob_id, bool fresh,
		    uint8_t sha[STORE_SHA256_LEN], uint64_t *size_r)
{
	struct pg_params p = { 0 };
	int code;

	if (!fresh && blob_id > 0 && s->blob_slots != NULL &&
	    blob_slot(s, blob_id)->id == blob_id) {
		memcpy(sha, blob_slot(s, blob_id)->sha, STORE_SHA256_LEN);
		if (size_r != NULL)
			*size_r = blob_slot(s, blob_id)->size;
		return STORE_OK;
	}
	blob_forget(s, blob_id);
	pg_param_int(&p, blob_id);
	PGresult *res = pg_query(s, "SELECT sha256, size FROM blobs"
				 " WHERE id = $1", &p, &code);
	if (res != NULL && (PQntuples(res) == 0 ||
			    pg_sha_parse(pg_str(res, 0, 0), sha) < 0))
		code = pg_fail(s, STORE_ENONEXISTENT, "no blob %lld",
			       (long long)blob_id);
	else if (res != NULL) {
		uint64_t size = (uint64_t)pg_int(res, 0, 1);
		if (size_r != NULL)
			*size_r = size;
		pg_blob_remember(s, blob_id, pg_str(res, 0, 0), size);
	}
	PQclear(res);
	return code;
}

int store_pg_blob_sha256(struct store *s, int64_t blob_id,
			 uint8_t sha256_r[32], const char **error_r)
{
	int ret = blob_sha(s, blob_id, false, sha256_r, NULL);

	pg_error_out(s, error_r);
	return ret;
}

int store_pg_blob_open(struct store *s, int64_t blob_id, int *fd_r,
		       uint64_t *size_r, const char **error_r)
{
	uint8_t sha[STORE_SHA256_LEN];
	int ret = blob_sha(s, blob_id, false, sha, size_r);

	if (ret == STORE_OK) {
		*fd_r = store_blobfile_open(&s->files, sha);
		/* A missing file may mean a remembered row deleted since:
		 * ask the database, which then answers as it always did. */
		if (*fd_r < 0 && errno == ENOENT) {
			ret = blob_sha(s, blob_id, true, sha, size_r);
			*fd_r = ret != STORE_OK ? -1 :
				store_blobfile_open(&s->files, sha);
		}
		if (ret == STORE_OK && *fd_r < 0)
			ret = pg_fail(s, STORE_ESERVERBUG, "open blob %lld: %s",
				      (long long)blob_id, strerror(errno));
	}
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_blob_path(struct store *s, int64_t blob_id, struct buf *path,
		       const char **error_r)
{
	uint8_t sha[STORE_SHA256_LEN];
	int ret = blob_sha(s, blob_id, true, sha, NULL);

	if (ret == STORE_OK)
		store_blobfile_path(&s->files, sha, path);
	pg_error_out(s, error_r);
	return ret;
}

/* The cache is bytes: sent and read in libpq's binary format. */
int store_pg_blob_cache_get(struct store *s, int64_t blob_id,
			    struct buf *out, const char **error_r)
{
	char id[24];
	const char *values[1] = { id };
	int code = STORE_OK;

	snprintf(id, sizeof(id), "%lld", (long long)blob_id);
	PGresult *res = pg_query_bytes(s, "SELECT data FROM blob_cache"
				       " WHERE blob_id = $1", 1, values, NULL,
				       NULL, 1, &code);
	if (res != NULL && PQntuples(res) == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "not cached");
	else if (res != NULL)
		buf_append(out, PQgetvalue(res, 0, 0),
			   (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_blob_cache_put(struct store *s, int64_t blob_id,
			    const void *data, size_t len, const char **error_r)
{
	char id[24];
	const char *values[2] = { id, data ? data : "" };
	int lengths[2] = { 0, (int)len };
	int formats[2] = { 0, 1 };
	int code = STORE_OK;

	if (len > INT32_MAX) {
		code = pg_fail(s, STORE_EINVALID, "cache entry too large");
		pg_error_out(s, error_r);
		return code;
	}
	snprintf(id, sizeof(id), "%lld", (long long)blob_id);
	PGresult *res = pg_query_bytes(s, "INSERT INTO blob_cache (blob_id,"
		" data) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM blobs WHERE"
		" id = $1) ON CONFLICT (blob_id) DO UPDATE SET data ="
		" EXCLUDED.data", 2, values, lengths, formats, 0, &code);
	if (res != NULL && strcmp(PQcmdTuples(res), "0") == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "no blob %lld",
			       (long long)blob_id);
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}
