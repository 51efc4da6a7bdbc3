/*
 * THE permission catalog: every permission name the route table and the domain layer may name,
 * with its Chinese label and its family, and the built-in roles with their permissions. The route
 * table, `wangge routes`, GET /api/v1/permissions, docs/permissions.md and the authorization matrix
 * test all read this one table, so a permission exists only once it is here.
 *
 * Families carry the separation of the three administrators (三员分立): a role, and a user's roles
 * taken together, may hold permissions of at most one of the families system, security and audit.
 * Business permissions combine with any family.
 *
 * Two pseudo permissions are not held but describe a route: "public" (no login) and
 * "authenticated" (any logged-in caller).
 */
#ifndef WANGGE_DOMAIN_PERMISSIONS_H
#define WANGGE_DOMAIN_PERMISSIONS_H

#include <stddef.h>
#include <stdint.h>

enum perm_family {
	PERM_PSEUDO = 0, /* "public", "authenticated": route markers, never granted */
	PERM_INTERNAL,   /* test-only routes; granted to nobody */
	PERM_BUSINESS,   /* the work of centers, departments and grid workers */
	PERM_SYSTEM,     /* accounts and organisations (系统管理员) */
	PERM_SECURITY,   /* roles, grants, lockouts, tokens, security settings (安全管理员) */
	PERM_AUDIT,      /* the audit trail (审计员) */
};

/* Permission flags. */
#define PERM_TOKEN_GRANTABLE 1u /* may be put on an API token */

struct permission_def {
	const char *name;
	const char *label; /* Chinese, shown in the UI */
	enum perm_family family;
	unsigned flags;
};

extern const struct permission_def permission_catalog[];
extern const size_t permission_count;

#define PERM_SET_WORDS 4 /* up to 256 permissions */

/* A set of catalog permissions (by catalog index). Zero-initialise for the empty set. */
struct perm_set {
	uint64_t bits[PERM_SET_WORDS];
};

/* Catalog index of name, or -1 when name is not in the catalog. */
int permission_index(const char *name);
/* The catalog entry of name, or NULL. */
const struct permission_def *permission_find(const char *name);
/* 1 when name is a permission that may be granted through a role (not pseudo, not internal). */
int permission_grantable(const char *name);
/* Chinese name of a family ("系统管理" ...). */
const char *permission_family_name(enum perm_family f);

void perm_set_add(struct perm_set *s, int idx);
int perm_set_has(const struct perm_set *s, int idx);
/* Adds the catalog permission name; -1 when it is not in the catalog. */
int perm_set_add_name(struct perm_set *s, const char *name);
int perm_set_has_name(const struct perm_set *s, const char *name);
void perm_set_union(struct perm_set *dst, const struct perm_set *src);
/* 1 when every member of a is in b. */
int perm_set_subset(const struct perm_set *a, const struct perm_set *b);
/* Bit (1 << family) for each family present in s. */
unsigned perm_set_families(const struct perm_set *s);
/* 1 when s holds permissions of at most one administrator family (三员分立). */
int perm_set_separated(const struct perm_set *s);
/* The bits (1 << family) of the three administrator families. */
#define PERM_ADMIN_FAMILIES ((1u << PERM_SYSTEM) | (1u << PERM_SECURITY) | (1u << PERM_AUDIT))
/* 1 when s holds any administrator permission. */
int perm_set_is_admin(const struct perm_set *s);
/* 1 when s holds an administrator permission or sensitive.unmask: such an account must enrol
   TOTP before it may do anything else, and its enrolment needs an activation code issued by a
   security administrator (domain/activation.h). */
int perm_set_needs_totp(const struct perm_set *s);

struct builtin_role {
	const char *name;
	const char *label;
	const char *const *permissions; /* NULL-terminated */
};

extern const struct builtin_role builtin_roles[];
extern const size_t builtin_role_count;

/* The built-in role called name, or NULL. */
const struct builtin_role *builtin_role_find(const char *name);
/* Fills s with the permissions of a built-in role. */
void builtin_role_perms(const struct builtin_role *r, struct perm_set *s);

#include "base/banned.h"
#endif
