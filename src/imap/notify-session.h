#ifndef QUIRE_IMAP_NOTIFY_SESSION_H
#define QUIRE_IMAP_NOTIFY_SESSION_H
/*
 * One session's NOTIFY (RFC 5465): what it asked for, what it last told
 * the client about each watched mailbox, and the changes not yet told.
 *
 * Changes arrive from the change bus (notify.c) on the session's thread
 * and are remembered as "dirty" marks, never as a queue of messages: a
 * mailbox changed a thousand times is one STATUS. They are written when
 * nothing else is being written: between commands, during IDLE, or
 * before a tagged reply. A client whose output stays backed up while more
 * than notify_max_pending changes arrive gets NOTIFICATIONOVERFLOW (5.8)
 * and NOTIFY is off. Memory per session is bounded by the watched
 * mailboxes (at most NOTIFY_MAX_MAILBOXES).
 */
#include <stdbool.h>
#include <stdint.h>

#include "imap/notify-spec.h"

struct command;
struct session;

/* More matching mailboxes than this: NO [NOTIFICATIONOVERFLOW] (3.1). */
#define NOTIFY_MAX_MAILBOXES 10000

enum notify_set_result {
	NOTIFY_SET_OK = 0,
	NOTIFY_SET_TOO_MANY = -1,	/* NO [NOTIFICATIONOVERFLOW] */
	NOTIFY_SET_STORE = -2,		/* NO [UNAVAILABLE] */
};

/*
 * NOTIFY SET: replaces s's notifications with *spec (taken over, zeroed),
 * writes the initial STATUS responses when spec->status (RFC 5465 3.1)
 * and "\NoAccess" LIST responses for listable mailboxes it may not read.
 * On error nothing changed and *spec was freed.
 */
enum notify_set_result notify_session_set(struct session *s,
					  struct notify_spec *spec);

/* NOTIFY NONE, and what closing the session does: forget it all. */
void notify_session_none(struct session *s);

/* True while a NOTIFY SET is in force. */
bool notify_session_active(const struct session *s);

/* From the bus (notify.c): mailbox_id or a STORE_CHANGE_* id changed. */
void notify_session_event(struct session *s, int64_t mailbox_id);

/*
 * Before cmd's tagged reply (session_sync_updates, after the selected
 * mailbox's sync): writes pending notifications, and notes what cmd did
 * that NOTIFY must know (a new SELECT; this session's own mailbox changes,
 * which RFC 5465 5 says should not be echoed back).
 */
void notify_session_before_reply(struct session *s, struct command *cmd);

/* Between commands (after a tagged reply, or when the output drained):
 * writes pending notifications if there are any. */
void notify_session_idle_point(struct session *s);

/* From IDLE: pushes what NOTIFY asks for the selected mailbox (RFC 5465
 * 4: IDLE sends exactly the events NOTIFY selected). */
void notify_session_idle_push(struct session *s);

#endif
