#ifndef QUIRE_STORE_PG_INTERNAL_H
#define QUIRE_STORE_PG_INTERNAL_H
/*
 * Private to store/pg: the handle, query and transaction helpers shared by
 * the files of the PostgreSQL backend. Nothing outside src/store/pg
 * includes this.
 *
 * Concurrency model: several front ends (processes, machines) write the
 * same mailboxes. Every counter a writer needs (uidnext, highestmodseq) is
 * taken with one `UPDATE mailboxes ... RETURNING`, which row-locks the
 * mailbox until commit: two writers of one mailbox queue on that lock,
 * writers of different mailboxes do not meet at all. Nothing is read and
 * then written back in a separate statement.
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "mail/thread-keys.h"
#include "store/backend.h"
#include "store/blobfile.h"
#include "store/common.h"
#include "store/store.h"

struct store {
	const struct store_backend *ops; /* first: see store/backend.h */
	PGconn *conn;
	char *data_dir;
	char *conninfo;                 /* pg_conninfo at open: reconnects */
	struct store_blobfiles files;   /* blob_dir and data_dir/tmp */
	struct buf error;               /* text behind *error_r */
	/* reconnect back-off (db.c): no attempt before retry_at (monotonic
	 * ms); the delay doubles after each failed attempt */
	int64_t retry_at;
	unsigned retry_delay_ms;
	bool in_tx;
	/* mailboxes changed by the open transaction, notified after commit */
	int64_t *changed;
	size_t changed_count, changed_cap;
	/* sha256 (hex) of blobs whose rows were deleted: files go after commit */
	char (*dead)[STORE_SHA256_LEN * 2 + 1];
	size_t dead_count, dead_cap;
	int64_t actor;                  /* store_set_actor; 0 = system */
	char *actor_name;
	struct pg_blob_slot *blob_slots; /* blob.c: id -> sha256, size */
};

/* A remembered blob row. Its id comes from a sequence (never reused) and
 * a row's sha256 and size never change, so an entry stays true; only
 * whether the row still exists can change (see store_pg_blob_open). */
#define PG_BLOB_SLOTS 4096
struct pg_blob_slot {
	int64_t id;                     /* 0 = empty */
	uint64_t size;
	uint8_t sha[STORE_SHA256_LEN];
};

/* Query parameters as text (libpq's text format for every type). */
#define PG_MAX_PARAMS 12
struct pg_params {
	const char *values[PG_MAX_PARAMS];
	char ints[PG_MAX_PARAMS][24];
	int count;
};
void pg_param_int(struct pg_params *p, int64_t value);
void pg_param_str(struct pg_params *p, const char *value); /* NULL = NULL */

/* ---- db.c ---- */
int pg_fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pg_error_out(struct store *s, const char **error_r);
/*
 * Runs sql with params (may be NULL). Returns the result (caller PQclear)
 * for PGRES_COMMAND_OK/TUPLES_OK, else NULL after setting the error to
 * *code_r: STORE_EUNAVAILABLE for a lost connection, lock or statement
 * timeout, STORE_EALREADYEXISTS for a unique violation, else
 * STORE_ESERVERBUG.
 */
PGresult *pg_query(struct store *s, const char *sql,
		   const struct pg_params *params, int *code_r);
/* pg_query with libpq's own parameter arrays: lengths and formats (1:
 * binary) may be NULL for text, result_format 1 returns binary columns. */
PGresult *pg_query_bytes(struct store *s, const char *sql, int count,
			 const char *const *values, const int *lengths,
			 const int *formats, int result_format, int *code_r);
/* pg_query for statements whose rows are not wanted. */
int pg_exec(struct store *s, const char *sql, const struct pg_params *params);
/* Runs a query expected to return one row with one integer: *value_r.
 * No row: STORE_ENONEXISTENT (with what as text). */
int pg_query_int(struct store *s, const char *sql,
		 const struct pg_params *params, int64_t *value_r,
		 const char *what);
int64_t pg_int(const PGresult *res, int row, int col);
const char *pg_str(const PGresult *res, int row, int col); /* NULL if null */

/* Begins a transaction, reconnecting with back-off when the connection
 * was lost (STORE_EUNAVAILABLE when the database stays away). */
int pg_tx_begin(struct store *s);
/* Commits; then removes dead blob files and notifies changes. */
int pg_tx_commit(struct store *s);
void pg_tx_rollback(struct store *s);
void pg_tx_changed(struct store *s, int64_t mailbox_id);
/* Ends a transaction by ret: commit on STORE_OK, else rollback. */
int pg_tx_end(struct store *s, int ret);

/* ---- schema.c ---- */
int pg_schema_migrate(struct store *s);

/* ---- notify.c ---- */
/* Sends NOTIFY for mailbox_id inside the open transaction (delivered to
 * other front ends at commit). */
int pg_notify_queue(struct store *s, int64_t mailbox_id);
/* Starts the process's LISTEN thread once, when a change hook is set. */
void pg_notify_listener_start(void);

/* ---- user.c ---- */
int pg_user_id(struct store *s, const char *name, int64_t *id_r,
	       struct buf *canon);
int pg_user_name(struct store *s, int64_t id, struct buf *out);

/* ---- acl.c ---- */
int pg_rights_of(struct store *s, int64_t mailbox_id, int64_t owner_id,
		 uint32_t *rights_r);
int pg_actor_owns(struct store *s, int64_t owner_id, bool *yes_r);
bool pg_actor_is_admin(struct store *s);
int pg_require(struct store *s, const struct store_mailbox *mb, uint32_t need,
	       int hidden_code);
int pg_acl_inherit(struct store *s, int64_t from, int64_t to);

/* ---- mailbox.c ---- */
/* Reads a mailbox by id with the actor's rights (no access check). With
 * lock, row-locks it until the transaction ends. */
int pg_mailbox_read(struct store *s, int64_t mailbox_id, bool lock,
		    struct store_mailbox *mb_r);
/* Reads mailbox_id and checks need (hidden: STORE_ENONEXISTENT). */
int pg_require_mailbox(struct store *s, int64_t mailbox_id, uint32_t need,
		       bool lock, struct store_mailbox *mb_r);
/* Takes count UIDs and one new modseq: *first_uid_r, *modseq_r. */
int pg_mailbox_allocate(struct store *s, int64_t mailbox_id, uint32_t count,
			uint32_t *first_uid_r, uint64_t *modseq_r);
int pg_mailbox_find(struct store *s, int64_t user_id, const char *name,
		    struct store_mailbox *mb_r);

/* ---- message.c ---- */
int pg_keywords_register(struct store *s, int64_t mailbox_id,
			 const char *const *keywords, size_t count,
			 struct buf *out);
int pg_keywords_register_str(struct store *s, int64_t mailbox_id,
			     const char *keywords);
/* Deletes every message of a mailbox (releasing blobs). */
int pg_messages_delete_all(struct store *s, int64_t mailbox_id);
int pg_messages_move_all(struct store *s, int64_t src, int64_t dst);
/* Appends the messages; uids may be NULL (next free). */
int pg_append_tx(struct store *s, int64_t mailbox_id,
		 const struct store_append_msg *msgs, const uint32_t *uids,
		 size_t count, uint32_t *uids_r, uint32_t *uidvalidity_r);

/* ---- thread.c: THREADID (RFC 8474 5.2), the rule of mail/thread-keys.h ---- */
/* Reads the keys of a body to store (outside any transaction: a spilled
 * literal is read from its file). mail_thread_keys_free frees them. */
void pg_thread_keys_of(const struct store_blobfile_src *src,
		       struct mail_thread_keys *keys_r);
/* Serializes thread assignment for user_id's mail until the transaction
 * ends; take it before the first pg_thread_assign of a transaction. */
int pg_thread_lock(struct store *s, int64_t user_id);
/* Inside the transaction, after the body's blob row exists: the thread
 * of a new message row of user_id's (rules 1-3), recording its ids (rule
 * 4). */
int pg_thread_assign(struct store *s, int64_t user_id, int64_t blob_id,
		     const struct mail_thread_keys *keys, int64_t *thread_id_r);

/* ---- blob.c ---- */
int pg_blob_attach(struct store *s, struct store_blobfile_src *src,
		   int64_t *blob_id_r);
int pg_blob_release(struct store *s, int64_t blob_id);
/* headers.c: inside the append transaction, stores the parse record and
 * search header summary m carries for blob_id (an existing entry stays). */
int pg_blob_derived_put(struct store *s, int64_t blob_id,
			const struct store_append_msg *m);
void pg_blob_unlink_dead(struct store *s);
/* Remembers a blob row read with other data (sha256 as hex text); bad
 * text is ignored. */
void pg_blob_remember(struct store *s, int64_t blob_id, const char *sha_hex,
		      uint64_t size);
void pg_sha_hex(const uint8_t sha[STORE_SHA256_LEN], char out[65]);
int pg_sha_parse(const char *hex, uint8_t out[STORE_SHA256_LEN]);

/* ---- quota.c ---- */
struct pg_usage {
	uint64_t storage;
	uint64_t messages;
};
int pg_usage_read(struct store *s, int64_t owner_id, struct pg_usage *u);
int pg_quota_check(struct store *s, int64_t owner_id,
		   const struct pg_usage *before);

/* The store.h functions of this backend (backend.c lists them). */
int store_pg_open(const char *data_dir, struct store **store_r, char **error_r);
const char *store_pg_data_dir(const struct store *store);
int store_pg_user_add(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		int64_t *id_r, const char **error_r);
int store_pg_user_get(struct store *store, const char *name,
		struct store_user *user_r, const char **error_r);
int store_pg_user_set_password(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		const char **error_r);
int store_pg_user_delete(struct store *store, const char *name,
		const char **error_r);
int store_pg_user_list(struct store *store, char ***names_r, size_t *count_r,
		const char **error_r);
int store_pg_mailbox_lookup(struct store *store, int64_t user_id,
		const char *name, struct store_mailbox *mailbox_r,
		const char **error_r);
int store_pg_mailbox_get(struct store *store, int64_t mailbox_id,
		struct store_mailbox *mailbox_r, const char **error_r);
int store_pg_mailbox_list(struct store *store, int64_t user_id,
		struct store_mailbox_list *list_r, const char **error_r);
int store_pg_mailbox_create(struct store *store, int64_t user_id,
		const char *name, uint32_t special_use, int64_t *id_r,
		const char **error_r);
int store_pg_mailbox_delete(struct store *store, int64_t user_id,
		const char *name, const char **error_r);
int store_pg_mailbox_rename(struct store *store, int64_t user_id,
		const char *old_name, const char *new_name,
		const char **error_r);
int store_pg_mailbox_subscribe(struct store *store, int64_t user_id,
		const char *name, bool subscribe, const char **error_r);
int store_pg_mailbox_status(struct store *store, int64_t mailbox_id,
		struct store_mailbox_status *status_r, const char **error_r);
int store_pg_mailbox_claim_recent(struct store *store, int64_t mailbox_id,
		uint32_t *first_recent_uid_r, const char **error_r);
int store_pg_mailbox_keywords(struct store *store, int64_t mailbox_id,
		char ***keywords_r, const char **error_r);
int store_pg_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, size_t count,
		uint32_t *uids_r, uint32_t *uidvalidity_r,
		const char **error_r);
int store_pg_spill_create(struct store *store, int *fd_r, const char **error_r);
int store_pg_mailbox_snapshot(struct store *store, int64_t mailbox_id,
		struct store_msg_list *list_r, const char **error_r);
int store_pg_changes_since(struct store *store, int64_t mailbox_id,
		uint64_t since, struct store_changes *changes_r,
		const char **error_r);
int store_pg_expunged_since(struct store *store, int64_t mailbox_id,
		uint64_t since, uint32_t **uids_r, size_t *count_r,
		const char **error_r);
int store_pg_blob_sha256(struct store *store, int64_t blob_id,
		uint8_t sha256_r[32], const char **error_r);
int store_pg_messages_get(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		struct store_message_list *list_r, const char **error_r);
int store_pg_blob_open(struct store *store, int64_t blob_id, int *fd_r,
		uint64_t *size_r, const char **error_r);
int store_pg_blob_path(struct store *store, int64_t blob_id, struct buf *path,
		const char **error_r);
int store_pg_blob_cache_get(struct store *store, int64_t blob_id,
		struct buf *out, const char **error_r);
int store_pg_blob_cache_put(struct store *store, int64_t blob_id,
		const void *data, size_t len, const char **error_r);
int store_pg_header_summaries_get(struct store *store, int64_t mailbox_id,
				  const struct store_uid_range *range,
				  struct store_header_summary_list *list_r,
				  const char **error_r);
int store_pg_header_summaries_put(struct store *store,
				  const struct store_header_summary_put *items,
				  size_t count, const char **error_r);
int store_pg_flags_update(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		enum store_flags_op op, uint32_t flags,
		const char *const *keywords, size_t keyword_count,
		const uint64_t *unchangedsince,
		struct store_flags_result *result_r, const char **error_r);
int store_pg_copy(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
int store_pg_move(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
int store_pg_expunge(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		const char **error_r);
int store_pg_check(struct store *store, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r);
void store_pg_set_actor(struct store *store, int64_t user_id);
int store_pg_acl_get(struct store *store, int64_t user_id, const char *name,
		struct store_acl *acl_r, const char **error_r);
int store_pg_acl_set(struct store *store, int64_t user_id, const char *name,
		const char *identifier, enum store_acl_op op, uint32_t rights,
		const char **error_r);
int store_pg_acl_delete(struct store *store, int64_t user_id, const char *name,
		const char *identifier, const char **error_r);
int store_pg_acl_listrights(struct store *store, int64_t user_id,
		const char *name, const char *identifier, uint32_t *always_r,
		uint32_t *optional_r, const char **error_r);
int store_pg_acl_myrights(struct store *store, int64_t user_id,
		const char *name, uint32_t *rights_r, const char **error_r);
int store_pg_quota_get(struct store *store, const char *user,
		struct store_quota *quota_r, const char **error_r);
int store_pg_quota_root(struct store *store, int64_t user_id, const char *name,
		struct store_quota *quota_r, const char **error_r);
int store_pg_quota_set(struct store *store, const char *user,
		const uint64_t *storage_kib, const uint64_t *messages,
		bool use_default, const char **error_r);
int store_pg_fts_index(struct store *store, const struct store_fts_doc *docs,
		size_t count, const char **error_r);
int store_pg_fts_unindexed(struct store *store, int64_t mailbox_id, size_t max,
		int64_t **ids_r, uint64_t **sizes_r, size_t *count_r,
		const char **error_r);
int store_pg_fts_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, bool body_only, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
int store_pg_fts_header_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
int store_pg_fts_text(struct store *store, int64_t blob_id, struct buf *header,
		struct buf *body, const char **error_r);
int store_pg_import_set_uidvalidity(struct store *store, int64_t mailbox_id,
		uint32_t uidvalidity, uint32_t uidnext, const char **error_r);
int store_pg_import_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, const uint32_t *uids,
		size_t count, uint32_t *uids_r, const char **error_r);
int store_pg_import_find(struct store *store, int64_t mailbox_id,
		const uint8_t sha256[STORE_IMPORT_HASH_LEN], uint64_t size,
		uint32_t *uid_r, const char **error_r);
int store_pg_stats(struct store *store, struct store_stats *stats_r,
		const char **error_r);
int store_pg_subscriptions_list(struct store *store, int64_t user_id,
		char ***names_r, size_t *count_r, const char **error_r);
int store_pg_tombstones_get(struct store *store, int64_t mailbox_id,
		struct store_tombstone **list_r, size_t *count_r,
		const char **error_r);
int store_pg_quota_limits_get(struct store *store, const char *user,
		struct store_quota_limits *limits_r, const char **error_r);
int store_pg_migrate_append(struct store *store, int64_t mailbox_id,
		const struct store_migrate_msg *msgs, size_t count,
		const char **error_r);
int store_pg_migrate_flags_set(struct store *store, int64_t mailbox_id,
		const struct store_msg *msgs, size_t count,
		const char **error_r);
int store_pg_migrate_mailbox_set(struct store *store, int64_t mailbox_id,
		const struct store_mailbox_state *state, const char **error_r);
void store_pg_close(struct store **store);

#endif
