#ifndef QUIRE_IMAP_VIEW_H
#define QUIRE_IMAP_VIEW_H
/*
 * The selected mailbox as one session sees it (DESIGN.md "The selected
 * mailbox"): the ordered UIDs the client has been told about, each with the
 * flags the client was last told, and the store modseq the view is synced
 * to. Message sequence numbers index this list, never the store. The list
 * is compact (view-msgs.h) and keeps no per-message modseq: those come from
 * the store when a CONDSTORE command needs them.
 *
 * Changes made by anyone (other sessions, `quire deliver`, this session's
 * own STORE/APPEND) are found by mailbox_view_sync, which compares the
 * store's changes since the view's modseq with what the view holds and
 * writes only the differences. A command that changes flags therefore
 * updates the view (mailbox_view_set_flags) when it reports the new flags
 * itself, and the sync then has nothing more to say about them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "imap/searchres.h"
#include "imap/view-msgs.h"

struct session;
struct seqset;
struct store_msg_list;
struct store_uid_range;

struct mailbox_view {
	int64_t mailbox_id;
	char *name;		/* as the client selected it */
	uint32_t uidvalidity;
	uint64_t modseq;	/* store highestmodseq the view reflects */
	/* imap_notify_mark taken before the store read of the last sync */
	uint64_t change_mark;
	int64_t synced_at;	/* CLOCK_MONOTONIC_COARSE seconds of the last sync */
	bool readonly;		/* EXAMINE, or no right to change anything */
	uint32_t rights;	/* the user's ACL rights (auth/acl-rights.h) */
	/* IMAP4rev2 session (RFC 9051): no \Recent in FLAGS, no RECENT. */
	bool rev2;
	struct view_msgs msgs;	/* message seq is index seq - 1 */
	uint32_t recent_count;	/* messages with VIEW_FLAG_RECENT */
	uint32_t expunged_count; /* messages with VIEW_FLAG_EXPUNGED */
	/* Keywords the client was told about in FLAGS; a new one means a new
	 * FLAGS response (RFC 3501 7.2.6). */
	char **keywords;
	size_t keyword_count;
	/* SEARCHRES "$" (RFC 5182 2.1): lives exactly as long as the view,
	 * since SELECT, EXAMINE, CLOSE and UNSELECT reset it. */
	struct searchres searchres;
};

/* Number of messages in the view (the client's EXISTS). */
static inline uint32_t mailbox_view_count(const struct mailbox_view *view)
{
	return view->msgs.count;
}

/* UID of message seq (1 <= seq <= count). */
static inline uint32_t mailbox_view_uid(const struct mailbox_view *view,
					uint32_t seq)
{
	return view_msgs_uid(&view->msgs, seq - 1);
}

/* Flags of message seq as last told: enum store_flag bits, and
 * VIEW_FLAG_RECENT / VIEW_FLAG_EXPUNGED. */
static inline uint32_t mailbox_view_flags(const struct mailbox_view *view,
					  uint32_t seq)
{
	return view_msgs_flags(&view->msgs, seq - 1);
}

/* Keywords of message seq as last told (space-separated), or NULL. */
static inline const char *mailbox_view_keywords(const struct mailbox_view *view,
						uint32_t seq)
{
	return view_msgs_keywords(&view->msgs, seq - 1);
}

/*
 * The modseq this session reported for uid itself since the view's last
 * sync (STORE, FETCH setting \Seen, or that sync when it ran in between),
 * or 0 when it reported none.
 */
uint64_t mailbox_view_noted_modseq(const struct mailbox_view *view, uint32_t uid);

/*
 * Opens mailbox name for the session (SELECT, or EXAMINE when readonly),
 * reading the whole message list in one store query, and writes the
 * untagged responses RFC 3501 6.3.1 requires (FLAGS, EXISTS, RECENT,
 * OK [UNSEEN], [PERMANENTFLAGS], [UIDVALIDITY], [UIDNEXT]). On success the
 * session is in the selected state and watches the mailbox for changes.
 * Returns 0, or a store error (enum store_error) with *error_r set; the
 * session is then not selected.
 */
int mailbox_view_open(struct session *s, const char *name, bool readonly,
		      const char **error_r);

/*
 * QRESYNC select parameter (RFC 7162 3.2.5), parsed by cmd-select.c.
 * known_uids NULL means "1:<uidnext-1>". match_seqs/match_uids (both NULL
 * or both count match_count) are the message sequence match data.
 */
struct mailbox_view_qresync {
	uint32_t uidvalidity;
	uint64_t modseq;
	const struct seqset *known_uids;
	const uint32_t *match_seqs;
	const uint32_t *match_uids;
	size_t match_count;
};

/*
 * After mailbox_view_open: the QRESYNC resynchronisation (RFC 7162
 * 3.2.5.1/3.2.5.2). When q->uidvalidity matches, writes
 * "* VANISHED (EARLIER) uids" for the known UIDs expunged after q->modseq
 * (not restricted below the last matching seq-match pair), then
 * "* n FETCH (UID FLAGS MODSEQ)" for known messages changed after it.
 * Returns 0, or a store error with *error_r.
 */
int mailbox_view_qresync(struct session *s, const struct mailbox_view_qresync *q,
			 const char **error_r);

/*
 * Marks the session CONDSTORE-aware (RFC 7162 3.1). The first time, with a
 * mailbox selected, it writes "* OK [HIGHESTMODSEQ n]" as 3.1 requires of
 * the first CONDSTORE enabling command.
 */
void mailbox_view_enable_condstore(struct session *s);

/*
 * Appends one unsolicited flag update for seq, in the form the session
 * negotiated: "* seq FETCH (FLAGS (...))", with UID first once CONDSTORE
 * or IMAP4rev2 is on (RFC 7162 3.2.4, RFC 9051 E.21) and MODSEQ (modseq,
 * the message's modseq in the store) with CONDSTORE (RFC 7162 3.1.4.2).
 */
void mailbox_view_write_flag_update(const struct session *s, uint32_t seq,
				    bool with_flags, uint64_t modseq,
				    struct buf *out);

/* Appends "* VANISHED (EARLIER) uids\r\n" (nothing when count is 0). */
void mailbox_view_write_vanished_earlier(const uint32_t *uids, size_t count,
					 struct buf *out);

/* Leaves the selected state (CLOSE, UNSELECT, a new SELECT, LOGOUT). */
void mailbox_view_close(struct session *s);

/* Frees *view and sets it to NULL; NULL-safe. */
void mailbox_view_free(struct mailbox_view **view);

/*
 * Brings the view up to date with the store and writes the untagged
 * EXPUNGE (VANISHED with QRESYNC) / EXISTS / RECENT / FETCH FLAGS
 * responses; a FETCH goes out when the flags changed, or with CONDSTORE
 * also when only the modseq did (set and cleared elsewhere). EXPUNGE is held back
 * while allow_expunge is false (RFC 3501 7.4.1: not during FETCH, STORE,
 * SEARCH); the messages then stay in the view, marked VIEW_FLAG_EXPUNGED.
 */
void mailbox_view_sync(struct session *s, bool allow_expunge);

/*
 * True when EXPUNGEs are held back, or a change to the mailbox was heard
 * of (imap_notify_mark) since the view's last sync. No store query.
 */
bool mailbox_view_heard_change(const struct mailbox_view *view);

/*
 * True when a mailbox_view_sync may have something to say: a change heard
 * of (above), marks that cannot tell (imap_notify_marks_exact false), or
 * a last sync older than VIEW_SYNC_MAX_AGE seconds (a notification lost
 * to a full notify.sock queue is then caught up all the same).
 */
#define VIEW_SYNC_MAX_AGE 10
bool mailbox_view_may_be_stale(const struct mailbox_view *view);

/* Sequence number (1-based) of uid in the view, or 0 if absent. */
uint32_t mailbox_view_seq_of(const struct mailbox_view *view, uint32_t uid);

/*
 * Resolves a sequence set (uid false) or UID set (uid true) from the client
 * against the view into an array of sequence numbers, ascending, without
 * duplicates. `*` means the last message (RFC 3501 6.4.8: for UIDs, the
 * largest UID in the view); UIDs not in the view are skipped; a sequence
 * number beyond the view is an error (RFC 3501 7.1: BAD "invalid message
 * sequence number"). Returns 0 with *seqs_r (caller frees, NULL when
 * empty) and *count_r, or -1 with *error_r (static text).
 */
int mailbox_view_resolve(const struct mailbox_view *view, const char *set,
			 size_t set_len, bool uid, uint32_t **seqs_r,
			 size_t *count_r, const char **error_r);

/* Converts ascending sequence numbers to compact UID ranges for the store.
 * *ranges_r is caller-freed. Messages marked expunged are skipped. */
void mailbox_view_uid_ranges(const struct mailbox_view *view,
			     const uint32_t *seqs, size_t count,
			     struct store_uid_range **ranges_r,
			     size_t *range_count_r);

/* Appends "(\Seen \Answered kw...)" for message seq, with \Recent when it
 * is recent in this session. */
void mailbox_view_write_flags(const struct mailbox_view *view, uint32_t seq,
			      struct buf *out);

/*
 * Records flags the session is about to report itself (STORE's FETCH
 * responses), so the next sync does not repeat them. keywords may be NULL.
 * modseq is the message's new modseq in the store (noted until the next
 * sync, so that sync does not report it again to a CONDSTORE client).
 */
void mailbox_view_set_flags(struct mailbox_view *view, uint32_t seq,
			    uint32_t flags, const char *keywords,
			    uint64_t modseq);

/*
 * Removes messages this session expunged itself (EXPUNGE, CLOSE, MOVE,
 * UID EXPUNGE), writing "* n EXPUNGE" for each, or one "* VANISHED uids"
 * once QRESYNC is enabled (RFC 7162 3.2.10.2), unless silent (CLOSE).
 * uids ascending; those not in the view are ignored.
 */
void mailbox_view_remove_uids(struct session *s, const uint32_t *uids,
			      size_t count, bool silent);

#endif
