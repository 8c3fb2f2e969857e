#ifndef QUIRE_LMTP_DELIVERY_H
#define QUIRE_LMTP_DELIVERY_H
/*
 * Delivering one message to one local recipient: the part of LMTP that
 * touches the store. Synchronous: lmtp_delivery_store returns after the
 * store made the message durable (store_append: body fsynced, transaction
 * committed), so a 250 sent after it is a promise kept (RFC 2033 4.2).
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

struct store;

struct lmtp_rcpt {
	char *address;   /* as the MTA sent it, without brackets */
	char *user;      /* the account name as stored */
	int64_t user_id;
	char *detail;    /* mailbox asked for by user+detail, or NULL */
};

/*
 * Finds the account for address: the whole address as a user name, else
 * its local part, else (when allow_detail) the local part before '+', with
 * the rest as detail. Fills *rcpt (free with lmtp_rcpt_free). Returns
 * STORE_OK, STORE_ENONEXISTENT (no such user: 550), or another store error
 * (temporary: 451) with *error_r.
 */
int lmtp_rcpt_resolve(struct store *store, const char *address,
		      bool allow_detail, struct lmtp_rcpt *rcpt,
		      const char **error_r);
void lmtp_rcpt_free(struct lmtp_rcpt *rcpt);

/*
 * Stores body for rcpt with "Return-Path: <sender>" and "Delivered-To:
 * address" prepended (RFC 5321 4.4; the de-facto loop-detection header),
 * into the detail mailbox when it exists and is selectable, else INBOX,
 * and caches the MIME parse so the first FETCH finds it ready. sender and
 * address must hold no CR or LF (lmtp_address_parse ensures it).
 * Returns STORE_OK with the mailbox name used (static or rcpt-owned) in
 * *mailbox_r and the UID in *uid_r, or a store error with *error_r
 * (STORE_EOVERQUOTA: over quota; anything else: temporary).
 */
int lmtp_delivery_store(struct store *store, const struct lmtp_rcpt *rcpt,
			const char *sender, const struct buf *body,
			const char **mailbox_r, uint32_t *uid_r,
			const char **error_r);

#endif
