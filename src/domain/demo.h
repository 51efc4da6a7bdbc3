/*
 * The demo city: Liaocheng (聊城市 371500) as it is, its real jurisdiction tree (the National
 * Bureau of Statistics' 2023 codes and names of its 8 county-level units, 136 townships and 2,408
 * villages and communities, compiled in from data/liaocheng/regions.csv) inside the real
 * outlines of the eight county-level units, with made-up township, village and grid areas that
 * tile each parent without gap or overlap (so the grid checks find nothing). Deterministic for a
 * seed. Written in bulk as one dom_write of the system principal, with one audit record
 * (demo.build).
 */
#ifndef WANGGE_DOMAIN_DEMO_H
#define WANGGE_DOMAIN_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct dom_ctx;

enum demo_scale {
	DEMO_TEST = 0, /* 8 counties, 9 townships, 18 villages, 38 grids: fast, for tests */
	DEMO_CITY = 1, /* the whole tree, about 6,000 grids: realistic, for benchmarks */
};

/* "test" / "city" -> scale; -1 for anything else. */
int demo_scale_parse(const char *s);

struct demo_summary {
	int counties, townships, communities, villages; /* communities = 社区, villages = 村 */
	int grids, dedicated;                           /* grids counts both kinds */
	int64_t residents, households;
	int64_t build_ms;
	int already; /* 1 when the database already held the demo city (nothing written) */
};

/* The demo city's bounding box: the extent of the county outlines in data/liaocheng/. */
#define DEMO_LNG_MIN 115.27
#define DEMO_LNG_MAX 116.55
#define DEMO_LAT_MIN 35.78
#define DEMO_LAT_MAX 37.04

/* Builds the demo city into x->store as x->caller (the system principal: dom_ctx_cli), audited
   as one demo.build record. If the city region 371500000000 already exists nothing is written
   and summary->already is 1. Returns 0, or -1 with a reason in err. */
int demo_city_build(const struct dom_ctx *x, enum demo_scale scale, uint64_t seed,
                    struct demo_summary *summary, char *err, size_t errlen);

/* The name of a village or community without its committee: "古城社区居委会" -> "古城社区",
   "张庄村委会" -> "张庄村", "王村村民委员会" -> "王村"; other names unchanged. */
void demo_short_name(const char *name, char *out, size_t cap);

#include "base/banned.h"
#endif
