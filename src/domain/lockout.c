/*
 * Lockouts after failed logins (lockout.h).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/user.h"
#include "domain/lockout.h"
#include "domain/security_config.h"
#include "store/store.h"

/* ---- the security administrator's view ---- */

struct release_arg {
	int64_t id;
	char kind[16];
	char subject[128];
	int64_t user_id; /* the locked account's user, 0 when none */
};

/* 1 when p's scope is the whole tree (the system, or an organisation of a top-level region):
   locks that belong to no region (addresses, names nobody has) are theirs. */
static int scope_whole_tree(const struct principal *p)
{
	const char *slash = strchr(p->region_path, '/');

	return p->is_system || (slash && slash[1] == '\0');
}

json_t *lockout_list_json(const struct dom_ctx *x, struct dom_err *e)
{
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	/* Scoped like the accounts they lock: an account lock shows when its user lies inside
	   the caller's scope; locks of addresses and of names nobody has only to whole-tree
	   callers. */
	if (!c || !out ||
	    !(st = store_prepare(c, "SELECT l.id, l.kind, l.subject, l.locked_at, l.until FROM "
	                            "lockouts l LEFT JOIN users u ON l.kind = 'account' AND "
	                            "u.username = l.subject LEFT JOIN organisations o ON o.id = "
	                            "u.org_id LEFT JOIN regions r ON r.code = o.region_code WHERE "
	                            "l.until > ? AND l.released_at IS NULL AND ((u.id IS NOT NULL "
	                            "AND r.path >= ? AND r.path < ?) OR (u.id IS NULL AND ? = 1)) "
	                            "ORDER BY l.id"))) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	access_scope_range(x->caller, lo, hi);
	store_bind_int64(st, 1, x->now);
	store_bind_text(st, 2, lo, -1);
	store_bind_text(st, 3, hi, -1);
	store_bind_int64(st, 4, scope_whole_tree(x->caller));
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

/* authorize of a release: the lock is active, and it is not the caller's own account. A lock
   of an existing account lies inside the caller's scope only when that user does (else 404, as
   if missing); address locks and locks of names nobody has belong to no region, and only
   whole-tree callers see and release them (as the list shows them). */
static int release_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	struct release_arg *a = w->arg;
	struct store_stmt *st;
	int found = 0;

	st = store_prepare(c, "SELECT l.kind, l.subject, u.id FROM lockouts l LEFT JOIN users u "
	                      "ON l.kind = 'account' AND u.username = l.subject WHERE l.id = ? AND "
	                      "l.released_at IS NULL AND l.until > ?");
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, a->id);
	store_bind_int64(st, 2, x->now);
	if (store_step(st) == STORE_ROW) {
		dom_copy(a->kind, sizeof a->kind, store_col_text(st, 0));
		dom_copy(a->subject, sizeof a->subject, store_col_text(st, 1));
		a->user_id = store_col_is_null(st, 2) ? 0 : store_col_int64(st, 2);
		found = 1;
	}
	store_reset(st);
	if (!found)
		return dom_err_set(e, 404, "not_found", "锁定记录不存在或已失效");
	dom_write_object(w, "%s:%s", a->kind, a->subject);
	if (!a->user_id && !scope_whole_tree(x->caller))
		return dom_err_set(e, 404, "not_found", "锁定记录不存在或已失效");
	if (a->user_id) {
		struct user_view u;

		if (user_load_for_write(c, x, a->user_id, &u, e) < 0)
			return dom_err_set(e, 404, "not_found", "锁定记录不存在或已失效");
		sodium_memzero(&u, sizeof u);
	}
	if (strcmp(a->kind, "account") == 0 && strcmp(a->subject, x->caller->username) == 0)
		return dom_err_set(e, 403, "self_grant", "不能解除自己账号的锁定");
	return 0;
}

static int release_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct release_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "UPDATE lockouts SET released_at = ?, released_by = ? WHERE id = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, x->now);
	if (x->caller->user_id)
		store_bind_int64(st, 2, x->caller->user_id);
	else
		store_bind_null(st, 2);
	store_bind_int64(st, 3, a->id);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	/* The failures counted for the subject go too, or the next one would lock it again. */
	st = store_prepare(c, strcmp(a->kind, "account") == 0
	                              ? "DELETE FROM login_failures WHERE username = ?"
	                              : "DELETE FROM login_failures WHERE source = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->subject, -1);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

int lockout_release(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct release_arg a = { .id = id };
	struct dom_write w = { .action = "lockout.release",
		               .permission = "lockout.write",
		               .authorize = release_authorize,
		               .apply = release_apply,
		               .arg = &a };

	dom_write_object(&w, "lockout:%" PRId64, id);
	return dom_write(x, &w, e);
}

/* ---- counting failures ---- */

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

static int64_t count_failures(struct store_conn *c, const char *sql, const char *subject,
                              int64_t since)
{
	struct store_stmt *st = store_prepare(c, sql);
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

/* Locks (kind, subject) when n failures reached threshold and no lock is active yet. Records the
   lock into l. 0 or a negative store_rc. */
static int lock_if_due(struct store_conn *c, const struct dom_ctx *x, const char *kind,
                       const char *subject, int64_t n, int threshold, struct lockout_new *l)
{
	struct store_stmt *st;
	int64_t until;
	int rc;

	if (n < threshold)
		return 0;
	until = lockout_until(c, kind, subject, x->now);
	if (until < 0)
		return STORE_ERR;
	if (until > 0)
		return 0;
	st = store_prepare(c, "INSERT INTO lockouts (kind, subject, locked_at, until) VALUES (?, "
	                      "?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, kind, -1);
	store_bind_text(st, 2, subject, -1);
	store_bind_int64(st, 3, x->now);
	store_bind_int64(st, 4, x->now + x->security->lockout_duration_s);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	dom_copy(l->kind, sizeof l->kind, kind);
	dom_copy(l->subject, sizeof l->subject, subject);
	l->failures = n;
	return 0;
}

int lockout_count_failure(struct store_conn *c, const struct dom_ctx *x, const char *username,
                          struct lockout_new locks[2])
{
	const struct security_config *cfg = x->security;
	int64_t since = x->now - cfg->lockout_window_s, n;
	struct store_stmt *st;
	int rc;

	memset(locks, 0, 2 * sizeof *locks);
	st = store_prepare(c, "INSERT INTO login_failures (username, source, at) VALUES (?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, username, -1);
	store_bind_text(st, 2, x->source, -1);
	store_bind_int64(st, 3, x->now);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?",
	                   username, since);
	if (n < 0)
		return STORE_ERR;
	rc = lock_if_due(c, x, "account", username, n, cfg->lockout_account_failures, &locks[0]);
	if (rc)
		return rc;
	n = count_failures(c, "SELECT count(*) FROM login_failures WHERE source = ? AND at > ?",
	                   x->source, since);
	if (n < 0)
		return STORE_ERR;
	return lock_if_due(c, x, "address", x->source, n, cfg->lockout_address_failures, &locks[1]);
}

int lockout_forget_failures(struct store_conn *c, const char *username)
{
	struct store_stmt *st = store_prepare(c, "DELETE FROM login_failures WHERE username = ?");

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, username, -1);
	return dom_step_done(st);
}

void lockout_announce(const struct dom_ctx *x, const struct lockout_new *l)
{
	struct dom_ctx sys;
	char obj[DOM_OBJECT_MAX], detail[128];

	if (!l->kind[0])
		return;
	dom_ctx_as(&sys, x, access_system());
	(void)snprintf(obj, sizeof obj, "%.15s:%.79s", l->kind, l->subject);
	(void)snprintf(detail, sizeof detail,
	               "%" PRId64 " 秒内失败 %" PRId64 " 次，锁定 %" PRId64 " 秒",
	               x->security->lockout_window_s, l->failures, x->security->lockout_duration_s);
	log_warn("login.lockout", "kind=%s", l->kind);
	if (dom_audit(&sys, "login.lockout", obj, "success", detail) < 0)
		log_error("login.lockout_unrecorded", "kind=%s", l->kind);
}
