/*
 * SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS (RFC 4314 3). The store
 * keeps and enforces the ACLs (store.h "Access control"); this file parses
 * identifiers and rights and writes the ACL, LISTRIGHTS and MYRIGHTS
 * responses. A mailbox the user may not see answers exactly as a missing
 * one (RFC 4314 6).
 */
#include <string.h>

#include "auth/acl-rights.h"
#include "auth/saslprep.h"
#include "imap/cmd-acl.h"
#include "imap/mailbox-name.h"
#include "imap/writer.h"
#include "store/store.h"

static bool acl_store_error(struct command *cmd, int r, const char *error)
{
	switch (r) {
	case STORE_ENONEXISTENT:
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	case STORE_ENOPERM:
		return command_no(cmd, "NOPERM", "Permission denied");
	case STORE_EINVALID:
		return command_no(cmd, NULL, "Unknown identifier");
	case STORE_ECANNOT:
		return command_no(cmd, "CANNOT", "%s", error);
	default:
		return mailbox_name_reply_store_error(cmd, r, error);
	}
}

/* RFC 4314 3: an identifier is SASLprep'ed; failure or an empty result
 * is BAD. Returns false after replying. */
static bool identifier_arg(struct command *cmd, const struct imap_arg *arg,
			   struct buf *out)
{
	const char *id, *error;
	size_t len;

	if (!imap_arg_as_astring(arg, &id, &len) || memchr(id, '\0', len)) {
		command_bad(cmd, NULL, "Identifier must be an astring");
		return false;
	}
	if (saslprep(id, len, out, &error) < 0 || out->len == 0 ||
	    (out->len == 1 && out->data[0] == '-')) {
		command_bad(cmd, NULL, "Invalid identifier");
		return false;
	}
	return true;
}

/* Checks the argument count and reads the mailbox name into name. */
static bool mailbox_args(struct command *cmd, size_t count, const char *word,
			 struct buf *name, struct store **st_r)
{
	if (cmd->args_count != count) {
		command_bad(cmd, NULL, "%s takes %zu arguments", word, count);
		return false;
	}
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, name))
		return false;
	*st_r = session_store(cmd->session);
	if (*st_r == NULL) {
		command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
		return false;
	}
	return true;
}

static void write_rights(struct buf *out, uint32_t rights)
{
	struct buf letters = BUF_INIT;
	acl_rights_write(rights, &letters);
	imap_write_astring(out, letters.data ? letters.data : "", letters.len, 0);
	buf_free(&letters);
}

bool cmd_setacl(struct command *cmd)
{
	struct buf name = BUF_INIT, id = BUF_INIT;
	struct store *st;
	const char *mod, *error = NULL;
	size_t len;
	uint32_t rights;

	if (!mailbox_args(cmd, 3, "SETACL", &name, &st) ||
	    !identifier_arg(cmd, &cmd->args[1], &id))
		goto done;
	if (!imap_arg_as_astring(&cmd->args[2], &mod, &len)) {
		command_bad(cmd, NULL, "Rights must be an astring");
		goto done;
	}
	/* RFC 4314 3.1: "+" adds, "-" removes, else replace. */
	enum store_acl_op op = STORE_ACL_REPLACE;
	if (len > 0 && (mod[0] == '+' || mod[0] == '-')) {
		op = mod[0] == '+' ? STORE_ACL_ADD : STORE_ACL_REMOVE;
		mod++;
		len--;
	}
	if (acl_rights_parse(mod, len, &rights, &error) < 0) {
		command_bad(cmd, NULL, "%s", error);
		goto done;
	}
	int r = store_acl_set(st, cmd->session->user_id, buf_cstr(&name),
			      buf_cstr(&id), op, rights, &error);
	if (r != STORE_OK)
		acl_store_error(cmd, r, error);
	else
		command_ok(cmd, NULL, "Setacl completed");
done:
	buf_free(&name);
	buf_free(&id);
	return true;
}

bool cmd_deleteacl(struct command *cmd)
{
	struct buf name = BUF_INIT, id = BUF_INIT;
	struct store *st;
	const char *error = NULL;

	if (mailbox_args(cmd, 2, "DELETEACL", &name, &st) &&
	    identifier_arg(cmd, &cmd->args[1], &id)) {
		int r = store_acl_delete(st, cmd->session->user_id,
					 buf_cstr(&name), buf_cstr(&id), &error);
		if (r != STORE_OK)
			acl_store_error(cmd, r, error);
		else
			command_ok(cmd, NULL, "Deleteacl completed");
	}
	buf_free(&name);
	buf_free(&id);
	return true;
}

bool cmd_getacl(struct command *cmd)
{
	struct buf name = BUF_INIT, out = BUF_INIT;
	struct store_acl acl;
	struct store *st;
	const char *error = NULL;

	if (!mailbox_args(cmd, 1, "GETACL", &name, &st)) {
		buf_free(&name);
		return true;
	}
	int r = store_acl_get(st, cmd->session->user_id, buf_cstr(&name),
			      &acl, &error);
	if (r != STORE_OK) {
		buf_free(&name);
		return acl_store_error(cmd, r, error);
	}
	/* The owner holds every right, always (store.h): list it first, as
	 * the examples of RFC 4314 3 list the owner. */
	buf_append_str(&out, "* ACL ");
	mailbox_name_write(&out, name.data, name.len);
	buf_append_char(&out, ' ');
	imap_write_astring(&out, acl.owner, strlen(acl.owner), IMAP_WRITE_UTF8);
	buf_append_char(&out, ' ');
	write_rights(&out, ACL_RIGHTS_ALL);
	for (size_t i = 0; i < acl.count; i++) {
		const char *id = acl.entries[i].identifier;
		buf_append_char(&out, ' ');
		imap_write_astring(&out, id, strlen(id), IMAP_WRITE_UTF8);
		buf_append_char(&out, ' ');
		write_rights(&out, acl.entries[i].rights);
	}
	buf_append_str(&out, "\r\n");
	session_write(cmd->session, out.data, out.len);
	store_acl_free(&acl);
	buf_free(&out);
	buf_free(&name);
	return command_ok(cmd, NULL, "Getacl completed");
}

bool cmd_listrights(struct command *cmd)
{
	struct buf name = BUF_INIT, id = BUF_INIT, out = BUF_INIT;
	struct store *st;
	const char *error = NULL, *given;
	size_t given_len;
	uint32_t always, optional;

	if (!mailbox_args(cmd, 2, "LISTRIGHTS", &name, &st) ||
	    !identifier_arg(cmd, &cmd->args[1], &id))
		goto done;
	int r = store_acl_listrights(st, cmd->session->user_id,
				     buf_cstr(&name), buf_cstr(&id), &always,
				     &optional, &error);
	if (r != STORE_OK) {
		acl_store_error(cmd, r, error);
		goto done;
	}
	/* RFC 4314 3.4: the identifier exactly as the client gave it. */
	imap_arg_as_astring(&cmd->args[1], &given, &given_len);
	buf_append_str(&out, "* LISTRIGHTS ");
	mailbox_name_write(&out, name.data, name.len);
	buf_append_char(&out, ' ');
	imap_write_astring(&out, given, given_len, IMAP_WRITE_UTF8);
	buf_append_char(&out, ' ');
	write_rights(&out, always);
	/* No tied rights: each one alone, then c and d (2.1.1), each once. */
	for (size_t i = 0; ACL_RIGHTS_LETTERS[i] != '\0'; i++) {
		if (optional & (1u << i))
			buf_printf(&out, " %c", ACL_RIGHTS_LETTERS[i]);
	}
	if (optional & ACL_CREATE)
		buf_append_str(&out, " c");
	if (optional & (ACL_DELETE | ACL_DELETED | ACL_EXPUNGE))
		buf_append_str(&out, " d");
	buf_append_str(&out, "\r\n");
	session_write(cmd->session, out.data, out.len);
	command_ok(cmd, NULL, "Listrights completed");
done:
	buf_free(&name);
	buf_free(&id);
	buf_free(&out);
	return true;
}

bool cmd_myrights(struct command *cmd)
{
	struct buf name = BUF_INIT, out = BUF_INIT;
	struct store *st;
	const char *error = NULL;
	uint32_t rights;

	if (!mailbox_args(cmd, 1, "MYRIGHTS", &name, &st)) {
		buf_free(&name);
		return true;
	}
	int r = store_acl_myrights(st, cmd->session->user_id, buf_cstr(&name),
				   &rights, &error);
	if (r != STORE_OK) {
		buf_free(&name);
		return acl_store_error(cmd, r, error);
	}
	buf_append_str(&out, "* MYRIGHTS ");
	mailbox_name_write(&out, name.data, name.len);
	buf_append_char(&out, ' ');
	write_rights(&out, rights);
	buf_append_str(&out, "\r\n");
	session_write(cmd->session, out.data, out.len);
	buf_free(&out);
	buf_free(&name);
	return command_ok(cmd, NULL, "Myrights completed");
}
