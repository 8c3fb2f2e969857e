/* Several writers on one mailbox (threads with their own handles, and a
 * separate process), persistence across close/open, change notification. */
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "store-testutil.h"

enum { PER_THREAD = 200, PER_CHILD = 100 };

struct writer {
	const char *dir;
	int64_t mailbox;
	int tag;
	uint32_t uids[PER_THREAD];
	int failures;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	struct store *s = NULL;
	char *error = NULL;
	char body[64];

	if (store_open(w->dir, &s, &error) != STORE_OK) {
		free(error);
		w->failures = PER_THREAD;
		return NULL;
	}
	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(body, sizeof(body), "Subject: t%d m%d\r\n\r\n", w->tag, i);
		struct store_append_msg m = { .data = body, .fd = -1,
					      .size = strlen(body) };
		if (store_append(s, w->mailbox, &m, 1, &w->uids[i], NULL,
				 NULL) != STORE_OK)
			w->failures++;
	}
	store_close(&s);
	return NULL;
}

static void child_appends(const char *dir, int64_t mailbox)
{
	struct store *s = NULL;
	char *error = NULL;
	char body[64];
	int bad = 0;

	if (store_open(dir, &s, &error) != STORE_OK)
		_exit(2);
	for (int i = 0; i < PER_CHILD; i++) {
		snprintf(body, sizeof(body), "Subject: child m%d\r\n\r\n", i);
		struct store_append_msg m = { .data = body, .fd = -1,
					      .size = strlen(body) };
		if (store_append(s, mailbox, &m, 1, NULL, NULL, NULL) != STORE_OK)
			bad = 1;
	}
	store_close(&s);
	_exit(bad);
}

static void test_concurrent_appends(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	struct writer w[2] = { { f->dir, in, 0, { 0 }, 0 },
			       { f->dir, in, 1, { 0 }, 0 } };
	pthread_t th[2];

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_appends(f->dir, in);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer_thread,
						&w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	enum { TOTAL = 2 * PER_THREAD + PER_CHILD };
	static bool seen[TOTAL + 1];
	memset(seen, 0, sizeof(seen));
	for (int t = 0; t < 2; t++) {
		assert_int_equal(w[t].failures, 0);
		for (int i = 0; i < PER_THREAD; i++) {
			uint32_t uid = w[t].uids[i];
			assert_true(uid >= 1 && uid <= TOTAL);
			assert_false(seen[uid]); /* never handed out twice */
			seen[uid] = true;
			if (i > 0)
				assert_true(uid > w[t].uids[i - 1]);
		}
	}
	struct store_msg_list snap;
	assert_int_equal(store_mailbox_snapshot(f->store, in, &snap, NULL),
			 STORE_OK);
	assert_int_equal(snap.count, TOTAL);
	for (size_t i = 0; i < snap.count; i++)
		assert_int_equal(snap.msgs[i].uid, i + 1); /* none lost */
	assert_int_equal(snap.uidnext, TOTAL + 1);
	store_msg_list_free(&snap);
}

static void test_reopen(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	const char *kw[] = { "kept" };
	struct store_append_msg m = { .data = "Subject: keep\r\n\r\nme\r\n",
				      .fd = -1, .flags = STORE_FLAG_ANSWERED,
				      .keywords = kw, .keyword_count = 1,
				      .internaldate = 1234567890,
				      .tz_offset_min = 60 };
	m.size = strlen(m.data);
	uint32_t uid;
	struct store_mailbox before, after;

	assert_int_equal(store_mailbox_create(f->store, f->user_id, "Lists/x",
					      0, NULL, NULL), STORE_OK);
	assert_int_equal(store_append(f->store, in, &m, 1, &uid, NULL, NULL),
			 STORE_OK);
	assert_int_equal(store_mailbox_get(f->store, in, &before, NULL),
			 STORE_OK);
	store_close(&f->store);
	assert_null(f->store);
	store_close(&f->store); /* NULL is fine */

	f->store = testutil_open(f->dir);
	/* password hashes inside: owner-only */
	char db[128];
	struct stat st;
	snprintf(db, sizeof(db), "%s/quire.db", f->dir);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "INBOX",
					      &after, NULL), STORE_OK);
	assert_int_equal(after.id, before.id);
	assert_int_equal(after.uidvalidity, before.uidvalidity);
	assert_int_equal(after.uidnext, before.uidnext);
	assert_int_equal(after.highestmodseq, before.highestmodseq);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "Lists/x",
					      &after, NULL), STORE_OK);
	struct store_uid_range r = { uid, uid };
	struct store_message_list l;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.msgs[0].flags, STORE_FLAG_ANSWERED);
	assert_string_equal(l.msgs[0].keywords, "kept");
	assert_int_equal(l.msgs[0].internaldate, 1234567890);
	assert_int_equal(l.msgs[0].tz_offset_min, 60);
	int fd;
	uint64_t size;
	char buf[64];
	assert_int_equal(store_blob_open(f->store, l.msgs[0].blob_id, &fd,
					 &size, NULL), STORE_OK);
	assert_int_equal(size, m.size);
	assert_int_equal(pread(fd, buf, size, 0), (ssize_t)size);
	assert_memory_equal(buf, m.data, size);
	close(fd);
	store_message_list_free(&l);
	struct store_user u;
	assert_int_equal(store_user_get(f->store, "alice", &u, NULL), STORE_OK);
	assert_int_equal(u.id, f->user_id);
	store_user_free(&u);
}

static int64_t hook_last;
static int hook_calls;
static void hook(int64_t mailbox_id, void *context)
{
	assert_ptr_equal(context, &hook_calls);
	hook_last = mailbox_id;
	hook_calls++;
}

static void test_change_hook(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	struct store_flags_result res;
	uint32_t first;

	store_set_change_hook(hook, &hook_calls);
	hook_calls = 0;
	testutil_append(f, in, "x", 0);
	assert_int_equal(hook_calls, 1);
	assert_int_equal(hook_last, in);
	struct store_uid_range r = { 1, 1 };
	assert_int_equal(store_flags_update(f->store, in, &r, 1,
					    STORE_FLAGS_ADD, STORE_FLAG_SEEN,
					    NULL, 0, NULL, &res, NULL), STORE_OK);
	store_flags_result_free(&res);
	assert_int_equal(hook_calls, 2);
	/* a read and a recent claim change nothing other sessions see */
	assert_int_equal(store_mailbox_claim_recent(f->store, in, &first, NULL),
			 STORE_OK);
	assert_int_equal(hook_calls, 2);
	store_set_change_hook(NULL, NULL);
	testutil_append(f, in, "y", 0);
	assert_int_equal(hook_calls, 2);
}

static void test_notify_socket(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	int go[2];
	char c = 0;

	/* The child forks before the parent binds: a process that bound the
	 * socket itself does not send datagrams. */
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		child_appends(f->dir, in);
	}
	close(go[0]);
	int fd;
	char *error = NULL;
	assert_int_equal(store_notify_socket_open(f->dir, &fd, &error),
			 STORE_OK);
	int64_t id;
	assert_int_equal(store_notify_socket_read(fd, &id), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	int got = 0;
	while (store_notify_socket_read(fd, &id) == 1) {
		assert_int_equal(id, in);
		got++;
	}
	assert_true(got >= 1);
	close(fd);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, testutil_setup, \
					      testutil_teardown)
	const struct CMUnitTest tests[] = {
		T(test_concurrent_appends),
		T(test_reopen),
		T(test_change_hook),
		T(test_notify_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
