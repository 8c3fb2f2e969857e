/*
 * Framing and parsing of server responses (RFC 3501 section 7 and the
 * formal syntax in section 9), only as far as loadgen needs to check them.
 */
#include "lg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* If the line line[0..n) ends with a literal announcement {N}, returns N. */
static long literal_at_end(const char *line, size_t n)
{
	if (n < 3 || line[n - 1] != '}')
		return -1;
	size_t i = n - 1;
	uint64_t v = 0, mul = 1;
	bool digits = false;
	while (i > 0 && isdigit((unsigned char)line[i - 1])) {
		if (mul > 1000000000000ull)
			return -2;
		v += (uint64_t)(line[i - 1] - '0') * mul;
		mul *= 10;
		i--;
		digits = true;
	}
	if (!digits || i == 0 || line[i - 1] != '{')
		return -1;
	if (v > (1ull << 40))
		return -2;
	return (long)v;
}

long resp_frame(const char *buf, size_t len, size_t *scan_r)
{
	/* *scan_r is where the next line fragment starts: past the literal
	 * that ended the previous fragment, possibly beyond what has arrived. */
	size_t pos = *scan_r;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		size_t line_end = (size_t)(nl - buf);
		size_t content_end = line_end;
		if (content_end > 0 && buf[content_end - 1] == '\r')
			content_end--;
		long lit = literal_at_end(buf, content_end);
		if (lit == -2)
			return -1;
		if (lit < 0) {
			*scan_r = 0;
			return (long)(line_end + 1);
		}
		pos = line_end + 1 + (size_t)lit;
	}
	*scan_r = pos;
	return 0;
}

bool rp_eat(struct rp *r, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(r->end - r->p) < n || strncasecmp(r->p, lit, n) != 0)
		return false;
	r->p += n;
	return true;
}

bool rp_sp(struct rp *r)
{
	if (r->p < r->end && *r->p == ' ') {
		r->p++;
		return true;
	}
	return false;
}

bool rp_number(struct rp *r, uint64_t *n_r)
{
	uint64_t v = 0;
	const char *s = r->p;
	while (r->p < r->end && isdigit((unsigned char)*r->p)) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*r->p - '0');
		r->p++;
	}
	*n_r = v;
	return r->p > s;
}

static bool atom_char(char c)
{
	return c > ' ' && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	       c != '"' && c != '[' && c != ']';
}

bool rp_atom(struct rp *r, struct span *s_r)
{
	s_r->p = r->p;
	while (r->p < r->end && atom_char(*r->p))
		r->p++;
	s_r->n = (size_t)(r->p - s_r->p);
	return s_r->n > 0;
}

/* A FETCH item name: atom with an optional [section] and <partial>. */
static bool rp_fetch_name(struct rp *r, struct span *s_r)
{
	s_r->p = r->p;
	while (r->p < r->end && atom_char(*r->p))
		r->p++;
	if (r->p < r->end && *r->p == '[') {
		int depth = 0;
		while (r->p < r->end) {
			char c = *r->p++;
			if (c == '[')
				depth++;
			else if (c == ']' && --depth == 0)
				break;
		}
		if (depth != 0)
			return false;
		if (r->p < r->end && *r->p == '<') {
			while (r->p < r->end && *r->p != '>')
				r->p++;
			if (r->p == r->end)
				return false;
			r->p++;
		}
	}
	s_r->n = (size_t)(r->p - s_r->p);
	return s_r->n > 0;
}

static bool rp_quoted(struct rp *r, struct span *content_r)
{
	if (r->p >= r->end || *r->p != '"')
		return false;
	r->p++;
	const char *s = r->p;
	while (r->p < r->end && *r->p != '"') {
		if (*r->p == '\\')
			r->p++;
		if (*r->p == '\r' || *r->p == '\n')
			return false;
		r->p++;
	}
	if (r->p >= r->end)
		return false;
	if (content_r) {
		content_r->p = s;
		content_r->n = (size_t)(r->p - s);
	}
	r->p++;
	return true;
}

static bool rp_literal(struct rp *r, struct span *content_r)
{
	uint64_t n;
	if (r->p >= r->end || *r->p != '{')
		return false;
	r->p++;
	if (!rp_number(r, &n) || !rp_eat(r, "}"))
		return false;
	if (!rp_eat(r, "\r\n") && !rp_eat(r, "\n"))
		return false;
	if ((uint64_t)(r->end - r->p) < n)
		return false;
	if (content_r) {
		content_r->p = r->p;
		content_r->n = (size_t)n;
	}
	r->p += n;
	return true;
}

static bool rp_value_depth(struct rp *r, struct span *content_r, int depth)
{
	if (r->p >= r->end || depth > 64)
		return false;
	char c = *r->p;
	if (c == '"')
		return rp_quoted(r, content_r);
	if (c == '{')
		return rp_literal(r, content_r);
	if (c == '(') {
		r->p++;
		bool first = true;
		for (;;) {
			if (r->p >= r->end)
				return false;
			if (*r->p == ')') {
				r->p++;
				return true;
			}
			/* Elements are separated by SP, except that lists
			 * may follow each other directly: address lists and
			 * multipart bodies (RFC 3501 section 9, "address"
			 * and "body-type-mpart"). */
			if (!first && !rp_sp(r) && *r->p != '(')
				return false;
			first = false;
			if (!rp_value_depth(r, NULL, depth + 1))
				return false;
		}
	}
	struct span s;
	/* Flags (\Seen), NIL and numbers; a section is accepted too so the
	 * same scanner serves FETCH item names. */
	if (!rp_fetch_name(r, &s))
		return false;
	if (content_r) {
		*content_r = s;
	}
	return true;
}

bool rp_value(struct rp *r, struct span *s_r, struct span *content_r)
{
	const char *start = r->p;
	if (!rp_value_depth(r, content_r, 0))
		return false;
	if (s_r) {
		s_r->p = start;
		s_r->n = (size_t)(r->p - start);
	}
	return true;
}

int rp_list_len(struct span list)
{
	struct rp r = { list.p, list.p + list.n };
	if (!rp_eat(&r, "("))
		return -1;
	int n = 0;
	while (r.p < r.end && *r.p != ')') {
		if (n > 0 && !rp_sp(&r) && *r.p != '(')
			return -1;
		if (!rp_value(&r, NULL, NULL))
			return -1;
		n++;
	}
	if (!rp_eat(&r, ")") || r.p != r.end)
		return -1;
	return n;
}

bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

bool span_has(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	for (size_t i = 0; i + n <= s.n; i++)
		if (strncasecmp(s.p + i, lit, n) == 0)
			return true;
	return false;
}

bool resp_parse_fetch(struct rp *r, struct fetch_info *fi)
{
	if (!rp_eat(r, "("))
		return false;
	bool first = true;
	for (;;) {
		if (r->p >= r->end)
			return false;
		if (*r->p == ')') {
			r->p++;
			break;
		}
		if (!first && !rp_sp(r))
			return false;
		first = false;
		struct span name, val, content = { NULL, 0 };
		if (!rp_fetch_name(r, &name) || !rp_sp(r))
			return false;
		if (!rp_value(r, &val, &content))
			return false;
		if (span_eq(name, "UID")) {
			struct rp v = { val.p, val.p + val.n };
			uint64_t n;
			if (!rp_number(&v, &n) || n == 0 || n > UINT32_MAX)
				return false;
			fi->has_uid = true;
			fi->uid = (uint32_t)n;
		} else if (span_eq(name, "FLAGS")) {
			if (rp_list_len(val) < 0)
				return false;
			fi->has_flags = true;
			fi->flags = val;
		} else if (span_eq(name, "RFC822.SIZE")) {
			struct rp v = { val.p, val.p + val.n };
			if (!rp_number(&v, &fi->size))
				return false;
			fi->has_size = true;
		} else if (span_eq(name, "BODY[]") || span_eq(name, "RFC822")) {
			fi->has_body = true;
			fi->body_len = span_eq(val, "NIL") ? 0 : content.n;
		} else if (span_eq(name, "ENVELOPE")) {
			fi->has_env = true;
			/* RFC 3501 section 7.4.2: date, subject, from, sender,
			 * reply-to, to, cc, bcc, in-reply-to, message-id. */
			fi->env_ok = rp_list_len(val) == 10;
		} else if (span_eq(name, "BODYSTRUCTURE")) {
			fi->has_bs = true;
			fi->bs_ok = rp_list_len(val) >= 2;
		}
	}
	return r->p == r->end || rp_eat(r, "\r\n") || rp_eat(r, "\n");
}
