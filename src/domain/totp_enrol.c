/*
 * TOTP enrolment and reset (totp_enrol.h).
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/legacy_write.h"
#include "domain/sealed.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "store/store.h"

struct reset_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	struct dom_err *e;
};

static int totp_reset_fn(struct store_conn *c, void *arg)
{
	struct reset_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	char obj[40];
	int rc = user_visible(c, w->x, w->id, &u, w->e);

	if (rc)
		return rc;
	if (w->id == w->p->user_id) {
		dom_err_set(w->e, 403, "self_grant", "不能重置自己的双因素认证");
		return 1;
	}
	st = store_prepare(c, "UPDATE users SET totp_secret = NULL, totp_enabled = 0, "
	                      "totp_last_step = 0, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->x->now);
	store_bind_int64(st, 2, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = dom_step_done(st)) != 0 ||
	    (rc = session_revoke_user(c, w->id, 0, w->x->now)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return legacy_audit(c, w->x, w->p, "user.totp_reset", obj, "success", "");
}

int totp_enrol_reset(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct reset_write w = { .x = x, .p = x->caller, .id = id, .e = e };

	return legacy_write(x->store, totp_reset_fn, &w, e);
}

void totp_recovery_hash(int64_t user_id, const char *code, unsigned char out[32])
{
	char norm[32], buf[64];
	size_t o = 0;

	for (const char *p = code; *p && o + 1 < sizeof norm; p++) {
		char ch = *p;
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		norm[o++] = ch;
	}
	norm[o] = '\0';
	snprintf(buf, sizeof buf, "%" PRId64 ":%s", user_id, norm);
	session_secret_hash(buf, out);
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(buf, sizeof buf);
}
/* ---- TOTP enrolment ---- */

struct totp_ctx {
	const struct dom_ctx *x;
	const struct principal *p;
	const char *secret;
	const char *code;
	char (*codes)[RECOVERY_CODE_CHARS];
	struct dom_err *e;
};

static int totp_begin_fn(struct store_conn *c, void *arg)
{
	struct totp_ctx *t = arg;
	struct store_stmt *st;
	char obj[40];
	int rc;

	st = store_prepare(c,
	                   "UPDATE users SET totp_secret = ?, totp_last_step = 0, updated_at = ? "
	                   "WHERE id = ? AND totp_enabled = 0");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, t->secret, -1);
	store_bind_int64(st, 2, t->x->now);
	store_bind_int64(st, 3, t->p->user_id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	if (store_changes(c) != 1) {
		dom_err_set(t->e, 409, "totp_enrolled",
		            "已启用双因素认证；如需更换，请联系安全管理员重置");
		return 1;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, t->p->user_id);
	return legacy_audit(c, t->x, t->p, "totp.enrol_begin", obj, "success", "");
}

int totp_enrol_begin(const struct dom_ctx *x, char *secret, size_t secret_len, char *uri,
                     size_t uri_len, struct dom_err *e)
{
	const struct principal *p = x->caller;
	char s[TOTP_SECRET_B32], sealed[SEALED_TOTP_MAX];
	struct totp_ctx t = { .x = x, .p = p, .secret = sealed, .e = e };
	int rc;

	if (!p->user_id) {
		dom_err_set(e, 403, "forbidden", "只有用户可以启用双因素认证");
		return -1;
	}
	totp_new_secret(s);
	/* Stored sealed, bound to the user's row (sealed_totp_seal). */
	if (sealed_totp_seal(p->user_id, s, sealed, sizeof sealed) < 0) {
		sodium_memzero(s, sizeof s);
		dom_err_set(e, 503, "vault_unavailable",
		            "敏感信息加密密钥未加载，暂时无法启用双因素认证");
		return -1;
	}
	rc = store_write(x->store, totp_begin_fn, &t);
	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	dom_copy(secret, secret_len, s);
	if (totp_uri("wangge", p->username, s, uri, uri_len) < 0)
		dom_copy(uri, uri_len, "");
	sodium_memzero(s, sizeof s);
	return 0;
}

static void new_recovery_code(char out[RECOVERY_CODE_CHARS])
{
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
	int o = 0;

	for (int i = 0; i < 12; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alpha[randombytes_uniform(sizeof alpha - 1)];
	}
	out[o] = '\0';
}

static int totp_confirm_fn(struct store_conn *c, void *arg)
{
	struct totp_ctx *t = arg;
	struct store_stmt *st;
	char secret[TOTP_SECRET_B32 + 8] = "", obj[40];
	int64_t last = 0, step;
	int enabled = 1, rc;

	st = store_prepare(c, "SELECT coalesce(totp_secret, ''), totp_enabled, totp_last_step FROM "
	                      "users WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->p->user_id);
	if (store_step(st) == STORE_ROW) {
		/* The pending secret is sealed like an enrolled one. */
		sealed_totp_open(t->p->user_id, store_col_text(st, 0), secret, sizeof secret);
		enabled = (int)store_col_int64(st, 1);
		last = store_col_int64(st, 2);
	}
	store_reset(st);
	if (enabled) {
		dom_err_set(t->e, 409, "totp_enrolled", "已启用双因素认证");
		return 1;
	}
	if (!secret[0]) {
		dom_err_set(t->e, 409, "totp_not_started", "请先开始启用双因素认证");
		return 1;
	}
	step = totp_verify(secret, t->code, t->x->now, last);
	sodium_memzero(secret, sizeof secret);
	if (step < 0) {
		dom_err_set(t->e, 400, "totp_invalid", "动态验证码不正确");
		return 1;
	}
	st = store_prepare(c, "UPDATE users SET totp_enabled = 1, totp_last_step = ?, updated_at = "
	                      "? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, step);
	store_bind_int64(st, 2, t->x->now);
	store_bind_int64(st, 3, t->p->user_id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->p->user_id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	for (int i = 0; i < RECOVERY_CODE_COUNT; i++) {
		unsigned char h[32];
		new_recovery_code(t->codes[i]);
		totp_recovery_hash(t->p->user_id, t->codes[i], h);
		st = store_prepare(c, "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES "
		                      "(?, ?)");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, t->p->user_id);
		store_bind_blob(st, 2, h, sizeof h);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, t->p->user_id);
	return legacy_audit(c, t->x, t->p, "totp.enrol", obj, "success", "");
}

int totp_enrol_confirm(const struct dom_ctx *x, const char *code,
                       char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e)
{
	const struct principal *p = x->caller;
	struct totp_ctx t = { .x = x, .p = p, .code = code, .codes = codes, .e = e };
	int rc;

	if (!p->user_id) {
		dom_err_set(e, 403, "forbidden", "只有用户可以启用双因素认证");
		return -1;
	}
	rc = store_write(x->store, totp_confirm_fn, &t);
	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	return 0;
}
