#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/imapdate.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* libc's timegm is the oracle here; the module itself never uses it. */
static time_t utc(int y, int mon, int d, int h, int min, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = min, .tm_sec = s };
	return timegm(&tm);
}

static void test_parse_datetime(void **state)
{
	(void)state;
	time_t t;
	int tz;
	/* RFC 3501 example: INTERNALDATE "17-Jul-1996 02:44:25 -0700" */
	assert_int_equal(imapdate_parse_datetime(S("17-Jul-1996 02:44:25 -0700"),
						 &t, &tz), 0);
	assert_int_equal(tz, -420);
	assert_true(t == utc(1996, 7, 17, 9, 44, 25));
	/* date-day-fixed: space-padded and zero-padded days. */
	assert_int_equal(imapdate_parse_datetime(S(" 1-Jan-2024 00:00:00 +0000"),
						 &t, &tz), 0);
	assert_true(t == utc(2024, 1, 1, 0, 0, 0));
	assert_int_equal(imapdate_parse_datetime(S("01-Jan-2024 00:00:00 +0530"),
						 &t, &tz), 0);
	assert_int_equal(tz, 330);
	assert_true(t == utc(2023, 12, 31, 18, 30, 0));
	/* Month names are case-insensitive (RFC 5234 2.3). */
	assert_int_equal(imapdate_parse_datetime(S("29-FEB-2024 23:59:59 +0100"),
						 &t, &tz), 0);
	assert_true(t == utc(2024, 2, 29, 22, 59, 59));
	/* Before 1970 works too. */
	assert_int_equal(imapdate_parse_datetime(S("31-Dec-1969 23:59:59 +0000"),
						 &t, &tz), 0);
	assert_true(t == -1);
}

static void test_parse_datetime_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"17-Jul-1996 02:44:25",         /* no zone */
		"17-Jul-1996 02:44 -0700",      /* no seconds */
		"17-Jul-96 02:44:25 -0700",     /* 2-digit year */
		"17-Jux-1996 02:44:25 -0700",
		"17 Jul 1996 02:44:25 -0700",
		"32-Jan-2024 00:00:00 +0000",
		"29-Feb-2023 00:00:00 +0000",   /* not a leap year */
		"30-Feb-2024 00:00:00 +0000",
		"00-Jan-2024 00:00:00 +0000",
		"01-Jan-2024 24:00:00 +0000",
		"01-Jan-2024 00:60:00 +0000",
		"01-Jan-2024 00:00:61 +0000",
		"01-Jan-2024 00:00:00 +0060",   /* zone minutes */
		"01-Jan-2024 00:00:00 +2400",
		"01-Jan-2024 00:00:00 0000",    /* zone sign */
		"01-Jan-2024 00:00:00 +000",
		"01-Jan-2024 00:00:00 +00000",  /* trailing garbage */
		"01-Jan-2024 00:00:00 +0000 ",
		"\"01-Jan-2024 00:00:00 +0000\"", /* DQUOTEs are the caller's */
		" 12-Jan-2024 00:00:00 +0000",  /* space pad with 2 digits */
		"  1-Jan-2024 00:00:00 +0000",
		"001-Jan-2024 00:00:00 +0000",
		"01-Jan-2024  00:00:00 +0000",
		"1-Jan-2024 0:00:00 +0000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = 12345;
		int tz = 77;
		if (imapdate_parse_datetime(bad[i], strlen(bad[i]), &t, &tz) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(tz, 77);
	}
	/* The length bounds the input. */
	time_t t;
	int tz;
	assert_int_equal(imapdate_parse_datetime("17-Jul-1996 02:44:25 -0700",
						 20, &t, &tz), -1);
}

static void test_format_datetime(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	imapdate_format_datetime(utc(1996, 7, 17, 9, 44, 25), -420, &b);
	assert_string_equal(buf_cstr(&b), "17-Jul-1996 02:44:25 -0700");
	buf_reset(&b);
	imapdate_format_datetime(utc(2024, 1, 1, 0, 0, 0), 0, &b);
	assert_string_equal(buf_cstr(&b), "01-Jan-2024 00:00:00 +0000");
	buf_reset(&b);
	/* The zone moves the calendar day. */
	imapdate_format_datetime(utc(2023, 12, 31, 18, 30, 0), 330, &b);
	assert_string_equal(buf_cstr(&b), "01-Jan-2024 00:00:00 +0530");
	buf_reset(&b);
	imapdate_format_datetime(utc(2024, 3, 1, 0, 30, 0), -60, &b);
	assert_string_equal(buf_cstr(&b), "29-Feb-2024 23:30:00 -0100");
	buf_reset(&b);
	imapdate_format_datetime(-1, 0, &b);
	assert_string_equal(buf_cstr(&b), "31-Dec-1969 23:59:59 +0000");
	buf_reset(&b);
	/* A nonsense zone is not trusted. */
	imapdate_format_datetime(0, 100000, &b);
	assert_string_equal(buf_cstr(&b), "01-Jan-1970 00:00:00 +0000");
	buf_free(&b);
}

/* Format then parse gives back the same instant and zone, checked against
 * libc across centuries, leap days and negative times. */
static void test_datetime_round_trip(void **state)
{
	(void)state;
	static const int zones[] = { 0, 60, -420, 330, -210, 840, -720, 1439 };
	struct buf b = BUF_INIT;
	int64_t step = 86400LL * 7 + 3 * 3600 + 17 * 60 + 13;
	size_t n = 0;
	for (int64_t t = -2208988800LL; t < 7258118400LL; t += step, n++) {
		int zone = zones[n % (sizeof(zones) / sizeof(zones[0]))];
		buf_reset(&b);
		imapdate_format_datetime((time_t)t, zone, &b);
		/* Compare the wall clock with libc's gmtime of t + zone. */
		time_t local = (time_t)(t + zone * 60);
		struct tm tm;
		gmtime_r(&local, &tm);
		char expect[64];
		strftime(expect, sizeof(expect), "%d-%b-%Y %H:%M:%S", &tm);
		assert_memory_equal(b.data, expect, strlen(expect));
		time_t back;
		int tz;
		assert_int_equal(imapdate_parse_datetime(b.data, b.len, &back, &tz), 0);
		assert_true((int64_t)back == t);
		assert_int_equal(tz, zone);
	}
	buf_free(&b);
}

static void test_parse_date(void **state)
{
	(void)state;
	time_t t;
	assert_int_equal(imapdate_parse_date(S("1-Feb-1994"), &t), 0);
	assert_true(t == utc(1994, 2, 1, 0, 0, 0));
	assert_int_equal(imapdate_parse_date(S("01-feb-1994"), &t), 0);
	assert_true(t == utc(1994, 2, 1, 0, 0, 0));
	assert_int_equal(imapdate_parse_date(S("31-Dec-9999"), &t), 0);
	assert_true(t == utc(9999, 12, 31, 0, 0, 0));
	static const char *const bad[] = {
		"", "1-Feb-94", "1-Feb-1994 ", " 1-Feb-1994", "1 Feb 1994",
		"\"1-Feb-1994\"", "30-Feb-1994", "0-Feb-1994", "001-Feb-1994",
		"1-Febr-1994", "1-Feb-19945", "1--1994",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (imapdate_parse_date(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void check_5322(const char *s, time_t expect, int expect_tz)
{
	time_t t = 0;
	int tz = 9999;
	if (imapdate_parse_rfc5322(s, strlen(s), &t, &tz) != 0)
		fail_msg("refused '%s'", s);
	if (t != expect || tz != expect_tz)
		fail_msg("'%s': got %lld tz %d, want %lld tz %d", s,
			 (long long)t, tz, (long long)expect, expect_tz);
}

static void test_parse_rfc5322(void **state)
{
	(void)state;
	time_t base = utc(1997, 11, 21, 9, 55, 6);
	/* RFC 5322 A.1.1 */
	check_5322("Fri, 21 Nov 1997 09:55:06 -0600", base + 6 * 3600, -360);
	check_5322("21 Nov 1997 09:55:06 -0600", base + 6 * 3600, -360);
	check_5322("Fri, 21 Nov 1997 09:55:06 +0000", base, 0);
	check_5322("Fri, 21 Nov 1997 09:55:06 -0000", base, 0);
	/* RFC 5322 A.5: comments and folding white space everywhere. */
	check_5322("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n"
		   "      23:32\r\n               -0330 (Newfoundland Time)",
		   utc(1969, 2, 14, 3, 2, 0), -210);
	check_5322("(x) Fri (y) , (nested (comment) \\) ) 21 Nov 1997 "
		   "09:55:06 GMT", base, 0);
	/* RFC 5322 A.6.2: obsolete 2-digit year and named zone. */
	check_5322("21 Nov 97 09:55:06 GMT", base, 0);
	check_5322("21 Nov 49 09:55:06 GMT", utc(2049, 11, 21, 9, 55, 6), 0);
	check_5322("21 Nov 50 09:55:06 GMT", utc(1950, 11, 21, 9, 55, 6), 0);
	/* 3-digit year: add 1900 (RFC 5322 4.3). */
	check_5322("21 Nov 097 09:55:06 GMT", base, 0);
	check_5322("21 Nov 124 09:55:06 UT", utc(2024, 11, 21, 9, 55, 6), 0);
	/* Named US zones. */
	check_5322("Fri, 21 Nov 1997 09:55:06 EST", base + 5 * 3600, -300);
	check_5322("Fri, 21 Nov 1997 09:55:06 edt", base + 4 * 3600, -240);
	check_5322("Fri, 21 Nov 1997 09:55:06 CST", base + 6 * 3600, -360);
	check_5322("Fri, 21 Nov 1997 09:55:06 CDT", base + 5 * 3600, -300);
	check_5322("Fri, 21 Nov 1997 09:55:06 MST", base + 7 * 3600, -420);
	check_5322("Fri, 21 Nov 1997 09:55:06 MDT", base + 6 * 3600, -360);
	check_5322("Fri, 21 Nov 1997 09:55:06 PST", base + 8 * 3600, -480);
	check_5322("Fri, 21 Nov 1997 09:55:06 PDT", base + 7 * 3600, -420);
	/* Military and unknown zones count as -0000; so does none at all. */
	check_5322("Fri, 21 Nov 1997 09:55:06 Z", base, 0);
	check_5322("Fri, 21 Nov 1997 09:55:06 A", base, 0);
	check_5322("Fri, 21 Nov 1997 09:55:06 CEST", base, 0);
	check_5322("Fri, 21 Nov 1997 09:55:06", base, 0);
	/* Missing seconds, one-digit hour, obs-FWS around the colon. */
	check_5322("Fri, 21 Nov 1997 09:55 +0000", base - 6, 0);
	check_5322("Fri, 21 Nov 1997 9:55:06 +0000", base, 0);
	check_5322("Fri, 21 Nov 1997 09 : 55 : 06 +0000", base, 0);
	/* Full and localized day names, missing comma, full month names. */
	check_5322("Friday, 21 November 1997 09:55:06 +0000", base, 0);
	check_5322("Freitag, 21 Nov 1997 09:55:06 +0000", base, 0);
	check_5322("Fri 21 Nov 1997 09:55:06 +0000", base, 0);
	/* Text after the zone is ignored. */
	check_5322("Fri, 21 Nov 1997 09:55:06 +0000 (UTC) trailing", base, 0);
	check_5322("Fri, 21 Nov 1997 09:55:06 +0100 +0200",
		   base - 3600, 60);
	/* Leap second. */
	check_5322("31 Dec 2016 23:59:60 +0000", utc(2017, 1, 1, 0, 0, 0), 0);
}

static void test_parse_rfc5322_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"   ",
		"(only a comment)",
		"Fri, 21 Nov 1997",              /* no time */
		"Fri, Nov 1997 09:55:06 +0000",  /* no day */
		"Fri, 21 1997 09:55:06 +0000",   /* no month */
		"Fri, 21 Nov 09:55:06 +0000",
		"Fri, 21 Xyz 1997 09:55:06 +0000",
		"Fri, 21 Nov 7 09:55:06 +0000",  /* 1-digit year */
		"Fri, 21 Nov 19970 09:55:06 +0000",
		"Fri, 31 Nov 1997 09:55:06 +0000",
		"Fri, 21 Nov 1997 25:55:06 +0000",
		"Fri, 21 Nov 1997 09:65:06 +0000",
		"Fri, 21 Nov 1997 09:55:06 +00",
		"Fri, 21 Nov 1997 09:55:06 +0099",
		"Fri, 21 Nov 1997 09:55:06 +2400",
		"Fri, 21 Nov 1997 09:5 +0000",
		"Hello 21 Nov 1997 09:55:06",    /* not a day name, no comma */
		"1997-11-21T09:55:06Z",          /* ISO 8601 is not RFC 5322 */
		"Fri, 211 Nov 1997 09:55:06 +0000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t;
		int tz;
		if (imapdate_parse_rfc5322(bad[i], strlen(bad[i]), &t, &tz) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_format_rfc5322(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	imapdate_format_rfc5322(utc(1997, 11, 21, 15, 55, 6), -360, &b);
	assert_string_equal(buf_cstr(&b), "Fri, 21 Nov 1997 09:55:06 -0600");
	buf_reset(&b);
	imapdate_format_rfc5322(utc(2024, 1, 1, 0, 0, 0), 0, &b);
	assert_string_equal(buf_cstr(&b), "Mon, 1 Jan 2024 00:00:00 +0000");
	buf_reset(&b);
	imapdate_format_rfc5322(-86400 * 6, 0, &b);
	assert_string_equal(buf_cstr(&b), "Fri, 26 Dec 1969 00:00:00 +0000");
	/* And back. */
	time_t t;
	int tz;
	assert_int_equal(imapdate_parse_rfc5322(b.data, b.len, &t, &tz), 0);
	assert_true(t == -86400 * 6);
	buf_free(&b);
}

static void test_local_day_start(void **state)
{
	(void)state;
	/* 2024-01-01 23:30 -0500 is 04:30 UTC on Jan 2, but its day is Jan 1. */
	time_t t = utc(2024, 1, 2, 4, 30, 0);
	assert_true(imapdate_local_day_start(t, -300) == utc(2024, 1, 1, 0, 0, 0));
	assert_true(imapdate_local_day_start(t, 0) == utc(2024, 1, 2, 0, 0, 0));
	assert_true(imapdate_local_day_start(-1, 0) == -86400);
	assert_true(imapdate_local_day_start(utc(2024, 1, 1, 0, 0, 0), 0) ==
		    utc(2024, 1, 1, 0, 0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_datetime),
		cmocka_unit_test(test_parse_datetime_bad),
		cmocka_unit_test(test_format_datetime),
		cmocka_unit_test(test_datetime_round_trip),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_parse_rfc5322),
		cmocka_unit_test(test_parse_rfc5322_bad),
		cmocka_unit_test(test_format_rfc5322),
		cmocka_unit_test(test_local_day_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
