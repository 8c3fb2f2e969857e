/*
 * store/pg: the schema and its forward migrations, mirroring
 * store/sqlite/schema.c table for table.
 *
 * schema_migrations holds one row per applied migration. Each migration
 * runs once, in order, in one transaction with its row, under an advisory
 * lock, so front ends starting together migrate once. Never edit a
 * released migration: add a new one.
 *
 * Differences from SQLite, for PostgreSQL's strengths: user names are
 * unique on lower(name); uidvalidity comes from a sequence; quota usage is
 * kept by plpgsql triggers in the changing transaction; SEARCH uses
 * pg_trgm GIN indexes on the extracted text (fts.c); SHA-256 values are
 * hex text; thread numbers come from a sequence (thread.c).
 */
#include <stddef.h>

#include "store/pg/internal.h"

/* pg_advisory_xact_lock key for migrations: "quire" in ASCII. */
#define MIGRATION_LOCK "113117105114101"

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	"CREATE SEQUENCE uidvalidity_seq MINVALUE 1 MAXVALUE 4294967295"
	"  START WITH 1;"
	"SELECT setval('uidvalidity_seq', extract(epoch from now())::bigint);"
	"CREATE TABLE users ("
	"  id bigserial PRIMARY KEY,"
	"  name text NOT NULL,"
	"  password_hash text NOT NULL,"
	"  scram_salt text, scram_iterations bigint,"
	"  scram_stored_key text, scram_server_key text);"
	"CREATE UNIQUE INDEX users_name ON users (lower(name));"
	"CREATE TABLE mailboxes ("
	"  id bigserial PRIMARY KEY,"
	"  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name text NOT NULL,"
	"  uidvalidity bigint NOT NULL,"
	"  uidnext bigint NOT NULL DEFAULT 1,"
	"  highestmodseq bigint NOT NULL DEFAULT 1,"
	"  first_recent_uid bigint NOT NULL DEFAULT 1,"
	"  attrs integer NOT NULL DEFAULT 0,"
	"  UNIQUE (user_id, name));"
	"CREATE TABLE blobs ("
	"  id bigserial PRIMARY KEY,"
	"  sha256 text NOT NULL UNIQUE,"
	"  size bigint NOT NULL);"
	"CREATE TABLE messages ("
	"  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid bigint NOT NULL,"
	"  modseq bigint NOT NULL,"
	"  flags integer NOT NULL,"
	"  keywords text,"
	"  internaldate bigint NOT NULL,"
	"  tz integer NOT NULL,"
	"  size bigint NOT NULL,"
	"  blob_id bigint NOT NULL REFERENCES blobs(id),"
	"  savedate bigint NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid));"
	"CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);"
	"CREATE INDEX messages_blob ON messages (blob_id);"
	"CREATE TABLE tombstones ("
	"  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid bigint NOT NULL,"
	"  modseq bigint NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid));"
	"CREATE INDEX tombstones_modseq ON tombstones (mailbox_id, modseq);"
	"CREATE TABLE subscriptions ("
	"  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name text NOT NULL,"
	"  PRIMARY KEY (user_id, name));"
	"CREATE TABLE mailbox_keywords ("
	"  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  name text NOT NULL,"
	"  seq bigserial);"
	"CREATE UNIQUE INDEX mailbox_keywords_name"
	"  ON mailbox_keywords (mailbox_id, lower(name));"
	"CREATE TABLE blob_cache ("
	"  blob_id bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,"
	"  data bytea NOT NULL);"
	"CREATE TABLE acl ("
	"  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  identifier text NOT NULL,"
	"  rights text NOT NULL,"
	"  PRIMARY KEY (mailbox_id, identifier));"
	"CREATE TABLE quota_usage ("
	"  user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  storage bigint NOT NULL DEFAULT 0,"
	"  messages bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE quota_limits ("
	"  user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  storage_kib bigint,"
	"  messages bigint);"
	/* usage follows every insert and delete of a message row, in its
	 * transaction (RFC 9208: one root per owner) */
	"CREATE FUNCTION quota_follow() RETURNS trigger LANGUAGE plpgsql AS $$"
	"BEGIN"
	"  IF TG_OP = 'INSERT' THEN"
	"    INSERT INTO quota_usage AS q (user_id, storage, messages)"
	"      SELECT user_id, NEW.size, 1 FROM mailboxes WHERE id = NEW.mailbox_id"
	"      ON CONFLICT (user_id) DO UPDATE SET"
	"        storage = q.storage + EXCLUDED.storage,"
	"        messages = q.messages + 1;"
	"    RETURN NEW;"
	"  END IF;"
	"  UPDATE quota_usage SET storage = storage - OLD.size,"
	"    messages = messages - 1 WHERE user_id ="
	"    (SELECT user_id FROM mailboxes WHERE id = OLD.mailbox_id);"
	"  RETURN OLD;"
	"END $$;"
	"CREATE TRIGGER messages_quota AFTER INSERT OR DELETE ON messages"
	"  FOR EACH ROW EXECUTE FUNCTION quota_follow();"
	/* SEARCH text per blob; trigram GIN indexes answer ILIKE '%x%' */
	"CREATE TABLE fts ("
	"  blob_id bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,"
	"  header text NOT NULL,"
	"  body text NOT NULL);"
	"CREATE INDEX fts_header ON fts USING gin (header gin_trgm_ops);"
	"CREATE INDEX fts_body ON fts USING gin (body gin_trgm_ops);",
	/* 2: THREADID (RFC 8474 5.2), as SQLite's migration 4; the rule is
	 * in mail/thread-keys.h, applied by thread.c. messages.thread_id is
	 * the thread number (0: none; COPY/MOVE copy it); rows stored before
	 * get the number of their body (blob id), so copies of one body
	 * share it, and thread_seq starts above every blob id: a sequence,
	 * so front ends allocating together never share a number.
	 * thread_names: per user, each message-id seen (own, In-Reply-To,
	 * References), the thread it was first seen in and the base subject
	 * of that message; raw bytes (bytea: headers need not be UTF-8).
	 * Rows are never updated. */
	"ALTER TABLE messages ADD COLUMN thread_id bigint NOT NULL DEFAULT 0;"
	"UPDATE messages SET thread_id = blob_id;"
	"CREATE SEQUENCE thread_seq MINVALUE 1;"
	"SELECT setval('thread_seq',"
	"  coalesce((SELECT max(id) FROM blobs), 0) + 1, false);"
	"CREATE TABLE thread_names ("
	"  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  message_id bytea NOT NULL,"
	"  subject bytea NOT NULL,"
	"  thread_id bigint NOT NULL,"
	"  PRIMARY KEY (user_id, message_id));",
	/* 3: search header summaries (mail/search-headers.h; headers.c), as
	 * SQLite's migration 5: derived data like blob_cache, written with
	 * the body at APPEND and filled in by searches for older bodies. */
	"CREATE TABLE blob_headers ("
	"  blob_id bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,"
	"  data bytea NOT NULL);",
};

#define MIGRATION_COUNT (sizeof(migrations) / sizeof(migrations[0]))

static int migrate_tx(struct store *s)
{
	struct pg_params p = { 0 };
	int64_t version = 0;
	int ret = pg_exec(s, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")",
			  NULL);

	if (ret == STORE_OK)
		ret = pg_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			      " version integer PRIMARY KEY,"
			      " applied timestamptz NOT NULL DEFAULT now())",
			      NULL);
	if (ret == STORE_OK)
		ret = pg_query_int(s, "SELECT coalesce(max(version), 0)"
				   " FROM schema_migrations", NULL, &version,
				   "schema version");
	if (ret == STORE_OK && version > (int64_t)MIGRATION_COUNT)
		return pg_fail(s, STORE_ESERVERBUG, "database schema version "
			       "%lld is newer than this program knows (%zu)",
			       (long long)version, MIGRATION_COUNT);
	for (; ret == STORE_OK && version < (int64_t)MIGRATION_COUNT;
	     version++) {
		/* several statements: the simple protocol, no parameters */
		PGresult *res = PQexec(s->conn, migrations[version]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			ret = pg_fail(s, STORE_ESERVERBUG, "migration %lld: %s",
				      (long long)version + 1,
				      PQerrorMessage(s->conn));
		PQclear(res);
		p.count = 0;
		pg_param_int(&p, version + 1);
		if (ret == STORE_OK)
			ret = pg_exec(s, "INSERT INTO schema_migrations (version)"
				      " VALUES ($1)", &p);
	}
	return ret;
}

int pg_schema_migrate(struct store *s)
{
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_tx_end(s, migrate_tx(s));
	return ret;
}
