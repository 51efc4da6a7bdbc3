/*
 * Unit tests for domain/demo_city_people on the test-scale demo city with its grids' declared
 * residents cut to 40 (the generator is the same at city scale, only longer): every grid is
 * filled to exactly its residents; the ID numbers are valid and open for their rows; ages and
 * households have the census's shape; the counters match a recount; a second run adds nothing;
 * and a run after an interrupted one (here: a grid left out, then put back) fills only what is
 * missing, with no duplicate ID number, because the generator is deterministic.
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
#include <sodium.h>

#include "base/idcard.h"
#include "base/vault.h"
#include "domain/audit.h"
#include "domain/demo.h"
#include "domain/demo_city_people.h"
#include "store/store.h"

struct fx {
	char dir[64];
	struct store *s;
	struct dom_ctx x;
};

static const unsigned char KEY[AUDIT_KEY_LEN] = { 7, 8, 9 };

static int64_t one(struct fx *f, const char *sql)
{
	struct store_conn *c = store_reader(f->s);
	struct store_stmt *st = c ? store_prepare(c, sql) : NULL;
	int64_t v = -1;

	if (st && store_step(st) == STORE_ROW)
		v = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return v;
}

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg) == STORE_OK ? 0 : STORE_ERR;
}

static void exec(struct fx *f, const char *sql)
{
	assert_int_equal(store_write(f->s, exec_fn, (void *)sql), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	struct demo_summary sum;
	unsigned char dk[VAULT_KEY_LEN];
	struct vault v;
	char db[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-citypeople-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	o.bulk_load = 1;
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	randombytes_buf(dk, sizeof dk);
	vault_init(&v, dk);
	vault_global_set(&v);
	vault_wipe(&v);
	sodium_memzero(dk, sizeof dk);
	dom_ctx_cli(&f->x, f->s, KEY, NULL);
	f->x.now = 1780286400; /* 2026-06-01 12:00 +08:00 */
	if (demo_city_build(&f->x, DEMO_TEST, 1, &sum, err, sizeof err) < 0)
		return -1;
	exec(f, "UPDATE grids SET residents = 40 WHERE residents > 0");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	vault_global_set(NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void assert_counters_in_step(struct fx *f)
{
	assert_int_equal(one(f,
	                     "SELECT count(*) FROM grids g LEFT JOIN grid_registry_stats s ON "
	                     "s.grid_id = g.id WHERE coalesce(s.residents, 0) != (SELECT count(*) "
	                     "FROM people p WHERE p.grid_id = g.id) OR coalesce(s.households, 0) "
	                     "!= (SELECT count(*) FROM people p WHERE p.grid_id = g.id AND "
	                     "p.relation = 'head') OR coalesce(s.houses, 0) != (SELECT count(*) "
	                     "FROM houses h WHERE h.grid_id = g.id) OR coalesce(s.floating, 0) != "
	                     "(SELECT count(*) FROM people p WHERE p.grid_id = g.id AND "
	                     "p.reg_type = 'floating')"),
	                 0);
}

static void test_fill(void **state)
{
	struct fx *f = *state;
	struct demo_city_population pop;
	char err[256];
	int64_t grids =
	        one(f, "SELECT count(*) FROM grids WHERE status = 'active' AND residents > 0");

	assert_true(grids > 10);
	assert_int_equal(demo_city_people_fill(&f->x, 1, NULL, NULL, &pop, err, sizeof err), 0);
	assert_int_equal(pop.already, 0);
	assert_int_equal(pop.grids, grids);
	assert_int_equal(pop.people, 40 * grids);
	/* Every grid exactly to its declared residents. */
	assert_int_equal(one(f, "SELECT count(*) FROM grids g WHERE g.status = 'active' AND "
	                        "g.residents > 0 AND g.residents != (SELECT count(*) FROM people p "
	                        "WHERE p.grid_id = g.id)"),
	                 0);
	assert_int_equal(one(f, "SELECT count(*) FROM houses"), pop.houses);
	/* Units with valid credit codes (unit_insert checks them), counted in their grids. */
	assert_true(pop.units >= grids);
	assert_int_equal(one(f, "SELECT count(*) FROM units"), pop.units);
	assert_int_equal(one(f, "SELECT count(*) FROM grids g WHERE (SELECT count(*) FROM units u "
	                        "WHERE u.grid_id = g.id) != coalesce((SELECT units FROM "
	                        "grid_registry_stats s WHERE s.grid_id = g.id), 0)"),
	                 0);
	/* Every household has one head, and lives in one house. */
	assert_int_equal(one(f, "SELECT count(*) FROM (SELECT household_no FROM people GROUP BY "
	                        "household_no HAVING sum(relation = 'head') != 1 OR count(DISTINCT "
	                        "house_id) != 1)"),
	                 0);
	/* The census's shape, roughly: about one in five aged 60 or over, some children, a share
	   of floating people (born in 2026-06-01 minus the age). */
	assert_in_range(pop.elderly * 100 / pop.people, 12, 30);
	assert_in_range(pop.children * 100 / pop.people, 5, 30);
	assert_in_range(pop.floating * 100 / pop.people, 4, 25);
	assert_int_equal(one(f, "SELECT count(*) FROM people WHERE doc_type = 'id_card' AND "
	                        "(birth_date IS NULL OR birth_date > '2026-06-01' OR birth_date < "
	                        "'1920-01-01' OR sex IS NULL)"),
	                 0);
	/* No ID number in clear; a sample opens for its row and is a valid ID number. */
	assert_int_equal(one(f, "SELECT count(*) FROM people WHERE id_number NOT LIKE 'v1:%' OR "
	                        "(phone IS NOT NULL AND phone NOT LIKE 'v1:%')"),
	                 0);
	{
		struct store_stmt *st = store_prepare(
		        store_reader(f->s), "SELECT id, id_number, birth_date FROM people "
		                            "WHERE doc_type = 'id_card' ORDER BY id "
		                            "LIMIT 50");
		char plain[64];
		struct idcard card;
		int rows = 0;

		assert_non_null(st);
		while (store_step(st) == STORE_ROW) {
			char born[11];

			assert_int_equal(vault_open(vault_global(), "people.id_number",
			                            store_col_int64(st, 0), store_col_text(st, 1),
			                            plain, sizeof plain),
			                 0);
			assert_int_equal(idcard_parse(plain, &card, NULL), 0);
			idcard_birth_date(&card, born);
			assert_string_equal(born, store_col_text(st, 2));
			rows++;
		}
		store_reset(st);
		assert_int_equal(rows, 50);
	}
	assert_counters_in_step(f);
	/* Written with foreign keys off (store_options.bulk_load): every reference holds. */
	assert_int_equal(one(f, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* Once more: nothing to do. */
	assert_int_equal(demo_city_people_fill(&f->x, 1, NULL, NULL, &pop, err, sizeof err), 0);
	assert_int_equal(pop.already, 1);
	assert_int_equal(one(f, "SELECT count(*) FROM people"), 40 * grids);
}

static void test_resume(void **state)
{
	struct fx *f = *state;
	struct demo_city_population pop;
	char err[256];
	int64_t grids =
	        one(f, "SELECT count(*) FROM grids WHERE status = 'active' AND residents > 0");

	/* A run that stopped before the last two grids (left out by having no residents yet). */
	exec(f, "UPDATE grids SET residents = 0 WHERE id IN (SELECT id FROM grids WHERE status = "
	        "'active' ORDER BY id DESC LIMIT 2)");
	assert_int_equal(demo_city_people_fill(&f->x, 1, NULL, NULL, &pop, err, sizeof err), 0);
	assert_int_equal(pop.grids, grids - 2);
	exec(f, "UPDATE grids SET residents = 40 WHERE residents = 0 AND status = 'active' AND id "
	        "IN (SELECT id FROM grids WHERE status = 'active' ORDER BY id DESC LIMIT 2)");
	/* The next run generates every grid again (the ID numbers' counters depend on it) and
	   writes only the two: no ID number is taken twice. */
	assert_int_equal(demo_city_people_fill(&f->x, 1, NULL, NULL, &pop, err, sizeof err), 0);
	assert_int_equal(pop.grids, 2);
	assert_int_equal(pop.people, 80);
	assert_int_equal(one(f, "SELECT count(*) FROM people"), 40 * grids);
	assert_int_equal(one(f, "SELECT count(DISTINCT id_number_bidx) FROM people"), 40 * grids);
	assert_int_equal(one(f, "SELECT count(DISTINCT credit_code) FROM units"),
	                 one(f, "SELECT count(*) FROM units"));
	assert_counters_in_step(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
