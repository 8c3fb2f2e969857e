/*
 * mbox (RFC 4155): messages separated by "From " lines. In mboxrd a body
 * line matching ">*From " got one more '>' when written, so one is
 * removed here; mboxo escaped only "From " and the same rule restores it
 * (its ">From " lines were ambiguous to begin with). The blank line that
 * precedes each separator belongs to the format, not the message.
 * Status: R seen (O only says "not new"); X-Status: A answered,
 * F flagged, T draft, D deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/import.h"
#include "core/strutil.h"
#include "store/store.h"

static bool is_from_line(const char *p, size_t left)
{
	return left >= 5 && memcmp(p, "From ", 5) == 0;
}

/* "From sender Thu Nov 25 21:47:06 2026" -> time, or 0. */
static time_t from_line_date(const char *line, size_t len)
{
	char tmp[256];
	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	const char *sp = strchr(tmp + 5, ' ');
	if (sp == NULL)
		return 0;
	while (*sp == ' ')
		sp++;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(sp, "%a %b %d %H:%M:%S %Y", &tm);
	return end != NULL ? timegm(&tm) : 0;
}

/* Unescapes one message body [p, end) into out. */
static void unescape(const char *p, const char *end, struct buf *out)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl + 1 : end;
		const char *q = p;
		while (q < line_end && *q == '>')
			q++;
		if (q > p && is_from_line(q, (size_t)(line_end - q)))
			p++; /* drop one '>' */
		buf_append(out, p, (size_t)(line_end - p));
		p = line_end;
	}
}

/* Looks for "Name:" header (case-insensitive) in the header block. */
static const char *header_value(const char *msg, size_t len, const char *name,
				size_t *value_len_r)
{
	size_t nlen = strlen(name);
	const char *p = msg, *end = msg + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;
		size_t line_len = (size_t)(line_end - p);
		if (line_len == 0 || (line_len == 1 && p[0] == '\r'))
			return NULL; /* end of headers */
		if (line_len > nlen && p[nlen] == ':' &&
		    str_ascii_caseeq_n(p, nlen, name, nlen)) {
			*value_len_r = line_len - nlen - 1;
			return p + nlen + 1;
		}
		p = line_end + 1;
	}
	return NULL;
}

static void status_flags(struct import_msg *m)
{
	size_t len;
	const char *v = header_value(m->data, m->size, "Status", &len);
	if (v != NULL && memchr(v, 'R', len) != NULL)
		m->flags |= STORE_FLAG_SEEN;
	v = header_value(m->data, m->size, "X-Status", &len);
	for (size_t i = 0; v != NULL && i < len; i++) {
		switch (v[i]) {
		case 'A': m->flags |= STORE_FLAG_ANSWERED; break;
		case 'F': m->flags |= STORE_FLAG_FLAGGED; break;
		case 'T': m->flags |= STORE_FLAG_DRAFT; break;
		case 'D': m->flags |= STORE_FLAG_DELETED; break;
		default: break;
		}
	}
}

int import_mbox(struct import_ctx *ctx, const char *path, const char *mailbox)
{
	struct buf file = BUF_INIT;
	if (import_read_file(AT_FDCWD, path, &file) < 0) {
		fprintf(stderr, "quire import: %s: %s\n", path, strerror(errno));
		buf_free(&file);
		return CLI_EX_USAGE;
	}
	const char *p = file.data, *end = file.data + file.len;
	if (file.len > 0 && !is_from_line(p, file.len)) {
		fprintf(stderr, "quire import: %s is not an mbox (no \"From \" "
			"line at the start)\n", path);
		buf_free(&file);
		return CLI_EX_USAGE;
	}
	int64_t mailbox_id = 0;
	if (file.len > 0 && import_mailbox(ctx, mailbox, &mailbox_id) < 0) {
		buf_free(&file);
		return CLI_EX_TEMPFAIL;
	}
	ctx->label = mailbox;
	int ret = 0;
	while (p < end && ret == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *body = nl != NULL ? nl + 1 : end;
		time_t date = from_line_date(p, (size_t)(body - p - (nl ? 1 : 0)));
		/* The next separator: "From " at the start of a line. */
		const char *next = body;
		while (next < end) {
			if (is_from_line(next, (size_t)(end - next)) &&
			    (next == body || next[-1] == '\n'))
				break;
			const char *n2 = memchr(next, '\n', (size_t)(end - next));
			next = n2 != NULL ? n2 + 1 : end;
		}
		const char *msg_end = next;
		/* RFC 4155: the empty line before the separator (or at the
		 * end of the file) is not part of the message. */
		if (msg_end - body >= 2 && msg_end[-1] == '\n' && msg_end[-2] == '\n')
			msg_end--;
		else if (msg_end - body >= 4 && memcmp(msg_end - 4, "\r\n\r\n", 4) == 0)
			msg_end -= 2;
		struct buf msg = BUF_INIT;
		unescape(body, msg_end, &msg);
		struct import_msg m = { .size = msg.len, .internaldate = date };
		m.data = buf_steal(&msg);
		if (m.data == NULL)
			m.data = xstrdup("");
		status_flags(&m);
		ret = import_add(ctx, mailbox_id, &m);
		p = next;
	}
	buf_free(&file);
	return ret == 0 ? CLI_EX_OK : CLI_EX_TEMPFAIL;
}
