/*
 * Staffing compliance (staffing.h): the per-grid state as one SQL aggregation, its township rows
 * summed to counties, the lists of failing and excepted grids, the exception marks through
 * dom_write, and the report as a workbook.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xlsx.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "domain/staffing.h"
#include "domain/worker.h"
#include "store/store.h"

/*
 * One row per active grid of the path range [?1, ?2) in the caller's scope (the scope condition
 * follows, then ?today): ft = it has an active full-time worker, workers = its active workers,
 * rural = its community is a 村 (village part 200 and above), exc = an exception covers today.
 * Grid paths are their community's path, so the township is the path less its last segment.
 */
#define GRID_STATE_SQL                                                                             \
	"WITH gs AS (SELECT g.id, g.code, g.name, g.path, g.community_code, "                      \
	"max(CASE WHEN w.status = 'active' AND w.employment = 'full_time' THEN 1 ELSE 0 END) "     \
	"AS ft, count(w.id) AS workers, substr(g.community_code, 10, 3) >= '200' AS rural, "       \
	"EXISTS (SELECT 1 FROM staffing_exceptions se WHERE se.grid_id = g.id AND "                \
	"se.valid_from <= ?%d AND (se.valid_to IS NULL OR se.valid_to >= ?%d)) AS exc "            \
	"FROM grids g LEFT JOIN worker_grids wg ON wg.grid_id = g.id LEFT JOIN workers w ON "      \
	"w.id = wg.worker_id AND w.status = 'active' WHERE g.status = 'active' AND g.path >= ? "   \
	"AND g.path < ?%s GROUP BY g.id) "

/* The statement over GRID_STATE_SQL followed by tail (which may use the columns of gs), bound
   with the range of path, the scope and today. NULL on failure. */
static struct store_stmt *state_stmt(struct store_conn *c, const struct dom_ctx *x,
                                     const char *path, const char *tail)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[2048], hi[ACCESS_PATH_MAX], today[WORKER_DATE_LEN + 1];
	struct store_stmt *st;
	size_t n = strlen(path);
	int k;

	if (n == 0 || n >= sizeof hi)
		return NULL;
	memcpy(hi, path, n + 1);
	hi[n - 1] = (char)(hi[n - 1] + 1);
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	/* ?1 is today; the range and the scope follow from ?2. */
	(void)snprintf(sql, sizeof sql, GRID_STATE_SQL "%s", 1, 1, scope, tail);
	if (!(st = store_prepare(c, sql)))
		return NULL;
	worker_local_date(x->now, today);
	if (store_bind_text(st, 1, today, -1) || store_bind_text(st, 2, path, -1) ||
	    store_bind_text(st, 3, hi, -1) || (k = dom_scope_bind(x->caller, "g.id", st, 4)) < 0) {
		store_reset(st);
		return NULL;
	}
	return st;
}

struct counts {
	int64_t grids, compliant, exceptions, failing;
};

static json_t *counts_json(const struct counts *n)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "grids", (json_int_t)n->grids, "compliant",
	                 (json_int_t)n->compliant, "exceptions", (json_int_t)n->exceptions,
	                 "failing", (json_int_t)n->failing);
}

/* A region row {code, name} by path, from the regions table (its path is UNIQUE). */
static void region_by_path(struct store_conn *c, const char *path, char code[13],
                           char name[REGION_NAME_BYTES])
{
	struct store_stmt *st = store_prepare(c, "SELECT code, name FROM regions WHERE path = ?");

	code[0] = name[0] = '\0';
	if (!st)
		return;
	store_bind_text(st, 1, path, -1);
	if (store_step(st) == STORE_ROW) {
		dom_copy(code, 13, store_col_text(st, 0));
		dom_copy(name, REGION_NAME_BYTES, store_col_text(st, 1));
	}
	store_reset(st);
}

/* Appends the grids of state "failing" (exc_wanted 0) or "exception" (1) to list. */
static int list_grids(struct store_conn *c, const struct dom_ctx *x, const char *path,
                      int exc_wanted, json_t *list, int *truncated)
{
	char tail[512];
	struct store_stmt *st;
	int rc, n = 0;

	(void)snprintf(tail, sizeof tail,
	               "SELECT gs.code, gs.name, gs.community_code, r.name, gs.workers, gs.rural, "
	               "se.reason, se.valid_from, se.valid_to FROM gs JOIN regions r ON r.code = "
	               "gs.community_code LEFT JOIN staffing_exceptions se ON se.grid_id = gs.id "
	               "WHERE gs.ft = 0 AND (gs.rural AND gs.exc) = %d ORDER BY gs.code LIMIT %d",
	               exc_wanted, STAFFING_LIST_MAX + 1);
	if (!(st = state_stmt(c, x, path, tail)))
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		json_t *o;

		if (n++ == STAFFING_LIST_MAX) {
			*truncated = 1;
			break;
		}
		o = json_pack("{s:s,s:s,s:{s:s,s:s},s:I,s:b}", "code", store_col_text(st, 0),
		              "name", store_col_text(st, 1), "community", "code",
		              store_col_text(st, 2), "name", store_col_text(st, 3),
		              "active_workers", (json_int_t)store_col_int64(st, 4), "rural",
		              (int)store_col_int64(st, 5));
		if (!o)
			continue;
		if (!store_col_is_null(st, 6)) {
			json_t *ex = json_pack("{s:s,s:s}", "reason", store_col_text(st, 6),
			                       "valid_from", store_col_text(st, 7));

			if (ex)
				json_object_set_new(ex, "valid_to",
				                    store_col_is_null(st, 8)
				                            ? json_null()
				                            : json_string(store_col_text(st, 8)));
			json_object_set_new(o, "exception", ex ? ex : json_null());
		} else {
			json_object_set_new(o, "exception", json_null());
		}
		json_array_append_new(list, o);
	}
	store_reset(st);
	return rc == STORE_ROW || rc == STORE_DONE ? 0 : -1;
}

int staffing_findings(struct store_conn *c, const struct dom_ctx *x, const char *path,
                      json_t *findings, int *count)
{
	json_t *list = json_array();
	int truncated = 0;
	size_t i;
	json_t *g;

	*count = 0;
	if (!list || list_grids(c, x, path, 0, list, &truncated) < 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(list, i, g)
	{
		char msg[512];
		const char *name = json_string_value(json_object_get(g, "name"));
		json_t *cm = json_object_get(g, "community"), *f;
		int rural = json_is_true(json_object_get(g, "rural"));

		(void)snprintf(msg, sizeof msg, "网格“%s”没有在岗的专职网格员（《条例》第十条）%s",
		               name, rural ? "；农村网格暂不具备条件的，可登记为配备例外" : "");
		f = json_pack("{s:s,s:s,s:O,s:[O],s:n,s:s,s:I}", "type", "no_worker", "label",
		              "无专职网格员", "community", cm, "grids", json_object_get(g, "code"),
		              "area_m2", "message", msg, "active_workers",
		              (json_int_t)json_integer_value(json_object_get(g, "active_workers")));
		if (f) {
			json_array_append_new(findings, f);
			(*count)++;
		}
	}
	json_decref(list);
	return 0;
}

json_t *staffing_report(const struct dom_ctx *x, const char *code, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char code12[13], today[WORKER_DATE_LEN + 1];
	struct counts total = { 0 };
	json_t *out = NULL, *townships = NULL, *counties = NULL, *failing = NULL,
	       *exceptions = NULL;
	struct store_stmt *st;
	struct region r = { 0 };
	int rc, truncated = 0;

	if (!c)
		return NULL;
	if (!code || !*code)
		code = x->caller->region_code;
	if (!region_code_normalize(code, code12, NULL)) {
		dom_err_set(e, 400, "bad_code", "区划代码无效");
		return NULL;
	}
	if (region_get(x, code12, &r, e) < 0)
		return NULL;
	townships = json_array();
	counties = json_object(); /* county path -> {code, name, counts} while summing */
	failing = json_array();
	exceptions = json_array();
	if (!townships || !counties || !failing || !exceptions)
		goto fail;
	/* Per township: the township's path is the grid's path less its community segment. */
	if (!(st = state_stmt(c, x, r.path,
	                      "SELECT substr(path, 1, length(path) - 13) AS tp, count(*), sum(ft), "
	                      "sum(ft = 0 AND rural AND exc), sum(ft = 0 AND NOT (rural AND exc)) "
	                      "FROM gs GROUP BY tp ORDER BY tp")))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct counts n = { store_col_int64(st, 1), store_col_int64(st, 2),
			            store_col_int64(st, 3), store_col_int64(st, 4) };
		const char *tp = store_col_text(st, 0);
		char cp[ACCESS_PATH_MAX];
		size_t len = strlen(tp);
		json_t *cty, *o;

		total.grids += n.grids;
		total.compliant += n.compliant;
		total.exceptions += n.exceptions;
		total.failing += n.failing;
		o = counts_json(&n);
		json_object_set_new(o, "path", json_string(tp));
		json_array_append_new(townships, o);
		/* The county is the township path less one more segment. */
		dom_copy(cp, sizeof cp, tp);
		if (len >= 13)
			cp[len - 13] = '\0';
		if (!(cty = json_object_get(counties, cp))) {
			cty = json_pack("{s:I,s:I,s:I,s:I}", "grids", (json_int_t)0, "compliant",
			                (json_int_t)0, "exceptions", (json_int_t)0, "failing",
			                (json_int_t)0);
			json_object_set_new(counties, cp, cty);
		}
		json_object_set_new(
		        cty, "grids",
		        json_integer(json_integer_value(json_object_get(cty, "grids")) + n.grids));
		json_object_set_new(
		        cty, "compliant",
		        json_integer(json_integer_value(json_object_get(cty, "compliant")) +
		                     n.compliant));
		json_object_set_new(
		        cty, "exceptions",
		        json_integer(json_integer_value(json_object_get(cty, "exceptions")) +
		                     n.exceptions));
		json_object_set_new(
		        cty, "failing",
		        json_integer(json_integer_value(json_object_get(cty, "failing")) +
		                     n.failing));
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	/* Names of the townships and counties (a handful of lookups by the unique path). */
	{
		size_t i;
		json_t *o, *list = json_array();
		const char *key;
		char rcode[13], rname[REGION_NAME_BYTES];

		json_array_foreach(townships, i, o)
		{
			region_by_path(c, json_string_value(json_object_get(o, "path")), rcode,
			               rname);
			json_object_set_new(o, "code", json_string(rcode));
			json_object_set_new(o, "name", json_string(rname));
			json_object_del(o, "path");
		}
		json_object_foreach(counties, key, o)
		{
			region_by_path(c, key, rcode, rname);
			json_object_set_new(o, "code", json_string(rcode));
			json_object_set_new(o, "name", json_string(rname));
			json_array_append(list, o);
		}
		json_decref(counties);
		counties = list;
	}
	if (list_grids(c, x, r.path, 0, failing, &truncated) < 0 ||
	    list_grids(c, x, r.path, 1, exceptions, &truncated) < 0)
		goto fail;
	out = json_pack("{s:{s:s,s:s,s:i,s:s},s:s,s:o,s:o,s:o,s:o,s:o,s:b}", "region", "code",
	                r.code, "name", r.name, "level", r.level, "kind", region_kind_label(r.code),
	                "date", worker_local_date(x->now, today), "totals", counts_json(&total),
	                "counties", counties, "townships", townships, "failing", failing,
	                "exceptions", exceptions, "truncated", truncated);
	counties = townships = failing = exceptions = NULL;
	if (!out)
		goto fail;
	goto out;
fail:
	dom_err_set(e, 503, "read_failed", "读取配备情况失败，请稍后重试");
out:
	json_decref(townships);
	json_decref(counties);
	json_decref(failing);
	json_decref(exceptions);
	region_release(&r);
	return out;
}

/* ---- exceptions ---- */

struct exc_arg {
	const char *code, *reason, *from, *to;
	int64_t grid_id;
	char name[REGION_NAME_BYTES];
	int clearing;
};

static int exc_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct exc_arg *a = w->arg;
	struct grid g;
	int rc = grid_load(c, x, a->code, &g);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格不存在");
	a->grid_id = g.id;
	dom_copy(a->name, sizeof a->name, g.name);
	rc = g.retired ? 1 : strcmp(g.community_code + 9, "200") < 0 ? 2 : 0;
	grid_release(&g);
	if (a->clearing)
		return 0;
	if (rc == 1)
		return dom_err_set(e, 409, "grid_retired", "网格已撤销");
	if (rc == 2)
		return dom_err_set(
		        e, 400, "not_rural",
		        "只有农村（行政村）网格可以暂不配备专职网格员（《条例》第十条），"
		        "城市社区网格必须配备专职网格员");
	return 0;
}

static int exc_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                     struct dom_err *e)
{
	struct exc_arg *a = w->arg;

	if (a->clearing) {
		if (dom_exec(c, e, "DELETE FROM staffing_exceptions WHERE grid_id = ?", "i",
		             a->grid_id) < 0)
			return -1;
		if (store_changes(c) == 0)
			return dom_err_set(e, 404, "not_found", "该网格没有登记配备例外");
		dom_write_detail(w, "取消网格“%s”的配备例外", a->name);
		return 0;
	}
	if (dom_exec(c, e,
	             "INSERT INTO staffing_exceptions (grid_id, reason, valid_from, valid_to, "
	             "marked_by, marked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (grid_id) DO "
	             "UPDATE SET reason = excluded.reason, valid_from = excluded.valid_from, "
	             "valid_to = excluded.valid_to, marked_by = excluded.marked_by, marked_at = "
	             "excluded.marked_at",
	             "itttii", a->grid_id, a->reason, a->from, a->to, x->caller->user_id,
	             x->now) < 0)
		return -1;
	dom_write_detail(w, "网格“%s”登记配备例外（%s 起%s%s）：%s", a->name, a->from,
	                 a->to ? "至 " : "", a->to ? a->to : "", a->reason);
	return 0;
}

int staffing_exception_mark(const struct dom_ctx *x, const char *code, const char *reason,
                            const char *valid_from, const char *valid_to, struct dom_err *e)
{
	char today[WORKER_DATE_LEN + 1];
	struct exc_arg a = { .code = code, .reason = reason, .from = valid_from, .to = valid_to };
	struct dom_write w = { .action = "staffing.exception",
		               .permission = "worker.write",
		               .authorize = exc_authorize,
		               .apply = exc_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	size_t chars = reason ? dom_utf8_chars(reason) : 0;

	if (!a.from)
		a.from = worker_local_date(x->now, today);
	if (chars < 2 || chars > WORKER_TEXT_CHARS)
		return dom_err_set(e, 400, "bad_reason", "须填写例外原因（2 到 %d 个字）",
		                   WORKER_TEXT_CHARS);
	if (!worker_date_valid(a.from) || (a.to && !worker_date_valid(a.to)) ||
	    (a.to && strcmp(a.to, a.from) < 0))
		return dom_err_set(e, 400, "bad_date",
		                   "有效期应为 YYYY-MM-DD 格式的日期，且止日不早于起日");
	/* marked_by references users: the system principal has no account row. */
	if (x->caller->user_id <= 0)
		return dom_err_set(e, 400, "bad_caller", "配备例外须由登录用户登记");
	dom_write_object(&w, "grid:%.15s", code ? code : "");
	return dom_write(x, &w, e);
}

int staffing_exception_clear(const struct dom_ctx *x, const char *code, struct dom_err *e)
{
	struct exc_arg a = { .code = code, .clearing = 1 };
	struct dom_write w = { .action = "staffing.exception_clear",
		               .permission = "worker.write",
		               .authorize = exc_authorize,
		               .apply = exc_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	dom_write_object(&w, "grid:%.15s", code ? code : "");
	return dom_write(x, &w, e);
}

/* ---- the workbook ---- */

static int counts_row(struct xlsx *wb, const char *level, const json_t *o)
{
	char n[4][24];
	const char *cells[7] = { level,
		                 json_string_value(json_object_get(o, "code")),
		                 json_string_value(json_object_get(o, "name")),
		                 n[0],
		                 n[1],
		                 n[2],
		                 n[3] };
	static const char *const keys[] = { "grids", "compliant", "exceptions", "failing" };

	for (int i = 0; i < 4; i++)
		(void)snprintf(n[i], sizeof n[i], "%" JSON_INTEGER_FORMAT,
		               json_integer_value(json_object_get(o, keys[i])));
	return xlsx_row_mixed(wb, cells, 7, 0x78);
}

static int grid_rows(struct xlsx *wb, const json_t *list, const char *state)
{
	size_t i;
	json_t *g;

	json_array_foreach(list, i, g)
	{
		json_t *cm = json_object_get(g, "community"), *ex = json_object_get(g, "exception");
		char workers[24];
		const char *cells[8] = { state,
			                 json_string_value(json_object_get(g, "code")),
			                 json_string_value(json_object_get(g, "name")),
			                 json_string_value(json_object_get(cm, "name")),
			                 workers,
			                 json_is_true(json_object_get(g, "rural")) ? "农村"
			                                                           : "城市",
			                 json_string_value(json_object_get(ex, "reason")),
			                 json_string_value(json_object_get(ex, "valid_to")) };

		(void)snprintf(workers, sizeof workers, "%" JSON_INTEGER_FORMAT,
		               json_integer_value(json_object_get(g, "active_workers")));
		if (xlsx_row_mixed(wb, cells, 8, 0x10) < 0)
			return -1;
	}
	return 0;
}

static int report_xlsx(const json_t *report, char **data, size_t *len, struct dom_err *e)
{
	static const char *const sum_cols[] = { "层级", "区划代码", "名称",  "网格数",
		                                "达标", "例外",     "不达标" };
	static const char *const grid_cols[] = { "情况",     "网格编码",     "网格名称",
		                                 "社区/村",  "在岗网格员数", "类别",
		                                 "例外原因", "例外有效至" };
	struct xlsx *wb = xlsx_new();
	json_t *reg = json_object_get(report, "region"), *o, *tot;
	size_t i;
	int ok;

	*data = NULL;
	*len = 0;
	if (!wb)
		return dom_err_set(e, 500, "internal", "生成表格失败");
	tot = json_deep_copy(json_object_get(report, "totals"));
	if (tot) {
		json_object_set(tot, "code", json_object_get(reg, "code"));
		json_object_set(tot, "name", json_object_get(reg, "name"));
	}
	ok = xlsx_sheet(wb, "配备情况", sum_cols, 7) == 0 && tot &&
	     counts_row(wb, json_string_value(json_object_get(reg, "kind")), tot) == 0;
	json_decref(tot);
	json_array_foreach(json_object_get(report, "counties"), i, o) ok =
	        ok && counts_row(wb, "县（市、区）", o) == 0;
	json_array_foreach(json_object_get(report, "townships"), i, o) ok =
	        ok && counts_row(wb, "乡镇（街道）", o) == 0;
	ok = ok && xlsx_sheet(wb, "未达标和例外网格", grid_cols, 8) == 0 &&
	     grid_rows(wb, json_object_get(report, "failing"), "不达标") == 0 &&
	     grid_rows(wb, json_object_get(report, "exceptions"), "例外") == 0;
	if (!ok) {
		xlsx_free(wb);
		return dom_err_set(e, 500, "internal", "生成表格失败");
	}
	if (xlsx_finish(wb, data, len) < 0)
		return dom_err_set(e, 500, "internal", "生成表格失败");
	return 0;
}

int staffing_export_xlsx(const struct dom_ctx *x, const char *code, char **data, size_t *len,
                         struct dom_err *e)
{
	json_t *report = staffing_report(x, code, e);
	char detail[256];
	int rc;

	*data = NULL;
	*len = 0;
	if (!report)
		return -1;
	rc = report_xlsx(report, data, len, e);
	(void)snprintf(
	        detail, sizeof detail, "导出网格员配备情况：%s%s",
	        json_string_value(json_object_get(json_object_get(report, "region"), "name")),
	        rc < 0 ? "；失败" : "");
	(void)dom_audit(
	        x, "staffing.export",
	        json_string_value(json_object_get(json_object_get(report, "region"), "code")),
	        rc < 0 ? "failure" : "success", detail);
	json_decref(report);
	return rc;
}
