/* Messages in store.h: append and read back, dedupe, flags and modseqs,
 * changes since a modseq, COPY/MOVE/EXPUNGE, \Recent, snapshots. */
#include <fcntl.h>
#include <sys/stat.h>

#include "store-testutil.h"

static char *read_blob(struct store *s, int64_t blob_id, size_t *len_r)
{
	int fd;
	uint64_t size;

	assert_int_equal(store_blob_open(s, blob_id, &fd, &size, NULL),
			 STORE_OK);
	char *p = malloc(size + 1);
	assert_int_equal(pread(fd, p, size, 0), (ssize_t)size);
	close(fd);
	*len_r = size;
	return p;
}

static void test_append_read_back(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	/* bytes that are not valid mail, with NULs: stored as received */
	static const char body[] = "From: a\r\n\r\nbin\0ary\xff\r\n";
	const char *kw[] = { "$Forwarded", "work", "$forwarded" };
	struct store_append_msg m[2] = {
		{ .data = body, .fd = -1, .size = sizeof(body) - 1,
		  .flags = STORE_FLAG_SEEN | STORE_FLAG_DRAFT, .keywords = kw,
		  .keyword_count = 3, .internaldate = 1000000000,
		  .tz_offset_min = -330 },
		{ .data = "second", .fd = -1, .size = 6 },
	};
	uint32_t uids[2], uidvalidity = 0;
	struct store_mailbox mb;

	assert_int_equal(store_append(f->store, in, m, 2, uids, &uidvalidity,
				      NULL), STORE_OK);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 2);
	assert_int_equal(store_mailbox_get(f->store, in, &mb, NULL), STORE_OK);
	assert_int_equal(uidvalidity, mb.uidvalidity);
	assert_int_equal(mb.uidnext, 3);

	struct store_uid_range r = { 1, UINT32_MAX };
	struct store_message_list l;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.msgs[0].flags, STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
	assert_string_equal(l.msgs[0].keywords, "$Forwarded work");
	assert_int_equal(l.msgs[0].internaldate, 1000000000);
	assert_int_equal(l.msgs[0].tz_offset_min, -330);
	assert_int_equal(l.msgs[0].size, sizeof(body) - 1);
	assert_null(l.msgs[1].keywords);
	assert_int_equal(l.msgs[0].modseq, l.msgs[1].modseq);
	assert_true(l.msgs[1].savedate > 0);
	size_t len;
	char *back = read_blob(f->store, l.msgs[0].blob_id, &len);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(back, body, len);
	free(back);
	struct buf path = BUF_INIT;
	assert_int_equal(store_blob_path(f->store, l.msgs[1].blob_id, &path,
					 NULL), STORE_OK);
	struct stat st;
	assert_int_equal(stat(buf_cstr(&path), &st), 0);
	assert_int_equal(st.st_size, 6);
	buf_free(&path);
	store_message_list_free(&l);

	char **kws;
	assert_int_equal(store_mailbox_keywords(f->store, in, &kws, NULL),
			 STORE_OK);
	assert_string_equal(kws[0], "$Forwarded");
	assert_string_equal(kws[1], "work");
	assert_null(kws[2]);
	store_strings_free(kws);
}

static void test_append_empty_and_twins(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	struct store_append_msg m[3] = {
		{ .data = NULL, .fd = -1, .size = 0 },
		{ .data = "twin", .fd = -1, .size = 4 },
		{ .data = "twin", .fd = -1, .size = 4 },
	};
	uint32_t uids[3];

	assert_int_equal(store_append(f->store, in, m, 3, uids, NULL, NULL),
			 STORE_OK);
	assert_int_equal(uids[2], 3);
	assert_int_equal(testutil_blob_files(f), 2);
	struct store_uid_range r = { 1, 3 };
	struct store_message_list l;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 3);
	assert_int_equal(l.msgs[0].size, 0);
	assert_int_equal(l.msgs[1].blob_id, l.msgs[2].blob_id);
	store_message_list_free(&l);
}

static void test_append_errors(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	const char *bad[] = { "ok", "no space" };
	struct store_append_msg m[2] = {
		{ .data = "one", .fd = -1, .size = 3 },
		{ .data = "two", .fd = -1, .size = 3, .keywords = bad,
		  .keyword_count = 2 },
	};
	const char *err;

	/* all or nothing (RFC 3502) */
	assert_int_equal(store_append(f->store, in, m, 2, NULL, NULL, &err),
			 STORE_EINVALID);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidnext, 1);
	assert_int_equal(store_append(f->store, 999999, m, 1, NULL, NULL, &err),
			 STORE_ETRYCREATE);
	assert_string_equal(store_error_code(STORE_ETRYCREATE), "TRYCREATE");
}

static void test_append_from_fd(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	int fd;
	static const char body[] = "Subject: spilled\r\n\r\nbig literal\r\n";

	assert_int_equal(store_spill_create(f->store, &fd, NULL), STORE_OK);
	assert_int_equal(write(fd, body, sizeof(body) - 1),
			 (ssize_t)sizeof(body) - 1);
	/* once without a digest, then the same file with a wrong-size
	 * request that must be copied, not linked */
	struct store_append_msg m = { .fd = fd, .size = sizeof(body) - 1 };
	uint32_t uid;
	assert_int_equal(store_append(f->store, in, &m, 1, &uid, NULL, NULL),
			 STORE_OK);
	m.size = 7;
	assert_int_equal(store_append(f->store, in, &m, 1, &uid, NULL, NULL),
			 STORE_OK);
	close(fd);

	struct store_uid_range r = { 1, 2 };
	struct store_message_list l;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 2);
	size_t len;
	char *back = read_blob(f->store, l.msgs[0].blob_id, &len);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(back, body, len);
	free(back);
	back = read_blob(f->store, l.msgs[1].blob_id, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(back, "Subject", 7);
	free(back);
	store_message_list_free(&l);
	assert_int_equal(testutil_blob_files(f), 2);
}

static void test_dedupe_and_free(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	int64_t trash = testutil_mailbox(f, "Trash");
	const char *body = "Subject: same\r\n\r\nsame bytes\r\n";

	uint32_t a = testutil_append(f, in, body, STORE_FLAG_DELETED);
	uint32_t b = testutil_append(f, trash, body, STORE_FLAG_DELETED);
	assert_int_equal(testutil_blob_files(f), 1);
	struct store_uid_range r = { 1, UINT32_MAX };
	struct store_message_list l1, l2;
	assert_int_equal(store_messages_get(f->store, in, &r, 1, &l1, NULL),
			 STORE_OK);
	assert_int_equal(store_messages_get(f->store, trash, &r, 1, &l2, NULL),
			 STORE_OK);
	assert_int_equal(l1.msgs[0].blob_id, l2.msgs[0].blob_id);
	int64_t blob = l1.msgs[0].blob_id;
	store_message_list_free(&l1);
	store_message_list_free(&l2);

	assert_int_equal(store_blob_cache_put(f->store, blob, "cached", 6, NULL),
			 STORE_OK);
	struct buf c = BUF_INIT;
	assert_int_equal(store_blob_cache_get(f->store, blob, &c, NULL),
			 STORE_OK);
	assert_int_equal(c.len, 6);
	assert_memory_equal(c.data, "cached", 6);

	uint32_t *uids;
	size_t n;
	assert_int_equal(store_expunge(f->store, in, NULL, 0, &uids, &n, NULL,
				       NULL), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], a);
	free(uids);
	assert_int_equal(testutil_blob_files(f), 1); /* still in Trash */
	assert_int_equal(store_expunge(f->store, trash, NULL, 0, &uids, &n, NULL,
				       NULL), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], b);
	free(uids);
	assert_int_equal(testutil_blob_files(f), 0);
	int fd;
	uint64_t size;
	assert_int_equal(store_blob_open(f->store, blob, &fd, &size, NULL),
			 STORE_ENONEXISTENT);
	buf_reset(&c);
	assert_int_equal(store_blob_cache_get(f->store, blob, &c, NULL),
			 STORE_ENONEXISTENT);
	assert_int_equal(store_blob_cache_put(f->store, blob, "x", 1, NULL),
			 STORE_ENONEXISTENT);
	buf_free(&c);

	/* appending the bytes again brings the file back */
	testutil_append(f, in, body, 0);
	assert_int_equal(testutil_blob_files(f), 1);
}

static void test_flags_and_modseq(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	struct store_flags_result res;
	struct store_mailbox mb;

	for (int i = 0; i < 4; i++)
		testutil_append(f, in, i % 2 ? "odd" : "even", 0);
	assert_int_equal(store_mailbox_get(f->store, in, &mb, NULL), STORE_OK);
	uint64_t m0 = mb.highestmodseq;

	struct store_uid_range r[2] = { { 3, 4 }, { 1, 1 } };
	const char *kw[] = { "Work" };
	assert_int_equal(store_flags_update(f->store, in, r, 2, STORE_FLAGS_ADD,
					    STORE_FLAG_SEEN, kw, 1, NULL, &res,
					    NULL), STORE_OK);
	assert_int_equal(res.msgs.count, 3);
	assert_int_equal(res.msgs.msgs[0].uid, 1);
	assert_int_equal(res.msgs.msgs[1].uid, 3);
	assert_true(res.msgs.msgs[0].changed);
	assert_int_equal(res.msgs.msgs[0].flags, STORE_FLAG_SEEN);
	assert_string_equal(res.msgs.msgs[2].keywords, "Work");
	uint64_t m1 = res.msgs.msgs[0].modseq;
	assert_int_equal(m1, m0 + 1);
	assert_int_equal(res.msgs.highestmodseq, m1);
	store_flags_result_free(&res);

	/* no change: no new modseq */
	struct store_uid_range one = { 1, 1 };
	const char *kw2[] = { "work" };
	assert_int_equal(store_flags_update(f->store, in, &one, 1,
					    STORE_FLAGS_ADD, STORE_FLAG_SEEN,
					    kw2, 1, NULL, &res, NULL), STORE_OK);
	assert_false(res.msgs.msgs[0].changed);
	assert_int_equal(res.msgs.msgs[0].modseq, m1);
	assert_int_equal(res.msgs.highestmodseq, m1);
	store_flags_result_free(&res);

	/* UNCHANGEDSINCE: uid 2 (modseq m0) passes, 1 (m1) fails */
	struct store_uid_range both = { 1, 2 };
	uint64_t since = m0;
	assert_int_equal(store_flags_update(f->store, in, &both, 1,
					    STORE_FLAGS_SET, STORE_FLAG_FLAGGED,
					    NULL, 0, &since, &res, NULL),
			 STORE_OK);
	assert_int_equal(res.modified_count, 1);
	assert_int_equal(res.modified[0], 1);
	assert_int_equal(res.msgs.count, 1);
	assert_int_equal(res.msgs.msgs[0].uid, 2);
	assert_int_equal(res.msgs.msgs[0].modseq, m1 + 1);
	store_flags_result_free(&res);
	since = 0; /* RFC 7162: 0 fails for every message */
	assert_int_equal(store_flags_update(f->store, in, &both, 1,
					    STORE_FLAGS_SET, 0, NULL, 0, &since,
					    &res, NULL), STORE_OK);
	assert_int_equal(res.modified_count, 2);
	store_flags_result_free(&res);

	/* remove keyword case-insensitively */
	const char *kw3[] = { "WORK" };
	assert_int_equal(store_flags_update(f->store, in, r, 2,
					    STORE_FLAGS_REMOVE, 0, kw3, 1, NULL,
					    &res, NULL), STORE_OK);
	for (size_t i = 0; i < res.msgs.count; i++)
		assert_null(res.msgs.msgs[i].keywords);
	store_flags_result_free(&res);
	const char *badkw[] = { "a(b" };
	assert_int_equal(store_flags_update(f->store, in, r, 2, STORE_FLAGS_ADD,
					    0, badkw, 1, NULL, &res, NULL),
			 STORE_EINVALID);

	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.unseen, 1); /* only uid 2 */
	assert_int_equal(st.size, 3 + 4 + 3 + 4);
}

static void test_changes_since(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	struct store_msg_list snap;
	struct store_changes ch;
	struct store_flags_result res;

	testutil_append(f, in, "1", 0);
	testutil_append(f, in, "2", STORE_FLAG_DELETED);
	testutil_append(f, in, "3", 0);
	assert_int_equal(store_mailbox_snapshot(f->store, in, &snap, NULL),
			 STORE_OK);
	uint64_t seen = snap.highestmodseq;
	assert_int_equal(snap.count, 3);
	assert_int_equal(snap.uidnext, 4);
	store_msg_list_free(&snap);

	assert_int_equal(store_changes_since(f->store, in, seen, &ch, NULL),
			 STORE_OK);
	assert_int_equal(ch.changed.count, 0);
	assert_int_equal(ch.expunged_count, 0);
	assert_int_equal(ch.changed.highestmodseq, seen);
	store_changes_free(&ch);

	struct store_uid_range r3 = { 3, 3 };
	assert_int_equal(store_flags_update(f->store, in, &r3, 1,
					    STORE_FLAGS_ADD, STORE_FLAG_ANSWERED,
					    NULL, 0, NULL, &res, NULL), STORE_OK);
	store_flags_result_free(&res);
	uint32_t *uids;
	size_t n;
	uint64_t emod;
	assert_int_equal(store_expunge(f->store, in, NULL, 0, &uids, &n, &emod,
				       NULL), STORE_OK);
	free(uids);
	testutil_append(f, in, "4", 0);

	assert_int_equal(store_changes_since(f->store, in, seen, &ch, NULL),
			 STORE_OK);
	assert_int_equal(ch.changed.count, 2);
	assert_int_equal(ch.changed.msgs[0].uid, 3);
	assert_int_equal(ch.changed.msgs[0].flags, STORE_FLAG_ANSWERED);
	assert_int_equal(ch.changed.msgs[1].uid, 4);
	assert_int_equal(ch.expunged_count, 1);
	assert_int_equal(ch.expunged[0], 2);
	assert_true(ch.changed.highestmodseq > emod);
	uint64_t next = ch.changed.highestmodseq;
	store_changes_free(&ch);
	assert_int_equal(store_changes_since(f->store, in, emod, &ch, NULL),
			 STORE_OK);
	assert_int_equal(ch.changed.count, 1);
	assert_int_equal(ch.expunged_count, 0);
	store_changes_free(&ch);
	assert_int_equal(store_changes_since(f->store, in, next, &ch, NULL),
			 STORE_OK);
	assert_int_equal(ch.changed.count + ch.expunged_count, 0);
	store_changes_free(&ch);
	assert_int_equal(store_changes_since(f->store, 424242, 0, &ch, NULL),
			 STORE_ENONEXISTENT);
}

static void test_copy_move(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	int64_t arch = testutil_mailbox(f, "Archive");
	struct store_copy_result cr;
	const char *err;

	testutil_append(f, arch, "pre-existing", 0);
	for (int i = 0; i < 5; i++)
		testutil_append(f, in, i == 2 ? "two" : "other",
				i == 1 ? STORE_FLAG_FLAGGED : 0);
	int files = testutil_blob_files(f);
	struct store_uid_range r[2] = { { 4, 5 }, { 2, 3 } };
	assert_int_equal(store_copy(f->store, in, r, 2, arch, &cr, NULL),
			 STORE_OK);
	assert_int_equal(cr.count, 4);
	uint32_t want_src[] = { 2, 3, 4, 5 }, want_dst[] = { 2, 3, 4, 5 };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(cr.src_uids[i], want_src[i]);
		assert_int_equal(cr.dst_uids[i], want_dst[i]);
	}
	struct store_mailbox mb;
	assert_int_equal(store_mailbox_get(f->store, arch, &mb, NULL), STORE_OK);
	assert_int_equal(cr.uidvalidity, mb.uidvalidity);
	store_copy_result_free(&cr);
	assert_int_equal(testutil_blob_files(f), files); /* no bytes copied */
	struct store_uid_range all = { 1, UINT32_MAX };
	struct store_message_list l;
	assert_int_equal(store_messages_get(f->store, arch, &all, 1, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 5);
	assert_int_equal(l.msgs[1].flags, STORE_FLAG_FLAGGED);
	store_message_list_free(&l);

	/* MOVE: copies in order and expunges the sources */
	struct store_uid_range m = { 1, 2 };
	int64_t trash = testutil_mailbox(f, "Trash");
	assert_int_equal(store_move(f->store, in, &m, 1, trash, &cr, NULL),
			 STORE_OK);
	assert_int_equal(cr.count, 2);
	assert_int_equal(cr.src_uids[0], 1);
	assert_int_equal(cr.dst_uids[1], 2);
	store_copy_result_free(&cr);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.messages, 3);
	assert_int_equal(store_mailbox_status(f->store, trash, &st, NULL),
			 STORE_OK);
	assert_int_equal(st.messages, 2);

	assert_int_equal(store_copy(f->store, in, &all, 1, 777777, &cr, &err),
			 STORE_ETRYCREATE);
	assert_int_equal(store_move(f->store, in, &all, 1, in, &cr, &err),
			 STORE_ECANNOT);
	/* nothing matches: OK, empty */
	struct store_uid_range gone = { 1, 2 };
	assert_int_equal(store_copy(f->store, in, &gone, 1, arch, &cr, NULL),
			 STORE_OK);
	assert_int_equal(cr.count, 0);
	store_copy_result_free(&cr);
}

static void test_uid_expunge_subset(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	uint32_t *uids;
	size_t n;

	for (int i = 0; i < 6; i++)
		testutil_append(f, in, "m", i == 0 ? 0 : STORE_FLAG_DELETED);
	/* RFC 4315 UID EXPUNGE 1:3: only \Deleted ones in the set */
	struct store_uid_range r = { 1, 3 };
	assert_int_equal(store_expunge(f->store, in, &r, 1, &uids, &n, NULL,
				       NULL), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 2);
	assert_int_equal(uids[1], 3);
	free(uids);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.deleted, 3);
	assert_int_equal(store_expunge(f->store, in, &r, 1, &uids, &n, NULL,
				       NULL), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(uids);
	assert_int_equal(testutil_blob_files(f), 1);
}

static void test_recent_once(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	uint32_t first;

	testutil_append(f, in, "a", 0);
	testutil_append(f, in, "b", 0);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.recent, 2);
	assert_int_equal(store_mailbox_claim_recent(f->store, in, &first, NULL),
			 STORE_OK);
	assert_int_equal(first, 1);
	assert_int_equal(store_mailbox_claim_recent(f->store, in, &first, NULL),
			 STORE_OK);
	assert_int_equal(first, 3); /* nothing recent for the second session */
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL), STORE_OK);
	assert_int_equal(st.recent, 0);
	testutil_append(f, in, "c", 0);
	assert_int_equal(store_mailbox_claim_recent(f->store, in, &first, NULL),
			 STORE_OK);
	assert_int_equal(first, 3);
}

static void test_snapshot_10000(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	enum { N = 10000, BATCH = 500 };
	struct store_append_msg *m = calloc(BATCH, sizeof(*m));
	char (*bodies)[32] = calloc(BATCH, sizeof(*bodies));
	const char *kw[] = { "$Junk" };

	for (int done = 0; done < N; done += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(bodies[i], sizeof(bodies[i]), "message %d",
				 done + i);
			m[i] = (struct store_append_msg){ .data = bodies[i],
				.fd = -1, .size = strlen(bodies[i]),
				.flags = (done + i) % 3 ? 0 : STORE_FLAG_SEEN,
				.keywords = kw,
				.keyword_count = (done + i) % 7 ? 0 : 1 };
		}
		assert_int_equal(store_append(f->store, in, m, BATCH, NULL,
					      NULL, NULL), STORE_OK);
	}
	free(m);
	free(bodies);
	struct store_msg_list snap;
	assert_int_equal(store_mailbox_snapshot(f->store, in, &snap, NULL),
			 STORE_OK);
	assert_int_equal(snap.count, N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(snap.msgs[i].uid, i + 1);
		assert_int_equal(snap.msgs[i].flags,
				 i % 3 ? 0 : STORE_FLAG_SEEN);
		if (i % 7)
			assert_null(snap.msgs[i].keywords);
		else
			assert_string_equal(snap.msgs[i].keywords, "$Junk");
	}
	assert_int_equal(snap.uidnext, N + 1);
	store_msg_list_free(&snap);
}

/* Summaries come back by UID; a late one is written only for the body it
 * was computed from (same size), and one stored with the append stays. */
static void test_header_summaries(void **state)
{
	struct store_fixture *f = *state;
	int64_t in = testutil_mailbox(f, "INBOX");
	const char *body1 = "Subject: one\r\n\r\nx\r\n";
	const char *body2 = "Subject: two\r\n\r\nyy\r\n";
	int64_t blob1 = 0, blob2 = 0;
	struct store_append_msg m[2] = {
		{ .data = body1, .fd = -1, .size = strlen(body1),
		  .headers = "\x01", .headers_len = 1, .blob_id_r = &blob1 },
		{ .data = body2, .fd = -1, .size = strlen(body2),
		  .blob_id_r = &blob2 },
	};
	uint32_t uids[2];
	assert_int_equal(store_append(f->store, in, m, 2, uids, NULL, NULL),
			 STORE_OK);
	assert_true(blob1 > 0 && blob2 > 0 && blob1 != blob2);

	struct store_uid_range all = { 1, 100 };
	struct store_header_summary_list list;
	assert_int_equal(store_header_summaries_get(f->store, in, &all, &list,
						    NULL), STORE_OK);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].uid, uids[0]);
	assert_int_equal(list.items[0].len, 1);
	store_header_summary_list_free(&list);

	struct store_header_summary_put put[3] = {
		/* the wrong size: another body now has this id */
		{ .blob_id = blob2, .blob_size = strlen(body2) + 1,
		  .data = "\x01\x05", .len = 2 },
		/* already there: kept */
		{ .blob_id = blob1, .blob_size = strlen(body1),
		  .data = "\x01\x05", .len = 2 },
		/* no such blob: skipped */
		{ .blob_id = blob2 + 1000, .blob_size = 1, .data = "\x01",
		  .len = 1 },
	};
	assert_int_equal(store_header_summaries_put(f->store, put, 3, NULL),
			 STORE_OK);
	assert_int_equal(store_header_summaries_get(f->store, in, &all, &list,
						    NULL), STORE_OK);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].len, 1);
	store_header_summary_list_free(&list);

	put[0].blob_size = strlen(body2);
	assert_int_equal(store_header_summaries_put(f->store, put, 1, NULL),
			 STORE_OK);
	assert_int_equal(store_header_summaries_get(f->store, in, &all, &list,
						    NULL), STORE_OK);
	assert_int_equal(list.count, 2);
	assert_int_equal(list.items[1].uid, uids[1]);
	assert_int_equal(list.items[1].len, 2);
	assert_memory_equal(list.items[1].data, "\x01\x05", 2);
	store_header_summary_list_free(&list);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, testutil_setup, \
					      testutil_teardown)
	const struct CMUnitTest tests[] = {
		T(test_append_read_back),
		T(test_append_empty_and_twins),
		T(test_append_errors),
		T(test_append_from_fd),
		T(test_dedupe_and_free),
		T(test_flags_and_modseq),
		T(test_changes_since),
		T(test_copy_move),
		T(test_uid_expunge_subset),
		T(test_recent_once),
		T(test_snapshot_10000),
		T(test_header_summaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
