/*
 * Login, sessions and logout (session.h). Failed logins of unknown users still pay for one Argon2
 * verification, so timing does not tell which names exist either.
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "domain/legacy_write.h"
#include "domain/lockout.h"
#include "domain/password.h"
#include "domain/sealed.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
#include "store/store.h"

void session_secret_hash(const char *secret, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

void session_secret_new(char out[SESSION_TOKEN_CHARS])
{
	unsigned char raw[SESSION_TOKEN_BYTES];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, SESSION_TOKEN_CHARS, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

/* A hash with the configured cost for a password nobody has, verified against when the user name
   is unknown. Made once. */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[PASSWORD_HASH_MAX];

static const char *dummy(const struct security_config *cfg)
{
	pthread_mutex_lock(&dummy_lock);
	if (!dummy_hash[0]) {
		char pw[24];
		password_generate(pw, sizeof pw);
		if (password_hash(cfg, pw, dummy_hash) < 0)
			dummy_hash[0] = '\0';
	}
	pthread_mutex_unlock(&dummy_lock);
	return dummy_hash;
}

/* ---- login ---- */

struct user_row {
	int64_t id, org_id, totp_last_step;
	char hash[PASSWORD_HASH_MAX];
	char totp_secret[TOTP_SECRET_B32 + 8];
	int totp_enabled, disabled;
};

static int load_user_row(struct store_conn *c, const char *username, struct user_row *u)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT id, org_id, password_hash, totp_enabled, "
	                         "coalesce(totp_secret, ''), totp_last_step, "
	                         "disabled OR (SELECT disabled FROM organisations o "
	                         "WHERE o.id = users.org_id) FROM users WHERE "
	                         "username = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, username, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		u->id = store_col_int64(st, 0);
		u->org_id = store_col_int64(st, 1);
		dom_copy(u->hash, sizeof u->hash, store_col_text(st, 2));
		u->totp_enabled = (int)store_col_int64(st, 3);
		/* Sealed at rest (sealed_totp_seal); opened here for the code check. */
		sealed_totp_open(u->id, store_col_text(st, 4), u->totp_secret,
		                 sizeof u->totp_secret);
		u->totp_last_step = store_col_int64(st, 5);
		u->disabled = (int)store_col_int64(st, 6);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

struct success_ctx {
	const struct dom_ctx *x;
	const char *username;
	struct user_row *u;
	int64_t step;         /* TOTP step used, 0 when none */
	const char *recovery; /* recovery code used, or NULL */
	const char *rehash;   /* new password hash, or NULL */
	int64_t now;
	struct login_result *out;
	int replay;
};

static int success_fn(struct store_conn *c, void *arg)
{
	struct success_ctx *s = arg;
	struct login_result *out = s->out;
	struct store_stmt *st;
	unsigned char th[32], ch[32];
	char obj[40];
	int rc;

	if (s->step) {
		/* Re-checked here, where writes are serialised: two logins with the same code
		   cannot both pass. */
		st = store_prepare(c, "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
		                      "totp_last_step < ?");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, s->step);
		store_bind_int64(st, 2, s->u->id);
		store_bind_int64(st, 3, s->step);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
		if (store_changes(c) != 1) {
			s->replay = 1;
			return 1;
		}
	}
	if (s->recovery) {
		unsigned char rh[32];
		totp_recovery_hash(s->u->id, s->recovery, rh);
		st = store_prepare(
		        c, "UPDATE totp_recovery_codes SET used_at = ? WHERE id = (SELECT "
		           "id FROM totp_recovery_codes WHERE user_id = ? AND code_hash = ? "
		           "AND used_at IS NULL LIMIT 1)");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, s->now);
		store_bind_int64(st, 2, s->u->id);
		store_bind_blob(st, 3, rh, sizeof rh);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
		if (store_changes(c) != 1) {
			s->replay = 1;
			return 1;
		}
		st = store_prepare(c,
		                   "SELECT count(*) FROM totp_recovery_codes WHERE user_id = ? AND "
		                   "used_at IS NULL");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, s->u->id);
		if (store_step(st) == STORE_ROW)
			out->recovery_left = (int)store_col_int64(st, 0);
		store_reset(st);
		out->recovery_used = 1;
	}
	if (s->rehash) {
		st = store_prepare(c, "UPDATE users SET password_hash = ? WHERE id = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, s->rehash, -1);
		store_bind_int64(st, 2, s->u->id);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	st = store_prepare(c, "DELETE FROM login_failures WHERE username = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, s->username, -1);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	session_secret_new(out->token);
	session_secret_new(out->csrf);
	session_secret_hash(out->token, th);
	session_secret_hash(out->csrf, ch);
	out->expires_at = s->now + s->x->security->session_absolute_s;
	st = store_prepare(c, "INSERT INTO sessions (token_hash, csrf_hash, user_id, created_at, "
	                      "last_seen_at, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_blob(st, 1, th, sizeof th);
	store_bind_blob(st, 2, ch, sizeof ch);
	store_bind_int64(st, 3, s->u->id);
	store_bind_int64(st, 4, s->now);
	store_bind_int64(st, 5, s->now);
	store_bind_int64(st, 6, out->expires_at);
	store_bind_text(st, 7, s->x->source, -1);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	out->session_id = store_last_insert_id(c);
	snprintf(obj, sizeof obj, "session:%" PRId64, out->session_id);
	return legacy_audit_as(c, s->x, s->u->id, s->username, s->u->org_id, "session.login", obj,
	                       "success",
	                       s->recovery ? "第二因素：恢复码"
	                       : s->step   ? "第二因素：动态口令"
	                                   : "密码");
}

int session_login(const struct dom_ctx *x, const struct login_request *rq, struct login_result *out)
{
	struct store_conn *c = store_reader(x->store);
	struct user_row u;
	const char *username = user_name_ok(rq->username) ? rq->username : "(invalid)";
	int64_t now = x->now, until;
	char rehash[PASSWORD_HASH_MAX];
	int found, ok, need_second;

	memset(out, 0, sizeof *out);
	memset(&u, 0, sizeof u);
	out->status = LOGIN_ERROR;
	if (!c)
		return -1;
	/* 1. Locks, address first. */
	until = lockout_until(c, "address", x->source, now);
	if (until < 0)
		return -1;
	if (until > 0) {
		lockout_record_refusal(x, username, "来源地址已锁定");
		out->status = LOGIN_ADDRESS_LOCKED;
		out->locked_until = until;
		return 0;
	}
	until = lockout_until(c, "account", username, now);
	if (until < 0)
		return -1;
	if (until > 0) {
		lockout_record_refusal(x, username, "账号已锁定");
		out->status = LOGIN_ACCOUNT_LOCKED;
		out->locked_until = until;
		return 0;
	}
	/* 2. Password, always paying for one Argon2 verification. */
	found = strcmp(username, "(invalid)") == 0 ? 0 : load_user_row(c, username, &u);
	if (found < 0)
		return -1;
	ok = password_verify(found ? u.hash : dummy(x->security), rq->password ? rq->password : "");
	if (!found || !ok || u.disabled) {
		lockout_record_failure(x, username, found ? u.id : 0, found ? u.org_id : 0,
		                       !found       ? "用户不存在"
		                       : u.disabled ? "账号已停用"
		                                    : "密码错误",
		                       now);
		out->status = LOGIN_BAD_CREDENTIALS;
		sodium_memzero(&u, sizeof u);
		return 0;
	}
	/* 3. Second factor: whoever enrolled TOTP must give a code (or a recovery code). */
	struct success_ctx sc = { .x = x, .username = username, .u = &u, .now = now, .out = out };
	need_second = u.totp_enabled;
	if (need_second) {
		if (rq->totp && *rq->totp) {
			int64_t step = totp_verify(u.totp_secret, rq->totp, now, u.totp_last_step);
			if (step < 0) {
				lockout_record_failure(x, username, u.id, u.org_id, "动态口令错误",
				                       now);
				out->status = LOGIN_TOTP_INVALID;
				sodium_memzero(&u, sizeof u);
				return 0;
			}
			sc.step = step;
		} else if (rq->recovery_code && *rq->recovery_code) {
			sc.recovery = rq->recovery_code;
		} else {
			out->status = LOGIN_TOTP_REQUIRED;
			out->user_id = u.id;
			sodium_memzero(&u, sizeof u);
			return 0;
		}
	}
	/* Keep the hash cost in step with the configuration. */
	if (password_needs_rehash(x->security, u.hash) &&
	    password_hash(x->security, rq->password, rehash) == 0)
		sc.rehash = rehash;
	if (store_write(x->store, success_fn, &sc) != 0) {
		if (sc.replay) {
			lockout_record_failure(x, username, u.id, u.org_id,
			                       sc.recovery ? "恢复码错误" : "动态口令已使用过",
			                       now);
			out->status = LOGIN_TOTP_INVALID;
			sodium_memzero(&u, sizeof u);
			return 0;
		}
		sodium_memzero(&u, sizeof u);
		return -1;
	}
	out->user_id = u.id;
	out->status = LOGIN_OK;
	sodium_memzero(&u, sizeof u);
	sodium_memzero(rehash, sizeof rehash);
	return 0;
}

/* ---- request authentication ---- */

struct touch_ctx {
	const char *sql;
	int64_t id, now;
};

static int touch_fn(struct store_conn *c, void *arg)
{
	struct touch_ctx *t = arg;
	struct store_stmt *st = store_prepare(c, t->sql);

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->now);
	store_bind_int64(st, 2, t->id);
	return dom_step_done(st);
}

void session_touch(struct store *s, const char *sql, int64_t id, int64_t now)
{
	struct touch_ctx t = { sql, id, now };

	if (store_write(s, touch_fn, &t) != 0)
		log_warn("session.touch_failed", "id=%" PRId64, id);
}

int session_authenticate(const struct dom_ctx *x, const char *cookie, struct caller *out)
{
	int64_t now = x->now;
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	unsigned char th[32];
	int64_t sid = 0, uid = 0, last = 0, expires = 0;
	int rc, found = 0, r;
	unsigned char csrf[32];

	caller_init(out);
	if (!cookie || strlen(cookie) != SESSION_TOKEN_CHARS - 1)
		return 0;
	if (!c)
		return -1;
	session_secret_hash(cookie, th);
	st = store_prepare(c, "SELECT id, user_id, csrf_hash, last_seen_at, expires_at FROM "
	                      "sessions WHERE token_hash = ? AND revoked_at IS NULL");
	if (!st)
		return -1;
	store_bind_blob(st, 1, th, sizeof th);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		int len = 0;
		const void *h = store_col_blob(st, 2, &len);
		sid = store_col_int64(st, 0);
		uid = store_col_int64(st, 1);
		last = store_col_int64(st, 3);
		expires = store_col_int64(st, 4);
		if (h && len == 32) {
			memcpy(csrf, h, 32);
			found = 1;
		}
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return -1;
	if (!found || now >= expires || now - last >= x->security->session_idle_s)
		return 0;
	r = caller_load(c, x->security, uid, now, out);
	if (r != 1) {
		caller_init(out);
		return r;
	}
	out->session_id = sid;
	out->via_cookie = 1;
	memcpy(out->csrf_hash, csrf, 32);
	{
		int64_t gran = x->security->session_idle_s / 4;
		if (gran > 60)
			gran = 60;
		if (now - last >= gran) {
			session_touch(x->store, "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
			              sid, now);
		}
	}
	return 1;
}

int session_csrf_ok(const struct caller *c, const char *header)
{
	unsigned char h[32];

	if (!c->session_id || !header || strlen(header) != SESSION_TOKEN_CHARS - 1)
		return 0;
	session_secret_hash(header, h);
	return sodium_memcmp(h, c->csrf_hash, 32) == 0;
}
struct logout_ctx {
	const struct dom_ctx *x;
	int64_t session_id;
	int everywhere;
};

static int logout_fn(struct store_conn *c, void *arg)
{
	struct logout_ctx *l = arg;
	const struct principal *p = l->x->caller;
	struct store_stmt *st;
	char obj[40];
	int rc;

	st = store_prepare(c, l->everywhere
	                              ? "UPDATE sessions SET revoked_at = ? WHERE user_id = ? "
	                                "AND revoked_at IS NULL"
	                              : "UPDATE sessions SET revoked_at = ? WHERE id = ? AND "
	                                "revoked_at IS NULL");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, l->x->now);
	store_bind_int64(st, 2, l->everywhere ? p->user_id : l->session_id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "session:%" PRId64, l->session_id);
	return legacy_audit(c, l->x, p, l->everywhere ? "session.logout_all" : "session.logout",
	                    obj, "success", "");
}

int session_logout(const struct dom_ctx *x, int64_t session_id, int everywhere, struct dom_err *e)
{
	struct logout_ctx l = { x, session_id, everywhere };

	if (!x->caller->user_id || !session_id)
		return dom_err_set(e, 400, "not_a_session", "接口令牌没有会话可退出");
	return legacy_write(x->store, logout_fn, &l, e);
}

int session_revoke_user(struct store_conn *c, int64_t user_id, int64_t keep, int64_t now)
{
	struct store_stmt *st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE user_id "
	                                         "= ? AND id <> ? AND revoked_at IS NULL");

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, now);
	store_bind_int64(st, 2, user_id);
	store_bind_int64(st, 3, keep);
	return dom_step_done(st);
}
