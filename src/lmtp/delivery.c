#include "lmtp/delivery.h"

#include <stdlib.h>
#include <string.h>

#include "imap/message.h"
#include "lmtp/address.h"
#include "store/store.h"

static int lookup_user(struct store *st, const char *name,
		       struct lmtp_rcpt *rcpt, const char **error_r)
{
	if (!store_user_name_valid(name, NULL))
		return STORE_ENONEXISTENT;
	struct store_user user;
	int r = store_user_get(st, name, &user, error_r);
	if (r != STORE_OK)
		return r;
	rcpt->user_id = user.id;
	rcpt->user = xstrdup(user.name);
	store_user_free(&user);
	return STORE_OK;
}

int lmtp_rcpt_resolve(struct store *st, const char *address, bool allow_detail,
		      struct lmtp_rcpt *rcpt, const char **error_r)
{
	memset(rcpt, 0, sizeof(*rcpt));
	struct buf local = BUF_INIT;
	/* Sites that name accounts by full address come first; then the
	 * common case of plain local names. */
	int r = lookup_user(st, address, rcpt, error_r);
	if (r == STORE_ENONEXISTENT) {
		lmtp_address_local_part(address, &local);
		r = lookup_user(st, buf_cstr(&local), rcpt, error_r);
	}
	size_t user_len;
	const char *detail;
	if (r == STORE_ENONEXISTENT && allow_detail &&
	    lmtp_address_detail(buf_cstr(&local), &user_len, &detail)) {
		char *user = xstrndup(local.data, user_len);
		r = lookup_user(st, user, rcpt, error_r);
		if (r == STORE_OK)
			rcpt->detail = xstrdup(detail);
		free(user);
	}
	buf_free(&local);
	if (r == STORE_OK)
		rcpt->address = xstrdup(address);
	else
		lmtp_rcpt_free(rcpt);
	return r;
}

void lmtp_rcpt_free(struct lmtp_rcpt *rcpt)
{
	free(rcpt->address);
	free(rcpt->user);
	free(rcpt->detail);
	memset(rcpt, 0, sizeof(*rcpt));
}

/* The detail mailbox if it exists and can hold mail, else INBOX. */
static int choose_mailbox(struct store *st, const struct lmtp_rcpt *rcpt,
			  struct store_mailbox *mbox, const char **name_r,
			  const char **error_r)
{
	if (rcpt->detail != NULL &&
	    store_mailbox_lookup(st, rcpt->user_id, rcpt->detail, mbox,
				 error_r) == STORE_OK &&
	    !(mbox->attrs & STORE_MBOX_NOSELECT)) {
		*name_r = rcpt->detail;
		return STORE_OK;
	}
	*name_r = "INBOX";
	return store_mailbox_lookup(st, rcpt->user_id, "INBOX", mbox, error_r);
}

int lmtp_delivery_store(struct store *st, const struct lmtp_rcpt *rcpt,
			const char *sender, const struct buf *body,
			const char **mailbox_r, uint32_t *uid_r,
			const char **error_r)
{
	struct store_mailbox mbox;
	int r = choose_mailbox(st, rcpt, &mbox, mailbox_r, error_r);
	if (r != STORE_OK)
		return r == STORE_ENONEXISTENT ? STORE_EUNAVAILABLE : r;
	struct buf msg = BUF_INIT;
	buf_reserve(&msg, body->len + 256);
	buf_printf(&msg, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", sender,
		   rcpt->address);
	if (body->len > 0)
		buf_append(&msg, body->data, body->len);
	struct store_append_msg append = {
		.data = msg.data, .fd = -1, .size = msg.len,
	};
	struct message_append_prep prep;
	message_append_prepare(&append, &prep);
	r = store_append(st, mbox.id, &append, 1, uid_r, NULL, error_r);
	if (r == STORE_OK)
		message_append_finish(st, &append, &prep);
	message_append_prep_free(&prep);
	buf_free(&msg);
	return r;
}
