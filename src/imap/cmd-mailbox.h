#ifndef QUIRE_IMAP_CMD_MAILBOX_H
#define QUIRE_IMAP_CMD_MAILBOX_H
/*
 * Handlers of the mailbox-management commands (RFC 3501 6.3.3-6.3.10,
 * RFC 2342), one file per family: cmd-create.c, cmd-delete.c,
 * cmd-rename.c, cmd-subscribe.c, cmd-list.c, cmd-status.c,
 * cmd-namespace.c. Their rows are in the table of command.c.
 */
#include "imap/command.h"

command_fn cmd_create, cmd_delete, cmd_rename, cmd_subscribe,
	cmd_unsubscribe, cmd_list, cmd_lsub, cmd_status, cmd_namespace;

#endif
