#ifndef QUIRE_IMAP_SESSION_H
#define QUIRE_IMAP_SESSION_H
/*
 * One IMAP session: the protocol state of one connection (RFC 3501 3).
 *
 * Input flows conn -> parser -> command table -> handler (cmd-*.c). One
 * command runs at a time; while a handler is suspended (waiting for output
 * to drain, a timer, or a continuation line) no further input is parsed, so
 * pipelined commands wait their turn and literals are never mistaken for
 * commands.
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

struct conn;
struct command;
struct imap_parser;
struct mailbox_view;
struct notify_state;
struct store;
struct worker_timer;

enum session_state {
	SESSION_NOT_AUTHENTICATED = 1 << 0,
	SESSION_AUTHENTICATED = 1 << 1,
	SESSION_SELECTED = 1 << 2,
	SESSION_LOGOUT = 1 << 3,
};

struct session {
	struct conn *conn;
	struct imap_parser *parser;
	enum session_state state;
	/* The running command, or NULL between commands. */
	struct command *cmd;
	/* Authenticated user (NULL before login). */
	char *user;
	int64_t user_id;
	/* Selected mailbox, or NULL. */
	struct mailbox_view *view;

	unsigned bad_in_a_row;
	unsigned auth_failures;
	/* Extensions turned on with ENABLE (RFC 5161). */
	bool enabled_utf8;	/* UTF-8 strings: UTF8=ACCEPT or IMAP4rev2 */
	/* RFC 6855 3: ENABLE UTF8=ACCEPT named (SEARCH CHARSET is BAD). */
	bool enabled_utf8_accept;
	/* RFC 7162 3.1: a CONDSTORE enabling command was seen (ENABLE,
	 * SELECT (CONDSTORE), FETCH MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE,
	 * STATUS HIGHESTMODSEQ): every unsolicited FETCH carries MODSEQ. */
	bool enabled_condstore;
	/* RFC 7162 3.2.3: ENABLE QRESYNC (implies enabled_condstore):
	 * VANISHED replaces EXPUNGE. */
	bool enabled_qresync;
	/* RFC 9051: ENABLE IMAP4rev2: no \Recent, no RECENT, SELECT sends
	 * LIST, unsolicited FETCH carries UID. */
	bool enabled_rev2;
	/* Inside on_input: a resume from there must not recurse. */
	bool in_input_loop;
	/* NOTIFY (RFC 5465) state, or NULL (notify-session.h). */
	struct notify_state *notify;
	/* Set while IDLE runs: pushes the selected mailbox's changes. */
	void (*idle_notify)(struct session *s);
	/* The state last reported to the metrics gauges. */
	int metrics_state;
	/* Armed while the session waits (IDLE keepalive, login delay). */
	struct worker_timer *timer;
};

/* The session of a conn. */
struct session *session_of(struct conn *conn);
/* The log id of the session's connection. */
const char *session_id(const struct session *s);

/* Writes raw bytes / a NUL-terminated string to the client. */
void session_write(struct session *s, const void *data, size_t len);
void session_write_str(struct session *s, const char *str);
/* Writes "* " + formatted text + CRLF. */
void session_untagged(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when LOGIN and plaintext SASL mechanisms are allowed on this
 * connection now (TLS, or loopback under plaintext_auth=loopback). */
bool session_plaintext_allowed(const struct session *s);

/*
 * Moves to the authenticated state as user (copied), with the idle timeout
 * for logged-in sessions. Returns 0, -1 if the account vanished, or -2 if
 * the store could not be reached.
 */
int session_login(struct session *s, const char *user);

/* The store handle of this thread (opened on first use), or NULL with a log
 * line when the store cannot be opened. */
struct store *session_store(struct session *s);

/*
 * Before a UID command resolves its messages: brings the selected view up
 * to date, EXPUNGE (VANISHED) included, as RFC 3501 7.4.1 allows during
 * UID commands, so that `*` in a UID set is the mailbox's real largest UID
 * (6.4.8) and not one another session expunged meanwhile. Runs the store
 * query only when the view may be behind (mailbox_view_may_be_stale);
 * the tagged reply then syncs again only if a change was heard of since.
 * Never for a command that uses sequence numbers: the session calls it for
 * commands flagged COMMAND_FLAG_SYNC_FIRST; UID SEARCH, SORT and THREAD
 * call it once parsed, when no search key is a sequence set.
 */
void session_sync_first(struct session *s);

/*
 * Asks for the connection to be closed after the current output is sent.
 * The session accepts no further commands.
 */
void session_close(struct session *s, const char *reason);

/*
 * Resumes a suspended command (from a timer, a posted event or on_drained).
 * Runs it on this stack, then continues with pipelined input.
 */
void session_resume(struct session *s);

/* The connection callbacks that make a conn an IMAP session. */
extern const struct conn_ops imap_conn_ops;

#endif
