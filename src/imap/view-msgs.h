#ifndef QUIRE_IMAP_VIEW_MSGS_H
#define QUIRE_IMAP_VIEW_MSGS_H
/*
 * The messages of a selected-mailbox view (view.h), kept small: an idle
 * session holds one of these for as long as it has a mailbox selected,
 * and a server holds tens of thousands of idle sessions.
 *
 * - UIDs as runs of consecutive values (a mailbox's UIDs are mostly
 *   consecutive: gaps only where messages were expunged), so a 1,000
 *   message INBOX costs a few hundred bytes of UIDs, not 4 KB;
 * - one byte of flags per message (the five system flags, \Recent,
 *   expunged-not-yet-announced);
 * - keywords in a side table sorted by UID, holding only the messages
 *   that have any;
 * - no modseq per message: the store has them. What the table below
 *   keeps ("noted" modseqs) is only the few messages whose new modseq a
 *   session reported itself (STORE) before its next sync.
 *
 * Messages are addressed by index (sequence number - 1).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bits of the flags byte beyond the system flags (STORE_FLAGS_ALL, bits
 * 0-4). */
#define VIEW_FLAG_RECENT   (1u << 5)	/* \Recent in this session only */
#define VIEW_FLAG_EXPUNGED (1u << 6)	/* gone from the store; EXPUNGE not yet sent */
/* Private to view-msgs.c: the message has an entry in the keyword table.
 * Never returned by view_msgs_flags. */
#define VIEW_FLAG_HAS_KEYWORDS_ (1u << 7)

struct view_run {
	uint32_t uid;		/* first UID of the run */
	uint32_t index;		/* index of its first message */
};

struct view_keywords {
	uint32_t uid;
	char *keywords;		/* space-separated, owned, never empty */
};

struct view_noted_modseq {
	uint32_t uid;
	uint64_t modseq;
};

struct view_msgs {
	uint32_t count;
	uint32_t flags_cap;
	uint8_t *flags;			/* flags[index] */
	struct view_run *runs;		/* ascending; runs[0].index == 0 */
	uint32_t run_count, run_cap;
	struct view_keywords *kw;	/* ascending by UID */
	uint32_t kw_count, kw_cap;
	struct view_noted_modseq *noted; /* ascending by UID */
	uint32_t noted_count, noted_cap;
};

/* Frees everything and leaves m empty (all zero); m may be zeroed already. */
void view_msgs_free(struct view_msgs *m);

/* Sizes the arrays for count more messages exactly (before a bulk load,
 * so a loaded view has no slack). */
void view_msgs_reserve(struct view_msgs *m, uint32_t count);

/*
 * Appends a message. uid must be greater than every UID in m (the caller
 * guarantees it: views only grow at the end). flags: STORE_FLAGS_ALL bits
 * and VIEW_FLAG_RECENT/EXPUNGED. keywords: NULL, "" or space-separated
 * (copied).
 */
void view_msgs_append(struct view_msgs *m, uint32_t uid, uint8_t flags,
		      const char *keywords);

/* UID of message index (< count). */
uint32_t view_msgs_uid(const struct view_msgs *m, uint32_t index);

/* Largest UID, or 0 when empty. */
uint32_t view_msgs_last_uid(const struct view_msgs *m);

/* Index of the first message with a UID >= uid (count if none). */
uint32_t view_msgs_lower_bound(const struct view_msgs *m, uint32_t uid);

/* True with *index_r when uid is in m. */
bool view_msgs_find(const struct view_msgs *m, uint32_t uid, uint32_t *index_r);

/* Flags of message index (STORE_FLAGS_ALL | VIEW_FLAG_RECENT/EXPUNGED). */
static inline uint8_t view_msgs_flags(const struct view_msgs *m, uint32_t index)
{
	return m->flags[index] & (uint8_t)~VIEW_FLAG_HAS_KEYWORDS_;
}

/* Replaces the flags of message index (same bits as view_msgs_append). */
void view_msgs_set_flags(struct view_msgs *m, uint32_t index, uint8_t flags);

/* Keywords of message index (space-separated), or NULL when none. */
const char *view_msgs_keywords(const struct view_msgs *m, uint32_t index);

/* Replaces the keywords of message index; NULL or "" removes them. */
void view_msgs_set_keywords(struct view_msgs *m, uint32_t index,
			    const char *keywords);

/*
 * Drops every message flagged VIEW_FLAG_EXPUNGED (with its keywords and
 * noted modseq), keeping the order of the others. Returns how many of the
 * dropped ones were VIEW_FLAG_RECENT.
 */
uint32_t view_msgs_remove_expunged(struct view_msgs *m);

/* Records that the session knows modseq for uid (keeps the larger). */
void view_msgs_note_modseq(struct view_msgs *m, uint32_t uid, uint64_t modseq);

/* The modseq noted for uid, or 0. */
uint64_t view_msgs_noted_modseq(const struct view_msgs *m, uint32_t uid);

/* Forgets the noted modseqs <= modseq (the view's sync has passed them). */
void view_msgs_forget_modseqs(struct view_msgs *m, uint64_t modseq);

/* Bytes of heap the arrays hold (capacities included), for tests and
 * for judging the representation. */
size_t view_msgs_memory(const struct view_msgs *m);

#endif
