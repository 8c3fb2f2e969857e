/* IMAP and RFC 5322 date parsing and formatting; see imapdate.h. */
#include "core/imapdate.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/strutil.h"

#define TZ_MAX_MINUTES (23 * 60 + 59)
#define SECS_PER_DAY 86400

static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char weekday_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };
	return month == 2 && is_leap(y) ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12), using
 * 400-year eras so negative years and pre-1970 dates need no special case. */
static int64_t days_from_civil(int64_t y, int month, int day)
{
	y -= month <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12; /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil {
	int64_t year;
	int month, day, hour, min, sec, weekday;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void civil_from_time(int64_t t, struct civil *c)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	int64_t secs = t - days * SECS_PER_DAY;
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	/* 1970-01-01 was a Thursday. */
	c->weekday = (int)((days % 7 + 11) % 7);

	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = yoe + era * 400 + (c->month <= 2);
}

static int month_from_name(const char *s, size_t len)
{
	for (int i = 0; i < 12; i++) {
		if (str_ascii_caseeq_n(s, len, month_names[i], 3))
			return i + 1;
	}
	return 0;
}

/* Checks ranges and combines; seconds may be 60 (RFC 5322 3.3 leap). */
static int make_time(int64_t year, int month, int day, int hour, int min,
		     int sec, int tz_minutes, time_t *t_r)
{
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour > 23 || min > 59 ||
	    sec > 60 || tz_minutes < -TZ_MAX_MINUTES ||
	    tz_minutes > TZ_MAX_MINUTES)
		return -1;
	int64_t t = days_from_civil(year, month, day) * SECS_PER_DAY +
		    hour * 3600 + min * 60 + sec - (int64_t)tz_minutes * 60;
	*t_r = (time_t)t;
	return 0;
}

/* --- fixed-format IMAP parsing ------------------------------------- */

struct cursor {
	const char *s;
	size_t len, pos;
};

static bool cur_eof(const struct cursor *c)
{
	return c->pos >= c->len;
}

static bool cur_char(struct cursor *c, char ch)
{
	if (cur_eof(c) || c->s[c->pos] != ch)
		return false;
	c->pos++;
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Reads min..max digits. Returns the value, or -1 if fewer than min. */
static int cur_digits(struct cursor *c, size_t min, size_t max)
{
	size_t n = 0;
	int v = 0;
	while (n < max && !cur_eof(c) && is_digit(c->s[c->pos])) {
		v = v * 10 + (c->s[c->pos] - '0');
		c->pos++;
		n++;
	}
	return n < min ? -1 : v;
}

/* Reads exactly three letters naming a month. Returns 1..12 or 0. */
static int cur_month3(struct cursor *c)
{
	if (c->len - c->pos < 3)
		return 0;
	int m = month_from_name(c->s + c->pos, 3);
	if (m != 0)
		c->pos += 3;
	return m;
}

/* date-day "-" date-month "-" date-year, shared by date and date-time. */
static int cur_date_text(struct cursor *c, size_t day_digits_max,
			 int *day_r, int *month_r, int *year_r)
{
	*day_r = cur_digits(c, 1, day_digits_max);
	if (*day_r < 0 || !cur_char(c, '-'))
		return -1;
	*month_r = cur_month3(c);
	if (*month_r == 0 || !cur_char(c, '-'))
		return -1;
	*year_r = cur_digits(c, 4, 4);
	return *year_r < 0 ? -1 : 0;
}

int imapdate_parse_datetime(const char *s, size_t len, time_t *t_r,
			    int *tz_minutes_r)
{
	struct cursor c = { s, len, 0 };
	int day, month, year, hour, min, sec, zh, zm;
	/* date-day-fixed = (SP DIGIT) / 2DIGIT */
	size_t day_digits_max = cur_char(&c, ' ') ? 1 : 2;
	if (cur_date_text(&c, day_digits_max, &day, &month, &year) < 0 ||
	    !cur_char(&c, ' '))
		return -1;
	/* time = 2DIGIT ":" 2DIGIT ":" 2DIGIT */
	if ((hour = cur_digits(&c, 2, 2)) < 0 || !cur_char(&c, ':') ||
	    (min = cur_digits(&c, 2, 2)) < 0 || !cur_char(&c, ':') ||
	    (sec = cur_digits(&c, 2, 2)) < 0 || !cur_char(&c, ' '))
		return -1;
	/* zone = ("+" / "-") 4DIGIT */
	int sign = cur_char(&c, '+') ? 1 : cur_char(&c, '-') ? -1 : 0;
	if (sign == 0 || (zh = cur_digits(&c, 2, 2)) < 0 ||
	    (zm = cur_digits(&c, 2, 2)) < 0 || zm > 59 || !cur_eof(&c))
		return -1;
	int tz = sign * (zh * 60 + zm);
	if (make_time(year, month, day, hour, min, sec, tz, t_r) < 0)
		return -1;
	*tz_minutes_r = tz;
	return 0;
}

int imapdate_parse_date(const char *s, size_t len, time_t *day_start_utc_r)
{
	struct cursor c = { s, len, 0 };
	int day, month, year;
	if (cur_date_text(&c, 2, &day, &month, &year) < 0 || !cur_eof(&c))
		return -1;
	return make_time(year, month, day, 0, 0, 0, 0, day_start_utc_r);
}

/* --- formatting ------------------------------------------------------ */

static int sane_zone(int tz_minutes)
{
	return tz_minutes < -TZ_MAX_MINUTES || tz_minutes > TZ_MAX_MINUTES
		       ? 0 : tz_minutes;
}

static void append_zone(struct buf *out, int tz)
{
	char sign = tz < 0 ? '-' : '+';
	int a = tz < 0 ? -tz : tz;
	buf_printf(out, "%c%02d%02d", sign, a / 60, a % 60);
}

void imapdate_format_datetime(time_t t, int tz_minutes, struct buf *out)
{
	int tz = sane_zone(tz_minutes);
	struct civil c;
	civil_from_time((int64_t)t + (int64_t)tz * 60, &c);
	buf_printf(out, "%02d-%s-%04lld %02d:%02d:%02d ", c.day,
		   month_names[c.month - 1], (long long)c.year, c.hour, c.min,
		   c.sec);
	append_zone(out, tz);
}

void imapdate_format_rfc5322(time_t t, int tz_minutes, struct buf *out)
{
	int tz = sane_zone(tz_minutes);
	struct civil c;
	civil_from_time((int64_t)t + (int64_t)tz * 60, &c);
	buf_printf(out, "%s, %d %s %04lld %02d:%02d:%02d ",
		   weekday_names[c.weekday], c.day, month_names[c.month - 1],
		   (long long)c.year, c.hour, c.min, c.sec);
	append_zone(out, tz);
}

time_t imapdate_local_day_start(time_t t, int tz_minutes)
{
	int64_t local = (int64_t)t + (int64_t)sane_zone(tz_minutes) * 60;
	return (time_t)(floor_div(local, SECS_PER_DAY) * SECS_PER_DAY);
}

/* --- RFC 5322 -------------------------------------------------------- */

/* Skips CFWS (RFC 5322 3.2.2): whitespace, CR, LF and nested comments with
 * quoted-pairs. An unterminated comment runs to the end. */
static void skip_cfws(struct cursor *c)
{
	int depth = 0;
	while (!cur_eof(c)) {
		char ch = c->s[c->pos];
		if (depth > 0 && ch == '\\') {
			c->pos += c->pos + 1 < c->len ? 2 : 1;
			continue;
		}
		if (ch == '(') {
			depth++;
		} else if (ch == ')' && depth > 0) {
			depth--;
		} else if (depth == 0 && ch != ' ' && ch != '\t' &&
			   ch != '\r' && ch != '\n') {
			return;
		}
		c->pos++;
	}
}

/* Reads a run of letters; returns its length (0 if none). */
static size_t cur_word(struct cursor *c, const char **word_r)
{
	*word_r = c->s + c->pos;
	size_t start = c->pos;
	while (!cur_eof(c) && is_alpha(c->s[c->pos]))
		c->pos++;
	return c->pos - start;
}

static const struct {
	const char *name;
	int minutes;
} named_zones[] = {
	/* RFC 5322 4.3 obs-zone */
	{ "UT", 0 },         { "GMT", 0 },
	{ "EST", -5 * 60 },  { "EDT", -4 * 60 },
	{ "CST", -6 * 60 },  { "CDT", -5 * 60 },
	{ "MST", -7 * 60 },  { "MDT", -6 * 60 },
	{ "PST", -8 * 60 },  { "PDT", -7 * 60 },
};

/* Optional zone. Military letters and unknown names count as -0000 (RFC
 * 5322 4.3: their meaning, and for military zones even their sign, is
 * unreliable); a missing zone is treated the same way. */
static int rfc5322_zone(struct cursor *c, int *tz_r)
{
	*tz_r = 0;
	if (cur_eof(c))
		return 0;
	char ch = c->s[c->pos];
	if (ch == '+' || ch == '-') {
		c->pos++;
		int v = cur_digits(c, 4, 4);
		if (v < 0 || v % 100 > 59)
			return -1;
		int minutes = v / 100 * 60 + v % 100;
		*tz_r = ch == '-' ? -minutes : minutes;
		return 0;
	}
	const char *w;
	size_t n = cur_word(c, &w);
	for (size_t i = 0; i < sizeof(named_zones) / sizeof(named_zones[0]);
	     i++) {
		const char *name = named_zones[i].name;
		if (str_ascii_caseeq_n(w, n, name, strlen(name))) {
			*tz_r = named_zones[i].minutes;
			return 0;
		}
	}
	return 0;
}

/* [ day-of-week "," ]: any leading word is taken as a day name, since
 * localized and full names ("Donnerstag,", "Monday,") occur in the wild. */
static int rfc5322_skip_weekday(struct cursor *c)
{
	if (cur_eof(c) || !is_alpha(c->s[c->pos]))
		return 0;
	const char *w;
	size_t n = cur_word(c, &w);
	skip_cfws(c);
	if (cur_char(c, ','))
		return 0;
	/* Without a comma, accept only a real day name (obs-day-of-week
	 * allows CFWS but still needs the comma; mailers forget it). */
	for (int i = 0; i < 7; i++) {
		if (n >= 3 && str_ascii_caseeq_n(w, 3, weekday_names[i], 3))
			return 0;
	}
	return -1;
}

/* RFC 5322 4.3 obs-year: 2 digits are 19xx from 50 on, else 20xx; 3 digits
 * are added to 1900. */
static int64_t rfc5322_year(int v, size_t digits)
{
	if (digits == 2)
		return v < 50 ? 2000 + v : 1900 + v;
	if (digits == 3)
		return 1900 + v;
	return v;
}

/* hour ":" minute [ ":" second ], with obs-FWS around the colons. */
static int rfc5322_time(struct cursor *c, int *h_r, int *m_r, int *s_r)
{
	*s_r = 0;
	if ((*h_r = cur_digits(c, 1, 2)) < 0)
		return -1;
	skip_cfws(c);
	if (!cur_char(c, ':'))
		return -1;
	skip_cfws(c);
	if ((*m_r = cur_digits(c, 2, 2)) < 0)
		return -1;
	size_t save = c->pos;
	skip_cfws(c);
	if (cur_char(c, ':')) {
		skip_cfws(c);
		if ((*s_r = cur_digits(c, 2, 2)) < 0)
			return -1;
	} else {
		c->pos = save;
	}
	return 0;
}

int imapdate_parse_rfc5322(const char *s, size_t len, time_t *t_r,
			   int *tz_minutes_r)
{
	struct cursor c = { s, len, 0 };
	int day, month, hour, min, sec, tz;
	skip_cfws(&c);
	if (rfc5322_skip_weekday(&c) < 0)
		return -1;
	skip_cfws(&c);
	if ((day = cur_digits(&c, 1, 2)) < 0)
		return -1;
	skip_cfws(&c);
	cur_char(&c, '-'); /* "1-Jan-2024" is not RFC 5322 but occurs */
	skip_cfws(&c);
	const char *w;
	size_t n = cur_word(&c, &w);
	if (n < 3 || (month = month_from_name(w, 3)) == 0)
		return -1;
	skip_cfws(&c);
	cur_char(&c, '-');
	skip_cfws(&c);
	size_t year_start = c.pos;
	int year_v = cur_digits(&c, 2, 4);
	if (year_v < 0 || (!cur_eof(&c) && is_digit(s[c.pos])))
		return -1;
	int64_t year = rfc5322_year(year_v, c.pos - year_start);
	skip_cfws(&c);
	if (rfc5322_time(&c, &hour, &min, &sec) < 0)
		return -1;
	skip_cfws(&c);
	if (rfc5322_zone(&c, &tz) < 0)
		return -1;
	if (make_time(year, month, day, hour, min, sec, tz, t_r) < 0)
		return -1;
	*tz_minutes_r = tz;
	return 0;
}
