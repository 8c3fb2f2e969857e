/*
 * STATUS (RFC 3501 6.3.10). The items of RFC 3501, HIGHESTMODSEQ (RFC
 * 7162 3.1.7), MAILBOXID (RFC 8474 4.3), DELETED (RFC 9051 6.3.11),
 * DELETED-STORAGE (RFC 9208 4.1.4, required with QUOTA=RES-MESSAGE and
 * QUOTA=RES-STORAGE), SIZE (RFC 8438) and APPENDLIMIT (RFC 7889 3.1).
 */
#include <string.h>

#include "imap/capability.h"
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-name.h"
#include "imap/objectid.h"
#include "imap/view.h"
#include "store/store.h"

enum status_item {
	STATUS_MESSAGES,
	STATUS_RECENT,
	STATUS_UIDNEXT,
	STATUS_UIDVALIDITY,
	STATUS_UNSEEN,
	STATUS_SIZE,
	STATUS_APPENDLIMIT,
	STATUS_HIGHESTMODSEQ,
	STATUS_MAILBOXID,
	STATUS_DELETED,
	STATUS_DELETED_STORAGE,
};

static const char *const status_item_names[] = {
	[STATUS_MESSAGES] = "MESSAGES",
	[STATUS_RECENT] = "RECENT",
	[STATUS_UIDNEXT] = "UIDNEXT",
	[STATUS_UIDVALIDITY] = "UIDVALIDITY",
	[STATUS_UNSEEN] = "UNSEEN",
	[STATUS_SIZE] = "SIZE",
	[STATUS_APPENDLIMIT] = "APPENDLIMIT",
	[STATUS_HIGHESTMODSEQ] = "HIGHESTMODSEQ",
	[STATUS_MAILBOXID] = "MAILBOXID",
	[STATUS_DELETED] = "DELETED",
	[STATUS_DELETED_STORAGE] = "DELETED-STORAGE",
};
#define STATUS_ITEM_COUNT (sizeof(status_item_names) / sizeof(status_item_names[0]))

/* Parses the item list into a bitmask of enum status_item (each item is
 * answered once, in the order above). Returns false for an unknown item or
 * an empty list: RFC 3501 9 wants at least one status-att. */
static bool parse_items(const struct imap_arg *arg, unsigned *items_r)
{
	const struct imap_arg *list;
	size_t count;
	*items_r = 0;
	if (!imap_arg_as_list(arg, &list, &count) || count == 0)
		return false;
	for (size_t i = 0; i < count; i++) {
		size_t k = 0;
		if (list[i].type != IMAP_ARG_ATOM)
			return false;
		while (k < STATUS_ITEM_COUNT &&
		       !imap_arg_atom_equals(&list[i], status_item_names[k]))
			k++;
		if (k == STATUS_ITEM_COUNT)
			return false;
		*items_r |= 1u << k;
	}
	return true;
}

static void write_item(struct buf *out, const struct store_mailbox_status *st,
		       enum status_item item)
{
	uint64_t v = 0;
	switch (item) {
	/* RFC 8438 3: the total of the messages' RFC822.SIZE. */
	case STATUS_SIZE: v = st->size; break;
	/* RFC 7889 3.1: one limit for every mailbox. */
	case STATUS_APPENDLIMIT: v = capability_appendlimit(); break;
	case STATUS_MESSAGES: v = st->messages; break;
	case STATUS_RECENT: v = st->recent; break;
	case STATUS_UIDNEXT: v = st->uidnext; break;
	case STATUS_UIDVALIDITY: v = st->uidvalidity; break;
	case STATUS_UNSEEN: v = st->unseen; break;
	case STATUS_HIGHESTMODSEQ: v = st->highestmodseq; break;
	case STATUS_DELETED: v = st->deleted; break;
	/* in the unit of the STORAGE resource, KiB (RFC 9208 5.1) */
	case STATUS_DELETED_STORAGE: v = (st->deleted_size + 1023) / 1024; break;
	case STATUS_MAILBOXID:
		buf_append_str(out, "MAILBOXID (");
		objectid_mailbox(st->uidvalidity, out);
		buf_append_char(out, ')');
		return;
	}
	buf_printf(out, "%s %llu", status_item_names[item], (unsigned long long)v);
}

static void write_status(struct session *s, const char *name, size_t len,
			 unsigned items, const struct store_mailbox_status *st)
{
	struct buf out = BUF_INIT;
	bool first = true;
	buf_append_str(&out, "* STATUS ");
	mailbox_name_write_for(s, &out, name, len);
	buf_append_str(&out, " (");
	for (size_t k = 0; k < STATUS_ITEM_COUNT; k++) {
		if ((items & (1u << k)) == 0)
			continue;
		if (!first)
			buf_append_char(&out, ' ');
		write_item(&out, st, (enum status_item)k);
		first = false;
	}
	buf_append_str(&out, ")\r\n");
	session_write(s, out.data, out.len);
	buf_free(&out);
}

bool cmd_status(struct command *cmd)
{
	struct session *s = cmd->session;
	struct buf name = BUF_INIT;
	struct store_mailbox mailbox;
	struct store_mailbox_status status;
	const char *error = NULL;
	unsigned items;

	if (cmd->args_count != 2)
		return command_bad(cmd, NULL, "STATUS takes a mailbox name and a list of items");
	if (!parse_items(&cmd->args[1], &items))
		return command_bad(cmd, NULL, "STATUS items are a list of MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ, MAILBOXID, DELETED, DELETED-STORAGE, SIZE, APPENDLIMIT");
	/* RFC 7162 3.1: STATUS (HIGHESTMODSEQ) is CONDSTORE enabling. */
	if (cmd_status_items_condstore(items))
		mailbox_view_enable_condstore(s);
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &name)) {
		buf_free(&name);
		return true;
	}
	struct store *st = session_store(s);
	if (st == NULL) {
		buf_free(&name);
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	}
	int r = store_mailbox_lookup(st, s->user_id, buf_cstr(&name), &mailbox, &error);
	/* A \Noselect name holds no messages to count: it is not a mailbox
	 * as far as STATUS goes. */
	if (r == STORE_EINVALID ||
	    (r == STORE_OK && (mailbox.attrs & STORE_MBOX_NOSELECT)))
		r = STORE_ENONEXISTENT;
	if (r == STORE_OK)
		r = store_mailbox_status(st, mailbox.id, &status, &error);
	if (r == STORE_ENONEXISTENT) {
		buf_free(&name);
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	}
	if (r != STORE_OK) {
		buf_free(&name);
		return mailbox_name_reply_store_error(cmd, r, error);
	}
	write_status(s, name.data, name.len, items, &status);
	buf_free(&name);
	return command_ok(cmd, NULL, "STATUS completed");
}

bool cmd_status_items_condstore(unsigned items)
{
	return (items & (1u << STATUS_HIGHESTMODSEQ)) != 0;
}

bool cmd_status_parse_items(const struct imap_arg *arg, unsigned *items_r)
{
	return parse_items(arg, items_r);
}

void cmd_status_write(struct session *s, const char *name, size_t len,
		      unsigned items, const struct store_mailbox_status *st)
{
	write_status(s, name, len, items, st);
}
