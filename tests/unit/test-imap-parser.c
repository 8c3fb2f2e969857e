#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "imap/parser.h"

/* ---- a driver that plays a connection's read buffer ---- */

static void describe_arg(struct buf *out, const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_ATOM:
		buf_append(out, a->str, a->len);
		break;
	case IMAP_ARG_QUOTED:
		buf_append_char(out, '"');
		buf_append(out, a->str, a->len);
		buf_append_char(out, '"');
		break;
	case IMAP_ARG_LITERAL:
		buf_printf(out, "%s{%zu}", a->literal8 ? "~" : "", a->len);
		for (size_t i = 0; i < a->len; i++) {
			if (a->str[i] == '\0')
				buf_append_str(out, "\\0");
			else
				buf_append_char(out, a->str[i]);
		}
		assert_int_equal(a->str[a->len], '\0');
		assert_int_equal(a->has_nul, memchr(a->str, 0, a->len) != NULL);
		break;
	case IMAP_ARG_LITERAL_FILE:
		buf_printf(out, "%sF{%llu}", a->literal8 ? "~" : "",
			   (unsigned long long)a->size);
		break;
	case IMAP_ARG_LIST:
		buf_append_char(out, '(');
		for (size_t i = 0; i < a->list_count; i++) {
			if (i > 0)
				buf_append_char(out, ' ');
			describe_arg(out, &a->list[i]);
		}
		buf_append_char(out, ')');
		break;
	}
}

static void describe_command(struct buf *out, const struct imap_command *c)
{
	buf_printf(out, "CMD %s %s:", c->tag, c->full_name);
	for (size_t i = 0; i < c->cmd_args_count; i++) {
		buf_append_char(out, ' ');
		describe_arg(out, &c->cmd_args[i]);
	}
}

/*
 * Feeds input[0..len) to a new parser, making chunk more bytes available
 * each time the parser asks for more, exactly as a connection would.
 * Appends one entry per event to log ("|"-separated); with offsets, each
 * entry starts with "@<consumed total> ".
 */
static void run(const char *input, size_t len, size_t chunk,
		const struct imap_parser_limits *lim, bool offsets,
		struct buf *log)
{
	struct imap_parser *p = imap_parser_new(lim);
	size_t avail = 0, off = 0;
	for (;;) {
		size_t used = 0;
		enum imap_parse_result r =
			imap_parser_feed(p, input + off, avail - off, &used);
		off += used;
		assert_true(off <= avail);
		if (r == IMAP_PARSE_NEED_MORE) {
			assert_int_equal(off, avail);
			if (avail == len)
				break;
			avail = avail + chunk > len ? len : avail + chunk;
			continue;
		}
		if (log->len > 0)
			buf_append_char(log, '|');
		if (offsets)
			buf_printf(log, "@%zu ", off);
		if (r == IMAP_PARSE_COMMAND) {
			assert_null(imap_parser_error(p));
			describe_command(log, imap_parser_command(p));
		} else if (r == IMAP_PARSE_NEED_CONTINUATION) {
			buf_append_char(log, '+');
		} else {
			assert_int_equal(r, IMAP_PARSE_ERROR);
			assert_null(imap_parser_command(p));
			const struct imap_parser_error *e = imap_parser_error(p);
			assert_non_null(e);
			struct buf reply = BUF_INIT;
			imap_parser_error_reply(e, &reply);
			assert_true(reply.len >= 2);
			buf_append_str(log, "ERR ");
			buf_append(log, reply.data, reply.len - 2);
			buf_free(&reply);
			if (e->fatal)
				break;
		}
	}
	if (!offsets && off == len)
		assert_false(imap_parser_busy(p));
	imap_parser_free(&p);
	assert_null(p);
}

/* Runs input whole and one byte at a time; both must give the same events
 * at the same offsets, and the events must be the expected ones. */
static void check(const char *input, size_t len,
		  const struct imap_parser_limits *lim, const char *expected)
{
	struct buf whole = BUF_INIT, bytes = BUF_INIT, plain = BUF_INIT;
	struct buf sevens = BUF_INIT;
	run(input, len, len == 0 ? 1 : len, lim, true, &whole);
	run(input, len, 1, lim, true, &bytes);
	run(input, len, 7, lim, true, &sevens);
	run(input, len, len == 0 ? 1 : len, lim, false, &plain);
	if (strcmp(buf_cstr(&plain), expected) != 0) {
		print_error("input: %.*s\nexpected: %s\n     got: %s\n",
			    (int)len, input, expected, buf_cstr(&plain));
		fail();
	}
	assert_string_equal(buf_cstr(&whole), buf_cstr(&bytes));
	assert_string_equal(buf_cstr(&whole), buf_cstr(&sevens));
	buf_free(&whole);
	buf_free(&bytes);
	buf_free(&sevens);
	buf_free(&plain);
}

#define CHECK(input, expected) check(input, sizeof(input) - 1, NULL, expected)
#define CHECK_LIM(lim, input, expected) \
	check(input, sizeof(input) - 1, lim, expected)

/* ---- valid commands ---- */

static void test_simple(void **state)
{
	(void)state;
	CHECK("a1 NOOP\r\n", "CMD a1 NOOP:");
	CHECK("a1 noop\r\n", "CMD a1 NOOP:");
	CHECK("a1 login fred \"pass word\"\r\n",
	      "CMD a1 LOGIN: fred \"pass word\"");
	CHECK("a1 LOGIN \"a\\\\b\" \"q\\\"x\" \"\"\r\n",
	      "CMD a1 LOGIN: \"a\\b\" \"q\"x\" \"\"");
	CHECK("c1 NOOP\n", "CMD c1 NOOP:");
	CHECK("\r\n\r\nc2 NOOP\r\n", "CMD c2 NOOP:");
	CHECK("c3 X NIL nil\r\n", "CMD c3 X: NIL nil");
	CHECK("c4 X  a   b \r\n", "CMD c4 X: a b");
	CHECK("c]5 NOOP\r\n", "CMD c]5 NOOP:");
	CHECK("c6 SEARCH RETURN (SAVE) $ UID 1:5,7\r\n",
	      "CMD c6 SEARCH: RETURN (SAVE) $ UID 1:5,7");
	CHECK("c7 LIST \"\" %/*\r\n", "CMD c7 LIST: \"\" %/*");
	CHECK("c8 X \"\t tab\"\r\n", "CMD c8 X: \"\t tab\"");
}

static void test_lists_and_brackets(void **state)
{
	(void)state;
	CHECK("a1 X (a (b (c)) ()) d\r\n", "CMD a1 X: (a (b (c)) ()) d");
	CHECK("a1 X ( a  b )\r\n", "CMD a1 X: (a b)");
	CHECK("a2 FETCH 1:*,4 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>"
	      " BODY[1.2.MIME])\r\n",
	      "CMD a2 FETCH: 1:*,4 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]"
	      "<0.100> BODY[1.2.MIME])");
	CHECK("a2 FETCH 1 BODY[HEADER.FIELDS.NOT (\"X\" Y)]\r\n",
	      "CMD a2 FETCH: 1 BODY[HEADER.FIELDS.NOT (\"X\" Y)]");
	CHECK("a2 FETCH 1 (BODY[] BINARY[1]<5.6>)\r\n",
	      "CMD a2 FETCH: 1 (BODY[] BINARY[1]<5.6>)");
	CHECK("a4 STORE 1 +FLAGS (\\Seen \\*)\r\n",
	      "CMD a4 STORE: 1 +FLAGS (\\Seen \\*)");
}

static void test_uid(void **state)
{
	(void)state;
	CHECK("a3 uid fetch 1 (UID)\r\n", "CMD a3 UID FETCH: 1 (UID)");
	CHECK("a3 UID\r\n", "CMD a3 UID:");

	const char *in = "a3 uid Expunge 1:3\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	size_t used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_COMMAND);
	struct imap_command *c = imap_parser_command(p);
	assert_string_equal(c->name, "UID");
	assert_string_equal(c->full_name, "UID EXPUNGE");
	assert_int_equal(c->args_count, 2);
	assert_true(imap_arg_atom_equals(&c->args[0], "expunge"));
	assert_int_equal(c->cmd_args_count, 1);
	assert_ptr_equal(c->cmd_args, c->args + 1);
	imap_parser_free(&p);
}

static void test_literals(void **state)
{
	(void)state;
	CHECK("a5 LOGIN {4}\r\nfred {3}\r\nabc\r\n",
	      "+|+|CMD a5 LOGIN: {4}fred {3}abc");
	CHECK("a6 LOGIN {4+}\r\nfred {3+}\r\nabc\r\n",
	      "CMD a6 LOGIN: {4}fred {3}abc");
	CHECK("a7 APPEND INBOX ~{5+}\r\nab\0cd\r\n",
	      "CMD a7 APPEND: INBOX ~{5}ab\\0cd");
	CHECK("a8 X {0}\r\n\r\n", "+|CMD a8 X: {0}");
	CHECK("a8 X {0+}\r\n {00+}\r\n\r\n", "CMD a8 X: {0} {0}");
	CHECK("a9 X (a {2+}\r\nbc d)\r\n", "CMD a9 X: (a {2}bc d)");
	/* literal bytes are data: CRLF, braces and parens included */
	CHECK("b1 X {9+}\r\n)\r\n{3+}\r\n\r\n", "CMD b1 X: {9})\r\n{3+}\r\n");
	/* ~ alone is an atom character */
	CHECK("b2 X ~a~ ~\r\n", "CMD b2 X: ~a~ ~");
	/* a literal must be followed by SP, ")" or the end */
	CHECK("b3 X {1+}\r\nab\r\nb4 NOOP\r\n",
	      "ERR b3 BAD Missing space between arguments|CMD b4 NOOP:");
}

static void test_pipelined(void **state)
{
	(void)state;
	CHECK("b1 NOOP\r\nb2 CHECK\r\nb3 X {1+}\r\nab4 NOOP\r\n",
	      "CMD b1 NOOP:|CMD b2 CHECK:|ERR b3 BAD Missing space between "
	      "arguments");
	CHECK("b1 NOOP\r\nb2 CHECK\r\nb3 X {1+}\r\na\r\nb4 NOOP\r\n",
	      "CMD b1 NOOP:|CMD b2 CHECK:|CMD b3 X: {1}a|CMD b4 NOOP:");

	/* offsets: a COMMAND consumes exactly through its LF */
	const char *in = "b1 NOOP\r\nb2 CHECK\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	size_t used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_COMMAND);
	assert_int_equal(used, 9);
	assert_false(imap_parser_busy(p));
	assert_int_equal(imap_parser_feed(p, in + 9, 5, &used),
			 IMAP_PARSE_NEED_MORE);
	assert_int_equal(used, 5);
	assert_true(imap_parser_busy(p));
	assert_int_equal(imap_parser_feed(p, in + 14, 5, &used),
			 IMAP_PARSE_COMMAND);
	assert_string_equal(imap_parser_command(p)->tag, "b2");
	imap_parser_reset(p);
	assert_null(imap_parser_command(p));
	assert_false(imap_parser_busy(p));
	imap_parser_free(&p);
	imap_parser_free(&p);
}

/* ---- bad input ---- */

static void test_bad_tag_and_name(void **state)
{
	(void)state;
	CHECK(" NOOP\r\nb NOOP\r\n", "ERR * BAD Missing tag|CMD b NOOP:");
	CHECK("a*1 NOOP\r\n", "ERR * BAD Invalid characters in tag");
	CHECK("+ NOOP\r\n", "ERR * BAD Invalid characters in tag");
	CHECK("a+ NOOP\r\n", "ERR * BAD Invalid characters in tag");
	CHECK("a1\r\n", "ERR a1 BAD Missing command name");
	CHECK("a1 \r\n", "ERR a1 BAD Missing command name");
	CHECK("a1 NO(OP\r\n", "ERR a1 BAD Invalid command name");
	CHECK("a1 X a\0b\r\na2 NOOP\r\n",
	      "ERR a1 BAD NUL byte in command|CMD a2 NOOP:");
	CHECK("a\0 X\r\n", "ERR * BAD Invalid characters in tag");
}

static void test_bad_syntax(void **state)
{
	(void)state;
	CHECK("a1 X \"abc\r\na2 NOOP\r\n",
	      "ERR a1 BAD Unterminated quoted string|CMD a2 NOOP:");
	CHECK("a1 X \"a\\b\"\r\n", "ERR a1 BAD Invalid escape in quoted string");
	CHECK("a1 X \"a\\\r\n", "ERR a1 BAD Invalid escape in quoted string");
	CHECK("a1 X (a\r\n", "ERR a1 BAD Missing ')'");
	CHECK("a1 X a)\r\n", "ERR a1 BAD Unexpected ')'");
	CHECK("a1 X \xc3\xa9\r\n",
	      "ERR a1 BAD 8-bit character outside quoted string");
	CHECK("a1 X ab\xff\r\n",
	      "ERR a1 BAD 8-bit character outside quoted string");
	CHECK("a1 X \"\xc3\xa9\"\r\n",
	      "ERR a1 BAD 8-bit characters in quoted string (UTF8=ACCEPT "
	      "not enabled)");
	CHECK("a1 X a\rb\r\n", "ERR a1 BAD CR not followed by LF");
	CHECK("a1 X a\x01z\r\n", "ERR a1 BAD Invalid control character");
	CHECK("a1 X {abc}\r\n", "ERR a1 BAD Invalid literal size");
	CHECK("a1 X {}\r\n", "ERR a1 BAD Invalid literal size");
	CHECK("a1 X {5x}\r\n", "ERR a1 BAD Invalid literal size");
	CHECK("a1 X {5}x\r\n", "ERR a1 BAD Literal must end the line");
	CHECK("a1 X \"a\"\"b\"\r\n", "ERR a1 BAD Missing space between arguments");
	CHECK("a1 X a(b)\r\n", "ERR a1 BAD Missing space between arguments");
	CHECK("a1 FETCH 1 BODY[HEADER\r\n", "ERR a1 BAD Missing ']'");
	CHECK("a1 FETCH 1 BODY[\xc3\xa9]\r\n",
	      "ERR a1 BAD 8-bit character outside quoted string");
}

static void test_utf8_quoted(void **state)
{
	(void)state;
	struct imap_parser_limits lim = { .utf8_quoted = true };
	CHECK_LIM(&lim, "a1 X \"\xc3\xa9t\xc3\xa9\"\r\n",
		  "CMD a1 X: \"\xc3\xa9t\xc3\xa9\"");
	CHECK_LIM(&lim, "a1 X \"\xc3\"\r\n",
		  "ERR a1 BAD Invalid UTF-8 in quoted string");
	CHECK_LIM(&lim, "a1 X \xc3\xa9\r\n",
		  "ERR a1 BAD 8-bit character outside quoted string");

	/* switched on after ENABLE */
	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "a1 X \"\xc3\xa9\"\r\n";
	size_t used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_ERROR);
	imap_parser_set_utf8(p, true);
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_COMMAND);
	imap_parser_free(&p);
}

static void test_limits(void **state)
{
	(void)state;
	struct imap_parser_limits lim = { .max_list_depth = 3,
					  .max_args = 6 };
	CHECK_LIM(&lim, "a1 X (((a)))\r\n", "CMD a1 X: (((a)))");
	CHECK_LIM(&lim, "a1 X ((((a))))\r\n",
		  "ERR a1 BAD Lists nested too deeply");
	CHECK_LIM(&lim, "a1 X a b c d e f\r\n", "CMD a1 X: a b c d e f");
	CHECK_LIM(&lim, "a1 X a b c d e f g\r\na2 NOOP\r\n",
		  "ERR a1 BAD Too many arguments|CMD a2 NOOP:");
	/* list elements count too */
	CHECK_LIM(&lim, "a1 X (a b c d e f)\r\n",
		  "ERR a1 BAD Too many arguments");
	CHECK_LIM(&lim, "a1 X a b c d e {1+}\r\nx {1+}\r\ny\r\n",
		  "ERR a1 BAD Too many arguments");

	struct imap_parser_limits mem = { .max_command_memory = 64 };
	CHECK_LIM(&mem, "a1 X {40+}\r\n0123456789012345678901234567890123456789"
		  " {40+}\r\n0123456789012345678901234567890123456789\r\n"
		  "a2 NOOP\r\n",
		  "ERR a1 BAD Command too large|CMD a2 NOOP:");
}

static void test_line_too_long(void **state)
{
	(void)state;
	struct imap_parser_limits lim = { .max_line_length = 16 };
	/* exactly 16 bytes before CRLF is fine, 17 is not */
	CHECK_LIM(&lim, "a1 X 0123456789a\r\n", "CMD a1 X: 0123456789a");
	CHECK_LIM(&lim, "a1 X 0123456789a\n", "CMD a1 X: 0123456789a");
	CHECK_LIM(&lim, "a1 X 0123456789ab\r\na2 NOOP\r\n",
		  "ERR a1 BAD Line too long|CMD a2 NOOP:");
	CHECK_LIM(&lim, "a1 X 0123456789ab\na2 NOOP\r\n",
		  "ERR a1 BAD Line too long|CMD a2 NOOP:");
	CHECK_LIM(&lim, "a1 X 0123456789abcdefghijk\r\na2 NOOP\r\n",
		  "ERR a1 BAD Line too long|CMD a2 NOOP:");
	CHECK_LIM(&lim, "0123456789abcdefghijk NOOP\r\na2 NOOP\r\n",
		  "ERR * BAD Line too long|CMD a2 NOOP:");
	/* the trailing {N+} of a too long line still counts */
	CHECK_LIM(&lim, "a1 X 0123456789abcdefghijk {9+}\r\na2 LOGOUT\r\n"
		  "a3 NOOP\r\n", "ERR a1 BAD Line too long|CMD a3 NOOP:");
	/* so does one whose digits were cut by the limit */
	CHECK_LIM(&lim, "a1 X 0123456789 {0000000000000000009+}\r\n"
		  "a2 LOGOUT\r\na3 NOOP\r\n",
		  "ERR a1 BAD Line too long|CMD a3 NOOP:");
	/* the limit applies per line: literals split a command */
	CHECK_LIM(&lim, "a1 X 0 {3+}\r\nabc 0123456789ab\r\n",
		  "CMD a1 X: 0 {3}abc 0123456789ab");

	/* a 100 KB line with the default limit */
	struct buf in = BUF_INIT;
	buf_append_str(&in, "a1 X ");
	for (int i = 0; i < 100 * 1024; i++)
		buf_append_char(&in, 'a');
	buf_append_str(&in, " {5+}\r\nhello\r\na2 NOOP\r\n");
	check(in.data, in.len, NULL, "ERR a1 BAD Line too long|CMD a2 NOOP:");
	buf_free(&in);
}

/* ---- literals after an error are data, never commands ---- */

static void test_error_swallows_nonsync_literal(void **state)
{
	(void)state;
	CHECK("a1 X \"\\q\" {9+}\r\na2 LOGOUT\r\na3 NOOP\r\n",
	      "ERR a1 BAD Invalid escape in quoted string|CMD a3 NOOP:");
	CHECK("a1 X \"\\q\" {5+}\r\nhello\r\na2 NOOP\r\n",
	      "ERR a1 BAD Invalid escape in quoted string|CMD a2 NOOP:");
	/* chained: the literal's following line announces another */
	CHECK("a1 X ) {3+}\r\nabc {11+}\r\na2 LOGOUT\r\n\r\na3 NOOP\r\n",
	      "ERR a1 BAD Unexpected ')'|CMD a3 NOOP:");
	/* error in a continuation line after a good literal */
	CHECK("a1 X {3+}\r\nabc \"\\q\" {9+}\r\na2 LOGOUT\r\na3 NOOP\r\n",
	      "ERR a1 BAD Invalid escape in quoted string|CMD a3 NOOP:");
	/* even garbage in the tag does not make the literal a command */
	CHECK("{9+}\r\na2 LOGOUT\r\na3 NOOP\r\n",
	      "ERR * BAD Invalid characters in tag|CMD a3 NOOP:");
	/* "{N-}" is not IMAP, but its bytes are swallowed as well */
	CHECK("a1 X {5-}\r\nhello\r\na2 NOOP\r\n",
	      "ERR a1 BAD Invalid literal: use {N+} for non-synchronizing "
	      "literals|CMD a2 NOOP:");
	/* literal8 too */
	CHECK("a1 X ) ~{9+}\r\na2 LOGOUT\r\na3 NOOP\r\n",
	      "ERR a1 BAD Unexpected ')'|CMD a3 NOOP:");
	/* a rejected synchronizing literal gets no continuation, so the
	   command ends at its line (RFC 3501 7.5) */
	CHECK("a1 X \"\\q\" {5}\r\na2 NOOP\r\n",
	      "ERR a1 BAD Invalid escape in quoted string|CMD a2 NOOP:");
}

static void test_toobig(void **state)
{
	(void)state;
	CHECK("a1 APPEND x {99999999999}\r\na2 NOOP\r\n",
	      "ERR a1 NO [TOOBIG] Literal too large|CMD a2 NOOP:");
	CHECK("a1 APPEND x {4294967296}\r\n",
	      "ERR a1 NO [TOOBIG] Literal too large");

	struct imap_parser_limits lim = { .max_literal_size = 10 };
	CHECK_LIM(&lim, "a1 APPEND x {10+}\r\n0123456789\r\n",
		  "CMD a1 APPEND: x {10}0123456789");
	CHECK_LIM(&lim, "a1 APPEND x {11+}\r\nb2 NOOP\r\nx\r\na3 NOOP\r\n",
		  "ERR a1 BAD [TOOBIG] Literal too large|CMD a3 NOOP:");
	CHECK_LIM(&lim, "a1 APPEND x {11}\r\na2 NOOP\r\n",
		  "ERR a1 NO [TOOBIG] Literal too large|CMD a2 NOOP:");

	/* LITERAL-: non-synchronizing literals up to 4096 bytes only */
	struct imap_parser_limits minus = { .literal_minus = true };
	struct buf in = BUF_INIT;
	buf_append_str(&in, "a1 APPEND x {4097+}\r\n");
	for (int i = 0; i < 4095; i++)
		buf_append_char(&in, 'x');
	buf_append_str(&in, "\r\n\r\na2 NOOP\r\n");
	check(in.data, in.len, &minus,
	      "ERR a1 BAD [TOOBIG] Non-synchronizing literal larger than "
	      "4096 bytes (LITERAL-)|CMD a2 NOOP:");
	buf_reset(&in);
	buf_append_str(&in, "a1 APPEND x {4096+}\r\n");
	for (int i = 0; i < 4096; i++)
		buf_append_char(&in, 'x');
	buf_append_str(&in, "\r\n");
	struct buf log = BUF_INIT;
	run(in.data, in.len, 1, &minus, false, &log);
	assert_memory_equal(log.data, "CMD a1 APPEND: x {4096}xxx", 26);
	buf_free(&log);
	buf_free(&in);
}

static void test_fatal(void **state)
{
	(void)state;
	CHECK("a1 X {99999999999999999999999+}\r\nabc\r\n",
	      "ERR * BYE Literal size does not fit in 64 bits");
	CHECK("a1 X ) {3+}\r\nabc {99999999999999999999999+}\r\n",
	      "ERR a1 BAD Unexpected ')'|ERR * BYE Literal size does not fit "
	      "in 64 bits");

	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "a1 X {99999999999999999999999+}\r\n";
	size_t used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_ERROR);
	assert_true(imap_parser_error(p)->fatal);
	assert_int_equal(imap_parser_feed(p, "a2 NOOP\r\n", 9, &used),
			 IMAP_PARSE_ERROR);
	assert_int_equal(used, 0);
	assert_true(imap_parser_error(p)->fatal);
	imap_parser_free(&p);
}

/* Random token soup: whatever it is, chunking must not change the events. */
static void test_random_chunking(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"NOOP", " ", " ", "\r\n", "\n", "(", ")", "\"", "\\",
		"{3+}\r\n", "{2}\r\n", "{0+}\r\n", "{5-}\r\n", "~{1+}\r\n",
		"{99999999999}\r\n", "{1", "+}", "\r", "abc", "BODY[", "]",
		"<0.5>", "\xc3\xa9", "*", "UID", "x", "\t", "{", "}",
	};
	struct imap_parser_limits lim = { .max_line_length = 40,
					  .max_list_depth = 3,
					  .max_args = 8 };
	uint32_t seed = 12345;
	struct buf in = BUF_INIT;
	for (int iter = 0; iter < 3000; iter++) {
		buf_reset(&in);
		for (int cmd = 0; cmd < 3; cmd++) {
			buf_printf(&in, "t%d X ", cmd);
			seed = seed * 1103515245 + 12345;
			int n = (int)((seed >> 16) % 10);
			for (int i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				const char *piece = pieces[(seed >> 16) %
					(sizeof(pieces) / sizeof(pieces[0]))];
				buf_append_str(&in, piece);
				if ((seed >> 8) % 5 == 0)
					buf_append_char(&in, ' ');
				if ((seed >> 8) % 97 == 0)
					buf_append_char(&in, '\0');
			}
			buf_append_str(&in, "\r\n");
		}
		struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
		run(in.data, in.len, in.len, &lim, true, &a);
		run(in.data, in.len, 1, &lim, true, &b);
		run(in.data, in.len, 3, &lim, true, &c);
		assert_string_equal(buf_cstr(&a), buf_cstr(&b));
		assert_string_equal(buf_cstr(&a), buf_cstr(&c));
		buf_free(&a);
		buf_free(&b);
		buf_free(&c);
	}
	buf_free(&in);
}

/* ---- literals spilled to a temporary file ---- */

static void sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
}

static void spill_run(size_t chunk)
{
	char dir[] = "/tmp/quire-test-parser-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct imap_parser_limits lim = { .literal_spill_threshold = 16,
					  .spill_dir = dir };
	const size_t body_len = 100000;
	char *body = xmalloc(body_len);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (char)('a' + i % 26);
	body[500] = '\0';
	struct buf in = BUF_INIT;
	buf_printf(&in, "a1 APPEND INBOX {%zu}\r\n", body_len);
	size_t header = in.len;
	buf_append(&in, body, body_len);
	buf_append_str(&in, " {3}\r\nabc\r\n");

	struct imap_parser *p = imap_parser_new(&lim);
	size_t off = 0, avail = 0, used;
	int events = 0;
	enum imap_parse_result r;
	for (;;) {
		r = imap_parser_feed(p, in.data + off, avail - off, &used);
		off += used;
		if (r == IMAP_PARSE_NEED_MORE) {
			assert_true(avail < in.len);
			avail = avail + chunk > in.len ? in.len : avail + chunk;
			continue;
		}
		events++;
		if (r != IMAP_PARSE_NEED_CONTINUATION)
			break;
		assert_int_equal(off, events == 1 ? header :
				 header + body_len + 6);
	}
	assert_int_equal(r, IMAP_PARSE_COMMAND);
	assert_int_equal(events, 3);
	assert_int_equal(off, in.len);

	struct imap_command *c = imap_parser_command(p);
	assert_int_equal(c->args_count, 3);
	struct imap_arg *a = &c->args[1];
	assert_int_equal(a->type, IMAP_ARG_LITERAL_FILE);
	assert_int_equal(a->size, body_len);
	assert_true(a->has_nul);
	unsigned char want[32];
	sha256(body, body_len, want);
	assert_memory_equal(a->sha256, want, 32);
	char *back = xmalloc(body_len + 1);
	assert_int_equal(pread(a->fd, back, body_len + 1, 0), body_len);
	assert_memory_equal(back, body, body_len);
	/* the small one stays in memory */
	assert_int_equal(c->args[2].type, IMAP_ARG_LITERAL);
	const char *s;
	size_t len;
	assert_false(imap_arg_as_astring(a, &s, &len));
	assert_true(imap_arg_as_astring(&c->args[2], &s, &len));
	assert_int_equal(len, 3);

	int fd = imap_parser_take_literal_fd(p, a);
	assert_true(fd >= 0);
	assert_int_equal(a->fd, -1);
	assert_int_equal(imap_parser_take_literal_fd(p, a), -1);
	imap_parser_reset(p);
	/* taken: still open */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);

	/* not taken: closed on reset */
	const char *in2 = "a2 X {20+}\r\n01234567890123456789\r\n";
	assert_int_equal(imap_parser_feed(p, in2, strlen(in2), &used),
			 IMAP_PARSE_COMMAND);
	fd = imap_parser_command(p)->args[0].fd;
	assert_true(fcntl(fd, F_GETFD) >= 0);
	imap_parser_reset(p);
	assert_int_equal(fcntl(fd, F_GETFD), -1);

	/* the directory holds nothing: the files were never named */
	assert_int_equal(rmdir(dir), 0);
	imap_parser_free(&p);
	free(back);
	free(body);
	buf_free(&in);
}

static void test_spill(void **state)
{
	(void)state;
	spill_run(1);
	spill_run(4096);
	spill_run(1 << 20);
}

static void test_spill_failure(void **state)
{
	(void)state;
	struct imap_parser_limits lim = {
		.literal_spill_threshold = 4,
		.spill_dir = "/nonexistent/quire-test",
	};
	CHECK_LIM(&lim, "a1 APPEND x {10+}\r\nb2 LOGOUT\r\n\r\na3 NOOP\r\n",
		  "ERR a1 NO [UNAVAILABLE] Cannot store literal: temporary "
		  "file failed|CMD a3 NOOP:");
	CHECK_LIM(&lim, "a1 APPEND x {10}\r\na3 NOOP\r\n",
		  "ERR a1 NO [UNAVAILABLE] Cannot store literal: temporary "
		  "file failed|CMD a3 NOOP:");
	CHECK_LIM(&lim, "a1 APPEND x {4}\r\nabcd\r\n",
		  "+|CMD a1 APPEND: x {4}abcd");
}

/* ---- raw lines ---- */

static void test_read_line(void **state)
{
	(void)state;
	struct imap_parser_limits lim = { .max_line_length = 8 };
	struct imap_parser *p = imap_parser_new(&lim);
	const char *line;
	size_t line_len, used;
	const char *in = "DO";
	assert_int_equal(imap_parser_read_line(p, in, 2, &used, &line,
					       &line_len),
			 IMAP_PARSE_NEED_MORE);
	assert_int_equal(used, 2);
	in = "NE\r\na1 NOOP\r\n";
	assert_int_equal(imap_parser_read_line(p, in, strlen(in), &used,
					       &line, &line_len),
			 IMAP_PARSE_LINE);
	assert_int_equal(used, 4);
	assert_int_equal(line_len, 4);
	assert_string_equal(line, "DONE");
	assert_int_equal(imap_parser_feed(p, in + 4, strlen(in) - 4, &used),
			 IMAP_PARSE_COMMAND);

	/* too long: error at once, the rest skipped even by feed */
	in = "0123456789abc {5+}\r\na2 NOOP\r\n";
	assert_int_equal(imap_parser_read_line(p, in, strlen(in), &used,
					       &line, &line_len),
			 IMAP_PARSE_ERROR);
	assert_int_equal(used, 10);
	assert_null(imap_parser_error(p)->tag);
	assert_string_equal(imap_parser_error(p)->reason, "Line too long");
	size_t off = used;
	assert_int_equal(imap_parser_feed(p, in + off, strlen(in) - off, &used),
			 IMAP_PARSE_COMMAND);
	assert_string_equal(imap_parser_command(p)->tag, "a2");

	/* empty line, 8 bytes exactly, and 9 found at the LF */
	in = "\r\n01234567\r\n012345678\nx\n";
	assert_int_equal(imap_parser_read_line(p, in, strlen(in), &used,
					       &line, &line_len),
			 IMAP_PARSE_LINE);
	assert_int_equal(line_len, 0);
	off = used;
	assert_int_equal(imap_parser_read_line(p, in + off, strlen(in) - off,
					       &used, &line, &line_len),
			 IMAP_PARSE_LINE);
	assert_int_equal(line_len, 8);
	off += used;
	assert_int_equal(imap_parser_read_line(p, in + off, strlen(in) - off,
					       &used, &line, &line_len),
			 IMAP_PARSE_ERROR);
	off += used;
	assert_int_equal(off, 22);
	assert_int_equal(imap_parser_read_line(p, in + off, strlen(in) - off,
					       &used, &line, &line_len),
			 IMAP_PARSE_LINE);
	assert_string_equal(line, "x");
	imap_parser_free(&p);
}

static void test_skip_before_read_line(void **state)
{
	(void)state;
	/* a bad command's literal is skipped before a raw line is read */
	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "a1 X ) {4+}\r\nDONE\r\nDONE\r\n";
	const char *line;
	size_t line_len, used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_ERROR);
	assert_true(imap_parser_busy(p));
	size_t off = used;
	assert_int_equal(imap_parser_read_line(p, in + off, strlen(in) - off,
					       &used, &line, &line_len),
			 IMAP_PARSE_LINE);
	assert_int_equal(off + used, strlen(in));
	assert_false(imap_parser_busy(p));
	imap_parser_free(&p);
}

/* ---- helpers ---- */

static void test_arg_helpers(void **state)
{
	(void)state;
	struct imap_parser *p = imap_parser_new(NULL);
	const char *in = "t X NIL \"NIL\" {3+}\r\nabc atom (l) \"q\"\r\n";
	size_t used;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used),
			 IMAP_PARSE_COMMAND);
	struct imap_command *c = imap_parser_command(p);
	assert_int_equal(c->args_count, 6);
	const char *s;
	size_t len;
	const struct imap_arg *list;
	size_t count;

	assert_true(imap_arg_is_nil(&c->args[0]));
	assert_false(imap_arg_is_nil(&c->args[1]));
	assert_true(imap_arg_as_nstring(&c->args[0], &s, &len));
	assert_null(s);
	assert_true(imap_arg_as_nstring(&c->args[1], &s, &len));
	assert_string_equal(s, "NIL");
	assert_true(imap_arg_as_string(&c->args[2], &s, &len));
	assert_int_equal(len, 3);
	assert_false(imap_arg_as_string(&c->args[3], &s, &len));
	assert_true(imap_arg_as_astring(&c->args[3], &s, &len));
	assert_string_equal(s, "atom");
	assert_true(imap_arg_atom_equals(&c->args[3], "ATOM"));
	assert_false(imap_arg_atom_equals(&c->args[3], "ATO"));
	assert_false(imap_arg_atom_equals(&c->args[5], "q"));
	assert_false(imap_arg_as_astring(&c->args[4], &s, &len));
	assert_true(imap_arg_as_list(&c->args[4], &list, &count));
	assert_int_equal(count, 1);
	assert_true(imap_arg_atom_equals(&list[0], "l"));
	assert_false(imap_arg_as_list(&c->args[3], &list, &count));
	assert_false(imap_arg_as_nstring(&c->args[4], &s, &len));
	imap_parser_free(&p);
}

static void test_error_reply(void **state)
{
	(void)state;
	struct imap_parser_error e = { .tag = "a1", .status = "NO",
				       .code = "TOOBIG", .reason = "Big" };
	struct buf out = BUF_INIT;
	imap_parser_error_reply(&e, &out);
	assert_string_equal(buf_cstr(&out), "a1 NO [TOOBIG] Big\r\n");
	buf_reset(&out);
	e.tag = NULL;
	e.code = NULL;
	e.status = "BAD";
	imap_parser_error_reply(&e, &out);
	assert_string_equal(buf_cstr(&out), "* BAD Big\r\n");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_lists_and_brackets),
		cmocka_unit_test(test_uid),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_bad_tag_and_name),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_utf8_quoted),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_error_swallows_nonsync_literal),
		cmocka_unit_test(test_toobig),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_random_chunking),
		cmocka_unit_test(test_spill),
		cmocka_unit_test(test_spill_failure),
		cmocka_unit_test(test_read_line),
		cmocka_unit_test(test_skip_before_read_line),
		cmocka_unit_test(test_arg_helpers),
		cmocka_unit_test(test_error_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
