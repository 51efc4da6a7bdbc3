/*
 * Demo grid workers: once the demo city, its grids and the demo accounts exist, staffs every
 * active grid read from the database (not from the generator, so it works on any tree):
 * plausible Chinese names, valid ID numbers with the county's prefix (3715xx) and adult birth
 * dates, a full-time lead for most grids, a few village grids with only a part-time worker under
 * a marked staffing exception, and a realistic few failing grids (part-time only without an
 * exception, or nobody). The demo grid-worker account is linked to its own worker record, which
 * leads the account's grids. Deterministic: the same database gives the same staff.
 */
#ifndef WANGGE_DOMAIN_DEMO_WORKERS_H
#define WANGGE_DOMAIN_DEMO_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

struct demo_staffing {
	int64_t workers, grids, exceptions, failing;
};

/* Staffs the demo city in one write. grid_worker_user: the demo grid-worker account (its grids
   get its linked worker); marker_user: the account recorded as marking the exceptions. Does
   nothing (0, *out zero) when workers exist already. 0, or -1 with a reason in err. */
int demo_workers_staff(const struct dom_ctx *x, int64_t grid_worker_user, int64_t marker_user,
                       struct demo_staffing *out, char *err, size_t errlen);

#include "base/banned.h"
#endif
