/* RFC 5256 2.1 base subject extraction; the ABNF is in RFC 5256 5.
 * Shared by SORT/THREAD and the THREADID rule of the store. */
#include "mail/subject.h"

#include <string.h>
#include <strings.h>

#include "mail/decode.h"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP: returns its length at s, or 0. */
static size_t blob_len(const char *s, size_t len)
{
	if (len == 0 || s[0] != '[')
		return 0;
	size_t i = 1;
	while (i < len && s[i] != '[' && s[i] != ']')
		i++;
	if (i >= len || s[i] != ']')
		return 0;
	i++;
	while (i < len && is_wsp(s[i]))
		i++;
	return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":": its length. */
static size_t refwd_len(const char *s, size_t len)
{
	static const char *const words[] = { "re", "fwd", "fw" };
	for (size_t w = 0; w < 3; w++) {
		size_t wl = strlen(words[w]);
		if (len < wl || strncasecmp(s, words[w], wl) != 0)
			continue;
		size_t i = wl;
		while (i < len && is_wsp(s[i]))
			i++;
		i += blob_len(s + i, len - i);
		if (i < len && s[i] == ':')
			return i + 1;
	}
	return 0;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP: its length, 0 if none;
 * *refwd_r tells whether a subj-refwd was part of it. */
static size_t leader_len(const char *s, size_t len, bool *refwd_r)
{
	*refwd_r = false;
	if (len > 0 && is_wsp(s[0]))
		return 1;
	size_t i = 0, b;
	while ((b = blob_len(s + i, len - i)) > 0)
		i += b;
	size_t r = refwd_len(s + i, len - i);
	if (r == 0)
		return 0;
	*refwd_r = true;
	return i + r;
}

/* Step (2): strips subj-trailer ("(fwd)" / WSP) repeatedly. */
static void strip_trailers(const char *s, size_t *len, bool *is_reply)
{
	for (;;) {
		if (*len > 0 && is_wsp(s[*len - 1])) {
			(*len)--;
		} else if (*len >= 5 && strncasecmp(s + *len - 5, "(fwd)", 5) == 0) {
			*len -= 5;
			*is_reply = true;
		} else {
			return;
		}
	}
}

/* Step (1): decoded, tabs and line breaks as spaces, runs of spaces as
 * one space. */
static void normalize(const char *in, size_t len, struct buf *out)
{
	struct buf decoded = BUF_INIT;
	mail_rfc2047_decode(in, len, &decoded);
	bool space = false;
	for (size_t i = 0; i < decoded.len; i++) {
		char c = decoded.data[i];
		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == ' ' && space)
			continue;
		space = c == ' ';
		buf_append_char(out, c);
	}
	buf_free(&decoded);
}

void mail_base_subject(const char *subject, size_t len, struct buf *out,
		       bool *is_reply_r)
{
	struct buf norm = BUF_INIT;
	bool is_reply = false;
	normalize(subject, len, &norm);
	const char *s = norm.data == NULL ? "" : norm.data;
	size_t n = norm.len;

	for (;;) {
		strip_trailers(s, &n, &is_reply);
		/* Steps (3) to (5). */
		bool changed = true;
		while (changed) {
			bool refwd;
			size_t l = leader_len(s, n, &refwd);
			changed = false;
			if (l > 0) {
				s += l;
				n -= l;
				is_reply |= refwd;
				changed = true;
			}
			size_t b = blob_len(s, n);
			/* Step (4): only when something remains. */
			if (b > 0 && b < n) {
				s += b;
				n -= b;
				changed = true;
			}
		}
		/* Step (6): "[fwd:" subject "]". */
		if (n >= 6 && strncasecmp(s, "[fwd:", 5) == 0 && s[n - 1] == ']') {
			s += 5;
			n -= 6;
			is_reply = true;
			continue;
		}
		break;
	}
	buf_append(out, s, n);
	buf_free(&norm);
	if (is_reply_r != NULL)
		*is_reply_r = is_reply;
}

size_t mail_msgids_parse(const char *s, size_t len, size_t max,
			 char ***ids_r, size_t *count_r)
{
	size_t added = 0, i = 0;
	struct buf id = BUF_INIT;
	while (i < len && added < max) {
		const char *lt = memchr(s + i, '<', len - i);
		if (lt == NULL)
			break;
		const char *gt = memchr(lt, '>', (size_t)(s + len - lt));
		if (gt == NULL)
			break;
		i = (size_t)(gt - s) + 1;
		/* Normalize: drop quotes and whitespace inside (RFC 5256:
		 * <"a"@b> and <a@b> are the same Message ID). */
		buf_reset(&id);
		buf_append_char(&id, '<');
		for (const char *p = lt + 1; p < gt; p++) {
			if (*p != '"' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				buf_append_char(&id, *p);
		}
		buf_append_char(&id, '>');
		if (id.len < 3 || memchr(id.data, '@', id.len) == NULL)
			continue;	/* not a valid msg-id */
		*ids_r = xrealloc(*ids_r, (*count_r + 1) * sizeof(**ids_r));
		(*ids_r)[(*count_r)++] = xstrndup(id.data, id.len);
		added++;
	}
	buf_free(&id);
	return added;
}
