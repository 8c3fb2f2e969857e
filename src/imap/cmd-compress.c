/*
 * COMPRESS (RFC 4978 3). The tagged OK goes out uncompressed; everything
 * after it, both ways, is raw deflate (net/compress.c does the work).
 */
#include "imap/command.h"
#include "net/conn.h"

bool cmd_compress(struct command *cmd)
{
	struct session *s = cmd->session;

	if (cmd->args_count != 1 || cmd->args[0].type != IMAP_ARG_ATOM)
		return command_bad(cmd, NULL, "COMPRESS takes a mechanism name");
	if (!imap_arg_atom_equals(&cmd->args[0], "DEFLATE"))
		return command_bad(cmd, NULL, "Unknown compression mechanism");
	/* RFC 4978 3: NO [COMPRESSIONACTIVE] when it is already on. */
	if (conn_is_compressed(s->conn))
		return command_no(cmd, "COMPRESSIONACTIVE", "DEFLATE is already active");
	command_ok(cmd, NULL, "DEFLATE active");
	if (conn_start_compress(s->conn) < 0)
		session_close(s, "COMPRESS failed");
	return true;
}
