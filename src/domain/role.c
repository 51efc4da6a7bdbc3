/*
 * Roles and grants (role.h): permissions of built-in and custom roles, the roles of a user, the
 * security administrator's custom roles, and the grants with their separation rules.
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/legacy_write.h"
#include "domain/role.h"
#include "domain/user.h"
#include "store/store.h"

/* Adds the permissions of one role (built-in from the catalog, custom from the database). */
static int role_perms(struct store_conn *c, int64_t role_id, const char *name, int builtin,
                      struct perm_set *out)
{
	struct store_stmt *st;
	int rc;

	if (builtin) {
		const struct builtin_role *b = builtin_role_find(name);
		struct perm_set s;
		if (b) {
			builtin_role_perms(b, &s);
			perm_set_union(out, &s);
		}
		return 0;
	}
	st = store_prepare(c, "SELECT permission FROM role_permissions WHERE role_id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, role_id);
	while ((rc = store_step(st)) == STORE_ROW)
		perm_set_add_name(out, store_col_text(st, 0)); /* unknown names are ignored */
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

/* The union of a user's roles; *grid_worker set when one of them is the grid worker role. */
int role_user_perms(struct store_conn *c, int64_t user_id, struct perm_set *out, int *grid_worker)
{
	struct store_stmt *st;
	struct {
		int64_t id;
		char name[ROLE_NAME_MAX + 1];
		int builtin;
	} roles[32];
	int n = 0, rc;

	memset(out, 0, sizeof *out);
	if (grid_worker)
		*grid_worker = 0;
	st = store_prepare(c, "SELECT r.id, r.name, r.builtin FROM user_roles ur JOIN roles r ON "
	                      "r.id = ur.role_id WHERE ur.user_id = ? ORDER BY r.id");
	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	while ((rc = store_step(st)) == STORE_ROW && n < 32) {
		roles[n].id = store_col_int64(st, 0);
		dom_copy(roles[n].name, sizeof roles[n].name, store_col_text(st, 1));
		roles[n].builtin = (int)store_col_int64(st, 2);
		n++;
	}
	store_reset(st);
	if (rc != STORE_DONE && rc != STORE_ROW)
		return -1;
	for (int i = 0; i < n; i++) {
		if (role_perms(c, roles[i].id, roles[i].name, roles[i].builtin, out) < 0)
			return -1;
		if (grid_worker && roles[i].builtin && strcmp(roles[i].name, "grid_worker") == 0)
			*grid_worker = 1;
	}
	return 0;
}

json_t *role_user_json(struct store_conn *c, int64_t user_id)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT r.name, r.label FROM user_roles ur JOIN "
	                         "roles r ON r.id = ur.role_id WHERE ur.user_id = ? "
	                         "ORDER BY r.id");
	json_t *a = json_array();

	if (!st)
		return a;
	store_bind_int64(st, 1, user_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", store_col_text(st, 0),
		                                   "label", store_col_text(st, 1)));
	store_reset(st);
	return a;
}

/* Sets "roles" ({name,label} like role_user_json) on every item of a page of users
   (objects with an integer "id", ordered by id) with one query over the page's id range. */
int role_attach_to_users(struct store_conn *c, json_t *items)
{
	struct store_stmt *st;
	size_t n = json_array_size(items), i = 0;
	json_t *item;
	int rc;

	if (n == 0)
		return 0;
	json_array_foreach(items, i, item) json_object_set_new(item, "roles", json_array());
	st = store_prepare(c, "SELECT ur.user_id, r.name, r.label FROM user_roles ur JOIN roles r "
	                      "ON r.id = ur.role_id WHERE ur.user_id >= ? AND ur.user_id <= ? "
	                      "ORDER BY ur.user_id, r.id");
	if (!st)
		return -1;
	store_bind_int64(st, 1,
	                 json_integer_value(json_object_get(json_array_get(items, 0), "id")));
	store_bind_int64(st, 2,
	                 json_integer_value(json_object_get(json_array_get(items, n - 1), "id")));
	i = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t uid = store_col_int64(st, 0);

		/* Both sides ascend by id: advance to the user (users of the range that are not on
		   the page, filtered out, are skipped). */
		while (i < n &&
		       json_integer_value(json_object_get(json_array_get(items, i), "id")) < uid)
			i++;
		if (i == n)
			continue;
		item = json_array_get(items, i);
		if (json_integer_value(json_object_get(item, "id")) == uid)
			json_array_append_new(json_object_get(item, "roles"),
			                      json_pack("{s:s,s:s}", "name", store_col_text(st, 1),
			                                "label", store_col_text(st, 2)));
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

int role_grant_conn(struct store_conn *c, int64_t user_id, const char *role, int64_t granted_by,
                    int64_t now)
{
	struct store_stmt *st = store_prepare(c, "INSERT INTO user_roles (user_id, role_id, "
	                                         "granted_by, granted_at) SELECT ?, id, ?, ? FROM "
	                                         "roles WHERE name = ?");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, user_id);
	if (granted_by)
		store_bind_int64(st, 2, granted_by);
	else
		store_bind_null(st, 2);
	store_bind_int64(st, 3, now);
	store_bind_text(st, 4, role, -1);
	rc = dom_step_done(st);
	if (rc)
		return rc;
	return store_changes(c) == 1 ? 0 : STORE_ERR;
}

/* ---- roles of users ---- */

struct roles_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	const char *const *names;
	size_t n;
	char joined[512];
	int refused;
	struct dom_err *e;
};

static int set_roles_fn(struct store_conn *c, void *arg)
{
	struct roles_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	struct perm_set total = { 0 };
	char obj[40];
	int rc = user_visible(c, w->x, w->id, &u, w->e);

	if (rc)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	if (w->id == w->p->user_id) {
		dom_err_set(w->e, 403, "self_grant", "不能为自己授予或更改角色");
		w->refused = 1;
		return legacy_audit(c, w->x, w->p, "user.roles", obj, "denied", w->joined);
	}
	/* Resolve every name and compute the resulting permissions. */
	for (size_t i = 0; i < w->n; i++) {
		int64_t rid = 0, builtin = 0;
		st = store_prepare(c, "SELECT id, builtin FROM roles WHERE name = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, w->names[i], -1);
		if (store_step(st) == STORE_ROW) {
			rid = store_col_int64(st, 0);
			builtin = store_col_int64(st, 1);
		}
		store_reset(st);
		if (!rid) {
			dom_err_set(w->e, 400, "unknown_role", "未知角色 %s", w->names[i]);
			return 1;
		}
		if (role_perms(c, rid, w->names[i], (int)builtin, &total) < 0)
			return STORE_ERR;
	}
	if (!perm_set_separated(&total)) {
		dom_err_set(w->e, 409, "separation",
		            "系统管理、安全管理、安全审计的权限不能授予同一用户（三员分立）");
		w->refused = 1;
		return legacy_audit(c, w->x, w->p, "user.roles", obj, "denied", w->joined);
	}
	st = store_prepare(c, "DELETE FROM user_roles WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		rc = role_grant_conn(c, w->id, w->names[i], w->p->user_id, w->x->now);
		if (rc == STORE_CONSTRAINT)
			continue; /* the same name twice */
		if (rc)
			return rc;
	}
	/* New rights apply at the next request; existing sessions stay (they re-read roles). */
	return legacy_audit(c, w->x, w->p, "user.roles", obj, "success", w->joined);
}

int role_assign(const struct dom_ctx *x, int64_t id, const char *const *roles, size_t n,
                struct dom_err *e)
{
	struct roles_write w = { .x = x, .p = x->caller, .id = id, .names = roles, .n = n, .e = e };
	size_t o = strlen("角色：");

	memcpy(w.joined, "角色：", o + 1);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(w.joined + o, sizeof w.joined - o, "%s%s", i ? "," : "", roles[i]);
		if (k < 0 || (size_t)k >= sizeof w.joined - o)
			break;
		o += (size_t)k;
	}
	if (legacy_write(x->store, set_roles_fn, &w, e) < 0 || w.refused)
		return -1;
	return 0;
}

/* ---- roles ---- */

json_t *role_list_json(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out)
		goto fail;
	st = store_prepare(c, "SELECT r.id, r.name, r.label, r.builtin, (SELECT count(*) FROM "
	                      "user_roles ur WHERE ur.role_id = r.id) FROM roles r ORDER BY r.id");
	if (!st)
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct perm_set ps = { 0 };
		json_t *perms = json_array();
		const char *name = store_col_text(st, 1);
		int builtin = (int)store_col_int64(st, 3);

		if (role_perms(c, store_col_int64(st, 0), name, builtin, &ps) < 0) {
			json_decref(perms);
			store_reset(st);
			goto fail;
		}
		for (size_t i = 0; i < permission_count; i++)
			if (perm_set_has(&ps, (int)i))
				json_array_append_new(perms,
				                      json_string(permission_catalog[i].name));
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:b,s:o,s:I}", "id",
		                                     (json_int_t)store_col_int64(st, 0), "name",
		                                     name, "label", store_col_text(st, 2),
		                                     "builtin", builtin, "permissions", perms,
		                                     "users", (json_int_t)store_col_int64(st, 4)));
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	return out;
fail:
	json_decref(out);
	dom_err_set(e, 503, "read_failed", "读取角色失败，请稍后重试");
	return NULL;
}

static int role_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > ROLE_NAME_MAX || !islower((unsigned char)name[0]))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int perms_validate(const char *const *perms, size_t n, struct perm_set *out,
                          struct dom_err *e)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (!permission_grantable(perms[i])) {
			dom_err_set(e, 400, "unknown_permission", "权限 %s 不存在或不可授予",
			            perms[i] ? perms[i] : "");
			return -1;
		}
		perm_set_add_name(out, perms[i]);
	}
	if (!perm_set_separated(out)) {
		dom_err_set(e, 409, "separation",
		            "系统管理、安全管理、安全审计的权限不能放在同一角色中（三员分立）");
		return -1;
	}
	return 0;
}

struct role_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	const char *name, *label;
	const char *const *perms;
	size_t n;
	int set_perms;
	int refused;
	char joined[1024];
	struct dom_err *e;
};

static int write_role_perms(struct store_conn *c, struct role_write *w)
{
	struct store_stmt *st = store_prepare(c, "DELETE FROM role_permissions WHERE role_id = ?");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		st = store_prepare(c,
		                   "INSERT INTO role_permissions (role_id, permission) VALUES (?, "
		                   "?) ON CONFLICT DO NOTHING");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		store_bind_text(st, 2, w->perms[i], -1);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	return 0;
}

static void join_perms(struct role_write *w)
{
	size_t o = strlen("权限：");

	memcpy(w->joined, "权限：", o + 1);
	for (size_t i = 0; w->perms && i < w->n; i++) {
		int k = snprintf(w->joined + o, sizeof w->joined - o, "%s%s", i ? "," : "",
		                 w->perms[i]);
		if (k < 0 || (size_t)k >= sizeof w->joined - o)
			break;
		o += (size_t)k;
	}
}

static int role_create_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char obj[64];
	int64_t now = w->x->now;
	int rc;

	st = store_prepare(c, "INSERT INTO roles (name, label, builtin, created_at, updated_at) "
	                      "VALUES (?, ?, 0, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_text(st, 2, w->label, -1);
	store_bind_int64(st, 3, now);
	store_bind_int64(st, 4, now);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "角色 %s 已存在", w->name);
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	if ((rc = write_role_perms(c, w)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "role:%s", w->name);
	return legacy_audit(c, w->x, w->p, "role.create", obj, "success", w->joined);
}

int role_create(const struct dom_ctx *x, const char *name, const char *label,
                const char *const *perms, size_t n, int64_t *id, struct dom_err *e)
{
	struct role_write w = {
		.x = x, .p = x->caller, .name = name, .label = label, .perms = perms, .n = n, .e = e
	};
	struct perm_set ps;
	char msg[128];

	if (!role_name_ok(name)) {
		dom_err_set(e, 400, "bad_name", "角色标识须为 3 到 32 个小写字母、数字或下划线");
		return -1;
	}
	if (!dom_name_valid(label, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
		return -1;
	}
	if (perms_validate(perms, n, &ps, e) < 0)
		return -1;
	join_perms(&w);
	if (legacy_write(x->store, role_create_fn, &w, e) < 0)
		return -1;
	*id = w.id;
	return 0;
}

/* Loads a role row: 1 found, 0 not, -1 error. */
static int role_row(struct store_conn *c, int64_t id, char *name, size_t nlen, int *builtin,
                    int64_t *holders, int64_t caller)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT name, builtin, (SELECT count(*) FROM user_roles WHERE role_id = r.id), "
	           "(SELECT count(*) FROM user_roles WHERE role_id = r.id AND user_id = ?) FROM "
	           "roles r WHERE id = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_int64(st, 1, caller);
	store_bind_int64(st, 2, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		dom_copy(name, nlen, store_col_text(st, 0));
		*builtin = (int)store_col_int64(st, 1);
		holders[0] = store_col_int64(st, 2);
		holders[1] = store_col_int64(st, 3);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

static int role_update_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char name[ROLE_NAME_MAX + 1], obj[64];
	int builtin = 0, rc;
	int64_t holders[2] = { 0, 0 };

	rc = role_row(c, w->id, name, sizeof name, &builtin, holders, w->p->user_id);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "角色不存在");
		return 1;
	}
	snprintf(obj, sizeof obj, "role:%s", name);
	if (builtin) {
		dom_err_set(w->e, 403, "builtin_role", "内置角色的权限由系统规定，不能修改");
		return 1;
	}
	if (holders[1]) {
		dom_err_set(w->e, 403, "self_grant", "不能修改自己所持有的角色");
		w->refused = 1;
		return legacy_audit(c, w->x, w->p, "role.update", obj, "denied", w->joined);
	}
	if (w->set_perms) {
		/* Every holder must stay within one administrator family. */
		if ((rc = write_role_perms(c, w)) != 0)
			return rc;
		st = store_prepare(c, "SELECT user_id FROM user_roles WHERE role_id = ?");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		while (store_step(st) == STORE_ROW) {
			struct perm_set total;
			int64_t uid = store_col_int64(st, 0);
			/* role_user_perms prepares other statements; this one stays valid. */
			if (role_user_perms(c, uid, &total, NULL) < 0) {
				store_reset(st);
				return STORE_ERR;
			}
			if (!perm_set_separated(&total)) {
				store_reset(st);
				dom_err_set(w->e, 409, "separation",
				            "修改后用户 %" PRId64
				            " 将同时持有两类管理员权限（三员分立）",
				            uid);
				return 1;
			}
		}
		store_reset(st);
	}
	st = store_prepare(c, "UPDATE roles SET label = coalesce(?, label), updated_at = ? WHERE "
	                      "id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->label, -1);
	store_bind_int64(st, 2, w->x->now);
	store_bind_int64(st, 3, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	return legacy_audit(c, w->x, w->p, "role.update", obj, "success",
	                    w->set_perms ? w->joined : "修改名称");
}

int role_update(const struct dom_ctx *x, int64_t id, const char *label, const char *const *perms,
                size_t n, struct dom_err *e)
{
	struct role_write w = { .x = x,
		                .p = x->caller,
		                .id = id,
		                .label = label,
		                .perms = perms,
		                .n = n,
		                .set_perms = perms != NULL,
		                .e = e };
	struct perm_set ps;
	char msg[128];

	if (label && !dom_name_valid(label, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
		return -1;
	}
	if (perms && perms_validate(perms, n, &ps, e) < 0)
		return -1;
	join_perms(&w);
	if (legacy_write(x->store, role_update_fn, &w, e) < 0 || w.refused)
		return -1;
	return 0;
}

static int role_delete_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char name[ROLE_NAME_MAX + 1], obj[64];
	int builtin = 0, rc;
	int64_t holders[2] = { 0, 0 };

	rc = role_row(c, w->id, name, sizeof name, &builtin, holders, w->p->user_id);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "角色不存在");
		return 1;
	}
	if (builtin) {
		dom_err_set(w->e, 403, "builtin_role", "内置角色不能删除");
		return 1;
	}
	if (holders[0]) {
		dom_err_set(w->e, 409, "role_in_use", "仍有 %" PRId64 " 个用户持有该角色",
		            holders[0]);
		return 1;
	}
	st = store_prepare(c, "DELETE FROM role_permissions WHERE role_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM roles WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "role:%s", name);
	return legacy_audit(c, w->x, w->p, "role.delete", obj, "success", "");
}

int role_delete(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct role_write w = { .x = x, .p = x->caller, .id = id, .e = e };

	return legacy_write(x->store, role_delete_fn, &w, e);
}

int64_t role_holder_count(const struct dom_ctx *x, const char *name)
{
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	int64_t n = -1;

	if (!c || !(st = store_prepare(c, "SELECT count(*) FROM user_roles ur JOIN roles r ON r.id "
	                                  "= ur.role_id WHERE r.name = ?")))
		return -1;
	store_bind_text(st, 1, name, -1);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}
