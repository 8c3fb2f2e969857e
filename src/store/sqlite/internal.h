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
#include "store/store.h"

#define STORE_SHA256_LEN 32
/* data_dir-relative blob path: "blobs/" + 2 hex + "/" + 62 hex */
#define STORE_BLOB_RELPATH_LEN (6 + 2 + 1 + 62)

struct store_stmt_slot {
	const char *sql;        /* compared by pointer: SQL lives in literals */
	sqlite3_stmt *stmt;
};

struct store {
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
/* Records that mailbox_id changed in the open transaction. */
void store_tx_changed(struct store *s, int64_t mailbox_id);

/* Runs a statement that returns no rows; returns STORE_OK or an error. */
int store_exec_stmt(struct store *s, sqlite3_stmt *st, const char *what);

/* ---- schema.c ---- */
int store_schema_migrate(struct store *s);

/* ---- blob.c ---- */
void store_sha256(const void *data, size_t len, uint8_t out[STORE_SHA256_LEN]);
/* Appends "blobs/ab/cdef..." for sha to path. */
void store_blob_relpath(const uint8_t sha[STORE_SHA256_LEN], struct buf *path);
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
/* Normalises ranges (sorted, merged, last clamped below uidnext). Returns
 * the new count; out must have room for count entries. */
size_t store_ranges_normalize(const struct store_uid_range *in, size_t count,
			      uint32_t uidnext, struct store_uid_range *out);
/* Validates keywords and registers them in the mailbox, replacing each by
 * the mailbox's spelling into out (space-separated, deduplicated). */
int store_keywords_register(struct store *s, int64_t mailbox_id,
			    const char *const *keywords, size_t count,
			    struct buf *out);
/* Registers the keywords of a stored "a b c" string in a mailbox. */
int store_keywords_register_str(struct store *s, int64_t mailbox_id,
				const char *keywords);
/* Checks a keyword atom. */
bool store_keyword_valid(const char *kw);
/* Whether the space-separated list holds kw (ASCII case-insensitive). */
bool store_keywords_contain(const char *list, const char *kw, size_t kw_len);
/* out = current keywords after op with the space-separated change list. */
void store_keywords_apply(const char *current, enum store_flags_op op,
			  const char *change, struct buf *out);
/* Validates keywords and joins them with spaces, registering nothing. */
int store_keywords_join(struct store *s, const char *const *keywords,
			size_t count, struct buf *out);

/* Builders for struct store_msg_list: push rows (keywords copied into the
 * list's strings), then finish to turn offsets into pointers. */
void store_msg_list_push(struct store_msg_list *l, size_t *cap, uint32_t uid,
			 uint32_t flags, uint64_t modseq, const char *keywords,
			 bool changed);
void store_msg_list_finish(struct store_msg_list *l);
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
/* The default quota limits of the policy (0 = none). */
void store_policy_quota(uint64_t *storage_r, uint64_t *messages_r);
/* The system flags rights allow to set or clear (RFC 4314 4): \Seen with
 * s, \Deleted with t, the others with w (which also covers keywords). */
uint32_t store_flag_mask(uint32_t rights);
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

/* ---- namespace.c: names in the three namespaces (RFC 2342) ---- */
struct store_ns_name {
	int64_t owner_id;
	struct buf local;           /* the name in the owner's tree */
	bool node;                  /* a namespace level, not a mailbox name:
				       "Other Users", "Other Users/bob",
				       "Shared" */
};
/* Resolves a client name for user_id (normalising it). Unknown owner, the
 * user's own name or the public user under "Other Users", or "Shared"
 * without a public user: STORE_ENONEXISTENT; bad name: STORE_EINVALID.
 * Free out->local with buf_free. */
int store_ns_resolve(struct store *s, int64_t user_id, const char *name,
		     struct store_ns_name *out);
/* Appends to list the other users' and public mailboxes the actor may
 * list (l), with their namespace parents as \Noselect entries. */
int store_ns_list_shared(struct store *s, int64_t user_id,
			 struct store_mailbox_list *list, size_t *cap);
/* Appends an entry (name copied) to list: helper shared with
 * mailbox-list.c. */
void store_list_add(struct store_mailbox_list *list, size_t *cap,
		    const char *name, int64_t id, uint32_t attrs);

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
