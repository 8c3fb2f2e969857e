/*
 * The copier of `quire migrate` (migrate.h): copies a whole site from one
 * store to another (SQLite to PostgreSQL, back, or between two data dirs)
 * over the store.h API only, so it works for any pair of backends.
 *
 * The destination ends up as a mirror of the source for every user the
 * source has: same users (password hash, SCRAM), mailboxes (name,
 * special use, \Noselect, uidvalidity, uidnext, highestmodseq, keywords,
 * tombstones), messages (bytes, UID, flags, keywords, modseq,
 * internaldate and zone, savedate), ACL entries, subscriptions and quota
 * limits. Each step compares first and writes only differences, so a
 * second run changes nothing and a run after new mail copies only that.
 * Users only the destination has are left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/migrate.h"

/* One append transaction: as `quire import`, big enough that commits do
 * not dominate, small enough that memory and open files stay low. */
#define BATCH_MESSAGES 200
#define BATCH_BYTES (32u * 1024 * 1024)

struct migrate {
	struct store *src, *dst;
	struct migrate_counts n;
	unsigned long failures;
};

/* A user present on both sides. */
struct migrate_user {
	char *name;
	int64_t src_id, dst_id;
};

static void report_error(struct migrate *m, const char *what,
			 const char *name, const char *error)
{
	fprintf(stderr, "quire migrate: %s '%s': %s\n", what, name,
		error != NULL ? error : "unknown error");
	m->failures++;
}

/* ---- users ---- */

static bool scram_equal(const struct store_user *a, const struct store_user *b)
{
	if (a->has_scram != b->has_scram)
		return false;
	if (!a->has_scram)
		return true;
	return a->scram.iterations == b->scram.iterations &&
	       a->scram.salt_len == b->scram.salt_len &&
	       memcmp(a->scram.salt, b->scram.salt, a->scram.salt_len) == 0 &&
	       memcmp(a->scram.stored_key, b->scram.stored_key, 32) == 0 &&
	       memcmp(a->scram.server_key, b->scram.server_key, 32) == 0;
}

static int copy_user(struct migrate *m, const char *name,
		     struct migrate_user *u_r)
{
	struct store_user su, du;
	const char *error = NULL;
	int r = store_user_get(m->src, name, &su, &error);

	if (r != STORE_OK) {
		report_error(m, "read user", name, error);
		return -1;
	}
	const struct store_scram *scram = su.has_scram ? &su.scram : NULL;
	r = store_user_get(m->dst, su.name, &du, &error);
	if (r == STORE_ENONEXISTENT) {
		r = store_user_add(m->dst, su.name, su.password_hash, scram,
				   &u_r->dst_id, &error);
		if (r == STORE_OK)
			m->n.users_added++;
	} else if (r == STORE_OK) {
		u_r->dst_id = du.id;
		if (strcmp(su.password_hash, du.password_hash) != 0 ||
		    !scram_equal(&su, &du)) {
			r = store_user_set_password(m->dst, su.name,
						    su.password_hash, scram,
						    &error);
			if (r == STORE_OK)
				m->n.users_updated++;
		}
		store_user_free(&du);
	}
	if (r != STORE_OK)
		report_error(m, "write user", su.name, error);
	u_r->name = xstrdup(su.name);
	u_r->src_id = su.id;
	store_user_free(&su);
	return r == STORE_OK ? 0 : -1;
}

/* ---- names: the user's own mailboxes, subscriptions ---- */

/* The user's own mailboxes (name, id), sorted by name: listed as the user,
 * so other users' mailboxes shared with them come in only where they hold
 * l, and are filtered out by owner. */
static int own_mailboxes(struct migrate *m, struct store *st, int64_t user_id,
			 struct store_mailbox_list *out)
{
	struct store_mailbox_list all;
	const char *error = NULL;
	size_t keep = 0;

	store_set_actor(st, user_id);
	int r = store_mailbox_list(st, user_id, &all, &error);
	store_set_actor(st, 0);
	memset(out, 0, sizeof(*out));
	if (r != STORE_OK) {
		report_error(m, "list mailboxes of user id", "", error);
		return -1;
	}
	out->entries = xcalloc(all.count + 1, sizeof(*out->entries));
	for (size_t i = 0; i < all.count; i++) {
		struct store_mailbox mb;
		struct store_mailbox_entry *e = &all.entries[i];
		if (e->id == 0 || (e->attrs & STORE_MBOX_NONEXISTENT) ||
		    store_mailbox_get(st, e->id, &mb, &error) != STORE_OK ||
		    mb.user_id != user_id)
			continue;
		out->entries[keep] = *e;
		out->entries[keep++].name = xstrdup(e->name);
	}
	out->count = keep;
	store_mailbox_list_free(&all);
	return 0;
}

static bool name_in(const struct store_mailbox_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->entries[i].name, name) == 0)
			return true;
	}
	return false;
}

static bool string_in(char **strings, const char *s)
{
	for (size_t i = 0; strings != NULL && strings[i] != NULL; i++) {
		if (strcmp(strings[i], s) == 0)
			return true;
	}
	return false;
}

static void sync_subscriptions(struct migrate *m, const struct migrate_user *u)
{
	char **from = NULL, **to = NULL;
	const char *error = NULL;

	if (store_subscriptions_list(m->src, u->src_id, &from, NULL,
				     &error) != STORE_OK ||
	    store_subscriptions_list(m->dst, u->dst_id, &to, NULL,
				     &error) != STORE_OK) {
		report_error(m, "subscriptions of", u->name, error);
	} else {
		for (size_t i = 0; from[i] != NULL; i++) {
			if (string_in(to, from[i]))
				continue;
			if (store_mailbox_subscribe(m->dst, u->dst_id, from[i],
						    true, &error) == STORE_OK)
				m->n.subscriptions++;
			else
				report_error(m, "subscribe", from[i], error);
		}
		for (size_t i = 0; to[i] != NULL; i++) {
			if (string_in(from, to[i]))
				continue;
			if (store_mailbox_subscribe(m->dst, u->dst_id, to[i],
						    false, &error) == STORE_OK)
				m->n.subscriptions++;
			else
				report_error(m, "unsubscribe", to[i], error);
		}
	}
	store_strings_free(from);
	store_strings_free(to);
}

static void sync_quota(struct migrate *m, const struct migrate_user *u)
{
	struct store_quota_limits a, b;
	const char *error = NULL;

	if (store_quota_limits_get(m->src, u->name, &a, &error) != STORE_OK ||
	    store_quota_limits_get(m->dst, u->name, &b, &error) != STORE_OK) {
		report_error(m, "quota of", u->name, error);
		return;
	}
	if (a.use_default == b.use_default &&
	    a.storage_limited == b.storage_limited &&
	    (!a.storage_limited || a.storage_kib == b.storage_kib) &&
	    a.messages_limited == b.messages_limited &&
	    (!a.messages_limited || a.messages == b.messages))
		return;
	if (store_quota_set(m->dst, u->name,
			    a.storage_limited ? &a.storage_kib : NULL,
			    a.messages_limited ? &a.messages : NULL,
			    a.use_default, &error) == STORE_OK)
		m->n.quotas++;
	else
		report_error(m, "set quota of", u->name, error);
}

/* ---- ACL ---- */

static const struct store_acl_entry *acl_find(const struct store_acl *acl,
					      const char *identifier)
{
	for (size_t i = 0; i < acl->count; i++) {
		if (strcmp(acl->entries[i].identifier, identifier) == 0)
			return &acl->entries[i];
	}
	return NULL;
}

static void sync_acl(struct migrate *m, const struct migrate_user *u,
		     const char *name)
{
	struct store_acl a = { 0 }, b = { 0 };
	const char *error = NULL;

	if (store_acl_get(m->src, u->src_id, name, &a, &error) != STORE_OK ||
	    store_acl_get(m->dst, u->dst_id, name, &b, &error) != STORE_OK) {
		report_error(m, "ACL of", name, error);
	} else {
		for (size_t i = 0; i < a.count; i++) {
			const struct store_acl_entry *e = &a.entries[i];
			const struct store_acl_entry *have =
				acl_find(&b, e->identifier);
			if (have != NULL && have->rights == e->rights)
				continue;
			if (store_acl_set(m->dst, u->dst_id, name, e->identifier,
					  STORE_ACL_REPLACE, e->rights,
					  &error) == STORE_OK)
				m->n.acl++;
			else
				report_error(m, "set ACL on", name, error);
		}
		for (size_t i = 0; i < b.count; i++) {
			const char *id = b.entries[i].identifier;
			if (acl_find(&a, id) != NULL)
				continue;
			if (store_acl_delete(m->dst, u->dst_id, name, id,
					     &error) == STORE_OK)
				m->n.acl++;
			else
				report_error(m, "delete ACL on", name, error);
		}
	}
	store_acl_free(&a);
	store_acl_free(&b);
}

/* ---- messages ---- */

struct copy_batch {
	struct store_migrate_msg *msgs;
	char **kw_storage;          /* per message: the split keyword copy */
	const char **kw_ptrs;       /* all keyword pointers of the batch */
	size_t count;
};

/* Splits "a b c" into the batch's pointer storage for message i. */
static void batch_keywords(struct copy_batch *b, size_t i, const char *kw,
			   size_t *used, size_t cap)
{
	struct store_append_msg *msg = &b->msgs[i].msg;
	msg->keywords = &b->kw_ptrs[*used];
	msg->keyword_count = 0;
	if (kw == NULL || *kw == '\0')
		return;
	char *copy = b->kw_storage[i] = xstrdup(kw);
	for (char *p = copy; p != NULL && *used < cap;) {
		char *end = strchr(p, ' ');
		if (end != NULL)
			*end = '\0';
		if (*p != '\0') {
			b->kw_ptrs[(*used)++] = p;
			msg->keyword_count++;
		}
		p = end != NULL ? end + 1 : NULL;
	}
}

static void batch_release(struct copy_batch *b)
{
	for (size_t i = 0; i < b->count; i++) {
		if (b->msgs[i].msg.fd >= 0)
			close(b->msgs[i].msg.fd);
		free(b->kw_storage[i]);
	}
	free(b->msgs);
	free(b->kw_storage);
	free(b->kw_ptrs);
	memset(b, 0, sizeof(*b));
}

/* The messages of uids[0..count) (ascending) the batch limits allow,
 * fetched from the source: *taken_r gets how many of uids they cover. */
static int fetch_batch(struct migrate *m, int64_t src_box, const char *name,
		       const uint32_t *uids, size_t count,
		       struct store_message_list *list, size_t *taken_r)
{
	struct store_uid_range *ranges = xcalloc(count, sizeof(*ranges));
	const char *error = NULL;

	for (size_t i = 0; i < count; i++)
		ranges[i] = (struct store_uid_range){ uids[i], uids[i] };
	int r = store_messages_get(m->src, src_box, ranges, count, list,
				   &error);
	free(ranges);
	if (r != STORE_OK) {
		report_error(m, "read messages of", name, error);
		return -1;
	}
	uint64_t bytes = 0;
	size_t keep = 0;
	while (keep < list->count && (keep == 0 || bytes +
	       list->msgs[keep].size <= BATCH_BYTES))
		bytes += list->msgs[keep++].size;
	*taken_r = count;
	if (keep < list->count) {
		/* UIDs expunged meanwhile are missing from the list. */
		for (size_t i = 0; i < count; i++) {
			if (uids[i] == list->msgs[keep].uid) {
				*taken_r = i;
				break;
			}
		}
	}
	list->count = keep;
	return 0;
}

/* Copies what fetch_batch takes of uids[0..count) in one destination
 * transaction; *taken_r as there. */
static int copy_batch(struct migrate *m, int64_t src_box, int64_t dst_box,
		      const char *name, const uint32_t *uids, size_t count,
		      size_t *taken_r)
{
	struct store_message_list list = { 0 };
	struct copy_batch b = { 0 };
	const char *error = NULL;
	size_t kw_used = 0, kw_cap = 0;

	if (fetch_batch(m, src_box, name, uids, count, &list, taken_r) < 0)
		return -1;
	for (size_t i = 0; i < list.count; i++)
		kw_cap += list.msgs[i].keywords != NULL ?
			  strlen(list.msgs[i].keywords) / 2 + 1 : 0;
	b.msgs = xcalloc(list.count + 1, sizeof(*b.msgs));
	b.kw_storage = xcalloc(list.count + 1, sizeof(*b.kw_storage));
	b.kw_ptrs = xcalloc(kw_cap + 1, sizeof(*b.kw_ptrs));
	int r = STORE_OK;
	for (size_t i = 0; i < list.count && r == STORE_OK; i++) {
		const struct store_message *sm = &list.msgs[i];
		struct store_migrate_msg *dm = &b.msgs[b.count++];
		uint64_t size = 0;
		dm->msg.fd = -1;
		r = store_blob_open(m->src, sm->blob_id, &dm->msg.fd, &size,
				    &error);
		dm->msg.size = (size_t)size;
		dm->msg.flags = sm->flags;
		dm->msg.internaldate = sm->internaldate;
		dm->msg.tz_offset_min = sm->tz_offset_min;
		dm->uid = sm->uid;
		dm->modseq = sm->modseq;
		dm->savedate = sm->savedate;
		batch_keywords(&b, i, sm->keywords, &kw_used, kw_cap);
	}
	if (r == STORE_OK && b.count > 0)
		r = store_migrate_append(m->dst, dst_box, b.msgs, b.count,
					 &error);
	if (r == STORE_OK)
		m->n.messages_copied += b.count;
	else
		report_error(m, "copy messages into", name, error);
	batch_release(&b);
	store_message_list_free(&list);
	return r == STORE_OK ? 0 : -1;
}

static bool msg_equal(const struct store_msg *a, const struct store_msg *b)
{
	const char *ka = a->keywords != NULL ? a->keywords : "";
	const char *kb = b->keywords != NULL ? b->keywords : "";
	return a->flags == b->flags && a->modseq == b->modseq &&
	       strcmp(ka, kb) == 0;
}

/* Splits the source's messages into those the destination lacks (copied
 * in batches) and those whose flags, keywords or modseq differ. */
static int sync_messages(struct migrate *m, int64_t src_box, int64_t dst_box,
			 const char *name)
{
	struct store_msg_list s = { 0 }, d = { 0 };
	const char *error = NULL;
	int ret = 0;

	if (store_mailbox_snapshot(m->src, src_box, &s, &error) != STORE_OK ||
	    store_mailbox_snapshot(m->dst, dst_box, &d, &error) != STORE_OK) {
		report_error(m, "read mailbox", name, error);
		store_msg_list_free(&s);
		store_msg_list_free(&d);
		return -1;
	}
	uint32_t *copy = xcalloc(s.count + 1, sizeof(*copy));
	struct store_msg *update = xcalloc(s.count + 1, sizeof(*update));
	size_t ncopy = 0, nupdate = 0, j = 0;
	for (size_t i = 0; i < s.count; i++) {
		while (j < d.count && d.msgs[j].uid < s.msgs[i].uid)
			j++;
		if (j == d.count || d.msgs[j].uid != s.msgs[i].uid)
			copy[ncopy++] = s.msgs[i].uid;
		else if (!msg_equal(&s.msgs[i], &d.msgs[j]))
			update[nupdate++] = s.msgs[i];
	}
	for (size_t i = 0; i < ncopy && ret == 0;) {
		size_t n = ncopy - i < BATCH_MESSAGES ? ncopy - i : BATCH_MESSAGES;
		size_t taken = 0;
		ret = copy_batch(m, src_box, dst_box, name, &copy[i], n, &taken);
		i += taken > 0 ? taken : n;
	}
	if (ret == 0 && nupdate > 0) {
		if (store_migrate_flags_set(m->dst, dst_box, update, nupdate,
					    &error) == STORE_OK) {
			m->n.messages_updated += nupdate;
		} else {
			report_error(m, "set flags in", name, error);
			ret = -1;
		}
	}
	free(copy);
	free(update);
	store_msg_list_free(&s);
	store_msg_list_free(&d);
	return ret;
}

/* ---- mailboxes ---- */

static size_t count_strings(char **strings)
{
	size_t n = 0;
	while (strings != NULL && strings[n] != NULL)
		n++;
	return n;
}

/* Whether dst's state already is src's (counters, attrs, keywords in
 * order, tombstones). */
static bool state_equal(const struct store_mailbox *a,
			const struct store_mailbox *b,
			const struct store_mailbox_state *st, char **dst_kw,
			const struct store_tombstone *dst_t, size_t dst_tn)
{
	const uint32_t mask = STORE_MBOX_NOSELECT | STORE_MBOX_SPECIAL_USE_MASK;
	if (a->uidvalidity != b->uidvalidity || a->uidnext != b->uidnext ||
	    a->highestmodseq != b->highestmodseq ||
	    a->first_recent_uid != b->first_recent_uid ||
	    (a->attrs & mask) != (b->attrs & mask) ||
	    st->keyword_count != count_strings(dst_kw) ||
	    st->tombstone_count != dst_tn)
		return false;
	for (size_t i = 0; i < st->keyword_count; i++) {
		if (strcmp(st->keywords[i], dst_kw[i]) != 0)
			return false;
	}
	/* field by field: memcmp would compare the structs' padding */
	for (size_t i = 0; i < dst_tn; i++) {
		if (st->tombstones[i].uid != dst_t[i].uid ||
		    st->tombstones[i].modseq != dst_t[i].modseq)
			return false;
	}
	return true;
}

/* Makes dst_box's state src's: uidvalidity, counters, attrs, keywords and
 * tombstones (which expunge what the source expunged since). */
static int sync_state(struct migrate *m, const struct store_mailbox *smb,
		      const struct store_mailbox *dmb, const char *name)
{
	struct store_mailbox_state st = {
		.uidvalidity = smb->uidvalidity, .uidnext = smb->uidnext,
		.highestmodseq = smb->highestmodseq,
		.first_recent_uid = smb->first_recent_uid, .attrs = smb->attrs,
	};
	char **skw = NULL, **dkw = NULL;
	struct store_tombstone *stomb = NULL, *dtomb = NULL;
	size_t dtn = 0;
	const char *error = NULL;
	int r = store_mailbox_keywords(m->src, smb->id, &skw, &error);
	if (r == STORE_OK)
		r = store_mailbox_keywords(m->dst, dmb->id, &dkw, &error);
	if (r == STORE_OK)
		r = store_tombstones_get(m->src, smb->id, &stomb,
					 &st.tombstone_count, &error);
	if (r == STORE_OK)
		r = store_tombstones_get(m->dst, dmb->id, &dtomb, &dtn, &error);
	st.keywords = (const char *const *)skw;
	st.keyword_count = count_strings(skw);
	st.tombstones = stomb;
	if (r == STORE_OK && !state_equal(smb, dmb, &st, dkw, dtomb, dtn)) {
		r = store_migrate_mailbox_set(m->dst, dmb->id, &st, &error);
		if (r == STORE_OK)
			m->n.mailboxes_updated++;
	}
	if (r != STORE_OK)
		report_error(m, "mailbox state of", name, error);
	store_strings_free(skw);
	store_strings_free(dkw);
	free(stomb);
	free(dtomb);
	return r == STORE_OK ? 0 : -1;
}

/* Finds or creates the destination mailbox. A mailbox that the source
 * deleted and created again since the last run (other uidvalidity) starts
 * over: its old messages belong to the old uidvalidity. */
static int dst_mailbox(struct migrate *m, const struct migrate_user *u,
		       const char *name, const struct store_mailbox *smb,
		       struct store_mailbox *dmb)
{
	const char *error = NULL;
	int64_t id;
	int r = store_mailbox_lookup(m->dst, u->dst_id, name, dmb, &error);

	if (r == STORE_OK && dmb->uidvalidity != smb->uidvalidity) {
		struct store_mailbox_status status;
		r = store_mailbox_status(m->dst, dmb->id, &status, &error);
		if (r == STORE_OK && status.messages > 0) {
			r = store_mailbox_delete(m->dst, u->dst_id, name, &error);
			if (r == STORE_OK)
				r = STORE_ENONEXISTENT;
		}
	}
	if (r == STORE_ENONEXISTENT || (r == STORE_OK &&
	    (dmb->attrs & STORE_MBOX_NOSELECT) && !(smb->attrs &
						     STORE_MBOX_NOSELECT))) {
		r = store_mailbox_create(m->dst, u->dst_id, name,
					 smb->attrs & STORE_MBOX_SPECIAL_USE_MASK,
					 &id, &error);
		if (r == STORE_OK) {
			m->n.mailboxes_created++;
			r = store_mailbox_get(m->dst, id, dmb, &error);
		}
	}
	if (r == STORE_OK && dmb->user_id != u->dst_id)
		r = STORE_ECANNOT, error = "name resolves to another user";
	if (r != STORE_OK)
		report_error(m, "destination mailbox", name, error);
	return r == STORE_OK ? 0 : -1;
}

static void sync_mailbox(struct migrate *m, const struct migrate_user *u,
			 const struct store_mailbox_entry *e)
{
	struct store_mailbox smb, dmb;
	const char *error = NULL;

	if (store_mailbox_get(m->src, e->id, &smb, &error) != STORE_OK) {
		report_error(m, "read mailbox", e->name, error);
		return;
	}
	/* State first: it registers the keywords in the source's order and
	 * expunges what the source expunged; then the messages. */
	if (dst_mailbox(m, u, e->name, &smb, &dmb) < 0 ||
	    sync_state(m, &smb, &dmb, e->name) < 0)
		return;
	if (sync_messages(m, smb.id, dmb.id, e->name) < 0)
		return;
	sync_acl(m, u, e->name);
}

static void sync_user_mailboxes(struct migrate *m, const struct migrate_user *u)
{
	struct store_mailbox_list from, to;
	const char *error = NULL;

	if (own_mailboxes(m, m->src, u->src_id, &from) < 0)
		return;
	if (own_mailboxes(m, m->dst, u->dst_id, &to) == 0) {
		/* Children before parents, so nothing is left \Noselect. */
		for (size_t i = to.count; i-- > 0;) {
			const char *name = to.entries[i].name;
			if (name_in(&from, name))
				continue;
			if (store_mailbox_delete(m->dst, u->dst_id, name,
						 &error) == STORE_OK)
				m->n.mailboxes_deleted++;
			else
				report_error(m, "delete mailbox", name, error);
		}
		store_mailbox_list_free(&to);
	}
	/* Sorted by name: parents before their children. */
	for (size_t i = 0; i < from.count; i++)
		sync_mailbox(m, u, &from.entries[i]);
	store_mailbox_list_free(&from);
}

/* ---- the run ---- */

static void run(struct migrate *m)
{
	char **names = NULL;
	size_t count = 0;
	const char *error = NULL;

	if (store_user_list(m->src, &names, &count, &error) != STORE_OK) {
		report_error(m, "list users of", "source", error);
		return;
	}
	/* Every user first: ACL entries name other users. */
	struct migrate_user *users = xcalloc(count + 1, sizeof(*users));
	for (size_t i = 0; i < count; i++)
		copy_user(m, names[i], &users[i]);
	for (size_t i = 0; i < count; i++) {
		if (users[i].dst_id == 0)
			continue;
		sync_user_mailboxes(m, &users[i]);
		sync_subscriptions(m, &users[i]);
		sync_quota(m, &users[i]);
	}
	for (size_t i = 0; i < count; i++)
		free(users[i].name);
	free(users);
	store_strings_free(names);
}


unsigned long migrate_copy(struct store *src, struct store *dst,
			   struct migrate_counts *counts_r)
{
	struct migrate m = { .src = src, .dst = dst };

	run(&m);
	*counts_r = m.n;
	return m.failures;
}
