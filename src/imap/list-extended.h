#ifndef QUIRE_IMAP_LIST_EXTENDED_H
#define QUIRE_IMAP_LIST_EXTENDED_H
/*
 * LIST in its extended forms (RFC 5258, with SPECIAL-USE selection from
 * RFC 6154 6 and RETURN (STATUS ...) from RFC 5819). cmd_list hands over
 * once list_options_parse() said the command is extended.
 */
#include <stdbool.h>

#include "imap/command.h"
#include "imap/list-options.h"

/* Runs the extended LIST described by opts (pointing into cmd's
 * arguments) and sends the tagged reply. Returns true (done). */
bool list_extended(struct command *cmd, const struct list_options *opts);

#endif
