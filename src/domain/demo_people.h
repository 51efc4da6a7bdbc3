/*
 * The demo population (issue 12 part 9, `wangge demo --scale test`): once the demo city and its
 * grids exist, fills every active grid with a few houses and a small plausible population
 * through the registry's own writes (house_create, person_create, duty_create), so the sealed
 * fields, the dated records and the per-grid counters are exactly what real use would give.
 * Households with a head, spouse, children and sometimes a parent; a rented house of floating
 * people; some elderly people living alone and other care tags; three key people (one of each
 * of three categories, in the first grids) with their dates, one of them visited recently; one
 * floating person registered in no house (for the data-quality list). Deterministic: the same
 * city gives the same people. Meant for the test scale (a few dozen grids): every write is its
 * own transaction.
 */
#ifndef WANGGE_DOMAIN_DEMO_PEOPLE_H
#define WANGGE_DOMAIN_DEMO_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

struct demo_population {
	int64_t grids, houses, people, floating, care, key_people;
	int already; /* people were there: nothing added */
};

/* Fills the active grids. Needs the data key loaded (ID and phone numbers are sealed). 0, or -1
   with a reason in err. */
int demo_people_fill(const struct dom_ctx *x, struct demo_population *out, char *err,
                     size_t errlen);

#include "base/banned.h"
#endif
