#ifndef QUIRE_IMAP_SEARCHRES_H
#define QUIRE_IMAP_SEARCHRES_H
/*
 * SEARCHRES (RFC 5182): the result a SEARCH ... RETURN (SAVE) kept, named
 * "$" in later commands. It is kept as UIDs, so an expunge drops a message
 * from it by itself (RFC 5182 2.1) and "$" resolves against the view at
 * the time of use.
 *
 * Where it lives: in the selected mailbox's view, which SELECT, EXAMINE,
 * CLOSE and UNSELECT replace or free -- exactly the events that reset "$"
 * (RFC 5182 2.1).
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

/* The session's saved result for its selected mailbox; NULL only when
 * nothing is selected. */
struct searchres *searchres_of(struct session *s);

#endif
