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
/* TRANSITIONAL: records a failed login of username (user_id, org_id when known) with its reason
   in its own write, and locks the account or the address when a threshold is reached. */
void lockout_record_failure(const struct dom_ctx *x, const char *username, int64_t user_id,
                            int64_t org_id, const char *reason, int64_t now);
/* TRANSITIONAL: records a login refused because of an active lock. */
void lockout_record_refusal(const struct dom_ctx *x, const char *username, const char *detail);

/* Active lockouts: [{id,kind,subject,locked_at,until}] (new reference). */
json_t *lockout_list_json(const struct dom_ctx *x, struct dom_err *e);
/* Ends a lockout (and forgets the failures counted for its subject). */
int lockout_release(const struct dom_ctx *x, int64_t id, struct dom_err *e);

#include "base/banned.h"
#endif
