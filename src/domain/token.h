/*
 * API tokens for other systems: "wgt_" + 43 base64url characters, stored as a BLAKE2b-256 hash
 * with a short prefix for lists. A token acts for one organisation (its scope) with the
 * token-grantable permissions it was given, until it expires or is revoked. The token itself
 * appears once, in the answer to its creation.
 */
#ifndef WANGGE_DOMAIN_TOKEN_H
#define WANGGE_DOMAIN_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/caller.h"
#include "domain/dom.h"

#define API_TOKEN_PREFIX "wgt_"
#define API_TOKEN_CHARS 48 /* "wgt_" + 43 + NUL */

/* Resolves "wgt_..." at x->now into out (principal of the token's organisation and
   permissions). Returns 1 valid, 0 unknown/expired/revoked, -1 error. */
int token_authenticate(const struct dom_ctx *x, const char *token, struct caller *out);

/* Creates a token. perms must be token-grantable catalog permissions; org_id inside the caller's
   scope; lifetime 1 hour..x->security->token_max_lifetime_s. token_out (API_TOKEN_CHARS)
   receives the token once. */
int token_create(const struct dom_ctx *x, const char *name, int64_t org_id,
                 const char *const *perms, size_t n, int64_t lifetime_s, int64_t *id,
                 char *token_out, struct dom_err *e);
/* A keyset page of the tokens of organisations inside the caller's scope, newest first:
   {items: [{id,name,prefix,org_id,org_name,permissions,created_by,created_at,expires_at,
   revoked_at,last_used_at,active}], next_cursor}. NULL with e on failure. */
json_t *token_list(const struct dom_ctx *x, const struct dom_page *pg, struct dom_err *e);
int token_revoke(const struct dom_ctx *x, int64_t id, struct dom_err *e);

#include "base/banned.h"
#endif
