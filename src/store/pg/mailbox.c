/*
 * store/pg: mailboxes (RFC 3501 6.3); the namespaces their names live in
 * (RFC 2342) are store/namespace.c's. UID and modseq allocation is pg_mailbox_allocate: one
 * UPDATE ... RETURNING that row-locks the mailbox until commit.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "store/namespace.h"
#include "store/pg/internal.h"

#define DELIM '/'
#define MAILBOX_COLUMNS \
	"id, user_id, uidvalidity, uidnext, highestmodseq, first_recent_uid, attrs"

static int row_mailbox(struct store *s, PGresult *res, int code,
		       struct store_mailbox *mb)
{
	if (res == NULL)
		return code;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return pg_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	}
	memset(mb, 0, sizeof(*mb));
	mb->id = pg_int(res, 0, 0);
	mb->user_id = pg_int(res, 0, 1);
	mb->uidvalidity = (uint32_t)pg_int(res, 0, 2);
	mb->uidnext = (uint32_t)pg_int(res, 0, 3);
	mb->highestmodseq = (uint64_t)pg_int(res, 0, 4);
	mb->first_recent_uid = (uint32_t)pg_int(res, 0, 5);
	mb->attrs = (uint32_t)pg_int(res, 0, 6);
	PQclear(res);
	return pg_rights_of(s, mb->id, mb->user_id, &mb->rights);
}

int pg_mailbox_read(struct store *s, int64_t mailbox_id, bool lock,
		    struct store_mailbox *mb_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	PGresult *res = pg_query(s, lock ?
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = $1"
		" FOR UPDATE" :
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = $1",
		&p, &code);
	return row_mailbox(s, res, code, mb_r);
}

int pg_require_mailbox(struct store *s, int64_t mailbox_id, uint32_t need,
		       bool lock, struct store_mailbox *mb_r)
{
	int ret = pg_mailbox_read(s, mailbox_id, lock, mb_r);

	return ret == STORE_OK ?
		pg_require(s, mb_r, need, STORE_ENONEXISTENT) : ret;
}

static int find_by_name(struct store *s, int64_t user_id, const char *name,
			struct store_mailbox *mb_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, user_id);
	pg_param_str(&p, name);
	PGresult *res = pg_query(s, "SELECT " MAILBOX_COLUMNS
		" FROM mailboxes WHERE user_id = $1 AND name = $2", &p, &code);
	return row_mailbox(s, res, code, mb_r);
}

int pg_mailbox_allocate(struct store *s, int64_t mailbox_id, uint32_t count,
			uint32_t *first_uid_r, uint64_t *modseq_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, mailbox_id);
	pg_param_int(&p, count);
	/* The row lock this takes is held to commit: the next writer of the
	 * mailbox reads the counters only after this transaction is done. */
	PGresult *res = pg_query(s, "UPDATE mailboxes SET uidnext = uidnext"
		" + $2, highestmodseq = highestmodseq + 1 WHERE id = $1"
		" RETURNING uidnext - $2, highestmodseq", &p, &code);
	if (res == NULL)
		return code;
	if (PQntuples(res) == 0)
		code = pg_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	else if (pg_int(res, 0, 0) + count > UINT32_MAX)
		code = pg_fail(s, STORE_ECANNOT, "mailbox out of UIDs");
	if (code == STORE_OK) {
		*first_uid_r = (uint32_t)pg_int(res, 0, 0);
		*modseq_r = (uint64_t)pg_int(res, 0, 1);
		pg_tx_changed(s, mailbox_id);
	}
	PQclear(res);
	return code;
}

int pg_mailbox_find(struct store *s, int64_t user_id, const char *name,
		    struct store_mailbox *mb_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_mailbox(s, user_id, name, &ns);

	if (ret == STORE_OK)
		ret = find_by_name(s, ns.owner_id, buf_cstr(&ns.local), mb_r);
	/* RFC 4314 6: a mailbox without any right of the actor is not there */
	if (ret == STORE_OK && mb_r->rights == 0)
		ret = pg_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	buf_free(&ns.local);
	return ret;
}

int store_pg_mailbox_lookup(struct store *s, int64_t user_id,
			    const char *name, struct store_mailbox *mailbox_r,
			    const char **error_r)
{
	int ret = pg_mailbox_find(s, user_id, name, mailbox_r);

	pg_error_out(s, error_r);
	return ret;
}

int store_pg_mailbox_get(struct store *s, int64_t mailbox_id,
			 struct store_mailbox *mailbox_r, const char **error_r)
{
	int ret = pg_mailbox_read(s, mailbox_id, false, mailbox_r);

	if (ret == STORE_OK && mailbox_r->rights == 0)
		ret = pg_fail(s, STORE_ENONEXISTENT, "no such mailbox");
	pg_error_out(s, error_r);
	return ret;
}

/* ---- create, delete, rename ---- */

static int insert_mailbox(struct store *s, int64_t user_id, const char *name,
			  uint32_t attrs, int64_t inherit_from, int64_t *id_r)
{
	struct pg_params p = { 0 };
	int64_t id = 0;

	pg_param_int(&p, user_id);
	pg_param_str(&p, name);
	pg_param_int(&p, attrs);
	int ret = pg_query_int(s, "INSERT INTO mailboxes (user_id, name,"
		" uidvalidity, attrs) VALUES ($1, $2,"
		" nextval('uidvalidity_seq'), $3) RETURNING id", &p, &id,
		"mailbox");
	if (ret == STORE_EALREADYEXISTS)
		ret = pg_fail(s, ret, "mailbox already exists");
	/* RFC 5465 5.4: NOTIFY's MailboxName event */
	pg_tx_changed(s, STORE_CHANGE_NAMES);
	if (ret == STORE_OK && id_r != NULL)
		*id_r = id;
	/* RFC 4314 4: a new mailbox SHOULD inherit its parent's ACL */
	if (ret == STORE_OK && inherit_from != 0)
		ret = pg_acl_inherit(s, inherit_from, id);
	return ret;
}

static int check_create(struct store *s, int64_t user_id, const char *name,
			int64_t *inherit_r)
{
	struct buf prefix = BUF_INIT;
	struct store_mailbox parent;
	int ret = STORE_ENONEXISTENT;
	bool owns;

	buf_append_str(&prefix, name);
	for (char *slash = strrchr(prefix.data, DELIM);
	     slash != NULL && ret == STORE_ENONEXISTENT;
	     slash = strrchr(prefix.data, DELIM)) {
		buf_truncate(&prefix, (size_t)(slash - prefix.data));
		ret = find_by_name(s, user_id, buf_cstr(&prefix), &parent);
	}
	buf_free(&prefix);
	bool found = ret == STORE_OK;
	if (ret == STORE_ENONEXISTENT)
		ret = STORE_OK;
	if (ret == STORE_OK)
		ret = pg_actor_owns(s, user_id, &owns);
	if (ret != STORE_OK)
		return ret;
	*inherit_r = found ? parent.id : 0;
	/* RFC 4314 4: k on the nearest existing parent */
	if (owns || (found && (parent.rights & ACL_CREATE)))
		return STORE_OK;
	return pg_fail(s, STORE_ENOPERM, "permission denied");
}

static int create_parents(struct store *s, int64_t user_id, const char *name,
			  int64_t inherit_from)
{
	struct buf prefix = BUF_INIT;
	int ret = STORE_OK;

	for (const char *p = strchr(name, DELIM); p != NULL && ret == STORE_OK;
	     p = strchr(p + 1, DELIM)) {
		struct pg_params q = { 0 };
		buf_reset(&prefix);
		buf_append(&prefix, name, (size_t)(p - name));
		pg_param_int(&q, user_id);
		pg_param_str(&q, buf_cstr(&prefix));
		pg_param_int(&q, inherit_from);
		/* ON CONFLICT: another front end may create it right now */
		ret = pg_exec(s, "WITH n AS (INSERT INTO mailboxes (user_id,"
			" name, uidvalidity) VALUES ($1, $2,"
			" nextval('uidvalidity_seq')) ON CONFLICT DO NOTHING"
			" RETURNING id) INSERT INTO acl (mailbox_id,"
			" identifier, rights) SELECT n.id, a.identifier,"
			" a.rights FROM n, acl a WHERE a.mailbox_id = $3", &q);
	}
	buf_free(&prefix);
	return ret;
}

static int create_tx(struct store *s, int64_t user_id, const char *name,
		     uint32_t special_use, int64_t *id_r)
{
	struct store_mailbox mb;
	int64_t inherit = 0;
	int ret = check_create(s, user_id, name, &inherit);

	if (ret == STORE_OK)
		ret = find_by_name(s, user_id, name, &mb);
	if (ret == STORE_OK && (mb.attrs & STORE_MBOX_NOSELECT) == 0)
		return pg_fail(s, STORE_EALREADYEXISTS, "mailbox already exists");
	if (ret == STORE_OK) {
		/* a \Noselect parent becomes real again: a new incarnation,
		 * so a new uidvalidity (RFC 3501 2.3.1.1) */
		struct pg_params p = { 0 };
		pg_param_int(&p, mb.id);
		pg_param_int(&p, special_use);
		if (id_r != NULL)
			*id_r = mb.id;
		pg_tx_changed(s, mb.id);
		pg_tx_changed(s, STORE_CHANGE_NAMES);
		return pg_exec(s, "UPDATE mailboxes SET uidvalidity ="
			       " nextval('uidvalidity_seq'), attrs = $2"
			       " WHERE id = $1", &p);
	}
	if (ret != STORE_ENONEXISTENT)
		return ret;
	ret = create_parents(s, user_id, name, inherit);
	if (ret == STORE_OK)
		ret = insert_mailbox(s, user_id, name, special_use, inherit,
				     id_r);
	return ret;
}

int store_pg_mailbox_create(struct store *s, int64_t user_id,
			    const char *name, uint32_t special_use,
			    int64_t *id_r, const char **error_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_create(s, user_id, name, &ns);

	special_use &= STORE_MBOX_SPECIAL_USE_MASK;
	if (ret == STORE_OK)
		ret = pg_tx_begin(s);
	if (ret == STORE_OK)
		ret = pg_tx_end(s, create_tx(s, ns.owner_id, buf_cstr(&ns.local),
					     special_use, id_r));
	buf_free(&ns.local);
	pg_error_out(s, error_r);
	return ret;
}

static int has_children(struct store *s, int64_t user_id, const char *name,
			bool *yes_r)
{
	struct pg_params p = { 0 };
	int code;

	pg_param_int(&p, user_id);
	pg_param_str(&p, name);
	PGresult *res = pg_query(s, "SELECT 1 FROM mailboxes WHERE user_id = $1"
		" AND starts_with(name, $2 || '/') LIMIT 1", &p, &code);
	if (res != NULL)
		*yes_r = PQntuples(res) > 0;
	PQclear(res);
	return code;
}

static int delete_tx(struct store *s, int64_t user_id, const char *name)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	bool children = false;

	/* RFC 3501 6.3.4: it is an error to attempt to delete INBOX */
	if (strcmp(name, "INBOX") == 0)
		return pg_fail(s, STORE_ECANNOT, "cannot delete INBOX");
	int ret = find_by_name(s, user_id, name, &mb);
	if (ret == STORE_OK)
		ret = pg_require(s, &mb, ACL_DELETE, STORE_ENONEXISTENT);
	if (ret == STORE_OK)
		ret = has_children(s, user_id, name, &children);
	if (ret != STORE_OK)
		return ret;
	if (children && (mb.attrs & STORE_MBOX_NOSELECT) != 0)
		return pg_fail(s, STORE_ECANNOT, "mailbox has children");
	pg_param_int(&p, mb.id);
	/* RFC 4314 4: DELETE MUST delete the mailbox's ACL */
	ret = pg_exec(s, "DELETE FROM acl WHERE mailbox_id = $1", &p);
	if (ret == STORE_OK)
		ret = pg_messages_delete_all(s, mb.id);
	if (ret != STORE_OK)
		return ret;
	pg_tx_changed(s, mb.id);
	pg_tx_changed(s, STORE_CHANGE_NAMES);
	if (children)
		return pg_exec(s, "UPDATE mailboxes SET attrs = 1,"
			       " highestmodseq = highestmodseq + 1"
			       " WHERE id = $1", &p);
	return pg_exec(s, "DELETE FROM mailboxes WHERE id = $1", &p);
}

int store_pg_mailbox_delete(struct store *s, int64_t user_id,
			    const char *name, const char **error_r)
{
	struct store_ns_name ns;
	int ret = store_ns_resolve_mailbox(s, user_id, name, &ns);

	if (ret == STORE_OK)
		ret = pg_tx_begin(s);
	if (ret == STORE_OK)
		ret = pg_tx_end(s, delete_tx(s, ns.owner_id,
					     buf_cstr(&ns.local)));
	buf_free(&ns.local);
	pg_error_out(s, error_r);
	return ret;
}

static int rename_tx(struct store *s, int64_t user_id, const char *old_name,
		     const char *new_name)
{
	struct store_mailbox mb, other;
	struct pg_params p = { 0 };
	size_t old_len = strlen(old_name);
	int64_t inherit = 0;
	int ret = find_by_name(s, user_id, old_name, &mb);

	/* RFC 4314 4: x on the old name, k on the new parent */
	if (ret == STORE_OK)
		ret = pg_require(s, &mb, ACL_DELETE, STORE_ENONEXISTENT);
	if (ret == STORE_OK)
		ret = check_create(s, user_id, new_name, &inherit);
	if (ret != STORE_OK)
		return ret;
	ret = find_by_name(s, user_id, new_name, &other);
	if (ret == STORE_OK)
		return pg_fail(s, STORE_EALREADYEXISTS, "mailbox already exists");
	if (ret != STORE_ENONEXISTENT)
		return ret;
	ret = create_parents(s, user_id, new_name, inherit);
	if (ret != STORE_OK)
		return ret;
	if (strcmp(old_name, "INBOX") == 0) {
		/* RFC 3501 6.3.5: INBOX's messages move to a new mailbox */
		int64_t new_id;
		ret = insert_mailbox(s, user_id, new_name, 0, inherit, &new_id);
		if (ret == STORE_OK)
			ret = pg_messages_move_all(s, mb.id, new_id);
		return ret;
	}
	if (strncmp(new_name, old_name, old_len) == 0 &&
	    new_name[old_len] == DELIM)
		return pg_fail(s, STORE_ECANNOT,
			       "cannot rename a mailbox into itself");
	pg_param_int(&p, user_id);
	pg_param_str(&p, old_name);
	pg_param_str(&p, new_name);
	pg_param_int(&p, (int64_t)old_len);
	/* the mailbox and its children in one statement; a taken target
	 * name is a unique violation: STORE_EALREADYEXISTS */
	int code;
	PGresult *res = pg_query(s, "UPDATE mailboxes SET name = $3 ||"
		" substr(name, $4 + 1) WHERE user_id = $1 AND (name = $2 OR"
		" starts_with(name, $2 || '/')) RETURNING id", &p, &code);
	if (res == NULL)
		return code == STORE_EALREADYEXISTS ?
			pg_fail(s, code, "mailbox already exists") : code;
	for (int i = 0; i < PQntuples(res); i++)
		pg_tx_changed(s, pg_int(res, i, 0));
	pg_tx_changed(s, STORE_CHANGE_NAMES);
	PQclear(res);
	return STORE_OK;
}

int store_pg_mailbox_rename(struct store *s, int64_t user_id,
			    const char *old_name, const char *new_name,
			    const char **error_r)
{
	struct store_ns_name from, to;
	int ret = store_ns_resolve_rename(s, user_id, old_name, new_name,
					  &from, &to);

	if (ret == STORE_OK)
		ret = pg_tx_begin(s);
	if (ret == STORE_OK)
		ret = pg_tx_end(s, rename_tx(s, from.owner_id,
					     buf_cstr(&from.local),
					     buf_cstr(&to.local)));
	buf_free(&to.local);
	buf_free(&from.local);
	pg_error_out(s, error_r);
	return ret;
}
