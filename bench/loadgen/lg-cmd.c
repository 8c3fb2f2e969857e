/*
 * What a simulated client says, per mode, and how each answer is checked
 * (RFC 3501 section 7 for the responses; RFC 2177 IDLE; RFC 4315 UIDPLUS;
 * RFC 7888 LITERAL+). A check that fails turns the command into an error:
 * a fast wrong answer must not count as throughput.
 */
#include "lg-client.h"

#include <stdio.h>
#include <string.h>

/* ---- small helpers ---- */

static void set_bad(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_bad(struct client *c, const char *fmt, ...)
{
	if (c->bad)
		return;
	c->bad = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void parse_caps(struct client *c, struct span s)
{
	c->cap_seen = true;
	c->cap_literal_plus = span_has(s, " LITERAL+");
	c->cap_uidplus = span_has(s, " UIDPLUS");
	c->cap_multiappend = span_has(s, " MULTIAPPEND");
}

/* Looks for "[CAPABILITY ...]" in a status response text. */
static void caps_in_code(struct client *c, struct rp *r)
{
	struct span rest = { r->p, (size_t)(r->end - r->p) };
	if (rest.n > 12 && span_has((struct span){ rest.p, 12 }, "[CAPABILITY"))
		parse_caps(c, rest);
}

static bool owned_has(const struct client *c, uint32_t uid)
{
	for (unsigned i = 0; i < c->nowned; i++)
		if (c->owned[i] == uid)
			return true;
	return false;
}

static void owned_add(struct client *c, uint32_t uid)
{
	if (uid % c->slots != c->slot || owned_has(c, uid))
		return;
	if (c->nowned == c->owned_cap) {
		c->owned_cap = c->owned_cap ? c->owned_cap * 2 : 64;
		c->owned = xrealloc(c->owned, c->owned_cap * sizeof(uint32_t));
	}
	c->owned[c->nowned++] = uid;
}

static void owned_del(struct client *c, uint32_t uid)
{
	for (unsigned i = 0; i < c->nowned; i++) {
		if (c->owned[i] == uid) {
			c->owned[i] = c->owned[--c->nowned];
			return;
		}
	}
}

static void quote(struct gbuf *b, const char *s)
{
	gbuf_adds(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			gbuf_adds(b, "\\");
		gbuf_add(b, s, 1);
	}
	gbuf_adds(b, "\"");
}

static void setup_complete(struct client *c)
{
	if (c->setup_done)
		return;
	c->setup_done = true;
	if (c->t->connecting > 0)
		c->t->connecting--;
	__atomic_add_fetch(&g_run.clients_setup, 1, __ATOMIC_RELAXED);
}

static void finish(struct client *c)
{
	client_close(c);
	c->state = C_DONE;
}

/* ---- commands ---- */

static void send_append(struct client *c, enum msg_kind kind, uint32_t index,
			const char *flags)
{
	struct gbuf msg = { 0 };
	char idate[32];
	msg_generate(&msg, kind, g_run.opt.seed, index, idate);
	const char *sp = flags[0] ? " " : "";
	char fl[64];
	snprintf(fl, sizeof(fl), "%s%s%s", flags[0] ? "(" : "", flags,
		 flags[0] ? ")" : "");
	if (c->cap_literal_plus) {
		client_command(c, OP_APPEND, "APPEND %s%s%s \"%s\" {%zu+}",
			       g_run.opt.mailbox, sp, fl, idate, msg.len);
		gbuf_adds(&msg, "\r\n");
		client_send(c, msg.data, msg.len);
		gbuf_free(&msg);
	} else {
		client_command(c, OP_APPEND, "APPEND %s%s%s \"%s\" {%zu}",
			       g_run.opt.mailbox, sp, fl, idate, msg.len);
		gbuf_adds(&msg, "\r\n");
		gbuf_free(&c->pending_literal);
		c->pending_literal = msg;
		c->awaiting_cont = true;
	}
}

static void populate_flags(uint32_t i, char flags[48])
{
	/* Flags vary so FETCH FLAGS and SEARCH UNSEEN see a mix. */
	snprintf(flags, 48, "%s%s%s", i % 3 ? "\\Seen" : "",
		 i % 17 == 0 ? (i % 3 ? " \\Flagged" : "\\Flagged") : "",
		 i % 7 == 0 && (i % 3 || i % 17 == 0) ? " \\Answered" : "");
}

/*
 * One MULTIAPPEND (RFC 3502) of up to --batch messages, all literals
 * non-synchronizing: a server that stores each APPEND as its own
 * transaction (Dovecot's maildir rewrites its uidlist every time) loads far
 * faster this way, and loading speed is not what is measured.
 */
static uint32_t send_multiappend(struct client *c)
{
	struct gbuf cmd = { 0 };
	struct gbuf msg = { 0 };
	uint32_t n = 0;
	gbuf_printf(&cmd, "a%u APPEND %s", c->tagn + 1, g_run.opt.mailbox);
	while (n < g_run.opt.batch && c->next_msg < g_run.opt.messages) {
		uint32_t i = c->next_msg;
		char flags[48], idate[32];
		populate_flags(i, flags);
		msg.len = 0;
		msg_generate(&msg, g_run.opt.kind, g_run.opt.seed, i, idate);
		gbuf_printf(&cmd, " (%s) \"%s\" {%zu+}\r\n", flags, idate,
			    msg.len);
		gbuf_add(&cmd, msg.data, msg.len);
		c->next_msg += c->slots;
		n++;
	}
	gbuf_adds(&cmd, "\r\n");
	c->op = OP_APPEND;
	c->tagn++;
	c->t_start = now_us();
	c->deadline = c->t_start + (uint64_t)(g_run.opt.cmd_timeout * 1e6);
	client_send(c, cmd.data, cmd.len);
	gbuf_free(&cmd);
	gbuf_free(&msg);
	return n;
}

static void populate_fill(struct client *c)
{
	unsigned window = c->cap_literal_plus ? g_run.opt.pipeline : 1;
	if (window > PIPE_MAX)
		window = PIPE_MAX;
	while (c->inflight < window && c->next_msg < g_run.opt.messages &&
	       !c->awaiting_cont && !g_run.stopping) {
		uint32_t n = 1;
		if (c->cap_literal_plus && c->cap_multiappend &&
		    g_run.opt.batch > 1) {
			n = send_multiappend(c);
		} else {
			char flags[48];
			populate_flags(c->next_msg, flags);
			send_append(c, g_run.opt.kind, c->next_msg, flags);
			c->next_msg += c->slots;
		}
		c->pipe_start[c->tagn % PIPE_MAX] = c->t_start;
		c->pipe_msgs[c->tagn % PIPE_MAX] = n;
		c->inflight++;
	}
}

static void populate_start(struct client *c)
{
	c->next_msg = c->slot;
	c->msgs_total = 0;
	for (uint32_t i = c->slot; i < g_run.opt.messages; i += c->slots)
		c->msgs_total++;
	c->msgs_done = 0;
	if (c->msgs_total == 0) {
		finish(c);
		return;
	}
	populate_fill(c);
}

static void do_logout(struct client *c)
{
	c->logging_out = true;
	client_command(c, OP_LOGOUT, "LOGOUT");
}

static void do_select(struct client *c, int step)
{
	struct gbuf b = { 0 };
	quote(&b, g_run.opt.mailbox);
	client_command(c, OP_SELECT, "SELECT %s", b.data);
	c->step = step;
	gbuf_free(&b);
}

static void do_sync(struct client *c)
{
	c->nowned = 0;
	client_command(c, OP_SYNC_FLAGS, "UID FETCH 1:* (FLAGS)");
}

static void do_fetch_new(struct client *c)
{
	c->expect = c->max_uid + 1;
	client_command(c, OP_FETCH_NEW, "UID FETCH %u:* (UID FLAGS INTERNALDATE "
		       "RFC822.SIZE ENVELOPE)", c->expect);
}

static bool pick_owned(struct client *c)
{
	if (c->nowned == 0)
		return false;
	c->target_uid = c->owned[rng_below(&c->rng, c->nowned)];
	return true;
}

static void do_idle(struct client *c)
{
	client_command(c, OP_IDLE, "IDLE");
	c->step = 0;
}

static void end_idle(struct client *c)
{
	c->idling = false;
	c->t_done = now_us();
	c->deadline = c->t_done + (uint64_t)(g_run.opt.cmd_timeout * 1e6);
	client_send(c, "DONE\r\n", 6);
}

static const struct {
	enum op op;
	unsigned weight;
} mix[] = {
	{ OP_FETCH_NEW, 20 }, { OP_FETCH_BODY, 20 }, { OP_STORE, 15 },
	{ OP_NOOP, 8 },       { OP_APPEND, 8 },      { OP_IDLE, 8 },
	{ OP_SEARCH, 6 },     { OP_EXPUNGE, 6 },     { OP_SYNC_FLAGS, 5 },
	{ OP_LOGOUT, 4 },
};

static void mixed_next(struct client *c)
{
	unsigned total = 0;
	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
		total += mix[i].weight;
	unsigned pick = rng_below(&c->rng, total);
	enum op op = OP_NOOP;
	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		if (pick < mix[i].weight) {
			op = mix[i].op;
			break;
		}
		pick -= mix[i].weight;
	}
	if ((op == OP_FETCH_BODY || op == OP_STORE || op == OP_EXPUNGE) &&
	    !pick_owned(c))
		op = OP_FETCH_NEW;
	switch (op) {
	case OP_FETCH_NEW:
		do_fetch_new(c);
		break;
	case OP_FETCH_BODY:
		client_command(c, OP_FETCH_BODY,
			       "UID FETCH %u (UID RFC822.SIZE BODY.PEEK[])",
			       c->target_uid);
		break;
	case OP_STORE: {
		c->store_flag = rng_below(&c->rng, 2) ? "\\Seen" : "\\Flagged";
		c->expect_flag = rng_below(&c->rng, 2);
		client_command(c, OP_STORE, "UID STORE %u %cFLAGS (%s)",
			       c->target_uid, c->expect_flag ? '+' : '-',
			       c->store_flag);
		c->step = 0;
		break;
	}
	case OP_EXPUNGE:
		client_command(c, OP_STORE, "UID STORE %u +FLAGS.SILENT "
			       "(\\Deleted)", c->target_uid);
		c->step = 1;
		break;
	case OP_APPEND:
		send_append(c, MSG_VARIED, rng_below(&c->rng, 1000000), "");
		break;
	case OP_SEARCH: {
		static const char *const progs[] = {
			"UNSEEN", "FROM \"alice\"", "SUBJECT \"report\"",
			"FLAGGED",
		};
		client_command(c, OP_SEARCH, "UID SEARCH %s",
			       progs[rng_below(&c->rng, 4)]);
		break;
	}
	case OP_IDLE:
		do_idle(c);
		break;
	case OP_SYNC_FLAGS:
		do_sync(c);
		break;
	case OP_LOGOUT:
		do_logout(c);
		break;
	default:
		client_command(c, OP_NOOP, "NOOP");
		break;
	}
}

static void next_action(struct client *c)
{
	uint64_t max = g_run.opt.max_ops;
	if (g_run.stopping ||
	    (max && __atomic_load_n(&g_run.ops_done, __ATOMIC_RELAXED) >= max)) {
		finish(c);
		return;
	}
	switch (g_run.opt.mode) {
	case MODE_MIXED:
		mixed_next(c);
		break;
	case MODE_APPEND:
		send_append(c, MSG_10K, rng_below(&c->rng, 1000000), "");
		break;
	case MODE_SELECT_FETCH_FLAGS:
		c->t_cycle = now_us();
		do_select(c, 1);
		break;
	case MODE_FETCH_ENVELOPE:
		client_command(c, OP_FETCH_ENV,
			       "FETCH 1:* (ENVELOPE BODYSTRUCTURE)");
		break;
	case MODE_SEARCH_TEXT:
		c->step = !c->step;
		if (c->step) {
			c->expect = msg_search_body_expected(c->exists);
			client_command(c, OP_SEARCH_BODY, "SEARCH BODY \"%s\"",
				       SEARCH_BODY_WORD);
		} else {
			c->expect = msg_search_text_expected(c->exists);
			client_command(c, OP_SEARCH_TEXT, "SEARCH TEXT \"%s\"",
				       SEARCH_TEXT_PHRASE);
		}
		break;
	case MODE_CONNECT_RATE:
		do_logout(c);
		break;
	case MODE_IDLE_MEMORY:
		do_idle(c);
		break;
	case MODE_POPULATE:
		finish(c);
		break;
	}
}

/* ---- responses ---- */

void cmd_greeting(struct client *c, struct rp *r)
{
	if (!rp_eat(r, "* OK") && !rp_eat(r, "* PREAUTH")) {
		client_fail(c, "greeting: %.*s", (int)(r->end - r->p),
			    r->p);
		return;
	}
	rp_sp(r);
	caps_in_code(c, r);
	client_record(c, OP_CONNECT, c->t_connect, true);
	c->state = C_READY;
	struct gbuf b = { 0 };
	quote(&b, c->user_name);
	gbuf_adds(&b, " ");
	quote(&b, g_run.opt.password);
	client_command(c, OP_LOGIN, "LOGIN %s", b.data);
	gbuf_free(&b);
}

static void check_fetch(struct client *c, const struct fetch_info *fi)
{
	switch (c->op) {
	case OP_SYNC_FLAGS:
		if (!fi->has_flags)
			break; /* an unrelated unsolicited update */
		if (!fi->has_uid) {
			/* Another session's flag change, sent unsolicited,
			 * may lack the UID; in the strict modes nobody else
			 * is there. */
			if (g_run.opt.mode != MODE_MIXED)
				set_bad(c, "FETCH without UID in UID FETCH");
			break;
		}
		c->n_fetch++;
		if (fi->uid > c->max_uid)
			c->max_uid = fi->uid;
		if (g_run.opt.mode == MODE_MIXED)
			owned_add(c, fi->uid);
		break;
	case OP_FETCH_NEW:
		if (!fi->has_env)
			break;
		if (!fi->has_uid || !fi->env_ok) {
			set_bad(c, "FETCH ENVELOPE malformed or without UID");
			break;
		}
		c->n_fetch++;
		if (fi->uid >= c->expect) {
			if (fi->uid > c->max_uid)
				c->max_uid = fi->uid;
			owned_add(c, fi->uid);
		}
		break;
	case OP_FETCH_BODY:
		if (!fi->has_body)
			break;
		if (!fi->has_uid || fi->uid != c->target_uid)
			set_bad(c, "BODY[] for UID %u, asked %u", fi->uid,
				c->target_uid);
		else if (!fi->has_size || fi->body_len != fi->size)
			set_bad(c, "BODY[] has %zu bytes, RFC822.SIZE %llu",
				fi->body_len, (unsigned long long)fi->size);
		c->n_match++;
		break;
	case OP_FETCH_ENV:
		if (!fi->has_env || !fi->env_ok)
			set_bad(c, "FETCH %u: ENVELOPE missing or malformed",
				fi->seq);
		else if (!fi->has_bs || !fi->bs_ok)
			set_bad(c, "FETCH %u: BODYSTRUCTURE missing or malformed",
				fi->seq);
		c->n_fetch++;
		break;
	case OP_STORE:
		/* A STORE that changes nothing may send no FETCH (Dovecot
		 * does not); one that is sent must be right. */
		if (!fi->has_uid || fi->uid != c->target_uid || !fi->has_flags)
			break;
		if (span_has(fi->flags, c->store_flag) != c->expect_flag)
			set_bad(c, "STORE: FLAGS %.*s after %c%s",
				(int)fi->flags.n, fi->flags.p,
				c->expect_flag ? '+' : '-', c->store_flag);
		c->n_match++;
		break;
	default:
		break;
	}
}

static void untagged_search(struct client *c, struct rp *r)
{
	c->n_search++;
	while (rp_sp(r)) {
		uint64_t n;
		if (!rp_number(r, &n) || n == 0) {
			set_bad(c, "SEARCH: not a number");
			return;
		}
		c->search_hits++;
	}
	if (!rp_eat(r, "\r\n"))
		set_bad(c, "SEARCH: trailing data");
}

void cmd_untagged(struct client *c, struct rp *r)
{
	uint64_t n;
	if (rp_number(r, &n)) {
		if (!rp_sp(r)) {
			set_bad(c, "untagged number without a name");
			return;
		}
		if (rp_eat(r, "EXISTS")) {
			c->exists = (uint32_t)n;
			c->n_exists++;
			if (c->idling && g_run.opt.mode == MODE_MIXED)
				end_idle(c);
		} else if (rp_eat(r, "EXPUNGE")) {
			if (n == 0 || n > c->exists) {
				set_bad(c, "EXPUNGE %llu beyond EXISTS %u",
					(unsigned long long)n, c->exists);
				return;
			}
			c->exists--;
			c->n_expunge++;
		} else if (rp_eat(r, "FETCH ")) {
			struct fetch_info fi = { .seq = (uint32_t)n };
			if (!resp_parse_fetch(r, &fi)) {
				set_bad(c, "malformed FETCH response");
				return;
			}
			if (n == 0 || n > c->exists) {
				set_bad(c, "FETCH %llu beyond EXISTS %u",
					(unsigned long long)n, c->exists);
				return;
			}
			check_fetch(c, &fi);
		}
		return;
	}
	if (rp_eat(r, "CAPABILITY")) {
		parse_caps(c, (struct span){ r->p, (size_t)(r->end - r->p) });
	} else if (rp_eat(r, "SEARCH")) {
		untagged_search(c, r);
	} else if (rp_eat(r, "BYE")) {
		c->n_bye++;
	} else if (rp_eat(r, "BAD")) {
		set_bad(c, "* BAD%.*s", (int)(r->end - r->p - 2), r->p);
	} else if (rp_eat(r, "OK ")) {
		caps_in_code(c, r);
	}
}

void cmd_continuation(struct client *c)
{
	if (c->awaiting_cont) {
		c->awaiting_cont = false;
		client_send(c, c->pending_literal.data, c->pending_literal.len);
		gbuf_free(&c->pending_literal);
		if (g_run.opt.mode == MODE_POPULATE)
			populate_fill(c);
		return;
	}
	if (c->op == OP_IDLE && c->step == 0) {
		c->step = 1;
		c->idling = true;
		uint64_t now = now_us();
		c->idle_wait_us = now - c->t_start;
		if (g_run.opt.mode == MODE_IDLE_MEMORY) {
			c->idle_until = UINT64_MAX;
			client_record(c, OP_IDLE, c->t_start, true);
			__atomic_add_fetch(&g_run.idle_ready, 1,
					   __ATOMIC_RELAXED);
		} else if (g_run.opt.idle_ms == 0) {
			end_idle(c);
		} else {
			c->idle_until = now + g_run.opt.idle_ms * 1000ull;
		}
		return;
	}
	set_bad(c, "unexpected continuation request");
}

static void populate_tagged(struct client *c, unsigned tagn, bool ok,
			    struct rp *r)
{
	unsigned first = c->tagn - c->inflight + 1;
	if (c->inflight == 0 || tagn != first) {
		client_fail(c, "APPEND answered out of order (tag %u, want %u)",
			    tagn, first);
		return;
	}
	c->inflight--;
	uint32_t n = c->pipe_msgs[tagn % PIPE_MAX];
	c->msgs_done += n;
	if (!ok)
		run_error(c, "APPEND: %.*s",
			  (int)(r->end - r->p > 2 ? r->end - r->p - 2 : 0), r->p);
	/* One entry per message, so ops counts messages. */
	for (uint32_t k = 0; k < n; k++)
		client_record(c, OP_APPEND, c->pipe_start[tagn % PIPE_MAX], ok);
	if (c->msgs_done == c->msgs_total || (g_run.stopping && !c->inflight))
		do_logout(c);
	else
		populate_fill(c);
}

/* Checks the collected answers of the finished command; returns false
 * (with c->why) when they were wrong. */
static bool verify(struct client *c, struct rp *r)
{
	bool strict = g_run.opt.mode != MODE_MIXED;
	switch (c->op) {
	case OP_SELECT:
		if (c->n_exists == 0)
			set_bad(c, "SELECT without EXISTS");
		break;
	case OP_SYNC_FLAGS:
		if (strict ? c->n_fetch != c->exists
			   : (c->exists > 0 && c->n_fetch == 0))
			set_bad(c, "UID FETCH 1:* gave %u FETCH for %u messages",
				c->n_fetch, c->exists);
		break;
	case OP_FETCH_NEW:
		if (c->exists > 0 && c->n_fetch == 0)
			set_bad(c, "UID FETCH n:* returned nothing");
		break;
	case OP_FETCH_BODY:
		if (c->n_match != 1)
			set_bad(c, "UID FETCH BODY.PEEK[] gave %u bodies",
				c->n_match);
		break;
	case OP_FETCH_ENV:
		if (c->n_fetch != c->exists)
			set_bad(c, "FETCH 1:* gave %u FETCH for %u messages",
				c->n_fetch, c->exists);
		break;
	case OP_EXPUNGE:
		if (c->cap_uidplus && c->n_expunge == 0)
			set_bad(c, "UID EXPUNGE %u expunged nothing",
				c->target_uid);
		break;
	case OP_SEARCH:
		if (c->n_search != 1)
			set_bad(c, "%u SEARCH responses", c->n_search);
		break;
	case OP_SEARCH_BODY:
	case OP_SEARCH_TEXT:
		if (c->n_search != 1 || c->search_hits != c->expect)
			set_bad(c, "SEARCH found %u, expected %u (%u responses)",
				c->search_hits, c->expect, c->n_search);
		break;
	case OP_APPEND: {
		/* RFC 4315 section 3: [APPENDUID uidvalidity uid] */
		struct span t = { r->p, (size_t)(r->end - r->p) };
		struct rp a = *r;
		uint64_t v, uid;
		if (g_run.opt.mode == MODE_MIXED && span_has(t, "[APPENDUID ") &&
		    rp_eat(&a, "[APPENDUID ") && rp_number(&a, &v) &&
		    rp_sp(&a) && rp_number(&a, &uid) && uid <= UINT32_MAX)
			owned_add(c, (uint32_t)uid);
		break;
	}
	case OP_LOGOUT:
		if (c->n_bye == 0)
			set_bad(c, "LOGOUT without BYE");
		break;
	default:
		break;
	}
	return !c->bad;
}

static void after_ok(struct client *c)
{
	switch (c->op) {
	case OP_LOGIN:
		if (g_run.opt.mode == MODE_POPULATE) {
			setup_complete(c);
			populate_start(c);
		} else if (g_run.opt.mode == MODE_APPEND) {
			setup_complete(c);
			next_action(c);
		} else {
			do_select(c, 0);
		}
		return;
	case OP_SELECT:
		setup_complete(c);
		if (g_run.opt.mode == MODE_MIXED ||
		    g_run.opt.mode == MODE_SELECT_FETCH_FLAGS)
			do_sync(c);
		else
			next_action(c);
		return;
	case OP_SYNC_FLAGS:
		if (g_run.opt.mode == MODE_SELECT_FETCH_FLAGS && c->step == 1)
			client_record(c, OP_CYCLE, c->t_cycle, true);
		next_action(c);
		return;
	case OP_STORE:
		if (c->step == 1) {
			if (c->cap_uidplus)
				client_command(c, OP_EXPUNGE, "UID EXPUNGE %u",
					       c->target_uid);
			else
				client_command(c, OP_EXPUNGE, "EXPUNGE");
			return;
		}
		next_action(c);
		return;
	case OP_EXPUNGE:
		owned_del(c, c->target_uid);
		next_action(c);
		return;
	case OP_LOGOUT: {
		client_close(c);
		if (g_run.opt.mode == MODE_CONNECT_RATE)
			client_record(c, OP_CYCLE, c->t_connect, true);
		if (g_run.stopping || g_run.opt.mode == MODE_POPULATE) {
			c->state = C_DONE;
		} else {
			c->state = C_NEW;
			c->deadline = 0;
			client_connect(c);
		}
		return;
	}
	default:
		next_action(c);
		return;
	}
}

void cmd_tagged(struct client *c, unsigned tagn, bool ok, struct rp *r)
{
	if (g_run.opt.mode == MODE_POPULATE && c->op == OP_APPEND) {
		populate_tagged(c, tagn, ok, r);
		return;
	}
	if (tagn != c->tagn) {
		client_fail(c, "tagged response for a%u, a%u in flight", tagn,
			    c->tagn);
		return;
	}
	if (ok && c->op == OP_LOGIN)
		caps_in_code(c, r);
	if (ok)
		verify(c, r);
	else
		set_bad(c, "%s", "");
	uint64_t start = c->t_start;
	if (c->op == OP_IDLE) /* not the time spent waiting for mail */
		start = c->t_done - c->idle_wait_us;
	if (c->bad) {
		if (!ok)
			snprintf(c->why, sizeof(c->why), "%.*s",
				 (int)(r->end - r->p > 2 ? r->end - r->p - 2 : 0),
				 r->p);
		run_error(c, "%s: %s", op_names[c->op], c->why);
		if (c->op == OP_LOGIN || c->op == OP_SELECT) {
			client_fail(c, "cannot continue after failed %s",
				    op_names[c->op]);
			return;
		}
		client_record(c, c->op, start, false);
		if (c->op == OP_LOGOUT) {
			after_ok(c);
			return;
		}
		if (c->op == OP_STORE && c->step == 1)
			c->step = 0;
		next_action(c);
		return;
	}
	client_record(c, c->op, start, true);
	after_ok(c);
}

void cmd_closed(struct client *c)
{
	if (c->state == C_DONE)
		return;
	client_fail(c, "server closed the connection%s",
		    c->n_bye ? " (BYE)" : "");
}

void cmd_tick(struct client *c, uint64_t now)
{
	if (c->idling) {
		if (g_run.opt.mode == MODE_IDLE_MEMORY) {
			if (g_run.stopping)
				finish(c);
		} else if (now >= c->idle_until) {
			end_idle(c);
		}
		return;
	}
	if (g_run.opt.mode == MODE_POPULATE && c->state == C_READY &&
	    c->inflight > 0 && now >= c->deadline) {
		client_fail(c, "no answer to APPEND in %.0f s",
			    g_run.opt.cmd_timeout);
		return;
	}
	if (now >= c->deadline && c->fd >= 0) {
		static const char *const what[] = {
			[C_CONNECTING] = "TCP connect", [C_TLS] = "TLS handshake",
			[C_GREETING] = "greeting",
		};
		client_fail(c, "%s: no answer in %.0f s",
			    c->state == C_READY ? op_names[c->op]
			    : c->state <= C_GREETING && what[c->state] ? what[c->state]
			    : "connect", g_run.opt.cmd_timeout);
	}
}
