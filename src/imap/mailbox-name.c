#include "imap/mailbox-name.h"

#include <assert.h>
#include <string.h>

#include "core/mutf7.h"
#include "core/strutil.h"
#include "imap/writer.h"
#include "store/store.h"

/* Bytes the wire form may hold: printable US-ASCII only (RFC 3501 5.1.3:
 * everything else goes through the "&...-" shift). */
static enum mailbox_name_status check_bytes(const char *name, size_t len,
					    const char **error_r)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == 0) {
			*error_r = "NUL in mailbox name";
			return MAILBOX_NAME_BAD;
		}
		if (c < 0x20 || c == 0x7f) {
			*error_r = "Control character in mailbox name";
			return MAILBOX_NAME_BAD;
		}
		if (c >= 0x80) {
			*error_r = "8-bit mailbox name: use modified UTF-7 (RFC 3501 5.1.3)";
			return MAILBOX_NAME_BAD;
		}
	}
	return MAILBOX_NAME_OK;
}

/* RFC 9051 5.1 allows refusing names with Unicode control characters;
 * they would show as nothing in a folder pane. C0, DEL and C1. */
static bool has_unicode_control(const char *name, size_t len)
{
	struct buf utf8 = BUF_INIT;
	bool found = false;
	if (mutf7_to_utf8(name, len, &utf8) < 0) {
		buf_free(&utf8);
		return true;
	}
	const unsigned char *p = (const unsigned char *)utf8.data;
	for (size_t i = 0; i < utf8.len && !found; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			found = true;
		/* U+0080..U+009F are encoded as C2 80..C2 9F. */
		else if (p[i] == 0xc2 && i + 1 < utf8.len && p[i + 1] <= 0x9f)
			found = true;
	}
	buf_free(&utf8);
	return found;
}

static enum mailbox_name_status check_new(const char *name, size_t len,
					  const char **error_r)
{
	if (len == 0 || (len == 1 && name[0] == MAILBOX_NAME_DELIM)) {
		*error_r = "Empty mailbox name";
		return MAILBOX_NAME_REFUSED;
	}
	/* RFC 3501 6.3.3: a trailing delimiter only says children will
	 * follow; it is not an empty level. */
	size_t body = name[len - 1] == MAILBOX_NAME_DELIM ? len - 1 : len;
	for (size_t i = 0; i < body; i++) {
		if (name[i] == '%' || name[i] == '*') {
			*error_r = "Wildcards % and * are not allowed in mailbox names";
			return MAILBOX_NAME_REFUSED;
		}
		if (name[i] == MAILBOX_NAME_DELIM &&
		    (i == 0 || name[i - 1] == MAILBOX_NAME_DELIM ||
		     i + 1 == body)) {
			*error_r = "Empty level in mailbox name";
			return MAILBOX_NAME_REFUSED;
		}
	}
	if (has_unicode_control(name, len)) {
		*error_r = "Control character in mailbox name";
		return MAILBOX_NAME_REFUSED;
	}
	return MAILBOX_NAME_OK;
}

enum mailbox_name_status mailbox_name_check(const char *name, size_t len,
					    enum mailbox_name_kind kind,
					    const char **error_r)
{
	if (len > MAILBOX_NAME_MAX_LEN) {
		*error_r = "Mailbox name too long";
		return MAILBOX_NAME_BAD;
	}
	enum mailbox_name_status st = check_bytes(name, len, error_r);
	if (st != MAILBOX_NAME_OK)
		return st;
	if (!mutf7_valid(name, len)) {
		*error_r = "Mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3)";
		return MAILBOX_NAME_BAD;
	}
	if (kind == MAILBOX_NAME_NEW)
		return check_new(name, len, error_r);
	return MAILBOX_NAME_OK;
}

void mailbox_name_normalize(const char *name, size_t len, struct buf *out)
{
	buf_reset(out);
	if (len > 1 && name[len - 1] == MAILBOX_NAME_DELIM)
		len--;
	const char *slash = memchr(name, MAILBOX_NAME_DELIM, len);
	size_t first = slash != NULL ? (size_t)(slash - name) : len;
	if (str_ascii_caseeq_n(name, first, "INBOX", 5)) {
		buf_append_str(out, "INBOX");
		buf_append(out, name + first, len - first);
	} else {
		buf_append(out, name, len);
	}
}

/* RFC 6855 3: no C0 or C1 controls, no DEL, no U+2028 or U+2029. */
static bool utf8_name_allowed(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f)
			return false;
		if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			return false;
	}
	return true;
}

bool mailbox_name_from_client(const struct session *s, const char *name,
			      size_t len, struct buf *tmp,
			      const char **name_r, size_t *len_r,
			      const char **error_r)
{
	*name_r = name;
	*len_r = len;
	if (!s->enabled_utf8)
		return true;
	buf_reset(tmp);
	if (!utf8_valid(name, len) || mutf7_from_utf8(name, len, tmp) < 0) {
		*error_r = "Mailbox name is not valid UTF-8 (RFC 6855 3)";
		return false;
	}
	if (!utf8_name_allowed(name, len)) {
		*error_r = "Control or separator character in mailbox name (RFC 6855 3)";
		return false;
	}
	*name_r = tmp->data != NULL ? tmp->data : "";
	*len_r = tmp->len;
	return true;
}

bool mailbox_name_arg(struct command *cmd, const struct imap_arg *arg,
		      enum mailbox_name_kind kind, struct buf *out)
{
	const char *name, *error;
	size_t len;
	struct buf tmp = BUF_INIT;

	if (!imap_arg_as_astring(arg, &name, &len)) {
		command_bad(cmd, NULL, "Mailbox name must be an atom, a quoted string or a literal");
		return false;
	}
	if (!mailbox_name_from_client(cmd->session, name, len, &tmp, &name,
				      &len, &error)) {
		buf_free(&tmp);
		command_bad(cmd, NULL, "%s", error);
		return false;
	}
	enum mailbox_name_status status = mailbox_name_check(name, len, kind,
							     &error);
	if (status == MAILBOX_NAME_OK)
		mailbox_name_normalize(name, len, out);
	buf_free(&tmp);
	switch (status) {
	case MAILBOX_NAME_OK:
		return true;
	case MAILBOX_NAME_BAD:
		command_bad(cmd, NULL, "%s", error);
		return false;
	case MAILBOX_NAME_REFUSED:
		command_no(cmd, "CANNOT", "%s", error);
		return false;
	}
	assert(!"unknown mailbox_name_status");
	return false;
}

bool mailbox_name_is_inbox(const char *name, size_t len)
{
	return str_ascii_caseeq_n(name, len, "INBOX", 5);
}

void mailbox_name_write(struct buf *out, const char *name, size_t len)
{
	/* Names are 7-bit by the checks above, so no UTF-8 form is needed;
	 * a stored name that is not still goes out safely as a literal. */
	imap_write_astring(out, name, len, 0);
}

void mailbox_name_write_for(const struct session *s, struct buf *out,
			    const char *name, size_t len)
{
	struct buf utf8 = BUF_INIT;
	if (s->enabled_utf8 && mutf7_to_utf8(name, len, &utf8) == 0) {
		imap_write_astring(out, utf8.data != NULL ? utf8.data : "",
				   utf8.len, IMAP_WRITE_UTF8);
	} else {
		mailbox_name_write(out, name, len);
	}
	buf_free(&utf8);
}

bool mailbox_name_reply_store_error(struct command *cmd, int r,
				    const char *error)
{
	assert(r != STORE_OK);
	return command_no(cmd, store_error_code(r), "%s",
			  error != NULL ? error : "Mail store error");
}
