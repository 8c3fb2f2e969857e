#ifndef QUIRE_IMAP_IMAP_SERVER_H
#define QUIRE_IMAP_IMAP_SERVER_H
/*
 * Process-wide state of the IMAP service, shared read-only by all worker
 * threads (the throttle locks itself): settings, failed-login throttle, and
 * the per-thread store handles.
 */
#include "core/config.h"

struct auth_throttle;
struct store;

/* Sets up the service for cfg (which must outlive it). Returns 0, or -1
 * with *error_r (caller frees). */
int imap_server_init(const struct config *cfg, char **error_r);
void imap_server_deinit(void);

const struct config *imap_server_config(void);
struct auth_throttle *imap_server_throttle(void);
/* Where the parser spills literals too big to keep in memory. */
const char *imap_server_spill_dir(void);

/* This thread's store handle, opened on first use and closed when the
 * thread exits. NULL (logged) if the store cannot be opened. */
struct store *imap_server_store(void);

#endif
