/*
 * The write bench: durable writes per second through store_write, with group commit (max_batch
 * 256: every write waiting when the writer is free goes into one transaction and one fsync) against
 * one transaction and one fsync per write (max_batch 1). N threads each insert probe rows through
 * probe_put, exactly the path the internal write route takes, for a fixed time; every counted write
 * was acknowledged, so it was synced to disk before it was counted.
 *
 * usage: bench_writes [--dir DIR] [--seconds S] [--threads N[,N...]]
 * The database files are created in DIR (default "."), on the disk being measured, and removed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/probe.h"
#include "store/store.h"

#define MAX_LEVELS 8

struct worker {
	pthread_t thread;
	int index;
	int run; /* distinguishes the keys of successive runs */
	struct store *store;
	const atomic_int *stop;
	uint32_t *lat_us; /* latency of each acknowledged write, microseconds */
	size_t n, cap;
	uint64_t failed;
	int oom;
};

struct result {
	double writes_per_s;
	uint64_t writes, commits, failed;
	double p50_ms, p99_ms, max_ms;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char key[PROBE_KEY_MAX + 1];
	uint64_t i = 0;

	while (!atomic_load(w->stop)) {
		int64_t id, t0;

		snprintf(key, sizeof key, "r%d-t%d-%llu", w->run, w->index,
		         (unsigned long long)i++);
		t0 = clock_mono_us();
		if (probe_put(w->store, key, clock_now(), &id) != 0) {
			w->failed++;
			continue;
		}
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 4096;
			uint32_t *p = realloc(w->lat_us, cap * sizeof *p);
			if (!p) {
				w->oom = 1;
				break;
			}
			w->lat_us = p;
			w->cap = cap;
		}
		w->lat_us[w->n++] = (uint32_t)(clock_mono_us() - t0);
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double percentile_ms(const uint32_t *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i] / 1000.0;
}

static void remove_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

/* One measurement: nthreads writers for seconds against a fresh database with max_batch. */
static int run_one(const char *dir, int run, int nthreads, int max_batch, double seconds,
                   struct result *res)
{
	char path[4096], err[512];
	struct store_options o;
	struct store *s = NULL;
	struct worker *w = NULL;
	struct store_stats st;
	atomic_int stop = 0;
	uint32_t *all = NULL;
	size_t total = 0;
	int64_t t0, t1;
	struct timespec ts;
	int started = 0, rc = -1;

	memset(res, 0, sizeof *res);
	snprintf(path, sizeof path, "%s/bench-writes-%d.db", dir, run);
	remove_db(path);
	store_options_default(&o, path);
	o.max_batch = max_batch;
	if (store_open(&o, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_writes: %s\n", err);
		goto out;
	}
	w = calloc((size_t)nthreads, sizeof *w);
	if (!w)
		goto out;
	t0 = clock_mono_us();
	for (; started < nthreads; started++) {
		w[started] =
		        (struct worker){ .index = started, .run = run, .store = s, .stop = &stop };
		if (pthread_create(&w[started].thread, NULL, worker_main, &w[started]) != 0)
			break;
	}
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	atomic_store(&stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	t1 = clock_mono_us();
	store_stats(s, &st);
	if (started < nthreads) {
		fprintf(stderr, "bench_writes: could only start %d threads\n", started);
		goto out;
	}

	for (int i = 0; i < nthreads; i++) {
		if (w[i].oom) {
			fprintf(stderr, "bench_writes: out of memory for latencies\n");
			goto out;
		}
		total += w[i].n;
		res->failed += w[i].failed;
	}
	all = malloc((total ? total : 1) * sizeof *all);
	if (!all)
		goto out;
	total = 0;
	for (int i = 0; i < nthreads; i++) {
		if (w[i].n)
			memcpy(all + total, w[i].lat_us, w[i].n * sizeof *all);
		total += w[i].n;
	}
	qsort(all, total, sizeof *all, cmp_u32);
	res->writes = total;
	res->commits = st.commits;
	res->writes_per_s = (double)total / ((double)(t1 - t0) / 1e6);
	res->p50_ms = percentile_ms(all, total, 0.50);
	res->p99_ms = percentile_ms(all, total, 0.99);
	res->max_ms = total ? all[total - 1] / 1000.0 : 0;
	rc = 0;
out:
	if (w)
		for (int i = 0; i < nthreads; i++)
			free(w[i].lat_us);
	free(w);
	free(all);
	store_close(s);
	remove_db(path);
	return rc;
}

static void usage(void)
{
	fputs("usage: bench_writes [--dir DIR] [--seconds S] [--threads N[,N...]]\n", stderr);
}

static void print_row(int threads, int batch, const struct result *r)
{
	printf("%7d  %9d  %11.0f  %9llu  %7llu  %10.1f  %8.2f  %8.2f  %8.2f\n", threads, batch,
	       r->writes_per_s, (unsigned long long)r->writes, (unsigned long long)r->commits,
	       r->commits ? (double)r->writes / (double)r->commits : 0.0, r->p50_ms, r->p99_ms,
	       r->max_ms);
}

int main(int argc, char **argv)
{
	const char *dir = ".";
	double seconds = 3;
	int levels[MAX_LEVELS] = { 16, 64 }, nlevels = 2;
	struct result group[MAX_LEVELS], single[MAX_LEVELS];
	int run = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!v) {
			usage();
			return 2;
		}
		i++;
		errno = 0;
		if (strcmp(a, "--dir") == 0) {
			dir = v;
		} else if (strcmp(a, "--seconds") == 0) {
			seconds = strtod(v, &end);
			if (errno || *end || !(seconds > 0 && seconds <= 600)) {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--threads") == 0) {
			const char *p = v;
			nlevels = 0;
			while (*p && nlevels < MAX_LEVELS) {
				long n = strtol(p, &end, 10);
				if (errno || end == p || n < 1 || n > 1024 ||
				    (*end && *end != ',')) {
					usage();
					return 2;
				}
				levels[nlevels++] = (int)n;
				p = *end ? end + 1 : end;
			}
			if (nlevels == 0 || *p) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	log_set_level(LOG_WARN);

	printf("durable writes through store_write (probe_put), %.1f s per run, db in %s\n",
	       seconds, dir);
	printf("threads  max_batch     writes/s     writes  commits  writes/txn  p50 (ms)  p99 "
	       "(ms)  "
	       "max (ms)\n");
	fflush(stdout);
	for (int i = 0; i < nlevels; i++) {
		if (run_one(dir, run++, levels[i], 256, seconds, &group[i]) < 0)
			return 1;
		print_row(levels[i], 256, &group[i]);
		fflush(stdout);
		if (run_one(dir, run++, levels[i], 1, seconds, &single[i]) < 0)
			return 1;
		print_row(levels[i], 1, &single[i]);
		fflush(stdout);
	}
	printf("\n");
	for (int i = 0; i < nlevels; i++) {
		printf("ratio group/single at %d threads: writes/s %.2fx, p99 latency %.2fx",
		       levels[i],
		       single[i].writes_per_s > 0 ? group[i].writes_per_s / single[i].writes_per_s
		                                  : 0,
		       single[i].p99_ms > 0 ? group[i].p99_ms / single[i].p99_ms : 0);
		if (group[i].failed || single[i].failed)
			printf("  (failed writes: %llu group, %llu single)",
			       (unsigned long long)group[i].failed,
			       (unsigned long long)single[i].failed);
		printf("\n");
	}
	return 0;
}
