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

/* Per organisation (matter_org_counters): key "supervised", "reminded", "closed",
   "closed_on_time", "yellow" or "red" moves by delta. 0 or -1. */
int matter_org_count(struct store_conn *c, int64_t org, const char *key, int delta);
/* Open matters of a grid move by delta. 0 or -1. */
int matter_grid_open_move(struct store_conn *c, int64_t grid_id, int delta);
/* The local (Asia/Shanghai) day of t as "YYYY-MM-DD". */
void matter_local_day(int64_t t, char out[11]);
/* One more matter reported at `at` in each region code, by source and category. 0 or -1. */
int matter_daily_add(struct store_conn *c, const char *const codes[3], int64_t at,
                     const char *source, const char *category);
/* The organisations' yellow and red counts follow a matter from before (colour alert0, its
   assignments' stored colours) to after (colour alert1, its assignments' colours at now). A
   before in FS_NONE is a new matter. 0 or -1. */
int matter_org_alerts_move(struct store_conn *c, const struct matter_view *before, int alert0,
                           const struct matter_view *after, int alert1, int64_t now);

/* The keyed hash (hex) of a tracking code, after normalising case and separators. 0, or -1 when
   the text is not a tracking code. */
int matter_tracking_hash(const struct dom_ctx *x, const char *code,
                         char out[2 * MATTER_TRACKING_HASH_BYTES + 1]);
/* The matter and version of a tracking code. 1, 0 unknown, -1 read error. */
int matter_by_tracking(const struct dom_ctx *x, const char *code, int64_t *id, int *version);

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
