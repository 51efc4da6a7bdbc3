/*
 * TOTP enrolment, disabling and reset (totp_enrol.h). The pending secret is stored sealed like an
 * enrolled one (domain/sealed.h); recovery codes are stored as keyed BLAKE2b-256 hashes bound to
 * the user; the security administrator's approval is an activation code (domain/activation.h).
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "domain/activation.h"
#include "domain/password.h"
#include "domain/password_again.h"
#include "domain/sealed.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "store/store.h"

_Static_assert(ACTIVATION_CODE_CHARS == RECOVERY_CODE_CHARS, "activation codes are totp codes");

/* ---- codes ---- */

void totp_code_new(char out[RECOVERY_CODE_CHARS])
{
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
	int o = 0;

	for (int k = 0; k < 12; k++) {
		if (k && k % 4 == 0)
			out[o++] = '-';
		out[o++] = alpha[randombytes_uniform(sizeof alpha - 1)];
	}
	out[o] = '\0';
}

void totp_code_normalise(const char *in, char *out, size_t n)
{
	size_t o = 0;

	if (n == 0)
		return;
	for (const char *p = in ? in : ""; *p && o + 1 < n; p++) {
		char ch = *p;

		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[o++] = ch;
	}
	out[o] = '\0';
}

/* ---- recovery codes ---- */

/* The key of recovery codes. Installed before threads exist and only read afterwards. */
static unsigned char recovery_key[crypto_kdf_KEYBYTES];
static int recovery_key_ready;

static void recovery_key_derive(const unsigned char *audit_key,
                                unsigned char out[crypto_kdf_KEYBYTES])
{
	crypto_kdf_derive_from_key(out, crypto_kdf_KEYBYTES, 1, "wgrecov1", audit_key);
}

void totp_recovery_key_install(const unsigned char *audit_key)
{
	sodium_memzero(recovery_key, sizeof recovery_key);
	recovery_key_ready = 0;
	if (audit_key) {
		recovery_key_derive(audit_key, recovery_key);
		recovery_key_ready = 1;
	}
}

/* The unkeyed hash recovery codes were stored as before migration 008: BLAKE2b-256 of
   "<user id>:<normalised code>". Now the inner layer of the keyed hash. */
static void recovery_inner(int64_t user_id, const char *code, unsigned char out[32])
{
	char norm[32], buf[64];

	totp_code_normalise(code, norm, sizeof norm);
	(void)snprintf(buf, sizeof buf, "%" PRId64 ":%s", user_id, norm);
	session_secret_hash(buf, out);
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(buf, sizeof buf);
}

static void recovery_outer(const unsigned char key[crypto_kdf_KEYBYTES],
                           const unsigned char inner[32], unsigned char out[32])
{
	crypto_generichash(out, 32, inner, 32, key, crypto_kdf_KEYBYTES);
}

/* The stored hash of a code with a key derived from audit_key (creation, inside a write). */
static void recovery_hash_with(const unsigned char *audit_key, int64_t user_id, const char *code,
                               unsigned char out[32])
{
	unsigned char key[crypto_kdf_KEYBYTES], inner[32];

	recovery_key_derive(audit_key, key);
	recovery_inner(user_id, code, inner);
	recovery_outer(key, inner, out);
	sodium_memzero(key, sizeof key);
	sodium_memzero(inner, sizeof inner);
}

void totp_recovery_hash(int64_t user_id, const char *code, unsigned char out[32])
{
	unsigned char inner[32];

	if (!recovery_key_ready) {
		/* Fail closed: a hash nobody stored. */
		log_error("totp.recovery_key_missing", "user=%" PRId64, user_id);
		randombytes_buf(out, 32);
		return;
	}
	recovery_inner(user_id, code, inner);
	recovery_outer(recovery_key, inner, out);
	sodium_memzero(inner, sizeof inner);
}

static int64_t unkeyed_rows(const struct dom_ctx *x)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);
	struct store_stmt *st;
	int64_t n = -1;

	if (!c || !(st = store_prepare(c, "SELECT count(*) FROM totp_recovery_codes WHERE keyed "
	                                  "= 0")))
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* authorize of the re-hashing: the host's work at start, nobody else's. */
static int rekey_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	(void)c;
	(void)w;
	if (!x->caller->is_system)
		return dom_err_set(e, 403, "forbidden", "只有系统可以重新计算恢复码摘要");
	return 0;
}

static int rekey_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	int64_t *rows = w->arg;
	unsigned char key[crypto_kdf_KEYBYTES];
	int rc = 0;

	recovery_key_derive(x->audit_key, key);
	*rows = 0;
	for (;;) {
		struct {
			int64_t id;
			unsigned char h[32];
		} batch[128];
		size_t n = 0;
		struct store_stmt *st =
		        store_prepare(c, "SELECT id, code_hash FROM "
		                         "totp_recovery_codes WHERE keyed = 0 ORDER "
		                         "BY id LIMIT 128");

		if (!st) {
			rc = dom_err_store(e, STORE_ERR);
			break;
		}
		while (n < 128 && (rc = store_step(st)) == STORE_ROW) {
			int len = 0;
			const void *h = store_col_blob(st, 1, &len);

			batch[n].id = store_col_int64(st, 0);
			memset(batch[n].h, 0, 32);
			if (h && len == 32)
				memcpy(batch[n].h, h, 32);
			n++;
		}
		store_reset(st);
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			unsigned char out[32];

			recovery_outer(key, batch[i].h, out);
			st = store_prepare(c, "UPDATE totp_recovery_codes SET code_hash = ?, keyed "
			                      "= 1 WHERE id = ?");
			if (!st) {
				rc = dom_err_store(e, STORE_ERR);
				break;
			}
			store_bind_blob(st, 1, out, sizeof out);
			store_bind_int64(st, 2, batch[i].id);
			if ((rc = dom_step_done(st)) != 0)
				rc = dom_err_store(e, rc);
		}
		*rows += (int64_t)n;
		if (rc != 0 || n < 128)
			break;
	}
	sodium_memzero(key, sizeof key);
	dom_write_detail(w, "重新计算 %" PRId64 " 个恢复码的带密钥摘要", *rows);
	return rc;
}

int totp_recovery_rekey(const struct dom_ctx *x, int64_t *rows, struct dom_err *e)
{
	int64_t n = unkeyed_rows(x), done = 0;
	/* No route reaches this: the authorize step admits the system principal only. */
	struct dom_write w = { .action = "totp.recovery_rekey",
		               .permission = "public",
		               .authorize = rekey_authorize,
		               .apply = rekey_apply,
		               .arg = &done };

	if (rows)
		*rows = 0;
	if (n < 0)
		return dom_err_read(e);
	if (n == 0)
		return 0;
	dom_write_object(&w, "totp_recovery_codes");
	if (dom_write(x, &w, e) < 0)
		return -1;
	if (rows)
		*rows = done;
	return 0;
}

/* ---- the caller's state ---- */

static int step_or_fail(struct store_stmt *st, struct dom_err *e)
{
	int rc;

	if (!st)
		return dom_err_store(e, STORE_ERR);
	rc = dom_step_done(st);
	return rc ? dom_err_store(e, rc) : 0;
}

struct totp_state {
	int enabled;   /* TOTP on */
	int activated; /* enrolled with an activation code (or on the host) */
	int needed;    /* the account's permissions require TOTP and an activation */
	int64_t last;  /* last step used */
	char secret[TOTP_SECRET_B32 + 8];
};

/* The TOTP state of user_id on c, the pending or enrolled secret opened. 0, or -1 with e. */
static int totp_state(struct store_conn *c, int64_t user_id, struct totp_state *s,
                      struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, "SELECT coalesce(totp_secret, ''), totp_enabled, "
	                                         "totp_last_step, totp_activated FROM users WHERE "
	                                         "id = ?");
	int rc;

	memset(s, 0, sizeof *s);
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, user_id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		(void)sealed_totp_open(user_id, store_col_text(st, 0), s->secret, sizeof s->secret);
		s->enabled = (int)store_col_int64(st, 1);
		s->last = store_col_int64(st, 2);
		s->activated = (int)store_col_int64(st, 3);
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? dom_err_set(e, 404, "not_found", "用户不存在")
		                        : dom_err_read(e);
	if ((s->needed = activation_needed_conn(c, user_id)) < 0)
		return dom_err_read(e);
	return 0;
}

/* 1 when the enrolment in place counts: on, and approved when the account needs approval. */
static int enrolment_counts(const struct totp_state *s)
{
	return s->enabled && (s->activated || !s->needed);
}

/* ---- the password given again ---- */

/* Before a write: the caller is a user who typed the password, which is then checked as a login
   attempt (domain/password_again.h). 0, or -1 with e (400 password_required, 403 forbidden for
   API tokens, 503). */
static int password_again(const struct dom_ctx *x, const char *password, int64_t session,
                          struct password_again *pa, struct dom_err *e)
{
	memset(pa, 0, sizeof *pa);
	pa->ticket.verdict = LOCKOUT_ACCOUNT_LOCKED;
	if (!x->caller->user_id || x->caller->token_id)
		return dom_err_set(e, 403, "forbidden", "只有用户可以管理自己的双因素认证");
	/* Refused before anything is reserved: a refusal that needs no secret counts nothing. */
	if (!password || !*password)
		return dom_err_set(e, 400, "password_required", "请输入当前密码以确认是本人操作");
	return password_again_check(x, password, session, pa, e);
}

/* ---- begin ---- */

struct begin_arg {
	const char *sealed;
	struct password_again *pa;
};

/* authorize of begin: a user (API tokens enrol nothing) who gave the password again and has no
   enrolment that counts. A wrong password is not refused here: apply counts it. */
static int begin_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct begin_arg *a = w->arg;
	struct totp_state s;
	int rc;

	if (!a->pa->verified[0])
		return 0;
	if (password_again_still(c, x, a->pa, e) < 0 ||
	    totp_state(c, x->caller->user_id, &s, e) < 0)
		return -1;
	rc = enrolment_counts(&s);
	sodium_memzero(&s, sizeof s);
	if (rc)
		return dom_err_set(e, 409, "totp_enrolled",
		                   "已启用双因素认证；如需更换，请联系安全管理员重置");
	return 0;
}

/* A pending secret replaces whatever was there: an enrolment made before the account needed
   approval ends here (with its recovery codes), and the account is enrolled again below. */
static int begin_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct begin_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	/* A wrong password counts as a failed login, kept although the request answers an error. */
	if ((rc = password_again_settle(c, x, w, a->pa, e)) != 0)
		return rc < 0 ? -1 : 0;
	st = store_prepare(c, "UPDATE users SET totp_secret = ?, totp_enabled = 0, totp_activated "
	                      "= 0, totp_last_step = 0, updated_at = ? WHERE id = ?");
	if (st) {
		store_bind_text(st, 1, a->sealed, -1);
		store_bind_int64(st, 2, x->now);
		store_bind_int64(st, 3, x->caller->user_id);
	}
	if (step_or_fail(st, e) < 0)
		return -1;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (st)
		store_bind_int64(st, 1, x->caller->user_id);
	return step_or_fail(st, e);
}

int totp_enrol_begin(const struct dom_ctx *x, const char *password, int64_t session, char *secret,
                     size_t secret_len, char *uri, size_t uri_len, struct dom_err *e)
{
	const struct principal *p = x->caller;
	char s[TOTP_SECRET_B32], sealed[SEALED_TOTP_MAX] = "";
	struct password_again pa;
	struct begin_arg a = { .sealed = sealed, .pa = &pa };
	struct dom_write w = { .action = "totp.enrol_begin",
		               .permission = "authenticated",
		               .authorize = begin_authorize,
		               .apply = begin_apply,
		               .arg = &a };
	int rc = -1;

	totp_new_secret(s);
	if (password_again(x, password, session, &pa, e) < 0)
		goto out;
	/* Stored sealed, bound to the user's row. */
	if (sealed_totp_seal(p->user_id, s, sealed, sizeof sealed) < 0) {
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
	password_again_done(x, &pa);
	sodium_memzero(s, sizeof s);
	return rc;
}

/* ---- confirm ---- */

struct confirm_arg {
	const char *code;
	const char *activation;
	char (*codes)[RECOVERY_CODE_CHARS];
	int64_t step;
	int activated;
};

/* authorize of confirm: a user without an enrolment that counts, with a pending secret the code
   matches, and, when the account needs approval, a valid activation code (used up here). */
static int confirm_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	struct confirm_arg *a = w->arg;
	struct totp_state s;
	int rc = 0;

	if (!x->caller->user_id || x->caller->token_id)
		return dom_err_set(e, 403, "forbidden", "只有用户可以启用双因素认证");
	if (totp_state(c, x->caller->user_id, &s, e) < 0)
		return -1;
	if (enrolment_counts(&s))
		rc = dom_err_set(e, 409, "totp_enrolled",
		                 "已启用双因素认证；如需更换，请联系安全管理员重置");
	else if (s.enabled || !s.secret[0])
		rc = dom_err_set(e, 409, "totp_not_started", "请先开始启用双因素认证");
	else if ((a->step = totp_verify(s.secret, a->code, x->now, s.last)) < 0)
		rc = dom_err_set(e, 400, "totp_invalid", "动态验证码不正确");
	else if (s.needed)
		rc = activation_consume_conn(c, x, x->caller->user_id, a->activation, e);
	a->activated = s.needed;
	sodium_memzero(&s, sizeof s);
	return rc;
}

static int confirm_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct confirm_arg *a = w->arg;
	int64_t uid = x->caller->user_id;
	struct store_stmt *st;

	st = store_prepare(c, "UPDATE users SET totp_enabled = 1, totp_activated = ?, "
	                      "totp_last_step = ?, updated_at = ? WHERE id = ?");
	if (st) {
		store_bind_int64(st, 1, a->activated);
		store_bind_int64(st, 2, a->step);
		store_bind_int64(st, 3, x->now);
		store_bind_int64(st, 4, uid);
	}
	if (step_or_fail(st, e) < 0)
		return -1;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (st)
		store_bind_int64(st, 1, uid);
	if (step_or_fail(st, e) < 0)
		return -1;
	for (int i = 0; i < RECOVERY_CODE_COUNT; i++) {
		unsigned char h[32];

		totp_code_new(a->codes[i]);
		recovery_hash_with(x->audit_key, uid, a->codes[i], h);
		st = store_prepare(c, "INSERT INTO totp_recovery_codes (user_id, code_hash, keyed) "
		                      "VALUES (?, ?, 1)");
		if (st) {
			store_bind_int64(st, 1, uid);
			store_bind_blob(st, 2, h, sizeof h);
		}
		if (step_or_fail(st, e) < 0)
			return -1;
	}
	if (a->activated)
		dom_write_detail(w, "经激活码批准");
	return 0;
}

int totp_enrol_confirm(const struct dom_ctx *x, const char *code, const char *activation_code,
                       char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e)
{
	struct confirm_arg a = { .code = code, .activation = activation_code, .codes = codes };
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

/* ---- disable ---- */

/* authorize of disabling: the password was given again, TOTP is on, and the account's
   permissions do not require it. A wrong password is not refused here: apply counts it. */
static int disable_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	const struct password_again *pa = w->arg;
	struct totp_state s;
	int rc = 0;

	if (!pa->verified[0])
		return 0;
	if (password_again_still(c, x, pa, e) < 0 || totp_state(c, x->caller->user_id, &s, e) < 0)
		return -1;
	if (s.needed)
		rc = dom_err_set(
		        e, 409, "totp_required",
		        "持有管理权限或查看敏感信息原文权限的账号必须使用双因素认证，不能关闭");
	else if (!s.enabled)
		rc = dom_err_set(e, 409, "totp_not_enrolled", "尚未启用双因素认证");
	sodium_memzero(&s, sizeof s);
	return rc;
}

/* Clears user id's TOTP and recovery codes (disable and reset). 0, or -1 with e. */
static int totp_clear(struct store_conn *c, const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct store_stmt *st;

	st = store_prepare(c,
	                   "UPDATE users SET totp_secret = NULL, totp_enabled = 0, "
	                   "totp_activated = 0, totp_last_step = 0, updated_at = ? WHERE id = ?");
	if (st) {
		store_bind_int64(st, 1, x->now);
		store_bind_int64(st, 2, id);
	}
	if (step_or_fail(st, e) < 0)
		return -1;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (st)
		store_bind_int64(st, 1, id);
	return step_or_fail(st, e);
}

static int disable_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	int rc;

	/* A wrong password counts as a failed login, kept although the request answers an error. */
	if ((rc = password_again_settle(c, x, w, w->arg, e)) != 0)
		return rc < 0 ? -1 : 0;
	return totp_clear(c, x, x->caller->user_id, e);
}

int totp_enrol_disable(const struct dom_ctx *x, const char *password, int64_t session,
                       struct dom_err *e)
{
	struct password_again pa;
	struct dom_write w = { .action = "totp.disable",
		               .permission = "authenticated",
		               .authorize = disable_authorize,
		               .apply = disable_apply,
		               .arg = &pa };
	int rc = -1;

	if (password_again(x, password, session, &pa, e) < 0)
		goto out;
	dom_write_object(&w, "user:%" PRId64, x->caller->user_id);
	rc = dom_write(x, &w, e);
out:
	password_again_done(x, &pa);
	return rc;
}

/* ---- reset by the security administrator ---- */

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
	if (!x->caller->is_system && *id == x->caller->user_id)
		return dom_err_set(e, 403, "self_grant", "不能重置自己的双因素认证");
	return 0;
}

static int reset_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	const int64_t *id = w->arg;
	int rc;

	if (totp_clear(c, x, *id, e) < 0)
		return -1;
	/* A code issued before the reset approves nothing after it. */
	if ((rc = activation_revoke_conn(c, x, *id)) != 0)
		return dom_err_store(e, rc);
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
