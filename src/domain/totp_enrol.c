/*
 * TOTP enrolment and reset (totp_enrol.h). The pending secret is stored sealed like an enrolled
 * one (domain/sealed.h); recovery codes are stored as BLAKE2b-256 hashes bound to the user.
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sealed.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "store/store.h"

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
	(void)snprintf(buf, sizeof buf, "%" PRId64 ":%s", user_id, norm);
	session_secret_hash(buf, out);
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(buf, sizeof buf);
}

static int step_or_fail(struct store_stmt *st, struct dom_err *e)
{
	int rc;

	if (!st)
		return dom_err_store(e, STORE_ERR);
	rc = dom_step_done(st);
	return rc ? dom_err_store(e, rc) : 0;
}

/* The caller's TOTP state on c: *enabled, the pending or enrolled secret (opened) and the last
   step used. 0, or -1 with e. */
static int totp_state(struct store_conn *c, int64_t user_id, int *enabled, char *secret,
                      size_t secret_len, int64_t *last, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, "SELECT coalesce(totp_secret, ''), totp_enabled, "
	                                         "totp_last_step FROM users WHERE id = ?");
	int rc;

	*enabled = 0;
	secret[0] = '\0';
	*last = 0;
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, user_id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		(void)sealed_totp_open(user_id, store_col_text(st, 0), secret, secret_len);
		*enabled = (int)store_col_int64(st, 1);
		*last = store_col_int64(st, 2);
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? dom_err_set(e, 404, "not_found", "用户不存在")
		                        : dom_err_read(e);
	return 0;
}

/* authorize of begin and confirm: the caller is a user (API tokens enrol nothing) without TOTP
   yet. */
static int self_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct dom_err *e)
{
	char secret[TOTP_SECRET_B32 + 8];
	int64_t last;
	int enabled;

	(void)w;
	if (!x->caller->user_id || x->caller->token_id)
		return dom_err_set(e, 403, "forbidden", "只有用户可以启用双因素认证");
	if (totp_state(c, x->caller->user_id, &enabled, secret, sizeof secret, &last, e) < 0)
		return -1;
	sodium_memzero(secret, sizeof secret);
	if (enabled)
		return dom_err_set(e, 409, "totp_enrolled",
		                   "已启用双因素认证；如需更换，请联系安全管理员重置");
	return 0;
}

static int begin_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	const char *sealed = w->arg;
	struct store_stmt *st;

	st = store_prepare(c,
	                   "UPDATE users SET totp_secret = ?, totp_last_step = 0, updated_at = ? "
	                   "WHERE id = ? AND totp_enabled = 0");
	if (st) {
		store_bind_text(st, 1, sealed, -1);
		store_bind_int64(st, 2, x->now);
		store_bind_int64(st, 3, x->caller->user_id);
	}
	return step_or_fail(st, e);
}

int totp_enrol_begin(const struct dom_ctx *x, char *secret, size_t secret_len, char *uri,
                     size_t uri_len, struct dom_err *e)
{
	const struct principal *p = x->caller;
	char s[TOTP_SECRET_B32], sealed[SEALED_TOTP_MAX] = "";
	struct dom_write w = { .action = "totp.enrol_begin",
		               .permission = "authenticated",
		               .authorize = self_authorize,
		               .apply = begin_apply,
		               .arg = sealed };
	int rc = -1;

	totp_new_secret(s);
	/* Stored sealed, bound to the user's row. */
	if (p->user_id && sealed_totp_seal(p->user_id, s, sealed, sizeof sealed) < 0) {
		dom_err_set(e, 503, "vault_unavailable",
		            "敏感信息加密密钥未加载，暂时无法启用双因素认证");
		goto out;
	}
	dom_write_object(&w, "user:%" PRId64, p->user_id);
	if (dom_write(x, &w, e) < 0)
		goto out;
	dom_copy(secret, secret_len, s);
	if (totp_uri("wangge", p->username, s, uri, uri_len) < 0)
		dom_copy(uri, uri_len, "");
	rc = 0;
out:
	sodium_memzero(s, sizeof s);
	return rc;
}

struct confirm_arg {
	const char *code;
	char (*codes)[RECOVERY_CODE_CHARS];
	int64_t step;
};

/* authorize of confirm: besides self_authorize, a secret is pending and the code matches it. */
static int confirm_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	struct confirm_arg *a = w->arg;
	char secret[TOTP_SECRET_B32 + 8];
	int64_t last;
	int enabled;

	if (self_authorize(c, x, w, e) < 0 ||
	    totp_state(c, x->caller->user_id, &enabled, secret, sizeof secret, &last, e) < 0)
		return -1;
	if (!secret[0])
		return dom_err_set(e, 409, "totp_not_started", "请先开始启用双因素认证");
	a->step = totp_verify(secret, a->code, x->now, last);
	sodium_memzero(secret, sizeof secret);
	if (a->step < 0)
		return dom_err_set(e, 400, "totp_invalid", "动态验证码不正确");
	return 0;
}

static int confirm_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct confirm_arg *a = w->arg;
	int64_t uid = x->caller->user_id;
	struct store_stmt *st;

	st = store_prepare(c, "UPDATE users SET totp_enabled = 1, totp_last_step = ?, updated_at = "
	                      "? WHERE id = ?");
	if (st) {
		store_bind_int64(st, 1, a->step);
		store_bind_int64(st, 2, x->now);
		store_bind_int64(st, 3, uid);
	}
	if (step_or_fail(st, e) < 0)
		return -1;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (st)
		store_bind_int64(st, 1, uid);
	if (step_or_fail(st, e) < 0)
		return -1;
	for (int i = 0; i < RECOVERY_CODE_COUNT; i++) {
		static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
		unsigned char h[32];
		int o = 0;

		for (int k = 0; k < 12; k++) {
			if (k && k % 4 == 0)
				a->codes[i][o++] = '-';
			a->codes[i][o++] = alpha[randombytes_uniform(sizeof alpha - 1)];
		}
		a->codes[i][o] = '\0';
		totp_recovery_hash(uid, a->codes[i], h);
		st = store_prepare(c, "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES "
		                      "(?, ?)");
		if (st) {
			store_bind_int64(st, 1, uid);
			store_bind_blob(st, 2, h, sizeof h);
		}
		if (step_or_fail(st, e) < 0)
			return -1;
	}
	return 0;
}

int totp_enrol_confirm(const struct dom_ctx *x, const char *code,
                       char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e)
{
	struct confirm_arg a = { .code = code, .codes = codes };
	struct dom_write w = { .action = "totp.enrol",
		               .permission = "authenticated",
		               .authorize = confirm_authorize,
		               .apply = confirm_apply,
		               .arg = &a };
	int rc;

	dom_write_object(&w, "user:%" PRId64, x->caller->user_id);
	rc = dom_write(x, &w, e);
	if (rc < 0)
		sodium_memzero(codes, RECOVERY_CODE_COUNT * RECOVERY_CODE_CHARS);
	return rc;
}

/* authorize of a reset: the user lies inside the caller's scope and is not the caller (nobody
   lifts their own second factor). */
static int reset_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	const int64_t *id = w->arg;
	struct user_view u;

	if (user_load_for_write(c, x, *id, &u, e) < 0)
		return -1;
	sodium_memzero(&u, sizeof u);
	if (*id == x->caller->user_id)
		return dom_err_set(e, 403, "self_grant", "不能重置自己的双因素认证");
	return 0;
}

static int reset_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	const int64_t *id = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "UPDATE users SET totp_secret = NULL, totp_enabled = 0, "
	                      "totp_last_step = 0, updated_at = ? WHERE id = ?");
	if (st) {
		store_bind_int64(st, 1, x->now);
		store_bind_int64(st, 2, *id);
	}
	if (step_or_fail(st, e) < 0)
		return -1;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (st)
		store_bind_int64(st, 1, *id);
	if (step_or_fail(st, e) < 0)
		return -1;
	/* Whoever holds the lost device's sessions is logged out. */
	if ((rc = session_revoke_user(c, *id, 0, x->now)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

int totp_enrol_reset(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct dom_write w = { .action = "user.totp_reset",
		               .permission = "user.totp_reset",
		               .authorize = reset_authorize,
		               .apply = reset_apply,
		               .arg = &id };

	dom_write_object(&w, "user:%" PRId64, id);
	return dom_write(x, &w, e);
}
