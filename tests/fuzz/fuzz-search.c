/*
 * libFuzzer target: the SEARCH program parser (search_program_parse).
 * The input is the argument text of a SEARCH command; it goes through the
 * real command parser first, as it would from a client, so literals,
 * quoting and lists arrive exactly as the server sees them. "CHARSET x"
 * in front selects the charset, as cmd-search.c does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "imap/parser.h"
#include "imap/search-program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf line = BUF_INIT;
	buf_append_str(&line, "a1 SEARCH ");
	buf_append(&line, data, size);
	buf_append_str(&line, "\r\n");

	struct imap_parser *p = imap_parser_new(NULL);
	size_t used = 0;
	if (imap_parser_feed(p, line.data, line.len, &used) == IMAP_PARSE_COMMAND) {
		struct imap_command *cmd = imap_parser_command(p);
		const struct imap_arg *args = cmd->cmd_args;
		size_t count = cmd->cmd_args_count;
		const char *charset = NULL;
		if (count >= 2 && imap_arg_atom_equals(&args[0], "CHARSET") &&
		    (args[1].type == IMAP_ARG_ATOM || args[1].type == IMAP_ARG_QUOTED)) {
			charset = args[1].str;
			args += 2;
			count -= 2;
		}
		if (count > 0) {
			struct search_program prog;
			const char *error = NULL;
			memset(&prog, 0, sizeof(prog));
			search_program_parse(args, count, charset, &prog, &error);
			search_program_free(&prog);
		}
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
