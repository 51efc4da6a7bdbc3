/*
 * TOTP enrolment (the algorithm is domain/totp.h): a user begins (after giving the password
 * again: a new pending secret, sealed at rest), confirms with a code (TOTP turns on and ten fresh
 * recovery codes are handed out once, stored as keyed hashes), may turn it off again (password
 * again) unless their permissions require it, and the security administrator resets a lost
 * device.
 *
 * Accounts holding administrator or unmasking permissions (perm_set_needs_totp) must be enrolled
 * before they may do anything else (caller_restricted), and their confirmation needs an
 * activation code issued by a security administrator (domain/activation.h). Their enrolment
 * counts only when it was so approved (users.totp_activated): one made before they gained such
 * a permission is begun again.
 *
 * Recovery codes are stored as BLAKE2b-256, keyed with a subkey of the audit key, of the old
 * unkeyed hash of "<user id>:<code>" (an onion: rows from before the key, keyed = 0, are
 * re-hashed in place by totp_recovery_rekey without knowing the codes, and keep working).
 */
#ifndef WANGGE_DOMAIN_TOTP_ENROL_H
#define WANGGE_DOMAIN_TOTP_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

#define RECOVERY_CODE_COUNT 10
#define RECOVERY_CODE_CHARS 15 /* "xxxx-xxxx-xxxx" + NUL */

/* A new random code "xxxx-xxxx-xxxx" of 12 characters from a 31-letter alphabet without look-alike
   characters (about 59 bits): recovery and activation codes. */
void totp_code_new(char out[RECOVERY_CODE_CHARS]);
/* A typed code compared: lower case, spaces and dashes dropped, into out (n bytes). */
void totp_code_normalise(const char *in, char *out, size_t n);

/* Begin for the caller, who gives the password again (400 password_required, 400 wrong_password;
   checked as a login attempt of session, which ends with 401 session_ended when the account or
   address is or becomes locked: domain/password_again.h):
   stores a new pending secret (refused with 409 totp_enrolled when an enrolment that counts is
   in place) and returns it with its otpauth URI. */
int totp_enrol_begin(const struct dom_ctx *x, const char *password, int64_t session, char *secret,
                     size_t secret_len, char *uri, size_t uri_len, struct dom_err *e);
/* Confirm for the caller: checks a code against the pending secret and, for an account that
   needs one, uses up activation_code (400 activation_required / activation_invalid); turns TOTP
   on and returns RECOVERY_CODE_COUNT fresh recovery codes. */
int totp_enrol_confirm(const struct dom_ctx *x, const char *code, const char *activation_code,
                       char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e);
/* The caller turns TOTP off, giving the password again (400 password_required, 400
   wrong_password, 401 session_ended: checked like begin's). Refused with 409 totp_required for
   accounts that must have it, 409 totp_not_enrolled when it is off. */
int totp_enrol_disable(const struct dom_ctx *x, const char *password, int64_t session,
                       struct dom_err *e);
/* Clears user id's TOTP enrolment, recovery codes and unused activation codes (lost device); they
   enrol again, with a new activation code when they need one. */
int totp_enrol_reset(const struct dom_ctx *x, int64_t id, struct dom_err *e);

/* Installs the recovery-code key, derived from the process's audit key (AUDIT_KEY_LEN bytes;
   NULL removes it). Call once at start, before threads (wangge serve), or in tests. */
void totp_recovery_key_install(const unsigned char *audit_key);
/* The stored hash of a recovery code of user_id (case, spaces and dashes ignored), with the
   installed key. Without one, out is random (matches nothing) and the failure is logged. */
void totp_recovery_hash(int64_t user_id, const char *code, unsigned char out[32]);
/* Re-hashes with x->audit_key the recovery codes still stored unkeyed (from before migration
   008), in one audited write ("totp.recovery_rekey", by the system) when there are any; *rows
   (may be NULL) gets their number. 0, or -1 with e. */
int totp_recovery_rekey(const struct dom_ctx *x, int64_t *rows, struct dom_err *e);

#include "base/banned.h"
#endif
