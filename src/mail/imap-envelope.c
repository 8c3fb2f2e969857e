#include "mail/imap-envelope.h"

#include <string.h>

#include "mail/header.h"
#include "mail/imap-string.h"

/*
 * RFC 5322 3.4 address lists, lenient: a small lexer turns the unfolded
 * value into words (atoms, quoted strings, domain literals) and specials;
 * the parser builds each address from them. Obsolete forms (4.4): routes,
 * words separated by CFWS in local parts, empty list members (",,"), and
 * addresses without "<>" followed by a "(name)" comment.
 */

enum tok_type { TOK_END, TOK_WORD, TOK_SPECIAL };

struct lexer {
	const char *p, *end;
	/* text of the last comment skipped, for "addr (Name)" */
	const char *comment;
	size_t comment_len;
};

struct token {
	enum tok_type type;
	char special;
	struct buf word;   /* TOK_WORD: the unquoted text */
};

static void skip_ws_comments(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
			continue;
		}
		if (c != '(')
			return;
		int depth = 0;
		const char *start = lx->p + 1;
		while (lx->p < lx->end) {
			c = *lx->p;
			if (c == '\\' && lx->p + 1 < lx->end) {
				lx->p += 2;
				continue;
			}
			lx->p++;
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
		lx->comment = start;
		lx->comment_len = (size_t)(lx->p - start) - (depth == 0 ? 1 : 0);
	}
}

static bool is_special(char c)
{
	return strchr("<>:;,@.[", c) != NULL && c != '\0';
}

static void next_token(struct lexer *lx, struct token *t)
{
	buf_reset(&t->word);
	skip_ws_comments(lx);
	if (lx->p >= lx->end) {
		t->type = TOK_END;
		return;
	}
	char c = *lx->p;
	if (c == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			buf_append_char(&t->word, *lx->p++);
		}
		if (lx->p < lx->end)
			lx->p++;
		t->type = TOK_WORD;
		if (t->word.data == NULL)
			buf_append(&t->word, "", 0);
		return;
	}
	if (c == '[') {
		/* domain literal, kept with its brackets */
		const char *start = lx->p;
		while (lx->p < lx->end && *lx->p != ']')
			lx->p++;
		if (lx->p < lx->end)
			lx->p++;
		buf_append(&t->word, start, (size_t)(lx->p - start));
		t->type = TOK_WORD;
		return;
	}
	if (is_special(c)) {
		lx->p++;
		t->type = TOK_SPECIAL;
		t->special = c;
		return;
	}
	const char *start = lx->p;
	while (lx->p < lx->end && !is_special(*lx->p) && *lx->p != '"' &&
	       *lx->p != '(' && *lx->p != ' ' && *lx->p != '\t' &&
	       *lx->p != '\r' && *lx->p != '\n')
		lx->p++;
	buf_append(&t->word, start, (size_t)(lx->p - start));
	t->type = TOK_WORD;
}

static bool tok_is(const struct token *t, char special)
{
	return t->type == TOK_SPECIAL && t->special == special;
}

struct addr_ctx;
static void read_mailbox(struct addr_ctx *ctx, bool allow_group);

struct addr_ctx {
	struct lexer lx;
	struct token tok;
	struct buf *out;
	unsigned int count;   /* addresses written */
};

static void write_nbuf(struct buf *out, const struct buf *b, bool present)
{
	if (!present)
		buf_append_str(out, "NIL");
	else
		mail_imap_write_string(out, b->data == NULL ? "" : b->data, b->len);
}

static void open_list(struct addr_ctx *ctx)
{
	if (ctx->count++ == 0)
		buf_append_char(ctx->out, '(');
}

/* Reads words and dots: into spaced as a display name (words separated by
   one space, "John Q. Public") and into tight as a local part (obs-local-
   part "john . doe" is "john.doe"). Either may be NULL. */
static void read_phrase(struct addr_ctx *ctx, struct buf *spaced,
			struct buf *tight)
{
	bool first = true;
	while (ctx->tok.type == TOK_WORD || tok_is(&ctx->tok, '.')) {
		const char *s = ".";
		size_t n = 1;
		if (ctx->tok.type == TOK_WORD) {
			s = ctx->tok.word.data;
			n = ctx->tok.word.len;
			if (!first && spaced != NULL)
				buf_append_char(spaced, ' ');
		}
		if (spaced != NULL)
			buf_append(spaced, s, n);
		if (tight != NULL)
			buf_append(tight, s, n);
		first = false;
		next_token(&ctx->lx, &ctx->tok);
	}
}

/* "@domain" after a local part, into host. */
static void read_domain(struct addr_ctx *ctx, struct buf *host)
{
	while (ctx->tok.type == TOK_WORD || tok_is(&ctx->tok, '.')) {
		if (ctx->tok.type == TOK_WORD)
			buf_append(host, ctx->tok.word.data, ctx->tok.word.len);
		else
			buf_append_char(host, '.');
		next_token(&ctx->lx, &ctx->tok);
	}
}

static void write_address(struct addr_ctx *ctx, const struct buf *name,
			  bool has_name, const struct buf *route,
			  const struct buf *local, const struct buf *host)
{
	open_list(ctx);
	buf_append_char(ctx->out, '(');
	write_nbuf(ctx->out, name, has_name);
	buf_append_char(ctx->out, ' ');
	write_nbuf(ctx->out, route, route->len > 0);
	buf_append_char(ctx->out, ' ');
	write_nbuf(ctx->out, local, true);
	buf_append_char(ctx->out, ' ');
	/* no domain: "" rather than NIL, which would mean a group marker */
	write_nbuf(ctx->out, host, true);
	buf_append_char(ctx->out, ')');
}

/* angle-addr after "<": [route ":"] addr-spec ">" (RFC 5322 4.4 obs-route) */
static void read_angle(struct addr_ctx *ctx, struct buf *route,
		       struct buf *local, struct buf *host)
{
	next_token(&ctx->lx, &ctx->tok);
	while (tok_is(&ctx->tok, '@') || tok_is(&ctx->tok, ',')) {
		if (tok_is(&ctx->tok, ',')) {
			buf_append_char(route, ',');
			next_token(&ctx->lx, &ctx->tok);
			continue;
		}
		buf_append_char(route, '@');
		next_token(&ctx->lx, &ctx->tok);
		read_domain(ctx, route);
	}
	if (tok_is(&ctx->tok, ':'))
		next_token(&ctx->lx, &ctx->tok);
	else
		buf_reset(route);  /* not a route after all */
	read_phrase(ctx, NULL, local);
	if (tok_is(&ctx->tok, '@')) {
		next_token(&ctx->lx, &ctx->tok);
		read_domain(ctx, host);
	}
	while (ctx->tok.type != TOK_END && !tok_is(&ctx->tok, '>'))
		next_token(&ctx->lx, &ctx->tok);
	if (tok_is(&ctx->tok, '>'))
		next_token(&ctx->lx, &ctx->tok);
}

static void read_group(struct addr_ctx *ctx, const struct buf *name)
{
	/* RFC 3501 7.4.2: (NIL NIL "name" NIL) members (NIL NIL NIL NIL) */
	open_list(ctx);
	buf_append_str(ctx->out, "(NIL NIL ");
	write_nbuf(ctx->out, name, true);
	buf_append_str(ctx->out, " NIL)");
	next_token(&ctx->lx, &ctx->tok);
	while (ctx->tok.type != TOK_END && !tok_is(&ctx->tok, ';')) {
		if (tok_is(&ctx->tok, ','))
			next_token(&ctx->lx, &ctx->tok);
		else
			read_mailbox(ctx, false);
	}
	if (tok_is(&ctx->tok, ';'))
		next_token(&ctx->lx, &ctx->tok);
	buf_append_str(ctx->out, "(NIL NIL NIL NIL)");
}

/* One mailbox, or a group when allow_group. Called on a token that is
   not END, "," or ";"; always consumes at least one token. */
static void read_mailbox(struct addr_ctx *ctx, bool allow_group)
{
	struct buf name = BUF_INIT, route = BUF_INIT, local = BUF_INIT,
		   host = BUF_INIT;
	ctx->lx.comment = NULL;
	read_phrase(ctx, &name, &local);
	if (tok_is(&ctx->tok, '<')) {
		buf_reset(&local);
		read_angle(ctx, &route, &local, &host);
		write_address(ctx, &name, name.len > 0, &route, &local, &host);
	} else if (tok_is(&ctx->tok, ':') && allow_group) {
		read_group(ctx, &name);
	} else {
		/* addr-spec: the words were the local part */
		buf_reset(&name);
		if (tok_is(&ctx->tok, '@')) {
			next_token(&ctx->lx, &ctx->tok);
			read_domain(ctx, &host);
		}
		/* obsolete "user@host (Full Name)" */
		bool has_name = ctx->lx.comment != NULL && ctx->lx.comment_len > 0;
		if (has_name)
			buf_append(&name, ctx->lx.comment, ctx->lx.comment_len);
		if (local.len > 0 || host.len > 0)
			write_address(ctx, &name, has_name, &route, &local, &host);
		/* junk up to the next separator is dropped */
		while (ctx->tok.type != TOK_END && !tok_is(&ctx->tok, ',') &&
		       !tok_is(&ctx->tok, ';'))
			next_token(&ctx->lx, &ctx->tok);
	}
	buf_free(&name);
	buf_free(&route);
	buf_free(&local);
	buf_free(&host);
}

void mail_envelope_write_addresses(const char *value, size_t len,
				   struct buf *out)
{
	struct addr_ctx ctx = { .lx = { value, value + len, NULL, 0 },
				.tok = { .word = BUF_INIT }, .out = out };
	next_token(&ctx.lx, &ctx.tok);
	while (ctx.tok.type != TOK_END) {
		if (tok_is(&ctx.tok, ',') || tok_is(&ctx.tok, ';') ||
		    tok_is(&ctx.tok, '>')) {
			next_token(&ctx.lx, &ctx.tok);  /* obs: empty members */
			continue;
		}
		read_mailbox(&ctx, true);
	}
	buf_free(&ctx.tok.word);
	if (ctx.count == 0)
		buf_append_str(out, "NIL");
	else
		buf_append_char(out, ')');
}

enum env_field {
	ENV_DATE, ENV_SUBJECT, ENV_FROM, ENV_SENDER, ENV_REPLY_TO, ENV_TO,
	ENV_CC, ENV_BCC, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id",
};

static void write_nstring_field(struct buf *out,
				const struct mail_header_field *f)
{
	if (f == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	struct buf v = BUF_INIT;
	mail_header_unfold(f->value, f->value_len, &v);
	mail_imap_write_string(out, v.data == NULL ? "" : v.data, v.len);
	buf_free(&v);
}

void mail_envelope_write(const char *hdr, size_t len, struct buf *out)
{
	struct mail_header_field fields[ENV_COUNT];
	bool found[ENV_COUNT] = { false };
	struct mail_header_iter it;
	struct mail_header_field f;
	mail_header_iter_init(&it, hdr, len);
	while (mail_header_iter_next(&it, &f)) {
		for (int i = 0; i < ENV_COUNT; i++) {
			if (!found[i] && mail_header_name_is(&f, env_names[i])) {
				fields[i] = f;
				found[i] = true;
				break;
			}
		}
	}
	buf_append_char(out, '(');
	write_nstring_field(out, found[ENV_DATE] ? &fields[ENV_DATE] : NULL);
	buf_append_char(out, ' ');
	write_nstring_field(out, found[ENV_SUBJECT] ? &fields[ENV_SUBJECT] : NULL);
	struct buf from = BUF_INIT;
	if (found[ENV_FROM])
		mail_envelope_write_addresses(fields[ENV_FROM].value,
					      fields[ENV_FROM].value_len, &from);
	else
		buf_append_str(&from, "NIL");
	for (int i = ENV_FROM; i <= ENV_BCC; i++) {
		buf_append_char(out, ' ');
		size_t before = out->len;
		if (i == ENV_FROM) {
			buf_append(out, from.data, from.len);
			continue;
		}
		if (found[i])
			mail_envelope_write_addresses(fields[i].value,
						      fields[i].value_len, out);
		else
			buf_append_str(out, "NIL");
		/* RFC 3501 7.4.2: absent or empty sender/reply-to = from */
		bool empty = out->len - before == 3 &&
			     memcmp(out->data + before, "NIL", 3) == 0;
		if ((i == ENV_SENDER || i == ENV_REPLY_TO) && empty) {
			buf_truncate(out, before);
			buf_append(out, from.data, from.len);
		}
	}
	buf_free(&from);
	buf_append_char(out, ' ');
	write_nstring_field(out, found[ENV_IN_REPLY_TO] ?
			    &fields[ENV_IN_REPLY_TO] : NULL);
	buf_append_char(out, ' ');
	write_nstring_field(out, found[ENV_MESSAGE_ID] ?
			    &fields[ENV_MESSAGE_ID] : NULL);
	buf_append_char(out, ')');
}
