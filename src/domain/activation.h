/*
 * Activation codes: the security administrator's approval of a TOTP enrolment (三员分立).
 *
 * An account that holds administrator permissions (system, security, audit) or may unmask
 * personal data (perm_set_needs_totp) must enrol TOTP before it may do anything else, and its
 * enrolment (domain/totp_enrol.h, confirm) needs an activation code. Whoever knows the account's
 * one-time password (the system administrator who created or reset it) therefore cannot finish
 * the enrolment alone: a security administrator issues the code, shown to it once, and hands it
 * to the account's owner in person. A security administrator never issues one for itself, nor
 * for an account whose one-time password it set while that password is in force; the host
 * (`wangge user totp-reset`, issued_by NULL) may always.
 *
 * A code is 12 characters of a 31-letter alphabet (about 59 bits, "xxxx-xxxx-xxxx"; case, spaces
 * and dashes ignored), valid ACTIVATION_TTL_S, used once; issuing a new one, a password reset and
 * a TOTP reset revoke the unused ones. Only a keyed BLAKE2b-256 of it is stored (a key derived
 * from the audit key), so a copy of the database does not let anyone try codes offline.
 */
#ifndef WANGGE_DOMAIN_ACTIVATION_H
#define WANGGE_DOMAIN_ACTIVATION_H

#include <stdint.h>

#include "domain/dom.h"

struct store_conn;

#define ACTIVATION_CODE_CHARS 15     /* "xxxx-xxxx-xxxx" + NUL */
#define ACTIVATION_TTL_S (72 * 3600) /* three days: time to meet the account's owner */

/* Issues a code for user id (permission user.activate; the system principal may too). The user
   must lie inside the caller's scope (else 404), not be the caller (403 self_grant), need one
   (409 activation_not_needed, or 409 already_activated when its approved TOTP is in place), and
   not have a one-time password the caller set (409 separation). code receives the code once;
   *expires_at its expiry. 0, or -1 with e. */
int activation_issue(const struct dom_ctx *x, int64_t id, char code[ACTIVATION_CODE_CHARS],
                     int64_t *expires_at, struct dom_err *e);

/* On a reader: 1 when user id needs an activation code now (it holds administrator or unmasking
   permissions and has no approved TOTP enrolment), 0 when not, -1 on error. For the host's
   recovery commands, which print a code only where one is needed. */
int activation_pending(const struct dom_ctx *x, int64_t id);

/* Inside a write: 1 when user_id needs an activation code to enrol TOTP (it holds
   administrator or unmasking permissions), 0 when not, -1 on error. */
int activation_needed_conn(struct store_conn *c, int64_t user_id);

/* Inside a write: checks code against the unused, unrevoked, unexpired codes of user_id and
   marks the matching one used. 0, or -1 with e: 400 activation_required when code is NULL or
   empty, 400 activation_invalid when it matches none (like a wrong TOTP code: typed input the
   caller can correct; the attempt is recorded either way). */
int activation_consume_conn(struct store_conn *c, const struct dom_ctx *x, int64_t user_id,
                            const char *code, struct dom_err *e);

/* Inside a write: revokes the unused codes of user_id at x->now. 0 or a negative store_rc. */
int activation_revoke_conn(struct store_conn *c, const struct dom_ctx *x, int64_t user_id);

#include "base/banned.h"
#endif
