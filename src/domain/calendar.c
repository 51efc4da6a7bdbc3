/*
 * The working-day calendar and deadline arithmetic (see calendar.h). A count walks day by day
 * from its start, asking each day's kind from a small per-call cache that holds whole years (one
 * query for the year's row, one for its special days), so a deadline of a year's length costs a
 * handful of indexed reads. The walk stops at the first day of a missing year it needs, which is
 * what makes the refusal exact: a count that ends on 2026-12-30 never asks about 2027.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/csv.h"
#include "domain/calendar.h"
#include "store/store.h"

#define DAY_SECONDS 86400

/* ---- dates ---- */

int calendar_date_parse(const char *s, int64_t *day)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (!clock_valid_date(y, m, d))
		return -1;
	*day = clock_days_from_civil(y, m, d);
	return 0;
}

void calendar_date_format(int64_t day, char out[11])
{
	int y, m, d;

	clock_civil_from_days(day, &y, &m, &d);
	/* Bounded so the compiler sees the 10 characters: years 0..9999, months and days < 100. */
	(void)snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	               (unsigned)d % 100u);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t calendar_local_day(int64_t t)
{
	return floor_div(t + CLOCK_SHANGHAI_OFFSET, DAY_SECONDS);
}

int64_t calendar_day_start(int64_t day)
{
	return day * DAY_SECONDS - CLOCK_SHANGHAI_OFFSET;
}

static int year_of(int64_t day)
{
	int y, m, d;

	clock_civil_from_days(day, &y, &m, &d);
	return y;
}

/* ---- office hours ---- */

static int hhmm(const char *p, int *minutes)
{
	if (p[0] < '0' || p[0] > '2' || p[1] < '0' || p[1] > '9' || p[2] != ':' || p[3] < '0' ||
	    p[3] > '5' || p[4] < '0' || p[4] > '9')
		return -1;
	*minutes = ((p[0] - '0') * 10 + (p[1] - '0')) * 60 + (p[3] - '0') * 10 + (p[4] - '0');
	return *minutes <= 24 * 60 ? 0 : -1;
}

int calendar_office_hours_parse(const char *text, struct cal_office_hours *oh, char *msg,
                                size_t msglen)
{
	const char *p = text;

	memset(oh, 0, sizeof *oh);
	if (!p || !*p) {
		(void)snprintf(msg, msglen, "办公时间不能为空");
		return -1;
	}
	for (;;) {
		int s, e;

		if (oh->n == CAL_PERIODS_MAX) {
			(void)snprintf(msg, msglen, "办公时间最多 %d 段", CAL_PERIODS_MAX);
			return -1;
		}
		if (strlen(p) < 11 || hhmm(p, &s) < 0 || p[5] != '-' || hhmm(p + 6, &e) < 0) {
			(void)snprintf(msg, msglen,
			               "办公时间格式应为 HH:MM-HH:MM，多段用逗号分隔，例如 %s",
			               CAL_OFFICE_HOURS_DEFAULT);
			return -1;
		}
		if (e <= s || (oh->n > 0 && s < oh->end[oh->n - 1])) {
			(void)snprintf(msg, msglen, "办公时间各段须按时间先后排列且互不重叠");
			return -1;
		}
		oh->start[oh->n] = s;
		oh->end[oh->n] = e;
		oh->n++;
		p += 11;
		if (!*p)
			break;
		if (*p != ',') {
			(void)snprintf(msg, msglen, "办公时间各段之间用逗号分隔");
			return -1;
		}
		p++;
	}
	return 0;
}

/* The office hours text stored on c into text (NULL when unreadable). */
static const char *office_hours_text(struct store_conn *c, char *text, size_t n)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT office_hours FROM calendar_settings WHERE id = 1");
	const char *out = NULL;

	if (!st)
		return NULL;
	if (store_step(st) == STORE_ROW) {
		dom_copy(text, n, store_col_text(st, 0));
		out = text;
	} else {
		dom_copy(text, n, CAL_OFFICE_HOURS_DEFAULT);
		out = text;
	}
	store_reset(st);
	return out;
}

int calendar_office_hours_load(struct store_conn *c, struct cal_office_hours *oh, struct dom_err *e)
{
	char text[128], msg[160];

	if (!office_hours_text(c, text, sizeof text))
		return dom_err_read(e);
	/* A stored value was checked when written; the default is the fallback for a bad one. */
	if (calendar_office_hours_parse(text, oh, msg, sizeof msg) < 0)
		(void)calendar_office_hours_parse(CAL_OFFICE_HOURS_DEFAULT, oh, msg, sizeof msg);
	return 0;
}

/* ---- the per-call year cache ---- */

#define CACHE_YEARS 4

struct cal_cache {
	struct store_conn *c;
	int n;
	int year[CACHE_YEARS];
	int loaded[CACHE_YEARS];
	unsigned char kind[CACHE_YEARS][366]; /* 0 weekday rule, 'h' holiday, 'w' workday */
};

/* Loads year into slot i: 0, or -1 with e 503. */
static int cache_fill(struct cal_cache *k, int i, int year, struct dom_err *e)
{
	struct store_stmt *st;
	char lo[11], hi[11];
	int64_t first = clock_days_from_civil(year, 1, 1);
	int rc;

	k->year[i] = year;
	k->loaded[i] = 0;
	memset(k->kind[i], 0, sizeof k->kind[i]);
	st = store_prepare(k->c, "SELECT 1 FROM calendar_years WHERE year = ?");
	if (!st || store_bind_int64(st, 1, year))
		goto fail;
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		goto fail;
	k->loaded[i] = rc == STORE_ROW;
	if (!k->loaded[i])
		return 0;
	calendar_date_format(first, lo);
	calendar_date_format(clock_days_from_civil(year, 12, 31), hi);
	st = store_prepare(k->c, "SELECT day, kind FROM calendar_days WHERE day >= ? AND day <= ?");
	if (!st || store_bind_text(st, 1, lo, -1) || store_bind_text(st, 2, hi, -1))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t d;

		if (calendar_date_parse(store_col_text(st, 0), &d) == 0 && d - first >= 0 &&
		    d - first < 366)
			k->kind[i][d - first] = store_col_text(st, 1)[0] == 'h' ? 'h' : 'w';
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	return 0;
fail:
	if (st)
		store_reset(st);
	k->n = 0; /* nothing cached can be trusted */
	return dom_err_read(e);
}

static int cache_working(struct cal_cache *k, int64_t day, int *working, struct dom_err *e)
{
	int year = year_of(day), i;
	unsigned char kind;

	for (i = 0; i < k->n; i++)
		if (k->year[i] == year)
			break;
	if (i == k->n) {
		if (k->n < CACHE_YEARS)
			k->n++;
		else
			i = 0; /* a walk moves forward: the oldest year is no longer needed */
		if (cache_fill(k, i, year, e) < 0)
			return -1;
	}
	if (!k->loaded[i])
		return dom_err_set(e, 409, "calendar_missing",
		                   "%d 年的工作日历尚未载入，无法按工作日计算期限；"
		                   "请管理员先载入该年的节假日和调休安排",
		                   year);
	kind = k->kind[i][day - clock_days_from_civil(year, 1, 1)];
	if (kind == 'h')
		*working = 0;
	else if (kind == 'w')
		*working = 1;
	else
		*working = clock_weekday(day) != 0 && clock_weekday(day) != 6;
	return 0;
}

int calendar_is_working_day(struct store_conn *c, int64_t day, int *working, struct dom_err *e)
{
	struct cal_cache *k = calloc(1, sizeof *k);
	int rc;

	if (!k)
		return dom_err_set(e, 500, "internal", "内存不足");
	k->c = c;
	rc = cache_working(k, day, working, e);
	free(k);
	return rc;
}

/* ---- the walk ---- */

/*
 * The instant where `secs` seconds of working time have elapsed after t0, counting working time
 * as the intervals of working days from first_day on: for CAL_WORKING_DAYS the whole day
 * [00:00, 24:00), for CAL_WORKING_HOURS each office period. An amount that ends exactly at the
 * end of an interval is due at that end (24:00, 17:30), not at the next start.
 */
static int walk(struct cal_cache *k, const struct cal_office_hours *oh, enum cal_unit unit,
                int64_t t0, int64_t first_day, int64_t secs, int64_t *out, struct dom_err *e)
{
	for (int64_t d = first_day; d < first_day + CAL_WALK_MAX_DAYS; d++) {
		int working, n = unit == CAL_WORKING_DAYS ? 1 : oh->n;

		if (cache_working(k, d, &working, e) < 0)
			return -1;
		if (!working)
			continue;
		for (int i = 0; i < n; i++) {
			int64_t s = calendar_day_start(d), en;

			if (unit == CAL_WORKING_DAYS) {
				en = s + DAY_SECONDS;
			} else {
				en = s + (int64_t)oh->end[i] * 60;
				s += (int64_t)oh->start[i] * 60;
			}
			if (en <= t0)
				continue;
			if (s < t0)
				s = t0;
			if (secs <= en - s) {
				*out = s + secs;
				return 0;
			}
			secs -= en - s;
		}
	}
	return dom_err_set(e, 409, "calendar_no_working_days",
	                   "在 %d 天内找不到足够的工作时间，请检查工作日历", CAL_WALK_MAX_DAYS);
}

int calendar_deadline(struct store_conn *c, int64_t from, int amount, enum cal_unit unit,
                      int warn_share_pct, int64_t *due_at, int64_t *warn_at, struct dom_err *e)
{
	struct cal_office_hours oh = { 0 };
	struct cal_cache *k = NULL;
	int64_t total, t0, first_day;
	int rc = -1;

	*due_at = *warn_at = 0;
	if (unit != CAL_WORKING_DAYS && unit != CAL_WORKING_HOURS) {
		rc = dom_err_set(e, 400, "bad_unit", "时限单位应为工作日或工作小时");
		goto out;
	}
	if (amount < 1 || amount > (unit == CAL_WORKING_DAYS ? CAL_MAX_DAYS : CAL_MAX_HOURS)) {
		rc = dom_err_set(e, 400, "bad_amount", "时限应为 1 到 %d 个%s",
		                 unit == CAL_WORKING_DAYS ? CAL_MAX_DAYS : CAL_MAX_HOURS,
		                 unit == CAL_WORKING_DAYS ? "工作日" : "工作小时");
		goto out;
	}
	if (warn_share_pct < 1 || warn_share_pct > 99) {
		rc = dom_err_set(e, 400, "bad_share", "预警比例应为 1 到 99 之间的整数");
		goto out;
	}
	if (!(k = calloc(1, sizeof *k))) {
		rc = dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	k->c = c;
	if (unit == CAL_WORKING_DAYS) {
		/* Counting starts on the day after the date of `from`, at its 00:00. */
		first_day = calendar_local_day(from) + 1;
		t0 = calendar_day_start(first_day);
		total = (int64_t)amount * DAY_SECONDS;
	} else {
		if (calendar_office_hours_load(c, &oh, e) < 0)
			goto out;
		first_day = calendar_local_day(from);
		t0 = from;
		total = (int64_t)amount * 3600;
	}
	if (walk(k, &oh, unit, t0, first_day, total, due_at, e) < 0 ||
	    walk(k, &oh, unit, t0, first_day, total * warn_share_pct / 100, warn_at, e) < 0)
		goto out;
	rc = 0;
out:
	free(k);
	if (rc < 0)
		*due_at = *warn_at = 0;
	return rc;
}

int calendar_add_working_days(struct store_conn *c, const char *from_date, int n, char due[11],
                              struct dom_err *e)
{
	int64_t day, due_at, warn_at;

	due[0] = '\0';
	if (calendar_date_parse(from_date, &day) < 0)
		return dom_err_set(e, 400, "bad_date", "日期格式应为 YYYY-MM-DD");
	if (calendar_deadline(c, calendar_day_start(day), n, CAL_WORKING_DAYS, 50, &due_at,
	                      &warn_at, e) < 0)
		return -1;
	/* Due at 24:00 of the last counted day: that day is the one the second before. */
	calendar_date_format(calendar_local_day(due_at - 1), due);
	return 0;
}

/* ---- reads ---- */

json_t *calendar_years_json(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st = NULL;
	json_t *items = NULL, *missing = NULL, *out = NULL;
	int cur = year_of(calendar_local_day(x->now)), have_cur = 0, have_next = 0, rc;
	char text[128];

	if (!c)
		return NULL;
	if (!(items = json_array()) || !(missing = json_array()))
		goto fail;
	st = store_prepare(c, "SELECT y.year, y.source, y.loaded_at, "
	                      "(SELECT count(*) FROM calendar_days d WHERE d.day >= y.year || "
	                      "'-01-01' AND d.day <= y.year || '-12-31' AND d.kind = 'holiday'), "
	                      "(SELECT count(*) FROM calendar_days d WHERE d.day >= y.year || "
	                      "'-01-01' AND d.day <= y.year || '-12-31' AND d.kind = 'workday') "
	                      "FROM calendar_years y ORDER BY y.year");
	if (!st)
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		int year = (int)store_col_int64(st, 0);
		int64_t at = store_col_int64(st, 2);
		char when[32];
		json_t *o = json_pack("{s:i,s:s,s:I,s:I}", "year", year, "source",
		                      store_col_text(st, 1), "holidays",
		                      (json_int_t)store_col_int64(st, 3), "workdays",
		                      (json_int_t)store_col_int64(st, 4));

		if (!o)
			goto fail;
		/* The default years were loaded by the migration: no time of loading to show. */
		json_object_set_new(o, "loaded_at",
		                    at > 0 ? json_string(clock_format_local(at, when, sizeof when))
		                           : json_null());
		json_array_append_new(items, o);
		have_cur |= year == cur;
		have_next |= year == cur + 1;
	}
	store_reset(st);
	st = NULL;
	if (rc != STORE_DONE)
		goto fail;
	if (!have_cur)
		json_array_append_new(missing, json_integer(cur));
	if (!have_next)
		json_array_append_new(missing, json_integer(cur + 1));
	if (!office_hours_text(c, text, sizeof text))
		goto fail;
	out = json_pack("{s:o,s:o,s:s,s:i}", "items", items, "missing", missing, "office_hours",
	                text, "current_year", cur);
	items = missing = NULL;
	if (!out)
		goto fail;
	return out;
fail:
	if (st)
		store_reset(st);
	json_decref(items);
	json_decref(missing);
	dom_err_read(e);
	return NULL;
}

/* Appends the special days d in [lo, hi] (dates) to arr as {"date","kind","name","weekday"}. */
static int special_days(struct store_conn *c, const char *lo, const char *hi, json_t *arr)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT day, kind, name FROM calendar_days WHERE day >= ? AND day <= ? "
	           "ORDER BY day");
	int rc;

	if (!st || store_bind_text(st, 1, lo, -1) || store_bind_text(st, 2, hi, -1))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t d = 0;

		(void)calendar_date_parse(store_col_text(st, 0), &d);
		if (json_array_append_new(
		            arr, json_pack("{s:s,s:s,s:s,s:i}", "date", store_col_text(st, 0),
		                           "kind", store_col_text(st, 1), "name",
		                           store_col_text(st, 2), "weekday", clock_weekday(d))) < 0)
			goto fail;
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
fail:
	if (st)
		store_reset(st);
	return -1;
}

json_t *calendar_year_json(const struct dom_ctx *x, int year, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *days = NULL, *out = NULL;
	char lo[11], hi[11];
	int rc;

	if (!c)
		return NULL;
	if (year < 2000 || year > 2100) {
		dom_err_set(e, 400, "bad_year", "年份应在 2000 到 2100 之间");
		return NULL;
	}
	if (!(st = store_prepare(c, "SELECT source FROM calendar_years WHERE year = ?")) ||
	    store_bind_int64(st, 1, year))
		goto fail;
	rc = store_step(st);
	if (rc != STORE_ROW && rc != STORE_DONE) {
		store_reset(st);
		goto fail;
	}
	out = json_pack("{s:i,s:b}", "year", year, "loaded", rc == STORE_ROW);
	if (out && rc == STORE_ROW)
		json_object_set_new(out, "source", json_string(store_col_text(st, 0)));
	store_reset(st);
	if (!out || !(days = json_array()))
		goto fail;
	calendar_date_format(clock_days_from_civil(year, 1, 1), lo);
	calendar_date_format(clock_days_from_civil(year, 12, 31), hi);
	if (special_days(c, lo, hi, days) < 0)
		goto fail;
	json_object_set_new(out, "days", days);
	return out;
fail:
	json_decref(days);
	json_decref(out);
	dom_err_read(e);
	return NULL;
}

json_t *calendar_due_days_json(const struct dom_ctx *x, const char *from_date, int n,
                               struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	json_t *out = NULL, *special = NULL, *passed = NULL;
	int64_t from, due_at, warn_at;
	char due[11], lo[11], when[32];
	size_t i;
	json_t *v;

	if (!c)
		return NULL;
	if (calendar_date_parse(from_date, &from) < 0) {
		dom_err_set(e, 400, "bad_date", "起始日期 from 的格式应为 YYYY-MM-DD");
		return NULL;
	}
	if (calendar_deadline(c, calendar_day_start(from), n, CAL_WORKING_DAYS, 50, &due_at,
	                      &warn_at, e) < 0)
		return NULL;
	calendar_date_format(calendar_local_day(due_at - 1), due);
	calendar_date_format(from + 1, lo);
	if (!(special = json_array()) || !(passed = json_array()) ||
	    special_days(c, lo, due, special) < 0)
		goto fail;
	json_array_foreach(special, i, v) if (strcmp(json_string_value(json_object_get(v, "kind")),
	                                             "holiday") == 0)
	        json_array_append(passed, json_object_get(v, "date"));
	out = json_pack("{s:s,s:i,s:s,s:s,s:o,s:o}", "from", from_date, "working_days", n, "due",
	                due, "due_at", clock_format_local(due_at, when, sizeof when),
	                "special_days", special, "holidays_passed", passed);
	special = passed = NULL;
	if (!out)
		goto fail;
	return out;
fail:
	json_decref(special);
	json_decref(passed);
	dom_err_read(e);
	return NULL;
}

json_t *calendar_due_hours_json(const struct dom_ctx *x, const char *from_time, int n,
                                int warn_share_pct, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int64_t from, due_at, warn_at;
	char a[32], b[32], f[32], text[128];
	json_t *out;

	if (!c)
		return NULL;
	if (!from_time || clock_parse(from_time, &from) < 0) {
		dom_err_set(
		        e, 400, "bad_time",
		        "起始时间 from_time 应为 RFC 3339 时间，例如 2026-02-13T16:00:00+08:00");
		return NULL;
	}
	if (calendar_deadline(c, from, n, CAL_WORKING_HOURS, warn_share_pct, &due_at, &warn_at, e) <
	    0)
		return NULL;
	if (!office_hours_text(c, text, sizeof text)) {
		dom_err_read(e);
		return NULL;
	}
	out = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s}", "from", clock_format_local(from, f, sizeof f),
	                "working_hours", n, "due_at", clock_format_local(due_at, a, sizeof a),
	                "warn_at", clock_format_local(warn_at, b, sizeof b), "warn_share_pct",
	                warn_share_pct, "office_hours", text);
	if (!out)
		dom_err_set(e, 500, "internal", "内存不足");
	return out;
}

/* ---- administration ---- */

#define CSV_ERRORS_SHOWN 5

struct load_row {
	char day[11];
	char kind[8];
	char name[CAL_NAME_CHARS * 4 + 1];
};

struct load_arg {
	int year;
	const char *source;
	struct load_row *rows;
	size_t n;
	int holidays, workdays;
};

/* Checks a special day's name: 0, or -1 with the reason in msg. */
static int name_ok(const char *name, char *msg, size_t msglen)
{
	if (!name || !*name) {
		(void)snprintf(msg, msglen, "名称不能为空");
		return -1;
	}
	if (dom_utf8_chars(name) > CAL_NAME_CHARS || strlen(name) > CAL_NAME_CHARS * 4) {
		(void)snprintf(msg, msglen, "名称最多 %d 个字", CAL_NAME_CHARS);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			(void)snprintf(msg, msglen, "名称不能包含控制字符");
			return -1;
		}
	return 0;
}

/* Parses the CSV into a->rows; 0, or -1 with e 400 bad_csv (the first bad lines) or 500. */
static int load_parse(struct load_arg *a, const char *csv, size_t len, struct dom_err *e)
{
	struct csv_reader r;
	struct buf f[3];
	struct buf errs;
	size_t cap = 0;
	int nf, line, nerr = 0, rc = -1;

	for (int i = 0; i < 3; i++)
		buf_init(&f[i], 1024);
	buf_init(&errs, 2048);
	csv_reader_init(&r, csv, len);
	while ((nf = csv_read(&r, f, 3, &line)) > 0) {
		const char *d = f[0].data, *k = f[1].data, *name = f[2].data;
		char msg[128] = "";
		int64_t day;

		if ((nf == 1 && !*d) || d[0] == '#')
			continue;
		if (line == 1 && strcmp(d, "date") == 0)
			continue; /* the header */
		if (nf != 3)
			(void)snprintf(msg, sizeof msg, "应有 3 列（date,kind,name），实有 %d 列",
			               nf);
		else if (calendar_date_parse(d, &day) < 0)
			(void)snprintf(msg, sizeof msg, "日期“%.16s”格式应为 YYYY-MM-DD", d);
		else if (year_of(day) != a->year)
			(void)snprintf(msg, sizeof msg, "日期 %s 不在 %d 年", d, a->year);
		else if (strcmp(k, "holiday") != 0 && strcmp(k, "workday") != 0)
			(void)snprintf(msg, sizeof msg, "类型应为 holiday 或 workday");
		else if (name_ok(name, msg, sizeof msg) < 0)
			; /* msg set */
		else
			for (size_t i = 0; i < a->n; i++)
				if (strcmp(a->rows[i].day, d) == 0)
					(void)snprintf(msg, sizeof msg, "日期 %s 重复", d);
		if (msg[0]) {
			if (nerr++ < CSV_ERRORS_SHOWN)
				(void)buf_printf(&errs, "%s第 %d 行：%s", nerr > 1 ? "；" : "",
				                 line, msg);
			continue;
		}
		if (a->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct load_row *nr;

			if (ncap > 366 * 2 || !(nr = reallocarray(a->rows, ncap, sizeof *nr))) {
				rc = dom_err_set(e, 400, "bad_csv",
				                 "一年的特殊日期不能超过 366 个");
				goto out;
			}
			a->rows = nr;
			cap = ncap;
		}
		dom_copy(a->rows[a->n].day, sizeof a->rows[a->n].day, d);
		dom_copy(a->rows[a->n].kind, sizeof a->rows[a->n].kind, k);
		dom_copy(a->rows[a->n].name, sizeof a->rows[a->n].name, name);
		if (k[0] == 'h')
			a->holidays++;
		else
			a->workdays++;
		a->n++;
	}
	if (nf < 0) {
		rc = dom_err_set(e, 400, "bad_csv", "CSV 格式错误（引号未闭合或字段过长）");
		goto out;
	}
	if (nerr) {
		rc = dom_err_set(e, 400, "bad_csv", "%d 行有错误，未载入任何数据：%s%s", nerr,
		                 errs.data, nerr > CSV_ERRORS_SHOWN ? "……" : "");
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < 3; i++)
		buf_release(&f[i]);
	buf_release(&errs);
	return rc;
}

static int load_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	struct load_arg *a = w->arg;
	char lo[11], hi[11];

	calendar_date_format(clock_days_from_civil(a->year, 1, 1), lo);
	calendar_date_format(clock_days_from_civil(a->year, 12, 31), hi);
	if (dom_exec(c, e, "DELETE FROM calendar_days WHERE day >= ? AND day <= ?", "tt", lo, hi) <
	    0)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (dom_exec(c, e, "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)",
		             "ttt", a->rows[i].day, a->rows[i].kind, a->rows[i].name) < 0)
			return -1;
	if (dom_exec(
	            c, e,
	            "INSERT INTO calendar_years (year, source, loaded_at, loaded_by) "
	            "VALUES (?, ?, ?, ?) ON CONFLICT(year) DO UPDATE SET source = excluded.source, "
	            "loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by",
	            "itin", (int64_t)a->year, a->source, x->now, x->caller->user_id) < 0)
		return -1;
	dom_write_detail(w, "载入 %d 年工作日历：%d 个节假日，%d 个调休上班日（来源：%.200s）",
	                 a->year, a->holidays, a->workdays, a->source);
	return 0;
}

int calendar_load_year(const struct dom_ctx *x, int year, const char *csv, size_t len,
                       const char *source, int *holidays, int *workdays, struct dom_err *e)
{
	struct load_arg a = { .year = year, .source = source && *source ? source : "upload" };
	/* The calendar is one for the whole deployment: the permission is the whole rule. */
	struct dom_write w = { .action = "calendar.load_year",
		               .permission = "calendar.write",
		               .authorize = dom_authorize_any,
		               .apply = load_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	int rc = -1;

	*holidays = *workdays = 0;
	if (year < 2000 || year > 2100) {
		rc = dom_err_set(e, 400, "bad_year", "年份应在 2000 到 2100 之间");
		goto out;
	}
	if (!csv || len > CAL_CSV_MAX) {
		rc = dom_err_set(e, 400, "bad_csv", "CSV 内容为空或超过 %d KB", CAL_CSV_MAX / 1024);
		goto out;
	}
	if (strlen(a.source) > 200) {
		rc = dom_err_set(e, 400, "bad_source", "来源说明过长");
		goto out;
	}
	if (load_parse(&a, csv, len, e) < 0)
		goto out;
	dom_write_object(&w, "calendar:%d", year);
	if (dom_write(x, &w, e) < 0)
		goto out;
	*holidays = a.holidays;
	*workdays = a.workdays;
	rc = 0;
out:
	free(a.rows);
	return rc;
}

struct day_arg {
	char day[11];
	const char *kind, *name;
	int year;
};

static int day_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct day_arg *a = w->arg;
	struct store_stmt *st = store_prepare(c, "SELECT 1 FROM calendar_years WHERE year = ?");
	int rc;

	(void)x;
	if (!st || store_bind_int64(st, 1, a->year)) {
		if (st)
			store_reset(st);
		return dom_err_read(e);
	}
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_DONE)
		return dom_err_set(e, 409, "calendar_missing",
		                   "%d 年的工作日历尚未载入，请先载入该年的节假日安排再修改单日",
		                   a->year);
	return rc == STORE_ROW ? 0 : dom_err_read(e);
}

static int day_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                     struct dom_err *e)
{
	struct day_arg *a = w->arg;

	(void)x;
	if (!a->kind) {
		if (dom_exec(c, e, "DELETE FROM calendar_days WHERE day = ?", "t", a->day) < 0)
			return -1;
		dom_write_detail(w, "恢复 %s 为按星期计算", a->day);
		return 0;
	}
	if (dom_exec(c, e,
	             "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?) "
	             "ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
	             "ttt", a->day, a->kind, a->name) < 0)
		return -1;
	dom_write_detail(w, "设置 %s 为%s：%.100s", a->day,
	                 a->kind[0] == 'h' ? "节假日" : "调休上班日", a->name);
	return 0;
}

int calendar_set_day(const struct dom_ctx *x, const char *date, const char *kind, const char *name,
                     struct dom_err *e)
{
	struct day_arg a = { .kind = kind, .name = name };
	struct dom_write w = { .action = kind ? "calendar.set_day" : "calendar.clear_day",
		               .permission = "calendar.write",
		               .authorize = day_authorize,
		               .apply = day_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	char msg[128];
	int64_t day;

	if (calendar_date_parse(date, &day) < 0)
		return dom_err_set(e, 404, "not_found", "日期格式应为 YYYY-MM-DD");
	calendar_date_format(day, a.day);
	a.year = year_of(day);
	if (kind && strcmp(kind, "holiday") != 0 && strcmp(kind, "workday") != 0)
		return dom_err_set(e, 400, "bad_kind",
		                   "类型 kind 应为 holiday（节假日）或 workday（调休上班）");
	if (kind && name_ok(name, msg, sizeof msg) < 0)
		return dom_err_set(e, 400, "bad_name", "%s", msg);
	dom_write_object(&w, "calendar:%s", a.day);
	return dom_write(x, &w, e);
}

static int hours_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	const char *text = w->arg;

	if (dom_exec(c, e,
	             "INSERT INTO calendar_settings (id, office_hours, updated_at, updated_by) "
	             "VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET office_hours = "
	             "excluded.office_hours, updated_at = excluded.updated_at, updated_by = "
	             "excluded.updated_by",
	             "tin", text, x->now, x->caller->user_id) < 0)
		return -1;
	dom_write_detail(w, "办公时间设为 %s", text);
	return 0;
}

int calendar_set_office_hours(const struct dom_ctx *x, const char *text, struct dom_err *e)
{
	struct cal_office_hours oh;
	char msg[160];
	struct dom_write w = { .action = "calendar.office_hours",
		               .permission = "calendar.write",
		               .authorize = dom_authorize_any, /* deployment-wide setting */
		               .apply = hours_apply,
		               .arg = (void *)(uintptr_t)text,
		               .callers_unchanged = 1 };

	if (calendar_office_hours_parse(text, &oh, msg, sizeof msg) < 0)
		return dom_err_set(e, 400, "bad_office_hours", "%s", msg);
	dom_write_object(&w, "calendar:office_hours");
	return dom_write(x, &w, e);
}
