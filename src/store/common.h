#ifndef QUIRE_STORE_COMMON_H
#define QUIRE_STORE_COMMON_H
/*
 * Private to src/store: backend-independent helpers every backend uses
 * (defined in store/sqlite, which had them first, and in src/store; they
 * touch no database).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

#define STORE_SHA256_LEN 32

/* Normalises ranges (sorted, merged, last clamped below uidnext). Returns
 * the new count; out must have room for count entries. */
size_t store_ranges_normalize(const struct store_uid_range *in, size_t count,
			      uint32_t uidnext, struct store_uid_range *out);

/* Checks a keyword atom. */
bool store_keyword_valid(const char *kw);
/* Whether the space-separated list holds kw (ASCII case-insensitive). */
bool store_keywords_contain(const char *list, const char *kw, size_t kw_len);
/* out = current keywords after op with the space-separated change list. */
void store_keywords_apply(const char *current, enum store_flags_op op,
			  const char *change, struct buf *out);

/* Builders for struct store_msg_list: push rows (keywords copied into the
 * list's strings), then finish to turn offsets into pointers. */
void store_msg_list_push(struct store_msg_list *l, size_t *cap, uint32_t uid,
			 uint32_t flags, uint64_t modseq, const char *keywords,
			 bool changed);
void store_msg_list_finish(struct store_msg_list *l);

/* The default quota limits of the policy (0 = none). */
void store_policy_quota(uint64_t *storage_r, uint64_t *messages_r);
/* The system flags rights allow to set or clear (RFC 4314 4): \Seen with
 * s, \Deleted with t, the others with w (which also covers keywords). */
uint32_t store_flag_mask(uint32_t rights);

/* ---- listing.c: building LIST results ---- */
/* Appends an entry (name copied) to list, whose room is *cap entries. */
void store_list_add(struct store_mailbox_list *list, size_t *cap,
		    const char *name, int64_t id, uint32_t attrs);
/* Fills list (empty) with the entries of found
 * sorted bytewise, with the subscriptions (subs, sorted bytewise) merged
 * in: a subscribed entry gets \Subscribed, a subscription to no entry
 * becomes a \Subscribed \NonExistent entry (RFC 5258 3); then every
 * entry with an existing child gets \HasChildren. Sorts found. */
void store_list_merge(struct store_mailbox_list *found,
		      const char *const *subs, size_t sub_count,
		      struct store_mailbox_list *list);

void store_sha256(const void *data, size_t len, uint8_t out[STORE_SHA256_LEN]);
/* Appends "blobs/ab/cdef..." for sha to path. */
void store_blob_relpath(const uint8_t sha[STORE_SHA256_LEN], struct buf *path);
/* The admin_user of the policy, or NULL for none. */
const char *store_policy_admin(void);

/* ---- quota-check.c: `quire check` of quota_usage ---- */
/*
 * SQL both backends run unchanged. store_quota_check_sql lists the users
 * whose quota_usage row (absent: 0) differs from the sum over the messages
 * of the mailboxes they own, ordered by id, with the columns user_id,
 * name, stored_storage, stored_messages, counted_storage,
 * counted_messages (integers). store_quota_repair_sql rewrites exactly
 * those users' rows from the counts. Run both where no message insert or
 * delete can commit in between (a write lock, or quota_usage locked).
 */
extern const char store_quota_check_sql[];
extern const char store_quota_repair_sql[];

struct store_quota_usage_diff {
	const char *user;
	int64_t stored_storage, stored_messages;
	int64_t counted_storage, counted_messages;
};

/* Appends the report line for one such user to report (NULL: nothing),
 * marked "(repaired)" if repaired. */
void store_quota_usage_report(struct buf *report,
			      const struct store_quota_usage_diff *d,
			      bool repaired);

#endif
