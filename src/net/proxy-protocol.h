#ifndef QUIRE_NET_PROXY_PROTOCOL_H
#define QUIRE_NET_PROXY_PROTOCOL_H
/*
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a
 * load balancer in front of Quire prefixes each connection with one header
 * naming the real client, so logs, login throttling and per-address limits
 * see the client instead of the balancer.
 *
 * This file is the pure part: the header parser and the list of networks
 * trusted to send a header. Reading the header off a socket lives in
 * net/conn-proxy.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* proxy-protocol.txt 2.1: a v1 line is at most 107 bytes with its CRLF. */
#define PROXY_V1_MAX_LEN 107
/* A v2 header is 16 bytes plus up to 65535 of addresses and TLVs. Real
 * balancers send well under 1 KiB (AWS and GCP add one TLV of tens of
 * bytes); 2 KiB bounds what one connection may make us hold. */
#define PROXY_V2_MAX_PAYLOAD 2048
#define PROXY_HEADER_MAX (16 + PROXY_V2_MAX_PAYLOAD)

enum proxy_parse_result {
	PROXY_PARSE_MORE,   /* a valid beginning: wait for more bytes */
	PROXY_PARSE_DONE,   /* *hdr_r is filled */
	PROXY_PARSE_ERROR,  /* not a valid header: close the connection */
};

struct proxy_header {
	unsigned version;    /* 1 or 2 */
	/* v2 LOCAL command: the balancer's own connection (a health check) */
	bool local;
	/*
	 * True when src/dst hold the client's TCP endpoints (AF_INET or
	 * AF_INET6). False for v1 UNKNOWN, v2 LOCAL, and v2 families or
	 * protocols other than TCP over IPv4/IPv6: the spec has the receiver
	 * keep the socket's own endpoints then.
	 */
	bool has_addresses;
	struct sockaddr_storage src, dst;
	size_t length;       /* bytes the header occupies, CRLF / TLVs included */
	unsigned tlv_count;  /* v2 TLVs walked over (top level, not SSL's) */
	/*
	 * v2 PP2_TYPE_SSL TLV with the PP2_CLIENT_SSL bit: the client's own
	 * connection to the balancer used TLS (HAProxy send-proxy-v2-ssl).
	 * Always false for v1 and v2 LOCAL.
	 */
	bool client_tls;
};

/*
 * Parses the header at the start of data[0..len). The result depends only
 * on the bytes, never on how they were split across reads: MORE means
 * every byte given is part of a possible header (so a reader may consume
 * all of them), DONE means the header is data[0..hdr_r->length) and bytes
 * after it belong to the protocol that follows. ERROR sets *error_r to a
 * static reason for the log. Never reads past len; a header that would be
 * longer than PROXY_V1_MAX_LEN (v1) or PROXY_HEADER_MAX (v2) is an error,
 * and so is a v2 TLV (or a sub-TLV inside PP2_TYPE_SSL) whose length does
 * not fit what contains it, or an SSL TLV shorter than its fixed part. MORE is only returned for len < PROXY_HEADER_MAX.
 */
enum proxy_parse_result proxy_parse(const void *data, size_t len,
				    struct proxy_header *hdr_r,
				    const char **error_r);

/* A list of networks (addresses with an optional prefix length). */
struct proxy_trust;

/*
 * Parses "127.0.0.0/8, ::1, 192.0.2.7" (items separated by commas and/or
 * spaces; IPv4 or IPv6, prefix length optional, defaulting to the full
 * address). An empty list trusts nobody. Returns 0 with *trust_r (free with
 * proxy_trust_free), or -1 with "bad network 'x': reason" in *error_r
 * (caller frees).
 */
int proxy_trust_parse(const char *list, struct proxy_trust **trust_r,
		      char **error_r);

/* True if addr (AF_INET or AF_INET6; IPv4-mapped IPv6 counts as IPv4) lies
 * in one of the networks. Other families never match. */
bool proxy_trust_match(const struct proxy_trust *trust,
		       const struct sockaddr_storage *addr);

/* Frees the list and sets *trust to NULL. */
void proxy_trust_free(struct proxy_trust **trust);

#endif
