/*
 * store/sqlite: message bodies as content-addressed immutable files,
 * data_dir/blobs/ab/cdef... named by the SHA-256 of their bytes.
 *
 * Life of a blob, and why it is safe with concurrent writers and crashes:
 * - An appender writes and fsyncs the file (file, then directory entry)
 *   before taking the write lock, so the slow part does not block others.
 * - Under the write lock it checks the file is still there (rewriting it in
 *   the rare case a collector removed it meanwhile) and inserts or reuses
 *   the blob row, then commits the message rows.
 * - An expunge deletes rows of blobs nobody refers to in its transaction;
 *   after commit it takes the write lock again and removes each file whose
 *   row is still absent. Files are only ever removed under the write lock
 *   and only when no row names them, so a file an appender is about to
 *   reference cannot vanish after its check.
 * - A crash between those steps leaves at worst an unreferenced file, which
 *   store_check finds and removes.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

#define COPY_CHUNK (128 * 1024)

void store_sha256(const void *data, size_t len, uint8_t out[STORE_SHA256_LEN])
{
	unsigned int out_len = 0;

	if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) != 1)
		abort(); /* only on allocation failure, like xmalloc */
	assert(out_len == STORE_SHA256_LEN);
}

static int sha256_fd(struct store *s, int fd, size_t size,
		     uint8_t out[STORE_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *chunk = xmalloc(COPY_CHUNK);
	size_t off = 0;
	int ret = STORE_OK;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	while (off < size && ret == STORE_OK) {
		size_t want = size - off < COPY_CHUNK ? size - off : COPY_CHUNK;
		ssize_t n = pread(fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = store_fail(s, STORE_EUNAVAILABLE,
					 "read message: %s",
					 n < 0 ? strerror(errno) : "short file");
		else if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1)
			abort();
		else
			off += (size_t)n;
	}
	if (ret == STORE_OK && EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return ret;
}

void store_blob_relpath(const uint8_t sha[STORE_SHA256_LEN], struct buf *path)
{
	static const char hex[] = "0123456789abcdef";

	buf_append_str(path, "blobs/");
	for (size_t i = 0; i < STORE_SHA256_LEN; i++) {
		buf_append_char(path, hex[sha[i] >> 4]);
		buf_append_char(path, hex[sha[i] & 15]);
		if (i == 0)
			buf_append_char(path, '/');
	}
}

static int fsync_dir_at(struct store *s, const char *rel)
{
	int fd = openat(s->data_dir_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = STORE_OK;

	if (fd < 0 || fsync(fd) < 0)
		ret = store_fail(s, STORE_EUNAVAILABLE, "fsync %s: %s", rel,
				 strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

int store_blob_dirs_init(struct store *s)
{
	bool created = false;
	char name[16];

	if (mkdirat(s->data_dir_fd, "tmp", 0700) == 0)
		created = true;
	if (mkdirat(s->data_dir_fd, "blobs", 0700) == 0)
		created = true;
	/* All 256 fan-out directories exist up front, so writing a blob never
	 * has to create (and fsync the creation of) a directory. */
	for (unsigned i = 0; i < 256; i++) {
		snprintf(name, sizeof(name), "blobs/%02x", i);
		if (mkdirat(s->data_dir_fd, name, 0700) == 0)
			created = true;
		else if (errno != EEXIST)
			return store_fail(s, STORE_EUNAVAILABLE, "mkdir %s: %s",
					  name, strerror(errno));
	}
	if (!created)
		return STORE_OK;
	if (fsync_dir_at(s, "blobs") != STORE_OK)
		return STORE_EUNAVAILABLE;
	return fsync_dir_at(s, ".");
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_fd(int from, size_t size, int to)
{
	char *chunk = xmalloc(COPY_CHUNK);
	size_t off = 0;
	int ret = 0;

	while (off < size && ret == 0) {
		size_t want = size - off < COPY_CHUNK ? size - off : COPY_CHUNK;
		ssize_t n = pread(from, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			ret = -1;
		} else {
			ret = write_all(to, chunk, (size_t)n);
			off += (size_t)n;
		}
	}
	free(chunk);
	return ret;
}

/* Gives an fsynced, unnamed-or-temporary file a name at rel. EEXIST counts
 * as success: the same name means the same bytes. */
static int link_into_place(struct store *s, int fd, const char *tmpname,
			   const char *rel)
{
	char proc[64];
	int rc;

	if (tmpname != NULL) {
		rc = linkat(s->data_dir_fd, tmpname, s->data_dir_fd, rel, 0);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc, s->data_dir_fd, rel,
			    AT_SYMLINK_FOLLOW);
	}
	if (rc < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int write_new_file(struct store *s, const struct store_blob_src *src,
			  const char *rel)
{
	char tmpname[64];
	bool named = false;
	int fd, ret = STORE_OK;

	fd = openat(s->data_dir_fd, "tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		/* Filesystems without O_TMPFILE: a named temporary file,
		 * removed again below (or by store_check after a crash). */
		snprintf(tmpname, sizeof(tmpname), "tmp/blob.%ld.%lx",
			 (long)getpid(), (unsigned long)random());
		fd = openat(s->data_dir_fd, tmpname,
			    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		named = true;
	}
	if (fd < 0)
		return store_fail(s, STORE_EUNAVAILABLE, "create blob: %s",
				  strerror(errno));
	int rc = src->fd >= 0 ? copy_fd(src->fd, src->size, fd)
			      : write_all(fd, src->data, src->size);
	if (rc == 0)
		rc = fsync(fd);
	if (rc == 0)
		rc = link_into_place(s, fd, named ? tmpname : NULL, rel);
	if (rc < 0)
		ret = store_fail(s, STORE_EUNAVAILABLE, "write blob: %s",
				 strerror(errno));
	if (named)
		unlinkat(s->data_dir_fd, tmpname, 0);
	close(fd);
	return ret;
}

/* Writes the file for src at rel and makes its directory entry durable. */
static int write_blob_file(struct store *s, struct store_blob_src *src,
			   const char *rel)
{
	struct stat st;
	int ret = -1;

	/* A spill file of exactly the message is linked, not copied. */
	if (src->fd >= 0 && fstat(src->fd, &st) == 0 &&
	    (uint64_t)st.st_size == src->size && fsync(src->fd) == 0 &&
	    link_into_place(s, src->fd, NULL, rel) == 0)
		ret = STORE_OK;
	if (ret != STORE_OK)
		ret = write_new_file(s, src, rel);
	if (ret != STORE_OK)
		return ret;
	src->wrote = true;
	s->dirty_dirs[src->sha[0] / 8] |= (uint8_t)(1u << (src->sha[0] % 8));
	return STORE_OK;
}

int store_blob_sync_dirs(struct store *s)
{
	char dir[16];
	int ret = STORE_OK;

	for (unsigned i = 0; i < 256 && ret == STORE_OK; i++) {
		if ((s->dirty_dirs[i / 8] & (1u << (i % 8))) == 0)
			continue;
		snprintf(dir, sizeof(dir), "blobs/%02x", i);
		ret = fsync_dir_at(s, dir);
		if (ret == STORE_OK)
			s->dirty_dirs[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
	return ret;
}

int store_blob_prepare(struct store *s, struct store_blob_src *src,
		       bool have_sha)
{
	struct buf rel = BUF_INIT;
	struct stat st;
	int ret = STORE_OK;

	src->wrote = false;
	if (!have_sha) {
		if (src->fd >= 0)
			ret = sha256_fd(s, src->fd, src->size, src->sha);
		else
			store_sha256(src->data, src->size, src->sha);
	}
	if (ret != STORE_OK)
		return ret;
	store_blob_relpath(src->sha, &rel);
	if (fstatat(s->data_dir_fd, buf_cstr(&rel), &st, 0) < 0) {
		ret = write_blob_file(s, src, buf_cstr(&rel));
	} else if ((uint64_t)st.st_size != src->size) {
		/* A wrong-sized file is damage: replace it with good bytes. */
		unlinkat(s->data_dir_fd, buf_cstr(&rel), 0);
		ret = write_blob_file(s, src, buf_cstr(&rel));
	}
	buf_free(&rel);
	return ret;
}

int store_blob_attach(struct store *s, struct store_blob_src *src,
		      int64_t *blob_id_r)
{
	struct buf rel = BUF_INIT;
	struct stat st;
	int64_t id = 0;
	int ret = STORE_OK;

	assert(s->in_tx);
	sqlite3_stmt *st_sel = store_stmt(s,
		"SELECT id, size FROM blobs WHERE sha256 = ?1");
	if (st_sel == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_blob(st_sel, 1, src->sha, STORE_SHA256_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st_sel);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st_sel, 0);
		if ((uint64_t)sqlite3_column_int64(st_sel, 1) != src->size)
			ret = store_fail(s, STORE_ESERVERBUG,
					 "blob %lld: size differs for the same "
					 "SHA-256", (long long)id);
	} else if (rc != SQLITE_DONE) {
		ret = store_fail_db(s, "find blob");
	}
	sqlite3_reset(st_sel);
	if (ret != STORE_OK)
		return ret;

	/* Under the write lock nobody can remove the file until we commit. */
	store_blob_relpath(src->sha, &rel);
	if (fstatat(s->data_dir_fd, buf_cstr(&rel), &st, 0) < 0) {
		ret = write_blob_file(s, src, buf_cstr(&rel));
	} else if (id == 0 && !src->wrote) {
		/* Another appender's file, perhaps not yet committed by it:
		 * make its directory entry durable before we rely on it. */
		s->dirty_dirs[src->sha[0] / 8] |=
			(uint8_t)(1u << (src->sha[0] % 8));
	}
	buf_free(&rel);
	if (ret != STORE_OK || id != 0) {
		*blob_id_r = id;
		return ret;
	}
	sqlite3_stmt *st_ins = store_stmt(s,
		"INSERT INTO blobs (sha256, size) VALUES (?1, ?2)");
	if (st_ins == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_blob(st_ins, 1, src->sha, STORE_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st_ins, 2, (sqlite3_int64)src->size);
	ret = store_exec_stmt(s, st_ins, "insert blob");
	*blob_id_r = sqlite3_last_insert_rowid(s->db);
	return ret;
}

int store_blob_release(struct store *s, int64_t blob_id)
{
	assert(s->in_tx);
	sqlite3_stmt *st = store_stmt(s,
		"DELETE FROM blobs WHERE id = ?1 AND NOT EXISTS "
		"(SELECT 1 FROM messages WHERE blob_id = ?1) RETURNING sha256");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, blob_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != STORE_SHA256_LEN)
			continue;
		if (s->dead_count == s->dead_cap) {
			s->dead_cap = s->dead_cap ? s->dead_cap * 2 : 16;
			s->dead_blobs = xrealloc(s->dead_blobs, s->dead_cap *
						 sizeof(*s->dead_blobs));
		}
		memcpy(s->dead_blobs[s->dead_count++],
		       sqlite3_column_blob(st, 0), STORE_SHA256_LEN);
	}
	if (rc != SQLITE_DONE) {
		int ret = store_fail_db(s, "release blob");
		sqlite3_reset(st);
		return ret;
	}
	sqlite3_reset(st);
	return STORE_OK;
}

void store_blob_unlink_dead(struct store *s)
{
	struct buf rel = BUF_INIT;
	sqlite3_stmt *st;

	assert(!s->in_tx);
	/* Not store_tx_write: this runs inside store_tx_commit. If the lock
	 * cannot be had, the files stay as orphans for store_check. */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	st = store_stmt(s, "SELECT 1 FROM blobs WHERE sha256 = ?1");
	for (size_t i = 0; st != NULL && i < s->dead_count; i++) {
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, s->dead_blobs[i], STORE_SHA256_LEN,
				  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			continue; /* back in use, or unsure: keep it */
		buf_reset(&rel);
		store_blob_relpath(s->dead_blobs[i], &rel);
		unlinkat(s->data_dir_fd, buf_cstr(&rel), 0);
	}
	if (st != NULL)
		sqlite3_reset(st);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	s->dead_count = 0;
	buf_free(&rel);
}

static int blob_lookup(struct store *s, int64_t blob_id, struct buf *rel,
		       uint64_t *size_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT sha256, size FROM blobs WHERE id = ?1");
	int ret = STORE_OK;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == STORE_SHA256_LEN) {
		store_blob_relpath(sqlite3_column_blob(st, 0), rel);
		if (size_r != NULL)
			*size_r = (uint64_t)sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		ret = store_fail(s, STORE_ENONEXISTENT, "no blob %lld",
				 (long long)blob_id);
	} else {
		ret = store_fail_db(s, "find blob");
	}
	sqlite3_reset(st);
	return ret;
}

int store_sqlite_blob_open(struct store *s, int64_t blob_id, int *fd_r,
		    uint64_t *size_r, const char **error_r)
{
	struct buf rel = BUF_INIT;
	int ret = blob_lookup(s, blob_id, &rel, size_r);

	if (ret == STORE_OK) {
		*fd_r = openat(s->data_dir_fd, buf_cstr(&rel),
			       O_RDONLY | O_CLOEXEC);
		if (*fd_r < 0)
			ret = store_fail(s, STORE_ESERVERBUG, "open %s: %s",
					 buf_cstr(&rel), strerror(errno));
	}
	buf_free(&rel);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_blob_path(struct store *s, int64_t blob_id, struct buf *path,
		    const char **error_r)
{
	struct buf rel = BUF_INIT;
	int ret = blob_lookup(s, blob_id, &rel, NULL);

	if (ret == STORE_OK)
		buf_printf(path, "%s/%s", s->data_dir, buf_cstr(&rel));
	buf_free(&rel);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_blob_cache_get(struct store *s, int64_t blob_id, struct buf *out,
			 const char **error_r)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT data FROM blob_cache WHERE blob_id = ?1");
	int ret = STORE_OK;

	if (st == NULL) {
		store_error_out(s, error_r);
		return STORE_ESERVERBUG;
	}
	sqlite3_bind_int64(st, 1, blob_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (n > 0)
			buf_append(out, p, (size_t)n);
	} else if (rc == SQLITE_DONE) {
		ret = store_fail(s, STORE_ENONEXISTENT, "not cached");
	} else {
		ret = store_fail_db(s, "read cache");
	}
	sqlite3_reset(st);
	store_error_out(s, error_r);
	return ret;
}

int store_sqlite_blob_cache_put(struct store *s, int64_t blob_id, const void *data,
			 size_t len, const char **error_r)
{
	int ret;

	if (len > INT32_MAX) {
		ret = store_fail(s, STORE_EINVALID, "cache entry too large");
		store_error_out(s, error_r);
		return ret;
	}
	/* The cache can always be rebuilt from the blob, so its commit need
	 * not wait for an fsync: the next durable commit flushes it. It
	 * queues on the writer mutex like any write: as an autocommit of its
	 * own it met the other threads' writers in SQLite's busy handler,
	 * whose naps stalled every connection of its worker. */
	ret = store_tx_write_relaxed(s);
	sqlite3_stmt *st = ret == STORE_OK ? store_stmt(s,
		"INSERT OR REPLACE INTO blob_cache (blob_id, data) "
		"VALUES (?1, ?2)") : NULL;
	if (ret == STORE_OK && st == NULL) {
		ret = STORE_ESERVERBUG;
	} else if (st != NULL) {
		sqlite3_bind_int64(st, 1, blob_id);
		sqlite3_bind_blob(st, 2, data ? data : "", (int)len,
				  SQLITE_STATIC);
		ret = store_exec_stmt(s, st, "write cache");
		if (ret != STORE_OK && (sqlite3_extended_errcode(s->db) &
					0xff) == SQLITE_CONSTRAINT)
			ret = store_fail(s, STORE_ENONEXISTENT, "no blob %lld",
					 (long long)blob_id);
	}
	return store_tx_end(s, ret, error_r);
}

int store_sqlite_spill_create(struct store *s, int *fd_r, const char **error_r)
{
	int ret = STORE_OK;

	*fd_r = openat(s->data_dir_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC,
		       0600);
	if (*fd_r < 0) {
		char name[64];
		snprintf(name, sizeof(name), "tmp/spill.%ld.%lx",
			 (long)getpid(), (unsigned long)random());
		*fd_r = openat(s->data_dir_fd, name,
			       O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (*fd_r >= 0)
			unlinkat(s->data_dir_fd, name, 0);
	}
	if (*fd_r < 0)
		ret = store_fail(s, STORE_EUNAVAILABLE, "create spill file: %s",
				 strerror(errno));
	store_error_out(s, error_r);
	return ret;
}
