/*
 * ENABLE (RFC 5161). Only capabilities whose behaviour is implemented can
 * be enabled; the others are ignored as section 3.1 requires, and the
 * ENABLED response lists just what this command newly turned on.
 */
#include <stddef.h>
#include <string.h>

#include "imap/command.h"

struct enableable {
	const char *name;
	size_t offset;	/* of the bool in struct session */
};

static const struct enableable enableables[] = {
	{ "CONDSTORE", offsetof(struct session, enabled_condstore) },
	{ "IMAP4rev2", offsetof(struct session, enabled_rev2) },
	{ "QRESYNC", offsetof(struct session, enabled_qresync) },
	{ "UTF8=ACCEPT", offsetof(struct session, enabled_utf8_accept) },
	{ NULL, 0 },
};

static bool *enable_flag(struct session *s, const char *name, size_t len)
{
	for (size_t i = 0; enableables[i].name != NULL; i++) {
		if (strlen(enableables[i].name) == len &&
		    strncasecmp(enableables[i].name, name, len) == 0)
			return (bool *)((char *)s + enableables[i].offset);
	}
	return NULL;
}

bool cmd_enable(struct command *cmd)
{
	struct session *s = cmd->session;
	struct buf line = BUF_INIT;

	if (cmd->args_count == 0)
		return command_bad(cmd, NULL, "ENABLE needs at least one capability");
	for (size_t i = 0; i < cmd->args_count; i++) {
		if (cmd->args[i].type != IMAP_ARG_ATOM)
			return command_bad(cmd, NULL, "ENABLE takes capability names");
	}
	buf_append_str(&line, "* ENABLED");
	for (size_t i = 0; i < cmd->args_count; i++) {
		bool *flag = enable_flag(s, cmd->args[i].str, cmd->args[i].len);
		if (flag == NULL || *flag)
			continue;
		*flag = true;
		buf_append_char(&line, ' ');
		buf_append(&line, cmd->args[i].str, cmd->args[i].len);
	}
	/* RFC 7162 3.2.3: QRESYNC implies CONDSTORE (not listed in
	 * ENABLED unless asked for: it was not named). */
	if (s->enabled_qresync)
		s->enabled_condstore = true;
	/* RFC 9051 5.1, 4.3: IMAP4rev2 speaks UTF-8 mailbox names and
	 * quoted strings, as UTF8=ACCEPT does. */
	if (s->enabled_rev2 || s->enabled_utf8_accept)
		s->enabled_utf8 = true;
	buf_append(&line, "\r\n", 2);
	/* RFC 6855 3: UTF-8 in quoted strings from now on. */
	imap_parser_set_utf8(s->parser, s->enabled_utf8);
	session_write(s, line.data, line.len);
	buf_free(&line);
	return command_ok(cmd, NULL, "Enabled");
}
