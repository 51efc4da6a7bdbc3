/*
 * Users (user.h): reads scoped by the caller, personal fields sealed at rest, creation with a
 * one-time password, updates, password reset and change, grid bindings, and the accounts of the
 * command line and the demo.
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/codes.h"
#include "base/idcard.h"
#include "base/vault.h"
#include "domain/lockout.h"
#include "domain/activation.h"
#include "domain/password.h"
#include "domain/password_again.h"
#include "domain/role.h"
#include "domain/sealed.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "domain/user.h"
#include "store/store.h"

int user_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > USERNAME_MAX)
		return 0;
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!islower(ch) && !isdigit(ch) && ch != '_' && ch != '.' && ch != '-')
			return 0;
	}
	return 1;
}

/* ---- reads ---- */

/* The columns of a user_view; the one parameter is now (is a lockout active). */
static const char user_cols[] =
        "SELECT u.id, u.username, u.display_name, u.org_id, o.name, r.path, "
        "coalesce(u.phone, ''), coalesce(u.id_number, ''), u.must_change_password, "
        "u.totp_enabled, u.disabled, u.created_at, u.password_changed_at, "
        "EXISTS (SELECT 1 FROM lockouts l WHERE l.kind = 'account' AND l.subject = u.username "
        "AND l.until > ? AND l.released_at IS NULL) "
        "FROM users u JOIN organisations o ON o.id = u.org_id JOIN regions r ON r.code = "
        "o.region_code ";

/* Phone and ID number are opened from their sealed form (domain/sealed.h). */
static void user_from_row(struct store_stmt *st, struct user_view *u)
{
	u->id = store_col_int64(st, 0);
	dom_copy(u->username, sizeof u->username, store_col_text(st, 1));
	dom_copy(u->display_name, sizeof u->display_name, store_col_text(st, 2));
	u->org_id = store_col_int64(st, 3);
	dom_copy(u->org_name, sizeof u->org_name, store_col_text(st, 4));
	dom_copy(u->org_region_path, sizeof u->org_region_path, store_col_text(st, 5));
	sealed_open(u->phone, sizeof u->phone, SEALED_FIELD_PHONE, u->id, store_col_text(st, 6));
	sealed_open(u->id_number, sizeof u->id_number, SEALED_FIELD_ID_NUMBER, u->id,
	            store_col_text(st, 7));
	u->must_change_password = (int)store_col_int64(st, 8);
	u->totp_enabled = (int)store_col_int64(st, 9);
	u->disabled = (int)store_col_int64(st, 10);
	u->created_at = store_col_int64(st, 11);
	u->password_changed_at = store_col_int64(st, 12);
	u->locked = (int)store_col_int64(st, 13);
}

int user_load(struct store_conn *c, const struct principal *p, int64_t id, int64_t now,
              struct user_view *out)
{
	char sql[1024], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	int rc, found = -1;

	snprintf(sql, sizeof sql, "%sWHERE u.id = ? AND r.path >= ? AND r.path < ?", user_cols);
	access_scope_range(p, lo, hi);
	if (!c || !(st = store_prepare(c, sql)))
		return -1;
	store_bind_int64(st, 1, now);
	store_bind_int64(st, 2, id);
	store_bind_text(st, 3, lo, -1);
	store_bind_text(st, 4, hi, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		user_from_row(st, out);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	/* A grid-bound caller sees only itself among users. */
	if (found == 1 && p->grid_bound && !p->is_system && p->user_id != id)
		found = 0;
	return found;
}

static json_t *user_grids_json(struct store_conn *c, int64_t user_id)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT ug.grid_id, g.code, g.name FROM user_grids "
	                         "ug JOIN grids g ON g.id = ug.grid_id WHERE "
	                         "ug.user_id = ? ORDER BY g.code");
	json_t *a = json_array();

	if (!st)
		return a;
	store_bind_int64(st, 1, user_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(
		        a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0),
		                     "code", store_col_text(st, 1), "name", store_col_text(st, 2)));
	store_reset(st);
	return a;
}
int user_get(const struct dom_ctx *x, int64_t id, struct user_view *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int rc;

	if (!c)
		return -1;
	rc = user_load(c, x->caller, id, x->now, out);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "用户不存在");
	return 0;
}

int user_add_roles_grids(const struct dom_ctx *x, int64_t id, json_t *o)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);

	if (!c || !o)
		return -1;
	json_object_set_new(o, "roles", role_user_json(c, id));
	json_object_set_new(o, "grids", user_grids_json(c, id));
	return 0;
}

/* A user row (user_cols) through the caller's renderer, which masks (dom_row_fn). */
struct user_row_arg {
	user_json_fn row;
	void *ctx;
};

static json_t *user_row_json(struct store_stmt *st, void *arg)
{
	const struct user_row_arg *a = arg;
	struct user_view u;
	json_t *o;

	user_from_row(st, &u);
	o = a->row(a->ctx, &u);
	sodium_memzero(&u, sizeof u);
	return o;
}

json_t *user_list(const struct dom_ctx *x, const struct user_filter *f, const struct dom_page *pg,
                  user_json_fn row, void *ctx, struct dom_err *e)
{
	const struct principal *p = x->caller;
	struct store_conn *c = dom_reader(x, e);
	char sql[2048], scope[DOM_SCOPE_SQL_MAX], like[160];
	struct user_row_arg ra = { row, ctx };
	struct store_stmt *st;
	json_t *out;
	/* A grid-bound caller (grid worker) sees only itself among users. */
	int64_t after, only = p->grid_bound && !p->is_system ? p->user_id : 0;
	int k = 1;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	if (f->q)
		(void)snprintf(like, sizeof like, "%%%s%%", f->q);
	dom_scope_sql(p, "r.path", NULL, scope);
	/* Keyset along the primary key: a page costs the same wherever it starts. */
	(void)snprintf(sql, sizeof sql,
	               "%sWHERE u.id > ?%s AND (? = 0 OR u.org_id = ?) AND (? IS NULL OR "
	               "u.username LIKE ? OR u.display_name LIKE ?) AND (? IS NULL OR EXISTS "
	               "(SELECT 1 FROM user_roles ur JOIN roles ro ON ro.id = ur.role_id WHERE "
	               "ur.user_id = u.id AND ro.name = ?)) AND (? = 0 OR u.id = ?) ORDER BY u.id "
	               "LIMIT ?",
	               user_cols, scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, x->now);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(p, NULL, st, k);
	store_bind_int64(st, k++, f->org_id);
	store_bind_int64(st, k++, f->org_id);
	for (int i = 0; i < 3; i++)
		store_bind_text(st, k++, f->q ? like : NULL, -1);
	store_bind_text(st, k++, f->role, -1);
	store_bind_text(st, k++, f->role, -1);
	store_bind_int64(st, k++, only);
	store_bind_int64(st, k++, only);
	store_bind_int64(st, k, pg->limit + 1);
	out = dom_page_collect(st, pg, user_row_json, &ra, e);
	if (out && role_attach_to_users(c, json_object_get(out, "items")) < 0) {
		json_decref(out);
		out = NULL;
		dom_err_read(e);
	}
	return out;
}

/* ---- writes ---- */

/* Inside a write: loads user id for x's caller into u. 0, or -1 with e (404 not_found when it is
   missing or outside the caller's scope). */
int user_load_for_write(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                        struct user_view *u, struct dom_err *e)
{
	int rc = user_load(c, x->caller, id, x->now, u);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "用户不存在");
	return 0;
}

/* An organisation inside the caller's scope (404 unknown_org otherwise). 0 or -1 with e. */
static int org_in_scope(struct store_conn *c, const struct dom_ctx *x, int64_t org_id,
                        struct dom_err *e)
{
	struct org o;
	int rc = org_load(c, x->caller, org_id, &o);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
	return 0;
}

/* The normalised form of a valid ID number (upper-case check character) into out[19]. */
static void id_number_normal(const char *in, char out[19])
{
	struct idcard ic;

	out[0] = '\0';
	if (in && *in && idcard_parse(in, &ic, NULL) == 0)
		dom_copy(out, 19, ic.number);
}

struct create_arg {
	const struct user_fields *f;
	const char *hash;
	const char *role; /* bootstrap: a built-in role granted by the system */
	const char *totp; /* bootstrap: a TOTP secret enrolled at once */
	int must_change;
	int64_t id;
};

/* One answer for every user name that cannot be had: badly formed, reserved, or taken by an
   account anywhere, inside the caller's scope or not, so the answer never tells whether a name
   exists outside it. */
static int username_unavailable(struct dom_err *e)
{
	return dom_err_set(
	        e, 400, "username_unavailable",
	        "该用户名不可用：用户名须为 3 到 32 个小写字母、数字或 _ . -，以字母或数字"
	        "开头，且未被占用或保留，请换一个");
}

/* Names the audit trail and the command line use for something else. */
static int username_reserved(const char *name)
{
	return strcmp(name, "system") == 0 || strcmp(name, "cli") == 0;
}

/* authorize: the organisation lies inside the caller's scope and the name is free. */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct create_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	if (org_in_scope(c, x, a->f->org_id, e) < 0)
		return -1;
	if (!(st = store_prepare(c, "SELECT 1 FROM users WHERE username = ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, a->f->username, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_ROW)
		return username_unavailable(e);
	return rc == STORE_DONE ? 0 : dom_err_read(e);
}

/* authorize for accounts made by the command line and the demo: only the system makes them,
   because they come with a role (and administrators with TOTP) granted without a grantor. */
static int bootstrap_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                               struct dom_err *e)
{
	if (!x->caller->is_system)
		return dom_err_set(e, 403, "forbidden", "只有系统可以直接创建带角色的账号");
	return create_authorize(c, x, w, e);
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct create_arg *a = w->arg;
	const struct user_fields *f = a->f;
	struct store_stmt *st;
	char idn[19];
	int rc;

	id_number_normal(f->id_number, idn);
	/* password_set_by: who knows the one-time password (no activation code from them);
	   totp_activated: the host enrols administrators' TOTP itself. */
	st = store_prepare(c,
	                   "INSERT INTO users (username, display_name, org_id, password_hash, "
	                   "password_changed_at, must_change_password, totp_enabled, created_at, "
	                   "updated_at, totp_activated, password_set_by) VALUES (?, ?, ?, ?, ?, ?, "
	                   "?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, f->username, -1);
	store_bind_text(st, 2, f->display_name, -1);
	store_bind_int64(st, 3, f->org_id);
	store_bind_text(st, 4, a->hash, -1);
	store_bind_int64(st, 5, x->now);
	store_bind_int64(st, 6, a->must_change);
	store_bind_int64(st, 7, a->totp ? 1 : 0);
	store_bind_int64(st, 8, x->now);
	store_bind_int64(st, 9, x->now);
	store_bind_int64(st, 10, a->totp ? 1 : 0);
	if (x->caller->user_id)
		store_bind_int64(st, 11, x->caller->user_id);
	else
		store_bind_null(st, 11);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT)
		return username_unavailable(e); /* taken between the look and the insert */
	if (rc)
		return dom_err_store(e, rc);
	a->id = store_last_insert_id(c);
	dom_write_object(w, "user:%" PRId64, a->id);
	/* Sealed once the row id is known: it is part of the associated data. */
	if (sealed_user_fields(c, a->id, f->phone && *f->phone ? f->phone : NULL,
	                       idn[0] ? idn : NULL, e) < 0)
		return -1;
	if (a->totp) {
		char sealed[SEALED_TOTP_MAX];

		if (sealed_totp_seal(a->id, a->totp, sealed, sizeof sealed) < 0)
			return dom_err_set(e, 503, "vault_unavailable",
			                   "敏感信息加密密钥未加载，暂时无法保存动态口令密钥");
		st = store_prepare(c, "UPDATE users SET totp_secret = ? WHERE id = ?");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_text(st, 1, sealed, -1);
		store_bind_int64(st, 2, a->id);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
	}
	if (a->role && (rc = role_grant_conn(c, a->id, a->role, 0, x->now)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

static int user_fields_validate(const struct user_fields *f, int creating, struct dom_err *e)
{
	char msg[128];

	if (creating && (!user_name_ok(f->username) || username_reserved(f->username)))
		return username_unavailable(e);
	if ((creating || f->display_name) && !dom_name_valid(f->display_name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_display_name", "姓名：%s", msg);
	if (f->phone && *f->phone) {
		size_t n = strlen(f->phone);

		if (n < 5 || n > 20 || strspn(f->phone, "0123456789-+") != n)
			return dom_err_set(e, 400, "bad_phone", "电话号码格式不正确");
	}
	if (f->id_number && *f->id_number) {
		struct code_error ce = { 0 };

		if (idcard_parse(f->id_number, NULL, &ce) < 0)
			return dom_err_set(e, 400, "bad_id_number", "身份证号码无效：%s",
			                   ce.message ? ce.message : "");
	}
	return 0;
}

/* Hashes a new password; 0, or -1 with e 500. */
static int hash_or_fail(const struct dom_ctx *x, const char *password, char hash[PASSWORD_HASH_MAX],
                        struct dom_err *e)
{
	if (!x->security || password_hash(x->security, password, hash) < 0)
		return dom_err_set(e, 500, "internal", "服务器内部错误");
	return 0;
}

int user_create(const struct dom_ctx *x, const struct user_fields *f, int64_t *id,
                char *temp_password, size_t tplen, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX] = "";
	struct create_arg a = { .f = f, .hash = hash, .must_change = 1 };
	struct dom_write w = { .action = "user.create",
		               .permission = "user.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a };
	int rc = -1;

	if (user_fields_validate(f, 1, e) < 0)
		goto out;
	password_generate(temp_password, tplen);
	if (hash_or_fail(x, temp_password, hash, e) < 0)
		goto out;
	dom_write_object(&w, "user:%s", f->username);
	dom_write_detail(&w, "%s", f->username);
	if (dom_write(x, &w, e) < 0)
		goto out;
	*id = a.id;
	rc = 0;
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int64_t user_bootstrap(const struct dom_ctx *x, const char *username, const char *display_name,
                       int64_t org_id, const char *role, int must_change, char *password_out,
                       size_t pwlen, char *totp_secret_out, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX] = "", secret[TOTP_SECRET_B32] = "";
	struct user_fields f = { .username = username,
		                 .display_name = display_name,
		                 .org_id = org_id };
	struct create_arg a = { .f = &f, .hash = hash, .role = role, .must_change = must_change };
	struct dom_write w = { .action = "user.create",
		               .permission = "user.write",
		               .authorize = bootstrap_authorize,
		               .apply = create_apply,
		               .arg = &a };
	int64_t id = -1;

	if (!builtin_role_find(role)) {
		dom_err_set(e, 400, "unknown_role", "未知角色 %s", role ? role : "");
		goto out;
	}
	if (user_fields_validate(&f, 1, e) < 0)
		goto out;
	password_generate(password_out, pwlen);
	if (totp_secret_out) {
		totp_new_secret(secret);
		a.totp = secret;
	}
	if (hash_or_fail(x, password_out, hash, e) < 0)
		goto out;
	dom_write_object(&w, "user:%s", username);
	dom_write_detail(&w, "%s", role);
	if (dom_write(x, &w, e) < 0)
		goto out;
	if (totp_secret_out)
		memcpy(totp_secret_out, secret, TOTP_SECRET_B32);
	id = a.id;
out:
	sodium_memzero(hash, sizeof hash);
	sodium_memzero(secret, sizeof secret);
	return id;
}

/* ---- who manages an account (三员分立) ---- */

#define ADMIN_WRITE "user.admin_write"

/* The side of the separation an account belongs to: the accounts holding security or audit
   permissions are managed by security administrators only, through the admin-account routes
   (permission user.admin_write), never by a system administrator and never by themselves; every
   other account (business users, system administrators) by system administrators (user.write).
   The host (the system principal) manages all. w->permission tells which route the request
   came by. 0, or -1 with e (403 separation, 409 not_admin_account, 403 self_grant). */
static int manage_authorize(struct store_conn *c, const struct dom_ctx *x,
                            const struct dom_write *w, int64_t id, int *audit_holder,
                            struct dom_err *e)
{
	struct perm_set ps;
	unsigned f;
	int admin_side;

	if (role_user_perms(c, id, &ps, NULL) < 0)
		return dom_err_read(e);
	f = perm_set_families(&ps);
	admin_side = (f & ((1u << PERM_SECURITY) | (1u << PERM_AUDIT))) != 0;
	if (audit_holder)
		*audit_holder = (f & (1u << PERM_AUDIT)) != 0;
	if (x->caller->is_system)
		return 0;
	if (strcmp(w->permission, ADMIN_WRITE) != 0) {
		if (admin_side)
			return dom_err_set(
			        e, 403, "separation",
			        "安全管理员和审计员的账号只能由安全管理员管理（三员分立）");
		return 0;
	}
	if (!admin_side)
		return dom_err_set(e, 409, "not_admin_account",
		                   "该账号不持有安全管理或安全审计权限，由系统管理员管理");
	if (id == x->caller->user_id)
		return dom_err_set(e, 403, "self_grant", "不能管理自己的账号");
	return 0;
}

/* 1 when disabling user id (an enabled holder of audit permissions) leaves no enabled auditor,
   0 when not, -1 on error. */
static int last_auditor(struct store_conn *c, int64_t id)
{
	const unsigned audit = 1u << PERM_AUDIT;
	int64_t with = role_family_holders(c, audit, 0, 0, 0, 0);
	int64_t without = role_family_holders(c, audit, 0, id, 0, 0);

	if (with < 0 || without < 0)
		return -1;
	return with > 0 && without == 0;
}

struct update_arg {
	int64_t id;
	const struct user_fields *f;
	char idn[19];
};

/* authorize: the user and (when it changes) the new organisation lie inside the caller's scope;
   the caller is on the side of the separation that manages this account; nobody disables their
   own account, nor the last enabled auditor. */
static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct update_arg *a = w->arg;
	struct user_view u;
	int auditor = 0, rc;

	if (user_load_for_write(c, x, a->id, &u, e) < 0)
		return -1;
	sodium_memzero(&u, sizeof u);
	if (manage_authorize(c, x, w, a->id, &auditor, e) < 0)
		return -1;
	if (a->f->org_id && org_in_scope(c, x, a->f->org_id, e) < 0)
		return -1;
	if (a->f->disabled > 0 && a->id == x->caller->user_id)
		return dom_err_set(e, 409, "self_disable", "不能停用自己的账号");
	if (a->f->disabled > 0 && auditor) {
		if ((rc = last_auditor(c, a->id)) < 0)
			return dom_err_read(e);
		if (rc)
			return dom_err_set(e, 409, "last_auditor",
			                   "不能停用最后一名在用审计员的账号：系统须始终有审计员"
			                   "（三员分立）；请先为另一名用户授予审计员角色");
	}
	return 0;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct update_arg *a = w->arg;
	const struct user_fields *f = a->f;
	struct store_stmt *st;
	int rc;

	st = store_prepare(
	        c, "UPDATE users SET display_name = coalesce(?, display_name), org_id = "
	           "CASE WHEN ? = 0 THEN org_id ELSE ? END, disabled = CASE WHEN ? < 0 THEN "
	           "disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, f->display_name, -1);
	store_bind_int64(st, 2, f->org_id);
	store_bind_int64(st, 3, f->org_id);
	store_bind_int64(st, 4, f->disabled);
	store_bind_int64(st, 5, f->disabled);
	store_bind_int64(st, 6, x->now);
	store_bind_int64(st, 7, a->id);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	if (sealed_user_fields(c, a->id, f->phone, f->id_number ? a->idn : NULL, e) < 0)
		return -1;
	/* A disabled account is logged out everywhere at once. */
	if (f->disabled > 0 && (rc = session_revoke_user(c, a->id, 0, x->now)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

static int update_as(const struct dom_ctx *x, int64_t id, const struct user_fields *f,
                     const char *permission, struct dom_err *e)
{
	struct update_arg a = { .id = id, .f = f };
	struct dom_write w = { .action = "user.update",
		               .permission = permission,
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .arg = &a };
	int rc;

	if (user_fields_validate(f, 0, e) < 0)
		return -1;
	id_number_normal(f->id_number, a.idn);
	dom_write_object(&w, "user:%" PRId64, id);
	/* Which fields change, never their values (they may be personal data). */
	dom_write_detail(&w, "修改字段：%s%s%s%s%s", f->display_name ? " 姓名" : "",
	                 f->org_id ? " 所属组织" : "", f->phone ? " 电话" : "",
	                 f->id_number ? " 身份证号" : "", f->disabled >= 0 ? " 停用状态" : "");
	rc = dom_write(x, &w, e);
	sodium_memzero(a.idn, sizeof a.idn);
	return rc;
}

int user_update(const struct dom_ctx *x, int64_t id, const struct user_fields *f, struct dom_err *e)
{
	return update_as(x, id, f, "user.write", e);
}

int user_admin_update(const struct dom_ctx *x, int64_t id, const char *display_name, int disabled,
                      struct dom_err *e)
{
	struct user_fields f = { .display_name = display_name, .disabled = disabled };

	return update_as(x, id, &f, ADMIN_WRITE, e);
}

struct password_arg {
	int64_t id;
	const char *hash; /* the new hash */
	int must_change;
	int64_t keep_session;
};

/* authorize of a reset: the user lies inside the caller's scope, the caller is on the side of the
   separation that manages it, and it is not the caller (who changes their own password knowing
   the old one). */
static int reset_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct password_arg *a = w->arg;
	struct user_view u;

	if (user_load_for_write(c, x, a->id, &u, e) < 0)
		return -1;
	sodium_memzero(&u, sizeof u);
	if (manage_authorize(c, x, w, a->id, NULL, e) < 0)
		return -1;
	if (a->id == x->caller->user_id)
		return dom_err_set(e, 409, "self_reset", "不能重置自己的密码，请使用修改密码");
	return 0;
}

static int password_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct dom_err *e)
{
	struct password_arg *a = w->arg;
	int rc;

	if (dom_exec(c, e,
	             "UPDATE users SET password_hash = ?, password_changed_at = ?, "
	             "must_change_password = ?, updated_at = ? WHERE id = ?",
	             "tiiii", a->hash, x->now, (int64_t)a->must_change, x->now, a->id) < 0)
		return -1;
	if ((rc = session_revoke_user(c, a->id, a->keep_session, x->now)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

/* A reset: the new one-time password, who set it (they may not approve the account's TOTP
   enrolment while it is in force), and the end of activation codes issued before it. */
static int reset_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct password_arg *a = w->arg;
	int rc;

	if (password_apply(c, x, w, e) < 0 ||
	    dom_exec(c, e, "UPDATE users SET password_set_by = ? WHERE id = ?", "ni",
	             x->caller->user_id, a->id) < 0)
		return -1;
	if ((rc = activation_revoke_conn(c, x, a->id)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

static int password_reset_as(const struct dom_ctx *x, int64_t id, const char *permission,
                             char *temp_password, size_t tplen, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX] = "";
	struct password_arg a = { .id = id, .hash = hash, .must_change = 1 };
	struct dom_write w = { .action = "user.password_reset",
		               .permission = permission,
		               .authorize = reset_authorize,
		               .apply = reset_apply,
		               .arg = &a };
	int rc = -1;

	password_generate(temp_password, tplen);
	if (hash_or_fail(x, temp_password, hash, e) < 0)
		goto out;
	dom_write_object(&w, "user:%" PRId64, id);
	rc = dom_write(x, &w, e);
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int user_password_reset(const struct dom_ctx *x, int64_t id, char *temp_password, size_t tplen,
                        struct dom_err *e)
{
	return password_reset_as(x, id, "user.write", temp_password, tplen, e);
}

int user_admin_password_reset(const struct dom_ctx *x, int64_t id, char *temp_password,
                              size_t tplen, struct dom_err *e)
{
	return password_reset_as(x, id, ADMIN_WRITE, temp_password, tplen, e);
}

struct change_arg {
	struct password_arg pw; /* first: password_apply reads w->arg as a struct password_arg */
	struct password_again *old; /* the old password, given again as a login attempt */
	const char *same;           /* the new password is the old one */
};

/* authorize of a change: the caller is a user and, when the old password matched (checked
   before the write, since Argon2 must not hold the writer), the stored hash is still the one it
   matched. A wrong old password is not refused here: apply counts it. */
static int change_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct change_arg *a = w->arg;

	if (!x->caller->user_id || x->caller->token_id)
		return dom_err_set(e, 403, "forbidden", "只有用户可以修改密码");
	return password_again_still(c, x, a->old, e);
}

/* A wrong old password counts as a failed login and may end the session (password_again.h),
   kept although the request answers an error. */
static int change_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct change_arg *a = w->arg;
	int rc;

	if ((rc = password_again_settle(c, x, w, a->old, e)) != 0)
		return rc < 0 ? -1 : 0;
	if (a->same) {
		dom_write_detail(w, "新密码与当前密码相同");
		dom_err_set(&w->keep_error, 400, "same_password", "新密码不能与当前密码相同");
		return 0;
	}
	return password_apply(c, x, w, e);
}

int user_password_change(const struct dom_ctx *x, const char *old_password,
                         const char *new_password, int64_t keep_session, struct dom_err *e)
{
	const struct principal *p = x->caller;
	char hash[PASSWORD_HASH_MAX] = "";
	struct password_again old = { .ticket.verdict = LOCKOUT_ACCOUNT_LOCKED };
	struct change_arg a = {
		.pw = { .id = p->user_id, .hash = hash, .keep_session = keep_session }, .old = &old
	};
	struct dom_write w = { .action = "user.password_change",
		               .permission = "authenticated",
		               .authorize = change_authorize,
		               .apply = change_apply,
		               .arg = &a };
	const char *why;
	int rc = -1;

	dom_write_object(&w, "user:%" PRId64, p->user_id);
	if (p->user_id && !p->token_id) {
		/* Checked first: a refusal that needs no secret counts nothing. */
		if ((why = password_policy(p->username, new_password)) != NULL) {
			dom_err_set(e, 400, "weak_password", "%s", why);
			goto out;
		}
		if (password_again_check(x, old_password, keep_session, &old, e) < 0)
			goto out;
	}
	/* A wrong old password is counted inside dom_write, so the attempt is recorded. */
	if (old.verified[0]) {
		if (password_verify(old.verified, new_password))
			a.same = "same";
		else if (hash_or_fail(x, new_password, hash, e) < 0)
			goto out;
	}
	rc = dom_write(x, &w, e);
out:
	password_again_done(x, &old);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

struct grids_arg {
	int64_t id;
	const int64_t *grids;
	size_t n;
};

/* authorize: the user lies inside the caller's scope and on the system administrator's side of
   the separation, and every grid is active, visible to the caller and inside the user's
   organisation. */
static int grids_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct grids_arg *a = w->arg;
	struct user_view u;
	int rc = 0;

	if (user_load_for_write(c, x, a->id, &u, e) < 0)
		return -1;
	if (manage_authorize(c, x, w, a->id, NULL, e) < 0) {
		sodium_memzero(&u, sizeof u);
		return -1;
	}
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		char path[ACCESS_PATH_MAX] = "";
		struct store_stmt *st;
		int found = 0;

		st = store_prepare(c, "SELECT path FROM grids WHERE id = ? AND status = 'active'");
		if (!st) {
			rc = dom_err_read(e);
			break;
		}
		store_bind_int64(st, 1, a->grids[i]);
		if (store_step(st) == STORE_ROW) {
			dom_copy(path, sizeof path, store_col_text(st, 0));
			found = 1;
		}
		store_reset(st);
		if (!found || !access_sees_grid(x->caller, a->grids[i], path) ||
		    strncmp(path, u.org_region_path, strlen(u.org_region_path)) != 0)
			rc = dom_err_set(e, 404, "unknown_grid",
			                 "网格 %" PRId64
			                 " 不存在、已撤销或不在该用户所属组织的辖区内",
			                 a->grids[i]);
	}
	sodium_memzero(&u, sizeof u);
	return rc;
}

static int grids_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct grids_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	(void)x;
	st = store_prepare(c, "DELETE FROM user_grids WHERE user_id = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, a->id);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	for (size_t i = 0; i < a->n; i++) {
		st = store_prepare(c, "INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?) ON "
		                      "CONFLICT DO NOTHING");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, a->id);
		store_bind_int64(st, 2, a->grids[i]);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
	}
	return 0;
}

int user_set_grids(const struct dom_ctx *x, int64_t id, const int64_t *grids, size_t n,
                   struct dom_err *e)
{
	struct grids_arg a = { .id = id, .grids = grids, .n = n };
	struct dom_write w = { .action = "user.grids",
		               .permission = "user.write",
		               .authorize = grids_authorize,
		               .apply = grids_apply,
		               .arg = &a };
	size_t o = strlen("网格：");

	memcpy(w.detail, "网格：", o + 1);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(w.detail + o, sizeof w.detail - o, "%s%" PRId64, i ? "," : "",
		                 grids[i]);

		if (k < 0 || (size_t)k >= sizeof w.detail - o)
			break;
		o += (size_t)k;
	}
	dom_write_object(&w, "user:%" PRId64, id);
	return dom_write(x, &w, e);
}

int user_find_by_id_number(struct store_conn *c, const struct principal *p, int64_t now,
                           const char *id_number, int64_t *id)
{
	struct store_stmt *st;
	struct idcard ic;
	struct user_view u;
	char bidx[VAULT_INDEX_HEX];
	int64_t cand[16];
	size_t n = 0;
	int rc;

	if (!id_number || idcard_parse(id_number, &ic, NULL) < 0)
		return 0;
	if (sealed_id_number_index(ic.number, bidx) < 0)
		return 0;
	st = store_prepare(c, "SELECT id FROM users WHERE id_number_bidx = ? ORDER BY id LIMIT 16");
	if (!st)
		return -1;
	store_bind_text(st, 1, bidx, -1);
	while ((rc = store_step(st)) == STORE_ROW)
		cand[n++] = store_col_int64(st, 0);
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Visible to p, and really this number (the index only narrows the search). */
		rc = user_load(c, p, cand[i], now, &u);
		if (rc < 0)
			return -1;
		if (rc == 1 && strcmp(u.id_number, ic.number) == 0) {
			sodium_memzero(&u, sizeof u);
			*id = cand[i];
			return 1;
		}
		sodium_memzero(&u, sizeof u);
	}
	return 0;
}

int64_t user_id_by_name(const struct dom_ctx *x, const char *username)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);
	struct store_stmt *st;
	struct user_view u;
	int64_t id = 0;
	int rc;

	if (!c || !(st = store_prepare(c, "SELECT id FROM users WHERE username = ?")))
		return -1;
	store_bind_text(st, 1, username, -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		id = store_col_int64(st, 0);
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return -1;
	if (id > 0) {
		/* Only a user the caller may see. */
		rc = user_load(c, x->caller, id, x->now, &u);
		sodium_memzero(&u, sizeof u);
		if (rc < 0)
			return -1;
		if (rc == 0)
			id = 0;
	}
	return id;
}
