/*
 * store/sqlite: the schema and its forward migrations.
 *
 * PRAGMA user_version holds the number of migrations applied. Each entry of
 * `migrations` runs once, in order, inside one write transaction with the
 * version bump, so a crash leaves the database at either version. Never edit
 * a released migration: add a new one.
 *
 * Tables of migration 1 beyond the mail itself:
 *   acl          RFC 4314 rights per mailbox and identifier (letters
 *                "lrswipkxtea"; the owner is never in it)
 *   quota_usage  RFC 9208 usage per user (storage bytes, message count),
 *                kept by the triggers of migration 3
 *   blob_cache   parsed ENVELOPE/BODYSTRUCTURE/part offsets per blob
 * The SEARCH index (FTS5, trigram tokenizer) is added by migration 2 as
 * table `fts` (rowid = blob id; see fts.c).
 */
#include <stddef.h>

#include "store/sqlite/internal.h"

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  password_hash TEXT NOT NULL,"
	"  scram_salt BLOB,"
	"  scram_iterations INTEGER,"
	"  scram_stored_key BLOB,"
	"  scram_server_key BLOB"
	");"
	/* attrs: STORE_MBOX_NOSELECT and the special-use bits only */
	"CREATE TABLE mailboxes ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uidnext INTEGER NOT NULL DEFAULT 1,"
	"  highestmodseq INTEGER NOT NULL DEFAULT 1,"
	"  first_recent_uid INTEGER NOT NULL DEFAULT 1,"
	"  attrs INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (user_id, name)"
	");"
	"CREATE TABLE blobs ("
	"  id INTEGER PRIMARY KEY,"
	"  sha256 BLOB NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL"
	");"
	/* No reference count: a blob is free when no message row names it,
	 * which the messages_blob index answers at once. */
	"CREATE TABLE messages ("
	"  mailbox_id INTEGER NOT NULL"
	"    REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL,"
	"  keywords TEXT,"
	"  internaldate INTEGER NOT NULL,"
	"  tz INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  blob_id INTEGER NOT NULL REFERENCES blobs(id),"
	"  savedate INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)"
	") WITHOUT ROWID;"
	"CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);"
	"CREATE INDEX messages_blob ON messages(blob_id);"
	"CREATE TABLE tombstones ("
	"  mailbox_id INTEGER NOT NULL"
	"    REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)"
	") WITHOUT ROWID;"
	"CREATE INDEX tombstones_modseq ON tombstones(mailbox_id, modseq);"
	"CREATE TABLE subscriptions ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE mailbox_keywords ("
	"  mailbox_id INTEGER NOT NULL"
	"    REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  seq INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE blob_cache ("
	"  blob_id INTEGER PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,"
	"  data BLOB NOT NULL"
	");"
	"CREATE TABLE acl ("
	"  mailbox_id INTEGER NOT NULL"
	"    REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  identifier TEXT NOT NULL,"
	"  rights TEXT NOT NULL,"
	"  PRIMARY KEY (mailbox_id, identifier)"
	") WITHOUT ROWID;"
	"CREATE TABLE quota_usage ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  storage INTEGER NOT NULL DEFAULT 0,"
	"  messages INTEGER NOT NULL DEFAULT 0"
	");",
	/* 2: full-text index for SEARCH BODY/TEXT (fts.c). The trigram
	 * tokenizer indexes every 3-character substring, case-folded, so
	 * IMAP's substring semantics hold; documents die with their blob. */
	"CREATE VIRTUAL TABLE fts USING fts5(header, body, tokenize='trigram');"
	"CREATE TRIGGER blobs_fts_delete AFTER DELETE ON blobs BEGIN"
	"  DELETE FROM fts WHERE rowid = old.id;"
	"END;",
	/* 3: quota limits per user (no row: the configured default; NULL:
	 * no limit on that resource), usage counted from the existing
	 * messages and kept by triggers, so every path that adds or removes
	 * message rows (append, copy, move, expunge, delete, import) updates
	 * it in its own transaction. */
	"CREATE TABLE quota_limits ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  storage_kib INTEGER,"
	"  messages INTEGER"
	");"
	"INSERT OR REPLACE INTO quota_usage (user_id, storage, messages)"
	"  SELECT u.id,"
	"    (SELECT total(m.size) FROM messages m JOIN mailboxes b"
	"      ON b.id = m.mailbox_id WHERE b.user_id = u.id),"
	"    (SELECT count(*) FROM messages m JOIN mailboxes b"
	"      ON b.id = m.mailbox_id WHERE b.user_id = u.id)"
	"  FROM users u;"
	"CREATE TRIGGER quota_message_insert AFTER INSERT ON messages BEGIN"
	"  INSERT OR IGNORE INTO quota_usage (user_id)"
	"    SELECT user_id FROM mailboxes WHERE id = NEW.mailbox_id;"
	"  UPDATE quota_usage SET storage = storage + NEW.size,"
	"    messages = messages + 1 WHERE user_id ="
	"    (SELECT user_id FROM mailboxes WHERE id = NEW.mailbox_id);"
	"END;"
	"CREATE TRIGGER quota_message_delete AFTER DELETE ON messages BEGIN"
	"  UPDATE quota_usage SET storage = storage - OLD.size,"
	"    messages = messages - 1 WHERE user_id ="
	"    (SELECT user_id FROM mailboxes WHERE id = OLD.mailbox_id);"
	"END;",
	/* 4: THREADID (RFC 8474 5.2; the rule is in mail/thread-keys.h,
	 * applied by thread.c). messages.thread_id is the thread number
	 * (0: none; COPY/MOVE copy it); rows stored before this migration
	 * get the number of their body (blob id), so copies of one body
	 * share it, and new numbers start above every blob id.
	 * thread_names: per user, each message-id seen (own, In-Reply-To,
	 * References), the thread it was first seen in and the base
	 * subject of that message; ids and subjects are raw bytes (BLOB:
	 * headers need not be UTF-8). Rows are never updated. */
	"ALTER TABLE messages ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0;"
	"UPDATE messages SET thread_id = blob_id;"
	"INSERT OR REPLACE INTO meta (key, value)"
	"  SELECT 'thread_next', coalesce(max(id), 0) + 1 FROM blobs;"
	"CREATE TABLE thread_names ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  message_id BLOB NOT NULL,"
	"  subject BLOB NOT NULL,"
	"  thread_id INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, message_id)"
	") WITHOUT ROWID;",
	/* 5: search header summaries (mail/search-headers.h; headers.c):
	 * derived data like blob_cache, written with the body at APPEND and
	 * filled in by searches for older bodies. */
	"CREATE TABLE blob_headers ("
	"  blob_id INTEGER PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,"
	"  data BLOB NOT NULL"
	");",
};

#define MIGRATION_COUNT (sizeof(migrations) / sizeof(migrations[0]))

static int read_version(struct store *s, int *version_r)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail_db(s, "read schema version");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail_db(s, "read schema version");
	}
	*version_r = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return STORE_OK;
}

static int apply(struct store *s, int version)
{
	struct buf sql = BUF_INIT;
	char *msg = NULL;
	int ret = STORE_OK;

	/* PRAGMA cannot take a bound parameter; version is our own int. */
	buf_printf(&sql, "%s PRAGMA user_version=%d;", migrations[version],
		   version + 1);
	if (sqlite3_exec(s->db, buf_cstr(&sql), NULL, NULL, &msg) != SQLITE_OK) {
		ret = store_fail(s, STORE_ESERVERBUG, "migration %d: %s",
				 version + 1, msg ? msg : "?");
		sqlite3_free(msg);
	}
	buf_free(&sql);
	return ret;
}

int store_schema_migrate(struct store *s)
{
	int version = 0, ret;

	ret = store_tx_write(s);
	if (ret != STORE_OK)
		return ret;
	ret = read_version(s, &version);
	if (ret == STORE_OK && version > (int)MIGRATION_COUNT)
		ret = store_fail(s, STORE_ESERVERBUG,
				 "database schema version %d is newer than "
				 "this program knows (%zu)", version,
				 MIGRATION_COUNT);
	for (; ret == STORE_OK && version < (int)MIGRATION_COUNT; version++)
		ret = apply(s, version);
	if (ret != STORE_OK) {
		store_tx_rollback(s);
		return ret;
	}
	return store_tx_commit(s);
}
