/*
 * store/pg: accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"

/* A new account gets these, subscribed (RFC 6154 special-use). */
static const struct {
	const char *name;
	uint32_t attrs;
} default_mailboxes[] = {
	{ "INBOX", 0 },
	{ "Drafts", STORE_MBOX_DRAFTS },
	{ "Sent", STORE_MBOX_SENT },
	{ "Trash", STORE_MBOX_TRASH },
	{ "Junk", STORE_MBOX_JUNK },
	{ "Archive", STORE_MBOX_ARCHIVE },
};

static void hex(const uint8_t *p, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++)
		buf_printf(out, "%02x", p[i]);
}

static size_t unhex(const char *text, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; n < max && text[2 * n] != '\0' && text[2 * n + 1] != '\0'; n++) {
		unsigned v;
		if (sscanf(text + 2 * n, "%2x", &v) != 1)
			break;
		out[n] = (uint8_t)v;
	}
	return n;
}

int pg_user_id(struct store *s, const char *name, int64_t *id_r,
	       struct buf *canon)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_str(&p, name);
	PGresult *res = pg_query(s, "SELECT id, name FROM users"
				 " WHERE lower(name) = lower($1)", &p, &code);
	if (res == NULL)
		return code;
	if (PQntuples(res) == 0) {
		code = pg_fail(s, STORE_ENONEXISTENT, "no such user");
	} else {
		*id_r = pg_int(res, 0, 0);
		if (canon != NULL) {
			buf_reset(canon);
			buf_append_str(canon, pg_str(res, 0, 1));
		}
	}
	PQclear(res);
	return code;
}

int pg_user_name(struct store *s, int64_t id, struct buf *out)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, id);
	PGresult *res = pg_query(s, "SELECT name FROM users WHERE id = $1",
				 &p, &code);
	buf_reset(out);
	if (res == NULL)
		return code;
	if (PQntuples(res) == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "no such user");
	else
		buf_append_str(out, pg_str(res, 0, 0));
	PQclear(res);
	return code;
}

static int add_mailboxes(struct store *s, int64_t user_id)
{
	int ret = STORE_OK;

	for (size_t i = 0; i < sizeof(default_mailboxes) /
	     sizeof(default_mailboxes[0]) && ret == STORE_OK; i++) {
		struct pg_params p = { 0 };
		pg_param_int(&p, user_id);
		pg_param_str(&p, default_mailboxes[i].name);
		pg_param_int(&p, default_mailboxes[i].attrs);
		ret = pg_exec(s, "INSERT INTO mailboxes (user_id, name,"
			      " uidvalidity, attrs) VALUES ($1, $2,"
			      " nextval('uidvalidity_seq'), $3)", &p);
		p.count = 2;
		if (ret == STORE_OK)
			ret = pg_exec(s, "INSERT INTO subscriptions (user_id,"
				      " name) VALUES ($1, $2)"
				      " ON CONFLICT DO NOTHING", &p);
	}
	return ret;
}

/* Fills p's next four parameters from scram (NULLs without one). */
static void scram_params(struct pg_params *p, const struct store_scram *scram,
			 struct buf *salt, struct buf *keys)
{
	if (scram == NULL) {
		for (int i = 0; i < 4; i++)
			pg_param_str(p, NULL);
		return;
	}
	hex(scram->salt, scram->salt_len, salt);
	hex(scram->stored_key, 32, keys);
	buf_append_char(keys, '\0');
	hex(scram->server_key, 32, keys);
	pg_param_str(p, buf_cstr(salt));
	pg_param_int(p, scram->iterations);
	pg_param_str(p, keys->data);
	pg_param_str(p, keys->data + 65);
}

int store_pg_user_add(struct store *s, const char *name,
		      const char *password_hash,
		      const struct store_scram *scram, int64_t *id_r,
		      const char **error_r)
{
	struct buf salt = BUF_INIT, keys = BUF_INIT;
	struct pg_params p = { 0 };
	const char *reason;
	int64_t id = 0;
	int ret;

	if (!store_user_name_valid(name, &reason))
		ret = pg_fail(s, STORE_EINVALID, "%s", reason);
	else if (scram != NULL && (scram->salt_len > 1024 ||
				   scram->iterations == 0))
		ret = pg_fail(s, STORE_EINVALID, "bad SCRAM parameters");
	else
		ret = pg_tx_begin(s);
	if (ret == STORE_OK) {
		pg_param_str(&p, name);
		pg_param_str(&p, password_hash);
		scram_params(&p, scram, &salt, &keys);
		ret = pg_query_int(s, "INSERT INTO users (name, password_hash,"
			" scram_salt, scram_iterations, scram_stored_key,"
			" scram_server_key) VALUES ($1, $2, $3, $4, $5, $6)"
			" RETURNING id", &p, &id, "user");
		if (ret == STORE_EALREADYEXISTS)
			ret = pg_fail(s, ret, "user %s already exists", name);
		if (ret == STORE_OK)
			ret = add_mailboxes(s, id);
		ret = pg_tx_end(s, ret);
	}
	if (ret == STORE_OK && id_r != NULL)
		*id_r = id;
	buf_free(&salt);
	buf_free(&keys);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_user_get(struct store *s, const char *name,
		      struct store_user *user_r, const char **error_r)
{
	struct pg_params p = { 0 };
	int code;

	memset(user_r, 0, sizeof(*user_r));
	pg_param_str(&p, name);
	PGresult *res = pg_query(s, "SELECT id, name, password_hash,"
		" scram_salt, scram_iterations, scram_stored_key,"
		" scram_server_key FROM users WHERE lower(name) = lower($1)",
		&p, &code);
	if (res != NULL && PQntuples(res) == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "no such user");
	if (res != NULL && code == STORE_OK) {
		user_r->id = pg_int(res, 0, 0);
		user_r->name = xstrdup(pg_str(res, 0, 1));
		user_r->password_hash = xstrdup(pg_str(res, 0, 2));
		const char *salt = pg_str(res, 0, 3);
		if (salt != NULL && pg_str(res, 0, 5) != NULL &&
		    pg_str(res, 0, 6) != NULL) {
			struct store_scram *sc = &user_r->scram;
			user_r->has_scram = true;
			sc->salt = xmalloc(strlen(salt) / 2 + 1);
			sc->salt_len = unhex(salt, sc->salt, strlen(salt) / 2);
			sc->iterations = (uint32_t)pg_int(res, 0, 4);
			unhex(pg_str(res, 0, 5), sc->stored_key, 32);
			unhex(pg_str(res, 0, 6), sc->server_key, 32);
		}
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}

int store_pg_user_set_password(struct store *s, const char *name,
			       const char *password_hash,
			       const struct store_scram *scram,
			       const char **error_r)
{
	struct buf salt = BUF_INIT, keys = BUF_INIT;
	struct pg_params p = { 0 };
	int64_t id;

	pg_param_str(&p, name);
	pg_param_str(&p, password_hash);
	scram_params(&p, scram, &salt, &keys);
	int ret = pg_query_int(s, "UPDATE users SET password_hash = $2,"
		" scram_salt = $3, scram_iterations = $4, scram_stored_key = $5,"
		" scram_server_key = $6 WHERE lower(name) = lower($1)"
		" RETURNING id", &p, &id, "user");
	buf_free(&salt);
	buf_free(&keys);
	pg_error_out(s, error_r);
	return ret;
}

static int user_delete_tx(struct store *s, const char *name)
{
	struct pg_params p = { 0 };
	int64_t id;
	int code, ret = pg_user_id(s, name, &id, NULL);

	if (ret != STORE_OK)
		return ret;
	pg_param_int(&p, id);
	PGresult *res = pg_query(s, "SELECT id FROM mailboxes WHERE user_id = $1"
				 " FOR UPDATE", &p, &code);
	for (int i = 0; res != NULL && i < PQntuples(res) && ret == STORE_OK; i++)
		ret = pg_messages_delete_all(s, pg_int(res, i, 0));
	if (res == NULL)
		return code;
	for (int i = 0; i < PQntuples(res); i++)
		pg_tx_changed(s, pg_int(res, i, 0));
	PQclear(res);
	/* The user's ACL entries on others' mailboxes go too: a new account
	 * of the same name must not inherit them. */
	if (ret == STORE_OK)
		ret = pg_exec(s, "DELETE FROM acl WHERE identifier IN (SELECT"
			      " name FROM users WHERE id = $1 UNION SELECT"
			      " '-' || name FROM users WHERE id = $1)", &p);
	if (ret == STORE_OK)
		ret = pg_exec(s, "DELETE FROM users WHERE id = $1", &p);
	return ret;
}

int store_pg_user_delete(struct store *s, const char *name,
			 const char **error_r)
{
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_tx_end(s, user_delete_tx(s, name));
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_user_list(struct store *s, char ***names_r, size_t *count_r,
		       const char **error_r)
{
	int code;
	PGresult *res = pg_query(s, "SELECT name FROM users"
				 " ORDER BY name COLLATE \"C\"", NULL, &code);

	*names_r = NULL;
	if (res != NULL) {
		int n = PQntuples(res);
		*names_r = xcalloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; i < n; i++)
			(*names_r)[i] = xstrdup(pg_str(res, i, 0));
		if (count_r != NULL)
			*count_r = (size_t)n;
		PQclear(res);
	}
	pg_error_out(s, error_r);
	return code;
}
