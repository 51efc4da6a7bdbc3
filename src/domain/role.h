/*
 * Roles and grants. Built-in roles take their permissions from the catalog
 * (domain/permissions.c); custom roles are the security administrator's and keep theirs in
 * role_permissions. Separation of the three administrators (三员分立) is enforced here:
 *   - a role's permissions, and the union of a user's roles, hold at most one administrator
 *     family (perm_set_separated): 409 separation;
 *   - nobody grants a role to themselves, nor edits a role they hold: 403 self_grant;
 *   - built-in roles are fixed: 403 builtin_role;
 *   - the last enabled holder of audit permissions keeps them (409 last_auditor), and every change
 *     of the roles of an account that holds, or gains, audit permissions is recorded as its own
 *     action "user.roles_auditor" with the roles before and after, for the auditors to see;
 *   - a custom role held by users outside the caller's scope is changed only by a security
 *     administrator whose scope covers them (403 role_out_of_scope), and the list counts the
 *     holders inside the caller's scope only.
 */
#ifndef WANGGE_DOMAIN_ROLE_H
#define WANGGE_DOMAIN_ROLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "domain/permissions.h"

struct store_conn;

#define ROLE_NAME_MAX 32
#define ROLE_GRANT_MAX 32 /* roles one user may hold */

/* The union of a user's roles into out; *grid_worker (may be NULL) set when one of them is the
   built-in grid worker role. 0 or -1. */
int role_user_perms(struct store_conn *c, int64_t user_id, struct perm_set *out, int *grid_worker);
/* The same without the role role_id (what the user would hold if that role changed). */
int role_user_perms_except(struct store_conn *c, int64_t user_id, int64_t role_id,
                           struct perm_set *out);
/* The user's roles as a JSON array of {name,label} (new reference). */
json_t *role_user_json(struct store_conn *c, int64_t user_id);
/* Sets "roles" (as role_user_json) on every item of a page of users (objects with an integer
   "id", ascending) with one query over the page's id range. 0 or -1. */
int role_attach_to_users(struct store_conn *c, json_t *items);
/* Grants the role called role to user_id (inside a write). granted_by 0 = the system. 0, or a
   negative store_rc (STORE_ERR when no such role). */
int role_grant_conn(struct store_conn *c, int64_t user_id, const char *role, int64_t granted_by,
                    int64_t now);

/* [{id,name,label,builtin,permissions:[...],users}] for every role (new reference). */
json_t *role_list_json(const struct dom_ctx *x, struct dom_err *e);
/* One role as in role_list_json, or NULL with e (404 not_found, 503). */
json_t *role_get_json(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* Custom roles. name: 3..32 of [a-z0-9_]; permissions grantable and separated. */
int role_create(const struct dom_ctx *x, const char *name, const char *label,
                const char *const *perms, size_t n, int64_t *id, struct dom_err *e);
/* label NULL leaves it; perms NULL leaves them. Refused for built-in roles (403) and for a role
   the caller holds (self_grant). */
int role_update(const struct dom_ctx *x, int64_t id, const char *label, const char *const *perms,
                size_t n, struct dom_err *e);
/* Deletes a custom role no user holds. */
int role_delete(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* Replaces the roles of user id by names. Refuses self grants (403 self_grant), unknown roles
   (400), a combination that breaks the separation of administrators (409 separation). */
int role_assign(const struct dom_ctx *x, int64_t id, const char *const *roles, size_t n,
                struct dom_err *e);
/* Number of users holding the role called name, or -1 (the command line's first-administrator
   rule). */
int64_t role_holder_count(const struct dom_ctx *x, const char *name);

/* Inside a write or on a reader: the number of enabled users (account and organisation enabled)
   holding a permission of one of families (bits 1 << PERM_*), not counting except_user (0: none),
   only in organisation org_id (0: any). When role_id > 0 that role is taken to hold such a
   permission exactly when role_has is set (what it would hold after a change). -1 on error. The
   last auditor (role assignments and updates, disabling), and organisations holding
   administrators, are found with it. */
int64_t role_family_holders(struct store_conn *c, unsigned families, int64_t org_id,
                            int64_t except_user, int64_t role_id, int role_has);

#include "base/banned.h"
#endif
