/*
 * Helpers shared by the tests/unit/test-store-*.c files: a temporary data
 * dir under /tmp, removed at the end, and a store with one user.
 */
#ifndef QUIRE_TESTS_STORE_TESTUTIL_H
#define QUIRE_TESTS_STORE_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

struct store_fixture {
	char dir[64];
	struct store *store;
	int64_t user_id;
};

static int testutil_rm(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void testutil_rmrf(const char *dir)
{
	nftw(dir, testutil_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline struct store *testutil_open(const char *dir)
{
	struct store *s = NULL;
	char *error = NULL;
	int ret = store_open(dir, &s, &error);
	if (ret != STORE_OK)
		fprintf(stderr, "store_open: %s\n", error ? error : "?");
	assert_int_equal(ret, STORE_OK);
	assert_non_null(s);
	free(error);
	return s;
}

static inline int testutil_setup(void **state)
{
	struct store_fixture *f = calloc(1, sizeof(*f));
	/* mkdtemp wants the name to end in six 'X' */
	int n = snprintf(f->dir, sizeof(f->dir), "/tmp/quire-store-");
	memset(f->dir + n, 'X', 6);
	f->dir[n + 6] = '\0';
	assert_non_null(mkdtemp(f->dir));
	f->store = testutil_open(f->dir);
	assert_int_equal(store_user_add(f->store, "alice", "$6$x$hash", NULL,
					&f->user_id, NULL), STORE_OK);
	*state = f;
	return 0;
}

static inline int testutil_teardown(void **state)
{
	struct store_fixture *f = *state;
	store_close(&f->store);
	testutil_rmrf(f->dir);
	free(f);
	return 0;
}

static inline int64_t testutil_mailbox(struct store_fixture *f,
				       const char *name)
{
	struct store_mailbox mb;
	assert_int_equal(store_mailbox_lookup(f->store, f->user_id, name, &mb,
					      NULL), STORE_OK);
	return mb.id;
}

/* Appends one message from memory; returns its uid. */
static inline uint32_t testutil_append(struct store_fixture *f, int64_t mbox,
				       const char *body, uint32_t flags)
{
	struct store_append_msg m = { .data = body, .fd = -1,
				      .size = strlen(body), .flags = flags };
	uint32_t uid = 0;
	const char *error = NULL;
	int ret = store_append(f->store, mbox, &m, 1, &uid, NULL, &error);
	if (ret != STORE_OK)
		fprintf(stderr, "append: %s\n", error);
	assert_int_equal(ret, STORE_OK);
	return uid;
}

/* Number of files under data_dir/blobs. */
static int testutil_blob_files_count;
static int testutil_count_file(const char *path, const struct stat *st,
			       int flag, struct FTW *ftw)
{
	(void)path; (void)st; (void)ftw;
	if (flag == FTW_F)
		testutil_blob_files_count++;
	return 0;
}

static inline int testutil_blob_files(struct store_fixture *f)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/blobs", f->dir);
	testutil_blob_files_count = 0;
	nftw(path, testutil_count_file, 16, FTW_PHYS);
	return testutil_blob_files_count;
}

#endif
