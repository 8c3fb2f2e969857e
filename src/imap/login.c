#include "imap/login.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/sasl.h"
#include "auth/scram.h"
#include "auth/throttle.h"
#include "core/log.h"
#include "imap/capability.h"
#include "imap/imap-server.h"
#include "metrics/metrics.h"
#include "net/conn.h"
#include "net/worker.h"
#include "store/store.h"

bool login_refuse_if_locked(struct command *cmd)
{
	struct session *s = cmd->session;
	const char *ip = conn_peer_ip(s->conn);

	if (!auth_throttle_locked(imap_server_throttle(), ip, time(NULL)))
		return false;
	log_info(session_id(s), "login refused: %s is locked out after failed logins", ip);
	command_no(cmd, "UNAVAILABLE", "Too many failed logins from your address; try later");
	return true;
}

/* Set by the credential callbacks when the store could not be asked:
 * the failure that follows is then the store's, not the client's. */
static __thread bool credentials_unavailable;

static void note_store_code(int code)
{
	if (code == STORE_EUNAVAILABLE)
		credentials_unavailable = true;
}

bool login_store_unavailable(struct command *cmd, int store_code)
{
	if (store_code != STORE_EUNAVAILABLE)
		return false;
	/* Not a failed login: no throttle, no failure count, and the client
	 * learns to retry rather than to ask for a new password. */
	log_warn(session_id(cmd->session), "login not checked: store unavailable");
	command_no(cmd, "UNAVAILABLE", "Mail store unavailable; try later");
	return true;
}

bool login_succeed(struct command *cmd, const char *user, const char *mech)
{
	struct session *s = cmd->session;
	struct buf code = BUF_INIT;
	int ret = session_login(s, user);

	if (ret == -2)
		return login_store_unavailable(cmd, STORE_EUNAVAILABLE);
	if (ret < 0)
		return login_fail(cmd, user, mech, "account vanished");
	auth_throttle_success(imap_server_throttle(), conn_peer_ip(s->conn));
	metrics_login(true);
	log_info(session_id(s), "login user=%s mech=%s%s%s", s->user, mech,
		 conn_is_tls(s->conn) ? " tls=" :
		 conn_is_proxy_tls(s->conn) ? " tls=proxy" : "",
		 conn_is_tls(s->conn) && conn_tls_version(s->conn) ?
		 conn_tls_version(s->conn) : "");
	buf_append_str(&code, "CAPABILITY ");
	capability_write(s, &code);
	command_ok(cmd, buf_cstr(&code), "Logged in");
	buf_free(&code);
	return true;
}

static bool login_fail_reply(struct command *cmd)
{
	struct session *s = cmd->session;
	const struct config *cfg = imap_server_config();

	command_no(cmd, "AUTHENTICATIONFAILED", "Authentication failed");
	if (s->auth_failures >= cfg->auth_max_failures) {
		session_write_str(s, "* BYE Too many failed logins\r\n");
		session_close(s, "too many failed logins");
	}
	return true;
}

static void login_delay_over(struct worker *worker, void *arg)
{
	struct session *s = arg;
	(void)worker;
	s->timer = NULL;
	session_resume(s);
}

bool login_fail(struct command *cmd, const char *user, const char *mech,
		const char *reason)
{
	struct session *s = cmd->session;

	if (credentials_unavailable) {
		credentials_unavailable = false;
		return login_store_unavailable(cmd, STORE_EUNAVAILABLE);
	}
	unsigned delay = auth_throttle_failure(imap_server_throttle(),
					       conn_peer_ip(s->conn), time(NULL));

	s->auth_failures++;
	metrics_login(false);
	log_info(session_id(s), "login failed user=%s mech=%s: %s",
		 user != NULL ? user : "?", mech, reason);
	if (delay == 0)
		return login_fail_reply(cmd);
	/* The delay slows guessing without blocking the worker's other
	 * connections: the command waits on a timer. */
	cmd->resume = login_fail_reply;
	s->timer = worker_timer_add(conn_worker(s->conn), delay,
				    login_delay_over, s);
	return false;
}

static int login_get_password_hash(void *ctx, const char *user, char **hash_r)
{
	struct session *s = ctx;
	struct store *st = session_store(s);
	struct store_user account;
	const char *error;

	if (st == NULL)
		return -1;
	int code = store_user_get(st, user, &account, &error);
	note_store_code(code);
	if (code != STORE_OK)
		return -1;
	*hash_r = xstrdup(account.password_hash);
	store_user_free(&account);
	return 0;
}

static int login_get_scram(void *ctx, const char *user,
			   struct scram_credentials *r)
{
	struct session *s = ctx;
	struct store *st = session_store(s);
	struct store_user account;
	const char *error;
	int ret = -1;

	if (st == NULL)
		return -1;
	int code = store_user_get(st, user, &account, &error);
	note_store_code(code);
	if (code != STORE_OK)
		return -1;
	if (account.has_scram && account.scram.salt_len > 0 &&
	    account.scram.salt_len <= sizeof(r->salt)) {
		memset(r, 0, sizeof(*r));
		memcpy(r->salt, account.scram.salt, account.scram.salt_len);
		r->salt_len = account.scram.salt_len;
		r->iterations = account.scram.iterations;
		memcpy(r->stored_key, account.scram.stored_key, sizeof(r->stored_key));
		memcpy(r->server_key, account.scram.server_key, sizeof(r->server_key));
		ret = 0;
	}
	store_user_free(&account);
	return ret;
}

const struct sasl_credentials_ops login_credentials_ops = {
	.get_password_hash = login_get_password_hash,
	.get_scram = login_get_scram,
};
