/*
 * Authentication: password login with lockout and TOTP, browser sessions (random tokens stored
 * hashed, idle and absolute expiry, CSRF token), TOTP enrolment with recovery codes, and API
 * tokens for other systems. Every login success and failure, lockout, logout, enrolment and token
 * change is audited in the same transaction as the change.
 *
 * Secrets handed out here (session id, CSRF token, API token, TOTP secret, recovery codes) exist
 * in clear only in the out-parameters of the call that creates them; the database keeps hashes
 * (BLAKE2b-256) or, for the TOTP secret, the secret itself (it must compute codes).
 */
#ifndef WANGGE_DOMAIN_SESSION_H
#define WANGGE_DOMAIN_SESSION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/identity.h"

#define SESSION_COOKIE "wg_session"
#define CSRF_COOKIE "wg_csrf"
#define CSRF_HEADER "X-CSRF-Token"
#define SESSION_TOKEN_BYTES 32
#define SESSION_TOKEN_CHARS 44 /* 43 base64url characters + NUL */
#define API_TOKEN_PREFIX "wgt_"
#define API_TOKEN_CHARS 48 /* "wgt_" + 43 + NUL */
#define RECOVERY_CODE_COUNT 10
#define RECOVERY_CODE_CHARS 15 /* "xxxx-xxxx-xxxx" + NUL */

enum login_status {
	LOGIN_OK = 0,
	LOGIN_BAD_CREDENTIALS,
	LOGIN_ACCOUNT_LOCKED,
	LOGIN_ADDRESS_LOCKED,
	LOGIN_TOTP_REQUIRED, /* password right; the account needs a TOTP or recovery code */
	LOGIN_TOTP_INVALID,  /* code wrong or reused (counts as a failure) */
	LOGIN_ERROR,
};

struct login_request {
	const char *username;
	const char *password;
	const char *totp;          /* 6 digits, or NULL */
	const char *recovery_code; /* or NULL */
};

struct login_result {
	enum login_status status;
	int64_t user_id;
	int64_t session_id;
	char token[SESSION_TOKEN_CHARS]; /* cookie value; only on LOGIN_OK */
	char csrf[SESSION_TOKEN_CHARS];
	int64_t expires_at;   /* absolute expiry of the session */
	int64_t locked_until; /* LOGIN_*_LOCKED */
	int recovery_used;    /* logged in with a recovery code */
	int recovery_left;    /* unused codes left after that */
};

/* Runs the whole login. Argon2 verification happens outside the writer. */
int session_login(const struct idctx *x, const struct login_request *rq, struct login_result *out);

/* Resolves a session cookie into out (a caller already caller_init'ed is overwritten).
   Returns 1 valid, 0 unknown/expired/revoked (out is the anonymous caller), -1 error. Refreshes
   last_seen_at at most every min(60 s, idle/4). */
int session_authenticate(const struct idctx *x, const char *cookie, int64_t now,
                         struct caller *out);
/* Resolves "wgt_..." the same way (principal of the token's organisation and permissions). */
int token_authenticate(const struct idctx *x, const char *token, int64_t now, struct caller *out);
/* 1 when header is the CSRF token of c's session (constant time). */
int session_csrf_ok(const struct caller *c, const char *header);

/* Ends the caller's session, or all of the user's sessions. Audited. */
int session_logout(const struct idctx *x, const struct caller *c, int everywhere);

/* TOTP enrolment for the caller: begin stores a new pending secret (refused with 409 when TOTP
   is already on) and returns it with its otpauth URI; confirm checks a code against it, turns
   TOTP on and returns RECOVERY_CODE_COUNT fresh recovery codes (codes[i] RECOVERY_CODE_CHARS). */
int session_totp_begin(const struct idctx *x, const struct principal *p, char *secret,
                       size_t secret_len, char *uri, size_t uri_len, struct dom_err *e);
int session_totp_confirm(const struct idctx *x, const struct principal *p, const char *code,
                         char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS], struct dom_err *e);

/* API tokens. perms must be token-grantable catalog permissions; org_id inside p's scope;
   lifetime 1..cfg->token_max_lifetime_s. token_out (API_TOKEN_CHARS) receives the token once. */
int token_create(const struct idctx *x, const struct principal *p, const char *name, int64_t org_id,
                 const char *const *perms, size_t n, int64_t lifetime_s, int64_t *id,
                 char *token_out, struct dom_err *e);
/* [{id,name,prefix,org_id,org_name,permissions,created_by,created_at,expires_at,revoked_at,
   last_used_at,active}] */
json_t *token_list(struct store *s, int64_t now, struct dom_err *e);
int token_revoke(const struct idctx *x, const struct principal *p, int64_t id, struct dom_err *e);

#include "base/banned.h"
#endif
