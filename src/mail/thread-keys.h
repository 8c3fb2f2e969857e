#ifndef QUIRE_MAIL_THREAD_KEYS_H
#define QUIRE_MAIL_THREAD_KEYS_H
/*
 * What the THREADID rule (RFC 8474 5.2) reads from a message header. The
 * rule itself, applied by the store at delivery (store/sqlite/thread.c;
 * every backend applies the same one), is:
 *
 *  1. A message whose body (the same bytes) is already stored takes the
 *     thread of that copy: equal EMAILIDs must have equal THREADIDs
 *     (RFC 8474 5.2 MUST), and identical bytes are the same message.
 *  2. Otherwise its ids (below, nearest relative first) are looked up
 *     among the message-ids the mailbox owner's earlier messages named;
 *     the first one recorded with the same base subject (RFC 5256 2.1,
 *     ASCII case ignored) gives the thread. The subject check keeps a
 *     reply that starts a new topic ("Re: lunch" turned into "Budget")
 *     out of the old thread, the way a reader would split it.
 *  3. Otherwise the message starts a new thread.
 *  4. Every id of the message not yet recorded for the owner is recorded
 *     with the message's thread and base subject. Records are never
 *     changed, so a thread number once given never changes (RFC 8474
 *     5.2 MUST NOT), and a parent delivered after its reply joins the
 *     reply's thread through the id the reply recorded.
 */
#include <stddef.h>

/* At most this many ids per message: the References of a long thread
 * are cut to the nearest ancestors (the parent is the last one). */
#define MAIL_THREAD_MAX_IDS 32
/* Base subjects are compared on at most this many bytes. */
#define MAIL_THREAD_SUBJECT_MAX 255
/* The header bytes the keys are read from (a longer header is cut). */
#define MAIL_THREAD_HEADER_MAX (64 * 1024)

struct mail_thread_keys {
	/* Normalized msg-ids ("<a@b>", see mail_msgids_parse), nearest
	 * first: In-Reply-To, References from the last, then the message's
	 * own Message-ID; no duplicates; each at most 250 bytes. */
	char *ids[MAIL_THREAD_MAX_IDS];
	size_t id_count;
	/* The base subject, ASCII lowercased, at most
	 * MAIL_THREAD_SUBJECT_MAX bytes; "" without a Subject. */
	char *subject;
};

/* Reads the keys from the message (or header) bytes data[0..len); only
 * the header block is looked at. Free with mail_thread_keys_free. */
void mail_thread_keys_read(const char *data, size_t len,
			   struct mail_thread_keys *keys_r);
void mail_thread_keys_free(struct mail_thread_keys *keys);

#endif
