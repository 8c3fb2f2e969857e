#ifndef QUIRE_IMAP_NOTIFY_FETCH_H
#define QUIRE_IMAP_NOTIFY_FETCH_H
/*
 * The unsolicited FETCH that NOTIFY's MessageNew (fetch-att ...) asks for
 * new messages of the selected mailbox (RFC 5465 5.2).
 */
#include <stdbool.h>
#include <stdint.h>

#include "imap/fetch-items.h"

struct session;

/*
 * Writes "* seq FETCH (...)" with items for message seq of s's view. Never
 * sets \Seen: a notification changes nothing (a non-PEEK body item is
 * answered as its PEEK form would be). Literals are written whole; a
 * message is at most max_literal_size. Returns 0, or -1 when the message
 * could not be read (gone meanwhile, or a store error, logged): nothing is
 * written then.
 */
int notify_fetch_write(struct session *s, const struct fetch_items *items,
		       uint32_t seq);

#endif
