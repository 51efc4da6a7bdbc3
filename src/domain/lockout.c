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

/* A lockout row as JSON (dom_row_fn). */
static json_t *lockout_row_json(struct store_stmt *st, void *arg)
{
	char t1[32], t2[32];

	(void)arg;
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0), "kind",
	                 store_col_text(st, 1), "subject", store_col_text(st, 2), "locked_at",
	                 clock_format_local(store_col_int64(st, 3), t1, sizeof t1), "until",
	                 clock_format_local(store_col_int64(st, 4), t2, sizeof t2));
}

json_t *lockout_list(const struct dom_ctx *x, const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char sql[1024], scope[DOM_SCOPE_SQL_MAX];
	struct store_stmt *st;
	int64_t after;
	int k = 1;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	dom_scope_sql(x->caller, "r.path", NULL, scope);
	/* Scoped like the accounts they lock (the same rule as a release): an account lock shows
	   when its user lies inside the caller's scope; locks of addresses and of names nobody has
	   only to whole-tree callers. */
	(void)snprintf(sql, sizeof sql,
	               "SELECT l.id, l.kind, l.subject, l.locked_at, l.until FROM lockouts l "
	               "LEFT JOIN users u ON l.kind = 'account' AND u.username = l.subject "
	               "LEFT JOIN organisations o ON o.id = u.org_id "
	               "LEFT JOIN regions r ON r.code = o.region_code "
	               "WHERE l.until > ? AND l.released_at IS NULL AND l.id > ? "
	               "AND ((u.id IS NOT NULL%s) OR (u.id IS NULL AND ? = 1)) "
	               "ORDER BY l.id LIMIT ?",
	               scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, x->now);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, NULL, st, k);
	store_bind_int64(st, k++, scope_whole_tree(x->caller));
	store_bind_int64(st, k, pg->limit + 1);
	return dom_page_collect(st, pg, lockout_row_json, NULL, e);
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

	if (dom_exec(c, e, "UPDATE lockouts SET released_at = ?, released_by = ? WHERE id = ?",
	             "ini", x->now, x->caller->user_id, a->id) < 0)
		return -1;
	/* The failures counted for the subject go too, or the next one would lock it again. */
	return dom_exec(c, e,
	                strcmp(a->kind, "account") == 0
	                        ? "DELETE FROM login_failures WHERE username = ?"
	                        : "DELETE FROM login_failures WHERE source = ?",
	                "t", a->subject);
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

static int64_t account_failures(struct store_conn *c, const struct dom_ctx *x, const char *username)
{
	return count_failures(c,
	                      "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?",
	                      username, x->now - x->security->lockout_window_s);
}

static int64_t address_failures(struct store_conn *c, const struct dom_ctx *x)
{
	return count_failures(c, "SELECT count(*) FROM login_failures WHERE source = ? AND at > ?",
	                      x->source, x->now - x->security->lockout_window_s);
}

/* The longest an account lock lasts: lockout_max_duration_s, never below the base duration. */
static int64_t max_duration(const struct security_config *cfg)
{
	return cfg->lockout_max_duration_s > cfg->lockout_duration_s ? cfg->lockout_max_duration_s
	                                                             : cfg->lockout_duration_s;
}

/* How long a new lock of (kind, subject) lasts. Addresses: lockout_duration_s. Accounts: twice
   the previous lock (the account's latest) when that one ended less than
   lockout_backoff_reset_s ago and was not forgiven (released by an administrator or a host
   command, or ended by the owner's login), within [lockout_duration_s, max_duration]; otherwise
   lockout_duration_s. The previous lock's length is read from its row, so no counter is kept
   apart. -1 on error. */
static int64_t lock_seconds(struct store_conn *c, const struct dom_ctx *x, const char *kind,
                            const char *subject)
{
	const struct security_config *cfg = x->security;
	int64_t base = cfg->lockout_duration_s, cap = max_duration(cfg), d = base;
	struct store_stmt *st;
	int rc;

	if (strcmp(kind, "account") != 0)
		return base;
	st = store_prepare(c, "SELECT until - locked_at, released_at IS NULL FROM lockouts WHERE "
	                      "kind = 'account' AND subject = ? AND until > ? ORDER BY id DESC "
	                      "LIMIT 1");
	if (!st)
		return -1;
	store_bind_text(st, 1, subject, -1);
	store_bind_int64(st, 2, x->now - cfg->lockout_backoff_reset_s);
	rc = store_step(st);
	if (rc == STORE_ROW && store_col_int64(st, 1)) {
		int64_t prev = store_col_int64(st, 0);
		/* prev <= 30 days (the configuration's bounds), so doubling cannot overflow. */
		d = prev > cap / 2 ? cap : 2 * prev;
		if (d < base)
			d = base;
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return -1;
	return d;
}

/* Locks (kind, subject) when n failures reached threshold and no lock is active yet. Records the
   lock into l. 0 or a negative store_rc. */
static int lock_if_due(struct store_conn *c, const struct dom_ctx *x, const char *kind,
                       const char *subject, int64_t n, int threshold, struct lockout_new *l)
{
	struct store_stmt *st;
	int64_t until, seconds;
	int rc;

	if (n < threshold)
		return 0;
	until = lockout_until(c, kind, subject, x->now);
	if (until < 0)
		return STORE_ERR;
	if (until > 0)
		return 0;
	seconds = lock_seconds(c, x, kind, subject);
	if (seconds < 0)
		return STORE_ERR;
	st = store_prepare(c, "INSERT INTO lockouts (kind, subject, locked_at, until) VALUES (?, "
	                      "?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, kind, -1);
	store_bind_text(st, 2, subject, -1);
	store_bind_int64(st, 3, x->now);
	store_bind_int64(st, 4, x->now + seconds);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	dom_copy(l->kind, sizeof l->kind, kind);
	dom_copy(l->subject, sizeof l->subject, subject);
	l->failures = n;
	l->seconds = seconds;
	return 0;
}

int lockout_attempt_failed(struct store_conn *c, const struct dom_ctx *x, const char *username,
                           struct lockout_new locks[2], int64_t *account_until)
{
	const struct security_config *cfg = x->security;
	int64_t n;
	int rc;

	memset(locks, 0, 2 * sizeof *locks);
	if (account_until)
		*account_until = 0;
	n = account_failures(c, x, username);
	if (n < 0)
		return STORE_ERR;
	rc = lock_if_due(c, x, "account", username, n, cfg->lockout_account_failures, &locks[0]);
	if (rc)
		return rc;
	n = address_failures(c, x);
	if (n < 0)
		return STORE_ERR;
	rc = lock_if_due(c, x, "address", x->source, n, cfg->lockout_address_failures, &locks[1]);
	if (rc)
		return rc;
	if (account_until && (*account_until = lockout_until(c, "account", username, x->now)) < 0)
		return STORE_ERR;
	return 0;
}

int lockout_count_failure(struct store_conn *c, const struct dom_ctx *x, const char *username,
                          struct lockout_new locks[2])
{
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
	return lockout_attempt_failed(c, x, username, locks, NULL);
}

int lockout_forget_failures(struct store_conn *c, const char *username)
{
	struct store_stmt *st = store_prepare(c, "DELETE FROM login_failures WHERE username = ?");

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, username, -1);
	return dom_step_done(st);
}

/* Marks the account locks of username that still count for the backoff as released (by nobody:
   released_by NULL), at now. 0 or a negative store_rc. */
static int forgive_account(struct store_conn *c, const struct dom_ctx *x, const char *username)
{
	struct store_stmt *st = store_prepare(
	        c, "UPDATE lockouts SET released_at = ? WHERE kind = 'account' AND subject = ? AND "
	           "released_at IS NULL AND until > ?");

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, x->now);
	store_bind_text(st, 2, username, -1);
	store_bind_int64(st, 3, x->now - x->security->lockout_backoff_reset_s);
	return dom_step_done(st);
}

int lockout_attempt_succeeded(struct store_conn *c, const struct dom_ctx *x, const char *username)
{
	int rc = lockout_forget_failures(c, username);

	return rc ? rc : forgive_account(c, x, username);
}

int lockout_ticket_drop(struct store_conn *c, const struct lockout_ticket *t)
{
	struct store_stmt *st;

	if (!t->attempt_id)
		return 0;
	st = store_prepare(c, "DELETE FROM login_failures WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, t->attempt_id);
	return dom_step_done(st);
}

static int drop_fn(struct store_conn *c, void *arg)
{
	return lockout_ticket_drop(c, arg);
}

void lockout_ticket_return(const struct dom_ctx *x, const struct lockout_ticket *t)
{
	/* A ticket is const for the caller; the write only reads it. */
	if (t->attempt_id && store_write(x->store, drop_fn, (void *)t) != 0)
		log_warn("login.ticket_return_failed", "id=%" PRId64, t->attempt_id);
}

struct reserve_run {
	const struct dom_ctx *x;
	const char *username;
	int second_factor;
	struct lockout_ticket *t;
};

/* The reservation, on the writer (lockout_reserve). Every look and the insert happen in one
   transaction after the writes queued before it, so two attempts can never both see the last
   free attempt. */
static int reserve_fn(struct store_conn *c, void *arg)
{
	struct reserve_run *r = arg;
	const struct dom_ctx *x = r->x;
	const struct security_config *cfg = x->security;
	struct lockout_ticket *t = r->t;
	struct store_stmt *st;
	int64_t until, n = 0;
	int rc;

	memset(t, 0, sizeof *t);
	if ((until = lockout_until(c, "address", x->source, x->now)) != 0)
		goto refused_address;
	if ((until = lockout_until(c, "account", r->username, x->now)) < 0)
		return STORE_ERR;
	if (until > 0) {
		/* The owner's way in (lockout.h): a second factor from an address with no failure
		   in the window. Reserving marks the address, so it gets one such try per window.
		 */
		if (!r->second_factor || (n = address_failures(c, x)) != 0) {
			if (n < 0)
				return STORE_ERR;
			t->verdict = LOCKOUT_ACCOUNT_LOCKED;
			t->locked_until = until;
			return 0;
		}
		t->bypass = 1;
	} else {
		/* The attempts of the window are used up (by failures, or by attempts still being
		   verified): lock now rather than verify once more. */
		if ((n = account_failures(c, x, r->username)) < 0)
			return STORE_ERR;
		if (n >= cfg->lockout_account_failures) {
			if ((rc = lock_if_due(c, x, "account", r->username, n,
			                      cfg->lockout_account_failures, &t->locks[0])) != 0)
				return rc;
			t->verdict = LOCKOUT_ACCOUNT_LOCKED;
			t->locked_until = lockout_until(c, "account", r->username, x->now);
			return t->locked_until < 0 ? STORE_ERR : 0;
		}
	}
	if ((n = address_failures(c, x)) < 0)
		return STORE_ERR;
	if (n >= cfg->lockout_address_failures) {
		if ((rc = lock_if_due(c, x, "address", x->source, n, cfg->lockout_address_failures,
		                      &t->locks[1])) != 0)
			return rc;
		until = lockout_until(c, "address", x->source, x->now);
		goto refused_address;
	}
	st = store_prepare(c, "INSERT INTO login_failures (username, source, at) VALUES (?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, r->username, -1);
	store_bind_text(st, 2, x->source, -1);
	store_bind_int64(st, 3, x->now);
	if ((rc = dom_step_done(st)) != 0)
		return rc;
	t->attempt_id = store_last_insert_id(c);
	t->verdict = LOCKOUT_GO;
	return 0;
refused_address:
	if (until < 0)
		return STORE_ERR;
	t->verdict = LOCKOUT_ADDRESS_LOCKED;
	t->locked_until = until;
	return 0;
}

int lockout_reserve(const struct dom_ctx *x, const char *username, int second_factor,
                    struct lockout_ticket *t)
{
	struct reserve_run r = { x, username, second_factor, t };
	int rc = store_write(x->store, reserve_fn, &r);

	if (rc != 0) {
		log_error("login.reserve_failed", "rc=%d", rc);
		memset(t, 0, sizeof *t);
		return -1;
	}
	return 0;
}

/* ---- host recovery ---- */

struct subject_arg {
	const char *kind;
	const char *subject;
	int released;
};

/* authorize of a host release: the subject has an active lock or failures in the window (else
   404: nothing to release). The caller is the system (the command runs on the host, where the
   database file can be written anyway); the permission is checked by the kernel. */
static int subject_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                             struct dom_err *e)
{
	struct subject_arg *a = w->arg;
	int account = strcmp(a->kind, "account") == 0;
	int64_t until = lockout_until(c, a->kind, a->subject, x->now);
	int64_t n = count_failures(c,
	                           account ? "SELECT count(*) FROM login_failures WHERE username = "
	                                     "? AND at > ?"
	                                   : "SELECT count(*) FROM login_failures WHERE source = ? "
	                                     "AND at > ?",
	                           a->subject, x->now - x->security->lockout_window_s);

	if (until < 0 || n < 0)
		return dom_err_read(e);
	if (until == 0 && n == 0)
		return dom_err_set(e, 404, "not_found", "没有需要解除的锁定或失败记录");
	return 0;
}

static int subject_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct subject_arg *a = w->arg;
	int account = strcmp(a->kind, "account") == 0;
	struct store_stmt *st;
	int rc;

	/* Every lock that still counts for the backoff ends, so the next one starts over. */
	st = store_prepare(c, "UPDATE lockouts SET released_at = ?, released_by = ? WHERE kind = ? "
	                      "AND subject = ? AND released_at IS NULL AND until > ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, x->now);
	if (x->caller->user_id)
		store_bind_int64(st, 2, x->caller->user_id);
	else
		store_bind_null(st, 2);
	store_bind_text(st, 3, a->kind, -1);
	store_bind_text(st, 4, a->subject, -1);
	store_bind_int64(st, 5, x->now - (account ? x->security->lockout_backoff_reset_s : 0));
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	a->released = store_changes(c);
	st = store_prepare(c, account ? "DELETE FROM login_failures WHERE username = ?"
	                              : "DELETE FROM login_failures WHERE source = ?");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, a->subject, -1);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	dom_write_detail(w, "主机命令解除锁定 %d 条，失败计数清零", a->released);
	return 0;
}

int lockout_release_subject(const struct dom_ctx *x, const char *kind, const char *subject,
                            int *released, struct dom_err *e)
{
	struct subject_arg a = { .kind = kind, .subject = subject };
	struct dom_write w = { .action = "lockout.release",
		               .permission = "lockout.write",
		               .authorize = subject_authorize,
		               .apply = subject_apply,
		               .arg = &a };
	int rc;

	*released = 0;
	if (strcmp(kind, "account") != 0 && strcmp(kind, "address") != 0)
		return dom_err_set(e, 400, "bad_kind", "锁定类型应为 account 或 address");
	dom_write_object(&w, "%.15s:%.79s", kind, subject);
	rc = dom_write(x, &w, e);
	if (rc == 0)
		*released = a.released;
	return rc;
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
	               x->security->lockout_window_s, l->failures, l->seconds);
	log_warn("login.lockout", "kind=%s", l->kind);
	if (dom_audit(&sys, "login.lockout", obj, "success", detail) < 0)
		log_error("login.lockout_unrecorded", "kind=%s", l->kind);
}
