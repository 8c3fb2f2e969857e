/*
 * store/pg: what `quire import` and a generic copier need beyond the
 * everyday API: keeping recorded UIDs and uidvalidity, finding messages
 * already stored, and statistics.
 */
#include <string.h>

#include "store/pg/internal.h"

int store_pg_import_set_uidvalidity(struct store *s, int64_t mailbox_id,
				    uint32_t uidvalidity, uint32_t uidnext,
				    const char **error_r)
{
	struct store_mailbox mb;
	struct pg_params p = { 0 };
	int64_t used = 0;
	int ret = pg_tx_begin(s);

	if (ret == STORE_OK)
		ret = pg_mailbox_read(s, mailbox_id, true, &mb);
	pg_param_int(&p, mailbox_id);
	if (ret == STORE_OK && mb.uidvalidity != uidvalidity)
		ret = pg_query_int(s, "SELECT (SELECT count(*) FROM messages"
			" WHERE mailbox_id = $1) + (SELECT count(*) FROM"
			" tombstones WHERE mailbox_id = $1)", &p, &used,
			"mailbox");
	if (ret == STORE_OK && used > 0)
		ret = pg_fail(s, STORE_ECANNOT, "mailbox is not empty");
	pg_param_int(&p, uidvalidity);
	pg_param_int(&p, uidnext);
	if (ret == STORE_OK)
		ret = pg_exec(s, "UPDATE mailboxes SET uidvalidity = $2,"
			      " uidnext = greatest(uidnext, $3) WHERE id = $1",
			      &p);
	if (ret == STORE_OK)
		pg_tx_changed(s, mailbox_id);
	if (s->in_tx)
		ret = pg_tx_end(s, ret);
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_import_append(struct store *s, int64_t mailbox_id,
			   const struct store_append_msg *msgs,
			   const uint32_t *uids, size_t count,
			   uint32_t *uids_r, const char **error_r)
{
	int ret = count == 0 ? pg_fail(s, STORE_EINVALID, "nothing to import") :
		pg_append_tx(s, mailbox_id, msgs, uids, count, uids_r, NULL);

	pg_error_out(s, error_r);
	return ret;
}

int store_pg_import_find(struct store *s, int64_t mailbox_id,
			 const uint8_t sha256[STORE_IMPORT_HASH_LEN],
			 uint64_t size, uint32_t *uid_r, const char **error_r)
{
	struct pg_params p = { 0 };
	char hex[65];
	int64_t uid = 0;

	pg_sha_hex(sha256, hex);
	pg_param_int(&p, mailbox_id);
	pg_param_str(&p, hex);
	pg_param_int(&p, (int64_t)size);
	int ret = pg_query_int(s, "SELECT m.uid FROM messages m JOIN blobs b"
		" ON b.id = m.blob_id WHERE m.mailbox_id = $1 AND b.sha256 = $2"
		" AND b.size = $3 ORDER BY m.uid LIMIT 1", &p, &uid, "message");
	if (ret == STORE_OK && uid_r != NULL)
		*uid_r = (uint32_t)uid;
	pg_error_out(s, error_r);
	return ret;
}

int store_pg_stats(struct store *s, struct store_stats *stats_r,
		   const char **error_r)
{
	int code;
	PGresult *res = pg_query(s, "SELECT (SELECT count(*) FROM users),"
		" (SELECT count(*) FROM mailboxes), (SELECT count(*) FROM"
		" messages), (SELECT coalesce(sum(size), 0) FROM messages),"
		" (SELECT coalesce(sum(size), 0) FROM blobs)", NULL, &code);

	memset(stats_r, 0, sizeof(*stats_r));
	if (res != NULL) {
		stats_r->users = (uint64_t)pg_int(res, 0, 0);
		stats_r->mailboxes = (uint64_t)pg_int(res, 0, 1);
		stats_r->messages = (uint64_t)pg_int(res, 0, 2);
		stats_r->message_bytes = (uint64_t)pg_int(res, 0, 3);
		stats_r->blob_bytes = (uint64_t)pg_int(res, 0, 4);
	}
	PQclear(res);
	pg_error_out(s, error_r);
	return code;
}
