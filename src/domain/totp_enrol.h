/*
 * TOTP enrolment (the algorithm is domain/totp.h): a user begins (a new pending secret, sealed
 * at rest), confirms with a code (TOTP turns on and ten fresh recovery codes are handed out once,
 * stored hashed), and the security administrator resets a lost device. Administrators must be
 * enrolled before they may do anything else (caller_restricted).
 */
#ifndef WANGGE_DOMAIN_TOTP_ENROL_H
#define WANGGE_DOMAIN_TOTP_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

#define RECOVERY_CODE_COUNT 10
#define RECOVERY_CODE_CHARS 15 /* "xxxx-xxxx-xxxx" + NUL */

/* Begin for the caller: stores a new pending secret (refused with 409 when TOTP is already on)
   and returns it with its otpauth URI. */
int totp_enrol_begin(const struct dom_ctx *x, char *secret, size_t secret_len, char *uri,
                     size_t uri_len, struct dom_err *e);
/* Confirm for the caller: checks a code against the pending secret, turns TOTP on and returns
   RECOVERY_CODE_COUNT fresh recovery codes. */
int totp_enrol_confirm(const struct dom_ctx *x, const char *code,
                       char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e);
/* Clears user id's TOTP enrolment and recovery codes (lost device); they enrol again. */
int totp_enrol_reset(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* The stored hash of a recovery code of user_id (case, spaces and dashes ignored). */
void totp_recovery_hash(int64_t user_id, const char *code, unsigned char out[32]);

#include "base/banned.h"
#endif
