/*
 * SEARCH program parser (RFC 3501 6.4.4 and 9 "search-key"; RFC 5182 "$").
 *
 * Keys are read left to right; the top level and every parenthesized list
 * are an implicit AND. Each node records the most expensive thing its
 * subtree reads (enum search_cost), and the children of an AND are put in
 * order of cost, so a cheap key that fails saves reading the message.
 */
#include "imap/search-program.h"

#include <stdlib.h>
#include <string.h>

#include "core/imapdate.h"
#include "core/strutil.h"
#include "imap/objectid.h"
#include "imap/search-fold.h"
#include "mail/decode.h"
#include "store/store.h"

struct parse_ctx {
	const char *charset;
	struct search_program *prog;
	const char *error;
	enum search_parse_result result;
};

static const struct flag_key {
	const char *name;
	uint32_t flag;
	bool negated;
} flag_keys[] = {
	{ "ANSWERED", STORE_FLAG_ANSWERED, false },
	{ "DELETED", STORE_FLAG_DELETED, false },
	{ "DRAFT", STORE_FLAG_DRAFT, false },
	{ "FLAGGED", STORE_FLAG_FLAGGED, false },
	{ "SEEN", STORE_FLAG_SEEN, false },
	{ "UNANSWERED", STORE_FLAG_ANSWERED, true },
	{ "UNDELETED", STORE_FLAG_DELETED, true },
	{ "UNDRAFT", STORE_FLAG_DRAFT, true },
	{ "UNFLAGGED", STORE_FLAG_FLAGGED, true },
	{ "UNSEEN", STORE_FLAG_SEEN, true },
};

/* Keys that take a string and match a header field (RFC 3501 6.4.4). */
static const struct header_key {
	const char *key;
	const char *field;
} header_keys[] = {
	{ "BCC", "Bcc" }, { "CC", "Cc" }, { "FROM", "From" },
	{ "SUBJECT", "Subject" }, { "TO", "To" },
};

static const struct date_key {
	const char *name;
	enum search_op op;
} date_keys[] = {
	{ "BEFORE", SEARCH_OP_BEFORE }, { "ON", SEARCH_OP_ON },
	{ "SENTBEFORE", SEARCH_OP_SENTBEFORE }, { "SENTON", SEARCH_OP_SENTON },
	{ "SENTSINCE", SEARCH_OP_SENTSINCE }, { "SINCE", SEARCH_OP_SINCE },
	/* RFC 8514 4.3 */
	{ "SAVEDBEFORE", SEARCH_OP_SAVEDBEFORE }, { "SAVEDON", SEARCH_OP_SAVEDON },
	{ "SAVEDSINCE", SEARCH_OP_SAVEDSINCE },
};

static void node_free(struct search_node *node)
{
	for (size_t i = 0; i < node->child_count; i++)
		node_free(&node->children[i]);
	free(node->children);
	free(node->name);
	free(node->str);
	free(node->candidates);
	seqset_free(&node->set);
	memset(node, 0, sizeof(*node));
}

void search_program_free(struct search_program *prog)
{
	node_free(&prog->root);
	memset(prog, 0, sizeof(*prog));
}

bool search_charset_known(const char *charset)
{
	struct buf probe = BUF_INIT;
	int r = mail_charset_to_utf8(charset, "", 0, &probe);
	buf_free(&probe);
	return r == 0;
}

static bool fail(struct parse_ctx *ctx, const char *error)
{
	if (ctx->error == NULL)
		ctx->error = error;
	return false;
}

static struct search_node *add_child(struct search_node *parent)
{
	parent->children = xrealloc(parent->children,
				    (parent->child_count + 1) * sizeof(*parent->children));
	struct search_node *child = &parent->children[parent->child_count++];
	memset(child, 0, sizeof(*child));
	return child;
}

/* Takes the next argument, or fails with "missing argument". */
static const struct imap_arg *next_arg(struct parse_ctx *ctx,
				       const struct imap_arg *args,
				       size_t count, size_t *pos)
{
	if (*pos >= count) {
		fail(ctx, "Missing argument to a search key");
		return NULL;
	}
	return &args[(*pos)++];
}

/* A string argument, converted from the CHARSET to UTF-8 and folded. */
static bool parse_string(struct parse_ctx *ctx, const struct imap_arg *arg,
			 struct search_node *node)
{
	const char *s;
	size_t len;
	if (arg == NULL)
		return false;
	if (!imap_arg_as_astring(arg, &s, &len))
		return fail(ctx, "Search key needs a string");
	struct buf utf8 = BUF_INIT, folded = BUF_INIT;
	if (mail_charset_to_utf8(ctx->charset, s, len, &utf8) < 0) {
		buf_free(&utf8);
		ctx->result = SEARCH_PARSE_BADCHARSET;
		return fail(ctx, "Unknown charset");
	}
	search_fold(utf8.data == NULL ? "" : utf8.data, utf8.len, &folded);
	node->str_len = folded.len;
	node->str = folded.data == NULL ? xstrdup("") : buf_steal(&folded);
	buf_free(&utf8);
	return true;
}

static bool parse_date(struct parse_ctx *ctx, const struct imap_arg *arg,
		       struct search_node *node)
{
	const char *s;
	size_t len;
	if (arg == NULL)
		return false;
	if (!imap_arg_as_astring(arg, &s, &len) ||
	    imapdate_parse_date(s, len, &node->date) < 0)
		return fail(ctx, "Invalid search date");
	return true;
}

static bool parse_number(struct parse_ctx *ctx, const struct imap_arg *arg,
			 struct search_node *node)
{
	if (arg == NULL)
		return false;
	if (arg->type != IMAP_ARG_ATOM || str_to_u64(arg->str, arg->len, &node->number) < 0)
		return fail(ctx, "Invalid number");
	return true;
}

/* RFC 5032 3: OLDER / YOUNGER take an nz-number of seconds (RFC 3501
 * number: 32 bits). The target instant is fixed here, "the current date
 * and time of the server" when the command arrives (RFC 5032 2). */
static bool parse_interval(struct parse_ctx *ctx, const struct imap_arg *arg,
			   struct search_node *node)
{
	uint32_t seconds;
	if (arg == NULL)
		return false;
	if (arg->type != IMAP_ARG_ATOM ||
	    str_to_u32(arg->str, arg->len, &seconds) < 0 || seconds == 0)
		return fail(ctx, "OLDER and YOUNGER take a number of seconds above 0");
	node->date = time(NULL) - (time_t)seconds;
	return true;
}

/* RFC 8474 7: objectid = 1*255(ALPHA / DIGIT / "_" / "-"), compared
 * case-sensitively; an id this server never gave out matches nothing. */
static bool parse_objectid(struct parse_ctx *ctx, const struct imap_arg *arg,
			   struct search_node *node)
{
	const char *s;
	size_t len;
	if (arg == NULL)
		return false;
	if (!imap_arg_as_astring(arg, &s, &len) || !objectid_valid(s, len))
		return fail(ctx, "Invalid object id");
	node->str = xstrndup(s, len);
	node->str_len = len;
	if (node->op == SEARCH_OP_THREADID &&
	    objectid_thread_parse(s, len, &node->number) < 0)
		node->number = 0;	/* no message has thread 0 */
	if (node->op == SEARCH_OP_EMAILID &&
	    objectid_email_date(s, len, &node->date) < 0)
		node->op = SEARCH_OP_NOT;	/* NOT ALL: nothing */
	if (node->op == SEARCH_OP_NOT) {
		free(node->str);
		node->str = NULL;
		node->str_len = 0;
		add_child(node)->op = SEARCH_OP_ALL;
	}
	return true;
}

/* A sequence set or "$" (RFC 5182 2.1: "$" stands alone). */
static bool parse_set(struct parse_ctx *ctx, const struct imap_arg *arg,
		      bool uid, struct search_node *node)
{
	const char *error;
	if (arg == NULL)
		return false;
	if (arg->type != IMAP_ARG_ATOM)
		return fail(ctx, "Invalid sequence set");
	if (arg->len == 1 && arg->str[0] == '$') {
		node->op = SEARCH_OP_SAVED;
		ctx->prog->uses_saved = true;
		return true;
	}
	node->op = uid ? SEARCH_OP_UIDSET : SEARCH_OP_SEQSET;
	if (!uid)
		ctx->prog->uses_seqs = true;
	if (seqset_parse(arg->str, arg->len, &node->set, &error) < 0)
		return fail(ctx, error);
	return true;
}

static bool parse_key(struct parse_ctx *ctx, const struct imap_arg *args,
		      size_t count, size_t *pos, unsigned depth,
		      struct search_node *node);

/* Keys args[0..count) into node as an AND (the top level and lists). */
static bool parse_and(struct parse_ctx *ctx, const struct imap_arg *args,
		      size_t count, unsigned depth, struct search_node *node)
{
	node->op = SEARCH_OP_AND;
	if (count == 0)
		return fail(ctx, "Empty search program");
	size_t pos = 0;
	while (pos < count) {
		if (!parse_key(ctx, args, count, &pos, depth, add_child(node)))
			return false;
	}
	return true;
}

static bool parse_keyword(struct parse_ctx *ctx, const struct imap_arg *arg,
			  struct search_node *node)
{
	if (arg == NULL)
		return false;
	if (arg->type != IMAP_ARG_ATOM || arg->len == 0 ||
	    arg->len > STORE_KEYWORD_MAX_LEN || arg->str[0] == '\\')
		return fail(ctx, "Invalid keyword");
	node->op = SEARCH_OP_KEYWORD;
	node->str = xstrndup(arg->str, arg->len);
	node->str_len = arg->len;
	return true;
}

/* Keys made only of a name (and no argument). */
static bool parse_simple(const char *name, struct search_node *node)
{
	for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++) {
		if (strcmp(name, flag_keys[i].name) != 0)
			continue;
		struct search_node *target = node;
		if (flag_keys[i].negated) {
			node->op = SEARCH_OP_NOT;
			target = add_child(node);
		}
		target->op = SEARCH_OP_FLAG;
		target->flags = flag_keys[i].flag;
		return true;
	}
	/* RFC 8514 4.3: every mailbox here keeps save dates, so
	 * SAVEDATESUPPORTED matches every message. */
	if (strcmp(name, "ALL") == 0 || strcmp(name, "SAVEDATESUPPORTED") == 0) {
		node->op = SEARCH_OP_ALL;
	} else if (strcmp(name, "RECENT") == 0) {
		node->op = SEARCH_OP_RECENT;
	} else if (strcmp(name, "OLD") == 0) {
		node->op = SEARCH_OP_NOT;
		add_child(node)->op = SEARCH_OP_RECENT;
	} else if (strcmp(name, "NEW") == 0) {
		/* RFC 3501 6.4.4: NEW is "(RECENT UNSEEN)" */
		node->op = SEARCH_OP_AND;
		add_child(node)->op = SEARCH_OP_RECENT;
		struct search_node *not = add_child(node);
		not->op = SEARCH_OP_NOT;
		struct search_node *seen = add_child(not);
		seen->op = SEARCH_OP_FLAG;
		seen->flags = STORE_FLAG_SEEN;
	} else {
		return false;
	}
	return true;
}

static bool parse_named(struct parse_ctx *ctx, const char *name,
			const struct imap_arg *args, size_t count, size_t *pos,
			unsigned depth, struct search_node *node)
{
	for (size_t i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++) {
		if (strcmp(name, header_keys[i].key) == 0) {
			node->op = SEARCH_OP_HEADER;
			node->name = xstrdup(header_keys[i].field);
			return parse_string(ctx, next_arg(ctx, args, count, pos), node);
		}
	}
	for (size_t i = 0; i < sizeof(date_keys) / sizeof(date_keys[0]); i++) {
		if (strcmp(name, date_keys[i].name) == 0) {
			node->op = date_keys[i].op;
			return parse_date(ctx, next_arg(ctx, args, count, pos), node);
		}
	}
	if (strcmp(name, "BODY") == 0 || strcmp(name, "TEXT") == 0) {
		node->op = name[0] == 'B' ? SEARCH_OP_BODY : SEARCH_OP_TEXT;
		return parse_string(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "HEADER") == 0) {
		const struct imap_arg *field = next_arg(ctx, args, count, pos);
		const char *s;
		size_t len;
		if (field == NULL)
			return false;
		if (!imap_arg_as_astring(field, &s, &len) || len == 0 ||
		    memchr(s, '\0', len) != NULL)
			return fail(ctx, "Invalid header field name");
		node->op = SEARCH_OP_HEADER;
		node->name = xstrndup(s, len);
		return parse_string(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "KEYWORD") == 0 || strcmp(name, "UNKEYWORD") == 0) {
		struct search_node *target = node;
		if (name[0] == 'U') {
			node->op = SEARCH_OP_NOT;
			target = add_child(node);
		}
		return parse_keyword(ctx, next_arg(ctx, args, count, pos), target);
	}
	if (strcmp(name, "LARGER") == 0 || strcmp(name, "SMALLER") == 0) {
		node->op = name[0] == 'L' ? SEARCH_OP_LARGER : SEARCH_OP_SMALLER;
		return parse_number(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "UID") == 0)
		return parse_set(ctx, next_arg(ctx, args, count, pos), true, node);
	if (strcmp(name, "OLDER") == 0 || strcmp(name, "YOUNGER") == 0) {
		node->op = name[0] == 'O' ? SEARCH_OP_OLDER : SEARCH_OP_YOUNGER;
		return parse_interval(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "EMAILID") == 0 || strcmp(name, "THREADID") == 0) {
		node->op = name[0] == 'E' ? SEARCH_OP_EMAILID : SEARCH_OP_THREADID;
		return parse_objectid(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "MODSEQ") == 0) {
		/* RFC 7162 3.1.5: MODSEQ ["/flags/..." priv|shared|all] n.
		 * One modseq per message here, so the entry only needs to
		 * be well-formed. */
		node->op = SEARCH_OP_MODSEQ;
		ctx->prog->uses_modseq = true;
		if (*pos < count && args[*pos].type == IMAP_ARG_QUOTED) {
			(*pos)++;	/* the entry name */
			const struct imap_arg *t = *pos < count ? &args[*pos] : NULL;
			if (t == NULL || !(imap_arg_atom_equals(t, "priv") ||
					   imap_arg_atom_equals(t, "shared") ||
					   imap_arg_atom_equals(t, "all")))
				return fail(ctx, "Invalid MODSEQ entry type");
			(*pos)++;
		}
		return parse_number(ctx, next_arg(ctx, args, count, pos), node);
	}
	if (strcmp(name, "NOT") == 0) {
		node->op = SEARCH_OP_NOT;
		return parse_key(ctx, args, count, pos, depth + 1, add_child(node));
	}
	if (strcmp(name, "OR") == 0) {
		node->op = SEARCH_OP_OR;
		return parse_key(ctx, args, count, pos, depth + 1, add_child(node)) &&
		       parse_key(ctx, args, count, pos, depth + 1, add_child(node));
	}
	return fail(ctx, "Unknown search key");
}

static bool parse_key(struct parse_ctx *ctx, const struct imap_arg *args,
		      size_t count, size_t *pos, unsigned depth,
		      struct search_node *node)
{
	if (depth > SEARCH_MAX_DEPTH)
		return fail(ctx, "Search program nested too deeply");
	if (++ctx->prog->node_count > SEARCH_MAX_NODES)
		return fail(ctx, "Search program too large");
	if (*pos >= count)
		return fail(ctx, "Missing search key");
	const struct imap_arg *arg = &args[(*pos)++];
	if (arg->type == IMAP_ARG_LIST)
		return parse_and(ctx, arg->list, arg->list_count, depth + 1, node);
	if (arg->type != IMAP_ARG_ATOM)
		return fail(ctx, "Search key expected");
	char c = arg->str[0];
	if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
		(*pos)--;
		return parse_set(ctx, next_arg(ctx, args, count, pos), false, node);
	}
	char name[24];	/* the longest key, SAVEDATESUPPORTED, fits */
	if (arg->len >= sizeof(name))
		return fail(ctx, "Unknown search key");
	for (size_t i = 0; i < arg->len; i++)
		name[i] = (char)(arg->str[i] >= 'a' && arg->str[i] <= 'z' ?
				 arg->str[i] - 32 : arg->str[i]);
	name[arg->len] = '\0';
	if (parse_simple(name, node))
		return true;
	return parse_named(ctx, name, args, count, pos, depth, node);
}

static enum search_cost node_cost(const struct search_node *node)
{
	switch (node->op) {
	case SEARCH_OP_LARGER: case SEARCH_OP_SMALLER:
	case SEARCH_OP_BEFORE: case SEARCH_OP_ON: case SEARCH_OP_SINCE:
	case SEARCH_OP_OLDER: case SEARCH_OP_YOUNGER:
	case SEARCH_OP_SAVEDBEFORE: case SEARCH_OP_SAVEDON:
	case SEARCH_OP_SAVEDSINCE: case SEARCH_OP_EMAILID:
	case SEARCH_OP_THREADID:
	case SEARCH_OP_MODSEQ:	/* the view keeps no modseqs */
		return SEARCH_COST_RECORD;
	case SEARCH_OP_SENTBEFORE: case SEARCH_OP_SENTON:
	case SEARCH_OP_SENTSINCE: case SEARCH_OP_HEADER:
		return SEARCH_COST_HEADER;
	case SEARCH_OP_BODY: case SEARCH_OP_TEXT:
		return SEARCH_COST_TEXT;
	default:
		return SEARCH_COST_VIEW;
	}
}

static int cost_cmp(const void *a, const void *b)
{
	const struct search_node *x = a, *y = b;
	return (int)x->cost - (int)y->cost;
}

/* Computes costs bottom-up and puts cheap AND children first. */
static void finish_costs(struct search_node *node)
{
	node->cost = node_cost(node);
	for (size_t i = 0; i < node->child_count; i++) {
		finish_costs(&node->children[i]);
		if (node->children[i].cost > node->cost)
			node->cost = node->children[i].cost;
	}
	/* Stable enough: equal costs may swap, which changes no result. */
	if (node->op == SEARCH_OP_AND && node->child_count > 1)
		qsort(node->children, node->child_count,
		      sizeof(node->children[0]), cost_cmp);
}

enum search_parse_result search_program_parse(const struct imap_arg *args,
					      size_t count, const char *charset,
					      struct search_program *prog_r,
					      const char **error_r)
{
	struct parse_ctx ctx = {
		.charset = charset != NULL ? charset : "UTF-8",
		.prog = prog_r,
		.result = SEARCH_PARSE_BAD,
	};
	memset(prog_r, 0, sizeof(*prog_r));
	if (charset != NULL && !search_charset_known(charset)) {
		*error_r = "Unknown charset";
		return SEARCH_PARSE_BADCHARSET;
	}
	if (!parse_and(&ctx, args, count, 0, &prog_r->root)) {
		search_program_free(prog_r);
		*error_r = ctx.error != NULL ? ctx.error : "Invalid search program";
		return ctx.result;
	}
	finish_costs(&prog_r->root);
	return SEARCH_PARSE_OK;
}
