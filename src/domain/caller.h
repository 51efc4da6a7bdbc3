/*
 * The caller: a principal (domain/access.h) with everything behind it, loaded for a user from
 * the database (organisation, region scope, roles and their permissions, bound grids, password
 * and TOTP state). Sessions and API tokens (domain/session.h, domain/token.h) build one per
 * request; the API hands its principal to the domain through dom_ctx.caller.
 */
#ifndef WANGGE_DOMAIN_CALLER_H
#define WANGGE_DOMAIN_CALLER_H

#include <stdint.h>

#include "domain/access.h"
#include "domain/permissions.h"
#include "domain/security_config.h"

struct store_conn;

/* A principal with everything behind it. Build with caller_init, free with caller_release. */
struct caller {
	struct principal p;
	struct perm_set perms;
	int64_t session_id;          /* browser session, 0 otherwise */
	unsigned char csrf_hash[32]; /* the session's CSRF token, hashed */
	int via_cookie;              /* authenticated by the session cookie (CSRF applies) */
	int must_change_password;    /* first login or expired: only password change allowed */
	int totp_required; /* holds administrator or unmasking permissions (perm_set_needs_totp) */
	int totp_enrolled; /* TOTP is on, and approved with an activation code when required */
	char display_name[128];
	char org_name[128];
	int64_t *grid_buf; /* owned; p.grid_ids points here */
};

void caller_init(struct caller *c); /* the anonymous caller: no permissions, no scope */
void caller_release(struct caller *c);
/* Makes dst (released or never built) a copy of src with its own grid list (the caller cache
   hands out copies: domain/caller_cache.h). 0, or -1 when out of memory (dst is then the
   anonymous caller). */
int caller_copy(struct caller *dst, const struct caller *src);
/* Loads user_id (enabled, with an enabled organisation) into out on connection c; cfg (may be
   NULL) gives the password age after which the caller must change it, now the time. Returns 1, 0
   when not found or disabled, -1 on a database error. */
int caller_load(struct store_conn *c, const struct security_config *cfg, int64_t user_id,
                int64_t now, struct caller *out);
/* The same on this thread's reader, with x's security parameters and time. */
struct dom_ctx;
int caller_get(const struct dom_ctx *x, int64_t user_id, struct caller *out);
/* 1 when the caller may only use routes marked ROUTE_SELF (must change password, or must enrol
   TOTP first). */
int caller_restricted(const struct caller *c);

#include "base/banned.h"
#endif
