/*
 * The city-scale demo population (issue 12 part 9, `wangge demo --scale city --people`): about
 * 6 million plausible people over the real Liaocheng tree, for benchmarks and for trying the
 * registry at the size of the city it is built for.
 *
 * Every active grid is filled up to the residents it declares (the demo city gives each grid
 * about 1,000), household by household, in houses of the grid, through the people import's own
 * write path (person_insert_many): the same checks, the same sealed ID and phone numbers, blind
 * indexes, dated records and grid counters as any registration, 20,000 people a write.
 *
 * Plausible means, with Shandong's 2020 census as the yardstick: households of one to six
 * (average about 2.7: 20% alone, 30% couples, then families with children and grandparents),
 * ages from the household's shape (children under 23, working-age parents, 21% aged 60 or
 * over, many of those living alone or as a couple), resident ID numbers that pass the check
 * with the grid's county code and a real birth date, the sex digit matching; 12% of households
 * floating, with ID numbers of other provinces; a few foreigners with passports; mobile numbers.
 * Units: about one per 60 residents in each grid (shops, small firms, a few schools, clinics,
 * associations), with valid unified social credit codes (the registration authority and type
 * of the kind, the county's code, an organisation code with its GB 11714 check character, the
 * GB 32100 check character), registered by unit_insert in the same writes.
 * Deterministic for a seed. Not generated: care tags, key-people categories and workplaces
 * (the bulk path registers none; the test-scale demo has them).
 */
#ifndef WANGGE_DOMAIN_DEMO_CITY_PEOPLE_H
#define WANGGE_DOMAIN_DEMO_CITY_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

struct demo_city_population {
	int64_t grids, houses, people, floating, foreigners, elderly, children, units;
	int already; /* people were there: nothing added */
};

/* Called after each write with what is done so far (for a progress line); may be NULL. */
typedef void (*demo_city_progress_fn)(void *arg, const struct demo_city_population *p,
                                      int64_t grids_total);

/* Fills every active grid up to its declared residents. Needs the data key loaded and the store
   opened for bulk loading (store_options.bulk_load) to be quick. 0, or -1 with a reason in err
   (what committed stays: a re-run after a failure is refused as "already"). */
int demo_city_people_fill(const struct dom_ctx *x, unsigned seed, demo_city_progress_fn progress,
                          void *arg, struct demo_city_population *out, char *err, size_t errlen);

#include "base/banned.h"
#endif
