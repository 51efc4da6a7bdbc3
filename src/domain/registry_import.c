/*
 * The registry import (registry_import.h): records read from a CSV text or an .xlsx sheet are
 * mapped to columns by the header, hashed (for the resume check), skipped up to the committed
 * line of an earlier run, and gathered into batches; each batch is one dom_write whose apply
 * registers its rows with person_insert_many and, when every row was good, records the progress.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"
#include "base/xlsx_read.h"
#include "domain/registry_import.h"
#include "domain/registry.h"
#include "store/store.h"

#define FIELD_MAX 512
#define MAX_FIELDS 32
#define ARENA_MAX (256u * 1024 * 1024)
#define HASH_HEX (crypto_generichash_BYTES * 2 + 1)

/* The columns of each kind, by their index in the kind's table. */
enum { C_NAME, C_ID, C_REG, C_GRID, C_PHONE, C_ADDRESS, C_ROOM, C_HOUSEHOLD, C_RELATION };
enum { H_GRID, H_ADDRESS, H_BUILDING, H_UNIT, H_ROOM, H_TYPE, H_USE, H_DATE };
enum { U_NAME, U_CREDIT, U_KIND, U_ADDRESS, U_GRID, U_CONTACT, U_PHONE };
#define COLS_MAX 9

struct imp;
struct column {
	const char *zh, *en;
	int required;
};
/* What differs between people, houses and units. */
struct kind {
	const char *name; /* import_progress.kind */
	const char *action, *permission, *object, *noun;
	struct column cols[COLS_MAX]; /* ends at the first without a name */
	/* Registers the batch's rows inside the write, reporting each bad row (bad_row); -1 only
	   for a store error. */
	int (*apply)(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
	             struct dom_err *e);
};

static int people_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                        struct dom_err *e);
static int houses_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                        struct dom_err *e);
static int units_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                       struct dom_err *e);

static const struct kind kinds[] = {
	[REGISTRY_IMPORT_PEOPLE] = { "people",
	                             "person.import",
	                             "person.write",
	                             "people:import",
	                             "实有人口",
	                             { [C_NAME] = { "姓名", "name", 1 },
	                               [C_ID] = { "身份证号码", "id_number", 1 },
	                               [C_REG] = { "登记类型", "reg_type", 1 },
	                               [C_GRID] = { "网格编码", "grid", 1 },
	                               [C_PHONE] = { "联系电话", "phone", 0 },
	                               [C_ADDRESS] = { "地址", "address", 0 },
	                               [C_ROOM] = { "房间", "room", 0 },
	                               [C_HOUSEHOLD] = { "户号", "household_no", 0 },
	                               [C_RELATION] = { "与户主关系", "relation", 0 } },
	                             people_apply },
	[REGISTRY_IMPORT_HOUSES] = { "houses",
	                             "house.import",
	                             "registry.write",
	                             "houses:import",
	                             "房屋",
	                             { [H_GRID] = { "网格编码", "grid", 1 },
	                               [H_ADDRESS] = { "地址", "address", 1 },
	                               [H_BUILDING] = { "楼栋", "building", 0 },
	                               [H_UNIT] = { "单元", "unit_no", 0 },
	                               [H_ROOM] = { "房号", "room", 0 },
	                               [H_TYPE] = { "房屋类型", "type", 1 },
	                               [H_USE] = { "房屋用途", "use", 1 },
	                               [H_DATE] = { "用途起始日期", "date", 0 } },
	                             houses_apply },
	[REGISTRY_IMPORT_UNITS] = { "units",
	                            "unit.import",
	                            "registry.write",
	                            "units:import",
	                            "单位",
	                            { [U_NAME] = { "单位名称", "name", 1 },
	                              [U_CREDIT] = { "统一社会信用代码", "credit_code", 1 },
	                              [U_KIND] = { "单位类别", "kind", 1 },
	                              [U_ADDRESS] = { "地址", "address", 1 },
	                              [U_GRID] = { "网格编码", "grid", 1 },
	                              [U_CONTACT] = { "联系人", "contact_name", 0 },
	                              [U_PHONE] = { "联系电话", "contact_phone", 0 } },
	                            units_apply },
};

/* A row of the current batch: its line and each column's offset + 1 in the arena (0: empty). */
struct prow {
	int64_t line;
	size_t off[COLS_MAX];
};

struct imp {
	const struct kind *k;
	const struct dom_ctx *x;
	const struct registry_import_opts *o;
	struct registry_import_result *r;
	size_t batch;
	int first; /* the header row is still to come */
	int map[MAX_FIELDS];
	crypto_generichash_state h; /* of every record read so far */
	/* The committed part of an earlier run. */
	int64_t resume_line, prior_rows;
	char resume_hash[HASH_HEX];
	int resume_checked;
	/* The batch being gathered. */
	struct buf arena;
	struct prow *rows;
	struct person_bulk_row *bulk; /* rows as person_insert_many takes them (cap of them) */
	size_t n, cap;
	int64_t batch_bad;
	int failed;         /* a batch had bad rows: nothing more is committed */
	int recheck;        /* look registered ID numbers up row by row (person_insert_many) */
	int stop;           /* stop reading (err says why) */
	struct dom_err err; /* the first error of the run */
};

static void report(struct imp *im, int64_t line, const char *code, const char *message)
{
	im->r->bad++;
	if (im->o->on_error)
		im->o->on_error(im->o->arg, line, code, message);
}

/* Keeps the first error of the run. */
static void keep(struct imp *im, const struct dom_err *e)
{
	if (!im->err.status)
		im->err = *e;
}

/* The hex hash of the records read so far (the running state is left as it is). */
static void hash_now(const struct imp *im, char out[HASH_HEX])
{
	crypto_generichash_state copy = im->h;
	unsigned char d[crypto_generichash_BYTES];

	crypto_generichash_final(&copy, d, sizeof d);
	sodium_bin2hex(out, HASH_HEX, d, sizeof d);
}

static const char *val(const struct imp *im, const struct prow *p, int k)
{
	return p->off[k] ? im->arena.data + p->off[k] - 1 : NULL;
}

static void bad_row(void *arg, int64_t line, const char *code, const char *message)
{
	struct imp *im = arg;

	report(im, line, code, message);
	im->batch_bad++;
}

/* People: person_insert_many, the whole batch at once. */
static int people_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                        struct dom_err *e)
{
	for (size_t i = 0; i < im->n; i++) {
		const struct prow *p = &im->rows[i];
		struct person_bulk_row *b = &im->bulk[i];
		const char *rt = person_reg_type_parse(val(im, p, C_REG));

		*b = (struct person_bulk_row){ .in = PERSON_INPUT_INIT, .line = p->line };
		b->in.name = val(im, p, C_NAME) ? val(im, p, C_NAME) : "";
		b->in.reg_type = val(im, p, C_REG) ? val(im, p, C_REG) : "";
		if (rt && strcmp(rt, "foreign") == 0)
			b->in.passport = val(im, p, C_ID) ? val(im, p, C_ID) : "";
		else
			b->in.id_number = val(im, p, C_ID) ? val(im, p, C_ID) : "";
		b->in.phone = val(im, p, C_PHONE);
		b->in.household_no = val(im, p, C_HOUSEHOLD);
		b->in.relation = val(im, p, C_RELATION);
		b->in.grid = val(im, p, C_GRID) ? val(im, p, C_GRID) : "";
		b->address = val(im, p, C_ADDRESS);
		b->room = val(im, p, C_ROOM);
	}
	return person_insert_many(c, x, im->bulk, im->n,
	                          im->recheck || im->failed ? PERSON_BULK_CHECK_REGISTERED : 0,
	                          bad_row, im, e) < 0
	               ? -1
	               : 0;
}

/* A row's own failure is reported and the batch goes on being checked; a store error ends it. */
static int row_failed(struct imp *im, const struct prow *p, struct dom_err *re, struct dom_err *e)
{
	if (re->status >= 500) {
		*e = *re;
		return -1;
	}
	bad_row(im, p->line, re->code, re->message);
	return 0;
}

/* Houses: house_insert row by row (a city has a few million; no bulk path needed yet). */
static int houses_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                        struct dom_err *e)
{
	for (size_t i = 0; i < im->n; i++) {
		const struct prow *p = &im->rows[i];
		struct house_input in = { .grid = val(im, p, H_GRID),
			                  .address = val(im, p, H_ADDRESS),
			                  .building = val(im, p, H_BUILDING),
			                  .unit_no = val(im, p, H_UNIT),
			                  .room = val(im, p, H_ROOM),
			                  .type = val(im, p, H_TYPE),
			                  .use = val(im, p, H_USE),
			                  .date = val(im, p, H_DATE) };
		struct dom_err re = { 0 };
		int64_t id;

		if (house_insert(c, x, &in, &id, &re) < 0 && row_failed(im, p, &re, e) < 0)
			return -1;
	}
	return 0;
}

/* Units: unit_insert row by row; a credit code already registered (or twice in the file) is a
   bad row (409 duplicate). */
static int units_apply(struct store_conn *c, const struct dom_ctx *x, struct imp *im,
                       struct dom_err *e)
{
	for (size_t i = 0; i < im->n; i++) {
		const struct prow *p = &im->rows[i];
		struct unit_input in = { .grid = val(im, p, U_GRID),
			                 .name = val(im, p, U_NAME),
			                 .credit_code = val(im, p, U_CREDIT),
			                 .kind = val(im, p, U_KIND),
			                 .address = val(im, p, U_ADDRESS),
			                 .contact_name = val(im, p, U_CONTACT),
			                 .contact_phone = val(im, p, U_PHONE) };
		struct dom_err re = { 0 };
		int64_t id;

		if (unit_insert(c, x, &in, &id, &re) < 0 && row_failed(im, p, &re, e) < 0)
			return -1;
	}
	return 0;
}

/* Registers the rows of the batch by the kind's apply; any bad row fails the write (the kernel
   rolls it back and records the failure), as does the check-only mode after a bad batch. */
static int batch_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct imp *im = w->arg;
	char hash[HASH_HEX];
	int64_t last;

	im->batch_bad = 0;
	if (im->k->apply(c, x, im, e) < 0)
		return -1;
	if (im->batch_bad > 0)
		return dom_err_set(e, 400, "import_failed",
		                   "第 %" PRId64 "–%" PRId64 " 行这一批有 %" PRId64
		                   " 行错误，该批未导入",
		                   im->rows[0].line, im->rows[im->n - 1].line, im->batch_bad);
	if (im->failed)
		return dom_err_set(e, 400, "import_failed", "前面的批次有错误，本批只检查未导入");
	last = im->rows[im->n - 1].line;
	hash_now(im, hash);
	if (dom_exec(c, e,
	             "INSERT INTO import_progress (source, kind, last_line, rows, prefix_hash, "
	             "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, kind) DO UPDATE "
	             "SET last_line = excluded.last_line, rows = excluded.rows, prefix_hash = "
	             "excluded.prefix_hash, updated_at = excluded.updated_at",
	             "ttiiti", im->o->source, im->k->name, last,
	             im->prior_rows + im->r->imported + (int64_t)im->n, hash, x->now) < 0)
		return -1;
	dom_write_detail(w, "批量导入%s %zu 条（第 %" PRId64 "–%" PRId64 " 行）", im->k->noun,
	                 im->n, im->rows[0].line, last);
	return 0;
}

/* Writes the gathered batch as one dom_write. */
static void flush(struct imp *im)
{
	struct dom_write w = { .action = im->k->action,
		               .permission = im->k->permission,
		               /* Every row's grid, house and duplicate are checked in apply by
		                  person_insert_many, inside the caller's scope, and reported on the
		                  row's line; the permission is the rule for the file. */
		               .authorize = dom_authorize_any,
		               .apply = batch_apply,
		               .arg = im,
		               .callers_unchanged = 1,
		               .alone = 1 };
	struct dom_err e = { 0 };

	if (im->n == 0)
		return;
	dom_write_object(&w, "%s", im->k->object);
	if (dom_write(im->x, &w, &e) < 0 && strcmp(e.code, "recheck") == 0) {
		/* The quick pass met a bad row or a number registered before: the careful one
		   looks every number up and names each bad row. */
		im->recheck = 1;
		dom_write_object(&w, "%s", im->k->object);
		e = (struct dom_err){ 0 };
		(void)dom_write(im->x, &w, &e);
		im->recheck = 0;
	}
	if (!e.status) {
		im->r->imported += (int64_t)im->n;
		im->r->batches++;
		im->r->last_line = im->rows[im->n - 1].line;
	} else if (strcmp(e.code, "import_failed") == 0) {
		if (!im->failed)
			keep(im, &e);
		im->failed = 1;
	} else {
		keep(im, &e);
		im->stop = 1;
	}
	sodium_memzero(im->arena.data, im->arena.len);
	buf_reset(&im->arena);
	im->n = 0;
	if (im->o->on_progress)
		im->o->on_progress(im->o->arg, im->r);
	if (!im->stop && im->o->stop_after > 0 && im->r->batches >= im->o->stop_after) {
		dom_err_set(&e, 503, "stopped", "已按要求在第 %" PRId64 " 批后停止",
		            im->r->batches);
		keep(im, &e);
		im->stop = 1;
	}
}

/* Compares the records read so far with the committed part of the earlier run, once. */
static void check_resume(struct imp *im)
{
	char hash[HASH_HEX];
	struct dom_err e = { 0 };

	if (im->resume_line == 0 || im->resume_checked)
		return;
	im->resume_checked = 1;
	hash_now(im, hash);
	if (strcmp(hash, im->resume_hash) != 0) {
		dom_err_set(&e, 409, "file_changed",
		            "文件在已导入的部分（前 %" PRId64
		            " 行）与上次不同，不能续导；请恢复原文件",
		            im->resume_line);
		keep(im, &e);
		im->stop = 1;
	}
}

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

static void read_header(struct imp *im, struct buf *fields, int nf, int64_t line)
{
	int seen[COLS_MAX] = { 0 };
	const struct column *columns = im->k->cols;
	char msg[128];
	struct dom_err e = { 0 };

	for (int i = 0; i < MAX_FIELDS; i++)
		im->map[i] = -1;
	for (int i = 0; i < nf && i < MAX_FIELDS; i++)
		for (int k = 0; k < COLS_MAX && columns[k].zh; k++)
			if (strcmp(fields[i].data, columns[k].zh) == 0 ||
			    strcmp(fields[i].data, columns[k].en) == 0) {
				im->map[i] = k;
				seen[k] = 1;
			}
	for (int k = 0; k < COLS_MAX && columns[k].zh; k++)
		if (columns[k].required && !seen[k]) {
			(void)snprintf(msg, sizeof msg, "表头缺少“%s”列", columns[k].zh);
			report(im, line, "bad_header", msg);
			dom_err_set(&e, 400, "bad_header", "表头缺少必需的列");
			keep(im, &e);
			im->stop = 1;
		}
}

/* Takes one record read on line. */
static void take(struct imp *im, struct buf *fields, int nf, int64_t line)
{
	struct prow *p;
	int empty = 1;

	if (nf > MAX_FIELDS)
		nf = MAX_FIELDS;
	for (int i = 0; i < nf; i++) {
		trim(&fields[i]);
		empty = empty && fields[i].len == 0;
	}
	if (empty)
		return;
	if (!im->first && line > im->resume_line)
		check_resume(im);
	if (im->stop)
		return;
	for (int i = 0; i < nf; i++) {
		crypto_generichash_update(&im->h, (const unsigned char *)fields[i].data,
		                          fields[i].len);
		crypto_generichash_update(&im->h, (const unsigned char *)"\x1f", 1);
	}
	crypto_generichash_update(&im->h, (const unsigned char *)"\x1e", 1);
	if (im->first) {
		im->first = 0;
		read_header(im, fields, nf, line);
		return;
	}
	if (line <= im->resume_line)
		return; /* committed by an earlier run */
	im->r->rows++;
	if (im->n == im->cap) {
		size_t ncap = im->cap ? im->cap * 2 : 256;
		struct prow *nr = realloc(im->rows, ncap * sizeof *nr);
		struct person_bulk_row *nb = nr ? realloc(im->bulk, ncap * sizeof *nb) : NULL;

		if (nr)
			im->rows = nr;
		if (!nb) {
			dom_err_set(&im->err, 500, "internal", "内存不足");
			im->stop = 1;
			return;
		}
		im->bulk = nb;
		im->cap = ncap;
	}
	p = &im->rows[im->n++];
	memset(p, 0, sizeof *p);
	p->line = line;
	for (int i = 0; i < nf; i++) {
		int k = im->map[i];

		if (k < 0 || fields[i].len == 0 || p->off[k])
			continue;
		p->off[k] = im->arena.len + 1;
		if (buf_append(&im->arena, fields[i].data, fields[i].len + 1) < 0) {
			dom_err_set(&im->err, 500, "internal", "内存不足");
			im->stop = 1;
			return;
		}
	}
	if (im->n >= im->batch)
		flush(im);
}

/* Loads the committed part of an earlier run of the same source. */
static int start(struct imp *im, const struct dom_ctx *x, const struct registry_import_opts *o,
                 struct registry_import_result *r, struct dom_err *e)
{
	struct store_conn *c;
	struct store_stmt *st;
	int rc;

	memset(r, 0, sizeof *r);
	memset(im, 0, sizeof *im);
	im->x = x;
	im->o = o;
	im->r = r;
	im->k = &kinds[o->kind <= REGISTRY_IMPORT_UNITS ? o->kind : REGISTRY_IMPORT_PEOPLE];
	im->first = 1;
	im->batch = o->batch ? o->batch : REGISTRY_IMPORT_BATCH;
	buf_init(&im->arena, ARENA_MAX);
	crypto_generichash_init(&im->h, NULL, 0, crypto_generichash_BYTES);
	if (!o->source || !*o->source)
		return dom_err_set(e, 400, "bad_source", "缺少导入来源");
	if (!(c = dom_reader(x, e)))
		return -1;
	if (!(st = store_prepare(c, "SELECT last_line, rows, prefix_hash FROM import_progress "
	                            "WHERE source = ? AND kind = ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, o->source, -1);
	store_bind_text(st, 2, im->k->name, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		im->resume_line = store_col_int64(st, 0);
		im->prior_rows = store_col_int64(st, 1);
		dom_copy(im->resume_hash, sizeof im->resume_hash, store_col_text(st, 2));
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return dom_err_read(e);
	r->resumed_after = im->resume_line;
	r->last_line = im->resume_line;
	return 0;
}

static int finish(struct imp *im, struct dom_err *e)
{
	struct dom_err fe = { 0 };
	int rc = -1;

	if (!im->stop) {
		check_resume(im); /* the file ended inside (or at) the committed part */
		if (!im->stop)
			flush(im);
	}
	if (!im->err.status && im->first) {
		report(im, 1, "bad_header", "文件为空，缺少表头");
		dom_err_set(&fe, 400, "bad_header", "文件为空，缺少表头");
		keep(im, &fe);
	}
	if (!im->err.status && im->r->rows == 0 && im->resume_line == 0) {
		dom_err_set(&fe, 400, "empty", "文件中没有%s数据", im->k->noun);
		keep(im, &fe);
	}
	if (im->err.status) {
		*e = im->err;
	} else {
		im->r->already_complete = im->resume_line > 0 && im->r->rows == 0;
		rc = 0;
	}
	sodium_memzero(im->arena.data, im->arena.len);
	buf_release(&im->arena);
	free(im->rows);
	free(im->bulk);
	return rc;
}

int registry_import_csv(const struct dom_ctx *x, const char *data, size_t len,
                        const struct registry_import_opts *o, struct registry_import_result *r,
                        struct dom_err *e)
{
	struct imp *im = malloc(sizeof *im);
	struct buf fields[MAX_FIELDS];
	struct csv_reader rd;
	int nf, line = 0, rc = -1;

	if (!im)
		return dom_err_set(e, 500, "internal", "内部错误");
	for (int i = 0; i < MAX_FIELDS; i++)
		buf_init(&fields[i], FIELD_MAX);
	if (start(im, x, o, r, e) == 0) {
		csv_reader_init(&rd, data, len);
		while (!im->stop && (nf = csv_read(&rd, fields, MAX_FIELDS, &line)) != 0) {
			if (nf < 0) {
				report(im, line, "bad_csv",
				       nf == CSV_TOO_LONG ? "字段过长" : "引号未闭合");
				dom_err_set(&im->err, 400, "bad_csv", "第 %d 行：CSV 格式错误",
				            line);
				im->stop = 1;
				break;
			}
			take(im, fields, nf, line);
		}
		rc = finish(im, e);
	} else {
		buf_release(&im->arena);
	}
	for (int i = 0; i < MAX_FIELDS; i++) {
		sodium_memzero(fields[i].data, fields[i].len);
		buf_release(&fields[i]);
	}
	free(im);
	return rc;
}

int registry_import_xlsx(const struct dom_ctx *x, const char *data, size_t len,
                         const struct registry_import_opts *o, struct registry_import_result *r,
                         struct dom_err *e)
{
	struct imp *im = malloc(sizeof *im);
	struct buf fields[MAX_FIELDS];
	struct xlsx_table t;
	char err[256];
	int rc = -1;

	if (!im)
		return dom_err_set(e, 500, "internal", "内部错误");
	if (xlsx_read_first_sheet(data, len, &t, err, sizeof err) < 0) {
		xlsx_table_free(&t);
		free(im);
		memset(r, 0, sizeof *r);
		return dom_err_set(e, 400, "bad_xlsx", "无法读取 Excel 文件：%s", err);
	}
	for (int i = 0; i < MAX_FIELDS; i++)
		buf_init(&fields[i], FIELD_MAX);
	if (start(im, x, o, r, e) == 0) {
		for (size_t k = 0; k < t.n && !im->stop; k++) {
			const struct xlsx_row *row = &t.rows[k];
			int nf = row->n < MAX_FIELDS ? (int)row->n : MAX_FIELDS, bad = 0;

			for (int i = 0; i < nf && !bad; i++) {
				buf_reset(&fields[i]);
				bad = buf_puts(&fields[i],
				               row->cells[i].text ? row->cells[i].text : "") < 0;
			}
			if (bad) {
				report(im, row->number, "bad_row", "字段过长");
				dom_err_set(&im->err, 400, "bad_row", "第 %u 行：字段过长",
				            row->number);
				im->stop = 1;
				break;
			}
			take(im, fields, nf, row->number);
		}
		rc = finish(im, e);
	} else {
		buf_release(&im->arena);
	}
	for (int i = 0; i < MAX_FIELDS; i++) {
		sodium_memzero(fields[i].data, fields[i].len);
		buf_release(&fields[i]);
	}
	for (size_t k = 0; k < t.n; k++)
		for (size_t i = 0; i < t.rows[k].n; i++)
			if (t.rows[k].cells[i].text)
				sodium_memzero(t.rows[k].cells[i].text,
				               strlen(t.rows[k].cells[i].text));
	xlsx_table_free(&t);
	free(im);
	return rc;
}
