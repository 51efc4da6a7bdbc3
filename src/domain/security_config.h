/*
 * The security parameters of identity and sessions: Argon2id cost, session lifetimes, lockout
 * thresholds and backoff, password age, audit retention, API token lifetime, the caller cache's
 * lifetime and cookie flags. One struct,
 * filled with defaults and then from WANGGE_* environment variables (docs/security.md lists
 * them); the domain reads it through dom_ctx.security.
 */
#ifndef WANGGE_DOMAIN_SECURITY_CONFIG_H
#define WANGGE_DOMAIN_SECURITY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct security_config {
	unsigned long long argon2_opslimit; /* Argon2id passes (default 3) */
	size_t argon2_memlimit;             /* bytes (default 64 MiB) */
	int64_t session_idle_s;             /* default 30 min */
	int64_t session_absolute_s;         /* default 12 h */
	int lockout_account_failures;       /* default 5 */
	int lockout_address_failures;       /* default 20 */
	int64_t lockout_window_s;           /* default 15 min */
	int64_t lockout_duration_s;         /* default 15 min: the first lock */
	int64_t lockout_max_duration_s;     /* default 24 h: account locks double up to this */
	int64_t lockout_backoff_reset_s;    /* default 24 h: a lock this long after the last
	                                       one starts again at lockout_duration_s */
	int64_t caller_cache_s;             /* default 30 s; 0 = no caller cache */
	int64_t password_max_age_s;         /* default 90 days; 0 = passwords do not expire */
	int64_t audit_retention_s;          /* default 180 days; never less */
	int64_t token_max_lifetime_s;       /* default 365 days */
	int secure_cookies;                 /* add Secure to cookies (behind TLS) */
};

void security_config_default(struct security_config *c);
/* Applies WANGGE_* environment overrides. Returns 0, or -1 with the offending variable in err. */
int security_config_from_env(struct security_config *c, char *err, size_t errlen);

#include "base/banned.h"
#endif
