#ifndef QUIRE_IMAP_NOTIFY_SPEC_H
#define QUIRE_IMAP_NOTIFY_SPEC_H
/*
 * The arguments of NOTIFY SET (RFC 5465 3.1, 8): which events the client
 * wants, for the selected mailbox and for mailbox filters. Parsed and
 * checked in full before anything changes, so a bad NOTIFY leaves the
 * previous one in force.
 */
#include <stdbool.h>
#include <stddef.h>

#include "imap/fetch-items.h"
#include "imap/parser.h"

struct session;

/* The events Quire delivers (RFC 5465 5), as bits. */
enum notify_event {
	NOTIFY_EV_MESSAGE_NEW = 1u << 0,
	NOTIFY_EV_MESSAGE_EXPUNGE = 1u << 1,
	NOTIFY_EV_FLAG_CHANGE = 1u << 2,
	NOTIFY_EV_MAILBOX_NAME = 1u << 3,
	NOTIFY_EV_SUBSCRIPTION_CHANGE = 1u << 4,
};
#define NOTIFY_EV_MESSAGE (NOTIFY_EV_MESSAGE_NEW | NOTIFY_EV_MESSAGE_EXPUNGE | \
			   NOTIFY_EV_FLAG_CHANGE)
/* The BADEVENT list (RFC 5465 3.1: all events the server supports). */
#define NOTIFY_SUPPORTED_EVENTS \
	"MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange"

/* Limits on one NOTIFY SET, so its cost stays bounded. */
#define NOTIFY_MAX_GROUPS 64
#define NOTIFY_MAX_NAMES 1000

enum notify_filter {
	NOTIFY_FILTER_INBOXES,
	NOTIFY_FILTER_PERSONAL,
	NOTIFY_FILTER_SUBSCRIBED,
	NOTIFY_FILTER_SUBTREE,
	NOTIFY_FILTER_MAILBOXES,
};

struct notify_group {
	enum notify_filter filter;
	unsigned events;	/* enum notify_event bits; 0 for NONE */
	char **names;		/* SUBTREE, MAILBOXES: stored (mUTF-7) names */
	size_t name_count;
};

struct notify_spec {
	bool status;		/* SET STATUS */
	bool has_selected;	/* a SELECTED or SELECTED-DELAYED group */
	bool selected_delayed;
	unsigned selected_events;
	/* MessageNew (fetch-att ...) for the selected mailbox. */
	bool has_fetch;
	struct fetch_items fetch;
	struct notify_group *groups;
	size_t group_count;
};

enum notify_spec_result {
	NOTIFY_SPEC_OK = 0,
	NOTIFY_SPEC_BAD = -1,		/* syntax or RFC 5465 5 rules: BAD */
	NOTIFY_SPEC_BADEVENT = -2,	/* an unsupported event: NO [BADEVENT] */
};

/*
 * Parses the arguments after "SET" (args[0] may be STATUS). Mailbox names
 * are read as s's client sends them (UTF-8 after ENABLE UTF8=ACCEPT) and
 * stored canonical. Returns NOTIFY_SPEC_OK with *spec_r filled (free with
 * notify_spec_free), or an error with *error_r (static text) and nothing
 * to free.
 */
enum notify_spec_result notify_spec_parse(const struct session *s,
					  const struct imap_arg *args,
					  size_t count, struct notify_spec *spec_r,
					  const char **error_r);

/* Frees what *spec holds and zeroes it; NULL-safe. */
void notify_spec_free(struct notify_spec *spec);

/* The union of the events the non-SELECTED groups of spec want for the
 * mailbox name (stored form) with attributes attrs (enum
 * store_mailbox_attr: SUBSCRIBED matters for the "subscribed" filter). */
unsigned notify_spec_events_for(const struct notify_spec *spec,
				const char *name, unsigned attrs);

#endif
