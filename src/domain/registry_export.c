/*
 * Houses and units as .xlsx workbooks, and the engine every registry export runs on
 * (registry_export.h). Rows come from house_each / unit_each, that is the lists' own query, scope
 * and order, so an export shows nothing the list would not; the workbook is one sheet with a bold
 * header row (base/xlsx.h) whose names are the import's (registry_import.c), types and uses by
 * their Chinese labels, which the import reads as it reads the codes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/registry_export.h"
#include "domain/sensitive.h"

#define N(t) (sizeof t / sizeof t[0])

const char *registry_cell(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* ---- the engine ---- */

struct sheet_run {
	const struct registry_sheet *s;
	struct xlsx *wb;
	int64_t rows;
};

static int sheet_row(const json_t *item, void *arg)
{
	struct sheet_run *run = arg;

	run->rows++;
	return run->s->row(run->wb, item);
}

int registry_export_sheet(const struct dom_ctx *x, const struct registry_sheet *s,
                          registry_source_fn source, const void *filter, int64_t max, char **data,
                          size_t *len, int64_t *rows, struct dom_err *e)
{
	struct sheet_run run = { .s = s };
	int rc = -1;

	*data = NULL;
	*len = 0;
	*rows = 0;
	if (!(run.wb = xlsx_new()) || xlsx_sheet(run.wb, s->name, s->cols, s->ncols) < 0) {
		xlsx_free(run.wb);
		dom_err_set(e, 500, "internal", "生成表格失败");
	} else if (source(x, filter, max, sheet_row, &run, e) < 0) {
		if (!e->status)
			dom_err_set(e, 500, "internal", "生成表格失败");
		xlsx_free(run.wb);
	} else if (xlsx_finish(run.wb, data, len) < 0) {
		dom_err_set(e, 500, "internal", "生成表格失败");
	} else {
		*rows = run.rows;
		rc = 0;
	}
	return rc;
}

int registry_export_record(const struct dom_ctx *x, const char *action, const char *object,
                           const char *detail, int rc, char **data, size_t *len, struct dom_err *e)
{
	const char *outcome = rc == 0 ? "success" : e->status == 403 ? "denied" : "failure";

	/* An export not in the audit trail is not handed out. */
	if (dom_audit(x, action, object, outcome, detail) < 0 && rc == 0) {
		free(*data);
		*data = NULL;
		*len = 0;
		rc = dom_err_set(e, 503, "audit_failed", "审计记录写入失败，请稍后重试");
	}
	return rc;
}

/* ---- houses and units ---- */

static const char *const house_cols[] = {
	"网格编码", "地址",     "楼栋",         "单元",     "房号",
	"房屋类型", "房屋用途", "用途起始日期", "现住人数", "登记时间",
};

static int house_row(struct xlsx *wb, const json_t *h)
{
	char residents[24];
	const char *cells[N(house_cols)] = {
		registry_cell(h, "grid"),
		registry_cell(h, "address"),
		registry_cell(h, "building"),
		registry_cell(h, "unit_no"),
		registry_cell(h, "room"),
		registry_cell(h, "type_label"),
		registry_cell(h, "use_label"),
		registry_cell(h, "use_since"),
		residents,
		registry_cell(h, "created_at"),
	};

	(void)snprintf(residents, sizeof residents, "%" PRId64,
	               (int64_t)json_integer_value(json_object_get(h, "residents")));
	return xlsx_row_mixed(wb, cells, N(house_cols), 1ul << 8); /* 现住人数: a number */
}

static const char *const unit_cols[] = {
	"单位名称", "统一社会信用代码", "单位类别", "地址",
	"网格编码", "联系人",           "联系电话", "登记时间",
};

/* The contact phone masked as people's phones are (138****5678): the contact is a named person,
   and a file leaves the system's control once it is downloaded. */
static int unit_row(struct xlsx *wb, const json_t *u)
{
	char phone[64];
	const char *cells[N(unit_cols)] = {
		registry_cell(u, "name"),
		registry_cell(u, "credit_code"),
		registry_cell(u, "kind_label"),
		registry_cell(u, "address"),
		registry_cell(u, "grid"),
		registry_cell(u, "contact_name"),
		phone,
		registry_cell(u, "created_at"),
	};

	(void)sensitive_mask(MASK_PHONE, registry_cell(u, "contact_phone"), phone, sizeof phone);
	return xlsx_row(wb, cells, N(unit_cols));
}

static int houses_source(const struct dom_ctx *x, const void *grid, int64_t max,
                         registry_each_fn fn, void *arg, struct dom_err *e)
{
	return house_each(x, grid, max, fn, arg, e);
}

static int units_source(const struct dom_ctx *x, const void *grid, int64_t max, registry_each_fn fn,
                        void *arg, struct dom_err *e)
{
	return unit_each(x, grid, max, fn, arg, e);
}

struct place_export {
	const char *action, *object, *what, *measure, *masked;
	struct registry_sheet sheet;
	registry_source_fn source;
};

static const struct place_export houses_export = {
	"house.export", "houses", "房屋",
	"处",           "",       { "房屋", house_cols, N(house_cols), house_row },
	houses_source,
};
static const struct place_export units_export = {
	"unit.export",
	"units",
	"单位",
	"个",
	"（联系电话已脱敏）",
	{ "单位", unit_cols, N(unit_cols), unit_row },
	units_source,
};

static int place_export(const struct dom_ctx *x, const struct place_export *k, const char *grid,
                        int64_t max, char **data, size_t *len, struct dom_err *e)
{
	char detail[DOM_DETAIL_MAX];
	int64_t rows = 0;
	int rc;

	*data = NULL;
	*len = 0;
	/* The route is gated by registry.export; the domain checks it too, for every caller. */
	if (!access_can(x->caller, "registry.export"))
		rc = dom_err_set(e, 403, "forbidden", "无权导出%s", k->what);
	else
		rc = registry_export_sheet(x, &k->sheet, k->source, grid, max, data, len, &rows, e);
	(void)snprintf(detail, sizeof detail, "导出%s %" PRId64 " %s%s；条件：网格=%.20s%s%.100s",
	               k->what, rows, k->measure, k->masked, grid ? grid : "不限",
	               rc < 0 ? "；失败：" : "", rc < 0 ? e->message : "");
	return registry_export_record(x, k->action, k->object, detail, rc, data, len, e);
}

int house_export_xlsx(const struct dom_ctx *x, const char *grid, int64_t max, char **data,
                      size_t *len, struct dom_err *e)
{
	return place_export(x, &houses_export, grid, max, data, len, e);
}

int unit_export_xlsx(const struct dom_ctx *x, const char *grid, int64_t max, char **data,
                     size_t *len, struct dom_err *e)
{
	return place_export(x, &units_export, grid, max, data, len, e);
}
