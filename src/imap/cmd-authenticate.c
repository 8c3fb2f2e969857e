/*
 * AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR (RFC 4959). The SASL exchange
 * itself lives in auth/sasl.c; this file carries it over IMAP: base64 both
 * ways, "+ " continuations, "*" to cancel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sasl.h"
#include "core/base64.h"
#include "imap/login.h"

struct authenticate_ctx {
	struct sasl_server *sasl;
	/* SCRAM's server-final message was sent; an empty line finishes. */
	bool awaiting_final_ack;
	char user[256];
	char mech[32];
};

static void authenticate_ctx_free(void *ptr)
{
	struct authenticate_ctx *ctx = ptr;
	sasl_server_free(&ctx->sasl);
	free(ctx);
}

static bool authenticate_send_challenge(struct command *cmd,
					const struct buf *challenge)
{
	struct buf line = BUF_INIT;
	buf_append_str(&line, "+ ");
	base64_encode(challenge->data, challenge->len, &line);
	buf_append(&line, "\r\n", 2);
	session_write(cmd->session, line.data, line.len);
	buf_free(&line);
	return false;
}

static bool authenticate_step(struct command *cmd, const void *in, size_t len,
			      bool have_input)
{
	struct authenticate_ctx *ctx = cmd->ctx;
	struct buf challenge = BUF_INIT;
	const char *error = NULL;
	bool done;

	switch (sasl_server_step(ctx->sasl, in, len, have_input, &challenge, &error)) {
	case SASL_CONTINUE:
		done = authenticate_send_challenge(cmd, &challenge);
		break;
	case SASL_OK:
		snprintf(ctx->user, sizeof(ctx->user), "%s", sasl_server_user(ctx->sasl));
		if (challenge.len > 0) {
			/* RFC 4422 3.6: success data goes in one more
			 * challenge, answered by an empty response. */
			ctx->awaiting_final_ack = true;
			done = authenticate_send_challenge(cmd, &challenge);
		} else {
			done = login_succeed(cmd, ctx->user, ctx->mech);
		}
		break;
	case SASL_FAIL:
	default:
		cmd->on_line = NULL;
		done = login_fail(cmd, NULL, ctx->mech, error ? error : "failed");
		break;
	}
	buf_free(&challenge);
	return done;
}

static bool authenticate_line(struct command *cmd, const char *line, size_t len)
{
	struct authenticate_ctx *ctx = cmd->ctx;
	struct buf decoded = BUF_INIT;

	/* RFC 3501 6.2.2: "*" cancels, answered with BAD. */
	if (len == 1 && line[0] == '*') {
		cmd->on_line = NULL;
		return command_bad(cmd, NULL, "Authentication cancelled");
	}
	if (ctx->awaiting_final_ack) {
		cmd->on_line = NULL;
		if (len != 0)
			return login_fail(cmd, ctx->user, ctx->mech,
					  "non-empty reply to server-final");
		return login_succeed(cmd, ctx->user, ctx->mech);
	}
	if (base64_decode(line, len, &decoded) < 0) {
		buf_free(&decoded);
		cmd->on_line = NULL;
		return command_bad(cmd, NULL, "Invalid base64 in response");
	}
	bool done = authenticate_step(cmd, decoded.data, decoded.len, true);
	buf_free(&decoded);
	return done;
}

static bool mech_sends_password(const char *mech)
{
	return strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0;
}

bool cmd_authenticate(struct command *cmd)
{
	struct session *s = cmd->session;
	const char *mech = cmd->args_count > 0 ? cmd->args[0].str : NULL;

	if (cmd->args_count < 1 || cmd->args_count > 2 ||
	    cmd->args[0].type != IMAP_ARG_ATOM)
		return command_bad(cmd, NULL, "AUTHENTICATE needs a mechanism name");
	if (mech_sends_password(mech) && !session_plaintext_allowed(s))
		return command_no(cmd, "PRIVACYREQUIRED",
				  "Plaintext authentication is not allowed without TLS");

	struct authenticate_ctx *ctx = xcalloc(1, sizeof(*ctx));
	cmd->ctx = ctx;
	cmd->ctx_free = authenticate_ctx_free;
	ctx->sasl = sasl_server_new(mech, &login_credentials_ops, s);
	if (ctx->sasl == NULL)
		return command_no(cmd, NULL, "Unsupported authentication mechanism");
	snprintf(ctx->mech, sizeof(ctx->mech), "%s", sasl_server_mech_name(ctx->sasl));
	if (login_refuse_if_locked(cmd))
		return true;

	cmd->on_line = authenticate_line;
	if (cmd->args_count == 1)
		return authenticate_step(cmd, NULL, 0, false);

	/* RFC 4959: the initial response; "=" stands for an empty one. */
	const char *ir;
	size_t ir_len;
	struct buf decoded = BUF_INIT;
	if (!imap_arg_as_astring(&cmd->args[1], &ir, &ir_len)) {
		cmd->on_line = NULL;
		return command_bad(cmd, NULL, "Invalid initial response");
	}
	if (!(ir_len == 1 && ir[0] == '=') &&
	    base64_decode(ir, ir_len, &decoded) < 0) {
		buf_free(&decoded);
		cmd->on_line = NULL;
		return command_bad(cmd, NULL, "Invalid base64 in initial response");
	}
	bool done = authenticate_step(cmd, decoded.data, decoded.len, true);
	buf_free(&decoded);
	return done;
}
