/*
 * The people bench (bench/people.sh drives it), two modes:
 *   --raw CSV --db SCRATCH: the baseline of `wangge import people`: the same CSV read with the
 *     same reader (base/csv.h) and its rows inserted as they are (nine text columns, no index,
 *     nothing sealed, no house, no record, no counter) into a table of a scratch database opened
 *     like wangge's (store_open: WAL, the same pragmas), 5,000 rows per transaction through the
 *     same writer (store_write). Prints rows/s.
 *   --lookup CSV --db DB [--iterations K]: lookups by ID number on the imported database, K IDs
 *     taken from the CSV: (a) the blind index alone (sealed_index + one indexed SELECT), and
 *     (b) person_list with the id_number filter, the domain function GET /people?id_number=
 *     calls (scope condition, the row opened, masked and rendered as JSON). Prints lookups/s.
 *   --names CSV --db DB [--iterations K]: lookups by name on the imported database, K queries of
 *     each kind taken from the CSV's names: the full name (a whole name, found exactly and inside
 *     longer names), a two-character given name (the last two characters of a three-character
 *     name: a substring of the names that hold it) and a surname alone (one character: the
 *     broadest search anyone types). For each kind: (a) the FTS5 query alone, the statement
 *     person_list's name filter nests (SELECT rowid FROM people_names WHERE people_names MATCH
 *     ?, every matching row stepped through), and (b) person_list with the name filter, the
 *     first page of 20 (what GET /people?name= calls), as the system caller (the whole city) and
 *     as a township center (the township of the first person imported). Prints lookups/s, the
 *     average number of hits and p50/p99 latency.
 *   --pragmas DB: what SQLite's page cache and memory mapping are on a connection the store
 *     opens (the server's readers and writer are opened the same way): cache_size, page_size,
 *     mmap_size, one line "pragmas CACHE_SIZE PAGE_SIZE MMAP_SIZE CACHE_BYTES".
 * Asserts nothing.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/csv.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/access.h"
#include "domain/dom.h"
#include "domain/registry.h"
#include "domain/sealed.h"
#include "store/fts_cjk.h"
#include "store/store.h"

#define NCOLS 9
#define BATCH 5000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *map_file(const char *path, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	void *m;

	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size == 0) {
		fprintf(stderr, "bench_people: cannot open %s\n", path);
		exit(1);
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		exit(1);
	*len = (size_t)sb.st_size;
	return m;
}

struct raw {
	struct csv_reader rd;
	struct buf f[NCOLS];
	int header_done, eof;
	long long rows;
};

/* One transaction: the next BATCH rows of the CSV. */
static int raw_batch(struct store_conn *c, void *arg)
{
	struct raw *r = arg;
	struct store_stmt *st = store_prepare(c, "INSERT INTO raw_people VALUES (?, ?, ?, ?, ?, ?, "
	                                         "?, ?, ?)");
	int nf, line, n = 0;

	if (!st)
		return STORE_ERR;
	while (n < BATCH && (nf = csv_read(&r->rd, r->f, NCOLS, &line)) > 0) {
		if (!r->header_done) {
			r->header_done = 1;
			continue;
		}
		for (int i = 0; i < NCOLS; i++)
			store_bind_text(st, i + 1, i < nf ? r->f[i].data : "", -1);
		if (store_step(st) != STORE_DONE) {
			store_reset(st);
			return STORE_ERR;
		}
		store_reset(st);
		n++;
	}
	if (n < BATCH)
		r->eof = 1;
	r->rows += n;
	return 0;
}

static int raw_table(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_exec(c, "CREATE TABLE raw_people (name TEXT, id_number TEXT, reg_type TEXT, "
	                     "grid TEXT, phone TEXT, address TEXT, room TEXT, household_no TEXT, "
	                     "relation TEXT)") == STORE_OK
	               ? 0
	               : STORE_ERR;
}

static int raw(const char *csv, const char *db)
{
	struct store_options so;
	struct store *s = NULL;
	struct raw r = { 0 };
	size_t len;
	const char *data = map_file(csv, &len);
	char err[256];
	double t0;

	store_options_default(&so, db);
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_people: %s\n", err);
		return 1;
	}
	if (store_write(s, raw_table, NULL) != 0)
		return 1;
	for (int i = 0; i < NCOLS; i++)
		buf_init(&r.f[i], 512);
	t0 = now_s();
	csv_reader_init(&r.rd, data, len);
	while (!r.eof)
		if (store_write(s, raw_batch, &r) != 0) {
			fprintf(stderr, "bench_people: raw insert failed\n");
			return 1;
		}
	t0 = now_s() - t0;
	printf("raw %lld %.3f %.0f\n", r.rows, t0, (double)r.rows / t0);
	store_close(s);
	return 0;
}

static int lookup(const char *csv, const char *db, int iterations)
{
	struct store_options so;
	struct store *s = NULL;
	struct store_conn *c;
	struct store_stmt *st;
	struct csv_reader rd;
	struct buf f[2];
	struct dom_ctx x;
	struct dom_page pg = { .limit = 20 };
	size_t len, n = 0, cap = 1024;
	const char *data = map_file(csv, &len);
	char(*ids)[24] = malloc(cap * sizeof *ids), err[256], bidx[VAULT_INDEX_HEX];
	int nf, line, found = 0;
	double t0, a, b;

	log_set_level(LOG_WARN);
	store_options_default(&so, db);
	so.readonly = 1;
	if (!ids || store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_people: %s\n", err);
		return 1;
	}
	c = store_reader(s);
	if (vault_global_load(db, sealed_count(c), err, sizeof err) != 0) {
		fprintf(stderr, "bench_people: %s\n", err);
		return 1;
	}
	buf_init(&f[0], 512);
	buf_init(&f[1], 512);
	csv_reader_init(&rd, data, len);
	while ((nf = csv_read(&rd, f, 2, &line)) > 0)
		if (line > 1 && nf >= 2) {
			if (n == cap) {
				cap *= 2;
				if (!(ids = realloc(ids, cap * sizeof *ids)))
					return 1;
			}
			dom_copy(ids[n++], sizeof ids[0], f[1].data);
		}
	if (n == 0)
		return 1;
	st = store_prepare(c, "SELECT id FROM people WHERE id_number_bidx = ?");
	t0 = now_s();
	for (int i = 0; i < iterations; i++) {
		sealed_index(SEALED_FIELD_PERSON_ID_NUMBER, ids[((size_t)i * 7919u) % n], bidx);
		store_bind_text(st, 1, bidx, -1);
		found += store_step(st) == STORE_ROW;
		store_reset(st);
	}
	a = iterations / (now_s() - t0);
	dom_ctx_cli(&x, s, NULL, NULL);
	t0 = now_s();
	for (int i = 0; i < iterations; i++) {
		struct person_filter pf = { .id_number = ids[((size_t)i * 7919u) % n] };
		struct dom_err e = { 0 };
		json_t *page = person_list(&x, &pf, &pg, 0, &e);

		found += page && json_array_size(json_object_get(page, "items")) == 1;
		json_decref(page);
	}
	b = iterations / (now_s() - t0);
	printf("lookup %d %d %.0f %.0f\n", iterations, found, a, b);
	store_close(s);
	free(ids);
	return 0;
}

/* ---- lookups by name ---- */

enum { NAME_FULL, NAME_GIVEN, NAME_SURNAME, NAME_KINDS };
static const char *const name_kind[NAME_KINDS] = { "full name", "given name (2 chars)",
	                                           "surname (1 char)" };
#define NAME_MAX_BYTES 100

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* One row of the table: lookups/s on one thread (runs over their summed time), the average
   hits and the p50/p99 latency of runs of us[0..n). */
static void name_row(const char *kind, const char *how, int64_t *us, int n, long long hits)
{
	int64_t total = 0;

	for (int i = 0; i < n; i++)
		total += us[i];
	qsort(us, (size_t)n, sizeof *us, cmp_i64);
	printf("%-22s %-30s %10.0f %9.1f %9.3f %9.3f\n", kind, how,
	       total > 0 ? n / (total / 1e6) : 0.0, (double)hits / n, us[n / 2] / 1000.0,
	       us[(n * 99) / 100] / 1000.0);
}

/* Bytes of the UTF-8 character led by byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The query of kind for the name at names[i] (or, for a given name, the next name of three
   characters or more after it) into out. */
static void name_query(char (*names)[NAME_MAX_BYTES], size_t n, size_t i, int kind,
                       char out[NAME_MAX_BYTES])
{
	const char *s = names[i];
	size_t first = utf8_len((unsigned char)s[0]), a, b;

	if (kind == NAME_SURNAME) {
		(void)snprintf(out, NAME_MAX_BYTES, "%.*s", (int)first, s);
		return;
	}
	if (kind == NAME_FULL) {
		dom_copy(out, NAME_MAX_BYTES, s);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		s = names[(i + k) % n];
		if (dom_utf8_chars(s) >= 3)
			break;
	}
	first = utf8_len((unsigned char)s[0]);
	a = first + utf8_len((unsigned char)s[first]);
	b = a + utf8_len((unsigned char)s[a]);
	(void)snprintf(out, NAME_MAX_BYTES, "%.*s", (int)(b - first), s + first);
}

/* A township center's principal: the township of the first person imported (scoped like a
   logged-in operator of that township's center, without key-people access). 0 or -1. */
static int township_caller(struct store_conn *c, struct principal *p, char *name, size_t namelen)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT r.code, r.path, r.name FROM people p JOIN regions r ON r.level = 4 AND "
	           "substr(p.path, 1, length(r.path)) = r.path WHERE p.id = (SELECT min(id) FROM "
	           "people)");
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (st && store_step(st) == STORE_ROW) {
		p->user_id = 1;
		p->org_kind = ORG_CENTER;
		dom_copy(p->username, sizeof p->username, "bench");
		dom_copy(p->region_code, sizeof p->region_code, store_col_text(st, 0));
		dom_copy(p->region_path, sizeof p->region_path, store_col_text(st, 1));
		dom_copy(name, namelen, store_col_text(st, 2));
		rc = 0;
	}
	if (st)
		store_reset(st);
	return rc;
}

static int names(const char *csv, const char *db, int iterations)
{
	struct store_options so;
	struct store *s = NULL;
	struct store_conn *c;
	struct store_stmt *fts, *st;
	struct csv_reader rd;
	struct buf f[1];
	struct dom_ctx x;
	struct principal township;
	struct dom_page pg = { .limit = 20 };
	size_t len, n = 0, cap = 1024;
	const char *data = map_file(csv, &len);
	char(*all)[NAME_MAX_BYTES] = malloc(cap * sizeof *all), (*q)[NAME_MAX_BYTES] = NULL;
	char err[256], match[512], township_name[128] = "", lo[ACCESS_PATH_MAX],
	                           hi[ACCESS_PATH_MAX];
	int64_t *us = calloc((size_t)iterations, sizeof *us), in_township = 0;
	int nf, line, rc = 1;

	store_options_default(&so, db);
	so.readonly = 1;
	if (!all || !us || store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_people: %s\n", s ? "out of memory" : err);
		goto out;
	}
	c = store_reader(s);
	if (vault_global_load(db, sealed_count(c), err, sizeof err) != 0) {
		fprintf(stderr, "bench_people: %s\n", err);
		goto out;
	}
	buf_init(&f[0], 512);
	csv_reader_init(&rd, data, len);
	while ((nf = csv_read(&rd, f, 1, &line)) > 0)
		if (line > 1 && nf >= 1 && f[0].len > 0) {
			if (n == cap) {
				void *more;

				cap *= 2;
				if (!(more = realloc(all, cap * sizeof *all)))
					goto out;
				all = more;
			}
			dom_copy(all[n++], sizeof all[0], f[0].data);
		}
	if (n == 0 || !(q = malloc((size_t)iterations * sizeof *q)) ||
	    township_caller(c, &township, township_name, sizeof township_name) < 0 ||
	    !(fts = store_prepare(c,
	                          "SELECT rowid FROM people_names WHERE people_names MATCH ?")) ||
	    !(st = store_prepare(c, "SELECT count(*) FROM people WHERE path >= ? AND path < ?"))) {
		fprintf(stderr, "bench_people: no people or no name index in %s\n", db);
		goto out;
	}
	access_scope_range(&township, lo, hi);
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	if (store_step(st) == STORE_ROW)
		in_township = store_col_int64(st, 0);
	store_reset(st);
	dom_ctx_cli(&x, s, NULL, NULL);
	printf("lookups by name: %d queries of each kind from the CSV's %zu names, one thread;"
	       " township: %s (%s, %lld people)\n",
	       iterations, n, township_name, township.region_code, (long long)in_township);
	printf("%-22s %-30s %10s %9s %9s %9s\n", "query", "how", "lookups/s", "avg hits",
	       "p50 (ms)", "p99 (ms)");
	for (int kind = 0; kind < NAME_KINDS; kind++) {
		long long hits = 0;

		for (int i = 0; i < iterations; i++)
			name_query(all, n, ((size_t)i * 7919u) % n, kind, q[i]);
		/* (a) The FTS5 statement alone: every matching row id. */
		for (int i = 0; i < iterations; i++) {
			int64_t t0 = clock_mono_us();

			if (fts_cjk_query(q[i], match, sizeof match) <= 0)
				continue;
			store_bind_text(fts, 1, match, -1);
			while (store_step(fts) == STORE_ROW)
				hits++;
			store_reset(fts);
			us[i] = clock_mono_us() - t0;
		}
		name_row(name_kind[kind], "FTS5 MATCH alone (all rows)", us, iterations, hits);
		/* (b) person_list's first page, as the system caller and as the township center. */
		for (int who = 0; who < 2; who++) {
			x.caller = who ? &township : access_system();
			hits = 0;
			for (int i = 0; i < iterations; i++) {
				struct person_filter pf = { .name = q[i] };
				struct dom_err e = { 0 };
				int64_t t0 = clock_mono_us();
				json_t *page = person_list(&x, &pf, &pg, 0, &e);

				us[i] = clock_mono_us() - t0;
				if (!page) {
					fprintf(stderr, "bench_people: person_list(name=%s): %s\n",
					        q[i], e.message);
					goto out;
				}
				hits += (long long)json_array_size(json_object_get(page, "items"));
				json_decref(page);
			}
			name_row(name_kind[kind],
			         who ? "person_list page 20, township"
			             : "person_list page 20, city",
			         us, iterations, hits);
		}
	}
	rc = 0;
out:
	if (s)
		store_close(s);
	free(q);
	free(us);
	free(all);
	return rc;
}

/* What a connection opened by the store uses for SQLite's page cache and memory mapping. */
static int pragmas(const char *db)
{
	struct store_options so;
	struct store *s = NULL;
	struct store_conn *c;
	const char *names[] = { "PRAGMA cache_size", "PRAGMA page_size", "PRAGMA mmap_size" };
	int64_t v[3] = { 0 };
	char err[256];

	store_options_default(&so, db);
	so.readonly = 1;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "bench_people: %s\n", err);
		return 1;
	}
	c = store_reader(s);
	for (int i = 0; i < 3; i++) {
		struct store_stmt *st = store_prepare(c, names[i]);

		if (st && store_step(st) == STORE_ROW)
			v[i] = store_col_int64(st, 0);
		if (st)
			store_reset(st);
	}
	/* A negative cache_size is in KiB, a positive one in pages. */
	printf("pragmas %lld %lld %lld %lld\n", (long long)v[0], (long long)v[1], (long long)v[2],
	       (long long)(v[0] < 0 ? -v[0] * 1024 : v[0] * v[1]));
	store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *csv = NULL;
	int mode = 0, iterations = 20000;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--raw") == 0 && i + 1 < argc) {
			mode = 1;
			csv = argv[++i];
		} else if (strcmp(argv[i], "--lookup") == 0 && i + 1 < argc) {
			mode = 2;
			csv = argv[++i];
		} else if (strcmp(argv[i], "--names") == 0 && i + 1 < argc) {
			mode = 3;
			csv = argv[++i];
		} else if (strcmp(argv[i], "--pragmas") == 0) {
			mode = 4;
			csv = "";
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			db = argv[++i];
		} else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			iterations = (int)strtol(argv[++i], NULL, 10);
		} else {
			mode = 0;
			break;
		}
	}
	if (!mode || !db || iterations < 1) {
		fprintf(stderr, "usage: bench_people --raw CSV --db SCRATCH\n"
		                "       bench_people --lookup CSV --db DB [--iterations K]\n"
		                "       bench_people --names CSV --db DB [--iterations K]\n"
		                "       bench_people --pragmas --db DB\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	switch (mode) {
	case 1: return raw(csv, db);
	case 2: return lookup(csv, db, iterations);
	case 3: return names(csv, db, iterations);
	default: return pragmas(db);
	}
}
