#ifndef QUIRE_IMAP_CMD_ACL_H
#define QUIRE_IMAP_CMD_ACL_H
/*
 * Handlers of the ACL commands (RFC 4314 3, cmd-acl.c) and the QUOTA
 * commands (RFC 9208 4.1, cmd-quota.c). Their rows are in command.c.
 */
#include "imap/command.h"

command_fn cmd_setacl, cmd_deleteacl, cmd_getacl, cmd_listrights,
	cmd_myrights;
command_fn cmd_getquota, cmd_getquotaroot, cmd_setquota;

#endif
