/*
 * Key-people visits and the data quality of the registry (issue 12 parts 5 and 6). Owned by the
 * registry (domain/registry.h); tables in src/store/schema/018_registry_visits.sql.
 *
 *   - Visits: each key-people category has a visit interval in days (key_visit_intervals;
 *     社区矫正对象 7, the others 30). A visit is a duty record of duty key_group_visit linked to
 *     the person (duty_input.person_id). A present key person is due when the last visit (or,
 *     before any, the date they entered their earliest current category) plus the shortest
 *     interval of their current categories is not after now. The list is key-people data: it
 *     needs person.key_read and a reason, and every read is audited (people:visits-due).
 *   - Quality: people not verified for verify_months months (30 days each; registration counts
 *     as the first verification; PATCH verify sets people.verified_at), duplicates (two people
 *     with the same ID blind index: the UNIQUE constraint forbids it, reported anyway), present
 *     people in no house, and houses with more present residents than crowded_residents
 *     (registry_settings). Key people are left out of the person lists unless with_key.
 *
 * Both are keyset pages in (path, id) order, scoped in SQL like every registry list.
 */
#ifndef WANGGE_DOMAIN_REGISTRY_QUALITY_H
#define WANGGE_DOMAIN_REGISTRY_QUALITY_H

#include <jansson.h>
#include <stdint.h>

#include "domain/dom.h"

/* A registry_settings value (verify_months, crowded_residents) into *value. 0, or -1. */
int registry_setting(struct store_conn *c, const char *name, int64_t *value);

/*
 * The key people in the caller's scope (optionally of one grid code) due for a visit at x->now:
 * {items: [{id, name, grid, interval_days, last_visit, due_at, overdue_days}], next_cursor}.
 * 403 key_person without person.key_read (audited as denied), 400 reason_required without an
 * acceptable reason; the read is audited with the reason.
 */
json_t *person_visits_due(const struct dom_ctx *x, const char *grid, const char *reason,
                          const struct dom_page *pg, struct dom_err *e);

/*
 * A data-quality list of the caller's scope (optionally one grid): kind "unverified" (default),
 * "duplicates", "no_house" (people) or "crowded" (houses). {kind, threshold, items,
 * next_cursor}; people items {id, name, grid, house, verified_at}, house items {id, address,
 * grid, residents}. 400 bad_param for an unknown kind or a malformed grid.
 */
json_t *registry_quality(const struct dom_ctx *x, const char *kind, const char *grid, int with_key,
                         const struct dom_page *pg, struct dom_err *e);

#include "base/banned.h"
#endif
