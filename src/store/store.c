/*
 * store: the backend-neutral half of store.h. Picks the configured backend
 * at store_open and forwards every handle function through the handle's
 * ops table (backend.h), so callers never know which backend serves them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/backend.h"

static enum store_kind configured_kind = STORE_SQLITE;
static char *configured_conninfo;
static char *configured_blob_dir;

/* The config of the store_open_with call running on this thread, if any:
 * backends read their settings (store_config_*) only while opening. */
static __thread const struct store_config *opening;

static store_change_fn *change_fn;
static void *change_context;

static const struct store_backend *ops_of(const struct store *store)
{
	return ((const struct store_head *)store)->ops;
}

const struct store_hooks *store_hooks_of(struct store *s)
{
	return ops_of(s)->hooks;
}

static void replace_string(char **slot, const char *value)
{
	free(*slot);
	*slot = value != NULL && value[0] != '\0' ? xstrdup(value) : NULL;
}

void store_configure(const struct store_config *config)
{
	configured_kind = config != NULL ? config->kind : STORE_SQLITE;
	replace_string(&configured_conninfo,
		       config != NULL ? config->pg_conninfo : NULL);
	replace_string(&configured_blob_dir,
		       config != NULL ? config->blob_dir : NULL);
}

static const char *non_empty(const char *value)
{
	return value != NULL && value[0] != '\0' ? value : NULL;
}

const char *store_config_blob_dir(void)
{
	if (opening != NULL)
		return non_empty(opening->blob_dir);
	return configured_blob_dir;
}

const char *store_config_pg_conninfo(void)
{
	if (opening != NULL)
		return opening->pg_conninfo != NULL ? opening->pg_conninfo : "";
	return configured_conninfo != NULL ? configured_conninfo : "";
}

void store_spill_dir(const char *data_dir, struct buf *out)
{
	/* store/sqlite keeps data_dir/tmp; store/blobfile.c keeps tmp/ in the
	 * blob directory, which for store/pg may be a shared blob_dir */
	if (configured_kind != STORE_POSTGRESQL)
		buf_printf(out, "%s/tmp", data_dir);
	else if (configured_blob_dir != NULL)
		buf_printf(out, "%s/tmp", configured_blob_dir);
	else
		buf_printf(out, "%s/blobs/tmp", data_dir);
}

void store_set_change_hook(store_change_fn *fn, void *context)
{
	__atomic_store_n(&change_context, context, __ATOMIC_RELEASE);
	__atomic_store_n(&change_fn, fn, __ATOMIC_RELEASE);
}

void store_hook_run(int64_t mailbox_id)
{
	store_change_fn *fn = __atomic_load_n(&change_fn, __ATOMIC_ACQUIRE);

	if (fn != NULL)
		fn(mailbox_id, __atomic_load_n(&change_context, __ATOMIC_ACQUIRE));
}

bool store_hook_is_set(void)
{
	return __atomic_load_n(&change_fn, __ATOMIC_ACQUIRE) != NULL;
}

int store_open(const char *data_dir, struct store **store_r, char **error_r)
{
	enum store_kind kind = opening != NULL ? opening->kind : configured_kind;
	const struct store_backend *ops = kind == STORE_POSTGRESQL ?
		&store_pg_backend : &store_sqlite_backend;

	return ops->open(data_dir, store_r, error_r);
}

int store_open_with(const struct store_config *config, const char *data_dir,
		struct store **store_r, char **error_r)
{
	opening = config;
	int ret = store_open(data_dir, store_r, error_r);
	opening = NULL;
	return ret;
}

void store_close(struct store **store)
{
	if (store != NULL && *store != NULL)
		ops_of(*store)->close(store);
}

const char *store_data_dir(const struct store *store)
{
	return ops_of(store)->data_dir(store);
}

int store_user_add(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		int64_t *id_r, const char **error_r)
{
	return ops_of(store)->user_add(store, name, password_hash, scram, id_r,
				error_r);
}

int store_user_get(struct store *store, const char *name,
		struct store_user *user_r, const char **error_r)
{
	return ops_of(store)->user_get(store, name, user_r, error_r);
}

int store_user_set_password(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		const char **error_r)
{
	return ops_of(store)->user_set_password(store, name, password_hash,
				scram, error_r);
}

int store_user_delete(struct store *store, const char *name,
		const char **error_r)
{
	return ops_of(store)->user_delete(store, name, error_r);
}

int store_user_list(struct store *store, char ***names_r, size_t *count_r,
		const char **error_r)
{
	return ops_of(store)->user_list(store, names_r, count_r, error_r);
}

int store_mailbox_lookup(struct store *store, int64_t user_id, const char *name,
		struct store_mailbox *mailbox_r, const char **error_r)
{
	return ops_of(store)->mailbox_lookup(store, user_id, name, mailbox_r,
				error_r);
}

int store_mailbox_get(struct store *store, int64_t mailbox_id,
		struct store_mailbox *mailbox_r, const char **error_r)
{
	return ops_of(store)->mailbox_get(store, mailbox_id, mailbox_r, error_r);
}

int store_mailbox_list(struct store *store, int64_t user_id,
		struct store_mailbox_list *list_r, const char **error_r)
{
	return ops_of(store)->mailbox_list(store, user_id, list_r, error_r);
}

int store_mailbox_create(struct store *store, int64_t user_id, const char *name,
		uint32_t special_use, int64_t *id_r, const char **error_r)
{
	return ops_of(store)->mailbox_create(store, user_id, name, special_use,
				id_r, error_r);
}

int store_mailbox_delete(struct store *store, int64_t user_id, const char *name,
		const char **error_r)
{
	return ops_of(store)->mailbox_delete(store, user_id, name, error_r);
}

int store_mailbox_rename(struct store *store, int64_t user_id,
		const char *old_name, const char *new_name,
		const char **error_r)
{
	return ops_of(store)->mailbox_rename(store, user_id, old_name, new_name,
				error_r);
}

int store_mailbox_subscribe(struct store *store, int64_t user_id,
		const char *name, bool subscribe, const char **error_r)
{
	return ops_of(store)->mailbox_subscribe(store, user_id, name, subscribe,
				error_r);
}

int store_mailbox_status(struct store *store, int64_t mailbox_id,
		struct store_mailbox_status *status_r, const char **error_r)
{
	return ops_of(store)->mailbox_status(store, mailbox_id, status_r,
				error_r);
}

int store_mailbox_claim_recent(struct store *store, int64_t mailbox_id,
		uint32_t *first_recent_uid_r, const char **error_r)
{
	return ops_of(store)->mailbox_claim_recent(store, mailbox_id,
				first_recent_uid_r, error_r);
}

int store_mailbox_keywords(struct store *store, int64_t mailbox_id,
		char ***keywords_r, const char **error_r)
{
	return ops_of(store)->mailbox_keywords(store, mailbox_id, keywords_r,
				error_r);
}

int store_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, size_t count,
		uint32_t *uids_r, uint32_t *uidvalidity_r,
		const char **error_r)
{
	return ops_of(store)->append(store, mailbox_id, msgs, count, uids_r,
				uidvalidity_r, error_r);
}

int store_spill_create(struct store *store, int *fd_r, const char **error_r)
{
	return ops_of(store)->spill_create(store, fd_r, error_r);
}

int store_mailbox_snapshot(struct store *store, int64_t mailbox_id,
		struct store_msg_list *list_r, const char **error_r)
{
	return ops_of(store)->mailbox_snapshot(store, mailbox_id, list_r,
				error_r);
}

int store_changes_since(struct store *store, int64_t mailbox_id, uint64_t since,
		struct store_changes *changes_r, const char **error_r)
{
	return ops_of(store)->changes_since(store, mailbox_id, since, changes_r,
				error_r);
}

int store_expunged_since(struct store *store, int64_t mailbox_id,
		uint64_t since, uint32_t **uids_r, size_t *count_r,
		const char **error_r)
{
	return ops_of(store)->expunged_since(store, mailbox_id, since, uids_r,
				count_r, error_r);
}

int store_blob_sha256(struct store *store, int64_t blob_id,
		uint8_t sha256_r[32], const char **error_r)
{
	return ops_of(store)->blob_sha256(store, blob_id, sha256_r, error_r);
}

int store_messages_get(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		struct store_message_list *list_r, const char **error_r)
{
	return ops_of(store)->messages_get(store, mailbox_id, ranges,
				range_count, list_r, error_r);
}

int store_blob_open(struct store *store, int64_t blob_id, int *fd_r,
		uint64_t *size_r, const char **error_r)
{
	return ops_of(store)->blob_open(store, blob_id, fd_r, size_r, error_r);
}

int store_blob_path(struct store *store, int64_t blob_id, struct buf *path,
		const char **error_r)
{
	return ops_of(store)->blob_path(store, blob_id, path, error_r);
}

int store_blob_cache_get(struct store *store, int64_t blob_id, struct buf *out,
		const char **error_r)
{
	return ops_of(store)->blob_cache_get(store, blob_id, out, error_r);
}

int store_blob_cache_put(struct store *store, int64_t blob_id, const void *data,
		size_t len, const char **error_r)
{
	return ops_of(store)->blob_cache_put(store, blob_id, data, len, error_r);
}

int store_header_summaries_get(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *range,
		struct store_header_summary_list *list_r, const char **error_r)
{
	memset(list_r, 0, sizeof(*list_r));
	return ops_of(store)->header_summaries_get(store, mailbox_id, range,
						   list_r, error_r);
}

void store_header_summary_list_free(struct store_header_summary_list *list)
{
	free(list->items);
	buf_free(&list->data_);
	memset(list, 0, sizeof(*list));
}

/* While building, data holds the offset into data_, which moves as it
 * grows. */
void store_header_summary_list_push(struct store_header_summary_list *list,
				    size_t *cap, uint32_t uid,
				    const void *data, size_t len)
{
	if (list->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		list->items = xrealloc(list->items, *cap * sizeof(*list->items));
	}
	struct store_header_summary *h = &list->items[list->count++];
	h->uid = uid;
	h->data = (const void *)(uintptr_t)list->data_.len;
	h->len = len;
	if (len > 0)
		buf_append(&list->data_, data, len);
}

void store_header_summary_list_finish(struct store_header_summary_list *list)
{
	const char *base = list->data_.data != NULL ? list->data_.data : "";
	for (size_t i = 0; i < list->count; i++)
		list->items[i].data = base + (uintptr_t)list->items[i].data;
}

int store_header_summaries_put(struct store *store,
		const struct store_header_summary_put *items, size_t count,
		const char **error_r)
{
	if (count == 0)
		return STORE_OK;
	return ops_of(store)->header_summaries_put(store, items, count, error_r);
}

int store_flags_update(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		enum store_flags_op op, uint32_t flags,
		const char *const *keywords, size_t keyword_count,
		const uint64_t *unchangedsince,
		struct store_flags_result *result_r, const char **error_r)
{
	return ops_of(store)->flags_update(store, mailbox_id, ranges,
				range_count, op, flags, keywords, keyword_count,
				unchangedsince, result_r, error_r);
}

int store_copy(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r)
{
	return ops_of(store)->copy(store, src_mailbox_id, ranges, range_count,
				dst_mailbox_id, result_r, error_r);
}

int store_move(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r)
{
	return ops_of(store)->move(store, src_mailbox_id, ranges, range_count,
				dst_mailbox_id, result_r, error_r);
}

int store_expunge(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		const char **error_r)
{
	return ops_of(store)->expunge(store, mailbox_id, ranges, range_count,
				uids_r, count_r, modseq_r, error_r);
}

int store_check(struct store *store, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r)
{
	return ops_of(store)->check(store, repair, report, problems_r, error_r);
}

void store_set_actor(struct store *store, int64_t user_id)
{
	ops_of(store)->set_actor(store, user_id);
}

int store_acl_get(struct store *store, int64_t user_id, const char *name,
		struct store_acl *acl_r, const char **error_r)
{
	return ops_of(store)->acl_get(store, user_id, name, acl_r, error_r);
}

int store_acl_set(struct store *store, int64_t user_id, const char *name,
		const char *identifier, enum store_acl_op op, uint32_t rights,
		const char **error_r)
{
	return ops_of(store)->acl_set(store, user_id, name, identifier, op,
				rights, error_r);
}

int store_acl_delete(struct store *store, int64_t user_id, const char *name,
		const char *identifier, const char **error_r)
{
	return ops_of(store)->acl_delete(store, user_id, name, identifier,
				error_r);
}

int store_acl_listrights(struct store *store, int64_t user_id, const char *name,
		const char *identifier, uint32_t *always_r,
		uint32_t *optional_r, const char **error_r)
{
	return ops_of(store)->acl_listrights(store, user_id, name, identifier,
				always_r, optional_r, error_r);
}

int store_acl_myrights(struct store *store, int64_t user_id, const char *name,
		uint32_t *rights_r, const char **error_r)
{
	return ops_of(store)->acl_myrights(store, user_id, name, rights_r,
				error_r);
}

int store_quota_get(struct store *store, const char *user,
		struct store_quota *quota_r, const char **error_r)
{
	return ops_of(store)->quota_get(store, user, quota_r, error_r);
}

int store_quota_root(struct store *store, int64_t user_id, const char *name,
		struct store_quota *quota_r, const char **error_r)
{
	return ops_of(store)->quota_root(store, user_id, name, quota_r, error_r);
}

int store_quota_set(struct store *store, const char *user,
		const uint64_t *storage_kib, const uint64_t *messages,
		bool use_default, const char **error_r)
{
	return ops_of(store)->quota_set(store, user, storage_kib, messages,
				use_default, error_r);
}

int store_fts_index(struct store *store, const struct store_fts_doc *docs,
		size_t count, const char **error_r)
{
	return ops_of(store)->fts_index(store, docs, count, error_r);
}

int store_fts_unindexed(struct store *store, int64_t mailbox_id, size_t max,
		int64_t **ids_r, uint64_t **sizes_r, size_t *count_r,
		const char **error_r)
{
	return ops_of(store)->fts_unindexed(store, mailbox_id, max, ids_r,
				sizes_r, count_r, error_r);
}

int store_fts_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, bool body_only, uint32_t **uids_r,
		size_t *count_r, const char **error_r)
{
	return ops_of(store)->fts_candidates(store, mailbox_id, text, len,
				body_only, uids_r, count_r, error_r);
}

int store_fts_header_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, uint32_t **uids_r,
		size_t *count_r, const char **error_r)
{
	return ops_of(store)->fts_header_candidates(store, mailbox_id, text,
				len, uids_r, count_r, error_r);
}

int store_fts_text(struct store *store, int64_t blob_id, struct buf *header,
		struct buf *body, const char **error_r)
{
	return ops_of(store)->fts_text(store, blob_id, header, body, error_r);
}

int store_import_set_uidvalidity(struct store *store, int64_t mailbox_id,
		uint32_t uidvalidity, uint32_t uidnext, const char **error_r)
{
	return ops_of(store)->import_set_uidvalidity(store, mailbox_id,
				uidvalidity, uidnext, error_r);
}

int store_import_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, const uint32_t *uids,
		size_t count, uint32_t *uids_r, const char **error_r)
{
	return ops_of(store)->import_append(store, mailbox_id, msgs, uids,
				count, uids_r, error_r);
}

int store_import_find(struct store *store, int64_t mailbox_id,
		const uint8_t sha256[STORE_IMPORT_HASH_LEN], uint64_t size,
		uint32_t *uid_r, const char **error_r)
{
	return ops_of(store)->import_find(store, mailbox_id, sha256, size,
				uid_r, error_r);
}

int store_stats(struct store *store, struct store_stats *stats_r,
		const char **error_r)
{
	return ops_of(store)->stats(store, stats_r, error_r);
}

/* The `quire migrate` functions are optional in a backend: one that lacks
 * them cannot be copied from or to, which is an answer, not a crash. */
static int unsupported(const char **error_r)
{
	if (error_r != NULL)
		*error_r = "not supported by this storage backend";
	return STORE_ECANNOT;
}

int store_subscriptions_list(struct store *store, int64_t user_id,
		char ***names_r, size_t *count_r, const char **error_r)
{
	if (ops_of(store)->subscriptions_list == NULL)
		return unsupported(error_r);
	return ops_of(store)->subscriptions_list(store, user_id, names_r,
				count_r, error_r);
}

int store_tombstones_get(struct store *store, int64_t mailbox_id,
		struct store_tombstone **list_r, size_t *count_r,
		const char **error_r)
{
	if (ops_of(store)->tombstones_get == NULL)
		return unsupported(error_r);
	return ops_of(store)->tombstones_get(store, mailbox_id, list_r,
				count_r, error_r);
}

int store_quota_limits_get(struct store *store, const char *user,
		struct store_quota_limits *limits_r, const char **error_r)
{
	if (ops_of(store)->quota_limits_get == NULL)
		return unsupported(error_r);
	return ops_of(store)->quota_limits_get(store, user, limits_r, error_r);
}

int store_migrate_append(struct store *store, int64_t mailbox_id,
		const struct store_migrate_msg *msgs, size_t count,
		const char **error_r)
{
	if (ops_of(store)->migrate_append == NULL)
		return unsupported(error_r);
	return ops_of(store)->migrate_append(store, mailbox_id, msgs, count,
				error_r);
}

int store_migrate_flags_set(struct store *store, int64_t mailbox_id,
		const struct store_msg *msgs, size_t count,
		const char **error_r)
{
	if (ops_of(store)->migrate_flags_set == NULL)
		return unsupported(error_r);
	return ops_of(store)->migrate_flags_set(store, mailbox_id, msgs, count,
				error_r);
}

int store_migrate_mailbox_set(struct store *store, int64_t mailbox_id,
		const struct store_mailbox_state *state, const char **error_r)
{
	if (ops_of(store)->migrate_mailbox_set == NULL)
		return unsupported(error_r);
	return ops_of(store)->migrate_mailbox_set(store, mailbox_id, state,
				error_r);
}
