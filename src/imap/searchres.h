#ifndef QUIRE_IMAP_SEARCHRES_H
#define QUIRE_IMAP_SEARCHRES_H
/*
 * SEARCHRES (RFC 5182): the result a SEARCH ... RETURN (SAVE) kept, named
 * "$" in later commands. It is kept as UIDs, so an expunge drops a message
 * from it by itself (RFC 5182 2.1) and "$" resolves against the view at
 * the time of use.
 *
 * Where it lives: the session should own one `struct searchres` (a field
 * in struct session, freed with the session, cleared by SELECT, EXAMINE,
 * CLOSE and UNSELECT: RFC 5182 2.1). Until that field exists,
 * searchres_of() keeps it in a side table keyed by the session and its
 * selected view, and searchres_forget() drops a session's entry.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mailbox_view;
struct session;

struct searchres {
	uint32_t *uids;		/* ascending, owned */
	size_t count;
};

/* Replaces the saved UIDs with uids[0..count) (ascending). */
void searchres_set(struct searchres *res, const uint32_t *uids, size_t count);
/* Empties it (RFC 5182: "$" then refers to no message). */
void searchres_clear(struct searchres *res);
/* True when uid is saved. */
bool searchres_contains(const struct searchres *res, uint32_t uid);

/* True when a sequence-set argument is "$" (RFC 5182 2.2). */
bool searchres_is_dollar(const char *set, size_t len);

/*
 * Resolves "$" against the view into ascending sequence numbers, skipping
 * UIDs no longer in it, in the shape of mailbox_view_resolve() (which
 * should call this when the set is "$"). res may be NULL (empty). Returns
 * 0 with *seqs_r (caller frees, NULL when empty) and *count_r.
 */
int searchres_resolve(const struct mailbox_view *view,
		      const struct searchres *res, uint32_t **seqs_r,
		      size_t *count_r);

/*
 * The session's saved result for its selected mailbox, created empty on
 * first use; an entry made for an earlier selected view starts empty
 * again. Never NULL while s is selected.
 */
struct searchres *searchres_of(struct session *s);
/* Drops the session's entry (session end, mailbox change). */
void searchres_forget(struct session *s);

#endif
