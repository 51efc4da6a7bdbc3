/*
 * People registered in bulk (person_insert_many, registry.h): the people import's write path.
 * Each row is what person_create makes of one person (the same check, the same rows), but the
 * writes are shaped for a whole city:
 *
 *   - rows are checked first, all of them, without writing (person_check_new; the grid in the
 *     caller's scope, cached per batch; the house found, or planned; duplicates by blind index
 *     inside the batch, and in the database when the caller asks: otherwise the UNIQUE index
 *     finds them as the rows go in), so a batch with a bad row writes nothing at all;
 *   - new houses, people and their dated records are inserted by multi-row statements with ids
 *     the batch assigns (the writer is the only one), so each statement journals a page once for
 *     many rows instead of once per row;
 *   - names are indexed for search by one statement per batch, and the grid counters are summed
 *     in memory and added once per grid.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/registry.h"
#include "domain/sealed.h"
#include "store/store.h"

/* Rows per multi-row INSERT: 64 people × 18 columns = 1,152 parameters, well inside SQLite's
   32,766. Fewer rows left at the end of a batch go one statement each. */
#define CHUNK 64
/* Threads for a batch's CPU work, the writer's own included. */
#define PARALLEL 4

#define PEOPLE_COLS                                                                                \
	"id, grid_id, path, name, doc_type, id_number, id_number_bidx, phone, sex, birth_date, "   \
	"reg_type, nationality, house_id, household_no, relation, created_at, updated_at"
#define PEOPLE_N 17
#define EVENT_COLS "person_id, kind, date, house_id, user_id, created_at"
#define EVENT_N 6
#define HOUSE_COLS "id, grid_id, path, address, room, type, use, created_at, updated_at"
#define HOUSE_N 9
#define USE_COLS "house_id, use, since, user_id, created_at"
#define USE_N 5

/* A grid met in this batch: its id and path inside the caller's scope. */
struct grid_slot {
	const char *code; /* borrowed from a row; NULL: free slot */
	int64_t id;
	char path[ACCESS_PATH_MAX];
	struct registry_counts add; /* what the batch adds to its counters */
};

/* A house the batch registers. */
struct new_house {
	int64_t id, grid;
	const char *path, *address, *room; /* borrowed */
	const char *since;                 /* the date of the row that planned it (borrowed) */
};

/* Room for a sealed ID, passport or phone number (at most 39 characters: person_check_new and
   the phone check bound them); sealing refuses (500) rather than truncate. */
#define SEALED_ROOM 192

/* What the check decided for one row. */
struct planned {
	struct person_new n;
	struct dom_err err; /* the row's own check (person_check_new), status 0 when it passed */
	struct grid_slot *grid;
	int64_t house;                             /* 0: none */
	char idn[SEALED_ROOM], phone[SEALED_ROOM]; /* sealed for the row's id */
};

struct bulk {
	struct store_conn *c;
	const struct dom_ctx *x;
	const struct person_bulk_row *rows;
	size_t n;
	struct planned *plan;
	int64_t first; /* the id of rows[0] */
	struct grid_slot *grids;
	size_t grid_cap; /* power of two */
	size_t *seen;    /* open addressing over blind indexes: row index + 1, 0 free */
	size_t seen_cap;
	struct new_house *houses;
	size_t nhouses;
	size_t *house_map; /* open addressing over (grid, address, room): new_house index + 1 */
	size_t house_cap;
	int64_t next_house;
	person_bulk_bad_fn bad;
	void *arg;
	size_t nbad;
	unsigned flags;
};

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static uint64_t hash_bytes(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 64;

	while (c < n)
		c <<= 1;
	return c;
}

static void bad_row(struct bulk *b, size_t i, const struct dom_err *e)
{
	b->nbad++;
	if (b->bad)
		b->bad(b->arg, b->rows[i].line, e->code ? e->code : "error", e->message);
}

static struct grid_slot *grid_of(struct bulk *b, const char *code, struct dom_err *e)
{
	size_t m = b->grid_cap - 1, k = (size_t)hash_bytes(14695981039346656037ULL, code) & m;
	struct grid_slot *g;

	while ((g = &b->grids[k])->code && strcmp(g->code, code) != 0)
		k = (k + 1) & m;
	/* A grid that does not resolve is not kept: the next row naming it asks again (a bad
	   grid is rare, and its error is the row's). */
	if (!g->code && registry_grid_resolve(b->c, b->x, code, &g->id, g->path, e) < 0)
		return NULL;
	g->code = code;
	return g;
}

static int same_opt(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The house at address/room of grid g: an existing one, one this batch already plans, or a new
   one planned now. 0 with *id, or -1 with e. */
static int house_of(struct bulk *b, struct grid_slot *g, const char *address, const char *room,
                    const char *since, int64_t *id, struct dom_err *e)
{
	size_t m = b->house_cap - 1, k;
	struct store_stmt *st;
	struct new_house *h;
	const char *r = room && *room ? room : NULL;
	int rc;

	if (!registry_text_ok(address, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "地址应为 1 到 %d 个字",
		                   REGISTRY_TEXT_CHARS);
	if (r && !registry_text_ok(r, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "房间号过长或含有控制字符");
	k = (size_t)hash_bytes(hash_bytes(14695981039346656037ULL ^ (uint64_t)g->id, address),
	                       r ? r : "") &
	    m;
	for (; b->house_map[k]; k = (k + 1) & m) {
		h = &b->houses[b->house_map[k] - 1];
		if (h->grid == g->id && strcmp(h->address, address) == 0 && same_opt(h->room, r)) {
			*id = h->id;
			return 0;
		}
	}
	if (!(st = store_prepare(b->c, "SELECT id FROM houses WHERE grid_id = ? AND address = ? "
	                               "AND room IS ? ORDER BY id LIMIT 1")))
		return dom_err_read(e);
	store_bind_int64(st, 1, g->id);
	store_bind_text(st, 2, address, -1);
	store_bind_text(st, 3, r, -1);
	rc = store_step(st);
	*id = rc == STORE_ROW ? store_col_int64(st, 0) : b->next_house;
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return dom_err_read(e);
	/* Remembered either way, so the next row of the same house asks nothing. */
	h = &b->houses[b->nhouses];
	*h = (struct new_house){ .id = *id,
		                 .grid = g->id,
		                 .path = g->path,
		                 .address = address,
		                 .room = r,
		                 .since = since };
	b->house_map[k] = ++b->nhouses;
	if (rc == STORE_DONE) {
		b->next_house++;
		g->add.houses++;
	}
	return 0;
}

/* Refuses a blind index seen before in this batch or registered before. */
static int unique_id(struct bulk *b, size_t i, struct dom_err *e)
{
	const char *bidx = b->plan[i].n.bidx;
	size_t m = b->seen_cap - 1, k = (size_t)hash_bytes(14695981039346656037ULL, bidx) & m;
	struct store_stmt *st;
	int rc;

	for (; b->seen[k]; k = (k + 1) & m)
		if (strcmp(b->plan[b->seen[k] - 1].n.bidx, bidx) == 0)
			return dom_err_set(e, 409, "duplicate",
			                   "该证件号码与第 %" PRId64 " 行重复，不能重复登记",
			                   b->rows[b->seen[k] - 1].line);
	if (!(b->flags & PERSON_BULK_CHECK_REGISTERED)) {
		b->seen[k] = i + 1;
		return 0;
	}
	if (!(st = store_prepare(b->c, "SELECT 1 FROM people WHERE id_number_bidx = ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, bidx, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_ROW)
		return dom_err_set(e, 409, "duplicate", "该证件号码已登记，不能重复登记");
	if (rc != STORE_DONE)
		return dom_err_read(e);
	b->seen[k] = i + 1;
	return 0;
}

/* Checks row i, plans its house and counts it. 0, or -1 with e (a bad row, or a store error:
   status 503). Counts of a batch with bad rows are never written. */
static int check_row(struct bulk *b, size_t i, struct dom_err *e)
{
	const struct person_bulk_row *r = &b->rows[i];
	struct planned *p = &b->plan[i];
	struct registry_counts *d;

	if (p->err.status) {
		*e = p->err;
		return -1;
	}
	if (!(p->grid = grid_of(b, r->in.grid ? r->in.grid : "", e)))
		return -1;
	if (r->address && house_of(b, p->grid, r->address, r->room, p->n.date, &p->house, e) < 0)
		return -1;
	if (unique_id(b, i, e) < 0)
		return -1;
	d = &p->grid->add;
	d->residents++;
	d->households += p->n.relation && strcmp(p->n.relation, "head") == 0;
	d->floating += strcmp(p->n.reg_type, "floating") == 0;
	d->foreigners += strcmp(p->n.reg_type, "foreign") == 0;
	return 0;
}

/* The checks of rows from..to that need no database (run in parallel). */
static void check_pure(struct bulk *b, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct person_bulk_row *r = &b->rows[i];
		struct planned *p = &b->plan[i];

		if (r->in.house >= 0 || r->in.unit > 0)
			dom_err_set(&p->err, 400, "bad_field", "批量登记以地址指定房屋，不含单位");
		else
			(void)person_check_new(b->x, &r->in, &p->n, &p->err);
	}
}

/* Seals the ID and phone numbers of rows from..to for their ids (run in parallel). */
static void seal(struct bulk *b, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct planned *p = &b->plan[i];
		int64_t id = b->first + (int64_t)i;

		if (sealed_value(SEALED_FIELD_PERSON_ID_NUMBER, id, p->n.idn, p->idn, sizeof p->idn,
		                 NULL, &p->err) < 0 ||
		    sealed_value(SEALED_FIELD_PERSON_PHONE, id, nz(b->rows[i].in.phone), p->phone,
		                 sizeof p->phone, NULL, &p->err) < 0)
			continue; /* p->err says why; the write fails on it */
	}
}

struct part {
	struct bulk *b;
	void (*fn)(struct bulk *, size_t, size_t);
	size_t from, to;
};

static void *part_main(void *arg)
{
	struct part *p = arg;

	p->fn(p->b, p->from, p->to);
	return NULL;
}

/* Runs fn over rows 0..n split among up to PARALLEL threads (this one included): the CPU work
   of a batch (ID checks, blind indexes, sealing) runs beside the writer instead of on it. */
static void parallel(struct bulk *b, void (*fn)(struct bulk *, size_t, size_t))
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t k = cpus > 1 ? (size_t)(cpus < PARALLEL ? cpus : PARALLEL) : 1, started = 0;
	struct part parts[PARALLEL];
	pthread_t t[PARALLEL];

	if (b->n < 256)
		k = 1;
	for (size_t i = 0; i < k; i++)
		parts[i] = (struct part){ b, fn, b->n * i / k, b->n * (i + 1) / k };
	for (size_t i = 1; i < k; i++, started++)
		if (pthread_create(&t[i], NULL, part_main, &parts[i]) != 0)
			break;
	fn(b, parts[0].from, parts[0].to);
	for (size_t i = 1; i <= started; i++)
		pthread_join(t[i], NULL);
	for (size_t i = started + 1; i < k; i++) /* threads that could not start */
		fn(b, parts[i].from, parts[i].to);
}

static int64_t next_id(struct store_conn *c, const char *sql, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(c, sql);
	int64_t v = -1;

	if (!st)
		return dom_err_read(e);
	if (store_step(st) == STORE_ROW)
		v = store_col_int64(st, 0) + 1;
	store_reset(st);
	return v > 0 ? v : dom_err_read(e);
}

/* "INSERT INTO table (cols) VALUES (?, ...), ..." for rows rows of ncols into sql. */
static void values_sql(char *sql, size_t len, const char *table, const char *cols, int ncols,
                       size_t rows)
{
	char row[PEOPLE_N * 3 + 8];
	size_t at = (size_t)snprintf(sql, len, "INSERT OR FAIL INTO %s (%s) VALUES ", table, cols);
	size_t n = 0;

	/* One row's "(?, ?, ...)", then copied: the text is built for every statement. */
	row[n++] = '(';
	for (int k = 0; k < ncols && n + 4 < sizeof row; k++) {
		if (k) {
			row[n++] = ',';
			row[n++] = ' ';
		}
		row[n++] = '?';
	}
	row[n++] = ')';
	for (size_t r = 0; r < rows && at + n + 3 < len; r++) {
		if (r) {
			sql[at++] = ',';
			sql[at++] = ' ';
		}
		memcpy(sql + at, row, n);
		at += n;
	}
	sql[at < len ? at : len - 1] = '\0';
}

/* The statement inserting rows rows (CHUNK or 1) into table: the text is built each time (a
   copy of one row's placeholders per row) and the connection's cache returns the statement
   prepared for it, so no state is shared between writers of different stores. */
static struct store_stmt *insert_stmt(struct store_conn *c, const char *table, const char *cols,
                                      int ncols, size_t rows)
{
	char sql[CHUNK * (PEOPLE_N * 3 + 4) + 256];

	values_sql(sql, sizeof sql, table, cols, ncols, rows);
	return store_prepare(c, sql);
}

static int run(struct store_stmt *st, struct dom_err *e)
{
	int rc = store_step(st);

	store_reset(st);
	return rc == STORE_DONE ? 0 : dom_err_store(e, rc == STORE_ROW ? STORE_ERR : rc);
}

/* Inserts the new houses (ids first_new..) and their first use (self-occupied since the day
   the first of their people moved in), CHUNK at a time (or one). */
static int insert_houses(struct bulk *b, int64_t first_new, struct dom_err *e)
{
	const int64_t now = b->x->now;

	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < b->nhouses) {
			size_t take = 0, j = i;
			struct store_stmt *st;
			int at = 1;

			for (size_t q = i; q < b->nhouses && take < CHUNK; q++)
				take += b->houses[q].id >= first_new;
			if (take == 0)
				break;
			if (take < CHUNK)
				take = 1;
			st = pass == 0 ? insert_stmt(b->c, "houses", HOUSE_COLS, HOUSE_N, take)
			               : insert_stmt(b->c, "house_uses", USE_COLS, USE_N, take);
			if (!st)
				return dom_err_store(e, STORE_ERR);
			for (size_t done = 0; done < take; j++) {
				const struct new_house *h = &b->houses[j];

				if (h->id < first_new)
					continue;
				store_bind_int64(st, at++, h->id);
				if (pass == 0) {
					store_bind_int64(st, at++, h->grid);
					store_bind_text(st, at++, h->path, -1);
					store_bind_text(st, at++, h->address, -1);
					store_bind_text(st, at++, h->room, -1);
					store_bind_text(st, at++, "dwelling", -1);
					store_bind_text(st, at++, "self", -1);
					store_bind_int64(st, at++, now);
				} else {
					store_bind_text(st, at++, "self", -1);
					store_bind_text(st, at++, h->since, -1);
					store_bind_int64(st, at++, b->x->caller->user_id);
				}
				store_bind_int64(st, at++, now);
				done++;
			}
			if (run(st, e) < 0)
				return -1;
			i = j;
		}
	}
	return 0;
}

/* Binds person i (id) at *at of st. */
static void bind_person(struct bulk *b, size_t i, int64_t id, struct store_stmt *st, int *at)
{
	const struct person_bulk_row *r = &b->rows[i];
	const struct planned *p = &b->plan[i];

	store_bind_int64(st, (*at)++, id);
	store_bind_int64(st, (*at)++, p->grid->id);
	store_bind_text(st, (*at)++, p->grid->path, -1);
	store_bind_text(st, (*at)++, r->in.name, -1);
	store_bind_text(st, (*at)++, p->n.doc_type, -1);
	store_bind_text(st, (*at)++, p->idn, -1);
	store_bind_text(st, (*at)++, p->n.bidx, -1);
	store_bind_text(st, (*at)++, p->phone[0] ? p->phone : NULL, -1);
	store_bind_text(st, (*at)++, nz(p->n.sex), -1);
	store_bind_text(st, (*at)++, nz(p->n.birth), -1);
	store_bind_text(st, (*at)++, p->n.reg_type, -1);
	store_bind_text(st, (*at)++,
	                nz(r->in.nationality)                   ? r->in.nationality
	                : strcmp(p->n.reg_type, "foreign") == 0 ? "UNK"
	                                                        : "CHN",
	                -1);
	if (p->house > 0)
		store_bind_int64(st, (*at)++, p->house);
	else
		store_bind_null(st, (*at)++);
	store_bind_text(st, (*at)++, nz(r->in.household_no), -1);
	store_bind_text(st, (*at)++, p->n.relation, -1);
	store_bind_int64(st, (*at)++, b->x->now);
	store_bind_int64(st, (*at)++, b->x->now);
}

static void bind_event(struct bulk *b, size_t i, int64_t id, struct store_stmt *st, int *at)
{
	const struct planned *p = &b->plan[i];

	store_bind_int64(st, (*at)++, id);
	store_bind_text(st, (*at)++,
	                b->rows[i].in.born ? "born"
	                : p->house > 0     ? "move_in"
	                                   : "registered",
	                -1);
	store_bind_text(st, (*at)++, p->n.date, -1);
	if (p->house > 0)
		store_bind_int64(st, (*at)++, p->house);
	else
		store_bind_null(st, (*at)++);
	store_bind_int64(st, (*at)++, b->x->caller->user_id);
	store_bind_int64(st, (*at)++, b->x->now);
}

/* Inserts the people (ids first..) and their records. */
static int insert_people(struct bulk *b, int64_t first, struct dom_err *e)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < b->n;) {
			size_t take = b->n - i >= CHUNK ? CHUNK : 1;
			struct store_stmt *st =
			        pass == 0 ? insert_stmt(b->c, "people", PEOPLE_COLS, PEOPLE_N, take)
			                  : insert_stmt(b->c, "person_events", EVENT_COLS, EVENT_N,
			                                take);
			int at = 1;

			if (!st)
				return dom_err_store(e, STORE_ERR);
			for (size_t k = i; k < i + take; k++) {
				if (pass == 1)
					bind_event(b, k, first + (int64_t)k, st, &at);
				else
					bind_person(b, k, first + (int64_t)k, st, &at);
			}
			if (run(st, e) < 0) {
				/* A number registered before (the UNIQUE index): the caller runs
				   the batch again, looking each one up, which names the rows. */
				if (pass == 0 && e->status == 409 &&
				    !(b->flags & PERSON_BULK_CHECK_REGISTERED))
					dom_err_set(e, 409, "recheck",
					            "有证件号码已登记，本批将逐行核对");
				return -1;
			}
			i += take;
		}
	}
	return person_names_index(b->c, first, first + (int64_t)b->n - 1, e);
}

/* Adds the batch to its grids' counters, one statement per grid. */
static int count(struct bulk *b, struct dom_err *e)
{
	for (size_t k = 0; k < b->grid_cap; k++) {
		const struct grid_slot *g = &b->grids[k];

		if (g->code && (g->add.residents || g->add.houses) &&
		    registry_stats_add(b->c, g->id, &g->add, 1, e) < 0)
			return -1;
	}
	return 0;
}

int person_insert_many(struct store_conn *c, const struct dom_ctx *x,
                       const struct person_bulk_row *rows, size_t n, unsigned flags,
                       person_bulk_bad_fn bad, void *arg, struct dom_err *e)
{
	struct bulk b = {
		.c = c, .x = x, .rows = rows, .n = n, .bad = bad, .arg = arg, .flags = flags
	};
	int64_t first = 0, first_house = 0;
	int rc = -1;

	if (n == 0)
		return 0;
	/* Twice the rows: never full, so a probe always ends. */
	b.grid_cap = b.seen_cap = b.house_cap = pow2_at_least(2 * n);
	b.plan = calloc(n, sizeof *b.plan);
	b.grids = calloc(b.grid_cap, sizeof *b.grids);
	b.seen = calloc(b.seen_cap, sizeof *b.seen);
	b.houses = calloc(n, sizeof *b.houses);
	b.house_map = calloc(b.house_cap, sizeof *b.house_map);
	if (!b.plan || !b.grids || !b.seen || !b.houses || !b.house_map) {
		dom_err_set(e, 500, "internal", "内存不足");
		goto out;
	}
	if ((first_house = next_id(c, "SELECT coalesce(max(id), 0) FROM houses", e)) < 0 ||
	    (first = next_id(c, "SELECT coalesce(max(id), 0) FROM people", e)) < 0)
		goto out;
	b.next_house = first_house;
	b.first = first;
	parallel(&b, check_pure);
	for (size_t i = 0; i < n; i++) {
		struct dom_err re = { 0 };

		if (check_row(&b, i, &re) == 0)
			continue;
		if (re.status >= 500) { /* the store or the vault, not the row */
			*e = re;
			goto out;
		}
		if (!(flags & PERSON_BULK_CHECK_REGISTERED)) {
			/* Reported by the careful run, with the numbers registered before, in
			   line order. */
			dom_err_set(e, 409, "recheck", "本批有错误，将逐行核对");
			goto out;
		}
		bad_row(&b, i, &re);
	}
	if (b.nbad > 0) {
		rc = (int)(b.nbad > 0x7fffffff ? 0x7fffffff : b.nbad);
		goto out;
	}
	parallel(&b, seal);
	for (size_t i = 0; i < n; i++)
		if (b.plan[i].err.status) {
			*e = b.plan[i].err;
			goto out;
		}
	if (insert_houses(&b, first_house, e) < 0 || insert_people(&b, first, e) < 0 ||
	    count(&b, e) < 0)
		goto out;
	rc = 0;
out:
	if (b.plan)
		sodium_memzero(b.plan, n * sizeof *b.plan);
	free(b.plan);
	free(b.grids);
	free(b.seen);
	free(b.houses);
	free(b.house_map);
	return rc;
}
