/*
 * libFuzzer target: date parsers (core/imapdate.h). Whatever parses must
 * format back to text that parses to the same instant and zone, and a
 * search date must be a UTC midnight.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/imapdate.h"

static void check_zone(int tz)
{
	if (tz < -1439 || tz > 1439)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	time_t t, t2;
	int tz, tz2;

	if (imapdate_parse_datetime(s, size, &t, &tz) == 0) {
		check_zone(tz);
		struct buf out = BUF_INIT;
		imapdate_format_datetime(t, tz, &out);
		if (imapdate_parse_datetime(out.data, out.len, &t2, &tz2) < 0 ||
		    t2 != t || tz2 != tz)
			abort();
		time_t day = imapdate_local_day_start(t, tz);
		if (day % 86400 != 0)
			abort();
		buf_free(&out);
	}
	if (imapdate_parse_date(s, size, &t) == 0) {
		if (t % 86400 != 0)
			abort();
		struct buf out = BUF_INIT;
		imapdate_format_datetime(t, 0, &out);
		buf_free(&out);
	}
	if (imapdate_parse_rfc5322(s, size, &t, &tz) == 0) {
		check_zone(tz);
		struct buf out = BUF_INIT;
		imapdate_format_rfc5322(t, tz, &out);
		if (imapdate_parse_rfc5322(out.data, out.len, &t2, &tz2) < 0 ||
		    t2 != t || tz2 != tz)
			abort();
		(void)imapdate_local_day_start(t, tz);
		buf_free(&out);
	}
	return 0;
}
