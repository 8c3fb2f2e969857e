/* Client flag lists for APPEND and STORE (RFC 3501 9). */
#include "imap/flags.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/strutil.h"
#include "imap/parser.h"
#include "imap/writer.h"
#include "store/store.h"

static const struct {
	const char *name;
	uint32_t bit;
} system_flags[] = {
	{ "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED },
	{ "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Seen", STORE_FLAG_SEEN },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

static int system_flag_parse(const char *s, size_t len, uint32_t *bit_r,
			     const char **error_r)
{
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		const char *name = system_flags[i].name;
		if (str_ascii_caseeq_n(s, len, name, strlen(name))) {
			*bit_r = system_flags[i].bit;
			return 0;
		}
	}
	/* RFC 3501 9: "\Recent" is in flag-fetch only, never in flag. */
	if (str_ascii_caseeq_n(s, len, "\\Recent", 7))
		*error_r = "\\Recent cannot be set";
	else
		*error_r = "Unknown system flag";
	return -1;
}

static bool keyword_known(const struct imap_flag_set *set, const char *s,
			  size_t len)
{
	for (size_t i = 0; i < set->keyword_count; i++) {
		if (str_ascii_caseeq_n(set->keywords[i], strlen(set->keywords[i]),
				       s, len))
			return true;
	}
	return false;
}

static int flag_add(struct imap_flag_set *set, const struct imap_arg *arg,
		    const char **error_r)
{
	if (arg->type != IMAP_ARG_ATOM) {
		*error_r = "Flags must be atoms";
		return -1;
	}
	if (arg->len > 0 && arg->str[0] == '\\') {
		uint32_t bit;
		if (system_flag_parse(arg->str, arg->len, &bit, error_r) < 0)
			return -1;
		set->flags |= bit;
		return 0;
	}
	/* flag-keyword = atom; imap_write_is_atom also refuses "NIL", which
	 * would not survive a round trip through FLAGS (...). */
	if (arg->len > STORE_KEYWORD_MAX_LEN ||
	    !imap_write_is_atom(arg->str, arg->len)) {
		*error_r = "Invalid keyword";
		return -1;
	}
	if (keyword_known(set, arg->str, arg->len))
		return 0;
	set->keywords = xrealloc(set->keywords,
				 (set->keyword_count + 1) * sizeof(char *));
	set->keywords[set->keyword_count++] = arg->str;
	return 0;
}

int imap_flags_parse(const struct imap_arg *args, size_t count,
		     struct imap_flag_set *set_r, const char **error_r)
{
	memset(set_r, 0, sizeof(*set_r));
	for (size_t i = 0; i < count; i++) {
		if (flag_add(set_r, &args[i], error_r) < 0) {
			imap_flag_set_free(set_r);
			return -1;
		}
	}
	return 0;
}

int imap_flags_parse_list(const struct imap_arg *arg,
			  struct imap_flag_set *set_r, const char **error_r)
{
	const struct imap_arg *list;
	size_t count;

	if (!imap_arg_as_list(arg, &list, &count)) {
		memset(set_r, 0, sizeof(*set_r));
		*error_r = "Expected a flag list";
		return -1;
	}
	return imap_flags_parse(list, count, set_r, error_r);
}

void imap_flag_set_free(struct imap_flag_set *set)
{
	if (set == NULL)
		return;
	free(set->keywords);
	memset(set, 0, sizeof(*set));
}

bool imap_flags_list_contains(const char *list, const char *kw, size_t kw_len)
{
	while (list != NULL && *list != '\0') {
		const char *end = strchr(list, ' ');
		size_t len = end != NULL ? (size_t)(end - list) : strlen(list);
		if (str_ascii_caseeq_n(list, len, kw, kw_len))
			return true;
		list = end != NULL ? end + 1 : NULL;
	}
	return false;
}
