/*
 * PROXY protocol v1/v2 header parsing and the trusted-network list. Section
 * numbers in comments refer to HAProxy's proxy-protocol.txt.
 */
#include "net/proxy-protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/strutil.h"

static const char v1_prefix[] = "PROXY ";
#define V1_PREFIX_LEN 6

/* 2.2: the 12-byte v2 signature, chosen to be invalid in any text protocol. */
static const uint8_t v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

#define V2_FIXED_LEN 16
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x0
#define V2_FAM_INET 0x1
#define V2_FAM_INET6 0x2
#define V2_FAM_UNIX 0x3
#define V2_PROTO_STREAM 0x1
#define V2_INET_LEN 12
#define V2_INET6_LEN 36
#define V2_UNIX_LEN 216

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static enum proxy_parse_result fail(const char **error_r, const char *why)
{
	*error_r = why;
	return PROXY_PARSE_ERROR;
}

/* ---- version 1 ---------------------------------------------------------- */

/* 2.1: a port is a decimal number 0..65535. */
static int v1_port(const char *s, size_t len, uint16_t *port_r)
{
	uint32_t v;
	if (len == 0 || len > 5 || str_to_u32(s, len, &v) < 0 || v > 65535)
		return -1;
	*port_r = (uint16_t)v;
	return 0;
}

static int v1_addr(int family, const char *s, size_t len, void *addr_r)
{
	char tmp[INET6_ADDRSTRLEN];
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(family, tmp, addr_r) == 1 ? 0 : -1;
}

static void set_endpoint(struct sockaddr_storage *ss, int family,
			 const void *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		s4->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		s6->sin6_port = htons(port);
	}
}

/*
 * The fields of "TCP4 SRC DST SPORT DPORT" (line without "PROXY " and
 * CRLF), separated by exactly one space each (2.1).
 */
static enum proxy_parse_result v1_fields(const char *line, size_t len,
					 struct proxy_header *hdr,
					 const char **error_r)
{
	const char *field[5];
	size_t flen[5];
	size_t n = 0, start = 0;
	/* 2.1: after UNKNOWN the receiver ignores the rest of the line. */
	const char *space = memchr(line, ' ', len);
	size_t proto_len = space != NULL ? (size_t)(space - line) : len;
	if (proto_len == 7 && memcmp(line, "UNKNOWN", 7) == 0)
		return PROXY_PARSE_DONE;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (n == 5)
			return fail(error_r, "PROXY v1: too many fields");
		field[n] = line + start;
		flen[n++] = i - start;
		start = i + 1;
	}
	int family;
	if (flen[0] == 4 && memcmp(field[0], "TCP4", 4) == 0)
		family = AF_INET;
	else if (flen[0] == 4 && memcmp(field[0], "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return fail(error_r, "PROXY v1: unknown protocol");
	if (n != 5)
		return fail(error_r, "PROXY v1: missing fields");
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	if (v1_addr(family, field[1], flen[1], src) < 0 ||
	    v1_addr(family, field[2], flen[2], dst) < 0)
		return fail(error_r, "PROXY v1: bad address");
	if (v1_port(field[3], flen[3], &sport) < 0 ||
	    v1_port(field[4], flen[4], &dport) < 0)
		return fail(error_r, "PROXY v1: bad port");
	set_endpoint(&hdr->src, family, src, sport);
	set_endpoint(&hdr->dst, family, dst, dport);
	hdr->has_addresses = true;
	return PROXY_PARSE_DONE;
}

static enum proxy_parse_result parse_v1(const char *p, size_t len,
					struct proxy_header *hdr,
					const char **error_r)
{
	size_t scan = min_size(len, PROXY_V1_MAX_LEN);
	size_t i;
	for (i = V1_PREFIX_LEN; i < scan; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\r')
			break;
		if (ch < 0x20 || ch > 0x7e)
			return fail(error_r, "PROXY v1: bad character");
	}
	if (i == scan) {
		return len >= PROXY_V1_MAX_LEN ?
			fail(error_r, "PROXY v1: line longer than 107 bytes") :
			PROXY_PARSE_MORE;
	}
	/* p[i] is CR; the LF must follow within the 107 bytes. */
	if (i + 1 >= PROXY_V1_MAX_LEN)
		return fail(error_r, "PROXY v1: line longer than 107 bytes");
	if (i + 1 == len)
		return PROXY_PARSE_MORE;
	if (p[i + 1] != '\n')
		return fail(error_r, "PROXY v1: CR without LF");
	hdr->version = 1;
	hdr->length = i + 2;
	return v1_fields(p + V1_PREFIX_LEN, i - V1_PREFIX_LEN, hdr, error_r);
}

/* ---- version 2 ---------------------------------------------------------- */

/* 2.2, PP2_TYPE_SSL: the TLV whose first byte says how the client reached
 * the balancer. */
#define PP2_TYPE_SSL 0x20
#define PP2_CLIENT_SSL 0x01
/* struct pp2_tlv_ssl: client (1 byte) and verify (4 bytes), then sub-TLVs */
#define PP2_SSL_FIXED_LEN 5

/*
 * Steps over the TLV at p[*off] within p[0..len): a type byte and a 16-bit
 * big-endian length, then that many value bytes. Returns 0 with the value
 * in *value_r / *vlen_r and *off past it, or -1 if it does not fit.
 */
static int tlv_next(const uint8_t *p, size_t len, size_t *off,
			    uint8_t *type_r, const uint8_t **value_r,
			    size_t *vlen_r)
{
	size_t at = *off;
	if (len - at < 3)
		return -1;
	size_t vlen = ((size_t)p[at + 1] << 8) | p[at + 2];
	if (vlen > len - at - 3)
		return -1;
	*type_r = p[at];
	*value_r = p + at + 3;
	*vlen_r = vlen;
	*off = at + 3 + vlen;
	return 0;
}

/* 2.2, PP2_TYPE_SSL: the client bit field, the verify result, then
 * sub-TLVs (version, cipher, ...) that must fit inside this TLV just as
 * TLVs fit inside the header. Only PP2_CLIENT_SSL is used. */
static enum proxy_parse_result v2_ssl(const uint8_t *p, size_t len,
				      struct proxy_header *hdr,
				      const char **error_r)
{
	if (len < PP2_SSL_FIXED_LEN)
		return fail(error_r, "PROXY v2: SSL TLV too short");
	size_t off = PP2_SSL_FIXED_LEN;
	/* Each pass advances off by at least 3: bounded by len. */
	while (off < len) {
		uint8_t type;
		const uint8_t *value;
		size_t vlen;
		if (tlv_next(p, len, &off, &type, &value, &vlen) < 0)
			return fail(error_r, "PROXY v2: SSL sub-TLV past its TLV");
	}
	hdr->client_tls = (p[0] & PP2_CLIENT_SSL) != 0;
	return PROXY_PARSE_DONE;
}

/* 2.2: TLVs follow the addresses; the receiver may ignore any type, but
 * each must fit in the announced length. */
static enum proxy_parse_result v2_tlvs(const uint8_t *p, size_t len,
				       struct proxy_header *hdr,
				       const char **error_r)
{
	size_t off = 0;
	/* Each pass advances off by at least 3: bounded by len. */
	while (off < len) {
		uint8_t type;
		const uint8_t *value;
		size_t vlen;
		if (tlv_next(p, len, &off, &type, &value, &vlen) < 0)
			return fail(error_r, "PROXY v2: TLV past the header");
		hdr->tlv_count++;
		if (type == PP2_TYPE_SSL &&
		    v2_ssl(value, vlen, hdr, error_r) == PROXY_PARSE_ERROR)
			return PROXY_PARSE_ERROR;
	}
	return PROXY_PARSE_DONE;
}

static enum proxy_parse_result v2_addresses(const uint8_t *p, size_t len,
					    unsigned family, unsigned proto,
					    struct proxy_header *hdr,
					    const char **error_r)
{
	size_t need = family == V2_FAM_INET ? V2_INET_LEN :
		family == V2_FAM_INET6 ? V2_INET6_LEN :
		family == V2_FAM_UNIX ? V2_UNIX_LEN : 0;
	if (len < need)
		return fail(error_r, "PROXY v2: address block too short");
	/* 2.2: for UNSPEC, UNIX or a non-TCP protocol we keep the socket's
	 * endpoints; Quire only speaks TCP, and a Unix path is not an
	 * address that limits or logs could use. */
	if (proto == V2_PROTO_STREAM &&
	    (family == V2_FAM_INET || family == V2_FAM_INET6)) {
		size_t alen = family == V2_FAM_INET ? 4 : 16;
		int af = family == V2_FAM_INET ? AF_INET : AF_INET6;
		uint16_t sport = (uint16_t)((p[2 * alen] << 8) | p[2 * alen + 1]);
		uint16_t dport = (uint16_t)((p[2 * alen + 2] << 8) |
					    p[2 * alen + 3]);
		set_endpoint(&hdr->src, af, p, sport);
		set_endpoint(&hdr->dst, af, p + alen, dport);
		hdr->has_addresses = true;
	}
	return v2_tlvs(p + need, len - need, hdr, error_r);
}

static enum proxy_parse_result parse_v2(const uint8_t *p, size_t len,
					struct proxy_header *hdr,
					const char **error_r)
{
	if (len < V2_FIXED_LEN)
		return PROXY_PARSE_MORE;
	unsigned version = p[12] >> 4, command = p[12] & 0x0f;
	unsigned family = p[13] >> 4, proto = p[13] & 0x0f;
	/* 2.2: unexpected version, command, family or protocol values mean
	 * the connection must be dropped. */
	if (version != 2)
		return fail(error_r, "PROXY v2: unsupported version");
	if (command != V2_CMD_LOCAL && command != V2_CMD_PROXY)
		return fail(error_r, "PROXY v2: unknown command");
	if (family > V2_FAM_UNIX || proto > 2)
		return fail(error_r, "PROXY v2: unknown address family");
	size_t payload = ((size_t)p[14] << 8) | p[15];
	if (payload > PROXY_V2_MAX_PAYLOAD)
		return fail(error_r, "PROXY v2: header too long");
	if (len < V2_FIXED_LEN + payload)
		return PROXY_PARSE_MORE;
	hdr->version = 2;
	hdr->length = V2_FIXED_LEN + payload;
	if (command == V2_CMD_LOCAL) {
		/* 2.2: LOCAL is the balancer's own connection; the receiver
		 * ignores the address information and uses the real one. */
		hdr->local = true;
		return PROXY_PARSE_DONE;
	}
	return v2_addresses(p + V2_FIXED_LEN, payload, family, proto, hdr,
			    error_r);
}

enum proxy_parse_result proxy_parse(const void *data, size_t len,
				    struct proxy_header *hdr_r,
				    const char **error_r)
{
	const uint8_t *p = data;
	memset(hdr_r, 0, sizeof(*hdr_r));
	if (len == 0)
		return PROXY_PARSE_MORE;
	/* 2.3 (detection): v1 starts with "PROXY ", v2 with its signature;
	 * the first bytes are enough to tell them and garbage apart. */
	if (p[0] == v2_sig[0]) {
		if (memcmp(p, v2_sig, min_size(len, sizeof(v2_sig))) != 0)
			return fail(error_r, "not a PROXY header");
		return parse_v2(p, len, hdr_r, error_r);
	}
	if (memcmp(p, v1_prefix, min_size(len, V1_PREFIX_LEN)) != 0)
		return fail(error_r, "not a PROXY header");
	if (len < V1_PREFIX_LEN)
		return PROXY_PARSE_MORE;
	return parse_v1(data, len, hdr_r, error_r);
}

/* ---- trusted networks --------------------------------------------------- */

struct proxy_net {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;  /* bits */
};

struct proxy_trust {
	struct proxy_net *nets;
	size_t count;
};

static int parse_net(const char *item, size_t len, struct proxy_net *net,
		     const char **why_r)
{
	char tmp[INET6_ADDRSTRLEN + 4];
	if (len >= sizeof(tmp)) {
		*why_r = "too long";
		return -1;
	}
	memcpy(tmp, item, len);
	tmp[len] = '\0';
	char *slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, tmp, net->addr) == 1) {
		net->family = AF_INET;
		net->prefix = 32;
	} else if (inet_pton(AF_INET6, tmp, net->addr) == 1) {
		net->family = AF_INET6;
		net->prefix = 128;
	} else {
		*why_r = "not an IPv4 or IPv6 address";
		return -1;
	}
	if (slash != NULL) {
		uint32_t bits;
		const char *b = slash + 1;
		if (str_to_u32(b, strlen(b), &bits) < 0 || bits > net->prefix) {
			*why_r = "bad prefix length";
			return -1;
		}
		net->prefix = bits;
	}
	return 0;
}

int proxy_trust_parse(const char *list, struct proxy_trust **trust_r,
		      char **error_r)
{
	struct proxy_trust *t = xcalloc(1, sizeof(*t));
	size_t cap = 0;
	const char *p = list;
	while (*p != '\0') {
		size_t skip = strspn(p, ", \t");
		p += skip;
		size_t len = strcspn(p, ", \t");
		if (len == 0)
			continue;
		if (t->count == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			t->nets = xrealloc(t->nets, cap * sizeof(*t->nets));
		}
		const char *why;
		if (parse_net(p, len, &t->nets[t->count], &why) < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "bad network '%.*s': %s", (int)len, p, why);
			*error_r = buf_steal(&b);
			proxy_trust_free(&t);
			return -1;
		}
		t->count++;
		p += len;
	}
	*trust_r = t;
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	size_t whole = bits / 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	unsigned rest = bits % 8;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool proxy_trust_match(const struct proxy_trust *t,
		       const struct sockaddr_storage *addr)
{
	int family;
	const uint8_t *bytes;
	if (addr->ss_family == AF_INET) {
		family = AF_INET;
		bytes = (const uint8_t *)
			&((const struct sockaddr_in *)addr)->sin_addr;
	} else if (addr->ss_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)addr)->sin6_addr;
		family = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
		bytes = family == AF_INET ? a6->s6_addr + 12 : a6->s6_addr;
	} else {
		return false;
	}
	for (size_t i = 0; i < t->count; i++) {
		const struct proxy_net *net = &t->nets[i];
		if (net->family == family &&
		    prefix_equal(net->addr, bytes, net->prefix))
			return true;
	}
	return false;
}

void proxy_trust_free(struct proxy_trust **tp)
{
	struct proxy_trust *t = *tp;
	if (t == NULL)
		return;
	*tp = NULL;
	free(t->nets);
	free(t);
}
