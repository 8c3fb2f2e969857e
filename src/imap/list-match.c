#include "imap/list-match.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

void list_match_join(const char *ref, size_t ref_len, const char *pattern,
		     size_t pattern_len, char delim, struct buf *out)
{
	buf_append(out, ref, ref_len);
	if (ref_len == 0 || pattern_len == 0) {
		buf_append(out, pattern, pattern_len);
		return;
	}
	bool ref_ends = ref[ref_len - 1] == delim;
	bool pattern_starts = pattern[0] == delim;
	if (ref_ends && pattern_starts) {
		pattern++;
		pattern_len--;
	} else if (!ref_ends && !pattern_starts) {
		buf_append_char(out, delim);
	}
	buf_append(out, pattern, pattern_len);
}

static bool is_wildcard(char c)
{
	return c == '*' || c == '%';
}

void list_match_init(struct list_match *m, const char *pattern, size_t len,
		     char delim)
{
	memset(m, 0, sizeof(*m));
	m->pattern = xmalloc(len + 1);
	m->delim = delim;
	/* A run of wildcards matches what its widest member matches: "%*"
	 * is "*", "%%" is "%". Collapsing keeps the state set small. */
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];
		if (is_wildcard(c) && m->len > 0 && is_wildcard(m->pattern[m->len - 1])) {
			if (c == '*')
				m->pattern[m->len - 1] = '*';
			continue;
		}
		m->pattern[m->len++] = c;
		if (!is_wildcard(c))
			m->literals++;
	}
	for (size_t i = 0; i < m->len; i++) {
		if (m->pattern[i] == '%')
			m->has_percent = true;
	}
	m->row = xmalloc(2 * (m->len + 1));
}

void list_match_deinit(struct list_match *m)
{
	free(m->pattern);
	free(m->row);
	memset(m, 0, sizeof(*m));
}

bool list_match_has_percent(const struct list_match *m)
{
	return m->has_percent;
}

/* Bytes of name that compare ignoring case: the INBOX component. */
static size_t inbox_prefix_len(const char *name, size_t len, char delim)
{
	if (len < 5 || !str_ascii_caseeq_n(name, 5, "INBOX", 5))
		return 0;
	return len == 5 || name[5] == delim ? 5 : 0;
}

/* A wildcard may match nothing: a live state before it makes the state
 * after it live too. */
static void close_states(const struct list_match *m, unsigned char *row)
{
	for (size_t j = 0; j < m->len; j++) {
		if (row[j] && is_wildcard(m->pattern[j]))
			row[j + 1] = 1;
	}
}

bool list_match_name(struct list_match *m, const char *name, size_t len)
{
	if (len < m->literals)
		return false;
	size_t inbox_len = inbox_prefix_len(name, len, m->delim);
	unsigned char *cur = m->row, *next = m->row + m->len + 1;

	memset(cur, 0, m->len + 1);
	cur[0] = 1;
	close_states(m, cur);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alive = false;
		memset(next, 0, m->len + 1);
		for (size_t j = 0; j < m->len; j++) {
			if (!cur[j])
				continue;
			char p = m->pattern[j];
			if (p == '*' || (p == '%' && c != m->delim)) {
				next[j] = 1;
			} else if (!is_wildcard(p) &&
				   (p == c || (i < inbox_len &&
					       str_ascii_lower(p) == str_ascii_lower(c)))) {
				next[j + 1] = 1;
			} else {
				continue;
			}
			alive = true;
		}
		if (!alive)
			return false;
		close_states(m, next);
		unsigned char *t = cur;
		cur = next;
		next = t;
	}
	return cur[m->len] != 0;
}
