/*
 * Organisations (org.h): reads scoped by the caller's region subtree, creation inside it, renames
 * and disabling.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/legacy_write.h"
#include "domain/org.h"
#include "store/store.h"

enum org_kind org_kind_from_name(const char *kind)
{
	if (!kind)
		return ORG_NONE;
	if (strcmp(kind, "center") == 0)
		return ORG_CENTER;
	if (strcmp(kind, "department") == 0)
		return ORG_DEPARTMENT;
	if (strcmp(kind, "committee") == 0)
		return ORG_COMMITTEE;
	if (strcmp(kind, "grid_team") == 0)
		return ORG_GRID_TEAM;
	return ORG_NONE;
}

/* ---- organisations ---- */

static const char org_cols[] =
        "SELECT o.id, o.name, o.kind, coalesce(o.level, ''), o.region_code, r.name, r.path, "
        "o.disabled, o.created_at, o.updated_at FROM organisations o JOIN regions r ON r.code = "
        "o.region_code ";

static void org_from_row(struct store_stmt *st, struct org *o)
{
	o->id = store_col_int64(st, 0);
	dom_copy(o->name, sizeof o->name, store_col_text(st, 1));
	dom_copy(o->kind, sizeof o->kind, store_col_text(st, 2));
	dom_copy(o->level, sizeof o->level, store_col_text(st, 3));
	dom_copy(o->region_code, sizeof o->region_code, store_col_text(st, 4));
	dom_copy(o->region_name, sizeof o->region_name, store_col_text(st, 5));
	dom_copy(o->region_path, sizeof o->region_path, store_col_text(st, 6));
	o->disabled = (int)store_col_int64(st, 7);
	o->created_at = store_col_int64(st, 8);
	o->updated_at = store_col_int64(st, 9);
}

int org_load(struct store_conn *c, const struct principal *p, int64_t id, struct org *out)
{
	char sql[512], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	int rc, found = -1;

	snprintf(sql, sizeof sql, "%sWHERE o.id = ? AND r.path >= ? AND r.path < ?", org_cols);
	access_scope_range(p, lo, hi);
	if (!c || !(st = store_prepare(c, sql)))
		return -1;
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, lo, -1);
	store_bind_text(st, 3, hi, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		org_from_row(st, out);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

static const char *org_kind_label(const char *kind)
{
	if (strcmp(kind, "center") == 0)
		return "网格化服务管理中心";
	if (strcmp(kind, "department") == 0)
		return "职能部门";
	if (strcmp(kind, "committee") == 0)
		return "村(居)民委员会";
	if (strcmp(kind, "grid_team") == 0)
		return "网格员队伍";
	return "";
}

json_t *org_to_json(const struct org *o)
{
	char t1[32], t2[32];

	return json_pack("{s:I,s:s,s:s,s:s,s:s*,s:s,s:s,s:b,s:s,s:s}", "id", (json_int_t)o->id,
	                 "name", o->name, "kind", o->kind, "kind_label", org_kind_label(o->kind),
	                 "level", o->level[0] ? o->level : NULL, "region_code", o->region_code,
	                 "region_name", o->region_name, "disabled", o->disabled, "created_at",
	                 clock_format_local(o->created_at, t1, sizeof t1), "updated_at",
	                 clock_format_local(o->updated_at, t2, sizeof t2));
}

json_t *org_list(const struct dom_ctx *x, const char *kind, int64_t limit, int64_t offset,
                 struct dom_err *e)
{
	const struct principal *p = x->caller;
	struct store_conn *c = store_reader(x->store);
	char sql[640], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	json_t *items = json_array(), *out = NULL;
	int64_t total = 0;
	int rc;

	access_scope_range(p, lo, hi);
	if (!c || !items)
		goto fail;
	st = store_prepare(c, "SELECT count(*) FROM organisations o JOIN regions r ON r.code = "
	                      "o.region_code WHERE r.path >= ? AND r.path < ? AND (? IS NULL OR "
	                      "o.kind = ?)");
	if (!st)
		goto fail;
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_text(st, 3, kind, -1);
	store_bind_text(st, 4, kind, -1);
	if (store_step(st) == STORE_ROW)
		total = store_col_int64(st, 0);
	store_reset(st);
	snprintf(sql, sizeof sql,
	         "%sWHERE r.path >= ? AND r.path < ? AND (? IS NULL OR o.kind = ?) "
	         "ORDER BY r.path, o.kind, o.id LIMIT ? OFFSET ?",
	         org_cols);
	st = store_prepare(c, sql);
	if (!st)
		goto fail;
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_text(st, 3, kind, -1);
	store_bind_text(st, 4, kind, -1);
	store_bind_int64(st, 5, limit);
	store_bind_int64(st, 6, offset);
	while ((rc = store_step(st)) == STORE_ROW) {
		struct org o;
		org_from_row(st, &o);
		json_array_append_new(items, org_to_json(&o));
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                (json_int_t)limit, "offset", (json_int_t)offset);
	return out;
fail:
	json_decref(items);
	dom_err_set(e, 503, "read_failed", "读取组织机构失败，请稍后重试");
	return NULL;
}

/* Looks up a region's path if it is inside p's scope: 1, 0 not found/out of scope, -1 error. */
static int region_in_scope(struct store_conn *c, const struct principal *p, const char *code,
                           char path[ACCESS_PATH_MAX])
{
	struct store_stmt *st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		dom_copy(path, ACCESS_PATH_MAX, store_col_text(st, 0));
		found = access_sees_region(p, path) ? 1 : 0;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

struct org_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	const char *name, *kind, *level, *region_code;
	int disabled;
	int ensure; /* return the existing id on a duplicate */
	struct dom_err *e;
};

static int org_create_fn(struct store_conn *c, void *arg)
{
	struct org_write *w = arg;
	char path[ACCESS_PATH_MAX], obj[40];
	struct store_stmt *st;
	int64_t now = w->x->now;
	int rc;

	rc = region_in_scope(c, w->p, w->region_code, path);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "unknown_region", "区划 %s 不存在或不在管辖范围内",
		            w->region_code);
		return 1;
	}
	if (w->ensure) {
		st = store_prepare(
		        c, "SELECT id FROM organisations WHERE region_code = ? AND name = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, w->region_code, -1);
		store_bind_text(st, 2, w->name, -1);
		if (store_step(st) == STORE_ROW) {
			w->id = store_col_int64(st, 0);
			store_reset(st);
			return 0;
		}
		store_reset(st);
	}
	st = store_prepare(c, "INSERT INTO organisations (name, kind, level, region_code, "
	                      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_text(st, 2, w->kind, -1);
	store_bind_text(st, 3, w->level && *w->level ? w->level : NULL, -1);
	store_bind_text(st, 4, w->region_code, -1);
	store_bind_int64(st, 5, now);
	store_bind_int64(st, 6, now);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "该区划下已有同名组织机构");
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	snprintf(obj, sizeof obj, "org:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, "org.create", obj, "success", w->name);
}

static int org_validate(const char *name, const char *kind, const char *level, struct dom_err *e)
{
	char msg[128];

	if (!dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "%s", msg);
		return -1;
	}
	if (org_kind_from_name(kind) == ORG_NONE) {
		dom_err_set(e, 400, "bad_kind",
		            "kind 必须是 center、department、committee 或 grid_team 之一");
		return -1;
	}
	if (strcmp(kind, "center") == 0) {
		if (!level || (strcmp(level, "city") && strcmp(level, "county") &&
		               strcmp(level, "township"))) {
			dom_err_set(e, 400, "bad_level",
			            "中心的 level 必须是 city、county 或 township");
			return -1;
		}
	} else if (level && *level) {
		dom_err_set(e, 400, "bad_level", "只有中心需要 level");
		return -1;
	}
	return 0;
}

int org_create(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
               const char *region_code, int64_t *id, struct dom_err *e)
{
	struct org_write w = { .x = x,
		               .p = x->caller,
		               .name = name,
		               .kind = kind,
		               .level = level,
		               .region_code = region_code,
		               .e = e };

	if (org_validate(name, kind, level, e) < 0)
		return -1;
	if (!region_code || strlen(region_code) != 12) {
		dom_err_set(e, 400, "bad_region", "region_code 必须是 12 位区划代码");
		return -1;
	}
	if (legacy_write(x->store, org_create_fn, &w, e) < 0)
		return -1;
	*id = w.id;
	return 0;
}

int64_t org_ensure(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
                   const char *region_code)
{
	struct dom_err e = { 0 };
	struct org_write w = { .x = x,
		               .p = access_system(),
		               .name = name,
		               .kind = kind,
		               .level = level,
		               .region_code = region_code,
		               .ensure = 1,
		               .e = &e };

	if (org_validate(name, kind, level, &e) < 0 || store_write(x->store, org_create_fn, &w)) {
		log_error("org.ensure_failed", "region=%s code=%s", region_code,
		          e.code ? e.code : "write");
		return -1;
	}
	return w.id;
}

static int org_update_fn(struct store_conn *c, void *arg)
{
	struct org_write *w = arg;
	struct org o;
	struct store_stmt *st;
	char obj[40];
	int rc = org_load(c, w->p, w->id, &o);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "组织机构不存在");
		return 1;
	}
	st = store_prepare(c,
	                   "UPDATE organisations SET name = coalesce(?, name), disabled = "
	                   "CASE WHEN ? < 0 THEN disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_int64(st, 2, w->disabled);
	store_bind_int64(st, 3, w->disabled);
	store_bind_int64(st, 4, w->x->now);
	store_bind_int64(st, 5, w->id);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "该区划下已有同名组织机构");
		return 1;
	}
	if (rc)
		return rc;
	snprintf(obj, sizeof obj, "org:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, "org.update", obj, "success", w->name ? w->name : "");
}

int org_update(const struct dom_ctx *x, int64_t id, const char *name, int disabled,
               struct dom_err *e)
{
	struct org_write w = {
		.x = x, .p = x->caller, .id = id, .name = name, .disabled = disabled, .e = e
	};
	char msg[128];

	if (name && !dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "%s", msg);
		return -1;
	}
	return legacy_write(x->store, org_update_fn, &w, e);
}
