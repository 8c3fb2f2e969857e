/*
 * One LMTP connection: a line protocol as a state machine (after
 * OpenSMTPD). Each command checks its state and syntax, then acts.
 * Input is handled as it arrives and replies are written in order, so a
 * pipelining client (RFC 2920) may send everything at once.
 */
#include "lmtp/lmtp.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/strutil.h"
#include "lmtp/address.h"
#include "lmtp/data.h"
#include "lmtp/delivery.h"
#include "metrics/metrics.h"
#include "store/store.h"

/* RFC 5321 4.5.3.1.4 allows 512; parameters make real ones longer. */
#define LMTP_LINE_MAX 4096
/* RFC 5321 4.5.3.1.8 requires at least 100. */
#define LMTP_MAX_RCPTS 1000
#define LMTP_MAX_BAD 10
/* RFC 5321 4.5.3.2.7: servers should wait 5 minutes for a command. */
#define LMTP_TIMEOUT 300

static const struct config *lmtp_cfg;
static lmtp_store_fn *lmtp_store;
static char lmtp_hostname[256] = "localhost";

enum lmtp_state {
	LMTP_GREETED,   /* waiting for LHLO */
	LMTP_READY,     /* LHLO done, no transaction */
	LMTP_MAIL,      /* MAIL FROM accepted, collecting RCPT TO */
	LMTP_DATA,      /* reading the message */
};

struct lmtp_session {
	struct conn *conn;
	enum lmtp_state state;
	char *sender;
	struct lmtp_rcpt *rcpts;
	size_t rcpt_count;
	struct lmtp_data data;
	unsigned bad;
	bool waiting_output;
	bool closing;
};

void lmtp_init(const struct config *cfg, lmtp_store_fn *store_fn)
{
	lmtp_cfg = cfg;
	lmtp_store = store_fn;
	if (gethostname(lmtp_hostname, sizeof(lmtp_hostname) - 1) != 0 ||
	    lmtp_hostname[0] == '\0')
		snprintf(lmtp_hostname, sizeof(lmtp_hostname), "localhost");
}

static void reply(struct lmtp_session *s, const char *line)
{
	conn_write_str(s->conn, line);
	conn_write(s->conn, "\r\n", 2);
}

static void replyf(struct lmtp_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void replyf(struct lmtp_session *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_append(&b, "\r\n", 2);
	conn_write(s->conn, b.data, b.len);
	buf_free(&b);
}

static void transaction_reset(struct lmtp_session *s)
{
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->rcpt_count; i++)
		lmtp_rcpt_free(&s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->rcpt_count = 0;
	lmtp_data_free(&s->data);
	if (s->state != LMTP_GREETED)
		s->state = LMTP_READY;
}

static void bad_command(struct lmtp_session *s, const char *line)
{
	reply(s, line);
	if (++s->bad >= LMTP_MAX_BAD) {
		reply(s, "421 4.7.0 Too many errors, closing connection");
		s->closing = true;
		conn_close(s->conn, "too many bad commands");
	}
}

/* ---- commands ---- */

static void cmd_lhlo(struct lmtp_session *s, const char *arg)
{
	if (arg[0] == '\0') {
		bad_command(s, "501 5.5.4 LHLO needs a domain");
		return;
	}
	transaction_reset(s);
	s->state = LMTP_READY;
	replyf(s, "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
	       "250-8BITMIME\r\n250 SIZE %llu", lmtp_hostname,
	       (unsigned long long)lmtp_cfg->lmtp_max_message_size);
}

/* Returns the text after "KEYWORD:" (case-insensitive), or NULL. */
static const char *after_keyword(const char *arg, const char *keyword)
{
	size_t n = strlen(keyword);
	if (strlen(arg) < n || !str_ascii_caseeq_n(arg, n, keyword, n))
		return NULL;
	return arg + n;
}

static void cmd_mail(struct lmtp_session *s, const char *arg)
{
	if (s->state == LMTP_GREETED) {
		bad_command(s, "503 5.5.1 Send LHLO first");
		return;
	}
	if (s->state != LMTP_READY) {
		bad_command(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	const char *path = after_keyword(arg, "FROM:");
	struct buf addr = BUF_INIT;
	const char *params, *reason = "missing FROM:";
	if (path == NULL ||
	    lmtp_address_parse(path, strlen(path), &addr, &params, &reason) < 0) {
		replyf(s, "501 5.5.4 Syntax: MAIL FROM:<address> (%s)", reason);
		buf_free(&addr);
		return;
	}
	size_t len;
	const char *size = lmtp_param_find(params, "SIZE", &len);
	uint64_t announced;
	/* RFC 1870 6: refuse at once what is too big. */
	if (size != NULL && str_to_u64(size, len, &announced) == 0 &&
	    announced > lmtp_cfg->lmtp_max_message_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum");
		buf_free(&addr);
		return;
	}
	s->sender = buf_steal(&addr);
	if (s->sender == NULL)
		s->sender = xstrdup("");
	s->state = LMTP_MAIL;
	reply(s, "250 2.1.0 Sender OK");
}

static void cmd_rcpt(struct lmtp_session *s, const char *arg)
{
	if (s->state != LMTP_MAIL) {
		bad_command(s, "503 5.5.1 Need MAIL first");
		return;
	}
	const char *path = after_keyword(arg, "TO:");
	struct buf addr = BUF_INIT;
	const char *params, *reason = "missing TO:";
	if (path == NULL ||
	    lmtp_address_parse(path, strlen(path), &addr, &params, &reason) < 0 ||
	    addr.len == 0) {
		replyf(s, "501 5.5.4 Syntax: RCPT TO:<address> (%s)",
		       path == NULL || addr.len > 0 ? reason : "empty address");
		buf_free(&addr);
		return;
	}
	if (s->rcpt_count >= LMTP_MAX_RCPTS) {
		reply(s, "452 4.5.3 Too many recipients");
		buf_free(&addr);
		return;
	}
	struct store *st = lmtp_store();
	struct lmtp_rcpt rcpt;
	const char *error = "store unavailable";
	int r = st == NULL ? STORE_EUNAVAILABLE :
		lmtp_rcpt_resolve(st, buf_cstr(&addr),
				  lmtp_cfg->lmtp_detail_delivery, &rcpt, &error);
	if (r == STORE_ENONEXISTENT) {
		replyf(s, "550 5.1.1 <%s> User unknown", buf_cstr(&addr));
		metrics_delivery(false);
	} else if (r != STORE_OK) {
		log_error(conn_session_id(s->conn), "lmtp: RCPT lookup: %s",
			  error);
		replyf(s, "451 4.3.0 <%s> Temporary failure", buf_cstr(&addr));
	} else {
		s->rcpts = xrealloc(s->rcpts,
				    (s->rcpt_count + 1) * sizeof(*s->rcpts));
		s->rcpts[s->rcpt_count++] = rcpt;
		reply(s, "250 2.1.5 Recipient OK");
	}
	buf_free(&addr);
}

static void cmd_data(struct lmtp_session *s, const char *arg)
{
	if (arg[0] != '\0') {
		bad_command(s, "501 5.5.4 DATA takes no arguments");
		return;
	}
	if (s->state != LMTP_MAIL) {
		bad_command(s, "503 5.5.1 Need MAIL first");
		return;
	}
	/* RFC 2033 4.2: no successful RCPT means DATA fails with 503. */
	if (s->rcpt_count == 0) {
		bad_command(s, "503 5.5.1 No valid recipients");
		return;
	}
	lmtp_data_begin(&s->data, lmtp_cfg->lmtp_max_message_size);
	s->state = LMTP_DATA;
	reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
}

/* One reply per accepted recipient, in RCPT order (RFC 2033 4.2), each
 * after that recipient's copy is durable. */
static void data_done(struct lmtp_session *s)
{
	const char *sid = conn_session_id(s->conn);
	struct store *st = s->data.too_big ? NULL : lmtp_store();
	for (size_t i = 0; i < s->rcpt_count; i++) {
		const struct lmtp_rcpt *rcpt = &s->rcpts[i];
		if (s->data.too_big) {
			replyf(s, "552 5.3.4 <%s> Message too big",
			       rcpt->address);
			metrics_delivery(false);
			continue;
		}
		const char *mailbox = "INBOX", *error = "store unavailable";
		uint32_t uid = 0;
		int r = st == NULL ? STORE_EUNAVAILABLE :
			lmtp_delivery_store(st, rcpt, s->sender,
					    &s->data.message, &mailbox, &uid,
					    &error);
		metrics_delivery(r == STORE_OK);
		if (r == STORE_OK) {
			log_info(sid, "lmtp: delivered to %s mailbox %s uid %u "
				 "(%zu bytes)", rcpt->user, mailbox, uid,
				 s->data.message.len);
			replyf(s, "250 2.0.0 <%s> Saved", rcpt->address);
		} else if (r == STORE_EOVERQUOTA) {
			if (lmtp_cfg->lmtp_quota_permanent)
				replyf(s, "552 5.2.2 <%s> Mailbox full",
				       rcpt->address);
			else
				replyf(s, "452 4.2.2 <%s> Mailbox full, try "
				       "again later", rcpt->address);
		} else {
			log_error(sid, "lmtp: delivery to %s failed: %s",
				  rcpt->user, error);
			replyf(s, "451 4.3.0 <%s> Temporary failure",
			       rcpt->address);
		}
	}
	transaction_reset(s);
}

static void cmd_rset(struct lmtp_session *s, const char *arg)
{
	transaction_reset(s);
	reply(s, "250 2.0.0 OK");
}

static void cmd_noop(struct lmtp_session *s, const char *arg)
{
	reply(s, "250 2.0.0 OK");
}

static void cmd_quit(struct lmtp_session *s, const char *arg)
{
	replyf(s, "221 2.0.0 %s closing connection", lmtp_hostname);
	s->closing = true;
	conn_close(s->conn, "quit");
}

static void cmd_vrfy(struct lmtp_session *s, const char *arg)
{
	reply(s, "252 2.5.0 Cannot VRFY; send mail and see");
}

static void cmd_helo(struct lmtp_session *s, const char *arg)
{
	/* RFC 2033 4.1: HELO/EHLO must not get a positive reply. */
	bad_command(s, "500 5.5.1 This is LMTP: use LHLO");
}

static const struct {
	const char *name;
	void (*run)(struct lmtp_session *s, const char *arg);
} commands[] = {
	{ "LHLO", cmd_lhlo }, { "MAIL", cmd_mail }, { "RCPT", cmd_rcpt },
	{ "DATA", cmd_data }, { "RSET", cmd_rset }, { "NOOP", cmd_noop },
	{ "QUIT", cmd_quit }, { "VRFY", cmd_vrfy }, { "HELO", cmd_helo },
	{ "EHLO", cmd_helo },
};

static void handle_line(struct lmtp_session *s, char *line, size_t len)
{
	if (memchr(line, '\0', len) != NULL) {
		bad_command(s, "500 5.5.2 NUL in command");
		return;
	}
	size_t name_len = 0;
	while (name_len < len && line[name_len] != ' ')
		name_len++;
	const char *arg = line + name_len;
	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (str_ascii_caseeq_n(line, name_len, commands[i].name, 4)) {
			commands[i].run(s, arg);
			return;
		}
	}
	bad_command(s, "500 5.5.1 Unknown command");
}

/* ---- input ---- */

/* Handles as much buffered input as possible. */
static void process(struct lmtp_session *s)
{
	struct conn *conn = s->conn;
	struct buf *in = conn_input(conn);
	while (!s->closing && in->len > 0) {
		if (conn_output_full(conn)) {
			/* A client that pipelines without reading waits
			 * until it has read our replies (on_drained). */
			s->waiting_output = true;
			return;
		}
		if (s->state == LMTP_DATA) {
			size_t used;
			bool done = lmtp_data_feed(&s->data, in->data, in->len,
						   &used);
			buf_consume(in, used);
			if (!done)
				return;
			data_done(s);
			continue;
		}
		char *nl = memchr(in->data, '\n', in->len);
		if (nl == NULL) {
			if (in->len > LMTP_LINE_MAX) {
				reply(s, "500 5.5.2 Line too long");
				s->closing = true;
				conn_close(conn, "line too long");
			}
			return;
		}
		size_t len = (size_t)(nl - in->data);
		size_t consumed = len + 1;
		if (len > 0 && in->data[len - 1] == '\r')
			len--;
		if (len > LMTP_LINE_MAX) {
			buf_consume(in, consumed);
			bad_command(s, "500 5.5.2 Line too long");
			continue;
		}
		char *line = xstrndup(in->data, len);
		buf_consume(in, consumed);
		handle_line(s, line, len);
		free(line);
	}
}

static void lmtp_on_open(struct conn *conn)
{
	struct lmtp_session *s = xcalloc(1, sizeof(*s));
	s->conn = conn;
	s->state = LMTP_GREETED;
	conn_set_data(conn, s);
	conn_set_idle_timeout(conn, LMTP_TIMEOUT);
	metrics_session_state(METRICS_STATE_NONE, METRICS_STATE_LMTP);
	replyf(s, "220 %s LMTP Quire ready", lmtp_hostname);
}

static void lmtp_on_input(struct conn *conn)
{
	process(conn_get_data(conn));
}

static void lmtp_on_drained(struct conn *conn)
{
	struct lmtp_session *s = conn_get_data(conn);
	if (s->waiting_output) {
		s->waiting_output = false;
		process(s);
	}
}

static void lmtp_on_timeout(struct conn *conn)
{
	struct lmtp_session *s = conn_get_data(conn);
	reply(s, "421 4.4.2 Timeout, closing connection");
	s->closing = true;
	conn_close(conn, "timeout");
}

static void lmtp_on_shutdown(struct conn *conn)
{
	struct lmtp_session *s = conn_get_data(conn);
	/* A transaction cut off here was never acknowledged: the MTA keeps
	 * the message and retries. */
	reply(s, "421 4.3.2 Server shutting down");
	s->closing = true;
}

static void lmtp_on_close(struct conn *conn)
{
	struct lmtp_session *s = conn_get_data(conn);
	metrics_session_state(METRICS_STATE_LMTP, METRICS_STATE_NONE);
	metrics_bytes(conn_bytes_in(conn), conn_bytes_out(conn));
	transaction_reset(s);
	free(s);
}

const struct conn_ops lmtp_conn_ops = {
	.on_open = lmtp_on_open,
	.on_input = lmtp_on_input,
	.on_drained = lmtp_on_drained,
	.on_timeout = lmtp_on_timeout,
	.on_shutdown = lmtp_on_shutdown,
	.on_close = lmtp_on_close,
};
