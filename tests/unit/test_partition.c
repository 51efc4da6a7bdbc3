/*
 * Unit tests for geo/partition.c: spread-out seed points stay inside their shape (and inside the
 * window when one is given) and are deterministic; geo_shape_partition covers the area without
 * gap or overlap, each part holds its seed, pieces cut off by a concave outline join a
 * neighbour (every part one polygon), one seed gives the area itself, coinciding seeds are
 * refused; and the same on the real outline of 莘县 from data/liaocheng/ (with a hole).
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo/geom.h"

struct lcg {
	uint64_t s;
};

static double uniform(void *arg)
{
	struct lcg *r = arg;

	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(r->s >> 11) * 0x1.0p-53;
}

static struct geo_shape *shape(const char *geojson)
{
	char msg[GEO_MSG_MAX] = "";
	struct geo_shape *s = geo_shape_from_text(geojson, msg, sizeof msg);

	if (!s)
		fail_msg("bad test shape: %s", msg);
	return s;
}

static struct geo_shape *point_shape(double x, double y)
{
	char t[256];
	double d = 1e-9;

	/* A tiny square around the point: "does the part hold it" as an intersection test. */
	snprintf(
	        t, sizeof t,
	        "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],"
	        "[%.12f,%.12f],[%.12f,%.12f]]]}",
	        x - d, y - d, x + d, y - d, x + d, y + d, x - d, y + d, x - d, y - d);
	return shape(t);
}

/* The parts tile area: no overlap between two parts, nothing of area left out, nothing of the
   parts outside area (all below 1 m², the grid checks' noise threshold), each part holds its
   seed. */
static void assert_tiles(const struct geo_shape *area, struct geo_shape **parts, const double *xy,
                         size_t n)
{
	struct geo_shape *u = geo_shape_union(parts, n);
	double total = 0;

	assert_non_null(u);
	for (size_t i = 0; i < n; i++) {
		struct geo_shape *p = point_shape(xy[2 * i], xy[2 * i + 1]);

		assert_non_null(parts[i]);
		assert_true(geo_shape_area_m2(parts[i]) > 0);
		assert_int_equal(geo_shape_intersects(parts[i], p), 1);
		geo_shape_free(p);
		total += geo_shape_area_m2(parts[i]);
		for (size_t j = i + 1; j < n; j++)
			assert_true(geo_shape_intersection_m2(parts[i], parts[j]) < 1.0);
	}
	assert_true(geo_shape_difference_m2(area, u) < 1.0);
	assert_true(geo_shape_difference_m2(u, area) < 1.0);
	/* The areas add up (overlaps would make the sum larger); relative, since each area is
	   projected at its own latitude. */
	assert_true(fabs(total - geo_shape_area_m2(area)) < 1e-3 * geo_shape_area_m2(area));
	geo_shape_free(u);
}

static void free_parts(struct geo_shape **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		geo_shape_free(parts[i]);
}

static const char *const SQUARE =
        "{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,36],[116.1,36.1],[116,36.1],"
        "[116,36]]]}";

static void test_spread_points(void **state)
{
	struct geo_shape *sq = shape(SQUARE), *pt;
	struct lcg r1 = { 42 }, r2 = { 42 };
	double a[40], b[40], win[4] = { 116.0, 36.0, 116.02, 36.02 };

	(void)state;
	assert_int_equal(geo_shape_spread_points(sq, a, 0, 20, 8, NULL, uniform, &r1), 0);
	assert_int_equal(geo_shape_spread_points(sq, b, 0, 20, 8, NULL, uniform, &r2), 0);
	assert_memory_equal(a, b, sizeof a);
	for (int i = 0; i < 20; i++) {
		pt = point_shape(a[2 * i], a[2 * i + 1]);
		assert_true(geo_shape_difference_m2(pt, sq) < 1e-6);
		geo_shape_free(pt);
		/* Spread: no two closer than a few hundred metres (0.1° square, 20 points). */
		for (int j = 0; j < i; j++) {
			double dx = a[2 * i] - a[2 * j], dy = a[2 * i + 1] - a[2 * j + 1];

			assert_true(dx * dx + dy * dy > 0.005 * 0.005);
		}
	}
	/* In the window; the points before `from` stay. */
	memcpy(b, a, sizeof b);
	assert_int_equal(geo_shape_spread_points(sq, b, 5, 10, 4, win, uniform, &r1), 0);
	assert_memory_equal(a, b, 10 * sizeof(double));
	for (int i = 5; i < 10; i++) {
		assert_true(b[2 * i] >= 116.0 && b[2 * i] <= 116.02);
		assert_true(b[2 * i + 1] >= 36.0 && b[2 * i + 1] <= 36.02);
	}
	geo_shape_free(sq);
}

static void test_partition_square(void **state)
{
	struct geo_shape *sq = shape(SQUARE), *parts[12] = { 0 }, *one[1] = { 0 };
	struct lcg r = { 7 };
	double xy[24], twice[4] = { 116.05, 36.05, 116.05, 36.05 };

	(void)state;
	assert_int_equal(geo_shape_spread_points(sq, xy, 0, 12, 6, NULL, uniform, &r), 0);
	assert_int_equal(geo_shape_partition(sq, xy, 12, parts), 0);
	assert_tiles(sq, parts, xy, 12);
	for (int i = 0; i < 12; i++)
		assert_true(geo_shape_is_polygon(parts[i]));
	free_parts(parts, 12);
	/* One seed: the area itself. */
	assert_int_equal(geo_shape_partition(sq, xy, 1, one), 0);
	assert_true(geo_shape_difference_m2(sq, one[0]) < 1e-6);
	assert_true(geo_shape_difference_m2(one[0], sq) < 1e-6);
	geo_shape_free(one[0]);
	/* Two seeds in the same place cannot make two parts. */
	assert_int_equal(geo_shape_partition(sq, twice, 2, parts), -1);
	assert_null(parts[0]);
	assert_null(parts[1]);
	geo_shape_free(sq);
}

/* A U: the cell of a seed in the left arm reaches across the notch into the right arm; that
   piece must go to a part of the right arm, so every part stays one polygon. */
static void test_partition_concave(void **state)
{
	struct geo_shape *u = shape("{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,36],"
	                            "[116.1,36.1],[116.06,36.1],[116.06,36.01],[116.04,36.01],"
	                            "[116.04,36.1],[116,36.1],[116,36]]]}");
	struct geo_shape *parts[4] = { 0 };
	/* Left arm high up, bottom bar, right arm high up, and one low in the left arm. */
	double xy[8] = { 116.02, 36.09, 116.05, 36.005, 116.08, 36.02, 116.01, 36.02 };

	(void)state;
	assert_int_equal(geo_shape_partition(u, xy, 4, parts), 0);
	assert_tiles(u, parts, xy, 4);
	for (int i = 0; i < 4; i++)
		assert_true(geo_shape_is_polygon(parts[i]));
	free_parts(parts, 4);
	geo_shape_free(u);
}

/* The real outline of 莘县 (a polygon with a hole) cut into 24 parts, as the demo does. */
static void test_partition_real_county(void **state)
{
	const char *src = getenv("WANGGE_SOURCE_DIR");
	char path[1024];
	json_error_t je;
	json_t *fc, *geom = NULL;
	struct geo_shape *county, *parts[24] = { 0 };
	char msg[GEO_MSG_MAX];
	struct lcg r = { 3 };
	double xy[48];
	size_t i;
	json_t *f;

	(void)state;
	snprintf(path, sizeof path, "%s/data/liaocheng/counties.geojson", src ? src : ".");
	fc = json_load_file(path, 0, &je);
	assert_non_null(fc);
	json_array_foreach(json_object_get(fc, "features"), i, f)
	{
		if (strcmp(json_string_value(
		                   json_object_get(json_object_get(f, "properties"), "name")),
		           "莘县") == 0)
			geom = json_object_get(f, "geometry");
	}
	assert_non_null(geom);
	/* One outline with a hole (an enclave): parts must leave the hole out. */
	assert_string_equal(json_string_value(json_object_get(geom, "type")), "Polygon");
	assert_int_equal(json_array_size(json_object_get(geom, "coordinates")), 2);
	county = geo_shape_from_json(geom, NULL, msg, sizeof msg);
	assert_non_null(county);
	assert_int_equal(geo_shape_spread_points(county, xy, 0, 24, 8, NULL, uniform, &r), 0);
	assert_int_equal(geo_shape_partition(county, xy, 24, parts), 0);
	assert_tiles(county, parts, xy, 24);
	free_parts(parts, 24);
	geo_shape_free(county);
	json_decref(fc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_points),
		cmocka_unit_test(test_partition_square),
		cmocka_unit_test(test_partition_concave),
		cmocka_unit_test(test_partition_real_county),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
