/*
 * store/sqlite: opening the database, the per-handle statement cache,
 * transactions and error reporting.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

/* Long enough to ride out another writer's fsync-bound commit (or a big
 * COPY) without failing the command; short enough that a stuck lock is
 * reported rather than hanging a session forever. */
#define STORE_BUSY_TIMEOUT_MS 30000
/* SQLite's default automatic checkpoint threshold (pages). */
#define WAL_CHECKPOINT_FRAMES 1000

/*
 * Writers of this process queue here before BEGIN IMMEDIATE. SQLite's
 * own wait for its write lock is a busy handler that sleeps 1, 2, 5, 10
 * ... 100 ms between tries: with several worker threads writing, that
 * turned a commit of a fraction of a millisecond into tens of
 * milliseconds for the loser (and stalled every connection of its
 * worker). A mutex hands the lock over as soon as it is free. Other
 * processes (quire deliver, import) still meet the busy handler.
 */
static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;

/*
 * The wait for a lock held by another connection: short naps, so a
 * commit that takes a fraction of a millisecond is not followed by the
 * 1, 2, 5 ... 100 ms sleeps of sqlite3_busy_timeout's handler. Returns
 * nonzero to try again, 0 to give up (SQLITE_BUSY) after about
 * STORE_BUSY_TIMEOUT_MS.
 */
static int busy_wait(void *ctx, int tries)
{
	(void)ctx;
	/* 200 us naps for the first 10 ms, then 2 ms ones. */
	long waited_us = tries < 50 ? tries * 200L : 10000L + (tries - 50) * 2000L;
	if (waited_us >= STORE_BUSY_TIMEOUT_MS * 1000L)
		return 0;
	struct timespec nap = { 0, tries < 50 ? 200000L : 2000000L };
	nanosleep(&nap, NULL);
	return 1;
}

/* Called after each commit that wrote to the WAL: notes that a durable
 * commit has something to sync, and the WAL's size. Registering it also
 * turns off SQLite's automatic checkpoint, which would run inside the
 * committing call, while this process's writer mutex is held. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	struct store *s = ctx;
	s->wal_frames = frames;
	s->wal_written = true;
	return SQLITE_OK;
}

/* The WAL's size (frames) when this process last checkpointed it. */
static int checkpoint_frames;

/* The automatic checkpoint's work, after the writer mutex is released: a
 * passive checkpoint copies what no reader needs into the database and
 * never waits for a lock. While readers keep the WAL from starting over,
 * it stays past the threshold; checkpointing again after every commit
 * then sorted the whole WAL index each time (6% of the CPU of a busy
 * server) to copy a few frames, so a new attempt waits for another
 * threshold's worth of frames. */
static void checkpoint_if_due(struct store *s)
{
	int frames = s->wal_frames;
	if (frames < WAL_CHECKPOINT_FRAMES)
		return;
	int last = __atomic_load_n(&checkpoint_frames, __ATOMIC_RELAXED);
	/* A WAL smaller than at the last checkpoint has started over. */
	if (frames >= last && frames - last < WAL_CHECKPOINT_FRAMES)
		return;
	if (!__atomic_compare_exchange_n(&checkpoint_frames, &last, frames, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;	/* another thread is on it */
	s->wal_frames = 0;
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void write_unlock(struct store *s)
{
	if (s->write_locked) {
		s->write_locked = false;
		pthread_mutex_unlock(&write_mutex);
	}
}

const char *store_error_code(int error)
{
	switch (error) {
	case STORE_ENONEXISTENT: return "NONEXISTENT";
	case STORE_EALREADYEXISTS: return "ALREADYEXISTS";
	case STORE_ETRYCREATE: return "TRYCREATE";
	case STORE_EOVERQUOTA: return "OVERQUOTA";
	case STORE_ECANNOT: return "CANNOT";
	case STORE_ENOPERM: return "NOPERM";
	case STORE_EUNAVAILABLE: return "UNAVAILABLE";
	case STORE_ESERVERBUG: return "SERVERBUG";
	default: return NULL;
	}
}

int store_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	assert(code != STORE_OK);
	buf_reset(&s->error);
	va_start(ap, fmt);
	buf_vprintf(&s->error, fmt, ap);
	va_end(ap);
	return code;
}

int store_fail_db(struct store *s, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_NOMEM:
		code = STORE_EUNAVAILABLE;
		break;
	default:
		code = STORE_ESERVERBUG;
	}
	return store_fail(s, code, "%s: %s", what, sqlite3_errmsg(s->db));
}

void store_error_out(struct store *s, const char **error_r)
{
	if (error_r != NULL)
		*error_r = buf_cstr(&s->error);
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	for (size_t i = 0; i < s->stmt_count; i++) {
		if (s->stmts[i].sql == sql) {
			sqlite3_stmt *st = s->stmts[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		store_fail_db(s, "prepare");
		return NULL;
	}
	if (s->stmt_count == s->stmt_cap) {
		s->stmt_cap = s->stmt_cap ? s->stmt_cap * 2 : 32;
		s->stmts = xrealloc(s->stmts, s->stmt_cap * sizeof(*s->stmts));
	}
	s->stmts[s->stmt_count].sql = sql;
	s->stmts[s->stmt_count].stmt = st;
	s->stmt_count++;
	return st;
}

int store_exec_stmt(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		int code = store_fail_db(s, what);
		sqlite3_reset(st);
		return code;
	}
	sqlite3_reset(st);
	return STORE_OK;
}

static int exec_sql(struct store *s, const char *sql, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st == NULL)
		return store_fail_db(s, what);
	return store_exec_stmt(s, st, what);
}

/*
 * Durable commits do not fsync under the writer mutex. In WAL mode every
 * write transaction commits with synchronous=NORMAL (the frames are
 * written, not synced), the mutex goes to the next writer, and then a
 * durable one fdatasyncs the WAL itself before it returns: that syncs
 * its frames and every earlier one, so what the caller acknowledges is
 * on disk exactly as with synchronous=FULL. Writers that commit
 * together overlap their fsyncs instead of queueing behind each other's
 * (group commit). Frames a checkpoint copied meanwhile were synced by it
 * first (SQLite syncs the WAL before a checkpoint, the database after).
 */
static const char sql_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_sync_full[] = "PRAGMA synchronous=FULL";

/* Prepared once per handle (store_stmt): sqlite3_exec compiled the pragma
 * twice for every write transaction. */
static void set_synchronous(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st != NULL) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
}

static void begin_nosync(struct store *s)
{
	if (s->wal_mode)
		set_synchronous(s, sql_sync_normal);
}

static void end_nosync(struct store *s)
{
	if (s->wal_mode)
		set_synchronous(s, sql_sync_full);
}

/*
 * fdatasync of the WAL, opened afresh each time: a connection closing in
 * another process (quire deliver) may checkpoint and delete it, and a
 * later writer create a new one. Either way frames that left the WAL were
 * checkpointed into the database file, which that checkpoint synced, so a
 * WAL that is gone means there is nothing left to sync.
 */
static int sync_wal(struct store *s)
{
	int fd = openat(s->data_dir_fd, "quire.db-wal", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return STORE_OK;
	int ret = STORE_OK;
	if (fd < 0 || fdatasync(fd) < 0)
		ret = store_fail(s, STORE_EUNAVAILABLE, "sync quire.db-wal: %s",
				 strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

int store_tx_write(struct store *s)
{
	assert(!s->in_tx);
	assert(!s->write_locked);
	begin_nosync(s);
	pthread_mutex_lock(&write_mutex);
	s->write_locked = true;
	s->wal_written = false;
	/* IMMEDIATE takes the write lock now, waiting up to busy_timeout:
	 * UIDs are read and bumped under it, so two writers (threads or
	 * processes) can never hand out the same UID. */
	int ret = exec_sql(s, "BEGIN IMMEDIATE", "begin");
	if (ret == STORE_OK) {
		s->in_tx = true;
	} else {
		write_unlock(s);
		end_nosync(s);
		s->relaxed = false;
	}
	store_rights_forget(s);
	return ret;
}

int store_tx_write_relaxed(struct store *s)
{
	/* Commits without syncing, like every write (see begin_nosync);
	 * only the fdatasync after it is left out. */
	s->relaxed = true;
	return store_tx_write(s);
}

int store_tx_read(struct store *s)
{
	assert(!s->in_tx);
	store_rights_forget(s);
	int ret = exec_sql(s, "BEGIN", "begin");
	if (ret == STORE_OK)
		s->in_tx = true;
	return ret;
}

static void forget_pending(struct store *s)
{
	s->changed_count = 0;
	s->dead_count = 0;
	/* Rights are cached for one transaction only: another handle may
	 * change an ACL between two of ours. */
	store_rights_forget(s);
}

int store_tx_commit(struct store *s)
{
	assert(s->in_tx);
	int ret = exec_sql(s, "COMMIT", "commit");
	if (ret != STORE_OK) {
		store_tx_rollback(s);
		return ret;
	}
	s->in_tx = false;
	bool was_write = s->write_locked;
	bool need_sync = was_write && s->wal_mode && !s->relaxed &&
			 s->wal_written;
	s->relaxed = false;
	if (was_write) {
		write_unlock(s);
		end_nosync(s);
	}
	if (need_sync && (ret = sync_wal(s)) != STORE_OK) {
		/* Committed but not known to be on disk: the caller must not
		 * acknowledge it, nor may its blob files go. */
		forget_pending(s);
		return ret;
	}
	if (s->dead_count > 0) {
		/* Only once the commit that dropped them is durable: a power
		 * failure must not bring back rows without their files. */
		pthread_mutex_lock(&write_mutex);
		store_blob_unlink_dead(s);
		pthread_mutex_unlock(&write_mutex);
	}
	checkpoint_if_due(s);
	for (size_t i = 0; i < s->changed_count; i++)
		store_notify_changed(s, s->changed[i]);
	forget_pending(s);
	return STORE_OK;
}

int store_tx_end(struct store *s, int ret, const char **error_r)
{
	if (ret == STORE_OK)
		ret = store_tx_commit(s);
	else
		store_tx_rollback(s);
	store_error_out(s, error_r);
	return ret;
}

void store_tx_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = false;
	s->relaxed = false;
	if (s->write_locked) {
		write_unlock(s);
		end_nosync(s);
	}
	forget_pending(s);
}

void store_tx_changed(struct store *s, int64_t mailbox_id)
{
	for (size_t i = 0; i < s->changed_count; i++) {
		if (s->changed[i] == mailbox_id)
			return;
	}
	if (s->changed_count == s->changed_cap) {
		s->changed_cap = s->changed_cap ? s->changed_cap * 2 : 8;
		s->changed = xrealloc(s->changed,
				      s->changed_cap * sizeof(*s->changed));
	}
	s->changed[s->changed_count++] = mailbox_id;
}

static int mkdir_p(const char *path)
{
	struct buf b = BUF_INIT;
	int ret = 0;

	buf_append_str(&b, path);
	for (size_t i = 1; i <= b.len && ret == 0; i++) {
		if (i < b.len && b.data[i] != '/')
			continue;
		char saved = b.data[i];
		b.data[i] = '\0';
		if (mkdir(b.data, 0700) < 0 && errno != EEXIST)
			ret = -1;
		b.data[i] = saved;
	}
	buf_free(&b);
	return ret;
}

/* Row callback of PRAGMA journal_mode: some filesystems cannot do WAL,
 * and then every commit keeps synchronous=FULL (see begin_nosync). */
static int journal_mode_is_wal(void *ctx, int cols, char **values, char **names)
{
	(void)names;
	bool *wal = ctx;
	*wal = cols == 1 && values[0] != NULL && strcmp(values[0], "wal") == 0;
	return 0;
}

static int open_db(struct store *s, char **error_r)
{
	struct buf path = BUF_INIT;
	int ret;

	/* Password hashes live in here: create it owner-only (SQLite gives
	 * the -wal and -shm files the database file's permissions). */
	int fd = openat(s->data_dir_fd, "quire.db",
			O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	buf_printf(&path, "%s/quire.db", s->data_dir);
	ret = sqlite3_open_v2(buf_cstr(&path), &s->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			      SQLITE_OPEN_NOMUTEX, NULL);
	if (ret != SQLITE_OK) {
		buf_reset(&path);
		buf_printf(&path, "open %s/quire.db: %s", s->data_dir,
			   s->db ? sqlite3_errmsg(s->db) : "out of memory");
		*error_r = buf_steal(&path);
		return STORE_EUNAVAILABLE;
	}
	buf_free(&path);
	sqlite3_busy_handler(s->db, busy_wait, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);
	sqlite3_extended_result_codes(s->db, 1);
	/* WAL: readers never block the writer; synchronous=FULL makes every
	 * commit durable before COMMIT returns (the APPEND OK promise). */
	static const char *const pragmas =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;"
		"PRAGMA foreign_keys=ON;"
		"PRAGMA temp_store=MEMORY;"
		"PRAGMA mmap_size=0;";
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, pragmas, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode", journal_mode_is_wal,
				  &s->wal_mode, &msg);
	if (rc != SQLITE_OK) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "configure database: %s", msg ? msg : "?");
		sqlite3_free(msg);
		*error_r = buf_steal(&e);
		return STORE_EUNAVAILABLE;
	}
	return STORE_OK;
}

int store_sqlite_open(const char *data_dir, struct store **store_r,
		      char **error_r)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct buf e = BUF_INIT;
	int ret;

	s->data_dir = xstrdup(data_dir);
	s->ops = &store_sqlite_backend;
	s->data_dir_fd = -1;
	s->notify_fd = -1;
	*store_r = NULL;
	*error_r = NULL;
	if (mkdir_p(data_dir) < 0) {
		buf_printf(&e, "create %s: %s", data_dir, strerror(errno));
		*error_r = buf_steal(&e);
		store_close(&s);
		return STORE_EUNAVAILABLE;
	}
	s->data_dir_fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->data_dir_fd < 0) {
		buf_printf(&e, "open %s: %s", data_dir, strerror(errno));
		*error_r = buf_steal(&e);
		store_close(&s);
		return STORE_EUNAVAILABLE;
	}
	ret = open_db(s, error_r);
	if (ret == STORE_OK) {
		ret = store_blob_dirs_init(s);
		if (ret == STORE_OK)
			ret = store_schema_migrate(s);
		if (ret != STORE_OK)
			*error_r = xstrdup(buf_cstr(&s->error));
	}
	if (ret != STORE_OK) {
		store_close(&s);
		return ret;
	}
	*store_r = s;
	return STORE_OK;
}

void store_sqlite_close(struct store **store)
{
	struct store *s = store ? *store : NULL;

	if (s == NULL)
		return;
	if (s->db != NULL) {
		store_tx_rollback(s);
		for (size_t i = 0; i < s->stmt_count; i++)
			sqlite3_finalize(s->stmts[i].stmt);
		sqlite3_close(s->db);
	}
	if (s->data_dir_fd >= 0)
		close(s->data_dir_fd);
	if (s->notify_fd >= 0)
		close(s->notify_fd);
	free(s->stmts);
	free(s->changed);
	free(s->rights_cache);
	free(s->actor_name);
	free(s->dead_blobs);
	free(s->data_dir);
	buf_free(&s->error);
	free(s);
	*store = NULL;
}

const char *store_sqlite_data_dir(const struct store *store)
{
	return store->data_dir;
}
