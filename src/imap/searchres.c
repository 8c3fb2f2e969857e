#include "imap/searchres.h"

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
	if (res == NULL || res->count == 0 || mailbox_view_count(view) == 0)
		return 0;
	uint32_t *seqs = xmalloc(res->count * sizeof(*seqs));
	size_t n = 0;
	for (size_t i = 0; i < res->count; i++) {
		uint32_t seq = mailbox_view_seq_of(view, res->uids[i]);
		if (seq != 0)
			seqs[n++] = seq;
	}
	if (n == 0) {
		free(seqs);
		seqs = NULL;
	}
	*seqs_r = seqs;
	*count_r = n;
	return 0;
}

struct searchres *searchres_of(struct session *s)
{
	return s->view != NULL ? &s->view->searchres : NULL;
}
