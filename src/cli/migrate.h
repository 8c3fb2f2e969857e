#ifndef QUIRE_CLI_MIGRATE_H
#define QUIRE_CLI_MIGRATE_H
/*
 * The copier behind `quire migrate` (migrate.c), apart from its command
 * line (migrate-cli.c): it speaks only store.h, so any pair of backends
 * works.
 */
#include "store/store.h"

/* What a run changed in the destination. */
struct migrate_counts {
	unsigned long users_added, users_updated;
	unsigned long mailboxes_created, mailboxes_updated, mailboxes_deleted;
	unsigned long messages_copied, messages_updated;
	unsigned long acl, subscriptions, quotas;
};

/*
 * Makes dst a mirror of src for every user src has (see migrate.c for
 * what is copied), writing only differences. Both handles act as the
 * system. Reasons for failures go to stderr; the run goes on with the
 * next item. Returns the number of failures (0: dst is an exact copy),
 * with the changes made in *counts_r.
 */
unsigned long migrate_copy(struct store *src, struct store *dst,
			   struct migrate_counts *counts_r);

#endif
