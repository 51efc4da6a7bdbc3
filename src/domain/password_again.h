/*
 * The password given again by a logged-in user to confirm a sensitive change of their own account
 * (password change, TOTP enrolment begin, TOTP disabling). Each check is a login attempt
 * (domain/lockout.h): it is reserved on the writer before Argon2 runs, so parallel guesses get at
 * most the threshold verified; a wrong password stays counted as a failed login (the change's
 * write keeps it although the request answers an error), a right one gives its reservation back;
 * once the account or the address is locked, the session making the attempts ends (401
 * session_ended), so whoever holds a stolen session cannot go on guessing.
 *
 * Use: password_again_check before the write; password_again_still in authorize;
 * password_again_settle first in apply; password_again_done after dom_write. The module owns the
 * struct (on its stack); password_again_done wipes the matched hash.
 */
#ifndef WANGGE_DOMAIN_PASSWORD_AGAIN_H
#define WANGGE_DOMAIN_PASSWORD_AGAIN_H

#include <stdint.h>

#include "domain/dom.h"
#include "domain/lockout.h"
#include "domain/password.h"

struct store_conn;

struct password_again {
	struct lockout_ticket ticket;
	/* The stored hash the password matched; "" when it did not match or was not checked (the
	   account or the address was locked). */
	char verified[PASSWORD_HASH_MAX];
	int64_t session;             /* the caller's session, ended when locked */
	struct lockout_new locks[2]; /* locks made by the failure: [0] account, [1] address */
	int settled;                 /* apply counted the failure or gave the reservation back */
};

/* Before the write, for a caller that is a user (not an API token): reserves the attempt
   (announcing any lock it made) and, when reserved, verifies password against the caller's
   stored hash. session: the caller's session. 0, or -1 with e (503). */
int password_again_check(const struct dom_ctx *x, const char *password, int64_t session,
                         struct password_again *pa, struct dom_err *e);
/* In authorize: when the password matched, the stored hash is still the one it matched (409
   conflict otherwise). A wrong password is not refused here, so that apply can count it. */
int password_again_still(struct store_conn *c, const struct dom_ctx *x,
                         const struct password_again *pa, struct dom_err *e);
/* First in apply. A right password: gives its reservation back and returns 0 (apply goes on).
   A wrong one (or none checked because of a lock): counts the failure, ends the session when
   the account or address is (or becomes) locked, sets w's detail and keep_error (400
   wrong_password or 401 session_ended) and returns 1: apply then returns 0 at once so that
   this is committed. -1 with e when the database failed. */
int password_again_settle(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct password_again *pa, struct dom_err *e);
/* After dom_write: announces the locks the failure made; a right password whose write was
   refused before apply gave nothing back yet, so its reservation is returned here. Wipes the
   matched hash. */
void password_again_done(const struct dom_ctx *x, struct password_again *pa);

#include "base/banned.h"
#endif
