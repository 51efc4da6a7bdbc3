/*
 * Import and export of workers (worker_import.h).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"
#include "base/xlsx.h"
#include "base/xlsx_read.h"
#include "domain/sensitive.h"
#include "domain/worker_import.h"

#define FIELD_MAX 512

/* The columns, in the export's order; the import reads those marked importable. */
enum col {
	C_NAME,
	C_ID_NUMBER,
	C_NATIONALITY,
	C_PHONE,
	C_WORK_PHONE,
	C_EMPLOYMENT,
	C_SOURCE,
	C_EDUCATION,
	C_CERT_NO,
	C_CERT_TO,
	C_REGION,
	C_START,
	C_N
};

static const struct {
	const char *zh, *en;
	int required;
} columns[C_N] = {
	[C_NAME] = { "姓名", "name", 1 },
	[C_ID_NUMBER] = { "身份证号码", "id_number", 1 },
	[C_NATIONALITY] = { "国籍", "nationality", 0 },
	[C_PHONE] = { "联系电话", "phone", 0 },
	[C_WORK_PHONE] = { "工作电话", "work_phone", 0 },
	[C_EMPLOYMENT] = { "用工类型", "employment", 1 },
	[C_SOURCE] = { "兼职来源", "part_time_source", 0 },
	[C_EDUCATION] = { "文化程度", "education", 0 },
	[C_CERT_NO] = { "上岗证编号", "certificate_no", 0 },
	[C_CERT_TO] = { "上岗证有效期", "certificate_valid_to", 0 },
	[C_REGION] = { "所属区划代码", "region", 1 },
	[C_START] = { "到岗日期", "start_date", 0 },
};

#define MAX_FIELDS 32

struct row {
	int line;
	char *v[C_N]; /* NULL: empty */
};

struct import {
	struct row *rows;
	size_t n, cap;
	json_t *errors;
	int64_t created;
	const char *source; /* "CSV" or "Excel", for the audit detail */
	int first;          /* the header row is still to come */
	int last_line;      /* of the last record read */
	int map[MAX_FIELDS];
};

static void add_error(json_t *errors, int line, const char *code, const char *message)
{
	if (json_array_size(errors) < WORKER_IMPORT_MAX_ERRORS)
		json_array_append_new(errors, json_pack("{s:i,s:s,s:s}", "line", line, "code",
		                                        code ? code : "bad_row", "message",
		                                        message ? message : ""));
}

/* Trims ASCII spaces and tabs at both ends. */
static void trim(struct buf *b)
{
	size_t s = 0, n = b->len;

	while (s < n && (b->data[s] == ' ' || b->data[s] == '\t'))
		s++;
	while (n > s && (b->data[n - 1] == ' ' || b->data[n - 1] == '\t'))
		n--;
	memmove(b->data, b->data + s, n - s);
	b->len = n - s;
	b->data[b->len] = '\0';
}

/* Every row is validated and inserted here, inside the one transaction. A bad row is reported
   and the next one tried, so one run names every bad row; any bad row fails the write, and the
   kernel rolls all of it back. */
static int import_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct import *im = w->arg;

	for (size_t i = 0; i < im->n; i++) {
		struct row *r = &im->rows[i];
		struct worker_input in = WORKER_INPUT_INIT;
		struct dom_err re = { 0 };
		int64_t id;

		in.name = r->v[C_NAME] ? r->v[C_NAME] : "";
		in.id_number = r->v[C_ID_NUMBER] ? r->v[C_ID_NUMBER] : "";
		in.nationality = r->v[C_NATIONALITY];
		in.phone = r->v[C_PHONE];
		in.work_phone = r->v[C_WORK_PHONE];
		in.employment = r->v[C_EMPLOYMENT] ? r->v[C_EMPLOYMENT] : "";
		in.part_time_source = r->v[C_SOURCE];
		in.education = r->v[C_EDUCATION];
		in.certificate_no = r->v[C_CERT_NO];
		in.certificate_valid_to = r->v[C_CERT_TO];
		in.region = r->v[C_REGION] ? r->v[C_REGION] : "";
		in.start_date = r->v[C_START];
		if (worker_insert(c, x, &in, &id, &re) < 0)
			add_error(im->errors, r->line, re.code, re.message);
		else
			im->created++;
	}
	if (json_array_size(im->errors) > 0)
		return dom_err_set(e, 400, "import_failed",
		                   "导入失败：%zu 行有错误，未导入任何数据",
		                   json_array_size(im->errors));
	dom_write_detail(w, "从 %s 文件导入网格员 %" PRId64 " 名", im->source, im->created);
	return 0;
}

/* Maps the header cells to columns: map[i] = column of field i, or -1 (ignored). */
static int read_header(struct buf *fields, int nf, int map[MAX_FIELDS], json_t *errors, int line)
{
	int seen[C_N] = { 0 }, ok = 1;
	char msg[256];

	for (int i = 0; i < MAX_FIELDS; i++)
		map[i] = -1; /* also the columns past the header's last: ignored */
	for (int i = 0; i < nf && i < MAX_FIELDS; i++) {
		for (int k = 0; k < C_N; k++)
			if (strcmp(fields[i].data, columns[k].zh) == 0 ||
			    strcmp(fields[i].data, columns[k].en) == 0) {
				map[i] = k;
				seen[k] = 1;
			}
	}
	for (int k = 0; k < C_N; k++)
		if (columns[k].required && !seen[k]) {
			(void)snprintf(msg, sizeof msg, "表头缺少“%s”列", columns[k].zh);
			add_error(errors, line, "bad_header", msg);
			ok = 0;
		}
	return ok ? 0 : -1;
}

/* Takes one record of fields[0..nf) that starts on line: the header (the first non-empty one)
   or a worker row. 0 to go on, -1 to stop reading (the reason is in im->errors). */
static int take_record(struct import *im, struct buf *fields, int nf, int line)
{
	struct row *r;
	int empty = 1;

	im->last_line = line;
	for (int i = 0; i < nf && i < MAX_FIELDS; i++) {
		trim(&fields[i]);
		empty = empty && fields[i].len == 0;
	}
	if (empty)
		return 0; /* a blank line, or a row of empty cells as Excel leaves them */
	if (im->first) {
		im->first = 0;
		return read_header(fields, nf, im->map, im->errors, line);
	}
	if (im->n == WORKER_IMPORT_MAX_ROWS) {
		add_error(im->errors, line, "too_many_rows", "一次最多导入 5000 行");
		return -1;
	}
	if (im->n == im->cap) {
		size_t ncap = im->cap ? im->cap * 2 : 64;
		struct row *nr = realloc(im->rows, ncap * sizeof *nr);

		if (!nr) {
			add_error(im->errors, line, "internal", "内存不足");
			return -1;
		}
		im->rows = nr;
		im->cap = ncap;
	}
	r = &im->rows[im->n++];
	memset(r, 0, sizeof *r);
	r->line = line;
	for (int i = 0; i < nf && i < MAX_FIELDS; i++)
		if (im->map[i] >= 0 && fields[i].len > 0 && !r->v[im->map[i]])
			r->v[im->map[i]] = strdup(fields[i].data);
	return 0;
}

/* After reading: refuses an empty file, else writes every row in one dom_write. The count of
   workers created, or -1 with e (and *errors when rows were refused). Frees what im holds. */
static int import_finish(const struct dom_ctx *x, struct import *im, json_t **errors,
                         struct dom_err *e)
{
	struct dom_write w = { .action = "worker.import",
		               .permission = "worker.write",
		               /* Each row is a new worker whose managing region must be in the
		                  caller's scope: worker_insert checks that per row inside apply
		                  (and reports it on the row's line), so the permission is the rule
		                  for the file as a whole. */
		               .authorize = dom_authorize_any,
		               .apply = import_apply,
		               .arg = im };
	int rc = -1;

	if (im->first && json_array_size(im->errors) == 0)
		add_error(im->errors, 1, "bad_header", "文件为空，缺少表头");
	if (json_array_size(im->errors) == 0 && im->n == 0)
		add_error(im->errors, im->last_line > 0 ? im->last_line : 1, "empty",
		          "文件中没有网格员数据");
	if (json_array_size(im->errors) > 0) {
		dom_err_set(e, 400, "import_failed", "导入失败：%zu 处错误，未导入任何数据",
		            json_array_size(im->errors));
	} else {
		dom_write_object(&w, "workers");
		if (dom_write(x, &w, e) == 0)
			rc = (int)im->created;
	}
	if (rc < 0 && json_array_size(im->errors) > 0) {
		*errors = im->errors;
		im->errors = NULL;
	}
	json_decref(im->errors);
	for (size_t i = 0; i < im->n; i++)
		for (int k = 0; k < C_N; k++) {
			if (im->rows[i].v[k])
				sodium_memzero(im->rows[i].v[k], strlen(im->rows[i].v[k]));
			free(im->rows[i].v[k]);
		}
	free(im->rows);
	return rc;
}

int worker_import_csv(const struct dom_ctx *x, const char *data, size_t len, json_t **errors,
                      struct dom_err *e)
{
	struct import im = { .source = "CSV", .first = 1 };
	struct buf fields[MAX_FIELDS];
	struct csv_reader rd;
	int nf, line = 0;

	*errors = NULL;
	if (len > WORKER_IMPORT_MAX_BYTES)
		return dom_err_set(e, 413, "too_large", "文件过大（最大 4 MB）");
	if (!(im.errors = json_array()))
		return dom_err_set(e, 500, "internal", "内部错误");
	for (int i = 0; i < MAX_FIELDS; i++)
		buf_init(&fields[i], FIELD_MAX);
	csv_reader_init(&rd, data, len);
	while ((nf = csv_read(&rd, fields, MAX_FIELDS, &line)) != 0) {
		if (nf < 0) {
			add_error(im.errors, line, "bad_csv",
			          nf == CSV_TOO_LONG ? "字段过长" : "引号未闭合");
			break;
		}
		if (take_record(&im, fields, nf, line) < 0)
			break;
	}
	for (int i = 0; i < MAX_FIELDS; i++) {
		sodium_memzero(fields[i].data, fields[i].len);
		buf_release(&fields[i]);
	}
	return import_finish(x, &im, errors, e);
}

int worker_import_xlsx(const struct dom_ctx *x, const char *data, size_t len, json_t **errors,
                       struct dom_err *e)
{
	struct import im = { .source = "Excel", .first = 1 };
	struct buf fields[MAX_FIELDS];
	struct xlsx_table t;
	char err[256];
	int rc = -1;

	*errors = NULL;
	if (len > WORKER_IMPORT_MAX_BYTES)
		return dom_err_set(e, 413, "too_large", "文件过大（最大 4 MB）");
	if (xlsx_read_first_sheet(data, len, &t, err, sizeof err) < 0) {
		xlsx_table_free(&t);
		return dom_err_set(e, 400, "bad_xlsx", "无法读取 Excel 文件：%s", err);
	}
	if (!(im.errors = json_array())) {
		xlsx_table_free(&t);
		return dom_err_set(e, 500, "internal", "内部错误");
	}
	for (int i = 0; i < MAX_FIELDS; i++)
		buf_init(&fields[i], FIELD_MAX);
	for (size_t r = 0; r < t.n; r++) {
		const struct xlsx_row *row = &t.rows[r];
		int nf = row->n < MAX_FIELDS ? (int)row->n : MAX_FIELDS, stop = 0;

		if (row->number > (uint32_t)INT32_MAX)
			break;
		for (int i = 0; i < nf; i++) {
			const struct xlsx_cell *c = &row->cells[i];
			const char *v = c->text ? c->text : "";
			char day[11];

			/* A date column may hold a date typed into Excel: a serial day number. */
			if (!im.first && c->kind == 'n' &&
			    (im.map[i] == C_CERT_TO || im.map[i] == C_START) &&
			    xlsx_serial_date(v, t.date1904, day))
				v = day;
			buf_reset(&fields[i]);
			if (buf_puts(&fields[i], v) < 0) {
				add_error(im.errors, (int)row->number, "bad_row", "字段过长");
				stop = 1;
				break;
			}
		}
		if (stop || take_record(&im, fields, nf, (int)row->number) < 0)
			break;
	}
	for (int i = 0; i < MAX_FIELDS; i++) {
		sodium_memzero(fields[i].data, fields[i].len);
		buf_release(&fields[i]);
	}
	/* The table holds the ID and phone numbers in the clear too. */
	for (size_t r = 0; r < t.n; r++)
		for (size_t k = 0; k < t.rows[r].n; k++)
			if (t.rows[r].cells[k].text)
				sodium_memzero(t.rows[r].cells[k].text,
				               strlen(t.rows[r].cells[k].text));
	xlsx_table_free(&t);
	rc = import_finish(x, &im, errors, e);
	return rc;
}

/* ---- export ---- */

struct export_ctx {
	struct xlsx *wb;
	int64_t rows;
};

static const char *const export_cols[] = {
	"编号",         "姓名",     "身份证号码", "性别",     "国籍",       "联系电话",
	"工作电话",     "用工类型", "兼职来源",   "文化程度", "上岗证编号", "上岗证有效期",
	"所属区划代码", "所属区划", "到岗日期",   "状态",     "状态日期",   "离岗原因",
};
#define EXPORT_NCOLS (sizeof export_cols / sizeof export_cols[0])

static int export_row(const struct worker *w, void *arg)
{
	struct export_ctx *ex = arg;
	char id[24], idn[64], phone[64];
	const char *cells[EXPORT_NCOLS] = {
		id,
		w->name,
		sensitive_show("worker", "id_number", w->id_number, 0, idn, sizeof idn),
		strcmp(w->sex, "M") == 0 ? "男" : "女",
		strcmp(w->nationality, "CHN") == 0 ? "中国" : w->nationality,
		w->phone[0] ? sensitive_show("worker", "phone", w->phone, 0, phone, sizeof phone)
		            : "",
		w->work_phone,
		worker_employment_label(w->employment),
		w->part_time_source[0] ? worker_source_label(w->part_time_source) : "",
		w->education,
		w->certificate_no,
		w->certificate_valid_to,
		w->region_code,
		w->region_name,
		w->start_date,
		worker_status_label(w->status),
		w->status_date,
		w->exit_reason,
	};

	(void)snprintf(id, sizeof id, "%" PRId64, w->id);
	ex->rows++;
	return xlsx_row(ex->wb, cells, EXPORT_NCOLS) < 0 ? -1 : 0;
}

int worker_export_xlsx(const struct dom_ctx *x, const struct worker_filter *f, char **data,
                       size_t *len, struct dom_err *e)
{
	struct export_ctx ex = { 0 };
	char detail[512];
	int rc = -1;

	*data = NULL;
	*len = 0;
	if (worker_filter_check(f, e) < 0)
		return -1;
	if (!(ex.wb = xlsx_new()) || xlsx_sheet(ex.wb, "网格员", export_cols, EXPORT_NCOLS) < 0) {
		xlsx_free(ex.wb);
		return dom_err_set(e, 500, "internal", "生成表格失败");
	}
	if (worker_each(x, f, export_row, &ex, e) < 0) {
		if (!e->status)
			dom_err_set(e, 500, "internal", "生成表格失败");
		xlsx_free(ex.wb);
	} else if (xlsx_finish(ex.wb, data, len) < 0) {
		dom_err_set(e, 500, "internal", "生成表格失败");
	} else {
		rc = 0;
	}
	(void)snprintf(detail, sizeof detail,
	               "导出网格员 %" PRId64 " 名（身份证号和电话已脱敏）；条件：区划=%s 类型=%s "
	               "状态=%s 证书有效期早于=%s 网格=%s%s",
	               ex.rows, f->region ? f->region : "不限",
	               f->employment ? f->employment : "不限", f->status ? f->status : "不限",
	               f->cert_before ? f->cert_before : "不限", f->grid ? f->grid : "不限",
	               rc < 0 ? "；失败" : "");
	(void)dom_audit(x, "worker.export", "workers", rc < 0 ? "failure" : "success", detail);
	return rc;
}
