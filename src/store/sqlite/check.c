/*
 * store/sqlite: `quire check`: blobs against their rows, mailbox counters
 * and quota usage against their messages, leftovers of crashed writers.
 *
 * The long scans (every blob file, every blob row) run without the write
 * lock, so a check on a live server does not stall delivery; what they
 * find is re-verified under the write lock before anything is removed.
 * A file an appender wrote but has not yet committed may still be removed
 * as an orphan: the appender notices under the lock and rewrites it (see
 * blob.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

/* A file in tmp/ older than this belongs to no running append. */
#define TMP_LEFTOVER_AGE (15 * 60)

struct check {
	struct store *s;
	bool repair;
	struct buf *report;
	unsigned problems;
	struct buf orphans;     /* "blobs/xx/yyyy\0" names found unreferenced */
	size_t orphan_count;
};

static void found(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void found(struct check *c, const char *fmt, ...)
{
	va_list ap;

	c->problems++;
	if (c->report == NULL)
		return;
	va_start(ap, fmt);
	buf_vprintf(c->report, fmt, ap);
	va_end(ap);
	buf_append_str(c->report, c->repair ? " (repaired)\n" : "\n");
}

static int check_blob_rows(struct check *c)
{
	struct store *s = c->s;
	struct buf rel = BUF_INIT;
	struct stat st;
	int rc;
	sqlite3_stmt *q = store_stmt(s, "SELECT id, sha256, size, EXISTS"
		" (SELECT 1 FROM messages WHERE blob_id = blobs.id) FROM blobs");

	if (q == NULL)
		return STORE_ESERVERBUG;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(q, 0);
		if (sqlite3_column_bytes(q, 1) != STORE_SHA256_LEN) {
			c->problems++;
			continue;
		}
		buf_reset(&rel);
		store_blob_relpath(sqlite3_column_blob(q, 1), &rel);
		if (fstatat(s->data_dir_fd, buf_cstr(&rel), &st, 0) < 0) {
			c->problems++;
			if (c->report)
				buf_printf(c->report, "blob %lld: %s missing\n",
					   id, buf_cstr(&rel));
		} else if (st.st_size != sqlite3_column_int64(q, 2)) {
			c->problems++;
			if (c->report)
				buf_printf(c->report, "blob %lld: %s has %lld "
					   "bytes, expected %lld\n", id,
					   buf_cstr(&rel), (long long)st.st_size,
					   (long long)sqlite3_column_int64(q, 2));
		}
		if (sqlite3_column_int(q, 3) == 0)
			found(c, "blob %lld: no message refers to it", id);
	}
	sqlite3_reset(q);
	buf_free(&rel);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, "check blobs");
	return STORE_OK;
}

/* Under the write lock: store_blob_release re-checks that no message
 * refers to the row, and removes the file after commit. */
static int release_unreferenced(struct check *c)
{
	struct store *s = c->s;
	sqlite3_stmt *q = store_stmt(s, "SELECT id FROM blobs WHERE NOT EXISTS"
		" (SELECT 1 FROM messages WHERE blob_id = blobs.id)");
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = SQLITE_DONE;

	if (q == NULL)
		return STORE_ESERVERBUG;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_reset(q);
	int ret = rc == SQLITE_DONE ? STORE_OK : store_fail_db(s, "check blobs");
	for (size_t i = 0; i < n && ret == STORE_OK; i++)
		ret = store_blob_release(s, ids[i]);
	free(ids);
	return ret;
}

static bool parse_hex(const char *hex, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		char ch = hex[i];
		int v = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

static bool blob_row_exists(struct store *s, const uint8_t *sha)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM blobs WHERE sha256 = ?1");

	if (st == NULL)
		return true; /* unsure: never delete */
	sqlite3_bind_blob(st, 1, sha, STORE_SHA256_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;
}

/* Parses "blobs/ab/cdef..." back into a SHA-256. */
static bool parse_blob_name(const char *rel, uint8_t sha[STORE_SHA256_LEN])
{
	char hex[2 * STORE_SHA256_LEN];

	if (strlen(rel) != STORE_BLOB_RELPATH_LEN)
		return false;
	memcpy(hex, rel + 6, 2);
	memcpy(hex + 2, rel + 9, 2 * STORE_SHA256_LEN - 2);
	return parse_hex(hex, sizeof(hex), sha);
}

/* Without the lock: notes files that no blob row names. */
static void scan_blob_dir(struct check *c, unsigned idx)
{
	char dirname[16];
	uint8_t sha[STORE_SHA256_LEN];
	struct buf rel = BUF_INIT;

	snprintf(dirname, sizeof(dirname), "blobs/%02x", idx);
	int fd = openat(c->s->data_dir_fd, dirname,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		found(c, "%s: cannot read: %s", dirname, strerror(errno));
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&rel);
		buf_printf(&rel, "%s/%s", dirname, de->d_name);
		if (parse_blob_name(buf_cstr(&rel), sha) &&
		    blob_row_exists(c->s, sha))
			continue;
		buf_append(&c->orphans, rel.data, rel.len + 1);
		c->orphan_count++;
	}
	closedir(dir);
	buf_free(&rel);
}

/* Under the write lock: reports and removes the noted files that still
 * have no row. */
static void remove_orphans(struct check *c)
{
	uint8_t sha[STORE_SHA256_LEN];
	const char *rel = c->orphans.data;

	for (size_t i = 0; i < c->orphan_count; i++, rel += strlen(rel) + 1) {
		if (parse_blob_name(rel, sha) && blob_row_exists(c->s, sha))
			continue;
		found(c, "%s: file without a blob row", rel);
		if (c->repair)
			unlinkat(c->s->data_dir_fd, rel, 0);
	}
}

static void check_tmp(struct check *c)
{
	int fd = openat(c->s->data_dir_fd, "tmp",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct stat st;
	time_t now = time(NULL);

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < TMP_LEFTOVER_AGE)
			continue;
		found(c, "tmp/%s: leftover temporary file", de->d_name);
		if (c->repair)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(dir);
}

static int fix_counters(struct check *c, int64_t id, uint32_t uidnext,
			uint64_t modseq)
{
	if (!c->repair)
		return STORE_OK;
	return store_mailbox_set_counters(c->s, id, uidnext, modseq);
}

static int check_mailboxes(struct check *c)
{
	sqlite3_stmt *q = store_stmt(c->s, "SELECT id, uidnext, highestmodseq,"
		" max(coalesce((SELECT max(uid) FROM messages"
		"   WHERE mailbox_id = mb.id), 0),"
		"  coalesce((SELECT max(uid) FROM tombstones"
		"   WHERE mailbox_id = mb.id), 0)),"
		" max(coalesce((SELECT max(modseq) FROM messages"
		"   WHERE mailbox_id = mb.id), 0),"
		"  coalesce((SELECT max(modseq) FROM tombstones"
		"   WHERE mailbox_id = mb.id), 0))"
		" FROM mailboxes mb");
	struct { int64_t id; uint32_t uidnext; uint64_t modseq; } *fix = NULL;
	size_t nfix = 0;
	int rc, ret = STORE_OK;

	if (q == NULL)
		return STORE_ESERVERBUG;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		uint64_t uidnext = (uint64_t)sqlite3_column_int64(q, 1);
		uint64_t hms = (uint64_t)sqlite3_column_int64(q, 2);
		uint64_t max_uid = (uint64_t)sqlite3_column_int64(q, 3);
		uint64_t max_modseq = (uint64_t)sqlite3_column_int64(q, 4);
		if (uidnext > max_uid && hms >= max_modseq)
			continue;
		found(c, "mailbox %lld: uidnext %llu / highestmodseq %llu "
		      "behind its messages (%llu / %llu)", (long long)id,
		      (unsigned long long)uidnext, (unsigned long long)hms,
		      (unsigned long long)max_uid,
		      (unsigned long long)max_modseq);
		fix = xrealloc(fix, (nfix + 1) * sizeof(*fix));
		fix[nfix].id = id;
		fix[nfix].uidnext = (uint32_t)(uidnext > max_uid ? uidnext
					       : max_uid + 1);
		fix[nfix].modseq = hms >= max_modseq ? hms : max_modseq;
		nfix++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		ret = store_fail_db(c->s, "check mailboxes");
	for (size_t i = 0; i < nfix && ret == STORE_OK; i++)
		ret = fix_counters(c, fix[i].id, fix[i].uidnext, fix[i].modseq);
	free(fix);
	return ret;
}

/* Under the write lock, so no delivery commits between the count and the
 * rewrite. */
static int check_quota_usage(struct check *c)
{
	sqlite3_stmt *q = store_stmt(c->s, store_quota_check_sql);
	int rc;
	unsigned differ = 0;

	if (q == NULL)
		return STORE_ESERVERBUG;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_quota_usage_diff d = {
			(const char *)sqlite3_column_text(q, 1),
			sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
			sqlite3_column_int64(q, 4), sqlite3_column_int64(q, 5),
		};
		c->problems++;
		differ++;
		store_quota_usage_report(c->report, &d, c->repair);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_fail_db(c->s, "check quota usage");
	if (!c->repair || differ == 0)
		return STORE_OK;
	sqlite3_stmt *fix = store_stmt(c->s, store_quota_repair_sql);
	if (fix == NULL)
		return STORE_ESERVERBUG;
	return store_exec_stmt(c->s, fix, "repair quota usage");
}

static void report_counts(struct check *c)
{
	sqlite3_stmt *q = store_stmt(c->s, "SELECT (SELECT count(*) FROM users),"
		" (SELECT count(*) FROM mailboxes), (SELECT count(*) FROM"
		" messages), (SELECT count(*) FROM blobs)");

	if (q == NULL || c->report == NULL)
		return;
	if (sqlite3_step(q) == SQLITE_ROW)
		buf_printf(c->report, "%lld users, %lld mailboxes, %lld "
			   "messages, %lld blobs\n",
			   (long long)sqlite3_column_int64(q, 0),
			   (long long)sqlite3_column_int64(q, 1),
			   (long long)sqlite3_column_int64(q, 2),
			   (long long)sqlite3_column_int64(q, 3));
	sqlite3_reset(q);
}

static int check_unlocked(struct check *c)
{
	for (unsigned i = 0; i < 256; i++)
		scan_blob_dir(c, i);
	int ret = store_tx_read(c->s);
	if (ret == STORE_OK) {
		ret = check_blob_rows(c);
		store_tx_rollback(c->s);
	}
	return ret;
}

static int check_locked(struct check *c)
{
	int ret = STORE_OK;

	remove_orphans(c);
	if (c->repair)
		ret = release_unreferenced(c);
	if (ret == STORE_OK) {
		check_tmp(c);
		ret = check_mailboxes(c);
	}
	if (ret == STORE_OK)
		ret = check_quota_usage(c);
	if (ret == STORE_OK)
		report_counts(c);
	return ret;
}

int store_sqlite_check(struct store *s, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r)
{
	struct check c = { s, repair, report, 0, BUF_INIT, 0 };
	int ret = check_unlocked(&c);

	if (ret == STORE_OK)
		ret = store_tx_write(s);
	if (ret == STORE_OK) {
		ret = check_locked(&c);
		if (ret == STORE_OK)
			ret = store_tx_commit(s);
		else
			store_tx_rollback(s);
	}
	buf_free(&c.orphans);
	if (problems_r != NULL)
		*problems_r = c.problems;
	store_error_out(s, error_r);
	return ret;
}
