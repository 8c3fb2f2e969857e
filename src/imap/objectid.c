#include "imap/objectid.h"

/* 96 bits of the hash: collisions between different bodies of one user
 * are not a practical concern, and ids stay short for clients to keep. */
#define EMAILID_HASH_BYTES 12

void objectid_mailbox(uint32_t uidvalidity, struct buf *out)
{
	buf_printf(out, "M%u", uidvalidity);
}

void objectid_email(const uint8_t sha256[32], time_t internaldate,
		    struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	buf_append_char(out, 'E');
	for (int i = 0; i < EMAILID_HASH_BYTES; i++) {
		buf_append_char(out, hex[sha256[i] >> 4]);
		buf_append_char(out, hex[sha256[i] & 0xf]);
	}
	/* Dates before 1970 are possible in APPEND; keep the id an atom. */
	long long t = (long long)internaldate;
	buf_printf(out, "-%s%llx", t < 0 ? "n" : "",
		   (unsigned long long)(t < 0 ? -t : t));
}

void objectid_thread(int64_t thread_id, struct buf *out)
{
	buf_printf(out, "T%llx", (unsigned long long)thread_id);
}

bool objectid_valid(const char *s, size_t len)
{
	if (len == 0 || len > OBJECTID_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Lowercase hex without leading zeros, as buf_printf("%llx") writes it,
 * so one number has exactly one spelling (ids compare as strings). */
static int parse_hex(const char *s, size_t len, uint64_t *value_r)
{
	uint64_t v = 0;
	if (len == 0 || len > 16 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		int d;
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*value_r = v;
	return 0;
}

int objectid_thread_parse(const char *s, size_t len, uint64_t *thread_id_r)
{
	uint64_t v;
	if (len < 2 || s[0] != 'T' || parse_hex(s + 1, len - 1, &v) < 0 ||
	    v == 0 || v > INT64_MAX)
		return -1;
	*thread_id_r = v;
	return 0;
}

int objectid_email_date(const char *s, size_t len, time_t *internaldate_r)
{
	size_t prefix = 1 + 2 * EMAILID_HASH_BYTES;
	uint64_t v;
	if (len < prefix + 2 || s[0] != 'E' || s[prefix] != '-')
		return -1;
	const char *p = s + prefix + 1;
	size_t n = len - prefix - 1;
	bool negative = p[0] == 'n';
	if (negative) {
		p++;
		n--;
	}
	if (parse_hex(p, n, &v) < 0 || v > INT64_MAX)
		return -1;
	*internaldate_r = negative ? -(time_t)v : (time_t)v;
	return 0;
}
