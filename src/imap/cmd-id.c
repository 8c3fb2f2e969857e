/*
 * ID (RFC 2971). The client's list is checked against the limits of
 * section 3.3 and logged (it names the client, which helps support); the
 * server answers with its own name and version.
 */
#include "core/log.h"
#include "imap/command.h"
#include "imap/version.h"

#define ID_MAX_PAIRS 30
#define ID_MAX_FIELD 30
#define ID_MAX_VALUE 1024

static const char *id_check(const struct imap_arg *list, size_t count,
			    struct buf *summary)
{
	if (count % 2 != 0)
		return "ID list must hold field/value pairs";
	if (count / 2 > ID_MAX_PAIRS)
		return "Too many ID fields";
	for (size_t i = 0; i < count; i += 2) {
		const char *field, *value;
		size_t field_len, value_len;
		if (!imap_arg_as_string(&list[i], &field, &field_len) ||
		    field_len > ID_MAX_FIELD)
			return "ID field must be a string of at most 30 octets";
		if (!imap_arg_as_nstring(&list[i + 1], &value, &value_len) ||
		    value_len > ID_MAX_VALUE)
			return "ID value must be a string of at most 1024 octets or NIL";
		if (value != NULL && summary->len < 200)
			buf_printf(summary, " %.*s=%.*s", (int)field_len, field,
				   (int)(value_len > 64 ? 64 : value_len), value);
	}
	return NULL;
}

bool cmd_id(struct command *cmd)
{
	const struct imap_arg *list;
	size_t count = 0;
	struct buf summary = BUF_INIT;

	if (cmd->args_count != 1)
		return command_bad(cmd, NULL, "ID takes one argument: a list or NIL");
	if (!imap_arg_is_nil(&cmd->args[0])) {
		if (!imap_arg_as_list(&cmd->args[0], &list, &count))
			return command_bad(cmd, NULL, "ID takes a list or NIL");
		const char *error = id_check(list, count, &summary);
		if (error != NULL) {
			buf_free(&summary);
			return command_bad(cmd, NULL, "%s", error);
		}
		log_info(session_id(cmd->session), "client id:%s", buf_cstr(&summary));
	}
	buf_free(&summary);
	session_untagged(cmd->session,
			 "ID (\"name\" \"Quire\" \"version\" \"%s\")", QUIRE_VERSION);
	return command_ok(cmd, NULL, "ID completed");
}
