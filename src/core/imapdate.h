#ifndef QUIRE_CORE_IMAPDATE_H
#define QUIRE_CORE_IMAPDATE_H
/*
 * IMAP and RFC 5322 dates. All arithmetic is done here on the proleptic
 * Gregorian calendar: nothing depends on the locale or the TZ variable.
 * A zone is kept as minutes east of UTC (+0200 -> 120, -0330 -> -210), in
 * the range -1439..1439.
 */
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

/*
 * Parses an IMAP date-time (RFC 3501 9) without its surrounding DQUOTEs:
 * "17-Jul-1996 02:44:25 -0700", day also space-padded (" 7-Jul-1996 ...");
 * a plain one-digit day is accepted too. Month names are case-insensitive
 * (RFC 5234 2.3 string literals). Sets *t_r to the instant (UTC) and
 * *tz_minutes_r to the zone. Returns 0, or -1 on any syntax error or
 * impossible value (31-Feb, 24:00:00, zone minutes >= 60).
 */
int imapdate_parse_datetime(const char *s, size_t len, time_t *t_r,
			    int *tz_minutes_r);

/*
 * Appends t as an IMAP date-time in the given zone, without DQUOTEs:
 * "05-Jul-1996 02:44:25 -0700". RFC 3501 9 date-day-fixed allows
 * (SP DIGIT) / 2DIGIT; we write 2DIGIT, which needs no care from clients
 * that split on spaces. A zone outside -1439..1439 is written as +0000.
 */
void imapdate_format_datetime(time_t t, int tz_minutes, struct buf *out);

/*
 * Parses an IMAP search date (RFC 3501 9 date-text, "1-Feb-1994" or
 * "01-Feb-1994"); the quoted form is unquoted by the caller. Sets
 * *day_start_utc_r to that day at 00:00:00 UTC. Returns 0 or -1.
 */
int imapdate_parse_date(const char *s, size_t len, time_t *day_start_utc_r);

/*
 * Parses an RFC 5322 Date header value leniently: section 3.3 plus the
 * obsolete forms of 4.3 (optional day-of-week, 2- and 3-digit years, named
 * zones UT GMT EST EDT CST CDT MST MDT PST PDT, military and unknown
 * alphabetic zones as -0000, comments, folding whitespace, missing seconds)
 * and a missing zone (taken as UTC). Text after the zone is ignored.
 * Sets *t_r (UTC) and *tz_minutes_r. Returns 0, or -1 if no day, month,
 * year and time can be found or a value is out of range.
 */
int imapdate_parse_rfc5322(const char *s, size_t len, time_t *t_r,
			   int *tz_minutes_r);

/* Appends t in RFC 5322 3.3 form: "Mon, 1 Jan 2024 10:00:00 +0000". */
void imapdate_format_rfc5322(time_t t, int tz_minutes, struct buf *out);

/*
 * Returns 00:00:00 UTC of the calendar day that t falls on in the given
 * zone. SEARCH SENTBEFORE and friends compare dates "disregarding time and
 * timezone" (RFC 3501 6.4.4), i.e. the day as written in the Date header.
 */
time_t imapdate_local_day_start(time_t t, int tz_minutes);

#endif
