/*
 * The CONDSTORE and QRESYNC side of the selected-mailbox view (RFC 7162):
 * becoming CONDSTORE-aware, and the resynchronisation of SELECT/EXAMINE
 * (QRESYNC ...). The view keeps no per-message modseq: "changed since n"
 * and the expunges after n are one store query (store_changes_since).
 */
#include <stdlib.h>
#include <string.h>

#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

void mailbox_view_enable_condstore(struct session *s)
{
	if (s->enabled_condstore)
		return;
	s->enabled_condstore = true;
	/* RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox
	 * selected returns its HIGHESTMODSEQ. */
	if (s->view != NULL)
		session_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
				 (unsigned long long)s->view->modseq);
}

void mailbox_view_write_vanished_earlier(const uint32_t *uids, size_t count,
					 struct buf *out)
{
	if (count == 0)
		return;
	buf_append_str(out, "* VANISHED (EARLIER) ");
	seqset_format_array(out, uids, count);
	buf_append_str(out, "\r\n");
}

/* n in a normalized set without "*" (the caller normalized it): binary
 * search, so a long known-uids list costs log n per message. */
static bool set_has(const struct seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->ranges[mid].hi < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->count && set->ranges[lo].lo <= n;
}

/*
 * RFC 7162 3.2.5.2: the client knows of every expunge up to the last pair
 * (seq, uid) of the match data that still holds, counting from the first;
 * the first pair that does not hold ends the walk. Returns the lowest UID
 * VANISHED (EARLIER) must still cover.
 */
static uint32_t qresync_first_unknown_uid(const struct mailbox_view *view,
					  const struct mailbox_view_qresync *q)
{
	uint32_t first = 1;
	for (size_t i = 0; i < q->match_count; i++) {
		uint32_t seq = q->match_seqs[i], uid = q->match_uids[i];
		if (seq == 0 || seq > mailbox_view_count(view) ||
		    mailbox_view_uid(view, seq) != uid)
			break;
		first = uid == UINT32_MAX ? uid : uid + 1;
	}
	return first;
}

int mailbox_view_qresync(struct session *s, const struct mailbox_view_qresync *q,
			 const char **error_r)
{
	struct mailbox_view *view = s->view;
	struct store_changes changes;

	/* RFC 7162 3.2.5: another UIDVALIDITY means the client's cache is
	 * void; the parameters are ignored. */
	if (q->uidvalidity != view->uidvalidity)
		return 0;
	int r = store_changes_since(session_store(s), view->mailbox_id,
				    q->modseq, &changes, error_r);
	if (r != STORE_OK)
		return r;
	uint32_t *uids = changes.expunged;
	size_t count = changes.expunged_count;
	uint32_t first = qresync_first_unknown_uid(view, q);
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		/* A message expunged after the view was read is still in
		 * it: the next sync announces it as VANISHED proper. */
		if (uids[i] < first || mailbox_view_seq_of(view, uids[i]) != 0 ||
		    (q->known_uids != NULL && !set_has(q->known_uids, uids[i])))
			continue;
		uids[n++] = uids[i];
	}
	struct buf out = BUF_INIT;
	/* RFC 7162 3.2.6: VANISHED (EARLIER) before any FETCH. */
	mailbox_view_write_vanished_earlier(uids, n, &out);
	for (size_t i = 0; i < changes.changed.count; i++) {
		const struct store_msg *m = &changes.changed.msgs[i];
		/* A message newer than the view is announced by the next
		 * sync, as any new message. */
		uint32_t seq = mailbox_view_seq_of(view, m->uid);
		if (seq == 0 ||
		    (q->known_uids != NULL && !set_has(q->known_uids, m->uid)))
			continue;
		mailbox_view_write_flag_update(s, seq, true, m->modseq, &out);
		if (out.len >= 65536) {
			session_write(s, out.data, out.len);
			buf_reset(&out);
		}
	}
	session_write(s, out.data, out.len);
	buf_free(&out);
	store_changes_free(&changes);
	return 0;
}
