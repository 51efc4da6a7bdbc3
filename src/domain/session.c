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
#include "domain/caller_cache.h"
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

struct login_arg {
	const char *username; /* as typed when valid, else "(invalid)" */
	struct user_row *u;
	int found;
	const struct lockout_ticket *ticket; /* the attempt's reservation (lockout.h) */
	/* Decided before the write (Argon2 and the TOTP check must not hold the writer): NULL when
	   the password (and code) were right, else the reason recorded and the answer. */
	const char *failure;
	enum login_status fail_status;
	int64_t step;                  /* TOTP step used, 0 when none */
	const char *recovery;          /* recovery code used, or NULL */
	const char *rehash;            /* new password hash, or NULL */
	const unsigned char *replaces; /* token hash of the session cookie sent along, or NULL */
	struct login_result *out;
	struct lockout_new locks[2];
};

/* authorize: the attempt was reserved on the writer a moment ago (lockout_reserve), which is
   where the locks of the source address and the account were looked at; a refused reservation
   is refused here, so the refusal is audited. (The anonymous caller may try to log in
   otherwise: the route is public.) */
static int login_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct login_arg *a = w->arg;
	const struct lockout_ticket *t = a->ticket;

	(void)c;
	(void)x;
	if (t->verdict == LOCKOUT_ADDRESS_LOCKED) {
		a->out->status = LOGIN_ADDRESS_LOCKED;
		a->out->locked_until = t->locked_until;
		dom_write_detail(w, "来源地址已锁定");
		return dom_err_set(e, 429, "address_locked", "来自该地址的登录失败次数过多");
	}
	if (t->verdict == LOCKOUT_ACCOUNT_LOCKED) {
		a->out->status = LOGIN_ACCOUNT_LOCKED;
		a->out->locked_until = t->locked_until;
		dom_write_detail(w, "账号已锁定");
		return dom_err_set(e, 423, "account_locked", "登录失败次数过多，账号已锁定");
	}
	return 0;
}

/* The attempt failed: its reservation stays as the failure (which may lock the account or the
   address) and is kept although the request answers an error (w->keep_error). While the account
   is locked (a try with a second factor from a clean address) every failure answers "locked",
   so the answer never tells whether the password was right. 0, or -1 with e when it cannot be
   counted. */
static int login_failed(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct login_arg *a, const char *reason, enum login_status status,
                        struct dom_err *e)
{
	int64_t until = 0;
	int rc = lockout_attempt_failed(c, x, a->username, a->locks, &until);

	if (rc)
		return dom_err_store(e, rc);
	dom_write_detail(w, "%s%s%s%s", a->ticket->bypass ? "账号已锁定，第二因素登录：" : "",
	                 reason, a->locks[0].kind[0] ? "；账号已锁定" : "",
	                 a->locks[1].kind[0] ? "；来源地址已锁定" : "");
	a->out->status = status;
	if (a->ticket->bypass) {
		a->out->status = LOGIN_ACCOUNT_LOCKED;
		a->out->locked_until = until;
		dom_err_set(&w->keep_error, 423, "account_locked", "登录失败次数过多，账号已锁定");
	} else if (status == LOGIN_TOTP_INVALID) {
		dom_err_set(&w->keep_error, 401, "totp_invalid",
		            "动态验证码或恢复码不正确，或已使用过");
	} else {
		dom_err_set(&w->keep_error, 401, "bad_credentials", "用户名或密码错误");
	}
	return 0;
}

/* Ends the session whose token hash the request's cookie gave, whoever's it is. 0 or a
   negative store_rc; *ended is 1 when one was active. */
static int end_replaced(struct store_conn *c, const struct dom_ctx *x, const unsigned char th[32],
                        int *ended)
{
	struct store_stmt *st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE "
	                                         "token_hash = ? AND revoked_at IS NULL");
	int rc;

	*ended = 0;
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, x->now);
	store_bind_blob(st, 2, th, 32);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	*ended = store_changes(c) > 0;
	return 0;
}

static int login_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct login_arg *a = w->arg;
	struct login_result *out = a->out;
	struct store_stmt *st;
	unsigned char th[32], ch[32];
	int rc, ended = 0;

	if (a->failure)
		return login_failed(c, x, w, a, a->failure, a->fail_status, e);
	if (a->step) {
		/* Re-checked here, where writes are serialised: two logins with the same code
		   cannot both pass. */
		st = store_prepare(c, "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
		                      "totp_last_step < ?");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, a->step);
		store_bind_int64(st, 2, a->u->id);
		store_bind_int64(st, 3, a->step);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
		if (store_changes(c) != 1)
			return login_failed(c, x, w, a, "动态口令已使用过", LOGIN_TOTP_INVALID, e);
	}
	if (a->recovery) {
		unsigned char rh[32];

		totp_recovery_hash(a->u->id, a->recovery, rh);
		st = store_prepare(
		        c, "UPDATE totp_recovery_codes SET used_at = ? WHERE id = (SELECT "
		           "id FROM totp_recovery_codes WHERE user_id = ? AND code_hash = ? "
		           "AND used_at IS NULL LIMIT 1)");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, x->now);
		store_bind_int64(st, 2, a->u->id);
		store_bind_blob(st, 3, rh, sizeof rh);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
		if (store_changes(c) != 1)
			return login_failed(c, x, w, a, "恢复码错误", LOGIN_TOTP_INVALID, e);
		st = store_prepare(c,
		                   "SELECT count(*) FROM totp_recovery_codes WHERE user_id = ? AND "
		                   "used_at IS NULL");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_int64(st, 1, a->u->id);
		if (store_step(st) == STORE_ROW)
			out->recovery_left = (int)store_col_int64(st, 0);
		store_reset(st);
		out->recovery_used = 1;
	}
	if (a->rehash) {
		st = store_prepare(c, "UPDATE users SET password_hash = ? WHERE id = ?");
		if (!st)
			return dom_err_store(e, STORE_ERR);
		store_bind_text(st, 1, a->rehash, -1);
		store_bind_int64(st, 2, a->u->id);
		if ((rc = dom_step_done(st)) != 0)
			return dom_err_store(e, rc);
	}
	/* The reservation and the failures before it go, and a lock the owner just got through
	   ends (its backoff starts over). */
	if ((rc = lockout_attempt_succeeded(c, x, a->username)) != 0)
		return dom_err_store(e, rc);
	if (a->replaces && (rc = end_replaced(c, x, a->replaces, &ended)) != 0)
		return dom_err_store(e, rc);
	/* A new session changes no cached caller; ending the replaced one does. */
	w->callers_unchanged = !ended;
	session_secret_new(out->token);
	session_secret_new(out->csrf);
	session_secret_hash(out->token, th);
	session_secret_hash(out->csrf, ch);
	out->expires_at = x->now + x->security->session_absolute_s;
	st = store_prepare(c, "INSERT INTO sessions (token_hash, csrf_hash, user_id, created_at, "
	                      "last_seen_at, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_blob(st, 1, th, sizeof th);
	store_bind_blob(st, 2, ch, sizeof ch);
	store_bind_int64(st, 3, a->u->id);
	store_bind_int64(st, 4, x->now);
	store_bind_int64(st, 5, x->now);
	store_bind_int64(st, 6, out->expires_at);
	store_bind_text(st, 7, x->source, -1);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	out->session_id = store_last_insert_id(c);
	out->user_id = a->u->id;
	out->status = LOGIN_OK;
	dom_write_object(w, "session:%" PRId64, out->session_id);
	dom_write_detail(w, "%s%s%s", a->ticket->bypass ? "账号锁定期间凭第二因素登录；" : "",
	                 a->recovery ? "第二因素：恢复码"
	                 : a->step   ? "第二因素：动态口令"
	                             : "密码",
	                 ended ? "；替换了请求携带的旧会话" : "");
	return 0;
}

/* Checks the password (always paying for one Argon2 verification, so timing does not tell
   whether the name exists) and the second factor, before the write. Returns 1 when the login
   needs a second factor that was not given (nothing is written then), else 0. */
static int login_check(const struct dom_ctx *x, const struct login_request *rq, struct login_arg *a,
                       char rehash[PASSWORD_HASH_MAX])
{
	struct user_row *u = a->u;
	int ok = password_verify(a->found ? u->hash : dummy(x->security),
	                         rq->password ? rq->password : "");

	if (!a->found || !ok || u->disabled) {
		a->failure = !a->found ? "用户不存在" : !ok ? "密码错误" : "账号已停用";
		a->fail_status = LOGIN_BAD_CREDENTIALS;
		return 0;
	}
	/* A locked account lets in only its owner's second factor (lockout.h). */
	if (a->ticket->bypass && !u->totp_enabled) {
		a->failure = "账号未启用动态口令";
		a->fail_status = LOGIN_BAD_CREDENTIALS;
		return 0;
	}
	/* Whoever enrolled TOTP must give a code (or a recovery code). */
	if (u->totp_enabled) {
		if (rq->totp && *rq->totp) {
			a->step = totp_verify(u->totp_secret, rq->totp, x->now, u->totp_last_step);
			if (a->step < 0) {
				a->step = 0;
				a->failure = "动态口令错误";
				a->fail_status = LOGIN_TOTP_INVALID;
				return 0;
			}
		} else if (rq->recovery_code && *rq->recovery_code) {
			a->recovery = rq->recovery_code;
		} else {
			return 1;
		}
	}
	/* Keep the hash cost in step with the configuration. */
	if (password_needs_rehash(x->security, u->hash) &&
	    password_hash(x->security, rq->password, rehash) == 0)
		a->rehash = rehash;
	return 0;
}

int session_login(const struct dom_ctx *x, const struct login_request *rq, struct login_result *out)
{
	struct dom_err e = { 0 };
	struct store_conn *c;
	struct user_row u;
	struct lockout_ticket t;
	struct login_arg a = { .u = &u, .out = out, .ticket = &t };
	struct dom_write w = { .action = "session.login",
		               .permission = "public",
		               .authorize = login_authorize,
		               .apply = login_apply,
		               .arg = &a,
		               /* Counting a failure changes no cached caller; login_apply clears
		                  it when it ends a replaced session. */
		               .callers_unchanged = 1 };
	char rehash[PASSWORD_HASH_MAX] = "";
	unsigned char replaced[32];
	int rc = -1, second;

	memset(out, 0, sizeof *out);
	memset(&u, 0, sizeof u);
	out->status = LOGIN_ERROR;
	a.username = user_name_ok(rq->username) ? rq->username : "(invalid)";
	if (rq->replaces && strlen(rq->replaces) == SESSION_TOKEN_CHARS - 1) {
		session_secret_hash(rq->replaces, replaced);
		a.replaces = replaced;
	}
	second = (rq->totp && *rq->totp) || (rq->recovery_code && *rq->recovery_code);
	/* The attempt is counted on the writer before the password is verified. */
	if (lockout_reserve(x, a.username, second, &t) < 0)
		goto out;
	lockout_announce(x, &t.locks[0]);
	lockout_announce(x, &t.locks[1]);
	if (t.verdict == LOCKOUT_GO) {
		if (!(c = dom_reader(x, &e)))
			goto out;
		a.found =
		        strcmp(a.username, "(invalid)") == 0 ? 0 : load_user_row(c, a.username, &u);
		if (a.found < 0)
			goto out;
		if (login_check(x, rq, &a, rehash) == 1) {
			/* The password was right: the reservation was no failure. */
			lockout_ticket_return(x, &t);
			out->status = LOGIN_TOTP_REQUIRED;
			out->user_id = u.id;
			rc = 0;
			goto out;
		}
	}
	w.audit_username = a.username;
	w.audit_user_id = a.found ? u.id : 0;
	w.audit_org_id = a.found ? u.org_id : 0;
	dom_write_object(&w, "user:%s", a.username);
	/* Refusals (locks) and kept failures answer with out->status; anything else committed
	   nothing, whatever apply had prepared. */
	if (dom_write(x, &w, &e) < 0 &&
	    (e.status >= 500 || out->status == LOGIN_OK || out->status == LOGIN_ERROR)) {
		out->status = LOGIN_ERROR;
		goto out;
	}
	lockout_announce(x, &a.locks[0]);
	lockout_announce(x, &a.locks[1]);
	rc = 0;
out:
	if (out->status != LOGIN_OK) {
		sodium_memzero(out->token, sizeof out->token);
		sodium_memzero(out->csrf, sizeof out->csrf);
	}
	sodium_memzero(&u, sizeof u);
	sodium_memzero(rehash, sizeof rehash);
	return rc;
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

/* The session row of a token hash, when active (not revoked). */
struct session_row {
	int64_t id, user_id, last_seen, expires;
	unsigned char csrf[32];
};

/* 1 found, 0 none, -1 error. */
static int load_session(struct store_conn *c, const unsigned char th[32], struct session_row *s)
{
	struct store_stmt *st;
	int rc, found = 0;

	st = store_prepare(c, "SELECT id, user_id, csrf_hash, last_seen_at, expires_at FROM "
	                      "sessions WHERE token_hash = ? AND revoked_at IS NULL");
	if (!st)
		return -1;
	store_bind_blob(st, 1, th, 32);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		int len = 0;
		const void *h = store_col_blob(st, 2, &len);
		s->id = store_col_int64(st, 0);
		s->user_id = store_col_int64(st, 1);
		s->last_seen = store_col_int64(st, 3);
		s->expires = store_col_int64(st, 4);
		if (h && len == 32) {
			memcpy(s->csrf, h, 32);
			found = 1;
		}
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return -1;
	return found;
}

int session_authenticate(const struct dom_ctx *x, const char *cookie, struct caller *out)
{
	int64_t now = x->now, known = 0, last;
	struct store_conn *c;
	struct session_row s;
	unsigned char th[32];
	uint64_t gen;
	int r;

	caller_init(out);
	if (!cookie || strlen(cookie) != SESSION_TOKEN_CHARS - 1)
		return 0;
	session_secret_hash(cookie, th);
	/* Read before anything is loaded: a change committed during the load makes the entry put
	   below stale at once (caller_cache.h). */
	gen = caller_cache_generation();
	switch (caller_cache_get(th, x, out, &known)) {
	case CALLER_CACHE_HIT: return 1;
	case CALLER_CACHE_ENDED: return 0;
	case CALLER_CACHE_MISS: break;
	}
	if (!(c = store_reader(x->store)))
		return -1;
	r = load_session(c, th, &s);
	if (r != 1)
		return r;
	/* The activity the cache knew of may be newer than the database's (written once a
	   minute). */
	last = known > s.last_seen ? known : s.last_seen;
	if (now >= s.expires || now - last >= x->security->session_idle_s)
		return 0;
	r = caller_load(c, x->security, s.user_id, now, out);
	if (r != 1) {
		caller_init(out);
		return r;
	}
	out->session_id = s.id;
	out->via_cookie = 1;
	memcpy(out->csrf_hash, s.csrf, 32);
	sodium_memzero(s.csrf, sizeof s.csrf);
	if (!caller_cache_put(th, gen, x, out, s.expires, s.last_seen)) {
		/* No cache (commands, tests): the database keeps the activity itself. */
		int64_t gran = x->security->session_idle_s / 4;
		if (gran > 60)
			gran = 60;
		if (now - s.last_seen >= gran)
			session_touch(x->store, "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
			              s.id, now);
	}
	return 1;
}

int session_alive(const struct dom_ctx *x, const unsigned char token_hash[32])
{
	struct store_conn *c = store_reader(x->store);
	struct session_row s;
	int64_t known = caller_cache_last_seen(token_hash), last;
	int r;

	if (!c)
		return -1;
	r = load_session(c, token_hash, &s);
	if (r != 1)
		return r;
	sodium_memzero(s.csrf, sizeof s.csrf);
	last = known > s.last_seen ? known : s.last_seen;
	return x->now < s.expires && x->now - last < x->security->session_idle_s;
}

int session_csrf_ok(const struct caller *c, const char *header)
{
	unsigned char h[32];

	if (!c->session_id || !header || strlen(header) != SESSION_TOKEN_CHARS - 1)
		return 0;
	session_secret_hash(header, h);
	return sodium_memcmp(h, c->csrf_hash, 32) == 0;
}
struct logout_arg {
	int64_t session_id;
	int everywhere;
};

/* authorize: the caller is a user logged in with this session (API tokens have none), and the
   session is theirs. */
static int logout_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct logout_arg *a = w->arg;
	struct store_stmt *st;
	int mine = 0;

	if (!x->caller->user_id || !a->session_id)
		return dom_err_set(e, 400, "not_a_session", "接口令牌没有会话可退出");
	st = store_prepare(c, "SELECT user_id = ? FROM sessions WHERE id = ?");
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, x->caller->user_id);
	store_bind_int64(st, 2, a->session_id);
	if (store_step(st) == STORE_ROW)
		mine = (int)store_col_int64(st, 0);
	store_reset(st);
	if (!mine)
		return dom_err_set(e, 404, "not_found", "会话不存在");
	return 0;
}

static int logout_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct logout_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, a->everywhere
	                              ? "UPDATE sessions SET revoked_at = ? WHERE user_id = ? "
	                                "AND revoked_at IS NULL"
	                              : "UPDATE sessions SET revoked_at = ? WHERE id = ? AND "
	                                "revoked_at IS NULL");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, x->now);
	store_bind_int64(st, 2, a->everywhere ? x->caller->user_id : a->session_id);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

int session_logout(const struct dom_ctx *x, int64_t session_id, int everywhere, struct dom_err *e)
{
	struct logout_arg a = { session_id, everywhere };
	struct dom_write w = { .action = everywhere ? "session.logout_all" : "session.logout",
		               .permission = "authenticated",
		               .authorize = logout_authorize,
		               .apply = logout_apply,
		               .arg = &a };

	dom_write_object(&w, "session:%" PRId64, session_id);
	return dom_write(x, &w, e);
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
