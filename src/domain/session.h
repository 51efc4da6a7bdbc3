/*
 * Browser sessions: password login with lockout (domain/lockout.h) and TOTP, sessions (random
 * tokens stored hashed, idle and absolute expiry, CSRF token), the authentication of a request by
 * its session cookie (through the caller cache, domain/caller_cache.h), and logout. Every login
 * success and failure, lockout and logout is audited in the same transaction as the change.
 *
 * Secrets handed out here (session token, CSRF token) exist in clear only in the out-parameters
 * of the call that creates them; the database keeps their BLAKE2b-256 hashes.
 */
#ifndef WANGGE_DOMAIN_SESSION_H
#define WANGGE_DOMAIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "domain/caller.h"
#include "domain/dom.h"

struct store;
struct store_conn;

#define SESSION_COOKIE "wg_session"
#define CSRF_COOKIE "wg_csrf"
#define CSRF_HEADER "X-CSRF-Token"
#define SESSION_TOKEN_BYTES 32
#define SESSION_TOKEN_CHARS 44 /* 43 base64url characters + NUL */

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
	/* The session cookie the request carried, or NULL: a successful login ends that session
	   (whoever's it was), so a browser never keeps a session it was handed before login. */
	const char *replaces;
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

/* Runs the whole login for the anonymous caller of x (x->source is the address counted for
   lockouts). The attempt is reserved on the writer first (lockout_reserve), so parallel wrong
   passwords get at most the lockout threshold verified; Argon2 verification happens outside the
   writer. Returns 0 with out->status, or -1 when the database failed. */
int session_login(const struct dom_ctx *x, const struct login_request *rq,
                  struct login_result *out);

/* Resolves a session cookie at x->now into out (a caller already caller_init'ed is overwritten).
   Returns 1 valid, 0 unknown/expired/revoked (out is the anonymous caller), -1 error. Served
   from the caller cache when it holds the session; last_seen_at is brought up to date at most
   every min(60 s, idle/4), in the background when the cache is open. */
int session_authenticate(const struct dom_ctx *x, const char *cookie, struct caller *out);
/* 1 while the session whose token hashes to token_hash is valid at x->now (not revoked, not
   past its absolute or idle expiry), 0 when it ended, -1 on a database error. Unlike
   session_authenticate it counts as no activity: a live stream's heartbeat asks it, and an open
   page must not keep its session from timing out. */
int session_alive(const struct dom_ctx *x, const unsigned char token_hash[32]);
/* 1 when header is the CSRF token of c's session (constant time). */
int session_csrf_ok(const struct caller *c, const char *header);

/* Ends the caller's session session_id, or (everywhere) all of the caller's sessions. */
int session_logout(const struct dom_ctx *x, int64_t session_id, int everywhere, struct dom_err *e);

/* ---- shared with API tokens, TOTP enrolment and users ---- */

/* A new random secret: SESSION_TOKEN_BYTES random bytes as base64url. */
void session_secret_new(char out[SESSION_TOKEN_CHARS]);
/* BLAKE2b-256 of a secret, as stored. */
void session_secret_hash(const char *secret, unsigned char out[32]);
/* Inside a write: ends every session of user_id except keep (0 = none) at now. */
int session_revoke_user(struct store_conn *c, int64_t user_id, int64_t keep, int64_t now);
/* Bookkeeping outside any audited write: sets the time column of one row by sql ("UPDATE t SET
   col = ? WHERE id = ?"). Failures are logged, not returned: they do not change any right. */
void session_touch(struct store *s, const char *sql, int64_t id, int64_t now);

#include "base/banned.h"
#endif
