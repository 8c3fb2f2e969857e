#ifndef QUIRE_STORE_SQLITE_INTERNAL_H
#define QUIRE_STORE_SQLITE_INTERNAL_H
/*
 * Private to store/sqlite: the handle, statement cache, transaction and
 * error helpers shared by the files of this backend. Nothing outside
 * src/store/sqlite includes this.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "mail/thread-keys.h"
#include "store/backend.h"
#include "store/common.h"
#include "store/namespace.h"
#include "store/store.h"

/* data_dir-relative blob path: "blobs/" + 2 hex + "/" + 62 hex */
#define STORE_BLOB_RELPATH_LEN (6 + 2 + 1 + 62)

struct store_stmt_slot {
	const char *sql;        /* compared by pointer: SQL lives in literals */
	sqlite3_stmt *stmt;
};

struct store {
	const struct store_backend *ops; /* first: see store/backend.h */
	sqlite3 *db;
	char *data_dir;
	int data_dir_fd;
	struct buf error;           /* text behind *error_r */
	struct store_stmt_slot *stmts;
	size_t stmt_count, stmt_cap;
	/* mailboxes changed by the open transaction, notified after commit */
	int64_t *changed;
	size_t changed_count, changed_cap;
	/* sha256 of blobs whose rows were deleted: files go after commit */
	uint8_t (*dead_blobs)[STORE_SHA256_LEN];
	size_t dead_count, dead_cap;
	/* blobs/xx directories with new entries not yet fsynced, one bit per
	 * directory: a MULTIAPPEND fsyncs each directory once, not per file */
	uint8_t dirty_dirs[256 / 8];
	bool in_tx;
	bool write_locked;          /* holds the process's writer mutex (db.c) */
	bool relaxed;               /* the open write commits without fsync */
	int wal_frames;             /* WAL size after the last commit */
	bool wal_mode;              /* journal_mode is WAL (db.c) */
	bool wal_written;           /* the open write transaction's commit
				       wrote frames (wal_hook) */
	int notify_fd;              /* datagram socket, -1 until first use */
	/* acting user (store_set_actor), 0 = system; its name, read lazily */
	int64_t actor;
	char *actor_name;
	/* the actor's rights per mailbox, valid for the open transaction */
	struct store_rights_cache {
		int64_t mailbox_id;
		uint32_t rights;
	} *rights_cache;
	size_t rights_count, rights_cap;
};

/* The store.h functions of this backend, listed in store_sqlite_backend
 * (backend.c); each has the contract of its store.h namesake. */
int store_sqlite_open(const char *data_dir, struct store **store_r,
		char **error_r);
const char *store_sqlite_data_dir(const struct store *store);
int store_sqlite_user_add(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		int64_t *id_r, const char **error_r);
int store_sqlite_user_get(struct store *store, const char *name,
		struct store_user *user_r, const char **error_r);
int store_sqlite_user_set_password(struct store *store, const char *name,
		const char *password_hash, const struct store_scram *scram,
		const char **error_r);
int store_sqlite_user_delete(struct store *store, const char *name,
		const char **error_r);
int store_sqlite_user_list(struct store *store, char ***names_r,
		size_t *count_r, const char **error_r);
int store_sqlite_mailbox_lookup(struct store *store, int64_t user_id,
		const char *name, struct store_mailbox *mailbox_r,
		const char **error_r);
int store_sqlite_mailbox_get(struct store *store, int64_t mailbox_id,
		struct store_mailbox *mailbox_r, const char **error_r);
int store_sqlite_mailbox_list(struct store *store, int64_t user_id,
		struct store_mailbox_list *list_r, const char **error_r);
int store_sqlite_mailbox_create(struct store *store, int64_t user_id,
		const char *name, uint32_t special_use, int64_t *id_r,
		const char **error_r);
int store_sqlite_mailbox_delete(struct store *store, int64_t user_id,
		const char *name, const char **error_r);
int store_sqlite_mailbox_rename(struct store *store, int64_t user_id,
		const char *old_name, const char *new_name,
		const char **error_r);
int store_sqlite_mailbox_subscribe(struct store *store, int64_t user_id,
		const char *name, bool subscribe, const char **error_r);
int store_sqlite_mailbox_status(struct store *store, int64_t mailbox_id,
		struct store_mailbox_status *status_r, const char **error_r);
int store_sqlite_mailbox_claim_recent(struct store *store, int64_t mailbox_id,
		uint32_t *first_recent_uid_r, const char **error_r);
int store_sqlite_mailbox_keywords(struct store *store, int64_t mailbox_id,
		char ***keywords_r, const char **error_r);
int store_sqlite_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, size_t count,
		uint32_t *uids_r, uint32_t *uidvalidity_r,
		const char **error_r);
int store_sqlite_spill_create(struct store *store, int *fd_r,
		const char **error_r);
int store_sqlite_mailbox_snapshot(struct store *store, int64_t mailbox_id,
		struct store_msg_list *list_r, const char **error_r);
int store_sqlite_changes_since(struct store *store, int64_t mailbox_id,
		uint64_t since, struct store_changes *changes_r,
		const char **error_r);
int store_sqlite_expunged_since(struct store *store, int64_t mailbox_id,
		uint64_t since, uint32_t **uids_r, size_t *count_r,
		const char **error_r);
int store_sqlite_blob_sha256(struct store *store, int64_t blob_id,
		uint8_t sha256_r[32], const char **error_r);
int store_sqlite_messages_get(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		struct store_message_list *list_r, const char **error_r);
int store_sqlite_blob_open(struct store *store, int64_t blob_id, int *fd_r,
		uint64_t *size_r, const char **error_r);
int store_sqlite_blob_path(struct store *store, int64_t blob_id,
		struct buf *path, const char **error_r);
int store_sqlite_blob_cache_get(struct store *store, int64_t blob_id,
		struct buf *out, const char **error_r);
int store_sqlite_blob_cache_put(struct store *store, int64_t blob_id,
		const void *data, size_t len, const char **error_r);
int store_sqlite_header_summaries_get(struct store *store, int64_t mailbox_id,
				      const struct store_uid_range *range,
				      struct store_header_summary_list *list_r,
				      const char **error_r);
int store_sqlite_header_summaries_put(struct store *store,
				      const struct store_header_summary_put *items,
				      size_t count, const char **error_r);
int store_sqlite_flags_update(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		enum store_flags_op op, uint32_t flags,
		const char *const *keywords, size_t keyword_count,
		const uint64_t *unchangedsince,
		struct store_flags_result *result_r, const char **error_r);
int store_sqlite_copy(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
int store_sqlite_move(struct store *store, int64_t src_mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		int64_t dst_mailbox_id, struct store_copy_result *result_r,
		const char **error_r);
int store_sqlite_expunge(struct store *store, int64_t mailbox_id,
		const struct store_uid_range *ranges, size_t range_count,
		uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		const char **error_r);
int store_sqlite_check(struct store *store, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r);
void store_sqlite_set_actor(struct store *store, int64_t user_id);
int store_sqlite_acl_get(struct store *store, int64_t user_id, const char *name,
		struct store_acl *acl_r, const char **error_r);
int store_sqlite_acl_set(struct store *store, int64_t user_id, const char *name,
		const char *identifier, enum store_acl_op op, uint32_t rights,
		const char **error_r);
int store_sqlite_acl_delete(struct store *store, int64_t user_id,
		const char *name, const char *identifier,
		const char **error_r);
int store_sqlite_acl_listrights(struct store *store, int64_t user_id,
		const char *name, const char *identifier, uint32_t *always_r,
		uint32_t *optional_r, const char **error_r);
int store_sqlite_acl_myrights(struct store *store, int64_t user_id,
		const char *name, uint32_t *rights_r, const char **error_r);
int store_sqlite_quota_get(struct store *store, const char *user,
		struct store_quota *quota_r, const char **error_r);
int store_sqlite_quota_root(struct store *store, int64_t user_id,
		const char *name, struct store_quota *quota_r,
		const char **error_r);
int store_sqlite_quota_set(struct store *store, const char *user,
		const uint64_t *storage_kib, const uint64_t *messages,
		bool use_default, const char **error_r);
int store_sqlite_fts_index(struct store *store,
		const struct store_fts_doc *docs, size_t count,
		const char **error_r);
int store_sqlite_fts_unindexed(struct store *store, int64_t mailbox_id,
		size_t max, int64_t **ids_r, uint64_t **sizes_r,
		size_t *count_r, const char **error_r);
int store_sqlite_fts_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, bool body_only, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
int store_sqlite_fts_header_candidates(struct store *store, int64_t mailbox_id,
		const char *text, size_t len, uint32_t **uids_r,
		size_t *count_r, const char **error_r);
int store_sqlite_fts_text(struct store *store, int64_t blob_id,
		struct buf *header, struct buf *body, const char **error_r);
int store_sqlite_import_set_uidvalidity(struct store *store, int64_t mailbox_id,
		uint32_t uidvalidity, uint32_t uidnext, const char **error_r);
int store_sqlite_import_append(struct store *store, int64_t mailbox_id,
		const struct store_append_msg *msgs, const uint32_t *uids,
		size_t count, uint32_t *uids_r, const char **error_r);
int store_sqlite_import_find(struct store *store, int64_t mailbox_id,
		const uint8_t sha256[STORE_IMPORT_HASH_LEN], uint64_t size,
		uint32_t *uid_r, const char **error_r);
int store_sqlite_stats(struct store *store, struct store_stats *stats_r,
		const char **error_r);
int store_sqlite_subscriptions_list(struct store *store, int64_t user_id,
		char ***names_r, size_t *count_r, const char **error_r);
int store_sqlite_tombstones_get(struct store *store, int64_t mailbox_id,
		struct store_tombstone **list_r, size_t *count_r,
		const char **error_r);
int store_sqlite_quota_limits_get(struct store *store, const char *user,
		struct store_quota_limits *limits_r, const char **error_r);
int store_sqlite_migrate_append(struct store *store, int64_t mailbox_id,
		const struct store_migrate_msg *msgs, size_t count,
		const char **error_r);
int store_sqlite_migrate_flags_set(struct store *store, int64_t mailbox_id,
		const struct store_msg *msgs, size_t count,
		const char **error_r);
int store_sqlite_migrate_mailbox_set(struct store *store, int64_t mailbox_id,
		const struct store_mailbox_state *state, const char **error_r);
void store_sqlite_close(struct store **store);

/* ---- db.c: statements, transactions, errors ---- */

/* Sets the handle's error text, stores it in *error_r if error_r is not
 * NULL, and returns code. */
int store_fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Maps the last SQLite error to a store error with context text. */
int store_fail_db(struct store *s, const char *what);
/* Publishes the handle's error text into *error_r (NULL-safe). */
void store_error_out(struct store *s, const char **error_r);

/* Returns a reset, cleared, cached statement for sql (a string literal), or
 * NULL after setting the error. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* BEGIN IMMEDIATE (write) or BEGIN (read). Return a store error code. */
int store_tx_write(struct store *s);
int store_tx_read(struct store *s);
/*
 * A write transaction whose commit does not wait for an fsync
 * (synchronous=NORMAL in WAL mode), for changes that may be lost to a
 * power failure, never to a crash of the process: flag changes. It is
 * atomic all the same, and the next durable commit (or checkpoint)
 * makes it durable too, since the WAL is synced in order. Never for
 * anything acknowledged as stored (APPEND, COPY, MOVE, delivery) nor for
 * a commit after which files are unlinked (EXPUNGE).
 */
int store_tx_write_relaxed(struct store *s);
/* Commits; on success unlinks dead blobs and sends notifications. */
int store_tx_commit(struct store *s);
/* Rolls back (safe when no transaction is open) and forgets pending work. */
void store_tx_rollback(struct store *s);
/* Ends a transaction by ret (commit on STORE_OK, else roll back), hands
 * the error text to *error_r and returns the outcome. */
int store_tx_end(struct store *s, int ret, const char **error_r);
/* Records that mailbox_id changed in the open transaction. */
void store_tx_changed(struct store *s, int64_t mailbox_id);

/* Runs a statement that returns no rows; returns STORE_OK or an error. */
int store_exec_stmt(struct store *s, sqlite3_stmt *st, const char *what);

/* ---- schema.c ---- */
int store_schema_migrate(struct store *s);

/* ---- blob.c ---- */
/* Creates blobs/00..ff and tmp/ under the data dir. */
int store_blob_dirs_init(struct store *s);

struct store_blob_src {
	const void *data;
	int fd;
	size_t size;
	uint8_t sha[STORE_SHA256_LEN];
	bool wrote;             /* this call created the file */
};
/* Fills src->sha (computing it unless have_sha) and makes sure the file
 * exists and is fsynced; its directory is marked for store_blob_sync_dirs. */
int store_blob_prepare(struct store *s, struct store_blob_src *src,
		       bool have_sha);
/* Fsyncs the blob directories that got new entries since the last call;
 * must run before a commit that references those entries. */
int store_blob_sync_dirs(struct store *s);
/* Inside the write transaction: returns the blob row id for src, inserting
 * the row and rewriting a file that vanished meanwhile. */
int store_blob_attach(struct store *s, struct store_blob_src *src,
		      int64_t *blob_id_r);
/* Inside the write transaction: deletes the blob row if no message refers
 * to it, queueing its file for removal after commit. */
int store_blob_release(struct store *s, int64_t blob_id);
/* After commit: removes the queued files whose rows are still gone. */
void store_blob_unlink_dead(struct store *s);
/* Inside the write transaction (headers.c): stores the parse record and
 * search header summary m carries for blob_id, keeping any already
 * there (a body never changes). */
int store_blob_derived_put(struct store *s, int64_t blob_id,
			   const struct store_append_msg *m);

/* ---- thread.c: THREADID (RFC 8474 5.2), the rule of mail/thread-keys.h ---- */
/* Reads the keys of a message to be stored from its bytes (outside any
 * transaction; src as given to store_blob_prepare). */
/* Writes and fsyncs m's body to its blob file (outside the write lock:
 * the fsyncs are the slow part and must not hold up other writers) into
 * *src, and reads its thread keys into *keys (free with
 * mail_thread_keys_free). STORE_OK or the blob error. */
int store_body_prepare(struct store *s, const struct store_append_msg *m,
		       struct store_blob_src *src, struct mail_thread_keys *keys);
void store_thread_keys_of(const struct store_blob_src *src,
			  struct mail_thread_keys *keys_r);
/* Inside the write transaction, after the body's row exists: the thread
 * number for a new row of blob_id in a mailbox of user_id, recording the
 * message's ids. */
int store_thread_assign(struct store *s, int64_t user_id, int64_t blob_id,
			const struct mail_thread_keys *keys,
			int64_t *thread_id_r);

/* ---- notify.c ---- */
void store_notify_changed(struct store *s, int64_t mailbox_id);

/* ---- mailbox.c ---- */
/* Reads a mailbox row by id inside a transaction. */
int store_mailbox_read(struct store *s, int64_t mailbox_id,
		       struct store_mailbox *mb_r);
/* Allocates the next uidvalidity (inside a write transaction). */
int store_uidvalidity_next(struct store *s, uint32_t *uidvalidity_r);
/* Sets uidnext and highestmodseq of a mailbox. */
int store_mailbox_set_counters(struct store *s, int64_t mailbox_id,
			       uint32_t uidnext, uint64_t highestmodseq);

/* ---- message.c / keywords.c ---- */
/* Validates keywords and registers them in the mailbox, replacing each by
 * the mailbox's spelling into out (space-separated, deduplicated). */
int store_keywords_register(struct store *s, int64_t mailbox_id,
			    const char *const *keywords, size_t count,
			    struct buf *out);
/* Registers the keywords of a stored "a b c" string in a mailbox. */
int store_keywords_register_str(struct store *s, int64_t mailbox_id,
				const char *keywords);
/* Validates keywords and joins them with spaces, registering nothing. */
int store_keywords_join(struct store *s, const char *const *keywords,
			size_t count, struct buf *out);

/* Releases blobs of messages deleted from a mailbox: helper for delete. */
int store_messages_delete_all(struct store *s, int64_t mailbox_id);
/* Moves every message of src into dst (new UIDs from dst's uidnext),
 * leaving tombstones in src: RENAME INBOX. */
int store_messages_move_all(struct store *s, int64_t src_mailbox_id,
			    int64_t dst_mailbox_id);
/* Copies one message row into dst with a new uid/modseq (used by copy,
 * move and INBOX rename). */
int store_message_copy_row(struct store *s, int64_t src_mailbox_id,
			   uint32_t src_uid, int64_t dst_mailbox_id,
			   uint32_t dst_uid, uint64_t dst_modseq, time_t now);

/* ---- acl.c: rights (RFC 4314) ---- */
/* The actor's rights on a mailbox owned by owner_id (cached per
 * transaction). */
int store_rights_of(struct store *s, int64_t mailbox_id, int64_t owner_id,
		    uint32_t *rights_r);
/* Whether the actor acts as owner of owner_id's mailboxes (the system,
 * the owner, the admin on the public user's). */
int store_actor_owns(struct store *s, int64_t owner_id, bool *yes_r);
/*
 * Checks that mb->rights has every bit of need. Returns STORE_OK; else
 * STORE_ENOPERM when the actor may see the mailbox (l or r), else
 * hidden_code (STORE_ENONEXISTENT or STORE_ETRYCREATE) with the same text
 * a missing mailbox gets.
 */
int store_require(struct store *s, const struct store_mailbox *mb,
		  uint32_t need, int hidden_code);
/* The system or the configured admin user (store_set_policy). */
bool store_actor_is_admin(struct store *s);
/* Reads mailbox_id and checks need as store_require (hidden:
 * STORE_ENONEXISTENT). */
int store_require_mailbox(struct store *s, int64_t mailbox_id, uint32_t need);
/* Forgets cached rights (transaction end, actor change, ACL change). */
void store_rights_forget(struct store *s);
/* The user id of name (ASCII case-insensitive) and its canonical
 * spelling into canon (may be NULL). STORE_ENONEXISTENT. */
int store_user_id(struct store *s, const char *name, int64_t *id_r,
		  struct buf *canon);
/* The name of user id into out (reset first). STORE_ENONEXISTENT. */
int store_user_name(struct store *s, int64_t id, struct buf *out);
/* Copies the ACL of mailbox from to mailbox to (RFC 4314 4: a new mailbox
 * SHOULD inherit its parent's ACL). */
int store_acl_inherit(struct store *s, int64_t from, int64_t to);

/* ---- quota.c (RFC 9208) ---- */
struct store_usage {
	uint64_t storage;           /* bytes */
	uint64_t messages;
};
/* Reads owner's usage inside the open transaction. */
int store_usage_read(struct store *s, int64_t owner_id,
		     struct store_usage *usage_r);
/* After adding messages in the open transaction: STORE_EOVERQUOTA when
 * owner's usage grew past a limit (compared with before). */
int store_quota_check(struct store *s, int64_t owner_id,
		      const struct store_usage *before);

#endif
