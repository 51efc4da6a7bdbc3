/*
 * Organisations: grid-management centers (city, county, township), departments, village and
 * residents' committees, and grid-worker teams, each bound to one region. A user belongs to one
 * organisation, and its region subtree is the user's scope. Organisations are visible to a caller
 * when their region is inside the caller's scope; anything else answers 404 as if missing.
 */
#ifndef WANGGE_DOMAIN_ORG_H
#define WANGGE_DOMAIN_ORG_H

#include <jansson.h>
#include <stdint.h>

#include "domain/access.h"
#include "domain/dom.h"
#include "domain/region.h"

struct store_conn;

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
	char supervision_phone[48]; /* centers: published on notice boards (domain/notice.h); "" */
};

/* ORG_NONE for an unknown kind name. */
enum org_kind org_kind_from_name(const char *kind);
/* Reads an organisation visible to p on connection c. 1 found, 0 not found or out of scope, -1
   error. */
int org_load(struct store_conn *c, const struct principal *p, int64_t id, struct org *out);
/* JSON of an organisation (times RFC 3339 +08:00). New reference. */
json_t *org_to_json(const struct org *o);
/* An organisation visible to the caller into out. 0, or -1 with e (404 not_found, 503). */
int org_get(const struct dom_ctx *x, int64_t id, struct org *out, struct dom_err *e);
/* A keyset page of the organisations visible to the caller, in region order: {items,
   next_cursor}. kind may be NULL. NULL with e on failure. */
json_t *org_list(const struct dom_ctx *x, const char *kind, const struct dom_page *pg,
                 struct dom_err *e);
/* Creates an organisation in the caller's scope. level only for centers (and required for them).
   Returns 0 and *id, or -1 with e. */
int org_create(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
               const char *region_code, int64_t *id, struct dom_err *e);
/* Renames and/or disables (disabled < 0 leaves it). */
int org_update(const struct dom_ctx *x, int64_t id, const char *name, int disabled,
               struct dom_err *e);
/* Creates an organisation for the command line and the demo (the caller is the system). Returns
   its id (the existing one when the same region+name exists), or -1. */
int64_t org_ensure(const struct dom_ctx *x, const char *name, const char *kind, const char *level,
                   const char *region_code);

#include "base/banned.h"
#endif
