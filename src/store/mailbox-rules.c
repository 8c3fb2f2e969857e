/*
 * store: the rules of mailbox names shared by every backend (store.h
 * store_mailbox_name_normalize): '/' is the hierarchy delimiter, INBOX is
 * case-insensitive.
 */
#include <string.h>
#include <strings.h>

#include "store/store.h"

#define MAILBOX_NAME_MAX 1000
#define DELIM '/'

static bool is_inbox_component(const char *name, size_t len)
{
	return len == 5 && strncasecmp(name, "INBOX", 5) == 0;
}

int store_mailbox_name_normalize(const char *name, struct buf *out)
{
	size_t len = strlen(name);

	buf_reset(out);
	/* RFC 3501 6.3.3: a trailing delimiter only says the client intends
	 * to create children; the name is without it. */
	while (len > 0 && name[len - 1] == DELIM)
		len--;
	if (len == 0 || len > MAILBOX_NAME_MAX || name[0] == DELIM)
		return STORE_EINVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return STORE_EINVALID;
		if (c == DELIM && name[i + 1] == DELIM)
			return STORE_EINVALID;
	}
	const char *slash = memchr(name, DELIM, len);
	size_t first = slash ? (size_t)(slash - name) : len;
	/* RFC 3501 5.1: INBOX is case-insensitive, also as a parent. */
	if (is_inbox_component(name, first)) {
		buf_append_str(out, "INBOX");
		buf_append(out, name + first, len - first);
	} else {
		buf_append(out, name, len);
	}
	return STORE_OK;
}
