#ifndef QUIRE_IMAP_COMMAND_H
#define QUIRE_IMAP_COMMAND_H
/*
 * The command table and the life of one command.
 *
 * A handler gets the parsed command and returns true when it has written
 * its tagged reply (through command_ok/no/bad), or false when it suspended:
 * it then set cmd->resume (called again later, e.g. from on_drained or a
 * timer) or cmd->on_line (called with each raw client line, for
 * AUTHENTICATE and IDLE). The parsed arguments are valid until the handler
 * first returns false with on_line set: the raw line reader releases them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/parser.h"
#include "imap/session.h"

struct command;
typedef bool command_fn(struct command *cmd);
typedef bool command_line_fn(struct command *cmd, const char *line, size_t len);

enum command_flags {
	/* Uses message sequence numbers: untagged EXPUNGE must not be sent
	 * while it runs (RFC 3501 7.4.1): FETCH, STORE, SEARCH, COPY. */
	COMMAND_FLAG_USES_SEQS = 1 << 0,
	/* Allowed to run while a previous one is still running: none yet; the
	 * flag documents intent for pipelining later. */
	COMMAND_FLAG_PIPELINE = 1 << 1,
	/* Names messages only by UID, so EXPUNGE may go out while it runs
	 * (RFC 3501 7.4.1): the session syncs the view before the handler
	 * (session_sync_first), and `*` is the mailbox's real last UID. */
	COMMAND_FLAG_SYNC_FIRST = 1 << 2,
};

struct command_def {
	const char *name;	/* full name: "UID FETCH", "XQUIREVERSION" */
	unsigned states;	/* mask of enum session_state */
	unsigned flags;		/* enum command_flags */
	command_fn *handler;
};

struct command {
	struct session *session;
	const struct command_def *def;
	char *tag;
	/* The parsed command; see the lifetime note above. */
	struct imap_command *parsed;
	const struct imap_arg *args;
	size_t args_count;
	/* Set by a handler before returning false. */
	command_fn *resume;
	command_line_fn *on_line;
	/* resume runs when the output buffer drains (conn on_drained). */
	bool wait_output;
	/* Handler state, freed with ctx_free when the command ends. */
	void *ctx;
	void (*ctx_free)(void *ctx);
	bool finished;
	/* session_sync_first ran for it: the tagged reply syncs again only
	 * when a change was heard of since (mailbox_view_heard_change). */
	bool synced_first;
	/* Monotonic start time, for the per-command latency metric. */
	uint64_t start_usec;
};

/* Finds a command by full name (already uppercased), or NULL. */
const struct command_def *command_find(const char *full_name);

/*
 * Tagged replies. code is a response code without brackets ("TRYCREATE",
 * "CAPABILITY IMAP4rev1 ...") or NULL. Each returns true so a handler can
 * `return command_ok(cmd, NULL, "Done");`. Before an OK or NO the session
 * sends the untagged updates of its selected mailbox that are allowed now.
 */
bool command_ok(struct command *cmd, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool command_no(struct command *cmd, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool command_bad(struct command *cmd, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Handlers, one file per command family (cmd-*.c). */
command_fn cmd_capability, cmd_noop, cmd_logout, cmd_login, cmd_authenticate,
	cmd_starttls, cmd_id, cmd_enable, cmd_xquireversion;
command_fn cmd_select, cmd_examine, cmd_close, cmd_unselect, cmd_idle, cmd_fetch;
command_fn cmd_append, cmd_store, cmd_copy, cmd_move, cmd_expunge,
	cmd_uid_expunge;
command_fn cmd_compress;
command_fn cmd_search, cmd_sort, cmd_thread;
command_fn cmd_notify;

#endif
