/*
 * NOTIFY (RFC 5465 3.1): NOTIFY SET [STATUS] event-groups, NOTIFY NONE.
 * The parsing is notify-spec.c, the watching and telling
 * notify-session.c; this is the command.
 */
#include "imap/command.h"
#include "imap/notify-session.h"
#include "imap/notify-spec.h"

bool cmd_notify(struct command *cmd)
{
	struct session *s = cmd->session;
	struct notify_spec spec;
	const char *error;

	if (cmd->args_count == 1 && imap_arg_atom_equals(&cmd->args[0], "NONE")) {
		notify_session_none(s);
		return command_ok(cmd, NULL, "NOTIFY is off");
	}
	if (cmd->args_count < 1 || !imap_arg_atom_equals(&cmd->args[0], "SET"))
		return command_bad(cmd, NULL, "NOTIFY takes SET or NONE");
	switch (notify_spec_parse(s, cmd->args + 1, cmd->args_count - 1, &spec,
				  &error)) {
	case NOTIFY_SPEC_OK:
		break;
	case NOTIFY_SPEC_BAD:
		return command_bad(cmd, NULL, "%s", error);
	case NOTIFY_SPEC_BADEVENT:
		/* 3.1: NO, not BAD, listing every event supported. */
		return command_no(cmd, "BADEVENT (" NOTIFY_SUPPORTED_EVENTS ")",
				  "Unsupported NOTIFY event");
	}
	switch (notify_session_set(s, &spec)) {
	case NOTIFY_SET_OK:
		break;
	case NOTIFY_SET_TOO_MANY:
		/* 3.1: too expensive may be refused this way. */
		return command_no(cmd, "NOTIFICATIONOVERFLOW",
				  "NOTIFY would watch too many mailboxes");
	case NOTIFY_SET_STORE:
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	/* 3.1: a successful NOTIFY SET is an implicit NOOP: the reply's
	 * sync sends what changed in the selected mailbox. */
	return command_ok(cmd, NULL, "NOTIFY completed");
}
