/*
 * The worker registry (worker.h): validation of a worker as a whole (the same for a create, a
 * change and an import row), the writes through dom_write (create, change, exit, grids), reads
 * scoped in SQL and keyset-paged in region-path order, and the JSON with masked personal fields.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/idcard.h"
#include "base/vault.h"
#include "domain/sealed.h"
#include "domain/sensitive.h"
#include "domain/user.h"
#include "domain/worker.h"
#include "store/store.h"

/* ---- codes and labels ---- */

struct code_label {
	const char *code, *label;
};

static const struct code_label employments[] = {
	{ "full_time", "专职" },
	{ "part_time", "兼职" },
};
/* Art. 12: where part-time workers come from. */
static const struct code_label sources[] = {
	{ "committee_member", "村/居委会成员" },
	{ "mediator", "人民调解员" },
	{ "police_assistant", "警务助理" },
	{ "villager_rep", "村民代表" },
	{ "resident_rep", "居民代表" },
	{ "property_staff", "物业服务人员" },
	{ "volunteer", "志愿者" },
	{ "other", "其他" },
};
static const struct code_label statuses[] = {
	{ "active", "在岗" },
	{ "suspended", "停岗" },
	{ "exited", "离岗" },
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup(const struct code_label *t, size_t n, const char *s, int want_label)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].code, s) == 0 || strcmp(t[i].label, s) == 0)
			return want_label ? t[i].label : t[i].code;
	return NULL;
}

const char *worker_employment_parse(const char *s)
{
	return lookup(employments, N_OF(employments), s, 0);
}
const char *worker_employment_label(const char *code)
{
	return lookup(employments, N_OF(employments), code, 1);
}
const char *worker_source_parse(const char *s)
{
	return lookup(sources, N_OF(sources), s, 0);
}
const char *worker_source_label(const char *code)
{
	return lookup(sources, N_OF(sources), code, 1);
}
const char *worker_status_parse(const char *s)
{
	return lookup(statuses, N_OF(statuses), s, 0);
}
const char *worker_status_label(const char *code)
{
	return lookup(statuses, N_OF(statuses), code, 1);
}

const char *worker_nationality_parse(const char *s)
{
	if (!s)
		return NULL;
	if (strcasecmp(s, "CHN") == 0 || strcmp(s, "中国") == 0 || strcmp(s, "中华人民共和国") == 0)
		return "CHN";
	return NULL;
}

/* ---- dates ---- */

static int date_parts(const char *s, int *y, int *m, int *d)
{
	if (!s || strlen(s) != WORKER_DATE_LEN || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < WORKER_DATE_LEN; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return *y >= 1900 && clock_valid_date(*y, *m, *d) ? 0 : -1;
}

int worker_date_valid(const char *s)
{
	int y, m, d;

	return date_parts(s, &y, &m, &d) == 0;
}

const char *worker_local_date(int64_t t, char out[WORKER_DATE_LEN + 1])
{
	int64_t local = t + 8 * 3600, days = local / 86400;
	int y, m, d;

	if (local % 86400 < 0)
		days--;
	clock_civil_from_days(days, &y, &m, &d);
	(void)snprintf(out, WORKER_DATE_LEN + 1, "%04u-%02u-%02u", (unsigned)y % 10000u,
	               (unsigned)m % 100u, (unsigned)d % 100u);
	return out;
}

/* ---- validation ---- */

/* 1 when a phone number looks like one: 3..20 of digits, '-', '+', ' '. */
static int phone_ok(const char *s)
{
	size_t n = strlen(s), digits = 0;

	if (n < 3 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '-' && s[i] != '+' && s[i] != ' ')
			return 0;
	}
	return digits >= 3;
}

/* 1 when s is at most max characters of UTF-8 text without control characters. */
static int text_ok(const char *s, size_t max)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return dom_utf8_chars(s) <= max;
}

/* Overlays the given fields of in on w (a new worker, or the stored one for a change). */
static void overlay(struct worker *w, const struct worker_input *in)
{
#define SET(field, val)                                                                            \
	do {                                                                                       \
		if (val)                                                                           \
			dom_copy(w->field, sizeof w->field, val);                                  \
	} while (0)
	SET(name, in->name);
	SET(id_number, in->id_number);
	/* "中国" does not fit the three-letter code's field: its code goes in. */
	SET(nationality, worker_nationality_parse(in->nationality) ? "CHN" : in->nationality);
	SET(phone, in->phone);
	SET(work_phone, in->work_phone);
	SET(employment, in->employment);
	SET(part_time_source, in->part_time_source);
	SET(education, in->education);
	SET(certificate_no, in->certificate_no);
	SET(certificate_valid_to, in->certificate_valid_to);
	SET(region_code, in->region);
	SET(start_date, in->start_date);
	SET(status, in->status);
	SET(status_date, in->status_date);
#undef SET
	if (in->user_id >= 0)
		w->user_id = in->user_id;
}

/*
 * Checks w (all fields merged) without the database and fills the derived ones: the normalized
 * ID number, birth date and sex, the codes of labels. in says what was given (a full-time worker
 * given a part-time source is refused; one changed to full-time loses the stored source).
 */
static int validate(const struct dom_ctx *x, struct worker *w, const struct worker_input *in,
                    int creating, struct dom_err *e)
{
	char msg[256], today[WORKER_DATE_LEN + 1];
	struct code_error ce = { 0 };
	struct idcard id;
	const char *v;
	int ty, tm, td, y, m, d, age;

	worker_local_date(x->now, today);
	(void)date_parts(today, &ty, &tm, &td);
	if (!dom_name_valid(w->name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "姓名无效：%s", msg);
	if (dom_utf8_chars(w->name) > WORKER_NAME_CHARS)
		return dom_err_set(e, 400, "bad_name", "姓名过长（最多 %d 个字）",
		                   WORKER_NAME_CHARS);
	if (!w->id_number[0])
		return dom_err_set(e, 400, "bad_id_number", "缺少身份证号码");
	if (idcard_parse_on(w->id_number, ty, tm, td, &id, &ce) < 0)
		return dom_err_set(e, 400, "bad_id_number", "身份证号码无效：%s",
		                   ce.message ? ce.message : "格式错误");
	dom_copy(w->id_number, sizeof w->id_number, id.number);
	idcard_birth_date(&id, w->birth_date);
	dom_copy(w->sex, sizeof w->sex, idcard_sex_code(&id));
	if (!w->nationality[0])
		dom_copy(w->nationality, sizeof w->nationality, "CHN");
	if (!(v = worker_nationality_parse(w->nationality)))
		return dom_err_set(
		        e, 400, "nationality",
		        "网格员须具有中华人民共和国国籍（《聊城市城乡网格化服务管理条例》"
		        "第十一条），不能登记国籍为“%.32s”的人员",
		        w->nationality);
	dom_copy(w->nationality, sizeof w->nationality, v);
	if (!(v = worker_employment_parse(w->employment)))
		return dom_err_set(e, 400, "bad_employment",
		                   "用工类型应为 专职（full_time）或 "
		                   "兼职（part_time）");
	dom_copy(w->employment, sizeof w->employment, v);
	if (strcmp(w->employment, "full_time") == 0) {
		if (in->part_time_source && *in->part_time_source)
			return dom_err_set(e, 400, "bad_source", "专职网格员不填写兼职来源");
		w->part_time_source[0] = '\0';
	} else if (!(v = worker_source_parse(w->part_time_source))) {
		return dom_err_set(e, 400, "bad_source",
		                   "兼职网格员须填写来源（《条例》第十二条）：村/居委会成员、"
		                   "人民调解员、警务助理、村民代表、居民代表、物业服务人员、"
		                   "志愿者或其他");
	} else {
		dom_copy(w->part_time_source, sizeof w->part_time_source, v);
	}
	if (w->phone[0] && !phone_ok(w->phone))
		return dom_err_set(e, 400, "bad_phone", "联系电话格式无效");
	if (w->work_phone[0] && !phone_ok(w->work_phone))
		return dom_err_set(e, 400, "bad_phone", "工作电话格式无效");
	if (!text_ok(w->education, 32))
		return dom_err_set(e, 400, "bad_field", "文化程度过长（最多 32 个字）");
	if (!text_ok(w->certificate_no, 40))
		return dom_err_set(e, 400, "bad_field", "上岗证编号过长（最多 40 个字）");
	if (w->certificate_valid_to[0] && !worker_date_valid(w->certificate_valid_to))
		return dom_err_set(e, 400, "bad_date",
		                   "上岗证有效期应为 YYYY-MM-DD 格式的有效日期");
	if (!w->start_date[0])
		dom_copy(w->start_date, sizeof w->start_date, today);
	if (date_parts(w->start_date, &y, &m, &d) < 0)
		return dom_err_set(e, 400, "bad_date", "到岗日期应为 YYYY-MM-DD 格式的有效日期");
	age = idcard_age_on(&id, y, m, d);
	if (age < 18)
		return dom_err_set(
		        e, 400, "under_age",
		        "网格员须年满十八周岁（《聊城市城乡网格化服务管理条例》第十一条）："
		        "按身份证号码，该人员出生于 %s，到岗日期 %s 时%s",
		        w->birth_date, w->start_date, age < 0 ? "尚未出生" : "未满十八周岁");
	if (creating) {
		dom_copy(w->status, sizeof w->status, "active");
		if (!w->status_date[0])
			dom_copy(w->status_date, sizeof w->status_date, w->start_date);
	} else {
		if (!(v = worker_status_parse(w->status)) || strcmp(v, "exited") == 0)
			return dom_err_set(
			        e, 400, "bad_status",
			        "状态只能改为 在岗（active）或 停岗（suspended）；离岗请使用"
			        "离岗程序");
		dom_copy(w->status, sizeof w->status, v);
		if (in->status && !in->status_date)
			dom_copy(w->status_date, sizeof w->status_date, today);
	}
	if (!worker_date_valid(w->status_date))
		return dom_err_set(e, 400, "bad_date", "状态日期应为 YYYY-MM-DD 格式的有效日期");
	sodium_memzero(&id, sizeof id);
	return 0;
}

/* ---- reads ---- */

#define WORKER_COLS                                                                                \
	"w.id, w.name, w.id_number, w.birth_date, w.sex, w.nationality, coalesce(w.phone, ''), "   \
	"coalesce(w.work_phone, ''), w.employment, coalesce(w.part_time_source, ''), "             \
	"coalesce(w.education, ''), coalesce(w.certificate_no, ''), "                              \
	"coalesce(w.certificate_valid_to, ''), w.region_code, r.name, w.path, w.start_date, "      \
	"w.status, w.status_date, coalesce(w.exit_reason, ''), coalesce(w.user_id, 0), "           \
	"w.version, "                                                                              \
	"w.created_at, w.updated_at"
#define WORKER_NCOLS 24
#define WORKER_FROM " FROM workers w JOIN regions r ON r.code = w.region_code "

static void worker_from_row(struct store_stmt *st, int at, struct worker *w)
{
	memset(w, 0, sizeof *w);
	w->id = store_col_int64(st, at + 0);
	dom_copy(w->name, sizeof w->name, store_col_text(st, at + 1));
	sealed_open(w->id_number, sizeof w->id_number, SEALED_FIELD_WORKER_ID_NUMBER, w->id,
	            store_col_text(st, at + 2));
	dom_copy(w->birth_date, sizeof w->birth_date, store_col_text(st, at + 3));
	dom_copy(w->sex, sizeof w->sex, store_col_text(st, at + 4));
	dom_copy(w->nationality, sizeof w->nationality, store_col_text(st, at + 5));
	sealed_open(w->phone, sizeof w->phone, SEALED_FIELD_WORKER_PHONE, w->id,
	            store_col_text(st, at + 6));
	dom_copy(w->work_phone, sizeof w->work_phone, store_col_text(st, at + 7));
	dom_copy(w->employment, sizeof w->employment, store_col_text(st, at + 8));
	dom_copy(w->part_time_source, sizeof w->part_time_source, store_col_text(st, at + 9));
	dom_copy(w->education, sizeof w->education, store_col_text(st, at + 10));
	dom_copy(w->certificate_no, sizeof w->certificate_no, store_col_text(st, at + 11));
	dom_copy(w->certificate_valid_to, sizeof w->certificate_valid_to,
	         store_col_text(st, at + 12));
	dom_copy(w->region_code, sizeof w->region_code, store_col_text(st, at + 13));
	dom_copy(w->region_name, sizeof w->region_name, store_col_text(st, at + 14));
	dom_copy(w->path, sizeof w->path, store_col_text(st, at + 15));
	dom_copy(w->start_date, sizeof w->start_date, store_col_text(st, at + 16));
	dom_copy(w->status, sizeof w->status, store_col_text(st, at + 17));
	dom_copy(w->status_date, sizeof w->status_date, store_col_text(st, at + 18));
	dom_copy(w->exit_reason, sizeof w->exit_reason, store_col_text(st, at + 19));
	w->user_id = store_col_int64(st, at + 20);
	w->version = store_col_int64(st, at + 21);
	w->created_at = store_col_int64(st, at + 22);
	w->updated_at = store_col_int64(st, at + 23);
}

/* The scope condition of workers: the caller's region subtree on w.path, and for a grid-bound
   caller only the worker linked to its own account. */
static void worker_scope_sql(const struct principal *p, char out[DOM_SCOPE_SQL_MAX + 32])
{
	char scope[DOM_SCOPE_SQL_MAX];

	dom_scope_sql(p, "w.path", NULL, scope);
	(void)snprintf(out, DOM_SCOPE_SQL_MAX + 32, "%s%s", scope,
	               p->grid_bound && !p->is_system ? " AND w.user_id = ?" : "");
}

static int worker_scope_bind(const struct principal *p, struct store_stmt *st, int idx)
{
	idx = dom_scope_bind(p, NULL, st, idx);
	if (idx > 0 && p->grid_bound && !p->is_system && store_bind_int64(st, idx++, p->user_id))
		return -1;
	return idx;
}

int worker_load(struct store_conn *c, const struct dom_ctx *x, int64_t id, struct worker *out)
{
	char scope[DOM_SCOPE_SQL_MAX + 32], sql[1024];
	struct store_stmt *st;
	int rc, found = -1;

	memset(out, 0, sizeof *out);
	if (!c)
		return -1;
	worker_scope_sql(x->caller, scope);
	(void)snprintf(sql, sizeof sql, "SELECT " WORKER_COLS WORKER_FROM "WHERE w.id = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_int64(st, 1, id) || worker_scope_bind(x->caller, st, 2) < 0)
		goto out;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		worker_from_row(st, 0, out);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
out:
	store_reset(st);
	return found;
}

int worker_get(const struct dom_ctx *x, int64_t id, struct worker *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int rc;

	if (!c)
		return -1;
	rc = worker_load(c, x, id, out);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格员不存在");
	return 0;
}

/* [{code, name, lead}] of the grids worker id serves. */
static json_t *grids_json(struct store_conn *c, int64_t id)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT g.code, g.name, wg.lead FROM worker_grids wg JOIN grids g ON g.id = "
	           "wg.grid_id WHERE wg.worker_id = ? ORDER BY g.code");
	json_t *a = json_array();

	if (!st || !a)
		return a;
	store_bind_int64(st, 1, id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "code", store_col_text(st, 0),
		                                   "name", store_col_text(st, 1), "lead",
		                                   (int)store_col_int64(st, 2)));
	store_reset(st);
	return a;
}

/* An optional text: the string, or JSON null when empty. */
static json_t *opt(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *worker_json_base(const struct worker *w, int unmask, int64_t now)
{
	char idn[64], phone[64], t1[32], t2[32], today[WORKER_DATE_LEN + 1];
	struct idcard id;
	int ty, tm, td, age = -1;
	json_t *o;

	worker_local_date(now, today);
	if (date_parts(today, &ty, &tm, &td) == 0 &&
	    idcard_parse_on(w->id_number, ty, tm, td, &id, NULL) == 0)
		age = idcard_age_on(&id, ty, tm, td);
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s,s:s,s:b}", "id",
	              (json_int_t)w->id, "name", w->name, "sex", w->sex, "nationality",
	              w->nationality, "employment", w->employment, "employment_label",
	              worker_employment_label(w->employment), "start_date", w->start_date, "region",
	              "code", w->region_code, "name", w->region_name, "status", w->status,
	              "status_label", worker_status_label(w->status), "status_date", w->status_date,
	              "created_at", clock_format_local(w->created_at, t1, sizeof t1), "masked",
	              !unmask);
	if (!o)
		return NULL;
	json_object_set_new(
	        o, "id_number",
	        w->id_number[0] ? json_string(sensitive_show("worker", "id_number", w->id_number,
	                                                     unmask, idn, sizeof idn))
	                        : json_null());
	json_object_set_new(o, "phone",
	                    w->phone[0] ? json_string(sensitive_show("worker", "phone", w->phone,
	                                                             unmask, phone, sizeof phone))
	                                : json_null());
	/* The birth date is part of the ID number: shown with it, otherwise only the age. */
	json_object_set_new(o, "birth_date", unmask ? json_string(w->birth_date) : json_null());
	json_object_set_new(o, "age", age >= 0 ? json_integer(age) : json_null());
	json_object_set_new(o, "work_phone", opt(w->work_phone));
	json_object_set_new(o, "part_time_source", opt(w->part_time_source));
	json_object_set_new(
	        o, "part_time_source_label",
	        opt(w->part_time_source[0] ? worker_source_label(w->part_time_source) : NULL));
	json_object_set_new(o, "education", opt(w->education));
	json_object_set_new(o, "certificate_no", opt(w->certificate_no));
	json_object_set_new(o, "certificate_valid_to", opt(w->certificate_valid_to));
	json_object_set_new(o, "exit_reason", opt(w->exit_reason));
	json_object_set_new(o, "user_id", w->user_id ? json_integer(w->user_id) : json_null());
	json_object_set_new(o, "version", json_integer(w->version));
	json_object_set_new(o, "updated_at",
	                    json_string(clock_format_local(w->updated_at, t2, sizeof t2)));
	sodium_memzero(&id, sizeof id);
	return o;
}

json_t *worker_to_json(const struct dom_ctx *x, const struct worker *w, int unmask)
{
	json_t *o = worker_json_base(w, unmask, x ? x->now : 0);
	struct dom_err e = { 0 };
	struct store_conn *c;

	if (o && x && (c = dom_reader(x, &e)))
		json_object_set_new(o, "grids", grids_json(c, w->id));
	return o;
}

int worker_filter_check(const struct worker_filter *f, struct dom_err *e)
{
	char code[13];

	if (f->region && !region_code_normalize(f->region, code, NULL))
		return dom_err_set(e, 400, "bad_param", "参数 region 应为 6 位或 12 位区划代码");
	if (f->employment && !worker_employment_parse(f->employment))
		return dom_err_set(e, 400, "bad_param",
		                   "参数 employment 应为 full_time 或 part_time");
	if (f->status && !worker_status_parse(f->status))
		return dom_err_set(e, 400, "bad_param",
		                   "参数 status 应为 active、suspended 或 exited");
	if (f->cert_before && !worker_date_valid(f->cert_before))
		return dom_err_set(e, 400, "bad_param",
		                   "参数 cert_before 应为 YYYY-MM-DD 格式的日期");
	if (f->grid && (strlen(f->grid) != 15 || strspn(f->grid, "0123456789") != 15))
		return dom_err_set(e, 400, "bad_param", "参数 grid 应为 15 位网格编码");
	return 0;
}

/* The list's statement: filters of f bound, keyset after the worker `after` (0: from the start),
   limit rows (-1: all). Column 0 is the id, then WORKER_COLS from 1 and the grids served as
   "code:lead,..." in column WORKER_NCOLS + 1. NULL with e. */
static struct store_stmt *list_stmt(struct store_conn *c, const struct dom_ctx *x,
                                    const struct worker_filter *f, int64_t after, int64_t limit,
                                    struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX + 32], sql[2048], code[13], lo[ACCESS_PATH_MAX],
	        hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	struct region reg;
	int k = 1, rc;

	lo[0] = hi[0] = '\0';
	if (f->region) {
		(void)region_code_normalize(f->region, code, NULL);
		rc = region_load(c, x, code, &reg);
		region_release(&reg);
		if (rc < 0) {
			dom_err_read(e);
			return NULL;
		}
		if (rc == 0) {
			dom_err_set(e, 404, "not_found", "区划不存在");
			return NULL;
		}
		dom_copy(lo, sizeof lo, reg.path);
		dom_copy(hi, sizeof hi, reg.path);
		hi[strlen(hi) - 1] = (char)(hi[strlen(hi) - 1] + 1);
	}
	worker_scope_sql(x->caller, scope);
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT w.id, " WORKER_COLS ", (SELECT group_concat(g.code || ':' || wg.lead, ',') "
	        "FROM worker_grids wg JOIN grids g ON g.id = wg.grid_id WHERE wg.worker_id = "
	        "w.id) " WORKER_FROM
	        "WHERE (? = 0 OR (w.path, w.id) > ((SELECT w2.path FROM workers w2 "
	        "WHERE w2.id = ?), ?))%s%s%s%s%s%s ORDER BY w.path, w.id LIMIT ?",
	        scope, f->region ? " AND w.path >= ? AND w.path < ?" : "",
	        f->employment ? " AND w.employment = ?" : "", f->status ? " AND w.status = ?" : "",
	        f->cert_before ? " AND (w.certificate_valid_to IS NULL OR "
	                         "w.certificate_valid_to < ?)"
	                       : "",
	        f->grid ? " AND EXISTS (SELECT 1 FROM worker_grids wg2 JOIN grids g2 ON g2.id = "
	                  "wg2.grid_id WHERE wg2.worker_id = w.id AND g2.code = ?)"
	                : "");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = worker_scope_bind(x->caller, st, k);
	if (f->region) {
		store_bind_text(st, k++, lo, -1);
		store_bind_text(st, k++, hi, -1);
	}
	if (f->employment)
		store_bind_text(st, k++, worker_employment_parse(f->employment), -1);
	if (f->status)
		store_bind_text(st, k++, worker_status_parse(f->status), -1);
	if (f->cert_before)
		store_bind_text(st, k++, f->cert_before, -1);
	if (f->grid)
		store_bind_text(st, k++, f->grid, -1);
	store_bind_int64(st, k, limit);
	return st;
}

struct row_ctx {
	int unmask;
	int64_t now;
};

static json_t *list_row(struct store_stmt *st, void *arg)
{
	struct row_ctx *rc = arg;
	struct worker w;
	json_t *o, *grids = json_array();
	const char *gs = store_col_text(st, WORKER_NCOLS + 1);

	worker_from_row(st, 1, &w);
	o = worker_json_base(&w, rc->unmask, rc->now);
	sodium_memzero(&w, sizeof w);
	/* "371502001001001:1,371502001001002:0": codes are digits, so ',' and ':' separate. */
	while (gs && *gs && grids) {
		const char *colon = strchr(gs, ':'), *comma = strchr(gs, ',');
		char code[16];
		size_t n = colon ? (size_t)(colon - gs) : 0;

		if (!colon || n >= sizeof code)
			break;
		memcpy(code, gs, n);
		code[n] = '\0';
		json_array_append_new(
		        grids, json_pack("{s:s,s:b}", "code", code, "lead", colon[1] == '1'));
		gs = comma ? comma + 1 : "";
	}
	if (o)
		json_object_set_new(o, "grids", grids);
	else
		json_decref(grids);
	return o;
}

json_t *worker_list(const struct dom_ctx *x, const struct worker_filter *f,
                    const struct dom_page *pg, int unmask, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct row_ctx rc = { unmask, x->now };
	struct store_stmt *st;
	int64_t after;

	if (!c || worker_filter_check(f, e) < 0 || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	if (!(st = list_stmt(c, x, f, after, pg->limit + 1, e)))
		return NULL;
	return dom_page_collect(st, pg, list_row, &rc, e);
}

int worker_each(const struct dom_ctx *x, const struct worker_filter *f, worker_each_fn fn,
                void *arg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	struct worker w;
	int rc, result = 0;

	if (!c || worker_filter_check(f, e) < 0 || !(st = list_stmt(c, x, f, 0, -1, e)))
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		worker_from_row(st, 1, &w);
		result = fn(&w, arg);
		if (result)
			break;
	}
	sodium_memzero(&w, sizeof w);
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return dom_err_read(e);
	return result ? -1 : 0;
}

/* ---- writes ---- */

struct worker_arg {
	int64_t id;
	const struct worker_input *in;
	struct worker w;   /* the worker as it will be stored */
	struct worker old; /* a change: as it was */
	char bidx[VAULT_INDEX_HEX];
	/* exit */
	const char *date, *reason;
	/* grids */
	const struct worker_grid_input *grids;
	size_t ngrids;
	int64_t grid_ids[WORKER_GRIDS_MAX];
};

/* Rewrites the grid bindings (access scope) of account user_id to the grids worker id serves. */
static int sync_account_grids(struct store_conn *c, int64_t user_id, int64_t id, struct dom_err *e)
{
	if (user_id <= 0)
		return 0;
	if (dom_exec(c, e, "DELETE FROM user_grids WHERE user_id = ?", "i", user_id) < 0)
		return -1;
	return dom_exec(c, e,
	                "INSERT INTO user_grids (user_id, grid_id) SELECT ?, grid_id FROM "
	                "worker_grids WHERE worker_id = ?",
	                "ii", user_id, id);
}

/* The database checks of a worker to be stored: managing region in scope, the linked account
   visible and free, the ID number not registered for another worker. */
static int check_refs(struct store_conn *c, const struct dom_ctx *x, struct worker_arg *a,
                      struct dom_err *e)
{
	struct worker *w = &a->w;
	struct store_stmt *st;
	struct region reg;
	int rc;

	rc = region_load(c, x, w->region_code, &reg);
	region_release(&reg);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "所属区划不存在");
	if (reg.level < 3)
		return dom_err_set(e, 400, "bad_region",
		                   "网格员应由县（市、区）、乡镇（街道）或村（社区）管理");
	dom_copy(w->path, sizeof w->path, reg.path);
	dom_copy(w->region_name, sizeof w->region_name, reg.name);
	if (w->user_id > 0) {
		struct user_view u;
		int r2 = user_load_for_write(c, x, w->user_id, &u, e);

		sodium_memzero(&u, sizeof u);
		if (r2 < 0)
			return -1;
		if (!(st = store_prepare(c,
		                         "SELECT id FROM workers WHERE user_id = ? AND id != ?")))
			return dom_err_read(e);
		store_bind_int64(st, 1, w->user_id);
		store_bind_int64(st, 2, a->id);
		rc = store_step(st);
		store_reset(st);
		if (rc == STORE_ROW)
			return dom_err_set(e, 409, "account_linked", "该账号已关联其他网格员");
	}
	if (sealed_index(SEALED_FIELD_WORKER_ID_NUMBER, w->id_number, a->bidx) < 0)
		return dom_err_set(e, 503, "vault_unavailable",
		                   "敏感信息加密密钥未加载，暂时无法保存身份证号码");
	if (!(st = store_prepare(c, "SELECT id FROM workers WHERE id_number_bidx = ? AND id != ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, a->bidx, -1);
	store_bind_int64(st, 2, a->id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		int64_t other = store_col_int64(st, 0);

		store_reset(st);
		return dom_err_set(e, 409, "duplicate",
		                   "该身份证号码已登记为网格员（编号 %" PRId64 "），不能重复登记",
		                   other);
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : dom_err_read(e);
}

static int store_sealed(struct store_conn *c, const struct worker *w, struct dom_err *e)
{
	if (sealed_put(c, SEALED_FIELD_WORKER_ID_NUMBER, w->id, w->id_number, e) < 0 ||
	    sealed_put(c, SEALED_FIELD_WORKER_PHONE, w->id, w->phone, e) < 0)
		return -1;
	return 0;
}

static int insert_worker(struct store_conn *c, const struct dom_ctx *x, struct worker_arg *a,
                         struct dom_err *e)
{
	struct worker *w = &a->w;

	if (check_refs(c, x, a, e) < 0)
		return -1;
	/* The sealed values are bound to the row id, so they are written once the row exists;
	   the blind index goes in now and its UNIQUE constraint guards against a race. */
	if (dom_exec(c, e,
	             "INSERT INTO workers (name, id_number, id_number_bidx, birth_date, sex, "
	             "nationality, work_phone, employment, part_time_source, education, "
	             "certificate_no, certificate_valid_to, region_code, path, start_date, status, "
	             "status_date, user_id, created_at, updated_at) VALUES (?, '', ?, ?, ?, ?, ?, "
	             "?, "
	             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             "ttttttttttttttttnii", w->name, a->bidx, w->birth_date, w->sex, w->nationality,
	             w->work_phone[0] ? w->work_phone : NULL, w->employment,
	             w->part_time_source[0] ? w->part_time_source : NULL,
	             w->education[0] ? w->education : NULL,
	             w->certificate_no[0] ? w->certificate_no : NULL,
	             w->certificate_valid_to[0] ? w->certificate_valid_to : NULL, w->region_code,
	             w->path, w->start_date, w->status, w->status_date, w->user_id, x->now,
	             x->now) < 0)
		return -1;
	w->id = a->id = store_last_insert_id(c);
	if (store_sealed(c, w, e) < 0)
		return -1;
	/* A newly linked account serves no grid yet: its bindings follow the worker's (none). */
	return sync_account_grids(c, w->user_id, w->id, e);
}

int worker_insert(struct store_conn *c, const struct dom_ctx *x, const struct worker_input *in,
                  int64_t *id, struct dom_err *e)
{
	struct worker_arg *a = calloc(1, sizeof *a);
	int rc = -1;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->in = in;
	overlay(&a->w, in);
	if (validate(x, &a->w, in, 1, e) == 0 && insert_worker(c, x, a, e) == 0) {
		*id = a->id;
		rc = 0;
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	return check_refs(c, x, a, e);
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	if (insert_worker(c, x, a, e) < 0)
		return -1;
	dom_write_object(w, "worker:%" PRId64, a->id);
	dom_write_detail(w, "登记网格员 %s（%s，%s）", a->w.name,
	                 worker_employment_label(a->w.employment), a->w.region_name);
	w->callers_unchanged = a->w.user_id == 0;
	return 0;
}

int worker_create(const struct dom_ctx *x, const struct worker_input *in, int64_t *id,
                  struct dom_err *e)
{
	struct worker_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = "worker.create",
		               .permission = "worker.write",
		               .authorize = create_authorize,
		               .apply = create_apply };
	int rc;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->in = in;
	overlay(&a->w, in);
	w.arg = a;
	dom_write_object(&w, "worker:new");
	if (!a->w.region_code[0]) {
		rc = dom_err_set(e, 400, "bad_region", "缺少所属区划 region");
	} else if ((rc = validate(x, &a->w, in, 1, e)) == 0) {
		rc = dom_write(x, &w, e);
		*id = a->id;
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

/* Loads worker a->id for a write into a->old (404 outside the scope; 409 once exited). */
static int load_for_write(struct store_conn *c, const struct dom_ctx *x, struct worker_arg *a,
                          struct dom_err *e)
{
	int rc = worker_load(c, x, a->id, &a->old);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格员不存在");
	if (strcmp(a->old.status, "exited") == 0)
		return dom_err_set(e, 409, "worker_exited", "该网格员已离岗，不能再修改");
	return 0;
}

static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	if (load_for_write(c, x, a, e) < 0)
		return -1;
	if (a->in->version > 0 && a->in->version != a->old.version)
		return dom_err_set(e, 409, "version_conflict",
		                   "该网格员信息已被他人修改（当前版本 %" PRId64 "），请刷新后重试",
		                   a->old.version);
	a->w = a->old;
	overlay(&a->w, a->in);
	if (validate(x, &a->w, a->in, 0, e) < 0)
		return -1;
	/* The new managing region must be in the caller's scope too (check_refs). */
	return check_refs(c, x, a, e);
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct worker_arg *a = w->arg;
	struct worker *n = &a->w;

	if (dom_exec(
	            c, e,
	            "UPDATE workers SET name = ?, id_number_bidx = ?, birth_date = ?, sex = ?, "
	            "work_phone = ?, employment = ?, part_time_source = ?, education = ?, "
	            "certificate_no = ?, certificate_valid_to = ?, region_code = ?, path = ?, "
	            "start_date = ?, status = ?, status_date = ?, user_id = ?, version = version + "
	            "1, updated_at = ? WHERE id = ?",
	            "tttttttttttttttnii", n->name, a->bidx, n->birth_date, n->sex,
	            n->work_phone[0] ? n->work_phone : NULL, n->employment,
	            n->part_time_source[0] ? n->part_time_source : NULL,
	            n->education[0] ? n->education : NULL,
	            n->certificate_no[0] ? n->certificate_no : NULL,
	            n->certificate_valid_to[0] ? n->certificate_valid_to : NULL, n->region_code,
	            n->path, n->start_date, n->status, n->status_date, n->user_id, x->now,
	            a->id) < 0 ||
	    store_sealed(c, n, e) < 0)
		return -1;
	if (n->user_id != a->old.user_id) {
		/* The old account no longer serves this worker's grids; the new one does. */
		if ((a->old.user_id > 0 &&
		     dom_exec(c, e, "DELETE FROM user_grids WHERE user_id = ?", "i",
		              a->old.user_id) < 0) ||
		    sync_account_grids(c, n->user_id, a->id, e) < 0)
			return -1;
	} else {
		w->callers_unchanged = 1;
	}
	dom_write_detail(w, "修改网格员 %s%s%s", n->name,
	                 strcmp(n->status, a->old.status) ? "，状态改为" : "",
	                 strcmp(n->status, a->old.status) ? worker_status_label(n->status) : "");
	return 0;
}

int worker_update(const struct dom_ctx *x, int64_t id, const struct worker_input *in,
                  struct dom_err *e)
{
	struct worker_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = "worker.update",
		               .permission = "worker.write",
		               .authorize = update_authorize,
		               .apply = update_apply };
	int rc;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->id = id;
	a->in = in;
	w.arg = a;
	dom_write_object(&w, "worker:%" PRId64, id);
	rc = dom_write(x, &w, e);
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

static int exit_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	if (load_for_write(c, x, a, e) < 0)
		return -1;
	if (strcmp(a->date, a->old.start_date) < 0)
		return dom_err_set(e, 400, "bad_date", "离岗日期不能早于到岗日期 %s",
		                   a->old.start_date);
	return 0;
}

static int exit_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	if (dom_exec(c, e,
	             "UPDATE workers SET status = 'exited', status_date = ?, exit_reason = ?, "
	             "version = version + 1, updated_at = ? WHERE id = ?",
	             "ttii", a->date, a->reason, x->now, a->id) < 0 ||
	    dom_exec(c, e, "DELETE FROM worker_grids WHERE worker_id = ?", "i", a->id) < 0 ||
	    sync_account_grids(c, a->old.user_id, a->id, e) < 0)
		return -1;
	w->callers_unchanged = a->old.user_id == 0;
	dom_write_detail(w, "网格员 %s 离岗（%s）：%s；网格分配已结束%s", a->old.name, a->date,
	                 a->reason,
	                 a->old.user_id ? "，关联账号的网格权限已移除（账号未停用）" : "");
	return 0;
}

int worker_exit(const struct dom_ctx *x, int64_t id, const char *date, const char *reason,
                struct dom_err *e)
{
	struct worker_arg *a;
	struct dom_write w = { .action = "worker.exit",
		               .permission = "worker.write",
		               .authorize = exit_authorize,
		               .apply = exit_apply };
	char today[WORKER_DATE_LEN + 1];
	size_t chars;
	int rc;

	if (!date)
		date = worker_local_date(x->now, today);
	if (!worker_date_valid(date))
		return dom_err_set(e, 400, "bad_date", "离岗日期应为 YYYY-MM-DD 格式的有效日期");
	chars = reason ? dom_utf8_chars(reason) : 0;
	if (chars < 2 || !text_ok(reason, WORKER_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_reason", "须填写离岗原因（2 到 %d 个字）",
		                   WORKER_TEXT_CHARS);
	if (!(a = calloc(1, sizeof *a)))
		return dom_err_set(e, 500, "internal", "内部错误");
	a->id = id;
	a->date = date;
	a->reason = reason;
	w.arg = a;
	dom_write_object(&w, "worker:%" PRId64, id);
	rc = dom_write(x, &w, e);
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

static int grids_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct worker_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	if (load_for_write(c, x, a, e) < 0)
		return -1;
	dom_copy(lo, sizeof lo, a->old.path);
	dom_copy(hi, sizeof hi, a->old.path);
	hi[strlen(hi) - 1] = (char)(hi[strlen(hi) - 1] + 1);
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT g.id, g.path >= ? AND g.path < ? FROM grids g WHERE g.code = ? AND "
	               "g.status = 'active'%s",
	               scope);
	for (size_t i = 0; i < a->ngrids; i++) {
		const char *code = a->grids[i].code;

		for (size_t j = 0; j < i; j++)
			if (strcmp(a->grids[j].code, code) == 0)
				return dom_err_set(e, 400, "bad_grid", "网格 %s 重复出现", code);
		if (!(st = store_prepare(c, sql)))
			return dom_err_read(e);
		store_bind_text(st, 1, lo, -1);
		store_bind_text(st, 2, hi, -1);
		store_bind_text(st, 3, code, -1);
		if (dom_scope_bind(x->caller, "g.id", st, 4) < 0) {
			store_reset(st);
			return dom_err_read(e);
		}
		rc = store_step(st);
		if (rc == STORE_ROW) {
			a->grid_ids[i] = store_col_int64(st, 0);
			rc = store_col_int64(st, 1) ? STORE_ROW : -100;
		}
		store_reset(st);
		if (rc == -100)
			return dom_err_set(e, 400, "bad_grid",
			                   "网格 %.15s 不在该网格员所属的%s范围内", code,
			                   a->old.region_name);
		if (rc == STORE_DONE)
			return dom_err_set(e, 400, "bad_grid",
			                   "网格 %.15s 不存在、已撤销或不在管辖范围内", code);
		if (rc != STORE_ROW)
			return dom_err_read(e);
		if (!a->grids[i].lead)
			continue;
		if (!(st = store_prepare(c,
		                         "SELECT w.name FROM worker_grids wg JOIN workers w ON "
		                         "w.id = wg.worker_id WHERE wg.grid_id = ? AND wg.lead = 1 "
		                         "AND wg.worker_id != ?")))
			return dom_err_read(e);
		store_bind_int64(st, 1, a->grid_ids[i]);
		store_bind_int64(st, 2, a->id);
		if (store_step(st) == STORE_ROW) {
			char name[WORKER_NAME_CHARS * 4 + 1];

			dom_copy(name, sizeof name, store_col_text(st, 0));
			store_reset(st);
			return dom_err_set(e, 409, "lead_taken",
			                   "网格 %.15s 已有负责人 %s：每个网格只能有一名负责人",
			                   code, name);
		}
		store_reset(st);
	}
	return 0;
}

static int grids_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct worker_arg *a = w->arg;

	if (dom_exec(c, e, "DELETE FROM worker_grids WHERE worker_id = ?", "i", a->id) < 0)
		return -1;
	for (size_t i = 0; i < a->ngrids; i++)
		if (dom_exec(c, e,
		             "INSERT INTO worker_grids (worker_id, grid_id, lead, since) VALUES "
		             "(?, ?, "
		             "?, ?)",
		             "iiii", a->id, a->grid_ids[i], (int64_t)(a->grids[i].lead != 0),
		             x->now) < 0)
			return -1;
	if (dom_exec(c, e, "UPDATE workers SET version = version + 1, updated_at = ? WHERE id = ?",
	             "ii", x->now, a->id) < 0 ||
	    sync_account_grids(c, a->old.user_id, a->id, e) < 0)
		return -1;
	w->callers_unchanged = a->old.user_id == 0;
	dom_write_detail(w, "网格员 %s 服务网格：%zu 个%s", a->old.name, a->ngrids,
	                 a->old.user_id ? "，关联账号的网格权限已同步" : "");
	return 0;
}

int worker_set_grids(const struct dom_ctx *x, int64_t id, const struct worker_grid_input *grids,
                     size_t n, struct dom_err *e)
{
	struct worker_arg *a;
	struct dom_write w = { .action = "worker.grids",
		               .permission = "worker.write",
		               .authorize = grids_authorize,
		               .apply = grids_apply };
	int rc;

	if (n > WORKER_GRIDS_MAX)
		return dom_err_set(e, 400, "bad_grid", "一名网格员最多服务 %d 个网格",
		                   WORKER_GRIDS_MAX);
	for (size_t i = 0; i < n; i++)
		if (!grids[i].code || strlen(grids[i].code) != 15 ||
		    strspn(grids[i].code, "0123456789") != 15)
			return dom_err_set(e, 400, "bad_grid", "网格编码应为 15 位数字");
	if (!(a = calloc(1, sizeof *a)))
		return dom_err_set(e, 500, "internal", "内部错误");
	a->id = id;
	a->grids = grids;
	a->ngrids = n;
	w.arg = a;
	dom_write_object(&w, "worker:%" PRId64, id);
	rc = dom_write(x, &w, e);
	free(a);
	return rc;
}
