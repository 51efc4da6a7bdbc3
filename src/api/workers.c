/*
 * Grid workers over HTTP (docs/api-workers.md): /api/v1/workers and /api/v1/workers/:id with its
 * grids, exit procedure, attestations and workforce records; the staffing compliance report
 * (JSON and .xlsx) and the exception marks of a grid; the CSV or .xlsx import and the .xlsx
 * export.
 * Handlers parse and validate the request, call domain/worker, domain/staffing and
 * domain/worker_import, and render. ID and phone numbers leave masked unless the caller holds
 * sensitive.unmask and gives ?unmask=1&reason=... (recorded, as for users).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/xlsx_read.h"
#include "domain/staffing.h"
#include "domain/worker.h"
#include "domain/worker_import.h"

/* ---- the worker ---- */

static const char *const worker_fields[] = {
	"name",
	"id_number",
	"nationality",
	"phone",
	"work_phone",
	"employment",
	"part_time_source",
	"education",
	"certificate_no",
	"certificate_valid_to",
	"region",
	"start_date",
	"user_id",
	"status",
	"status_date",
	"version",
	NULL,
};

/* The members of body into in (strings borrowed from it). creating: status, status_date and
   version are refused. -1 after answering 400. */
static int read_input(struct req *r, json_t *body, struct worker_input *in, int creating)
{
	static const char *const create_fields[] = {
		"name",
		"id_number",
		"nationality",
		"phone",
		"work_phone",
		"employment",
		"part_time_source",
		"education",
		"certificate_no",
		"certificate_valid_to",
		"region",
		"start_date",
		"user_id",
		NULL,
	};
	json_t *u, *v;

	if (body_keys_or_respond(r, body, creating ? create_fields : worker_fields, "") < 0 ||
	    body_string_or_respond(r, body, "name", &in->name) < 0 ||
	    body_string_or_respond(r, body, "id_number", &in->id_number) < 0 ||
	    body_string_or_respond(r, body, "nationality", &in->nationality) < 0 ||
	    body_string_or_respond(r, body, "phone", &in->phone) < 0 ||
	    body_string_or_respond(r, body, "work_phone", &in->work_phone) < 0 ||
	    body_string_or_respond(r, body, "employment", &in->employment) < 0 ||
	    body_string_or_respond(r, body, "part_time_source", &in->part_time_source) < 0 ||
	    body_string_or_respond(r, body, "education", &in->education) < 0 ||
	    body_string_or_respond(r, body, "certificate_no", &in->certificate_no) < 0 ||
	    body_string_or_respond(r, body, "certificate_valid_to", &in->certificate_valid_to) <
	            0 ||
	    body_string_or_respond(r, body, "region", &in->region) < 0 ||
	    body_string_or_respond(r, body, "start_date", &in->start_date) < 0 ||
	    body_string_or_respond(r, body, "status", &in->status) < 0 ||
	    body_string_or_respond(r, body, "status_date", &in->status_date) < 0)
		return -1;
	u = json_object_get(body, "user_id");
	if (u && json_is_null(u)) {
		in->user_id = creating ? -1 : 0;
	} else if (u) {
		if (!json_is_integer(u) || json_integer_value(u) <= 0) {
			resp_error(r, 400, "bad_field", "字段 user_id 应为正整数或 null");
			return -1;
		}
		in->user_id = json_integer_value(u);
	}
	v = json_object_get(body, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0)) {
		resp_error(r, 400, "bad_field", "字段 version 应为正整数");
		return -1;
	}
	in->version = v ? json_integer_value(v) : 0;
	if (creating && !in->employment) {
		resp_error(r, 400, "bad_employment",
		           "缺少用工类型 employment（full_time 或 part_time）");
		return -1;
	}
	if (creating && !in->region) {
		resp_error(r, 400, "bad_region", "缺少所属区划 region");
		return -1;
	}
	if (creating && !in->name) {
		resp_error(r, 400, "bad_name", "缺少姓名 name");
		return -1;
	}
	return 0;
}

/* Answers worker id with status; unmask records the unmasking. */
static void respond_worker(struct req *r, const struct dom_ctx *x, int status, int64_t id,
                           int unmask)
{
	struct dom_err e = { 0 };
	struct worker w;
	json_t *o;

	if (worker_get(x, id, &w, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	o = worker_to_json(x, &w, unmask);
	memset(&w, 0, sizeof w);
	if (!o) {
		resp_error(r, 500, "internal", "内部错误");
		return;
	}
	if (unmask) {
		char obj[40];

		(void)snprintf(obj, sizeof obj, "worker:%" PRId64, id);
		api_unmask_record(r, obj);
	}
	resp_json(r, status, o);
}

/* The list filters from the query string. */
static void read_filter(struct req *r, struct worker_filter *f)
{
	const char *v;

	memset(f, 0, sizeof *f);
#define Q(field, name)                                                                             \
	do {                                                                                       \
		v = req_query(r, name);                                                            \
		f->field = v && *v ? v : NULL;                                                     \
	} while (0)
	Q(region, "region");
	Q(employment, "employment");
	Q(status, "status");
	Q(cert_before, "cert_before");
	Q(grid, "grid");
#undef Q
}

void api_workers_list(struct req *r)
{
	struct worker_filter f;
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	json_t *out;
	int um;

	read_filter(r, &f);
	if (api_page_or_respond(r, &pg) < 0 || (um = api_unmask_requested(r)) < 0)
		return;
	api_ctx(r, &x);
	if (!(out = worker_list(&x, &f, &pg, um, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	if (um)
		api_unmask_record(r, "workers:list");
	resp_json(r, 200, out);
}

void api_workers_create(struct req *r)
{
	struct worker_input in = WORKER_INPUT_INIT;
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id = 0;

	if (!body || read_input(r, body, &in, 1) < 0)
		return;
	api_ctx(r, &x);
	if (worker_create(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_worker(r, &x, 201, id, 0);
}

void api_workers_get(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	struct worker w;
	int64_t id;
	int um;

	if (api_id_param(r, "id", &id) < 0)
		return;
	/* Out of scope answers 404 before anything about unmasking is said. */
	api_ctx(r, &x);
	if (worker_get(&x, id, &w, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	memset(&w, 0, sizeof w);
	if ((um = api_unmask_requested(r)) < 0)
		return;
	respond_worker(r, &x, 200, id, um);
}

void api_workers_update(struct req *r)
{
	struct worker_input in = WORKER_INPUT_INIT;
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 || read_input(r, body, &in, 0) < 0)
		return;
	api_ctx(r, &x);
	if (worker_update(&x, id, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_worker(r, &x, 200, id, 0);
}

void api_workers_set_grids(struct req *r)
{
	static const char *const allowed[] = { "grids", NULL };
	static const char *const item_keys[] = { "code", "lead", NULL };
	struct worker_grid_input gs[WORKER_GRIDS_MAX];
	json_t *body = req_json_or_respond(r), *a, *it;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;
	size_t i;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	a = json_object_get(body, "grids");
	if (!json_is_array(a) || json_array_size(a) > WORKER_GRIDS_MAX) {
		resp_error(r, 400, "bad_request", "grids 应为至多 50 项的数组");
		return;
	}
	json_array_foreach(a, i, it)
	{
		json_t *lead;

		if (!json_is_object(it) || body_keys_or_respond(r, it, item_keys, "grids：") < 0) {
			if (!json_is_object(it))
				resp_error(r, 400, "bad_request",
				           "grids 的每一项应为 {code, lead}");
			return;
		}
		lead = json_object_get(it, "lead");
		if (!json_is_string(json_object_get(it, "code")) ||
		    (lead && !json_is_boolean(lead))) {
			resp_error(r, 400, "bad_request",
			           "grids 的每一项应为 {\"code\": 网格编码, \"lead\": true/false}");
			return;
		}
		gs[i].code = json_string_value(json_object_get(it, "code"));
		gs[i].lead = json_is_true(lead);
	}
	api_ctx(r, &x);
	if (worker_set_grids(&x, id, gs, json_array_size(a), &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_worker(r, &x, 200, id, 0);
}

void api_workers_exit(struct req *r)
{
	static const char *const allowed[] = { "date", "reason", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	const char *date, *reason;
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "date", &date) < 0 ||
	    body_string_or_respond(r, body, "reason", &reason) < 0)
		return;
	api_ctx(r, &x);
	if (worker_exit(&x, id, date, reason, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_worker(r, &x, 200, id, 0);
}

/* ---- attestations ---- */

void api_workers_attestations(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;
	json_t *a;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	if (!(a = worker_attestations(&x, id, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, json_pack("{s:o}", "items", a));
}

void api_workers_attest(struct req *r)
{
	static const char *const allowed[] = { "item", "note", NULL };
	json_t *body = req_json_or_respond(r), *a;
	struct dom_err e = { 0 };
	const char *item, *note;
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "item", &item) < 0 ||
	    body_string_or_respond(r, body, "note", &note) < 0)
		return;
	api_ctx(r, &x);
	if (worker_attest(&x, id, item, note, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	if (!(a = worker_attestations(&x, id, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 201, json_pack("{s:o}", "items", a));
}

/* ---- workforce records ---- */

/* A decimal member (string "12.50" or a JSON number) into text; NULL when absent. -1 after
   answering 400. */
static int decimal_member(struct req *r, json_t *body, const char *key, int decimals, char out[32],
                          const char **val)
{
	json_t *v = json_object_get(body, key);

	*val = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*val = json_string_value(v);
		return 0;
	}
	if (json_is_number(v)) {
		double d = json_number_value(v), scale = decimals == 2 ? 100.0 : 10.0;

		if (d >= 0 && d < 1e10 && fabs(d * scale - round(d * scale)) < 1e-6) {
			(void)snprintf(out, 32, "%.*f", decimals, d);
			*val = out;
			return 0;
		}
	}
	{
		char msg[128];

		(void)snprintf(msg, sizeof msg, "字段 %s 应为最多 %d 位小数的非负数", key,
		               decimals);
		resp_error(r, 400, decimals == 2 ? "bad_amount" : "bad_field", msg);
	}
	return -1;
}

void api_workers_records_add(struct req *r)
{
	static const char *const allowed[] = { "kind",      "date",   "topic",       "hours",
		                               "organiser", "amount", "period_from", "period_to",
		                               "note",      NULL };
	struct worker_record_input in = { .hours_tenths = -1, .amount_cents = -1 };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	char hb[32], ab[32];
	const char *hours, *amount;
	struct dom_ctx x;
	int64_t id, rid = 0;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "kind", &in.kind) < 0 ||
	    body_string_or_respond(r, body, "date", &in.date) < 0 ||
	    body_string_or_respond(r, body, "topic", &in.topic) < 0 ||
	    body_string_or_respond(r, body, "organiser", &in.organiser) < 0 ||
	    body_string_or_respond(r, body, "period_from", &in.period_from) < 0 ||
	    body_string_or_respond(r, body, "period_to", &in.period_to) < 0 ||
	    body_string_or_respond(r, body, "note", &in.note) < 0 ||
	    decimal_member(r, body, "hours", 1, hb, &hours) < 0 ||
	    decimal_member(r, body, "amount", 2, ab, &amount) < 0)
		return;
	if (hours && worker_hours_parse(hours, &in.hours_tenths) < 0) {
		resp_error(r, 400, "bad_field", "学时 hours 应为大于 0 的数，最多一位小数");
		return;
	}
	if (amount && worker_amount_parse(amount, &in.amount_cents) < 0) {
		resp_error(r, 400, "bad_amount",
		           "金额 amount 应为以元为单位、最多两位小数的非负数");
		return;
	}
	api_ctx(r, &x);
	if (worker_record_add(&x, id, &in, &rid, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)rid));
}

void api_workers_records(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	const char *kind = req_query(r, "kind");
	int64_t id;
	json_t *out;

	if (api_id_param(r, "id", &id) < 0 || api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	if (!(out = worker_records(&x, id, kind && *kind ? kind : NULL, &pg, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

/* ---- compliance ---- */

void api_workers_compliance(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	api_ctx(r, &x);
	if (!(out = staffing_report(&x, req_query(r, "region"), &e))) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

void api_workers_compliance_xlsx(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char *data;
	size_t len;

	api_ctx(r, &x);
	if (staffing_export_xlsx(&x, req_query(r, "region"), &data, &len, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_respond_xlsx(r, x.now, "staffing", data, len);
}

void api_workers_export_xlsx(struct req *r)
{
	struct worker_filter f;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char *data;
	size_t len;

	read_filter(r, &f);
	api_ctx(r, &x);
	if (worker_export_xlsx(&x, &f, &data, &len, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_respond_xlsx(r, x.now, "workers", data, len);
}

void api_workers_import(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	const struct buf *body = req_body(r);
	struct dom_err e = { 0 };
	json_t *errors = NULL, *err;
	struct dom_ctx x;
	int n;

	if (ct && strncasecmp(ct, XLSX_MIME, strlen(XLSX_MIME)) == 0) {
		api_ctx(r, &x);
		n = worker_import_xlsx(&x, body ? body->data : "", body ? body->len : 0, &errors,
		                       &e);
	} else if (ct && (strncasecmp(ct, "text/csv", 8) == 0 ||
	                  strncasecmp(ct, "text/plain", 10) == 0)) {
		/* A workbook sent as CSV would only give a confusing header error. */
		if (body && xlsx_looks_like_zip(body->data, body->len)) {
			resp_error(r, 415, "unsupported_type",
			           "文件内容是 Excel 工作簿（.xlsx），请以 Content-Type: " XLSX_MIME
			           " 上传");
			return;
		}
		api_ctx(r, &x);
		n = worker_import_csv(&x, body ? body->data : "", body ? body->len : 0, &errors,
		                      &e);
	} else {
		resp_error(r, 415, "unsupported_type",
		           "请上传 CSV（Content-Type: text/csv）或 Excel "
		           "工作簿（Content-Type: " XLSX_MIME "）");
		return;
	}
	if (n >= 0) {
		api_written(r);
		resp_json(r, 201, json_pack("{s:i}", "created", n));
		return;
	}
	if (!errors) {
		respond_dom_err(r, &e);
		return;
	}
	if (e.audited)
		api_written(r);
	err = json_pack("{s:{s:s,s:s,s:o}}", "error", "code", e.code ? e.code : "import_failed",
	                "message", e.message, "rows", errors);
	resp_json(r, e.status ? e.status : 400, err);
}

/* ---- staffing exceptions of a grid ---- */

void api_grid_staffing_exception_set(struct req *r)
{
	static const char *const allowed[] = { "reason", "valid_from", "valid_to", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	const char *reason, *from, *to;
	struct dom_ctx x;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "reason", &reason) < 0 ||
	    body_string_or_respond(r, body, "valid_from", &from) < 0 ||
	    body_string_or_respond(r, body, "valid_to", &to) < 0)
		return;
	api_ctx(r, &x);
	if (staffing_exception_mark(&x, req_param(r, "code"), reason, from, to, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:s,s:s,s:s?,s:s?}", "grid", req_param(r, "code"), "reason", reason,
	                    "valid_from", from, "valid_to", to));
}

void api_grid_staffing_exception_clear(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;

	if (body_none_or_respond(r) < 0)
		return;
	api_ctx(r, &x);
	if (staffing_exception_clear(&x, req_param(r, "code"), &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200, json_pack("{s:s}", "grid", req_param(r, "code")));
}
