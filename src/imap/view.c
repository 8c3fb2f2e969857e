/*
 * The selected mailbox view and its synchronisation with the store
 * (RFC 3501 5.2, 7.3.1, 7.4.1; DESIGN.md "The selected mailbox").
 */
#include "imap/view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/acl-rights.h"
#include "core/log.h"
#include "imap/mailbox-name.h"
#include "imap/notify-session.h"
#include "imap/notify.h"
#include "imap/objectid.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "store/store.h"

static const struct {
	uint32_t bit;
	const char *name;
} system_flags[] = {
	{ STORE_FLAG_ANSWERED, "\\Answered" },
	{ STORE_FLAG_FLAGGED, "\\Flagged" },
	{ STORE_FLAG_DELETED, "\\Deleted" },
	{ STORE_FLAG_SEEN, "\\Seen" },
	{ STORE_FLAG_DRAFT, "\\Draft" },
};

static bool str_equal_nullable(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return b == NULL || *b == '\0';
	return b != NULL && strcmp(a, b) == 0;
}

static void view_append_msg(struct mailbox_view *view, uint32_t uid,
			    uint32_t flags, const char *keywords)
{
	view_msgs_append(&view->msgs, uid, (uint8_t)flags, keywords);
	if (flags & VIEW_FLAG_RECENT)
		view->recent_count++;
}

uint32_t mailbox_view_seq_of(const struct mailbox_view *view, uint32_t uid)
{
	uint32_t index;
	return view_msgs_find(&view->msgs, uid, &index) ? index + 1 : 0;
}

uint64_t mailbox_view_noted_modseq(const struct mailbox_view *view, uint32_t uid)
{
	return view_msgs_noted_modseq(&view->msgs, uid);
}

void mailbox_view_write_flags(const struct mailbox_view *view, uint32_t seq,
			      struct buf *out)
{
	uint32_t flags = mailbox_view_flags(view, seq);
	const char *keywords = mailbox_view_keywords(view, seq);
	bool first = true;

	buf_append_char(out, '(');
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		if (flags & system_flags[i].bit) {
			if (!first)
				buf_append_char(out, ' ');
			buf_append_str(out, system_flags[i].name);
			first = false;
		}
	}
	if (keywords != NULL) {
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, keywords);
		first = false;
	}
	/* RFC 9051 E.12: IMAP4rev2 has no \Recent. */
	if ((flags & VIEW_FLAG_RECENT) && !view->rev2) {
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, "\\Recent");
	}
	buf_append_char(out, ')');
}

/* Replaces the flags and keywords of seq, keeping its view-only bits. */
static void view_store_flags(struct mailbox_view *view, uint32_t seq,
			     uint32_t flags, const char *keywords)
{
	uint32_t old = mailbox_view_flags(view, seq);
	view_msgs_set_flags(&view->msgs, seq - 1,
			    (uint8_t)((old & ~(uint32_t)STORE_FLAGS_ALL) |
				      (flags & STORE_FLAGS_ALL)));
	view_msgs_set_keywords(&view->msgs, seq - 1, keywords);
}

void mailbox_view_set_flags(struct mailbox_view *view, uint32_t seq,
			    uint32_t flags, const char *keywords, uint64_t modseq)
{
	view_store_flags(view, seq, flags, keywords);
	/* Only a modseq the next sync will see needs noting. */
	if (modseq > view->modseq)
		view_msgs_note_modseq(&view->msgs, mailbox_view_uid(view, seq), modseq);
}

/* ---- keywords announced in FLAGS / PERMANENTFLAGS (RFC 3501 7.2.6) ---- */

static bool view_knows_keyword(const struct mailbox_view *view,
			       const char *kw, size_t len)
{
	for (size_t i = 0; i < view->keyword_count; i++) {
		if (strlen(view->keywords[i]) == len &&
		    strncasecmp(view->keywords[i], kw, len) == 0)
			return true;
	}
	return false;
}

/* Adds the keywords of a space-separated list; true if any was new. */
static bool view_learn_keywords(struct mailbox_view *view, const char *list)
{
	bool added = false;
	while (list != NULL && *list != '\0') {
		const char *end = strchr(list, ' ');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		if (len > 0 && !view_knows_keyword(view, list, len)) {
			view->keywords = xrealloc(view->keywords,
						  (view->keyword_count + 1) * sizeof(char *));
			view->keywords[view->keyword_count++] = xstrndup(list, len);
			added = true;
		}
		list = end ? end + 1 : NULL;
	}
	return added;
}

static void view_write_flag_list(const struct mailbox_view *view,
				 struct buf *out, bool permanent)
{
	/* RFC 4314 5.1.1: PERMANENTFLAGS shows only the flags the user's
	 * rights allow to change (s: \Seen, t: \Deleted, w: the rest). */
	uint32_t r = permanent ? view->rights : ACL_RIGHTS_ALL;
	size_t start = out->len;

	if (r & ACL_WRITE)
		buf_append_str(out, " \\Answered \\Flagged");
	if (r & ACL_DELETED)
		buf_append_str(out, " \\Deleted");
	if (r & ACL_SEEN)
		buf_append_str(out, " \\Seen");
	if (r & ACL_WRITE)
		buf_append_str(out, " \\Draft");
	for (size_t i = 0; (r & ACL_WRITE) && i < view->keyword_count; i++) {
		buf_append_char(out, ' ');
		buf_append_str(out, view->keywords[i]);
	}
	if (permanent && (r & ACL_WRITE))
		buf_append_str(out, " \\*");
	/* drop the leading space */
	if (out->len > start) {
		memmove(out->data + start, out->data + start + 1,
			out->len - start - 1);
		buf_truncate(out, out->len - 1);
	}
}

static void view_write_flags_responses(struct session *s)
{
	struct mailbox_view *view = s->view;
	struct buf line = BUF_INIT;

	buf_append_str(&line, "* FLAGS (");
	view_write_flag_list(view, &line, false);
	buf_append_str(&line, ")\r\n");
	/* RFC 3501 7.1: keywords can be created unless read-only. */
	buf_append_str(&line, "* OK [PERMANENTFLAGS (");
	if (!view->readonly)
		view_write_flag_list(view, &line, true);
	buf_append_str(&line, ")] Flags permitted\r\n");
	session_write(s, line.data, line.len);
	buf_free(&line);
}

/* ---- open / close ---- */

void mailbox_view_free(struct mailbox_view **viewp)
{
	struct mailbox_view *view = *viewp;
	if (view == NULL)
		return;
	view_msgs_free(&view->msgs);
	for (size_t i = 0; i < view->keyword_count; i++)
		free(view->keywords[i]);
	free(view->keywords);
	searchres_clear(&view->searchres);
	free(view->name);
	free(view);
	*viewp = NULL;
}

void mailbox_view_close(struct session *s)
{
	if (s->view == NULL)
		return;
	imap_notify_unwatch(s);
	mailbox_view_free(&s->view);
	if (s->state == SESSION_SELECTED)
		s->state = SESSION_AUTHENTICATED;
}

/* Reads the message list; *first_unseen_r is the sequence number of the
 * first message without \Seen, or 0. */
static int view_load(struct store *st, struct mailbox_view *view,
		     uint32_t first_recent_uid, uint32_t *first_unseen_r,
		     const char **error_r)
{
	struct store_msg_list list;
	int r = store_mailbox_snapshot(st, view->mailbox_id, &list, error_r);
	if (r != STORE_OK)
		return r;
	view_msgs_reserve(&view->msgs, (uint32_t)list.count);
	for (size_t i = 0; i < list.count; i++) {
		const struct store_msg *m = &list.msgs[i];
		uint32_t flags = m->flags & STORE_FLAGS_ALL;
		if (m->uid >= first_recent_uid && first_recent_uid != 0)
			flags |= VIEW_FLAG_RECENT;
		if (*first_unseen_r == 0 && !(flags & STORE_FLAG_SEEN))
			*first_unseen_r = (uint32_t)i + 1;
		view_append_msg(view, m->uid, flags, m->keywords);
	}
	view->modseq = list.highestmodseq;
	store_msg_list_free(&list);

	char **keywords;
	r = store_mailbox_keywords(st, view->mailbox_id, &keywords, error_r);
	if (r != STORE_OK)
		return r;
	for (size_t i = 0; keywords[i] != NULL; i++)
		view_learn_keywords(view, keywords[i]);
	store_strings_free(keywords);
	return STORE_OK;
}

static void view_write_select_responses(struct session *s, uint32_t uidnext,
					uint32_t first_unseen)
{
	struct mailbox_view *view = s->view;

	view_write_flags_responses(s);
	session_untagged(s, "%u EXISTS", mailbox_view_count(view));
	/* RFC 9051 E.11, E.12: RECENT and UNSEEN are gone from IMAP4rev2. */
	if (!view->rev2) {
		session_untagged(s, "%u RECENT", view->recent_count);
		if (first_unseen != 0)
			session_untagged(s, "OK [UNSEEN %u] First unseen", first_unseen);
	}
	session_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", view->uidvalidity);
	session_untagged(s, "OK [UIDNEXT %u] Predicted next UID", uidnext);
	/* RFC 7162 3.1.2: always, not only after a CONDSTORE enabling
	 * command (allowed; every mailbox here has modseqs, so never
	 * NOMODSEQ). */
	session_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
			 (unsigned long long)view->modseq);
	struct buf line = BUF_INIT;
	buf_append_str(&line, "* OK [MAILBOXID (");	/* RFC 8474 4.2 */
	objectid_mailbox(view->uidvalidity, &line);
	buf_append_str(&line, ")] Ok\r\n");
	if (view->rev2) {
		/* RFC 9051 6.3.2: SELECT returns a LIST response. The name
		 * is what the client selected (names are stored as given,
		 * INBOX canonical). */
		buf_append_str(&line, "* LIST () \"/\" ");
		mailbox_name_write(&line, view->name, strlen(view->name));
		buf_append_str(&line, "\r\n");
	}
	session_write(s, line.data, line.len);
	buf_free(&line);
}

static int64_t coarse_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

int mailbox_view_open(struct session *s, const char *name, bool readonly,
		      const char **error_r)
{
	struct store *st = session_store(s);
	struct store_mailbox mailbox;
	uint32_t first_recent;
	int r;

	mailbox_view_close(s);
	if (st == NULL) {
		*error_r = "Mail store unavailable";
		return STORE_EUNAVAILABLE;
	}
	r = store_mailbox_lookup(st, s->user_id, name, &mailbox, error_r);
	if (r != STORE_OK)
		return r;
	if (mailbox.attrs & STORE_MBOX_NOSELECT) {
		*error_r = "Mailbox is not selectable";
		return STORE_ECANNOT;
	}
	/* RFC 4314 5.2: READ-ONLY unless one of i, e or the shared flag
	 * rights (s, w, t: every flag is shared) is granted. */
	if ((mailbox.rights & (ACL_INSERT | ACL_EXPUNGE | ACL_SEEN |
			       ACL_WRITE | ACL_DELETED)) == 0)
		readonly = true;
	/* RFC 3501 2.3.2: only one session sees a message as \Recent; a
	 * read-write SELECT claims the new ones, EXAMINE only looks. */
	first_recent = mailbox.first_recent_uid;
	if (!readonly) {
		r = store_mailbox_claim_recent(st, mailbox.id, &first_recent, error_r);
		/* A claim is a write: on a full disk it fails while reading
		 * still works. The mail is worth more than \Recent, which
		 * another session may claim later (RFC 3501 2.3.2 lets a
		 * server be imprecise about it); a lost database fails the
		 * reads below all the same. */
		if (r == STORE_EUNAVAILABLE) {
			log_warn(session_id(s), "SELECT %s without \\Recent: %s",
				 name, *error_r ? *error_r : "");
			first_recent = UINT32_MAX;
		} else if (r != STORE_OK) {
			return r;
		}
	}

	struct mailbox_view *view = xcalloc(1, sizeof(*view));
	view->mailbox_id = mailbox.id;
	view->name = xstrdup(name);
	view->uidvalidity = mailbox.uidvalidity;
	view->readonly = readonly;
	view->rights = mailbox.rights;
	view->rev2 = s->enabled_rev2;
	uint32_t first_unseen = 0;
	view->change_mark = imap_notify_mark(mailbox.id);
	view->synced_at = coarse_seconds();
	r = view_load(st, view, first_recent, &first_unseen, error_r);
	if (r != STORE_OK) {
		mailbox_view_free(&view);
		return r;
	}
	s->view = view;
	s->state = SESSION_SELECTED;
	imap_notify_watch(s, mailbox.id);
	uint32_t uidnext = mailbox.uidnext;
	uint32_t last_uid = view_msgs_last_uid(&view->msgs);
	if (last_uid >= uidnext)
		uidnext = last_uid + 1;
	view_write_select_responses(s, uidnext, first_unseen);
	return STORE_OK;
}

/* ---- sync ---- */

/* Drops the messages marked expunged from the array. */
static void view_compact(struct mailbox_view *view)
{
	view->recent_count -= view_msgs_remove_expunged(&view->msgs);
	view->expunged_count = 0;
}

/* Writes EXPUNGE for every message marked expunged, highest first so each
 * number is right at the moment it is sent (RFC 3501 7.4.1), then drops
 * them. */
static void view_flush_expunges(struct session *s)
{
	struct mailbox_view *view = s->view;
	struct buf out = BUF_INIT;

	if (s->enabled_qresync) {
		/* RFC 7162 3.2.10.2: one VANISHED (no EARLIER) naming only
		 * messages the client was told about. */
		uint32_t *uids = xmalloc((view->expunged_count + 1) * sizeof(uint32_t));
		size_t n = 0;
		for (uint32_t seq = 1; seq <= mailbox_view_count(view); seq++) {
			if (mailbox_view_flags(view, seq) & VIEW_FLAG_EXPUNGED)
				uids[n++] = mailbox_view_uid(view, seq);
		}
		if (n > 0) {
			buf_append_str(&out, "* VANISHED ");
			seqset_format_array(&out, uids, n);
			buf_append_str(&out, "\r\n");
		}
		free(uids);
	} else {
		for (uint32_t seq = mailbox_view_count(view); seq >= 1; seq--) {
			if (mailbox_view_flags(view, seq) & VIEW_FLAG_EXPUNGED)
				buf_printf(&out, "* %u EXPUNGE\r\n", seq);
		}
	}
	view_compact(view);
	session_write(s, out.data, out.len);
	buf_free(&out);
}

static void view_mark_expunged(struct mailbox_view *view, const uint32_t *uids,
			       size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t seq = mailbox_view_seq_of(view, uids[i]);
		uint32_t flags = seq != 0 ? mailbox_view_flags(view, seq) : 0;
		if (seq != 0 && !(flags & VIEW_FLAG_EXPUNGED)) {
			view_msgs_set_flags(&view->msgs, seq - 1,
					    (uint8_t)(flags | VIEW_FLAG_EXPUNGED));
			view->expunged_count++;
		}
	}
}

void mailbox_view_remove_uids(struct session *s, const uint32_t *uids,
			      size_t count, bool silent)
{
	struct mailbox_view *view = s->view;
	if (view == NULL)
		return;
	view_mark_expunged(view, uids, count);
	if (silent)
		view_compact(view);	/* CLOSE tells nothing (RFC 3501 6.4.2) */
	else
		view_flush_expunges(s);
}

/* A new message in a read-write view is \Recent here if this session is
 * the one that claims it. */
static uint32_t view_claim_recent(struct session *s)
{
	uint32_t first_recent = UINT32_MAX;
	const char *error;
	if (s->view->readonly ||
	    store_mailbox_claim_recent(session_store(s), s->view->mailbox_id,
				       &first_recent, &error) != STORE_OK)
		return UINT32_MAX;
	return first_recent;
}

/* Applies new and changed messages; collects the indexes (into changed)
 * of the messages whose flags the client must hear about. Returns the
 * number of new messages. */
static uint32_t view_apply_changes(struct session *s,
				   const struct store_msg_list *changed,
				   size_t **report_r, size_t *report_count_r,
				   bool *new_keywords)
{
	struct mailbox_view *view = s->view;
	uint32_t last_uid = view_msgs_last_uid(&view->msgs);
	uint32_t added = 0, first_recent = UINT32_MAX;
	bool claimed = false;
	size_t *report = xmalloc((changed->count + 1) * sizeof(*report));
	size_t n = 0;

	for (size_t i = 0; i < changed->count; i++) {
		const struct store_msg *m = &changed->msgs[i];
		if (m->keywords != NULL && view_learn_keywords(view, m->keywords))
			*new_keywords = true;
		if (m->uid > last_uid) {
			if (!claimed) {
				first_recent = view_claim_recent(s);
				claimed = true;
			}
			uint32_t flags = m->flags & STORE_FLAGS_ALL;
			if (m->uid >= first_recent)
				flags |= VIEW_FLAG_RECENT;
			view_append_msg(view, m->uid, flags, m->keywords);
			last_uid = m->uid;
			added++;
			continue;
		}
		uint32_t seq = mailbox_view_seq_of(view, m->uid);
		if (seq == 0)
			continue;
		uint32_t flags = mailbox_view_flags(view, seq);
		if (flags & VIEW_FLAG_EXPUNGED)
			continue;
		bool flags_changed = (flags & STORE_FLAGS_ALL) != m->flags ||
			!str_equal_nullable(mailbox_view_keywords(view, seq),
					    m->keywords);
		/* RFC 7162 3.1.4.2: a CONDSTORE client hears of a new modseq
		 * even when the flags ended where they were. Every change
		 * here is past the view's modseq; only one this session
		 * reported itself (noted) may already be known. */
		uint64_t noted = view_msgs_noted_modseq(&view->msgs, m->uid);
		bool modseq_changed = m->modseq > noted && s->enabled_condstore;
		if (flags_changed || modseq_changed)
			report[n++] = i;
		view_store_flags(view, seq, m->flags, m->keywords);
		/* Keep a noted modseq current: STORE reports the latest. */
		if (noted != 0)
			view_msgs_note_modseq(&view->msgs, m->uid, m->modseq);
	}
	*report_r = report;
	*report_count_r = n;
	return added;
}

void mailbox_view_write_flag_update(const struct session *s, uint32_t seq,
				    bool with_flags, uint64_t modseq,
				    struct buf *out)
{
	const char *sep = "";

	buf_append_str(out, "* ");
	buf_append_u64(out, seq);
	buf_append_str(out, " FETCH (");
	/* RFC 5465 5.1: under NOTIFY a flag change carries the UID too. */
	if (s->enabled_condstore || s->enabled_rev2 || notify_session_active(s)) {
		buf_append_str(out, "UID ");
		buf_append_u64(out, mailbox_view_uid(s->view, seq));
		sep = " ";
	}
	if (with_flags) {
		buf_printf(out, "%sFLAGS ", sep);
		mailbox_view_write_flags(s->view, seq, out);
		sep = " ";
	}
	if (s->enabled_condstore)
		buf_printf(out, "%sMODSEQ (%llu)", sep, (unsigned long long)modseq);
	buf_append_str(out, ")\r\n");
}

static void view_write_flag_updates(struct session *s,
				    const struct store_msg_list *changed,
				    const size_t *report, size_t count)
{
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < count; i++) {
		const struct store_msg *m = &changed->msgs[report[i]];
		uint32_t seq = mailbox_view_seq_of(s->view, m->uid);
		if (seq == 0)
			continue;
		mailbox_view_write_flag_update(s, seq, true, m->modseq, &out);
	}
	session_write(s, out.data, out.len);
	buf_free(&out);
}

void mailbox_view_sync(struct session *s, bool allow_expunge)
{
	struct mailbox_view *view = s->view;
	struct store *st = session_store(s);
	struct store_changes changes;
	const char *error = NULL;

	if (view == NULL || st == NULL)
		return;
	/* Modseqs noted at or below the view's are what this sync cannot
	 * see again: they served their purpose. */
	view_msgs_forget_modseqs(&view->msgs, view->modseq);
	uint64_t mark = imap_notify_mark(view->mailbox_id);
	int r = store_changes_since(st, view->mailbox_id, view->modseq, &changes, &error);
	if (r == STORE_ENONEXISTENT) {
		/* Deleted or renamed away under us: as Dovecot does, the
		 * session cannot go on with sequence numbers for nothing. */
		session_write_str(s, "* BYE Selected mailbox was deleted\r\n");
		session_close(s, "selected mailbox deleted");
		return;
	}
	if (r != STORE_OK) {
		log_warn(session_id(s), "sync of mailbox %lld failed: %s",
			 (long long)view->mailbox_id, error ? error : "");
		return;
	}
	view->change_mark = mark;
	view->synced_at = coarse_seconds();
	view_mark_expunged(view, changes.expunged, changes.expunged_count);
	size_t *report;
	size_t report_count;
	bool new_keywords = false;
	uint32_t old_recent = view->recent_count;
	uint32_t added = view_apply_changes(s, &changes.changed, &report,
					    &report_count, &new_keywords);
	if (changes.changed.highestmodseq > view->modseq)
		view->modseq = changes.changed.highestmodseq;

	if (new_keywords)
		view_write_flags_responses(s);
	if (allow_expunge && view->expunged_count > 0)
		view_flush_expunges(s);
	if (added > 0) {
		session_untagged(s, "%u EXISTS", mailbox_view_count(view));
		if (view->recent_count != old_recent && !view->rev2)
			session_untagged(s, "%u RECENT", view->recent_count);
	}
	view_write_flag_updates(s, &changes.changed, report, report_count);
	free(report);
	store_changes_free(&changes);
}

bool mailbox_view_heard_change(const struct mailbox_view *view)
{
	return view->expunged_count > 0 ||
	       imap_notify_mark(view->mailbox_id) != view->change_mark;
}

bool mailbox_view_may_be_stale(const struct mailbox_view *view)
{
	return !imap_notify_marks_exact() || mailbox_view_heard_change(view) ||
	       coarse_seconds() - view->synced_at >= VIEW_SYNC_MAX_AGE;
}

/* ---- sequence sets ---- */

static int uint32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void seqs_push(uint32_t **seqs, size_t *count, size_t *cap, uint32_t seq)
{
	if (*count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*seqs = xrealloc(*seqs, *cap * sizeof(uint32_t));
	}
	(*seqs)[(*count)++] = seq;
}

int mailbox_view_resolve(const struct mailbox_view *view, const char *set,
			 size_t set_len, bool uid, uint32_t **seqs_r,
			 size_t *count_r, const char **error_r)
{
	struct seqset ss;
	uint32_t *seqs = NULL;
	size_t count = 0, cap = 0;

	if (searchres_is_dollar(set, set_len))
		return searchres_resolve(view, &view->searchres, seqs_r, count_r);
	if (seqset_parse(set, set_len, &ss, error_r) < 0)
		return -1;
	uint32_t view_count = mailbox_view_count(view);
	if (!uid) {
		/* RFC 3501 9: a sequence number beyond the mailbox is an
		 * error; "*" in an empty mailbox names nothing valid. */
		for (size_t i = 0; i < ss.count; i++) {
			uint32_t lo = ss.ranges[i].lo, hi = ss.ranges[i].hi;
			if ((lo != SEQSET_STAR && lo > view_count) ||
			    (hi != SEQSET_STAR && hi > view_count) ||
			    view_count == 0) {
				seqset_free(&ss);
				*error_r = "Invalid message sequence number";
				return -1;
			}
		}
	}
	uint32_t star = uid ? view_msgs_last_uid(&view->msgs) : view_count;
	seqset_resolve(&ss, star, star);
	for (size_t i = 0; i < ss.count; i++) {
		uint32_t lo = ss.ranges[i].lo, hi = ss.ranges[i].hi;
		if (!uid) {
			for (uint64_t n = lo; n <= hi; n++)
				seqs_push(&seqs, &count, &cap, (uint32_t)n);
			continue;
		}
		/* UIDs ascend: the range is one run of indexes. */
		uint32_t first = view_msgs_lower_bound(&view->msgs, lo);
		uint32_t end = hi == UINT32_MAX ? view_count :
			view_msgs_lower_bound(&view->msgs, hi + 1);
		for (uint32_t idx = first; idx < end; idx++)
			seqs_push(&seqs, &count, &cap, idx + 1);
	}
	seqset_free(&ss);
	if (count > 1) {
		qsort(seqs, count, sizeof(uint32_t), uint32_cmp);
		size_t w = 1;
		for (size_t i = 1; i < count; i++) {
			if (seqs[i] != seqs[w - 1])
				seqs[w++] = seqs[i];
		}
		count = w;
	}
	*seqs_r = seqs;
	*count_r = count;
	return 0;
}

void mailbox_view_uid_ranges(const struct mailbox_view *view,
			     const uint32_t *seqs, size_t count,
			     struct store_uid_range **ranges_r,
			     size_t *range_count_r)
{
	struct store_uid_range *ranges = xmalloc((count + 1) * sizeof(*ranges));
	size_t n = 0;

	uint32_t prev_uid = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t seq = seqs[i];
		if (mailbox_view_flags(view, seq) & VIEW_FLAG_EXPUNGED)
			continue;
		uint32_t uid = mailbox_view_uid(view, seq);
		/* Consecutive sequence numbers have ascending UIDs; merge
		 * neighbours in the view into one range (the UIDs between
		 * them are gone from the store). */
		if (n > 0 && i > 0 && seq == seqs[i - 1] + 1 &&
		    ranges[n - 1].last == prev_uid) {
			ranges[n - 1].last = uid;
			prev_uid = uid;
			continue;
		}
		ranges[n].first = uid;
		ranges[n].last = uid;
		prev_uid = uid;
		n++;
	}
	*ranges_r = ranges;
	*range_count_r = n;
}

/* ---- change notifications ---- */

void session_mailbox_changed(struct session *s)
{
	/* Only an idling session is told at once; any other hears at its next
	 * command, when the sync runs before the tagged reply. */
	if (s->idle_notify != NULL)
		s->idle_notify(s);
}
