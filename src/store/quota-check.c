/*
 * `quire check` of quota usage, shared by the backends: quota_usage (kept
 * by triggers on messages, RFC 9208 usage per owner) against the sum over
 * each user's messages. The statements are plain SQL both SQLite and
 * PostgreSQL run as written; each backend executes them in its own
 * transaction.
 */
#include "store/common.h"

#include <inttypes.h>

/* Per user: the stored usage (no row counts as 0) and the counted one
 * (sizes and number of the messages in mailboxes the user owns), in one
 * pass over messages. */
#define USAGE_TABLE \
	"(SELECT u.id AS user_id, u.name AS name," \
	"   coalesce(q.storage, 0) AS stored_storage," \
	"   coalesce(q.messages, 0) AS stored_messages," \
	"   coalesce(c.storage, 0) AS counted_storage," \
	"   coalesce(c.messages, 0) AS counted_messages" \
	" FROM users u" \
	" LEFT JOIN quota_usage q ON q.user_id = u.id" \
	" LEFT JOIN (SELECT b.user_id AS user_id, sum(m.size) AS storage," \
	"     count(*) AS messages FROM messages m" \
	"     JOIN mailboxes b ON b.id = m.mailbox_id GROUP BY b.user_id) c" \
	"   ON c.user_id = u.id) t"
#define USAGE_DIFFERS \
	" WHERE t.stored_storage <> t.counted_storage" \
	"   OR t.stored_messages <> t.counted_messages"

const char store_quota_check_sql[] =
	"SELECT user_id, name, stored_storage, stored_messages,"
	" counted_storage, counted_messages FROM " USAGE_TABLE USAGE_DIFFERS
	" ORDER BY user_id";

/* The WHERE also keeps SQLite from reading ON CONFLICT as a join
 * constraint of the SELECT (its "parsing ambiguity" rule for upserts). */
const char store_quota_repair_sql[] =
	"INSERT INTO quota_usage (user_id, storage, messages)"
	" SELECT user_id, counted_storage, counted_messages FROM "
	USAGE_TABLE USAGE_DIFFERS
	" ON CONFLICT (user_id) DO UPDATE SET storage = excluded.storage,"
	" messages = excluded.messages";

void store_quota_usage_report(struct buf *report,
			      const struct store_quota_usage_diff *d,
			      bool repaired)
{
	if (report == NULL)
		return;
	buf_printf(report, "quota usage of %s: stored %" PRId64 " bytes in %"
		   PRId64 " messages, counted %" PRId64 " bytes in %" PRId64
		   " messages%s\n", d->user, d->stored_storage,
		   d->stored_messages, d->counted_storage, d->counted_messages,
		   repaired ? " (repaired)" : "");
}
