#include "imap/fetch-items.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

static struct fetch_item *items_add(struct fetch_items *items,
				    enum fetch_item_kind kind, const char *label)
{
	items->items = xrealloc(items->items, (items->count + 1) * sizeof(*items->items));
	struct fetch_item *item = &items->items[items->count++];
	memset(item, 0, sizeof(*item));
	item->kind = kind;
	item->label = xstrdup(label);
	switch (kind) {
	case FETCH_INTERNALDATE:
	case FETCH_RFC822_SIZE:
		items->needs_record = true;
		break;
	case FETCH_ENVELOPE:
	case FETCH_BODY:
	case FETCH_BODYSTRUCTURE:
		items->needs_record = true;
		items->needs_tree = true;
		break;
	case FETCH_SECTION:
	case FETCH_BINARY:
	case FETCH_BINARY_SIZE:
		items->needs_record = true;
		items->needs_tree = true;
		items->needs_body = true;
		break;
	case FETCH_EMAILID:
	case FETCH_THREADID:
	case FETCH_SAVEDATE:
		items->needs_record = true;
		break;
	case FETCH_PREVIEW:
		/* Computed from the decoded text, bounded (mail/preview.h). */
		items->needs_record = true;
		items->needs_tree = true;
		items->needs_body = true;
		break;
	case FETCH_MODSEQ:
		items->has_modseq = true;
		break;
	case FETCH_FLAGS:
	case FETCH_UID:
		break;
	}
	return item;
}

static bool items_have(const struct fetch_items *items, enum fetch_item_kind kind)
{
	for (size_t i = 0; i < items->count; i++) {
		if (items->items[i].kind == kind)
			return true;
	}
	return false;
}

/* "<origin.octets>" after a section (RFC 3501 9 "partial"). */
static int parse_partial(const char *p, size_t len, struct fetch_item *item,
			 const char **error_r)
{
	const char *dot = memchr(p, '.', len);
	if (len < 5 || p[0] != '<' || p[len - 1] != '>' || dot == NULL) {
		*error_r = "Invalid partial range <origin.octets>";
		return -1;
	}
	uint32_t origin, octets;
	if (str_to_u32(p + 1, (size_t)(dot - p - 1), &origin) < 0 ||
	    str_to_u32(dot + 1, (size_t)(p + len - 1 - dot - 1), &octets) < 0 ||
	    octets == 0) {
		*error_r = "Invalid partial range <origin.octets>";
		return -1;
	}
	item->partial = true;
	item->origin = origin;
	item->octets = octets;
	return 0;
}

/* BODY[...]<..>, BODY.PEEK[...], BINARY[...], BINARY.PEEK[...],
 * BINARY.SIZE[...]: name is what precedes '['. */
static int parse_section_item(struct fetch_items *items, const char *atom,
			      size_t len, const char *bracket, const char **error_r)
{
	size_t name_len = (size_t)(bracket - atom);
	const char *close = memchr(bracket, ']', len - name_len);
	enum fetch_item_kind kind;
	bool peek = false;

	if (close == NULL) {
		*error_r = "Missing ] in section";
		return -1;
	}
	if (name_len == 4 && strncasecmp(atom, "BODY", 4) == 0) {
		kind = FETCH_SECTION;
	} else if (name_len == 9 && strncasecmp(atom, "BODY.PEEK", 9) == 0) {
		kind = FETCH_SECTION, peek = true;
	} else if (name_len == 6 && strncasecmp(atom, "BINARY", 6) == 0) {
		kind = FETCH_BINARY;
	} else if (name_len == 11 && strncasecmp(atom, "BINARY.PEEK", 11) == 0) {
		kind = FETCH_BINARY, peek = true;
	} else if (name_len == 11 && strncasecmp(atom, "BINARY.SIZE", 11) == 0) {
		kind = FETCH_BINARY_SIZE, peek = true;
	} else {
		*error_r = "Unknown FETCH item";
		return -1;
	}

	struct buf label = BUF_INIT;
	buf_append_str(&label, kind == FETCH_SECTION ? "BODY[" :
		       kind == FETCH_BINARY ? "BINARY[" : "BINARY.SIZE[");
	buf_append(&label, bracket + 1, (size_t)(close - bracket - 1));
	buf_append_char(&label, ']');
	for (size_t i = 0; i < label.len; i++)
		label.data[i] = (char)toupper((unsigned char)label.data[i]);

	struct fetch_item *item = items_add(items, kind, buf_cstr(&label));
	buf_free(&label);
	if (mail_section_parse(bracket + 1, (size_t)(close - bracket - 1),
			       &item->section, error_r) < 0) {
		items->count--;
		free(item->label);
		return -1;
	}
	item->has_section = true;
	if (kind != FETCH_SECTION && (item->section.kind != MAIL_SECTION_ALL)) {
		*error_r = "BINARY takes only a part number (RFC 3516)";
		return -1;
	}
	size_t rest = len - (size_t)(close + 1 - atom);
	if (rest > 0) {
		if (kind == FETCH_BINARY_SIZE || parse_partial(close + 1, rest, item, error_r) < 0) {
			if (kind == FETCH_BINARY_SIZE)
				*error_r = "BINARY.SIZE takes no partial range";
			return -1;
		}
		struct buf with = BUF_INIT;
		buf_printf(&with, "%s<%llu>", item->label, (unsigned long long)item->origin);
		free(item->label);
		item->label = buf_steal(&with);
	}
	if (!peek)
		items->sets_seen = true;
	return 0;
}

static const struct {
	const char *name;
	enum fetch_item_kind kind;
	const char *section;	/* RFC822.* are sections in disguise */
	bool sets_seen;
} simple_items[] = {
	{ "FLAGS", FETCH_FLAGS, NULL, false },
	{ "UID", FETCH_UID, NULL, false },
	{ "INTERNALDATE", FETCH_INTERNALDATE, NULL, false },
	{ "RFC822.SIZE", FETCH_RFC822_SIZE, NULL, false },
	{ "ENVELOPE", FETCH_ENVELOPE, NULL, false },
	{ "BODY", FETCH_BODY, NULL, false },
	{ "BODYSTRUCTURE", FETCH_BODYSTRUCTURE, NULL, false },
	{ "RFC822", FETCH_SECTION, "", true },
	{ "RFC822.HEADER", FETCH_SECTION, "HEADER", false },
	{ "RFC822.TEXT", FETCH_SECTION, "TEXT", true },
	{ "MODSEQ", FETCH_MODSEQ, NULL, false },
	{ "EMAILID", FETCH_EMAILID, NULL, false },
	{ "THREADID", FETCH_THREADID, NULL, false },
	{ "SAVEDATE", FETCH_SAVEDATE, NULL, false },
	{ "PREVIEW", FETCH_PREVIEW, NULL, false },
};

static int parse_one(struct fetch_items *items, const struct imap_arg *arg,
		     const char **error_r)
{
	if (arg->type != IMAP_ARG_ATOM) {
		*error_r = "FETCH items must be atoms";
		return -1;
	}
	const char *bracket = memchr(arg->str, '[', arg->len);
	if (bracket != NULL)
		return parse_section_item(items, arg->str, arg->len, bracket, error_r);
	for (size_t i = 0; i < sizeof(simple_items) / sizeof(simple_items[0]); i++) {
		if (!imap_arg_atom_equals(arg, simple_items[i].name))
			continue;
		struct fetch_item *item = items_add(items, simple_items[i].kind,
						    simple_items[i].name);
		if (simple_items[i].section != NULL) {
			const char *sec = simple_items[i].section;
			if (mail_section_parse(sec, strlen(sec), &item->section, error_r) < 0)
				return -1;
			item->has_section = true;
			items->sets_seen |= simple_items[i].sets_seen;
		}
		return 0;
	}
	*error_r = "Unknown FETCH item";
	return -1;
}

static int parse_preview_mods(const struct imap_arg *arg, const char **error_r)
{
	const struct imap_arg *mods;
	size_t count;
	if (!imap_arg_as_list(arg, &mods, &count) || count == 0) {
		*error_r = "Invalid PREVIEW modifiers";
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (!imap_arg_atom_equals(&mods[i], "LAZY")) {
			*error_r = "Unknown PREVIEW modifier";
			return -1;
		}
	}
	return 0;
}

void fetch_items_add_modseq(struct fetch_items *items)
{
	if (!items->has_modseq)
		items_add(items, FETCH_MODSEQ, "MODSEQ");
}

/* RFC 3501 6.4.5 macros. */
static const char *const macro_all[] = { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", NULL };
static const char *const macro_fast[] = { "FLAGS", "INTERNALDATE", "RFC822.SIZE", NULL };
static const char *const macro_full[] = { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY", NULL };

static const char *const *find_macro(const struct imap_arg *arg)
{
	if (imap_arg_atom_equals(arg, "ALL"))
		return macro_all;
	if (imap_arg_atom_equals(arg, "FAST"))
		return macro_fast;
	if (imap_arg_atom_equals(arg, "FULL"))
		return macro_full;
	return NULL;
}

int fetch_items_parse(const struct imap_arg *arg, bool uid_command,
		      struct fetch_items *items_r, const char **error_r)
{
	const struct imap_arg *list;
	size_t count;
	int ret = 0;

	memset(items_r, 0, sizeof(*items_r));
	const char *const *macro = find_macro(arg);
	if (macro != NULL) {
		for (size_t i = 0; macro[i] != NULL; i++) {
			struct imap_arg atom = { .type = IMAP_ARG_ATOM, .str = macro[i],
						 .len = strlen(macro[i]) };
			parse_one(items_r, &atom, error_r);
		}
	} else if (imap_arg_as_list(arg, &list, &count)) {
		if (count == 0) {
			*error_r = "Empty FETCH item list";
			ret = -1;
		}
		for (size_t i = 0; i < count && ret == 0; i++) {
			ret = parse_one(items_r, &list[i], error_r);
			/* RFC 8970 6: "PREVIEW" [SP "(" preview-mod ")"]. LAZY
			 * lets us answer NIL; we always compute the preview,
			 * which the RFC allows. */
			if (ret == 0 && items_r->items[items_r->count - 1].kind == FETCH_PREVIEW &&
			    i + 1 < count && list[i + 1].type == IMAP_ARG_LIST) {
				ret = parse_preview_mods(&list[++i], error_r);
			}
		}
	} else {
		ret = parse_one(items_r, arg, error_r);
	}
	/* RFC 3501 6.4.8: UID FETCH responses always carry the UID. */
	if (ret == 0 && uid_command && !items_have(items_r, FETCH_UID)) {
		items_add(items_r, FETCH_UID, "UID");
		struct fetch_item uid_item = items_r->items[items_r->count - 1];
		memmove(items_r->items + 1, items_r->items,
			(items_r->count - 1) * sizeof(*items_r->items));
		items_r->items[0] = uid_item;
	}
	if (ret < 0)
		fetch_items_free(items_r);
	return ret;
}

void fetch_items_free(struct fetch_items *items)
{
	for (size_t i = 0; i < items->count; i++) {
		if (items->items[i].has_section)
			mail_section_free(&items->items[i].section);
		free(items->items[i].label);
	}
	free(items->items);
	memset(items, 0, sizeof(*items));
}
