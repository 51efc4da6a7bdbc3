/*
 * The registry's places and counters (registry.h): the codes and labels of the registry, houses
 * and units (validated, written through dom_write, read scoped in SQL and keyset-paged in
 * (path, id) order), the residents of a house on a date computed from the dated residence
 * records, and the per-grid counters (grid_registry_stats) every registry write keeps in step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/codes.h"
#include "domain/registry.h"
#include "domain/worker.h" /* worker_date_valid, worker_local_date: the calendar-date helpers */
#include "store/store.h"

/* ---- codes and labels ---- */

struct code_label {
	const char *code, *label, *kind;
};

static const struct code_label house_types[] = {
	{ "dwelling", "住宅", NULL }, { "shop", "商铺", NULL },  { "office", "办公", NULL },
	{ "factory", "厂房", NULL },  { "other", "其他", NULL },
};
static const struct code_label house_uses[] = {
	{ "self", "自住", NULL },
	{ "rent", "出租", NULL },
	{ "vacant", "空置", NULL },
	{ "business", "经营", NULL },
};
static const struct code_label unit_kinds[] = {
	{ "enterprise", "企业", NULL },     { "shop", "商户", NULL },
	{ "school", "学校", NULL },         { "hospital", "医院", NULL },
	{ "social_org", "社会组织", NULL }, { "government", "机关事业单位", NULL },
	{ "other", "其他", NULL },
};
static const struct code_label reg_types[] = {
	{ "huji", "户籍", NULL },
	{ "floating", "流动", NULL },
	{ "foreign", "境外", NULL },
};
static const struct code_label relations[] = {
	{ "head", "户主", NULL },         { "spouse", "配偶", NULL },
	{ "child", "子女", NULL },        { "parent", "父母", NULL },
	{ "grandchild", "孙子女", NULL }, { "sibling", "兄弟姐妹", NULL },
	{ "other", "其他", NULL },
};
static const struct code_label tags[] = {
	{ "elderly_alone", "独居老人", "care" },
	{ "disabled", "残疾人", "care" },
	{ "low_income", "低保", "care" },
	{ "extreme_poverty", "特困", "care" },
	{ "left_behind_child", "留守儿童", "care" },
	{ "community_correction", "社区矫正对象", "key" },
	{ "released_prisoner", "刑满释放人员", "key" },
	{ "drug_rehab", "吸毒戒断人员", "key" },
	{ "mental_illness", "严重精神障碍患者", "key" },
};

#define N(t) (sizeof t / sizeof t[0])

static const struct code_label *find(const struct code_label *t, size_t n, const char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].code, s) == 0 || strcmp(t[i].label, s) == 0)
			return &t[i];
	return NULL;
}

#define PARSER(fn, table)                                                                          \
	const char *fn(const char *s)                                                              \
	{                                                                                          \
		const struct code_label *c = find(table, N(table), s);                             \
		return c ? c->code : NULL;                                                         \
	}
PARSER(house_type_parse, house_types)
PARSER(house_use_parse, house_uses)
PARSER(unit_kind_parse, unit_kinds)
PARSER(person_reg_type_parse, reg_types)
PARSER(person_relation_parse, relations)

const char *person_tag_parse(const char *s, const char **kind)
{
	const struct code_label *c = find(tags, N(tags), s);

	if (kind)
		*kind = c ? c->kind : NULL;
	return c ? c->code : NULL;
}

const char *unit_kind_label(const char *code)
{
	const struct code_label *c = find(unit_kinds, N(unit_kinds), code);

	return c ? c->label : "";
}

const char *registry_label(const char *code)
{
	static const struct {
		const struct code_label *t;
		size_t n;
	} all[] = {
		{ house_types, N(house_types) }, { house_uses, N(house_uses) },
		{ unit_kinds, N(unit_kinds) },   { reg_types, N(reg_types) },
		{ relations, N(relations) },     { tags, N(tags) },
	};

	for (size_t i = 0; code && i < N(all); i++)
		for (size_t j = 0; j < all[i].n; j++)
			if (strcmp(all[i].t[j].code, code) == 0)
				return all[i].t[j].label;
	return "";
}

/* ---- shared helpers ---- */

int registry_text_ok(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	n = dom_utf8_chars(s);
	return n >= 1 && n <= max;
}

json_t *registry_opt(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

int registry_stats_add(struct store_conn *c, int64_t grid_id, const struct registry_counts *d,
                       int sign, struct dom_err *e)
{
	int64_t k = sign < 0 ? -1 : 1;

	return dom_exec(
	        c, e,
	        "INSERT INTO grid_registry_stats (grid_id, residents, households, floating, "
	        "foreigners, care, key_people, houses, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	        "?) ON CONFLICT (grid_id) DO UPDATE SET residents = residents + "
	        "excluded.residents, households = households + excluded.households, "
	        "floating = floating + excluded.floating, foreigners = foreigners + "
	        "excluded.foreigners, care = care + excluded.care, key_people = key_people "
	        "+ excluded.key_people, houses = houses + excluded.houses, units = units + "
	        "excluded.units",
	        "iiiiiiiii", grid_id, k * d->residents, k * d->households, k * d->floating,
	        k * d->foreigners, k * d->care, k * d->key_people, k * d->houses, k * d->units);
}

int registry_grid_resolve(struct store_conn *c, const struct dom_ctx *x, const char *code,
                          int64_t *grid_id, char *path, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc, active = 0;

	if (!code || strlen(code) != 15)
		return dom_err_set(e, 400, "bad_grid", "须选择所在网格 grid（15 位网格编码）");
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT g.id, g.path, g.status = 'active' FROM grids g WHERE g.code = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return dom_err_read(e);
	store_bind_text(st, 1, code, -1);
	if (dom_scope_bind(x->caller, "g.id", st, 2) < 0) {
		store_reset(st);
		return dom_err_read(e);
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*grid_id = store_col_int64(st, 0);
		dom_copy(path, ACCESS_PATH_MAX, store_col_text(st, 1));
		active = (int)store_col_int64(st, 2);
	}
	store_reset(st);
	/* A grid outside the scope is answered like a missing one (404), never 400. */
	if (rc == STORE_DONE)
		return dom_err_set(e, 404, "not_found", "网格 %.15s 不存在", code);
	if (rc != STORE_ROW)
		return dom_err_read(e);
	if (!active)
		return dom_err_set(e, 400, "bad_grid", "网格 %.15s 已撤销", code);
	return 0;
}

/* Runs "SELECT <cols> FROM <table> t WHERE t.id = ?<scope>" for row id; 1 with the row (the
   caller reads it and resets st), 0 none, -1 error. */
static int scoped_row(struct store_conn *c, const struct dom_ctx *x, const char *cols,
                      const char *from, int64_t id, struct store_stmt **out)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[1024];
	struct store_stmt *st;
	int rc;

	*out = NULL;
	dom_scope_sql(x->caller, "t.path", "t.grid_id", scope);
	(void)snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE t.id = ?%s", cols, from, scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_int64(st, 1, id) || dom_scope_bind(x->caller, "t.grid_id", st, 2) < 0) {
		store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*out = st;
		return 1;
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

int registry_house_locate(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                          int64_t *grid_id, char *path)
{
	struct store_stmt *st;
	int rc = scoped_row(c, x, "t.grid_id, t.path", "houses t", id, &st);

	if (rc == 1) {
		*grid_id = store_col_int64(st, 0);
		dom_copy(path, ACCESS_PATH_MAX, store_col_text(st, 1));
		store_reset(st);
	}
	return rc;
}

int registry_unit_visible(struct store_conn *c, const struct dom_ctx *x, int64_t id)
{
	struct store_stmt *st;
	int rc = scoped_row(c, x, "t.id", "units t", id, &st);

	if (rc == 1)
		store_reset(st);
	return rc;
}

int registry_house_use_add(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                           const char *use, const char *since, struct dom_err *e)
{
	return dom_exec(c, e,
	                "INSERT INTO house_uses (house_id, use, since, user_id, created_at) VALUES "
	                "(?, ?, ?, ?, ?)",
	                "ittni", id, use, since, x->caller->user_id, x->now);
}

/* ---- houses ---- */

struct place_arg {
	const struct house_input *house;
	const struct unit_input *unit;
	char credit[19];
	const char *type, *use, *kind;
	char date[WORKER_DATE_LEN + 1]; /* a house: the date its use began */
	int64_t grid_id, id;
	char path[ACCESS_PATH_MAX];
};

/* The grid chosen must be active and inside the caller's scope. */
static int place_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct place_arg *a = w->arg;

	return registry_grid_resolve(c, x, a->house ? a->house->grid : a->unit->grid, &a->grid_id,
	                             a->path, e);
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* Records where the new row id of table (houses, units) is. */
static int place_locate(struct store_conn *c, const char *table, int64_t id, double lng, double lat,
                        struct dom_err *e)
{
	struct store_stmt *st = store_prepare(
	        c, strcmp(table, "houses") == 0 ? "UPDATE houses SET lng = ?, lat = ? WHERE id = ?"
	                                        : "UPDATE units SET lng = ?, lat = ? WHERE id = ?");
	int rc;

	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_double(st, 1, lng);
	store_bind_double(st, 2, lat);
	store_bind_int64(st, 3, id);
	rc = dom_step_done(st);
	return rc == 0 ? 0 : dom_err_store(e, rc);
}

/* {lng, lat} of the row's columns at, or null. */
static json_t *place_location(struct store_stmt *st, int at)
{
	if (store_col_is_null(st, at))
		return json_null();
	return json_pack("{s:f,s:f}", "lng", store_col_double(st, at), "lat",
	                 store_col_double(st, at + 1));
}

static int house_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct place_arg *a = w->arg;
	const struct house_input *in = a->house;
	struct registry_counts d = { .houses = 1 };

	if (dom_exec(c, e,
	             "INSERT INTO houses (grid_id, path, address, building, unit_no, room, type, "
	             "use, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             "itttttttii", a->grid_id, a->path, in->address, nz(in->building),
	             nz(in->unit_no), nz(in->room), a->type, a->use, x->now, x->now) < 0)
		return -1;
	a->id = store_last_insert_id(c);
	if (in->has_location && place_locate(c, "houses", a->id, in->lng, in->lat, e) < 0)
		return -1;
	if (registry_house_use_add(c, x, a->id, a->use, a->date, e) < 0 ||
	    registry_stats_add(c, a->grid_id, &d, 1, e) < 0)
		return -1;
	dom_write_object(w, "house:%" PRId64, a->id);
	dom_write_detail(w, "登记房屋（%s，%s）", registry_label(a->type), registry_label(a->use));
	return 0;
}

/* A house's fields, before the database: 0, or -1 with e. */
static int house_check(const struct dom_ctx *x, const struct house_input *in, struct place_arg *a,
                       struct dom_err *e)
{
	if (!registry_text_ok(in->address, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "须填写地址 address（1 到 %d 个字）",
		                   REGISTRY_TEXT_CHARS);
	if ((in->building && *in->building && !registry_text_ok(in->building, 20)) ||
	    (in->unit_no && *in->unit_no && !registry_text_ok(in->unit_no, 20)) ||
	    (in->room && *in->room && !registry_text_ok(in->room, 20)))
		return dom_err_set(e, 400, "bad_field", "楼栋、单元、房号各不超过 20 个字");
	if (!(a->type = house_type_parse(in->type)))
		return dom_err_set(e, 400, "bad_type",
		                   "房屋类型 type 应为 住宅、商铺、办公、厂房 或 其他");
	if (!(a->use = house_use_parse(in->use)))
		return dom_err_set(e, 400, "bad_use", "房屋用途 use 应为 自住、出租、空置 或 经营");
	worker_local_date(x->now, a->date);
	if (in->date && *in->date) {
		if (!worker_date_valid(in->date) || strcmp(in->date, a->date) > 0)
			return dom_err_set(e, 400, "bad_date", "日期 %.20s 无效或晚于今天",
			                   in->date);
		dom_copy(a->date, sizeof a->date, in->date);
	}
	return 0;
}

int house_create(const struct dom_ctx *x, const struct house_input *in, int64_t *id,
                 struct dom_err *e)
{
	struct place_arg a = { .house = in };
	struct dom_write w = { .action = "house.create",
		               .permission = "registry.write",
		               .authorize = place_authorize,
		               .apply = house_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	if (house_check(x, in, &a, e) < 0)
		return -1;
	dom_write_object(&w, "house:new");
	if (dom_write(x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

int house_insert(struct store_conn *c, const struct dom_ctx *x, const struct house_input *in,
                 int64_t *id, struct dom_err *e)
{
	struct place_arg a = { .house = in };
	struct dom_write w = { .arg = &a }; /* object and detail: the caller's write has its own */

	if (house_check(x, in, &a, e) < 0 || place_authorize(c, x, &w, e) < 0 ||
	    house_apply(c, x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

#define HOUSE_COLS                                                                                 \
	"t.id, g.code, t.address, coalesce(t.building, ''), coalesce(t.unit_no, ''), "             \
	"coalesce(t.room, ''), t.type, t.use, t.created_at, t.updated_at, "                        \
	"(SELECT count(*) FROM people p WHERE p.house_id = t.id AND p.status = 'present'), "       \
	"t.version, t.lng, t.lat"
#define HOUSE_NCOLS 14 /* the columns of HOUSE_COLS: a query adding its own reads them after */
#define HOUSE_FROM "houses t JOIN grids g ON g.id = t.grid_id"

static json_t *house_row(struct store_stmt *st, void *arg)
{
	char t1[40], t2[40];

	(void)arg;
	clock_format_local(store_col_int64(st, 8), t1, sizeof t1);
	clock_format_local(store_col_int64(st, 9), t2, sizeof t2);
	return json_pack(
	        "{s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:s,s:s}", "id",
	        (json_int_t)store_col_int64(st, 0), "grid", store_col_text(st, 1), "address",
	        store_col_text(st, 2), "building", registry_opt(store_col_text(st, 3)), "unit_no",
	        registry_opt(store_col_text(st, 4)), "room", registry_opt(store_col_text(st, 5)),
	        "type", store_col_text(st, 6), "type_label", registry_label(store_col_text(st, 6)),
	        "use", store_col_text(st, 7), "use_label", registry_label(store_col_text(st, 7)),
	        "residents", (json_int_t)store_col_int64(st, 10), "version",
	        (json_int_t)store_col_int64(st, 11), "location", place_location(st, 12),
	        "created_at", t1, "updated_at", t2);
}

/* Reads one row of table (aliased t, scoped) as JSON through row; 404 message msg. */
static json_t *get_one(const struct dom_ctx *x, const char *cols, const char *from, int64_t id,
                       dom_row_fn row, const char *msg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *o = NULL;
	int rc;

	if (!c)
		return NULL;
	rc = scoped_row(c, x, cols, from, id, &st);
	if (rc < 0) {
		dom_err_read(e);
	} else if (rc == 0) {
		dom_err_set(e, 404, "not_found", "%s", msg);
	} else {
		o = row(st, NULL);
		store_reset(st);
		if (!o)
			dom_err_set(e, 500, "internal", "内部错误");
	}
	return o;
}

/* The uses house id has had, oldest first: [{use, use_label, since, recorded_at}]. NULL on a
   read failure. */
static json_t *house_uses_json(struct store_conn *c, int64_t id)
{
	struct store_stmt *st = store_prepare(c, "SELECT use, since, created_at FROM house_uses "
	                                         "WHERE house_id = ? ORDER BY since, id");
	json_t *arr = json_array();
	char t[40];
	int rc = STORE_ERR;

	if (st && arr) {
		store_bind_int64(st, 1, id);
		while ((rc = store_step(st)) == STORE_ROW) {
			clock_format_local(store_col_int64(st, 2), t, sizeof t);
			json_array_append_new(
			        arr, json_pack("{s:s,s:s,s:s,s:s}", "use", store_col_text(st, 0),
			                       "use_label", registry_label(store_col_text(st, 0)),
			                       "since", store_col_text(st, 1), "recorded_at", t));
		}
	}
	if (st)
		store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

json_t *house_get(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	json_t *o = get_one(x, HOUSE_COLS, HOUSE_FROM, id, house_row, "房屋不存在", e);
	struct store_conn *c;
	json_t *uses, *last;

	/* One house answers the dated history of its use too; a list does not. */
	if (!o)
		return NULL;
	if (!(c = dom_reader(x, e)) || !(uses = house_uses_json(c, id))) {
		json_decref(o);
		dom_err_read(e);
		return NULL;
	}
	last = json_array_get(uses, json_array_size(uses) - 1);
	json_object_set(o, "use_since", last ? json_object_get(last, "since") : json_null());
	json_object_set_new(o, "use_history", uses);
	return o;
}

/* The statement of table t (houses or units) in (path, id) order after row id after (0: from
   the start), optionally of one grid, at most limit rows. NULL with e. */
static struct store_stmt *places_stmt(const struct dom_ctx *x, const char *cols, const char *from,
                                      const char *table, const char *grid, int64_t after,
                                      int64_t limit, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[1536];
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	int k = 1;

	if (!c)
		return NULL;
	/* A grid outside the scope (or missing) selects nothing: the answer is empty. */
	if (grid && strlen(grid) != 15) {
		dom_err_set(e, 400, "bad_param", "参数 grid 应为 15 位网格编码");
		return NULL;
	}
	dom_scope_sql(x->caller, "t.path", "t.grid_id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT %s FROM %s WHERE (? = 0 OR (t.path, t.id) > ((SELECT t2.path FROM "
	               "%s t2 WHERE t2.id = ?), ?))%s%s ORDER BY t.path, t.id LIMIT ?",
	               cols, from, table, scope, grid ? " AND g.code = ?" : "");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, "t.grid_id", st, k);
	if (grid)
		store_bind_text(st, k++, grid, -1);
	store_bind_int64(st, k, limit);
	return st;
}

/* A keyset page of table t (houses or units) in (path, id) order, optionally of one grid. */
static json_t *list_places(const struct dom_ctx *x, const char *cols, const char *from,
                           const char *table, const char *grid, const struct dom_page *pg,
                           dom_row_fn row, struct dom_err *e)
{
	struct store_stmt *st;
	int64_t after;

	if (dom_page_after_id(pg, &after, e) < 0 ||
	    !(st = places_stmt(x, cols, from, table, grid, after, pg->limit + 1, e)))
		return NULL;
	return dom_page_collect(st, pg, row, NULL, e);
}

int registry_walk(struct store_stmt *st, int64_t max, dom_row_fn row, void *row_arg,
                  const char *what, const char *measure, registry_each_fn fn, void *arg,
                  struct dom_err *e)
{
	int r = STORE_ERR, result = 0;
	int64_t n = 0;

	while ((r = store_step(st)) == STORE_ROW) {
		json_t *o;

		/* The extra row only says the cap is exceeded. */
		if (n == max) {
			result = dom_err_set(e, 413, "too_many_rows",
			                     "符合条件的%s超过 %" PRId64
			                     " %s，请缩小范围（如按网格导出）",
			                     what, max, measure);
			break;
		}
		if (!(o = row(st, row_arg))) {
			result = dom_err_set(e, 500, "internal", "内部错误");
			break;
		}
		result = fn(o, arg);
		json_decref(o);
		if (result)
			break;
		n++;
	}
	store_reset(st);
	if (!result && r != STORE_DONE)
		return dom_err_read(e);
	return result ? -1 : 0;
}

/* Calls fn with each row of table t (as row makes it) in the list's order, at most max
   (registry_walk). */
static int each_place(const struct dom_ctx *x, const char *cols, const char *from,
                      const char *table, const char *grid, int64_t max, dom_row_fn row,
                      const char *what, const char *measure, registry_each_fn fn, void *arg,
                      struct dom_err *e)
{
	struct store_stmt *st = places_stmt(x, cols, from, table, grid, 0, max + 1, e);

	return st ? registry_walk(st, max, row, NULL, what, measure, fn, arg, e) : -1;
}

json_t *house_list(const struct dom_ctx *x, const char *grid, const struct dom_page *pg,
                   struct dom_err *e)
{
	return list_places(x, HOUSE_COLS, HOUSE_FROM, "houses", grid, pg, house_row, e);
}

/* A house of an export: as the list answers it, with the date its current use began (the last
   of its dated uses: the index house_uses_house serves it). */
#define HOUSE_EACH_COLS                                                                            \
	HOUSE_COLS ", (SELECT u.since FROM house_uses u WHERE u.house_id = t.id ORDER BY "         \
	           "u.since DESC, u.id DESC LIMIT 1)"

static json_t *house_each_row(struct store_stmt *st, void *arg)
{
	json_t *o = house_row(st, arg);

	if (o && json_object_set_new(o, "use_since",
	                             registry_opt(store_col_text(st, HOUSE_NCOLS))) < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int house_each(const struct dom_ctx *x, const char *grid, int64_t max, registry_each_fn fn,
               void *arg, struct dom_err *e)
{
	return each_place(x, HOUSE_EACH_COLS, HOUSE_FROM, "houses", grid, max, house_each_row,
	                  "房屋", "处", fn, arg, e);
}

json_t *house_residents(const struct dom_ctx *x, int64_t id, const char *date, int with_key,
                        struct dom_err *e)
{
	char today[WORKER_DATE_LEN + 1], path[ACCESS_PATH_MAX], sql[1024];
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *items, *out;
	int64_t grid_id;
	int rc;

	if (!c)
		return NULL;
	worker_local_date(x->now, today);
	if (!date || !*date)
		date = today;
	if (!worker_date_valid(date)) {
		dom_err_set(e, 400, "bad_date", "参数 date 应为 YYYY-MM-DD 格式的日期");
		return NULL;
	}
	rc = registry_house_locate(c, x, id, &grid_id, path);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "房屋不存在");
		return NULL;
	}
	/* A person lived here on date when their last residence record on or before date (by
	   date, then by order of recording) moved them into this house. */
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT p.id, p.name, coalesce(p.relation, ''), coalesce(p.household_no, ''), "
	        "ev.date FROM person_events ev JOIN people p ON p.id = ev.person_id WHERE "
	        "ev.house_id = ?1 AND ev.kind IN ('move_in', 'born') AND ev.date <= ?2 AND "
	        "NOT EXISTS (SELECT 1 FROM person_events l WHERE l.person_id = ev.person_id "
	        "AND l.kind IN ('move_in', 'born', 'move_out', 'died') AND l.date <= ?2 AND "
	        "(l.date > ev.date OR (l.date = ev.date AND l.id > ev.id)))%s ORDER BY p.id",
	        with_key ? "" : " AND p.key_count = 0");
	if (!(st = store_prepare(c, sql)) || !(items = json_array())) {
		if (st)
			store_reset(st);
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, date, -1);
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *rel = store_col_text(st, 2);

		json_array_append_new(items, json_pack("{s:I,s:s,s:o,s:s,s:o,s:s}", "id",
		                                       (json_int_t)store_col_int64(st, 0), "name",
		                                       store_col_text(st, 1), "relation",
		                                       registry_opt(rel), "relation_label",
		                                       registry_label(rel), "household_no",
		                                       registry_opt(store_col_text(st, 3)), "since",
		                                       store_col_text(st, 4)));
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(items);
		dom_err_read(e);
		return NULL;
	}
	out = json_pack("{s:I,s:s,s:o}", "house", (json_int_t)id, "date", date, "items", items);
	if (!out)
		dom_err_set(e, 500, "internal", "内部错误");
	return out;
}

/* ---- units ---- */

static int unit_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	struct place_arg *a = w->arg;
	const struct unit_input *in = a->unit;
	struct registry_counts d = { .units = 1 };
	struct store_stmt *st = store_prepare(c, "SELECT id FROM units WHERE credit_code = ?");
	int rc;

	if (!st)
		return dom_err_read(e);
	store_bind_text(st, 1, a->credit, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_ROW)
		return dom_err_set(e, 409, "duplicate", "统一社会信用代码 %s 已登记", a->credit);
	if (rc != STORE_DONE)
		return dom_err_read(e);
	if (dom_exec(c, e,
	             "INSERT INTO units (grid_id, path, name, credit_code, kind, address, "
	             "contact_name, contact_phone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, "
	             "?, ?, ?, ?, ?)",
	             "itttttttii", a->grid_id, a->path, in->name, a->credit, a->kind, in->address,
	             nz(in->contact_name), nz(in->contact_phone), x->now, x->now) < 0)
		return -1;
	a->id = store_last_insert_id(c);
	if ((in->has_location && place_locate(c, "units", a->id, in->lng, in->lat, e) < 0) ||
	    registry_stats_add(c, a->grid_id, &d, 1, e) < 0)
		return -1;
	dom_write_object(w, "unit:%" PRId64, a->id);
	dom_write_detail(w, "登记单位 %s（%s）", in->name, unit_kind_label(a->kind));
	return 0;
}

/* A unit's fields, before the database: 0, or -1 with e. */
static int unit_check(const struct unit_input *in, struct place_arg *a, struct dom_err *e)
{
	struct code_error ce = { 0 };

	if (!registry_text_ok(in->name, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_name", "须填写单位名称 name（1 到 %d 个字）",
		                   REGISTRY_TEXT_CHARS);
	if (!registry_text_ok(in->address, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "须填写地址 address（1 到 %d 个字）",
		                   REGISTRY_TEXT_CHARS);
	if (uscc_parse(in->credit_code, a->credit, &ce) < 0)
		return dom_err_set(e, 400, "bad_credit_code", "统一社会信用代码有误：%s",
		                   ce.message ? ce.message : "格式不正确");
	if (!(a->kind = unit_kind_parse(in->kind)))
		return dom_err_set(e, 400, "bad_kind",
		                   "单位类别 kind 应为 企业、商户、学校、医院、社会组织、"
		                   "机关事业单位 或 其他");
	if ((in->contact_name && *in->contact_name && !registry_text_ok(in->contact_name, 32)) ||
	    (in->contact_phone && *in->contact_phone && !registry_text_ok(in->contact_phone, 20)))
		return dom_err_set(e, 400, "bad_field",
		                   "联系人不超过 32 个字，联系电话不超过 20 位");
	return 0;
}

int unit_create(const struct dom_ctx *x, const struct unit_input *in, int64_t *id,
                struct dom_err *e)
{
	struct place_arg a = { .unit = in };
	struct dom_write w = { .action = "unit.create",
		               .permission = "registry.write",
		               .authorize = place_authorize,
		               .apply = unit_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	if (unit_check(in, &a, e) < 0)
		return -1;
	dom_write_object(&w, "unit:new");
	if (dom_write(x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

int unit_insert(struct store_conn *c, const struct dom_ctx *x, const struct unit_input *in,
                int64_t *id, struct dom_err *e)
{
	struct place_arg a = { .unit = in };
	struct dom_write w = { .arg = &a }; /* object and detail: the caller's write has its own */

	if (unit_check(in, &a, e) < 0 || place_authorize(c, x, &w, e) < 0 ||
	    unit_apply(c, x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

#define UNIT_COLS                                                                                  \
	"t.id, g.code, t.name, t.credit_code, t.kind, t.address, coalesce(t.contact_name, ''), "   \
	"coalesce(t.contact_phone, ''), t.created_at, t.updated_at, t.version, t.lng, t.lat"
#define UNIT_FROM "units t JOIN grids g ON g.id = t.grid_id"

static json_t *unit_row(struct store_stmt *st, void *arg)
{
	char t1[40], t2[40];

	(void)arg;
	clock_format_local(store_col_int64(st, 8), t1, sizeof t1);
	clock_format_local(store_col_int64(st, 9), t2, sizeof t2);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:s,s:s}", "id",
	                 (json_int_t)store_col_int64(st, 0), "grid", store_col_text(st, 1), "name",
	                 store_col_text(st, 2), "credit_code", store_col_text(st, 3), "kind",
	                 store_col_text(st, 4), "kind_label",
	                 unit_kind_label(store_col_text(st, 4)), "address", store_col_text(st, 5),
	                 "contact_name", registry_opt(store_col_text(st, 6)), "contact_phone",
	                 registry_opt(store_col_text(st, 7)), "version",
	                 (json_int_t)store_col_int64(st, 10), "location", place_location(st, 11),
	                 "created_at", t1, "updated_at", t2);
}

json_t *unit_get(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	return get_one(x, UNIT_COLS, UNIT_FROM, id, unit_row, "单位不存在", e);
}

json_t *unit_list(const struct dom_ctx *x, const char *grid, const struct dom_page *pg,
                  struct dom_err *e)
{
	return list_places(x, UNIT_COLS, UNIT_FROM, "units", grid, pg, unit_row, e);
}

int unit_each(const struct dom_ctx *x, const char *grid, int64_t max, registry_each_fn fn,
              void *arg, struct dom_err *e)
{
	return each_place(x, UNIT_COLS, UNIT_FROM, "units", grid, max, unit_row, "单位", "个", fn,
	                  arg, e);
}

/* ---- statistics ---- */

json_t *registry_grid_stats(const struct dom_ctx *x, const char *code, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[1024];
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *o = NULL;
	int rc;

	if (!c)
		return NULL;
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT g.code, g.name, g.residents, g.households, coalesce(s.residents, 0), "
	        "coalesce(s.households, 0), coalesce(s.floating, 0), coalesce(s.foreigners, "
	        "0), coalesce(s.care, 0), coalesce(s.key_people, 0), coalesce(s.houses, 0), "
	        "coalesce(s.units, 0) FROM grids g LEFT JOIN grid_registry_stats s ON "
	        "s.grid_id = g.id WHERE g.code = ?%s",
	        scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_text(st, 1, code ? code : "", -1);
	if (dom_scope_bind(x->caller, "g.id", st, 2) < 0) {
		store_reset(st);
		dom_err_read(e);
		return NULL;
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
#define C(i) ((json_int_t)store_col_int64(st, i))
		o = json_pack("{s:s,s:s,s:{s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "grid",
		              store_col_text(st, 0), "name", store_col_text(st, 1), "declared",
		              "residents", C(2), "households", C(3), "residents", C(4),
		              "households", C(5), "floating", C(6), "foreigners", C(7), "care",
		              C(8), "key_people", C(9), "houses", C(10), "units", C(11));
#undef C
		if (!o)
			dom_err_set(e, 500, "internal", "内部错误");
	} else if (rc == STORE_DONE) {
		dom_err_set(e, 404, "not_found", "网格不存在");
	} else {
		dom_err_read(e);
	}
	store_reset(st);
	return o;
}

int registry_check_counters(struct store_conn *c, struct buf *report)
{
	/* One pass over each table grouped by grid (the indexes on grid_id serve them), joined to
	   the counters; a grid with neither counters nor rows is not listed. */
	static const char sql[] =
	        "WITH p AS (SELECT grid_id, sum(status = 'present') AS residents, sum(status = "
	        "'present' AND relation = 'head') AS households, sum(status = 'present' AND "
	        "reg_type = 'floating') AS floating, sum(status = 'present' AND reg_type = "
	        "'foreign') AS foreigners, sum(status = 'present' AND care_count > 0) AS care, "
	        "sum(status = 'present' AND key_count > 0) AS key_people FROM people GROUP BY "
	        "grid_id), h AS (SELECT grid_id, count(*) AS houses FROM houses GROUP BY grid_id), "
	        "u AS (SELECT grid_id, count(*) AS units FROM units GROUP BY grid_id), ids AS "
	        "(SELECT grid_id FROM p UNION SELECT grid_id FROM h UNION SELECT grid_id FROM u "
	        "UNION SELECT grid_id FROM grid_registry_stats) SELECT g.code, "
	        "coalesce(s.residents, 0), coalesce(p.residents, 0), coalesce(s.households, 0), "
	        "coalesce(p.households, 0), coalesce(s.floating, 0), coalesce(p.floating, 0), "
	        "coalesce(s.foreigners, 0), coalesce(p.foreigners, 0), coalesce(s.care, 0), "
	        "coalesce(p.care, 0), coalesce(s.key_people, 0), coalesce(p.key_people, 0), "
	        "coalesce(s.houses, 0), coalesce(h.houses, 0), coalesce(s.units, 0), "
	        "coalesce(u.units, 0) FROM ids JOIN grids g ON g.id = ids.grid_id LEFT JOIN "
	        "grid_registry_stats s ON s.grid_id = ids.grid_id LEFT JOIN p ON p.grid_id = "
	        "ids.grid_id LEFT JOIN h ON h.grid_id = ids.grid_id LEFT JOIN u ON u.grid_id = "
	        "ids.grid_id ORDER BY g.code";
	static const char *const names[] = { "residents", "households", "floating", "foreigners",
		                             "care",      "key_people", "houses",   "units" };
	struct store_stmt *st = store_prepare(c, sql);
	int findings = 0, rc;

	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		int differs = 0;

		for (int k = 0; k < 8; k++)
			differs |= store_col_int64(st, 1 + 2 * k) != store_col_int64(st, 2 + 2 * k);
		if (!differs)
			continue;
		findings++;
		buf_printf(report, "registry: grid %s counters differ from a count:",
		           store_col_text(st, 0));
		for (int k = 0; k < 8; k++)
			if (store_col_int64(st, 1 + 2 * k) != store_col_int64(st, 2 + 2 * k))
				buf_printf(report, " %s %lld (counted %lld)", names[k],
				           (long long)store_col_int64(st, 1 + 2 * k),
				           (long long)store_col_int64(st, 2 + 2 * k));
		buf_puts(report, "\n");
	}
	store_reset(st);
	return rc == STORE_DONE ? findings : -1;
}
