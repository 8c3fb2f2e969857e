/* The compact message list of a selected-mailbox view: UID runs, one flag
 * byte, keywords and noted modseqs in side tables. Every case is checked
 * against a plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imap/view-msgs.h"
#include "store/store.h"

/* The obvious representation the compact one must agree with. */
struct model {
	uint32_t uids[4096];
	uint8_t flags[4096];
	const char *keywords[4096];
	uint32_t count;
};

static void model_append(struct model *mo, struct view_msgs *m, uint32_t uid,
			 uint8_t flags, const char *keywords)
{
	mo->uids[mo->count] = uid;
	mo->flags[mo->count] = flags;
	mo->keywords[mo->count] = keywords != NULL && *keywords != '\0' ? keywords : NULL;
	mo->count++;
	view_msgs_append(m, uid, flags, keywords);
}

/* Compares every accessor with the model. */
static void check(const struct model *mo, const struct view_msgs *m)
{
	assert_int_equal(m->count, mo->count);
	assert_int_equal(view_msgs_last_uid(m), mo->count ? mo->uids[mo->count - 1] : 0);
	for (uint32_t i = 0; i < mo->count; i++) {
		uint32_t index = UINT32_MAX;
		assert_int_equal(view_msgs_uid(m, i), mo->uids[i]);
		assert_int_equal(view_msgs_flags(m, i), mo->flags[i]);
		assert_true(view_msgs_find(m, mo->uids[i], &index));
		assert_int_equal(index, i);
		assert_int_equal(view_msgs_lower_bound(m, mo->uids[i]), i);
		const char *kw = view_msgs_keywords(m, i);
		if (mo->keywords[i] == NULL)
			assert_null(kw);
		else
			assert_string_equal(kw, mo->keywords[i]);
	}
	/* UIDs not in the list: below, in every gap, above. */
	uint32_t index;
	uint32_t top = mo->count ? mo->uids[mo->count - 1] : 0;
	for (uint32_t uid = 0, i = 0; uid <= top + 2; uid++) {
		while (i < mo->count && mo->uids[i] < uid)
			i++;
		bool present = i < mo->count && mo->uids[i] == uid;
		assert_int_equal(view_msgs_find(m, uid, &index), present);
		assert_int_equal(view_msgs_lower_bound(m, uid), i);
	}
	assert_int_equal(view_msgs_lower_bound(m, UINT32_MAX), mo->count);
}

static void test_empty(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	struct model mo = { .count = 0 };
	uint32_t index;
	check(&mo, &m);
	assert_false(view_msgs_find(&m, 1, &index));
	assert_int_equal(view_msgs_remove_expunged(&m), 0);
	view_msgs_free(&m);
	view_msgs_free(&m);	/* twice is fine */
}

static void test_runs(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	struct model *mo = calloc(1, sizeof(*mo));
	/* 1..100, a gap, 200..250, single UIDs, then a long run again. */
	for (uint32_t uid = 1; uid <= 100; uid++)
		model_append(mo, &m, uid, (uint8_t)(uid % 3 ? STORE_FLAG_SEEN : 0), NULL);
	for (uint32_t uid = 200; uid <= 250; uid++)
		model_append(mo, &m, uid, STORE_FLAG_FLAGGED, NULL);
	model_append(mo, &m, 300, 0, NULL);
	model_append(mo, &m, 302, VIEW_FLAG_RECENT, NULL);
	model_append(mo, &m, 304, STORE_FLAGS_ALL | VIEW_FLAG_RECENT, NULL);
	for (uint32_t uid = 1000; uid < 1500; uid++)
		model_append(mo, &m, uid, 0, NULL);
	check(mo, &m);
	assert_int_equal(m.run_count, 6);
	/* One byte per message and one run per gap: far below 24 B each. */
	assert_true(view_msgs_memory(&m) < mo->count * 2);
	view_msgs_free(&m);
	free(mo);
}

static void test_flags_keep_keyword_bit(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	view_msgs_append(&m, 5, STORE_FLAG_SEEN, "$Work");
	view_msgs_set_flags(&m, 0, STORE_FLAG_DELETED | VIEW_FLAG_EXPUNGED);
	assert_int_equal(view_msgs_flags(&m, 0), STORE_FLAG_DELETED | VIEW_FLAG_EXPUNGED);
	/* Setting flags never drops the keywords, nor leaks the private bit. */
	assert_string_equal(view_msgs_keywords(&m, 0), "$Work");
	view_msgs_set_flags(&m, 0, 0);
	assert_int_equal(view_msgs_flags(&m, 0), 0);
	assert_string_equal(view_msgs_keywords(&m, 0), "$Work");
	view_msgs_free(&m);
}

static void test_keywords(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	struct model *mo = calloc(1, sizeof(*mo));
	for (uint32_t uid = 1; uid <= 50; uid++)
		model_append(mo, &m, uid, 0, uid % 10 == 0 ? "$Label1 Work" : "");
	check(mo, &m);
	assert_int_equal(m.kw_count, 5);
	/* Set in the middle, before and after existing entries. */
	view_msgs_set_keywords(&m, 4, "a");
	mo->keywords[4] = "a";
	view_msgs_set_keywords(&m, 0, "first");
	mo->keywords[0] = "first";
	view_msgs_set_keywords(&m, 49, "$Label1");	/* replace */
	mo->keywords[49] = "$Label1";
	view_msgs_set_keywords(&m, 9, NULL);		/* remove */
	mo->keywords[9] = NULL;
	view_msgs_set_keywords(&m, 19, "");		/* remove */
	mo->keywords[19] = NULL;
	view_msgs_set_keywords(&m, 20, NULL);		/* none to remove */
	check(mo, &m);
	assert_int_equal(m.kw_count, 5);
	for (uint32_t i = 0; i < m.kw_count; i++)
		assert_true(i == 0 || m.kw[i - 1].uid < m.kw[i].uid);
	view_msgs_free(&m);
	free(mo);
}

/* Marks every index where pick(i) holds as expunged, removes them, and
 * checks the result against the model with the same removal. */
static void expunge_where(struct model *mo, struct view_msgs *m,
			  bool (*pick)(uint32_t uid))
{
	uint32_t recent = 0, kept = 0;
	for (uint32_t i = 0; i < mo->count; i++) {
		if (pick(mo->uids[i])) {
			view_msgs_set_flags(m, i, (uint8_t)(mo->flags[i] | VIEW_FLAG_EXPUNGED));
			if (mo->flags[i] & VIEW_FLAG_RECENT)
				recent++;
			continue;
		}
		mo->uids[kept] = mo->uids[i];
		mo->flags[kept] = mo->flags[i];
		mo->keywords[kept] = mo->keywords[i];
		kept++;
	}
	mo->count = kept;
	assert_int_equal(view_msgs_remove_expunged(m), recent);
	check(mo, m);
}

static bool pick_every_third(uint32_t uid) { return uid % 3 == 0; }
static bool pick_first_and_last(uint32_t uid) { return uid == 1 || uid == 400; }
static bool pick_run_middle(uint32_t uid) { return uid >= 100 && uid < 300; }
static bool pick_all(uint32_t uid) { (void)uid; return true; }

static void test_remove_expunged(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	struct model *mo = calloc(1, sizeof(*mo));
	for (uint32_t uid = 1; uid <= 400; uid++)
		model_append(mo, &m, uid, (uint8_t)(uid > 390 ? VIEW_FLAG_RECENT : 0),
			     uid % 7 == 0 ? "k" : NULL);
	view_msgs_note_modseq(&m, 3, 77);
	view_msgs_note_modseq(&m, 4, 78);
	expunge_where(mo, &m, pick_first_and_last);
	expunge_where(mo, &m, pick_run_middle);
	expunge_where(mo, &m, pick_every_third);
	/* Keywords and noted modseqs of removed messages go with them. */
	assert_int_equal(view_msgs_noted_modseq(&m, 3), 0);
	assert_int_equal(view_msgs_noted_modseq(&m, 4), 78);
	for (uint32_t i = 0; i < m.kw_count; i++) {
		uint32_t index;
		assert_true(view_msgs_find(&m, m.kw[i].uid, &index));
	}
	/* New messages go on after removals, extending the last run. */
	uint32_t runs = m.run_count;
	model_append(mo, &m, 401, 0, NULL);
	assert_int_equal(m.run_count, runs + 1);	/* 400 was removed */
	model_append(mo, &m, 402, 0, "new");
	assert_int_equal(m.run_count, runs + 1);
	check(mo, &m);
	expunge_where(mo, &m, pick_all);
	assert_int_equal(m.run_count, 0);
	assert_int_equal(m.kw_count, 0);
	model_append(mo, &m, 500, STORE_FLAG_SEEN, NULL);
	check(mo, &m);
	view_msgs_free(&m);
	free(mo);
}

static void test_noted_modseqs(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	for (uint32_t uid = 1; uid <= 10; uid++)
		view_msgs_append(&m, uid, 0, NULL);
	assert_int_equal(view_msgs_noted_modseq(&m, 5), 0);
	view_msgs_note_modseq(&m, 5, 100);
	view_msgs_note_modseq(&m, 2, 90);
	view_msgs_note_modseq(&m, 9, 120);
	view_msgs_note_modseq(&m, 5, 95);	/* older: kept at 100 */
	assert_int_equal(view_msgs_noted_modseq(&m, 5), 100);
	view_msgs_note_modseq(&m, 5, 130);
	assert_int_equal(view_msgs_noted_modseq(&m, 5), 130);
	view_msgs_forget_modseqs(&m, 120);
	assert_int_equal(view_msgs_noted_modseq(&m, 2), 0);
	assert_int_equal(view_msgs_noted_modseq(&m, 9), 0);
	assert_int_equal(view_msgs_noted_modseq(&m, 5), 130);
	view_msgs_forget_modseqs(&m, 130);
	assert_int_equal(m.noted_count, 0);
	/* An idle view keeps no table once the sync passed every entry. */
	assert_null(m.noted);
	view_msgs_free(&m);
}

static void test_reserve_is_exact(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	view_msgs_reserve(&m, 1000);
	for (uint32_t uid = 1; uid <= 1000; uid++)
		view_msgs_append(&m, uid, STORE_FLAG_SEEN, NULL);
	assert_int_equal(m.flags_cap, 1000);
	assert_int_equal(m.run_count, 1);
	/* 1,000 messages in one run: about a kilobyte in all. */
	assert_true(view_msgs_memory(&m) < 1100);
	view_msgs_free(&m);
}

static void test_large_uids(void **state)
{
	(void)state;
	struct view_msgs m = { 0 };
	struct model *mo = calloc(1, sizeof(*mo));
	model_append(mo, &m, UINT32_MAX - 5, 0, NULL);
	model_append(mo, &m, UINT32_MAX - 4, 0, NULL);
	model_append(mo, &m, UINT32_MAX - 1, 0, NULL);
	assert_int_equal(m.count, 3);
	assert_int_equal(m.run_count, 2);
	uint32_t index;
	assert_true(view_msgs_find(&m, UINT32_MAX - 1, &index));
	assert_int_equal(index, 2);
	assert_false(view_msgs_find(&m, UINT32_MAX, &index));
	assert_false(view_msgs_find(&m, UINT32_MAX - 3, &index));
	assert_int_equal(view_msgs_lower_bound(&m, UINT32_MAX - 3), 2);
	assert_int_equal(view_msgs_lower_bound(&m, UINT32_MAX), 3);
	assert_int_equal(view_msgs_last_uid(&m), UINT32_MAX - 1);
	view_msgs_free(&m);
	free(mo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_flags_keep_keyword_bit),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_remove_expunged),
		cmocka_unit_test(test_noted_modseqs),
		cmocka_unit_test(test_reserve_is_exact),
		cmocka_unit_test(test_large_uids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
