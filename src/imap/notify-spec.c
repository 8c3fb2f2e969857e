/*
 * NOTIFY SET arguments (RFC 5465 8):
 *
 *   notify-set  = "SET" [SP "STATUS"] SP event-group *(SP event-group)
 *   event-group = "(" filter-mailboxes SP events ")"
 *   events      = "(" event *(SP event) ")" / "NONE"
 */
#include "imap/notify-spec.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "imap/mailbox-name.h"
#include "imap/session.h"
#include "store/store.h"

static const struct {
	const char *name;
	unsigned bit;		/* 0: known to RFC 5465 but not supported */
} event_names[] = {
	{ "MessageNew", NOTIFY_EV_MESSAGE_NEW },
	{ "MessageExpunge", NOTIFY_EV_MESSAGE_EXPUNGE },
	{ "FlagChange", NOTIFY_EV_FLAG_CHANGE },
	{ "MailboxName", NOTIFY_EV_MAILBOX_NAME },
	{ "SubscriptionChange", NOTIFY_EV_SUBSCRIPTION_CHANGE },
	/* No ANNOTATE or METADATA here, so none of their events. */
	{ "AnnotationChange", 0 },
	{ "MailboxMetadataChange", 0 },
	{ "ServerMetadataChange", 0 },
};
#define EVENT_NAME_COUNT (sizeof(event_names) / sizeof(event_names[0]))

struct parse {
	const struct session *s;
	struct notify_spec *spec;
	const char *error;
	bool badevent;
	size_t names;
};

static bool fail(struct parse *p, const char *error)
{
	if (p->error == NULL)
		p->error = error;
	return false;
}

/* Reads one mailbox name argument into its stored form. */
static bool read_name(struct parse *p, const struct imap_arg *arg,
		      struct notify_group *g)
{
	const char *raw, *name, *error;
	size_t raw_len, len;
	struct buf tmp = BUF_INIT, norm = BUF_INIT;

	if (!imap_arg_as_astring(arg, &raw, &raw_len))
		return fail(p, "NOTIFY mailbox names are astrings");
	if (++p->names > NOTIFY_MAX_NAMES)
		return fail(p, "Too many mailbox names in NOTIFY");
	bool ok = mailbox_name_from_client(p->s, raw, raw_len, &tmp, &name,
					   &len, &error) &&
		  mailbox_name_check(name, len, MAILBOX_NAME_EXISTING,
				     &error) == MAILBOX_NAME_OK;
	if (!ok) {
		buf_free(&tmp);
		return fail(p, error);
	}
	mailbox_name_normalize(name, len, &norm);
	buf_free(&tmp);
	g->names = xrealloc(g->names, (g->name_count + 1) * sizeof(*g->names));
	g->names[g->name_count++] = buf_steal(&norm);
	return true;
}

/* one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")" */
static bool read_names(struct parse *p, const struct imap_arg *arg,
		       struct notify_group *g)
{
	const struct imap_arg *list;
	size_t count;

	if (!imap_arg_as_list(arg, &list, &count))
		return read_name(p, arg, g);
	if (count == 0)
		return fail(p, "Empty mailbox list in NOTIFY");
	for (size_t i = 0; i < count; i++) {
		if (!read_name(p, &list[i], g))
			return false;
	}
	return true;
}

/* events = "(" event *(SP event) ")" / "NONE"; fetch-atts only where
 * selected is true (RFC 5465 8: "The fetch-att list may only be present
 * for the SELECTED/SELECTED-DELAYED mailbox filter"). */
static bool read_events(struct parse *p, const struct imap_arg *arg,
			bool selected, unsigned *events_r)
{
	const struct imap_arg *list;
	size_t count;

	*events_r = 0;
	if (imap_arg_atom_equals(arg, "NONE"))
		return true;
	if (!imap_arg_as_list(arg, &list, &count) || count == 0)
		return fail(p, "NOTIFY events are a list or NONE");
	for (size_t i = 0; i < count; i++) {
		if (list[i].type != IMAP_ARG_ATOM)
			return fail(p, "NOTIFY events are atoms");
		size_t k = 0;
		while (k < EVENT_NAME_COUNT &&
		       !imap_arg_atom_equals(&list[i], event_names[k].name))
			k++;
		if (k == EVENT_NAME_COUNT || event_names[k].bit == 0) {
			/* event-ext = atom: unknown, so unsupported. */
			p->badevent = true;
			continue;
		}
		*events_r |= event_names[k].bit;
		if (event_names[k].bit != NOTIFY_EV_MESSAGE_NEW ||
		    i + 1 >= count || list[i + 1].type != IMAP_ARG_LIST)
			continue;
		if (!selected)
			return fail(p, "MessageNew fetch attributes are only for SELECTED");
		if (p->spec->has_fetch)
			return fail(p, "MessageNew fetch attributes given twice");
		const char *error;
		if (fetch_items_parse(&list[i + 1], false, &p->spec->fetch,
				      &error) < 0)
			return fail(p, error);
		p->spec->has_fetch = true;
		i++;
	}
	/* RFC 5465 5: MessageNew and MessageExpunge go together, and
	 * FlagChange (or AnnotationChange) needs both; otherwise BAD. */
	unsigned pair = *events_r & (NOTIFY_EV_MESSAGE_NEW | NOTIFY_EV_MESSAGE_EXPUNGE);
	if (pair != 0 && pair != (NOTIFY_EV_MESSAGE_NEW | NOTIFY_EV_MESSAGE_EXPUNGE))
		return fail(p, "MessageNew and MessageExpunge must be given together (RFC 5465 5)");
	if ((*events_r & NOTIFY_EV_FLAG_CHANGE) && pair == 0)
		return fail(p, "FlagChange needs MessageNew and MessageExpunge (RFC 5465 5)");
	/* RFC 5465 6.1: only message events for the selected mailbox. */
	if (selected && (*events_r & ~NOTIFY_EV_MESSAGE) != 0)
		return fail(p, "Only message events may be given for SELECTED (RFC 5465 6.1)");
	return true;
}

static bool read_selected(struct parse *p, const struct imap_arg *list,
			  size_t count, bool delayed)
{
	struct notify_spec *spec = p->spec;

	/* RFC 5465 6.1: one of SELECTED and SELECTED-DELAYED, once. */
	if (spec->has_selected)
		return fail(p, "Only one SELECTED or SELECTED-DELAYED group is allowed");
	if (count != 2)
		return fail(p, "SELECTED takes one event list");
	spec->has_selected = true;
	spec->selected_delayed = delayed;
	return read_events(p, &list[1], true, &spec->selected_events);
}

static bool read_group(struct parse *p, const struct imap_arg *arg)
{
	struct notify_spec *spec = p->spec;
	const struct imap_arg *list;
	size_t count;

	if (!imap_arg_as_list(arg, &list, &count) || count < 2 ||
	    list[0].type != IMAP_ARG_ATOM)
		return fail(p, "NOTIFY event groups are (filter events)");
	if (imap_arg_atom_equals(&list[0], "SELECTED"))
		return read_selected(p, list, count, false);
	if (imap_arg_atom_equals(&list[0], "SELECTED-DELAYED"))
		return read_selected(p, list, count, true);

	static const struct {
		const char *name;
		enum notify_filter filter;
		bool has_names;
	} filters[] = {
		{ "INBOXES", NOTIFY_FILTER_INBOXES, false },
		{ "PERSONAL", NOTIFY_FILTER_PERSONAL, false },
		{ "SUBSCRIBED", NOTIFY_FILTER_SUBSCRIBED, false },
		{ "SUBTREE", NOTIFY_FILTER_SUBTREE, true },
		{ "MAILBOXES", NOTIFY_FILTER_MAILBOXES, true },
	};
	size_t k = 0;
	while (k < sizeof(filters) / sizeof(filters[0]) &&
	       !imap_arg_atom_equals(&list[0], filters[k].name))
		k++;
	if (k == sizeof(filters) / sizeof(filters[0]))
		return fail(p, "Unknown NOTIFY mailbox filter");
	if (count != (filters[k].has_names ? 3u : 2u))
		return fail(p, filters[k].has_names ?
			    "SUBTREE and MAILBOXES take mailbox names and events" :
			    "This NOTIFY filter takes only events");
	spec->groups = xrealloc(spec->groups,
				(spec->group_count + 1) * sizeof(*spec->groups));
	struct notify_group *g = &spec->groups[spec->group_count++];
	memset(g, 0, sizeof(*g));
	g->filter = filters[k].filter;
	if (filters[k].has_names && !read_names(p, &list[1], g))
		return false;
	return read_events(p, &list[count - 1], false, &g->events);
}

enum notify_spec_result notify_spec_parse(const struct session *s,
					  const struct imap_arg *args,
					  size_t count, struct notify_spec *spec_r,
					  const char **error_r)
{
	struct parse p = { .s = s, .spec = spec_r };
	size_t i = 0;

	memset(spec_r, 0, sizeof(*spec_r));
	if (i < count && imap_arg_atom_equals(&args[i], "STATUS")) {
		spec_r->status = true;
		i++;
	}
	if (i == count)
		fail(&p, "NOTIFY SET needs at least one event group");
	else if (count - i > NOTIFY_MAX_GROUPS)
		fail(&p, "Too many NOTIFY event groups");
	for (; i < count && p.error == NULL; i++)
		read_group(&p, &args[i]);
	if (p.error != NULL || p.badevent) {
		notify_spec_free(spec_r);
		*error_r = p.error != NULL ? p.error : "Unsupported NOTIFY event";
		return p.error != NULL ? NOTIFY_SPEC_BAD : NOTIFY_SPEC_BADEVENT;
	}
	return NOTIFY_SPEC_OK;
}

void notify_spec_free(struct notify_spec *spec)
{
	if (spec == NULL)
		return;
	if (spec->has_fetch)
		fetch_items_free(&spec->fetch);
	for (size_t i = 0; i < spec->group_count; i++) {
		for (size_t j = 0; j < spec->groups[i].name_count; j++)
			free(spec->groups[i].names[j]);
		free(spec->groups[i].names);
	}
	free(spec->groups);
	memset(spec, 0, sizeof(*spec));
}

/* RFC 5465 6.2: the personal namespace is everything outside the shared
 * ones (RFC 2342). */
static bool is_personal(const char *name)
{
	static const char *const others[] = { STORE_NS_OTHER, STORE_NS_SHARED };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(others[i]);
		if (strncmp(name, others[i], n) == 0 &&
		    (name[n] == '\0' || name[n] == MAILBOX_NAME_DELIM))
			return false;
	}
	return true;
}

static bool group_matches(const struct notify_group *g, const char *name,
			  unsigned attrs)
{
	switch (g->filter) {
	/* RFC 5465 6.3: "inboxes" may be taken as "personal": `quire
	 * deliver` and LMTP can deliver into any personal mailbox. */
	case NOTIFY_FILTER_INBOXES:
	case NOTIFY_FILTER_PERSONAL:
		return is_personal(name);
	case NOTIFY_FILTER_SUBSCRIBED:
		return (attrs & STORE_MBOX_SUBSCRIBED) != 0;
	case NOTIFY_FILTER_SUBTREE:
		/* RFC 5465 6.5: the mailbox itself and all below it. */
		for (size_t i = 0; i < g->name_count; i++) {
			size_t n = strlen(g->names[i]);
			if (strncmp(name, g->names[i], n) == 0 &&
			    (name[n] == '\0' || name[n] == MAILBOX_NAME_DELIM))
				return true;
		}
		return false;
	case NOTIFY_FILTER_MAILBOXES:
		/* RFC 5465 6.6: no wildcard expansion, exact names. */
		for (size_t i = 0; i < g->name_count; i++) {
			if (strcmp(name, g->names[i]) == 0)
				return true;
		}
		return false;
	}
	return false;
}

unsigned notify_spec_events_for(const struct notify_spec *spec,
				const char *name, unsigned attrs)
{
	unsigned events = 0;
	for (size_t i = 0; i < spec->group_count; i++) {
		if (group_matches(&spec->groups[i], name, attrs))
			events |= spec->groups[i].events;
	}
	return events;
}
