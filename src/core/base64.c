/* Base64 encoding and decoding, table driven; see base64.h. */
#include "core/base64.h"

#include <stdint.h>

static const char encode_table[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define INVALID 0xff

/* Values 0..63 for the alphabet, INVALID (0xff) for everything else,
 * '=' included. Any invalid byte sets bits 0xc0, so one OR over a group
 * checks all four characters. */
static const uint8_t decode_table[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   62, 0xff, 0xff, 0xff,   63,
	  52,   53,   54,   55,   56,   57,   58,   59,   60,   61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff,    0,    1,    2,    3,    4,    5,    6,    7,    8,    9,   10,   11,   12,   13,   14,
	  15,   16,   17,   18,   19,   20,   21,   22,   23,   24,   25, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff,   26,   27,   28,   29,   30,   31,   32,   33,   34,   35,   36,   37,   38,   39,   40,
	  41,   42,   43,   44,   45,   46,   47,   48,   49,   50,   51, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

void base64_encode(const void *data, size_t len, struct buf *out)
{
	const uint8_t *p = data;
	size_t groups = len / 3 + (len % 3 != 0);
	buf_reserve(out, groups * 4);
	char *w = out->data + out->len;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];
		w[0] = encode_table[v >> 18];
		w[1] = encode_table[(v >> 12) & 63];
		w[2] = encode_table[(v >> 6) & 63];
		w[3] = encode_table[v & 63];
		w += 4;
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		w[0] = encode_table[v >> 18];
		w[1] = encode_table[(v >> 12) & 63];
		w[2] = i + 1 < len ? encode_table[(v >> 6) & 63] : '=';
		w[3] = '=';
		w += 4;
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
}

/* Decodes the final group, which may carry 1 or 2 '=' (RFC 4648 4). */
static int decode_last_group(const uint8_t *q, struct buf *out)
{
	uint8_t a = decode_table[q[0]], b = decode_table[q[1]];
	if ((a | b) & 0xc0)
		return -1;
	if (q[2] == '=') {
		/* RFC 4648 3.5: reject non-zero pad bits (canonical form). */
		if (q[3] != '=' || (b & 0x0f) != 0)
			return -1;
		buf_append_char(out, (char)(a << 2 | b >> 4));
		return 0;
	}
	uint8_t c = decode_table[q[2]];
	if (c == INVALID)
		return -1;
	if (q[3] == '=') {
		if ((c & 0x03) != 0)
			return -1;
		char bytes[2] = { (char)(a << 2 | b >> 4),
				  (char)((b & 0x0f) << 4 | c >> 2) };
		buf_append(out, bytes, 2);
		return 0;
	}
	uint8_t d = decode_table[q[3]];
	if (d == INVALID)
		return -1;
	char bytes[3] = { (char)(a << 2 | b >> 4),
			  (char)((b & 0x0f) << 4 | c >> 2),
			  (char)((c & 0x03) << 6 | d) };
	buf_append(out, bytes, 3);
	return 0;
}

int base64_decode(const char *in, size_t len, struct buf *out)
{
	if (len % 4 != 0)
		return -1;
	if (len == 0)
		return 0;
	const uint8_t *q = (const uint8_t *)in;
	size_t full = len - 4; /* every group but the last has no padding */
	buf_reserve(out, len / 4 * 3);
	char *w = out->data + out->len;
	for (size_t i = 0; i < full; i += 4) {
		uint32_t a = decode_table[q[i]], b = decode_table[q[i + 1]];
		uint32_t c = decode_table[q[i + 2]], d = decode_table[q[i + 3]];
		if ((a | b | c | d) & 0xc0) {
			out->len = (size_t)(w - out->data);
			out->data[out->len] = '\0';
			return -1;
		}
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		w[0] = (char)(v >> 16);
		w[1] = (char)(v >> 8);
		w[2] = (char)v;
		w += 3;
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return decode_last_group(q + full, out);
}

void base64_decode_mime(const char *in, size_t len, struct buf *out)
{
	const uint8_t *q = (const uint8_t *)in;
	uint32_t acc = 0;
	unsigned n = 0;
	buf_reserve(out, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++) {
		/* RFC 2045 6.8: '=' marks the end of the encoded data. */
		if (q[i] == '=')
			break;
		uint8_t v = decode_table[q[i]];
		if (v == INVALID)
			continue;
		acc = acc << 6 | v;
		if (++n == 4) {
			char bytes[3] = { (char)(acc >> 16), (char)(acc >> 8),
					  (char)acc };
			buf_append(out, bytes, 3);
			acc = 0;
			n = 0;
		}
	}
	/* A group of 2 or 3 characters holds 1 or 2 whole bytes; a single
	 * leftover character holds only 6 bits and is dropped. */
	if (n == 2) {
		buf_append_char(out, (char)(acc >> 4));
	} else if (n == 3) {
		char bytes[2] = { (char)(acc >> 10), (char)(acc >> 2) };
		buf_append(out, bytes, 2);
	}
}
