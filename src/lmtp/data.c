#include "lmtp/data.h"

#include <string.h>

void lmtp_data_begin(struct lmtp_data *d, uint64_t max_size)
{
	buf_reset(&d->message);
	d->max_size = max_size;
	d->size = 0;
	d->at_line_start = true;
	d->too_big = false;
}

static void keep(struct lmtp_data *d, const char *p, size_t n)
{
	d->size += n;
	if (d->size > d->max_size) {
		/* Keep reading to the final "." so the session stays in
		 * step, but stop buffering: the reply will be 552. */
		d->too_big = true;
		buf_free(&d->message);
		return;
	}
	buf_append(&d->message, p, n);
}

bool lmtp_data_feed(struct lmtp_data *d, const char *in, size_t len,
		    size_t *consumed_r)
{
	size_t pos = 0;
	while (pos < len) {
		const char *p = in + pos;
		size_t left = len - pos;
		if (d->at_line_start && p[0] == '.') {
			/* ".\r\n" (or ".\n") ends the data; otherwise the dot
			 * was added by the client and goes (RFC 5321 4.5.2). */
			if (left >= 2 && p[1] == '\n') {
				*consumed_r = pos + 2;
				return true;
			}
			if (left >= 3 && p[1] == '\r' && p[2] == '\n') {
				*consumed_r = pos + 3;
				return true;
			}
			if (left == 1 || (left == 2 && p[1] == '\r'))
				break; /* undecided until more arrives */
			pos++;
			d->at_line_start = false;
			continue;
		}
		const char *nl = memchr(p, '\n', left);
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : left;
		keep(d, p, n);
		pos += n;
		d->at_line_start = nl != NULL;
	}
	*consumed_r = pos;
	return false;
}

void lmtp_data_free(struct lmtp_data *d)
{
	buf_free(&d->message);
}
