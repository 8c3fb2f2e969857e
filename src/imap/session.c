/*
 * The IMAP session: connection callbacks, the input loop and command
 * dispatch (RFC 3501 2.2, 3, 5.5).
 */
#include "imap/session.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "core/log.h"
#include "imap/capability.h"
#include "imap/command.h"
#include "imap/imap-server.h"
#include "imap/notify-session.h"
#include "imap/session-private.h"
#include "imap/view.h"
#include "metrics/metrics.h"
#include "net/conn.h"
#include "net/worker.h"
#include "store/store.h"

static void session_input_loop(struct session *s);

struct session *session_of(struct conn *conn)
{
	return conn_get_data(conn);
}

const char *session_id(const struct session *s)
{
	return conn_session_id(s->conn);
}

void session_write(struct session *s, const void *data, size_t len)
{
	conn_write(s->conn, data, len);
}

void session_write_str(struct session *s, const char *str)
{
	conn_write(s->conn, str, strlen(str));
}

void session_untagged(struct session *s, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	buf_append(&line, "* ", 2);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	buf_append(&line, "\r\n", 2);
	session_write(s, line.data, line.len);
	buf_free(&line);
}

bool session_plaintext_allowed(const struct session *s)
{
	const struct config *cfg = imap_server_config();

	/* TLS with us, or with a trusted balancer that said so in its PROXY
	 * header: either way the password does not cross a network in clear
	 * (the balancer's own link to us is the administrator's choice). */
	if (conn_is_secure(s->conn))
		return true;
	switch (cfg->plaintext_auth) {
	case PLAINTEXT_AUTH_ALWAYS:
		return true;
	case PLAINTEXT_AUTH_NEVER:
		return false;
	case PLAINTEXT_AUTH_LOOPBACK:
		return conn_is_loopback(s->conn) && !cfg->loopback_is_insecure;
	}
	return false;
}

struct store *session_store(struct session *s)
{
	struct store *st = imap_server_store();

	/* The thread's handle serves all its sessions: every use acts as
	 * this session's user, whose ACL rights the store checks (0 before
	 * login, when only accounts are read). */
	if (st != NULL)
		store_set_actor(st, s->user_id);
	return st;
}

int session_login(struct session *s, const char *user)
{
	struct store *st = session_store(s);
	struct store_user account;
	const char *error;

	if (st == NULL)
		return -2;
	int code = store_user_get(st, user, &account, &error);
	if (code != STORE_OK)
		return code == STORE_EUNAVAILABLE ? -2 : -1;
	free(s->user);
	s->user = xstrdup(account.name);
	s->user_id = account.id;
	store_user_free(&account);
	s->state = SESSION_AUTHENTICATED;
	conn_set_idle_timeout(s->conn, imap_server_config()->idle_timeout);
	return 0;
}

void session_close(struct session *s, const char *reason)
{
	s->state = SESSION_LOGOUT;
	conn_close(s->conn, reason);
}

void session_count_reply(struct session *s, const char *status)
{
	if (strcmp(status, "BAD") != 0) {
		s->bad_in_a_row = 0;
		return;
	}
	/* Repeated garbage is not a client worth serving (DESIGN.md "Limits"). */
	if (++s->bad_in_a_row >= imap_server_config()->max_bad_commands &&
	    s->state != SESSION_LOGOUT) {
		session_write_str(s, "* BYE Too many invalid commands\r\n");
		session_close(s, "too many bad commands");
	}
}

void session_sync_updates(struct session *s, struct command *cmd)
{
	/* RFC 3501 7.4.1: no EXPUNGE while a command that uses sequence
	 * numbers runs, or the client's numbers would shift under it. */
	bool allow_expunge = cmd == NULL || cmd->def == NULL ||
			     (cmd->def->flags & COMMAND_FLAG_USES_SEQS) == 0;
	/* After session_sync_first, what only another front end did since
	 * (PostgreSQL, heard late or not at all) may wait for the next
	 * command: one store query per command, not two. */
	bool synced = cmd != NULL && cmd->synced_first && s->view != NULL &&
		      !mailbox_view_heard_change(s->view);
	/* Where marks are exact (SQLite), a view nobody changed has nothing
	 * to learn: no store query (it was 11% of the CPU of a busy server). */
	if (s->view != NULL && !synced && mailbox_view_may_be_stale(s->view))
		mailbox_view_sync(s, allow_expunge);
	notify_session_before_reply(s, cmd);
}

void session_sync_first(struct session *s)
{
	if (s->state != SESSION_SELECTED || s->view == NULL)
		return;
	if (mailbox_view_may_be_stale(s->view))
		mailbox_view_sync(s, true);
	if (s->cmd != NULL && s->view != NULL)
		s->cmd->synced_first = true;
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Keeps the metrics gauges of connections by state in step with the
 * session, from one place rather than from every command that moves it. */
static void session_metrics_sync(struct session *s, bool closing)
{
	enum metrics_state now = METRICS_STATE_NONE;
	if (!closing) {
		now = s->state == SESSION_SELECTED ? METRICS_STATE_SELECTED :
		      s->state == SESSION_NOT_AUTHENTICATED ? METRICS_STATE_NOTAUTH :
		      METRICS_STATE_AUTH;
		if (s->state == SESSION_LOGOUT)
			now = (enum metrics_state)s->metrics_state;
	}
	if ((int)now != s->metrics_state) {
		metrics_session_state((enum metrics_state)s->metrics_state, now);
		s->metrics_state = (int)now;
	}
}

static void command_free(struct command *cmd)
{
	if (cmd->ctx_free != NULL)
		cmd->ctx_free(cmd->ctx);
	free(cmd->tag);
	free(cmd);
}

/* Ends the current command; the next one may be parsed. */
static void session_command_end(struct session *s)
{
	struct command *cmd = s->cmd;
	s->cmd = NULL;
	if (cmd == NULL)
		return;
	metrics_command_done(cmd->def != NULL ? cmd->def->name : "UNKNOWN",
			     monotonic_usec() - cmd->start_usec);
	command_free(cmd);
	session_metrics_sync(s, false);
	/* RFC 5465 3.1: with NOTIFY, changes go out between commands too. */
	notify_session_idle_point(s);
}

/* Runs one parsed command from the table. */
static void session_dispatch(struct session *s, struct imap_command *parsed)
{
	struct command *cmd = xcalloc(1, sizeof(*cmd));
	cmd->session = s;
	cmd->tag = xstrdup(parsed->tag);
	cmd->parsed = parsed;
	cmd->args = parsed->cmd_args;
	cmd->args_count = parsed->cmd_args_count;
	cmd->def = command_find(parsed->full_name);
	cmd->start_usec = monotonic_usec();
	s->cmd = cmd;

	bool done;
	if (cmd->def == NULL)
		done = command_bad(cmd, NULL, "Unknown command");
	else if ((cmd->def->states & s->state) == 0)
		done = command_bad(cmd, NULL, s->state == SESSION_NOT_AUTHENTICATED ?
				   "Log in first" : "Command not valid in this state");
	else {
		if (cmd->def->flags & COMMAND_FLAG_SYNC_FIRST)
			session_sync_first(s);
		done = cmd->def->handler(cmd);
	}
	if (done)
		session_command_end(s);
	else
		/* A suspended command may wait for long (IDLE): keep only
		 * what it points into. */
		imap_parser_release_scratch(s->parser);
}

/* Feeds one raw line to a command waiting for one (AUTHENTICATE, IDLE).
 * Returns false when more input is needed. */
static bool session_feed_line(struct session *s, struct buf *in)
{
	const char *line;
	size_t len, used;
	enum imap_parse_result r = imap_parser_read_line(s->parser, in->data,
							  in->len, &used,
							  &line, &len);
	struct command *cmd = s->cmd;
	bool done;

	if (r == IMAP_PARSE_NEED_MORE) {
		buf_consume(in, used);
		return false;
	}
	if (r == IMAP_PARSE_ERROR) {
		buf_consume(in, used);
		done = command_bad(cmd, NULL, "Line too long");
	} else {
		/* The line may point into the input buffer, which consuming
		 * moves: keep a copy for the handler. */
		char *copy = xmemdup(line, len);
		buf_consume(in, used);
		done = cmd->on_line(cmd, copy, len);
		free(copy);
	}
	if (done)
		session_command_end(s);
	return true;
}

/* Parses and runs commands until input runs out or a command suspends. */
static bool session_feed_command(struct session *s, struct buf *in)
{
	size_t used;
	enum imap_parse_result r = imap_parser_feed(s->parser, in->data,
						    in->len, &used);
	buf_consume(in, used);

	switch (r) {
	case IMAP_PARSE_NEED_MORE:
	case IMAP_PARSE_LINE:
		return false;
	case IMAP_PARSE_NEED_CONTINUATION:
		session_write_str(s, "+ OK\r\n");
		return true;
	case IMAP_PARSE_ERROR: {
		const struct imap_parser_error *err = imap_parser_error(s->parser);
		struct buf reply = BUF_INIT;
		imap_parser_error_reply(err, &reply);
		session_write(s, reply.data, reply.len);
		buf_free(&reply);
		if (err->fatal) {
			session_close(s, "unparseable input");
			return false;
		}
		session_count_reply(s, err->status);
		return true;
	}
	case IMAP_PARSE_COMMAND:
		session_dispatch(s, imap_parser_command(s->parser));
		return true;
	}
	return false;
}

static void session_input_loop(struct session *s)
{
	if (s->in_input_loop)
		return;
	s->in_input_loop = true;
	for (;;) {
		if (s->state == SESSION_LOGOUT)
			break;
		struct buf *in = conn_input(s->conn);
		bool progress;
		if (s->cmd != NULL) {
			if (s->cmd->on_line == NULL || in->len == 0)
				break;
			progress = session_feed_line(s, in);
		} else {
			if (in->len == 0)
				break;
			progress = session_feed_command(s, in);
		}
		if (!progress)
			break;
	}
	s->in_input_loop = false;
	if (s->cmd == NULL && conn_input(s->conn)->len == 0)
		imap_parser_trim(s->parser);
	/* A command waiting on output or a timer holds back pipelined input,
	 * so the input buffer stays bounded. */
	if (s->state != SESSION_LOGOUT)
		conn_pause_input(s->conn, s->cmd != NULL && s->cmd->on_line == NULL);
}

void session_resume(struct session *s)
{
	struct command *cmd = s->cmd;
	if (cmd == NULL || cmd->resume == NULL)
		return;
	command_fn *resume = cmd->resume;
	cmd->resume = NULL;
	if (resume(cmd))
		session_command_end(s);
	session_input_loop(s);
}

static void session_greet(struct session *s)
{
	struct buf line = BUF_INIT;
	buf_append_str(&line, "* OK [CAPABILITY ");
	capability_write(s, &line);
	buf_append_str(&line, "] Quire ready.\r\n");
	session_write(s, line.data, line.len);
	buf_free(&line);
}

static void imap_on_open(struct conn *conn)
{
	const struct config *cfg = imap_server_config();
	struct session *s = xcalloc(1, sizeof(*s));
	struct imap_parser_limits limits;

	imap_parser_limits_default(&limits);
	limits.max_line_length = cfg->max_line_length;
	limits.max_literal_size = cfg->max_literal_size;
	limits.literal_minus = cfg->literal_minus;
	limits.spill_dir = imap_server_spill_dir();
	s->conn = conn;
	s->parser = imap_parser_new(&limits);
	s->state = SESSION_NOT_AUTHENTICATED;
	conn_set_data(conn, s);
	conn_set_idle_timeout(conn, cfg->auth_timeout);
	session_metrics_sync(s, false);
	log_info(conn_session_id(conn), "connect from %s%s", conn_peer(conn),
		 conn_is_tls(conn) ? " (TLS)" : "");
	session_greet(s);
}

static void imap_on_input(struct conn *conn)
{
	session_input_loop(session_of(conn));
}

static void imap_on_drained(struct conn *conn)
{
	struct session *s = session_of(conn);
	if (s->cmd != NULL && s->cmd->wait_output) {
		s->cmd->wait_output = false;
		session_resume(s);
	} else {
		notify_session_idle_point(s);
	}
}

static void imap_on_timeout(struct conn *conn)
{
	struct session *s = session_of(conn);
	session_write_str(s, "* BYE Autologout; idle for too long\r\n");
	session_close(s, "idle timeout");
}

static void imap_on_shutdown(struct conn *conn)
{
	struct session *s = session_of(conn);
	if (s->state != SESSION_LOGOUT)
		session_write_str(s, "* BYE Server shutting down\r\n");
	s->state = SESSION_LOGOUT;
}

static void imap_on_close(struct conn *conn)
{
	struct session *s = session_of(conn);
	if (s == NULL)
		return;
	if (s->timer != NULL)
		worker_timer_cancel(conn_worker(conn), s->timer);
	s->state = SESSION_LOGOUT;
	session_command_end(s);
	notify_session_none(s);
	/* Closing also takes the session off its worker's change watchers:
	 * a notification must never reach a freed session. */
	mailbox_view_close(s);
	session_metrics_sync(s, true);
	metrics_bytes(conn_bytes_in(conn), conn_bytes_out(conn));
	imap_parser_free(&s->parser);
	free(s->user);
	free(s);
}

const struct conn_ops imap_conn_ops = {
	.on_open = imap_on_open,
	.on_input = imap_on_input,
	.on_drained = imap_on_drained,
	.on_timeout = imap_on_timeout,
	.on_shutdown = imap_on_shutdown,
	.on_close = imap_on_close,
};
