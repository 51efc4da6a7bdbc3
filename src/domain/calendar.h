/*
 * The working-day calendar (R7, R9): weekends, public holidays and make-up working days (调休),
 * loaded per year, and the deadline arithmetic every time limit of the matter flow uses.
 *
 * A year is loaded or missing. In a loaded year a date listed as 'holiday' is a rest day, one
 * listed as 'workday' a working day, and any other date a working day from Monday to Friday. A
 * date of a missing year is never guessed: the arithmetic refuses it with 409 calendar_missing,
 * naming the year, and GET /api/v1/calendar/years lists what is loaded (the calendar page warns
 * about the current and the next year). The default years (data/calendar/holidays-cn.csv) come
 * with migration 012, so every database has them; an administrator loads later years from CSV.
 *
 * Deadlines, both in Asia/Shanghai local time:
 *   working days:  counting starts on the next working day after the date of `from`; the matter
 *                  is due at the end of the last counted day (local 24:00);
 *   working hours: counted inside the office hours of working days (default 09:00-12:00 and
 *                  13:30-17:30, i.e. 7 hours a day; calendar_settings, PUT
 *                  /api/v1/calendar/settings), starting at `from` itself.
 * The yellow warning instant is the point where warn_share_pct of the working time between
 * `from` and the deadline has elapsed, on the calendar: for working hours the office time, for
 * working days the counted days taken as whole days (70% of 5 days is noon of the fourth).
 */
#ifndef WANGGE_DOMAIN_CALENDAR_H
#define WANGGE_DOMAIN_CALENDAR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

struct store_conn;

enum cal_unit { CAL_WORKING_DAYS = 1, CAL_WORKING_HOURS = 2 };

#define CAL_MAX_DAYS 366
#define CAL_MAX_HOURS 2000
#define CAL_PERIODS_MAX 4        /* office-hour periods per day */
#define CAL_WALK_MAX_DAYS 1500   /* a count that finds no end within this many days is refused */
#define CAL_NAME_CHARS 32        /* a special day's name, in characters */
#define CAL_CSV_MAX (256 * 1024) /* a year's CSV */
#define CAL_OFFICE_HOURS_DEFAULT "09:00-12:00,13:30-17:30"

/* Office hours: periods [start, end) in minutes after local midnight, ascending and disjoint. */
struct cal_office_hours {
	int n;
	int start[CAL_PERIODS_MAX], end[CAL_PERIODS_MAX];
};

/* Deadline of `amount` units counted from `from` (UTC seconds); see the file comment. Takes the
   connection it is given (the write connection inside a dom_write apply step, or a reader).
   warn_share_pct 1..99. 0 with *due_at and *warn_at set, or -1 with e: 409 calendar_missing
   (message naming the year) when the count passes through a year with no calendar loaded; 400
   bad_amount for amount < 1 or > CAL_MAX_DAYS days / CAL_MAX_HOURS hours, 400 bad_share; 409
   calendar_no_working_days when no end is found within CAL_WALK_MAX_DAYS; 503 read_failed. */
int calendar_deadline(struct store_conn *c, int64_t from, int amount, enum cal_unit unit,
                      int warn_share_pct, int64_t *due_at, int64_t *warn_at, struct dom_err *e);

/* Date form: the due date of n working days from date "YYYY-MM-DD" (the next working day counts
   as day 1) into due ("YYYY-MM-DD"). 0, or -1 with e as calendar_deadline, or 400 bad_date. */
int calendar_add_working_days(struct store_conn *c, const char *from_date, int n, char due[11],
                              struct dom_err *e);

/* Whether day (days since 1970-01-01, local) is a working day: 0 with *working set, or -1 with e
   (409 calendar_missing, 503). */
int calendar_is_working_day(struct store_conn *c, int64_t day, int *working, struct dom_err *e);

/* "YYYY-MM-DD" -> days since 1970-01-01: 0, or -1 when not a real date in that exact form. */
int calendar_date_parse(const char *s, int64_t *day);
/* days since 1970-01-01 -> "YYYY-MM-DD". */
void calendar_date_format(int64_t day, char out[11]);
/* The local (Asia/Shanghai) day of a UTC instant, and the UTC instant of a local day's 00:00. */
int64_t calendar_local_day(int64_t t);
int64_t calendar_day_start(int64_t day);

/* Parses "HH:MM-HH:MM[,HH:MM-HH:MM...]" (at most CAL_PERIODS_MAX periods, ascending, disjoint,
   each at least 1 minute). 0, or -1 with a Chinese reason in msg. */
int calendar_office_hours_parse(const char *text, struct cal_office_hours *oh, char *msg,
                                size_t msglen);
/* The configured office hours on c: 0, or -1 with e 503. */
int calendar_office_hours_load(struct store_conn *c, struct cal_office_hours *oh,
                               struct dom_err *e);

/* ---- reads for the API (the caller's read connection) ---- */

/* {"items":[{"year","source","loaded_at","holidays","workdays"}...] in year order, "missing":
   [years among the current and the next local year with no calendar], "office_hours": "...",
   "current_year"}. The years are few (one row per year), so the answer is not paged. New
   reference, or NULL with e. */
json_t *calendar_years_json(const struct dom_ctx *x, struct dom_err *e);
/* {"year","loaded","source"?,"days":[{"date","kind","name","weekday"}...]}: the special days of a
   year in date order (at most 366). NULL with e (400 bad_year). */
json_t *calendar_year_json(const struct dom_ctx *x, int year, struct dom_err *e);
/* The due date of n working days after from_date: {"from","working_days","due","due_at",
   "special_days":[{"date","kind","name"}...] (the holidays and make-up days passed),
   "holidays_passed":[dates]}. NULL with e. */
json_t *calendar_due_days_json(const struct dom_ctx *x, const char *from_date, int n,
                               struct dom_err *e);
/* The deadline of n working hours after from_time (RFC 3339, or a date = its 00:00):
   {"from","working_hours","due_at","warn_at","warn_share_pct","office_hours"}. NULL with e. */
json_t *calendar_due_hours_json(const struct dom_ctx *x, const char *from_time, int n,
                                int warn_share_pct, struct dom_err *e);

/* ---- administration (permission calendar.write; audited through dom_write) ---- */

/* Replaces the special days of year with the rows of csv ("date,kind,name" with an optional
   header line; every row's date in that year; kind holiday|workday; blank and '#' lines skipped)
   and marks the year loaded with source (NULL: "upload"). Every bad row is refused before anything
   is written: 400 bad_csv naming the first bad lines. *holidays / *workdays get the counts. */
int calendar_load_year(const struct dom_ctx *x, int year, const char *csv, size_t len,
                       const char *source, int *holidays, int *workdays, struct dom_err *e);
/* Sets one day of a loaded year to kind ("holiday" or "workday") with name, or clears it back
   to the weekday rule when kind is NULL. 409 calendar_missing for a year not loaded. */
int calendar_set_day(const struct dom_ctx *x, const char *date, const char *kind, const char *name,
                     struct dom_err *e);
/* Sets the office hours (text as calendar_office_hours_parse). */
int calendar_set_office_hours(const struct dom_ctx *x, const char *text, struct dom_err *e);

#include "base/banned.h"
#endif
