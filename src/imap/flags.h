#ifndef QUIRE_IMAP_FLAGS_H
#define QUIRE_IMAP_FLAGS_H
/*
 * Flags as clients send them to APPEND and STORE (RFC 3501 9 "flag",
 * "flag-list", "store-att-flags"): system flags become enum store_flag
 * bits, everything else must be a valid keyword.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_arg;

struct imap_flag_set {
	uint32_t flags;		/* enum store_flag */
	/* Keywords, each NUL-terminated and pointing into the parsed
	 * command (valid as long as it is); no two equal ignoring case.
	 * The array itself is owned: free with imap_flag_set_free. */
	const char **keywords;
	size_t keyword_count;
};

/*
 * Parses args[0..count) (atoms) into *set_r. Accepts \Answered \Flagged
 * \Deleted \Seen \Draft in any case and keywords (RFC 3501 flag-keyword:
 * an atom of at most 255 bytes). Refuses \Recent (RFC 3501 6.3.11, 6.4.6:
 * the server sets it, a client cannot), other backslash flags
 * (flag-extension: none is defined), non-atoms and invalid keywords.
 * Returns 0, or -1 with *error_r (static text for a BAD reply) and *set_r
 * empty. Duplicates are merged.
 */
int imap_flags_parse(const struct imap_arg *args, size_t count,
		     struct imap_flag_set *set_r, const char **error_r);

/* As imap_flags_parse for one argument that must be a parenthesised list
 * (APPEND's flag-list). */
int imap_flags_parse_list(const struct imap_arg *arg,
			  struct imap_flag_set *set_r, const char **error_r);

/* Frees the keyword array; the set is empty afterwards. NULL-safe. */
void imap_flag_set_free(struct imap_flag_set *set);

/* True when the space-separated keyword list (NULL = none) holds kw,
 * ignoring ASCII case. */
bool imap_flags_list_contains(const char *list, const char *kw, size_t kw_len);

#endif
