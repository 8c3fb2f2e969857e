#include "imap/command.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "imap/cmd-acl.h"
#include "imap/cmd-mailbox.h"
#include "imap/session-private.h"

#define ANY_STATE (SESSION_NOT_AUTHENTICATED | SESSION_AUTHENTICATED | SESSION_SELECTED)
#define NOT_AUTH SESSION_NOT_AUTHENTICATED
#define AUTHED (SESSION_AUTHENTICATED | SESSION_SELECTED)
#define SELECTED SESSION_SELECTED

/* Sorted by name for bsearch; a test checks the order. Adding a command or
 * an extension is adding a row (DESIGN.md "One command, end to end"). */
static const struct command_def command_table[] = {
	{ "APPEND", AUTHED, 0, cmd_append },
	{ "AUTHENTICATE", NOT_AUTH, 0, cmd_authenticate },
	{ "CAPABILITY", ANY_STATE, 0, cmd_capability },
	{ "CHECK", SELECTED, 0, cmd_noop },
	{ "CLOSE", SELECTED, 0, cmd_close },
	{ "COMPRESS", AUTHED, 0, cmd_compress },
	{ "COPY", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_copy },
	{ "CREATE", AUTHED, 0, cmd_create },
	{ "DELETE", AUTHED, 0, cmd_delete },
	{ "DELETEACL", AUTHED, 0, cmd_deleteacl },
	{ "ENABLE", SESSION_AUTHENTICATED, 0, cmd_enable },
	{ "EXAMINE", AUTHED, 0, cmd_examine },
	{ "EXPUNGE", SELECTED, 0, cmd_expunge },
	{ "FETCH", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_fetch },
	{ "GETACL", AUTHED, 0, cmd_getacl },
	{ "GETQUOTA", AUTHED, 0, cmd_getquota },
	{ "GETQUOTAROOT", AUTHED, 0, cmd_getquotaroot },
	{ "ID", ANY_STATE, 0, cmd_id },
	{ "IDLE", AUTHED, 0, cmd_idle },
	{ "LIST", AUTHED, 0, cmd_list },
	{ "LISTRIGHTS", AUTHED, 0, cmd_listrights },
	{ "LOGIN", NOT_AUTH, 0, cmd_login },
	{ "LOGOUT", ANY_STATE, 0, cmd_logout },
	{ "LSUB", AUTHED, 0, cmd_lsub },
	{ "MOVE", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_move },
	{ "MYRIGHTS", AUTHED, 0, cmd_myrights },
	{ "NAMESPACE", AUTHED, 0, cmd_namespace },
	{ "NOOP", ANY_STATE, 0, cmd_noop },
	{ "NOTIFY", AUTHED, 0, cmd_notify },
	{ "RENAME", AUTHED, 0, cmd_rename },
	{ "SEARCH", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_search },
	{ "SELECT", AUTHED, 0, cmd_select },
	{ "SETACL", AUTHED, 0, cmd_setacl },
	{ "SETQUOTA", AUTHED, 0, cmd_setquota },
	{ "SORT", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_sort },
	{ "STARTTLS", NOT_AUTH, 0, cmd_starttls },
	{ "STATUS", AUTHED, 0, cmd_status },
	{ "STORE", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_store },
	{ "SUBSCRIBE", AUTHED, 0, cmd_subscribe },
	{ "THREAD", SELECTED, COMMAND_FLAG_USES_SEQS, cmd_thread },
	{ "UID COPY", SELECTED, COMMAND_FLAG_SYNC_FIRST, cmd_copy },
	{ "UID EXPUNGE", SELECTED, COMMAND_FLAG_SYNC_FIRST, cmd_uid_expunge },
	{ "UID FETCH", SELECTED, COMMAND_FLAG_SYNC_FIRST, cmd_fetch },
	{ "UID MOVE", SELECTED, COMMAND_FLAG_SYNC_FIRST, cmd_move },
	{ "UID SEARCH", SELECTED, 0, cmd_search },
	{ "UID SORT", SELECTED, 0, cmd_sort },
	{ "UID STORE", SELECTED, COMMAND_FLAG_SYNC_FIRST, cmd_store },
	{ "UID THREAD", SELECTED, 0, cmd_thread },
	{ "UNSELECT", SELECTED, 0, cmd_unselect },
	{ "UNSUBSCRIBE", AUTHED, 0, cmd_unsubscribe },
	{ "XQUIREVERSION", ANY_STATE, 0, cmd_xquireversion },
};

static int command_def_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct command_def *)elem)->name);
}

const struct command_def *command_find(const char *full_name)
{
	return bsearch(full_name, command_table,
		       sizeof(command_table) / sizeof(command_table[0]),
		       sizeof(command_table[0]), command_def_cmp);
}

bool command_table_is_sorted(void)
{
	for (size_t i = 1; i < sizeof(command_table) / sizeof(command_table[0]); i++) {
		if (strcmp(command_table[i - 1].name, command_table[i].name) >= 0)
			return false;
	}
	return true;
}

static bool command_reply(struct command *cmd, const char *status,
			  const char *code, const char *fmt, va_list ap)
{
	struct session *s = cmd->session;
	struct buf line = BUF_INIT;

	assert(!cmd->finished);
	if (strcmp(status, "BAD") != 0)
		session_sync_updates(s, cmd);
	buf_append_str(&line, cmd->tag);
	buf_append_char(&line, ' ');
	buf_append_str(&line, status);
	buf_append_char(&line, ' ');
	if (code != NULL) {
		buf_append_char(&line, '[');
		buf_append_str(&line, code);
		buf_append_str(&line, "] ");
	}
	/* Most replies are fixed text: no printf for them. */
	if (strchr(fmt, '%') == NULL)
		buf_append_str(&line, fmt);
	else
		buf_vprintf(&line, fmt, ap);
	buf_append(&line, "\r\n", 2);
	session_write(s, line.data, line.len);
	buf_free(&line);
	session_count_reply(s, status);
	cmd->finished = true;
	return true;
}

bool command_ok(struct command *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	command_reply(cmd, "OK", code, fmt, ap);
	va_end(ap);
	return true;
}

bool command_no(struct command *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	command_reply(cmd, "NO", code, fmt, ap);
	va_end(ap);
	return true;
}

bool command_bad(struct command *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	command_reply(cmd, "BAD", code, fmt, ap);
	va_end(ap);
	return true;
}
