/*
 * GETQUOTA, GETQUOTAROOT, SETQUOTA (RFC 9208 4.1; RFC 2087 clients use the
 * same syntax). One quota root per user, named "#user/<name>" (the form of
 * RFC 9208's examples), covering all that user's mailboxes, whoever puts
 * mail in them; resources STORAGE (KiB) and MESSAGE. The store keeps the
 * usage and decides who may see or set a root.
 */
#include <string.h>

#include "core/strutil.h"
#include "imap/cmd-acl.h"
#include "imap/mailbox-name.h"
#include "imap/writer.h"
#include "store/store.h"

#define QUOTA_ROOT_PREFIX "#user/"

static void write_root(struct buf *out, const char *user)
{
	struct buf root = BUF_INIT;
	buf_printf(&root, QUOTA_ROOT_PREFIX "%s", user);
	imap_write_astring(out, root.data, root.len, IMAP_WRITE_UTF8);
	buf_free(&root);
}

/* "* QUOTA root (STORAGE used limit MESSAGE used limit)": only limited
 * resources are listed (RFC 9208 4.2.1). */
static void write_quota(struct session *s, const struct store_quota *q)
{
	struct buf out = BUF_INIT;
	const char *sep = "";

	buf_append_str(&out, "* QUOTA ");
	write_root(&out, q->user);
	buf_append_str(&out, " (");
	if (q->storage_limited) {
		/* RFC 9208 5.1: units of 1024 octets, rounded up */
		buf_printf(&out, "STORAGE %llu %llu",
			   (unsigned long long)((q->storage_used + 1023) / 1024),
			   (unsigned long long)q->storage_limit);
		sep = " ";
	}
	if (q->messages_limited)
		buf_printf(&out, "%sMESSAGE %llu %llu", sep,
			   (unsigned long long)q->messages_used,
			   (unsigned long long)q->messages_limit);
	buf_append_str(&out, ")\r\n");
	session_write(s, out.data, out.len);
	buf_free(&out);
}

static bool quota_store_error(struct command *cmd, int r, const char *error)
{
	switch (r) {
	case STORE_ENONEXISTENT:
		return command_no(cmd, "NONEXISTENT", "No such quota root");
	case STORE_ENOPERM:
		return command_no(cmd, "NOPERM", "%s", error);
	default:
		return mailbox_name_reply_store_error(cmd, r, error);
	}
}

/* The user of a root name, or NULL when it is not one of ours. */
static const char *root_user(const char *root, size_t len)
{
	size_t plen = strlen(QUOTA_ROOT_PREFIX);

	if (len <= plen || memcmp(root, QUOTA_ROOT_PREFIX, plen) != 0 ||
	    memchr(root, '\0', len) != NULL)
		return NULL;
	return root + plen;
}

bool cmd_getquota(struct command *cmd)
{
	struct store_quota q;
	const char *root, *user, *error = NULL;
	size_t len;

	if (cmd->args_count != 1 ||
	    !imap_arg_as_astring(&cmd->args[0], &root, &len))
		return command_bad(cmd, NULL, "GETQUOTA takes a quota root");
	if ((user = root_user(root, len)) == NULL)
		return command_no(cmd, "NONEXISTENT", "No such quota root");
	struct store *st = session_store(cmd->session);
	if (st == NULL)
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	int r = store_quota_get(st, user, &q, &error);
	if (r != STORE_OK)
		return quota_store_error(cmd, r, error);
	write_quota(cmd->session, &q);
	store_quota_free(&q);
	return command_ok(cmd, NULL, "Getquota completed");
}

bool cmd_getquotaroot(struct command *cmd)
{
	struct buf name = BUF_INIT, out = BUF_INIT;
	struct store_quota q;
	const char *error = NULL;

	if (cmd->args_count != 1)
		return command_bad(cmd, NULL, "GETQUOTAROOT takes a mailbox name");
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &name)) {
		buf_free(&name);
		return true;
	}
	struct store *st = session_store(cmd->session);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	int r = store_quota_root(st, cmd->session->user_id, buf_cstr(&name),
				 &q, &error);
	if (r != STORE_OK) {
		buf_free(&name);
		if (r == STORE_ENONEXISTENT)
			return command_no(cmd, "NONEXISTENT",
					  "Mailbox does not exist");
		return quota_store_error(cmd, r, error);
	}
	buf_append_str(&out, "* QUOTAROOT ");
	mailbox_name_write(&out, name.data, name.len);
	buf_append_char(&out, ' ');
	write_root(&out, q.user);
	buf_append_str(&out, "\r\n");
	session_write(cmd->session, out.data, out.len);
	write_quota(cmd->session, &q);
	store_quota_free(&q);
	buf_free(&out);
	buf_free(&name);
	return command_ok(cmd, NULL, "Getquotaroot completed");
}

/* Parses "(STORAGE n MESSAGE n)"; an empty list removes every limit. */
static bool parse_limits(struct command *cmd, const struct imap_arg *arg,
			 uint64_t *storage, bool *has_storage,
			 uint64_t *messages, bool *has_messages)
{
	const struct imap_arg *list;
	size_t count;

	*has_storage = *has_messages = false;
	if (!imap_arg_as_list(arg, &list, &count) || count % 2 != 0) {
		command_bad(cmd, NULL, "SETQUOTA takes a list of resource limits");
		return false;
	}
	for (size_t i = 0; i < count; i += 2) {
		uint64_t v;
		if (list[i].type != IMAP_ARG_ATOM ||
		    list[i + 1].type != IMAP_ARG_ATOM ||
		    str_to_u64(list[i + 1].str, list[i + 1].len, &v) < 0 ||
		    v > INT64_MAX) {
			command_bad(cmd, NULL, "Resource limits are names and 63-bit numbers");
			return false;
		}
		if (imap_arg_atom_equals(&list[i], "STORAGE")) {
			*storage = v;
			*has_storage = true;
		} else if (imap_arg_atom_equals(&list[i], "MESSAGE")) {
			*messages = v;
			*has_messages = true;
		} else {
			/* RFC 9208 3.2: a limit that cannot be set fails */
			command_no(cmd, "CANNOT", "Only STORAGE and MESSAGE can be limited");
			return false;
		}
	}
	return true;
}

bool cmd_setquota(struct command *cmd)
{
	struct store_quota q;
	const char *root, *user, *error = NULL;
	size_t len;
	uint64_t storage = 0, messages = 0;
	bool has_storage, has_messages;

	if (cmd->args_count != 2 ||
	    !imap_arg_as_astring(&cmd->args[0], &root, &len))
		return command_bad(cmd, NULL, "SETQUOTA takes a quota root and a list of limits");
	if (!parse_limits(cmd, &cmd->args[1], &storage, &has_storage,
			  &messages, &has_messages))
		return true;
	struct store *st = session_store(cmd->session);
	if (st == NULL)
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	user = root_user(root, len);
	/* RFC 9208 4.1.3: limits not listed are removed. */
	int r = store_quota_set(st, user ? user : "", has_storage ? &storage : NULL,
				has_messages ? &messages : NULL, false, &error);
	if (r == STORE_OK)
		r = store_quota_get(st, user, &q, &error);
	if (r != STORE_OK)
		return quota_store_error(cmd, r, error);
	write_quota(cmd->session, &q);
	store_quota_free(&q);
	return command_ok(cmd, NULL, "Setquota completed");
}
