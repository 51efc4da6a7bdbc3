/*
 * API tokens (token.h): authentication of a request by its token, creation, list, revocation.
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/org.h"
#include "domain/session.h"
#include "domain/token.h"
#include "store/store.h"

int token_authenticate(const struct dom_ctx *x, const char *token, struct caller *out)
{
	int64_t now = x->now;
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	unsigned char th[32];
	int64_t tid = 0, last = 0;
	int rc, found = 0;

	caller_init(out);
	if (!token || strncmp(token, API_TOKEN_PREFIX, 4) != 0 ||
	    strlen(token) != API_TOKEN_CHARS - 1)
		return 0;
	if (!c)
		return -1;
	session_secret_hash(token, th);
	st = store_prepare(c, "SELECT t.id, t.name, t.org_id, o.kind, o.region_code, r.path, "
	                      "coalesce(t.last_used_at, 0), o.name FROM api_tokens t JOIN "
	                      "organisations o ON o.id = t.org_id JOIN regions r ON r.code = "
	                      "o.region_code WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
	                      "t.expires_at > ? AND o.disabled = 0");
	if (!st)
		return -1;
	store_bind_blob(st, 1, th, sizeof th);
	store_bind_int64(st, 2, now);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		tid = store_col_int64(st, 0);
		out->p.token_id = tid;
		snprintf(out->p.username, sizeof out->p.username, "token:%s",
		         store_col_text(st, 1));
		out->p.org_id = store_col_int64(st, 2);
		out->p.org_kind = org_kind_from_name(store_col_text(st, 3));
		dom_copy(out->p.region_code, sizeof out->p.region_code, store_col_text(st, 4));
		dom_copy(out->p.region_path, sizeof out->p.region_path, store_col_text(st, 5));
		last = store_col_int64(st, 6);
		dom_copy(out->org_name, sizeof out->org_name, store_col_text(st, 7));
		dom_copy(out->display_name, sizeof out->display_name, store_col_text(st, 1));
		found = 1;
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return -1;
	if (!found)
		return 0;
	st = store_prepare(c, "SELECT permission FROM api_token_permissions WHERE token_id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, tid);
	while ((rc = store_step(st)) == STORE_ROW) {
		const struct permission_def *d = permission_find(store_col_text(st, 0));
		/* Only what a token may carry, even if the row says otherwise. */
		if (d && (d->flags & PERM_TOKEN_GRANTABLE))
			perm_set_add_name(&out->perms, d->name);
	}
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	if (now - last >= 60) {
		session_touch(x->store, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", tid,
		              now);
	}
	return 1;
}

/* ---- creation and revocation ---- */

struct create_arg {
	const char *name;
	int64_t org_id, lifetime, id;
	const char *const *perms;
	size_t n;
	const char *token;
};

/* authorize: the token's organisation lies inside the caller's scope, and the caller holds every
   permission it puts on the token (a token never reaches further than its issuer could). */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct create_arg *a = w->arg;
	struct org o;
	int rc = org_load(c, x->caller, a->org_id, &o);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
	if (!x->caller->user_id)
		return dom_err_set(e, 403, "forbidden", "只有用户可以签发接口令牌");
	for (size_t i = 0; i < a->n; i++)
		if (!access_can(x->caller, a->perms[i]))
			return dom_err_set(e, 403, "permission_not_held",
			                   "您不持有权限 %s，不能把它授予接口令牌", a->perms[i]);
	return 0;
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct create_arg *a = w->arg;
	struct store_stmt *st;
	unsigned char th[32];
	char prefix[16];
	int rc;

	session_secret_hash(a->token, th);
	(void)snprintf(prefix, sizeof prefix, "%.12s", a->token);
	st = store_prepare(c, "INSERT INTO api_tokens (name, prefix, token_hash, org_id, "
	                      "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->name, -1);
	store_bind_text(st, 2, prefix, -1);
	store_bind_blob(st, 3, th, sizeof th);
	store_bind_int64(st, 4, a->org_id);
	store_bind_int64(st, 5, x->caller->user_id);
	store_bind_int64(st, 6, x->now);
	store_bind_int64(st, 7, x->now + a->lifetime);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	a->id = store_last_insert_id(c);
	dom_write_object(w, "token:%" PRId64, a->id);
	for (size_t i = 0; i < a->n; i++) {
		st = store_prepare(c, "INSERT INTO api_token_permissions (token_id, permission) "
		                      "VALUES (?, ?) ON CONFLICT DO NOTHING");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, a->id);
		store_bind_text(st, 2, a->perms[i], -1);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
	}
	return 0;
}

int token_create(const struct dom_ctx *x, const char *name, int64_t org_id,
                 const char *const *perms, size_t n, int64_t lifetime_s, int64_t *id,
                 char *token_out, struct dom_err *e)
{
	char raw[SESSION_TOKEN_CHARS] = "", token[API_TOKEN_CHARS] = "", msg[128];
	struct create_arg a = { .name = name,
		                .org_id = org_id,
		                .lifetime = lifetime_s,
		                .perms = perms,
		                .n = n,
		                .token = token };
	struct dom_write w = { .action = "token.create",
		               .permission = "token.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a };
	int64_t max = x->security ? x->security->token_max_lifetime_s : 0;
	size_t off = 0;
	int rc = -1;

	if (!dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "令牌名称：%s", msg);
		goto out;
	}
	if (n == 0) {
		dom_err_set(e, 400, "no_permissions", "至少需要一项权限");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct permission_def *d = permission_find(perms[i]);
		int k;

		if (!d || !(d->flags & PERM_TOKEN_GRANTABLE)) {
			dom_err_set(e, 400, "permission_not_grantable",
			            "权限 %s 不存在或不能授予接口令牌", perms[i] ? perms[i] : "");
			goto out;
		}
		k = snprintf(w.detail + off, sizeof w.detail - off, "%s%s", i ? "," : "", perms[i]);
		if (k > 0 && (size_t)k < sizeof w.detail - off)
			off += (size_t)k;
	}
	/* now + lifetime must not overflow either (a lifetime is bounded by max, but max comes from
	   the configuration). */
	if (lifetime_s < 3600 || lifetime_s > max || x->now > INT64_MAX - lifetime_s) {
		dom_err_set(e, 400, "bad_lifetime", "有效期须在 1 小时到 %" PRId64 " 天之间",
		            max / 86400);
		goto out;
	}
	session_secret_new(raw);
	(void)snprintf(token, sizeof token, "%s%s", API_TOKEN_PREFIX, raw);
	dom_write_object(&w, "org:%" PRId64, org_id);
	if (dom_write(x, &w, e) < 0)
		goto out;
	memcpy(token_out, token, API_TOKEN_CHARS);
	*id = a.id;
	rc = 0;
out:
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(token, sizeof token);
	return rc;
}

/* authorize of a revocation: the token is active and its organisation lies inside the caller's
   scope (else 404, as if missing). */
static int revoke_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	const int64_t *id = w->arg;
	struct store_stmt *st;
	int64_t org = 0;
	struct org o;
	int rc;

	st = store_prepare(c, "SELECT org_id FROM api_tokens WHERE id = ? AND revoked_at IS NULL");
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, *id);
	if (store_step(st) == STORE_ROW)
		org = store_col_int64(st, 0);
	store_reset(st);
	rc = org ? org_load(c, x->caller, org, &o) : 0;
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "令牌不存在或已吊销");
	return 0;
}

static int revoke_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	const int64_t *id = w->arg;

	return dom_exec(c, e, "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?",
	                "ini", x->now, x->caller->user_id, *id);
}

int token_revoke(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct dom_write w = { .action = "token.revoke",
		               .permission = "token.write",
		               .authorize = revoke_authorize,
		               .apply = revoke_apply,
		               .arg = &id };

	dom_write_object(&w, "token:%" PRId64, id);
	return dom_write(x, &w, e);
}

/* A token row as JSON (dom_row_fn); arg is the context, for "active" at its now. */
static json_t *token_row_json(struct store_stmt *st, void *arg)
{
	const struct dom_ctx *x = arg;
	char t1[32], t2[32], t3[32], t4[32];
	json_t *perms = json_array();
	const char *pl = store_col_text(st, 10);
	int revoked = !store_col_is_null(st, 8);
	int64_t expires = store_col_int64(st, 7);

	while (perms && pl && *pl) {
		const char *comma = strchr(pl, ',');
		size_t len = comma ? (size_t)(comma - pl) : strlen(pl);

		json_array_append_new(perms, json_stringn(pl, len));
		pl = comma ? comma + 1 : pl + len;
	}
	return json_pack("{s:I,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s*,s:s*,s:b}", "id",
	                 (json_int_t)store_col_int64(st, 0), "name", store_col_text(st, 1),
	                 "prefix", store_col_text(st, 2), "org_id",
	                 (json_int_t)store_col_int64(st, 3), "org_name", store_col_text(st, 4),
	                 "permissions", perms, "created_by", store_col_text(st, 5), "created_at",
	                 clock_format_local(store_col_int64(st, 6), t1, sizeof t1), "expires_at",
	                 clock_format_local(expires, t2, sizeof t2), "revoked_at",
	                 revoked ? clock_format_local(store_col_int64(st, 8), t3, sizeof t3) : NULL,
	                 "last_used_at",
	                 store_col_is_null(st, 9)
	                         ? NULL
	                         : clock_format_local(store_col_int64(st, 9), t4, sizeof t4),
	                 "active", !revoked && expires > x->now);
}

json_t *token_list(const struct dom_ctx *x, const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char sql[1024], scope[DOM_SCOPE_SQL_MAX];
	struct store_stmt *st;
	int64_t after;
	int k = 1;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	dom_scope_sql(x->caller, "r.path", NULL, scope);
	/* Newest first, keyed by id; tokens of organisations outside the caller's scope are not
	   shown. */
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT t.id, t.name, t.prefix, t.org_id, o.name, u.username, t.created_at, "
	        "t.expires_at, t.revoked_at, t.last_used_at, (SELECT group_concat(permission, "
	        "',') FROM api_token_permissions WHERE token_id = t.id) FROM api_tokens t "
	        "JOIN organisations o ON o.id = t.org_id JOIN regions r ON r.code = "
	        "o.region_code JOIN users u ON u.id = t.created_by WHERE (? = 0 OR t.id < "
	        "?)%s ORDER BY t.id DESC LIMIT ?",
	        scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, NULL, st, k);
	store_bind_int64(st, k, pg->limit + 1);
	return dom_page_collect(st, pg, token_row_json, (void *)x, e);
}
