#include "mail/imap-string.h"

#include <stdbool.h>
#include <string.h>

static bool needs_literal(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			return true;
	}
	return false;
}

void mail_imap_write_string(struct buf *out, const char *s, size_t len)
{
	if (needs_literal(s, len)) {
		buf_append_char(out, '{');
		buf_append_u64(out, len);
		buf_append_str(out, "}\r\n");
		buf_append(out, s, len);
		return;
	}
	buf_append_char(out, '"');
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		buf_append(out, s + run, i - run);
		buf_append_char(out, '\\');
		run = i;
	}
	buf_append(out, s + run, len - run);
	buf_append_char(out, '"');
}

void mail_imap_write_nstring(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_append_str(out, "NIL");
	else
		mail_imap_write_string(out, s, strlen(s));
}
