/*
 * Unit tests for domain/demo: the real county codes and names, codes in the right ranges, every
 * grid code valid under the rule, determinism for a seed (same seed, same city; another seed,
 * other grids), a second run adds nothing, the build is one demo.build audit record, and the
 * grids tile every community with no gap, no overlap and nothing outside — at test scale and at
 * city scale.
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
	int i = 0, n = 0;

	(void)state;
	assert_int_equal(build(s, DEMO_TEST, 1, &sum, err, sizeof err), 0);
	assert_int_equal(sum.counties, 8);
	assert_true(sum.grids >= 24 && sum.grids <= 60);
	assert_true(sum.dedicated >= 1);
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
	{ char *dbg = json_dumps(json_object_get(ch, "findings"), JSON_COMPACT); if (getenv("DBG")) fprintf(stderr, "%.3000s\n", dbg); free(dbg); }
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
	check_tiling(s, DEMO_CITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counties_and_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiling_test_scale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiling_city_scale, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
