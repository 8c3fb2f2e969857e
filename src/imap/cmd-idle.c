/*
 * IDLE (RFC 2177). The session waits for "DONE"; meanwhile changes to the
 * selected mailbox are pushed as soon as the change bus reports them (no
 * polling), and a keepalive line every couple of minutes keeps NAT boxes
 * from dropping the connection (DESIGN.md "Limits").
 */
#include <strings.h>

#include "imap/command.h"
#include "imap/notify-session.h"
#include "imap/view.h"
#include "net/conn.h"
#include "net/worker.h"

#define IDLE_KEEPALIVE_MS (2 * 60 * 1000)

static void idle_keepalive(struct worker *worker, void *arg);

static void idle_arm_keepalive(struct session *s)
{
	s->timer = worker_timer_add(conn_worker(s->conn), IDLE_KEEPALIVE_MS,
				    idle_keepalive, s);
}

static void idle_keepalive(struct worker *worker, void *arg)
{
	struct session *s = arg;
	(void)worker;
	s->timer = NULL;
	session_write_str(s, "* OK Still here\r\n");
	idle_arm_keepalive(s);
}

static void idle_push_changes(struct session *s)
{
	/* RFC 5465 4: under NOTIFY, IDLE sends what NOTIFY asked for. */
	if (notify_session_active(s)) {
		notify_session_idle_push(s);
		return;
	}
	/* No command uses sequence numbers during IDLE: EXPUNGE may go. */
	if (s->view != NULL)
		mailbox_view_sync(s, true);
}

static void idle_stop(struct session *s)
{
	s->idle_notify = NULL;
	if (s->timer != NULL) {
		worker_timer_cancel(conn_worker(s->conn), s->timer);
		s->timer = NULL;
	}
}

static bool idle_line(struct command *cmd, const char *line, size_t len)
{
	idle_stop(cmd->session);
	cmd->on_line = NULL;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		return command_ok(cmd, NULL, "Idle completed");
	return command_bad(cmd, NULL, "Expected DONE to end IDLE");
}

bool cmd_idle(struct command *cmd)
{
	struct session *s = cmd->session;

	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "IDLE takes no arguments");
	session_write_str(s, "+ idling\r\n");
	/* Whatever changed before IDLE began goes out now. */
	if (s->view != NULL || notify_session_active(s)) {
		s->idle_notify = idle_push_changes;
		idle_push_changes(s);
	}
	idle_arm_keepalive(s);
	cmd->on_line = idle_line;
	return false;
}
