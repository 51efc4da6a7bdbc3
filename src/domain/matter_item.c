/*
 * The matter list on the domain kernel (see matter_item.h): proposals, the center's decisions and
 * publication through dom_write, each with its authorize step; reads of items, versions and their
 * differences; the published list for the public page; and matter_item_in_force, which the matter
 * flow asks inside its own write before a matter is given to a grid worker.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/html.h"
#include "domain/matter_item.h"
#include "store/store.h"

/* ---- vocabularies ---- */

const struct matter_category matter_categories[] = {
	{ "city_management", "城市管理" }, { "public_security", "社会治安" },
	{ "disputes", "矛盾纠纷" },        { "safety_hazards", "安全隐患" },
	{ "livelihood", "民生服务" },      { "environment", "生态环境" },
	{ "special_groups", "特殊人群" },  { "emergency", "应急处置" },
	{ "other", "其他事项" },
};
const size_t matter_category_count = sizeof matter_categories / sizeof matter_categories[0];

const char *matter_category_label(const char *code)
{
	for (size_t i = 0; code && i < matter_category_count; i++)
		if (strcmp(matter_categories[i].code, code) == 0)
			return matter_categories[i].label;
	return NULL;
}

const char *matter_worker_role_label(const char *role)
{
	if (!role)
		return "";
	if (strcmp(role, "report") == 0)
		return "仅上报";
	if (strcmp(role, "resolve") == 0)
		return "可就地处置";
	if (strcmp(role, "assist") == 0)
		return "协助处置";
	return "";
}

const char *matter_level_label(const char *level)
{
	if (!level)
		return "";
	if (strcmp(level, "township") == 0)
		return "乡镇（街道）";
	if (strcmp(level, "county") == 0)
		return "县（市、区）";
	if (strcmp(level, "city") == 0)
		return "市";
	return "";
}

const char *matter_urgency_label(int urgency)
{
	switch (urgency) {
	case 1: return "一般";
	case 2: return "紧急";
	case 3: return "特急";
	default: return "";
	}
}

const char *matter_unit_name(enum cal_unit u)
{
	return u == CAL_WORKING_HOURS ? "working_hours" : "working_days";
}

enum cal_unit matter_unit_from_name(const char *name)
{
	if (name && strcmp(name, "working_days") == 0)
		return CAL_WORKING_DAYS;
	if (name && strcmp(name, "working_hours") == 0)
		return CAL_WORKING_HOURS;
	return (enum cal_unit)0;
}

static const char *unit_label(int u)
{
	return u == CAL_WORKING_HOURS ? "个工作小时" : "个工作日";
}

/* ---- versions ---- */

struct mi_version {
	int64_t id, item_id;
	int version;
	char code[32];
	char status[12];
	char name[MATTER_ITEM_NAME_CHARS * 4 + 1];
	char category[32];
	char description[MATTER_ITEM_DESC_CHARS * 4 + 1];
	char worker_role[16], default_level[16];
	int urgency;
	int amount[3], unit[3]; /* accept, handle, verify */
	int warn_share_pct;
	int64_t departments[MATTER_ITEM_DEPTS_MAX];
	int n_departments;
	char expires_on[11];
	char note[MATTER_ITEM_NOTE_CHARS * 4 + 1];
	int64_t proposed_by, proposed_org, proposed_at, decided_by, decided_at;
	char reject_reason[MATTER_ITEM_NOTE_CHARS * 4 + 1];
	char effective_from[11];
	int64_t published_by, published_at;
};

static const char *const stage_names[3] = { "accept", "handle", "verify" };
static const char *const stage_labels[3] = { "受理时限", "处置时限", "核查时限" };

#define V_COLS                                                                                     \
	"v.id, v.item_id, v.version, v.status, v.name, v.category, v.description, v.worker_role, " \
	"v.default_level, v.urgency, v.accept_amount, v.accept_unit, v.handle_amount, "            \
	"v.handle_unit, v.verify_amount, v.verify_unit, v.warn_share_pct, v.departments, "         \
	"v.expires_on, v.note, v.proposed_by, v.proposed_org, v.proposed_at, v.decided_by, "       \
	"v.decided_at, v.reject_reason, v.effective_from, v.published_by, v.published_at, m.code " \
	"FROM matter_item_versions v JOIN matter_items m ON m.id = v.item_id "

/* "[1,2]" -> ids; the text was written by us, so anything else yields no departments. */
static int parse_departments(const char *text, int64_t *ids)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	int n = 0;

	json_array_foreach(a, i, v) if (json_is_integer(v) && n < MATTER_ITEM_DEPTS_MAX) ids[n++] =
	        (int64_t)json_integer_value(v);
	json_decref(a);
	return n;
}

static void version_read(struct store_stmt *st, struct mi_version *v)
{
	memset(v, 0, sizeof *v);
	v->id = store_col_int64(st, 0);
	v->item_id = store_col_int64(st, 1);
	v->version = (int)store_col_int64(st, 2);
	dom_copy(v->status, sizeof v->status, store_col_text(st, 3));
	dom_copy(v->name, sizeof v->name, store_col_text(st, 4));
	dom_copy(v->category, sizeof v->category, store_col_text(st, 5));
	dom_copy(v->description, sizeof v->description, store_col_text(st, 6));
	dom_copy(v->worker_role, sizeof v->worker_role, store_col_text(st, 7));
	dom_copy(v->default_level, sizeof v->default_level, store_col_text(st, 8));
	v->urgency = (int)store_col_int64(st, 9);
	for (int i = 0; i < 3; i++) {
		v->amount[i] = (int)store_col_int64(st, 10 + 2 * i);
		v->unit[i] = (int)store_col_int64(st, 11 + 2 * i);
	}
	v->warn_share_pct = (int)store_col_int64(st, 16);
	v->n_departments = parse_departments(store_col_text(st, 17), v->departments);
	if (!store_col_is_null(st, 18))
		dom_copy(v->expires_on, sizeof v->expires_on, store_col_text(st, 18));
	dom_copy(v->note, sizeof v->note, store_col_text(st, 19));
	v->proposed_by = store_col_int64(st, 20);
	v->proposed_org = store_col_int64(st, 21);
	v->proposed_at = store_col_int64(st, 22);
	v->decided_by = store_col_int64(st, 23);
	v->decided_at = store_col_int64(st, 24);
	if (!store_col_is_null(st, 25))
		dom_copy(v->reject_reason, sizeof v->reject_reason, store_col_text(st, 25));
	if (!store_col_is_null(st, 26))
		dom_copy(v->effective_from, sizeof v->effective_from, store_col_text(st, 26));
	v->published_by = store_col_int64(st, 27);
	v->published_at = store_col_int64(st, 28);
	dom_copy(v->code, sizeof v->code, store_col_text(st, 29));
}

/* Loads the version of one statement that selects V_COLS with one int64 argument: 1 found, 0
   not, -1 error. */
static int version_load1(struct store_conn *c, const char *sql, int64_t a, int64_t b, int nargs,
                         struct mi_version *v)
{
	struct store_stmt *st = store_prepare(c, sql);
	int rc;

	if (!st || store_bind_int64(st, 1, a) || (nargs > 1 && store_bind_int64(st, 2, b))) {
		if (st)
			store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW)
		version_read(st, v);
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

static int version_by_id(struct store_conn *c, int64_t vid, struct mi_version *v)
{
	return version_load1(c, "SELECT " V_COLS "WHERE v.id = ?", vid, 0, 1, v);
}

static int version_by_number(struct store_conn *c, int64_t item, int version, struct mi_version *v)
{
	return version_load1(c, "SELECT " V_COLS "WHERE v.item_id = ? AND v.version = ?", item,
	                     version, 2, v);
}

/* The base of a revision: the newest version that was not rejected (a rejected proposal is not
   what the next one builds on), or the newest of all when every version was rejected. */
static int version_latest(struct store_conn *c, int64_t item, struct mi_version *v)
{
	return version_load1(c,
	                     "SELECT " V_COLS "WHERE v.item_id = ? ORDER BY v.status = 'rejected', "
	                     "v.version DESC LIMIT 1",
	                     item, 0, 1, v);
}

/* The published or withdrawn version deciding the item on day (a date): 1 found, 0, -1. */
static int version_deciding(struct store_conn *c, int64_t item, const char *day,
                            struct mi_version *v)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT " V_COLS "WHERE v.id = (SELECT f.id FROM matter_item_versions f WHERE "
	           "f.item_id = ? AND f.status IN ('published', 'withdrawn') AND f.effective_from "
	           "<= ? ORDER BY f.version DESC LIMIT 1)");
	int rc;

	if (!st || store_bind_int64(st, 1, item) || store_bind_text(st, 2, day, -1)) {
		if (st)
			store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW)
		version_read(st, v);
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

/* 1 when v (the deciding version) puts the item in force on day. */
static int version_in_force(const struct mi_version *v, const char *day)
{
	return strcmp(v->status, "published") == 0 &&
	       (!v->expires_on[0] || strcmp(v->expires_on, day) >= 0);
}

/* ---- the item row ---- */

struct mi_item {
	int64_t id;
	char code[32];
	int64_t published_version_id, draft_version_id;
	int latest_version;
};

static int item_load(struct store_conn *c, int64_t id, const char *code, struct mi_item *it)
{
	struct store_stmt *st = store_prepare(
	        c, code ? "SELECT id, code, published_version_id, draft_version_id, latest_version "
	                  "FROM matter_items WHERE code = ?"
	                : "SELECT id, code, published_version_id, draft_version_id, latest_version "
	                  "FROM matter_items WHERE id = ?");
	int rc;

	memset(it, 0, sizeof *it);
	if (!st || (code ? store_bind_text(st, 1, code, -1) : store_bind_int64(st, 1, id))) {
		if (st)
			store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
		it->id = store_col_int64(st, 0);
		dom_copy(it->code, sizeof it->code, store_col_text(st, 1));
		it->published_version_id = store_col_int64(st, 2);
		it->draft_version_id = store_col_int64(st, 3);
		it->latest_version = (int)store_col_int64(st, 4);
	}
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

static void today(int64_t now, char day[11])
{
	calendar_date_format(calendar_local_day(now), day);
}

/* ---- in force ---- */

static void fill_item(const struct mi_version *v, struct matter_item *out)
{
	const char *label = matter_category_label(v->category);

	memset(out, 0, sizeof *out);
	out->id = v->item_id;
	out->version_id = v->id;
	out->version = v->version;
	dom_copy(out->code, sizeof out->code, v->code);
	dom_copy(out->name, sizeof out->name, v->name);
	dom_copy(out->category, sizeof out->category, v->category);
	dom_copy(out->category_label, sizeof out->category_label, label ? label : v->category);
	dom_copy(out->worker_role, sizeof out->worker_role, v->worker_role);
	dom_copy(out->default_level, sizeof out->default_level, v->default_level);
	out->urgency = v->urgency;
	out->accept_amount = v->amount[0];
	out->handle_amount = v->amount[1];
	out->verify_amount = v->amount[2];
	out->accept_unit = (enum cal_unit)v->unit[0];
	out->handle_unit = (enum cal_unit)v->unit[1];
	out->verify_unit = (enum cal_unit)v->unit[2];
	out->warn_share_pct = v->warn_share_pct;
	out->n_departments = v->n_departments;
	memcpy(out->departments, v->departments, sizeof out->departments);
	dom_copy(out->expires_on, sizeof out->expires_on, v->expires_on);
}

static int in_force(struct store_conn *c, const struct mi_item *it, int64_t at,
                    struct matter_item *out, struct dom_err *e)
{
	struct mi_version *v = malloc(sizeof *v);
	char day[11];
	int rc = -1, found;

	if (!v)
		return dom_err_set(e, 500, "internal", "内存不足");
	today(at, day);
	found = version_deciding(c, it->id, day, v);
	if (found < 0) {
		dom_err_read(e);
	} else if (found == 0 || !version_in_force(v, day)) {
		dom_err_set(
		        e, 409, "item_not_published",
		        "事项“%s”%s，不在已公布的网格化服务管理事项清单内；依据《条例》第十六条，"
		        "清单外的事项不得交由网格员办理",
		        it->code,
		        found == 0                            ? "尚未发布或尚未生效"
		        : strcmp(v->status, "withdrawn") == 0 ? "已撤销"
		                                              : "已过期");
	} else {
		fill_item(v, out);
		rc = 0;
	}
	free(v);
	return rc;
}

int matter_item_in_force(struct store_conn *c, const char *code, int64_t at,
                         struct matter_item *out, struct dom_err *e)
{
	struct mi_item it;
	int rc;

	memset(out, 0, sizeof *out);
	rc = code ? item_load(c, 0, code, &it) : 0;
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "item_not_found", "事项清单中没有编码为“%.31s”的事项",
		                   code ? code : "");
	return in_force(c, &it, at, out, e);
}

int matter_item_in_force_id(struct store_conn *c, int64_t id, int64_t at, struct matter_item *out,
                            struct dom_err *e)
{
	struct mi_item it;
	int rc = item_load(c, id, NULL, &it);

	memset(out, 0, sizeof *out);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "item_not_found", "事项清单中没有该事项");
	return in_force(c, &it, at, out, e);
}

/* ---- proposals ---- */

static int code_ok(const char *code)
{
	size_t n = code ? strlen(code) : 0;

	if (n < 2 || n > 31)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9') ||
		      code[i] == '-'))
			return 0;
	return 1;
}

/* Text without control characters (newlines and tabs allowed where multiline) of at most chars
   characters: 1 ok. */
static int text_ok(const char *s, size_t chars, int multiline)
{
	if (dom_utf8_chars(s) > chars)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) ||
		    *p == 0x7f)
			return 0;
	return 1;
}

/* Overlays f on v (the base: the latest version, or zeros for a new item) and checks the
   result's content. 0, or -1 with e 400. */
static int fields_apply(struct mi_version *v, const struct matter_item_fields *f, int is_new,
                        struct dom_err *e)
{
	const int *amount[3] = { &f->accept_amount, &f->handle_amount, &f->verify_amount };
	const int *unit[3] = { &f->accept_unit, &f->handle_unit, &f->verify_unit };
	int64_t day;

	if (f->name)
		dom_copy(v->name, sizeof v->name, f->name);
	if (f->category)
		dom_copy(v->category, sizeof v->category, f->category);
	if (f->description)
		dom_copy(v->description, sizeof v->description, f->description);
	if (f->worker_role)
		dom_copy(v->worker_role, sizeof v->worker_role, f->worker_role);
	if (f->default_level)
		dom_copy(v->default_level, sizeof v->default_level, f->default_level);
	if (f->expires_on)
		dom_copy(v->expires_on, sizeof v->expires_on, f->expires_on);
	dom_copy(v->note, sizeof v->note, f->note ? f->note : "");
	if (f->urgency)
		v->urgency = f->urgency;
	for (int i = 0; i < 3; i++) {
		if (*amount[i])
			v->amount[i] = *amount[i];
		if (*unit[i])
			v->unit[i] = *unit[i];
	}
	if (f->warn_share_pct)
		v->warn_share_pct = f->warn_share_pct;
	else if (is_new)
		v->warn_share_pct = 70;
	if (f->n_departments >= 0) {
		v->n_departments = f->n_departments;
		memcpy(v->departments, f->departments, sizeof v->departments);
	}

	if (!v->name[0] || !text_ok(v->name, MATTER_ITEM_NAME_CHARS, 0) ||
	    (f->name && strlen(f->name) >= sizeof v->name))
		return dom_err_set(e, 400, "bad_name",
		                   "事项名称不能为空，最多 %d 个字，且不能含控制字符",
		                   MATTER_ITEM_NAME_CHARS);
	if (!matter_category_label(v->category))
		return dom_err_set(e, 400, "bad_category", "事项类别“%.31s”不在类别表中",
		                   v->category);
	if ((f->description && strlen(f->description) >= sizeof v->description) ||
	    !text_ok(v->description, MATTER_ITEM_DESC_CHARS, 1))
		return dom_err_set(e, 400, "bad_description", "事项说明最多 %d 个字",
		                   MATTER_ITEM_DESC_CHARS);
	if ((f->note && strlen(f->note) >= sizeof v->note) ||
	    !text_ok(v->note, MATTER_ITEM_NOTE_CHARS, 1))
		return dom_err_set(e, 400, "bad_note", "修订说明最多 %d 个字",
		                   MATTER_ITEM_NOTE_CHARS);
	if (!*matter_worker_role_label(v->worker_role))
		return dom_err_set(
		        e, 400, "bad_worker_role",
		        "网格员职责 worker_role 应为 report（仅上报）、resolve（可就地处置）"
		        "或 assist（协助处置）");
	if (!*matter_level_label(v->default_level))
		return dom_err_set(e, 400, "bad_level",
		                   "默认处置层级 default_level 应为 township、county 或 city");
	if (v->urgency < 1 || v->urgency > 3)
		return dom_err_set(e, 400, "bad_urgency",
		                   "紧急程度 urgency 应为 1（一般）、2（紧急）或 3（特急）");
	for (int i = 0; i < 3; i++) {
		int max = v->unit[i] == CAL_WORKING_HOURS ? CAL_MAX_HOURS : CAL_MAX_DAYS;

		if (v->unit[i] != CAL_WORKING_DAYS && v->unit[i] != CAL_WORKING_HOURS)
			return dom_err_set(e, 400, "bad_limit",
			                   "%s的单位应为 working_days 或 working_hours",
			                   stage_labels[i]);
		if (v->amount[i] < 1 || v->amount[i] > max)
			return dom_err_set(e, 400, "bad_limit", "%s应为 1 到 %d%s", stage_labels[i],
			                   max, unit_label(v->unit[i]));
	}
	if (v->warn_share_pct < 1 || v->warn_share_pct > 99)
		return dom_err_set(e, 400, "bad_share", "预警比例 warn_share_pct 应为 1 到 99");
	if (v->n_departments < 1 || v->n_departments > MATTER_ITEM_DEPTS_MAX)
		return dom_err_set(e, 400, "bad_departments",
		                   "责任部门应有 1 到 %d 个（第一个为牵头部门）",
		                   MATTER_ITEM_DEPTS_MAX);
	for (int i = 0; i < v->n_departments; i++)
		for (int j = 0; j < i; j++)
			if (v->departments[i] == v->departments[j])
				return dom_err_set(e, 400, "bad_departments", "责任部门重复");
	if (v->expires_on[0] && calendar_date_parse(v->expires_on, &day) < 0)
		return dom_err_set(e, 400, "bad_date", "失效日期 expires_on 的格式应为 YYYY-MM-DD");
	return 0;
}

/* Every department id names an enabled organisation of kind 'department': 0, or -1 with e. */
static int departments_check(struct store_conn *c, const struct mi_version *v, struct dom_err *e)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT kind, disabled FROM organisations WHERE id = ?");

	if (!st)
		return dom_err_read(e);
	for (int i = 0; i < v->n_departments; i++) {
		int rc, ok = 0;

		store_bind_int64(st, 1, v->departments[i]);
		rc = store_step(st);
		if (rc == STORE_ROW)
			ok = strcmp(store_col_text(st, 0), "department") == 0 &&
			     store_col_int64(st, 1) == 0;
		store_reset(st);
		if (rc != STORE_ROW && rc != STORE_DONE)
			return dom_err_read(e);
		if (!ok)
			return dom_err_set(e, 400, "bad_departments",
			                   "责任部门 %" PRId64 " 不存在、已停用或不是部门",
			                   v->departments[i]);
	}
	return 0;
}

static int dept_listed(const struct mi_version *v, int64_t org)
{
	for (int i = 0; i < v->n_departments; i++)
		if (v->departments[i] == org)
			return 1;
	return 0;
}

static int departments_text(const struct mi_version *v, char *out, size_t n)
{
	size_t at = 0;

	at += (size_t)snprintf(out, n, "[");
	for (int i = 0; i < v->n_departments && at < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%" PRId64, i ? "," : "",
		                       v->departments[i]);
	if (at + 2 > n)
		return -1;
	(void)snprintf(out + at, n - at, "]");
	return 0;
}

struct propose_arg {
	int64_t item_id; /* 0: a new item; set by apply */
	const struct matter_item_fields *f;
	struct mi_version v;
	struct mi_item it;
};

static int proposer_kind_ok(const struct dom_ctx *x, struct dom_err *e)
{
	if (x->caller->is_system || x->caller->org_kind == ORG_CENTER ||
	    x->caller->org_kind == ORG_DEPARTMENT)
		return 0;
	return dom_err_set(e, 403, "forbidden",
	                   "只有网格化服务管理中心或相关部门可以提出事项清单条目");
}

static int propose_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	struct propose_arg *a = w->arg;
	int rc;

	if (proposer_kind_ok(x, e) < 0)
		return -1;
	if (!a->item_id) {
		/* A department proposes only items it is itself responsible for. */
		if (x->caller->org_kind == ORG_DEPARTMENT && !x->caller->is_system) {
			int mine = 0;

			for (int i = 0; i < a->f->n_departments; i++)
				mine |= a->f->departments[i] == x->caller->org_id;
			if (!mine)
				return dom_err_set(
				        e, 403, "forbidden",
				        "部门只能提出本部门负责的事项：请在责任部门中列入本部门");
		}
		return 0;
	}
	rc = item_load(c, a->item_id, NULL, &a->it);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "事项不存在");
	if (a->it.draft_version_id)
		return dom_err_set(e, 409, "draft_open",
		                   "事项 %s 已有待审核的修订，请等中心审核或退回后再提出",
		                   a->it.code);
	rc = version_latest(c, a->item_id, &a->v);
	if (rc <= 0)
		return dom_err_read(e);
	if (x->caller->org_kind == ORG_DEPARTMENT && !x->caller->is_system &&
	    !dept_listed(&a->v, x->caller->org_id))
		return dom_err_set(e, 403, "forbidden", "只有该事项的责任部门或中心可以提出修订");
	return 0;
}

static int propose_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct propose_arg *a = w->arg;
	char deps[MATTER_ITEM_DEPTS_MAX * 21 + 3];
	int version;
	int64_t vid;

	if (!a->item_id)
		memset(&a->v, 0, sizeof a->v);
	if (fields_apply(&a->v, a->f, !a->item_id, e) < 0 || departments_check(c, &a->v, e) < 0)
		return -1;
	if (departments_text(&a->v, deps, sizeof deps) < 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	if (!a->item_id) {
		struct mi_item dup;
		int rc = item_load(c, 0, a->f->code, &dup);

		if (rc < 0)
			return dom_err_read(e);
		if (rc > 0)
			return dom_err_set(e, 409, "duplicate", "事项编码 %s 已存在", a->f->code);
		if (dom_exec(c, e,
		             "INSERT INTO matter_items (code, latest_version, created_at, "
		             "updated_at) "
		             "VALUES (?, 0, ?, ?)",
		             "tii", a->f->code, x->now, x->now) < 0)
			return -1;
		a->item_id = store_last_insert_id(c);
		dom_copy(a->it.code, sizeof a->it.code, a->f->code);
		a->it.latest_version = 0;
	}
	version = a->it.latest_version + 1;
	if (dom_exec(
	            c, e,
	            "INSERT INTO matter_item_versions (item_id, version, status, name, category, "
	            "description, worker_role, default_level, urgency, accept_amount, accept_unit, "
	            "handle_amount, handle_unit, verify_amount, verify_unit, warn_share_pct, "
	            "departments, expires_on, note, proposed_by, proposed_org, proposed_at) VALUES "
	            "(?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	            "iitttttiiiiiiiitttnni", a->item_id, (int64_t)version, a->v.name, a->v.category,
	            a->v.description, a->v.worker_role, a->v.default_level, (int64_t)a->v.urgency,
	            (int64_t)a->v.amount[0], (int64_t)a->v.unit[0], (int64_t)a->v.amount[1],
	            (int64_t)a->v.unit[1], (int64_t)a->v.amount[2], (int64_t)a->v.unit[2],
	            (int64_t)a->v.warn_share_pct, deps, a->v.expires_on[0] ? a->v.expires_on : NULL,
	            a->v.note, x->caller->user_id, x->caller->org_id, x->now) < 0)
		return -1;
	vid = store_last_insert_id(c);
	if (dom_exec(c, e,
	             "UPDATE matter_items SET draft_version_id = ?, latest_version = ?, updated_at "
	             "= "
	             "? WHERE id = ?",
	             "iiii", vid, (int64_t)version, x->now, a->item_id) < 0)
		return -1;
	dom_write_object(w, "matter_item:%s", a->it.code);
	dom_write_detail(w, "提出事项 %s 第 %d 版：%.120s", a->it.code, version, a->v.name);
	return 0;
}

int matter_item_propose(const struct dom_ctx *x, int64_t item_id,
                        const struct matter_item_fields *f, int64_t *out_id, struct dom_err *e)
{
	struct propose_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = item_id ? "matter_item.revise" : "matter_item.propose",
		               .permission = "matter_item.propose",
		               .authorize = propose_authorize,
		               .apply = propose_apply,
		               .callers_unchanged = 1 };
	int rc = -1;

	*out_id = 0;
	if (!a)
		return dom_err_set(e, 500, "internal", "内存不足");
	a->item_id = item_id;
	a->f = f;
	w.arg = a;
	if (!item_id && !code_ok(f->code)) {
		rc = dom_err_set(e, 400, "bad_code",
		                 "事项编码应为 2 到 31 位大写字母、数字或连字符，例如 CG-001");
		goto out;
	}
	if (!item_id &&
	    (!f->name || !f->category || !f->worker_role || !f->default_level || !f->urgency ||
	     !f->accept_amount || !f->handle_amount || !f->verify_amount || !f->accept_unit ||
	     !f->handle_unit || !f->verify_unit || f->n_departments < 1)) {
		rc = dom_err_set(e, 400, "missing_field",
		                 "新事项须填写名称、类别、网格员职责、默认处置层级、紧急程度、"
		                 "三个阶段的时限和责任部门");
		goto out;
	}
	if (item_id)
		dom_write_object(&w, "matter_item:%" PRId64, item_id);
	else
		dom_write_object(&w, "matter_item:%s", f->code);
	if (dom_write(x, &w, e) < 0)
		goto out;
	*out_id = a->item_id;
	rc = 0;
out:
	free(a);
	return rc;
}

/* ---- importing a whole list ---- */

struct import_arg {
	const struct matter_item_fields *items;
	size_t n;
	struct mi_version v;
};

/* authorize: only the system (the command line, the demo) imports a list in one step: through
   the API every item goes the way of proposal, approval and publication. */
static int import_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	(void)c;
	(void)w;
	if (!x->caller->is_system)
		return dom_err_set(e, 403, "forbidden", "只有系统可以批量导入事项清单");
	return 0;
}

static int import_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct import_arg *a = w->arg;
	char deps[MATTER_ITEM_DEPTS_MAX * 21 + 3];

	for (size_t i = 0; i < a->n; i++) {
		const struct matter_item_fields *f = &a->items[i];
		struct mi_item dup;
		int64_t item, vid, day;
		int rc;

		memset(&a->v, 0, sizeof a->v);
		if (!code_ok(f->code))
			return dom_err_set(e, 400, "bad_code", "事项编码“%.31s”无效",
			                   f->code ? f->code : "");
		if (!f->effective_from || calendar_date_parse(f->effective_from, &day) < 0)
			return dom_err_set(e, 400, "bad_date", "事项 %s 缺少生效日期", f->code);
		if (fields_apply(&a->v, f, 1, e) < 0 || departments_check(c, &a->v, e) < 0)
			return -1;
		if (departments_text(&a->v, deps, sizeof deps) < 0)
			return dom_err_set(e, 500, "internal", "内部错误");
		rc = item_load(c, 0, f->code, &dup);
		if (rc < 0)
			return dom_err_read(e);
		if (rc > 0)
			return dom_err_set(e, 409, "duplicate", "事项编码 %s 已存在", f->code);
		if (dom_exec(c, e,
		             "INSERT INTO matter_items (code, latest_version, created_at, "
		             "updated_at) "
		             "VALUES (?, 1, ?, ?)",
		             "tii", f->code, x->now, x->now) < 0)
			return -1;
		item = store_last_insert_id(c);
		if (dom_exec(c, e,
		             "INSERT INTO matter_item_versions (item_id, version, status, name, "
		             "category, description, worker_role, default_level, urgency, "
		             "accept_amount, accept_unit, handle_amount, handle_unit, "
		             "verify_amount, "
		             "verify_unit, warn_share_pct, departments, expires_on, note, "
		             "proposed_at, "
		             "decided_at, effective_from, published_at) VALUES (?, 1, 'published', "
		             "?, "
		             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		             "itttttiiiiiiiitttiiti", item, a->v.name, a->v.category,
		             a->v.description, a->v.worker_role, a->v.default_level,
		             (int64_t)a->v.urgency, (int64_t)a->v.amount[0], (int64_t)a->v.unit[0],
		             (int64_t)a->v.amount[1], (int64_t)a->v.unit[1],
		             (int64_t)a->v.amount[2], (int64_t)a->v.unit[2],
		             (int64_t)a->v.warn_share_pct, deps,
		             a->v.expires_on[0] ? a->v.expires_on : NULL, a->v.note, x->now, x->now,
		             f->effective_from, x->now) < 0)
			return -1;
		vid = store_last_insert_id(c);
		if (dom_exec(c, e, "UPDATE matter_items SET published_version_id = ? WHERE id = ?",
		             "ii", vid, item) < 0)
			return -1;
	}
	dom_write_detail(w, "导入并发布事项清单：%zu 项", a->n);
	return 0;
}

int matter_item_import(const struct dom_ctx *x, const struct matter_item_fields *items, size_t n,
                       struct dom_err *e)
{
	struct import_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = "matter_item.import",
		               .permission = "matter_item.approve",
		               .authorize = import_authorize,
		               .apply = import_apply,
		               .callers_unchanged = 1 };
	int rc;

	if (!a)
		return dom_err_set(e, 500, "internal", "内存不足");
	a->items = items;
	a->n = n;
	w.arg = a;
	dom_write_object(&w, "matter_items");
	rc = dom_write(x, &w, e);
	free(a);
	return rc;
}

/* ---- the center's decisions ---- */

enum decision { D_APPROVE, D_REJECT, D_PUBLISH, D_WITHDRAW };

struct decide_arg {
	enum decision what;
	int64_t item_id;
	const char *reason;
	char effective_from[11];
	struct mi_item it;
	struct mi_version v;
};

static int decide_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct decide_arg *a = w->arg;
	int rc;

	if (!x->caller->is_system && x->caller->org_kind != ORG_CENTER)
		return dom_err_set(e, 403, "forbidden",
		                   "事项清单由网格化服务管理中心审核和发布（条例第十六条）");
	rc = item_load(c, a->item_id, NULL, &a->it);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "事项不存在");
	dom_write_object(w, "matter_item:%s", a->it.code);
	if (a->what == D_WITHDRAW) {
		/* The newest publication decides what can be withdrawn. */
		rc = a->it.published_version_id
		             ? version_by_id(c, a->it.published_version_id, &a->v)
		             : 0;
		if (rc < 0)
			return dom_err_read(e);
		if (rc == 0 || strcmp(a->v.status, "published") != 0)
			return dom_err_set(e, 409, "not_published",
			                   "事项 %s 没有已发布的版本可撤销", a->it.code);
		return 0;
	}
	rc = a->it.draft_version_id ? version_by_id(c, a->it.draft_version_id, &a->v) : 0;
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 409, "no_draft", "事项 %s 没有待审核或待发布的修订",
		                   a->it.code);
	if ((a->what == D_APPROVE || a->what == D_REJECT) && strcmp(a->v.status, "draft") != 0)
		return dom_err_set(e, 409, "not_draft", "事项 %s 第 %d 版已审核，待发布",
		                   a->it.code, a->v.version);
	if (a->what == D_PUBLISH && strcmp(a->v.status, "approved") != 0)
		return dom_err_set(e, 409, "not_approved", "事项 %s 第 %d 版尚未审核通过，不能发布",
		                   a->it.code, a->v.version);
	/* Separation of duties: nobody approves or publishes their own proposal. */
	if (a->what != D_REJECT && !x->caller->is_system && a->v.proposed_by &&
	    a->v.proposed_by == x->caller->user_id)
		return dom_err_set(e, 403, "same_person", "不能审核或发布本人提出的修订");
	return 0;
}

static int decide_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct decide_arg *a = w->arg;
	char deps[MATTER_ITEM_DEPTS_MAX * 21 + 3];
	int64_t vid;

	switch (a->what) {
	case D_APPROVE:
		if (dom_exec(c, e,
		             "UPDATE matter_item_versions SET status = 'approved', decided_by = ?, "
		             "decided_at = ? WHERE id = ?",
		             "nii", x->caller->user_id, x->now, a->v.id) < 0)
			return -1;
		dom_write_detail(w, "审核通过事项 %s 第 %d 版", a->it.code, a->v.version);
		return 0;
	case D_REJECT:
		if (dom_exec(c, e,
		             "UPDATE matter_item_versions SET status = 'rejected', decided_by = ?, "
		             "decided_at = ?, reject_reason = ? WHERE id = ?",
		             "niti", x->caller->user_id, x->now, a->reason, a->v.id) < 0 ||
		    dom_exec(c, e,
		             "UPDATE matter_items SET draft_version_id = NULL, updated_at = ? "
		             "WHERE id = "
		             "?",
		             "ii", x->now, a->it.id) < 0)
			return -1;
		dom_write_detail(w, "退回事项 %s 第 %d 版：%.200s", a->it.code, a->v.version,
		                 a->reason);
		return 0;
	case D_PUBLISH:
		if (a->v.expires_on[0] && strcmp(a->v.expires_on, a->effective_from) < 0)
			return dom_err_set(e, 409, "expired",
			                   "生效日期 %s 晚于该版本的失效日期 %s，请修订后再发布",
			                   a->effective_from, a->v.expires_on);
		if (dom_exec(c, e,
		             "UPDATE matter_item_versions SET status = 'published', effective_from "
		             "= ?, "
		             "published_by = ?, published_at = ? WHERE id = ?",
		             "tnii", a->effective_from, x->caller->user_id, x->now, a->v.id) < 0 ||
		    dom_exec(c, e,
		             "UPDATE matter_items SET published_version_id = ?, draft_version_id = "
		             "NULL, "
		             "updated_at = ? WHERE id = ?",
		             "iii", a->v.id, x->now, a->it.id) < 0)
			return -1;
		dom_write_detail(w, "发布事项 %s 第 %d 版，%s 起施行", a->it.code, a->v.version,
		                 a->effective_from);
		return 0;
	case D_WITHDRAW:
		/* A withdrawal is a version of its own: the withdrawn content, status, date,
		 * reason. */
		if (departments_text(&a->v, deps, sizeof deps) < 0)
			return dom_err_set(e, 500, "internal", "内部错误");
		if (dom_exec(c, e,
		             "INSERT INTO matter_item_versions (item_id, version, status, name, "
		             "category, description, worker_role, default_level, urgency, "
		             "accept_amount, accept_unit, handle_amount, handle_unit, "
		             "verify_amount, "
		             "verify_unit, warn_share_pct, departments, expires_on, note, "
		             "proposed_by, "
		             "proposed_org, proposed_at, decided_by, decided_at, effective_from, "
		             "published_by, published_at) VALUES (?, ?, 'withdrawn', ?, ?, ?, ?, "
		             "?, ?, "
		             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		             "iitttttiiiiiiiitttnninitni", a->it.id,
		             (int64_t)(a->it.latest_version + 1), a->v.name, a->v.category,
		             a->v.description, a->v.worker_role, a->v.default_level,
		             (int64_t)a->v.urgency, (int64_t)a->v.amount[0], (int64_t)a->v.unit[0],
		             (int64_t)a->v.amount[1], (int64_t)a->v.unit[1],
		             (int64_t)a->v.amount[2], (int64_t)a->v.unit[2],
		             (int64_t)a->v.warn_share_pct, deps,
		             a->v.expires_on[0] ? a->v.expires_on : NULL, a->reason,
		             x->caller->user_id, x->caller->org_id, x->now, x->caller->user_id,
		             x->now, a->effective_from, x->caller->user_id, x->now) < 0)
			return -1;
		vid = store_last_insert_id(c);
		if (dom_exec(
		            c, e,
		            "UPDATE matter_items SET published_version_id = ?, latest_version = ?, "
		            "updated_at = ? WHERE id = ?",
		            "iiii", vid, (int64_t)(a->it.latest_version + 1), x->now, a->it.id) < 0)
			return -1;
		dom_write_detail(w, "撤销事项 %s，%s 起不再列入清单：%.200s", a->it.code,
		                 a->effective_from, a->reason);
		return 0;
	}
	return dom_err_set(e, 500, "internal", "内部错误");
}

static int decide(const struct dom_ctx *x, enum decision what, int64_t item_id,
                  const char *effective_from, const char *reason, struct dom_err *e)
{
	static const char *const actions[] = { "matter_item.approve", "matter_item.reject",
		                               "matter_item.publish", "matter_item.withdraw" };
	struct decide_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = actions[what],
		               .permission = "matter_item.approve",
		               .authorize = decide_authorize,
		               .apply = decide_apply,
		               .callers_unchanged = 1 };
	char now_day[11];
	int64_t d;
	int rc = -1;

	if (!a)
		return dom_err_set(e, 500, "internal", "内存不足");
	a->what = what;
	a->item_id = item_id;
	a->reason = reason;
	w.arg = a;
	today(x->now, now_day);
	if ((what == D_REJECT || what == D_WITHDRAW) &&
	    (!reason || !*reason || !text_ok(reason, MATTER_ITEM_NOTE_CHARS, 1))) {
		rc = dom_err_set(e, 400, "bad_reason", "请填写理由（最多 %d 个字）",
		                 MATTER_ITEM_NOTE_CHARS);
		goto out;
	}
	if (what == D_PUBLISH || what == D_WITHDRAW) {
		if (!effective_from && what == D_WITHDRAW)
			effective_from = now_day;
		if (!effective_from || calendar_date_parse(effective_from, &d) < 0) {
			rc = dom_err_set(e, 400, "bad_date",
			                 "生效日期 effective_from 的格式应为 YYYY-MM-DD");
			goto out;
		}
		if (strcmp(effective_from, now_day) < 0) {
			rc = dom_err_set(e, 400, "bad_date", "生效日期不能早于今天（%s）", now_day);
			goto out;
		}
		dom_copy(a->effective_from, sizeof a->effective_from, effective_from);
	}
	dom_write_object(&w, "matter_item:%" PRId64, item_id);
	rc = dom_write(x, &w, e);
out:
	free(a);
	return rc;
}

int matter_item_approve(const struct dom_ctx *x, int64_t item_id, struct dom_err *e)
{
	return decide(x, D_APPROVE, item_id, NULL, NULL, e);
}

int matter_item_reject(const struct dom_ctx *x, int64_t item_id, const char *reason,
                       struct dom_err *e)
{
	return decide(x, D_REJECT, item_id, NULL, reason, e);
}

int matter_item_publish(const struct dom_ctx *x, int64_t item_id, const char *effective_from,
                        struct dom_err *e)
{
	return decide(x, D_PUBLISH, item_id, effective_from, NULL, e);
}

int matter_item_withdraw(const struct dom_ctx *x, int64_t item_id, const char *effective_from,
                         const char *reason, struct dom_err *e)
{
	return decide(x, D_WITHDRAW, item_id, effective_from, reason, e);
}

/* ---- JSON ---- */

/* The display name of a user / the name of an organisation, or NULL. Borrowed from st until the
   next call: copied into out. */
static const char *name_of(struct store_conn *c, const char *sql, int64_t id, char *out, size_t n)
{
	struct store_stmt *st = id ? store_prepare(c, sql) : NULL;
	const char *r = NULL;

	if (!st)
		return NULL;
	store_bind_int64(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		dom_copy(out, n, store_col_text(st, 0));
		r = out;
	}
	store_reset(st);
	return r;
}

static json_t *who_json(struct store_conn *c, int64_t user, int64_t at)
{
	char name[128], when[32];
	const char *nm =
	        name_of(c, "SELECT display_name FROM users WHERE id = ?", user, name, sizeof name);

	if (!at)
		return json_null();
	return json_pack("{s:s?,s:s}", "by", nm, "at", clock_format_local(at, when, sizeof when));
}

static json_t *limit_json(int amount, int unit)
{
	return json_pack("{s:i,s:s}", "amount", amount, "unit",
	                 matter_unit_name((enum cal_unit)unit));
}

static json_t *departments_json(struct store_conn *c, const int64_t *ids, int n)
{
	json_t *a = json_array();
	char name[128];

	for (int i = 0; a && i < n; i++) {
		const char *nm = name_of(c, "SELECT name FROM organisations WHERE id = ?", ids[i],
		                         name, sizeof name);

		json_array_append_new(a, json_pack("{s:I,s:s?,s:b}", "id", (json_int_t)ids[i],
		                                   "name", nm, "lead", i == 0));
	}
	return a;
}

static json_t *version_json(struct store_conn *c, const struct mi_version *v)
{
	const char *label = matter_category_label(v->category);
	json_t *o = json_pack(
	        "{s:I,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:{s:o,s:o,s:o},s:i,s:o,s:s}",
	        "id", (json_int_t)v->item_id, "code", v->code, "version", v->version, "status",
	        v->status, "name", v->name, "category", v->category, "category_label",
	        label ? label : v->category, "description", v->description, "worker_role",
	        v->worker_role, "worker_role_label", matter_worker_role_label(v->worker_role),
	        "default_level", v->default_level, "urgency", v->urgency, "urgency_label",
	        matter_urgency_label(v->urgency), "limits", stage_names[0],
	        limit_json(v->amount[0], v->unit[0]), stage_names[1],
	        limit_json(v->amount[1], v->unit[1]), stage_names[2],
	        limit_json(v->amount[2], v->unit[2]), "warn_share_pct", v->warn_share_pct,
	        "departments", departments_json(c, v->departments, v->n_departments), "note",
	        v->note);

	if (!o)
		return NULL;
	json_object_set_new(o, "default_level_label",
	                    json_string(matter_level_label(v->default_level)));
	json_object_set_new(o, "expires_on",
	                    v->expires_on[0] ? json_string(v->expires_on) : json_null());
	json_object_set_new(o, "effective_from",
	                    v->effective_from[0] ? json_string(v->effective_from) : json_null());
	json_object_set_new(o, "proposed", who_json(c, v->proposed_by, v->proposed_at));
	json_object_set_new(o, "decided", who_json(c, v->decided_by, v->decided_at));
	json_object_set_new(o, "published", who_json(c, v->published_by, v->published_at));
	json_object_set_new(o, "reject_reason",
	                    v->reject_reason[0] ? json_string(v->reject_reason) : json_null());
	return o;
}

/* The item's state on day: in_force, scheduled (published, not yet in force), withdrawn,
   expired, or draft (never published). */
static const char *item_state(int found, const struct mi_version *dec, int64_t published_id,
                              const char *day)
{
	if (found > 0) {
		if (strcmp(dec->status, "withdrawn") == 0)
			return "withdrawn";
		return version_in_force(dec, day) ? "in_force" : "expired";
	}
	return published_id ? "scheduled" : "draft";
}

json_t *matter_item_get_json(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct mi_version *v = NULL;
	struct mi_item it;
	json_t *o = NULL;
	char day[11];
	int rc, found;

	if (!c)
		return NULL;
	rc = item_load(c, id, NULL, &it);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "事项不存在");
		return NULL;
	}
	if (!(v = malloc(sizeof *v)))
		goto fail;
	today(x->now, day);
	found = version_deciding(c, id, day, v);
	if (found < 0)
		goto fail;
	o = json_pack("{s:I,s:s,s:s,s:i,s:s}", "id", (json_int_t)id, "code", it.code, "state",
	              item_state(found, v, it.published_version_id, day), "latest_version",
	              it.latest_version, "date", day);
	if (!o)
		goto fail;
	json_object_set_new(o, "in_force",
	                    found > 0 && version_in_force(v, day) ? version_json(c, v)
	                                                          : json_null());
	json_object_set_new(o, "deciding", found > 0 ? version_json(c, v) : json_null());
	rc = it.published_version_id ? version_by_id(c, it.published_version_id, v) : 0;
	if (rc < 0)
		goto fail;
	json_object_set_new(o, "latest_published", rc > 0 ? version_json(c, v) : json_null());
	rc = it.draft_version_id ? version_by_id(c, it.draft_version_id, v) : 0;
	if (rc < 0)
		goto fail;
	json_object_set_new(o, "pending", rc > 0 ? version_json(c, v) : json_null());
	free(v);
	return o;
fail:
	free(v);
	json_decref(o);
	dom_err_read(e);
	return NULL;
}

struct list_row_arg {
	struct store_conn *c;
	const char *day;
};

json_t *matter_item_list_json(const struct dom_ctx *x, const struct matter_item_filter *f,
                              const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st = NULL;
	struct mi_version *v = NULL;
	json_t *items = NULL, *out = NULL;
	char sql[2048], day[11], key[24];
	int64_t after;
	int rc, n = 0, more = 0;
	int64_t last = 0;
	int in_force_only = f->state && strcmp(f->state, "in_force") == 0;
	int pending_only = f->state && strcmp(f->state, "pending") == 0;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	if (f->state && !in_force_only && !pending_only && strcmp(f->state, "all") != 0) {
		dom_err_set(e, 400, "bad_param", "参数 state 应为 all、in_force 或 pending");
		return NULL;
	}
	if (f->category && !matter_category_label(f->category)) {
		dom_err_set(e, 400, "bad_param", "参数 category 不是已知的事项类别");
		return NULL;
	}
	if (f->q && strlen(f->q) > 60) {
		dom_err_set(e, 400, "bad_param", "参数 q 过长");
		return NULL;
	}
	today(x->now, day);
	/* The item's name and category are those of its deciding version today, else of its
	   latest version; the filters apply to that. The page is in id order (primary key). */
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT m.id, coalesce(f.id, l.id), f.id IS NOT NULL, m.published_version_id, "
	        "m.draft_version_id, m.latest_version FROM matter_items m "
	        "LEFT JOIN matter_item_versions f ON f.id = (SELECT d.id FROM matter_item_versions "
	        "d "
	        "WHERE d.item_id = m.id AND d.status IN ('published', 'withdrawn') AND "
	        "d.effective_from <= ?1 ORDER BY d.version DESC LIMIT 1) "
	        "JOIN matter_item_versions l ON l.item_id = m.id AND l.version = m.latest_version "
	        "WHERE m.id > ?2%s%s%s%s ORDER BY m.id LIMIT ?3",
	        f->category ? " AND coalesce(f.category, l.category) = ?4" : "",
	        f->q ? " AND (instr(m.code, ?5) > 0 OR instr(coalesce(f.name, l.name), ?5) > 0)"
	             : "",
	        in_force_only ? " AND f.status = 'published' AND (f.expires_on IS NULL OR "
	                        "f.expires_on >= ?1)"
	                      : "",
	        pending_only ? " AND m.draft_version_id IS NOT NULL" : "");
	if (!(v = malloc(sizeof *v)) || !(items = json_array()) || !(st = store_prepare(c, sql)))
		goto fail;
	if (store_bind_text(st, 1, day, -1) || store_bind_int64(st, 2, after) ||
	    store_bind_int64(st, 3, pg->limit + 1) ||
	    (f->category && store_bind_text(st, 4, f->category, -1)) ||
	    (f->q && store_bind_text(st, 5, f->q, -1)))
		goto fail;
	/* Collect the ids first: the versions are read with other statements on c. */
	{
		int64_t rows[DOM_PAGE_MAX + 1][5];

		while ((rc = store_step(st)) == STORE_ROW) {
			if (n == pg->limit) {
				more = 1;
				break;
			}
			rows[n][0] = store_col_int64(st, 0);
			rows[n][1] = store_col_int64(st, 1);
			rows[n][2] = store_col_int64(st, 2);
			rows[n][3] = store_col_int64(st, 3);
			rows[n][4] = store_col_int64(st, 4);
			n++;
		}
		store_reset(st);
		st = NULL;
		if (rc != STORE_ROW && rc != STORE_DONE)
			goto fail;
		for (int i = 0; i < n; i++) {
			json_t *o, *p;
			int shown = version_by_id(c, rows[i][1], v);

			if (shown <= 0)
				goto fail;
			o = version_json(c, v);
			if (!o)
				goto fail;
			json_object_set_new(o, "id", json_integer(rows[i][0]));
			json_object_set_new(
			        o, "state",
			        json_string(item_state((int)rows[i][2], v, rows[i][3], day)));
			p = json_null();
			if (rows[i][4] && version_by_id(c, rows[i][4], v) > 0)
				p = json_pack("{s:i,s:s}", "version", v->version, "status",
				              v->status);
			json_object_set_new(o, "pending", p);
			json_array_append_new(items, o);
			last = rows[i][0];
		}
	}
	free(v);
	v = NULL;
	if (more)
		(void)snprintf(key, sizeof key, "%" PRId64, last);
	out = dom_page_json(items, more ? key : NULL);
	items = NULL;
	if (!out)
		goto fail;
	return out;
fail:
	if (st)
		store_reset(st);
	free(v);
	json_decref(items);
	dom_err_read(e);
	return NULL;
}

json_t *matter_item_versions_json(const struct dom_ctx *x, int64_t id, const struct dom_page *pg,
                                  struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st = NULL;
	struct mi_version *v = NULL;
	json_t *items = NULL, *out = NULL;
	struct mi_item it;
	int64_t after, ids[DOM_PAGE_MAX + 1];
	int n = 0, more = 0, rc;
	char key[24];

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	rc = item_load(c, id, NULL, &it);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "事项不存在");
		return NULL;
	}
	/* Newest first: the cursor is the last version number shown. */
	if (!(st = store_prepare(c,
	                         "SELECT id, version FROM matter_item_versions WHERE item_id = ? "
	                         "AND version < ? ORDER BY version DESC LIMIT ?")) ||
	    store_bind_int64(st, 1, id) || store_bind_int64(st, 2, after ? after : INT64_MAX) ||
	    store_bind_int64(st, 3, pg->limit + 1))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		if (n == pg->limit) {
			more = 1;
			break;
		}
		ids[n++] = store_col_int64(st, 0);
	}
	store_reset(st);
	st = NULL;
	if ((rc != STORE_ROW && rc != STORE_DONE) || !(v = malloc(sizeof *v)) ||
	    !(items = json_array()))
		goto fail;
	for (int i = 0; i < n; i++) {
		if (version_by_id(c, ids[i], v) <= 0)
			goto fail;
		json_array_append_new(items, version_json(c, v));
	}
	if (more)
		(void)snprintf(key, sizeof key, "%d", v->version);
	free(v);
	v = NULL;
	out = dom_page_json(items, more ? key : NULL);
	items = NULL;
	if (!out)
		goto fail;
	return out;
fail:
	if (st)
		store_reset(st);
	free(v);
	json_decref(items);
	dom_err_read(e);
	return NULL;
}

json_t *matter_item_version_json(const struct dom_ctx *x, int64_t id, int version,
                                 struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct mi_version *v = malloc(sizeof *v);
	json_t *o = NULL;
	int rc;

	if (!c || !v) {
		if (c)
			dom_err_set(e, 500, "internal", "内存不足");
		free(v);
		return NULL;
	}
	rc = version_by_number(c, id, version, v);
	if (rc < 0)
		dom_err_read(e);
	else if (rc == 0)
		dom_err_set(e, 404, "not_found", "事项或版本不存在");
	else if (!(o = version_json(c, v)))
		dom_err_set(e, 500, "internal", "内存不足");
	free(v);
	return o;
}

/* Appends {field, label, from, to} to changes when a and b differ (both new references; stolen). */
static void change(json_t *changes, const char *field, const char *label, json_t *a, json_t *b)
{
	if (!json_equal(a, b))
		json_array_append_new(changes, json_pack("{s:s,s:s,s:O,s:O}", "field", field,
		                                         "label", label, "from", a, "to", b));
	json_decref(a);
	json_decref(b);
}

static json_t *opt_text(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *matter_item_diff_json(const struct dom_ctx *x, int64_t id, int from, int to,
                              struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct mi_version *a = NULL, *b = NULL;
	json_t *changes = NULL, *out = NULL;
	int ra, rb;

	if (!c)
		return NULL;
	if (!(a = malloc(sizeof *a)) || !(b = malloc(sizeof *b)) || !(changes = json_array())) {
		dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	ra = version_by_number(c, id, from, a);
	rb = version_by_number(c, id, to, b);
	if (ra < 0 || rb < 0) {
		dom_err_read(e);
		goto out;
	}
	if (ra == 0 || rb == 0) {
		dom_err_set(e, 404, "not_found", "事项或版本 %d 不存在", ra == 0 ? from : to);
		goto out;
	}
	change(changes, "status", "状态", json_string(a->status), json_string(b->status));
	change(changes, "name", "事项名称", json_string(a->name), json_string(b->name));
	change(changes, "category", "类别", json_string(a->category), json_string(b->category));
	change(changes, "description", "事项说明", json_string(a->description),
	       json_string(b->description));
	change(changes, "worker_role", "网格员职责", json_string(a->worker_role),
	       json_string(b->worker_role));
	change(changes, "default_level", "默认处置层级", json_string(a->default_level),
	       json_string(b->default_level));
	change(changes, "urgency", "紧急程度", json_integer(a->urgency), json_integer(b->urgency));
	for (int i = 0; i < 3; i++) {
		char field[32];

		(void)snprintf(field, sizeof field, "limits.%s", stage_names[i]);
		change(changes, field, stage_labels[i], limit_json(a->amount[i], a->unit[i]),
		       limit_json(b->amount[i], b->unit[i]));
	}
	change(changes, "warn_share_pct", "预警比例", json_integer(a->warn_share_pct),
	       json_integer(b->warn_share_pct));
	change(changes, "departments", "责任部门",
	       departments_json(c, a->departments, a->n_departments),
	       departments_json(c, b->departments, b->n_departments));
	change(changes, "expires_on", "失效日期", opt_text(a->expires_on), opt_text(b->expires_on));
	change(changes, "effective_from", "生效日期", opt_text(a->effective_from),
	       opt_text(b->effective_from));
	change(changes, "note", "修订说明", json_string(a->note), json_string(b->note));
	out = json_pack("{s:I,s:s,s:i,s:i,s:o}", "id", (json_int_t)id, "code", a->code, "from",
	                from, "to", to, "changes", changes);
	changes = NULL;
	if (!out)
		dom_err_set(e, 500, "internal", "内存不足");
out:
	json_decref(changes);
	free(a);
	free(b);
	return out;
}

/* ---- the public list ---- */

json_t *matter_item_public_json(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st = NULL;
	struct mi_version *v = NULL;
	json_t *cats = NULL, *out = NULL;
	int64_t *ids = NULL;
	char day[11];
	int n = 0, rc;

	if (!c)
		return NULL;
	today(x->now, day);
	if (!(v = malloc(sizeof *v)) || !(ids = calloc(MATTER_ITEM_PUBLIC_MAX, sizeof *ids)) ||
	    !(cats = json_array()))
		goto fail;
	/* The deciding version of every item today; kept when it is published and not expired. */
	st = store_prepare(
	        c, "SELECT f.id FROM matter_items m JOIN matter_item_versions f ON f.id = (SELECT "
	           "d.id FROM matter_item_versions d WHERE d.item_id = m.id AND d.status IN "
	           "('published', 'withdrawn') AND d.effective_from <= ?1 ORDER BY "
	           "d.version DESC LIMIT 1) WHERE f.status = 'published' AND "
	           "(f.expires_on IS NULL OR f.expires_on >= ?1) ORDER BY m.code LIMIT ?2");
	if (!st || store_bind_text(st, 1, day, -1) ||
	    store_bind_int64(st, 2, MATTER_ITEM_PUBLIC_MAX))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW)
		ids[n++] = store_col_int64(st, 0);
	store_reset(st);
	st = NULL;
	if (rc != STORE_DONE)
		goto fail;
	for (size_t k = 0; k < matter_category_count; k++) {
		json_t *items = json_array();

		if (!items)
			goto fail;
		for (int i = 0; i < n; i++) {
			json_t *o;

			if (version_by_id(c, ids[i], v) <= 0) {
				json_decref(items);
				goto fail;
			}
			if (strcmp(v->category, matter_categories[k].code) != 0)
				continue;
			o = version_json(c, v);
			/* The public page shows what the law requires, not who typed it. */
			json_object_del(o, "proposed");
			json_object_del(o, "decided");
			json_object_del(o, "published");
			json_object_del(o, "reject_reason");
			json_object_del(o, "status");
			json_array_append_new(items, o);
		}
		if (json_array_size(items) == 0)
			json_decref(items);
		else
			json_array_append_new(cats, json_pack("{s:s,s:s,s:o}", "code",
			                                      matter_categories[k].code, "label",
			                                      matter_categories[k].label, "items",
			                                      items));
	}
	out = json_pack("{s:s,s:i,s:o}", "date", day, "count", n, "categories", cats);
	cats = NULL;
	if (!out)
		goto fail;
	free(v);
	free(ids);
	return out;
fail:
	if (st)
		store_reset(st);
	free(v);
	free(ids);
	json_decref(cats);
	dom_err_read(e);
	return NULL;
}

static int limit_text(struct buf *b, json_t *lim)
{
	int unit = matter_unit_from_name(json_string_value(json_object_get(lim, "unit")));

	return buf_printf(b, "%d%s", (int)json_integer_value(json_object_get(lim, "amount")),
	                  unit_label(unit));
}

int matter_item_public_html(const struct dom_ctx *x, struct buf *b, struct dom_err *e)
{
	json_t *list = matter_item_public_json(x, e), *cat, *it;
	size_t i, j;
	int rc = -1;

	if (!list)
		return -1;
	if (html_page_open(b, "网格化服务管理事项清单", "/public/matter-list.css") < 0 ||
	    buf_printf(b, "<header><h1>网格化服务管理事项清单</h1><p class=\"meta\">") < 0 ||
	    html_text(b, json_string_value(json_object_get(list, "date"))) < 0 ||
	    buf_printf(b,
	               " 现行有效事项 %d "
	               "项。依据《条例》第十六条向社会公布；清单外的事项不得交由网格员办理。"
	               "</p></header><main>",
	               (int)json_integer_value(json_object_get(list, "count"))) < 0)
		goto out;
	json_array_foreach(json_object_get(list, "categories"), i, cat)
	{
		if (buf_printf(b, "<section><h2>") < 0 ||
		    html_text(b, json_string_value(json_object_get(cat, "label"))) < 0 ||
		    buf_printf(b,
		               "</h2><table><thead><tr><th>编码</th><th>事项名称</th>"
		               "<th>网格员职责</th><th>处置层级</th><th>责任部门</th>"
		               "<th>受理</th><th>处置</th><th>核查</th></tr></thead><tbody>") < 0)
			goto out;
		json_array_foreach(json_object_get(cat, "items"), j, it)
		{
			json_t *lim = json_object_get(it, "limits"), *d;
			size_t k;

			if (buf_printf(b, "<tr><td>") < 0 ||
			    html_text(b, json_string_value(json_object_get(it, "code"))) < 0 ||
			    buf_printf(b, "</td><td><strong>") < 0 ||
			    html_text(b, json_string_value(json_object_get(it, "name"))) < 0 ||
			    buf_printf(b, "</strong>") < 0)
				goto out;
			if (*json_string_value(json_object_get(it, "description")) &&
			    (buf_printf(b, "<br><small>") < 0 ||
			     html_text(b, json_string_value(json_object_get(it, "description"))) <
			             0 ||
			     buf_printf(b, "</small>") < 0))
				goto out;
			if (json_is_string(json_object_get(it, "expires_on")) &&
			    (buf_printf(b, "<br><small>临时事项，有效期至 ") < 0 ||
			     html_text(b, json_string_value(json_object_get(it, "expires_on"))) <
			             0 ||
			     buf_printf(b, "</small>") < 0))
				goto out;
			if (buf_printf(b, "</td><td>") < 0 ||
			    html_text(b, json_string_value(
			                         json_object_get(it, "worker_role_label"))) < 0 ||
			    buf_printf(b, "</td><td>") < 0 ||
			    html_text(b, json_string_value(
			                         json_object_get(it, "default_level_label"))) < 0 ||
			    buf_printf(b, "</td><td>") < 0)
				goto out;
			json_array_foreach(json_object_get(it, "departments"), k, d)
			{
				if ((k && buf_printf(b, "、") < 0) ||
				    html_text(b, json_string_value(json_object_get(d, "name"))) <
				            0 ||
				    (k == 0 &&
				     json_array_size(json_object_get(it, "departments")) > 1 &&
				     buf_printf(b, "（牵头）") < 0))
					goto out;
			}
			for (int s = 0; s < 3; s++)
				if (buf_printf(b, "</td><td>") < 0 ||
				    limit_text(b, json_object_get(lim, stage_names[s])) < 0)
					goto out;
			if (buf_printf(b, "</td></tr>") < 0)
				goto out;
		}
		if (buf_printf(b, "</tbody></table></section>") < 0)
			goto out;
	}
	if (buf_printf(b, "</main><footer><p>时限按工作日历计算（节假日、调休依国务院办公厅通知）。"
	                  "本页也以 JSON 提供：<a href=\"/public/matter-list?format=json\">"
	                  "/public/matter-list?format=json</a></p></footer>") < 0 ||
	    html_page_close(b) < 0)
		goto out;
	rc = 0;
out:
	json_decref(list);
	if (rc < 0)
		dom_err_set(e, 500, "internal", "页面过大");
	return rc;
}
