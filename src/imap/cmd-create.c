/* CREATE (RFC 3501 6.3.3), with the USE parameter of CREATE-SPECIAL-USE
 * (RFC 6154 3) in the create-params syntax of RFC 4466 2.2. */
#include "imap/cmd-mailbox.h"
#include "imap/list-options.h"
#include "imap/mailbox-name.h"
#include "imap/objectid.h"
#include "store/store.h"

/* The special uses a mailbox can be created with: \All and \Flagged
 * would be virtual mailboxes, which the store does not have. */
#define CREATE_USE_ALLOWED (STORE_MBOX_SPECIAL_USE_MASK & \
			    ~(STORE_MBOX_ALL | STORE_MBOX_FLAGGED))

/*
 * Reads "(" create-param *(SP create-param) ")" into *use_r. Returns 0, or
 * -1 after sending the tagged reply: BAD for syntax and unknown parameters
 * (RFC 4466 2.2), NO [USEATTR] for a use the server cannot give (RFC 6154
 * 3: and then the mailbox must not be created).
 */
static int parse_create_params(struct command *cmd, const struct imap_arg *arg,
			       uint32_t *use_r)
{
	*use_r = 0;
	if (arg->type != IMAP_ARG_LIST || arg->list_count == 0) {
		command_bad(cmd, NULL, "CREATE parameters are a parenthesised list");
		return -1;
	}
	for (size_t i = 0; i < arg->list_count; i++) {
		const struct imap_arg *p = &arg->list[i];
		if (!imap_arg_atom_equals(p, "USE")) {
			command_bad(cmd, NULL, "Unknown CREATE parameter");
			return -1;
		}
		if (++i == arg->list_count || arg->list[i].type != IMAP_ARG_LIST) {
			command_bad(cmd, NULL, "USE takes a list of special-use attributes");
			return -1;
		}
		const struct imap_arg *uses = &arg->list[i];
		for (size_t k = 0; k < uses->list_count; k++) {
			const struct imap_arg *u = &uses->list[k];
			if (u->type != IMAP_ARG_ATOM || u->len < 2 || u->str[0] != '\\') {
				command_bad(cmd, NULL, "USE takes a list of special-use attributes");
				return -1;
			}
			uint32_t bit = list_special_use_bit(u->str, u->len);
			if ((bit & CREATE_USE_ALLOWED) == 0) {
				command_no(cmd, "USEATTR", "Special use %s is not supported",
					   bit != 0 ? u->str : "(unknown)");
				return -1;
			}
			*use_r |= bit;
		}
	}
	return 0;
}

bool cmd_create(struct command *cmd)
{
	struct session *s = cmd->session;
	struct buf name = BUF_INIT;
	const char *error = NULL;
	uint32_t use = 0;

	if (cmd->args_count != 1 && cmd->args_count != 2)
		return command_bad(cmd, NULL, "CREATE takes a mailbox name and optional parameters");
	if (cmd->args_count == 2 &&
	    parse_create_params(cmd, &cmd->args[1], &use) < 0)
		return true;
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_NEW, &name)) {
		buf_free(&name);
		return true;
	}
	/* RFC 3501 6.3.3: it is an error to create INBOX; it always exists
	 * (RFC 5530 3: ALREADYEXISTS). */
	if (mailbox_name_is_inbox(name.data, name.len)) {
		buf_free(&name);
		return command_no(cmd, "ALREADYEXISTS", "INBOX always exists");
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	/* The store creates missing superior names (RFC 3501 6.3.3 SHOULD). */
	int r = store_mailbox_create(st, s->user_id, buf_cstr(&name), use, NULL,
				     &error);
	/* RFC 8474 4.1: OK [MAILBOXID (id)] on every successful CREATE. */
	struct store_mailbox created;
	if (r == STORE_OK &&
	    store_mailbox_lookup(st, s->user_id, buf_cstr(&name), &created,
				 &error) == STORE_OK) {
		struct buf code = BUF_INIT;
		buf_append_str(&code, "MAILBOXID (");
		objectid_mailbox(created.uidvalidity, &code);
		buf_append_char(&code, ')');
		buf_free(&name);
		command_ok(cmd, buf_cstr(&code), "CREATE completed");
		buf_free(&code);
		return true;
	}
	buf_free(&name);
	if (r == STORE_EALREADYEXISTS)
		return command_no(cmd, "ALREADYEXISTS", "Mailbox already exists");
	if (r == STORE_EINVALID)
		return command_no(cmd, "CANNOT", "%s", error);
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);
	return command_ok(cmd, NULL, "CREATE completed");
}
