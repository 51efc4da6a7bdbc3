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
#include "domain/org.h"
#include "domain/role.h"
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
        "o.disabled, o.created_at, o.updated_at, coalesce(o.supervision_phone, '') "
        "FROM organisations o JOIN regions r ON r.code = o.region_code ";

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
	dom_copy(o->supervision_phone, sizeof o->supervision_phone, store_col_text(st, 10));
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

	/* supervision_phone: a center's phone on the public notice boards (Art. 15; null when none,
	   and for other kinds). */
	return json_pack("{s:I,s:s,s:s,s:s,s:s*,s:s,s:s,s:b,s:s,s:s,s:s?}", "id", (json_int_t)o->id,
	                 "name", o->name, "kind", o->kind, "kind_label", org_kind_label(o->kind),
	                 "level", o->level[0] ? o->level : NULL, "region_code", o->region_code,
	                 "region_name", o->region_name, "disabled", o->disabled, "created_at",
	                 clock_format_local(o->created_at, t1, sizeof t1), "updated_at",
	                 clock_format_local(o->updated_at, t2, sizeof t2), "supervision_phone",
	                 o->supervision_phone[0] ? o->supervision_phone : NULL);
}

int org_get(const struct dom_ctx *x, int64_t id, struct org *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int rc;

	if (!c)
		return -1;
	rc = org_load(c, x->caller, id, out);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "组织机构不存在");
	return 0;
}

/* An organisation row (org_cols) as JSON (dom_row_fn). */
static json_t *org_row_json(struct store_stmt *st, void *arg)
{
	struct org o;

	(void)arg;
	org_from_row(st, &o);
	return org_to_json(&o);
}

json_t *org_list(const struct dom_ctx *x, const char *kind, const struct dom_page *pg,
                 struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char sql[1024], scope[DOM_SCOPE_SQL_MAX];
	struct store_stmt *st;
	int64_t after;
	int k = 1;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	dom_scope_sql(x->caller, "r.path", NULL, scope);
	/* In region order (the tree as the page shows it), then by id; the cursor is the last
	   organisation's id, whose region path the query looks up. */
	(void)snprintf(sql, sizeof sql,
	               "%sWHERE (? = 0 OR (r.path, o.id) > ((SELECT r2.path FROM organisations o2 "
	               "JOIN regions r2 ON r2.code = o2.region_code WHERE o2.id = ?), ?))%s AND "
	               "(? IS NULL OR o.kind = ?) ORDER BY r.path, o.id LIMIT ?",
	               org_cols, scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, NULL, st, k);
	store_bind_text(st, k++, kind, -1);
	store_bind_text(st, k++, kind, -1);
	store_bind_int64(st, k, pg->limit + 1);
	return dom_page_collect(st, pg, org_row_json, NULL, e);
}

/* ---- writes ---- */

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

struct org_arg {
	int64_t id;
	const char *name, *kind, *level, *region_code;
	int disabled;
};

static int org_validate(const char *name, const char *kind, const char *level, struct dom_err *e)
{
	char msg[128];

	if (!dom_name_valid(name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "%s", msg);
	if (org_kind_from_name(kind) == ORG_NONE)
		return dom_err_set(e, 400, "bad_kind",
		                   "kind 必须是 center、department、committee 或 grid_team 之一");
	if (strcmp(kind, "center") == 0) {
		if (!level ||
		    (strcmp(level, "city") && strcmp(level, "county") && strcmp(level, "township")))
			return dom_err_set(e, 400, "bad_level",
			                   "中心的 level 必须是 city、county 或 township");
	} else if (level && *level) {
		return dom_err_set(e, 400, "bad_level", "只有中心需要 level");
	}
	return 0;
}

/* authorize: the organisation's region lies inside the caller's scope. */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct org_arg *a = w->arg;
	char path[ACCESS_PATH_MAX];
	int rc = region_in_scope(c, x->caller, a->region_code, path);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "unknown_region", "区划 %s 不存在或不在管辖范围内",
		                   a->region_code);
	return 0;
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct org_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "INSERT INTO organisations (name, kind, level, region_code, "
	                      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->name, -1);
	store_bind_text(st, 2, a->kind, -1);
	store_bind_text(st, 3, a->level && *a->level ? a->level : NULL, -1);
	store_bind_text(st, 4, a->region_code, -1);
	store_bind_int64(st, 5, x->now);
	store_bind_int64(st, 6, x->now);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT)
		return dom_err_set(e, 409, "duplicate", "该区划下已有同名组织机构");
	if (rc)
		return dom_err_store(e, rc);
	a->id = store_last_insert_id(c);
	dom_write_object(w, "org:%" PRId64, a->id);
	return 0;
}

int org_create(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
               const char *region_code, int64_t *id, struct dom_err *e)
{
	struct org_arg a = {
		.name = name, .kind = kind, .level = level, .region_code = region_code
	};
	struct dom_write w = { .action = "org.create",
		               .permission = "org.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a };

	if (org_validate(name, kind, level, e) < 0)
		return -1;
	if (!region_code || strlen(region_code) != 12)
		return dom_err_set(e, 400, "bad_region", "region_code 必须是 12 位区划代码");
	dom_write_object(&w, "region:%s", region_code);
	dom_write_detail(&w, "%s", name);
	if (dom_write(x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

/* The organisation called name in region_code, on the reader: its id, 0 when none, -1 error. */
static int64_t org_find(const struct dom_ctx *x, const char *region_code, const char *name)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);
	struct store_stmt *st;
	int64_t id = -1;
	int rc;

	if (!c || !(st = store_prepare(c, "SELECT id FROM organisations WHERE region_code = ? "
	                                  "AND name = ?")))
		return -1;
	store_bind_text(st, 1, region_code, -1);
	store_bind_text(st, 2, name, -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		id = store_col_int64(st, 0);
	else if (rc == STORE_DONE)
		id = 0;
	store_reset(st);
	return id;
}

int64_t org_ensure(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
                   const char *region_code)
{
	struct dom_err e = { 0 };
	int64_t id = org_find(x, region_code, name);

	/* The command line and the demo run alone, so looking first and creating after is safe;
	   a second run finds what the first made and writes nothing. */
	if (id > 0)
		return id;
	if (id < 0 || org_create(x, name, kind, level, region_code, &id, &e) < 0) {
		log_error("org.ensure_failed", "region=%s code=%s", region_code,
		          e.code ? e.code : "read");
		return -1;
	}
	return id;
}

/* authorize: the organisation exists inside the caller's scope, and it is not disabled while
   it holds enabled administrators (三员分立: disabling the organisation of the security
   administrator or the auditor would lock them out as surely as disabling their accounts, which
   the system administrator may not do; `wangge user org-enable` on the host undoes it). */
static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct org_arg *a = w->arg;
	struct org o;
	int rc = org_load(c, x->caller, a->id, &o);
	int64_t admins;

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "组织机构不存在");
	if (a->disabled > 0 && !o.disabled) {
		admins = role_family_holders(c, PERM_ADMIN_FAMILIES, a->id, 0, 0, 0);
		if (admins < 0)
			return dom_err_read(e);
		if (admins > 0)
			return dom_err_set(e, 409, "org_has_admins",
			                   "该组织机构有 %" PRId64
			                   " 个在用的系统管理员、安全管理员或审计员账号，不能停用",
			                   admins);
	}
	return 0;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct org_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c,
	                   "UPDATE organisations SET name = coalesce(?, name), disabled = "
	                   "CASE WHEN ? < 0 THEN disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->name, -1);
	store_bind_int64(st, 2, a->disabled);
	store_bind_int64(st, 3, a->disabled);
	store_bind_int64(st, 4, x->now);
	store_bind_int64(st, 5, a->id);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT)
		return dom_err_set(e, 409, "duplicate", "该区划下已有同名组织机构");
	return rc ? dom_err_store(e, rc) : 0;
}

int org_update(const struct dom_ctx *x, int64_t id, const char *name, int disabled,
               struct dom_err *e)
{
	struct org_arg a = { .id = id, .name = name, .disabled = disabled };
	struct dom_write w = { .action = "org.update",
		               .permission = "org.write",
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .arg = &a };
	char msg[128];

	if (name && !dom_name_valid(name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "%s", msg);
	dom_write_object(&w, "org:%" PRId64, id);
	/* Which fields change; the new name is not personal data. */
	dom_write_detail(&w, "%s%s%s", name ? name : "", name && disabled >= 0 ? "；" : "",
	                 disabled > 0    ? "停用"
	                 : disabled == 0 ? "启用"
	                                 : "");
	return dom_write(x, &w, e);
}
