/*
 * The PROXY protocol: the v1/v2 header parser (every field, truncation,
 * garbage, size limits, any split of the input), the trusted-network list,
 * the proxy_protocol setting, and the header read off real sockets by the
 * network layer (split over many reads, before TLS, untrusted peers).
 */
#include "test-net-util.h"

#include <netinet/tcp.h>

#include "net/proxy-protocol.h"

static const uint8_t sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/* ---- helpers ------------------------------------------------------------ */

static enum proxy_parse_result parse(const void *data, size_t len,
				     struct proxy_header *hdr)
{
	const char *error = NULL;
	enum proxy_parse_result r = proxy_parse(data, len, hdr, &error);
	if (r == PROXY_PARSE_ERROR)
		assert_non_null(error);
	return r;
}

static enum proxy_parse_result parse_str(const char *s, struct proxy_header *hdr)
{
	return parse(s, strlen(s), hdr);
}

static void assert_endpoint(const struct sockaddr_storage *ss,
			    const char *ip, unsigned port)
{
	char text[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
		assert_int_equal(ntohs(s4->sin_port), port);
	} else {
		assert_int_equal(ss->ss_family, AF_INET6);
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
		assert_int_equal(ntohs(s6->sin6_port), port);
	}
	assert_string_equal(text, ip);
}

/* A v2 header: fixed part, then payload (addresses and TLVs). */
static size_t v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const void *payload,
		 size_t len)
{
	memcpy(out, sig, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	if (len > 0)
		memcpy(out + 16, payload, len);
	return 16 + len;
}

static size_t inet4_block(uint8_t *p, const char *src, const char *dst,
			  uint16_t sport, uint16_t dport)
{
	inet_pton(AF_INET, src, p);
	inet_pton(AF_INET, dst, p + 4);
	p[8] = (uint8_t)(sport >> 8);
	p[9] = (uint8_t)sport;
	p[10] = (uint8_t)(dport >> 8);
	p[11] = (uint8_t)dport;
	return 12;
}

/*
 * The result must not depend on how the bytes arrive: every proper prefix
 * of a valid header (plus trailing data) is MORE, and the whole gives the
 * same header whatever follows it.
 */
static void assert_split_invariant(const uint8_t *data, size_t len)
{
	struct proxy_header whole, part;
	assert_int_equal(parse(data, len, &whole), PROXY_PARSE_DONE);
	assert_true(whole.length <= len);
	for (size_t i = 0; i < whole.length; i++)
		assert_int_equal(parse(data, i, &part), PROXY_PARSE_MORE);
	assert_int_equal(parse(data, whole.length, &part), PROXY_PARSE_DONE);
	assert_int_equal(part.length, whole.length);
	assert_int_equal(part.has_addresses, whole.has_addresses);
	assert_memory_equal(&part.src, &whole.src, sizeof(part.src));
}

/* An invalid input is MORE up to some prefix and ERROR from there on. */
static void assert_error_monotonic(const uint8_t *data, size_t len)
{
	struct proxy_header hdr;
	bool failed = false;
	for (size_t i = 1; i <= len; i++) {
		enum proxy_parse_result r = parse(data, i, &hdr);
		assert_int_not_equal(r, PROXY_PARSE_DONE);
		if (failed)
			assert_int_equal(r, PROXY_PARSE_ERROR);
		failed = r == PROXY_PARSE_ERROR;
	}
	assert_true(failed);
}

/* ---- version 1 ---------------------------------------------------------- */

static void test_v1_tcp4(void **state)
{
	(void)state;
	const char *s = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 143\r\nA1 NOOP";
	struct proxy_header h;
	assert_int_equal(parse_str(s, &h), PROXY_PARSE_DONE);
	assert_int_equal(h.version, 1);
	assert_true(h.has_addresses);
	assert_false(h.local);
	assert_endpoint(&h.src, "192.0.2.7", 56324);
	assert_endpoint(&h.dst, "198.51.100.1", 143);
	assert_int_equal(h.length, strlen(s) - strlen("A1 NOOP"));
	assert_split_invariant((const uint8_t *)s, strlen(s));
}

static void test_v1_tcp6(void **state)
{
	(void)state;
	const char *s = "PROXY TCP6 2001:db8::7 2001:db8::1 0 65535\r\n";
	struct proxy_header h;
	assert_int_equal(parse_str(s, &h), PROXY_PARSE_DONE);
	assert_true(h.has_addresses);
	assert_endpoint(&h.src, "2001:db8::7", 0);
	assert_endpoint(&h.dst, "2001:db8::1", 65535);
	assert_int_equal(h.length, strlen(s));
	assert_split_invariant((const uint8_t *)s, strlen(s));
}

static void test_v1_unknown(void **state)
{
	(void)state;
	struct proxy_header h;
	assert_int_equal(parse_str("PROXY UNKNOWN\r\n", &h), PROXY_PARSE_DONE);
	assert_false(h.has_addresses);
	assert_int_equal(h.length, 15);
	/* 2.1: the rest of an UNKNOWN line is ignored, however many fields. */
	const char *s = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 1 2 3 4\r\n";
	assert_int_equal(parse_str(s, &h), PROXY_PARSE_DONE);
	assert_false(h.has_addresses);
	assert_int_equal(h.length, strlen(s));
	assert_split_invariant((const uint8_t *)s, strlen(s));
}

static void test_v1_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"PROXY TCP5 192.0.2.7 192.0.2.1 1 2\r\n",      /* protocol */
		"PROXY tcp4 192.0.2.7 192.0.2.1 1 2\r\n",      /* case */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1\r\n",        /* missing port */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1 2 3\r\n",    /* extra field */
		"PROXY TCP4 192.0.2.7  192.0.2.1 1 2\r\n",     /* double space */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1 2 \r\n",     /* trailing space */
		"PROXY  TCP4 192.0.2.7 192.0.2.1 1 2\r\n",     /* leading space */
		"PROXY TCP4 2001:db8::7 192.0.2.1 1 2\r\n",    /* family */
		"PROXY TCP6 192.0.2.7 2001:db8::1 1 2\r\n",    /* family */
		"PROXY TCP4 192.0.2.256 192.0.2.1 1 2\r\n",    /* octet */
		"PROXY TCP4 192.0.2 192.0.2.1 1 2\r\n",        /* short */
		"PROXY TCP4 192.0.2.7 192.0.2.1 65536 2\r\n",  /* port range */
		"PROXY TCP4 192.0.2.7 192.0.2.1 -1 2\r\n",     /* sign */
		"PROXY TCP4 192.0.2.7 192.0.2.1 0x10 2\r\n",   /* hex */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1 2\n",        /* bare LF */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1 2\rX",       /* CR without LF */
		"PROXY TCP4 192.0.2.7\t192.0.2.1 1 2\r\n",     /* control char */
		"PROXY TCP4 192.0.2.7 192.0.2.1 1 2\xff\r\n",  /* 8-bit */
		"PROXY \r\n",                                   /* empty */
		"PROXY\r\n",                                    /* no space */
		"proxy TCP4 192.0.2.7 192.0.2.1 1 2\r\n",      /* case */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proxy_header h;
		if (parse_str(bad[i], &h) != PROXY_PARSE_ERROR)
			fail_msg("accepted: %s", bad[i]);
		assert_error_monotonic((const uint8_t *)bad[i], strlen(bad[i]));
	}
}

/* 2.1: 107 bytes with CRLF is the longest line; the longest real one is
 * TCP6 with two full-length addresses and five-digit ports. */
static void test_v1_length_limit(void **state)
{
	(void)state;
	const char *longest = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	assert_int_equal(strlen(longest), 104);
	struct proxy_header h;
	assert_int_equal(parse_str(longest, &h), PROXY_PARSE_DONE);

	/* UNKNOWN padded to exactly 107 is fine; 108 is not. */
	char line[200];
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 105, "\r\n", 2);
	assert_int_equal(parse(line, 107, &h), PROXY_PARSE_DONE);
	assert_int_equal(h.length, 107);
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 106, "\r\n", 2);
	assert_int_equal(parse(line, 108, &h), PROXY_PARSE_ERROR);
	assert_error_monotonic((const uint8_t *)line, 108);
	/* No CRLF at all: refused once 107 bytes are in, not before. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY ", 6);
	assert_int_equal(parse(line, 106, &h), PROXY_PARSE_MORE);
	assert_int_equal(parse(line, 107, &h), PROXY_PARSE_ERROR);
	assert_int_equal(parse(line, sizeof(line), &h), PROXY_PARSE_ERROR);
}

/* ---- version 2 ---------------------------------------------------------- */

static void test_v2_inet(void **state)
{
	(void)state;
	uint8_t payload[64], buf[128];
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 40000, 993);
	size_t len = v2(buf, 0x21, 0x11, payload, n);
	memcpy(buf + len, "\x16\x03\x01", 3); /* a ClientHello follows */
	struct proxy_header h;
	assert_int_equal(parse(buf, len + 3, &h), PROXY_PARSE_DONE);
	assert_int_equal(h.version, 2);
	assert_false(h.local);
	assert_true(h.has_addresses);
	assert_int_equal(h.length, 28);
	assert_int_equal(h.tlv_count, 0);
	assert_endpoint(&h.src, "203.0.113.9", 40000);
	assert_endpoint(&h.dst, "10.0.0.1", 993);
	assert_split_invariant(buf, len + 3);
}

static void test_v2_inet6_with_tlvs(void **state)
{
	(void)state;
	uint8_t payload[128], buf[256];
	inet_pton(AF_INET6, "2001:db8::42", payload);
	inet_pton(AF_INET6, "2001:db8::1", payload + 16);
	payload[32] = 0x12; payload[33] = 0x34;   /* 4660 */
	payload[34] = 0x00; payload[35] = 0x8f;   /* 143 */
	size_t n = 36;
	/* PP2_TYPE_ALPN "imap", PP2_TYPE_NOOP empty, PP2_TYPE_AUTHORITY */
	memcpy(payload + n, "\x01\x00\x04imap", 7); n += 7;
	memcpy(payload + n, "\x04\x00\x00", 3); n += 3;
	memcpy(payload + n, "\x02\x00\x0bmail.example", 14); n += 14;
	size_t len = v2(buf, 0x21, 0x21, payload, n);
	struct proxy_header h;
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_int_equal(h.length, 16 + n);
	assert_int_equal(h.tlv_count, 3);
	assert_endpoint(&h.src, "2001:db8::42", 4660);
	assert_endpoint(&h.dst, "2001:db8::1", 143);
	assert_split_invariant(buf, len);
}

static void test_v2_local_unspec_unix_dgram(void **state)
{
	(void)state;
	uint8_t payload[256], buf[512];
	struct proxy_header h;
	/* LOCAL (a health check): addresses ignored, even if present */
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 1, 2);
	size_t len = v2(buf, 0x20, 0x11, payload, n);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_true(h.local);
	assert_false(h.has_addresses);
	assert_int_equal(h.length, 28);
	assert_split_invariant(buf, len);
	/* LOCAL, UNSPEC, no payload: the usual health check */
	len = v2(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_true(h.local);
	assert_int_equal(h.length, 16);
	/* PROXY with UNSPEC: keep the real endpoints */
	len = v2(buf, 0x21, 0x00, NULL, 0);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.local);
	assert_false(h.has_addresses);
	/* AF_UNIX stream: 216 bytes of paths, not an address we can use */
	memset(payload, 0, 216);
	len = v2(buf, 0x21, 0x31, payload, 216);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.has_addresses);
	assert_int_equal(h.length, 232);
	/* INET over UDP: not a TCP client */
	n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 1, 2);
	len = v2(buf, 0x21, 0x12, payload, n);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.has_addresses);
}

static void test_v2_bad(void **state)
{
	(void)state;
	uint8_t payload[64], buf[128];
	struct proxy_header h;
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 1, 2);
	struct {
		uint8_t ver_cmd, fam;
		size_t len;
		const char *why;
	} cases[] = {
		{ 0x11, 0x11, 12, "version 1 in binary form" },
		{ 0x31, 0x11, 12, "version 3" },
		{ 0x22, 0x11, 12, "command 2" },
		{ 0x2f, 0x11, 12, "command 15" },
		{ 0x21, 0x41, 12, "family 4" },
		{ 0x21, 0x13, 12, "protocol 3" },
		{ 0x21, 0x11, 11, "INET block short" },
		{ 0x21, 0x21, 12, "INET6 block short" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = v2(buf, cases[i].ver_cmd, cases[i].fam, payload,
				cases[i].len);
		if (parse(buf, len, &h) != PROXY_PARSE_ERROR)
			fail_msg("accepted: %s", cases[i].why);
		assert_error_monotonic(buf, len);
	}
	/* TLVs that do not fit the announced length */
	memcpy(payload + n, "\x01\x00\x05imap", 7);
	size_t len = v2(buf, 0x21, 0x11, payload, n + 7);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_ERROR);
	memcpy(payload + n, "\x01\x00", 2);
	len = v2(buf, 0x21, 0x11, payload, n + 2);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_ERROR);
	/* a signature that goes wrong in its last byte */
	memcpy(buf, sig, 12);
	buf[11] = 0x0B;
	assert_int_equal(parse(buf, 16, &h), PROXY_PARSE_ERROR);
	assert_int_equal(parse(buf, 11, &h), PROXY_PARSE_MORE);
}

/* A v2 INET header whose payload is the address block and then the given
 * TLV bytes. */
static size_t v2_with_tlvs(uint8_t *buf, const void *tlvs, size_t tlvs_len)
{
	uint8_t payload[256];
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 40000, 143);
	memcpy(payload + n, tlvs, tlvs_len);
	return v2(buf, 0x21, 0x11, payload, n + tlvs_len);
}

static void test_v2_ssl_tlv(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct proxy_header h;
	/* HAProxy send-proxy-v2-ssl: PP2_TYPE_SSL, client = PP2_CLIENT_SSL,
	 * verify 0, sub-TLVs PP2_SUBTYPE_SSL_VERSION "TLSv1.3" and
	 * PP2_SUBTYPE_SSL_CIPHER "X"; then an ALPN TLV after it. */
	static const uint8_t ssl[] =
		"\x20\x00\x13" "\x01" "\x00\x00\x00\x00"
		"\x21\x00\x07TLSv1.3" "\x23\x00\x01X"
		"\x01\x00\x04imap";
	size_t len = v2_with_tlvs(buf, ssl, sizeof(ssl) - 1);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_true(h.client_tls);
	assert_int_equal(h.tlv_count, 2);
	assert_endpoint(&h.src, "203.0.113.9", 40000);
	assert_split_invariant(buf, len);
	/* client bit with a client certificate, no sub-TLVs */
	len = v2_with_tlvs(buf, "\x20\x00\x05\x07\x00\x00\x00\x00", 8);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_true(h.client_tls);
	/* the TLV present but the client bit clear: a clear client */
	len = v2_with_tlvs(buf, "\x20\x00\x05\x06\x00\x00\x00\x01", 8);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.client_tls);
	/* other TLVs only, and no TLV at all */
	len = v2_with_tlvs(buf, "\x01\x00\x04imap", 7);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.client_tls);
	len = v2_with_tlvs(buf, "", 0);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.client_tls);
	/* v1 never says so */
	assert_int_equal(parse_str("PROXY TCP4 192.0.2.7 192.0.2.1 1 2\r\n",
				   &h), PROXY_PARSE_DONE);
	assert_false(h.client_tls);
	/* LOCAL: a health check, its TLVs are not looked at */
	uint8_t payload[64];
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 1, 2);
	memcpy(payload + n, "\x20\x00\x05\x01\x00\x00\x00\x00", 8);
	len = v2(buf, 0x20, 0x11, payload, n + 8);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.client_tls);
	/* PROXY with UNSPEC: no addresses, but the TLVs still count */
	len = v2(buf, 0x21, 0x00, "\x20\x00\x05\x01\x00\x00\x00\x00", 8);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_false(h.has_addresses);
	assert_true(h.client_tls);
}

static void test_v2_ssl_tlv_malformed(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct proxy_header h;
	struct {
		const char *tlvs;
		size_t len;
		const char *why;
	} cases[] = {
		{ "\x20\x00\x00", 3, "empty SSL TLV" },
		{ "\x20\x00\x01\x01", 4, "client byte only" },
		{ "\x20\x00\x04\x01\x00\x00\x00", 7, "verify cut short" },
		{ "\x20\x00\x06\x01\x00\x00\x00\x00", 8,
		  "SSL TLV past the header" },
		{ "\x20\x00\x07\x01\x00\x00\x00\x00\x21\x00", 10,
		  "sub-TLV header cut short" },
		{ "\x20\x00\x0a\x01\x00\x00\x00\x00\x21\x00\x03TL", 13,
		  "sub-TLV past its SSL TLV" },
		{ "\x20\x00\x0a\x01\x00\x00\x00\x00\x21\xff\xffTL", 13,
		  "sub-TLV length 65535" },
		/* the sub-TLV fits the header but not the SSL TLV: an ALPN
		 * TLV follows that it would swallow */
		{ "\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x07"
		  "\x01\x00\x04imap", 18, "sub-TLV across the next TLV" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = v2_with_tlvs(buf, cases[i].tlvs, cases[i].len);
		if (parse(buf, len, &h) != PROXY_PARSE_ERROR)
			fail_msg("accepted: %s", cases[i].why);
		assert_error_monotonic(buf, len);
	}
}

static void test_v2_size_limit(void **state)
{
	(void)state;
	size_t max = PROXY_V2_MAX_PAYLOAD;
	uint8_t *payload = xcalloc(1, max + 1);
	uint8_t *buf = xcalloc(1, max + 32);
	struct proxy_header h;
	/* addresses then one NOOP TLV filling the payload to the limit */
	size_t n = inet4_block(payload, "203.0.113.9", "10.0.0.1", 1, 2);
	size_t tlv = max - n - 3;
	payload[n] = 0x04;
	payload[n + 1] = (uint8_t)(tlv >> 8);
	payload[n + 2] = (uint8_t)tlv;
	size_t len = v2(buf, 0x21, 0x11, payload, max);
	assert_int_equal(len, PROXY_HEADER_MAX);
	assert_int_equal(parse(buf, len, &h), PROXY_PARSE_DONE);
	assert_int_equal(h.tlv_count, 1);
	/* one byte more is refused as soon as the length is known */
	tlv++;
	payload[n + 1] = (uint8_t)(tlv >> 8);
	payload[n + 2] = (uint8_t)tlv;
	len = v2(buf, 0x21, 0x11, payload, max + 1);
	assert_int_equal(parse(buf, 15, &h), PROXY_PARSE_MORE);
	assert_int_equal(parse(buf, 16, &h), PROXY_PARSE_ERROR);
	/* the largest length the field can hold */
	buf[14] = 0xff;
	buf[15] = 0xff;
	assert_int_equal(parse(buf, 16, &h), PROXY_PARSE_ERROR);
	free(payload);
	free(buf);
}

/* ---- garbage ------------------------------------------------------------ */

static void test_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"A1 LOGIN alice secret\r\n", "\r\nA1", "GET / HTTP/1.0\r\n",
		"\x16\x03\x01\x02\x00\x01", "PROXZ", " PROXY TCP4",
		"LHLO mx.example\r\n",
	};
	struct proxy_header h;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(bad[i], &h), PROXY_PARSE_ERROR);
		assert_error_monotonic((const uint8_t *)bad[i], strlen(bad[i]));
	}
	assert_int_equal(parse("", 0, &h), PROXY_PARSE_MORE);
	/* empty lines could still become the v2 signature */
	assert_int_equal(parse_str("\r\n\r\n", &h), PROXY_PARSE_MORE);

	/* Pseudo-random inputs, some behind a valid prefix: never DONE
	 * with a length past the input, never MORE at the size limit. */
	uint32_t seed = 12345;
	uint8_t buf[PROXY_HEADER_MAX];
	for (int round = 0; round < 2000; round++) {
		size_t keep = 0;
		if (round % 3 == 1) {
			memcpy(buf, "PROXY ", 6);
			keep = 6;
		} else if (round % 3 == 2) {
			memcpy(buf, sig, 12);
			keep = 12;
		}
		for (size_t i = keep; i < sizeof(buf); i++) {
			seed = seed * 1103515245U + 12345U;
			buf[i] = (uint8_t)(seed >> 16);
		}
		enum proxy_parse_result r = parse(buf, sizeof(buf), &h);
		assert_int_not_equal(r, PROXY_PARSE_MORE);
		if (r == PROXY_PARSE_DONE)
			assert_true(h.length <= sizeof(buf));
	}
}

/* ---- trusted networks and the setting ----------------------------------- */

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static bool trusted(const struct proxy_trust *t, const char *ip)
{
	struct sockaddr_storage ss = sa(ip);
	return proxy_trust_match(t, &ss);
}

static void test_trust(void **state)
{
	(void)state;
	struct proxy_trust *t = NULL;
	char *error = NULL;
	assert_int_equal(proxy_trust_parse("127.0.0.0/8, ::1 10.1.0.0/12,"
					   "192.0.2.7 2001:db8::/33", &t, &error), 0);
	assert_true(trusted(t, "127.0.0.1"));
	assert_true(trusted(t, "127.255.0.9"));
	assert_false(trusted(t, "128.0.0.1"));
	assert_true(trusted(t, "::1"));
	assert_false(trusted(t, "::2"));
	assert_true(trusted(t, "::ffff:127.0.0.1")); /* mapped = IPv4 */
	assert_true(trusted(t, "10.15.255.255"));     /* /12: 10.0-10.15 */
	assert_false(trusted(t, "10.16.0.0"));
	assert_true(trusted(t, "192.0.2.7"));
	assert_false(trusted(t, "192.0.2.8"));
	assert_true(trusted(t, "2001:db8:7fff::1"));
	assert_false(trusted(t, "2001:db8:8000::1"));
	struct sockaddr_storage unix_ss = { .ss_family = AF_UNIX };
	assert_false(proxy_trust_match(t, &unix_ss));
	proxy_trust_free(&t);
	assert_null(t);

	assert_int_equal(proxy_trust_parse("0.0.0.0/0", &t, &error), 0);
	assert_true(trusted(t, "203.0.113.1"));
	assert_false(trusted(t, "2001:db8::1"));
	proxy_trust_free(&t);
	assert_int_equal(proxy_trust_parse("", &t, &error), 0);
	assert_false(trusted(t, "127.0.0.1"));
	proxy_trust_free(&t);

	static const char *const bad[] = {
		"127.0.0.1/33", "::1/129", "localhost", "10.0.0.0/", "10.0.0.0/x",
		"1.2.3.4.5", "127.0.0.1/8/8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proxy_trust_parse(bad[i], &t, &error), -1);
		assert_non_null(strstr(error, "bad network"));
		free(error);
		error = NULL;
	}
}

static void test_setting(void **state)
{
	(void)state;
	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	assert_string_equal(cfg.proxy_protocol, "no");
	assert_false(config_proxy_protocol_on(cfg.proxy_protocol, "imap"));
	assert_int_equal(config_set(&cfg, "proxy_protocol", "yes", &error), 0);
	assert_true(config_proxy_protocol_on(cfg.proxy_protocol, "imap"));
	assert_true(config_proxy_protocol_on(cfg.proxy_protocol, "imaps"));
	assert_true(config_proxy_protocol_on(cfg.proxy_protocol, "lmtp"));
	assert_false(config_proxy_protocol_on(cfg.proxy_protocol, "metrics"));
	assert_int_equal(config_set(&cfg, "proxy_protocol", "imaps, lmtp",
				    &error), 0);
	assert_false(config_proxy_protocol_on(cfg.proxy_protocol, "imap"));
	assert_true(config_proxy_protocol_on(cfg.proxy_protocol, "imaps"));
	assert_true(config_proxy_protocol_on(cfg.proxy_protocol, "lmtp"));
	assert_int_equal(config_set(&cfg, "proxy_protocol", "imap metrics",
				    &error), -1);
	assert_non_null(strstr(error, "expected yes, no"));
	free(error);
	assert_int_equal(config_set(&cfg, "proxy_protocol", "", &error), -1);
	free(error);
	assert_int_equal(config_set(&cfg, "proxy_trusted", "10.0.0.0/8, ::1",
				    &error), 0);
	assert_int_equal(config_set(&cfg, "proxy_trusted", "10.0.0.0/40",
				    &error), -1);
	assert_non_null(strstr(error, "127.0.0.0/8"));
	free(error);
	config_free(&cfg);
}

/* ---- over real sockets -------------------------------------------------- */

static void proxy_server(struct test_server *ts, const char *listeners,
			 const char *trusted_nets)
{
	test_config(ts);
	ts->cfg.proxy_protocol = xstrdup(listeners);
	ts->cfg.proxy_trusted = xstrdup(trusted_nets);
	test_server_start(ts);
}

static void proxy_server_finish(struct test_server *ts)
{
	free(ts->cfg.proxy_protocol);
	free(ts->cfg.proxy_trusted);
	test_server_finish(ts);
}

static int port_of(struct test_server *ts, enum server_listener which)
{
	int port = server_listen_port(ts->server, which);
	assert_true(port > 0);
	return port;
}

/* Sends bytes one segment each (TCP_NODELAY), so the server sees them in
 * as many reads as the scheduler allows: usually one byte per read. */
static void send_bytewise(struct client *c, const void *data, size_t len)
{
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(send(c->fd, (const uint8_t *)data + i, 1,
				      MSG_NOSIGNAL), 1);
		usleep(200);
	}
}

static void test_socket_v1_bytewise(void **state)
{
	(void)state;
	struct test_server ts;
	proxy_server(&ts, "imap", "127.0.0.0/8");
	struct client *c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	const char *hdr = "PROXY TCP4 192.0.2.7 192.0.2.1 5555 143\r\n";
	send_bytewise(c, hdr, strlen(hdr));
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	/* the proxied client, and it is not loopback */
	assert_string_equal(client_line(c), "* PEER 192.0.2.7 0 0 - 0");
	client_free(c);
	/* header and first command in one segment: the command survives */
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	client_send(c, "PROXY TCP6 2001:db8::9 2001:db8::1 1 2\r\nPEER\r\n");
	assert_string_equal(client_line(c), "* OK hello");
	assert_string_equal(client_line(c), "* PEER 2001:db8::9 0 0 - 0");
	client_free(c);
	/* both opened conns close normally (on_close runs) */
	assert_true(wait_for(&stats.closed, 2));
	proxy_server_finish(&ts);
}

static void test_socket_v2_before_tls(void **state)
{
	(void)state;
	struct test_server ts;
	proxy_server(&ts, "yes", "127.0.0.1");
	struct client *c = client_connect(port_of(&ts, SERVER_LISTENER_IMAPS));
	uint8_t payload[16], buf[64];
	size_t n = inet4_block(payload, "198.51.100.20", "10.0.0.1", 4000, 993);
	size_t len = v2(buf, 0x21, 0x11, payload, n);
	send_bytewise(c, buf, len);
	assert_true(client_start_tls(c));
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 198.51.100.20 0 1 TLSv1.3 1");
	client_free(c);
	/* LOCAL (a balancer's health check) keeps the real address */
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	len = v2(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(send(c->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	assert_string_equal(client_line(c), "* OK hello");
	client_send(c, "PEER\r\n");
	assert_string_equal(client_line(c), "* PEER 127.0.0.1 1 0 - 0");
	client_free(c);
	proxy_server_finish(&ts);
}

static void test_socket_refusals(void **state)
{
	(void)state;
	struct test_server ts;
	/* loopback is not trusted here: refused before any byte is sent */
	proxy_server(&ts, "imap", "192.0.2.0/24");
	struct client *c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	assert_true(client_sees_close(c));
	assert_int_equal(c->len, 0);
	client_free(c);
	/* the listener without proxy_protocol is unchanged */
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAPS));
	assert_true(client_start_tls(c));
	assert_string_equal(client_line(c), "* OK hello");
	client_free(c);
	proxy_server_finish(&ts);

	proxy_server(&ts, "imap", "127.0.0.0/8");
	/* no header: the client speaks first and is closed, no greeting */
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	client_send(c, "A1 LOGIN alice secret\r\n");
	assert_true(client_sees_close(c));
	assert_int_equal(c->len, 0);
	client_free(c);
	/* a broken header, then a half header and EOF */
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	client_send(c, "PROXY TCP4 192.0.2.7 192.0.2.1 5555\r\nPEER\r\n");
	assert_true(client_sees_close(c));
	client_free(c);
	c = client_connect(port_of(&ts, SERVER_LISTENER_IMAP));
	client_send(c, "PROXY TCP4 192.0.2.7");
	shutdown(c->fd, SHUT_WR);
	assert_true(client_sees_close(c));
	client_free(c);
	/* every refused conn was closed without on_open */
	assert_int_equal(atomic_load(&stats.opened), 0);
	proxy_server_finish(&ts);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_tcp4),
		cmocka_unit_test(test_v1_tcp6),
		cmocka_unit_test(test_v1_unknown),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v1_length_limit),
		cmocka_unit_test(test_v2_inet),
		cmocka_unit_test(test_v2_inet6_with_tlvs),
		cmocka_unit_test(test_v2_ssl_tlv),
		cmocka_unit_test(test_v2_ssl_tlv_malformed),
		cmocka_unit_test(test_v2_local_unspec_unix_dgram),
		cmocka_unit_test(test_v2_bad),
		cmocka_unit_test(test_v2_size_limit),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_setting),
		cmocka_unit_test(test_socket_v1_bytewise),
		cmocka_unit_test(test_socket_v2_before_tls),
		cmocka_unit_test(test_socket_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
