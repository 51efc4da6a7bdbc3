/*
 * Shared between the parts of the matter module (matter.c: the write path and the fold;
 * matter_read.c: gets, lists and counts; matter_alerts.c: the scheduler and the check). Not for
 * other modules: they use matter.h.
 */
#ifndef WANGGE_DOMAIN_MATTER_INTERNAL_H
#define WANGGE_DOMAIN_MATTER_INTERNAL_H

#include <stdint.h>

#include "domain/matter.h"

struct store_conn;
struct principal;

/* Loads the projection of matter id (state, owner, handler, deadlines, version, assignments).
   1 found, 0 missing, -1 error. */
int matter_view_load(struct store_conn *c, int64_t id, struct matter_view *v);

/* Moves one matter between counter cells: -1 in (state0, alert0), +1 in (state1, alert1), for
   each of the region codes (NULL or "" skipped). state0 NULL: only the increment. 0 or -1. */
int matter_counters_move(struct store_conn *c, const char *const codes[3], const char *category,
                         const char *state0, int alert0, const char *state1, int alert1);

/* The colour of a deadline at now: 2 red, 1 yellow, 0 none (no deadline). */
int matter_alert_at(int64_t due_at, int64_t warn_at, int64_t now);

/* The caller's scope over the matters table aliased m, as " AND ..." with placeholders, and
   its binding from index idx (returns the next index or -1). */
#define MATTER_SCOPE_SQL_MAX 256
void matter_scope_sql(const struct principal *p, char out[MATTER_SCOPE_SQL_MAX]);
int matter_scope_bind(const struct principal *p, struct store_stmt *st, int idx);

/* Names of who may take a row's action: 1 when the caller p is `who` for matter v (whose grid
   and path are given), with *assignment = the caller's open assignment number where relevant. */
int matter_caller_is(const struct principal *p, enum flow_who who, const struct matter_view *v,
                     int64_t grid_id, const char *path, enum flow_action action, int *assignment);

#endif
