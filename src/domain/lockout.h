/*
 * Lockouts after failed logins. Failures are counted in login_failures over a sliding window,
 * per user name (whether or not it exists, so a lock tells nothing about which names exist) and
 * per source address; reaching a threshold locks that subject for a while. The security
 * administrator lists active locks and releases them.
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
/* A lock added by lockout_count_failure. kind "" when none. */
struct lockout_new {
	char kind[16];
	char subject[128];
	int64_t failures;
};
/* Inside the login's write: counts one failed login of username from x->source and locks the
   account and/or the address when its threshold is reached in the window (locks[0] the account,
   locks[1] the address; kind "" when not locked now). 0 or a negative store_rc. */
int lockout_count_failure(struct store_conn *c, const struct dom_ctx *x, const char *username,
                          struct lockout_new locks[2]);
/* Inside the login's write: forgets the failures counted for username (after a success). */
int lockout_forget_failures(struct store_conn *c, const char *username);
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
