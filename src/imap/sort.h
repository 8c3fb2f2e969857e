#ifndef QUIRE_IMAP_SORT_H
#define QUIRE_IMAP_SORT_H
/*
 * What SORT and THREAD (RFC 5256, RFC 5957 DISPLAY) know about each
 * message: the sort keys, read from the cached ENVELOPE (no message bytes)
 * plus, for THREAD=REFERENCES, the References header.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "mail/subject.h"	/* base subject, msg-ids (RFC 5256 2.1) */

struct session;

struct sort_msg {
	uint32_t seq;
	uint32_t uid;
	time_t arrival;		/* INTERNALDATE */
	time_t sent;		/* RFC 5256 2.2 sent date, UTC */
	uint64_t size;
	char *subject;		/* base subject */
	bool is_reply;
	char *from, *to, *cc;	/* addr-mailbox of the first address */
	char *display_from, *display_to; /* RFC 5957 */
	char *message_id;	/* normalized "<...>" or NULL */
	char *in_reply_to;	/* its first msg-id, normalized, or NULL */
	char **references;	/* normalized msg-ids, in order */
	size_t reference_count;
};

/*
 * Loads the keys of the messages seqs[0..count) (ascending) of the
 * selected mailbox; with_references also reads each References header.
 * Messages gone meanwhile are left out. Returns 0 with *msgs_r (free with
 * sort_msgs_free) and *count_r, or a store error with *error_r.
 */
int sort_msgs_load(struct session *s, const uint32_t *seqs, size_t count,
		   bool with_references, struct sort_msg **msgs_r,
		   size_t *count_r, const char **error_r);
void sort_msgs_free(struct sort_msg *msgs, size_t count);

/* Compares two strings ignoring ASCII case (i;ascii-casemap, RFC 4790). */
int sort_casemap_cmp(const char *a, const char *b);

struct command;
struct imap_arg;

/*
 * SORT and THREAD: parses "charset search-key..." from args[0..count) and
 * runs the search. Returns true when it already sent the tagged reply
 * (BAD, NO [BADCHARSET], a store failure); else false with the matching
 * sequence numbers ascending in *seqs_r (caller frees) and *count_r, and
 * in *modseq_r the highest modseq among them when the keys include
 * MODSEQ (RFC 7162 3.1.9), else 0. A MODSEQ key makes the session
 * CONDSTORE-aware, as in SEARCH (RFC 7162 3.1).
 */
bool sort_run_search(struct command *cmd, const struct imap_arg *args,
		     size_t count, uint32_t **seqs_r, size_t *count_r,
		     uint64_t *modseq_r);

/*
 * THREAD algorithms (RFC 5256 3): append the data of the THREAD response
 * (the parenthesized threads, without "* THREAD") for msgs[0..count),
 * numbered by UID (uid) or sequence number. The array is reordered.
 */
void thread_orderedsubject(struct sort_msg *msgs, size_t count, bool uid,
			   struct buf *out);
void thread_references(struct sort_msg *msgs, size_t count, bool uid,
		       struct buf *out);

#endif
