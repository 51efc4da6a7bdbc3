/*
 * The locate bench: point -> grid lookups per second on the city-scale demo (about 6,000 grids),
 * through gridindex_locate exactly as GET /api/v1/grids/locate uses it (STRtree + prepared
 * geometries, covers + lowest-code tie-break). Points are uniform in the city's bounding box, in
 * random order and then sorted along a Z-order curve (as a bulk import sorted by location would
 * send them); each is run on one thread and on all threads. Figures are printed, not asserted.
 *
 * usage: bench_locate [--dir DIR] [--seconds S] [--threads N] [--points N] [--seed N]
 * The database is created in DIR (default ".") and removed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/demo.h"
#include "domain/dom.h"
#include "geo/gridindex.h"
#include "store/store.h"

struct point {
	double x, y;
	uint64_t z;
};

struct worker {
	pthread_t thread;
	const struct gridindex *ix;
	const struct point *pts;
	size_t npts, start;
	double seconds;
	uint64_t done, hits, errors;
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	int64_t end = clock_mono_us() + (int64_t)(w->seconds * 1e6);
	size_t i = w->start;

	for (;;) {
		for (int k = 0; k < 1024; k++) {
			struct gridindex_hit hit;
			int rc = gridindex_locate(w->ix, w->pts[i].x, w->pts[i].y, &hit);

			w->hits += rc == 1;
			w->errors += rc < 0;
			if (++i == w->npts)
				i = 0;
		}
		w->done += 1024;
		if (clock_mono_us() >= end)
			break;
	}
	return NULL;
}

/* Runs nthreads workers over pts for the given time; prints and returns lookups/s. */
static double measure(const char *label, const struct gridindex *ix, const struct point *pts,
                      size_t n, int nthreads, double seconds)
{
	struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
	uint64_t done = 0, hits = 0, errors = 0;
	int64_t t0 = clock_mono_us(), us;
	double rate;

	for (int t = 0; t < nthreads; t++) {
		ws[t] = (struct worker){ .ix = ix,
			                 .pts = pts,
			                 .npts = n,
			                 .start = (n / (size_t)nthreads) * (size_t)t,
			                 .seconds = seconds };
		pthread_create(&ws[t].thread, NULL, run_worker, &ws[t]);
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(ws[t].thread, NULL);
		done += ws[t].done;
		hits += ws[t].hits;
		errors += ws[t].errors;
	}
	us = clock_mono_us() - t0;
	rate = (double)done / ((double)us / 1e6);
	printf("  %-28s threads=%-3d lookups=%-10llu  %12.0f lookups/s  (%8.0f /s per thread)  "
	       "hit=%.1f%% errors=%llu\n",
	       label, nthreads, (unsigned long long)done, rate, rate / nthreads,
	       100.0 * (double)hits / (double)(done ? done : 1), (unsigned long long)errors);
	free(ws);
	return rate;
}

static uint64_t spread16(uint64_t v)
{
	v &= 0xffff;
	v = (v | (v << 8)) & 0x00ff00ff;
	v = (v | (v << 4)) & 0x0f0f0f0f;
	v = (v | (v << 2)) & 0x33333333;
	v = (v | (v << 1)) & 0x55555555;
	return v;
}

static int by_z(const void *a, const void *b)
{
	uint64_t x = ((const struct point *)a)->z, y = ((const struct point *)b)->z;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *dir = ".";
	double seconds = 2;
	int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	size_t npts = 1000000;
	uint64_t seed = 1, s;
	static const char *const suffixes[] = { "", "-wal", "-shm", ".audit.key",
		                                ".accounts.json" };
	char db[2048], err[256], path[2100];
	struct store_options o;
	struct store *st = NULL;
	static const unsigned char bench_key[32] = { 1 };
	struct dom_ctx x;
	struct demo_summary sum;
	struct gridindex *ix;
	struct point *rnd, *sorted;
	int64_t t0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--points") == 0 && i + 1 < argc)
			npts = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
			        "usage: bench_locate [--dir DIR] [--seconds S] [--threads N] "
			        "[--points N] [--seed N]\n");
			return 2;
		}
	}
	if (threads < 1)
		threads = 1;
	if (npts < 1024)
		npts = 1024;
	log_set_level(LOG_WARN);
	snprintf(db, sizeof db, "%s/bench-locate-%d.db", dir, (int)getpid());
	store_options_default(&o, db);
	if (store_open(&o, &st, err, sizeof err) < 0) {
		fprintf(stderr, "bench_locate: %s\n", err);
		return 1;
	}
	/* A throw-away database: the audit key of the build's record is not kept. */
	dom_ctx_cli(&x, st, bench_key, NULL);
	if (demo_city_build(&x, DEMO_CITY, seed, &sum, err, sizeof err) < 0) {
		fprintf(stderr, "bench_locate: demo: %s\n", err);
		return 1;
	}
	t0 = clock_mono_us();
	ix = gridindex_build_from_store(st);
	if (!ix) {
		fprintf(stderr, "bench_locate: index build failed\n");
		return 1;
	}
	printf("locate bench: demo city (seed %llu): %d grids, built in %lld ms; index of %zu "
	       "grids "
	       "built in %.1f ms (incl. reading and parsing GeoJSON)\n",
	       (unsigned long long)seed, sum.grids, (long long)sum.build_ms, gridindex_size(ix),
	       (double)(clock_mono_us() - t0) / 1000.0);

	rnd = malloc(npts * sizeof *rnd);
	sorted = malloc(npts * sizeof *sorted);
	s = seed * 0x9e3779b97f4a7c15ull + 12345;
	for (size_t i = 0; i < npts; i++) {
		double u, v;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		u = (double)(s >> 11) * 0x1.0p-53;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		v = (double)(s >> 11) * 0x1.0p-53;
		rnd[i].x = DEMO_LNG_MIN + u * (DEMO_LNG_MAX - DEMO_LNG_MIN);
		rnd[i].y = DEMO_LAT_MIN + v * (DEMO_LAT_MAX - DEMO_LAT_MIN);
		rnd[i].z = spread16((uint64_t)(u * 65535.0)) |
		           (spread16((uint64_t)(v * 65535.0)) << 1);
	}
	memcpy(sorted, rnd, npts * sizeof *rnd);
	qsort(sorted, npts, sizeof *sorted, by_z);
	printf("  %zu points uniform in %.2f–%.2f E, %.2f–%.2f N; %.1f s per run\n", npts,
	       DEMO_LNG_MIN, DEMO_LNG_MAX, DEMO_LAT_MIN, DEMO_LAT_MAX, seconds);

	measure("random order", ix, rnd, npts, 1, seconds);
	measure("random order", ix, rnd, npts, threads, seconds);
	measure("spatially sorted (Z-order)", ix, sorted, npts, 1, seconds);
	measure("spatially sorted (Z-order)", ix, sorted, npts, threads, seconds);

	gridindex_unref(ix);
	free(rnd);
	free(sorted);
	store_close(st);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
		(void)unlink(path);
	}
	return 0;
}
