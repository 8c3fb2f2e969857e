/*
 * store/pg: the connection (one per handle, so one per worker thread),
 * queries, transactions, errors, and recovery from a lost database.
 *
 * A lost connection is detected when a statement fails with the
 * connection in CONNECTION_BAD: the command in flight gets
 * STORE_EUNAVAILABLE (IMAP NO [UNAVAILABLE]) at once, and the next
 * transaction reconnects with a short back-off. Statement and lock
 * timeouts bound every wait, so a stuck database never hangs a session.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/pg/internal.h"

/* After a failed connect the handle waits before trying again, doubling
 * from RETRY_FIRST_MS up to RETRY_MAX_MS; commands meanwhile answer
 * STORE_EUNAVAILABLE at once instead of stalling the worker's other
 * sessions on a database that is not there. */
#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 2000
/* libpq's connect_timeout (whole seconds; pg_conninfo may override it) */
#define CONNECT_TIMEOUT "3"

void pg_param_int(struct pg_params *p, int64_t value)
{
	assert(p->count < PG_MAX_PARAMS);
	snprintf(p->ints[p->count], sizeof(p->ints[0]), "%lld",
		 (long long)value);
	p->values[p->count] = p->ints[p->count];
	p->count++;
}

void pg_param_str(struct pg_params *p, const char *value)
{
	assert(p->count < PG_MAX_PARAMS);
	p->values[p->count++] = value;
}

/* libpq's messages span lines ("...failed: ...\n\tIs the server running
 * ...?\n"); the text ends up in an IMAP response line, which must not hold
 * a CR or LF (RFC 3501 9 resp-text): control characters become one space,
 * trailing blanks go. */
static void one_line(struct buf *b)
{
	size_t out = 0;

	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		bool blank = c < 0x20 || c == 0x7f || c == ' ';
		if (blank && (out == 0 || b->data[out - 1] == ' '))
			continue;
		b->data[out++] = blank ? ' ' : (char)c;
	}
	while (out > 0 && b->data[out - 1] == ' ')
		out--;
	b->len = out;
	if (b->data != NULL)
		b->data[out] = '\0';
}

int pg_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	assert(code != STORE_OK);
	buf_reset(&s->error);
	va_start(ap, fmt);
	buf_vprintf(&s->error, fmt, ap);
	va_end(ap);
	one_line(&s->error);
	return code;
}

void pg_error_out(struct store *s, const char **error_r)
{
	if (error_r != NULL)
		*error_r = buf_cstr(&s->error);
}

/* A lost or refusing database: the detail (host, socket path, libpq's
 * words) goes to the log only; clients are told no more than that the
 * database is unavailable (NO [UNAVAILABLE]). */
static int fail_unavailable(struct store *s, const char *what,
			    const char *detail, int detail_len)
{
	log_warn(0, "%s: %.*s", what, detail_len, detail);
	return pg_fail(s, STORE_EUNAVAILABLE, "%s", what);
}

static int map_error(struct store *s, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = PQerrorMessage(s->conn);
	size_t len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	if (PQstatus(s->conn) == CONNECTION_BAD || state == NULL)
		return fail_unavailable(s, "database unavailable", msg,
					(int)len);
	/* 23505 unique_violation. Transient: class 40 (serialization,
	 * deadlock), 55P03 lock not available, 57014 statement timeout,
	 * class 53 (resources), class 08 (connection), 57P (shutdown). */
	if (strcmp(state, "23505") == 0)
		return pg_fail(s, STORE_EALREADYEXISTS, "%.*s", (int)len, msg);
	if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return fail_unavailable(s, "database busy", msg, (int)len);
	return pg_fail(s, STORE_ESERVERBUG, "database: %.*s", (int)len, msg);
}

static int ensure_connected(struct store *s);

PGresult *pg_query_bytes(struct store *s, const char *sql, int count,
			 const char *const *values, const int *lengths,
			 const int *formats, int result_format, int *code_r)
{
	/* a read outside a transaction reconnects as pg_tx_begin does */
	if (!s->in_tx && (*code_r = ensure_connected(s)) != STORE_OK)
		return NULL;
	bool idle = !s->in_tx &&
		PQtransactionStatus(s->conn) == PQTRANS_IDLE;
	PGresult *res = PQexecParams(s->conn, sql, count, NULL, values,
				     lengths, formats, result_format);
	ExecStatusType st = PQresultStatus(res);
	/* outside a transaction nothing was lost with a connection that died
	 * since its last use (a restarted database, a terminated backend):
	 * one fresh try on a new one (not inside a hand-made BEGIN block,
	 * whose earlier statements went with the old connection) */
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && idle &&
	    PQstatus(s->conn) == CONNECTION_BAD &&
	    ensure_connected(s) == STORE_OK) {
		PQclear(res);
		res = PQexecParams(s->conn, sql, count, NULL, values, lengths,
				   formats, result_format);
		st = PQresultStatus(res);
	}

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		*code_r = STORE_OK;
		return res;
	}
	*code_r = map_error(s, res);
	PQclear(res);
	return NULL;
}

PGresult *pg_query(struct store *s, const char *sql,
		   const struct pg_params *params, int *code_r)
{
	return pg_query_bytes(s, sql, params ? params->count : 0,
			      params ? params->values : NULL, NULL, NULL, 0,
			      code_r);
}

int pg_exec(struct store *s, const char *sql, const struct pg_params *params)
{
	int code;
	PGresult *res = pg_query(s, sql, params, &code);

	PQclear(res);
	return code;
}

int pg_query_int(struct store *s, const char *sql,
		 const struct pg_params *params, int64_t *value_r,
		 const char *what)
{
	int code;
	PGresult *res = pg_query(s, sql, params, &code);

	if (res == NULL)
		return code;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		code = pg_fail(s, STORE_ENONEXISTENT, "no such %s", what);
	else
		*value_r = pg_int(res, 0, 0);
	PQclear(res);
	return code;
}

int64_t pg_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 :
		strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *pg_str(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void quiet_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static int connect_db(struct store *s)
{
	/* connect_timeout first: a value in pg_conninfo overrides it. */
	const char *keys[] = { "connect_timeout", "dbname",
			       "application_name", NULL };
	const char *vals[] = { CONNECT_TIMEOUT, s->conninfo, "quire", NULL };

	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return fail_unavailable(s, "database unavailable",
			s->conn ? PQerrorMessage(s->conn) : "no memory", -1);
	PQsetNoticeReceiver(s->conn, quiet_notice, NULL);
	/* Bound every wait on another front end's row lock or a slow
	 * statement: the command answers NO [UNAVAILABLE] instead. */
	PGresult *res = PQexec(s->conn, "SET statement_timeout = '60s';"
			       "SET lock_timeout = '30s';"
			       "SET idle_in_transaction_session_timeout = '60s'");
	int ret = PQresultStatus(res) == PGRES_COMMAND_OK ? STORE_OK :
		fail_unavailable(s, "database unavailable",
				 PQerrorMessage(s->conn), -1);
	PQclear(res);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ensure_connected(struct store *s)
{
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
		return STORE_OK;
	int64_t now = now_ms();
	if (now < s->retry_at)
		return pg_fail(s, STORE_EUNAVAILABLE, "database unavailable "
			       "(reconnecting)");
	int ret = connect_db(s);
	if (ret == STORE_OK) {
		s->retry_delay_ms = 0;
		s->retry_at = 0;
		return STORE_OK;
	}
	s->retry_delay_ms = s->retry_delay_ms == 0 ? RETRY_FIRST_MS :
		s->retry_delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
		s->retry_delay_ms * 2;
	s->retry_at = now_ms() + s->retry_delay_ms;
	return ret;
}

int pg_tx_begin(struct store *s)
{
	assert(!s->in_tx);
	/* pg_query reconnects, also when the connection died unnoticed */
	int ret = pg_exec(s, "BEGIN", NULL);
	if (ret == STORE_OK)
		s->in_tx = true;
	return ret;
}

static void forget_pending(struct store *s)
{
	s->changed_count = 0;
	s->dead_count = 0;
}

int pg_tx_commit(struct store *s)
{
	assert(s->in_tx);
	for (size_t i = 0; i < s->changed_count; i++) {
		int ret = pg_notify_queue(s, s->changed[i]);
		if (ret != STORE_OK) {
			pg_tx_rollback(s);
			return ret;
		}
	}
	int ret = pg_exec(s, "COMMIT", NULL);
	s->in_tx = false;
	if (ret != STORE_OK) {
		forget_pending(s);
		if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		return ret;
	}
	if (s->dead_count > 0)
		pg_blob_unlink_dead(s);
	for (size_t i = 0; i < s->changed_count; i++)
		store_hook_run(s->changed[i]);
	forget_pending(s);
	return STORE_OK;
}

void pg_tx_rollback(struct store *s)
{
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->in_tx = false;
	forget_pending(s);
}

int pg_tx_end(struct store *s, int ret)
{
	if (ret == STORE_OK)
		return pg_tx_commit(s);
	pg_tx_rollback(s);
	return ret;
}

void pg_tx_changed(struct store *s, int64_t mailbox_id)
{
	for (size_t i = 0; i < s->changed_count; i++) {
		if (s->changed[i] == mailbox_id)
			return;
	}
	if (s->changed_count == s->changed_cap) {
		s->changed_cap = s->changed_cap ? s->changed_cap * 2 : 8;
		s->changed = xrealloc(s->changed,
				      s->changed_cap * sizeof(*s->changed));
	}
	s->changed[s->changed_count++] = mailbox_id;
}

int store_pg_open(const char *data_dir, struct store **store_r,
		  char **error_r)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct buf dir = BUF_INIT;
	int ret = STORE_OK;

	s->ops = &store_pg_backend;
	s->data_dir = xstrdup(data_dir);
	/* store_open_with's config is gone after open; reconnects need it */
	s->conninfo = xstrdup(store_config_pg_conninfo());
	s->files.tmp_fd = -1;
	*store_r = NULL;
	*error_r = NULL;
	if (store_config_blob_dir() != NULL)
		buf_append_str(&dir, store_config_blob_dir());
	else
		buf_printf(&dir, "%s/blobs", data_dir);
	if (store_blobfiles_open(&s->files, buf_cstr(&dir), &s->error) < 0)
		ret = STORE_EUNAVAILABLE;
	buf_free(&dir);
	if (ret == STORE_OK)
		ret = connect_db(s);
	if (ret == STORE_OK)
		ret = pg_schema_migrate(s);
	if (ret != STORE_OK) {
		*error_r = xstrdup(buf_cstr(&s->error));
		store_pg_close(&s);
		return ret;
	}
	pg_notify_listener_start();
	*store_r = s;
	return STORE_OK;
}

void store_pg_close(struct store **store)
{
	struct store *s = store ? *store : NULL;

	if (s == NULL)
		return;
	if (s->conn != NULL)
		PQfinish(s->conn);
	store_blobfiles_close(&s->files);
	free(s->changed);
	free(s->dead);
	free(s->blob_slots);
	free(s->actor_name);
	free(s->data_dir);
	free(s->conninfo);
	buf_free(&s->error);
	free(s);
	*store = NULL;
}

const char *store_pg_data_dir(const struct store *store)
{
	return store->data_dir;
}
