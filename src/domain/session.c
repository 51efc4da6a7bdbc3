/*
 * Login, sessions, TOTP enrolment and API tokens. Lockout counts failures in login_failures over a
 * sliding window, per user name (whether or not it exists, so a lock tells nothing about which
 * names exist) and per source address. Failed logins of unknown users still pay for one Argon2
 * verification, so timing does not tell either.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/audit.h"
#include "domain/session.h"
#include "domain/totp.h"
#include "store/store.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int step_done(struct store_stmt *st)
{
	int rc = store_step(st);

	store_reset(st);
	if (rc == STORE_DONE || rc == STORE_ROW)
		return 0;
	return rc < 0 ? rc : STORE_ERR;
}

static void hash32(const char *s, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)s, strlen(s), NULL, 0);
}

static void random_token(char out[SESSION_TOKEN_CHARS])
{
	unsigned char raw[SESSION_TOKEN_BYTES];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, SESSION_TOKEN_CHARS, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

static int audit_in(struct store_conn *c, const struct idctx *x, int64_t user_id,
                    const char *username, int64_t org_id, const char *action, const char *object,
                    const char *outcome, const char *detail)
{
	struct audit_entry e = { 0 };

	e.user_id = user_id;
	e.username = username;
	e.org_id = org_id;
	e.source = x->source;
	e.request_id = x->request_id;
	e.action = action;
	e.object = object;
	e.outcome = outcome;
	e.detail = detail;
	return audit_append_conn(c, x->audit_key, &e);
}

/* A hash with the configured cost for a password nobody has, verified against when the user name
   is unknown. Made once. */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[PASSWORD_HASH_MAX];

static const char *dummy(const struct identity_config *cfg)
{
	pthread_mutex_lock(&dummy_lock);
	if (!dummy_hash[0]) {
		char pw[24];
		identity_password_generate(pw, sizeof pw);
		if (identity_password_hash(cfg, pw, dummy_hash) < 0)
			dummy_hash[0] = '\0';
	}
	pthread_mutex_unlock(&dummy_lock);
	return dummy_hash;
}

/* ---- lockout ---- */

/* Active lock on (kind, subject): its end, 0 when none, -1 on error. */
static int64_t locked_until(struct store_conn *c, const char *kind, const char *subject,
                            int64_t now)
{
	struct store_stmt *st = store_prepare(c, "SELECT max(until) FROM lockouts WHERE kind = ? "
	                                         "AND subject = ? AND until > ? AND released_at IS "
	                                         "NULL");
	int64_t until = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, kind, -1);
	store_bind_text(st, 2, subject, -1);
	store_bind_int64(st, 3, now);
	if (store_step(st) == STORE_ROW)
		until = store_col_is_null(st, 0) ? 0 : store_col_int64(st, 0);
	store_reset(st);
	return until;
}

static int64_t count_failures(struct store_conn *c, const char *col_sql, const char *subject,
                              int64_t since)
{
	struct store_stmt *st = store_prepare(c, col_sql);
	int64_t n = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, subject, -1);
	store_bind_int64(st, 2, since);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

static int add_lock(struct store_conn *c, const struct idctx *x, const char *kind,
                    const char *subject, int64_t now, int64_t n)
{
	struct store_stmt *st = store_prepare(c, "INSERT INTO lockouts (kind, subject, locked_at, "
	                                         "until) VALUES (?, ?, ?, ?)");
	char obj[160], detail[96];
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, kind, -1);
	store_bind_text(st, 2, subject, -1);
	store_bind_int64(st, 3, now);
	store_bind_int64(st, 4, now + x->cfg->lockout_duration_s);
	if ((rc = step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "%s:%s", kind, subject);
	snprintf(detail, sizeof detail, "%" PRId64 " 秒内失败 %" PRId64 " 次，锁定 %" PRId64 " 秒",
	         x->cfg->lockout_window_s, n, x->cfg->lockout_duration_s);
	log_warn("login.lockout", "kind=%s", kind);
	return audit_in(c, x, 0, "system", 0, "login.lockout", obj, "success", detail);
}

struct fail_ctx {
	const struct idctx *x;
	const char *username; /* as recorded: a valid user name or "(invalid)" */
	int64_t user_id, org_id;
	const char *reason;
	int64_t now;
	int locked_account, locked_address;
};

static int fail_fn(struct store_conn *c, void *arg)
{
	struct fail_ctx *f = arg;
	const struct identity_config *cfg = f->x->cfg;
	struct store_stmt *st;
	int64_t since = f->now - cfg->lockout_window_s, n;
	char obj[80];
	int rc;

	st = store_prepare(c, "INSERT INTO login_failures (username, source, at) VALUES (?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, f->username, -1);
	store_bind_text(st, 2, f->x->source, -1);
	store_bind_int64(st, 3, f->now);
	if ((rc = step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%s", f->username);
	rc = audit_in(c, f->x, f->user_id, f->username, f->org_id, "session.login", obj, "failure",
	              f->reason);
	if (rc)
		return rc;
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?",
	                   f->username, since);
	if (n >= cfg->lockout_account_failures &&
	    locked_until(c, "account", f->username, f->now) == 0) {
		if ((rc = add_lock(c, f->x, "account", f->username, f->now, n)) != 0)
			return rc;
		f->locked_account = 1;
	}
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE source = ? AND at > ?",
	                   f->x->source, since);
	if (n >= cfg->lockout_address_failures &&
	    locked_until(c, "address", f->x->source, f->now) == 0) {
		if ((rc = add_lock(c, f->x, "address", f->x->source, f->now, n)) != 0)
			return rc;
		f->locked_address = 1;
	}
	return 0;
}

static void record_failure(const struct idctx *x, const char *username, int64_t user_id,
                           int64_t org_id, const char *reason, int64_t now)
{
	struct fail_ctx f = { x, username, user_id, org_id, reason, now, 0, 0 };

	if (store_write(x->store, fail_fn, &f) != 0)
		log_error("login.record_failed", "reason=%s", reason);
}

struct locked_ctx {
	const struct idctx *x;
	const char *username;
	const char *detail;
};

static int locked_fn(struct store_conn *c, void *arg)
{
	struct locked_ctx *l = arg;
	char obj[80];

	snprintf(obj, sizeof obj, "user:%s", l->username);
	return audit_in(c, l->x, 0, l->username, 0, "session.login", obj, "denied", l->detail);
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
		copy(u->hash, sizeof u->hash, store_col_text(st, 2));
		u->totp_enabled = (int)store_col_int64(st, 3);
		/* Sealed at rest (identity_totp_seal); opened here for the code check. */
		identity_totp_open(u->id, store_col_text(st, 4), u->totp_secret,
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

static void recovery_hash(int64_t user_id, const char *code, unsigned char out[32])
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
	hash32(buf, out);
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(buf, sizeof buf);
}

struct success_ctx {
	const struct idctx *x;
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
		if ((rc = step_done(st)) != 0)
			return rc;
		if (store_changes(c) != 1) {
			s->replay = 1;
			return 1;
		}
	}
	if (s->recovery) {
		unsigned char rh[32];
		recovery_hash(s->u->id, s->recovery, rh);
		st = store_prepare(
		        c, "UPDATE totp_recovery_codes SET used_at = ? WHERE id = (SELECT "
		           "id FROM totp_recovery_codes WHERE user_id = ? AND code_hash = ? "
		           "AND used_at IS NULL LIMIT 1)");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, s->now);
		store_bind_int64(st, 2, s->u->id);
		store_bind_blob(st, 3, rh, sizeof rh);
		if ((rc = step_done(st)) != 0)
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
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	st = store_prepare(c, "DELETE FROM login_failures WHERE username = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, s->username, -1);
	if ((rc = step_done(st)) != 0)
		return rc;
	random_token(out->token);
	random_token(out->csrf);
	hash32(out->token, th);
	hash32(out->csrf, ch);
	out->expires_at = s->now + s->x->cfg->session_absolute_s;
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
	if ((rc = step_done(st)) != 0)
		return rc;
	out->session_id = store_last_insert_id(c);
	snprintf(obj, sizeof obj, "session:%" PRId64, out->session_id);
	return audit_in(c, s->x, s->u->id, s->username, s->u->org_id, "session.login", obj,
	                "success",
	                s->recovery ? "第二因素：恢复码"
	                : s->step   ? "第二因素：动态口令"
	                            : "密码");
}

int session_login(const struct idctx *x, const struct login_request *rq, struct login_result *out)
{
	struct store_conn *c = store_reader(x->store);
	struct user_row u;
	const char *username = identity_username_ok(rq->username) ? rq->username : "(invalid)";
	int64_t now = clock_now(), until;
	char rehash[PASSWORD_HASH_MAX];
	int found, ok, need_second;

	memset(out, 0, sizeof *out);
	memset(&u, 0, sizeof u);
	out->status = LOGIN_ERROR;
	if (!c)
		return -1;
	/* 1. Locks, address first. */
	until = locked_until(c, "address", x->source, now);
	if (until < 0)
		return -1;
	if (until > 0) {
		struct locked_ctx l = { x, username, "来源地址已锁定" };
		store_write(x->store, locked_fn, &l);
		out->status = LOGIN_ADDRESS_LOCKED;
		out->locked_until = until;
		return 0;
	}
	until = locked_until(c, "account", username, now);
	if (until < 0)
		return -1;
	if (until > 0) {
		struct locked_ctx l = { x, username, "账号已锁定" };
		store_write(x->store, locked_fn, &l);
		out->status = LOGIN_ACCOUNT_LOCKED;
		out->locked_until = until;
		return 0;
	}
	/* 2. Password, always paying for one Argon2 verification. */
	found = strcmp(username, "(invalid)") == 0 ? 0 : load_user_row(c, username, &u);
	if (found < 0)
		return -1;
	ok = identity_password_verify(found ? u.hash : dummy(x->cfg),
	                              rq->password ? rq->password : "");
	if (!found || !ok || u.disabled) {
		record_failure(x, username, found ? u.id : 0, found ? u.org_id : 0,
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
				record_failure(x, username, u.id, u.org_id, "动态口令错误", now);
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
	if (crypto_pwhash_str_needs_rehash(u.hash, x->cfg->argon2_opslimit,
	                                   x->cfg->argon2_memlimit) != 0 &&
	    identity_password_hash(x->cfg, rq->password, rehash) == 0)
		sc.rehash = rehash;
	if (store_write(x->store, success_fn, &sc) != 0) {
		if (sc.replay) {
			record_failure(x, username, u.id, u.org_id,
			               sc.recovery ? "恢复码错误" : "动态口令已使用过", now);
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
	return step_done(st);
}

int session_authenticate(const struct idctx *x, const char *cookie, int64_t now, struct caller *out)
{
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
	hash32(cookie, th);
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
	if (!found || now >= expires || now - last >= x->cfg->session_idle_s)
		return 0;
	r = identity_load_caller(c, x->cfg, uid, now, out);
	if (r != 1) {
		caller_init(out);
		return r;
	}
	out->session_id = sid;
	out->via_cookie = 1;
	memcpy(out->csrf_hash, csrf, 32);
	{
		int64_t gran = x->cfg->session_idle_s / 4;
		if (gran > 60)
			gran = 60;
		if (now - last >= gran) {
			struct touch_ctx t = { "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
				               sid, now };
			store_write(x->store, touch_fn, &t);
		}
	}
	return 1;
}

int session_csrf_ok(const struct caller *c, const char *header)
{
	unsigned char h[32];

	if (!c->session_id || !header || strlen(header) != SESSION_TOKEN_CHARS - 1)
		return 0;
	hash32(header, h);
	return sodium_memcmp(h, c->csrf_hash, 32) == 0;
}

int token_authenticate(const struct idctx *x, const char *token, int64_t now, struct caller *out)
{
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
	hash32(token, th);
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
		copy(out->p.region_code, sizeof out->p.region_code, store_col_text(st, 4));
		copy(out->p.region_path, sizeof out->p.region_path, store_col_text(st, 5));
		last = store_col_int64(st, 6);
		copy(out->org_name, sizeof out->org_name, store_col_text(st, 7));
		copy(out->display_name, sizeof out->display_name, store_col_text(st, 1));
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
		struct touch_ctx t = { "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", tid,
			               now };
		store_write(x->store, touch_fn, &t);
	}
	return 1;
}

struct logout_ctx {
	const struct idctx *x;
	const struct caller *c;
	int everywhere;
};

static int logout_fn(struct store_conn *c, void *arg)
{
	struct logout_ctx *l = arg;
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
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, l->everywhere ? l->c->p.user_id : l->c->session_id);
	if ((rc = step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "session:%" PRId64, l->c->session_id);
	return audit_in(c, l->x, l->c->p.user_id, l->c->p.username, l->c->p.org_id,
	                l->everywhere ? "session.logout_all" : "session.logout", obj, "success",
	                "");
}

int session_logout(const struct idctx *x, const struct caller *c, int everywhere)
{
	struct logout_ctx l = { x, c, everywhere };

	if (!c->p.user_id)
		return -1;
	return store_write(x->store, logout_fn, &l) == 0 ? 0 : -1;
}

/* ---- TOTP enrolment ---- */

struct totp_ctx {
	const struct idctx *x;
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
	store_bind_int64(st, 2, clock_now());
	store_bind_int64(st, 3, t->p->user_id);
	if ((rc = step_done(st)) != 0)
		return rc;
	if (store_changes(c) != 1) {
		dom_err_set(t->e, 409, "totp_enrolled",
		            "已启用双因素认证；如需更换，请联系安全管理员重置");
		return 1;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, t->p->user_id);
	return audit_in(c, t->x, t->p->user_id, t->p->username, t->p->org_id, "totp.enrol_begin",
	                obj, "success", "");
}

int session_totp_begin(const struct idctx *x, const struct principal *p, char *secret,
                       size_t secret_len, char *uri, size_t uri_len, struct dom_err *e)
{
	char s[TOTP_SECRET_B32], sealed[IDENTITY_TOTP_SEALED_MAX];
	struct totp_ctx t = { .x = x, .p = p, .secret = sealed, .e = e };
	int rc;

	if (!p->user_id) {
		dom_err_set(e, 403, "forbidden", "只有用户可以启用双因素认证");
		return -1;
	}
	totp_new_secret(s);
	/* Stored sealed, bound to the user's row (identity_totp_seal). */
	if (identity_totp_seal(p->user_id, s, sealed, sizeof sealed) < 0) {
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
	copy(secret, secret_len, s);
	if (totp_uri("wangge", p->username, s, uri, uri_len) < 0)
		copy(uri, uri_len, "");
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
		identity_totp_open(t->p->user_id, store_col_text(st, 0), secret, sizeof secret);
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
	step = totp_verify(secret, t->code, clock_now(), last);
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
	store_bind_int64(st, 2, clock_now());
	store_bind_int64(st, 3, t->p->user_id);
	if ((rc = step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->p->user_id);
	if ((rc = step_done(st)) != 0)
		return rc;
	for (int i = 0; i < RECOVERY_CODE_COUNT; i++) {
		unsigned char h[32];
		new_recovery_code(t->codes[i]);
		recovery_hash(t->p->user_id, t->codes[i], h);
		st = store_prepare(c, "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES "
		                      "(?, ?)");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, t->p->user_id);
		store_bind_blob(st, 2, h, sizeof h);
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, t->p->user_id);
	return audit_in(c, t->x, t->p->user_id, t->p->username, t->p->org_id, "totp.enrol", obj,
	                "success", "");
}

int session_totp_confirm(const struct idctx *x, const struct principal *p, const char *code,
                         char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e)
{
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

/* ---- API tokens ---- */

struct token_ctx {
	const struct idctx *x;
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
	int64_t now = clock_now();
	size_t off = 0;
	int rc = identity_org_get(c, t->p, t->org_id, &o);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(t->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
		return 1;
	}
	hash32(t->token, th);
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
	if ((rc = step_done(st)) != 0)
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
		if ((rc = step_done(st)) != 0)
			return rc;
		k = snprintf(detail + off, sizeof detail - off, "%s%s", i ? "," : "", t->perms[i]);
		if (k > 0 && (size_t)k < sizeof detail - off)
			off += (size_t)k;
	}
	snprintf(obj, sizeof obj, "token:%" PRId64, t->id);
	return audit_in(c, t->x, t->p->user_id, t->p->username, t->p->org_id, "token.create", obj,
	                "success", detail);
}

int token_create(const struct idctx *x, const struct principal *p, const char *name, int64_t org_id,
                 const char *const *perms, size_t n, int64_t lifetime_s, int64_t *id,
                 char *token_out, struct dom_err *e)
{
	char raw[SESSION_TOKEN_CHARS], token[API_TOKEN_CHARS], msg[128];
	struct token_ctx t = { .x = x,
		               .p = p,
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
	if (lifetime_s < 3600 || lifetime_s > x->cfg->token_max_lifetime_s) {
		dom_err_set(e, 400, "bad_lifetime", "有效期须在 1 小时到 %" PRId64 " 天之间",
		            x->cfg->token_max_lifetime_s / 86400);
		return -1;
	}
	random_token(raw);
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

json_t *token_list(struct store *s, int64_t now, struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
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
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, t->p->user_id);
	store_bind_int64(st, 3, t->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	if (store_changes(c) != 1) {
		dom_err_set(t->e, 404, "not_found", "令牌不存在或已吊销");
		return 1;
	}
	snprintf(obj, sizeof obj, "token:%" PRId64, t->id);
	return audit_in(c, t->x, t->p->user_id, t->p->username, t->p->org_id, "token.revoke", obj,
	                "success", "");
}

int token_revoke(const struct idctx *x, const struct principal *p, int64_t id, struct dom_err *e)
{
	struct token_ctx t = { .x = x, .p = p, .id = id, .e = e };
	int rc = store_write(x->store, token_revoke_fn, &t);

	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	return 0;
}
