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
#include "base/vault.h"
#include "domain/legacy_write.h"
#include "domain/password.h"
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

/* ---- users ---- */

static const char user_cols[] =
        "SELECT u.id, u.username, u.display_name, u.org_id, o.name, r.path, "
        "coalesce(u.phone, ''), coalesce(u.id_number, ''), u.must_change_password, "
        "u.totp_enabled, u.disabled, u.created_at, u.password_changed_at, "
        "EXISTS (SELECT 1 FROM lockouts l WHERE l.kind = 'account' AND l.subject = u.username "
        "AND l.until > ? AND l.released_at IS NULL) "
        "FROM users u JOIN organisations o ON o.id = u.org_id JOIN regions r ON r.code = "
        "o.region_code ";

/* Sensitive user fields are sealed at rest (base/vault.h); the field names are the AEAD's
   associated data together with the user id, so a value does not open in another field or row. */
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

json_t *user_grids_json(struct store_conn *c, int64_t user_id)
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
json_t *user_list(const struct dom_ctx *x, const struct user_filter *f, user_json_fn row, void *ctx,
                  struct dom_err *e)
{
	const struct principal *p = x->caller;
	struct store_conn *c = store_reader(x->store);
	char sql[1600], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX], like[160];
	static const char filter[] =
	        "WHERE r.path >= ? AND r.path < ? AND (? = 0 OR u.org_id = ?) AND (? IS NULL OR "
	        "u.username LIKE ? OR u.display_name LIKE ?) AND (? IS NULL OR EXISTS (SELECT 1 "
	        "FROM user_roles ur JOIN roles ro ON ro.id = ur.role_id WHERE ur.user_id = u.id "
	        "AND "
	        "ro.name = ?)) AND (? = 0 OR u.id = ?) ";
	struct store_stmt *st;
	json_t *items = json_array();
	int64_t total = 0, only = p->grid_bound && !p->is_system ? p->user_id : 0;
	int rc;

	access_scope_range(p, lo, hi);
	if (f->q)
		snprintf(like, sizeof like, "%%%s%%", f->q);
	if (!c || !items)
		goto fail;
	for (int pass = 0; pass < 2; pass++) {
		int k = 1;
		if (pass == 0)
			snprintf(sql, sizeof sql,
			         "SELECT count(*) FROM users u JOIN organisations o ON o.id = "
			         "u.org_id "
			         "JOIN regions r ON r.code = o.region_code %s",
			         filter);
		else
			snprintf(sql, sizeof sql, "%s%sORDER BY u.id LIMIT ? OFFSET ?", user_cols,
			         filter);
		st = store_prepare(c, sql);
		if (!st)
			goto fail;
		if (pass == 1)
			store_bind_int64(st, k++, x->now);
		store_bind_text(st, k++, lo, -1);
		store_bind_text(st, k++, hi, -1);
		store_bind_int64(st, k++, f->org_id);
		store_bind_int64(st, k++, f->org_id);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->role, -1);
		store_bind_text(st, k++, f->role, -1);
		store_bind_int64(st, k++, only);
		store_bind_int64(st, k++, only);
		if (pass == 1) {
			store_bind_int64(st, k++, f->limit);
			store_bind_int64(st, k++, f->offset);
		}
		while ((rc = store_step(st)) == STORE_ROW) {
			if (pass == 0) {
				total = store_col_int64(st, 0);
			} else {
				struct user_view u;
				user_from_row(st, &u);
				json_array_append_new(items, row(ctx, &u));
			}
		}
		store_reset(st);
		if (rc != STORE_DONE)
			goto fail;
	}
	if (role_attach_to_users(c, items) < 0)
		goto fail;
	return json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                 (json_int_t)f->limit, "offset", (json_int_t)f->offset);
fail:
	json_decref(items);
	dom_err_set(e, 503, "read_failed", "读取用户失败，请稍后重试");
	return NULL;
}

static int user_fields_validate(const struct user_fields *f, int creating, struct dom_err *e)
{
	char msg[128];

	if (creating && !user_name_ok(f->username)) {
		dom_err_set(e, 400, "bad_username",
		            "用户名须为 3 到 32 个小写字母、数字或 _ . -，以字母或数字开头");
		return -1;
	}
	if ((creating || f->display_name) && !dom_name_valid(f->display_name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_display_name", "姓名：%s", msg);
		return -1;
	}
	if (f->phone && *f->phone) {
		size_t n = strlen(f->phone);
		if (n < 5 || n > 20 || strspn(f->phone, "0123456789-+") != n) {
			dom_err_set(e, 400, "bad_phone", "电话号码格式不正确");
			return -1;
		}
	}
	if (f->id_number && *f->id_number) {
		struct code_error ce = { 0 };
		if (idcard_parse(f->id_number, NULL, &ce) < 0) {
			dom_err_set(e, 400, "bad_id_number", "身份证号码无效：%s",
			            ce.message ? ce.message : "");
			return -1;
		}
	}
	return 0;
}

struct user_write {
	const struct dom_ctx *x;
	const struct principal *p;
	const struct user_fields *f;
	int64_t id;
	const char *hash;
	const char *role; /* bootstrap */
	const char *totp; /* bootstrap */
	int must_change;
	int check_scope;
	struct dom_err *e;
};

static int user_create_fn(struct store_conn *c, void *arg)
{
	struct user_write *w = arg;
	const struct user_fields *f = w->f;
	struct store_stmt *st;
	struct org o;
	char obj[40], idn[19] = "";
	int64_t now = w->x->now;
	int rc;

	rc = org_load(c, w->check_scope ? w->p : access_system(), f->org_id, &o);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
		return 1;
	}
	if (f->id_number && *f->id_number) {
		struct idcard ic;
		if (idcard_parse(f->id_number, &ic, NULL) == 0)
			dom_copy(idn, sizeof idn, ic.number);
	}
	st = store_prepare(c,
	                   "INSERT INTO users (username, display_name, org_id, phone, "
	                   "id_number, password_hash, password_changed_at, must_change_password, "
	                   "totp_secret, totp_enabled, created_at, updated_at) VALUES (?, ?, ?, ?, "
	                   "?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, f->username, -1);
	store_bind_text(st, 2, f->display_name, -1);
	store_bind_int64(st, 3, f->org_id);
	store_bind_null(st, 4); /* sealed below, once the row id is known */
	store_bind_null(st, 5);
	store_bind_text(st, 6, w->hash, -1);
	store_bind_int64(st, 7, now);
	store_bind_int64(st, 8, w->must_change);
	store_bind_null(st, 9); /* sealed below, once the row id is known */
	store_bind_int64(st, 10, w->totp ? 1 : 0);
	store_bind_int64(st, 11, now);
	store_bind_int64(st, 12, now);
	rc = dom_step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "用户名 %s 已存在", f->username);
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	rc = sealed_user_fields(c, w->id, f->phone && *f->phone ? f->phone : NULL,
	                        idn[0] ? idn : NULL, w->e);
	if (rc)
		return rc;
	if (w->totp) {
		/* The TOTP secret is sealed like the phone, bound to the new row id. */
		char sealed[SEALED_TOTP_MAX];
		if (sealed_totp_seal(w->id, w->totp, sealed, sizeof sealed) < 0) {
			dom_err_set(w->e, 503, "vault_unavailable",
			            "敏感信息加密密钥未加载，暂时无法保存动态口令密钥");
			return 1;
		}
		st = store_prepare(c, "UPDATE users SET totp_secret = ? WHERE id = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, sealed, -1);
		store_bind_int64(st, 2, w->id);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	if (w->role && (rc = role_grant_conn(c, w->id, w->role, 0, now)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, "user.create", obj, "success",
	                    w->role ? w->role : f->username);
}

int user_create(const struct dom_ctx *x, const struct user_fields *f, int64_t *id,
                char *temp_password, size_t tplen, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX];
	struct user_write w = { .x = x,
		                .p = x->caller,
		                .f = f,
		                .hash = hash,
		                .must_change = 1,
		                .check_scope = 1,
		                .e = e };
	int rc;

	if (user_fields_validate(f, 1, e) < 0)
		return -1;
	password_generate(temp_password, tplen);
	if (password_hash(x->security, temp_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = legacy_write(x->store, user_create_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	*id = w.id;
	return 0;
}

int64_t user_bootstrap(const struct dom_ctx *x, const char *username, const char *display_name,
                       int64_t org_id, const char *role, int must_change, char *password_out,
                       size_t pwlen, char *totp_secret_out, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX], secret[TOTP_SECRET_B32];
	struct user_fields f = { .username = username,
		                 .display_name = display_name,
		                 .org_id = org_id };
	struct user_write w = { .x = x,
		                .p = access_system(),
		                .f = &f,
		                .hash = hash,
		                .role = role,
		                .must_change = must_change,
		                .e = e };
	int rc;

	if (!builtin_role_find(role)) {
		dom_err_set(e, 400, "unknown_role", "未知角色 %s", role ? role : "");
		return -1;
	}
	if (user_fields_validate(&f, 1, e) < 0)
		return -1;
	password_generate(password_out, pwlen);
	if (totp_secret_out) {
		totp_new_secret(secret);
		w.totp = secret;
	}
	if (password_hash(x->security, password_out, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = store_write(x->store, user_create_fn, &w);
	sodium_memzero(hash, sizeof hash);
	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败");
		return -1;
	}
	if (totp_secret_out)
		memcpy(totp_secret_out, secret, TOTP_SECRET_B32);
	sodium_memzero(secret, sizeof secret);
	return w.id;
}

int user_visible(struct store_conn *c, const struct dom_ctx *x, int64_t id, struct user_view *u,
                 struct dom_err *e)
{
	int rc = user_load(c, x->caller, id, x->now, u);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(e, 404, "not_found", "用户不存在");
		return 1;
	}
	return 0;
}

static int user_update_fn(struct store_conn *c, void *arg)
{
	struct user_write *w = arg;
	const struct user_fields *f = w->f;
	struct user_view u;
	struct store_stmt *st;
	char obj[40], idn[19] = "", detail[160];
	int rc = user_visible(c, w->x, w->id, &u, w->e);

	if (rc)
		return rc;
	if (f->org_id) {
		struct org o;
		rc = org_load(c, w->p, f->org_id, &o);
		if (rc < 0)
			return STORE_ERR;
		if (rc == 0) {
			dom_err_set(w->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
			return 1;
		}
	}
	if (f->disabled > 0 && w->id == w->p->user_id) {
		dom_err_set(w->e, 409, "self_disable", "不能停用自己的账号");
		return 1;
	}
	if (f->id_number && *f->id_number) {
		struct idcard ic;
		if (idcard_parse(f->id_number, &ic, NULL) == 0)
			dom_copy(idn, sizeof idn, ic.number);
	}
	st = store_prepare(
	        c, "UPDATE users SET display_name = coalesce(?, display_name), org_id = "
	           "CASE WHEN ? = 0 THEN org_id ELSE ? END, disabled = CASE WHEN ? < 0 THEN "
	           "disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, f->display_name, -1);
	store_bind_int64(st, 2, f->org_id);
	store_bind_int64(st, 3, f->org_id);
	store_bind_int64(st, 4, f->disabled);
	store_bind_int64(st, 5, f->disabled);
	store_bind_int64(st, 6, w->x->now);
	store_bind_int64(st, 7, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	rc = sealed_user_fields(c, w->id, f->phone, f->id_number ? idn : NULL, w->e);
	if (rc)
		return rc;
	if (f->disabled > 0) {
		st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND "
		                      "revoked_at IS NULL");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->x->now);
		store_bind_int64(st, 2, w->id);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	/* Which fields changed, never their values (they may be personal data). */
	snprintf(detail, sizeof detail, "修改字段：%s%s%s%s%s", f->display_name ? " 姓名" : "",
	         f->org_id ? " 所属组织" : "", f->phone ? " 电话" : "",
	         f->id_number ? " 身份证号" : "", f->disabled >= 0 ? " 停用状态" : "");
	return legacy_audit(c, w->x, w->p, "user.update", obj, "success", detail);
}

int user_update(const struct dom_ctx *x, int64_t id, const struct user_fields *f, struct dom_err *e)
{
	struct user_write w = { .x = x, .p = x->caller, .f = f, .id = id, .e = e };

	if (user_fields_validate(f, 0, e) < 0)
		return -1;
	return legacy_write(x->store, user_update_fn, &w, e);
}

struct pw_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	const char *hash;
	int must_change;
	int64_t keep_session;
	const char *action;
	struct dom_err *e;
};

static int set_password_fn(struct store_conn *c, void *arg)
{
	struct pw_write *w = arg;
	struct store_stmt *st;
	struct user_view u;
	char obj[40];
	int rc = user_visible(c, w->x, w->id, &u, w->e);

	if (rc)
		return rc;
	st = store_prepare(c, "UPDATE users SET password_hash = ?, password_changed_at = ?, "
	                      "must_change_password = ?, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->hash, -1);
	store_bind_int64(st, 2, w->x->now);
	store_bind_int64(st, 3, w->must_change);
	store_bind_int64(st, 4, w->x->now);
	store_bind_int64(st, 5, w->id);
	if ((rc = dom_step_done(st)) != 0 ||
	    (rc = session_revoke_user(c, w->id, w->keep_session, w->x->now)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, w->action, obj, "success", "");
}

int user_password_reset(const struct dom_ctx *x, int64_t id, char *temp_password, size_t tplen,
                        struct dom_err *e)
{
	const struct principal *p = x->caller;
	char hash[PASSWORD_HASH_MAX];
	struct pw_write w = { .x = x,
		              .p = p,
		              .id = id,
		              .hash = hash,
		              .must_change = 1,
		              .action = "user.password_reset",
		              .e = e };
	int rc;

	if (id == p->user_id) {
		dom_err_set(e, 409, "self_reset", "不能重置自己的密码，请使用修改密码");
		return -1;
	}
	password_generate(temp_password, tplen);
	if (password_hash(x->security, temp_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = legacy_write(x->store, set_password_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	return 0;
}

int user_password_change(const struct dom_ctx *x, const char *old_password,
                         const char *new_password, int64_t keep_session, struct dom_err *e)
{
	const struct principal *p = x->caller;
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	char hash[PASSWORD_HASH_MAX] = "", old_hash[PASSWORD_HASH_MAX] = "";
	struct pw_write w = { .x = x,
		              .p = p,
		              .id = p->user_id,
		              .hash = hash,
		              .must_change = 0,
		              .keep_session = keep_session,
		              .action = "user.password_change",
		              .e = e };
	const char *why;
	int rc;

	if (!p->user_id) {
		dom_err_set(e, 403, "forbidden", "只有用户可以修改密码");
		return -1;
	}
	if (!c || !(st = store_prepare(c, "SELECT password_hash FROM users WHERE id = ?"))) {
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return -1;
	}
	store_bind_int64(st, 1, p->user_id);
	if (store_step(st) == STORE_ROW)
		dom_copy(old_hash, sizeof old_hash, store_col_text(st, 0));
	store_reset(st);
	if (!password_verify(old_hash, old_password)) {
		struct audit_entry ae;
		char obj[40];
		snprintf(obj, sizeof obj, "user:%" PRId64, p->user_id);
		legacy_audit_init(x, p, &ae);
		ae.action = "user.password_change";
		ae.object = obj;
		ae.outcome = "failure";
		ae.detail = "当前密码错误";
		audit_append(x->store, x->audit_key, &ae);
		dom_err_set(e, 400, "wrong_password", "当前密码不正确");
		return -1;
	}
	if ((why = password_policy(p->username, new_password)) != NULL) {
		dom_err_set(e, 400, "weak_password", "%s", why);
		return -1;
	}
	if (password_verify(old_hash, new_password)) {
		dom_err_set(e, 400, "same_password", "新密码不能与当前密码相同");
		return -1;
	}
	if (password_hash(x->security, new_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = legacy_write(x->store, set_password_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	return 0;
}

struct grids_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	const int64_t *grids;
	size_t n;
	struct dom_err *e;
};

static int set_grids_fn(struct store_conn *c, void *arg)
{
	struct grids_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	char obj[40], detail[256];
	size_t o = 0;
	int rc = user_visible(c, w->x, w->id, &u, w->e);

	if (rc)
		return rc;
	o = (size_t)snprintf(detail, sizeof detail, "网格：");
	for (size_t i = 0; i < w->n; i++) {
		char path[ACCESS_PATH_MAX] = "";
		int found = 0, k;
		st = store_prepare(c, "SELECT path FROM grids WHERE id = ? AND status = 'active'");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->grids[i]);
		if (store_step(st) == STORE_ROW) {
			dom_copy(path, sizeof path, store_col_text(st, 0));
			found = 1;
		}
		store_reset(st);
		if (!found || !access_sees_grid(w->p, w->grids[i], path) ||
		    strncmp(path, u.org_region_path, strlen(u.org_region_path)) != 0) {
			dom_err_set(w->e, 404, "unknown_grid",
			            "网格 %" PRId64 " 不存在、已撤销或不在该用户所属组织的辖区内",
			            w->grids[i]);
			return 1;
		}
		k = snprintf(detail + o, sizeof detail - o, "%s%" PRId64, i ? "," : "",
		             w->grids[i]);
		if (k > 0 && (size_t)k < sizeof detail - o)
			o += (size_t)k;
	}
	st = store_prepare(c, "DELETE FROM user_grids WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		st = store_prepare(c, "INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?) ON "
		                      "CONFLICT DO NOTHING");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		store_bind_int64(st, 2, w->grids[i]);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, "user.grids", obj, "success", detail);
}

int user_set_grids(const struct dom_ctx *x, int64_t id, const int64_t *grids, size_t n,
                   struct dom_err *e)
{
	struct grids_write w = { .x = x, .p = x->caller, .id = id, .grids = grids, .n = n, .e = e };

	return legacy_write(x->store, set_grids_fn, &w, e);
}

int64_t user_count(const struct dom_ctx *x)
{
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	int64_t n = -1;

	if (!c || !(st = store_prepare(c, "SELECT count(*) FROM users")))
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
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
