#ifndef QUIRE_STORE_STORE_H
#define QUIRE_STORE_STORE_H
/*
 * The storage interface: the only door to mail data.
 *
 * It speaks in users, mailboxes, UIDs, flags, modseqs and blobs. The default
 * backend is store/sqlite (one SQLite database in WAL mode for metadata,
 * content-addressed immutable body files under data_dir/blobs/); store/pg
 * implements the same header over PostgreSQL (libpq) for several front ends
 * sharing one database. store_configure picks one; nothing here names a
 * backend type.
 *
 * Threads: one `struct store` per thread (each is its own database
 * connection with its own prepared statements). A handle must not be used by
 * two threads at once. Several handles, in this and in other processes
 * (`quire deliver`), may write the same mailbox concurrently: every write is
 * one transaction that takes the write lock up front, so UIDs and modseqs
 * are never duplicated or lost.
 *
 * Transactions: every function below is one complete transaction. A function
 * that stores mail returns STORE_OK only after the body file is fsynced (file
 * and directory) and the transaction referencing it is committed, so the
 * caller may answer OK at once.
 *
 * Errors: functions return 0 (STORE_OK) or one of enum store_error. When an
 * error_r is given, *error_r receives a human-readable reason that is owned by
 * the handle and stays valid until the next call on the same handle (it never
 * contains message data or passwords). Functions without a handle use
 * `char **error_r` that the caller frees.
 *
 * Names: mailbox names are stored exactly as the client sent them (modified
 * UTF-7; the IMAP layer validates them), with '/' as hierarchy delimiter.
 * "INBOX" is case-insensitive and always stored as "INBOX", also as a prefix:
 * "inbox/child" is "INBOX/child".
 *
 * Access control (RFC 4314): every handle has an acting user, set with
 * store_set_actor() (0, the default, is the system: delivery, the command
 * line; it holds every right). Every function that touches a mailbox checks
 * the actor's rights on it (see "Access control" below): a mailbox owner
 * always holds all rights; anyone else gets what the mailbox's ACL grants.
 * A mailbox on which the actor holds no right at all, or not the right an
 * operation needs and not "l" either, answers exactly as a missing one
 * (STORE_ENONEXISTENT, or STORE_ETRYCREATE as an APPEND/COPY target): no
 * existence leak (RFC 4314 6). Lacking only the operation's right gives
 * STORE_ENOPERM.
 *
 * Namespaces (RFC 2342): a user's own mailboxes are named as stored. Other
 * users' mailboxes are named "Other Users/<owner>/<name>", and the
 * mailboxes of the user named STORE_PUBLIC_USER "Shared/<name>"; every
 * function taking (user_id, name) resolves those names, and
 * store_mailbox_list lists them where the actor holds "l".
 *
 * Quota (RFC 9208): one quota root per user covering all mailboxes that
 * user owns, whoever puts messages in them. Usage (bytes, messages) is kept
 * by triggers on the messages table, so it changes in the same transaction
 * as any insert or delete; a change that adds messages past a limit fails
 * with STORE_EOVERQUOTA and stores nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

struct store;

/* Error codes. Each maps to one IMAP response code, see store_error_code(). */
enum store_error {
	STORE_OK = 0,
	STORE_ENONEXISTENT,   /* NO [NONEXISTENT]: no such user/mailbox/message */
	STORE_EALREADYEXISTS, /* NO [ALREADYEXISTS] */
	STORE_ETRYCREATE,     /* NO [TRYCREATE]: destination mailbox missing */
	STORE_EOVERQUOTA,     /* NO [OVERQUOTA]: would exceed the owner's quota */
	STORE_ECANNOT,        /* NO [CANNOT]: the operation breaks a rule */
	STORE_EINVALID,       /* bad argument (name, keyword): BAD or NO */
	STORE_ENOPERM,        /* NO [NOPERM]: the actor lacks an ACL right */
	STORE_EUNAVAILABLE,   /* NO [UNAVAILABLE]: busy, I/O error, disk full */
	STORE_ESERVERBUG,     /* NO [SERVERBUG]: corrupt data, internal error */
};

/* Returns the IMAP response code text for an error ("NONEXISTENT", ...), or
 * NULL for STORE_OK and STORE_EINVALID (which has no response code). */
const char *store_error_code(int error);

/* ------------------------------------------------------------------------
 * Open, close
 */

/* Which backend store_open uses, and its settings (config keys `store`,
 * `pg_conninfo`, `blob_dir`). */
enum store_kind {
	STORE_SQLITE = 0,        /* data_dir/quire.db */
	STORE_POSTGRESQL,        /* the database pg_conninfo names */
};
struct store_config {
	enum store_kind kind;
	const char *pg_conninfo; /* libpq connection string; NULL/"": defaults */
	const char *blob_dir;    /* PostgreSQL: message files; NULL/"":
				    data_dir/blobs. Front ends share it. */
};
/* Copies config (NULL: SQLite, defaults). Process-wide; call before
 * starting threads and before store_open. */
void store_configure(const struct store_config *config);

/*
 * Opens (creating as needed) data_dir, data_dir/quire.db, data_dir/blobs/ and
 * data_dir/tmp/, and runs the schema migrations. Returns STORE_OK with a new
 * handle in *store_r, or an error with a reason in *error_r (caller frees).
 * A database written by a newer Quire (higher schema version) is refused.
 * With STORE_POSTGRESQL the metadata lives in the configured database (its
 * schema migrated the same way) and data_dir holds only tmp/ and, unless
 * blob_dir says otherwise, blobs/.
 */
int store_open(const char *data_dir, struct store **store_r, char **error_r);

/* Closes the handle and sets *store to NULL. NULL or *store == NULL is fine. */
void store_close(struct store **store);

/* The data_dir given to store_open. Owned by the handle. */
const char *store_data_dir(const struct store *store);

/* ------------------------------------------------------------------------
 * Users
 */

/* SCRAM-SHA-256 credentials (RFC 7677, RFC 5802). */
struct store_scram {
	uint8_t *salt;          /* salt_len bytes */
	size_t salt_len;
	uint32_t iterations;
	uint8_t stored_key[32];
	uint8_t server_key[32];
};

struct store_user {
	int64_t id;
	char *name;
	char *password_hash;    /* crypt(3) string */
	bool has_scram;
	struct store_scram scram;
};

/*
 * Returns true if name is acceptable as a user name: 1-64 bytes, no '/', no
 * spaces, no control characters (bytes < 0x20 and 0x7f). On false, *reason_r
 * (may be NULL) says why (static string).
 */
bool store_user_name_valid(const char *name, const char **reason_r);

/*
 * Creates a user with INBOX and the RFC 6154 special-use mailboxes Drafts,
 * Sent, Trash, Junk and Archive, all subscribed. scram may be NULL. User names
 * are unique ignoring ASCII case. Returns STORE_OK and the new id in *id_r (may
 * be NULL), STORE_EINVALID for a bad name, STORE_EALREADYEXISTS.
 */
int store_user_add(struct store *store, const char *name,
		   const char *password_hash, const struct store_scram *scram,
		   int64_t *id_r, const char **error_r);

/*
 * Looks a user up by name (ASCII case-insensitive). Fills *user_r (free its
 * contents with store_user_free). STORE_ENONEXISTENT if no such user.
 */
int store_user_get(struct store *store, const char *name,
		   struct store_user *user_r, const char **error_r);

/* Frees what store_user_get put into *user (not user itself). */
void store_user_free(struct store_user *user);

/* Replaces password hash and SCRAM credentials (scram NULL removes them).
 * STORE_ENONEXISTENT if no such user. */
int store_user_set_password(struct store *store, const char *name,
			    const char *password_hash,
			    const struct store_scram *scram,
			    const char **error_r);

/* Deletes the user, all their mailboxes, messages and subscriptions; blob
 * files nobody else refers to are removed. STORE_ENONEXISTENT. */
int store_user_delete(struct store *store, const char *name,
		      const char **error_r);

/* All user names, sorted. *names_r is a NULL-terminated array; free it with
 * store_strings_free. *count_r (may be NULL) gets the count. */
int store_user_list(struct store *store, char ***names_r, size_t *count_r,
		    const char **error_r);

/* Frees a NULL-terminated array of strings returned by the store. */
void store_strings_free(char **strings);

/* ------------------------------------------------------------------------
 * Mailboxes
 */

/* Mailbox attributes, as a bitmask. */
enum store_mailbox_attr {
	STORE_MBOX_NOSELECT     = 1u << 0,  /* exists only as a parent */
	STORE_MBOX_HASCHILDREN  = 1u << 1,  /* computed when listing */
	STORE_MBOX_SUBSCRIBED   = 1u << 2,
	STORE_MBOX_NONEXISTENT  = 1u << 3,  /* list: subscribed, not existing */
	STORE_MBOX_DRAFTS       = 1u << 8,  /* RFC 6154 special use */
	STORE_MBOX_SENT         = 1u << 9,
	STORE_MBOX_TRASH        = 1u << 10,
	STORE_MBOX_JUNK         = 1u << 11,
	STORE_MBOX_ARCHIVE      = 1u << 12,
	STORE_MBOX_ALL          = 1u << 13,
	STORE_MBOX_FLAGGED      = 1u << 14,
};
#define STORE_MBOX_SPECIAL_USE_MASK 0x7f00u

/* One mailbox's identity and counters. */
struct store_mailbox {
	int64_t id;
	int64_t user_id;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t first_recent_uid; /* see store_mailbox_claim_recent */
	uint32_t attrs;            /* enum store_mailbox_attr (no HASCHILDREN) */
	uint32_t rights;           /* the actor's enum acl_right bits on it */
};

/*
 * Canonicalises a mailbox name into out (reset first): a leading "INBOX"
 * component in any case becomes "INBOX"; a trailing '/' is removed. Returns
 * STORE_EINVALID for an empty name, an empty component ("a//b", "/a"), or a
 * control character.
 */
int store_mailbox_name_normalize(const char *name, struct buf *out);

/* Looks a mailbox up by name (normalised as above; other namespaces
 * resolved). STORE_ENONEXISTENT if there is none or the actor holds no
 * right on it; mailbox_r->rights says which it holds. A \Noselect mailbox
 * is found (attrs says so): the caller refuses SELECT of it. */
int store_mailbox_lookup(struct store *store, int64_t user_id,
			 const char *name, struct store_mailbox *mailbox_r,
			 const char **error_r);

/* The same by id, to refresh counters. STORE_ENONEXISTENT if deleted. */
int store_mailbox_get(struct store *store, int64_t mailbox_id,
		      struct store_mailbox *mailbox_r, const char **error_r);

struct store_mailbox_entry {
	char *name;
	int64_t id;             /* 0 for a subscription-only entry */
	uint32_t attrs;         /* with HASCHILDREN, SUBSCRIBED, NONEXISTENT */
};

struct store_mailbox_list {
	struct store_mailbox_entry *entries; /* sorted by name (bytewise) */
	size_t count;
};

/*
 * Lists all of the user's mailboxes with attributes, plus subscribed names
 * that do not exist (attrs STORE_MBOX_NONEXISTENT|STORE_MBOX_SUBSCRIBED).
 * Pattern matching (LIST "" "%") is the IMAP layer's job. Free with
 * store_mailbox_list_free.
 */
int store_mailbox_list(struct store *store, int64_t user_id,
		       struct store_mailbox_list *list_r, const char **error_r);
void store_mailbox_list_free(struct store_mailbox_list *list);

/*
 * Creates a mailbox (RFC 3501 6.3.3). Missing parents ("a" for "a/b") are
 * created too, as ordinary selectable mailboxes (RFC 3501 6.3.3 SHOULD
 * create superior names). A trailing '/' ("intend to create
 * children") is stripped. special_use is 0 or STORE_MBOX_* special-use bits
 * (RFC 6154 CREATE-SPECIAL-USE). Creating over a \Noselect mailbox of that
 * name turns it selectable again (new uidvalidity). Returns STORE_OK and the
 * id in *id_r (may be NULL), STORE_EALREADYEXISTS, STORE_EINVALID.
 */
int store_mailbox_create(struct store *store, int64_t user_id,
			 const char *name, uint32_t special_use,
			 int64_t *id_r, const char **error_r);

/*
 * Deletes a mailbox (RFC 3501 6.3.4). INBOX: STORE_ECANNOT. A mailbox with
 * children loses its messages and becomes \Noselect; a \Noselect mailbox with
 * children: STORE_ECANNOT; a mailbox without children is removed. Missing:
 * STORE_ENONEXISTENT. Subscriptions are kept (RFC 3501 6.3.6 allows them to
 * name nonexistent mailboxes). Deleted message blobs are freed.
 */
int store_mailbox_delete(struct store *store, int64_t user_id,
			 const char *name, const char **error_r);

/*
 * Renames a mailbox and its children (RFC 3501 6.3.5), creating missing
 * parents of the new name. The renamed mailboxes keep their id, uidvalidity
 * and UIDs: uidvalidity values are unique across all mailboxes ever created,
 * so (name, uidvalidity, uid) still names one message forever (RFC 3501
 * 2.3.1.1). Renaming INBOX moves its messages into a new mailbox (new
 * uidvalidity, UIDs from 1) and leaves INBOX empty with tombstones; INBOX's
 * children stay. Target exists: STORE_EALREADYEXISTS; source missing:
 * STORE_ENONEXISTENT; renaming into its own subtree: STORE_ECANNOT.
 */
int store_mailbox_rename(struct store *store, int64_t user_id,
			 const char *old_name, const char *new_name,
			 const char **error_r);

/* Adds or removes a subscription (RFC 3501 6.3.6/6.3.7). The name need not
 * exist. Unsubscribing a name that is not subscribed: STORE_ENONEXISTENT. */
int store_mailbox_subscribe(struct store *store, int64_t user_id,
			    const char *name, bool subscribe,
			    const char **error_r);

struct store_mailbox_status {
	uint32_t messages;
	uint32_t recent;        /* uids >= first_recent_uid */
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint32_t unseen;        /* messages without \Seen */
	uint32_t deleted;       /* messages with \Deleted */
	uint64_t highestmodseq;
	uint64_t size;          /* sum of message sizes (RFC 8438) */
	uint64_t deleted_size;  /* sum of sizes with \Deleted (RFC 9208 4.1.4) */
};

/* STATUS (RFC 3501 6.3.10) of a mailbox by id. STORE_ENONEXISTENT. */
int store_mailbox_status(struct store *store, int64_t mailbox_id,
			 struct store_mailbox_status *status_r,
			 const char **error_r);

/*
 * \Recent (RFC 3501 2.3.2): atomically returns the mailbox's first-recent
 * boundary in *first_recent_uid_r and moves it to uidnext. Call it once for a
 * read-write SELECT; that session alone treats uids >= the returned value as
 * \Recent. (EXAMINE reads first_recent_uid from store_mailbox_get instead.)
 * Does not bump modseq.
 */
int store_mailbox_claim_recent(struct store *store, int64_t mailbox_id,
			       uint32_t *first_recent_uid_r,
			       const char **error_r);

/* Keywords ever used in the mailbox (for FLAGS / PERMANENTFLAGS), in the
 * order they were first used. NULL-terminated, free with store_strings_free. */
int store_mailbox_keywords(struct store *store, int64_t mailbox_id,
			   char ***keywords_r, const char **error_r);

/* ------------------------------------------------------------------------
 * Messages
 */

/* System flags as a bitmask (\Recent is not stored, see above). */
enum store_flag {
	STORE_FLAG_SEEN     = 1u << 0,
	STORE_FLAG_ANSWERED = 1u << 1,
	STORE_FLAG_FLAGGED  = 1u << 2,
	STORE_FLAG_DELETED  = 1u << 3,
	STORE_FLAG_DRAFT    = 1u << 4,
};
#define STORE_FLAGS_ALL 0x1fu

/* Keywords are atoms (RFC 3501 "flag-keyword"): 1-255 bytes, no spaces,
 * controls, or atom-specials, not starting with '\'. Compared ignoring ASCII
 * case. A bad keyword gives STORE_EINVALID. */
#define STORE_KEYWORD_MAX_LEN 255

/* A UID range, first <= last; UINT32_MAX as last means "*". */
struct store_uid_range {
	uint32_t first;
	uint32_t last;
};

/* One message's mutable state. keywords is NULL or space-separated atoms
 * ("$Forwarded work"), ready to print inside FLAGS (...). */
struct store_msg {
	uint32_t uid;
	uint32_t flags;          /* enum store_flag */
	uint64_t modseq;
	const char *keywords;    /* owned by the containing list */
	bool changed;            /* store_flags_update: this one changed */
};

struct store_msg_list {
	struct store_msg *msgs;  /* in UID order */
	size_t count;
	uint64_t highestmodseq;  /* of the mailbox, at the time of the read */
	uint32_t uidnext;        /* of the mailbox, at the time of the read */
	/* private: storage of keywords */
	struct buf strings_;
};
void store_msg_list_free(struct store_msg_list *list);

/* A message to append. Give either data+size (fd = -1) or an fd positioned
 * anywhere, of which bytes [0, size) are the message (read with pread; the
 * fd is not closed). An fd from store_spill_create can be linked into place
 * without copying. */
struct store_append_msg {
	const void *data;
	int fd;
	size_t size;
	const uint8_t *sha256;   /* NULL, or the SHA-256 of exactly those bytes */
	uint32_t flags;
	const char *const *keywords;
	size_t keyword_count;
	time_t internaldate;     /* 0 = now */
	int tz_offset_min;       /* e.g. +120 for +0200, kept for FETCH */
	/* Derived data stored in the same transaction when the body is new
	 * (NULL: none): the parse record (store_blob_cache_put) and the
	 * search header summary (store_header_summaries_get). Parsing before
	 * the append saves a second write transaction per message. */
	const void *cache;
	size_t cache_len;
	const void *headers;
	size_t headers_len;
	int64_t *blob_id_r;      /* where the body's blob id goes, or NULL */
};

/*
 * Appends count messages to a mailbox in one transaction, all or nothing
 * (RFC 3502 MULTIAPPEND). Bodies are written and fsynced first (identical
 * bodies are stored once), then the rows are committed. On STORE_OK,
 * uids_r[0..count) holds the new UIDs (ascending) and *uidvalidity_r the
 * mailbox's uidvalidity (RFC 4315 APPENDUID); both may be NULL.
 * Missing mailbox: STORE_ETRYCREATE (RFC 3501 6.3.11); \Noselect:
 * STORE_ECANNOT; bad keyword: STORE_EINVALID.
 */
int store_append(struct store *store, int64_t mailbox_id,
		 const struct store_append_msg *msgs, size_t count,
		 uint32_t *uids_r, uint32_t *uidvalidity_r,
		 const char **error_r);

/*
 * Creates an unlinked temporary file under data_dir/tmp (O_TMPFILE, on the
 * same filesystem as the blobs) for a parser to spill a large literal into.
 * Returns STORE_OK and the fd in *fd_r (the caller closes it).
 */
int store_spill_create(struct store *store, int *fd_r, const char **error_r);

/* ------------------------------------------------------------------------
 * Views: how every session learns what changed
 */

/*
 * All messages of a mailbox (uid, flags, keywords, modseq) in UID order, plus
 * highestmodseq and uidnext read in the same transaction. One query.
 * Free with store_msg_list_free. STORE_ENONEXISTENT.
 */
int store_mailbox_snapshot(struct store *store, int64_t mailbox_id,
			   struct store_msg_list *list_r, const char **error_r);

struct store_changes {
	struct store_msg_list changed; /* modseq > since: new or flags changed */
	uint32_t *expunged;            /* tombstoned UIDs with modseq > since,
					  ascending; may include UIDs the caller
					  never saw (ignore those) */
	size_t expunged_count;
};

/*
 * What changed in a mailbox after modseq `since`, in one read transaction:
 * changes_r->changed.highestmodseq is the modseq to pass next time.
 * Free with store_changes_free. STORE_ENONEXISTENT if the mailbox is gone.
 */
int store_changes_since(struct store *store, int64_t mailbox_id,
			uint64_t since, struct store_changes *changes_r,
			const char **error_r);
void store_changes_free(struct store_changes *changes);

/* ------------------------------------------------------------------------
 * QRESYNC and OBJECTID helpers (RFC 7162, RFC 8474): store/sqlite/resync.c
 */

/*
 * UIDs expunged from a mailbox with a tombstone modseq > since, ascending
 * (RFC 7162 3.2.5.1 VANISHED (EARLIER), 3.2.6 UID FETCH VANISHED). Tombstones
 * are never pruned, so the answer is exact for any since. *uids_r is
 * caller-freed (NULL when none). STORE_ENONEXISTENT if the mailbox is gone.
 */
int store_expunged_since(struct store *store, int64_t mailbox_id,
			 uint64_t since, uint32_t **uids_r, size_t *count_r,
			 const char **error_r);

/* The SHA-256 of a blob's contents (the content address; EMAILID is
 * derived from it). STORE_ENONEXISTENT if the blob id is unknown. */
int store_blob_sha256(struct store *store, int64_t blob_id,
		      uint8_t sha256_r[32], const char **error_r);

/* ------------------------------------------------------------------------
 * Message details and bodies (FETCH)
 */

struct store_message {
	uint32_t uid;
	uint32_t flags;
	uint64_t modseq;
	const char *keywords;    /* NULL or space-separated; owned by the list */
	time_t internaldate;
	int tz_offset_min;
	uint64_t size;
	int64_t blob_id;
	time_t savedate;         /* RFC 8514 */
	int64_t thread_id;       /* RFC 8474 THREADID number; 0: none */
};

struct store_message_list {
	struct store_message *msgs; /* in UID order */
	size_t count;
	struct buf strings_;        /* private */
};
void store_message_list_free(struct store_message_list *list);

/*
 * Details of the messages whose UIDs fall in the given ranges (any order,
 * may overlap); UIDs that do not exist are skipped. The caller must clamp
 * ranges to UIDs its view knows (a "*" must not reach messages the session
 * has not been told about). Free with store_message_list_free.
 */
int store_messages_get(struct store *store, int64_t mailbox_id,
		       const struct store_uid_range *ranges, size_t range_count,
		       struct store_message_list *list_r, const char **error_r);

/* Opens a blob read-only: *fd_r (caller closes) and *size_r.
 * STORE_ENONEXISTENT if the blob id is unknown, STORE_ESERVERBUG if its
 * file is missing. */
int store_blob_open(struct store *store, int64_t blob_id, int *fd_r,
		    uint64_t *size_r, const char **error_r);

/* Appends the blob's file path to path (for mmap by name). */
int store_blob_path(struct store *store, int64_t blob_id, struct buf *path,
		    const char **error_r);

/*
 * Parse cache (ENVELOPE, BODYSTRUCTURE, part offsets), opaque bytes keyed by
 * blob; the parser owns the format. get appends the cached bytes to out and
 * returns STORE_OK, or STORE_ENONEXISTENT when nothing is cached. put
 * replaces the entry. The entry goes away with the blob.
 */
int store_blob_cache_get(struct store *store, int64_t blob_id,
			 struct buf *out, const char **error_r);
int store_blob_cache_put(struct store *store, int64_t blob_id,
			 const void *data, size_t len, const char **error_r);

/*
 * Search header summaries (mail/search-headers.h), opaque bytes keyed by
 * blob like the parse cache. get lists, in UID order, the messages of one
 * mailbox within range that have a summary (the actor needs r); a message
 * missing from the list has none yet. put stores summaries computed later
 * for bodies that lacked one (derived data: no fsync of its own); a blob
 * gone meanwhile, or whose id now names a body of another size, is
 * skipped.
 */
struct store_header_summary {
	uint32_t uid;
	const void *data;
	size_t len;
};
struct store_header_summary_list {
	struct store_header_summary *items;
	size_t count;
	struct buf data_;           /* private */
};
int store_header_summaries_get(struct store *store, int64_t mailbox_id,
			       const struct store_uid_range *range,
			       struct store_header_summary_list *list_r,
			       const char **error_r);
void store_header_summary_list_free(struct store_header_summary_list *list);

struct store_header_summary_put {
	int64_t blob_id;
	uint64_t blob_size;     /* the body's size: a blob id SQLite gave to
				   another body meanwhile is not written to */
	const void *data;
	size_t len;
};
int store_header_summaries_put(struct store *store,
			       const struct store_header_summary_put *items,
			       size_t count, const char **error_r);

/* ------------------------------------------------------------------------
 * Changing messages
 */

enum store_flags_op {
	STORE_FLAGS_SET,         /* FLAGS */
	STORE_FLAGS_ADD,         /* +FLAGS */
	STORE_FLAGS_REMOVE,      /* -FLAGS */
};

struct store_flags_result {
	/* Every existing message in the ranges that passed UNCHANGEDSINCE, with
	 * its flags after the operation; .changed marks the ones that changed
	 * (those have the new modseq). */
	struct store_msg_list msgs;
	/* UIDs that failed UNCHANGEDSINCE (RFC 7162 3.1.3 MODIFIED), ascending. */
	uint32_t *modified;
	size_t modified_count;
};
void store_flags_result_free(struct store_flags_result *result);

/*
 * STORE (RFC 3501 6.4.6): applies op with flags+keywords to the messages in
 * the ranges. unchangedsince is NULL for none, else RFC 7162 UNCHANGEDSINCE
 * (0 is a valid value that every message fails): a message whose modseq is
 * greater is left alone and reported in modified.
 * All changed messages get one new modseq (highestmodseq + 1); unchanged ones
 * keep theirs. Free the result with store_flags_result_free.
 */
int store_flags_update(struct store *store, int64_t mailbox_id,
		       const struct store_uid_range *ranges, size_t range_count,
		       enum store_flags_op op, uint32_t flags,
		       const char *const *keywords, size_t keyword_count,
		       const uint64_t *unchangedsince,
		       struct store_flags_result *result_r,
		       const char **error_r);

struct store_copy_result {
	uint32_t uidvalidity;    /* of the destination (RFC 4315 COPYUID) */
	uint32_t *src_uids;      /* ascending */
	uint32_t *dst_uids;      /* dst_uids[i] is the copy of src_uids[i] */
	size_t count;
	uint64_t src_modseq;     /* move: modseq of the source tombstones */
};
void store_copy_result_free(struct store_copy_result *result);

/*
 * COPY (RFC 3501 6.4.7): copies the messages in the ranges to dst_mailbox_id
 * with their flags and keywords (new UIDs in the same order, savedate now),
 * sharing the bodies. Missing destination: STORE_ETRYCREATE; \Noselect
 * destination: STORE_ECANNOT. No matching messages: STORE_OK, count 0.
 */
int store_copy(struct store *store, int64_t src_mailbox_id,
	       const struct store_uid_range *ranges, size_t range_count,
	       int64_t dst_mailbox_id, struct store_copy_result *result_r,
	       const char **error_r);

/* MOVE (RFC 6851): as store_copy, and expunges the sources (tombstones) in
 * the same transaction. Moving to the same mailbox: STORE_ECANNOT. */
int store_move(struct store *store, int64_t src_mailbox_id,
	       const struct store_uid_range *ranges, size_t range_count,
	       int64_t dst_mailbox_id, struct store_copy_result *result_r,
	       const char **error_r);

/*
 * EXPUNGE (RFC 3501 6.4.3): removes the messages with \Deleted; with ranges
 * (UID EXPUNGE, RFC 4315 2.1) only those among them. Leaves (uid, modseq)
 * tombstones. *uids_r gets the expunged UIDs ascending (caller frees, NULL if
 * none), *count_r their count, *modseq_r (may be NULL) the new highestmodseq.
 * ranges NULL means all. Blobs that lost their last reference are removed.
 */
int store_expunge(struct store *store, int64_t mailbox_id,
		  const struct store_uid_range *ranges, size_t range_count,
		  uint32_t **uids_r, size_t *count_r, uint64_t *modseq_r,
		  const char **error_r);

/* ------------------------------------------------------------------------
 * Change notification
 */

/*
 * Sets the process-wide hook called (on the committing thread) after every
 * committed change to a mailbox: messages added, flags changed, expunged,
 * mailbox deleted or renamed. fn must be fast and thread-safe (post to an
 * eventfd). fn NULL removes it. Call before starting threads.
 */
typedef void store_change_fn(int64_t mailbox_id, void *context);
void store_set_change_hook(store_change_fn *fn, void *context);

/*
 * Pseudo mailbox ids the hook and notify.sock also carry (RFC 5465 NOTIFY
 * needs these events): STORE_CHANGE_NAMES after a mailbox was created,
 * deleted or renamed or an ACL changed (who may LIST what); and
 * STORE_CHANGE_SUBSCRIPTIONS after a subscription was added or removed.
 * Real mailbox ids are positive, so no watcher of a mailbox mistakes them.
 */
#define STORE_CHANGE_NAMES ((int64_t)-1)
#define STORE_CHANGE_SUBSCRIPTIONS ((int64_t)-2)
/* Any mailbox may have changed unheard (store/pg after its LISTEN
 * connection was lost and came back): every watcher resyncs. */
#define STORE_CHANGE_ANY ((int64_t)-3)

/*
 * Other processes (`quire deliver`) cannot call the hook, so after each
 * commit every handle also sends the mailbox id as a datagram to
 * data_dir/notify.sock if it exists (a process that opened the socket itself
 * skips this: its hook already ran). store_notify_socket_open binds that
 * socket (non-blocking, replacing a stale file) for the server: STORE_OK and
 * the fd in *fd_r, or an error with *error_r (caller frees).
 */
int store_notify_socket_open(const char *data_dir, int *fd_r, char **error_r);

/* Reads one notification. Returns 1 with *mailbox_id_r, 0 when none is
 * pending (EAGAIN), -1 on error (errno set). */
int store_notify_socket_read(int fd, int64_t *mailbox_id_r);

/* ------------------------------------------------------------------------
 * Consistency check (`quire check`)
 */

/*
 * Verifies that every blob file exists with the recorded size, message
 * counts, uidnext > max(uid) per mailbox, and each user's quota usage
 * against the sizes and number of their messages; finds orphan blob files
 * and unreferenced blob rows, and leftovers in tmp/. With repair, removes
 * orphans and leftovers, fixes uidnext and rewrites differing quota usage
 * from the counts. Appends one line per finding to report
 * (may be NULL) and the number of problems found to *problems_r.
 */
int store_check(struct store *store, bool repair, struct buf *report,
		unsigned *problems_r, const char **error_r);

/* ------------------------------------------------------------------------
 * Access control (RFC 4314), namespaces (RFC 2342), quota (RFC 9208)
 *
 * Rights each function needs (bits of auth/acl-rights.h): lookup, get:
 * any; create: k on the nearest existing parent (the owner needs none);
 * delete: x; rename: x on the old name, k on the new parent, same owner;
 * status, snapshot, changes, messages_get, keywords, claim_recent: r;
 * append: i (flags kept only where s, w, t allow, RFC 4314 4); copy: r on
 * the source, i on the target (flags as for append); move: also t and e on
 * the source (RFC 6851 4.2); flags_update: s for \Seen, t for \Deleted, w
 * for the others and keywords: flags the actor may not change are left as
 * they are, and only a request that may change none is STORE_ENOPERM
 * (RFC 4314 4: STORE SHOULD NOT fail if one flag may be changed);
 * expunge: e; the ACL functions: a (store_acl_myrights: any right).
 * Subscriptions need none. Flags are shared: every user of a mailbox sees
 * the same \Seen and keywords (RFC 4314 5.2 "shared flag rights" = s w t).
 */

#define STORE_NS_OTHER "Other Users"   /* "Other Users/<owner>/<name>" */
#define STORE_NS_SHARED "Shared"       /* "Shared/<name>" */
/* The account whose mailboxes form the Shared namespace. It is an ordinary
 * account (`quire user add public`); the admin user holds owner rights on
 * its mailboxes. */
#define STORE_PUBLIC_USER "public"

/* Process-wide settings; call before starting threads. */
struct store_policy {
	const char *admin_user;     /* may SETQUOTA, owns Shared/; NULL/"": none */
	uint64_t quota_storage;     /* default limit in bytes; 0 = none */
	uint64_t quota_messages;    /* default limit in messages; 0 = none */
};
/* Copies policy (admin_user too). NULL restores the defaults (no admin, no
 * quota). */
void store_set_policy(const struct store_policy *policy);

/* Sets the user (id) whose rights the following calls on this handle are
 * checked against; 0 is the system, which holds every right. Cheap: call
 * it before each use of a handle shared by several sessions. */
void store_set_actor(struct store *store, int64_t user_id);

struct store_acl_entry {
	char *identifier;           /* "anyone", "bob", "-bob" */
	uint32_t rights;            /* enum acl_right */
};
struct store_acl {
	char *owner;                /* canonical name of the mailbox's owner */
	struct store_acl_entry *entries; /* sorted by identifier */
	size_t count;
};
void store_acl_free(struct store_acl *acl);

/* GETACL: the stored entries of a mailbox (the owner, who holds every
 * right implicitly, is not among them but named in acl_r->owner). */
int store_acl_get(struct store *store, int64_t user_id, const char *name,
		  struct store_acl *acl_r, const char **error_r);

enum store_acl_op { STORE_ACL_REPLACE, STORE_ACL_ADD, STORE_ACL_REMOVE };

/*
 * SETACL: changes identifier's entry ("anyone", a user name in any case,
 * either with a leading '-' for negative rights); an entry left with no
 * rights is removed. An identifier that is neither "anyone" nor an
 * existing user: STORE_EINVALID. The owner's own entries: STORE_ECANNOT
 * (the owner always holds every right). DELETEACL is store_acl_delete,
 * STORE_OK also when there was no entry.
 */
int store_acl_set(struct store *store, int64_t user_id, const char *name,
		  const char *identifier, enum store_acl_op op,
		  uint32_t rights, const char **error_r);
int store_acl_delete(struct store *store, int64_t user_id, const char *name,
		     const char *identifier, const char **error_r);

/* LISTRIGHTS: what identifier always holds (*always_r: every right for the
 * owner, none for others) and may be granted (*optional_r). Needs a. */
int store_acl_listrights(struct store *store, int64_t user_id,
			 const char *name, const char *identifier,
			 uint32_t *always_r, uint32_t *optional_r,
			 const char **error_r);

/* MYRIGHTS: the actor's rights; needs one of l r i k x a (RFC 4314 4). */
int store_acl_myrights(struct store *store, int64_t user_id,
		       const char *name, uint32_t *rights_r,
		       const char **error_r);

struct store_quota {
	char *user;                 /* canonical name of the root's owner */
	uint64_t storage_used;      /* bytes */
	uint64_t messages_used;
	bool storage_limited;
	uint64_t storage_limit;     /* KiB */
	bool messages_limited;
	uint64_t messages_limit;
};
void store_quota_free(struct store_quota *quota);

/*
 * The quota of user's root. Allowed for the system, the user, the admin,
 * and anyone holding r on one of the user's mailboxes (who may see it
 * through GETQUOTAROOT anyway); otherwise, and for an unknown user,
 * STORE_ENONEXISTENT.
 */
int store_quota_get(struct store *store, const char *user,
		    struct store_quota *quota_r, const char **error_r);

/*
 * The quota root of a mailbox name (which need not exist, RFC 9208
 * 4.1.2): the owner of the namespace it falls in, with its quota. An
 * existing mailbox of another user needs r. STORE_ENONEXISTENT as lookup.
 */
int store_quota_root(struct store *store, int64_t user_id, const char *name,
		     struct store_quota *quota_r, const char **error_r);

/*
 * SETQUOTA: sets user's limits (NULL: no limit on that resource);
 * use_default true instead returns the user to the configured default.
 * Only the system and the admin user: others STORE_ENOPERM.
 */
int store_quota_set(struct store *store, const char *user,
		    const uint64_t *storage_kib, const uint64_t *messages,
		    bool use_default, const char **error_r);

/* ------------------------------------------------------------------------
 * Full-text index for SEARCH BODY / TEXT (store/sqlite/fts.c)
 *
 * One document per blob: bodies are content-addressed and immutable, so a
 * document never changes, serves every copy of the message, and goes away
 * with its blob (at the last expunge). The IMAP layer extracts the text
 * (decoded header values, decoded body text, UTF-8); the store indexes it
 * with the FTS5 trigram tokenizer, which answers case-folded substring
 * queries of three or more characters. Its answers are candidates: the
 * caller verifies each one exactly.
 */

struct store_fts_doc {
	int64_t blob_id;
	const char *header;      /* header text, UTF-8 */
	size_t header_len;
	const char *body;        /* body text, UTF-8 */
	size_t body_len;
};

/* Indexes docs[0..count) in one transaction; a blob already indexed is
 * replaced. A blob that no longer exists is skipped. */
int store_fts_index(struct store *store, const struct store_fts_doc *docs,
		    size_t count, const char **error_r);

/* Up to max blob ids of the mailbox's messages that are not indexed yet,
 * ascending, with their sizes. *ids_r and *sizes_r are caller-freed (NULL
 * when none). */
int store_fts_unindexed(struct store *store, int64_t mailbox_id, size_t max,
			int64_t **ids_r, uint64_t **sizes_r, size_t *count_r,
			const char **error_r);

/* UIDs (ascending, caller frees) of the mailbox's messages whose indexed
 * text may contain text[0..len) (UTF-8, at least 3 characters): in the
 * body only (body_only) or in the header or the body. */
int store_fts_candidates(struct store *store, int64_t mailbox_id,
			 const char *text, size_t len, bool body_only,
			 uint32_t **uids_r, size_t *count_r,
			 const char **error_r);

/* The same for the indexed text of the top-level header only, which holds
 * every field as "Name: value" with the value unfolded and RFC 2047
 * decoded: messages not returned and indexed cannot match a header key
 * for text. */
int store_fts_header_candidates(struct store *store, int64_t mailbox_id,
				const char *text, size_t len,
				uint32_t **uids_r, size_t *count_r,
				const char **error_r);

/* The indexed text of a blob, appended to header and body.
 * STORE_ENONEXISTENT when the blob is not indexed. */
int store_fts_text(struct store *store, int64_t blob_id, struct buf *header,
		   struct buf *body, const char **error_r);

/* ------------------------------------------------------------------------
 * Operations: migration and statistics (issue 8; store/sqlite/import.c).
 * Kept apart from the rest: `quire import` keeps the UIDs and uidvalidity
 * a Dovecot Maildir recorded, so clients need not download mail again.
 */

/* SHA-256 of data[0..len) into out: the key that store_import_find and
 * store_append_msg.sha256 take. */
#define STORE_IMPORT_HASH_LEN 32
void store_import_hash(const void *data, size_t len,
		       uint8_t out[STORE_IMPORT_HASH_LEN]);

/*
 * Gives an empty mailbox (no messages, no expunge tombstones) the
 * uidvalidity recorded by the old server, and raises its uidnext to at
 * least `uidnext` (0: leave it). Setting the value it already has is
 * STORE_OK whatever the mailbox holds, so a re-run import passes; another
 * value on a non-empty mailbox is STORE_ECANNOT (the caller keeps the
 * current one). STORE_ENONEXISTENT.
 */
int store_import_set_uidvalidity(struct store *store, int64_t mailbox_id,
				 uint32_t uidvalidity, uint32_t uidnext,
				 const char **error_r);

/*
 * As store_append (one transaction for all, bodies fsynced first), but
 * each message asks for a UID: uids[i] (ascending among the nonzero ones)
 * is used when it is at least the mailbox's uidnext at that point, else
 * (and for 0) the next free UID is taken. uidnext ends above every UID
 * used. uids_r[i] (may be NULL) gets the UID given.
 */
int store_import_append(struct store *store, int64_t mailbox_id,
			const struct store_append_msg *msgs,
			const uint32_t *uids, size_t count, uint32_t *uids_r,
			const char **error_r);

/*
 * Whether the mailbox already holds a message with exactly these bytes
 * (same SHA-256 and size): STORE_OK with its UID in *uid_r (may be NULL),
 * or STORE_ENONEXISTENT. Lets a re-run import skip what it stored before.
 */
int store_import_find(struct store *store, int64_t mailbox_id,
		      const uint8_t sha256[STORE_IMPORT_HASH_LEN],
		      uint64_t size, uint32_t *uid_r, const char **error_r);

struct store_stats {
	uint64_t users;
	uint64_t mailboxes;
	uint64_t messages;       /* message rows (a copy counts again) */
	uint64_t message_bytes;  /* sum of their sizes */
	uint64_t blob_bytes;     /* bytes of distinct bodies on disk */
};

/* Counts for metrics and `quire status`, in one read transaction. */
int store_stats(struct store *store, struct store_stats *stats_r,
		const char **error_r);

/* ------------------------------------------------------------------------
 * Exact copies between two stores (`quire migrate`; store/sqlite/migrate.c).
 * The copier reads one store through the ordinary functions above plus the
 * readers here, and writes the other with the writers here, which keep
 * what ordinary writes would renumber: UIDs, modseqs, savedates,
 * uidvalidity, tombstones. They run as the system (no ACL checks) and
 * never check quota: a copy must not fail where the original did not.
 */

/* As store_open, but with config instead of the process-wide one of
 * store_configure, so one process can hold handles on two stores. Single
 * threaded use only (call it before starting threads, as store_configure). */
int store_open_with(const struct store_config *config, const char *data_dir,
		    struct store **store_r, char **error_r);

/* The user's subscriptions exactly as stored (also names that do not
 * exist), sorted bytewise, NULL-terminated (store_strings_free);
 * *count_r may be NULL. STORE_OK with none for an unknown user id. */
int store_subscriptions_list(struct store *store, int64_t user_id,
			     char ***names_r, size_t *count_r,
			     const char **error_r);

/* An expunged UID and the modseq of its expunge (RFC 7162 3.2.5.1). */
struct store_tombstone {
	uint32_t uid;
	uint64_t modseq;
};

/* All tombstones of a mailbox in UID order; *list_r is caller-freed (NULL
 * when none). STORE_ENONEXISTENT if the mailbox is gone. */
int store_tombstones_get(struct store *store, int64_t mailbox_id,
			 struct store_tombstone **list_r, size_t *count_r,
			 const char **error_r);

/* The limits stored for a user's quota root, as store_quota_set wrote
 * them (store_quota_get instead reports the limits in effect). */
struct store_quota_limits {
	bool use_default;        /* none stored: the configured default applies */
	bool storage_limited;
	uint64_t storage_kib;
	bool messages_limited;
	uint64_t messages;
};
/* STORE_ENONEXISTENT for an unknown user. */
int store_quota_limits_get(struct store *store, const char *user,
			   struct store_quota_limits *limits_r,
			   const char **error_r);

/* A message as the copier writes it: store_append_msg (bytes, flags,
 * keywords, internaldate, zone) plus what store_append would assign. */
struct store_migrate_msg {
	struct store_append_msg msg;
	uint32_t uid;
	uint64_t modseq;
	time_t savedate;
};

/*
 * Appends messages in one transaction with exactly the given UIDs,
 * modseqs and savedates (keywords keep the mailbox's spelling, so set the
 * mailbox's keyword list first with store_migrate_mailbox_set). UIDs must
 * ascend, lie above every message UID in the mailbox and have no
 * tombstone, else STORE_ECANNOT and nothing is stored (uidnext may already
 * be above them). uidnext ends above the last UID and highestmodseq at
 * least at the largest modseq. STORE_ETRYCREATE for a missing mailbox,
 * STORE_ECANNOT for a \Noselect one.
 */
int store_migrate_append(struct store *store, int64_t mailbox_id,
			 const struct store_migrate_msg *msgs, size_t count,
			 const char **error_r);

/* Sets uid's flags, keywords (space-separated, as store_msg.keywords) and
 * modseq to exactly msgs[i]'s, for each existing message, in one
 * transaction; UIDs not in the mailbox are skipped. Does not touch the
 * mailbox's highestmodseq (store_migrate_mailbox_set does). */
int store_migrate_flags_set(struct store *store, int64_t mailbox_id,
			    const struct store_msg *msgs, size_t count,
			    const char **error_r);

/* A mailbox's state besides its name and messages. */
struct store_mailbox_state {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t first_recent_uid;
	uint32_t attrs;          /* STORE_MBOX_NOSELECT and special-use bits */
	const char *const *keywords;   /* the mailbox's keywords, in order */
	size_t keyword_count;
	const struct store_tombstone *tombstones; /* UID order */
	size_t tombstone_count;
};

/*
 * Makes the mailbox's state exactly state, in one transaction: a message
 * whose UID has a tombstone is expunged (no new modseq), the tombstones
 * are stored as given and no others are kept, keywords missing from the
 * mailbox's list are added in order, and the counters and attrs are set.
 * A new uidvalidity needs a mailbox without messages and makes the store
 * never allocate it (or one below it) again (RFC 3501 2.3.1.1). uidnext
 * not above every UID, a new uidvalidity or \Noselect on a mailbox with
 * messages: STORE_ECANNOT. STORE_ENONEXISTENT.
 */
int store_migrate_mailbox_set(struct store *store, int64_t mailbox_id,
			      const struct store_mailbox_state *state,
			      const char **error_r);

/*
 * Appends to out the directory where the configured backend (store_configure)
 * wants big literals spilled for data_dir: on the filesystem of its message
 * bodies, so storing a spilled message links the file instead of copying
 * it. The directory exists once a store handle has been opened.
 */
void store_spill_dir(const char *data_dir, struct buf *out);

#endif
