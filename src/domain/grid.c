/*
 * Grids on the domain kernel (domain/dom.h): reads scoped in SQL and paged by code, and the
 * writes that keep history (create, update, redraw, split, merge, retire), each one dom_write
 * with an authorize step (Art. 7, scope, the target as it is inside the transaction) and an apply
 * step. Input is validated before the write is queued (codes, names, boundaries through
 * geo/geom.h); the authorize step then re-reads what the write depends on inside the transaction,
 * so two racing changes of one grid cannot both succeed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/jsonw.h"
#include "domain/grid.h"
#include "geo/geom.h"
#include "store/store.h"

const char *const grid_subtypes[] = {
	"园区", "商圈市场", "企业", "学校", "医院", "景区", "商务楼宇"
};
const size_t grid_subtype_count = sizeof grid_subtypes / sizeof grid_subtypes[0];

const struct grid_code_rule *grid_rule(void)
{
	return &grid_code_default_rule;
}

int grid_kind_parse(const char *s)
{
	if (!s)
		return 0;
	if (strcmp(s, "comprehensive") == 0 || strcmp(s, "综合网格") == 0)
		return GRID_COMPREHENSIVE;
	if (strcmp(s, "dedicated") == 0 || strcmp(s, "专属网格") == 0)
		return GRID_DEDICATED;
	return 0;
}

const char *grid_kind_name(int kind)
{
	return kind == GRID_DEDICATED ? "dedicated" : "comprehensive";
}

const char *grid_kind_label(int kind)
{
	return kind == GRID_DEDICATED ? "专属网格" : "综合网格";
}

int grid_subtype_valid(const char *s)
{
	for (size_t i = 0; s && i < grid_subtype_count; i++)
		if (strcmp(s, grid_subtypes[i]) == 0)
			return 1;
	return 0;
}

void grid_release(struct grid *g)
{
	if (!g)
		return;
	free(g->boundary);
	free(g->retire_reason);
	g->boundary = g->retire_reason = NULL;
}

int grid_visible(const struct principal *p, int64_t id, const char *path)
{
	if (!p)
		return 0;
	if (p->is_system)
		return 1;
	/* The identity module marks grid workers with grid_bound (whatever their organisation's
	   kind: a grid team, a committee, a center); access_sees_grid applies the region rule and,
	   for them, "one of their grids". */
	return access_sees_grid(p, id, path);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A time as the API shows it (RFC 3339, Asia/Shanghai); JSON null for 0 ("none"). */
static json_t *time_json(int64_t t)
{
	char s[32];

	return t ? json_string(clock_format_local(t, s, sizeof s)) : json_null();
}

/* The columns grid_from_row reads, with the boundary column given (g.boundary, or NULL when the
   answer does not need it, which spares reading it). */
#define GRID_COLS(boundary)                                                                        \
	"g.id, g.code, g.community_code, r.name, g.path, g.kind, g.subtype, g.name, " boundary     \
	", g.version, g.households, g.residents, g.status, g.valid_from, g.valid_to, "             \
	"g.retire_reason, g.created_at, g.updated_at"
#define GRID_FROM " FROM grids g JOIN regions r ON r.code = g.community_code "

/* Fills g from the current row; 0, or -1 when memory runs out. */
static int grid_from_row(struct store_stmt *st, struct grid *g)
{
	memset(g, 0, sizeof *g);
	g->id = store_col_int64(st, 0);
	copy_text(g->code, sizeof g->code, store_col_text(st, 1));
	copy_text(g->community_code, sizeof g->community_code, store_col_text(st, 2));
	copy_text(g->community_name, sizeof g->community_name, store_col_text(st, 3));
	copy_text(g->path, sizeof g->path, store_col_text(st, 4));
	g->kind = (int)store_col_int64(st, 5);
	copy_text(g->subtype, sizeof g->subtype, store_col_text(st, 6));
	copy_text(g->name, sizeof g->name, store_col_text(st, 7));
	if (!store_col_is_null(st, 8) && !(g->boundary = strdup(store_col_text(st, 8))))
		return -1;
	g->version = (int)store_col_int64(st, 9);
	g->households = store_col_int64(st, 10);
	g->residents = store_col_int64(st, 11);
	g->retired = strcmp(store_col_text(st, 12) ? store_col_text(st, 12) : "", "retired") == 0;
	g->valid_from = store_col_int64(st, 13);
	g->valid_to = store_col_is_null(st, 14) ? 0 : store_col_int64(st, 14);
	if (!store_col_is_null(st, 15) && !(g->retire_reason = strdup(store_col_text(st, 15))))
		return -1;
	g->created_at = store_col_int64(st, 16);
	g->updated_at = store_col_int64(st, 17);
	return 0;
}

int grid_load(struct store_conn *c, const struct dom_ctx *x, const char *code, struct grid *out)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc, found = -1;

	memset(out, 0, sizeof *out);
	if (!c || !code)
		return -1;
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT " GRID_COLS("g.boundary") GRID_FROM "WHERE g.code = ?%s", scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_text(st, 1, code, -1) || dom_scope_bind(x->caller, "g.id", st, 2) < 0)
		goto out;
	rc = store_step(st);
	if (rc == STORE_ROW)
		found = grid_from_row(st, out) == 0 ? 1 : -1;
	else if (rc == STORE_DONE)
		found = 0;
out:
	store_reset(st);
	return found;
}

int grid_get(const struct dom_ctx *x, const char *code, struct grid *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int rc;

	if (!c) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	rc = grid_load(c, x, code, out);
	if (rc < 0)
		return dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格 %s 不存在", code ? code : "");
	return 0;
}

/* A time member: RFC 3339 in Asia/Shanghai, or null for 0 ("none"). The last time formatted on
   this thread is kept: a grid's times are often one instant, and a page's grids often share
   them, so most members reuse the text. */
static void ktime(struct jsonw *w, const char *key, int64_t t)
{
	static _Thread_local struct {
		int64_t t;
		char s[32];
	} last;

	jsonw_key(w, key);
	if (!t) {
		jsonw_null(w);
		return;
	}
	if (last.t != t || !last.s[0]) {
		clock_format_local(t, last.s, sizeof last.s);
		last.t = t;
	}
	jsonw_string(w, last.s);
}

void grid_write_json(struct jsonw *w, const struct grid *g, int with_boundary)
{
	jsonw_object_begin(w);
	jsonw_kint(w, "id", g->id);
	jsonw_kstring(w, "code", g->code);
	jsonw_kstring(w, "name", g->name);
	jsonw_kstring(w, "kind", grid_kind_name(g->kind));
	jsonw_kstring(w, "kind_label", grid_kind_label(g->kind));
	jsonw_kstring(w, "subtype", g->subtype[0] ? g->subtype : NULL);
	jsonw_key(w, "community");
	jsonw_object_begin(w);
	jsonw_kstring(w, "code", g->community_code);
	jsonw_kstring(w, "name", g->community_name);
	jsonw_object_end(w);
	jsonw_kstring(w, "path", g->path);
	jsonw_kint(w, "households", g->households);
	jsonw_kint(w, "residents", g->residents);
	jsonw_kstring(w, "status", g->retired ? "retired" : "active");
	jsonw_kint(w, "version", g->version);
	ktime(w, "valid_from", g->valid_from);
	ktime(w, "valid_to", g->valid_to);
	jsonw_kstring(w, "retire_reason", g->retire_reason);
	ktime(w, "created_at", g->created_at);
	ktime(w, "updated_at", g->updated_at);
	if (with_boundary) {
		/* Stored boundaries are the compact GeoJSON geo_boundary_check wrote: copied as
		   they are, not parsed and printed again. */
		jsonw_key(w, "boundary");
		jsonw_raw(w, g->boundary);
	}
	jsonw_object_end(w);
}

int grid_json(const struct grid *g, int with_boundary, struct buf *out)
{
	struct jsonw w;

	jsonw_init(&w, out);
	grid_write_json(&w, g, with_boundary);
	return jsonw_finish(&w);
}

json_t *grid_to_json(const struct grid *g, int with_boundary)
{
	struct buf b;
	json_t *o = NULL;

	buf_init(&b, GRID_JSON_MAX);
	if (grid_json(g, with_boundary, &b) == 0)
		o = json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return o;
}

/* ---- the authorize steps' checks (run on the writer connection) ---- */

static const char NOT_COUNTY[] = "只有县级网格化服务管理机构可以设置或调整网格（条例第七条）";

/* Art. 7: only the county-level grid authority sets or changes grids. A decision on who the
   caller is, made before any target is read. 0, or -1 with e 403 not_county_authority. */
static int art7_allowed(const struct principal *p, struct dom_err *e)
{
	if (p->is_system)
		return 0;
	/* A grid-bound principal (grid worker) acts for the grids bound to it, not for the county
	   authority, whatever permissions a custom role gives it. */
	if (division_level(p->region_code, NULL) != DIV_COUNTY || p->grid_bound)
		return dom_err_set(e, 403, "not_county_authority", "%s", NOT_COUNTY);
	return 0;
}

/* 1 when the caller could pass the permission and Art. 7 checks at all. When it could not, a
   write goes to dom_write before its input is examined, so the refusal is what it answers and
   what the audit trail records, whatever the input. */
static int could_write(const struct principal *p)
{
	return access_can(p, "grid.write") && art7_allowed(p, NULL) == 0;
}

/* The target of a change, inside the transaction: Art. 7 first, then the grid as the caller's
   scope shows it (404 otherwise), which must be active (409). 0, or -1 with e; g is released by
   the caller in every case. */
static int load_target(struct store_conn *c, const struct dom_ctx *x, const char *code,
                       struct grid *g, struct dom_err *e)
{
	int rc;

	memset(g, 0, sizeof *g);
	if (art7_allowed(x->caller, e) < 0)
		return -1;
	rc = grid_load(c, x, code, g);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格 %s 不存在", code ? code : "");
	if (g->retired)
		return dom_err_set(e, 409, "retired", "网格 %s 已撤销，不能再调整", code);
	return 0;
}

/* Checks a caller-given code is free: 0, or -1 with e (409 duplicate_code / code_retired). */
static int code_free(struct store_conn *c, const char *code, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, "SELECT status FROM grids WHERE code = ?");
	int rc, result = 0;

	if (!st)
		return dom_err_read(e);
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		if (strcmp(store_col_text(st, 0), "retired") == 0)
			result = dom_err_set(e, 409, "code_retired",
			                     "网格编码 %s 曾被已撤销的网格使用，编码不得重复使用",
			                     code);
		else
			result = dom_err_set(e, 409, "duplicate_code", "网格编码 %s 已存在", code);
	} else if (rc != STORE_DONE) {
		result = dom_err_read(e);
	}
	store_reset(st);
	return result;
}

/* The lowest sequence of the kind's band that no grid, active or retired, ever had. 0, or -1
   with e. */
static int next_code(struct store_conn *c, const char *community, int kind, char out[16],
                     struct dom_err *e)
{
	const struct grid_code_rule *rule = grid_rule();
	int lo = kind == GRID_DEDICATED ? rule->dedicated_min : rule->comprehensive_min;
	int hi = kind == GRID_DEDICATED ? rule->dedicated_max : rule->comprehensive_max;
	char a[16], b[16];
	struct store_stmt *st;
	int expect = lo, rc;

	if (grid_code_compose(rule, community, lo, kind, a) < 0 ||
	    grid_code_compose(rule, community, hi, kind, b) < 0)
		return dom_err_set(e, 400, "bad_community", "%s 不是社区或村的代码", community);
	st = store_prepare(c, "SELECT code FROM grids WHERE code >= ? AND code <= ? ORDER BY code");
	if (!st)
		return dom_err_read(e);
	store_bind_text(st, 1, a, -1);
	store_bind_text(st, 2, b, -1);
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *code = store_col_text(st, 0);
		int seq;

		if (!code || strlen(code) != 15)
			continue;
		seq = (code[12] - '0') * 100 + (code[13] - '0') * 10 + (code[14] - '0');
		if (seq > expect)
			break;
		if (seq == expect)
			expect++;
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return dom_err_read(e);
	if (expect > hi)
		return dom_err_set(e, 409, "band_full", "社区 %s 的%s编码段（%03d–%03d）已用完",
		                   community, grid_kind_label(kind), lo, hi);
	(void)grid_code_compose(rule, community, expect, kind, out);
	return 0;
}

/* Gives g its code (the next free one, or the caller's if it is free). 0, or -1 with e. */
static int assign_code(struct store_conn *c, struct grid *g, int auto_code, struct dom_err *e)
{
	return auto_code ? next_code(c, g->community_code, g->kind, g->code, e)
	                 : code_free(c, g->code, e);
}

/* Inserts g (code, community, path, kind, subtype, name, boundary, households, residents) as an
   active grid with version 1; sets g->id. 0, or -1 with e. */
static int insert_grid(struct store_conn *c, struct grid *g, int64_t now, const char *reason,
                       struct dom_err *e)
{
	if (dom_exec(
	            c, e,
	            "INSERT INTO grids (code, community_code, path, kind, subtype, name, boundary, "
	            "version, households, residents, status, valid_from, created_at, updated_at) "
	            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'active', ?, ?, ?)",
	            "tttitttiiiii", g->code, g->community_code, g->path, (int64_t)g->kind,
	            g->subtype[0] ? g->subtype : NULL, g->name, g->boundary, g->households,
	            g->residents, now, now, now) < 0)
		return -1;
	g->id = store_last_insert_id(c);
	return dom_exec(
	        c, e,
	        "INSERT INTO grid_versions (grid_id, version, boundary, valid_from, reason) "
	        "VALUES (?, 1, ?, ?, ?)",
	        "itit", g->id, g->boundary, now, reason);
}

/* Retires g (its current version closes too). 0, or -1 with e. */
static int retire_row(struct store_conn *c, const struct grid *g, int64_t now, const char *reason,
                      struct dom_err *e)
{
	if (dom_exec(c, e,
	             "UPDATE grids SET status = 'retired', valid_to = ?, retire_reason = ?, "
	             "updated_at = ? WHERE id = ? AND status = 'active'",
	             "itii", now, reason, now, g->id) < 0)
		return -1;
	return dom_exec(
	        c, e,
	        "UPDATE grid_versions SET valid_to = ? WHERE grid_id = ? AND version = ? AND "
	        "valid_to IS NULL",
	        "iii", now, g->id, (int64_t)g->version);
}

static int insert_lineage(struct store_conn *c, int64_t parent, int64_t child, const char *op,
                          int64_t now, struct dom_err *e)
{
	return dom_exec(
	        c, e, "INSERT INTO grid_lineage (parent_id, child_id, op, at) VALUES (?, ?, ?, ?)",
	        "iiti", parent, child, op, now);
}

/* ---- input checks (before the write is queued) ---- */

static int people_valid(int64_t v, const char *what, struct dom_err *e)
{
	if (v < -1 || v > GRID_MAX_PEOPLE)
		return dom_err_set(e, 400, "bad_number", "%s应为 0 到 %d 之间的整数", what,
		                   GRID_MAX_PEOPLE);
	return 0;
}

static int reason_valid(const char *reason, struct dom_err *e)
{
	if (reason && utf8_chars(reason) > GRID_REASON_MAX_CHARS)
		return dom_err_set(e, 400, "bad_reason", "原因过长（最多 %d 个字）",
		                   GRID_REASON_MAX_CHARS);
	return 0;
}

/* Validates a caller-given grid code for a community and kind; 0 or -1 with e. */
static int check_code(const char *code, const char *community, int kind, struct dom_err *e)
{
	struct code_error cerr = { 0 };

	if (grid_code_check(grid_rule(), code, community, (enum grid_kind)kind, &cerr) < 0)
		return dom_err_set(e, 400, cerr.code ? cerr.code : "bad_code", "网格编码无效：%s",
		                   cerr.message ? cerr.message : "格式错误");
	return 0;
}

/* Parses and validates a boundary: the shape (free it) and its normalized text in *text (free
   it), or NULL with e 400 bad_boundary. */
static struct geo_shape *check_boundary(const json_t *b, char **text, struct dom_err *e)
{
	char msg[GEO_MSG_MAX];
	struct geo_shape *g;

	*text = NULL;
	if (!b || json_is_null(b)) {
		dom_err_set(e, 400, "bad_boundary", "缺少边界（GeoJSON Polygon 或 MultiPolygon）");
		return NULL;
	}
	g = geo_shape_from_json(b, text, msg, sizeof msg);
	if (!g)
		dom_err_set(e, 400, "bad_boundary", "%s", msg);
	return g;
}

static const char BAD_SUBTYPE[] =
        "专属网格的类别必须是：园区、商圈市场、企业、学校、医院、景区、商务楼宇之一";

/* ---- create ---- */

struct create_arg {
	struct grid g;
	int auto_code;
};

/* authorize: Art. 7, and the community exists inside the caller's scope. */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct create_arg *a = w->arg;
	struct region r;
	int rc;

	if (art7_allowed(x->caller, e) < 0)
		return -1;
	rc = region_load(c, x, a->g.community_code, &r);
	region_release(&r);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "unknown_community", "社区/村 %s 不存在",
		                   a->g.community_code);
	if (r.level != DIV_VILLAGE)
		return dom_err_set(e, 400, "bad_community",
		                   "%s 不是社区或村，网格必须属于一个社区或村",
		                   a->g.community_code);
	copy_text(a->g.path, sizeof a->g.path, r.path);
	return 0;
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct create_arg *a = w->arg;

	if (assign_code(c, &a->g, a->auto_code, e) < 0 ||
	    insert_grid(c, &a->g, x->now, "新建", e) < 0)
		return -1;
	dom_write_object(w, "grid:%s", a->g.code);
	dom_write_detail(w, "新建%s %s", grid_kind_label(a->g.kind), a->g.name);
	return 0;
}

/* Checks the fields of a new grid into g; 0, or -1 with e. */
static int create_input(const struct grid_input *in, struct create_arg *a, struct dom_err *e)
{
	struct grid *g = &a->g;
	struct code_error cerr = { 0 };
	char msg[256];

	if (!in->community ||
	    region_code_normalize(in->community, g->community_code, &cerr) != DIV_VILLAGE)
		return dom_err_set(e, 400, "bad_community",
		                   "community 必须是社区或村的 12 位统计用区划代码");
	if (in->kind != GRID_COMPREHENSIVE && in->kind != GRID_DEDICATED)
		return dom_err_set(e, 400, "bad_kind",
		                   "网格类型必须是 comprehensive（综合网格）或 "
		                   "dedicated（专属网格）");
	g->kind = in->kind;
	if (in->kind == GRID_DEDICATED) {
		if (!grid_subtype_valid(in->subtype))
			return dom_err_set(e, 400, "bad_subtype", "%s", BAD_SUBTYPE);
		copy_text(g->subtype, sizeof g->subtype, in->subtype);
	} else if (in->subtype && in->subtype[0]) {
		return dom_err_set(e, 400, "bad_subtype",
		                   "综合网格没有类别（subtype），请不要填写");
	}
	if (!dom_name_valid(in->name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "网格%s", msg);
	copy_text(g->name, sizeof g->name, in->name);
	if (people_valid(in->households, "户数", e) < 0 ||
	    people_valid(in->residents, "人口数", e) < 0)
		return -1;
	g->households = in->households < 0 ? 0 : in->households;
	g->residents = in->residents < 0 ? 0 : in->residents;
	if (in->code) {
		if (check_code(in->code, g->community_code, g->kind, e) < 0)
			return -1;
		copy_text(g->code, sizeof g->code, in->code);
	} else {
		a->auto_code = 1;
	}
	geo_shape_free(check_boundary(in->boundary, &g->boundary, e));
	return g->boundary ? 0 : -1;
}

int grid_create(const struct dom_ctx *x, const struct grid_input *in, char code_out[16],
                struct dom_err *e)
{
	struct create_arg a;
	struct dom_write w = { .action = "grid.create",
		               .permission = "grid.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a };
	int rc = -1;

	memset(&a, 0, sizeof a);
	code_out[0] = '\0';
	dom_write_object(&w, "region:%.12s", in->community ? in->community : "");
	if (!could_write(x->caller)) {
		rc = dom_write(x, &w, e); /* refused there, and recorded */
		goto out;
	}
	if (create_input(in, &a, e) < 0)
		goto out;
	dom_write_object(&w, "region:%s", a.g.community_code);
	rc = dom_write(x, &w, e);
	if (rc == 0)
		memcpy(code_out, a.g.code, 16);
out:
	grid_release(&a.g);
	return rc;
}

/* ---- update ---- */

struct update_arg {
	const char *code;
	const struct grid_patch *patch;
};

/* Names the changed fields (not their values) for the audit record. */
static void update_detail(struct dom_write *w, const struct grid_patch *patch)
{
	const char *names[4] = { 0 };
	size_t k = 0;

	if (patch->name)
		names[k++] = "名称";
	if (patch->subtype)
		names[k++] = "类别";
	if (patch->households >= 0)
		names[k++] = "户数";
	if (patch->residents >= 0)
		names[k++] = "人口数";
	dom_write_detail(w, "修改网格信息：%s%s%s%s%s%s%s", k > 0 ? names[0] : "",
	                 k > 1 ? "、" : "", k > 1 ? names[1] : "", k > 2 ? "、" : "",
	                 k > 2 ? names[2] : "", k > 3 ? "、" : "", k > 3 ? names[3] : "");
}

/* authorize: Art. 7; the grid is active inside the scope; a subtype only for dedicated grids. */
static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct update_arg *u = w->arg;
	struct grid g;
	int rc = load_target(c, x, u->code, &g, e);

	if (rc == 0 && u->patch->subtype && u->patch->subtype[0] && g.kind != GRID_DEDICATED)
		rc = dom_err_set(e, 400, "bad_subtype", "综合网格没有类别（subtype）");
	grid_release(&g);
	return rc;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct update_arg *u = w->arg;

	if (dom_exec(c, e,
	             "UPDATE grids SET name = coalesce(?, name), subtype = coalesce(?, subtype), "
	             "households = CASE WHEN ? >= 0 THEN ? ELSE households END, "
	             "residents = CASE WHEN ? >= 0 THEN ? ELSE residents END, updated_at = ? "
	             "WHERE code = ?",
	             "ttiiiiit", u->patch->name, u->patch->subtype, u->patch->households,
	             u->patch->households, u->patch->residents, u->patch->residents, x->now,
	             u->code) < 0)
		return -1;
	update_detail(w, u->patch);
	return 0;
}

int grid_update(const struct dom_ctx *x, const char *code, const struct grid_patch *patch,
                struct dom_err *e)
{
	struct update_arg u = { .code = code, .patch = patch };
	struct dom_write w = { .action = "grid.update",
		               .permission = "grid.write",
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .arg = &u };
	char msg[256];

	dom_write_object(&w, "grid:%.15s", code ? code : "");
	if (!could_write(x->caller))
		return dom_write(x, &w, e);
	if (patch->name && !dom_name_valid(patch->name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "网格%s", msg);
	if (patch->subtype && !grid_subtype_valid(patch->subtype))
		return dom_err_set(e, 400, "bad_subtype", "%s", BAD_SUBTYPE);
	if (people_valid(patch->households, "户数", e) < 0 ||
	    people_valid(patch->residents, "人口数", e) < 0)
		return -1;
	return dom_write(x, &w, e);
}

/* ---- redraw ---- */

struct redraw_arg {
	const char *code, *boundary, *reason;
	struct grid g; /* the target, read by the authorize step; released by grid_redraw */
};

static int redraw_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct redraw_arg *a = w->arg;

	return load_target(c, x, a->code, &a->g, e);
}

static int redraw_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct redraw_arg *a = w->arg;
	const struct grid *g = &a->g;
	int64_t next = (int64_t)g->version + 1;

	if (dom_exec(c, e,
	             "UPDATE grid_versions SET valid_to = ? WHERE grid_id = ? AND version = ?",
	             "iii", x->now, g->id, (int64_t)g->version) < 0 ||
	    dom_exec(c, e,
	             "INSERT INTO grid_versions (grid_id, version, boundary, valid_from, reason) "
	             "VALUES (?, ?, ?, ?, ?)",
	             "iitit", g->id, next, a->boundary, x->now,
	             a->reason ? a->reason : "重新划定边界") < 0 ||
	    dom_exec(c, e,
	             "UPDATE grids SET boundary = ?, version = ?, updated_at = ? WHERE id = ?",
	             "tiii", a->boundary, next, x->now, g->id) < 0)
		return -1;
	dom_write_detail(w, "重新划定边界（第 %d 版）：%s", g->version + 1,
	                 a->reason ? a->reason : "未填写原因");
	return 0;
}

int grid_redraw(const struct dom_ctx *x, const char *code, const json_t *boundary,
                const char *reason, struct dom_err *e)
{
	struct redraw_arg a = { .code = code, .reason = reason, .g = { 0 } };
	struct dom_write w = { .action = "grid.redraw",
		               .permission = "grid.write",
		               .authorize = redraw_authorize,
		               .apply = redraw_apply,
		               .arg = &a };
	char *text = NULL;
	int rc = -1;

	dom_write_object(&w, "grid:%.15s", code ? code : "");
	if (could_write(x->caller)) {
		if (reason_valid(reason, e) < 0)
			goto out;
		geo_shape_free(check_boundary(boundary, &text, e));
		if (!text)
			goto out;
	}
	a.boundary = text;
	rc = dom_write(x, &w, e);
out:
	grid_release(&a.g);
	free(text);
	return rc;
}

/* ---- retire ---- */

struct retire_arg {
	const char *code, *reason;
	struct grid g; /* the target, read by the authorize step; released by grid_retire */
};

static int retire_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct retire_arg *a = w->arg;

	return load_target(c, x, a->code, &a->g, e);
}

static int retire_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct retire_arg *a = w->arg;

	if (retire_row(c, &a->g, x->now, a->reason ? a->reason : "撤销", e) < 0)
		return -1;
	dom_write_detail(w, "撤销网格：%s", a->reason ? a->reason : "未填写原因");
	return 0;
}

int grid_retire(const struct dom_ctx *x, const char *code, const char *reason, struct dom_err *e)
{
	struct retire_arg a = { .code = code, .reason = reason };
	struct dom_write w = { .action = "grid.retire",
		               .permission = "grid.write",
		               .authorize = retire_authorize,
		               .apply = retire_apply,
		               .arg = &a };

	int rc = -1;

	memset(&a.g, 0, sizeof a.g);
	dom_write_object(&w, "grid:%.15s", code ? code : "");
	if (!could_write(x->caller) || reason_valid(reason, e) == 0)
		rc = dom_write(x, &w, e);
	grid_release(&a.g);
	return rc;
}

/* ---- split ---- */

struct split_piece {
	struct grid g;
	int auto_code;
};

struct split_arg {
	const char *code;
	int version; /* the version the geometry checks were made against */
	struct split_piece *pieces;
	size_t n;
	struct grid old; /* the target, read by the authorize step */
};

/* authorize: Art. 7; the grid is active inside the scope, with the boundary the parts were
   checked against. */
static int split_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct split_arg *a = w->arg;

	if (load_target(c, x, a->code, &a->old, e) < 0)
		return -1;
	if (a->old.version != a->version)
		return dom_err_set(e, 409, "conflict", "网格 %s 的边界刚被修改，请刷新后重试",
		                   a->code);
	return 0;
}

static int split_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct split_arg *a = w->arg;
	const struct grid *old = &a->old;
	char reason[512];
	size_t used;

	used = (size_t)snprintf(reason, sizeof reason, "拆分为");
	for (size_t i = 0; i < a->n; i++) {
		struct grid *g = &a->pieces[i].g;

		copy_text(g->community_code, sizeof g->community_code, old->community_code);
		copy_text(g->path, sizeof g->path, old->path);
		g->kind = old->kind;
		copy_text(g->subtype, sizeof g->subtype, old->subtype);
		if (assign_code(c, g, a->pieces[i].auto_code, e) < 0 ||
		    insert_grid(c, g, x->now, "拆分新建", e) < 0 ||
		    insert_lineage(c, old->id, g->id, "split", x->now, e) < 0)
			return -1;
		if (used < sizeof reason)
			used += (size_t)snprintf(reason + used, sizeof reason - used, "%s%s",
			                         i ? "、" : " ", g->code);
	}
	if (retire_row(c, old, x->now, reason, e) < 0)
		return -1;
	dom_write_detail(w, "%s", reason);
	return 0;
}

/* Checks the parts against the grid old as the caller sees it (names, codes, boundaries that
   cover it exactly without overlapping) and fills a->pieces. 0, or -1 with e. */
static int split_input(const struct grid *old, const struct grid_part *parts, size_t n,
                       struct split_arg *a, struct dom_err *e)
{
	struct geo_shape *whole = NULL, **shapes = calloc(n, sizeof *shapes), *u = NULL;
	double whole_area, area;
	char msg[GEO_MSG_MAX];
	int rc = -1;

	a->version = old->version;
	whole = geo_shape_from_text(old->boundary, msg, sizeof msg);
	if (!whole || !shapes) {
		dom_err_set(e, 500, "internal", "读取原网格边界失败");
		goto out;
	}
	whole_area = geo_shape_area_m2(whole);
	for (size_t i = 0; i < n; i++) {
		struct grid *g = &a->pieces[i].g;
		char nmsg[256];

		if (!dom_name_valid(parts[i].name, nmsg, sizeof nmsg)) {
			dom_err_set(e, 400, "bad_name", "第 %zu 部分的名称：%s", i + 1, nmsg);
			goto out;
		}
		copy_text(g->name, sizeof g->name, parts[i].name);
		if (people_valid(parts[i].households, "户数", e) < 0 ||
		    people_valid(parts[i].residents, "人口数", e) < 0)
			goto out;
		if (parts[i].code) {
			if (check_code(parts[i].code, old->community_code, old->kind, e) < 0)
				goto out;
			for (size_t j = 0; j < i; j++)
				if (!a->pieces[j].auto_code &&
				    strcmp(a->pieces[j].g.code, parts[i].code) == 0) {
					dom_err_set(e, 409, "duplicate_code",
					            "第 %zu 与第 %zu 部分的编码重复", j + 1, i + 1);
					goto out;
				}
			copy_text(g->code, sizeof g->code, parts[i].code);
		} else {
			a->pieces[i].auto_code = 1;
		}
		shapes[i] = check_boundary(parts[i].boundary, &g->boundary, e);
		if (!shapes[i]) {
			char tmp[DOM_MSG_MAX + 64];

			(void)snprintf(tmp, sizeof tmp, "第 %zu 部分的%s", i + 1, e->message);
			copy_text(e->message, sizeof e->message, tmp);
			goto out;
		}
		area = geo_shape_area_m2(shapes[i]);
		g->households =
		        parts[i].households >= 0
		                ? parts[i].households
		                : (int64_t)llround((double)old->households * area / whole_area);
		g->residents =
		        parts[i].residents >= 0
		                ? parts[i].residents
		                : (int64_t)llround((double)old->residents * area / whole_area);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			area = geo_shape_intersection_m2(shapes[i], shapes[j]);
			if (area > GRID_AREA_TOLERANCE_M2) {
				dom_err_set(e, 400, "parts_overlap",
				            "第 %zu 与第 %zu 部分相互重叠（约 %.1f 平方米）", i + 1,
				            j + 1, area);
				goto out;
			}
		}
	if (!(u = geo_shape_union(shapes, n))) {
		dom_err_set(e, 500, "internal", "几何运算失败");
		goto out;
	}
	area = geo_shape_difference_m2(whole, u);
	if (area > GRID_AREA_TOLERANCE_M2) {
		dom_err_set(e, 400, "parts_incomplete",
		            "拆分后的各部分没有完全覆盖原网格（遗漏约 %.1f 平方米）", area);
		goto out;
	}
	area = geo_shape_difference_m2(u, whole);
	if (area > GRID_AREA_TOLERANCE_M2) {
		dom_err_set(e, 400, "parts_outside",
		            "拆分后的各部分超出了原网格范围（超出约 %.1f 平方米）", area);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; shapes && i < n; i++)
		geo_shape_free(shapes[i]);
	free(shapes);
	geo_shape_free(whole);
	geo_shape_free(u);
	return rc;
}

int grid_split(const struct dom_ctx *x, const char *code, const struct grid_part *parts, size_t n,
               char (*codes_out)[16], struct dom_err *e)
{
	struct split_arg a = { .code = code, .n = n, .version = -1 };
	struct dom_write w = { .action = "grid.split",
		               .permission = "grid.write",
		               .authorize = split_authorize,
		               .apply = split_apply,
		               .arg = &a };
	struct store_conn *c;
	struct grid old;
	int rc = -1, found = 0;

	memset(&old, 0, sizeof old);
	dom_write_object(&w, "grid:%.15s", code ? code : "");
	if (n < 2 || n > GRID_MAX_PARTS)
		return dom_err_set(e, 400, "bad_parts", "拆分需要 2 到 %d 个部分", GRID_MAX_PARTS);
	if (!(a.pieces = calloc(n, sizeof *a.pieces)))
		return dom_err_set(e, 500, "internal", "内存不足");
	/* The geometry checks need the grid's boundary: read it as the caller sees it. When the
	   caller may not write grids at all, or the grid is not there for it or no longer active,
	   the write below refuses (and records the refusal) without looking at the parts. */
	if (could_write(x->caller)) {
		if (!(c = dom_reader(x, e)) || (found = grid_load(c, x, code, &old)) < 0) {
			dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
			goto out;
		}
		if (found && !old.retired && split_input(&old, parts, n, &a, e) < 0)
			goto out;
	}
	rc = dom_write(x, &w, e);
	if (rc == 0)
		for (size_t i = 0; i < n; i++)
			memcpy(codes_out[i], a.pieces[i].g.code, 16);
out:
	for (size_t i = 0; i < n; i++)
		grid_release(&a.pieces[i].g);
	free(a.pieces);
	grid_release(&a.old);
	grid_release(&old);
	return rc;
}

/* ---- merge ---- */

struct merge_arg {
	const char *const *codes;
	const int *versions; /* the versions the union was made from */
	size_t n;
	struct grid *olds; /* the targets, read by the authorize step (n) */
	size_t loaded;
	struct grid g; /* the new grid */
	int auto_code;
};

/* authorize: Art. 7; every grid active inside the scope, unchanged since the union was made. */
static int merge_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct merge_arg *a = w->arg;

	for (; a->loaded < a->n; a->loaded++) {
		if (load_target(c, x, a->codes[a->loaded], &a->olds[a->loaded], e) < 0) {
			a->loaded++;
			return -1;
		}
		if (a->olds[a->loaded].version != a->versions[a->loaded]) {
			a->loaded++;
			return dom_err_set(e, 409, "conflict",
			                   "网格 %s 的边界刚被修改，请刷新后重试",
			                   a->codes[a->loaded - 1]);
		}
	}
	return 0;
}

static int merge_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct merge_arg *a = w->arg;
	char reason[64], detail[64 + GRID_MAX_PARTS * 20];
	size_t used;

	if (assign_code(c, &a->g, a->auto_code, e) < 0 ||
	    insert_grid(c, &a->g, x->now, "合并新建", e) < 0)
		return -1;
	(void)snprintf(reason, sizeof reason, "合并为 %s", a->g.code);
	for (size_t i = 0; i < a->n; i++)
		if (insert_lineage(c, a->olds[i].id, a->g.id, "merge", x->now, e) < 0 ||
		    retire_row(c, &a->olds[i], x->now, reason, e) < 0)
			return -1;
	used = (size_t)snprintf(detail, sizeof detail, "由");
	for (size_t i = 0; i < a->n && used < sizeof detail; i++)
		used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s",
		                         i ? "、" : " ", a->olds[i].code);
	if (used < sizeof detail)
		(void)snprintf(detail + used, sizeof detail - used, " 合并");
	dom_write_object(w, "grid:%s", a->g.code);
	dom_write_detail(w, "%s", detail);
	return 0;
}

/* Reads the grids to merge as the caller sees them and makes the new grid: one community and
   kind, one connected area. 1 ready, 0 when a grid is missing or retired (the write then refuses
   it), or -1 with e. */
static int merge_input(const struct dom_ctx *x, const char *name, const char *code,
                       struct merge_arg *a, int *versions, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct grid *olds = calloc(a->n, sizeof *olds);
	struct geo_shape **shapes = calloc(a->n, sizeof *shapes), *u = NULL;
	struct grid *g = &a->g;
	json_t *uj = NULL;
	char msg[GEO_MSG_MAX];
	size_t loaded = 0;
	int rc = -1, found;

	if (!c || !olds || !shapes) {
		dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	for (; loaded < a->n; loaded++) {
		struct grid *o = &olds[loaded];

		found = grid_load(c, x, a->codes[loaded], o);
		if (found < 0) {
			loaded++;
			dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
			goto out;
		}
		if (found == 0 || o->retired) {
			loaded++;
			rc = 0;
			goto out;
		}
		if (loaded && (strcmp(o->community_code, olds[0].community_code) != 0 ||
		               o->kind != olds[0].kind)) {
			loaded++;
			dom_err_set(e, 400, "not_mergeable",
			            "只能合并同一社区/村内同一类型的网格（%s 与 %s 不同）", o->code,
			            olds[0].code);
			goto out;
		}
		versions[loaded] = o->version;
		if (!(shapes[loaded] = geo_shape_from_text(o->boundary, msg, sizeof msg))) {
			loaded++;
			dom_err_set(e, 500, "internal", "读取网格 %s 的边界失败", o->code);
			goto out;
		}
		g->households += o->households;
		g->residents += o->residents;
	}
	u = geo_shape_union(shapes, a->n);
	if (!u || !geo_shape_is_polygon(u)) {
		dom_err_set(e, 400, "not_adjacent", "合并的网格必须相互连接成一片");
		goto out;
	}
	uj = geo_shape_to_json(u);
	g->boundary = uj ? json_dumps(uj, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	if (!g->boundary) {
		dom_err_set(e, 500, "internal", "几何运算失败");
		goto out;
	}
	copy_text(g->community_code, sizeof g->community_code, olds[0].community_code);
	copy_text(g->path, sizeof g->path, olds[0].path);
	copy_text(g->subtype, sizeof g->subtype, olds[0].subtype);
	copy_text(g->name, sizeof g->name, name);
	g->kind = olds[0].kind;
	if (code) {
		if (check_code(code, g->community_code, g->kind, e) < 0)
			goto out;
		copy_text(g->code, sizeof g->code, code);
	} else {
		a->auto_code = 1;
	}
	rc = 1;
out:
	for (size_t i = 0; olds && i < loaded; i++)
		grid_release(&olds[i]);
	for (size_t i = 0; shapes && i < a->n; i++)
		geo_shape_free(shapes[i]);
	geo_shape_free(u);
	json_decref(uj);
	free(olds);
	free(shapes);
	return rc;
}

int grid_merge(const struct dom_ctx *x, const char *const *codes, size_t n, const char *name,
               const char *code, char code_out[16], struct dom_err *e)
{
	struct merge_arg a = { .codes = codes, .n = n };
	struct dom_write w = { .action = "grid.merge",
		               .permission = "grid.write",
		               .authorize = merge_authorize,
		               .apply = merge_apply,
		               .arg = &a };
	int *versions = NULL;
	char msg[256];
	int rc = -1;

	code_out[0] = '\0';
	if (n < 2 || n > GRID_MAX_PARTS)
		return dom_err_set(e, 400, "bad_codes", "合并需要 2 到 %d 个网格", GRID_MAX_PARTS);
	for (size_t i = 0; i < n; i++) {
		if (!codes[i])
			return dom_err_set(e, 400, "bad_codes", "缺少网格编码");
		for (size_t j = 0; j < i; j++)
			if (strcmp(codes[j], codes[i]) == 0)
				return dom_err_set(e, 400, "bad_codes", "网格 %s 重复出现",
				                   codes[j]);
	}
	dom_write_object(&w, "grid:%.15s", codes[0]);
	a.olds = calloc(n, sizeof *a.olds);
	versions = calloc(n, sizeof *versions);
	if (!a.olds || !versions) {
		dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	a.versions = versions;
	/* As for a split: a caller who may not write grids, or a grid that is not there for it,
	   goes straight to the write, which refuses and records the refusal. */
	if (could_write(x->caller)) {
		if (!dom_name_valid(name, msg, sizeof msg)) {
			dom_err_set(e, 400, "bad_name", "网格%s", msg);
			goto out;
		}
		if (merge_input(x, name, code, &a, versions, e) < 0)
			goto out;
	}
	rc = dom_write(x, &w, e);
	if (rc == 0)
		memcpy(code_out, a.g.code, 16);
out:
	for (size_t i = 0; a.olds && i < a.loaded; i++)
		grid_release(&a.olds[i]);
	free(a.olds);
	free(versions);
	grid_release(&a.g);
	return rc;
}

/* ---- history ---- */

#define LINEAGE_MAX_DEPTH 32
#define LINEAGE_MAX_NODES 500

/* Walks lineage from id in one direction (up: to parents) breadth-first. Grids outside the
   caller's scope are walked through (their relatives may be in it) but not shown: the scope
   condition is a column of the row, so the decision is the database's, as everywhere. */
static int walk_lineage(struct store_conn *c, const struct dom_ctx *x, int64_t id, int up,
                        json_t *out)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int64_t *queue = malloc(LINEAGE_MAX_NODES * sizeof *queue);
	int *depth = malloc(LINEAGE_MAX_NODES * sizeof *depth);
	size_t head = 0, tail = 0;
	int rc = 0, idx;

	if (!queue || !depth) {
		free(queue);
		free(depth);
		return -1;
	}
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT l.op, l.at, g.id, g.code, g.name, g.status, (TRUE%s) "
	               "FROM grid_lineage l JOIN grids g ON g.id = l.%s "
	               "WHERE l.%s = ? ORDER BY g.code",
	               scope, up ? "parent_id" : "child_id", up ? "child_id" : "parent_id");
	queue[tail] = id;
	depth[tail++] = 0;
	while (head < tail) {
		int64_t cur = queue[head];
		int d = depth[head++];

		if (d >= LINEAGE_MAX_DEPTH)
			continue;
		if (!(st = store_prepare(c, sql)) ||
		    (idx = dom_scope_bind(x->caller, "g.id", st, 1)) < 0 ||
		    store_bind_int64(st, idx, cur)) {
			if (st)
				store_reset(st);
			rc = -1;
			break;
		}
		while ((rc = store_step(st)) == STORE_ROW) {
			int64_t nid = store_col_int64(st, 2);
			int seen = 0;

			for (size_t i = 0; i < tail; i++)
				seen |= queue[i] == nid;
			if (seen || tail >= LINEAGE_MAX_NODES)
				continue;
			queue[tail] = nid;
			depth[tail++] = d + 1;
			if (!store_col_int64(st, 6))
				continue;
			json_array_append_new(
			        out, json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:s}", "code",
			                       store_col_text(st, 3), "name", store_col_text(st, 4),
			                       "status", store_col_text(st, 5), "op",
			                       store_col_text(st, 0), "at",
			                       time_json(store_col_int64(st, 1)), "depth", d + 1,
			                       "relation", up ? "parent" : "child"));
		}
		store_reset(st);
		if (rc != STORE_DONE) {
			rc = -1;
			break;
		}
		rc = 0;
	}
	free(queue);
	free(depth);
	return rc;
}

json_t *grid_history(const struct dom_ctx *x, const char *code, struct dom_err *e)
{
	struct store_conn *c;
	struct grid g;
	struct store_stmt *st;
	json_t *versions = NULL, *up = NULL, *down = NULL, *out = NULL;
	int rc;

	if (grid_get(x, code, &g, e) < 0) {
		grid_release(&g);
		return NULL;
	}
	c = store_reader(x->store);
	versions = json_array();
	up = json_array();
	down = json_array();
	if (!c || !versions || !up || !down)
		goto fail;
	st = store_prepare(c, "SELECT version, boundary, valid_from, valid_to, reason FROM "
	                      "grid_versions WHERE grid_id = ? ORDER BY version");
	if (!st)
		goto fail;
	store_bind_int64(st, 1, g.id);
	while ((rc = store_step(st)) == STORE_ROW) {
		json_t *b = json_loads(store_col_text(st, 1), 0, NULL);
		json_t *v = json_pack("{s:i,s:o,s:o,s:o}", "version", (int)store_col_int64(st, 0),
		                      "valid_from", time_json(store_col_int64(st, 2)), "valid_to",
		                      store_col_is_null(st, 3) ? json_null()
		                                               : time_json(store_col_int64(st, 3)),
		                      "boundary", b ? b : json_null());

		json_object_set_new(v, "reason",
		                    store_col_is_null(st, 4) ? json_null()
		                                             : json_string(store_col_text(st, 4)));
		json_array_append_new(versions, v);
	}
	store_reset(st);
	if (rc != STORE_DONE || walk_lineage(c, x, g.id, 1, up) < 0 ||
	    walk_lineage(c, x, g.id, 0, down) < 0)
		goto fail;
	out = json_pack("{s:o,s:o,s:{s:o,s:o}}", "grid", grid_to_json(&g, 0), "versions", versions,
	                "lineage", "up", up, "down", down);
	grid_release(&g);
	return out;
fail:
	json_decref(versions);
	json_decref(up);
	json_decref(down);
	grid_release(&g);
	dom_err_set(e, 503, "read_failed", "读取网格历史失败，请稍后重试");
	return NULL;
}

/* ---- pages: the list and the map's GeoJSON ---- */

static char *like_pattern(const char *q)
{
	size_t n = strlen(q), cap;
	char *out, *o;

	if (__builtin_mul_overflow(n, 2, &cap) || __builtin_add_overflow(cap, 3, &cap))
		return NULL;
	if (!(out = malloc(cap)))
		return NULL;
	o = out;
	*o++ = '%';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			*o++ = '\\';
		*o++ = q[i];
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

/* One row of a page: a list item or a map feature. */
static void page_item(struct jsonw *w, const struct grid *g, int geojson)
{
	if (!geojson) {
		grid_write_json(w, g, 0);
		return;
	}
	jsonw_object_begin(w);
	jsonw_kstring(w, "type", "Feature");
	jsonw_kstring(w, "id", g->code);
	jsonw_key(w, "geometry");
	jsonw_raw(w, g->boundary);
	jsonw_key(w, "properties");
	jsonw_object_begin(w);
	jsonw_kstring(w, "code", g->code);
	jsonw_kstring(w, "name", g->name);
	jsonw_kstring(w, "kind", grid_kind_name(g->kind));
	jsonw_kstring(w, "kind_label", grid_kind_label(g->kind));
	jsonw_kstring(w, "status", g->retired ? "retired" : "active");
	jsonw_kint(w, "residents", g->residents);
	jsonw_kint(w, "households", g->households);
	jsonw_kstring(w, "community_code", g->community_code);
	jsonw_kstring(w, "subtype", g->subtype[0] ? g->subtype : NULL);
	jsonw_object_end(w);
	jsonw_object_end(w);
}

/*
 * A page of grids in code order for the list (geojson 0) or the map (1): the rows after the cursor
 * inside the code range of the scope and of the region filter, so the code index serves both the
 * range and the order; the scope condition (dom_scope_sql: path range, bound grids) and the
 * region's path range then decide exactly, and the filters drop rows of the range. Writes
 * {items, next_cursor}, or the FeatureCollection with next_cursor and truncated, into out as JSON
 * text (base/jsonw.h: a page is built often, so it is written straight out). 0, or -1 with e.
 */
static int grid_page(const struct dom_ctx *x, const struct grid_filter *f,
                     const struct dom_page *pg, int geojson, struct buf *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[DOM_SCOPE_SQL_MAX], sql[1536], lo[13], hi[13], plo[ACCESS_PATH_MAX],
	        phi[ACCESS_PATH_MAX], last[16] = "";
	const char *lower = lo, *op = ">=";
	struct store_stmt *st = NULL;
	struct jsonw w;
	char *like = NULL;
	int idx, rc, n = 0, more = 0;

	if (!c || codes_cursor_check(pg, 15, e) < 0)
		return -1;
	region_scope_code_range(x->caller, lo, hi);
	plo[0] = phi[0] = '\0';
	if (f->region) {
		struct region r;
		char rlo[13], rhi[13];
		size_t len;

		rc = region_load(c, x, f->region, &r);
		region_release(&r);
		if (rc <= 0) {
			if (rc < 0)
				return dom_err_set(e, 503, "read_failed",
				                   "读取区划失败，请稍后重试");
			return dom_err_set(e, 404, "not_found", "区划 %s 不存在", f->region);
		}
		region_code_range(r.code, rlo, rhi);
		region_code_range_narrow(lo, hi, rlo, rhi);
		len = strlen(r.path);
		memcpy(plo, r.path, len + 1);
		memcpy(phi, r.path, len + 1);
		phi[len - 1] = (char)(phi[len - 1] + 1);
	}
	if (pg->after[0] && strcmp(pg->after, lo) >= 0) {
		lower = pg->after;
		op = ">";
	}
	if (f->q && f->q[0] && !(like = like_pattern(f->q)))
		return dom_err_set(e, 500, "internal", "内存不足");
	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT %s" GRID_FROM "WHERE g.code %s ? AND g.code < ?%s%s%s%s%s "
	               "ORDER BY g.code LIMIT ?",
	               geojson ? GRID_COLS("g.boundary") : GRID_COLS("NULL"), op, scope,
	               plo[0] ? " AND g.path >= ? AND g.path < ?" : "",
	               f->status >= 0 ? " AND g.status = ?" : "", f->kind ? " AND g.kind = ?" : "",
	               like ? " AND g.name LIKE ? ESCAPE '\\'" : "");
	if (!(st = store_prepare(c, sql)))
		goto fail;
	if (store_bind_text(st, 1, lower, -1) || store_bind_text(st, 2, hi, -1) ||
	    (idx = dom_scope_bind(x->caller, "g.id", st, 3)) < 0 ||
	    (plo[0] &&
	     (store_bind_text(st, idx++, plo, -1) || store_bind_text(st, idx++, phi, -1))) ||
	    (f->status >= 0 &&
	     store_bind_text(st, idx++, f->status == 1 ? "retired" : "active", -1)) ||
	    (f->kind && store_bind_int64(st, idx++, f->kind)) ||
	    (like && store_bind_text(st, idx++, like, -1)) ||
	    store_bind_int64(st, idx, pg->limit + 1))
		goto fail;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	if (geojson)
		jsonw_kstring(&w, "type", "FeatureCollection");
	jsonw_key(&w, geojson ? "features" : "items");
	jsonw_array_begin(&w);
	while ((rc = store_step(st)) == STORE_ROW) {
		struct grid g;

		if (n == pg->limit) {
			more = 1;
			break;
		}
		rc = grid_from_row(st, &g);
		if (rc == 0)
			page_item(&w, &g, geojson);
		grid_release(&g);
		if (rc < 0)
			goto fail;
		copy_text(last, sizeof last, store_col_text(st, 1));
		n++;
	}
	if (rc != STORE_ROW && rc != STORE_DONE)
		goto fail;
	store_reset(st);
	st = NULL;
	jsonw_array_end(&w);
	jsonw_key(&w, "next_cursor");
	if (more) {
		char cursor[DOM_CURSOR_MAX];

		dom_cursor_encode(last, cursor);
		jsonw_string(&w, cursor);
	} else {
		jsonw_null(&w);
	}
	if (geojson) {
		jsonw_key(&w, "truncated");
		jsonw_bool(&w, more);
	}
	jsonw_object_end(&w);
	if (jsonw_finish(&w) < 0) {
		free(like);
		return dom_err_set(e, 500, "internal", "回答过大或内存不足");
	}
	free(like);
	return 0;
fail:
	if (st)
		store_reset(st);
	free(like);
	return dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
}

int grid_list(const struct dom_ctx *x, const struct grid_filter *f, const struct dom_page *pg,
              struct buf *out, struct dom_err *e)
{
	return grid_page(x, f, pg, 0, out, e);
}

int grid_geojson(const struct dom_ctx *x, const char *region12, int status,
                 const struct dom_page *pg, struct buf *out, struct dom_err *e)
{
	struct grid_filter f = { .region = region12, .status = status };

	return grid_page(x, &f, pg, 1, out, e);
}
