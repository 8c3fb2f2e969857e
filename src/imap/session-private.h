#ifndef QUIRE_IMAP_SESSION_PRIVATE_H
#define QUIRE_IMAP_SESSION_PRIVATE_H
/* Between session.c and command.c only. */
#include "imap/command.h"

/* Sends the untagged updates of the selected mailbox that RFC 3501 7.4.1
 * allows before cmd's tagged reply. */
void session_sync_updates(struct session *s, struct command *cmd);
/* Counts BAD replies in a row; too many close the connection. */
void session_count_reply(struct session *s, const char *status);
/* For the unit test of the command table. */
bool command_table_is_sorted(void);

#endif
