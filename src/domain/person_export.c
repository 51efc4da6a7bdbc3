/*
 * The people register as an .xlsx workbook (person_export.h). Rows come from person_each, that
 * is the list's own query, scope and masking, so the export can show nothing the list would
 * not; the workbook is one sheet with a bold header row, written and audited by the registry's
 * export engine (registry_export.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/person_export.h"
#include "domain/registry_export.h"

static const char *const export_cols[] = {
	"编号",       "姓名",     "证件类型", "证件号码", "性别",     "出生日期",
	"联系电话",   "户籍类别", "国籍",     "网格编码", "住址",     "户号",
	"与户主关系", "工作单位", "状态",     "关怀标签", "重点人员", "更新时间",
};
#define EXPORT_NCOLS (sizeof export_cols / sizeof export_cols[0])

static const char *status_label(const char *s)
{
	if (strcmp(s, "present") == 0)
		return "在册";
	if (strcmp(s, "moved_out") == 0)
		return "迁出";
	if (strcmp(s, "dead") == 0)
		return "死亡";
	return s;
}

/* The labels of the care tags, joined by "、". */
static void care_labels(const json_t *p, char *out, size_t n)
{
	const json_t *tag;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(p, "care_tags"), i, tag)
	{
		int k = snprintf(out + used, n - used, "%s%s", used ? "、" : "",
		                 registry_cell(tag, "label"));

		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}

static int export_row(struct xlsx *wb, const json_t *p)
{
	char id[24], care[256], sex[8];
	const char *s = registry_cell(p, "sex");
	const char *cells[EXPORT_NCOLS] = {
		id,
		registry_cell(p, "name"),
		strcmp(registry_cell(p, "doc_type"), "passport") == 0 ? "护照" : "居民身份证",
		registry_cell(p, "id_number"),
		sex,
		registry_cell(p, "birth_date"),
		registry_cell(p, "phone"),
		registry_cell(p, "reg_type_label"),
		registry_cell(p, "nationality"),
		registry_cell(p, "grid"),
		registry_cell(json_object_get(p, "house"), "address"),
		registry_cell(p, "household_no"),
		registry_cell(p, "relation_label"),
		registry_cell(json_object_get(p, "unit"), "name"),
		status_label(registry_cell(p, "status")),
		care,
		json_is_true(json_object_get(p, "key_person")) ? "是" : "",
		registry_cell(p, "updated_at"),
	};

	(void)snprintf(id, sizeof id, "%" PRId64,
	               (int64_t)json_integer_value(json_object_get(p, "id")));
	(void)snprintf(sex, sizeof sex, "%s",
	               strcmp(s, "M") == 0   ? "男"
	               : strcmp(s, "F") == 0 ? "女"
	                                     : s);
	care_labels(p, care, sizeof care);
	return xlsx_row(wb, cells, EXPORT_NCOLS) < 0 ? -1 : 0;
}

static int people_source(const struct dom_ctx *x, const void *f, int64_t max, registry_each_fn fn,
                         void *arg, struct dom_err *e)
{
	return person_each(x, f, max, fn, arg, e);
}

int person_export_xlsx(const struct dom_ctx *x, const struct person_filter *f, int64_t max,
                       char **data, size_t *len, struct dom_err *e)
{
	static const struct registry_sheet sheet = { "实有人口", export_cols, EXPORT_NCOLS,
		                                     export_row };
	char detail[DOM_DETAIL_MAX];
	int64_t rows = 0;
	int rc = registry_export_sheet(x, &sheet, people_source, f, max, data, len, &rows, e);

	/* The filters are recorded, never an ID number looked up: only that there was one. */
	(void)snprintf(
	        detail, sizeof detail,
	        "导出实有人口 %" PRId64 " 人（证件号码、电话和出生日期已脱敏）；条件：网格=%.20s "
	        "房屋=%" PRId64 " 证件号码=%s 户籍类别=%.20s 标签=%.30s 状态=%.12s "
	        "姓名=%.60s 含重点人员=%s%s%.100s",
	        rows, f->grid ? f->grid : "不限", f->house, f->id_number ? "指定" : "不限",
	        f->reg_type ? f->reg_type : "不限", f->tag ? f->tag : "不限",
	        f->status ? f->status : "不限", f->name ? f->name : "不限",
	        f->with_key ? "是" : "否", rc < 0 ? "；失败：" : "", rc < 0 ? e->message : "");
	return registry_export_record(x, "person.export", "people", detail, rc, data, len, e);
}
