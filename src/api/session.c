/*
 * The authentication and authorization step run before every route (api_authorize), the
 * automatic audit of state-changing requests (api_audit_request), and the session resource:
 * POST/GET/DELETE /api/v1/session, DELETE /api/v1/sessions, PUT /api/v1/session/password,
 * POST /api/v1/session/totp, /totp/confirm and /totp/disable. See docs/api-identity.md.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "domain/caller.h"
#include "domain/security_config.h"
#include "domain/session.h"
#include "domain/token.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"

/* ---- shared helpers of the identity handlers ---- */

static const struct security_config *config_of(struct app *app)
{
	static struct security_config fallback;
	static int ready;

	if (app->security)
		return app->security;
	if (!ready) {
		security_config_default(&fallback);
		ready = 1;
	}
	return &fallback;
}

void api_ctx(struct req *r, struct dom_ctx *x)
{
	struct app *app = req_app(r);

	memset(x, 0, sizeof *x);
	x->store = app->store;
	x->caller = req_principal(r);
	x->now = clock_now();
	x->audit_key = app->audit_key;
	x->source = req_client_addr(r);
	x->request_id = req_id(r);
	x->security = config_of(app);
}

struct caller *api_caller(struct req *r)
{
	return req_auth(r);
}

void api_audit(struct req *r, const char *action, const char *object, const char *outcome,
               const char *detail)
{
	struct dom_ctx x;

	api_ctx(r, &x);
	(void)dom_audit(&x, action, object, outcome, detail);
}

/* ---- the authorization step ---- */

static void caller_free(void *p)
{
	struct caller *c = p;

	caller_release(c);
	free(c);
}

static int state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

static void deny(struct req *r, int status, const char *code, const char *message)
{
	char detail[96];

	if (access_authenticated(req_principal(r))) {
		const struct route *rt = req_route(r);
		char action[160];
		snprintf(action, sizeof action, "%s %s", req_method(r), rt->pattern);
		snprintf(detail, sizeof detail, "status=%d code=%s permission=%s", status, code,
		         rt->permission);
		api_audit(r, action, req_path(r), "denied", detail);
		req_set_audited(r);
	}
	resp_error(r, status, code, message);
}

int api_authorize(struct req *r)
{
	const struct route *rt = req_route(r);
	struct caller *c = calloc(1, sizeof *c);
	const char *auth, *cookie, *perm = rt->permission;
	struct dom_ctx x;
	int rc = 0, has_cookie = 0;

	if (!c) {
		resp_error(r, 500, "internal", "服务器内部错误");
		return -1;
	}
	caller_init(c);
	req_set_principal(r, &c->p, c, caller_free);
	/* Test-only routes exist only with --enable-internal and need no login. */
	if (rt->flags & ROUTE_INTERNAL)
		return 0;
	api_ctx(r, &x);
	auth = req_header(r, "Authorization");
	cookie = req_cookie(r, SESSION_COOKIE);
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		rc = token_authenticate(&x, auth + 7, c);
		if (rc == 0) {
			resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
			resp_error(r, 401, "invalid_token", "接口令牌无效、已过期或已吊销");
			return -1;
		}
	} else if (cookie && *cookie) {
		has_cookie = 1;
		rc = session_authenticate(&x, cookie, c);
	}
	if (rc < 0) {
		resp_error(r, 503, "auth_unavailable", "暂时无法验证身份，请稍后重试");
		return -1;
	}
	if (strcmp(perm, "public") == 0)
		return 0;
	if (!access_authenticated(&c->p)) {
		if (has_cookie)
			resp_error(r, 401, "session_expired", "登录已过期，请重新登录");
		else
			resp_error(r, 401, "unauthenticated", "请先登录");
		return -1;
	}
	if (c->via_cookie && state_changing(req_method(r)) &&
	    !session_csrf_ok(c, req_header(r, CSRF_HEADER))) {
		deny(r, 403, "csrf_failed", "请求缺少有效的 CSRF 令牌，请刷新页面后重试");
		return -1;
	}
	if (caller_restricted(c) && !(rt->flags & ROUTE_SELF)) {
		if (c->must_change_password)
			deny(r, 403, "password_change_required", "请先修改密码");
		else
			deny(r, 403, "totp_enrolment_required", "请先启用双因素认证（动态验证码）");
		return -1;
	}
	if (strcmp(perm, "authenticated") == 0 || access_can(&c->p, perm))
		return 0;
	deny(r, 403, "forbidden", "无权执行此操作");
	return -1;
}

void api_audit_request(struct req *r)
{
	const struct route *rt = req_route(r);
	const struct principal *p = req_principal(r);
	int status = req_status(r);
	char action[160], detail[32];

	if (!rt || !state_changing(req_method(r)) || req_audited(r))
		return;
	/* Anonymous writes refused with 401 are not recorded: they would let anyone fill the
	   trail. Logins record themselves. */
	if (!access_authenticated(p) && status == 401)
		return;
	snprintf(action, sizeof action, "%s %s", req_method(r), rt->pattern);
	snprintf(detail, sizeof detail, "status=%d", status);
	api_audit(r, action, req_path(r),
	          status < 400                       ? "success"
	          : (status == 401 || status == 403) ? "denied"
	                                             : "failure",
	          detail);
}

/* ---- session resource ---- */

static void set_cookies(struct req *r, const char *token, const char *csrf, int64_t max_age)
{
	const struct security_config *cfg = config_of(req_app(r));
	char v[256];

	snprintf(v, sizeof v, "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%" PRId64 "%s",
	         SESSION_COOKIE, token, max_age, cfg->secure_cookies ? "; Secure" : "");
	resp_header(r, "Set-Cookie", v);
	snprintf(v, sizeof v, "%s=%s; SameSite=Strict; Path=/; Max-Age=%" PRId64 "%s", CSRF_COOKIE,
	         csrf, max_age, cfg->secure_cookies ? "; Secure" : "");
	resp_header(r, "Set-Cookie", v);
	sodium_memzero(v, sizeof v);
}

static json_t *perms_json(const struct perm_set *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < permission_count; i++)
		if (perm_set_has(s, (int)i))
			json_array_append_new(a, json_string(permission_catalog[i].name));
	return a;
}

static json_t *whoami_json(struct req *r, const struct caller *c)
{
	struct dom_ctx x;
	json_t *o;

	o = json_pack("{s:s,s:{s:I,s:s,s:s},s:{s:I,s:s,s:s,s:s},s:o,s:b,s:b,s:b,s:b}", "kind",
	              c->p.token_id ? "token" : "session", "user", "id",
	              (json_int_t)(c->p.user_id ? c->p.user_id : c->p.token_id), "username",
	              c->p.username, "display_name", c->display_name, "org", "id",
	              (json_int_t)c->p.org_id, "name", c->org_name, "region_code", c->p.region_code,
	              "region_path", c->p.region_path, "permissions", perms_json(&c->perms),
	              "must_change_password", c->must_change_password, "totp_required",
	              c->totp_required, "totp_enrolled", c->totp_enrolled, "restricted",
	              caller_restricted(c));
	api_ctx(r, &x);
	if (o && c->p.user_id)
		(void)user_add_roles_grids(&x, c->p.user_id, o);
	return o;
}

void api_session_login(struct req *r)
{
	static const char *const allowed[] = { "username", "password", "totp", "recovery_code",
		                               NULL };
	json_t *body = req_json_or_respond(r), *out;
	struct login_request rq = { 0 };
	struct login_result res;
	struct dom_ctx x;
	struct caller c;
	char msg[160], t[32];

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	rq.username = body_string_or_null(body, "username");
	rq.password = body_string_or_null(body, "password");
	rq.totp = body_string_or_null(body, "totp");
	rq.recovery_code = body_string_or_null(body, "recovery_code");
	/* A session cookie sent along is ended by the login that replaces it. */
	rq.replaces = req_cookie(r, SESSION_COOKIE);
	if (!rq.username || !rq.password) {
		resp_error(r, 400, "missing_credentials", "请填写用户名和密码");
		return;
	}
	api_ctx(r, &x);
	req_set_audited(r); /* session_login records every outcome */
	if (session_login(&x, &rq, &res) < 0) {
		resp_error(r, 503, "login_unavailable", "暂时无法登录，请稍后重试");
		return;
	}
	switch (res.status) {
	case LOGIN_OK: break;
	case LOGIN_BAD_CREDENTIALS:
		resp_error(r, 401, "bad_credentials", "用户名或密码错误");
		return;
	case LOGIN_ACCOUNT_LOCKED:
		snprintf(msg, sizeof msg,
		         "登录失败次数过多，账号已锁定至 %s，请稍后重试或联系安全管理员",
		         clock_format_local(res.locked_until, t, sizeof t));
		resp_error(r, 423, "account_locked", msg);
		return;
	case LOGIN_ADDRESS_LOCKED:
		snprintf(msg, sizeof msg, "来自该地址的登录失败次数过多，已暂停至 %s",
		         clock_format_local(res.locked_until, t, sizeof t));
		resp_error(r, 429, "address_locked", msg);
		return;
	case LOGIN_TOTP_REQUIRED:
		resp_error(r, 401, "totp_required", "请输入动态验证码（或恢复码）");
		return;
	case LOGIN_TOTP_INVALID:
		resp_error(r, 401, "totp_invalid", "动态验证码或恢复码不正确，或已使用过");
		return;
	default: resp_error(r, 503, "login_unavailable", "暂时无法登录，请稍后重试"); return;
	}
	if (caller_get(&x, res.user_id, &c) != 1) {
		caller_release(&c);
		resp_error(r, 503, "login_unavailable", "暂时无法登录，请稍后重试");
		return;
	}
	set_cookies(r, res.token, res.csrf, x.security->session_absolute_s);
	out = whoami_json(r, &c);
	json_object_set_new(out, "csrf_token", json_string(res.csrf));
	json_object_set_new(out, "expires_at",
	                    json_string(clock_format_local(res.expires_at, t, sizeof t)));
	json_object_set_new(out, "idle_timeout_s",
	                    json_integer((json_int_t)x.security->session_idle_s));
	if (res.recovery_used)
		json_object_set_new(out, "recovery_codes_left", json_integer(res.recovery_left));
	caller_release(&c);
	sodium_memzero(&res, sizeof res);
	resp_json(r, 200, out);
}

void api_session_get(struct req *r)
{
	struct caller *c = api_caller(r);

	resp_json(r, 200, whoami_json(r, c));
}

static void logout(struct req *r, int everywhere)
{
	struct caller *c = api_caller(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;

	api_ctx(r, &x);
	if (session_logout(&x, c->session_id, everywhere, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	set_cookies(r, "", "", 0);
	resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void api_session_logout(struct req *r)
{
	logout(r, 0);
}

void api_sessions_logout_all(struct req *r)
{
	logout(r, 1);
}

void api_session_password(struct req *r)
{
	static const char *const allowed[] = { "old_password", "new_password", NULL };
	json_t *body = req_json_or_respond(r);
	struct caller *c = api_caller(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	if (!c->session_id) {
		resp_error(r, 400, "not_a_session", "接口令牌不能修改密码");
		return;
	}
	api_ctx(r, &x);
	if (user_password_change(&x, body_string_or_null(body, "old_password"),
	                         body_string_or_null(body, "new_password"), c->session_id,
	                         &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	req_set_audited(r);
	resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/* POST /api/v1/session/totp {"password"}: the password again, then a new secret (domain/
   totp_enrol.h). */
void api_session_totp_begin(struct req *r)
{
	static const char *const keys[] = { "password", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char secret[TOTP_SECRET_B32], uri[512];

	if (!body || body_keys_or_respond(r, body, keys, "") < 0)
		return;
	api_ctx(r, &x);
	if (totp_enrol_begin(&x, body_string_or_null(body, "password"), api_caller(r)->session_id,
	                     secret, sizeof secret, uri, sizeof uri, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200,
	          json_pack("{s:s,s:s,s:i,s:i}", "secret", secret, "otpauth_uri", uri, "digits",
	                    TOTP_DIGITS, "period", TOTP_STEP_S));
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(uri, sizeof uri);
}

/* POST /api/v1/session/totp/confirm {"code", "activation_code"?}: the activation code is needed
   by accounts that hold administrator or unmasking permissions (domain/activation.h). */
void api_session_totp_confirm(struct req *r)
{
	static const char *const keys[] = { "code", "activation_code", NULL };
	json_t *body = req_json_or_respond(r), *codes;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char rc[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS];

	if (!body || body_keys_or_respond(r, body, keys, "") < 0)
		return;
	api_ctx(r, &x);
	if (totp_enrol_confirm(&x, body_string_or_null(body, "code"),
	                       body_string_or_null(body, "activation_code"), rc, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	codes = json_array();
	for (int i = 0; i < RECOVERY_CODE_COUNT; i++)
		json_array_append_new(codes, json_string(rc[i]));
	sodium_memzero(rc, sizeof rc);
	resp_json(r, 200, json_pack("{s:b,s:o}", "totp_enrolled", 1, "recovery_codes", codes));
}

/* POST /api/v1/session/totp/disable {"password"}: turns the caller's optional TOTP off. */
void api_session_totp_disable(struct req *r)
{
	static const char *const keys[] = { "password", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;

	if (!body || body_keys_or_respond(r, body, keys, "") < 0)
		return;
	api_ctx(r, &x);
	if (totp_enrol_disable(&x, body_string_or_null(body, "password"), api_caller(r)->session_id,
	                       &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200, json_pack("{s:b}", "totp_enabled", 0));
}
