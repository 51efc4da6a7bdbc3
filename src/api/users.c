/*
 * Users: /api/v1/users and /api/v1/users/:id[/password-reset|/roles|/grids|/totp]. Personal
 * fields leave masked (domain/sensitive.h) unless the caller holds sensitive.unmask and gives
 * ?unmask=1&reason=...; every unmasking is recorded with its reason.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/clock.h"
#include "domain/activation.h"
#include "domain/role.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "domain/sensitive.h"

/* 1 when the request asks for unmasking and may have it, 0 when it does not ask, -1 after
   answering (403 without the permission, 400 without a reason). */
int api_unmask_requested(struct req *r)
{
	const char *q = req_query(r, "unmask");
	const char *reason = req_query(r, "reason");

	if (!q || strcmp(q, "1") != 0)
		return 0;
	if (!access_can(req_principal(r), "sensitive.unmask")) {
		char obj[160];
		snprintf(obj, sizeof obj, "%s", req_path(r));
		api_audit(r, "sensitive.unmask", obj, "denied",
		          "无查看敏感信息原文的权限（sensitive.unmask）");
		resp_error(r, 403, "forbidden", "无权查看敏感个人信息原文");
		return -1;
	}
	if (!sensitive_reason_ok(reason)) {
		resp_error(r, 400, "reason_required", "查看敏感信息原文须填写理由（2 到 200 字）");
		return -1;
	}
	return 1;
}

/* Records one unmasking of object with the request's reason. */
void api_unmask_record(struct req *r, const char *object)
{
	char detail[900];

	snprintf(detail, sizeof detail, "理由：%s", req_query(r, "reason"));
	api_audit(r, "sensitive.unmask", object, "success", detail);
}

struct view_ctx {
	int unmask;
};

static json_t *user_json(void *arg, const struct user_view *u)
{
	struct view_ctx *v = arg;
	char phone[64], idn[64], t1[32], t2[32];
	const char *ph = u->phone[0] ? sensitive_show("user", "phone", u->phone, v->unmask, phone,
	                                              sizeof phone)
	                             : NULL;
	const char *id = u->id_number[0] ? sensitive_show("user", "id_number", u->id_number,
	                                                  v->unmask, idn, sizeof idn)
	                                 : NULL;

	return json_pack(
	        "{s:I,s:s,s:s,s:{s:I,s:s},s:s?,s:s?,s:b,s:b,s:b,s:b,s:s,s:s,s:b}", "id",
	        (json_int_t)u->id, "username", u->username, "display_name", u->display_name, "org",
	        "id", (json_int_t)u->org_id, "name", u->org_name, "phone", ph, "id_number", id,
	        "must_change_password", u->must_change_password, "totp_enabled", u->totp_enabled,
	        "disabled", u->disabled, "locked", u->locked, "created_at",
	        clock_format_local(u->created_at, t1, sizeof t1), "password_changed_at",
	        clock_format_local(u->password_changed_at, t2, sizeof t2), "masked", !v->unmask);
}

void api_users_list(struct req *r)
{
	struct user_filter f = { 0 };
	struct view_ctx v = { 0 };
	struct dom_page pg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *org = req_query(r, "org_id");
	json_t *out;
	int um;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	f.q = req_query(r, "q");
	f.role = req_query(r, "role");
	if (f.q && !*f.q)
		f.q = NULL;
	if (f.role && !*f.role)
		f.role = NULL;
	if (f.q && strlen(f.q) > 64) {
		resp_error(r, 400, "bad_query", "查询词过长");
		return;
	}
	if (org && *org) {
		char *end;

		f.org_id = strtoll(org, &end, 10);
		if (*end || f.org_id <= 0) {
			resp_error(r, 400, "bad_org_id", "org_id 须为正整数");
			return;
		}
	}
	if ((um = api_unmask_requested(r)) < 0)
		return;
	v.unmask = um;
	api_ctx(r, &x);
	out = user_list(&x, &f, &pg, user_json, &v, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	if (um)
		api_unmask_record(r, "users:list");
	resp_json(r, 200, out);
}

/* Answers user id (visible to the caller) with its roles and grids; otp, when given, is the
   one-time password just set. */
static void respond_user(struct req *r, int status, int64_t id, int unmask, const char *otp)
{
	struct user_view u;
	struct view_ctx v = { unmask };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;

	api_ctx(r, &x);
	if (user_get(&x, id, &u, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	o = user_json(&v, &u);
	sodium_memzero(&u, sizeof u);
	if (user_add_roles_grids(&x, id, o) < 0) {
		json_decref(o);
		resp_error(r, 503, "read_failed", "读取失败，请稍后重试");
		return;
	}
	if (otp)
		json_object_set_new(o, "one_time_password", json_string(otp));
	if (unmask) {
		char obj[40];

		(void)snprintf(obj, sizeof obj, "user:%" PRId64, id);
		api_unmask_record(r, obj);
	}
	resp_json(r, status, o);
}

void api_users_get(struct req *r)
{
	struct user_view u;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;
	int um;

	if (api_id_param(r, "id", &id) < 0)
		return;
	/* Out of scope answers 404 before anything about unmasking is said. */
	api_ctx(r, &x);
	if (user_get(&x, id, &u, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	sodium_memzero(&u, sizeof u);
	if ((um = api_unmask_requested(r)) < 0)
		return;
	respond_user(r, 200, id, um, NULL);
}

void api_users_create(struct req *r)
{
	static const char *const allowed[] = { "username", "display_name", "org_id",
		                               "phone",    "id_number",    NULL };
	json_t *body = req_json_or_respond(r);
	struct user_fields f = { .disabled = -1 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char otp[USER_TEMP_PASSWORD_MAX];
	int64_t id;
	int bad = 0;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	bad |= body_string(body, "username", &f.username) < 0;
	bad |= body_string(body, "display_name", &f.display_name) < 0;
	bad |= body_string(body, "phone", &f.phone) < 0;
	bad |= body_string(body, "id_number", &f.id_number) < 0;
	f.org_id = json_integer_value(json_object_get(body, "org_id"));
	if (bad || !json_is_integer(json_object_get(body, "org_id"))) {
		resp_error(r, 400, "bad_request",
		           "需要 username、display_name（字符串）和 org_id（整数）");
		return;
	}
	api_ctx(r, &x);
	if (user_create(&x, &f, &id, otp, sizeof otp, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_user(r, 201, id, 0, otp);
	sodium_memzero(otp, sizeof otp);
}

void api_users_update(struct req *r)
{
	static const char *const allowed[] = { "display_name", "phone",    "id_number",
		                               "org_id",       "disabled", NULL };
	json_t *body = req_json_or_respond(r), *v;
	struct user_fields f = { .disabled = -1 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;
	int bad = 0;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	bad |= body_string(body, "display_name", &f.display_name) < 0;
	bad |= body_string(body, "phone", &f.phone) < 0;
	bad |= body_string(body, "id_number", &f.id_number) < 0;
	if (json_is_null(json_object_get(body, "phone")))
		f.phone = "";
	if (json_is_null(json_object_get(body, "id_number")))
		f.id_number = "";
	if ((v = json_object_get(body, "org_id")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			bad = 1;
		f.org_id = json_integer_value(v);
	}
	if ((v = json_object_get(body, "disabled")) != NULL) {
		if (!json_is_boolean(v))
			bad = 1;
		f.disabled = json_is_true(v);
	}
	if (bad) {
		resp_error(r, 400, "bad_request", "字段类型不正确");
		return;
	}
	api_ctx(r, &x);
	if (user_update(&x, id, &f, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_user(r, 200, id, 0, NULL);
}

void api_users_password_reset(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char otp[USER_TEMP_PASSWORD_MAX];
	int64_t id;

	if (api_id_param(r, "id", &id) < 0 || body_none_or_respond(r) < 0)
		return;
	api_ctx(r, &x);
	if (user_password_reset(&x, id, otp, sizeof otp, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "one_time_password", otp,
	                    "must_change_password", 1));
	sodium_memzero(otp, sizeof otp);
}

void api_users_set_roles(struct req *r)
{
	static const char *const allowed[] = { "roles", NULL };
	json_t *body = req_json_or_respond(r);
	const char *names[ROLE_GRANT_MAX];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	size_t n;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_strings_or_respond(r, json_object_get(body, "roles"), "roles", ROLE_GRANT_MAX,
	                            names, &n, "roles 须为角色标识的数组（最多 32 个）") < 0)
		return;
	api_ctx(r, &x);
	if (role_assign(&x, id, names, n, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_user(r, 200, id, 0, NULL);
}

void api_users_set_grids(struct req *r)
{
	static const char *const allowed[] = { "grid_ids", NULL };
	json_t *body = req_json_or_respond(r), *ids, *v;
	int64_t grids[64], id;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	size_t i, n = 0;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	ids = json_object_get(body, "grid_ids");
	if (!json_is_array(ids) || json_array_size(ids) > 64) {
		resp_error(r, 400, "bad_request",
		           "grid_ids 须为网格编号（id）的数组（最多 64 个）");
		return;
	}
	json_array_foreach(ids, i, v)
	{
		if (!json_is_integer(v)) {
			resp_error(r, 400, "bad_request", "grid_ids 须为整数数组");
			return;
		}
		grids[n++] = json_integer_value(v);
	}
	api_ctx(r, &x);
	if (user_set_grids(&x, id, grids, n, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_user(r, 200, id, 0, NULL);
}

void api_users_totp_reset(struct req *r)
{
	int64_t id;

	if (id_write_or_respond(r, totp_enrol_reset, &id) == 0)
		resp_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "totp_enabled", 0));
}

/* ---- 三员分立: the security administrator's routes (docs/api-identity.md) ---- */

/* POST /api/v1/users/:id/activation: an activation code, shown once (domain/activation.h). */
void api_users_activation(struct req *r)
{
	static const char *const keys[] = { NULL };
	const struct buf *b = req_body(r);
	char code[ACTIVATION_CODE_CHARS], t[32];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id, expires = 0;

	/* No body, or an empty object. */
	if (b && b->len) {
		json_t *body = req_json_or_respond(r);

		if (!body || body_keys_or_respond(r, body, keys, "") < 0)
			return;
	}
	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	if (activation_issue(&x, id, code, &expires, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 201,
	          json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "activation_code", code,
	                    "expires_at", clock_format_local(expires, t, sizeof t)));
	sodium_memzero(code, sizeof code);
}

/* PATCH /api/v1/users/:id/admin-account {"display_name"?, "disabled"?}: an account holding
   security or audit permissions. */
void api_users_admin_update(struct req *r)
{
	static const char *const keys[] = { "display_name", "disabled", NULL };
	json_t *body = req_json_or_respond(r), *v;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *name = NULL;
	int disabled = -1;
	int64_t id;

	if (!body || body_keys_or_respond(r, body, keys, "") < 0 ||
	    body_string_or_respond(r, body, "display_name", &name) < 0 ||
	    api_id_param(r, "id", &id) < 0)
		return;
	if ((v = json_object_get(body, "disabled")) != NULL) {
		if (!json_is_boolean(v)) {
			resp_error(r, 400, "bad_field", "字段 disabled 必须是布尔值");
			return;
		}
		disabled = json_is_true(v);
	}
	api_ctx(r, &x);
	if (user_admin_update(&x, id, name, disabled, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_user(r, 200, id, 0, NULL);
}

/* POST /api/v1/users/:id/admin-account/password-reset: a new one-time password for an account
   holding security or audit permissions. */
void api_users_admin_password_reset(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char otp[24];
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	if (user_admin_password_reset(&x, id, otp, USER_TEMP_PASSWORD_MAX, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "one_time_password", otp,
	                    "must_change_password", 1));
	sodium_memzero(otp, sizeof otp);
}
