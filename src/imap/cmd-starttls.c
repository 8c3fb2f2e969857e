/*
 * STARTTLS (RFC 3501 6.2.1). The tagged OK goes out in clear, then the
 * handshake starts; conn_starttls discards whatever the client pipelined
 * after the command, so nothing sent before TLS runs inside it.
 */
#include "core/log.h"
#include "imap/command.h"
#include "net/conn.h"

bool cmd_starttls(struct command *cmd)
{
	struct session *s = cmd->session;

	if (cmd->args_count != 0)
		return command_bad(cmd, NULL, "STARTTLS takes no arguments");
	if (conn_is_tls(s->conn))
		return command_bad(cmd, NULL, "TLS is already active");
	/* Not advertised: the client's TLS ends at the balancer. */
	if (conn_is_secure(s->conn))
		return command_bad(cmd, NULL,
				   "TLS is already active at the proxy");
	command_ok(cmd, NULL, "Begin TLS negotiation now");
	if (conn_starttls(s->conn) < 0)
		session_close(s, "STARTTLS failed");
	return true;
}
