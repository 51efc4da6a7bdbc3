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
#include "base/csv.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/dom.h"
#include "domain/registry.h"
#include "domain/sealed.h"
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
		                "       bench_people --lookup CSV --db DB [--iterations K]\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	return mode == 1 ? raw(csv, db) : lookup(csv, db, iterations);
}
