/*
 * store/pg: `quire check`: every blob row has its file with the recorded
 * size, uidnext lies above every UID, no blob row is unreferenced, no
 * file in the blob directory lacks a row, and quota_usage matches the
 * messages. With repair, uidnext is raised, unreferenced rows and their
 * files go, orphan files are removed and quota usage is recounted.
 *
 * Orphan files in a blob_dir shared by several front ends: an appender
 * writes its file before it takes the body's advisory lock and inserts the
 * row (blob.c), so a young file without a row may be one in flight. A file
 * counts as an orphan only when it is older than ORPHAN_GRACE_SECONDS and,
 * re-checked under that same advisory lock, still has no row. Removing it
 * then is safe even if an appender of the same body comes later: under the
 * lock it finds the file gone and writes it again (store_blobfile_ensure).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/pg/internal.h"

/* An hour: far longer than any append takes between writing its file and
 * committing its row, so the lock re-check rarely meets a live one. */
#define ORPHAN_GRACE_SECONDS 3600

struct orphan_scan {
	struct store *s;
	bool repair;
	struct buf *report;
	unsigned *problems;
	time_t now;
};

static void orphan_found(struct orphan_scan *o, const char *dir,
			 const char *name, const char *why)
{
	(*o->problems)++;
	if (o->report != NULL)
		buf_printf(o->report, "%s/%s: %s\n", dir, name, why);
}

/* Under the body's advisory lock: still no row? Then report (and with
 * repair remove) the file. */
static int orphan_recheck(struct orphan_scan *o, int dir_fd, const char *dir,
			  const char *name, const char *hex)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_str(&p, hex);
	code = pg_tx_begin(o->s);
	if (code != STORE_OK)
		return code;
	code = pg_exec(o->s, "SELECT pg_advisory_xact_lock("
		       "hashtextextended($1, 7))", &p);
	PGresult *res = code != STORE_OK ? NULL : pg_query(o->s,
		"SELECT 1 FROM blobs WHERE sha256 = $1", &p, &code);
	if (res != NULL && PQntuples(res) == 0) {
		orphan_found(o, dir, name, "file without a blob row");
		if (o->repair)
			unlinkat(dir_fd, name, 0);
	}
	PQclear(res);
	return pg_tx_end(o->s, code);
}

/* Whether the entry is a file old enough to judge. */
static bool aged(struct orphan_scan *o, int dir_fd, const char *name)
{
	struct stat st;

	return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		o->now - st.st_mtime >= ORPHAN_GRACE_SECONDS;
}

static int scan_fanout(struct orphan_scan *o, unsigned idx)
{
	char dir[8];
	uint8_t sha[STORE_SHA256_LEN];
	int code = STORE_OK;

	snprintf(dir, sizeof(dir), "%02x", idx);
	int fd = openat(o->s->files.dir_fd, dir,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		orphan_found(o, dir, "", strerror(errno));
		return STORE_OK;
	}
	struct dirent *de;
	while (code == STORE_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !aged(o, fd, de->d_name))
			continue;
		if (!store_blobfile_name_parse(dir, de->d_name, sha)) {
			orphan_found(o, dir, de->d_name, "not a blob file");
			if (o->repair)
				unlinkat(fd, de->d_name, 0);
			continue;
		}
		struct pg_params p = { 0 };
		char hex[65];
		pg_sha_hex(sha, hex);
		pg_param_str(&p, hex);
		PGresult *res = pg_query(o->s, "SELECT 1 FROM blobs WHERE"
					 " sha256 = $1", &p, &code);
		bool missing = res != NULL && PQntuples(res) == 0;
		PQclear(res);
		if (missing)
			code = orphan_recheck(o, fd, dir, de->d_name, hex);
	}
	closedir(d);
	return code;
}

/* Partial files a crash left in tmp/ (named ones; O_TMPFILE leaves none). */
static void scan_tmp(struct orphan_scan *o)
{
	int fd = dup(o->s->files.tmp_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !aged(o, fd, de->d_name))
			continue;
		orphan_found(o, "tmp", de->d_name, "leftover temporary file");
		if (o->repair)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

static int check_orphans(struct store *s, bool repair, struct buf *report,
			 unsigned *problems)
{
	struct orphan_scan o = { s, repair, report, problems, time(NULL) };
	int code = STORE_OK;

	for (unsigned i = 0; i < 256 && code == STORE_OK; i++)
		code = scan_fanout(&o, i);
	if (code == STORE_OK)
		scan_tmp(&o);
	return code;
}

static int check_tx(struct store *s, bool repair, struct buf *report,
		    unsigned *problems)
{
	struct buf path = BUF_INIT;
	int code;
	PGresult *res = pg_query(s, "SELECT id, sha256, size FROM blobs",
				 NULL, &code);

	for (int i = 0; res != NULL && i < PQntuples(res); i++) {
		uint8_t sha[STORE_SHA256_LEN];
		struct stat st;
		buf_reset(&path);
		if (pg_sha_parse(pg_str(res, i, 1), sha) == 0)
			store_blobfile_path(&s->files, sha, &path);
		if (path.len == 0 || stat(buf_cstr(&path), &st) < 0 ||
		    st.st_size != pg_int(res, i, 2)) {
			(*problems)++;
			if (report != NULL)
				buf_printf(report, "blob %s: file missing or "
					   "wrong size\n", pg_str(res, i, 0));
		}
	}
	PQclear(res);
	res = code != STORE_OK ? NULL : pg_query(s, "SELECT b.id, b.name,"
		" b.uidnext, max(m.uid) FROM mailboxes b JOIN messages m ON"
		" m.mailbox_id = b.id GROUP BY b.id HAVING max(m.uid) >="
		" b.uidnext", NULL, &code);
	for (int i = 0; res != NULL && i < PQntuples(res); i++) {
		(*problems)++;
		if (report != NULL)
			buf_printf(report, "mailbox %s: uidnext %s <= uid %s\n",
				   pg_str(res, i, 1), pg_str(res, i, 2),
				   pg_str(res, i, 3));
	}
	PQclear(res);
	if (code == STORE_OK && repair)
		code = pg_exec(s, "UPDATE mailboxes b SET uidnext = m.top + 1"
			" FROM (SELECT mailbox_id, max(uid) AS top FROM messages"
			" GROUP BY mailbox_id) m WHERE m.mailbox_id = b.id AND"
			" m.top >= b.uidnext", NULL);
	int64_t unused = 0;
	if (code == STORE_OK)
		code = pg_query_int(s, "SELECT count(*) FROM blobs b WHERE NOT"
			" EXISTS (SELECT 1 FROM messages m WHERE m.blob_id ="
			" b.id)", NULL, &unused, "count");
	if (code == STORE_OK && unused > 0) {
		*problems += (unsigned)unused;
		if (report != NULL)
			buf_printf(report, "%lld unreferenced blob rows\n",
				   (long long)unused);
	}
	/* the rows go, and their files after the commit (blob.c) */
	res = code != STORE_OK || !repair || unused == 0 ? NULL : pg_query(s,
		"SELECT id FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM"
		" messages m WHERE m.blob_id = b.id)", NULL, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) &&
	     code == STORE_OK; i++)
		code = pg_blob_release(s, pg_int(res, i, 0));
	PQclear(res);
	buf_free(&path);
	return code;
}

/*
 * Its own transaction, holding nothing else: with repair, quota_usage is
 * locked against the triggers' updates first, so a delivery that commits
 * between the count and the rewrite is not lost (it waits, then adds its
 * message to the rewritten row). Without repair one statement sees one
 * snapshot, in which rows and usage agree.
 */
static int check_quota_usage(struct store *s, bool repair,
			     struct buf *report, unsigned *problems)
{
	int code = STORE_OK;
	if (repair)
		code = pg_exec(s, "LOCK TABLE quota_usage IN SHARE ROW"
			       " EXCLUSIVE MODE", NULL);
	PGresult *res = code != STORE_OK ? NULL :
		pg_query(s, store_quota_check_sql, NULL, &code);
	int differ = res != NULL ? PQntuples(res) : 0;
	for (int i = 0; i < differ; i++) {
		struct store_quota_usage_diff d = {
			pg_str(res, i, 1), pg_int(res, i, 2), pg_int(res, i, 3),
			pg_int(res, i, 4), pg_int(res, i, 5),
		};
		(*problems)++;
		store_quota_usage_report(report, &d, repair);
	}
	PQclear(res);
	if (code == STORE_OK && repair && differ > 0)
		code = pg_exec(s, store_quota_repair_sql, NULL);
	return code;
}

int store_pg_check(struct store *s, bool repair, struct buf *report,
		   unsigned *problems_r, const char **error_r)
{
	int ret = pg_tx_begin(s);

	*problems_r = 0;
	if (ret == STORE_OK)
		ret = pg_tx_end(s, check_tx(s, repair, report, problems_r));
	if (ret == STORE_OK)
		ret = pg_tx_begin(s);
	if (ret == STORE_OK)
		ret = pg_tx_end(s, check_quota_usage(s, repair, report,
						     problems_r));
	if (ret == STORE_OK)
		ret = check_orphans(s, repair, report, problems_r);
	pg_error_out(s, error_r);
	return ret;
}
