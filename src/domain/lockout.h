/*
 * Lockouts after failed logins. Failures are counted in login_failures over a sliding window,
 * per user name (whether or not it exists, so a lock tells nothing about which names exist) and
 * per source address (the client address, behind a trusted proxy the forwarded one); reaching a
 * threshold locks that subject for a while. The security administrator lists active locks and
 * releases them; `wangge user lockout-release` releases them from the host.
 *
 * Attempts are reserved before the password is verified (lockout_reserve): the reservation is a
 * failure counted in advance on the writer, so parallel wrong passwords cannot get more than the
 * threshold verified; a success gives it back. An account's locks grow with backoff (each lock
 * that follows an unforgiven one within lockout_backoff_reset_s lasts twice as long, up to
 * lockout_max_duration_s), and a locked account that has TOTP still logs in with its password
 * and a second factor from an address with no recent failures, so nobody can keep its owner out
 * by failing on purpose (docs/security.md, "Lockouts").
 */
#ifndef WANGGE_DOMAIN_LOCKOUT_H
#define WANGGE_DOMAIN_LOCKOUT_H

#include <jansson.h>
#include <stdint.h>

#include "domain/dom.h"

struct store_conn;

/* The end of the active lock on (kind "account" or "address", subject), 0 when none, -1 on
   error. */
int64_t lockout_until(struct store_conn *c, const char *kind, const char *subject, int64_t now);
/* A lock added by lockout_count_failure, lockout_reserve or lockout_attempt_failed. kind ""
   when none. */
struct lockout_new {
	char kind[16];
	char subject[128];
	int64_t failures;
	int64_t seconds; /* how long it lasts (with the backoff) */
};
/* Inside the login's write: counts one failed login of username from x->source and locks the
   account and/or the address when its threshold is reached in the window (locks[0] the account,
   locks[1] the address; kind "" when not locked now). 0 or a negative store_rc. */
int lockout_count_failure(struct store_conn *c, const struct dom_ctx *x, const char *username,
                          struct lockout_new locks[2]);
/* Inside the login's write: forgets the failures counted for username (after a success). */
int lockout_forget_failures(struct store_conn *c, const char *username);

/* ---- reserving an attempt before the password is verified ---- */

enum lockout_verdict {
	LOCKOUT_GO = 0,         /* reserved: verify the password, then report the result */
	LOCKOUT_ADDRESS_LOCKED, /* refused: the source address is locked */
	LOCKOUT_ACCOUNT_LOCKED, /* refused: the account is locked (or its attempts are used up) */
};

struct lockout_ticket {
	enum lockout_verdict verdict;
	int64_t attempt_id; /* the login_failures row reserved for this attempt; 0 when refused */
	/* Reserved although the account is locked: the request brings a second factor and its
	   address has no failure in the window. Only a right password with a right TOTP or recovery
	   code of an account that has TOTP may then log in; anything else answers "locked". */
	int bypass;
	int64_t locked_until;        /* refused: the end of the lock */
	struct lockout_new locks[2]; /* locks made while reserving: [0] account, [1] address */
};

/* On the writer, in a transaction of its own, before any password of username is verified from
   x->source: refuses when the address or the account is locked (see bypass); otherwise counts
   the attempt as a failure in advance (attempt_id) and, when the failures already counted in the
   window reach a threshold, locks instead of reserving. second_factor: the request carries a
   TOTP or recovery code. Writes no audit record (the caller records the outcome through its
   dom_write; announce t->locks after it). 0 with t filled, or -1 when the database failed. */
int lockout_reserve(const struct dom_ctx *x, const char *username, int second_factor,
                    struct lockout_ticket *t);
/* Inside the attempt's result write, when it failed: the reservation stays as the failure, and
   the account and/or the address is locked when its threshold is reached (locks as in
   lockout_count_failure). *account_until (may be NULL) receives the end of the account's active
   lock, 0 when none. 0 or a negative store_rc. */
int lockout_attempt_failed(struct store_conn *c, const struct dom_ctx *x, const char *username,
                           struct lockout_new locks[2], int64_t *account_until);
/* Inside the attempt's result write, when the password (and second factor) were right: forgets
   the failures counted for username, its reservation among them, and ends its account locks
   (the owner proved itself, so the backoff starts over). 0 or a negative store_rc. */
int lockout_attempt_succeeded(struct store_conn *c, const struct dom_ctx *x, const char *username);
/* Inside a write: gives back the reservation of t without forgetting anything else (a right
   old password at a password change). 0 or a negative store_rc. */
int lockout_ticket_drop(struct store_conn *c, const struct lockout_ticket *t);
/* Outside any write: gives back the reservation of t (the password was right but the login
   needs a second factor that was not sent). Logs failures. */
void lockout_ticket_return(const struct dom_ctx *x, const struct lockout_ticket *t);

/* Host recovery (`wangge user lockout-release`): ends every active lock of (kind "account" or
   "address", subject), forgets the failures counted for it and restarts its backoff, in one
   audited write ("lockout.release"). *released receives the number of locks ended. 0, or -1 with
   e (404 not_found when there is neither a lock nor a failure to forget). */
int lockout_release_subject(const struct dom_ctx *x, const char *kind, const char *subject,
                            int *released, struct dom_err *e);
/* After the login's write committed: records a new lock as its own "login.lockout" record by
   the system (the login record of the same transaction already says so). Logs failures. */
void lockout_announce(const struct dom_ctx *x, const struct lockout_new *l);

/* A keyset page of the active lockouts the caller may release, oldest first: {items:
   [{id,kind,subject,locked_at,until}], next_cursor}. NULL with e on failure. */
json_t *lockout_list(const struct dom_ctx *x, const struct dom_page *pg, struct dom_err *e);
/* Ends a lockout (and forgets the failures counted for its subject). */
int lockout_release(const struct dom_ctx *x, int64_t id, struct dom_err *e);

#include "base/banned.h"
#endif
