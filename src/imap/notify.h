#ifndef QUIRE_IMAP_NOTIFY_H
#define QUIRE_IMAP_NOTIFY_H
/*
 * The change bus (DESIGN.md "Concurrency"): when any thread or process
 * commits a change to a mailbox, every session that has it selected hears
 * of it on its own worker thread, so IDLE can push the update at once.
 *
 * Sources: the store's in-process hook (any worker thread) and the
 * notify.sock datagrams of other processes (`quire deliver`). Both post the
 * mailbox id to every worker; each worker looks through its own watchers,
 * so no session is touched by another thread. A lost or extra notification
 * is harmless: the view syncs by modseq.
 */
#include <stdbool.h>
#include <stdint.h>

struct server;
struct session;

/* Hooks the bus to the store and watches data_dir/notify.sock. Returns 0,
 * or -1 with *error_r (caller frees). */
int imap_notify_start(struct server *server, const char *data_dir, char **error_r);
/* Unhooks; call after server_run returned. NULL-safe if never started. */
void imap_notify_stop(void);

/* On the session's worker thread: s hears of changes to mailbox_id until
 * imap_notify_unwatch. A session watches one mailbox at a time. */
void imap_notify_watch(struct session *s, int64_t mailbox_id);
void imap_notify_unwatch(struct session *s);

/* Called on the session's thread when its mailbox changed (view.c). */
void session_mailbox_changed(struct session *s);

/*
 * A mark of the changes heard for mailbox_id: once a change to it has
 * committed, later calls return another value (now and then also after a
 * change to another mailbox; that only costs a needless sync). Any thread.
 * Take the mark before reading the store: a mark equal to one taken then
 * means nothing the read missed has been heard of since.
 */
uint64_t imap_notify_mark(int64_t mailbox_id);

/*
 * True when marks count every commit before anyone can learn of it: this
 * process's commits on the committing thread before it returns, other
 * processes' through notify.sock (drained by imap_notify_mark). False
 * before imap_notify_start, and with PostgreSQL, whose LISTEN delivers
 * other front ends' commits late: marks then cannot tell a view is current.
 */
bool imap_notify_marks_exact(void);

/*
 * On the session's worker thread: s hears of every change on the bus
 * (any mailbox id, STORE_CHANGE_NAMES, STORE_CHANGE_SUBSCRIPTIONS) through
 * notify_session_event (notify-session.h) until imap_notify_unlisten.
 * For NOTIFY (RFC 5465), which watches more than the selected mailbox.
 * Listening twice is harmless; unlisten is NULL-safe for a non-listener.
 */
void imap_notify_listen(struct session *s);
void imap_notify_unlisten(struct session *s);

#endif
