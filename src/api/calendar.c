/*
 * The working-day calendar over HTTP (docs/api-calendar.md): the loaded years with the warning
 * for missing ones, a year's special days, the due-date calculator, and the administrator's
 * writes (load a year from CSV, set or clear one day, office hours). Reads are open to every
 * logged-in caller (the calendar is public information); writes need calendar.write and are
 * audited by the domain (domain/calendar.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/calendar.h"

void api_calendar_years(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	api_ctx(r, &x);
	out = calendar_years_json(&x, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

/* The :year path parameter: 1 ok, 0 after answering 404. */
static int year_param(struct req *r, int *year)
{
	const char *s = req_param(r, "year");

	if (!s || strlen(s) != 4 || strspn(s, "0123456789") != 4) {
		resp_error(r, 404, "not_found", "年份应为 4 位数字");
		return 0;
	}
	*year = (int)strtol(s, NULL, 10);
	return 1;
}

void api_calendar_year_get(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;
	int year;

	if (!year_param(r, &year))
		return;
	api_ctx(r, &x);
	out = calendar_year_json(&x, year, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

void api_calendar_year_put(struct req *r)
{
	static const char *const allowed[] = { "csv", "source", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *csv, *source;
	int year, holidays, workdays;

	if (!body || !year_param(r, &year) || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "csv", &csv) < 0 ||
	    body_string_or_respond(r, body, "source", &source) < 0)
		return;
	if (!csv) {
		resp_error(r, 400, "bad_csv", "缺少 CSV 内容 csv（date,kind,name 每行一天）");
		return;
	}
	api_ctx(r, &x);
	if (calendar_load_year(&x, year, csv, strlen(csv), source, &holidays, &workdays, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:i,s:i,s:i}", "year", year, "holidays", holidays, "workdays",
	                    workdays));
}

void api_calendar_day_put(struct req *r)
{
	static const char *const allowed[] = { "kind", "name", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *kind, *name;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "kind", &kind) < 0 ||
	    body_string_or_respond(r, body, "name", &name) < 0)
		return;
	if (!kind) {
		resp_error(r, 400, "bad_kind", "缺少类型 kind（holiday 或 workday）");
		return;
	}
	api_ctx(r, &x);
	if (calendar_set_day(&x, req_param(r, "date"), kind, name, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:s,s:s,s:s}", "date", req_param(r, "date"), "kind", kind, "name",
	                    name ? name : ""));
}

void api_calendar_day_delete(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;

	if (body_none_or_respond(r) < 0)
		return;
	api_ctx(r, &x);
	if (calendar_set_day(&x, req_param(r, "date"), NULL, NULL, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200, json_pack("{s:s,s:n}", "date", req_param(r, "date"), "kind"));
}

void api_calendar_settings_put(struct req *r)
{
	static const char *const allowed[] = { "office_hours", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *hours;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "office_hours", &hours) < 0)
		return;
	if (!hours) {
		resp_error(r, 400, "bad_office_hours", "缺少办公时间 office_hours");
		return;
	}
	api_ctx(r, &x);
	if (calendar_set_office_hours(&x, hours, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200, json_pack("{s:s}", "office_hours", hours));
}

void api_calendar_due(struct req *r)
{
	const char *from = req_query(r, "from"), *from_time = req_query(r, "from_time");
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t n, share;
	json_t *out;

	if ((from != NULL) == (from_time != NULL)) {
		resp_error(r, 400, "bad_param",
		           "请给出 from=YYYY-MM-DD 与 working_days=N，或 from_time=RFC 3339 时间与 "
		           "working_hours=N");
		return;
	}
	if (query_int_or_respond(r, "warn_share_pct", 70, 1, 99, &share) < 0)
		return;
	if (from) {
		if (query_int_or_respond(r, "working_days", 0, 1, CAL_MAX_DAYS, &n) < 0)
			return;
	} else if (query_int_or_respond(r, "working_hours", 0, 1, CAL_MAX_HOURS, &n) < 0) {
		return;
	}
	if (n == 0) {
		resp_error(r, 400, "bad_param",
		           from ? "缺少工作日数 working_days" : "缺少工作小时数 working_hours");
		return;
	}
	api_ctx(r, &x);
	out = from ? calendar_due_days_json(&x, from, (int)n, &e)
	           : calendar_due_hours_json(&x, from_time, (int)n, (int)share, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}
