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
