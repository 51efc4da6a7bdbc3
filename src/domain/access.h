/*
 * Who is asking, and what they may see and do (分级准入授权制). Every domain query takes the
 * caller's principal, so scoping is applied where the data is read and a handler cannot forget it.
 *
 * Scope is a subtree of the region tree. Each region carries its materialized ancestor path, e.g.
 * "371500000000/371502000000/371502001000/", so "this subtree" is one indexed range query
 * `path >= lo AND path < hi` that works the same on SQLite and PostgreSQL (access_scope_range).
 *
 * CONTRACT FOR OTHER MODULES (stable; the identity work fills in the rest):
 *   - struct principal fields below;
 *   - access_system(): the principal for the CLI and the demo builder (sees everything);
 *   - access_can(p, "permission.name"): 1 when p holds that permission;
 *   - access_scope_range(p, lo, hi): the region-path range p may see;
 *   - access_sees_region(p, path): 1 when a region path is inside p's scope.
 * Added by the identity work (domain/caller.c, session.c and token.c build principals):
 *   - impl points at the caller's struct perm_set (domain/permissions.h);
 *   - token_id, grid_bound; access_sees_grid() for the grid-worker rule.
 */
#ifndef WANGGE_DOMAIN_ACCESS_H
#define WANGGE_DOMAIN_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#define ACCESS_PATH_MAX 80 /* 5 levels × (12 digits + '/') = 65, with room to spare */

enum org_kind {
	ORG_NONE = 0,
	ORG_CENTER,     /* grid-management center of a city, county or township */
	ORG_DEPARTMENT, /* a functional department bound to a region */
	ORG_COMMITTEE,  /* village or residents' committee */
	ORG_GRID_TEAM,  /* the organisation grid workers belong to (their township center's team) */
};

struct principal {
	int64_t user_id; /* 0 for the system principal */
	char username[64];
	int64_t org_id;
	enum org_kind org_kind;
	char region_code[13];              /* the organisation's region */
	char region_path[ACCESS_PATH_MAX]; /* its materialized path; "" means the whole tree */
	const int64_t *grid_ids; /* grid workers: the grids they are bound to (borrowed) */
	size_t ngrids;
	int is_system;    /* CLI, demo builder, migrations: every permission, all data */
	const void *impl; /* identity module's private data (roles, permissions) */
	int64_t token_id; /* > 0 when the caller is an API token (user_id is 0) */
	int grid_bound;   /* grid worker: sees only the grids in grid_ids (inside region_path) */
};

/* The all-seeing principal used by command-line tools. Static storage; never freed. */
const struct principal *access_system(void);

/* The anonymous caller: no permissions, no scope. Static storage; never freed. */
const struct principal *access_anonymous(void);

/* 1 when p holds permission (a name from docs/permissions.md, e.g. "grid.write"); 0 otherwise. */
int access_can(const struct principal *p, const char *permission);

/* The half-open range [lo, hi) of region paths p may see. For the system principal lo = "" and
   hi = "\x7f". lo and hi need ACCESS_PATH_MAX bytes. */
void access_scope_range(const struct principal *p, char *lo, char *hi);

/* 1 when the region with this materialized path is inside p's scope. */
int access_sees_region(const struct principal *p, const char *path);

/* 1 when the grid with this id, whose community has region path path, is inside p's scope: the
   region rule, and for grid-bound principals (grid workers) the grid must be one of theirs. */
int access_sees_grid(const struct principal *p, int64_t grid_id, const char *path);

/* 1 when p is a logged-in user or an API token (not the anonymous caller). */
int access_authenticated(const struct principal *p);

#include "base/banned.h"
#endif
