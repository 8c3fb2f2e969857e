#ifndef QUIRE_STORE_BACKEND_H
#define QUIRE_STORE_BACKEND_H
/*
 * Private to src/store: how store.c dispatches the store.h API to a
 * backend (store/sqlite, store/pg). Nothing outside src/store includes this.
 *
 * Every backend's `struct store` begins with a `const struct store_backend
 * *ops` member (struct store_head below), so the dispatcher can find the
 * table of a handle without knowing the rest of its layout. Each entry has
 * exactly the contract of the store.h function of the same name without
 * the "store_" prefix; `open` sets the handle's ops.
 */
#include "store/store.h"

struct store_backend {
	const char *name;               /* "sqlite", "postgresql" */
	int (*open)(const char *data_dir, struct store **store_r,
		char **error_r);
	const char *(*data_dir)(const struct store *store);
	int (*user_add)(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		int64_t *id_r, const char **error_r);
	int (*user_get)(struct store *store, const char *name,
		struct store_user *user_r, const char **error_r);
	int (*user_set_password)(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		const char **error_r);
	int (*user_delete)(struct store *store, const char *name,
		const char **error_r);
	int (*user_list)(struct store *store, char ***names_r, size_t *count_r,
		const char **error_r);
	int (*mailbox_lookup)(struct store *store, int64_t user_id,
		const char *name, struct store_mailbox *mailbox_r,
		const char **error_r);
	int (*mailbox_get)(struct store *store, int64_t mailbox_id,
		struct store_mailbox *mailbox_r, const char **error_r);
	int (*mailbox_list)(struct store *store, int64_t user_id,
		struct store_mailbox_list *list_r, const char **error_r);
	int (*mailbox_create)(struct store *store, int64_t user_id,
		const char *name, uint32_t special_use, int64_t *id_r,
		const char **error_r);
	int (*mailbox_delete)(struct store *store, int64_t user_id,
		const char *name, const char **error_r);
	int (*mailbox_rename)(struct store *store, int64_t user_id,
		const char *old_name, const char *new_name,
		const char **error_r);
	int (*mailbox_subscribe)(struct store *store, int64_t user_id,
		const char *name, bool subscribe, const char **error_r);
	int (*mailbox_status)(struct store *store, int64_t mailbox_id,
		struct store_mailbox_status *status_r, const char **error_r);
	int (*mailbox_claim_recent)(struct store *store, int64_t mailbox_id,
		uint32_t *first_recent_uid_r, const char **error_r);
	int (*mailbox_keywords)(struct store *store, int64_t mailbox_id,
		char ***keywords_r, const char **error_r);
	int (*append)(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, size_t count,
		uint32_t *uids_r, uint32_t *uidvalidity_r,
		const char **error_r);
	int (*spill_create)(struct store *store, int *fd_r,
		const char **error_r);
	int (*mailbox_snapshot)(struct store *store, int64_t mailbox_id,
		struct store_msg_list *list_r, const char **error_r);
	int (*changes_since)(struct store *store, int64_t mailbox_id,
		uint64_t since, struct store_changes *changes_r,
		const char **error_r);
	int (*expunged_since)(struct store *store, int64_t mailbox_id,
		uint64_t since, uint32_t **uids_r, size_t *count_r,
		const char **error_r);
	int (*blob_sha256)(struct store *store, int64_t blob_id,
		uint8_t sha256_r[32], const char **error_r);
	int (*messages_get)(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		struct store_message_list *list_r, const char **error_r);
	int (*blob_open)(struct store *store, int64_t blob_id, int *fd_r,
		uint64_t *size_r, const char **error_r);
	int (*blob_path)(struct store *store, int64_t blob_id, struct buf *path,
		const char **error_r);
	int (*blob_cache_get)(struct store *store, int64_t blob_id,
		struct buf *out, const char **error_r);
	int (*blob_cache_put)(struct store *store, int64_t blob_id,
		const void *data, size_t len, const char **error_r);
	int (*header_summaries_get)(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *range,
		struct store_header_summary_list *list_r, const char **error_r);
	int (*header_summaries_put)(struct store *store,
		const struct store_header_summary_put *items, size_t count,
		const char **error_r);
	int (*flags_update)(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		enum store_flags_op op, uint32_t flags,
		const char *const *keywords, size_t keyword_count,
		const uint64_t *unchangedsince,
		struct store_flags_result *result_r, const char **error_r);
	int (*copy)(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
	int (*move)(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
	int (*expunge)(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		const char **error_r);
	int (*check)(struct store *store, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r);
	void (*set_actor)(struct store *store, int64_t user_id);
	int (*acl_get)(struct store *store, int64_t user_id, const char *name,
		struct store_acl *acl_r, const char **error_r);
	int (*acl_set)(struct store *store, int64_t user_id, const char *name,
		const char *identifier, enum store_acl_op op, uint32_t rights,
		const char **error_r);
	int (*acl_delete)(struct store *store, int64_t user_id,
		const char *name, const char *identifier,
		const char **error_r);
	int (*acl_listrights)(struct store *store, int64_t user_id,
		const char *name, const char *identifier, uint32_t *always_r,
		uint32_t *optional_r, const char **error_r);
	int (*acl_myrights)(struct store *store, int64_t user_id,
		const char *name, uint32_t *rights_r, const char **error_r);
	int (*quota_get)(struct store *store, const char *user,
		struct store_quota *quota_r, const char **error_r);
	int (*quota_root)(struct store *store, int64_t user_id,
		const char *name, struct store_quota *quota_r,
		const char **error_r);
	int (*quota_set)(struct store *store, const char *user,
		const uint64_t *storage_kib, const uint64_t *messages,
		bool use_default, const char **error_r);
	int (*fts_index)(struct store *store, const struct store_fts_doc *docs,
		size_t count, const char **error_r);
	int (*fts_unindexed)(struct store *store, int64_t mailbox_id,
		size_t max, int64_t **ids_r, uint64_t **sizes_r,
		size_t *count_r, const char **error_r);
	int (*fts_candidates)(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, bool body_only, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
	int (*fts_header_candidates)(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
	int (*fts_text)(struct store *store, int64_t blob_id,
		struct buf *header, struct buf *body, const char **error_r);
	int (*import_set_uidvalidity)(struct store *store, int64_t mailbox_id,
		uint32_t uidvalidity, uint32_t uidnext, const char **error_r);
	int (*import_append)(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, const uint32_t *uids,
		size_t count, uint32_t *uids_r, const char **error_r);
	int (*import_find)(struct store *store, int64_t mailbox_id,
		const uint8_t sha256[STORE_IMPORT_HASH_LEN], uint64_t size,
		uint32_t *uid_r, const char **error_r);
	int (*stats)(struct store *store, struct store_stats *stats_r,
		const char **error_r);
	/* `quire migrate` (store.h "Exact copies"); NULL in a backend that
	 * lacks them: the dispatcher answers STORE_ECANNOT. */
	int (*subscriptions_list)(struct store *store, int64_t user_id,
		char ***names_r, size_t *count_r, const char **error_r);
	int (*tombstones_get)(struct store *store, int64_t mailbox_id,
		struct store_tombstone **list_r, size_t *count_r,
		const char **error_r);
	int (*quota_limits_get)(struct store *store, const char *user,
		struct store_quota_limits *limits_r, const char **error_r);
	int (*migrate_append)(struct store *store, int64_t mailbox_id,
		const struct store_migrate_msg *msgs, size_t count,
		const char **error_r);
	int (*migrate_flags_set)(struct store *store, int64_t mailbox_id,
		const struct store_msg *msgs, size_t count,
		const char **error_r);
	int (*migrate_mailbox_set)(struct store *store, int64_t mailbox_id,
		const struct store_mailbox_state *state, const char **error_r);
	void (*close)(struct store **store);
	const struct store_hooks *hooks;
};

/*
 * What the backend-neutral rules (store/namespace.c, store/acl-rules.c,
 * ...) ask of the backend of a handle. Each entry has the contract of the
 * backend function it points to (store_fail / pg_fail, store_user_id /
 * pg_user_id, store_rights_of / pg_rights_of) and runs inside the
 * backend's open transaction, if any.
 */
struct store_hooks {
	/* Sets the handle's error text and returns code. */
	int (*fail)(struct store *s, int code, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* The id of user name (ASCII case-insensitive), its spelling into
	 * canon (may be NULL); STORE_ENONEXISTENT with text set. */
	int (*user_id)(struct store *s, const char *name, int64_t *id_r,
		       struct buf *canon);
	/* The actor's rights on mailbox_id, owned by owner_id. */
	int (*rights_of)(struct store *s, int64_t mailbox_id,
			 int64_t owner_id, uint32_t *rights_r);
};

/* The hooks of the backend serving s. */
const struct store_hooks *store_hooks_of(struct store *s);

/* The common first member of every backend's struct store. */
struct store_head {
	const struct store_backend *ops;
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

/* Calls the change hook set by store_set_change_hook, if any (backends
 * call it after each commit that changed mailbox_id). */
void store_hook_run(int64_t mailbox_id);
/* Whether a change hook is set (a server runs in this process). */
bool store_hook_is_set(void);

/* The configured blob directory (store_configure), or NULL for the
 * backend's default (data_dir/blobs). */
const char *store_config_blob_dir(void);
/* The configured PostgreSQL connection string ("" = libpq defaults). */
const char *store_config_pg_conninfo(void);

/* For backends building a store_header_summary_list: push appends one
 * summary (copied), finish points the items at their bytes once the
 * copies stop moving. */
void store_header_summary_list_push(struct store_header_summary_list *list,
				    size_t *cap, uint32_t uid,
				    const void *data, size_t len);
void store_header_summary_list_finish(struct store_header_summary_list *list);

#endif
