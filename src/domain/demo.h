/*
 * The demo city: Liaocheng (聊城市 371500) with its eight real county-level units and codes, and
 * generated townships, communities/villages and grids that tile every community exactly (shared
 * edges are bit-identical, so the grid checks find no gap and no overlap), placed around the
 * city's real location (about 115.98 E, 36.45 N). Deterministic for a seed. Written in bulk as one
 * dom_write of the system principal, with one audit record (demo.build).
 */
#ifndef WANGGE_DOMAIN_DEMO_H
#define WANGGE_DOMAIN_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct dom_ctx;

enum demo_scale {
	DEMO_TEST = 0, /* a few dozen grids: fast, for tests */
	DEMO_CITY = 1, /* about 6,000 grids: realistic, for benchmarks */
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

/* The demo city's bounding box (WGS84). */
#define DEMO_LNG_MIN 115.38
#define DEMO_LNG_MAX 116.58
#define DEMO_LAT_MIN 35.97
#define DEMO_LAT_MAX 36.93

/* Builds the demo city into x->store as x->caller (the system principal: dom_ctx_cli), audited
   as one demo.build record. If the city region 371500000000 already exists nothing is written
   and summary->already is 1. Returns 0, or -1 with a reason in err. */
int demo_city_build(const struct dom_ctx *x, enum demo_scale scale, uint64_t seed,
                    struct demo_summary *summary, char *err, size_t errlen);

#include "base/banned.h"
#endif
