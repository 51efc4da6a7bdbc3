/*
 * Lockouts after failed logins (lockout.h).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/legacy_write.h"
#include "domain/lockout.h"
#include "domain/security_config.h"
#include "store/store.h"

/* ---- lockouts ---- */

json_t *lockout_list_json(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out ||
	    !(st = store_prepare(c, "SELECT id, kind, subject, locked_at, until FROM lockouts "
	                            "WHERE until > ? AND released_at IS NULL ORDER BY id"))) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	store_bind_int64(st, 1, x->now);
	while ((rc = store_step(st)) == STORE_ROW) {
		char t1[32], t2[32];
		json_array_append_new(
		        out,
		        json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0),
		                  "kind", store_col_text(st, 1), "subject", store_col_text(st, 2),
		                  "locked_at",
		                  clock_format_local(store_col_int64(st, 3), t1, sizeof t1),
		                  "until",
		                  clock_format_local(store_col_int64(st, 4), t2, sizeof t2)));
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	return out;
}

struct release_write {
	const struct dom_ctx *x;
	const struct principal *p;
	int64_t id;
	struct dom_err *e;
};

static int lockout_release_fn(struct store_conn *c, void *arg)
{
	struct release_write *w = arg;
	struct store_stmt *st;
	char kind[16] = "", subject[128] = "", obj[160];
	int rc, found = 0;

	st = store_prepare(c, "SELECT kind, subject FROM lockouts WHERE id = ? AND released_at IS "
	                      "NULL AND until > ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	store_bind_int64(st, 2, w->x->now);
	if (store_step(st) == STORE_ROW) {
		dom_copy(kind, sizeof kind, store_col_text(st, 0));
		dom_copy(subject, sizeof subject, store_col_text(st, 1));
		found = 1;
	}
	store_reset(st);
	if (!found) {
		dom_err_set(w->e, 404, "not_found", "锁定记录不存在或已失效");
		return 1;
	}
	if (strcmp(kind, "account") == 0 && strcmp(subject, w->p->username) == 0) {
		dom_err_set(w->e, 403, "self_grant", "不能解除自己账号的锁定");
		return 1;
	}
	st = store_prepare(c, "UPDATE lockouts SET released_at = ?, released_by = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->x->now);
	store_bind_int64(st, 2, w->p->user_id);
	store_bind_int64(st, 3, w->id);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	st = store_prepare(c, strcmp(kind, "account") == 0
	                              ? "DELETE FROM login_failures WHERE username = ?"
	                              : "DELETE FROM login_failures WHERE source = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, subject, -1);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "%s:%s", kind, subject);
	return legacy_audit(c, w->x, w->p, "lockout.release", obj, "success", "");
}

int lockout_release(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct release_write w = { .x = x, .p = x->caller, .id = id, .e = e };

	return legacy_write(x->store, lockout_release_fn, &w, e);
}

/* ---- counting failures ---- */
/* Active lock on (kind, subject): its end, 0 when none, -1 on error. */
int64_t lockout_until(struct store_conn *c, const char *kind, const char *subject, int64_t now)
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

static int add_lock(struct store_conn *c, const struct dom_ctx *x, const char *kind,
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
	store_bind_int64(st, 4, now + x->security->lockout_duration_s);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "%s:%s", kind, subject);
	snprintf(detail, sizeof detail, "%" PRId64 " 秒内失败 %" PRId64 " 次，锁定 %" PRId64 " 秒",
	         x->security->lockout_window_s, n, x->security->lockout_duration_s);
	log_warn("login.lockout", "kind=%s", kind);
	return legacy_audit_as(c, x, 0, "system", 0, "login.lockout", obj, "success", detail);
}

struct fail_ctx {
	const struct dom_ctx *x;
	const char *username; /* as recorded: a valid user name or "(invalid)" */
	int64_t user_id, org_id;
	const char *reason;
	int64_t now;
	int locked_account, locked_address;
};

static int fail_fn(struct store_conn *c, void *arg)
{
	struct fail_ctx *f = arg;
	const struct security_config *cfg = f->x->security;
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
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%s", f->username);
	rc = legacy_audit_as(c, f->x, f->user_id, f->username, f->org_id, "session.login", obj,
	                     "failure", f->reason);
	if (rc)
		return rc;
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?",
	                   f->username, since);
	if (n >= cfg->lockout_account_failures &&
	    lockout_until(c, "account", f->username, f->now) == 0) {
		if ((rc = add_lock(c, f->x, "account", f->username, f->now, n)) != 0)
			return rc;
		f->locked_account = 1;
	}
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE source = ? AND at > ?",
	                   f->x->source, since);
	if (n >= cfg->lockout_address_failures &&
	    lockout_until(c, "address", f->x->source, f->now) == 0) {
		if ((rc = add_lock(c, f->x, "address", f->x->source, f->now, n)) != 0)
			return rc;
		f->locked_address = 1;
	}
	return 0;
}

void lockout_record_failure(const struct dom_ctx *x, const char *username, int64_t user_id,
                            int64_t org_id, const char *reason, int64_t now)
{
	struct fail_ctx f = { x, username, user_id, org_id, reason, now, 0, 0 };

	if (store_write(x->store, fail_fn, &f) != 0)
		log_error("login.record_failed", "reason=%s", reason);
}

struct locked_ctx {
	const struct dom_ctx *x;
	const char *username;
	const char *detail;
};

static int refusal_fn(struct store_conn *c, void *arg)
{
	struct locked_ctx *l = arg;
	char obj[80];

	snprintf(obj, sizeof obj, "user:%s", l->username);
	return legacy_audit_as(c, l->x, 0, l->username, 0, "session.login", obj, "denied",
	                       l->detail);
}

void lockout_record_refusal(const struct dom_ctx *x, const char *username, const char *detail)
{
	struct locked_ctx l = { x, username, detail };

	if (store_write(x->store, refusal_fn, &l) != 0)
		log_error("login.record_failed", "reason=locked");
}
