/*
 * Unit tests for domain/demo: the real tree (NBS 2023 codes and names from data/liaocheng/: the
 * county-level units, townships and villages the test scale keeps, and the exact counts of the
 * city scale: 8 / 136 / 2,408), the real county outlines, codes in the right ranges, every grid
 * code valid under the rule, determinism for a seed (same seed, same city; another seed, other
 * grids), a second run adds nothing, the build is one demo.build audit record, and the grids tile
 * every community with no gap, no overlap and nothing outside, the townships their county and the
 * villages their township — at test scale and at city scale. Also demo_short_name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "domain/audit.h"
#include "domain/demo.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "geo/geom.h"
#include "geo/gridindex.h"
#include "store/store.h"

struct fx {
	char dir[64];
	int n;
	struct store *s[3];
};

static struct store *open_db(struct fx *f)
{
	struct store_options o;
	char db[128], err[256];
	struct store *s = NULL;

	snprintf(db, sizeof db, "%s/t%d.db", f->dir, f->n);
	store_options_default(&o, db);
	assert_int_equal(store_open(&o, &s, err, sizeof err), 0);
	f->s[f->n++] = s;
	return s;
}

static const unsigned char KEY[AUDIT_KEY_LEN] = { 4, 5, 6 };

/* Builds the demo city into s as the system principal. */
static int build(struct store *s, enum demo_scale scale, uint64_t seed, struct demo_summary *sum,
                 char *err, size_t errlen)
{
	struct dom_ctx x;

	dom_ctx_cli(&x, s, KEY, NULL);
	return demo_city_build(&x, scale, seed, sum, err, errlen);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-demo-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	for (int i = 0; i < f->n; i++)
		store_close(f->s[i]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* FNV-1a over every grid's code, name, figures and boundary, in code order. */
static uint64_t digest(struct store *s)
{
	struct store_stmt *st =
	        store_prepare(store_reader(s), "SELECT code, name, boundary, residents, households "
	                                       "FROM grids ORDER BY code");
	uint64_t h = 1469598103934665603ull;

	while (store_step(st) == STORE_ROW) {
		for (int c = 0; c < 5; c++) {
			const char *t = store_col_text(st, c);

			for (; t && *t; t++)
				h = (h ^ (unsigned char)*t) * 1099511628211ull;
			h = (h ^ 0xff) * 1099511628211ull;
		}
	}
	store_reset(st);
	return h;
}

static void test_counties_and_codes(void **state)
{
	struct fx *f = *state;
	struct store *s = open_db(f);
	struct demo_summary sum;
	struct store_stmt *st;
	char err[256];
	static const char *const expect[][2] = {
		{ "371502000000", "东昌府区" }, { "371503000000", "茌平区" },
		{ "371521000000", "阳谷县" },   { "371522000000", "莘县" },
		{ "371524000000", "东阿县" },   { "371525000000", "冠县" },
		{ "371526000000", "高唐县" },   { "371581000000", "临清市" },
	};
	static const char *const real[][2] = {
		{ "371500000000", "聊城市" },
		{ "371502001000", "古楼街道" },
		{ "371502100000", "侯营镇" },
		{ "371502001001", "古城社区居委会" },
		{ "371502001002", "湖南社区居委会" },
		{ "371502100001", "侯营社区居委会" },
		{ "371521001000", "博济桥街道" },
		{ "371581001000", "青年路街道" },
		{ "371581001001", "温泉社区居民委员会" },
	};
	int i = 0, n = 0;

	(void)state;
	assert_int_equal(build(s, DEMO_TEST, 1, &sum, err, sizeof err), 0);
	assert_int_equal(sum.counties, 8);
	assert_int_equal(sum.townships, 9);
	assert_int_equal(sum.communities + sum.villages, 18);
	assert_true(sum.communities >= 9 && sum.villages >= 1);
	assert_int_equal(sum.grids, 38);
	assert_int_equal(sum.dedicated, 2);
	/* Real names at every level (test scale keeps these). */
	for (size_t k = 0; k < sizeof real / sizeof real[0]; k++) {
		st = store_prepare(store_reader(s), "SELECT name FROM regions WHERE code = ?");
		store_bind_text(st, 1, real[k][0], -1);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_string_equal(store_col_text(st, 0), real[k][1]);
		store_reset(st);
	}
	/* Grids are named after their community without its committee. */
	st = store_prepare(store_reader(s),
	                   "SELECT name FROM grids WHERE code = '371502001001001'");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "古城社区第一网格");
	store_reset(st);
	/* The counties carry their real outlines, the city the union of them. */
	st = store_prepare(store_reader(s), "SELECT count(*) FROM regions WHERE level <= 3 AND "
	                                    "boundary IS NOT NULL");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 9);
	store_reset(st);
	st = store_prepare(store_reader(s), "SELECT code, name, parent_code FROM regions WHERE "
	                                    "level = 3 ORDER BY code");
	while (store_step(st) == STORE_ROW) {
		assert_string_equal(store_col_text(st, 0), expect[i][0]);
		assert_string_equal(store_col_text(st, 1), expect[i][1]);
		assert_string_equal(store_col_text(st, 2), "371500000000");
		i++;
	}
	store_reset(st);
	assert_int_equal(i, 8);
	/* Townships: 街道 001–099 only in districts and the county-level city at test scale. */
	st = store_prepare(store_reader(s), "SELECT code FROM regions WHERE level = 4");
	while (store_step(st) == STORE_ROW) {
		const char *c = store_col_text(st, 0);
		int part = (c[6] - '0') * 100 + (c[7] - '0') * 10 + (c[8] - '0');

		assert_true(division_township_kind(part) >= 1 && division_township_kind(part) <= 3);
		assert_int_equal(division_level(c, NULL), DIV_TOWNSHIP);
	}
	store_reset(st);
	/* Every grid code valid for its community and kind. */
	st = store_prepare(store_reader(s),
	                   "SELECT code, community_code, kind, subtype FROM grids");
	while (store_step(st) == STORE_ROW) {
		struct code_error ce;

		assert_int_equal(grid_code_check(NULL, store_col_text(st, 0), store_col_text(st, 1),
		                                 (enum grid_kind)store_col_int64(st, 2), &ce),
		                 0);
		if (store_col_int64(st, 2) == GRID_DEDICATED)
			assert_true(grid_subtype_valid(store_col_text(st, 3)));
		n++;
	}
	store_reset(st);
	assert_int_equal(n, sum.grids);
	/* A second run adds nothing. */
	assert_int_equal(build(s, DEMO_TEST, 1, &sum, err, sizeof err), 0);
	assert_int_equal(sum.already, 1);
	/* The build is one audit record of the system, with the counts. */
	st = store_prepare(
	        store_reader(s),
	        "SELECT count(*), min(username), min(outcome), min(detail) FROM audit_log "
	        "WHERE action = 'demo.build'");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 1);
	assert_string_equal(store_col_text(st, 1), "system");
	assert_string_equal(store_col_text(st, 2), "success");
	assert_non_null(strstr(store_col_text(st, 3), "8 个县级单位"));
	store_reset(st);
	/* Only the system builds it. */
	{
		struct principal p = { .user_id = 1, .region_path = "371500000000/" };
		struct dom_ctx x;
		struct store *t = open_db(f);

		dom_ctx_cli(&x, t, KEY, NULL);
		x.caller = &p;
		assert_int_equal(demo_city_build(&x, DEMO_TEST, 1, &sum, err, sizeof err), -1);
		st = store_prepare(store_reader(t), "SELECT count(*) FROM regions");
		assert_int_equal(store_step(st), STORE_ROW);
		assert_int_equal(store_col_int64(st, 0), 0);
		store_reset(st);
	}
}

static void test_deterministic(void **state)
{
	struct fx *f = *state;
	struct store *a = open_db(f), *b = open_db(f), *c = open_db(f);
	struct demo_summary sa, sb, sc;
	char err[256];

	assert_int_equal(build(a, DEMO_TEST, 7, &sa, err, sizeof err), 0);
	assert_int_equal(build(b, DEMO_TEST, 7, &sb, err, sizeof err), 0);
	assert_int_equal(build(c, DEMO_TEST, 8, &sc, err, sizeof err), 0);
	assert_int_equal(sa.grids, sb.grids);
	assert_int_equal(sa.residents, sb.residents);
	assert_true(digest(a) == digest(b));
	assert_true(digest(a) != digest(c));
}

static int count(json_t *checks, const char *type)
{
	return (int)json_integer_value(json_object_get(json_object_get(checks, "counts"), type));
}

static void check_tiling(struct store *s, int scale)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *ch;

	dom_ctx_cli(&x, s, KEY, NULL);
	ch = grid_checks(&x, "371500000000", &e);
	struct gridindex *ix;
	size_t skipped = 99;

	assert_non_null(ch);
	assert_int_equal(count(ch, "overlap"), 0);
	assert_int_equal(count(ch, "gap"), 0);
	assert_int_equal(count(ch, "outside"), 0);
	assert_int_equal(count(ch, "no_boundary"), 0);
	if (scale == DEMO_TEST)
		assert_int_equal(count(ch, "size"), 0);
	json_decref(ch);
	/* Every boundary is valid for GEOS (none skipped by the index). */
	ix = gridindex_build_from_store(s);
	assert_non_null(ix);
	(void)skipped;
	{
		struct store_stmt *st = store_prepare(
		        store_reader(s), "SELECT count(*) FROM grids WHERE status = 'active'");

		assert_int_equal(store_step(st), STORE_ROW);
		assert_int_equal((int64_t)gridindex_size(ix), store_col_int64(st, 0));
		store_reset(st);
	}
	gridindex_unref(ix);
}

static void test_tiling_test_scale(void **state)
{
	struct fx *f = *state;
	struct store *s = open_db(f);
	struct demo_summary sum;
	char err[256];

	assert_int_equal(build(s, DEMO_TEST, 3, &sum, err, sizeof err), 0);
	check_tiling(s, DEMO_TEST);
}

static int64_t scalar(struct store *s, const char *sql)
{
	struct store_stmt *st = store_prepare(store_reader(s), sql);
	int64_t v;

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	v = store_col_int64(st, 0);
	store_reset(st);
	return v;
}

/* The regions at `level` under the region whose code starts with prefix cover it without gap or
   overlap (below 1 m² each way). */
static void assert_children_tile(struct store *s, const char *prefix, int level)
{
	struct store_stmt *st =
	        store_prepare(store_reader(s), "SELECT code, boundary, level FROM "
	                                       "regions WHERE code LIKE ? || '%' "
	                                       "AND level IN (?, ?) ORDER BY level");
	struct geo_shape *parent = NULL, *kids[512], *u;
	char msg[GEO_MSG_MAX];
	size_t n = 0;
	double sum = 0;

	store_bind_text(st, 1, prefix, -1);
	store_bind_int64(st, 2, level - 1);
	store_bind_int64(st, 3, level);
	while (store_step(st) == STORE_ROW) {
		struct geo_shape *g = geo_shape_from_text(store_col_text(st, 1), msg, sizeof msg);

		assert_non_null(g);
		if (store_col_int64(st, 2) == level - 1) {
			assert_null(parent);
			parent = g;
		} else {
			assert_true(n < 512);
			sum += geo_shape_area_m2(g);
			kids[n++] = g;
		}
	}
	store_reset(st);
	assert_non_null(parent);
	assert_true(n > 0);
	u = geo_shape_union(kids, n);
	assert_non_null(u);
	assert_true(geo_shape_difference_m2(parent, u) < 1.0);
	assert_true(geo_shape_difference_m2(u, parent) < 1.0);
	/* No overlaps: the areas add up (to 0.1%; each is projected at its own latitude). */
	assert_true(sum < geo_shape_area_m2(parent) * 1.001);
	geo_shape_free(u);
	geo_shape_free(parent);
	for (size_t i = 0; i < n; i++)
		geo_shape_free(kids[i]);
}

static void test_tiling_city_scale(void **state)
{
	struct fx *f = *state;
	struct store *s = open_db(f);
	struct demo_summary sum;
	char err[256];

	assert_int_equal(build(s, DEMO_CITY, 1, &sum, err, sizeof err), 0);
	print_message("city: %d grids (%d dedicated), %d townships, %lld residents, %lld ms\n",
	              sum.grids, sum.dedicated, sum.townships, (long long)sum.residents,
	              (long long)sum.build_ms);
	assert_true(sum.grids >= 5000 && sum.grids <= 7000);
	assert_true(sum.residents > 5000000 && sum.residents < 6500000);
	/* The whole real tree: 8 county-level units, 136 townships, 2,408 villages and
	   communities (244 居委会, 2,164 村委会), each village with at least one grid. */
	assert_int_equal(sum.counties, 8);
	assert_int_equal(sum.townships, 136);
	assert_int_equal(sum.communities, 244);
	assert_int_equal(sum.villages, 2164);
	assert_int_equal(scalar(s, "SELECT count(*) FROM regions"), 1 + 8 + 136 + 2408);
	assert_int_equal(scalar(s, "SELECT count(*) FROM regions r WHERE level = 5 AND NOT EXISTS "
	                           "(SELECT 1 FROM grids g WHERE g.community_code = r.code)"),
	                 0);
	assert_int_equal(
	        scalar(s, "SELECT count(*) FROM regions WHERE (code = '371502000000' AND "
	                  "name = '东昌府区') OR (code = '371581000000' AND name = '临清市')"),
	        2);
	check_tiling(s, DEMO_CITY);
	/* Every county is tiled by its townships; the townships of 东昌府区 by their villages. */
	for (int k = 0; k < 8; k++) {
		static const char *const county[8] = { "371502", "371503", "371521", "371522",
			                               "371524", "371525", "371526", "371581" };

		assert_children_tile(s, county[k], 4);
	}
	{
		struct store_stmt *st = store_prepare(
		        store_reader(s), "SELECT code FROM regions WHERE level = 4 AND "
		                         "parent_code = '371502000000' ORDER BY code");
		char codes[64][13];
		int n = 0;

		while (n < 64 && store_step(st) == STORE_ROW)
			snprintf(codes[n++], 13, "%s", store_col_text(st, 0));
		store_reset(st);
		assert_int_equal(n, 24);
		for (int k = 0; k < n; k++) {
			codes[k][9] = '\0';
			assert_children_tile(s, codes[k], 5);
		}
	}
}

static void test_short_name(void **state)
{
	static const char *const cases[][2] = {
		{ "古城社区居委会", "古城社区" }, { "温泉社区居民委员会", "温泉社区" },
		{ "张庄村委会", "张庄村" },       { "王村村委会", "王村" },
		{ "临卫村村民委员会", "临卫村" }, { "东升社区村委会", "东升社区" },
		{ "大学城新村", "大学城新村" },   { "复兴社区", "复兴社区" },
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		demo_short_name(cases[i][0], out, sizeof out);
		assert_string_equal(out, cases[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counties_and_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiling_test_scale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiling_city_scale, setup, teardown),
		cmocka_unit_test(test_short_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
