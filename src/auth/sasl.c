/*
 * SASL server exchange: mechanism table and the PLAIN, LOGIN and
 * SCRAM-SHA-256 state machines.
 */
#include "auth/sasl.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/password.h"
#include "auth/saslprep.h"
#include "auth/scram.h"
#include "core/buf.h"

struct sasl_mech {
	const char *name;
	/* One step with input already length-checked. Returns the status;
	   on SASL_FAIL sets *error_r. */
	enum sasl_status (*step)(struct sasl_server *s, const char *in,
				 size_t len, bool have_input, struct buf *out,
				 const char **error_r);
};

struct sasl_server {
	const struct sasl_mech *mech;
	const struct sasl_credentials_ops *ops;
	void *ops_ctx;
	unsigned int stage;         /* mechanism-specific progress */
	unsigned int steps;         /* calls to sasl_server_step so far */
	bool finished;
	char *login_user;           /* LOGIN: user name between the steps */
	char *user;                 /* set only on success */
	struct scram_server *scram;
};

/* ---- helpers shared by the password mechanisms ---- */

/* Checks a user name from the client (non-empty, UTF-8, no controls, so it
   is safe to pass to lookups and logs) and returns a malloc()ed copy. */
static char *user_name_dup(const char *in, size_t len, const char **error_r)
{
	struct buf prepared = BUF_INIT;

	if (len == 0) {
		*error_r = "empty user name";
		return NULL;
	}
	if (saslprep(in, len, &prepared, error_r) < 0) {
		*error_r = "invalid user name";
		buf_free(&prepared);
		return NULL;
	}
	return buf_steal(&prepared);
}

/* Verifies password[0..len) (no NUL inside) for user. An unknown user
   still costs one yescrypt verification (against the dummy hash) so the
   answer time does not reveal whether the account exists. */
static bool check_password(struct sasl_server *s, const char *user,
			   const char *password, size_t len,
			   const char **error_r)
{
	char *hash = NULL;
	char *pw = xstrndup(password, len);
	bool ok;

	if (s->ops->get_password_hash(s->ops_ctx, user, &hash) < 0) {
		(void)password_verify(pw, password_dummy_hash());
		*error_r = "unknown user";
		ok = false;
	} else {
		ok = password_verify(pw, hash);
		if (!ok)
			*error_r = "wrong password";
		free(hash);
	}
	explicit_bzero(pw, len);
	free(pw);
	return ok;
}

static enum sasl_status finish_password(struct sasl_server *s, char *user,
					const char *password, size_t len,
					const char **error_r)
{
	if (len == 0) {
		/* RFC 4616 section 2: passwd = 1*SAFE; no account has an empty
		   password either. */
		*error_r = "empty password";
		free(user);
		return SASL_FAIL;
	}
	if (!check_password(s, user, password, len, error_r)) {
		free(user);
		return SASL_FAIL;
	}
	s->user = user;
	return SASL_OK;
}

/* ---- PLAIN (RFC 4616) ---- */

static enum sasl_status plain_step(struct sasl_server *s, const char *in,
				   size_t len, bool have_input,
				   struct buf *out, const char **error_r)
{
	if (!have_input) {
		/* RFC 4422 section 5: no initial response, send an empty
		   challenge and wait for the message */
		return SASL_CONTINUE;
	}
	/* message = [authzid] UTF8NUL authcid UTF8NUL passwd */
	const char *nul1 = memchr(in, '\0', len);
	const char *nul2 = nul1 == NULL ? NULL :
		memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - in));
	if (nul2 == NULL) {
		*error_r = "malformed PLAIN message";
		return SASL_FAIL;
	}
	const char *pw = nul2 + 1;
	size_t pw_len = len - (size_t)(pw - in);
	if (memchr(pw, '\0', pw_len) != NULL) {
		*error_r = "NUL in password";
		return SASL_FAIL;
	}
	size_t authzid_len = (size_t)(nul1 - in);
	size_t authcid_len = (size_t)(nul2 - nul1 - 1);
	char *user = user_name_dup(nul1 + 1, authcid_len, error_r);
	if (user == NULL)
		return SASL_FAIL;
	/* RFC 4616 section 2: an authzid names whom to act as; we do not
	   support proxy authorization, so it may only repeat the authcid. */
	if (authzid_len > 0 &&
	    (authzid_len != authcid_len || memcmp(in, nul1 + 1, authcid_len) != 0)) {
		*error_r = "proxy authorization not supported";
		free(user);
		return SASL_FAIL;
	}
	return finish_password(s, user, pw, pw_len, error_r);
}

/* ---- LOGIN (draft-murchison-sasl-login) ---- */

enum login_stage { LOGIN_START, LOGIN_WANT_USER, LOGIN_WANT_PASSWORD };

static enum sasl_status login_step(struct sasl_server *s, const char *in,
				   size_t len, bool have_input,
				   struct buf *out, const char **error_r)
{
	switch ((enum login_stage)s->stage) {
	case LOGIN_START:
		if (!have_input) {
			buf_append_str(out, "Username:");
			s->stage = LOGIN_WANT_USER;
			return SASL_CONTINUE;
		}
		/* an initial response is the user name (as Outlook sends it) */
		/* fall through */
	case LOGIN_WANT_USER:
		if (memchr(in, '\0', len) != NULL) {
			*error_r = "NUL in user name";
			return SASL_FAIL;
		}
		s->login_user = user_name_dup(in, len, error_r);
		if (s->login_user == NULL)
			return SASL_FAIL;
		buf_append_str(out, "Password:");
		s->stage = LOGIN_WANT_PASSWORD;
		return SASL_CONTINUE;
	case LOGIN_WANT_PASSWORD: {
		if (memchr(in, '\0', len) != NULL) {
			*error_r = "NUL in password";
			return SASL_FAIL;
		}
		char *user = s->login_user;
		s->login_user = NULL;
		return finish_password(s, user, in, len, error_r);
	}
	}
	assert(!"bad LOGIN stage");
	return SASL_FAIL;
}

/* ---- SCRAM-SHA-256 (RFC 5802, RFC 7677) ---- */

enum scram_stage { SCRAM_WANT_CLIENT_FIRST, SCRAM_WANT_CLIENT_FINAL };

static enum sasl_status scram_step(struct sasl_server *s, const char *in,
				   size_t len, bool have_input,
				   struct buf *out, const char **error_r)
{
	struct scram_credentials creds;
	enum sasl_status status = SASL_FAIL;

	if (s->stage == SCRAM_WANT_CLIENT_FINAL) {
		if (scram_server_client_final(s->scram, in, len, out, error_r) < 0)
			return SASL_FAIL;
		s->user = xstrdup(scram_server_username(s->scram));
		return SASL_OK;
	}
	if (!have_input)
		return SASL_CONTINUE; /* empty challenge, as for PLAIN */
	if (scram_server_client_first(s->scram, in, len, error_r) < 0)
		return SASL_FAIL;
	const char *user = scram_server_username(s->scram);
	bool known = s->ops->get_scram(s->ops_ctx, user, &creds) == 0;
	if (known && (creds.salt_len == 0 || creds.salt_len > SCRAM_SALT_MAX ||
		      creds.iterations == 0 ||
		      creds.iterations > SCRAM_MAX_ITERATIONS)) {
		*error_r = "invalid stored SCRAM credentials";
		goto out;
	}
	/* RFC 5802 section 9 allows failing an unknown user at once, but that
	   tells an attacker which names exist; run on fake data instead. */
	if (!known)
		scram_fake_credentials(user, &creds);
	if (scram_server_server_first(s->scram, &creds, known, out) < 0) {
		*error_r = "no random bytes for the nonce";
		goto out;
	}
	s->stage = SCRAM_WANT_CLIENT_FINAL;
	status = SASL_CONTINUE;
out:
	explicit_bzero(&creds, sizeof(creds));
	return status;
}

/* ---- the generic exchange ---- */

/* Same order as sasl_mechanisms_list(); clients choose by their own
   preference, not by ours. */
static const struct sasl_mech mechs[] = {
	{ "PLAIN", plain_step },
	{ "LOGIN", login_step },
	{ "SCRAM-SHA-256", scram_step },
};

const char *sasl_mechanisms_list(void)
{
	return "PLAIN LOGIN SCRAM-SHA-256";
}

struct sasl_server *sasl_server_new(const char *mech_name,
				    const struct sasl_credentials_ops *ops,
				    void *ops_ctx)
{
	const struct sasl_mech *mech = NULL;

	assert(ops != NULL && ops->get_password_hash != NULL &&
	       ops->get_scram != NULL);
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (strcasecmp(mech_name, mechs[i].name) == 0)
			mech = &mechs[i];
	}
	if (mech == NULL)
		return NULL;

	struct sasl_server *s = xcalloc(1, sizeof(*s));
	s->mech = mech;
	s->ops = ops;
	s->ops_ctx = ops_ctx;
	if (mech->step == scram_step)
		s->scram = scram_server_new();
	return s;
}

void sasl_server_free(struct sasl_server **sp)
{
	struct sasl_server *s = sp == NULL ? NULL : *sp;

	if (s == NULL)
		return;
	free(s->login_user);
	free(s->user);
	scram_server_free(&s->scram);
	free(s);
	*sp = NULL;
}

enum sasl_status sasl_server_step(struct sasl_server *s, const void *in,
				  size_t in_len, bool have_input,
				  struct buf *challenge_out,
				  const char **error_r)
{
	enum sasl_status status;

	buf_reset(challenge_out);
	if (s->finished) {
		*error_r = "exchange already finished";
		return SASL_FAIL;
	}
	/* Only the first step may lack input (no initial response); later
	   the client always answers, if only with an empty line. */
	if (!have_input && s->steps > 0) {
		*error_r = "missing client response";
		s->finished = true;
		return SASL_FAIL;
	}
	if (in_len > SASL_MAX_INPUT) {
		*error_r = "client response too long";
		s->finished = true;
		return SASL_FAIL;
	}
	s->steps++;
	/* The mechanisms never see a NULL pointer, even for empty input. */
	status = s->mech->step(s, have_input && in != NULL ? in : "",
			       have_input ? in_len : 0, have_input,
			       challenge_out, error_r);
	if (status != SASL_CONTINUE)
		s->finished = true;
	if (status == SASL_FAIL) {
		buf_reset(challenge_out);
		free(s->user);
		s->user = NULL;
	}
	assert(status != SASL_OK || s->user != NULL);
	return status;
}

const char *sasl_server_user(const struct sasl_server *s)
{
	return s->finished ? s->user : NULL;
}

const char *sasl_server_mech_name(const struct sasl_server *s)
{
	return s->mech->name;
}
