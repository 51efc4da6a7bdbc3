/*
 * Unit tests for geo/gridindex (and geo/geom): a handmade 2×2 tiling of squares near Liaocheng,
 * points inside, outside, on shared edges and on the shared vertex; the tie-break must give the
 * lowest code whatever the insertion order; concurrent queries from several threads must agree
 * with single-threaded answers; a published index stays valid for readers holding it; and the
 * index builds from a store holding the test-scale demo city.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "domain/demo.h"
#include "domain/dom.h"
#include "geo/geom.h"
#include "geo/gridindex.h"
#include "store/store.h"

/* Squares of 0.1° with the south-west corner at (116.0, 36.0):
 *   003 | 004      north
 *   001 | 002      south                                                                     */
static char *square(double x0, double y0)
{
	char *s = malloc(256);

	snprintf(s, 256,
	         "{\"type\":\"Polygon\",\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],"
	         "[%.1f,%.1f],[%.1f,%.1f]]]}",
	         x0, y0, x0 + 0.1, y0, x0 + 0.1, y0 + 0.1, x0, y0 + 0.1, x0, y0);
	return s;
}

static const char *const codes[4] = { "371502001001001", "371502001001002", "371502001001003",
	                              "371502001001004" };
static char *bounds[4];

static void make_items(struct gridindex_item *items, const int *order)
{
	for (int k = 0; k < 4; k++) {
		int i = order[k];

		items[k] = (struct gridindex_item){ .id = i + 1,
			                            .code = codes[i],
			                            .name = codes[i] + 12,
			                            .kind = 1,
			                            .community_code = "371502001001",
			                            .community_name = "测试社区",
			                            .path = "371500000000/",
			                            .boundary = bounds[i] };
	}
}

static int group_setup(void **state)
{
	(void)state;
	bounds[0] = square(116.0, 36.0);
	bounds[1] = square(116.1, 36.0);
	bounds[2] = square(116.0, 36.1);
	bounds[3] = square(116.1, 36.1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		free(bounds[i]);
	return 0;
}

static const char *locate(const struct gridindex *ix, double x, double y)
{
	struct gridindex_hit hit;
	int rc = gridindex_locate(ix, x, y, &hit);

	assert_true(rc >= 0);
	return rc ? hit.code : NULL;
}

static void test_inside_outside(void **state)
{
	static const int order[4] = { 0, 1, 2, 3 };
	struct gridindex_item items[4];
	struct gridindex *ix;
	size_t skipped = 9;

	(void)state;
	make_items(items, order);
	ix = gridindex_build(items, 4, &skipped);
	assert_non_null(ix);
	assert_int_equal(skipped, 0);
	assert_int_equal(gridindex_size(ix), 4);
	assert_string_equal(locate(ix, 116.05, 36.05), codes[0]);
	assert_string_equal(locate(ix, 116.15, 36.05), codes[1]);
	assert_string_equal(locate(ix, 116.05, 36.15), codes[2]);
	assert_string_equal(locate(ix, 116.15, 36.15), codes[3]);
	assert_null(locate(ix, 115.95, 36.05));
	assert_null(locate(ix, 116.25, 36.25));
	assert_null(locate(ix, 116.1, 36.2000001));
	/* The outer boundary counts as inside (covers). */
	assert_string_equal(locate(ix, 116.0, 36.05), codes[0]);
	gridindex_unref(ix);
}

static void test_shared_edges_are_deterministic(void **state)
{
	static const int orders[4][4] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 }
	};

	(void)state;
	for (int o = 0; o < 4; o++) {
		struct gridindex_item items[4];
		struct gridindex *ix;

		make_items(items, orders[o]);
		ix = gridindex_build(items, 4, NULL);
		assert_non_null(ix);
		for (int rep = 0; rep < 50; rep++) {
			/* Edge 001|002, edge 001/003, the vertex shared by all four: lowest code.
			 */
			assert_string_equal(locate(ix, 116.1, 36.05), codes[0]);
			assert_string_equal(locate(ix, 116.05, 36.1), codes[0]);
			assert_string_equal(locate(ix, 116.1, 36.1), codes[0]);
			/* Edge 003|004 and edge 002/004. */
			assert_string_equal(locate(ix, 116.1, 36.15), codes[2]);
			assert_string_equal(locate(ix, 116.15, 36.1), codes[1]);
		}
		gridindex_unref(ix);
	}
}

static void test_bad_boundary_skipped(void **state)
{
	struct gridindex_item items[2] = {
		{ .id = 1,
		  .code = codes[0],
		  .name = "a",
		  .kind = 1,
		  .community_code = "x",
		  .community_name = "x",
		  .path = "p/",
		  .boundary = bounds[0] },
		{ .id = 2,
		  .code = codes[1],
		  .name = "b",
		  .kind = 1,
		  .community_code = "x",
		  .community_name = "x",
		  .path = "p/",
		  .boundary = "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[117,37],[117,36],"
		              "[116,37],[116,36]]]}" },
	};
	size_t skipped = 0;
	struct gridindex *ix;

	(void)state;
	ix = gridindex_build(items, 2, &skipped);
	assert_non_null(ix);
	assert_int_equal(skipped, 1);
	assert_int_equal(gridindex_size(ix), 1);
	gridindex_unref(ix);
}

/* ---- threads ---- */

#define NPOINTS 4000
#define NTHREADS 4

struct job {
	const struct gridindex *ix;
	const double *xs, *ys;
	const char *const *expect;
	int mismatches;
};

static void *worker(void *arg)
{
	struct job *j = arg;

	for (int rep = 0; rep < 5; rep++)
		for (int i = 0; i < NPOINTS; i++) {
			struct gridindex_hit hit;
			int rc = gridindex_locate(j->ix, j->xs[i], j->ys[i], &hit);
			const char *got = rc == 1 ? hit.code : NULL;

			if (rc < 0 || (got == NULL) != (j->expect[i] == NULL) ||
			    (got && strcmp(got, j->expect[i]) != 0))
				j->mismatches++;
		}
	return NULL;
}

static void test_concurrent_queries(void **state)
{
	static const int order[4] = { 2, 0, 3, 1 };
	struct gridindex_item items[4];
	double *xs = malloc(NPOINTS * sizeof *xs), *ys = malloc(NPOINTS * sizeof *ys);
	const char **expect = malloc(NPOINTS * sizeof *expect);
	pthread_t th[NTHREADS];
	struct job jobs[NTHREADS];
	struct gridindex *ix;
	uint64_t seed = 42;

	(void)state;
	make_items(items, order);
	ix = gridindex_build(items, 4, NULL);
	assert_non_null(ix);
	for (int i = 0; i < NPOINTS; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		xs[i] = 115.98 + (double)(seed >> 11) * 0x1.0p-53 * 0.24;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		ys[i] = 35.98 + (double)(seed >> 11) * 0x1.0p-53 * 0.24;
		if (i % 10 == 0)
			xs[i] = 116.1; /* on the shared edge */
		expect[i] = locate(ix, xs[i], ys[i]);
	}
	for (int t = 0; t < NTHREADS; t++) {
		jobs[t] = (struct job){ ix, xs, ys, expect, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(jobs[t].mismatches, 0);
	}
	gridindex_unref(ix);
	free(xs);
	free(ys);
	free(expect);
}

static void test_holder_swap(void **state)
{
	static const int order[4] = { 0, 1, 2, 3 };
	struct gridindex_item items[4];
	struct gridindex_holder *h = gridindex_holder_new();
	struct gridindex *a, *b, *held;

	(void)state;
	assert_non_null(h);
	assert_null(gridindex_acquire(h));
	make_items(items, order);
	a = gridindex_build(items, 4, NULL);
	gridindex_publish(h, a);
	held = gridindex_acquire(h);
	assert_ptr_equal(held, a);
	/* A new index with only the first two squares replaces it... */
	b = gridindex_build(items, 2, NULL);
	gridindex_publish(h, b);
	/* ...while the reader still uses the old one safely. */
	assert_string_equal(locate(held, 116.15, 36.15), codes[3]);
	gridindex_unref(held);
	held = gridindex_acquire(h);
	assert_ptr_equal(held, b);
	assert_null(locate(held, 116.15, 36.15));
	gridindex_unref(held);
	gridindex_holder_free(h);
}

static void test_build_from_demo_store(void **state)
{
	char dir[] = "/tmp/wangge-gridindex-XXXXXX", db[128], cmd[256], err[256];
	struct store_options o;
	struct store *s = NULL;
	struct demo_summary sum;
	struct gridindex_holder *h;
	struct gridindex *ix;
	struct gridindex_hit hit;
	static const unsigned char key[32] = { 9 };
	struct dom_ctx x;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/t.db", dir);
	store_options_default(&o, db);
	assert_int_equal(store_open(&o, &s, err, sizeof err), 0);
	dom_ctx_cli(&x, s, key, NULL);
	assert_int_equal(demo_city_build(&x, DEMO_TEST, 1, &sum, err, sizeof err), 0);
	h = gridindex_holder_new();
	assert_int_equal(gridindex_rebuild(h, s), 0);
	ix = gridindex_acquire(h);
	assert_int_equal(gridindex_size(ix), (size_t)sum.grids);
	/* A point inside the first grid of 古城社区 (东昌府区) is found in it. */
	{
		struct store_stmt *st =
		        store_prepare(store_reader(s), "SELECT boundary FROM grids "
		                                       "WHERE code = '371502001001001'");
		struct geo_shape *g;
		char msg[GEO_MSG_MAX];
		double px, py;

		assert_int_equal(store_step(st), STORE_ROW);
		g = geo_shape_from_text(store_col_text(st, 0), msg, sizeof msg);
		store_reset(st);
		assert_non_null(g);
		assert_int_equal(geo_shape_inner_point(g, &px, &py), 0);
		geo_shape_free(g);
		assert_int_equal(gridindex_locate(ix, px, py, &hit), 1);
		assert_string_equal(hit.code, "371502001001001");
	}
	assert_int_equal(gridindex_locate(ix, 100.0, 30.0, &hit), 0);
	gridindex_unref(ix);
	gridindex_holder_free(h);
	store_close(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_geom_messages(void **state)
{
	char msg[GEO_MSG_MAX];
	static const struct {
		const char *json, *needle;
	} bad[] = {
		{ "{\"type\":\"Point\",\"coordinates\":[116,36]}", "Polygon" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,37],[116.1,36],[116,37],"
		  "[116,36]]]}",
		  "自相交" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,36],[116,36],[116,36]]]"
		  "}",
		  "边界无效" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[[[16,36],[16.1,36],[16.1,36.1],[16,36]]]"
		  "}",
		  "超出范围" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,36],[116.1,36.1],[116,"
		  "36.1]"
		  "]]}",
		  "未闭合" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,\"x\"],[116.1,36.1],"
		  "[116,36]]]}",
		  "数字" },
		{ "{\"type\":\"Polygon\",\"coordinates\":[]}", "坐标" },
		{ "[1,2]", "GeoJSON" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct geo_shape *g = geo_shape_from_text(bad[i].json, msg, sizeof msg);

		if (g || !strstr(msg, bad[i].needle))
			print_message("case %zu: %s -> %s\n", i, bad[i].json, msg);
		assert_null(g);
		assert_non_null(strstr(msg, bad[i].needle));
	}
	/* A Feature with a square: valid; its area is about 0.1° × 0.1° at 36°N ≈ 100 km². */
	{
		struct geo_shape *g = geo_shape_from_text("{\"type\":\"Feature\",\"properties\":{},"
		                                          "\"geometry\":{\"type\":\"Polygon\","
		                                          "\"coordinates\":[[[116,36],[116.1,36],["
		                                          "116.1,36.1],[116,36.1],[116,36]]]}}",
		                                          msg, sizeof msg);
		double a;

		assert_non_null(g);
		a = geo_shape_area_m2(g);
		assert_true(a > 99e6 && a < 101e6);
		geo_shape_free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside_outside),
		cmocka_unit_test(test_shared_edges_are_deterministic),
		cmocka_unit_test(test_bad_boundary_skipped),
		cmocka_unit_test(test_concurrent_queries),
		cmocka_unit_test(test_holder_swap),
		cmocka_unit_test(test_build_from_demo_store),
		cmocka_unit_test(test_geom_messages),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
