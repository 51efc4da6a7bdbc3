/*
 * The password given again as a login attempt (password_again.h): one implementation for the
 * password change and TOTP enrolment and disabling, so that none of them is a way around the
 * lockout.
 */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "domain/password_again.h"
#include "store/store.h"

int password_again_check(const struct dom_ctx *x, const char *password, int64_t session,
                         struct password_again *pa, struct dom_err *e)
{
	struct store_conn *c;
	struct store_stmt *st;
	int rc;

	memset(pa, 0, sizeof *pa);
	pa->ticket.verdict = LOCKOUT_ACCOUNT_LOCKED;
	pa->session = session;
	if (lockout_reserve(x, x->caller->username, 0, &pa->ticket) < 0)
		return dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
	lockout_announce(x, &pa->ticket.locks[0]);
	lockout_announce(x, &pa->ticket.locks[1]);
	/* A locked account or address checks nothing: settle ends the session. */
	if (pa->ticket.verdict != LOCKOUT_GO)
		return 0;
	if (!(c = dom_reader(x, e)))
		return -1;
	if (!(st = store_prepare(c, "SELECT password_hash FROM users WHERE id = ?")))
		return dom_err_read(e);
	store_bind_int64(st, 1, x->caller->user_id);
	rc = store_step(st);
	if (rc == STORE_ROW && password_verify(store_col_text(st, 0), password ? password : ""))
		dom_copy(pa->verified, sizeof pa->verified, store_col_text(st, 0));
	store_reset(st);
	return rc == STORE_ROW || rc == STORE_DONE ? 0 : dom_err_read(e);
}

int password_again_still(struct store_conn *c, const struct dom_ctx *x,
                         const struct password_again *pa, struct dom_err *e)
{
	struct store_stmt *st;
	int same = 0;

	if (!pa->verified[0])
		return 0;
	if (!(st = store_prepare(c, "SELECT password_hash = ? FROM users WHERE id = ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, pa->verified, -1);
	store_bind_int64(st, 2, x->caller->user_id);
	if (store_step(st) == STORE_ROW)
		same = (int)store_col_int64(st, 0);
	store_reset(st);
	if (!same)
		return dom_err_set(e, 409, "conflict", "密码已被修改，请重新登录后再试");
	return 0;
}

/* A wrong password counts as a failed login of the caller's account from its address (its
   reservation stays as the failure). Once the account is locked, by this failure or before it
   (or the address is, so that nothing was checked), the session making the attempts ends. */
static int failed(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                  struct password_again *pa, struct dom_err *e)
{
	struct store_stmt *st;
	int64_t until = 1;
	int rc = 0;

	if (pa->ticket.verdict == LOCKOUT_GO)
		rc = lockout_attempt_failed(c, x, x->caller->username, pa->locks, &until);
	if (rc)
		return dom_err_store(e, rc);
	if (until == 0) {
		dom_write_detail(w, "当前密码错误");
		dom_err_set(&w->keep_error, 400, "wrong_password", "当前密码不正确");
		return 1;
	}
	st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS "
	                      "NULL");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_int64(st, 1, x->now);
	store_bind_int64(st, 2, pa->session);
	if ((rc = dom_step_done(st)) != 0)
		return dom_err_store(e, rc);
	dom_write_detail(w, "%s，本会话已结束",
	                 pa->ticket.verdict == LOCKOUT_ADDRESS_LOCKED
	                         ? "来源地址已锁定"
	                         : "当前密码错误次数过多，账号已锁定");
	dom_err_set(&w->keep_error, 401, "session_ended",
	            "登录失败次数过多，账号或来源地址已锁定，会话已结束，请稍后重新登录");
	return 1;
}

int password_again_settle(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct password_again *pa, struct dom_err *e)
{
	int rc;

	pa->settled = 1;
	if (!pa->verified[0])
		return failed(c, x, w, pa, e);
	/* The password was right: its reservation was no failure. */
	if ((rc = lockout_ticket_drop(c, &pa->ticket)) != 0)
		return dom_err_store(e, rc);
	return 0;
}

void password_again_done(const struct dom_ctx *x, struct password_again *pa)
{
	lockout_announce(x, &pa->locks[0]);
	lockout_announce(x, &pa->locks[1]);
	/* Refused before apply (or the write failed): a right password still gave no failure. */
	if (pa->verified[0] && !pa->settled)
		lockout_ticket_return(x, &pa->ticket);
	sodium_memzero(pa->verified, sizeof pa->verified);
}
