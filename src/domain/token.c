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
#include "domain/legacy_write.h"
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

/* ---- API tokens ---- */

struct token_ctx {
	const struct dom_ctx *x;
	const struct principal *p;
	const char *name;
	int64_t org_id, lifetime, id;
	const char *const *perms;
	size_t n;
	const char *token;
	struct dom_err *e;
};

static int token_create_fn(struct store_conn *c, void *arg)
{
	struct token_ctx *t = arg;
	struct store_stmt *st;
	struct org o;
	unsigned char th[32];
	char prefix[16], obj[40], detail[512];
	int64_t now = t->x->now;
	size_t off = 0;
	int rc = org_load(c, t->p, t->org_id, &o);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(t->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
		return 1;
	}
	session_secret_hash(t->token, th);
	snprintf(prefix, sizeof prefix, "%.12s", t->token);
	st = store_prepare(c, "INSERT INTO api_tokens (name, prefix, token_hash, org_id, "
	                      "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, t->name, -1);
	store_bind_text(st, 2, prefix, -1);
	store_bind_blob(st, 3, th, sizeof th);
	store_bind_int64(st, 4, t->org_id);
	store_bind_int64(st, 5, t->p->user_id);
	store_bind_int64(st, 6, now);
	store_bind_int64(st, 7, now + t->lifetime);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	t->id = store_last_insert_id(c);
	detail[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		int k;
		st = store_prepare(c, "INSERT INTO api_token_permissions (token_id, permission) "
		                      "VALUES (?, ?) ON CONFLICT DO NOTHING");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, t->id);
		store_bind_text(st, 2, t->perms[i], -1);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
		k = snprintf(detail + off, sizeof detail - off, "%s%s", i ? "," : "", t->perms[i]);
		if (k > 0 && (size_t)k < sizeof detail - off)
			off += (size_t)k;
	}
	snprintf(obj, sizeof obj, "token:%" PRId64, t->id);
	return legacy_audit(c, t->x, t->p, "token.create", obj, "success", detail);
}

int token_create(const struct dom_ctx *x, const char *name, int64_t org_id,
                 const char *const *perms, size_t n, int64_t lifetime_s, int64_t *id,
                 char *token_out, struct dom_err *e)
{
	char raw[SESSION_TOKEN_CHARS], token[API_TOKEN_CHARS], msg[128];
	struct token_ctx t = { .x = x,
		               .p = x->caller,
		               .name = name,
		               .org_id = org_id,
		               .lifetime = lifetime_s,
		               .perms = perms,
		               .n = n,
		               .token = token,
		               .e = e };
	int rc;

	if (!dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "令牌名称：%s", msg);
		return -1;
	}
	if (n == 0) {
		dom_err_set(e, 400, "no_permissions", "至少需要一项权限");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct permission_def *d = permission_find(perms[i]);
		if (!d || !(d->flags & PERM_TOKEN_GRANTABLE)) {
			dom_err_set(e, 400, "permission_not_grantable",
			            "权限 %s 不存在或不能授予接口令牌", perms[i] ? perms[i] : "");
			return -1;
		}
	}
	if (lifetime_s < 3600 || lifetime_s > x->security->token_max_lifetime_s) {
		dom_err_set(e, 400, "bad_lifetime", "有效期须在 1 小时到 %" PRId64 " 天之间",
		            x->security->token_max_lifetime_s / 86400);
		return -1;
	}
	session_secret_new(raw);
	snprintf(token, sizeof token, "%s%s", API_TOKEN_PREFIX, raw);
	rc = store_write(x->store, token_create_fn, &t);
	sodium_memzero(raw, sizeof raw);
	if (rc == 1) {
		sodium_memzero(token, sizeof token);
		return -1;
	}
	if (rc) {
		sodium_memzero(token, sizeof token);
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	memcpy(token_out, token, API_TOKEN_CHARS);
	sodium_memzero(token, sizeof token);
	*id = t.id;
	return 0;
}

json_t *token_list(const struct dom_ctx *x, struct dom_err *e)
{
	int64_t now = x->now;
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out ||
	    !(st = store_prepare(c, "SELECT t.id, t.name, t.prefix, t.org_id, o.name, u.username, "
	                            "t.created_at, t.expires_at, t.revoked_at, t.last_used_at, "
	                            "(SELECT group_concat(permission, ',') FROM "
	                            "api_token_permissions WHERE token_id = t.id) FROM api_tokens "
	                            "t JOIN organisations o ON o.id = t.org_id JOIN users u ON "
	                            "u.id = t.created_by ORDER BY t.id DESC"))) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	while ((rc = store_step(st)) == STORE_ROW) {
		char t1[32], t2[32], t3[32], t4[32];
		json_t *perms = json_array();
		const char *pl = store_col_text(st, 10);
		int revoked = !store_col_is_null(st, 8);
		int64_t expires = store_col_int64(st, 7);

		while (pl && *pl) {
			const char *comma = strchr(pl, ',');
			size_t len = comma ? (size_t)(comma - pl) : strlen(pl);
			json_array_append_new(perms, json_stringn(pl, len));
			pl = comma ? comma + 1 : pl + len;
		}
		json_array_append_new(
		        out,
		        json_pack(
		                "{s:I,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s*,s:s*,s:b}", "id",
		                (json_int_t)store_col_int64(st, 0), "name", store_col_text(st, 1),
		                "prefix", store_col_text(st, 2), "org_id",
		                (json_int_t)store_col_int64(st, 3), "org_name",
		                store_col_text(st, 4), "permissions", perms, "created_by",
		                store_col_text(st, 5), "created_at",
		                clock_format_local(store_col_int64(st, 6), t1, sizeof t1),
		                "expires_at", clock_format_local(expires, t2, sizeof t2),
		                "revoked_at",
		                revoked ? clock_format_local(store_col_int64(st, 8), t3, sizeof t3)
		                        : NULL,
		                "last_used_at",
		                store_col_is_null(st, 9)
		                        ? NULL
		                        : clock_format_local(store_col_int64(st, 9), t4, sizeof t4),
		                "active", !revoked && expires > now));
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	return out;
}

static int token_revoke_fn(struct store_conn *c, void *arg)
{
	struct token_ctx *t = arg;
	struct store_stmt *st;
	char obj[40];
	int rc;

	st = store_prepare(c, "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? "
	                      "AND revoked_at IS NULL");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->x->now);
	store_bind_int64(st, 2, t->p->user_id);
	store_bind_int64(st, 3, t->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	if (store_changes(c) != 1) {
		dom_err_set(t->e, 404, "not_found", "令牌不存在或已吊销");
		return 1;
	}
	snprintf(obj, sizeof obj, "token:%" PRId64, t->id);
	return legacy_audit(c, t->x, t->p, "token.revoke", obj, "success", "");
}

int token_revoke(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct token_ctx t = { .x = x, .p = x->caller, .id = id, .e = e };
	int rc = store_write(x->store, token_revoke_fn, &t);

	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	return 0;
}
