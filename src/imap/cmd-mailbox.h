#ifndef QUIRE_IMAP_CMD_MAILBOX_H
#define QUIRE_IMAP_CMD_MAILBOX_H
/*
 * Handlers of the mailbox-management commands (RFC 3501 6.3.3-6.3.10,
 * RFC 2342), one file per family: cmd-create.c, cmd-delete.c,
 * cmd-rename.c, cmd-subscribe.c, cmd-list.c, cmd-status.c,
 * cmd-namespace.c. Their rows are in the table of command.c.
 */
#include "imap/command.h"

struct store_mailbox_status;

command_fn cmd_create, cmd_delete, cmd_rename, cmd_subscribe,
	cmd_unsubscribe, cmd_list, cmd_lsub, cmd_status, cmd_namespace;

/*
 * The STATUS items, shared with LIST's RETURN (STATUS (...)) (RFC 5819).
 * cmd_status_parse_items reads a parenthesised item list into a bitmask;
 * false for an empty list or an unknown item (a BAD). cmd_status_write
 * sends "* STATUS name (...)" for the stored name[0..len) with those items.
 */
bool cmd_status_parse_items(const struct imap_arg *arg, unsigned *items_r);
void cmd_status_write(struct session *s, const char *name, size_t len,
		      unsigned items, const struct store_mailbox_status *st);
/* True when the items include HIGHESTMODSEQ: asking for them is CONDSTORE
 * enabling (RFC 7162 3.1), in STATUS and in LIST ... RETURN (STATUS). */
bool cmd_status_items_condstore(unsigned items);

#endif
