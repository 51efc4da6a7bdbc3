/*
 * Unit tests for domain/calendar: deadline arithmetic on the real 2026 calendar (worked out by
 * hand from data/calendar/holidays-cn.csv in the comments of each case), the refusal of a year
 * with no calendar, working hours across a weekend and the lunch break, the 70% warning instant,
 * office-hour parsing, loading a year from CSV (all-or-nothing, audited) and setting single
 * days, and that migration 012's default rows are exactly the shipped CSV.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "domain/calendar.h"
#include "idfx.h"

static int setup(void **state)
{
	struct idfx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(f, "calendar") < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct idfx *f = *state;

	assert_int_equal(idfx_close(f), 0);
	free(f);
	return 0;
}

/* An instant from an RFC 3339 text. */
static int64_t at(const char *s)
{
	int64_t t = 0;

	assert_int_equal(clock_parse(s, &t), 0);
	return t;
}

static const char *local(int64_t t, char *buf)
{
	return clock_format_local(t, buf, 32);
}

static void due_days(struct idfx *f, const char *from, int n, const char *want)
{
	struct dom_err e = { 0 };
	char due[11];

	assert_int_equal(calendar_add_working_days(store_reader(f->s), from, n, due, &e), 0);
	assert_string_equal(due, want);
}

/*
 * 2026 Spring Festival (国务院办公厅 2025-11-04 notice, as in holidays-cn.csv):
 *   2026-02-14 (Sat) workday 春节调休上班; 2026-02-15 (Sun) .. 2026-02-23 (Mon) holiday 春节;
 *   2026-02-28 (Sat) workday 春节调休上班.
 * 2026-01-01 is a Thursday, so 2026-02-01 is a Sunday and 2026-02-12 a Thursday.
 * A 5-working-day assignment made on Thu 2026-02-12 counts from the next working day:
 *   day 1 Fri 02-13 (ordinary weekday)
 *   day 2 Sat 02-14 (make-up working day)
 *         Sun 02-15 .. Mon 02-23 holiday, not counted (nine days)
 *   day 3 Tue 02-24, day 4 Wed 02-25, day 5 Thu 02-26
 * so it falls due at the end of Thu 2026-02-26, i.e. 2026-02-27T00:00:00+08:00. (A weekends-only
 * guess would have said Thu 02-19, in the middle of the holiday.)
 * The 70% warning: 3.5 of the 5 counted days: 02-13, 02-14, 02-24 whole, then half of 02-25:
 * 2026-02-25T12:00:00+08:00.
 */
static void test_spring_festival(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	int64_t due, warn;
	char b[32];

	due_days(f, "2026-02-12", 5, "2026-02-26");
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-02-12T10:15:00+08:00"), 5,
	                                   CAL_WORKING_DAYS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-02-27T00:00:00+08:00");
	assert_string_equal(local(warn, b), "2026-02-25T12:00:00+08:00");
	/* The same day late in the evening local time (still 02-12 in Shanghai, 02-12 UTC too). */
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-02-12T15:59:00Z"), 5,
	                                   CAL_WORKING_DAYS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-02-27T00:00:00+08:00");
	/* 16:30 UTC on 02-12 is already 00:30 on Fri 02-13 in Shanghai: counting starts on the
	   next working day after 02-13, Sat 02-14 (make-up), then 02-24 .. 02-27. */
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-02-12T16:30:00Z"), 5,
	                                   CAL_WORKING_DAYS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-02-28T00:00:00+08:00");
	/* Around the second make-up day: from Thu 02-26, 2 days: Fri 02-27, Sat 02-28 (make-up). */
	due_days(f, "2026-02-26", 2, "2026-02-28");
	/* One day from Fri 02-13 is the make-up Saturday 02-14; two is Tue 02-24. */
	due_days(f, "2026-02-13", 1, "2026-02-14");
	due_days(f, "2026-02-13", 2, "2026-02-24");
}

/*
 * 2026 National Day: 2026-09-20 (Sun) workday 国庆节调休上班; 09-25 .. 09-27 holiday 中秋节;
 * 10-01 (Thu) .. 10-07 (Wed) holiday 国庆节; 10-10 (Sat) workday 国庆节调休上班.
 * (2026-10-01 is day 273 after 01-01, 273 = 39 weeks, so a Thursday like 01-01.)
 * 5 working days from Tue 2026-09-29:
 *   day 1 Wed 09-30; 10-01 .. 10-07 holiday; day 2 Thu 10-08; day 3 Fri 10-09;
 *   day 4 Sat 10-10 (make-up); Sun 10-11 rest; day 5 Mon 10-12  -> due 2026-10-12.
 * 3 working days from Fri 2026-09-18: Sat 09-19 rest; day 1 Sun 09-20 (make-up); day 2 Mon
 * 09-21; day 3 Tue 09-22 -> due 2026-09-22.
 * 4 working days from Wed 2026-09-23: day 1 Thu 09-24; 09-25 .. 09-27 holiday (Fri-Sun); day 2
 * Mon 09-28; day 3 Tue 09-29; day 4 Wed 09-30 -> due 2026-09-30.
 */
static void test_national_day(void **state)
{
	struct idfx *f = *state;

	due_days(f, "2026-09-29", 5, "2026-10-12");
	due_days(f, "2026-09-18", 3, "2026-09-22");
	due_days(f, "2026-09-23", 4, "2026-09-30");
}

/*
 * A count that passes into 2027, which has no calendar loaded, is refused with calendar_missing
 * naming 2027: from Mon 2026-12-28, 5 days would need Fri 2027-01-01 onwards (12-29, 12-30,
 * 12-31 are days 1-3). A count that ends before the year does not ask about 2027: 3 days from
 * Mon 2026-12-21 -> Thu 12-24. Working hours starting in 2027 are refused the same way.
 */
static void test_missing_year(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	int64_t due, warn;
	char d[11];

	assert_int_equal(calendar_add_working_days(store_reader(f->s), "2026-12-28", 5, d, &e), -1);
	assert_int_equal(e.status, 409);
	assert_string_equal(e.code, "calendar_missing");
	assert_non_null(strstr(e.message, "2027"));
	due_days(f, "2026-12-28", 3, "2026-12-31");
	due_days(f, "2026-12-21", 3, "2026-12-24");
	memset(&e, 0, sizeof e);
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2027-03-01T09:00:00+08:00"), 4,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 -1);
	assert_string_equal(e.code, "calendar_missing");
	/* A year before the shipped ones is missing too: no guessing backwards either. */
	memset(&e, 0, sizeof e);
	assert_int_equal(calendar_add_working_days(store_reader(f->s), "2024-06-03", 1, d, &e), -1);
	assert_string_equal(e.code, "calendar_missing");
	assert_non_null(strstr(e.message, "2024"));
}

/*
 * Working hours with the default office hours 09:00-12:00 and 13:30-17:30 (7 h a day).
 * 2026-03-13 is a Friday (03-01 is a Sunday: 02-01 Sunday + 28 days). 8 working hours from Fri
 * 16:00: Fri 16:00-17:30 = 1.5 h (6.5 left); Sat 03-14 and Sun 03-15 rest; Mon 03-16 09:00-12:00
 * = 3 h (3.5 left); lunch 12:00-13:30 not counted; 13:30 + 3.5 h = 17:00 -> due Mon 17:00.
 * 70% of 8 h = 5.6 h = 5 h 36 min: 1.5 h Friday, 3 h Monday morning (1 h 06 min left), 13:30 +
 * 1:06 = 14:36 -> warn Mon 14:36.
 * 2 hours from Mon 12:30 (in the lunch break): 13:30-15:30 -> due 15:30.
 * 3 hours from Tue 09:00 ends exactly at 12:00: due at 12:00, not at 13:30.
 */
static void test_working_hours(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	int64_t due, warn;
	char b[32];

	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-13T16:00:00+08:00"), 8,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-03-16T17:00:00+08:00");
	assert_string_equal(local(warn, b), "2026-03-16T14:36:00+08:00");
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-16T12:30:00+08:00"), 2,
	                                   CAL_WORKING_HOURS, 50, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-03-16T15:30:00+08:00");
	assert_string_equal(local(warn, b), "2026-03-16T14:30:00+08:00");
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-17T09:00:00+08:00"), 3,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-03-17T12:00:00+08:00");
	/* Across the Spring Festival: 4 h from Fri 2026-02-13 16:00: 1.5 h that day, then Sat
	   02-14 (make-up) 09:00 + 2.5 h = 11:30. */
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-02-13T16:00:00+08:00"), 4,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-02-14T11:30:00+08:00");
	/* 5 more hours from there skip the nine holidays: Sat 14 11:30-12:00 0.5, 13:30-17:30 4
	   (4.5), then Tue 02-24 09:00 + 0.5 h = 09:30. */
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-02-14T11:30:00+08:00"), 5,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-02-24T09:30:00+08:00");
}

static void test_bad_arguments(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	int64_t due, warn;
	char d[11];

	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-02T09:00:00+08:00"), 0,
	                                   CAL_WORKING_DAYS, 70, &due, &warn, &e),
	                 -1);
	assert_int_equal(e.status, 400);
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-02T09:00:00+08:00"), 367,
	                                   CAL_WORKING_DAYS, 70, &due, &warn, &e),
	                 -1);
	assert_string_equal(e.code, "bad_amount");
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-02T09:00:00+08:00"),
	                                   2001, CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 -1);
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-02T09:00:00+08:00"), 2,
	                                   CAL_WORKING_HOURS, 100, &due, &warn, &e),
	                 -1);
	assert_string_equal(e.code, "bad_share");
	assert_int_equal(calendar_add_working_days(store_reader(f->s), "2026-02-30", 1, d, &e), -1);
	assert_string_equal(e.code, "bad_date");
}

static void test_office_hours(void **state)
{
	struct idfx *f = *state;
	struct cal_office_hours oh;
	struct dom_err e = { 0 };
	int64_t due, warn;
	char msg[160], b[32];

	assert_int_equal(
	        calendar_office_hours_parse("08:30-12:00,14:00-18:00", &oh, msg, sizeof msg), 0);
	assert_int_equal(oh.n, 2);
	assert_int_equal(oh.start[1], 14 * 60);
	assert_int_equal(calendar_office_hours_parse("13:00-12:00", &oh, msg, sizeof msg), -1);
	assert_int_equal(
	        calendar_office_hours_parse("09:00-12:00,11:00-17:00", &oh, msg, sizeof msg), -1);
	assert_int_equal(calendar_office_hours_parse("9:00-12:00", &oh, msg, sizeof msg), -1);
	assert_int_equal(
	        calendar_office_hours_parse("09:00-12:00;13:00-17:00", &oh, msg, sizeof msg), -1);
	/* Configured 08:30-12:00,14:00-18:00: 8 h from Fri 2026-03-13 16:00 = 2 h Friday, Monday
	   3.5 h morning (2.5 left), 14:00 + 2.5 h = 16:30. */
	assert_int_equal(calendar_set_office_hours(&f->x, "08:30-12:00,14:00-18:00", &e), 0);
	assert_int_equal(calendar_deadline(store_reader(f->s), at("2026-03-13T16:00:00+08:00"), 8,
	                                   CAL_WORKING_HOURS, 70, &due, &warn, &e),
	                 0);
	assert_string_equal(local(due, b), "2026-03-16T16:30:00+08:00");
	assert_int_equal(calendar_set_office_hours(&f->x, "8-17", &e), -1);
	assert_string_equal(e.code, "bad_office_hours");
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM audit_log WHERE action = "
	                               "'calendar.office_hours'"),
	                 1);
}

/* Loading 2027 from CSV: a bad row refuses the whole file; a good file makes 2027 countable;
   setting and clearing one day works on a loaded year only. */
static void test_load_year_and_days(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	int h, w;
	char d[11];
	static const char bad[] = "date,kind,name\n2027-01-01,holiday,元旦\n2028-01-03,holiday,x\n"
	                          "2027-02-30,holiday,x\n2027-01-04,rest,x\n";
	static const char good[] = "\xEF\xBB\xBF"
	                           "date,kind,name\r\n# a comment\r\n2027-01-01,holiday,元旦\r\n"
	                           "2027-01-02,holiday,元旦\r\n2027-01-03,holiday,元旦\r\n"
	                           "2027-01-09,workday,元旦调休上班\r\n\r\n";

	assert_int_equal(calendar_load_year(&f->x, 2027, bad, strlen(bad), "test", &h, &w, &e), -1);
	assert_string_equal(e.code, "bad_csv");
	assert_non_null(strstr(e.message, "第 3 行"));
	assert_non_null(strstr(e.message, "第 4 行"));
	assert_non_null(strstr(e.message, "第 5 行"));
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM calendar_days WHERE day LIKE '2027%'"),
	                 0);
	assert_int_equal(
	        calendar_load_year(&f->x, 2027, good, strlen(good), "国办通知（测试）", &h, &w, &e),
	        0);
	assert_int_equal(h, 3);
	assert_int_equal(w, 1);
	/* Now the count of test_missing_year goes through: from Mon 2026-12-28, 5 days: 12-29,
	   12-30, 12-31 (1-3), 2027-01-01 .. 01-03 holiday, Mon 01-04 (4), Tue 01-05 (5). */
	due_days(f, "2026-12-28", 5, "2027-01-05");
	/* Make Tue 2027-01-05 a holiday and Sat 2027-01-09 is already a make-up day: -> Wed 01-06
	 */
	assert_int_equal(calendar_set_day(&f->x, "2027-01-05", "holiday", "测试假日", &e), 0);
	due_days(f, "2026-12-28", 5, "2027-01-06");
	assert_int_equal(calendar_set_day(&f->x, "2027-01-05", NULL, NULL, &e), 0);
	due_days(f, "2026-12-28", 5, "2027-01-05");
	/* A day of a year not loaded cannot be set. */
	assert_int_equal(calendar_set_day(&f->x, "2028-01-05", "holiday", "x", &e), -1);
	assert_string_equal(e.code, "calendar_missing");
	assert_int_equal(calendar_set_day(&f->x, "2027-01-05", "rest", "x", &e), -1);
	assert_string_equal(e.code, "bad_kind");
	/* Reloading a year replaces its days. */
	assert_int_equal(
	        calendar_load_year(&f->x, 2027, "2027-01-01,holiday,元旦\n", 23, NULL, &h, &w, &e),
	        0);
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM calendar_days WHERE day LIKE '2027%'"),
	                 1);
	assert_int_equal(calendar_add_working_days(store_reader(f->s), "2026-12-31", 1, d, &e), 0);
	assert_string_equal(d, "2027-01-04"); /* 01-01 holiday, 01-02/03 weekend */
	/* Every write that reached the domain kernel is audited: load, set, clear, the refused
	   2028 day (calendar_missing in the authorize step), reload. Bad input (the bad CSV, the
	   bad kind) is refused before the write; over HTTP the API layer records those requests. */
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM audit_log WHERE action LIKE "
	                               "'calendar.%'"),
	                 5);
}

/* The default rows of migration 012 are exactly data/calendar/holidays-cn.csv. */
static void test_default_matches_csv(void **state)
{
	struct idfx *f = *state;
	const char *src = getenv("WANGGE_SOURCE_DIR");
	char path[512], line[256];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof path, "%s/data/calendar/holidays-cn.csv", src ? src : "..");
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof line, fp)) {
		char *day = line, *kind, *name, *nl;
		struct store_stmt *st;

		if ((nl = strpbrk(line, "\r\n")))
			*nl = '\0';
		if (!*line || strcmp(line, "date,kind,name") == 0)
			continue;
		kind = strchr(day, ',');
		assert_non_null(kind);
		*kind++ = '\0';
		name = strchr(kind, ',');
		assert_non_null(name);
		*name++ = '\0';
		st = store_prepare(store_reader(f->s),
		                   "SELECT kind, name FROM calendar_days WHERE day = ?");
		store_bind_text(st, 1, day, -1);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_string_equal(store_col_text(st, 0), kind);
		assert_string_equal(store_col_text(st, 1), name);
		store_reset(st);
		n++;
	}
	fclose(fp);
	assert_int_equal(n, 72);
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM calendar_days"), n);
	assert_int_equal(idfx_count(f, "SELECT count(*) FROM calendar_years WHERE year IN (2025, "
	                               "2026)"),
	                 2);
}

static void test_years_json(void **state)
{
	struct idfx *f = *state;
	struct dom_err e = { 0 };
	json_t *o;

	f->x.now = at("2026-11-29T12:00:00+08:00");
	o = calendar_years_json(&f->x, &e);
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
	/* 2026 is loaded, 2027 (next year) is not: the warning lists it. */
	assert_int_equal(json_array_size(json_object_get(o, "missing")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "missing"), 0)),
	                 2027);
	json_decref(o);
	o = calendar_due_days_json(&f->x, "2026-02-12", 5, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "due")), "2026-02-26");
	/* Holidays passed: 02-15 .. 02-23 (nine); special days also list the make-up 02-14. */
	assert_int_equal(json_array_size(json_object_get(o, "holidays_passed")), 9);
	assert_int_equal(json_array_size(json_object_get(o, "special_days")), 10);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spring_festival, setup, teardown),
		cmocka_unit_test_setup_teardown(test_national_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_working_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_office_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_year_and_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_matches_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_years_json, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
