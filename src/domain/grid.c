/*
 * Grids: reads scoped by principal, and the writes that keep history (create, update, redraw,
 * split, merge, retire). Input is validated before the write is queued (codes, names, boundaries
 * with GEOS); the write function then re-reads what it depends on inside the transaction, so two
 * racing changes of one grid cannot both succeed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/audit.h"
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

/* 1 when p only sees the grids bound to it (rows must be filtered per grid). */
static int grid_bound(const struct principal *p)
{
	return p && !p->is_system && p->grid_bound;
}

/* The scope range for SQL: the region subtree of p's organisation. Grid-bound principals are
   narrowed further, per grid, by grid_visible. */
static void scope_range(const struct principal *p, char *lo, char *hi)
{
	access_scope_range(p, lo, hi);
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

#define GRID_COLS                                                                                  \
	"g.id, g.code, g.community_code, r.name, g.path, g.kind, g.subtype, g.name, g.boundary, "  \
	"g.version, g.households, g.residents, g.status, g.valid_from, g.valid_to, "               \
	"g.retire_reason, g.created_at, g.updated_at"
#define GRID_FROM " FROM grids g JOIN regions r ON r.code = g.community_code "

static void grid_from_row(struct store_stmt *st, struct grid *g, int with_boundary)
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
	if (with_boundary && !store_col_is_null(st, 8))
		g->boundary = strdup(store_col_text(st, 8));
	g->version = (int)store_col_int64(st, 9);
	g->households = store_col_int64(st, 10);
	g->residents = store_col_int64(st, 11);
	g->retired = strcmp(store_col_text(st, 12) ? store_col_text(st, 12) : "", "retired") == 0;
	g->valid_from = store_col_int64(st, 13);
	g->valid_to = store_col_is_null(st, 14) ? 0 : store_col_int64(st, 14);
	if (!store_col_is_null(st, 15))
		g->retire_reason = strdup(store_col_text(st, 15));
	g->created_at = store_col_int64(st, 16);
	g->updated_at = store_col_int64(st, 17);
}

int grid_load(struct store_conn *c, const struct principal *p, const char *code, struct grid *out)
{
	struct store_stmt *st;
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	if (!c || !code)
		return -1;
	st = store_prepare(c, "SELECT " GRID_COLS GRID_FROM "WHERE g.code = ?");
	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		grid_from_row(st, out, 1);
		found = 1;
	} else if (rc != STORE_DONE) {
		found = -1;
	}
	store_reset(st);
	if (found == 1 && !grid_visible(p, out->id, out->path)) {
		grid_release(out);
		memset(out, 0, sizeof *out);
		found = 0;
	}
	return found;
}

int grid_get(struct store *s, const struct principal *p, const char *code, struct grid *out)
{
	return grid_load(store_reader(s), p, code, out);
}

json_t *grid_to_json(const struct grid *g, int with_boundary)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:I,s:I,s:s,s:i,s:I,s:I,s:I}",
	                      "id", (json_int_t)g->id, "code", g->code, "name", g->name, "kind",
	                      grid_kind_name(g->kind), "kind_label", grid_kind_label(g->kind),
	                      "community", "code", g->community_code, "name", g->community_name,
	                      "path", g->path, "households", (json_int_t)g->households, "residents",
	                      (json_int_t)g->residents, "status", g->retired ? "retired" : "active",
	                      "version", g->version, "valid_from", (json_int_t)g->valid_from,
	                      "created_at", (json_int_t)g->created_at, "updated_at",
	                      (json_int_t)g->updated_at);

	if (!o)
		return NULL;
	json_object_set_new(o, "subtype", g->subtype[0] ? json_string(g->subtype) : json_null());
	json_object_set_new(o, "valid_to",
	                    g->valid_to ? json_integer((json_int_t)g->valid_to) : json_null());
	json_object_set_new(o, "retire_reason",
	                    g->retire_reason ? json_string(g->retire_reason) : json_null());
	if (with_boundary) {
		json_t *b = g->boundary ? json_loads(g->boundary, 0, NULL) : NULL;

		json_object_set_new(o, "boundary", b ? b : json_null());
	}
	return o;
}

/* ---- write helpers (run on the writer connection) ---- */

/* Art. 7: only the county-level grid authority sets or changes grids. */
static int art7_allowed(const struct principal *p, const char *path, struct dom_err *e)
{
	if (p->is_system)
		return 1;
	if (!access_can(p, "grid.write")) {
		dom_err_set(e, 403, "forbidden", "没有设置或调整网格的权限");
		return 0;
	}
	if (division_level(p->region_code, NULL) != DIV_COUNTY) {
		dom_err_set(e, 403, "not_county_authority",
		            "只有县级网格化服务管理机构可以设置或调整网格（条例第七条）");
		return 0;
	}
	if (!access_sees_region(p, path)) {
		dom_err_set(e, 404, "not_found", "网格或社区不存在");
		return 0;
	}
	/* A grid-bound principal (grid worker) acts for the grids bound to it, not for the
	   county authority, whatever permissions a custom role gives it. */
	if (grid_bound(p)) {
		dom_err_set(e, 403, "not_county_authority",
		            "只有县级网格化服务管理机构可以设置或调整网格（条例第七条）");
		return 0;
	}
	return 1;
}

/* Reads an active grid for a change, scoped; 0 ok, 1 with e set. */
static int load_active(struct store_conn *c, const struct principal *p, const char *code,
                       struct grid *g, struct dom_err *e)
{
	int rc = grid_load(c, p, code, g);

	if (rc < 0) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return 1;
	}
	if (rc == 0) {
		dom_err_set(e, 404, "not_found", "网格 %s 不存在", code);
		return 1;
	}
	if (g->retired) {
		dom_err_set(e, 409, "retired", "网格 %s 已撤销，不能再调整", code);
		grid_release(g);
		return 1;
	}
	if (!art7_allowed(p, g->path, e)) {
		grid_release(g);
		return 1;
	}
	return 0;
}

/* Checks a caller-given code is free: 0, or 1 with e (409 duplicate / retired). */
static int code_free(struct store_conn *c, const char *code, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, "SELECT status FROM grids WHERE code = ?");
	int rc, result = 0;

	if (!st) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return 1;
	}
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		if (strcmp(store_col_text(st, 0), "retired") == 0)
			dom_err_set(e, 409, "code_retired",
			            "网格编码 %s 曾被已撤销的网格使用，编码不得重复使用", code);
		else
			dom_err_set(e, 409, "duplicate_code", "网格编码 %s 已存在", code);
		result = 1;
	} else if (rc != STORE_DONE) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		result = 1;
	}
	store_reset(st);
	return result;
}

/* The lowest sequence of the kind's band that no grid, active or retired, ever had. */
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
	    grid_code_compose(rule, community, hi, kind, b) < 0) {
		dom_err_set(e, 400, "bad_community", "%s 不是社区或村的代码", community);
		return 1;
	}
	st = store_prepare(c, "SELECT code FROM grids WHERE code >= ? AND code <= ? ORDER BY code");
	if (!st) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return 1;
	}
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
	if (expect > hi) {
		dom_err_set(e, 409, "band_full", "社区 %s 的%s编码段（%03d–%03d）已用完", community,
		            grid_kind_label(kind), lo, hi);
		return 1;
	}
	(void)grid_code_compose(rule, community, expect, kind, out);
	return 0;
}

/* Inserts g (code, community, path, kind, subtype, name, boundary, households, residents) as an
   active grid with version 1; sets g->id. 0, or a negative store code. */
static int insert_grid(struct store_conn *c, struct grid *g, int64_t now, const char *reason)
{
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "INSERT INTO grids (code, community_code, path, kind, subtype, name, "
	                      "boundary, version, households, residents, status, valid_from, "
	                      "created_at, updated_at) "
	                      "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'active', ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, g->code, -1);
	store_bind_text(st, 2, g->community_code, -1);
	store_bind_text(st, 3, g->path, -1);
	store_bind_int64(st, 4, g->kind);
	store_bind_text(st, 5, g->subtype[0] ? g->subtype : NULL, -1);
	store_bind_text(st, 6, g->name, -1);
	store_bind_text(st, 7, g->boundary, -1);
	store_bind_int64(st, 8, g->households);
	store_bind_int64(st, 9, g->residents);
	store_bind_int64(st, 10, now);
	store_bind_int64(st, 11, now);
	store_bind_int64(st, 12, now);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	g->id = store_last_insert_id(c);
	st = store_prepare(c, "INSERT INTO grid_versions (grid_id, version, boundary, valid_from, "
	                      "reason) VALUES (?, 1, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, g->id);
	store_bind_text(st, 2, g->boundary, -1);
	store_bind_int64(st, 3, now);
	store_bind_text(st, 4, reason, -1);
	rc = store_step(st);
	store_reset(st);
	return rc == STORE_DONE ? 0 : (rc < 0 ? rc : STORE_ERR);
}

static int retire_row(struct store_conn *c, const struct grid *g, int64_t now, const char *reason)
{
	struct store_stmt *st;
	int rc;

	st = store_prepare(c,
	                   "UPDATE grids SET status = 'retired', valid_to = ?, retire_reason = ?, "
	                   "updated_at = ? WHERE id = ? AND status = 'active'");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, now);
	store_bind_text(st, 2, reason, -1);
	store_bind_int64(st, 3, now);
	store_bind_int64(st, 4, g->id);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	st = store_prepare(c, "UPDATE grid_versions SET valid_to = ? WHERE grid_id = ? AND "
	                      "version = ? AND valid_to IS NULL");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, now);
	store_bind_int64(st, 2, g->id);
	store_bind_int64(st, 3, g->version);
	rc = store_step(st);
	store_reset(st);
	return rc == STORE_DONE ? 0 : (rc < 0 ? rc : STORE_ERR);
}

static int insert_lineage(struct store_conn *c, int64_t parent, int64_t child, const char *op,
                          int64_t now)
{
	struct store_stmt *st = store_prepare(
	        c, "INSERT INTO grid_lineage (parent_id, child_id, op, at) VALUES (?, ?, ?, ?)");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, parent);
	store_bind_int64(st, 2, child);
	store_bind_text(st, 3, op, -1);
	store_bind_int64(st, 4, now);
	rc = store_step(st);
	store_reset(st);
	return rc == STORE_DONE ? 0 : (rc < 0 ? rc : STORE_ERR);
}

/* Maps a store failure inside a write fn to an error; returns 1 (roll back). */
static int write_failed(struct dom_err *e, int rc)
{
	if (rc == STORE_CONSTRAINT)
		dom_err_set(e, 409, "conflict", "数据冲突（编码重复或引用不存在），请刷新后重试");
	else
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
	return 1;
}

/* Appends the audit record of a successful write of grid `code` inside the running write (so
   the record commits or rolls back with the change; see audit_write_conn). 0, or 1 with *e. */
static int audit_grid(struct store_conn *c, const struct principal *p, const char *action,
                      const char *code, const char *detail, struct dom_err *e)
{
	char object[32];
	int rc;

	(void)snprintf(object, sizeof object, "grid:%s", code);
	rc = audit_write_conn(c, p, action, object, detail);
	return rc ? write_failed(e, rc) : 0;
}

/* Runs a write; on failure makes sure *e says why. 0 or -1. */
static int run_write(struct store *s, store_write_fn fn, void *ctx, struct dom_err *e)
{
	int rc;

	e->status = 0;
	rc = store_write(s, fn, ctx);
	if (rc == 0)
		return 0;
	if (e->status == 0)
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
	return -1;
}

static int people_valid(int64_t v, const char *what, struct dom_err *e)
{
	if (v < -1 || v > GRID_MAX_PEOPLE) {
		dom_err_set(e, 400, "bad_number", "%s应为 0 到 %d 之间的整数", what,
		            GRID_MAX_PEOPLE);
		return 0;
	}
	return 1;
}

static int reason_valid(const char *reason, struct dom_err *e)
{
	if (reason && utf8_chars(reason) > GRID_REASON_MAX_CHARS) {
		dom_err_set(e, 400, "bad_reason", "原因过长（最多 %d 个字）",
		            GRID_REASON_MAX_CHARS);
		return 0;
	}
	return 1;
}

/* Validates a caller-given grid code for a community and kind; 0 or -1 with e. */
static int check_code(const char *code, const char *community, int kind, struct dom_err *e)
{
	struct code_error cerr = { 0 };

	if (grid_code_check(grid_rule(), code, community, (enum grid_kind)kind, &cerr) < 0) {
		dom_err_set(e, 400, cerr.code ? cerr.code : "bad_code", "网格编码无效：%s",
		            cerr.message ? cerr.message : "格式错误");
		return -1;
	}
	return 0;
}

/* Parses and validates a boundary; returns the geometry (destroy it) and normalized text. */
static GEOSGeometry *check_boundary(const json_t *b, char **text, struct dom_err *e)
{
	char msg[GEO_MSG_MAX];
	GEOSGeometry *g;

	if (!b || json_is_null(b)) {
		dom_err_set(e, 400, "bad_boundary", "缺少边界（GeoJSON Polygon 或 MultiPolygon）");
		return NULL;
	}
	g = geo_boundary_from_json(geo_ctx(), b, text, msg, sizeof msg);
	if (!g)
		dom_err_set(e, 400, "bad_boundary", "%s", msg);
	return g;
}

/* ---- create ---- */

struct create_ctx {
	const struct principal *p;
	struct grid *g;
	int auto_code;
	struct dom_err *e;
};

static int create_fn(struct store_conn *c, void *arg)
{
	struct create_ctx *x = arg;
	struct region r;
	char detail[REGION_NAME_BYTES + 64];
	int rc = region_load(c, x->p, x->g->community_code, &r);

	region_release(&r);
	if (rc < 0)
		return write_failed(x->e, STORE_ERR);
	if (rc == 0) {
		dom_err_set(x->e, 404, "unknown_community", "社区/村 %s 不存在",
		            x->g->community_code);
		return 1;
	}
	if (r.level != DIV_VILLAGE) {
		dom_err_set(x->e, 400, "bad_community", "%s 不是社区或村，网格必须属于一个社区或村",
		            x->g->community_code);
		return 1;
	}
	if (!art7_allowed(x->p, r.path, x->e))
		return 1;
	copy_text(x->g->path, sizeof x->g->path, r.path);
	if (x->auto_code) {
		if (next_code(c, x->g->community_code, x->g->kind, x->g->code, x->e))
			return 1;
	} else if (code_free(c, x->g->code, x->e)) {
		return 1;
	}
	rc = insert_grid(c, x->g, clock_now(), "新建");
	if (rc)
		return write_failed(x->e, rc);
	(void)snprintf(detail, sizeof detail, "新建%s %s", grid_kind_label(x->g->kind), x->g->name);
	return audit_grid(c, x->p, "grid.create", x->g->code, detail, x->e);
}

int grid_create(struct store *s, const struct principal *p, const struct grid_input *in,
                char code_out[16], struct dom_err *e)
{
	struct grid g;
	struct create_ctx x = { .p = p, .g = &g, .e = e };
	struct code_error cerr = { 0 };
	char msg[256];
	GEOSGeometry *geom;
	int rc = -1;

	memset(&g, 0, sizeof g);
	code_out[0] = '\0';
	if (!p->is_system && !access_can(p, "grid.write")) {
		dom_err_set(e, 403, "forbidden", "没有设置或调整网格的权限");
		return -1;
	}
	if (!in->community ||
	    region_code_normalize(in->community, g.community_code, &cerr) != DIV_VILLAGE) {
		dom_err_set(e, 400, "bad_community",
		            "community 必须是社区或村的 12 位统计用区划代码");
		return -1;
	}
	if (in->kind != GRID_COMPREHENSIVE && in->kind != GRID_DEDICATED) {
		dom_err_set(e, 400, "bad_kind",
		            "网格类型必须是 comprehensive（综合网格）或 "
		            "dedicated（专属网格）");
		return -1;
	}
	g.kind = in->kind;
	if (in->kind == GRID_DEDICATED) {
		if (!grid_subtype_valid(in->subtype)) {
			dom_err_set(e, 400, "bad_subtype",
			            "专属网格的类别必须是：园区、商圈市场、企业、学校、医院、景区、"
			            "商务楼宇之一");
			return -1;
		}
		copy_text(g.subtype, sizeof g.subtype, in->subtype);
	} else if (in->subtype && in->subtype[0]) {
		dom_err_set(e, 400, "bad_subtype", "综合网格没有类别（subtype），请不要填写");
		return -1;
	}
	if (!dom_name_valid(in->name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "网格%s", msg);
		return -1;
	}
	copy_text(g.name, sizeof g.name, in->name);
	if (!people_valid(in->households, "户数", e) || !people_valid(in->residents, "人口数", e))
		return -1;
	g.households = in->households < 0 ? 0 : in->households;
	g.residents = in->residents < 0 ? 0 : in->residents;
	if (in->code) {
		if (check_code(in->code, g.community_code, g.kind, e) < 0)
			return -1;
		copy_text(g.code, sizeof g.code, in->code);
	} else {
		x.auto_code = 1;
	}
	geom = check_boundary(in->boundary, &g.boundary, e);
	if (!geom)
		return -1;
	GEOSGeom_destroy_r(geo_ctx(), geom);
	if (run_write(s, create_fn, &x, e) == 0) {
		memcpy(code_out, g.code, 16);
		rc = 0;
	}
	grid_release(&g);
	return rc;
}

/* ---- update ---- */

struct update_ctx {
	const struct principal *p;
	const char *code;
	const struct grid_patch *patch;
	struct dom_err *e;
};

/* Names the changed fields (not their values) for the audit record, into d. */
static const char *update_detail(const struct grid_patch *patch, char *d, size_t n)
{
	const char *names[4] = { 0 };
	size_t k = 0, used;

	if (patch->name)
		names[k++] = "名称";
	if (patch->subtype)
		names[k++] = "类别";
	if (patch->households >= 0)
		names[k++] = "户数";
	if (patch->residents >= 0)
		names[k++] = "人口数";
	used = (size_t)snprintf(d, n, "修改网格信息：");
	for (size_t i = 0; i < k && used < n; i++)
		used += (size_t)snprintf(d + used, n - used, "%s%s", i ? "、" : "", names[i]);
	return d;
}

static int update_fn(struct store_conn *c, void *arg)
{
	struct update_ctx *x = arg;
	struct grid g;
	struct store_stmt *st;
	char detail[128];
	int rc;

	if (load_active(c, x->p, x->code, &g, x->e))
		return 1;
	if (x->patch->subtype && g.kind != GRID_DEDICATED && x->patch->subtype[0]) {
		dom_err_set(x->e, 400, "bad_subtype", "综合网格没有类别（subtype）");
		grid_release(&g);
		return 1;
	}
	grid_release(&g);
	st = store_prepare(c, "UPDATE grids SET name = coalesce(?, name), "
	                      "subtype = coalesce(?, subtype), "
	                      "households = CASE WHEN ? >= 0 THEN ? ELSE households END, "
	                      "residents = CASE WHEN ? >= 0 THEN ? ELSE residents END, "
	                      "updated_at = ? WHERE code = ?");
	if (!st)
		return write_failed(x->e, STORE_ERR);
	store_bind_text(st, 1, x->patch->name, -1);
	store_bind_text(st, 2, x->patch->subtype, -1);
	store_bind_int64(st, 3, x->patch->households);
	store_bind_int64(st, 4, x->patch->households);
	store_bind_int64(st, 5, x->patch->residents);
	store_bind_int64(st, 6, x->patch->residents);
	store_bind_int64(st, 7, clock_now());
	store_bind_text(st, 8, x->code, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return write_failed(x->e, rc);
	return audit_grid(c, x->p, "grid.update", x->code,
	                  update_detail(x->patch, detail, sizeof detail), x->e);
}

int grid_update(struct store *s, const struct principal *p, const char *code,
                const struct grid_patch *patch, struct dom_err *e)
{
	struct update_ctx x = { .p = p, .code = code, .patch = patch, .e = e };
	char msg[256];

	if (patch->name && !dom_name_valid(patch->name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "网格%s", msg);
		return -1;
	}
	if (patch->subtype && !grid_subtype_valid(patch->subtype)) {
		dom_err_set(e, 400, "bad_subtype",
		            "专属网格的类别必须是：园区、商圈市场、企业、学校、医院、景区、商务楼宇"
		            "之一");
		return -1;
	}
	if (!people_valid(patch->households, "户数", e) ||
	    !people_valid(patch->residents, "人口数", e))
		return -1;
	return run_write(s, update_fn, &x, e);
}

/* ---- redraw ---- */

struct redraw_ctx {
	const struct principal *p;
	const char *code, *boundary, *reason;
	struct dom_err *e;
};

static int redraw_fn(struct store_conn *c, void *arg)
{
	struct redraw_ctx *x = arg;
	struct grid g;
	struct store_stmt *st;
	int64_t now = clock_now();
	char detail[GRID_REASON_MAX_CHARS * 4 + 64];
	int rc;

	if (load_active(c, x->p, x->code, &g, x->e))
		return 1;
	st = store_prepare(c, "UPDATE grid_versions SET valid_to = ? WHERE grid_id = ? AND "
	                      "version = ?");
	rc = st ? STORE_DONE : STORE_ERR;
	if (st) {
		store_bind_int64(st, 1, now);
		store_bind_int64(st, 2, g.id);
		store_bind_int64(st, 3, g.version);
		rc = store_step(st);
		store_reset(st);
	}
	if (rc == STORE_DONE &&
	    (st = store_prepare(c, "INSERT INTO grid_versions (grid_id, version, boundary, "
	                           "valid_from, reason) VALUES (?, ?, ?, ?, ?)"))) {
		store_bind_int64(st, 1, g.id);
		store_bind_int64(st, 2, g.version + 1);
		store_bind_text(st, 3, x->boundary, -1);
		store_bind_int64(st, 4, now);
		store_bind_text(st, 5, x->reason ? x->reason : "重新划定边界", -1);
		rc = store_step(st);
		store_reset(st);
	}
	if (rc == STORE_DONE &&
	    (st = store_prepare(c, "UPDATE grids SET boundary = ?, version = ?, updated_at = ? "
	                           "WHERE id = ?"))) {
		store_bind_text(st, 1, x->boundary, -1);
		store_bind_int64(st, 2, g.version + 1);
		store_bind_int64(st, 3, now);
		store_bind_int64(st, 4, g.id);
		rc = store_step(st);
		store_reset(st);
	}
	(void)snprintf(detail, sizeof detail, "重新划定边界（第 %d 版）：%s", g.version + 1,
	               x->reason ? x->reason : "未填写原因");
	grid_release(&g);
	if (rc != STORE_DONE)
		return write_failed(x->e, rc);
	return audit_grid(c, x->p, "grid.redraw", x->code, detail, x->e);
}

int grid_redraw(struct store *s, const struct principal *p, const char *code,
                const json_t *boundary, const char *reason, struct dom_err *e)
{
	struct redraw_ctx x = { .p = p, .code = code, .reason = reason, .e = e };
	char *text = NULL;
	GEOSGeometry *g;
	int rc;

	if (!reason_valid(reason, e))
		return -1;
	g = check_boundary(boundary, &text, e);
	if (!g)
		return -1;
	GEOSGeom_destroy_r(geo_ctx(), g);
	x.boundary = text;
	rc = run_write(s, redraw_fn, &x, e);
	free(text);
	return rc;
}

/* ---- retire ---- */

struct retire_ctx {
	const struct principal *p;
	const char *code, *reason;
	struct dom_err *e;
};

static int retire_fn(struct store_conn *c, void *arg)
{
	struct retire_ctx *x = arg;
	struct grid g;
	char detail[GRID_REASON_MAX_CHARS * 4 + 32];
	int rc;

	if (load_active(c, x->p, x->code, &g, x->e))
		return 1;
	rc = retire_row(c, &g, clock_now(), x->reason ? x->reason : "撤销");
	grid_release(&g);
	if (rc)
		return write_failed(x->e, rc);
	(void)snprintf(detail, sizeof detail, "撤销网格：%s", x->reason ? x->reason : "未填写原因");
	return audit_grid(c, x->p, "grid.retire", x->code, detail, x->e);
}

int grid_retire(struct store *s, const struct principal *p, const char *code, const char *reason,
                struct dom_err *e)
{
	struct retire_ctx x = { .p = p, .code = code, .reason = reason, .e = e };

	if (!reason_valid(reason, e))
		return -1;
	return run_write(s, retire_fn, &x, e);
}

/* ---- split ---- */

struct split_piece {
	struct grid g;
	int auto_code;
};

struct split_ctx {
	const struct principal *p;
	const char *code;
	int version; /* the version the geometry checks were made against */
	struct split_piece *pieces;
	size_t n;
	struct dom_err *e;
};

static int split_fn(struct store_conn *c, void *arg)
{
	struct split_ctx *x = arg;
	struct grid old;
	int64_t now = clock_now();
	char reason[512];
	size_t used;
	int rc = 0;

	if (load_active(c, x->p, x->code, &old, x->e))
		return 1;
	if (old.version != x->version) {
		grid_release(&old);
		dom_err_set(x->e, 409, "conflict", "网格 %s 的边界刚被修改，请刷新后重试", x->code);
		return 1;
	}
	used = (size_t)snprintf(reason, sizeof reason, "拆分为");
	for (size_t i = 0; i < x->n && rc == 0; i++) {
		struct grid *g = &x->pieces[i].g;

		copy_text(g->community_code, sizeof g->community_code, old.community_code);
		copy_text(g->path, sizeof g->path, old.path);
		g->kind = old.kind;
		copy_text(g->subtype, sizeof g->subtype, old.subtype);
		if (x->pieces[i].auto_code) {
			if (next_code(c, old.community_code, old.kind, g->code, x->e)) {
				rc = 1;
				break;
			}
		} else if (code_free(c, g->code, x->e)) {
			rc = 1;
			break;
		}
		rc = insert_grid(c, g, now, "拆分新建");
		if (rc == 0)
			rc = insert_lineage(c, old.id, g->id, "split", now);
		if (rc) {
			rc = write_failed(x->e, rc);
			break;
		}
		if (used < sizeof reason)
			used += (size_t)snprintf(reason + used, sizeof reason - used, "%s%s",
			                         i ? "、" : " ", g->code);
	}
	if (rc == 0) {
		rc = retire_row(c, &old, now, reason);
		if (rc)
			rc = write_failed(x->e, rc);
	}
	if (rc == 0)
		rc = audit_grid(c, x->p, "grid.split", x->code, reason, x->e);
	grid_release(&old);
	return rc;
}

/* Area in m² of a ∖ b. */
static double diff_area(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b)
{
	GEOSGeometry *d = GEOSDifference_r(h, a, b);
	double area = d ? geo_area_m2(h, d) : INFINITY;

	if (d)
		GEOSGeom_destroy_r(h, d);
	return area;
}

/* Unions n geometries; NULL on failure. */
static GEOSGeometry *union_all(GEOSContextHandle_t h, GEOSGeometry *const *gs, size_t n)
{
	GEOSGeometry **clones = calloc(n, sizeof *clones), *coll = NULL, *u = NULL;

	if (!clones)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(clones[i] = GEOSGeom_clone_r(h, gs[i])))
			goto out;
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, clones, (unsigned)n);
	if (coll) {
		memset(clones, 0, n * sizeof *clones);
		u = GEOSUnaryUnion_r(h, coll);
	}
out:
	for (size_t i = 0; i < n; i++)
		if (clones[i])
			GEOSGeom_destroy_r(h, clones[i]);
	free(clones);
	if (coll)
		GEOSGeom_destroy_r(h, coll);
	return u;
}

int grid_split(struct store *s, const struct principal *p, const char *code,
               const struct grid_part *parts, size_t n, char (*codes_out)[16], struct dom_err *e)
{
	GEOSContextHandle_t h = geo_ctx();
	struct split_ctx x = { .p = p, .code = code, .n = n, .e = e };
	struct grid old;
	GEOSGeometry *whole = NULL, **geoms = NULL, *u = NULL;
	double whole_area, area;
	char msg[GEO_MSG_MAX];
	int rc = -1, found;

	memset(&old, 0, sizeof old);
	if (n < 2 || n > GRID_MAX_PARTS) {
		dom_err_set(e, 400, "bad_parts", "拆分需要 2 到 %d 个部分", GRID_MAX_PARTS);
		return -1;
	}
	found = grid_get(s, p, code, &old);
	if (found <= 0) {
		if (found < 0)
			dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		else
			dom_err_set(e, 404, "not_found", "网格 %s 不存在", code);
		return -1;
	}
	if (old.retired) {
		dom_err_set(e, 409, "retired", "网格 %s 已撤销，不能再调整", code);
		goto out;
	}
	if (!art7_allowed(p, old.path, e))
		goto out;
	x.version = old.version;
	whole = geo_boundary_from_text(h, old.boundary, msg, sizeof msg);
	x.pieces = calloc(n, sizeof *x.pieces);
	geoms = calloc(n, sizeof *geoms);
	if (!whole || !x.pieces || !geoms) {
		dom_err_set(e, 500, "internal", "读取原网格边界失败");
		goto out;
	}
	whole_area = geo_area_m2(h, whole);
	for (size_t i = 0; i < n; i++) {
		struct grid *g = &x.pieces[i].g;
		char nmsg[256];

		if (!dom_name_valid(parts[i].name, nmsg, sizeof nmsg)) {
			dom_err_set(e, 400, "bad_name", "第 %zu 部分的名称：%s", i + 1, nmsg);
			goto out;
		}
		copy_text(g->name, sizeof g->name, parts[i].name);
		if (!people_valid(parts[i].households, "户数", e) ||
		    !people_valid(parts[i].residents, "人口数", e))
			goto out;
		if (parts[i].code) {
			if (check_code(parts[i].code, old.community_code, old.kind, e) < 0)
				goto out;
			for (size_t j = 0; j < i; j++)
				if (!x.pieces[j].auto_code &&
				    strcmp(x.pieces[j].g.code, parts[i].code) == 0) {
					dom_err_set(e, 409, "duplicate_code",
					            "第 %zu 与第 %zu 部分的编码重复", j + 1, i + 1);
					goto out;
				}
			copy_text(g->code, sizeof g->code, parts[i].code);
		} else {
			x.pieces[i].auto_code = 1;
		}
		geoms[i] = check_boundary(parts[i].boundary, &g->boundary, e);
		if (!geoms[i]) {
			char tmp[DOM_MSG_MAX + 64];

			(void)snprintf(tmp, sizeof tmp, "第 %zu 部分的%s", i + 1, e->message);
			copy_text(e->message, sizeof e->message, tmp);
			goto out;
		}
		area = geo_area_m2(h, geoms[i]);
		g->households =
		        parts[i].households >= 0
		                ? parts[i].households
		                : (int64_t)llround((double)old.households * area / whole_area);
		g->residents =
		        parts[i].residents >= 0
		                ? parts[i].residents
		                : (int64_t)llround((double)old.residents * area / whole_area);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			GEOSGeometry *ij = GEOSIntersection_r(h, geoms[i], geoms[j]);
			double a = ij ? geo_area_m2(h, ij) : INFINITY;

			if (ij)
				GEOSGeom_destroy_r(h, ij);
			if (a > GRID_AREA_TOLERANCE_M2) {
				dom_err_set(e, 400, "parts_overlap",
				            "第 %zu 与第 %zu 部分相互重叠（约 %.1f 平方米）", i + 1,
				            j + 1, a);
				goto out;
			}
		}
	u = union_all(h, geoms, n);
	if (!u) {
		dom_err_set(e, 500, "internal", "几何运算失败");
		goto out;
	}
	area = diff_area(h, whole, u);
	if (area > GRID_AREA_TOLERANCE_M2) {
		dom_err_set(e, 400, "parts_incomplete",
		            "拆分后的各部分没有完全覆盖原网格（遗漏约 %.1f 平方米）", area);
		goto out;
	}
	area = diff_area(h, u, whole);
	if (area > GRID_AREA_TOLERANCE_M2) {
		dom_err_set(e, 400, "parts_outside",
		            "拆分后的各部分超出了原网格范围（超出约 %.1f 平方米）", area);
		goto out;
	}
	if (run_write(s, split_fn, &x, e) == 0) {
		for (size_t i = 0; i < n; i++)
			memcpy(codes_out[i], x.pieces[i].g.code, 16);
		rc = 0;
	}
out:
	for (size_t i = 0; x.pieces && i < n; i++)
		grid_release(&x.pieces[i].g);
	for (size_t i = 0; geoms && i < n; i++)
		if (geoms[i])
			GEOSGeom_destroy_r(h, geoms[i]);
	free(x.pieces);
	free(geoms);
	if (whole)
		GEOSGeom_destroy_r(h, whole);
	if (u)
		GEOSGeom_destroy_r(h, u);
	grid_release(&old);
	return rc;
}

/* ---- merge ---- */

struct merge_ctx {
	const struct principal *p;
	const char *const *codes;
	const int *versions;
	size_t n;
	struct grid *g; /* the new grid */
	int auto_code;
	struct dom_err *e;
};

static int merge_fn(struct store_conn *c, void *arg)
{
	struct merge_ctx *x = arg;
	struct grid *olds = calloc(x->n, sizeof *olds);
	int64_t now = clock_now();
	char reason[64];
	size_t loaded = 0;
	int rc = 0;

	if (!olds)
		return write_failed(x->e, STORE_ERR);
	for (; loaded < x->n; loaded++) {
		if (load_active(c, x->p, x->codes[loaded], &olds[loaded], x->e)) {
			rc = 1;
			goto out;
		}
		if (olds[loaded].version != x->versions[loaded]) {
			dom_err_set(x->e, 409, "conflict", "网格 %s 的边界刚被修改，请刷新后重试",
			            x->codes[loaded]);
			loaded++;
			rc = 1;
			goto out;
		}
	}
	if (x->auto_code) {
		if (next_code(c, x->g->community_code, x->g->kind, x->g->code, x->e)) {
			rc = 1;
			goto out;
		}
	} else if (code_free(c, x->g->code, x->e)) {
		rc = 1;
		goto out;
	}
	rc = insert_grid(c, x->g, now, "合并新建");
	(void)snprintf(reason, sizeof reason, "合并为 %s", x->g->code);
	for (size_t i = 0; rc == 0 && i < x->n; i++) {
		rc = insert_lineage(c, olds[i].id, x->g->id, "merge", now);
		if (rc == 0)
			rc = retire_row(c, &olds[i], now, reason);
	}
	if (rc)
		rc = write_failed(x->e, rc);
	if (rc == 0) {
		char detail[64 + GRID_MAX_PARTS * 20];
		size_t used = (size_t)snprintf(detail, sizeof detail, "由");

		for (size_t i = 0; i < x->n && used < sizeof detail; i++)
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s",
			                         i ? "、" : " ", olds[i].code);
		if (used < sizeof detail)
			(void)snprintf(detail + used, sizeof detail - used, " 合并");
		rc = audit_grid(c, x->p, "grid.merge", x->g->code, detail, x->e);
	}
out:
	for (size_t i = 0; i < loaded; i++)
		grid_release(&olds[i]);
	free(olds);
	return rc;
}

int grid_merge(struct store *s, const struct principal *p, const char *const *codes, size_t n,
               const char *name, const char *code, char code_out[16], struct dom_err *e)
{
	GEOSContextHandle_t h = geo_ctx();
	struct grid g, *olds = NULL;
	struct merge_ctx x = { .p = p, .codes = codes, .n = n, .g = &g, .e = e };
	GEOSGeometry **geoms = NULL, *u = NULL;
	int *versions = NULL;
	json_t *uj = NULL;
	char msg[GEO_MSG_MAX];
	size_t loaded = 0;
	int rc = -1;

	memset(&g, 0, sizeof g);
	code_out[0] = '\0';
	if (n < 2 || n > GRID_MAX_PARTS) {
		dom_err_set(e, 400, "bad_codes", "合并需要 2 到 %d 个网格", GRID_MAX_PARTS);
		return -1;
	}
	if (!dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "网格%s", msg);
		return -1;
	}
	olds = calloc(n, sizeof *olds);
	geoms = calloc(n, sizeof *geoms);
	versions = calloc(n, sizeof *versions);
	if (!olds || !geoms || !versions) {
		dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	for (; loaded < n; loaded++) {
		struct grid *o = &olds[loaded];
		int found;

		for (size_t j = 0; j < loaded; j++)
			if (codes[j] && codes[loaded] && strcmp(codes[j], codes[loaded]) == 0) {
				dom_err_set(e, 400, "bad_codes", "网格 %s 重复出现", codes[j]);
				goto out;
			}
		found = codes[loaded] ? grid_get(s, p, codes[loaded], o) : 0;
		if (found <= 0) {
			if (found < 0)
				dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
			else
				dom_err_set(e, 404, "not_found", "网格 %s 不存在",
				            codes[loaded] ? codes[loaded] : "");
			goto out;
		}
		if (o->retired) {
			dom_err_set(e, 409, "retired", "网格 %s 已撤销，不能合并", o->code);
			loaded++;
			goto out;
		}
		if (loaded && (strcmp(o->community_code, olds[0].community_code) != 0 ||
		               o->kind != olds[0].kind)) {
			dom_err_set(e, 400, "not_mergeable",
			            "只能合并同一社区/村内同一类型的网格（%s 与 %s 不同）", o->code,
			            olds[0].code);
			loaded++;
			goto out;
		}
		versions[loaded] = o->version;
		geoms[loaded] = geo_boundary_from_text(h, o->boundary, msg, sizeof msg);
		if (!geoms[loaded]) {
			dom_err_set(e, 500, "internal", "读取网格 %s 的边界失败", o->code);
			loaded++;
			goto out;
		}
		g.households += o->households;
		g.residents += o->residents;
	}
	if (!art7_allowed(p, olds[0].path, e))
		goto out;
	u = union_all(h, geoms, n);
	if (!u || GEOSGeomTypeId_r(h, u) != GEOS_POLYGON) {
		dom_err_set(e, 400, "not_adjacent", "合并的网格必须相互连接成一片");
		goto out;
	}
	uj = geo_to_json(h, u);
	g.boundary = uj ? json_dumps(uj, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	if (!g.boundary) {
		dom_err_set(e, 500, "internal", "几何运算失败");
		goto out;
	}
	copy_text(g.community_code, sizeof g.community_code, olds[0].community_code);
	copy_text(g.path, sizeof g.path, olds[0].path);
	copy_text(g.subtype, sizeof g.subtype, olds[0].subtype);
	copy_text(g.name, sizeof g.name, name);
	g.kind = olds[0].kind;
	if (code) {
		if (check_code(code, g.community_code, g.kind, e) < 0)
			goto out;
		copy_text(g.code, sizeof g.code, code);
	} else {
		x.auto_code = 1;
	}
	x.versions = versions;
	if (run_write(s, merge_fn, &x, e) == 0) {
		memcpy(code_out, g.code, 16);
		rc = 0;
	}
out:
	for (size_t i = 0; olds && i < loaded; i++)
		grid_release(&olds[i]);
	for (size_t i = 0; geoms && i < n; i++)
		if (geoms[i])
			GEOSGeom_destroy_r(h, geoms[i]);
	if (u)
		GEOSGeom_destroy_r(h, u);
	json_decref(uj);
	grid_release(&g);
	free(olds);
	free(geoms);
	free(versions);
	return rc;
}

/* ---- history ---- */

#define LINEAGE_MAX_DEPTH 32
#define LINEAGE_MAX_NODES 500

/* Walks lineage from id in one direction (up: to parents) breadth-first. */
static int walk_lineage(struct store_conn *c, const struct principal *p, int64_t id, int up,
                        json_t *out)
{
	struct store_stmt *st;
	int64_t *queue = malloc(LINEAGE_MAX_NODES * sizeof *queue);
	int *depth = malloc(LINEAGE_MAX_NODES * sizeof *depth);
	size_t head = 0, tail = 0;
	int rc = 0;

	if (!queue || !depth) {
		free(queue);
		free(depth);
		return -1;
	}
	queue[tail] = id;
	depth[tail++] = 0;
	while (head < tail) {
		int64_t cur = queue[head];
		int d = depth[head++];

		if (d >= LINEAGE_MAX_DEPTH)
			continue;
		st = store_prepare(c,
		                   up ? "SELECT l.op, l.at, g.id, g.code, g.name, g.status, g.path "
		                        "FROM grid_lineage l JOIN grids g ON g.id = l.parent_id "
		                        "WHERE l.child_id = ? ORDER BY g.code"
		                      : "SELECT l.op, l.at, g.id, g.code, g.name, g.status, g.path "
		                        "FROM grid_lineage l JOIN grids g ON g.id = l.child_id "
		                        "WHERE l.parent_id = ? ORDER BY g.code");
		if (!st) {
			rc = -1;
			break;
		}
		store_bind_int64(st, 1, cur);
		while ((rc = store_step(st)) == STORE_ROW) {
			int64_t nid = store_col_int64(st, 2);
			int seen = 0;

			for (size_t i = 0; i < tail; i++)
				seen |= queue[i] == nid;
			if (seen || tail >= LINEAGE_MAX_NODES)
				continue;
			queue[tail] = nid;
			depth[tail++] = d + 1;
			if (!grid_visible(p, nid, store_col_text(st, 6)))
				continue;
			json_array_append_new(
			        out, json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:s}", "code",
			                       store_col_text(st, 3), "name", store_col_text(st, 4),
			                       "status", store_col_text(st, 5), "op",
			                       store_col_text(st, 0), "at",
			                       (json_int_t)store_col_int64(st, 1), "depth", d + 1,
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

json_t *grid_history(struct store *s, const struct principal *p, const char *code,
                     struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct grid g;
	struct store_stmt *st;
	json_t *versions = NULL, *up = NULL, *down = NULL, *out = NULL;
	int rc = grid_load(c, p, code, &g);

	if (rc <= 0) {
		if (rc < 0)
			dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		else
			dom_err_set(e, 404, "not_found", "网格 %s 不存在", code);
		return NULL;
	}
	versions = json_array();
	up = json_array();
	down = json_array();
	st = store_prepare(c, "SELECT version, boundary, valid_from, valid_to, reason FROM "
	                      "grid_versions WHERE grid_id = ? ORDER BY version");
	if (!st)
		goto fail;
	store_bind_int64(st, 1, g.id);
	while ((rc = store_step(st)) == STORE_ROW) {
		json_t *b = json_loads(store_col_text(st, 1), 0, NULL);
		json_t *v = json_pack("{s:i,s:I,s:o}", "version", (int)store_col_int64(st, 0),
		                      "valid_from", (json_int_t)store_col_int64(st, 2), "boundary",
		                      b ? b : json_null());

		json_object_set_new(v, "valid_to",
		                    store_col_is_null(st, 3)
		                            ? json_null()
		                            : json_integer(store_col_int64(st, 3)));
		json_object_set_new(v, "reason",
		                    store_col_is_null(st, 4) ? json_null()
		                                             : json_string(store_col_text(st, 4)));
		json_array_append_new(versions, v);
	}
	store_reset(st);
	if (rc != STORE_DONE || walk_lineage(c, p, g.id, 1, up) < 0 ||
	    walk_lineage(c, p, g.id, 0, down) < 0)
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

/* ---- list and GeoJSON ---- */

/* Range of grid paths for a region filter within p's scope; 0, or 1 with e (404). */
static int filter_range(struct store_conn *c, const struct principal *p, const char *region,
                        char lo[ACCESS_PATH_MAX], char hi[ACCESS_PATH_MAX], struct dom_err *e)
{
	struct region r;
	size_t n;
	int rc;

	scope_range(p, lo, hi);
	if (!region)
		return 0;
	rc = region_load(c, p, region, &r);
	region_release(&r);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_set(e, 503, "read_failed", "读取区划失败，请稍后重试");
		else
			dom_err_set(e, 404, "not_found", "区划 %s 不存在", region);
		return 1;
	}
	/* The region's subtree, narrowed by the scope (the region is inside it, so its subtree is
	   too, except for grid workers who are filtered per grid). */
	n = strlen(r.path);
	memcpy(lo, r.path, n + 1);
	memcpy(hi, r.path, n + 1);
	hi[n - 1] = (char)(hi[n - 1] + 1);
	return 0;
}

static char *like_pattern(const char *q)
{
	size_t n = strlen(q);
	char *out = malloc(2 * n + 3), *o = out;

	if (!out)
		return NULL;
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

json_t *grid_list(struct store *s, const struct principal *p, const struct grid_filter *f,
                  struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	char *like = NULL;
	json_t *items = NULL;
	int64_t total = 0;
	int rc;

	if (!c) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	if (filter_range(c, p, f->region, lo, hi, e))
		return NULL;
	if (f->q && f->q[0] && !(like = like_pattern(f->q))) {
		dom_err_set(e, 500, "internal", "内存不足");
		return NULL;
	}
	/* Rows are filtered per grid in C (grid workers' own grids), so paging is done here too. */
	st = store_prepare(c,
	                   "SELECT " GRID_COLS GRID_FROM "WHERE g.path >= ? AND g.path < ? "
	                   "AND (? < 0 OR g.status = CASE WHEN ? = 1 THEN 'retired' ELSE 'active' "
	                   "END) AND (? = 0 OR g.kind = ?) "
	                   "AND (? IS NULL OR g.name LIKE ? ESCAPE '\\') ORDER BY g.code");
	if (!st) {
		free(like);
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_int64(st, 3, f->status);
	store_bind_int64(st, 4, f->status);
	store_bind_int64(st, 5, f->kind);
	store_bind_int64(st, 6, f->kind);
	store_bind_text(st, 7, like, -1);
	store_bind_text(st, 8, like, -1);
	items = json_array();
	while ((rc = store_step(st)) == STORE_ROW) {
		struct grid g;

		if (!grid_visible(p, store_col_int64(st, 0), store_col_text(st, 4)))
			continue;
		if (total++ < f->offset || (int64_t)json_array_size(items) >= f->limit)
			continue;
		grid_from_row(st, &g, 0);
		json_array_append_new(items, grid_to_json(&g, 0));
		grid_release(&g);
	}
	store_reset(st);
	free(like);
	if (rc != STORE_DONE) {
		json_decref(items);
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	return json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                 (json_int_t)f->limit, "offset", (json_int_t)f->offset);
}

json_t *grid_geojson(struct store *s, const struct principal *p, const char *region12, int status,
                     struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	json_t *features;
	int rc;

	if (!c) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	if (filter_range(c, p, region12, lo, hi, e))
		return NULL;
	st = store_prepare(c, "SELECT " GRID_COLS GRID_FROM
	                      "WHERE g.path >= ? AND g.path < ? AND (? < 0 OR g.status = 'active') "
	                      "ORDER BY g.code");
	if (!st) {
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_int64(st, 3, status);
	features = json_array();
	while ((rc = store_step(st)) == STORE_ROW) {
		struct grid g;
		json_t *geom, *props;

		if (!grid_visible(p, store_col_int64(st, 0), store_col_text(st, 4)))
			continue;
		grid_from_row(st, &g, 1);
		geom = g.boundary ? json_loads(g.boundary, 0, NULL) : NULL;
		props = json_pack(
		        "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "code", g.code, "name", g.name, "kind",
		        grid_kind_name(g.kind), "kind_label", grid_kind_label(g.kind), "status",
		        g.retired ? "retired" : "active", "residents", (json_int_t)g.residents,
		        "households", (json_int_t)g.households, "community_code", g.community_code);
		json_object_set_new(props, "subtype",
		                    g.subtype[0] ? json_string(g.subtype) : json_null());
		json_array_append_new(features,
		                      json_pack("{s:s,s:s,s:o,s:o}", "type", "Feature", "id",
		                                g.code, "geometry", geom ? geom : json_null(),
		                                "properties", props));
		grid_release(&g);
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(features);
		dom_err_set(e, 503, "read_failed", "读取网格失败，请稍后重试");
		return NULL;
	}
	return json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", features);
}
