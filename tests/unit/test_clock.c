/*
 * Unit tests for base/clock: civil-date arithmetic, weekdays, RFC 3339 formatting in UTC and in
 * Asia/Shanghai, and parsing. The calendar is checked against an independent, deliberately naive
 * reference (count days year by year) over several centuries, and against dates whose day numbers
 * and weekdays are well known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"

static int ref_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int ref_month_days(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return d[m - 1] + (m == 2 && ref_leap(y));
}

static void test_known_days(void **state)
{
	int y, m, d;

	(void)state;
	assert_int_equal(clock_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(clock_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(clock_days_from_civil(1970, 3, 1), 59);
	assert_int_equal(clock_days_from_civil(2000, 1, 1), 10957);
	assert_int_equal(clock_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(clock_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(clock_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(clock_days_from_civil(9999, 12, 31), 2932896);
	clock_civil_from_days(-719162, &y, &m, &d);
	assert_int_equal(y, 1);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	clock_civil_from_days(19782, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240229);
	clock_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 19691231);
}

/* Every day from 1600-01-01 to 2400-12-31 against a year-by-year count, and back. */
static void test_against_reference(void **state)
{
	int64_t days = 0;

	(void)state;
	/* Days from 1600-01-01 back to 1970-01-01, counted naively. */
	for (int y = 1600; y < 1970; y++)
		days -= 365 + ref_leap(y);
	for (int y = 1600; y <= 2400; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= ref_month_days(y, m); d++) {
				int yy, mm, dd;
				if (clock_days_from_civil(y, m, d) != days)
					print_message("%04d-%02d-%02d\n", y, m, d);
				assert_int_equal(clock_days_from_civil(y, m, d), days);
				clock_civil_from_days(days, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);
				days++;
			}
		}
	}
}

/* Round trip over a much wider range, including negative years (the era arithmetic must floor).
   The proleptic leap rule holds for year 0 and below too, so the reference still applies. */
static void test_round_trip_wide(void **state)
{
	int py = 0, pm = 0, pd = 0;

	(void)state;
	for (int64_t days = -3000000; days <= 3000000; days++) {
		int y, m, d;
		clock_civil_from_days(days, &y, &m, &d);
		if (clock_days_from_civil(y, m, d) != days)
			print_message("day %lld -> %d-%d-%d\n", (long long)days, y, m, d);
		assert_int_equal(clock_days_from_civil(y, m, d), days);
		assert_in_range(m, 1, 12);
		assert_in_range(d, 1, 31);
		/* Consecutive days are consecutive dates. */
		if (days > -3000000) {
			if (d == 1) {
				assert_true(m == pm + 1 || (m == 1 && pm == 12 && y == py + 1));
				assert_int_equal(pd, ref_month_days(py, pm));
			} else {
				assert_int_equal(y, py);
				assert_int_equal(m, pm);
				assert_int_equal(d, pd + 1);
			}
		}
		py = y;
		pm = m;
		pd = d;
	}
}

static void test_valid_date_and_leap_years(void **state)
{
	(void)state;
	assert_true(clock_valid_date(2024, 2, 29));
	assert_true(clock_valid_date(2000, 2, 29));
	assert_true(clock_valid_date(2400, 2, 29));
	assert_false(clock_valid_date(2023, 2, 29));
	assert_false(clock_valid_date(1900, 2, 29));
	assert_false(clock_valid_date(2100, 2, 29));
	assert_true(clock_valid_date(2023, 2, 28));
	assert_true(clock_valid_date(2023, 12, 31));
	assert_false(clock_valid_date(2023, 4, 31));
	assert_false(clock_valid_date(2023, 6, 31));
	assert_false(clock_valid_date(2023, 9, 31));
	assert_false(clock_valid_date(2023, 11, 31));
	assert_true(clock_valid_date(2023, 1, 31));
	assert_false(clock_valid_date(2023, 13, 1));
	assert_false(clock_valid_date(2023, 0, 1));
	assert_false(clock_valid_date(2023, 1, 0));
	assert_false(clock_valid_date(2023, 1, 32));
	assert_false(clock_valid_date(2023, -1, 1));
	assert_false(clock_valid_date(0, 1, 1));
	assert_false(clock_valid_date(10000, 1, 1));
	assert_true(clock_valid_date(1, 1, 1));
	assert_true(clock_valid_date(9999, 12, 31));
	/* Agrees with the reference for every day-of-month candidate over 400 years. */
	for (int y = 1800; y < 2200; y++)
		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= 31; d++)
				assert_int_equal(clock_valid_date(y, m, d),
				                 d <= ref_month_days(y, m));
	/* Leap days are exactly one day apart from their neighbours. */
	assert_int_equal(clock_days_from_civil(2024, 3, 1) - clock_days_from_civil(2024, 2, 28), 2);
	assert_int_equal(clock_days_from_civil(2023, 3, 1) - clock_days_from_civil(2023, 2, 28), 1);
	assert_int_equal(clock_days_from_civil(1900, 3, 1) - clock_days_from_civil(1900, 2, 28), 1);
	assert_int_equal(clock_days_from_civil(2000, 3, 1) - clock_days_from_civil(2000, 2, 28), 2);
	assert_int_equal(clock_days_from_civil(2001, 1, 1) - clock_days_from_civil(2000, 1, 1),
	                 366);
	assert_int_equal(clock_days_from_civil(2101, 1, 1) - clock_days_from_civil(2100, 1, 1),
	                 365);
}

static void test_weekday(void **state)
{
	(void)state;
	assert_int_equal(clock_weekday(clock_days_from_civil(1970, 1, 1)), 4);   /* Thursday */
	assert_int_equal(clock_weekday(clock_days_from_civil(1969, 12, 31)), 3); /* Wednesday */
	assert_int_equal(clock_weekday(clock_days_from_civil(2000, 1, 1)), 6);   /* Saturday */
	assert_int_equal(clock_weekday(clock_days_from_civil(2024, 2, 29)), 4);  /* Thursday */
	assert_int_equal(clock_weekday(clock_days_from_civil(1949, 10, 1)), 6);  /* Saturday */
	assert_int_equal(clock_weekday(clock_days_from_civil(1900, 1, 1)), 1);   /* Monday */
	assert_int_equal(clock_weekday(clock_days_from_civil(2026, 11, 28)), 6); /* Saturday */
	assert_int_equal(clock_weekday(clock_days_from_civil(1, 1, 1)), 1);      /* Monday */
	/* Seven consecutive days cover every weekday once, before and after the epoch. */
	for (int64_t base = -1000; base <= 1000; base += 137) {
		int seen = 0;
		for (int i = 0; i < 7; i++) {
			int w = clock_weekday(base + i);
			assert_in_range(w, 0, 6);
			assert_int_equal(w, (clock_weekday(base) + i) % 7);
			seen |= 1 << w;
		}
		assert_int_equal(seen, 0x7f);
	}
}

static void test_format(void **state)
{
	char out[40];

	(void)state;
	assert_string_equal(clock_format_utc(0, out, sizeof out), "1970-01-01T00:00:00Z");
	assert_string_equal(clock_format_utc(1700000000, out, sizeof out), "2023-11-14T22:13:20Z");
	assert_string_equal(clock_format_utc(-1, out, sizeof out), "1969-12-31T23:59:59Z");
	assert_string_equal(clock_format_utc(-86400, out, sizeof out), "1969-12-31T00:00:00Z");
	assert_string_equal(clock_format_utc(951782400, out, sizeof out), "2000-02-29T00:00:00Z");
	assert_string_equal(clock_format_local(0, out, sizeof out), "1970-01-01T08:00:00+08:00");
	assert_string_equal(clock_format_local(1700000000, out, sizeof out),
	                    "2023-11-15T06:13:20+08:00");
	/* 16:00 UTC is already the next day in Shanghai. */
	assert_string_equal(clock_format_local(1699977600, out, sizeof out),
	                    "2023-11-15T00:00:00+08:00");
	assert_string_equal(clock_format_local(-28800, out, sizeof out),
	                    "1970-01-01T00:00:00+08:00");
	assert_string_equal(clock_format_local(-28801, out, sizeof out),
	                    "1969-12-31T23:59:59+08:00");
	/* The documented sizes are enough... */
	assert_int_equal(strlen(clock_format_utc(1700000000, out, 21)), 20);
	assert_int_equal(strlen(clock_format_local(1700000000, out, 26)), 25);
	/* ...and a short buffer is cut, still terminated, never overrun. */
	memset(out, 'X', sizeof out);
	clock_format_utc(1700000000, out, 8);
	assert_string_equal(out, "2023-11");
	assert_int_equal(out[8], 'X');
}

struct parse_case {
	const char *in;
	int64_t want;
};

static void test_parse_valid(void **state)
{
	static const struct parse_case cases[] = {
		{ "2023-11-14T22:13:20Z", 1700000000 },
		{ "2023-11-14t22:13:20z", 1700000000 },
		{ "2023-11-14 22:13:20Z", 1700000000 },
		{ "2023-11-15T06:13:20+08:00", 1700000000 },
		{ "2023-11-14T17:13:20-05:00", 1700000000 },
		{ "2023-11-14T22:13:20+00:00", 1700000000 },
		{ "2023-11-14T22:13:20-00:00", 1700000000 },
		{ "2023-11-15T03:43:20+05:30", 1700000000 },
		{ "2023-11-14T22:13:20.5Z", 1700000000 },
		{ "2023-11-14T22:13:20.123456789Z", 1700000000 },
		{ "2023-11-15T06:13:20.999+08:00", 1700000000 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2000-02-29T00:00:00Z", 951782400 },
		/* A leap second is read as the last second of the minute. */
		{ "2016-12-31T23:59:60Z", 1483228799 },
		/* A bare date is midnight in Asia/Shanghai. */
		{ "2023-11-15", 1699977600 },
		{ "1970-01-01", -28800 },
		{ "2024-02-29", 1709136000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = 42;
		int rc = clock_parse(cases[i].in, &t);
		if (rc != 0 || t != cases[i].want)
			print_message("input: %s -> rc %d t %lld\n", cases[i].in, rc, (long long)t);
		assert_int_equal(rc, 0);
		assert_int_equal(t, cases[i].want);
	}
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"2023",
		"2023-11",
		"2023-11-1",
		"2023-1-14",
		"20231114",
		"2023/11/14",
		"2023-11-14T",
		"2023-11-14T22:13:20",      /* no zone */
		"2023-11-14T22:13Z",        /* no seconds */
		"2023-11-14T22:13:20.Z",    /* empty fraction */
		"2023-11-14T22:13:20+0800", /* offset without colon */
		"2023-11-14T22:13:20+08",
		"2023-11-14T22:13:20+24:00",
		"2023-11-14T22:13:20+08:60",
		"2023-11-14T22:13:20ZZ",
		"2023-11-14T22:13:20Z ",
		" 2023-11-14T22:13:20Z",
		"2023-11-14junk",
		"2023-11-14 ",
		"2023-11-14X22:13:20Z",
		"2023-11-14T24:00:00Z",
		"2023-11-14T22:60:00Z",
		"2023-11-14T22:13:61Z",
		"2023-02-29",
		"2023-02-29T00:00:00Z",
		"2023-13-01",
		"2023-00-10",
		"2023-04-31",
		"0000-01-01",
		"abcd-ef-gh",
		"2023-11-14T2a:13:20Z",
		"+2023-11-14",
		"-2023-11-14",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 0;
		if (clock_parse(bad[i], &t) != -1)
			print_message("accepted: \"%s\"\n", bad[i]);
		assert_int_equal(clock_parse(bad[i], &t), -1);
	}
	{
		int64_t t = 0;
		assert_int_equal(clock_parse(NULL, &t), -1);
	}
}

/* Whatever is formatted parses back to the same second, in both zones. */
static void test_format_parse_round_trip(void **state)
{
	char out[40];

	(void)state;
	for (int64_t t = -5000000000LL; t < 250000000000LL; t += 7777777 + (t & 0xfff)) {
		int64_t back = 0;
		assert_int_equal(clock_parse(clock_format_utc(t, out, sizeof out), &back), 0);
		assert_int_equal(back, t);
		assert_int_equal(clock_parse(clock_format_local(t, out, sizeof out), &back), 0);
		assert_int_equal(back, t);
	}
}

static void test_now(void **state)
{
	int64_t a, b;

	(void)state;
	a = clock_now();
	assert_true(a > 1700000000); /* this code was written after November 2023 */
	a = clock_mono_us();
	b = clock_mono_us();
	assert_true(b >= a);
	assert_true(clock_mono_ms() >= a / 1000 - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_days),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_round_trip_wide),
		cmocka_unit_test(test_valid_date_and_leap_years),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
