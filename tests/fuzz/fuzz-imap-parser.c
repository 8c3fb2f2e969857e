/*
 * libFuzzer target: the incremental IMAP command parser (imap/parser.h).
 *
 * Input layout: byte 0 picks the parser configuration (flag bits below),
 * bytes 1..4 seed the chunk sizes, the rest is the client's byte stream.
 *
 * The stream is parsed three times, as a server would drive the parser:
 * in one piece, one byte at a time, and in pseudo-random chunks. Every
 * event (command, error reply, continuation request, raw line) is written
 * to a transcript; parser.h promises that the way the bytes are split
 * changes nothing, so the three transcripts must be equal, and the
 * target aborts when they are not. After AUTHENTICATE and IDLE commands
 * the next line is read in raw-line mode (imap_parser_read_line), as the
 * session does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "imap/parser.h"

/* Configuration bits of byte 0. */
#define CFG_UTF8 0x01		/* UTF8=ACCEPT quoted strings */
#define CFG_LITERAL_MINUS 0x02	/* LITERAL- instead of LITERAL+ */
#define CFG_SMALL 0x04		/* tiny limits, so every limit is reachable */
#define CFG_SPILL 0x08		/* spill literals over 16 bytes to files */

/* A stream is at most this many events long; stops pathological loops
   from making a single input take seconds. */
#define MAX_EVENTS 4096

static void dump_bytes(struct buf *t, const char *s, size_t len)
{
	buf_append_u64(t, len);
	buf_append_char(t, ':');
	buf_append(t, s, len);
}

static void dump_args(struct buf *t, const struct imap_arg *args, size_t n)
{
	buf_append_char(t, '(');
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &args[i];
		buf_printf(t, " %d%s%s ", (int)a->type, a->literal8 ? "~" : "",
			   a->has_nul ? "0" : "");
		switch (a->type) {
		case IMAP_ARG_ATOM:
		case IMAP_ARG_QUOTED:
		case IMAP_ARG_LITERAL:
			/* the bytes are NUL-terminated after len */
			if (a->str[a->len] != '\0')
				abort();
			dump_bytes(t, a->str, a->len);
			break;
		case IMAP_ARG_LITERAL_FILE:
			buf_append_u64(t, a->size);
			buf_append_char(t, '/');
			for (size_t j = 0; j < sizeof(a->sha256); j++)
				buf_printf(t, "%02x", a->sha256[j]);
			break;
		case IMAP_ARG_LIST:
			dump_args(t, a->list, a->list_count);
			break;
		}
	}
	buf_append_char(t, ')');
}

static void dump_command(struct buf *t, const struct imap_command *cmd)
{
	buf_append_str(t, "C ");
	buf_append_str(t, cmd->tag);
	buf_append_char(t, ' ');
	buf_append_str(t, cmd->name);
	buf_append_char(t, '|');
	buf_append_str(t, cmd->full_name);
	dump_args(t, cmd->args, cmd->args_count);
	dump_args(t, cmd->cmd_args, cmd->cmd_args_count);
	buf_append_char(t, '\n');
	/* the helpers must cope with every argument shape */
	for (size_t i = 0; i < cmd->cmd_args_count; i++) {
		const char *p;
		size_t len;
		const struct imap_arg *list;
		size_t count;
		(void)imap_arg_is_nil(&cmd->cmd_args[i]);
		(void)imap_arg_atom_equals(&cmd->cmd_args[i], "BODY[]");
		(void)imap_arg_as_astring(&cmd->cmd_args[i], &p, &len);
		(void)imap_arg_as_string(&cmd->cmd_args[i], &p, &len);
		(void)imap_arg_as_nstring(&cmd->cmd_args[i], &p, &len);
		(void)imap_arg_as_list(&cmd->cmd_args[i], &list, &count);
	}
}

struct chunker {
	const uint8_t *data;
	size_t len;
	size_t pos;		/* bytes handed out so far */
	uint32_t state;		/* 0: one piece; 1: bytewise; else PRNG */
};

/* Length of the next chunk (>= 1), xorshift-driven. */
static size_t chunk_len(struct chunker *c)
{
	size_t left = c->len - c->pos;
	if (c->state == 0)
		return left;
	if (c->state == 1)
		return 1;
	c->state ^= c->state << 13;
	c->state ^= c->state >> 17;
	c->state ^= c->state << 5;
	size_t n = 1 + (c->state % 64 < 48 ? c->state % 8 : c->state % 600);
	return n < left ? n : left;
}

static void run(const uint8_t *data, size_t len, uint8_t cfg,
		uint32_t chunk_state, struct buf *t)
{
	struct imap_parser_limits limits;
	memset(&limits, 0, sizeof(limits));
	limits.utf8_quoted = (cfg & CFG_UTF8) != 0;
	limits.literal_minus = (cfg & CFG_LITERAL_MINUS) != 0;
	if (cfg & CFG_SMALL) {
		limits.max_line_length = 40;
		limits.max_literal_size = 30;
		limits.max_list_depth = 3;
		limits.max_args = 12;
		limits.max_command_memory = 100;
	}
	if (cfg & CFG_SPILL) {
		limits.spill_dir = "/tmp";
		limits.literal_spill_threshold = 16;
	}
	struct imap_parser *p = imap_parser_new(&limits);
	struct chunker c = { data, len, 0, chunk_state };
	struct buf pending = BUF_INIT;	/* handed out, not yet consumed */
	bool raw_line = false;
	unsigned events = 0;
	bool fatal = false;

	while (events < MAX_EVENTS && !fatal) {
		if (pending.len == 0) {
			if (c.pos == c.len)
				break;
			size_t n = chunk_len(&c);
			buf_append(&pending, data + c.pos, n);
			c.pos += n;
		}
		size_t used = 0;
		enum imap_parse_result r;
		const char *line = NULL;
		size_t line_len = 0;
		if (raw_line)
			r = imap_parser_read_line(p, pending.data, pending.len,
						  &used, &line, &line_len);
		else
			r = imap_parser_feed(p, pending.data, pending.len,
					     &used);
		if (used > pending.len)
			abort();
		/* NEED_MORE consumes everything, every other event stops at
		   the event: in all cases the leftover is fed again */
		if (r == IMAP_PARSE_NEED_MORE && used != pending.len)
			abort();
		switch (r) {
		case IMAP_PARSE_NEED_MORE:
			break;
		case IMAP_PARSE_COMMAND: {
			struct imap_command *cmd = imap_parser_command(p);
			if (cmd == NULL || raw_line)
				abort();
			dump_command(t, cmd);
			if (strcmp(cmd->full_name, "AUTHENTICATE") == 0 ||
			    strcmp(cmd->full_name, "IDLE") == 0)
				raw_line = true;
			else if (strcmp(cmd->full_name, "ENABLE") == 0)
				imap_parser_set_utf8(p, true);
			events++;
			break;
		}
		case IMAP_PARSE_NEED_CONTINUATION:
			if (raw_line)
				abort();
			buf_append_str(t, "+\n");
			events++;
			break;
		case IMAP_PARSE_ERROR: {
			const struct imap_parser_error *err =
				imap_parser_error(p);
			if (err == NULL || err->reason == NULL ||
			    err->status == NULL)
				abort();
			size_t start = t->len;
			buf_append_str(t, "E ");
			imap_parser_error_reply(err, t);
			/* a reply is exactly one line */
			const char *nl = memchr(t->data + start, '\n',
						t->len - start);
			if (nl == NULL || nl != t->data + t->len - 1 ||
			    t->len - start < 4 || nl[-1] != '\r')
				abort();
			fatal = err->fatal;
			raw_line = false;
			events++;
			break;
		}
		case IMAP_PARSE_LINE:
			if (!raw_line || line == NULL)
				abort();
			buf_append_str(t, "L ");
			dump_bytes(t, line, line_len);
			buf_append_char(t, '\n');
			raw_line = false;
			events++;
			break;
		}
		buf_consume(&pending, used);
	}
	buf_printf(t, "end busy=%d fatal=%d\n", imap_parser_busy(p), fatal);
	imap_parser_reset(p);
	imap_parser_free(&p);
	if (p != NULL)
		abort();
	buf_free(&pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint8_t cfg = data[0];
	uint32_t seed = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
			(uint32_t)data[3] << 8 | data[4];
	seed |= 2;	/* never 0 or 1, which mean one piece and bytewise */
	data += 5;
	size -= 5;

	struct buf whole = BUF_INIT, bytewise = BUF_INIT, chunked = BUF_INIT;
	run(data, size, cfg, 0, &whole);
	run(data, size, cfg, 1, &bytewise);
	run(data, size, cfg, seed, &chunked);
	if (whole.len != bytewise.len ||
	    memcmp(whole.data, bytewise.data, whole.len) != 0 ||
	    whole.len != chunked.len ||
	    memcmp(whole.data, chunked.data, whole.len) != 0) {
		fprintf(stderr, "transcripts differ\n--- one piece:\n%s\n"
			"--- byte at a time:\n%s\n--- chunks (seed %u):\n%s\n",
			buf_cstr(&whole), buf_cstr(&bytewise), seed,
			buf_cstr(&chunked));
		abort();
	}
	buf_free(&whole);
	buf_free(&bytewise);
	buf_free(&chunked);
	return 0;
}
