/*
 * Security parameters: defaults and WANGGE_* environment overrides (security_config.h).
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/audit.h"
#include "domain/security_config.h"

void security_config_default(struct security_config *c)
{
	memset(c, 0, sizeof *c);
	c->argon2_opslimit = 3;
	c->argon2_memlimit = 64u * 1024 * 1024;
	c->session_idle_s = 30 * 60;
	c->session_absolute_s = 12 * 3600;
	c->lockout_account_failures = 5;
	c->lockout_address_failures = 20;
	c->lockout_window_s = 15 * 60;
	c->lockout_duration_s = 15 * 60;
	c->lockout_max_duration_s = 24 * 3600;
	c->lockout_backoff_reset_s = 24 * 3600;
	c->caller_cache_s = 30;
	c->password_max_age_s = 90 * 86400LL;
	c->audit_retention_s = AUDIT_DEFAULT_RETENTION_S;
	c->token_max_lifetime_s = 365 * 86400LL;
}

static int env_ll(const char *name, long long min, long long max, long long *out, char *err,
                  size_t errlen)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		snprintf(err, errlen, "%s=%s: want an integer in %lld..%lld", name, v, min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int security_config_from_env(struct security_config *c, char *err, size_t errlen)
{
	long long v;
	int r;

	if ((r = env_ll("WANGGE_ARGON2_OPSLIMIT", crypto_pwhash_OPSLIMIT_MIN, 64, &v, err,
	                errlen)) < 0)
		return -1;
	if (r)
		c->argon2_opslimit = (unsigned long long)v;
	if ((r = env_ll("WANGGE_ARGON2_MEMLIMIT_KB", crypto_pwhash_MEMLIMIT_MIN / 1024,
	                4LL * 1024 * 1024, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->argon2_memlimit = (size_t)v * 1024;
	if ((r = env_ll("WANGGE_SESSION_IDLE_S", 1, 7 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->session_idle_s = v;
	if ((r = env_ll("WANGGE_SESSION_ABSOLUTE_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->session_absolute_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_ACCOUNT_FAILURES", 1, 1000, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_account_failures = (int)v;
	if ((r = env_ll("WANGGE_LOCKOUT_ADDRESS_FAILURES", 1, 100000, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_address_failures = (int)v;
	if ((r = env_ll("WANGGE_LOCKOUT_WINDOW_S", 1, 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_window_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_DURATION_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_duration_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_MAX_DURATION_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_max_duration_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_BACKOFF_RESET_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_backoff_reset_s = v;
	if ((r = env_ll("WANGGE_CALLER_CACHE_S", 0, 300, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->caller_cache_s = v;
	if ((r = env_ll("WANGGE_PASSWORD_MAX_AGE_DAYS", 0, 3650, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->password_max_age_s = v * 86400;
	if ((r = env_ll("WANGGE_AUDIT_RETENTION_DAYS", 180, 36500, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->audit_retention_s = v * 86400;
	if ((r = env_ll("WANGGE_SECURE_COOKIES", 0, 1, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->secure_cookies = (int)v;
	return 0;
}
