/*
 * Roles and grants (role.h): permissions of built-in and custom roles, the roles of a user, the
 * security administrator's custom roles, and the grants with their separation rules.
 */
#include <ctype.h>
#include <sodium.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The union of a user's roles except the role called except (0: none); *grid_worker set when
   one of them is the grid worker role. */
static int user_perms(struct store_conn *c, int64_t user_id, int64_t except, struct perm_set *out,
                      int *grid_worker)
{
	struct store_stmt *st;
	struct {
		int64_t id;
		char name[ROLE_NAME_MAX + 1];
		int builtin;
	} roles[ROLE_GRANT_MAX];
	int n = 0, rc = STORE_DONE;

	memset(out, 0, sizeof *out);
	if (grid_worker)
		*grid_worker = 0;
	st = store_prepare(c, "SELECT r.id, r.name, r.builtin FROM user_roles ur JOIN roles r ON "
	                      "r.id = ur.role_id WHERE ur.user_id = ? AND r.id <> ? ORDER BY r.id");
	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	store_bind_int64(st, 2, except);
	while (n < ROLE_GRANT_MAX && (rc = store_step(st)) == STORE_ROW) {
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

int role_user_perms(struct store_conn *c, int64_t user_id, struct perm_set *out, int *grid_worker)
{
	return user_perms(c, user_id, 0, out, grid_worker);
}

int role_user_perms_except(struct store_conn *c, int64_t user_id, int64_t role_id,
                           struct perm_set *out)
{
	return user_perms(c, user_id, role_id, out, NULL);
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

/* The permissions of the role called name into *total (added); *found 0 when no such role. */
static int perms_of_name(struct store_conn *c, const char *name, struct perm_set *total, int *found)
{
	struct store_stmt *st = store_prepare(c, "SELECT id, builtin FROM roles WHERE name = ?");
	int64_t rid = 0, builtin = 0;

	*found = 0;
	if (!st)
		return -1;
	store_bind_text(st, 1, name, -1);
	if (store_step(st) == STORE_ROW) {
		rid = store_col_int64(st, 0);
		builtin = store_col_int64(st, 1);
	}
	store_reset(st);
	if (!rid)
		return 0;
	*found = 1;
	return role_perms(c, rid, name, (int)builtin, total);
}

/* Joins names into out after prefix: "角色：a,b,c" (truncated to fit). */
static void join_names(char *out, size_t cap, const char *prefix, const char *const *names,
                       size_t n)
{
	size_t o = strlen(prefix);

	if (o >= cap)
		return;
	memcpy(out, prefix, o + 1);
	for (size_t i = 0; names && i < n; i++) {
		int k = snprintf(out + o, cap - o, "%s%s", i ? "," : "", names[i]);

		if (k < 0 || (size_t)k >= cap - o)
			break;
		o += (size_t)k;
	}
}

/* ---- who holds what ---- */

/* Appends "?, ?, ..." (n placeholders, "NULL" when n is 0) to sql at *o. -1 when it does not
   fit. */
static int placeholders(char *sql, size_t cap, size_t *o, size_t n)
{
	for (size_t i = 0; i < (n ? n : 1); i++) {
		int k = snprintf(sql + *o, cap - *o, "%s%s", i ? ", " : "", n ? "?" : "NULL");

		if (k < 0 || (size_t)k >= cap - *o)
			return -1;
		*o += (size_t)k;
	}
	return 0;
}

int64_t role_family_holders(struct store_conn *c, unsigned families, int64_t org_id,
                            int64_t except_user, int64_t role_id, int role_has)
{
	const char *perms[PERM_SET_WORDS * 64], *roles[16];
	size_t np = 0, nr = 0, o;
	char sql[4096];
	struct store_stmt *st;
	int64_t n = -1;
	int k = 1, rc;

	for (size_t i = 0; i < permission_count; i++)
		if (families & (1u << permission_catalog[i].family))
			perms[np++] = permission_catalog[i].name;
	for (size_t i = 0; i < builtin_role_count && nr < 16; i++) {
		struct perm_set ps;

		builtin_role_perms(&builtin_roles[i], &ps);
		if (perm_set_families(&ps) & families)
			roles[nr++] = builtin_roles[i].name;
	}
	if (np == 0)
		return 0;
	/* The text depends on the catalog only, so it is the same on every call with the same
	   families and the statement cache keeps it. */
	o = (size_t)snprintf(
	        sql, sizeof sql, "%s",
	        "SELECT count(DISTINCT u.id) FROM users u JOIN organisations o ON o.id = u.org_id "
	        "JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id WHERE "
	        "u.disabled = 0 AND o.disabled = 0 AND (? = 0 OR u.org_id = ?) AND u.id <> ? AND "
	        "((r.id = ? AND ? = 1) OR (r.id <> ? AND ((r.builtin = 1 AND r.name IN (");
	if (placeholders(sql, sizeof sql, &o, nr) < 0 || o + 120 >= sizeof sql)
		return -1;
	o += (size_t)snprintf(sql + o, sizeof sql - o, "%s",
	                      ")) OR (r.builtin = 0 AND EXISTS (SELECT 1 FROM role_permissions rp "
	                      "WHERE rp.role_id = r.id AND rp.permission IN (");
	if (o >= sizeof sql || placeholders(sql, sizeof sql, &o, np) < 0 || o + 8 >= sizeof sql)
		return -1;
	(void)snprintf(sql + o, sizeof sql - o, "%s", "))))))");
	if (!(st = store_prepare(c, sql)))
		return -1;
	store_bind_int64(st, k++, org_id);
	store_bind_int64(st, k++, org_id);
	store_bind_int64(st, k++, except_user);
	store_bind_int64(st, k++, role_id);
	store_bind_int64(st, k++, role_has ? 1 : 0);
	store_bind_int64(st, k++, role_id);
	for (size_t i = 0; i < nr; i++)
		store_bind_text(st, k++, roles[i], -1);
	for (size_t i = 0; i < np; i++)
		store_bind_text(st, k++, perms[i], -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* 1 when the enabled holders of audit permissions would drop to none: with counts them now,
   without after the change. -1 on error. */
static int last_auditor_goes(int64_t with, int64_t without)
{
	if (with < 0 || without < 0)
		return -1;
	return with > 0 && without == 0;
}

static int last_auditor_refused(struct dom_err *e)
{
	return dom_err_set(e, 409, "last_auditor",
	                   "不能取消最后一名在用审计员的审计权限或停用其账号：系统须始终有审计员"
	                   "（三员分立）；请先为另一名用户授予审计员角色");
}

/* The names of user_id's roles joined after prefix into out (truncated to fit). */
static void user_role_names(struct store_conn *c, int64_t user_id, const char *prefix, char *out,
                            size_t cap)
{
	struct store_stmt *st = store_prepare(c, "SELECT r.name FROM user_roles ur JOIN roles r ON "
	                                         "r.id = ur.role_id WHERE ur.user_id = ? ORDER BY "
	                                         "r.id");
	size_t o = strlen(prefix);
	int i = 0;

	dom_copy(out, cap, prefix);
	if (!st || o >= cap)
		return;
	store_bind_int64(st, 1, user_id);
	while (store_step(st) == STORE_ROW) {
		int k = snprintf(out + o, cap - o, "%s%s", i++ ? "," : "", store_col_text(st, 0));

		if (k < 0 || (size_t)k >= cap - o)
			break;
		o += (size_t)k;
	}
	store_reset(st);
	if (i == 0)
		(void)snprintf(out + o, cap - o, "（无）");
}

/* ---- grants ---- */

struct assign_arg {
	int64_t id;
	const char *const *names;
	size_t n;
};

/* The auditor's roles (三员分立): a change of the roles of an account that holds or gains audit
   permissions is its own action, with the roles before and after, so the auditors see it as
   such; and the last enabled holder of audit permissions keeps them. */
static int auditor_rules(struct store_conn *c, struct assign_arg *a, struct dom_write *w,
                         const struct perm_set *after, struct dom_err *e)
{
	const unsigned audit = 1u << PERM_AUDIT;
	struct perm_set before;
	unsigned fb, fa = perm_set_families(after);
	char was[DOM_DETAIL_MAX / 2], now[DOM_DETAIL_MAX / 2];
	int rc;

	if (role_user_perms(c, a->id, &before, NULL) < 0)
		return dom_err_read(e);
	fb = perm_set_families(&before);
	if (!((fb | fa) & audit))
		return 0;
	w->action = "user.roles_auditor";
	user_role_names(c, a->id, "原角色：", was, sizeof was);
	if (a->n)
		join_names(now, sizeof now, "新角色：", a->names, a->n);
	else
		dom_copy(now, sizeof now, "新角色：（无）");
	dom_write_detail(w, "%s；%s", was, now);
	if (!(fb & audit) || (fa & audit))
		return 0;
	rc = last_auditor_goes(role_family_holders(c, audit, 0, 0, 0, 0),
	                       role_family_holders(c, audit, 0, a->id, 0, 0));
	if (rc < 0)
		return dom_err_read(e);
	return rc ? last_auditor_refused(e) : 0;
}

/* authorize: the user lies inside the caller's scope, is not the caller (no self grant), every
   role exists, and the roles together hold at most one administrator family. */
static int assign_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct assign_arg *a = w->arg;
	struct perm_set total = { 0 };
	struct user_view u;

	if (user_load_for_write(c, x, a->id, &u, e) < 0)
		return -1;
	sodium_memzero(&u, sizeof u);
	if (a->id == x->caller->user_id)
		return dom_err_set(e, 403, "self_grant", "不能为自己授予或更改角色");
	for (size_t i = 0; i < a->n; i++) {
		int found;

		if (perms_of_name(c, a->names[i], &total, &found) < 0)
			return dom_err_read(e);
		if (!found)
			return dom_err_set(e, 400, "unknown_role", "未知角色 %s", a->names[i]);
	}
	if (!perm_set_separated(&total))
		return dom_err_set(
		        e, 409, "separation",
		        "系统管理、安全管理、安全审计的权限不能授予同一用户（三员分立）");
	return auditor_rules(c, a, w, &total, e);
}

static int assign_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct assign_arg *a = w->arg;
	int rc;

	if (dom_exec(c, e, "DELETE FROM user_roles WHERE user_id = ?", "i", a->id) < 0)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		rc = role_grant_conn(c, a->id, a->names[i], x->caller->user_id, x->now);
		if (rc == STORE_CONSTRAINT)
			continue; /* the same name twice */
		if (rc)
			return dom_err_store(e, rc);
	}
	/* New rights apply at the next request: callers are loaded per request. */
	return 0;
}

int role_assign(const struct dom_ctx *x, int64_t id, const char *const *roles, size_t n,
                struct dom_err *e)
{
	struct assign_arg a = { .id = id, .names = roles, .n = n };
	struct dom_write w = { .action = "user.roles",
		               .permission = "role.assign",
		               .authorize = assign_authorize,
		               .apply = assign_apply,
		               .arg = &a };

	if (n > ROLE_GRANT_MAX)
		return dom_err_set(e, 400, "bad_request", "一个用户最多持有 %d 个角色",
		                   ROLE_GRANT_MAX);
	dom_write_object(&w, "user:%" PRId64, id);
	join_names(w.detail, sizeof w.detail, "角色：", roles, n);
	return dom_write(x, &w, e);
}

/* ---- roles ---- */

/* [{id,name,label,builtin,permissions,users}] of every role, or only of role id (id > 0). */
static json_t *roles_json(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out)
		goto fail;
	/* Holders are counted inside the caller's scope only. */
	dom_scope_sql(x->caller, "rg.path", NULL, scope);
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT r.id, r.name, r.label, r.builtin, (SELECT count(*) FROM user_roles ur "
	        "JOIN users u ON u.id = ur.user_id JOIN organisations o ON o.id = u.org_id "
	        "JOIN regions rg ON rg.code = o.region_code WHERE ur.role_id = r.id%s) "
	        "FROM roles r WHERE (? = 0 OR r.id = ?) ORDER BY r.id",
	        scope);
	st = store_prepare(c, sql);
	if (!st || dom_scope_bind(x->caller, NULL, st, 1) != 3)
		goto fail;
	store_bind_int64(st, 3, id);
	store_bind_int64(st, 4, id);
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

json_t *role_list_json(const struct dom_ctx *x, struct dom_err *e)
{
	return roles_json(x, 0, e);
}

json_t *role_get_json(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	json_t *all = id > 0 ? roles_json(x, id, e) : NULL, *one = NULL;

	if (id <= 0 || (all && json_array_size(all) == 0))
		dom_err_set(e, 404, "not_found", "角色不存在");
	else if (all)
		one = json_incref(json_array_get(all, 0));
	json_decref(all);
	return one;
}

static int role_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > ROLE_NAME_MAX || !islower((unsigned char)name[0]))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Every name is a grantable catalog permission: 0, or -1 with e 400. */
static int perms_validate(const char *const *perms, size_t n, struct perm_set *out,
                          struct dom_err *e)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (!permission_grantable(perms[i]))
			return dom_err_set(e, 400, "unknown_permission", "权限 %s 不存在或不可授予",
			                   perms[i] ? perms[i] : "");
		perm_set_add_name(out, perms[i]);
	}
	return 0;
}

struct role_arg {
	int64_t id;
	const char *name, *label;
	const char *const *perms; /* NULL: unchanged (update) */
	size_t n;
	struct perm_set set;
	char current[ROLE_NAME_MAX + 1]; /* update, delete: the role's name */
};

static int write_role_perms(struct store_conn *c, const struct role_arg *a, struct dom_err *e)
{
	if (dom_exec(c, e, "DELETE FROM role_permissions WHERE role_id = ?", "i", a->id) < 0)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (dom_exec(c, e,
		             "INSERT INTO role_permissions (role_id, permission) VALUES (?, ?) ON "
		             "CONFLICT DO NOTHING",
		             "it", a->id, a->perms[i]) < 0)
			return -1;
	return 0;
}

static int separation_refused(struct dom_err *e)
{
	return dom_err_set(e, 409, "separation",
	                   "系统管理、安全管理、安全审计的权限不能放在同一角色中（三员分立）");
}

/* authorize of a new role: its permissions hold at most one administrator family and the name
   is free. */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct role_arg *a = w->arg;
	struct store_stmt *st;
	int taken = 0;

	(void)x;
	if (!perm_set_separated(&a->set))
		return separation_refused(e);
	st = store_prepare(c, "SELECT 1 FROM roles WHERE name = ?");
	if (!st)
		return dom_err_read(e);
	store_bind_text(st, 1, a->name, -1);
	taken = store_step(st) == STORE_ROW;
	store_reset(st);
	if (taken)
		return dom_err_set(e, 409, "duplicate", "角色 %s 已存在", a->name);
	return 0;
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct role_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "INSERT INTO roles (name, label, builtin, created_at, updated_at) "
	                      "VALUES (?, ?, 0, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->name, -1);
	store_bind_text(st, 2, a->label, -1);
	store_bind_int64(st, 3, x->now);
	store_bind_int64(st, 4, x->now);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT)
		return dom_err_set(e, 409, "duplicate", "角色 %s 已存在", a->name);
	if (rc)
		return dom_err_store(e, rc);
	a->id = store_last_insert_id(c);
	return write_role_perms(c, a, e);
}

int role_create(const struct dom_ctx *x, const char *name, const char *label,
                const char *const *perms, size_t n, int64_t *id, struct dom_err *e)
{
	struct role_arg a = { .name = name, .label = label, .perms = perms, .n = n };
	struct dom_write w = { .action = "role.create",
		               .permission = "role.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a };
	char msg[128];

	if (!role_name_ok(name))
		return dom_err_set(e, 400, "bad_name",
		                   "角色标识须为 3 到 32 个小写字母、数字或下划线");
	if (!dom_name_valid(label, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
	if (perms_validate(perms, n, &a.set, e) < 0)
		return -1;
	dom_write_object(&w, "role:%s", name);
	join_names(w.detail, sizeof w.detail, "权限：", perms, n);
	if (dom_write(x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

/* Loads role id: its name, whether built in, how many hold it and whether the caller does.
   1 found, 0 not, -1 error. */
static int role_row(struct store_conn *c, int64_t id, int64_t caller, char name[ROLE_NAME_MAX + 1],
                    int *builtin, int64_t *holders, int *held_by_caller)
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
		dom_copy(name, ROLE_NAME_MAX + 1, store_col_text(st, 0));
		*builtin = (int)store_col_int64(st, 1);
		*holders = store_col_int64(st, 2);
		*held_by_caller = store_col_int64(st, 3) > 0;
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

/* 1 when every holder of role id would still hold at most one administrator family once the
   role has the permissions in set; 0 with *who the first that would not; -1 error. */
static int holders_separated(struct store_conn *c, int64_t id, const struct perm_set *set,
                             int64_t *who)
{
	int64_t users[64], after = 0;

	/* Collected a batch at a time: role_user_perms prepares statements of its own. */
	for (;;) {
		struct store_stmt *st = store_prepare(c, "SELECT user_id FROM user_roles WHERE "
		                                         "role_id = ? AND user_id > ? ORDER BY "
		                                         "user_id LIMIT 64");
		size_t n = 0;
		int rc = STORE_DONE;

		if (!st)
			return -1;
		store_bind_int64(st, 1, id);
		store_bind_int64(st, 2, after);
		while (n < 64 && (rc = store_step(st)) == STORE_ROW)
			users[n++] = store_col_int64(st, 0);
		store_reset(st);
		if (rc != STORE_DONE && rc != STORE_ROW)
			return -1;
		for (size_t i = 0; i < n; i++) {
			struct perm_set total;

			if (role_user_perms_except(c, users[i], id, &total) < 0)
				return -1;
			perm_set_union(&total, set);
			if (!perm_set_separated(&total)) {
				*who = users[i];
				return 0;
			}
		}
		if (n < 64)
			return 1;
		after = users[n - 1];
	}
}

/* 1 when role id is held by a user whose organisation lies outside the caller's scope, 0 when
   not, -1 on error. */
static int holders_outside(struct store_conn *c, const struct dom_ctx *x, int64_t id)
{
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	int rc, found = -1;

	if (x->caller->is_system)
		return 0;
	access_scope_range(x->caller, lo, hi);
	st = store_prepare(c, "SELECT 1 FROM user_roles ur JOIN users u ON u.id = ur.user_id JOIN "
	                      "organisations o ON o.id = u.org_id JOIN regions r ON r.code = "
	                      "o.region_code WHERE ur.role_id = ? AND NOT (r.path >= ? AND r.path "
	                      "< ?) LIMIT 1");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, lo, -1);
	store_bind_text(st, 3, hi, -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		found = 1;
	else if (rc == STORE_DONE)
		found = 0;
	store_reset(st);
	return found;
}

/* 1 when changing the custom role of a to a->set takes the audit permissions from the last
   enabled holder of any, 0 when not, -1 on error. */
static int role_loses_last_auditor(struct store_conn *c, const struct role_arg *a)
{
	const unsigned audit = 1u << PERM_AUDIT;
	struct perm_set cur = { 0 };

	if (perm_set_families(&a->set) & audit)
		return 0;
	if (role_perms(c, a->id, a->current, 0, &cur) < 0)
		return -1;
	if (!(perm_set_families(&cur) & audit))
		return 0;
	return last_auditor_goes(role_family_holders(c, audit, 0, 0, 0, 0),
	                         role_family_holders(c, audit, 0, 0, a->id, 0));
}

/* authorize of a change: the role exists, is custom, is not held by the caller (no self grant),
   and, when its permissions change, they and every holder's roles together keep to one
   administrator family. */
static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct role_arg *a = w->arg;
	int builtin = 0, held = 0, rc;
	int64_t holders = 0, who = 0;

	rc = role_row(c, a->id, x->caller->user_id, a->current, &builtin, &holders, &held);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "角色不存在");
	dom_write_object(w, "role:%s", a->current);
	if (builtin)
		return dom_err_set(e, 403, "builtin_role", "内置角色的权限由系统规定，不能修改");
	if (held)
		return dom_err_set(e, 403, "self_grant", "不能修改自己所持有的角色");
	if ((rc = holders_outside(c, x, a->id)) != 0)
		return rc < 0 ? dom_err_read(e)
		              : dom_err_set(
		                        e, 403, "role_out_of_scope",
		                        "该角色有管辖范围以外的用户持有，只能由管辖范围覆盖这些用户"
		                        "的安全管理员修改");
	if (!a->perms)
		return 0;
	if (!perm_set_separated(&a->set))
		return separation_refused(e);
	if ((rc = role_loses_last_auditor(c, a)) != 0)
		return rc < 0 ? dom_err_read(e) : last_auditor_refused(e);
	rc = holders ? holders_separated(c, a->id, &a->set, &who) : 1;
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 409, "separation",
		                   "修改后用户 %" PRId64 " 将同时持有两类管理员权限（三员分立）",
		                   who);
	return 0;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct role_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	if (a->perms && write_role_perms(c, a, e) < 0)
		return -1;
	st = store_prepare(c, "UPDATE roles SET label = coalesce(?, label), updated_at = ? WHERE "
	                      "id = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->label, -1);
	store_bind_int64(st, 2, x->now);
	store_bind_int64(st, 3, a->id);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

int role_update(const struct dom_ctx *x, int64_t id, const char *label, const char *const *perms,
                size_t n, struct dom_err *e)
{
	struct role_arg a = { .id = id, .label = label, .perms = perms, .n = n };
	struct dom_write w = { .action = "role.update",
		               .permission = "role.write",
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .arg = &a };
	char msg[128];

	if (label && !dom_name_valid(label, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
	if (perms && perms_validate(perms, n, &a.set, e) < 0)
		return -1;
	dom_write_object(&w, "role:%" PRId64, id);
	if (perms)
		join_names(w.detail, sizeof w.detail, "权限：", perms, n);
	else
		dom_write_detail(&w, "修改名称");
	return dom_write(x, &w, e);
}

/* authorize of a deletion: the role exists, is custom and nobody holds it. */
static int delete_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct role_arg *a = w->arg;
	int builtin = 0, held = 0, rc;
	int64_t holders = 0;

	rc = role_row(c, a->id, x->caller->user_id, a->current, &builtin, &holders, &held);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "角色不存在");
	dom_write_object(w, "role:%s", a->current);
	if (builtin)
		return dom_err_set(e, 403, "builtin_role", "内置角色不能删除");
	if (holders)
		return dom_err_set(e, 409, "role_in_use", "仍有 %" PRId64 " 个用户持有该角色",
		                   holders);
	return 0;
}

static int delete_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	static const char *const sql[] = { "DELETE FROM role_permissions WHERE role_id = ?",
		                           "DELETE FROM roles WHERE id = ?" };
	struct role_arg *a = w->arg;

	(void)x;
	for (size_t i = 0; i < 2; i++) {
		struct store_stmt *st = store_prepare(c, sql[i]);
		int rc;

		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, a->id);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
	}
	return 0;
}

int role_delete(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct role_arg a = { .id = id };
	struct dom_write w = { .action = "role.delete",
		               .permission = "role.write",
		               .authorize = delete_authorize,
		               .apply = delete_apply,
		               .arg = &a };

	dom_write_object(&w, "role:%" PRId64, id);
	return dom_write(x, &w, e);
}

int64_t role_holder_count(const struct dom_ctx *x, const char *name)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);
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
