#ifndef QUIRE_IMAP_VIEW_H
#define QUIRE_IMAP_VIEW_H
/*
 * The selected mailbox as one session sees it (DESIGN.md "The selected
 * mailbox"): the ordered UIDs the client has been told about and the
 * modseq it last synced to. Sequence numbers index this array, never the
 * store.
 */
#include <stdbool.h>

struct session;
struct mailbox_view;

/* Brings the session's view up to date with the store and writes the
 * untagged EXISTS / RECENT / FETCH FLAGS / EXPUNGE responses. EXPUNGE is
 * held back while allow_expunge is false (RFC 3501 7.4.1). */
void mailbox_view_sync(struct session *s, bool allow_expunge);

/* Frees *view and sets it to NULL; NULL-safe. */
void mailbox_view_free(struct mailbox_view **view);

#endif
