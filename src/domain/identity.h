/*
 * Identity: organisations, users, roles and their permissions, passwords and the password policy,
 * grid bindings, lockouts, and the principal ("caller") built for a user. Sessions, login, TOTP
 * enrolment and API tokens are in domain/session.h.
 *
 * Separation of the three administrators (三员分立) is enforced here, not in handlers:
 *   - a role's permissions, and the union of a user's roles, hold at most one administrator family
 *     (perm_set_separated);
 *   - nobody grants a role to themselves, nor edits a role they hold (403 self_grant, audited);
 *   - built-in roles are fixed by the catalog (domain/permissions.c); custom roles are the
 *     security administrator's.
 * Scope: every read and write takes the caller's principal. Organisations and users are visible
 * when their organisation's region is inside the caller's scope (region subtree); anything else
 * answers 404 as if it did not exist.
 *
 * Every write records its audit entry in the same transaction (domain/audit.h).
 */
#ifndef WANGGE_DOMAIN_IDENTITY_H
#define WANGGE_DOMAIN_IDENTITY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"
#include "domain/permissions.h"
#include "domain/region.h" /* struct dom_err */

struct store;
struct store_conn;

/* Security parameters. Defaults in identity_config_default; env overrides in
   identity_config_from_env (names in docs/security.md). */
struct identity_config {
	unsigned long long argon2_opslimit; /* Argon2id passes (default 3) */
	size_t argon2_memlimit;             /* bytes (default 64 MiB) */
	int64_t session_idle_s;             /* default 30 min */
	int64_t session_absolute_s;         /* default 12 h */
	int lockout_account_failures;       /* default 5 */
	int lockout_address_failures;       /* default 20 */
	int64_t lockout_window_s;           /* default 15 min */
	int64_t lockout_duration_s;         /* default 15 min */
	int64_t password_max_age_s;         /* default 90 days; 0 = passwords do not expire */
	int64_t audit_retention_s;          /* default 180 days; never less */
	int64_t token_max_lifetime_s;       /* default 365 days */
	int secure_cookies;                 /* add Secure to cookies (behind TLS) */
};

void identity_config_default(struct identity_config *c);
/* Applies WANGGE_* environment overrides. Returns 0, or -1 with the offending variable in err. */
int identity_config_from_env(struct identity_config *c, char *err, size_t errlen);

/* What a write needs besides the principal: where to write, how to hash, where to audit. */
struct idctx {
	struct store *store;
	const struct identity_config *cfg;
	const unsigned char *audit_key; /* AUDIT_KEY_LEN bytes */
	const char *source;             /* client address, "cli" for commands */
	const char *request_id;         /* "" for commands */
};

/* ---- passwords ---- */

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 128
#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define USERNAME_MAX 32

/* 1 when name is a valid user name: 3..32 of [a-z0-9_.-], starting with a letter or digit. */
int identity_username_ok(const char *name);
/* NULL when password satisfies the policy for username, else a Chinese reason (static):
   at least 12 characters, at least 3 of 4 classes (lower, upper, digit, other), not containing the
   user name (case-insensitive), at most 128 bytes. */
const char *identity_password_policy(const char *username, const char *password);
/* Argon2id string (libsodium crypto_pwhash_str_alg) with the configured cost. 0 or -1. */
int identity_password_hash(const struct identity_config *c, const char *password,
                           char out[PASSWORD_HASH_MAX]);
/* 1 when password matches hash. */
int identity_password_verify(const char *hash, const char *password);
/* A random password that satisfies the policy: 16 characters from an unambiguous alphabet, with
   every class present. out needs 17 bytes. */
void identity_password_generate(char *out, size_t n);

/* ---- the caller ---- */

/* A principal with everything behind it. Build with caller_init, free with caller_release. */
struct caller {
	struct principal p;
	struct perm_set perms;
	int64_t session_id;          /* browser session, 0 otherwise */
	unsigned char csrf_hash[32]; /* the session's CSRF token, hashed */
	int via_cookie;              /* authenticated by the session cookie (CSRF applies) */
	int must_change_password;    /* first login or expired: only password change allowed */
	int totp_required;           /* holds administrator permissions */
	int totp_enrolled;
	char display_name[128];
	char org_name[128];
	int64_t *grid_buf; /* owned; p.grid_ids points here */
};

void caller_init(struct caller *c); /* the anonymous caller: no permissions, no scope */
void caller_release(struct caller *c);
/* Loads user_id (enabled, with an enabled organisation) into out. Returns 1, 0 when not found or
   disabled, -1 on a database error. */
int identity_load_caller(struct store_conn *c, const struct identity_config *cfg, int64_t user_id,
                         int64_t now, struct caller *out);
/* 1 when the caller may only use routes marked ROUTE_SELF (must change password, or must enrol
   TOTP first). */
int caller_restricted(const struct caller *c);

/* Audit entry pre-filled with who and where. */
struct audit_entry;
void idctx_audit_init(const struct idctx *x, const struct principal *p, struct audit_entry *e);

/* ---- organisations ---- */

#define ORG_NAME_BYTES 128

struct org {
	int64_t id;
	char name[ORG_NAME_BYTES];
	char kind[16];  /* center, department, committee, grid_team */
	char level[16]; /* city, county, township or "" */
	char region_code[13];
	char region_name[REGION_NAME_BYTES];
	char region_path[ACCESS_PATH_MAX];
	int disabled;
	int64_t created_at, updated_at;
};

enum org_kind org_kind_from_name(const char *kind);
/* Reads an organisation visible to p. 1 found, 0 not found or out of scope, -1 error. */
int identity_org_get(struct store_conn *c, const struct principal *p, int64_t id, struct org *out);
json_t *identity_org_json(const struct org *o);
/* {items, total, limit, offset}. kind may be NULL. */
json_t *identity_org_list(struct store *s, const struct principal *p, const char *kind,
                          int64_t limit, int64_t offset, struct dom_err *e);
/* Creates an organisation in p's scope. level only for centers (and required for them).
   Returns 0 and *id, or -1 with e. */
int identity_org_create(const struct idctx *x, const struct principal *p, const char *name,
                        const char *kind, const char *level, const char *region_code, int64_t *id,
                        struct dom_err *e);
/* Renames and/or disables (disabled < 0 leaves it). */
int identity_org_update(const struct idctx *x, const struct principal *p, int64_t id,
                        const char *name, int disabled, struct dom_err *e);

/* ---- users ---- */

struct user_view {
	int64_t id;
	char username[USERNAME_MAX + 1];
	char display_name[128];
	int64_t org_id;
	char org_name[ORG_NAME_BYTES];
	char org_region_path[ACCESS_PATH_MAX];
	char phone[32];
	char id_number[32];
	int must_change_password;
	int totp_enabled;
	int disabled;
	int locked; /* an active account lockout */
	int64_t created_at, password_changed_at;
};

/* Reads a user visible to p. 1 found, 0 not found or out of scope, -1 error. */
int identity_user_get(struct store_conn *c, const struct principal *p, int64_t id,
                      struct user_view *out);
/* The user's role names as a JSON array of {name,label} (new reference). */
json_t *identity_user_roles_json(struct store_conn *c, int64_t user_id);
/* The user's grid ids as a JSON array. */
json_t *identity_user_grids_json(struct store_conn *c, int64_t user_id);

struct user_filter {
	const char *q; /* substring of user name or display name */
	int64_t org_id;
	const char *role;
	int64_t limit, offset;
};
/* Lists users visible to p; calls row(ctx, view, out_items) to turn each into JSON so the API can
   mask. Returns {items,total,limit,offset} or NULL with e. */
typedef json_t *(*user_json_fn)(void *ctx, const struct user_view *u);
json_t *identity_user_list(struct store *s, const struct principal *p, const struct user_filter *f,
                           user_json_fn row, void *ctx, struct dom_err *e);

struct user_fields {
	const char *username;
	const char *display_name;
	int64_t org_id;
	const char *phone;     /* NULL = unchanged/none; "" clears */
	const char *id_number; /* validated as a resident ID number (GB 11643) */
	int disabled;          /* update only; -1 = unchanged */
};
/* Creates a user in an organisation inside p's scope with a one-time password (written into
   temp_password, 17 bytes): must be changed at first login. No roles: the security administrator
   grants them. Returns 0 and *id, or -1 with e. */
int identity_user_create(const struct idctx *x, const struct principal *p,
                         const struct user_fields *f, int64_t *id, char *temp_password,
                         size_t tplen, struct dom_err *e);
int identity_user_update(const struct idctx *x, const struct principal *p, int64_t id,
                         const struct user_fields *f, struct dom_err *e);
/* New one-time password; the user's sessions end. */
int identity_user_reset_password(const struct idctx *x, const struct principal *p, int64_t id,
                                 char *temp_password, size_t tplen, struct dom_err *e);
/* Replaces the user's roles by names. Refuses self grants (403 self_grant), unknown roles (400),
   a combination that breaks the separation of administrators (409 separation). Audited, including
   refusals. */
int identity_user_set_roles(const struct idctx *x, const struct principal *p, int64_t id,
                            const char *const *roles, size_t n, struct dom_err *e);
/* Binds a user to grids (each must be visible to p). */
int identity_user_set_grids(const struct idctx *x, const struct principal *p, int64_t id,
                            const int64_t *grids, size_t n, struct dom_err *e);
/* Clears a user's TOTP enrolment and recovery codes (lost device); they enrol again. */
int identity_user_totp_reset(const struct idctx *x, const struct principal *p, int64_t id,
                             struct dom_err *e);
/* The caller changes their own password (old one checked). Other sessions end. */
int identity_password_change(const struct idctx *x, const struct principal *p,
                             const char *old_password, const char *new_password,
                             int64_t keep_session, struct dom_err *e);

/* ---- roles ---- */

#define ROLE_NAME_MAX 32

/* [{id,name,label,builtin,permissions:[...],users}] for every role (new reference). */
json_t *identity_roles_json(struct store *s, struct dom_err *e);
/* Custom roles. name: 3..32 of [a-z0-9_]; permissions grantable and separated. */
int identity_role_create(const struct idctx *x, const struct principal *p, const char *name,
                         const char *label, const char *const *perms, size_t n, int64_t *id,
                         struct dom_err *e);
/* label NULL leaves it; perms NULL leaves them. Refused for built-in roles (403) and for a role the
   caller holds (self_grant). */
int identity_role_update(const struct idctx *x, const struct principal *p, int64_t id,
                         const char *label, const char *const *perms, size_t n, struct dom_err *e);
/* Deletes a custom role no user holds. */
int identity_role_delete(const struct idctx *x, const struct principal *p, int64_t id,
                         struct dom_err *e);

/* ---- lockouts ---- */

/* Active lockouts: [{id,kind,subject,locked_at,until}] */
json_t *identity_lockouts_json(struct store *s, int64_t now, struct dom_err *e);
/* Ends a lockout (and forgets the failures counted for its subject). */
int identity_lockout_release(const struct idctx *x, const struct principal *p, int64_t id,
                             struct dom_err *e);

/* ---- encryption at rest ---- */

/* users.phone, users.id_number and users.totp_secret are sealed with the process's vault
   (base/vault.h) on write and opened on read; users.id_number_bidx is the ID number's blind index.
   Writes that set any of them fail with 503 vault_unavailable when no vault was loaded. */
struct vault;
struct buf;
/* Room for a sealed TOTP secret (base32, TOTP_SECRET_B32) with its NUL. */
#define IDENTITY_TOTP_SEALED_MAX 128
/* Seals a TOTP secret of user row ("users.totp_secret#row") into out. Returns 0, or -1 when no
   vault is loaded or out is too small. */
int identity_totp_seal(int64_t row, const char *secret, char *out, size_t n);
/* Opens the stored TOTP secret of user row into out (NUL-terminated). A value stored in clear
   (from before sealing; `wangge check` reports it) is taken as stored; NULL or "" gives "".
   Returns 0, or -1 (out "", logged) when a sealed value does not open. */
int identity_totp_open(int64_t row, const char *stored, char *out, size_t n);
/* Number of sealed values in the database (to refuse a new data key when some exist), or -1. */
int64_t identity_sealed_count(struct store_conn *c);
/* Reports (for `wangge check`) every sensitive value stored in clear, and with v also every one
   that does not decrypt and every blind index that does not match. Returns findings or -1. */
int identity_check_sealed(struct store_conn *c, const struct vault *v, struct buf *report);
/* The first user visible to p with this resident ID number, found by blind index. 1 and *id,
   0 none (or no vault), -1 error. */
int identity_user_find_by_id_number(struct store_conn *c, const struct principal *p,
                                    const char *id_number, int64_t *id);

/* ---- command line and demo ---- */

/* Number of users, or -1. */
int64_t identity_user_count(struct store *s);
/* Creates an organisation without a principal check (CLI and demo). Returns its id (existing one
   when the same region+name exists), or -1. */
int64_t identity_org_ensure(const struct idctx *x, const char *name, const char *kind,
                            const char *level, const char *region_code);
/* Creates a user with a role, without a principal check (CLI and demo). password NULL generates
   one into password_out. totp_secret_out (TOTP_SECRET_B32 bytes) non-NULL enrols TOTP. Returns
   the id, or -1 with e. */
int64_t identity_user_bootstrap(const struct idctx *x, const char *username,
                                const char *display_name, int64_t org_id, const char *role,
                                int must_change, char *password_out, size_t pwlen,
                                char *totp_secret_out, struct dom_err *e);

#include "base/banned.h"
#endif
