#ifndef QUIRE_LMTP_LMTP_H
#define QUIRE_LMTP_LMTP_H
/*
 * The LMTP service (RFC 2033): how an MTA (Postfix `lmtp:`, Exim's lmtp
 * transport) hands mail to Quire. It runs on the same worker threads as
 * IMAP, on its own listener:
 *
 *   lmtp_init(cfg, imap_server_store);
 *   server_add_listener(srv, "lmtp", cfg->lmtp_listen, &lmtp_conn_ops, &e);
 *
 * Extensions: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
 * ENHANCEDSTATUSCODES (RFC 2034). Each recipient gets its own reply after
 * the final "." (RFC 2033 4.2), and a 250 is sent only once the message is
 * durable for that recipient.
 */
#include "core/config.h"
#include "net/conn.h"

struct store;

/* Returns the calling thread's store handle, or NULL if it cannot be
 * opened (recipients then get 451). */
typedef struct store *lmtp_store_fn(void);

/* Sets the settings (cfg must outlive the service) and how to reach the
 * store. Call before the listener accepts. */
void lmtp_init(const struct config *cfg, lmtp_store_fn *store_fn);

extern const struct conn_ops lmtp_conn_ops;

#endif
