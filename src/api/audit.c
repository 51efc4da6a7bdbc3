/*
 * The auditor's view of the audit trail: GET /api/v1/audit (search, a keyset page at a time,
 * newest first) and GET /api/v1/audit/export (CSV of the whole search, bounded). An export is
 * itself recorded. Nothing here, or anywhere, deletes records.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/params.h"
#include "base/buf.h"
#include "base/clock.h"
#include "domain/audit.h"
#include "domain/dom.h"

/* The largest export: past it the export answers 413 and asks for a narrower search. */
#define AUDIT_EXPORT_MAX (64u * 1024 * 1024)

/* Reads the filter from the query; -1 after answering 400. */
static int read_filter(struct req *r, struct audit_filter *f)
{
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	const char *outcome = req_query(r, "outcome");

	memset(f, 0, sizeof *f);
	f->username = req_query(r, "user");
	f->action = req_query(r, "action");
	if (f->username && !*f->username)
		f->username = NULL;
	if (f->action && !*f->action)
		f->action = NULL;
	if (outcome && *outcome) {
		if (strcmp(outcome, "success") && strcmp(outcome, "failure") &&
		    strcmp(outcome, "denied")) {
			resp_error(r, 400, "bad_outcome",
			           "outcome 须为 success、failure 或 denied");
			return -1;
		}
		f->outcome = outcome;
	}
	if (from && *from && clock_parse(from, &f->from) < 0) {
		resp_error(r, 400, "bad_from", "from 须为日期（YYYY-MM-DD）或 RFC 3339 时间");
		return -1;
	}
	if (to && *to && clock_parse(to, &f->to) < 0) {
		resp_error(r, 400, "bad_to", "to 须为日期（YYYY-MM-DD）或 RFC 3339 时间");
		return -1;
	}
	return 0;
}

void api_audit_list(struct req *r)
{
	struct audit_filter f;
	struct dom_page pg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	if (read_filter(r, &f) < 0 || api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = audit_list(&x, &f, &pg, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

void api_audit_export(struct req *r)
{
	struct audit_filter f;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	struct buf out;
	char detail[600], t[32], t1[32] = "", t2[32] = "";
	int64_t rows;

	if (read_filter(r, &f) < 0)
		return;
	api_ctx(r, &x);
	buf_init(&out, AUDIT_EXPORT_MAX);
	rows = audit_export_csv(&x, &f, &out, &e);
	if (f.from)
		clock_format_local(f.from, t1, sizeof t1);
	if (f.to)
		clock_format_local(f.to, t2, sizeof t2);
	(void)snprintf(detail, sizeof detail,
	               "导出 %" PRId64 " 条；条件：用户=%s 操作=%s 结果=%s 起=%s 止=%s%s%s",
	               rows < 0 ? 0 : rows, f.username ? f.username : "不限",
	               f.action ? f.action : "不限", f.outcome ? f.outcome : "不限",
	               t1[0] ? t1 : "不限", t2[0] ? t2 : "不限", rows < 0 ? "；失败：" : "",
	               rows < 0 && e.code ? e.code : "");
	api_audit(r, "audit.export", "audit_log", rows < 0 ? "failure" : "success", detail);
	if (rows < 0) {
		buf_release(&out);
		respond_dom_err(r, &e);
		return;
	}
	(void)snprintf(detail, sizeof detail, "attachment; filename=\"audit-%s.csv\"",
	               clock_format_utc(x.now, t, sizeof t));
	resp_header(r, "Content-Disposition", detail);
	resp_bytes(r, 200, "text/csv; charset=utf-8", out.data, out.len);
	buf_release(&out);
}
