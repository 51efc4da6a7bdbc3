/*
 * Activation codes (activation.h): issued by a security administrator or the host, checked and
 * used up by the TOTP enrolment of an account that needs one.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "domain/activation.h"
#include "domain/role.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "store/store.h"

/* The stored form of a code for user_id: BLAKE2b-256 keyed with a subkey of the audit key over
   the user id and the normalised code, so a code does not match another account's row either. */
static void code_hash(const struct dom_ctx *x, int64_t user_id, const char *code,
                      unsigned char out[32])
{
	unsigned char key[crypto_kdf_KEYBYTES];
	char norm[32], buf[64];

	crypto_kdf_derive_from_key(key, sizeof key, 1, "wgactiv1", x->audit_key);
	totp_code_normalise(code, norm, sizeof norm);
	(void)snprintf(buf, sizeof buf, "%" PRId64 ":%s", user_id, norm);
	crypto_generichash(out, 32, (const unsigned char *)buf, strlen(buf), key, sizeof key);
	sodium_memzero(key, sizeof key);
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(buf, sizeof buf);
}

/* The account state the issuing rules look at. 0, or -1 with e. */
static int account_state(struct store_conn *c, int64_t id, int *enrolled, int *must_change,
                         int64_t *set_by, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, "SELECT totp_enabled AND totp_activated, "
	                                         "must_change_password, coalesce(password_set_by, "
	                                         "0) FROM users WHERE id = ?");
	int rc;

	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*enrolled = (int)store_col_int64(st, 0);
		*must_change = (int)store_col_int64(st, 1);
		*set_by = store_col_int64(st, 2);
	}
	store_reset(st);
	return rc == STORE_ROW ? 0 : dom_err_read(e);
}

int activation_needed_conn(struct store_conn *c, int64_t user_id)
{
	struct perm_set ps;

	if (role_user_perms(c, user_id, &ps, NULL) < 0)
		return -1;
	return perm_set_needs_totp(&ps);
}

int activation_pending(const struct dom_ctx *x, int64_t id)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);
	int needed, enrolled = 0, must_change = 0;
	int64_t set_by = 0;

	if (!c || (needed = activation_needed_conn(c, id)) < 0)
		return -1;
	if (!needed)
		return 0;
	if (account_state(c, id, &enrolled, &must_change, &set_by, &e) < 0)
		return -1;
	return !enrolled;
}

int activation_revoke_conn(struct store_conn *c, const struct dom_ctx *x, int64_t user_id)
{
	struct store_stmt *st = store_prepare(c, "UPDATE user_activations SET revoked_at = ? WHERE "
	                                         "user_id = ? AND used_at IS NULL AND revoked_at "
	                                         "IS NULL");

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, x->now);
	store_bind_int64(st, 2, user_id);
	return dom_step_done(st);
}

int activation_consume_conn(struct store_conn *c, const struct dom_ctx *x, int64_t user_id,
                            const char *code, struct dom_err *e)
{
	struct store_stmt *st;
	unsigned char h[32];
	int rc;

	if (!code || !*code)
		return dom_err_set(e, 400, "activation_required",
		                   "启用双因素认证需要安全管理员签发的激活码，请向安全管理员索取");
	code_hash(x, user_id, code, h);
	st = store_prepare(c, "UPDATE user_activations SET used_at = ? WHERE id = (SELECT id FROM "
	                      "user_activations WHERE user_id = ? AND code_hash = ? AND used_at IS "
	                      "NULL AND revoked_at IS NULL AND expires_at > ? LIMIT 1)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, x->now);
	store_bind_int64(st, 2, user_id);
	store_bind_blob(st, 3, h, sizeof h);
	store_bind_int64(st, 4, x->now);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	if (store_changes(c) != 1)
		return dom_err_set(e, 400, "activation_invalid",
		                   "激活码不正确、已使用、已失效或已被新的激活码取代");
	return 0;
}

/* ---- issuing ---- */

struct issue_arg {
	int64_t id;
	const char *code;
	int64_t expires_at;
};

/* authorize: the account lies inside the caller's scope and is not the caller's; it needs a
   code and has no approved TOTP yet; and its one-time password, if still in force, was not set
   by the caller (who would then hold both halves of the account). */
static int issue_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct issue_arg *a = w->arg;
	struct user_view u;
	int needed, enrolled = 0, must_change = 0;
	int64_t set_by = 0;

	if (user_load_for_write(c, x, a->id, &u, e) < 0)
		return -1;
	sodium_memzero(&u, sizeof u);
	if (!x->caller->is_system && a->id == x->caller->user_id)
		return dom_err_set(e, 403, "self_grant", "不能为自己签发激活码");
	if ((needed = activation_needed_conn(c, a->id)) < 0)
		return dom_err_read(e);
	if (!needed)
		return dom_err_set(
		        e, 409, "activation_not_needed",
		        "该账号不持有管理权限或查看敏感信息原文的权限，启用双因素认证无需激活码");
	if (account_state(c, a->id, &enrolled, &must_change, &set_by, e) < 0)
		return -1;
	if (enrolled)
		return dom_err_set(e, 409, "already_activated",
		                   "该账号已启用经批准的双因素认证；更换设备请先重置其双因素认证");
	if (must_change && set_by && set_by == x->caller->user_id)
		return dom_err_set(e, 409, "separation",
		                   "该账号的一次性密码由您设置，激活码须由另一名安全管理员签发，"
		                   "或在服务器上用 wangge user totp-reset 签发（三员分立）");
	return 0;
}

static int issue_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct issue_arg *a = w->arg;
	struct store_stmt *st;
	unsigned char h[32];
	char t[32];
	int rc;

	if ((rc = activation_revoke_conn(c, x, a->id)) != 0)
		return dom_err_store(e, rc);
	code_hash(x, a->id, a->code, h);
	a->expires_at = x->now + ACTIVATION_TTL_S;
	st = store_prepare(c, "INSERT INTO user_activations (user_id, code_hash, issued_by, "
	                      "issued_at, expires_at) VALUES (?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, a->id);
	store_bind_blob(st, 2, h, sizeof h);
	if (x->caller->user_id)
		store_bind_int64(st, 3, x->caller->user_id);
	else
		store_bind_null(st, 3);
	store_bind_int64(st, 4, x->now);
	store_bind_int64(st, 5, a->expires_at);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	dom_write_detail(w, "有效期至 %s", clock_format_local(a->expires_at, t, sizeof t));
	return 0;
}

int activation_issue(const struct dom_ctx *x, int64_t id, char code[ACTIVATION_CODE_CHARS],
                     int64_t *expires_at, struct dom_err *e)
{
	char fresh[ACTIVATION_CODE_CHARS];
	struct issue_arg a = { .id = id, .code = fresh };
	struct dom_write w = { .action = "user.activation",
		               .permission = "user.activate",
		               .authorize = issue_authorize,
		               .apply = issue_apply,
		               .arg = &a };
	int rc = -1;

	totp_code_new(fresh);
	dom_write_object(&w, "user:%" PRId64, id);
	if (dom_write(x, &w, e) < 0)
		goto out;
	memcpy(code, fresh, ACTIVATION_CODE_CHARS);
	*expires_at = a.expires_at;
	rc = 0;
out:
	sodium_memzero(fresh, sizeof fresh);
	return rc;
}
