/*
 * The matters read bench: on a database made by `wangge demo --scale city --matters N`, the cost
 * of what a command center reads all day, through the same domain functions the API calls:
 *   - the queue: the first page of 20 open matters of a township center, the first page of all
 *     its matters, and a page deep in the county's queue (after following 50 cursors);
 *   - the counters of a county (matter_counts: the dashboard's numbers, kept in the write path);
 *   - the whole command center dashboard of the county and of the city (matter_dashboard: state,
 *     colour, today by source and category, this week per day, per-organisation yellow/red and
 *     按期结案率, open matters per grid), against the same numbers by GROUP BY queries;
 * against the same numbers computed by a GROUP BY over the matters table (the baseline), in the
 * same run. Prints p50/p99 and the ratio; asserts nothing.
 *
 * usage: bench_matters --db PATH [--iterations K]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/access.h"
#include "domain/dom.h"
#include "domain/matter.h"
#include "store/store.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, int64_t *us, int n, double *p50_out)
{
	qsort(us, (size_t)n, sizeof *us, cmp_i64);
	double p50 = us[n / 2] / 1000.0, p99 = us[(n * 99) / 100] / 1000.0;

	printf("%-44s %8d %10.3f %10.3f %10.3f\n", what, n, p50, p99, us[n - 1] / 1000.0);
	if (p50_out)
		*p50_out = p50;
}

/* A center principal of region code (a township or county), scoped like a logged-in operator. */
static void center(struct principal *p, struct store_conn *c, const char *code)
{
	struct store_stmt *st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");

	memset(p, 0, sizeof *p);
	p->user_id = 1;
	p->org_kind = ORG_CENTER;
	dom_copy(p->username, sizeof p->username, "bench");
	dom_copy(p->region_code, sizeof p->region_code, code);
	store_bind_text(st, 1, code, -1);
	if (store_step(st) == STORE_ROW)
		dom_copy(p->region_path, sizeof p->region_path, store_col_text(st, 0));
	store_reset(st);
}

int main(int argc, char **argv)
{
	const char *db = NULL;
	int iterations = 2000;
	struct store_options so;
	struct store *s = NULL;
	struct store_conn *c;
	struct store_stmt *st;
	struct principal township, county;
	struct dom_ctx x;
	char err[256], township_code[13] = "", county_code[13] = "", cursor[DOM_CURSOR_MAX] = "";
	int64_t total = 0, *us;
	double counts_p50 = 0, group_p50 = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
			iterations = (int)strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: bench_matters --db PATH [--iterations K]\n");
			return 2;
		}
	}
	if (!db || iterations < 10) {
		fprintf(stderr, "usage: bench_matters --db PATH [--iterations K]\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	store_options_default(&so, db);
	so.readonly = 1;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_matters: %s\n", err);
		return 1;
	}
	c = store_reader(s);
	/* The township and county of the newest matter: a busy place of an ordinary size. */
	st = store_prepare(c,
	                   "SELECT township_code, county_code, (SELECT max(id) FROM matters) FROM "
	                   "matters WHERE id = (SELECT max(id) FROM matters)");
	if (!st || store_step(st) != STORE_ROW) {
		fprintf(stderr, "bench_matters: no matters in %s (wangge demo --matters N)\n", db);
		store_close(s);
		return 1;
	}
	dom_copy(township_code, sizeof township_code, store_col_text(st, 0));
	dom_copy(county_code, sizeof county_code, store_col_text(st, 1));
	total = store_col_int64(st, 2);
	store_reset(st);
	center(&township, c, township_code);
	center(&county, c, county_code);
	dom_ctx_cli(&x, s, NULL, NULL);
	us = calloc((size_t)iterations, sizeof *us);
	if (!us)
		return 1;
	printf("matters read bench: %lld matters; township %s, county %s; %d iterations each\n",
	       (long long)total, township_code, county_code, iterations);
	printf("%-44s %8s %10s %10s %10s\n", "read", "runs", "p50 (ms)", "p99 (ms)", "max (ms)");

	/* Queue pages. */
	{
		struct matter_filter open = { .state = "open" }, any = { 0 };
		struct dom_page pg = { .limit = 20 };
		struct dom_err e = { 0 };

		x.caller = &township;
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < iterations; i++) {
				int64_t t0 = clock_mono_us();
				json_t *page = matter_list(&x, pass ? &any : &open, &pg, &e);

				us[i] = clock_mono_us() - t0;
				if (!page) {
					fprintf(stderr, "bench_matters: %s\n", e.message);
					return 1;
				}
				json_decref(page);
			}
			report(pass ? "queue: township, all, first page of 20"
			            : "queue: township, open, first page of 20",
			       us, iterations, NULL);
		}
		/* A page deep in the county's queue: 50 cursors in. */
		x.caller = &county;
		for (int k = 0; k < 50; k++) {
			json_t *page = matter_list(&x, &any, &pg, &e);
			const char *next =
			        page ? json_string_value(json_object_get(page, "next_cursor"))
			             : NULL;
			struct dom_page np;

			if (!next) {
				json_decref(page);
				break;
			}
			dom_copy(cursor, sizeof cursor, next);
			json_decref(page);
			if (dom_page_parse(&np, "20", cursor, &e) < 0)
				break;
			pg = np;
		}
		for (int i = 0; i < iterations; i++) {
			int64_t t0 = clock_mono_us();
			json_t *page = matter_list(&x, &any, &pg, &e);

			us[i] = clock_mono_us() - t0;
			json_decref(page);
		}
		report("queue: county, all, page 51 of 20", us, iterations, NULL);
	}
	/* Counters against a GROUP BY. */
	{
		struct dom_err e = { 0 };
		int runs = iterations / 100 > 5 ? iterations / 100 : 5;

		x.caller = &county;
		for (int i = 0; i < iterations; i++) {
			int64_t t0 = clock_mono_us();
			json_t *o = matter_counts(&x, county_code, &e);

			us[i] = clock_mono_us() - t0;
			if (!o) {
				fprintf(stderr, "bench_matters: %s\n", e.message);
				return 1;
			}
			json_decref(o);
		}
		report("counters of the county (matter_counts)", us, iterations, &counts_p50);
		st = store_prepare(c, "SELECT state, category, alert, count(*) FROM matters WHERE "
		                      "county_code = ? GROUP BY 1, 2, 3");
		for (int i = 0; st && i < runs; i++) {
			int64_t t0 = clock_mono_us();

			store_bind_text(st, 1, county_code, -1);
			while (store_step(st) == STORE_ROW)
				;
			store_reset(st);
			us[i] = clock_mono_us() - t0;
		}
		report("the same by GROUP BY over matters (baseline)", us, runs, &group_p50);
		printf("ratio GROUP BY / counters (p50): %.0fx\n",
		       counts_p50 > 0 ? group_p50 / counts_p50 : 0);
	}
	/* The dashboard of the county and of the city against its numbers by GROUP BY. */
	{
		struct principal city;
		char city_code[13] = "";
		struct dom_err e = { 0 };
		int runs = iterations / 100 > 5 ? iterations / 100 : 5;

		st = store_prepare(c, "SELECT parent_code FROM regions WHERE code = ?");
		store_bind_text(st, 1, county_code, -1);
		if (store_step(st) == STORE_ROW)
			dom_copy(city_code, sizeof city_code, store_col_text(st, 0));
		store_reset(st);
		center(&city, c, city_code);
		for (int level = 0; level < 2; level++) {
			const char *code = level ? city_code : county_code;
			const char *col = level ? "city_code" : "county_code";
			double dash_p50 = 0, base_p50 = 0;
			char q[7][1024];

			x.caller = level ? &city : &county;
			for (int i = 0; i < iterations; i++) {
				int64_t t0 = clock_mono_us();
				json_t *o = matter_dashboard(&x, code, &e);

				us[i] = clock_mono_us() - t0;
				if (!o) {
					fprintf(stderr, "bench_matters: %s\n", e.message);
					return 1;
				}
				json_decref(o);
			}
			report(level ? "dashboard of the city (matter_dashboard)"
			             : "dashboard of the county (matter_dashboard)",
			       us, iterations, &dash_p50);
			/* The same numbers counted from the matters (as
			   tests/api/dashboard.test.mjs does): ?1 region code, ?3 the start of
			   today, ?4 six days before (the week's cost). */
#define OPEN_STATES "('reported', 'accepted', 'in_progress', 'done', 'verified', 'reviewing')"
#define LOCAL_DAY "strftime('%%Y-%%m-%%d', created_at + 28800, 'unixepoch')"
			snprintf(q[0], sizeof q[0],
			         "SELECT state, category, alert, count(*) FROM matters WHERE %s = "
			         "?1 "
			         "GROUP BY 1, 2, 3",
			         col);
			snprintf(q[1], sizeof q[1],
			         "SELECT source, category, count(*) FROM matters WHERE %s = ?1 AND "
			         "created_at >= ?3 GROUP BY 1, 2",
			         col);
			snprintf(q[2], sizeof q[2],
			         "SELECT " LOCAL_DAY ", count(*) FROM matters WHERE %s = ?1 AND "
			         "created_at >= ?4 GROUP BY 1",
			         col);
			snprintf(q[3], sizeof q[3],
			         "SELECT owner_org_id, alert, count(*) FROM matters WHERE %s = ?1 "
			         "AND "
			         "alert > 0 AND state IN " OPEN_STATES " GROUP BY 1, 2",
			         col);
			snprintf(
			        q[4], sizeof q[4],
			        "SELECT a.org_id, a.alert, count(*) FROM matter_assignments a JOIN "
			        "matters m ON m.id = a.matter_id WHERE m.%s = ?1 AND a.alert > 0 "
			        "AND "
			        "a.status IN ('pending', 'signed') AND m.state IN " OPEN_STATES
			        " GROUP BY 1, 2",
			        col);
			snprintf(q[5], sizeof q[5],
			         "SELECT e.actor_org_id, count(*), sum(m.ever_red = 0) FROM "
			         "matter_events "
			         "e JOIN matters m ON m.id = e.matter_id WHERE m.%s = ?1 AND "
			         "e.action = "
			         "'close' GROUP BY 1",
			         col);
			snprintf(q[6], sizeof q[6],
			         "SELECT grid_id, count(*) FROM matters WHERE %s = ?1 AND state IN "
			         "" OPEN_STATES " GROUP BY 1",
			         col);
#undef OPEN_STATES
#undef LOCAL_DAY
			for (int i = 0; i < runs; i++) {
				int64_t t0 = clock_mono_us(), now = clock_now();
				int64_t day0 = (now + 28800) / 86400 * 86400 - 28800;

				for (int k = 0; k < 7; k++) {
					struct store_stmt *g = store_prepare(c, q[k]);

					if (!g) {
						fprintf(stderr,
						        "bench_matters: baseline query %d\n", k);
						return 1;
					}
					store_bind_text(g, 1, code, -1);
					if (k == 1)
						store_bind_int64(g, 3, day0);
					if (k == 2)
						store_bind_int64(g, 4, day0 - 6 * 86400);
					while (store_step(g) == STORE_ROW)
						;
					store_reset(g);
				}
				us[i] = clock_mono_us() - t0;
			}
			report(level ? "the city's numbers by GROUP BY (baseline)"
			             : "the county's numbers by GROUP BY (baseline)",
			       us, runs, &base_p50);
			printf("ratio GROUP BY / dashboard (p50): %.0fx\n",
			       dash_p50 > 0 ? base_p50 / dash_p50 : 0);
		}
	}
	free(us);
	store_close(s);
	return 0;
}
