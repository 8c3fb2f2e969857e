/* Users and mailboxes of store.h: accounts, default mailboxes, and the
 * RFC 3501 CREATE / DELETE / RENAME / SUBSCRIBE rules. */
#include "store-testutil.h"

static const struct store_mailbox_entry *
find_entry(const struct store_mailbox_list *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->entries[i].name, name) == 0)
			return &l->entries[i];
	}
	return NULL;
}

static void test_user_defaults(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox_list l;

	assert_int_equal(store_mailbox_list(f->store, f->user_id, &l, NULL),
			 STORE_OK);
	assert_int_equal(l.count, 6);
	static const struct { const char *name; uint32_t use; } want[] = {
		{ "INBOX", 0 }, { "Drafts", STORE_MBOX_DRAFTS },
		{ "Sent", STORE_MBOX_SENT }, { "Trash", STORE_MBOX_TRASH },
		{ "Junk", STORE_MBOX_JUNK }, { "Archive", STORE_MBOX_ARCHIVE },
	};
	for (size_t i = 0; i < 6; i++) {
		const struct store_mailbox_entry *e = find_entry(&l, want[i].name);
		assert_non_null(e);
		assert_int_equal(e->attrs & STORE_MBOX_SPECIAL_USE_MASK,
				 want[i].use);
		assert_true(e->attrs & STORE_MBOX_SUBSCRIBED);
		assert_false(e->attrs & STORE_MBOX_NOSELECT);
	}
	store_mailbox_list_free(&l);

	/* uidvalidity differs between mailboxes */
	struct store_mailbox a, b;
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "inbox", &a,
					      NULL), STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "Sent", &b,
					      NULL), STORE_OK);
	assert_int_not_equal(a.uidvalidity, b.uidvalidity);
	assert_int_equal(a.uidnext, 1);
}

static void test_user_accounts(void **state)
{
	struct store_fixture *f = *state;
	struct store_user u;
	const char *err;
	struct store_scram scram = { .salt = (uint8_t *)"saltsalt",
				     .salt_len = 8, .iterations = 4096 };
	memset(scram.stored_key, 0xab, 32);
	memset(scram.server_key, 0xcd, 32);

	assert_false(store_user_name_valid("", NULL));
	assert_false(store_user_name_valid("a b", NULL));
	assert_false(store_user_name_valid("a/b", NULL));
	assert_false(store_user_name_valid("a\tb", NULL));
	assert_false(store_user_name_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		NULL));
	assert_true(store_user_name_valid("bob@example.org", NULL));
	assert_int_equal(store_user_add(f->store, "bad name", "h", NULL, NULL,
					&err), STORE_EINVALID);
	assert_int_equal(store_user_add(f->store, "ALICE", "h", NULL, NULL,
					&err), STORE_EALREADYEXISTS);
	assert_int_equal(store_user_add(f->store, "bob", "h1", &scram, NULL,
					NULL), STORE_OK);

	assert_int_equal(store_user_get(f->store, "Bob", &u, NULL), STORE_OK);
	assert_string_equal(u.name, "bob");
	assert_string_equal(u.password_hash, "h1");
	assert_true(u.has_scram);
	assert_int_equal(u.scram.iterations, 4096);
	assert_memory_equal(u.scram.salt, "saltsalt", 8);
	assert_int_equal(u.scram.stored_key[31], 0xab);
	assert_int_equal(u.scram.server_key[0], 0xcd);
	store_user_free(&u);

	assert_int_equal(store_user_set_password(f->store, "bob", "h2", NULL,
						 NULL), STORE_OK);
	assert_int_equal(store_user_get(f->store, "bob", &u, NULL), STORE_OK);
	assert_string_equal(u.password_hash, "h2");
	assert_false(u.has_scram);
	store_user_free(&u);
	assert_int_equal(store_user_set_password(f->store, "nobody", "h", NULL,
						 NULL), STORE_ENONEXISTENT);
	assert_int_equal(store_user_get(f->store, "nobody", &u, &err),
			 STORE_ENONEXISTENT);

	char **names;
	size_t n;
	assert_int_equal(store_user_list(f->store, &names, &n, NULL), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "alice");
	assert_string_equal(names[1], "bob");
	assert_null(names[2]);
	store_strings_free(names);
}

static void test_user_delete_frees_blobs(void **state)
{
	struct store_fixture *f = *state;
	int64_t bob;

	assert_int_equal(store_user_add(f->store, "bob", "h", NULL, &bob, NULL),
			 STORE_OK);
	struct store_mailbox inbox;
	assert_int_equal(store_mailbox_lookup(f->store, bob, "INBOX", &inbox,
					      NULL), STORE_OK);
	struct store_append_msg m = { .data = "Subject: x\r\n\r\nbob only\r\n",
				      .fd = -1 };
	m.size = strlen(m.data);
	assert_int_equal(store_append(f->store, inbox.id, &m, 1, NULL, NULL,
				      NULL), STORE_OK);
	/* the same body for alice: shared until bob goes */
	testutil_append(f, testutil_mailbox(f, "INBOX"), m.data, 0);
	m.data = "Subject: y\r\n\r\nsecond\r\n";
	m.size = strlen(m.data);
	assert_int_equal(store_append(f->store, inbox.id, &m, 1, NULL, NULL,
				      NULL), STORE_OK);
	assert_int_equal(testutil_blob_files(f), 2);

	assert_int_equal(store_user_delete(f->store, "bob", NULL), STORE_OK);
	assert_int_equal(testutil_blob_files(f), 1);
	assert_int_equal(store_user_delete(f->store, "bob", NULL),
			 STORE_ENONEXISTENT);
	assert_int_equal(store_mailbox_get(f->store, inbox.id, &inbox, NULL),
			 STORE_ENONEXISTENT);
}

static void test_name_normalize(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;

	assert_int_equal(store_mailbox_name_normalize("inbox", &b), STORE_OK);
	assert_string_equal(buf_cstr(&b), "INBOX");
	assert_int_equal(store_mailbox_name_normalize("InBoX/Child/", &b),
			 STORE_OK);
	assert_string_equal(buf_cstr(&b), "INBOX/Child");
	assert_int_equal(store_mailbox_name_normalize("inboxes", &b), STORE_OK);
	assert_string_equal(buf_cstr(&b), "inboxes");
	assert_int_equal(store_mailbox_name_normalize("", &b), STORE_EINVALID);
	assert_int_equal(store_mailbox_name_normalize("/", &b), STORE_EINVALID);
	assert_int_equal(store_mailbox_name_normalize("a//b", &b),
			 STORE_EINVALID);
	assert_int_equal(store_mailbox_name_normalize("/a", &b), STORE_EINVALID);
	assert_int_equal(store_mailbox_name_normalize("a\nb", &b),
			 STORE_EINVALID);
	buf_free(&b);
}

static void test_create(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox_list l;
	const char *err;
	int64_t id;

	assert_int_equal(store_mailbox_create(f->store, f->user_id, "a/b/c", 0,
					      &id, NULL), STORE_OK);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "a/b", 0,
					      NULL, &err), STORE_EALREADYEXISTS);
	assert_string_equal(store_error_code(STORE_EALREADYEXISTS),
			    "ALREADYEXISTS");
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "inbox", 0,
					      NULL, NULL), STORE_EALREADYEXISTS);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "x/", 0,
					      NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "inbox/kid",
					      0, NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "a%_", 0,
					      NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "a!", 0,
					      NULL, NULL), STORE_OK);

	assert_int_equal(store_mailbox_list(f->store, f->user_id, &l, NULL),
			 STORE_OK);
	assert_non_null(find_entry(&l, "x"));
	assert_non_null(find_entry(&l, "INBOX/kid"));
	assert_true(find_entry(&l, "a")->attrs & STORE_MBOX_HASCHILDREN);
	assert_true(find_entry(&l, "a/b")->attrs & STORE_MBOX_HASCHILDREN);
	assert_false(find_entry(&l, "a/b/c")->attrs & STORE_MBOX_HASCHILDREN);
	assert_true(find_entry(&l, "INBOX")->attrs & STORE_MBOX_HASCHILDREN);
	assert_false(find_entry(&l, "a!")->attrs & STORE_MBOX_HASCHILDREN);
	assert_false(find_entry(&l, "a%_")->attrs & STORE_MBOX_HASCHILDREN);
	assert_false(find_entry(&l, "a/b")->attrs & STORE_MBOX_SUBSCRIBED);
	for (size_t i = 1; i < l.count; i++)
		assert_true(strcmp(l.entries[i - 1].name, l.entries[i].name) < 0);
	store_mailbox_list_free(&l);
}

static void test_delete(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox mb;
	const char *err;

	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "INBOX",
					      &err), STORE_ECANNOT);
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "nope",
					      &err), STORE_ENONEXISTENT);
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "p/q", 0,
					      NULL, NULL), STORE_OK);
	int64_t p = testutil_mailbox(f, "p");
	testutil_append(f, p, "Subject: in parent\r\n\r\nbody\r\n", 0);
	assert_int_equal(testutil_blob_files(f), 1);
	struct store_mailbox before;
	assert_int_equal(store_mailbox_get(f->store, p, &before, NULL), STORE_OK);

	/* RFC 3501 6.3.4: with children, messages go and it turns \Noselect */
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "p", NULL),
			 STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "p", &mb,
					      NULL), STORE_OK);
	assert_true(mb.attrs & STORE_MBOX_NOSELECT);
	assert_int_equal(testutil_blob_files(f), 0);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, p, &st, NULL), STORE_OK);
	assert_int_equal(st.messages, 0);
	struct store_append_msg m = { .data = "x", .fd = -1, .size = 1 };
	assert_int_equal(store_append(f->store, p, &m, 1, NULL, NULL, NULL),
			 STORE_ECANNOT);
	/* a \Noselect with children cannot be deleted */
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "p", &err),
			 STORE_ECANNOT);
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "p/q", NULL),
			 STORE_OK);
	/* a \Noselect without children is removed */
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "p", NULL),
			 STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "p", &mb,
					      NULL), STORE_ENONEXISTENT);

	/* uidvalidity never reused after delete + create */
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "p", 0,
					      NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "p", &mb,
					      NULL), STORE_OK);
	assert_true(mb.uidvalidity > before.uidvalidity);
	assert_false(mb.attrs & STORE_MBOX_NOSELECT);
}

static void test_rename(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox mb, old;
	const char *err;

	assert_int_equal(store_mailbox_create(f->store, f->user_id, "foo/bar",
					      0, NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "foo/bar",
					      &old, NULL), STORE_OK);
	testutil_append(f, old.id, "Subject: a\r\n\r\n1\r\n", 0);
	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "foo",
					      "zap/zowie", NULL), STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "foo", &mb,
					      NULL), STORE_ENONEXISTENT);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id,
					      "zap/zowie/bar", &mb, NULL),
			 STORE_OK);
	/* same mailbox: id, uidvalidity and messages kept */
	assert_int_equal(mb.id, old.id);
	assert_int_equal(mb.uidvalidity, old.uidvalidity);
	assert_int_equal(mb.uidnext, 2);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "zap", &mb,
					      NULL), STORE_OK);

	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "nope", "x",
					      &err), STORE_ENONEXISTENT);
	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "Sent",
					      "Trash", &err),
			 STORE_EALREADYEXISTS);
	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "Sent",
					      "inbox", &err),
			 STORE_EALREADYEXISTS);
	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "zap",
					      "zap/in", &err), STORE_ECANNOT);
	/* a child's target taken */
	assert_int_equal(store_mailbox_create(f->store, f->user_id, "q", 0,
					      NULL, NULL), STORE_OK);
	assert_int_equal(store_mailbox_create(f->store, f->user_id,
					      "zap2/zowie", 0, NULL, NULL),
			 STORE_OK);
	assert_int_equal(store_mailbox_delete(f->store, f->user_id, "zap2",
					      NULL), STORE_OK);
	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "zap",
					      "zap2", &err),
			 STORE_EALREADYEXISTS);
}

static void test_rename_inbox(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox inbox, moved;
	int64_t in = testutil_mailbox(f, "INBOX");

	assert_int_equal(store_mailbox_create(f->store, f->user_id,
					      "INBOX/child", 0, NULL, NULL),
			 STORE_OK);
	testutil_append(f, in, "Subject: 1\r\n\r\none\r\n", STORE_FLAG_SEEN);
	testutil_append(f, in, "Subject: 2\r\n\r\ntwo\r\n", 0);
	assert_int_equal(store_mailbox_get(f->store, in, &inbox, NULL),
			 STORE_OK);

	assert_int_equal(store_mailbox_rename(f->store, f->user_id, "INBOX",
					      "INBOX/old", NULL), STORE_OK);
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, "INBOX/old",
					      &moved, NULL), STORE_OK);
	assert_int_not_equal(moved.uidvalidity, inbox.uidvalidity);
	struct store_mailbox_status st;
	assert_int_equal(store_mailbox_status(f->store, moved.id, &st, NULL),
			 STORE_OK);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.unseen, 1);
	assert_int_equal(store_mailbox_status(f->store, in, &st, NULL),
			 STORE_OK);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidvalidity, inbox.uidvalidity);
	assert_int_equal(st.uidnext, 3);
	/* sessions on INBOX learn the expunges */
	struct store_changes ch;
	assert_int_equal(store_changes_since(f->store, in, inbox.highestmodseq,
					     &ch, NULL), STORE_OK);
	assert_int_equal(ch.expunged_count, 2);
	store_changes_free(&ch);
	/* children of INBOX unaffected */
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id,
					      "INBOX/child", &moved, NULL),
			 STORE_OK);
}

static void test_subscriptions(void **state)
{
	struct store_fixture *f = *state;
	struct store_mailbox_list l;

	assert_int_equal(store_mailbox_subscribe(f->store, f->user_id, "ghost",
						 true, NULL), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->store, f->user_id, "ghost",
						 true, NULL), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->store, f->user_id, "Sent",
						 false, NULL), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->store, f->user_id, "Sent",
						 false, NULL), STORE_ENONEXISTENT);
	assert_int_equal(store_mailbox_list(f->store, f->user_id, &l, NULL),
			 STORE_OK);
	const struct store_mailbox_entry *e = find_entry(&l, "ghost");
	assert_non_null(e);
	assert_int_equal(e->attrs, STORE_MBOX_SUBSCRIBED | STORE_MBOX_NONEXISTENT);
	assert_int_equal(e->id, 0);
	assert_false(find_entry(&l, "Sent")->attrs & STORE_MBOX_SUBSCRIBED);
	store_mailbox_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_defaults,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_user_accounts,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_user_delete_frees_blobs,
			testutil_setup, testutil_teardown),
		cmocka_unit_test(test_name_normalize),
		cmocka_unit_test_setup_teardown(test_create,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_delete,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_rename,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_rename_inbox,
			testutil_setup, testutil_teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions,
			testutil_setup, testutil_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
