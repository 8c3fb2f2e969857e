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
		T(test_failed_append_leaves_orphan),
		T(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
