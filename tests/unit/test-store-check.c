/* store_check: orphan blob files, tmp leftovers, missing blobs, counters. */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "store-testutil.h"

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void test_clean_store(void **state)
{
	struct store_fixture *f = *state;
	struct buf report = BUF_INIT;
	unsigned problems = 99;

	testutil_append(f, testutil_mailbox(f, "INBOX"), "hello", 0);
	assert_int_equal(store_check(f->store, false, &report, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 0);
	assert_non_null(strstr(buf_cstr(&report), "1 users, 6 mailboxes, "
			       "1 messages, 1 blobs"));
	buf_free(&report);
}

static void test_orphan_blob(void **state)
{
	struct store_fixture *f = *state;
	struct buf report = BUF_INIT;
	unsigned problems;
	char path[256];
	struct stat st;

	testutil_append(f, testutil_mailbox(f, "INBOX"), "kept", 0);
	/* a file a crashed writer left: named like a blob, no row */
	snprintf(path, sizeof(path), "%s/blobs/ab/%062d", f->dir, 7);
	write_file(path, "orphan");
	/* a temporary file from long ago */
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s/tmp/blob.1.2", f->dir);
	write_file(tmp, "partial");
	struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, tmp, old, 0), 0);
	/* and a fresh one, which may belong to a running append */
	char fresh[256];
	snprintf(fresh, sizeof(fresh), "%s/tmp/blob.1.3", f->dir);
	write_file(fresh, "in flight");

	assert_int_equal(store_check(f->store, false, &report, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 2);
	assert_non_null(strstr(buf_cstr(&report), "file without a blob row"));
	assert_non_null(strstr(buf_cstr(&report), "tmp/blob.1.2"));
	assert_int_equal(stat(path, &st), 0); /* report only */

	buf_reset(&report);
	assert_int_equal(store_check(f->store, true, &report, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 2);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(stat(fresh, &st), 0);
	assert_int_equal(testutil_blob_files(f), 1);

	assert_int_equal(store_check(f->store, false, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 0);
	buf_free(&report);
}

static void test_missing_blob_and_counters(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	unsigned problems;
	char db[256];
	sqlite3 *h;

	testutil_append(f, in, "one", 0);
	testutil_append(f, in, "two", 0);
	/* damage made behind the store's back */
	snprintf(db, sizeof(db), "%s/quire.db", f->dir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, "UPDATE mailboxes SET uidnext = 2,"
				      " highestmodseq = 1 WHERE name = 'INBOX'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	struct store_uid_range r = { 1, 1 };
	struct store_message_list l;
	struct buf path = BUF_INIT;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(store_blob_path(f->store, l.msgs[0].blob_id, &path,
					 NULL), STORE_OK);
	assert_int_equal(unlink(buf_cstr(&path)), 0);
	int fd;
	uint64_t size;
	const char *err;
	assert_int_equal(store_blob_open(f->store, l.msgs[0].blob_id, &fd,
					 &size, &err), STORE_ESERVERBUG);
	store_message_list_free(&l);
	buf_free(&path);

	assert_int_equal(store_check(f->store, true, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 2); /* missing file, counters behind */
	struct store_mailbox mb;
	assert_int_equal(store_mailbox_get(f->store, in, &mb, NULL), STORE_OK);
	assert_int_equal(mb.uidnext, 3);
	assert_true(mb.highestmodseq >= 3);
	/* the next UID is a fresh one again */
	assert_int_equal(testutil_append(f, in, "three", 0), 3);
	assert_int_equal(store_check(f->store, false, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 1); /* the lost file cannot be repaired */
}

static void quota_sql(struct store_fixture *f, const char *sql)
{
	char db[256];
	sqlite3 *h;

	snprintf(db, sizeof(db), "%s/quire.db", f->dir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void assert_usage(struct store_fixture *f, const char *user,
			 uint64_t storage, uint64_t messages)
{
	struct store_quota q;
	assert_int_equal(store_quota_get(f->store, user, &q, NULL), STORE_OK);
	assert_int_equal(q.storage_used, storage);
	assert_int_equal(q.messages_used, messages);
	store_quota_free(&q);
}

static void test_quota_usage(void **state)
{
	struct store_fixture *f = *state;
	struct buf report = BUF_INIT;
	unsigned problems;
	int64_t bob;

	testutil_append(f, testutil_mailbox(f, "INBOX"), "hello", 0);
	testutil_append(f, testutil_mailbox(f, "Sent"), "12345678", 0);
	assert_int_equal(store_user_add(f->store, "bob", "$6$x$hash", NULL,
					&bob, NULL), STORE_OK);
	assert_int_equal(store_user_add(f->store, "carol", "$6$x$hash", NULL,
					NULL, NULL), STORE_OK);
	assert_usage(f, "alice", 13, 2);
	assert_int_equal(store_check(f->store, false, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 0);
	/* drift behind the triggers' back: alice's numbers wrong, bob given
	 * usage he does not have, and carol fine without a row at all */
	quota_sql(f, "UPDATE quota_usage SET storage = 99, messages = 7"
		  " WHERE user_id = (SELECT id FROM users WHERE name = 'alice');"
		  "INSERT OR REPLACE INTO quota_usage (user_id, storage, messages)"
		  " SELECT id, 0, 3 FROM users WHERE name = 'bob';"
		  "DELETE FROM quota_usage WHERE user_id ="
		  " (SELECT id FROM users WHERE name = 'carol');");
	assert_int_equal(store_check(f->store, false, &report, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 2);
	assert_non_null(strstr(buf_cstr(&report), "quota usage of alice: stored "
			       "99 bytes in 7 messages, counted 13 bytes in 2 "
			       "messages\n"));
	assert_non_null(strstr(buf_cstr(&report), "quota usage of bob: stored "
			       "0 bytes in 3 messages, counted 0 bytes in 0 "
			       "messages\n"));
	assert_null(strstr(buf_cstr(&report), "carol"));
	assert_usage(f, "alice", 99, 7); /* report only */
	buf_reset(&report);
	assert_int_equal(store_check(f->store, true, &report, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 2);
	assert_non_null(strstr(buf_cstr(&report), "counted 13 bytes in 2 "
			       "messages (repaired)\n"));
	assert_usage(f, "alice", 13, 2);
	assert_usage(f, "bob", 0, 0);
	/* a lost row with messages behind it comes back */
	quota_sql(f, "DELETE FROM quota_usage");
	assert_int_equal(store_check(f->store, true, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 1);
	assert_usage(f, "alice", 13, 2);
	assert_int_equal(store_check(f->store, false, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 0);
	/* and the triggers carry on from the repaired numbers */
	testutil_append(f, testutil_mailbox(f, "INBOX"), "x", 0);
	assert_usage(f, "alice", 14, 3);
	buf_free(&report);
}

static void test_failed_append_leaves_orphan(void **state)
{
	struct store_fixture *f = *state;
	unsigned problems;
	struct store_append_msg m = { .data = "never committed", .fd = -1,
				      .size = 15 };

	/* the body is written before the transaction that then fails */
	assert_int_equal(store_append(f->store, 123456, &m, 1, NULL, NULL,
				      NULL), STORE_ETRYCREATE);
	assert_int_equal(testutil_blob_files(f), 1);
	assert_int_equal(store_check(f->store, true, NULL, &problems, NULL),
			 STORE_OK);
	assert_int_equal(problems, 1);
	assert_int_equal(testutil_blob_files(f), 0);
}

static void test_open_errors(void **state)
{
	struct store_fixture *f = *state;
	struct store *s = NULL;
	char *error = NULL;
	char db[256];
	sqlite3 *h;

	/* a file where the data dir should be */
	assert_int_equal(store_open("/dev/null/quire", &s, &error),
			 STORE_EUNAVAILABLE);
	assert_null(s);
	assert_non_null(error);
	free(error);
	error = NULL;

	/* a database from a newer Quire is refused, not downgraded */
	store_close(&f->store);
	snprintf(db, sizeof(db), "%s/quire.db", f->dir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(store_open(f->dir, &s, &error), STORE_ESERVERBUG);
	assert_null(s);
	assert_non_null(strstr(error, "newer"));
	free(error);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, testutil_setup, \
					      testutil_teardown)
	const struct CMUnitTest tests[] = {
		T(test_clean_store),
		T(test_orphan_blob),
		T(test_missing_blob_and_counters),
		T(test_quota_usage),
		T(test_failed_append_leaves_orphan),
		T(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
