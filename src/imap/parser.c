/*
 * Incremental IMAP command parser.
 *
 * Input is cut into lines (ending at LF) and literals. A line is collected
 * whole (at most max_line_length bytes, so memory stays bounded) and only
 * then tokenized; that is what makes the result independent of how the
 * bytes were chunked. The tokenizer state that spans lines -- open lists,
 * argument count, whether a separator is due -- lives in struct cmd_state,
 * because a literal ends a line in the middle of a command.
 *
 * Every non-literal byte also goes through a tiny recognizer (struct
 * lit_scan) that answers one question at each LF: did this line end with
 * a literal announcement "{N}", "{N+}" or "{N-}"? When a command goes
 * wrong, that answer alone decides how much input still belongs to it, so
 * a bad command followed by a non-synchronizing literal can never smuggle
 * the literal's bytes in as commands (RFC 7888 3; DESIGN.md "Limits and
 * bad input"). The recognizer runs on lines whose contents are never
 * buffered (too long, or being skipped) as well.
 */
#include "imap/parser.h"

#include "imap/writer.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#define DEFAULT_MAX_LINE_LENGTH 65536
#define DEFAULT_MAX_LITERAL_SIZE (64ULL * 1024 * 1024)
#define DEFAULT_MAX_LIST_DEPTH 32
#define DEFAULT_MAX_ARGS 10000
#define DEFAULT_MAX_COMMAND_MEMORY ((size_t)96 * 1024 * 1024)
#define DEFAULT_SPILL_THRESHOLD (256 * 1024)
/* RFC 7888 5: the LITERAL- bound on non-synchronizing literals */
#define LITERAL_MINUS_MAX 4096
#define ARENA_CHUNK_SIZE 8192
/* The first chunk of a command is small and each next one twice as big, up
 * to ARENA_CHUNK_SIZE: a command waiting a long time (IDLE: "a IDLE", a few
 * dozen bytes) must not hold 8 KB for tens of thousands of connections. */
#define ARENA_FIRST_CHUNK 256

/* ---- per-command arena: everything a command points to ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	/* keeps data[] aligned for any object stored in it */
	_Alignas(16) char data[];
};

struct arena {
	struct arena_chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_chunk *c = a->head;
	if (c == NULL || c->cap - c->used < n) {
		size_t step = c == NULL ? ARENA_FIRST_CHUNK :
			c->cap >= ARENA_CHUNK_SIZE / 2 ? ARENA_CHUNK_SIZE : c->cap * 2;
		size_t cap = n > step ? n : step;
		c = xmalloc(sizeof(*c) + cap);
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Frees all but the largest ordinary chunk, which is kept for the next
 * command so small commands do not touch malloc at all. */
static void arena_clear(struct arena *a)
{
	struct arena_chunk *keep = NULL;
	while (a->head != NULL) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		if (c->cap <= ARENA_CHUNK_SIZE &&
		    (keep == NULL || c->cap > keep->cap)) {
			free(keep);
			keep = c;
			continue;
		}
		free(c);
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
		a->head = keep;
	}
}

static void arena_free(struct arena *a)
{
	arena_clear(a);
	free(a->head);
	a->head = NULL;
}

/* ---- literal announcement recognizer ---- */

enum scan_state {
	SCAN_NONE,
	SCAN_TILDE,	/* "~" */
	SCAN_DIGITS,	/* "{" DIGIT* */
	SCAN_SIGN,	/* "{" DIGIT+ ("+" / "-") */
	SCAN_CLOSE,	/* ... "}" */
	SCAN_CR,	/* ... "}" CR */
};

struct lit_scan {
	enum scan_state state;
	uint64_t value;
	unsigned digits;
	bool overflow;
	char sign;	/* 0, '+' or '-' */
};

static void scan_reset(struct lit_scan *s)
{
	memset(s, 0, sizeof(*s));
}

static void scan_byte(struct lit_scan *s, unsigned char c)
{
	switch (c) {
	case '{':
		s->state = SCAN_DIGITS;
		s->value = 0;
		s->digits = 0;
		s->overflow = false;
		s->sign = 0;
		return;
	case '~':
		s->state = SCAN_TILDE;
		return;
	case '+': case '-':
		if (s->state == SCAN_DIGITS && s->digits > 0) {
			s->state = SCAN_SIGN;
			s->sign = (char)c;
			return;
		}
		break;
	case '}':
		if ((s->state == SCAN_DIGITS && s->digits > 0) ||
		    s->state == SCAN_SIGN) {
			s->state = SCAN_CLOSE;
			return;
		}
		break;
	case '\r':
		if (s->state == SCAN_CLOSE) {
			s->state = SCAN_CR;
			return;
		}
		break;
	default:
		if (c >= '0' && c <= '9' && s->state == SCAN_DIGITS) {
			if (s->value > (UINT64_MAX - 9) / 10)
				s->overflow = true;
			s->value = s->value * 10 + (c - '0');
			s->digits++;
			return;
		}
		break;
	}
	s->state = SCAN_NONE;
}

static void scan_bytes(struct lit_scan *s, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		scan_byte(s, (unsigned char)data[i]);
}

/* At LF: did the line end with "{N+}" or "{N-}"? Those bytes follow
 * without a continuation, so they are part of the command whatever else
 * is wrong with it. */
static bool scan_nonsync_literal(const struct lit_scan *s)
{
	return (s->state == SCAN_CLOSE || s->state == SCAN_CR) &&
		s->sign != 0;
}

/* ---- parser state ---- */

enum parser_state {
	ST_LINE,		/* collecting a command line */
	ST_LITERAL,		/* reading an accepted literal's bytes */
	ST_SKIP_LINE,		/* discarding the rest of a bad command's line */
	ST_SKIP_LITERAL,	/* discarding a bad command's literal */
	ST_SKIP_RAW,		/* discarding the rest of a too long raw line */
	ST_FATAL,
};

enum pending {
	PENDING_NONE,
	PENDING_COMMAND,
	PENDING_ERROR,
	PENDING_LINE,
};

struct arg_vec {
	struct imap_arg *items;
	size_t count, cap;
};

/* Tokenizer state of the command being read, kept across its lines. */
struct cmd_state {
	bool started;		/* tag and name read */
	const char *tag;	/* in the arena; may be set before started */
	const char *name;
	unsigned depth;		/* open lists */
	size_t nargs;
	size_t memory;
	bool need_sep;		/* the last thing read was an argument */
};

struct literal_state {
	unsigned level;		/* the arg is levels[level].items[index] */
	size_t index;
	uint64_t remaining;
	uint64_t filled;
	bool to_file;
};

struct imap_parser {
	struct imap_parser_limits lim;
	char *spill_dir;
	enum parser_state state;
	enum pending pending;

	struct buf line;
	struct lit_scan scan;

	struct arena arena;
	struct cmd_state cmd;
	struct arg_vec *levels;	/* grown with the depth, up to max_list_depth + 1 */
	unsigned levels_cap;
	struct literal_state lit;
	EVP_MD_CTX *md;
	int *fds;		/* temporary files of this command */
	size_t fds_count, fds_cap;

	uint64_t skip_remaining;
	struct imap_command result;
	struct imap_parser_error err;
};

void imap_parser_limits_default(struct imap_parser_limits *limits_r)
{
	memset(limits_r, 0, sizeof(*limits_r));
	limits_r->max_line_length = DEFAULT_MAX_LINE_LENGTH;
	limits_r->max_literal_size = DEFAULT_MAX_LITERAL_SIZE;
	limits_r->max_list_depth = DEFAULT_MAX_LIST_DEPTH;
	limits_r->max_args = DEFAULT_MAX_ARGS;
	limits_r->max_command_memory = DEFAULT_MAX_COMMAND_MEMORY;
	limits_r->literal_spill_threshold = DEFAULT_SPILL_THRESHOLD;
}

struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));
	struct imap_parser_limits def;
	imap_parser_limits_default(&def);
	if (limits != NULL) {
		p->lim = *limits;
		if (p->lim.max_line_length == 0)
			p->lim.max_line_length = def.max_line_length;
		if (p->lim.max_literal_size == 0)
			p->lim.max_literal_size = def.max_literal_size;
		if (p->lim.max_list_depth == 0)
			p->lim.max_list_depth = def.max_list_depth;
		if (p->lim.max_args == 0)
			p->lim.max_args = def.max_args;
		if (p->lim.max_command_memory == 0)
			p->lim.max_command_memory = def.max_command_memory;
		if (p->lim.literal_spill_threshold == 0)
			p->lim.literal_spill_threshold =
				def.literal_spill_threshold;
	} else {
		p->lim = def;
	}
	/* RFC 3501 9: number is 32 bits, whatever the configuration says */
	if (p->lim.max_literal_size > UINT32_MAX)
		p->lim.max_literal_size = UINT32_MAX;
	if (p->lim.spill_dir != NULL)
		p->spill_dir = xstrdup(p->lim.spill_dir);
	p->lim.spill_dir = p->spill_dir;
	p->levels_cap = 1;
	p->levels = xcalloc(p->levels_cap, sizeof(*p->levels));
	buf_init(&p->line);
	return p;
}

void imap_parser_set_utf8(struct imap_parser *p, bool utf8_quoted)
{
	p->lim.utf8_quoted = utf8_quoted;
}

/* Drops everything the current command owns. Input-stream state (state,
 * skip_remaining, a partial line) is left alone. */
static void release_command(struct imap_parser *p)
{
	for (size_t i = 0; i < p->fds_count; i++) {
		if (p->fds[i] >= 0)
			close(p->fds[i]);
	}
	p->fds_count = 0;
	arena_clear(&p->arena);
	for (unsigned i = 0; i < p->levels_cap; i++)
		p->levels[i].count = 0;
	memset(&p->cmd, 0, sizeof(p->cmd));
	memset(&p->lit, 0, sizeof(p->lit));
	memset(&p->result, 0, sizeof(p->result));
	if (p->state != ST_FATAL)
		memset(&p->err, 0, sizeof(p->err));
}

void imap_parser_reset(struct imap_parser *p)
{
	if (p->pending == PENDING_LINE)
		buf_reset(&p->line);
	else if (p->pending != PENDING_NONE)
		release_command(p);
	p->pending = PENDING_NONE;
}

void imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = pp == NULL ? NULL : *pp;
	if (p == NULL)
		return;
	release_command(p);
	arena_free(&p->arena);
	for (unsigned i = 0; i < p->levels_cap; i++)
		free(p->levels[i].items);
	free(p->levels);
	free(p->fds);
	EVP_MD_CTX_free(p->md);
	buf_free(&p->line);
	free(p->spill_dir);
	free(p);
	*pp = NULL;
}

bool imap_parser_busy(const struct imap_parser *p)
{
	if (p->state != ST_LINE)
		return p->state != ST_FATAL;
	if (p->line.len > 0 && p->pending != PENDING_LINE)
		return true;
	return p->cmd.started && p->pending == PENDING_NONE;
}

struct imap_command *imap_parser_command(struct imap_parser *p)
{
	return p->pending == PENDING_COMMAND ? &p->result : NULL;
}

const struct imap_parser_error *imap_parser_error(struct imap_parser *p)
{
	return p->pending == PENDING_ERROR || p->state == ST_FATAL ?
		&p->err : NULL;
}

void imap_parser_error_reply(const struct imap_parser_error *err,
			     struct buf *out)
{
	if (err->fatal) {
		buf_append_str(out, "* BYE ");
	} else {
		buf_append_str(out, err->tag != NULL ? err->tag : "*");
		buf_append_char(out, ' ');
		buf_append_str(out, err->status);
		buf_append_char(out, ' ');
		if (err->code != NULL) {
			buf_append_char(out, '[');
			buf_append_str(out, err->code);
			buf_append(out, "] ", 2);
		}
	}
	buf_append_str(out, err->reason);
	buf_append(out, "\r\n", 2);
}

int imap_parser_take_literal_fd(struct imap_parser *p, struct imap_arg *arg)
{
	if (arg->type != IMAP_ARG_LITERAL_FILE || arg->fd < 0)
		return -1;
	int fd = arg->fd;
	for (size_t i = 0; i < p->fds_count; i++) {
		if (p->fds[i] == fd)
			p->fds[i] = -1;
	}
	arg->fd = -1;
	return fd;
}

/* ---- errors ---- */

static void set_error(struct imap_parser *p, const char *status,
		      const char *code, const char *reason)
{
	p->err.tag = p->cmd.tag;
	p->err.status = status;
	p->err.code = code;
	p->err.reason = reason;
	p->err.fatal = false;
}

static void bad(struct imap_parser *p, const char *reason)
{
	set_error(p, "BAD", NULL, reason);
}

static enum imap_parse_result go_fatal(struct imap_parser *p,
				       const char *reason)
{
	p->err.tag = NULL;
	p->err.status = "BAD";
	p->err.code = NULL;
	p->err.reason = reason;
	p->err.fatal = true;
	p->state = ST_FATAL;
	p->pending = PENDING_ERROR;
	return IMAP_PARSE_ERROR;
}

/* After a bad line (consumed through its LF, p->err set): the command
 * continues only if the line announced a non-synchronizing literal. */
static enum imap_parse_result fail_line(struct imap_parser *p)
{
	buf_reset(&p->line);
	p->pending = PENDING_ERROR;
	if (scan_nonsync_literal(&p->scan)) {
		if (p->scan.overflow)
			return go_fatal(p, "Literal size does not fit in 64 bits");
		p->state = ST_SKIP_LITERAL;
		p->skip_remaining = p->scan.value;
	} else {
		p->state = ST_LINE;
	}
	scan_reset(&p->scan);
	return IMAP_PARSE_ERROR;
}

/* ---- tokenizer ---- */

/* tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 9) */
static bool is_tag_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*':
	case '"': case '\\': case '+':
		return false;
	default:
		return true;
	}
}

/* Characters that may appear in an atom outside brackets. Wider than
 * ATOM-CHAR: "%" and "*" (list-wildcards, "1:*"), "\" (flags) and "]"
 * (ASTRING-CHAR) must all arrive as atoms, and the handler that knows
 * the context checks the details. */
static bool is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

static bool tag_is_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_tag_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Reads the tag from the start of a first line, if it is complete and
 * valid, so errors found later still get a tagged reply. */
static void guess_tag(struct imap_parser *p, const char *s, size_t len)
{
	const char *sp = memchr(s, ' ', len);
	if (p->cmd.started || p->cmd.tag != NULL || sp == NULL)
		return;
	if (tag_is_valid(s, (size_t)(sp - s)))
		p->cmd.tag = arena_strndup(&p->arena, s, (size_t)(sp - s));
}

static struct imap_arg *push_arg(struct imap_parser *p,
				 enum imap_arg_type type)
{
	struct arg_vec *v = &p->levels[p->cmd.depth];
	if (v->count == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->items = xrealloc(v->items, v->cap * sizeof(*v->items));
	}
	struct imap_arg *a = &v->items[v->count++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->fd = -1;
	p->cmd.nargs++;
	p->cmd.need_sep = true;
	return a;
}

/* Copies a finished level into the arena, where it stays put. */
static struct imap_arg *freeze_level(struct imap_parser *p, unsigned level,
				     size_t *count_r)
{
	struct arg_vec *v = &p->levels[level];
	struct imap_arg *arr = arena_alloc(&p->arena,
					   v->count * sizeof(*arr) + 1);
	if (v->count > 0)
		memcpy(arr, v->items, v->count * sizeof(*arr));
	*count_r = v->count;
	v->count = 0;
	return arr;
}

static int parse_tag_and_name(struct imap_parser *p, const char *s,
			      size_t len, size_t *pos_r)
{
	const char *sp = memchr(s, ' ', len);
	size_t tag_len = sp == NULL ? len : (size_t)(sp - s);
	if (tag_len == 0) {
		bad(p, "Missing tag");
		return -1;
	}
	if (!tag_is_valid(s, tag_len)) {
		bad(p, "Invalid characters in tag");
		return -1;
	}
	p->cmd.tag = arena_strndup(&p->arena, s, tag_len);
	if (memchr(s, '\0', len) != NULL) {
		bad(p, "NUL byte in command");
		return -1;
	}
	size_t start = tag_len + 1, end = start;
	while (end < len && s[end] != ' ')
		end++;
	if (sp == NULL || end == start) {
		bad(p, "Missing command name");
		return -1;
	}
	char *name = arena_strndup(&p->arena, s + start, end - start);
	for (char *c = name; *c != '\0'; c++) {
		if (!is_atom_char((unsigned char)*c) || *c == '[') {
			bad(p, "Invalid command name");
			return -1;
		}
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	}
	p->cmd.name = name;
	p->cmd.started = true;
	p->cmd.need_sep = true;
	*pos_r = end;
	return 0;
}

static int parse_atom(struct imap_parser *p, const char *s, size_t len,
		      size_t *pos)
{
	size_t i = *pos;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '[') {
			/* FETCH BODY[HEADER.FIELDS (A B)]<0.10> is one
			   token: the section runs to the matching "]" */
			size_t k = i + 1;
			while (k < len && s[k] != ']') {
				unsigned char b = (unsigned char)s[k];
				if (b < 0x20 || b >= 0x7f) {
					bad(p, b >= 0x80 ?
					    "8-bit character outside quoted string" :
					    "Invalid control character");
					return -1;
				}
				k++;
			}
			if (k == len) {
				bad(p, "Missing ']'");
				return -1;
			}
			i = k + 1;
		} else if (is_atom_char(c)) {
			i++;
		} else {
			break;
		}
	}
	assert(i > *pos);
	struct imap_arg *a = push_arg(p, IMAP_ARG_ATOM);
	a->str = arena_strndup(&p->arena, s + *pos, i - *pos);
	a->len = i - *pos;
	*pos = i;
	return 0;
}

static int parse_quoted(struct imap_parser *p, const char *s, size_t len,
			size_t *pos)
{
	size_t i = *pos + 1, out_len = 0;
	bool eight_bit = false;
	/* RFC 3501 9: QUOTED-CHAR is any TEXT-CHAR except quoted-specials,
	   or "\" quoted-specials */
	for (; i < len && s[i] != '"'; i++, out_len++) {
		if (s[i] == '\\') {
			if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				bad(p, "Invalid escape in quoted string");
				return -1;
			}
			i++;
		} else if ((unsigned char)s[i] >= 0x80) {
			eight_bit = true;
		}
	}
	if (i == len) {
		bad(p, "Unterminated quoted string");
		return -1;
	}
	char *out = arena_alloc(&p->arena, out_len + 1);
	size_t o = 0;
	for (size_t k = *pos + 1; k < i; k++) {
		if (s[k] == '\\')
			k++;
		out[o++] = s[k];
	}
	out[o] = '\0';
	assert(o == out_len);
	if (eight_bit) {
		if (!p->lim.utf8_quoted) {
			bad(p, "8-bit characters in quoted string (UTF8=ACCEPT not enabled)");
			return -1;
		}
		/* RFC 6855 3: utf8-quoted must be valid UTF-8 */
		if (!imap_write_is_quotable(out, out_len, IMAP_WRITE_UTF8)) {
			bad(p, "Invalid UTF-8 in quoted string");
			return -1;
		}
	}
	struct imap_arg *a = push_arg(p, IMAP_ARG_QUOTED);
	a->str = out;
	a->len = out_len;
	*pos = i + 1;
	return 0;
}

static int open_spill_file(struct imap_parser *p)
{
	int fd = open(p->spill_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
		       errno == EINVAL)) {
		/* filesystems without O_TMPFILE: same effect, by hand */
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/.quire-literal-XXXXXX", p->spill_dir);
		fd = mkostemp(path.data, O_CLOEXEC);
		if (fd >= 0)
			unlink(path.data);
		buf_free(&path);
	}
	if (fd < 0)
		return -1;
	if (p->md == NULL)
		p->md = EVP_MD_CTX_new();
	if (p->md == NULL || EVP_DigestInit_ex(p->md, EVP_sha256(), NULL) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * "{" number ["+"] "}" CRLF, or "~{" ... for literal8 (RFC 3501 9,
 * RFC 7888 8, RFC 3516 4.2). Returns 1 when accepted (p->lit set up,
 * *sync_r telling whether a continuation is due), -1 on error.
 */
static int parse_literal(struct imap_parser *p, const char *s, size_t len,
			 size_t pos, bool *sync_r)
{
	bool literal8 = s[pos] == '~';
	size_t i = pos + (literal8 ? 2 : 1);
	uint64_t value = 0;
	bool overflow = false;
	size_t digits_start = i;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (value > (UINT64_MAX - 9) / 10)
			overflow = true;
		value = value * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == digits_start) {
		bad(p, "Invalid literal size");
		return -1;
	}
	char sign = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		sign = s[i++];
	if (i >= len || s[i] != '}') {
		bad(p, "Invalid literal size");
		return -1;
	}
	if (i + 1 != len) {
		bad(p, "Literal must end the line");
		return -1;
	}
	if (sign == '-') {
		/* RFC 7888 5: LITERAL- still writes "{N+}"; "{N-}" is no
		   literal at all, but its bytes are swallowed just in case */
		bad(p, "Invalid literal: use {N+} for non-synchronizing literals");
		return -1;
	}
	if (overflow || value > p->lim.max_literal_size) {
		/* RFC 4469 4.2 (NO) for a literal the client waits on;
		   RFC 7888 5 (BAD) for one already on its way */
		set_error(p, sign ? "BAD" : "NO", "TOOBIG", "Literal too large");
		return -1;
	}
	if (sign && p->lim.literal_minus && value > LITERAL_MINUS_MAX) {
		set_error(p, "BAD", "TOOBIG",
			  "Non-synchronizing literal larger than 4096 bytes (LITERAL-)");
		return -1;
	}
	if (p->cmd.nargs >= p->lim.max_args) {
		bad(p, "Too many arguments");
		return -1;
	}
	bool to_file = p->spill_dir != NULL &&
		value > p->lim.literal_spill_threshold;
	if (!to_file && value > p->lim.max_command_memory - p->cmd.memory) {
		bad(p, "Command too large");
		return -1;
	}
	int fd = -1;
	if (to_file && (fd = open_spill_file(p)) < 0) {
		set_error(p, "NO", "UNAVAILABLE",
			  "Cannot store literal: temporary file failed");
		return -1;
	}
	struct imap_arg *a = push_arg(p, to_file ? IMAP_ARG_LITERAL_FILE :
				      IMAP_ARG_LITERAL);
	a->literal8 = literal8;
	a->size = value;
	if (to_file) {
		a->fd = fd;
		if (p->fds_count == p->fds_cap) {
			p->fds_cap = p->fds_cap ? p->fds_cap * 2 : 4;
			p->fds = xrealloc(p->fds, p->fds_cap * sizeof(*p->fds));
		}
		p->fds[p->fds_count++] = fd;
	} else {
		char *mem = arena_alloc(&p->arena, (size_t)value + 1);
		mem[value] = '\0';
		a->str = mem;
		a->len = (size_t)value;
		p->cmd.memory += (size_t)value;
	}
	p->lit.level = p->cmd.depth;
	p->lit.index = p->levels[p->cmd.depth].count - 1;
	p->lit.remaining = value;
	p->lit.filled = 0;
	p->lit.to_file = to_file;
	*sync_r = sign == 0;
	return 1;
}

static int open_list(struct imap_parser *p)
{
	if (p->cmd.depth >= p->lim.max_list_depth) {
		bad(p, "Lists nested too deeply");
		return -1;
	}
	push_arg(p, IMAP_ARG_LIST);
	if (p->cmd.depth + 1 >= p->levels_cap) {
		unsigned cap = p->cmd.depth + 2;
		p->levels = xrealloc(p->levels, cap * sizeof(*p->levels));
		memset(&p->levels[p->levels_cap], 0,
		       (cap - p->levels_cap) * sizeof(*p->levels));
		p->levels_cap = cap;
	}
	p->cmd.depth++;
	p->cmd.need_sep = false;
	return 0;
}

static int close_list(struct imap_parser *p)
{
	if (p->cmd.depth == 0) {
		bad(p, "Unexpected ')'");
		return -1;
	}
	size_t count;
	struct imap_arg *arr = freeze_level(p, p->cmd.depth, &count);
	p->cmd.depth--;
	struct arg_vec *parent = &p->levels[p->cmd.depth];
	struct imap_arg *list = &parent->items[parent->count - 1];
	assert(list->type == IMAP_ARG_LIST);
	list->list = arr;
	list->list_count = count;
	p->cmd.need_sep = true;
	return 0;
}

enum line_outcome {
	LINE_ERROR,
	LINE_EMPTY,
	LINE_DONE,
	LINE_LITERAL_SYNC,
	LINE_LITERAL_NONSYNC,
};

/* Tokenizes one complete line (without its CRLF) of the command. */
static enum line_outcome parse_line(struct imap_parser *p, const char *s,
				    size_t len)
{
	size_t pos = 0;
	if (!p->cmd.started) {
		if (len == 0)
			return LINE_EMPTY;
		if (parse_tag_and_name(p, s, len, &pos) < 0)
			return LINE_ERROR;
	} else if (memchr(s, '\0', len) != NULL) {
		bad(p, "NUL byte in command");
		return LINE_ERROR;
	}
	if (memchr(s, '\r', len) != NULL) {
		bad(p, "CR not followed by LF");
		return LINE_ERROR;
	}
	if (len > p->lim.max_command_memory - p->cmd.memory) {
		bad(p, "Command too large");
		return LINE_ERROR;
	}
	p->cmd.memory += len;

	while (pos < len) {
		unsigned char c = (unsigned char)s[pos];
		int ret = 0;
		if (c == ' ') {
			pos++;
			p->cmd.need_sep = false;
			continue;
		}
		if (c == ')') {
			if (close_list(p) < 0)
				return LINE_ERROR;
			pos++;
			continue;
		}
		if (c >= 0x80) {
			bad(p, "8-bit character outside quoted string");
			return LINE_ERROR;
		}
		if (c < 0x20 || c == 0x7f) {
			bad(p, "Invalid control character");
			return LINE_ERROR;
		}
		if (p->cmd.need_sep) {
			bad(p, "Missing space between arguments");
			return LINE_ERROR;
		}
		if (p->cmd.nargs >= p->lim.max_args) {
			bad(p, "Too many arguments");
			return LINE_ERROR;
		}
		if (c == '(') {
			ret = open_list(p);
			pos++;
		} else if (c == '"') {
			ret = parse_quoted(p, s, len, &pos);
		} else if (c == '{' || (c == '~' && pos + 1 < len &&
					s[pos + 1] == '{')) {
			bool sync;
			if (parse_literal(p, s, len, pos, &sync) < 0)
				return LINE_ERROR;
			return sync ? LINE_LITERAL_SYNC : LINE_LITERAL_NONSYNC;
		} else {
			ret = parse_atom(p, s, len, &pos);
		}
		if (ret < 0)
			return LINE_ERROR;
	}
	if (p->cmd.depth > 0) {
		bad(p, "Missing ')'");
		return LINE_ERROR;
	}
	return LINE_DONE;
}

static void finish_command(struct imap_parser *p)
{
	struct imap_command *r = &p->result;
	assert(p->cmd.depth == 0);
	r->tag = p->cmd.tag;
	r->name = p->cmd.name;
	r->args = freeze_level(p, 0, &r->args_count);
	r->full_name = r->name;
	r->cmd_args = r->args;
	r->cmd_args_count = r->args_count;
	if (strcmp(r->name, "UID") == 0 && r->args_count > 0 &&
	    r->args[0].type == IMAP_ARG_ATOM) {
		char *full = arena_alloc(&p->arena, 4 + r->args[0].len + 1);
		memcpy(full, "UID ", 4);
		for (size_t i = 0; i < r->args[0].len; i++) {
			char c = r->args[0].str[i];
			full[4 + i] = c >= 'a' && c <= 'z' ?
				(char)(c - 'a' + 'A') : c;
		}
		full[4 + r->args[0].len] = '\0';
		r->full_name = full;
		r->cmd_args = r->args + 1;
		r->cmd_args_count = r->args_count - 1;
	}
	p->pending = PENDING_COMMAND;
}

/* ---- byte-level machinery ---- */

enum collect_result {
	COLLECT_MORE,	/* all input used, no LF yet */
	COLLECT_LINE,	/* LF consumed; p->line holds the line (CR kept) */
	COLLECT_TOO_LONG,
};

/* Appends bytes to p->line up to the next LF. A line may hold
 * max_line_length bytes plus the CR of its CRLF; the byte after that is
 * where "too long" is detected, whatever the chunking. */
static enum collect_result collect_line(struct imap_parser *p,
					const char *data, size_t len,
					size_t *pos)
{
	const char *start = data + *pos;
	size_t avail = len - *pos;
	const char *lf = memchr(start, '\n', avail);
	size_t n = lf != NULL ? (size_t)(lf - start) : avail;
	size_t room = p->lim.max_line_length + 1 - p->line.len;
	if (n > room) {
		scan_bytes(&p->scan, start, room + 1);
		buf_append(&p->line, start, room);
		*pos += room + 1;
		return COLLECT_TOO_LONG;
	}
	scan_bytes(&p->scan, start, n);
	buf_append(&p->line, start, n);
	*pos += n;
	if (lf == NULL)
		return COLLECT_MORE;
	(*pos)++;
	return COLLECT_LINE;
}

/* Length of the collected line without its trailing CR; -1 when it is
 * too long after all. */
static ssize_t line_content_len(struct imap_parser *p)
{
	size_t n = p->line.len;
	if (n > 0 && p->line.data[n - 1] == '\r')
		n--;
	return n > p->lim.max_line_length ? -1 : (ssize_t)n;
}

/* A complete line is in p->line: parse it and move on. */
static enum imap_parse_result handle_line(struct imap_parser *p, bool *again_r)
{
	*again_r = false;
	ssize_t n = line_content_len(p);
	enum line_outcome out;
	if (n < 0) {
		guess_tag(p, p->line.data, p->line.len);
		bad(p, "Line too long");
		out = LINE_ERROR;
	} else {
		out = parse_line(p, p->line.data, (size_t)n);
	}
	switch (out) {
	case LINE_ERROR:
		return fail_line(p);
	case LINE_EMPTY:
		*again_r = true;
		break;
	case LINE_DONE:
		finish_command(p);
		break;
	case LINE_LITERAL_SYNC:
	case LINE_LITERAL_NONSYNC:
		p->state = ST_LITERAL;
		break;
	}
	buf_reset(&p->line);
	scan_reset(&p->scan);
	if (out == LINE_LITERAL_NONSYNC)
		*again_r = true;
	return out == LINE_DONE ? IMAP_PARSE_COMMAND :
		IMAP_PARSE_NEED_CONTINUATION;
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t ret = write(fd, data, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return false;
		data += ret;
		len -= (size_t)ret;
	}
	return true;
}

/* Reads literal bytes. Returns 1 when the literal is complete, 0 when more
 * is needed, -1 on a write error (p->err set, rest being skipped). */
static int read_literal(struct imap_parser *p, const char *data, size_t len,
			size_t *pos)
{
	struct imap_arg *a = &p->levels[p->lit.level].items[p->lit.index];
	size_t avail = len - *pos;
	size_t n = p->lit.remaining < avail ? (size_t)p->lit.remaining : avail;
	const char *src = data + *pos;
	if (n > 0 && memchr(src, '\0', n) != NULL)
		a->has_nul = true;
	if (p->lit.to_file) {
		if (!write_all(a->fd, src, n) ||
		    EVP_DigestUpdate(p->md, src, n) != 1) {
			*pos += n;
			set_error(p, "NO", "UNAVAILABLE",
				  "Cannot store literal: write failed");
			p->skip_remaining = p->lit.remaining - n;
			p->state = ST_SKIP_LITERAL;
			p->pending = PENDING_ERROR;
			return -1;
		}
	} else {
		memcpy((char *)a->str + p->lit.filled, src, n);
	}
	*pos += n;
	p->lit.filled += n;
	p->lit.remaining -= n;
	if (p->lit.remaining > 0)
		return 0;
	if (p->lit.to_file) {
		unsigned int md_len = 0;
		if (EVP_DigestFinal_ex(p->md, a->sha256, &md_len) != 1 ||
		    md_len != sizeof(a->sha256) ||
		    lseek(a->fd, 0, SEEK_SET) != 0) {
			set_error(p, "NO", "UNAVAILABLE",
				  "Cannot store literal: temporary file failed");
			p->state = ST_SKIP_LINE;
			p->pending = PENDING_ERROR;
			return -1;
		}
	}
	p->state = ST_LINE;
	p->cmd.need_sep = true;
	return 1;
}

/* Discards input of a bad command. Returns true when the skipping is over
 * (or turned fatal: check p->state), false when all input was used. */
static bool skip_input(struct imap_parser *p, const char *data, size_t len,
		       size_t *pos)
{
	for (;;) {
		if (p->state == ST_SKIP_LITERAL) {
			size_t avail = len - *pos;
			size_t n = p->skip_remaining < avail ?
				(size_t)p->skip_remaining : avail;
			*pos += n;
			p->skip_remaining -= n;
			if (p->skip_remaining > 0)
				return false;
			p->state = ST_SKIP_LINE;
			scan_reset(&p->scan);
		}
		if (*pos == len)
			return false;
		const char *start = data + *pos;
		size_t avail = len - *pos;
		const char *lf = memchr(start, '\n', avail);
		size_t n = lf != NULL ? (size_t)(lf - start) : avail;
		if (p->state == ST_SKIP_LINE)
			scan_bytes(&p->scan, start, n);
		*pos += n;
		if (lf == NULL)
			return false;
		(*pos)++;
		if (p->state == ST_SKIP_LINE && scan_nonsync_literal(&p->scan)) {
			if (p->scan.overflow) {
				go_fatal(p, "Literal size does not fit in 64 bits");
				return true;
			}
			p->state = ST_SKIP_LITERAL;
			p->skip_remaining = p->scan.value;
			continue;
		}
		p->state = ST_LINE;
		scan_reset(&p->scan);
		return true;
	}
}

static bool is_skipping(const struct imap_parser *p)
{
	return p->state == ST_SKIP_LINE || p->state == ST_SKIP_LITERAL ||
		p->state == ST_SKIP_RAW;
}

enum imap_parse_result imap_parser_feed(struct imap_parser *p,
					const char *data, size_t len,
					size_t *consumed_r)
{
	size_t pos = 0;
	imap_parser_reset(p);
	*consumed_r = 0;
	if (p->state == ST_FATAL) {
		p->pending = PENDING_ERROR;
		return IMAP_PARSE_ERROR;
	}
	for (;;) {
		if (is_skipping(p)) {
			if (!skip_input(p, data, len, &pos))
				break;
			if (p->state == ST_FATAL) {
				*consumed_r = pos;
				return IMAP_PARSE_ERROR;
			}
			continue;
		}
		if (p->state == ST_LITERAL) {
			int ret = read_literal(p, data, len, &pos);
			if (ret < 0) {
				*consumed_r = pos;
				return IMAP_PARSE_ERROR;
			}
			if (ret == 0)
				break;
			continue;
		}
		assert(p->state == ST_LINE);
		if (pos == len)
			break;
		enum collect_result cr = collect_line(p, data, len, &pos);
		if (cr == COLLECT_MORE)
			break;
		if (cr == COLLECT_TOO_LONG) {
			guess_tag(p, p->line.data, p->line.len);
			bad(p, "Line too long");
			buf_reset(&p->line);
			p->state = ST_SKIP_LINE;
			p->pending = PENDING_ERROR;
			*consumed_r = pos;
			return IMAP_PARSE_ERROR;
		}
		bool again;
		enum imap_parse_result r = handle_line(p, &again);
		if (again)
			continue;
		*consumed_r = pos;
		return r;
	}
	*consumed_r = pos;
	assert(pos == len);
	return IMAP_PARSE_NEED_MORE;
}

enum imap_parse_result imap_parser_read_line(struct imap_parser *p,
					     const char *data, size_t len,
					     size_t *consumed_r,
					     const char **line_r,
					     size_t *line_len_r)
{
	size_t pos = 0;
	imap_parser_reset(p);
	*consumed_r = 0;
	*line_r = NULL;
	*line_len_r = 0;
	if (p->state == ST_FATAL) {
		p->pending = PENDING_ERROR;
		return IMAP_PARSE_ERROR;
	}
	while (is_skipping(p)) {
		if (!skip_input(p, data, len, &pos)) {
			*consumed_r = pos;
			return IMAP_PARSE_NEED_MORE;
		}
		if (p->state == ST_FATAL) {
			*consumed_r = pos;
			return IMAP_PARSE_ERROR;
		}
	}
	assert(p->state == ST_LINE && !p->cmd.started);
	enum collect_result cr = pos < len ?
		collect_line(p, data, len, &pos) : COLLECT_MORE;
	*consumed_r = pos;
	if (cr == COLLECT_MORE)
		return IMAP_PARSE_NEED_MORE;
	scan_reset(&p->scan);
	if (cr == COLLECT_LINE && line_content_len(p) >= 0) {
		*line_r = buf_cstr(&p->line);
		*line_len_r = (size_t)line_content_len(p);
		p->line.data[*line_len_r] = '\0';
		p->pending = PENDING_LINE;
		return IMAP_PARSE_LINE;
	}
	buf_reset(&p->line);
	bad(p, "Line too long");
	p->err.tag = NULL;
	p->pending = PENDING_ERROR;
	if (cr == COLLECT_TOO_LONG)
		p->state = ST_SKIP_RAW;
	return IMAP_PARSE_ERROR;
}

/* ---- argument helpers ---- */

bool imap_arg_is_nil(const struct imap_arg *arg)
{
	return imap_arg_atom_equals(arg, "NIL");
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *s)
{
	return arg->type == IMAP_ARG_ATOM && arg->len == strlen(s) &&
		strncasecmp(arg->str, s, arg->len) == 0;
}

bool imap_arg_as_string(const struct imap_arg *arg, const char **ptr_r,
			size_t *len_r)
{
	if (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL)
		return false;
	*ptr_r = arg->str;
	*len_r = arg->len;
	return true;
}

bool imap_arg_as_astring(const struct imap_arg *arg, const char **ptr_r,
			 size_t *len_r)
{
	if (arg->type == IMAP_ARG_ATOM) {
		*ptr_r = arg->str;
		*len_r = arg->len;
		return true;
	}
	return imap_arg_as_string(arg, ptr_r, len_r);
}

bool imap_arg_as_nstring(const struct imap_arg *arg, const char **ptr_r,
			 size_t *len_r)
{
	if (imap_arg_is_nil(arg)) {
		*ptr_r = NULL;
		*len_r = 0;
		return true;
	}
	return imap_arg_as_string(arg, ptr_r, len_r);
}

bool imap_arg_as_list(const struct imap_arg *arg,
		      const struct imap_arg **list_r, size_t *count_r)
{
	if (arg->type != IMAP_ARG_LIST)
		return false;
	*list_r = arg->list;
	*count_r = arg->list_count;
	return true;
}

void imap_parser_trim(struct imap_parser *p)
{
	if (imap_parser_busy(p))
		return;
	imap_parser_reset(p);
	/* Idle connections are the common case (IDLE, mobile clients): hold
	 * no per-command memory between commands. */
	arena_free(&p->arena);
	buf_free(&p->line);
	for (unsigned i = 0; i < p->levels_cap; i++) {
		free(p->levels[i].items);
		p->levels[i].items = NULL;
		p->levels[i].cap = 0;
		p->levels[i].count = 0;
	}
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
}

void imap_parser_release_scratch(struct imap_parser *p)
{
	if (p->pending != PENDING_COMMAND)
		return;
	/* The command's arguments were frozen into the arena; the vectors
	 * they were collected in are empty. */
	for (unsigned i = 0; i < p->levels_cap; i++) {
		if (p->levels[i].count == 0) {
			free(p->levels[i].items);
			p->levels[i].items = NULL;
			p->levels[i].cap = 0;
		}
	}
	if (p->line.len == 0)
		buf_free(&p->line);
}
