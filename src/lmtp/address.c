#include "lmtp/address.h"

#include <string.h>

#include "core/strutil.h"

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets; Postfix can pass
 * longer ones from broken senders, so allow twice that before refusing. */
#define PATH_MAX_LEN 512

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Scans the address at p up to the end of the path: '>' when bracketed,
 * else a space or the end. Quotes protect '>' and spaces. */
static int scan_path(const char *p, const char *end, bool bracketed,
		     const char **stop_r, const char **reason_r)
{
	bool quoted = false;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (is_ctl(c)) {
			*reason_r = "control character in address";
			return -1;
		}
		if (quoted && c == '\\' && p + 1 < end) {
			p++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && bracketed && c == '>')
			break;
		else if (!quoted && c == ' ') {
			if (bracketed) {
				*reason_r = "space in address";
				return -1;
			}
			break;
		}
	}
	if (quoted || (bracketed && p == end)) {
		*reason_r = quoted ? "unterminated quoted string" : "missing '>'";
		return -1;
	}
	*stop_r = p;
	return 0;
}

int lmtp_address_parse(const char *arg, size_t len, struct buf *addr,
		       const char **params_r, const char **reason_r)
{
	const char *p = arg, *end = arg + len;
	while (p < end && *p == ' ')
		p++;
	bool bracketed = p < end && *p == '<';
	if (bracketed)
		p++;
	const char *stop;
	if (scan_path(p, end, bracketed, &stop, reason_r) < 0)
		return -1;
	if ((size_t)(stop - p) > PATH_MAX_LEN) {
		*reason_r = "address too long";
		return -1;
	}
	if (!bracketed && stop == p) {
		*reason_r = "missing address";
		return -1;
	}
	/* RFC 5321 4.1.2: "@a,@b:" source routes are ignored (C.). */
	const char *start = p;
	if (start < stop && *start == '@') {
		const char *colon = memchr(start, ':', (size_t)(stop - start));
		if (colon == NULL) {
			*reason_r = "bad source route";
			return -1;
		}
		start = colon + 1;
	}
	buf_append(addr, start, (size_t)(stop - start));
	const char *rest = bracketed ? stop + 1 : stop;
	if (rest < end && *rest != ' ') {
		*reason_r = "text after '>'";
		return -1;
	}
	while (rest < end && *rest == ' ')
		rest++;
	*params_r = rest;
	return 0;
}

void lmtp_address_local_part(const char *addr, struct buf *out)
{
	buf_reset(out);
	const char *at = NULL;
	bool quoted = false;
	for (const char *p = addr; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '@')
			at = p;
	}
	const char *end = at != NULL ? at : addr + strlen(addr);
	for (const char *p = addr; p < end; p++) {
		if (*p == '"')
			continue;
		if (*p == '\\' && p + 1 < end)
			p++;
		buf_append_char(out, *p);
	}
	buf_cstr(out);
}

bool lmtp_address_detail(const char *local, size_t *user_len_r,
			 const char **detail_r)
{
	const char *plus = strchr(local, '+');
	if (plus == NULL || plus == local || plus[1] == '\0')
		return false;
	*user_len_r = (size_t)(plus - local);
	*detail_r = plus + 1;
	return true;
}

const char *lmtp_param_find(const char *params, const char *name,
			    size_t *value_len_r)
{
	size_t name_len = strlen(name);
	const char *p = params;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		const char *word_end = strchr(p, ' ');
		if (word_end == NULL)
			word_end = p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(word_end - p));
		const char *key_end = eq != NULL ? eq : word_end;
		if (str_ascii_caseeq_n(p, (size_t)(key_end - p), name, name_len)) {
			const char *value = eq != NULL ? eq + 1 : word_end;
			*value_len_r = (size_t)(word_end - value);
			return value;
		}
		p = word_end;
	}
	return NULL;
}
