#include "imap/capability.h"

#include <stdbool.h>
#include <string.h>

#include "core/config.h"
#include "imap/imap-server.h"
#include "net/conn.h"

enum capability_when {
	CAP_ALWAYS,
	CAP_BEFORE_TLS,		/* STARTTLS: only while the link is clear */
	CAP_NO_PLAINTEXT,	/* LOGINDISABLED */
	CAP_PLAINTEXT_OK,	/* AUTH= mechanisms that send the password */
	CAP_NOT_AUTHENTICATED,	/* only useful before login */
	CAP_LITERAL_PLUS,	/* RFC 7888 5: LITERAL+ or LITERAL-, never both */
	CAP_LITERAL_MINUS,
	CAP_APPENDLIMIT,	/* "=N" is appended from the config */
};

static const struct capability {
	const char *name;
	const char *rfc;
	enum capability_when when;
} capabilities[] = {
	{ "IMAP4rev1", "3501", CAP_ALWAYS },
	/* RFC 9051 7.2.2: every extension rev2 folds in is announced below
	 * (LITERAL- semantics are a subset of LITERAL+). */
	{ "IMAP4rev2", "9051", CAP_ALWAYS },
	{ "APPENDLIMIT", "7889", CAP_APPENDLIMIT },
	{ "STARTTLS", "3501 6.2.1", CAP_BEFORE_TLS },
	{ "LOGINDISABLED", "3501 6.2.3", CAP_NO_PLAINTEXT },
	{ "AUTH=PLAIN", "4616", CAP_PLAINTEXT_OK },
	{ "AUTH=LOGIN", "draft-murchison-sasl-login", CAP_PLAINTEXT_OK },
	{ "AUTH=SCRAM-SHA-256", "7677", CAP_NOT_AUTHENTICATED },
	{ "ACL", "4314", CAP_ALWAYS },
	{ "BINARY", "3516", CAP_ALWAYS },
	{ "CHILDREN", "3348", CAP_ALWAYS },
	{ "COMPRESS=DEFLATE", "4978", CAP_ALWAYS },
	{ "CONDSTORE", "7162", CAP_ALWAYS },
	{ "CREATE-SPECIAL-USE", "6154 3", CAP_ALWAYS },
	{ "ENABLE", "5161", CAP_ALWAYS },
	{ "ESEARCH", "4731", CAP_ALWAYS },
	{ "ID", "2971", CAP_ALWAYS },
	{ "IDLE", "2177", CAP_ALWAYS },
	{ "LIST-EXTENDED", "5258", CAP_ALWAYS },
	{ "LIST-STATUS", "5819", CAP_ALWAYS },
	{ "LITERAL+", "7888", CAP_LITERAL_PLUS },
	{ "LITERAL-", "7888 5", CAP_LITERAL_MINUS },
	{ "MOVE", "6851", CAP_ALWAYS },
	{ "MULTIAPPEND", "3502", CAP_ALWAYS },
	{ "NAMESPACE", "2342", CAP_ALWAYS },
	{ "NOTIFY", "5465", CAP_ALWAYS },
	/* MAILBOXID, EMAILID and THREADID are all given and searchable. */
	{ "OBJECTID", "8474", CAP_ALWAYS },
	{ "PREVIEW", "8970", CAP_ALWAYS },
	{ "QRESYNC", "7162", CAP_ALWAYS },
	{ "QUOTA", "9208 (2087)", CAP_ALWAYS },
	{ "QUOTA=RES-MESSAGE", "9208 5.2", CAP_ALWAYS },
	{ "QUOTA=RES-STORAGE", "9208 5.1", CAP_ALWAYS },
	/* RFC 9208 1: SETQUOTA is implemented (admin only), so QUOTASET. */
	{ "QUOTASET", "9208 4.1.3", CAP_ALWAYS },
	/* RFC 4314 5.1.1: the rights beyond RFC 2086 */
	{ "RIGHTS=texk", "4314 2.2", CAP_ALWAYS },
	{ "SASL-IR", "4959", CAP_NOT_AUTHENTICATED },
	{ "SAVEDATE", "8514", CAP_ALWAYS },
	{ "SEARCHRES", "5182", CAP_ALWAYS },
	{ "SORT", "5256", CAP_ALWAYS },
	{ "SORT=DISPLAY", "5957", CAP_ALWAYS },
	{ "SPECIAL-USE", "6154", CAP_ALWAYS },
	{ "STATUS=SIZE", "8438", CAP_ALWAYS },
	{ "THREAD=ORDEREDSUBJECT", "5256", CAP_ALWAYS },
	{ "THREAD=REFERENCES", "5256", CAP_ALWAYS },
	{ "UIDPLUS", "4315", CAP_ALWAYS },
	{ "UNSELECT", "3691", CAP_ALWAYS },
	{ "UTF8=ACCEPT", "6855", CAP_ALWAYS },
	{ "WITHIN", "5032", CAP_ALWAYS },
};

static bool capability_applies(const struct capability *cap,
			       const struct session *s)
{
	/* Behind a balancer that terminated the client's TLS, STARTTLS would
	 * put TLS inside TLS: not offered (RFC 3501 6.2.1 is for clear
	 * links). */
	bool tls = conn_is_secure(s->conn);
	bool plaintext = session_plaintext_allowed(s);
	bool before_login = s->state == SESSION_NOT_AUTHENTICATED;

	switch (cap->when) {
	case CAP_ALWAYS:
		return true;
	case CAP_BEFORE_TLS:
		return !tls && before_login;
	case CAP_NO_PLAINTEXT:
		return !plaintext && before_login;
	case CAP_PLAINTEXT_OK:
		return plaintext && before_login;
	case CAP_NOT_AUTHENTICATED:
		return before_login;
	case CAP_LITERAL_PLUS:
		return !imap_server_config()->literal_minus;
	case CAP_LITERAL_MINUS:
		return imap_server_config()->literal_minus;
	case CAP_APPENDLIMIT:
		return true;
	}
	return false;
}

void capability_write(const struct session *s, struct buf *out)
{
	bool first = true;
	for (size_t i = 0; i < sizeof(capabilities) / sizeof(capabilities[0]); i++) {
		if (!capability_applies(&capabilities[i], s))
			continue;
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, capabilities[i].name);
		if (capabilities[i].when == CAP_APPENDLIMIT)
			buf_printf(out, "=%llu",
				   (unsigned long long)capability_appendlimit());
		first = false;
	}
}

uint64_t capability_appendlimit(void)
{
	/* The parser takes literals of at most 2^32-1 bytes, whatever the
	 * configuration says; RFC 7889 5 has the limit as a number. */
	uint64_t limit = imap_server_config()->max_literal_size;
	return limit < UINT32_MAX ? limit : UINT32_MAX;
}
