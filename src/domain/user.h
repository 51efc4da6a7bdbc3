/*
 * Users: accounts in an organisation, with personal fields sealed at rest (domain/sealed.h) and
 * masked on the way out (domain/sensitive.h), one-time passwords set by administrators, the
 * caller's own password change, grid bindings of grid workers, and the accounts the command line
 * and the demo create. Roles are granted in domain/role.h, TOTP is enrolled in
 * domain/totp_enrol.h.
 *
 * Scope: a user is visible when the region of its organisation is inside the caller's scope; a
 * grid-bound caller (grid worker) sees only itself. Anything else answers 404 as if missing.
 */
#ifndef WANGGE_DOMAIN_USER_H
#define WANGGE_DOMAIN_USER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"
#include "domain/dom.h"
#include "domain/org.h"

struct store;
struct store_conn;

#define USERNAME_MAX 32
#define USER_TEMP_PASSWORD_MAX 17 /* a generated one-time password with its NUL */

/* 1 when name is a valid user name: 3..32 of [a-z0-9_.-], starting with a letter or digit. */
int user_name_ok(const char *name);

struct user_view {
	int64_t id;
	char username[USERNAME_MAX + 1];
	char display_name[128];
	int64_t org_id;
	char org_name[ORG_NAME_BYTES];
	char org_region_path[ACCESS_PATH_MAX];
	char phone[32];     /* opened from its sealed form */
	char id_number[32]; /* opened from its sealed form */
	int must_change_password;
	int totp_enabled;
	int disabled;
	int locked; /* an active account lockout */
	int64_t created_at, password_changed_at;
};

/* Reads a user visible to p on connection c (now decides whether a lockout is active). 1 found,
   0 not found or out of scope, -1 error. */
int user_load(struct store_conn *c, const struct principal *p, int64_t id, int64_t now,
              struct user_view *out);
/* Inside a write: loads user id for x's caller into u. 0, or -1 with e (404 not_found when it
   is missing or outside the caller's scope). The authorize step of writes on a user. */
int user_load_for_write(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                        struct user_view *u, struct dom_err *e);

/* A user visible to the caller into out. 0, or -1 with e (404 not_found, 503 read_failed). */
int user_get(const struct dom_ctx *x, int64_t id, struct user_view *out, struct dom_err *e);
/* Sets "roles" ([{name,label}]) and "grids" ([{id,code,name}]) of user id on the object o (a user
   already found visible). 0 or -1. */
int user_add_roles_grids(const struct dom_ctx *x, int64_t id, json_t *o);

struct user_filter {
	const char *q; /* substring of user name or display name */
	int64_t org_id;
	const char *role;
};
/* A keyset page of the users visible to the caller, by id; calls row(ctx, view) to turn each into
   JSON so the API can mask, and adds each item's "roles". Returns {items, next_cursor} or NULL
   with e. */
typedef json_t *(*user_json_fn)(void *ctx, const struct user_view *u);
json_t *user_list(const struct dom_ctx *x, const struct user_filter *f, const struct dom_page *pg,
                  user_json_fn row, void *ctx, struct dom_err *e);

struct user_fields {
	const char *username;
	const char *display_name;
	int64_t org_id;
	const char *phone;     /* NULL = unchanged/none; "" clears */
	const char *id_number; /* validated as a resident ID number (GB 11643) */
	int disabled;          /* update only; -1 = unchanged */
};
/* Creates a user in an organisation inside the caller's scope with a one-time password (written
   into temp_password, USER_TEMP_PASSWORD_MAX bytes): must be changed at first login. No roles:
   the security administrator grants them. A name that is badly formed, reserved or taken by any
   account, in scope or not, gets the same answer (400 username_unavailable), so the answer never
   tells that a name exists outside the caller's scope. Returns 0 and *id, or -1 with e. */
int user_create(const struct dom_ctx *x, const struct user_fields *f, int64_t *id,
                char *temp_password, size_t tplen, struct dom_err *e);
int user_update(const struct dom_ctx *x, int64_t id, const struct user_fields *f,
                struct dom_err *e);
/* New one-time password; the user's sessions end and activation codes issued before end too
   (domain/activation.h). The caller is recorded as the one who knows the one-time password. */
int user_password_reset(const struct dom_ctx *x, int64_t id, char *temp_password, size_t tplen,
                        struct dom_err *e);

/*
 * 三员分立 (docs/security.md): an account holding security or audit permissions is managed only by
 * security administrators, never by a system administrator and never by itself. user_update,
 * user_password_reset and user_set_grids (permission user.write) refuse such an account with 403
 * separation; the two functions below (permission user.admin_write, the security
 * administrator's) manage only such accounts (409 not_admin_account otherwise, 403 self_grant
 * for the caller's own). Neither disables the last enabled auditor (409 last_auditor).
 */
/* Renames (display_name NULL leaves it) and/or disables (disabled < 0 leaves it) an account
   holding security or audit permissions. */
int user_admin_update(const struct dom_ctx *x, int64_t id, const char *display_name, int disabled,
                      struct dom_err *e);
/* New one-time password for an account holding security or audit permissions. */
int user_admin_password_reset(const struct dom_ctx *x, int64_t id, char *temp_password,
                              size_t tplen, struct dom_err *e);
/* The id of the user called username visible to x's caller (the command line's look-up): the id,
   0 when there is none, -1 on error. */
int64_t user_id_by_name(const struct dom_ctx *x, const char *username);
/* The caller changes their own password (old one checked). Their other sessions end. */
int user_password_change(const struct dom_ctx *x, const char *old_password,
                         const char *new_password, int64_t keep_session, struct dom_err *e);
/* Binds a user to grids (each visible to the caller and inside the user's organisation). */
int user_set_grids(const struct dom_ctx *x, int64_t id, const int64_t *grids, size_t n,
                   struct dom_err *e);

/* Creates a user with a built-in role for the command line and the demo (the caller is the
   system). password_out receives a generated password; totp_secret_out (TOTP_SECRET_B32 bytes)
   non-NULL enrols TOTP. Returns the id, or -1 with e. */
int64_t user_bootstrap(const struct dom_ctx *x, const char *username, const char *display_name,
                       int64_t org_id, const char *role, int must_change, char *password_out,
                       size_t pwlen, char *totp_secret_out, struct dom_err *e);
/* The first user visible to p with this resident ID number, found by blind index. 1 and *id,
   0 none (or no vault), -1 error. */
int user_find_by_id_number(struct store_conn *c, const struct principal *p, int64_t now,
                           const char *id_number, int64_t *id);

#include "base/banned.h"
#endif
