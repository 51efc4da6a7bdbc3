/*
 * The people register as an .xlsx workbook (person_export.h). Rows come from person_each, that
 * is the list's own query, scope and masking, so the export can show nothing the list would
 * not; the workbook is one sheet with a bold header row (base/xlsx.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xlsx.h"
#include "domain/person_export.h"

struct export_ctx {
	struct xlsx *wb;
	int64_t rows;
};

static const char *const export_cols[] = {
	"编号",       "姓名",     "证件类型", "证件号码", "性别",     "出生日期",
	"联系电话",   "户籍类别", "国籍",     "网格编码", "住址",     "户号",
	"与户主关系", "工作单位", "状态",     "关怀标签", "重点人员", "更新时间",
};
#define EXPORT_NCOLS (sizeof export_cols / sizeof export_cols[0])

/* A string member of o, or "" (JSON null or missing). */
static const char *text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

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
		                 text(tag, "label"));

		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}

static int export_row(const json_t *p, void *arg)
{
	struct export_ctx *ex = arg;
	char id[24], care[256], sex[8];
	const char *s = text(p, "sex");
	const char *cells[EXPORT_NCOLS] = {
		id,
		text(p, "name"),
		strcmp(text(p, "doc_type"), "passport") == 0 ? "护照" : "居民身份证",
		text(p, "id_number"),
		sex,
		text(p, "birth_date"),
		text(p, "phone"),
		text(p, "reg_type_label"),
		text(p, "nationality"),
		text(p, "grid"),
		text(json_object_get(p, "house"), "address"),
		text(p, "household_no"),
		text(p, "relation_label"),
		text(json_object_get(p, "unit"), "name"),
		status_label(text(p, "status")),
		care,
		json_is_true(json_object_get(p, "key_person")) ? "是" : "",
		text(p, "updated_at"),
	};

	(void)snprintf(id, sizeof id, "%" PRId64,
	               (int64_t)json_integer_value(json_object_get(p, "id")));
	(void)snprintf(sex, sizeof sex, "%s",
	               strcmp(s, "M") == 0   ? "男"
	               : strcmp(s, "F") == 0 ? "女"
	                                     : s);
	care_labels(p, care, sizeof care);
	ex->rows++;
	return xlsx_row(ex->wb, cells, EXPORT_NCOLS) < 0 ? -1 : 0;
}

int person_export_xlsx(const struct dom_ctx *x, const struct person_filter *f, int64_t max,
                       char **data, size_t *len, struct dom_err *e)
{
	struct export_ctx ex = { 0 };
	char detail[DOM_DETAIL_MAX];
	int rc = -1;

	*data = NULL;
	*len = 0;
	if (!(ex.wb = xlsx_new()) || xlsx_sheet(ex.wb, "实有人口", export_cols, EXPORT_NCOLS) < 0) {
		xlsx_free(ex.wb);
		ex.wb = NULL;
		dom_err_set(e, 500, "internal", "生成表格失败");
	} else if (person_each(x, f, max, export_row, &ex, e) < 0) {
		if (!e->status)
			dom_err_set(e, 500, "internal", "生成表格失败");
		xlsx_free(ex.wb);
	} else if (xlsx_finish(ex.wb, data, len) < 0) {
		dom_err_set(e, 500, "internal", "生成表格失败");
	} else {
		rc = 0;
	}
	/* The filters are recorded, never an ID number looked up: only that there was one. */
	(void)snprintf(detail, sizeof detail,
	               "导出实有人口 %" PRId64
	               " 人（证件号码、电话和出生日期已脱敏）；条件：网格=%.20s "
	               "房屋=%" PRId64 " 证件号码=%s 户籍类别=%.20s 标签=%.30s 状态=%.12s "
	               "姓名=%.60s 含重点人员=%s%s%.100s",
	               rc < 0 ? 0 : ex.rows, f->grid ? f->grid : "不限", f->house,
	               f->id_number ? "指定" : "不限", f->reg_type ? f->reg_type : "不限",
	               f->tag ? f->tag : "不限", f->status ? f->status : "不限",
	               f->name ? f->name : "不限", f->with_key ? "是" : "否",
	               rc < 0 ? "；失败：" : "", rc < 0 ? e->message : "");
	/* An export not in the audit trail is not handed out. */
	if (dom_audit(x, "person.export", "people", rc < 0 ? "failure" : "success", detail) < 0 &&
	    rc == 0) {
		free(*data);
		*data = NULL;
		*len = 0;
		rc = dom_err_set(e, 503, "audit_failed", "审计记录写入失败，请稍后重试");
	}
	return rc;
}
