#include "imap/searchres.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "imap/session.h"
#include "imap/view.h"

void searchres_set(struct searchres *res, const uint32_t *uids, size_t count)
{
	free(res->uids);
	res->uids = count > 0 ? xmemdup(uids, count * sizeof(*uids)) : NULL;
	res->count = count;
}

void searchres_clear(struct searchres *res)
{
	free(res->uids);
	res->uids = NULL;
	res->count = 0;
}

bool searchres_contains(const struct searchres *res, uint32_t uid)
{
	size_t lo = 0, hi = res->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (res->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < res->count && res->uids[lo] == uid;
}

bool searchres_is_dollar(const char *set, size_t len)
{
	return len == 1 && set[0] == '$';
}

int searchres_resolve(const struct mailbox_view *view,
		      const struct searchres *res, uint32_t **seqs_r,
		      size_t *count_r)
{
	*seqs_r = NULL;
	*count_r = 0;
	if (res == NULL || res->count == 0 || view->count == 0)
		return 0;
	uint32_t *seqs = xmalloc(res->count * sizeof(*seqs));
	size_t n = 0, v = 0;
	/* Both ascend by UID: one merge pass. */
	for (size_t i = 0; i < res->count && v < view->count; i++) {
		while (v < view->count && view->msgs[v].uid < res->uids[i])
			v++;
		if (v < view->count && view->msgs[v].uid == res->uids[i])
			seqs[n++] = (uint32_t)(v + 1);
	}
	if (n == 0) {
		free(seqs);
		seqs = NULL;
	}
	*seqs_r = seqs;
	*count_r = n;
	return 0;
}

/* The interim side table (see the header): a few entries per worker
 * thread's sessions, so a linear scan under one lock is enough. */
struct side_entry {
	const struct session *session;
	const struct mailbox_view *view;
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct searchres *res;	/* heap: stays put when the table grows */
};

static pthread_mutex_t side_lock = PTHREAD_MUTEX_INITIALIZER;
static struct side_entry *side;
static size_t side_count, side_cap;

struct searchres *searchres_of(struct session *s)
{
	struct side_entry *e = NULL;

	pthread_mutex_lock(&side_lock);
	for (size_t i = 0; i < side_count && e == NULL; i++) {
		if (side[i].session == s)
			e = &side[i];
	}
	if (e == NULL) {
		if (side_count == side_cap) {
			side_cap = side_cap ? side_cap * 2 : 16;
			side = xrealloc(side, side_cap * sizeof(*side));
		}
		e = &side[side_count++];
		memset(e, 0, sizeof(*e));
		e->session = s;
		e->res = xcalloc(1, sizeof(*e->res));
	}
	const struct mailbox_view *view = s->view;
	if (e->view != view || view == NULL || e->mailbox_id != view->mailbox_id ||
	    e->uidvalidity != view->uidvalidity) {
		/* RFC 5182 2.1: a new mailbox starts with an empty "$". */
		searchres_clear(e->res);
		e->view = view;
		e->mailbox_id = view != NULL ? view->mailbox_id : 0;
		e->uidvalidity = view != NULL ? view->uidvalidity : 0;
	}
	struct searchres *res = e->res;
	pthread_mutex_unlock(&side_lock);
	return res;
}

void searchres_forget(struct session *s)
{
	pthread_mutex_lock(&side_lock);
	for (size_t i = 0; i < side_count; i++) {
		if (side[i].session == s) {
			searchres_clear(side[i].res);
			free(side[i].res);
			side[i] = side[--side_count];
			break;
		}
	}
	pthread_mutex_unlock(&side_lock);
}
