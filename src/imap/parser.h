#ifndef QUIRE_IMAP_PARSER_H
#define QUIRE_IMAP_PARSER_H
/*
 * Incremental IMAP command parser (RFC 3501 2.2, 4, 7.5 and 9; RFC 7888
 * LITERAL+/LITERAL-; RFC 3516 literal8).
 *
 * The caller owns the socket. It hands the parser whatever bytes arrived;
 * the parser consumes what it can and says what happened. It never blocks
 * and never needs a whole command in one call: feeding a command one byte
 * at a time gives exactly the same results (same tree, same error, same
 * consumed totals) as feeding it in one piece.
 *
 * Typical loop (conn_in is the connection's read buffer):
 *
 *	for (;;) {
 *		size_t used;
 *		enum imap_parse_result r =
 *			imap_parser_feed(p, in.data, in.len, &used);
 *		buf_consume(&in, used);
 *		switch (r) {
 *		case IMAP_PARSE_NEED_MORE:         read more from the socket
 *		case IMAP_PARSE_NEED_CONTINUATION: send "+ OK\r\n", keep feeding
 *		case IMAP_PARSE_COMMAND:           run imap_parser_command(p)
 *		case IMAP_PARSE_ERROR:             reply from imap_parser_error(p)
 *		case IMAP_PARSE_LINE:              (only from read_line)
 *		}
 *	}
 *
 * Lines end at LF; a CR directly before it is part of the terminator. A
 * bare LF is accepted as a line end (lenient, as Dovecot is); a CR
 * anywhere else is an error. Empty lines between commands are ignored.
 * Arguments are separated by one or more SP; trailing SP is tolerated.
 *
 * Not thread-safe; one parser per connection.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct imap_parser;

/*
 * Bounds on one command. A zero field means "use the default" (given in
 * brackets), so a zero-initialised struct is the default configuration.
 */
struct imap_parser_limits {
	/* Bytes of one line, excluding its CRLF and any literal contents
	 * [65536]. Longer lines give "Line too long". */
	size_t max_line_length;
	/* Largest announced literal accepted, at most 2^32-1 [64 MiB].
	 * Larger ones give a TOOBIG error. */
	uint64_t max_literal_size;
	/* Deepest list nesting [32]. */
	unsigned max_list_depth;
	/* Arguments in one command, counting every list and every element
	 * at every depth [10000]. */
	size_t max_args;
	/* Bytes of one command held in memory: all its lines plus in-memory
	 * literals [96 MiB]. Spilled literals do not count. */
	size_t max_command_memory;
	/* Literals larger than this are written to an unlinked temporary
	 * file in spill_dir instead of memory [262144]. Ignored when
	 * spill_dir is NULL (everything stays in memory). */
	size_t literal_spill_threshold;
	/* Directory for spilled literals (opened with O_TMPFILE, so nothing
	 * is ever visible there). NULL: never spill. The string is copied. */
	const char *spill_dir;
	/* LITERAL- (RFC 7888 5) instead of LITERAL+: a non-synchronizing
	 * literal over 4096 bytes is a BAD [TOOBIG]; its bytes are still
	 * swallowed. */
	bool literal_minus;
	/* Accept 8-bit (valid UTF-8 only) inside quoted strings: UTF8=ACCEPT
	 * (RFC 6855 3). Can be changed later with imap_parser_set_utf8(). */
	bool utf8_quoted;
};

enum imap_arg_type {
	IMAP_ARG_ATOM,		/* also NIL, flags (\Seen), sequence sets,
				   and FETCH items with [..] and <..> */
	IMAP_ARG_QUOTED,	/* contents unescaped */
	IMAP_ARG_LITERAL,	/* contents in memory */
	IMAP_ARG_LITERAL_FILE,	/* contents in an unlinked temporary file */
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	/* Announced as literal8 "~{N}" (RFC 3516 4.2). */
	bool literal8;
	/* LITERAL/LITERAL_FILE contents hold a NUL byte (a plain literal may
	 * not: RFC 3501 9 CHAR8; RFC 3516 wants literal8 then). */
	bool has_nul;
	/* ATOM, QUOTED, LITERAL: the bytes, NUL-terminated after len.
	 * A LITERAL may also contain NULs inside [0, len). */
	const char *str;
	size_t len;
	/* LITERAL_FILE: a read/write fd positioned at offset 0, the size,
	 * and the SHA-256 of the contents (the store is content-addressed).
	 * The parser closes the fd when the command is released unless the
	 * caller took it with imap_parser_take_literal_fd(). The file is an
	 * O_TMPFILE: linkat("/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW) gives
	 * it a name (fsync is the caller's business). */
	int fd;
	uint64_t size;	/* set for LITERAL too (== len) */
	unsigned char sha256[32];
	/* LIST: the elements. */
	struct imap_arg *list;
	size_t list_count;
};

/*
 * A parsed command. All memory belongs to the parser and stays valid until
 * the next call of imap_parser_feed(), imap_parser_read_line(),
 * imap_parser_reset() or imap_parser_free().
 *
 * UID commands are given in both forms: for "a1 UID FETCH 1:* FLAGS",
 * name is "UID" and args[] is (FETCH 1:* FLAGS), while full_name is
 * "UID FETCH" and cmd_args[] is (1:* FLAGS). For every other command
 * full_name == name and cmd_args == args. A command table should look up
 * full_name and hand cmd_args to the handler.
 */
struct imap_command {
	const char *tag;
	const char *name;	/* uppercased */
	const char *full_name;	/* uppercased; "UID <NAME>" for UID commands */
	struct imap_arg *args;
	size_t args_count;
	struct imap_arg *cmd_args;
	size_t cmd_args_count;
};

enum imap_parse_result {
	/* Everything given was consumed; the command is not complete. */
	IMAP_PARSE_NEED_MORE,
	/* A complete command is ready: imap_parser_command(). Bytes after
	 * it were not consumed; feed them again afterwards. */
	IMAP_PARSE_COMMAND,
	/* A synchronizing literal {N} was announced and accepted. The caller
	 * must send a continuation ("+ OK\r\n") and keep feeding. */
	IMAP_PARSE_NEED_CONTINUATION,
	/* The command (or raw line) is bad: imap_parser_error(). The parser
	 * skips the rest of that command by itself in later feeds. */
	IMAP_PARSE_ERROR,
	/* imap_parser_read_line() only: a raw line is ready. */
	IMAP_PARSE_LINE,
};

struct imap_parser_error {
	/* The command's tag, or NULL when none could be read (reply with
	 * "*" then). */
	const char *tag;
	/* "BAD" or "NO". */
	const char *status;
	/* A response code without brackets ("TOOBIG", "UNAVAILABLE"), or
	 * NULL. */
	const char *code;
	/* Human reason: fixed text, never client bytes, no CR/LF. */
	const char *reason;
	/* The input can no longer be followed (a non-synchronizing literal
	 * whose size does not fit in 64 bits): send "* BYE" and close. Every
	 * later feed returns this same error and consumes nothing. */
	bool fatal;
};

/* Fills limits with the defaults (the bracketed values above). */
void imap_parser_limits_default(struct imap_parser_limits *limits_r);

/* Creates a parser. limits may be NULL for the defaults; it is copied.
 * Never fails (allocation failure aborts). Free with imap_parser_free(). */
struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits);
/* Frees the parser, closes its temporary files and sets *p to NULL.
 * NULL and *p == NULL are fine. */
void imap_parser_free(struct imap_parser **p);

/* Switches UTF8=ACCEPT handling of quoted strings (after ENABLE). */
void imap_parser_set_utf8(struct imap_parser *p, bool utf8_quoted);

/*
 * Consumes bytes from data[0..len) and stops at the first event:
 *  NEED_MORE             all len bytes consumed, command incomplete;
 *  COMMAND               *consumed_r bytes (up to and including the
 *                        command's final LF) used;
 *  NEED_CONTINUATION     consumed through the LF of the line that
 *                        announced the synchronizing literal;
 *  ERROR                 see below.
 * The caller feeds the remaining bytes (data + *consumed_r) again after
 * handling the event. Feeding first releases the command or error
 * returned by the previous call.
 *
 * Errors. Syntax errors are found when their line is complete, so ERROR
 * is returned with the line consumed through its LF; "Line too long" is
 * returned as soon as the line passes max_line_length (plus one byte for
 * the CR), and a failed write to a spill file as soon as it happens. The parser then
 * skips the rest of that command without buffering it: the rest of the
 * line, and, when that line ends with a non-synchronizing literal
 * announcement "{N+}" (or the invalid "{N-}"), those N bytes as data --
 * they are never read as commands (RFC 7888 3, DESIGN.md "Limits and bad
 * input") -- and the following line, and so on, until a line that does
 * not end with such an announcement. A rejected synchronizing literal
 * "{N}" gets no continuation, so the client sends no bytes and the
 * command ends at that line (RFC 3501 7.5). Afterwards the next command
 * is parsed normally.
 *
 * Error replies: status "NO" code "TOOBIG" for a synchronizing literal
 * larger than max_literal_size (RFC 4469 4.2, RFC 7889); "BAD" code
 * "TOOBIG" for a non-synchronizing one (RFC 7888 5); "NO" code
 * "UNAVAILABLE" when a temporary file cannot be written; "BAD" with no
 * code for everything else.
 */
enum imap_parse_result imap_parser_feed(struct imap_parser *p,
					const char *data, size_t len,
					size_t *consumed_r);

/* The command after IMAP_PARSE_COMMAND, else NULL. The caller may modify
 * the args (e.g. take an fd) but not free anything. */
struct imap_command *imap_parser_command(struct imap_parser *p);

/* The error after IMAP_PARSE_ERROR, else NULL. */
const struct imap_parser_error *imap_parser_error(struct imap_parser *p);

/* Appends the complete reply line for err, e.g.
 * "a1 BAD [TOOBIG] Literal too large\r\n" or "* BAD Missing tag\r\n"
 * (for a fatal error: "* BYE <reason>\r\n"). */
void imap_parser_error_reply(const struct imap_parser_error *err,
			     struct buf *out);

/*
 * Raw line mode, for data that is not a command: AUTHENTICATE's client
 * responses and IDLE's "DONE". Call only between commands. Returns
 *  IMAP_PARSE_LINE       *line_r, *line_len_r is the line without its
 *                        CRLF (valid until the next parser call);
 *                        consumed through its LF;
 *  IMAP_PARSE_NEED_MORE  all bytes consumed, no full line yet;
 *  IMAP_PARSE_ERROR      the line passed max_line_length ("Line too
 *                        long", no tag); the rest of it is skipped by
 *                        later calls (of either function). No literal
 *                        handling: a raw line ends at its LF.
 * Any skipping left over from a previous bad command is finished first.
 */
enum imap_parse_result imap_parser_read_line(struct imap_parser *p,
					     const char *data, size_t len,
					     size_t *consumed_r,
					     const char **line_r,
					     size_t *line_len_r);

/*
 * Releases the command or error last returned (closing temporary files
 * not taken). Optional: feed and read_line do it themselves. Bytes of the
 * input stream already consumed are not forgotten: a partly read command
 * or a skip in progress continues with the next feed.
 */
void imap_parser_reset(struct imap_parser *p);

/* Between commands (not busy, the last command finished): releases the
 * memory kept for reuse by the next command, so an idle connection costs
 * only the parser struct. A no-op while a command is being read. */
void imap_parser_trim(struct imap_parser *p);

/* While the command last returned by imap_parser_feed runs (a long one:
 * IDLE, a suspended FETCH): frees the parser's working memory that the
 * command does not point into (argument vectors, an empty line buffer).
 * The command's arguments stay valid. A no-op at any other time. */
void imap_parser_release_scratch(struct imap_parser *p);

/* True when bytes of an unfinished command (or of a bad command being
 * skipped) have been consumed, i.e. the parser is not between commands. */
bool imap_parser_busy(const struct imap_parser *p);

/* Takes ownership of a LITERAL_FILE arg's fd: returns it and sets
 * arg->fd to -1, so the parser will not close it. Returns -1 when arg is
 * not a LITERAL_FILE or its fd was already taken. */
int imap_parser_take_literal_fd(struct imap_parser *p, struct imap_arg *arg);

/* Argument helpers. */

/* True for the atom NIL (any case). */
bool imap_arg_is_nil(const struct imap_arg *arg);
/* True when arg is an atom equal to s, case-insensitively. */
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *s);
/* astring (RFC 3501 9): an atom, a quoted string or an in-memory literal.
 * Sets *ptr_r, *len_r (NUL-terminated; a literal may hold NULs, check
 * len or arg->has_nul) and returns true; false for anything else,
 * including a LITERAL_FILE. */
bool imap_arg_as_astring(const struct imap_arg *arg, const char **ptr_r,
			 size_t *len_r);
/* string: a quoted string or an in-memory literal (not an atom). */
bool imap_arg_as_string(const struct imap_arg *arg, const char **ptr_r,
			size_t *len_r);
/* nstring: NIL gives true with *ptr_r = NULL and *len_r = 0; otherwise as
 * imap_arg_as_string(). */
bool imap_arg_as_nstring(const struct imap_arg *arg, const char **ptr_r,
			 size_t *len_r);
/* The list's elements, or false when arg is not a list. */
bool imap_arg_as_list(const struct imap_arg *arg,
		      const struct imap_arg **list_r, size_t *count_r);

#endif
