/*
 * NOTIFY state of one session (RFC 5465). See notify-session.h.
 *
 * The watched mailboxes are a table rebuilt from the store's mailbox list
 * whenever names or subscriptions change; comparing the old table with
 * the new one gives the MailboxName (5.4) and SubscriptionChange (5.5)
 * LIST responses, and each entry keeps the STATUS counters the client
 * was last told, so a message event becomes one STATUS with what changed
 * (5.1-5.3). The selected mailbox is the view's (view.c) business; NOTIFY
 * only decides when it may speak and adds MessageNew's FETCH (5.2).
 */
#include "imap/notify-session.h"

#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "core/log.h"
#include "imap/command.h"
#include "imap/imap-server.h"
#include "imap/mailbox-name.h"
#include "imap/notify-fetch.h"
#include "imap/notify.h"
#include "imap/session.h"
#include "imap/view.h"
#include "net/conn.h"
#include "store/store.h"

struct notify_entry {
	char *name;		/* stored form */
	int64_t id;		/* 0: a subscribed name with no mailbox */
	unsigned attrs;		/* enum store_mailbox_attr, as listed */
	unsigned events;	/* enum notify_event the groups want here */
	bool readable;		/* l and r (RFC 5465 5) */
	bool have_status;
	bool dirty;
	struct store_mailbox_status status;	/* as last told */
};

struct notify_table {
	struct notify_entry *entries;	/* sorted by name (strcmp) */
	size_t count;
};

struct notify_state {
	struct notify_spec spec;
	struct notify_table table;
	bool names_dirty, subs_dirty, selected_dirty, any_dirty;
	/* Output was full at the last attempt; changes since are counted. */
	bool backed_up;
	unsigned held;
	/* NOTIFICATIONOVERFLOW happened; its line is still to be written. */
	bool overflow;
	/* Selected mailbox: messages above fetch_uid still owe MessageNew's
	 * FETCH; uidnext/messages as last seen, to tell a flag-only change
	 * (not asked for without FlagChange) from a new or expunged one. */
	int64_t fetch_mailbox_id;
	uint32_t fetch_uid;
	uint32_t sel_uidnext, sel_messages;
};

/* ---- the table ---- */

static void table_free(struct notify_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->entries[i].name);
	free(t->entries);
	t->entries = NULL;
	t->count = 0;
}

static struct notify_entry *table_find_id(const struct notify_table *t,
					  int64_t id)
{
	for (size_t i = 0; i < t->count; i++) {
		if (t->entries[i].id == id)
			return &t->entries[i];
	}
	return NULL;
}

static struct notify_entry *table_find_name(const struct notify_table *t,
					    const char *name)
{
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->entries[mid].name, name);
		if (c == 0)
			return &t->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int entry_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct notify_entry *)a)->name,
		      ((const struct notify_entry *)b)->name);
}

/* RFC 5465 5: every event needs l and r. The user's own mailboxes give
 * every right; a shared one is asked for. */
static bool entry_readable(struct session *s, const struct store_mailbox_entry *e)
{
	struct store_mailbox mb;
	const char *error;
	if (store_mailbox_lookup(session_store(s), s->user_id, e->name, &mb,
				 &error) != STORE_OK)
		return false;
	return (mb.rights & (ACL_LOOKUP | ACL_READ)) == (ACL_LOOKUP | ACL_READ);
}

static bool wants_status(const struct notify_entry *e)
{
	return e->id != 0 && e->readable && (e->events & NOTIFY_EV_MESSAGE) &&
	       (e->attrs & STORE_MBOX_NOSELECT) == 0;
}

/* Reads the current table into *t from the store. Returns 0, -1 for a
 * store error, -2 when too many mailboxes match. */
static int table_read(struct session *s, const struct notify_spec *spec,
		      struct notify_table *t, struct store_mailbox_list *list)
{
	const char *error;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	if (store_mailbox_list(session_store(s), s->user_id, list, &error) != STORE_OK) {
		log_warn(session_id(s), "NOTIFY: cannot list mailboxes: %s", error);
		return -1;
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct store_mailbox_entry *le = &list->entries[i];
		unsigned events = notify_spec_events_for(spec, le->name, le->attrs);
		if (events == 0)
			continue;
		if (t->count == NOTIFY_MAX_MAILBOXES) {
			table_free(t);
			return -2;
		}
		if (t->count == cap) {
			cap = cap ? cap * 2 : 16;
			t->entries = xrealloc(t->entries, cap * sizeof(*t->entries));
		}
		struct notify_entry *e = &t->entries[t->count++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(le->name);
		e->id = le->id;
		e->attrs = le->attrs;
		e->events = events;
		e->readable = le->id != 0 && entry_readable(s, le);
	}
	if (t->count > 1)
		qsort(t->entries, t->count, sizeof(*t->entries), entry_name_cmp);
	return 0;
}

/* Takes the told counters of mailboxes that are still there (a rename
 * keeps the id) and reads a baseline for new ones. */
static void table_carry_status(struct session *s, const struct notify_table *old,
			       struct notify_table *t)
{
	const char *error;
	for (size_t i = 0; i < t->count; i++) {
		struct notify_entry *e = &t->entries[i];
		if (!wants_status(e))
			continue;
		const struct notify_entry *o = table_find_id(old, e->id);
		if (o != NULL && o->have_status) {
			e->status = o->status;
			e->have_status = true;
			e->dirty = o->dirty;
			continue;
		}
		e->have_status = store_mailbox_status(session_store(s), e->id,
						      &e->status, &error) == STORE_OK;
	}
}

/* ---- writing ---- */

static int64_t selected_id(const struct session *s)
{
	return s->view != NULL ? s->view->mailbox_id : 0;
}


static const struct store_mailbox_entry *
list_find(const struct store_mailbox_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->entries[i].name, name) == 0)
			return &list->entries[i];
	}
	return NULL;
}

/*
 * "* LIST (attrs) "/" name" with attributes computed as LIST would
 * (RFC 5465 5.5: accurately), \NonExistent when name is no mailbox now
 * (5.4), and OLDNAME after a rename (5.4, RFC 5258 extended data).
 */
static void write_list(struct session *s, const struct store_mailbox_list *list,
		       const char *name, const char *oldname, struct buf *out)
{
	const struct store_mailbox_entry *e = list_find(list, name);
	unsigned attrs = e != NULL ? e->attrs : STORE_MBOX_NONEXISTENT;
	size_t start;

	buf_append_str(out, "* LIST (");
	start = out->len;
	if (attrs & STORE_MBOX_NONEXISTENT)
		buf_append_str(out, " \\NonExistent");
	else if (attrs & STORE_MBOX_NOSELECT)
		buf_append_str(out, " \\Noselect");
	if ((attrs & STORE_MBOX_NONEXISTENT) == 0)
		buf_append_str(out, (attrs & STORE_MBOX_HASCHILDREN) ?
			       " \\HasChildren" : " \\HasNoChildren");
	if (attrs & STORE_MBOX_SUBSCRIBED)
		buf_append_str(out, " \\Subscribed");
	if (out->len > start) {
		memmove(out->data + start, out->data + start + 1, out->len - start - 1);
		buf_truncate(out, out->len - 1);
	}
	buf_printf(out, ") \"%c\" ", MAILBOX_NAME_DELIM);
	mailbox_name_write_for(s, out, name, strlen(name));
	if (oldname != NULL) {
		buf_append_str(out, " (\"OLDNAME\" (");
		mailbox_name_write_for(s, out, oldname, strlen(oldname));
		buf_append_str(out, "))");
	}
	buf_append_str(out, "\r\n");
}

static void write_status(struct session *s, const struct notify_entry *e,
			 bool uidvalidity, bool modseq, struct buf *out)
{
	const struct store_mailbox_status *st = &e->status;
	buf_append_str(out, "* STATUS ");
	mailbox_name_write_for(s, out, e->name, strlen(e->name));
	buf_printf(out, " (MESSAGES %u UIDNEXT %u UNSEEN %u", st->messages,
		   st->uidnext, st->unseen);
	if (uidvalidity)
		buf_printf(out, " UIDVALIDITY %u", st->uidvalidity);
	if (modseq)
		buf_printf(out, " HIGHESTMODSEQ %llu",
			   (unsigned long long)st->highestmodseq);
	buf_append_str(out, ")\r\n");
}

/* ---- MailboxName and SubscriptionChange: the difference of tables ---- */

/* A rename's children are renamed with it and get no event of their own
 * (RFC 5465 5.4). */
static bool renamed_with_parent(const struct notify_table *old,
				const struct notify_table *t,
				const struct notify_entry *o,
				const struct notify_entry *n)
{
	for (size_t i = 0; i < old->count; i++) {
		const struct notify_entry *po = &old->entries[i];
		size_t len = strlen(po->name);
		if (po->id == 0 || po == o || strncmp(o->name, po->name, len) != 0 ||
		    o->name[len] != MAILBOX_NAME_DELIM)
			continue;
		const struct notify_entry *pn = table_find_id(t, po->id);
		if (pn == NULL || strcmp(pn->name, po->name) == 0)
			continue;
		size_t nlen = strlen(pn->name);
		if (strncmp(n->name, pn->name, nlen) == 0 &&
		    strcmp(n->name + nlen, o->name + len) == 0)
			return true;
	}
	return false;
}

/* Names already answered in this diff, so a parent goes out once. */
struct told {
	char **names;
	size_t count;
};

static bool told_add(struct told *told, const char *name)
{
	for (size_t i = 0; i < told->count; i++) {
		if (strcmp(told->names[i], name) == 0)
			return false;
	}
	told->names = xrealloc(told->names, (told->count + 1) * sizeof(char *));
	told->names[told->count++] = xstrdup(name);
	return true;
}

/* RFC 5465 5.4: creating or deleting a mailbox affects its parent too. */
static void tell_parent(struct session *s, const struct notify_table *t,
			const struct store_mailbox_list *list, const char *name,
			struct told *told, struct buf *out)
{
	const char *slash = strrchr(name, MAILBOX_NAME_DELIM);
	if (slash == NULL)
		return;
	char *parent = xstrndup(name, (size_t)(slash - name));
	const struct notify_entry *p = table_find_name(t, parent);
	if (p != NULL && p->id != 0 && (p->events & NOTIFY_EV_MAILBOX_NAME) &&
	    told_add(told, parent))
		write_list(s, list, parent, NULL, out);
	free(parent);
}

static void diff_names(struct session *s, const struct notify_table *old,
		       const struct notify_table *t,
		       const struct store_mailbox_list *list, struct told *told,
		       struct buf *out)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct notify_entry *n = &t->entries[i];
		if (n->id == 0)
			continue;
		const struct notify_entry *o = table_find_id(old, n->id);
		bool want = (n->events & NOTIFY_EV_MAILBOX_NAME) != 0;
		if (o == NULL) {
			if (want && told_add(told, n->name)) {
				write_list(s, list, n->name, NULL, out);
				tell_parent(s, t, list, n->name, told, out);
			}
		} else if (strcmp(o->name, n->name) != 0) {
			if ((want || (o->events & NOTIFY_EV_MAILBOX_NAME)) &&
			    !renamed_with_parent(old, t, o, n) &&
			    told_add(told, n->name))
				write_list(s, list, n->name, o->name, out);
		} else if (want && ((o->attrs ^ n->attrs) & STORE_MBOX_NOSELECT) &&
			   told_add(told, n->name)) {
			write_list(s, list, n->name, NULL, out);
		}
	}
	for (size_t i = 0; i < old->count; i++) {
		const struct notify_entry *o = &old->entries[i];
		if (o->id == 0 || (o->events & NOTIFY_EV_MAILBOX_NAME) == 0 ||
		    table_find_id(t, o->id) != NULL)
			continue;
		/* Deleted, renamed out of sight, or the l right is gone
		 * (5.4: revoking l counts as deletion). */
		if (told_add(told, o->name)) {
			write_list(s, list, o->name, NULL, out);
			tell_parent(s, t, list, o->name, told, out);
		}
	}
}

static bool subscribed_in(const struct notify_table *t, const char *name)
{
	const struct notify_entry *e = table_find_name(t, name);
	return e != NULL && (e->attrs & STORE_MBOX_SUBSCRIBED);
}

static void diff_subscriptions(struct session *s, const struct notify_table *old,
			       const struct notify_table *t,
			       const struct store_mailbox_list *list,
			       struct told *told, struct buf *out)
{
	const struct notify_table *both[2] = { old, t };
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < both[k]->count; i++) {
			const struct notify_entry *e = &both[k]->entries[i];
			if ((e->events & NOTIFY_EV_SUBSCRIPTION_CHANGE) == 0 ||
			    subscribed_in(old, e->name) == subscribed_in(t, e->name))
				continue;
			/* The "subscribed" filter drops a name from the new
			 * table when it is unsubscribed: its LIST then comes
			 * from the old table's side, with the attributes of
			 * now (5.5: \Subscribed iff subscribed after). */
			if (told_add(told, e->name))
				write_list(s, list, e->name, NULL, out);
		}
	}
}

/*
 * A mailbox watched from now on (subscribed, created, renamed into a
 * subtree, readable at last: 6.4 "reevaluate the list") gets its STATUS
 * at once, as SET STATUS would have given it: its counters were read
 * just now, possibly after a change the client must not miss.
 */
static void tell_newly_watched(struct session *s, const struct notify_table *old,
			       const struct notify_table *t, struct buf *out)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct notify_entry *e = &t->entries[i];
		const struct notify_entry *o = table_find_id(old, e->id);
		if (!wants_status(e) || !e->have_status || e->id == selected_id(s) ||
		    (o != NULL && wants_status(o)))
			continue;
		write_status(s, e, true, s->enabled_condstore ||
			     (e->events & NOTIFY_EV_FLAG_CHANGE), out);
	}
}

/* Rebuilds the table; with announce, writes the LIST responses for what
 * changed. Returns 0, -1 (store error: the old table stays), -2 (too
 * many mailboxes now). */
static int rebuild(struct session *s, bool announce)
{
	struct notify_state *ns = s->notify;
	struct store_mailbox_list list = { 0 };
	struct notify_table t;

	int r = table_read(s, &ns->spec, &t, &list);
	if (r < 0) {
		store_mailbox_list_free(&list);
		return r;
	}
	table_carry_status(s, &ns->table, &t);
	if (announce) {
		struct told told = { 0 };
		struct buf out = BUF_INIT;
		diff_names(s, &ns->table, &t, &list, &told, &out);
		diff_subscriptions(s, &ns->table, &t, &list, &told, &out);
		tell_newly_watched(s, &ns->table, &t, &out);
		if (out.len > 0)
			session_write(s, out.data, out.len);
		buf_free(&out);
		for (size_t i = 0; i < told.count; i++)
			free(told.names[i]);
		free(told.names);
	}
	table_free(&ns->table);
	ns->table = t;
	store_mailbox_list_free(&list);
	return 0;
}

/* ---- message events ---- */

/* RFC 5465 5.1-5.3 for a mailbox other than the selected one. */
static void check_status(struct session *s, struct notify_entry *e,
			 struct buf *out)
{
	struct store_mailbox_status now;
	const char *error;

	e->dirty = false;
	if (!wants_status(e) || e->id == selected_id(s))
		return;
	/* Gone or no longer readable: the names event that follows says so. */
	if (store_mailbox_status(session_store(s), e->id, &now, &error) != STORE_OK)
		return;
	if (!e->have_status) {
		e->status = now;
		e->have_status = true;
		return;
	}
	const struct store_mailbox_status *was = &e->status;
	bool condstore = s->enabled_condstore;
	bool uidvalidity = now.uidvalidity != was->uidvalidity;
	bool messages = now.messages != was->messages || now.uidnext != was->uidnext;
	bool flags = now.unseen != was->unseen ||
		     (condstore && now.highestmodseq != was->highestmodseq);
	bool tell = uidvalidity ||
		    (messages && (e->events & (NOTIFY_EV_MESSAGE_NEW |
					       NOTIFY_EV_MESSAGE_EXPUNGE))) ||
		    (flags && (e->events & NOTIFY_EV_FLAG_CHANGE));
	e->status = now;
	/* 5.1: with CONDSTORE a flag change carries HIGHESTMODSEQ and
	 * UIDVALIDITY; 5.2/5.3 want HIGHESTMODSEQ once CONDSTORE is on. */
	if (tell)
		write_status(s, e, uidvalidity ||
			     (condstore && (e->events & NOTIFY_EV_FLAG_CHANGE)),
			     condstore, out);
}

/* The last UID the view holds (0 when empty). */
static uint32_t view_last_uid(const struct mailbox_view *view)
{
	uint32_t count = view != NULL ? mailbox_view_count(view) : 0;
	return count > 0 ? mailbox_view_uid(view, count) : 0;
}

static void selected_reset(struct session *s)
{
	struct notify_state *ns = s->notify;
	struct store_mailbox_status st;
	const char *error;

	ns->fetch_mailbox_id = selected_id(s);
	ns->fetch_uid = view_last_uid(s->view);
	ns->sel_uidnext = 0;
	ns->sel_messages = 0;
	if (s->view != NULL &&
	    store_mailbox_status(session_store(s), s->view->mailbox_id, &st,
				 &error) == STORE_OK) {
		ns->sel_uidnext = st.uidnext;
		ns->sel_messages = st.messages;
	}
}

/* RFC 5465 6.1: the selected mailbox's changes, as the view writes them;
 * EXPUNGE only when no command uses sequence numbers (always between
 * commands, unless SELECTED-DELAYED holds it back: 6.1.2). */
static void push_selected(struct session *s, bool allow_expunge)
{
	struct notify_state *ns = s->notify;
	unsigned events = ns->spec.has_selected ? ns->spec.selected_events : 0;
	struct store_mailbox_status st;
	const char *error;

	ns->selected_dirty = false;
	if (s->view == NULL || events == 0)
		return;
	if (store_mailbox_status(session_store(s), s->view->mailbox_id, &st,
				 &error) != STORE_OK)
		return;
	/* Without FlagChange only new or expunged messages are told now;
	 * flag changes wait for the next command's sync (RFC 3501 7). */
	if ((events & NOTIFY_EV_FLAG_CHANGE) == 0 &&
	    st.uidnext == ns->sel_uidnext && st.messages == ns->sel_messages)
		return;
	ns->sel_uidnext = st.uidnext;
	ns->sel_messages = st.messages;
	mailbox_view_sync(s, allow_expunge);
}

/* MessageNew's FETCH for messages the view gained (5.2). Stops when the
 * output fills; returns false then (the rest goes out on drain). */
static bool write_new_fetches(struct session *s)
{
	struct notify_state *ns = s->notify;
	struct mailbox_view *view = s->view;

	if (view == NULL || view->mailbox_id != ns->fetch_mailbox_id) {
		selected_reset(s);
		return true;
	}
	if (!ns->spec.has_fetch ||
	    (ns->spec.selected_events & NOTIFY_EV_MESSAGE_NEW) == 0) {
		ns->fetch_uid = view_last_uid(view);
		return true;
	}
	uint32_t count = mailbox_view_count(view);
	uint32_t first = count;
	while (first > 0 && mailbox_view_uid(view, first) > ns->fetch_uid)
		first--;
	for (uint32_t seq = first + 1; seq <= count; seq++) {
		if (conn_output_full(s->conn))
			return false;
		ns->fetch_uid = mailbox_view_uid(view, seq);
		notify_fetch_write(s, &ns->spec.fetch, seq);
	}
	return true;
}

/* ---- delivery ---- */

static void state_free(struct session *s)
{
	struct notify_state *ns = s->notify;
	if (ns == NULL)
		return;
	imap_notify_unlisten(s);
	notify_spec_free(&ns->spec);
	table_free(&ns->table);
	free(ns);
	s->notify = NULL;
}

/* RFC 5465 5.8: stop, and say so when it may be said. */
static void overflow(struct session *s)
{
	struct notify_state *ns = s->notify;
	log_info(session_id(s), "NOTIFY overflow: %u changes held", ns->held);
	imap_notify_unlisten(s);
	notify_spec_free(&ns->spec);
	table_free(&ns->table);
	ns->overflow = true;
	ns->names_dirty = ns->subs_dirty = ns->selected_dirty = false;
	ns->any_dirty = false;
}

/* Whether unsolicited responses may go out now: no command is writing
 * (between commands, or IDLE, which only waits for DONE). */
static bool can_push(const struct session *s)
{
	return s->state != SESSION_LOGOUT &&
	       (s->cmd == NULL || s->idle_notify != NULL);
}

static bool pending(const struct notify_state *ns)
{
	return ns->overflow || ns->names_dirty || ns->subs_dirty ||
	       ns->selected_dirty || ns->any_dirty || ns->backed_up;
}

/*
 * Writes what is pending. in_command: before a tagged reply, when the
 * view was just synced by the command's own rules. allow_expunge: for a
 * push of the selected mailbox outside a command.
 */
static void flush(struct session *s, bool in_command, bool allow_expunge)
{
	struct notify_state *ns = s->notify;

	if (ns->overflow) {
		session_write_str(s, "* OK [NOTIFICATIONOVERFLOW] Too many changes "
				  "for this connection; NOTIFY is off\r\n");
		state_free(s);
		return;
	}
	if (conn_output_full(s->conn)) {
		ns->backed_up = true;
		return;
	}
	if (ns->names_dirty || ns->subs_dirty) {
		ns->names_dirty = ns->subs_dirty = false;
		if (rebuild(s, true) == -2) {
			overflow(s);
			flush(s, in_command, allow_expunge);
			return;
		}
	}
	if (ns->any_dirty) {
		struct buf out = BUF_INIT;
		ns->any_dirty = false;
		for (size_t i = 0; i < ns->table.count; i++) {
			if (ns->table.entries[i].dirty)
				check_status(s, &ns->table.entries[i], &out);
		}
		if (out.len > 0)
			session_write(s, out.data, out.len);
		buf_free(&out);
	}
	if (in_command)
		ns->selected_dirty = false;
	else if (ns->selected_dirty)
		push_selected(s, allow_expunge);
	ns->backed_up = !write_new_fetches(s);
	if (!ns->backed_up)
		ns->held = 0;
}

static bool push_allows_expunge(const struct session *s)
{
	/* IDLE allows EXPUNGE even for SELECTED-DELAYED (6.1.2). */
	return s->idle_notify != NULL || !s->notify->spec.selected_delayed;
}

void notify_session_event(struct session *s, int64_t mailbox_id)
{
	struct notify_state *ns = s->notify;

	if (ns == NULL || ns->overflow)
		return;
	if (mailbox_id == STORE_CHANGE_NAMES) {
		ns->names_dirty = true;
	} else if (mailbox_id == STORE_CHANGE_SUBSCRIPTIONS) {
		ns->subs_dirty = true;
	} else if (mailbox_id == selected_id(s)) {
		if (!ns->spec.has_selected || ns->spec.selected_events == 0)
			return;
		ns->selected_dirty = true;
	} else {
		struct notify_entry *e = table_find_id(&ns->table, mailbox_id);
		if (e == NULL || !wants_status(e))
			return;
		e->dirty = true;
		ns->any_dirty = true;
	}
	if (ns->backed_up &&
	    ++ns->held > imap_server_config()->notify_max_pending)
		overflow(s);
	if (can_push(s))
		flush(s, false, push_allows_expunge(s));
}

static bool command_is(const struct command *cmd, const char *const *names)
{
	if (cmd == NULL || cmd->def == NULL)
		return false;
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(cmd->def->name, names[i]) == 0)
			return true;
	}
	return false;
}

void notify_session_before_reply(struct session *s, struct command *cmd)
{
	static const char *const selects[] = { "SELECT", "EXAMINE", NULL };
	/* RFC 5465 5: no echo of this client's own changes: the table
	 * takes them in silently (what another session did meanwhile is
	 * taken in with them). */
	static const char *const own_names[] = {
		"CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
		"SETACL", "DELETEACL", NULL };
	/* 5.2: no FETCH for messages this client added to the mailbox. */
	static const char *const own_adds[] = {
		"APPEND", "COPY", "UID COPY", "MOVE", "UID MOVE", NULL };
	struct notify_state *ns = s->notify;

	if (ns == NULL || s->state == SESSION_LOGOUT)
		return;
	if (!ns->overflow && command_is(cmd, selects))
		selected_reset(s);
	if (!ns->overflow && command_is(cmd, own_adds) && s->view != NULL &&
	    s->view->mailbox_id == ns->fetch_mailbox_id)
		ns->fetch_uid = view_last_uid(s->view);
	if (!ns->overflow && command_is(cmd, own_names)) {
		if (rebuild(s, false) == -2)
			overflow(s);
		else
			ns->names_dirty = ns->subs_dirty = false;
	}
	if (s->notify != NULL && pending(s->notify))
		flush(s, true, false);
}

void notify_session_idle_point(struct session *s)
{
	if (s->notify != NULL && pending(s->notify) && can_push(s))
		flush(s, false, push_allows_expunge(s));
}

void notify_session_idle_push(struct session *s)
{
	if (s->notify == NULL)
		return;
	if (!s->notify->overflow)
		s->notify->selected_dirty = true;
	flush(s, false, true);
}

bool notify_session_active(const struct session *s)
{
	return s->notify != NULL && !s->notify->overflow;
}

void notify_session_none(struct session *s)
{
	state_free(s);
}

/* 3.1: STATUS before the tagged OK, and \NoAccess for listable mailboxes
 * the user may not read. */
static void write_initial(struct session *s, bool status)
{
	struct notify_state *ns = s->notify;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < ns->table.count; i++) {
		struct notify_entry *e = &ns->table.entries[i];
		if (e->id == 0)
			continue;
		if (!e->readable) {
			buf_append_str(&out, "* LIST (\\NoAccess) ");
			buf_printf(&out, "\"%c\" ", MAILBOX_NAME_DELIM);
			mailbox_name_write_for(s, &out, e->name, strlen(e->name));
			buf_append_str(&out, "\r\n");
			continue;
		}
		if (!status || !wants_status(e) || !e->have_status ||
		    e->id == selected_id(s))
			continue;
		/* MessageNew wants MESSAGES UIDNEXT UIDVALIDITY; FlagChange
		 * with CONDSTORE supported wants HIGHESTMODSEQ. */
		write_status(s, e, true, s->enabled_condstore ||
			     (e->events & NOTIFY_EV_FLAG_CHANGE), &out);
		if (out.len >= 16384) {
			session_write(s, out.data, out.len);
			buf_reset(&out);
		}
	}
	if (out.len > 0)
		session_write(s, out.data, out.len);
	buf_free(&out);
}

enum notify_set_result notify_session_set(struct session *s,
					  struct notify_spec *spec)
{
	struct notify_state *old = s->notify;
	struct notify_state *ns = xcalloc(1, sizeof(*ns));

	ns->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	s->notify = ns;
	int r = rebuild(s, false);
	if (r < 0) {
		notify_spec_free(&ns->spec);
		table_free(&ns->table);
		free(ns);
		s->notify = old;
		return r == -2 ? NOTIFY_SET_TOO_MANY : NOTIFY_SET_STORE;
	}
	if (old != NULL) {
		notify_spec_free(&old->spec);
		table_free(&old->table);
		free(old);
	}
	selected_reset(s);
	imap_notify_listen(s);
	write_initial(s, ns->spec.status);
	return NOTIFY_SET_OK;
}
