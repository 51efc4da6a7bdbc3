/*
 * Unit tests of the people import (domain/registry_import.h) on a township with two grids: a run
 * stopped after its first batch (as a crash would stop it) and run again goes on after the
 * committed lines and ends with every row imported once, counters in step and one audit record
 * per batch; a file changed in its committed part is refused; every bad row is reported with its
 * line and nothing of a bad batch (or after it) is committed; a workbook imports as a CSV does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/idcard.h"
#include "base/xlsx.h"
#include "domain/permissions.h"
#include "base/codes.h"
#include "domain/registry_import.h"
#include "domain/sealed.h"
#include "base/vault.h"
#include "domain/registry.h"
#include "registry_fx.h"

#define HEADER "姓名,身份证号码,登记类型,网格编码,联系电话,地址,房间,户号,与户主关系\n"

struct fx {
	struct idfx id;
	struct perm_set perms;
	struct principal op;
	int64_t err_lines[64];
	char err_codes[64][32];
	size_t n_err;
	int progress_calls;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "registry_import") < 0)
		return -1;
	if (registry_fx_township(&f->id) != 0)
		return -1;
	perm_set_add_name(&f->perms, "person.write");
	perm_set_add_name(&f->perms, "person.read");
	perm_set_add_name(&f->perms, "registry.write");
	f->op = (struct principal){ .user_id = 1,
		                    .org_kind = ORG_CENTER,
		                    .region_code = TOWN,
		                    .region_path = TOWN_PATH,
		                    .impl = &f->perms };
	f->id.x.now = 1780286400; /* 2026-06-01 12:00 +08:00 */
	f->id.x.caller = &f->op;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = idfx_close(&f->id);

	free(f);
	return rc;
}

static void on_error(void *arg, int64_t line, const char *code, const char *message)
{
	struct fx *f = arg;

	(void)message;
	if (f->n_err < 64) {
		f->err_lines[f->n_err] = line;
		(void)snprintf(f->err_codes[f->n_err], sizeof f->err_codes[0], "%s", code);
		f->n_err++;
	}
}

static void on_progress(void *arg, const struct registry_import_result *r)
{
	struct fx *f = arg;

	(void)r;
	f->progress_calls++;
}

/* The ID number of person i: born 1980-01-01 in 东昌府区, sequence i, with its check char. */
static const char *idn(int i, char out[19])
{
	(void)snprintf(out, 19, "37150219800101%03d", i);
	out[17] = idcard_check_char(out);
	out[18] = '\0';
	return out;
}

/* A CSV of n people (lines 2..n+1), two to a house, alternating grids. */
static void make_csv(struct buf *b, int n)
{
	char id[19];

	buf_reset(b);
	buf_puts(b, HEADER);
	for (int i = 0; i < n; i++)
		buf_printf(b, "居民%d,%s,%s,%s,1391234%04d,湖西路 %d 号,%d,H%d,%s\n", i, idn(i, id),
		           i % 3 ? "户籍" : "流动", (i / 2) % 2 ? G2 : G1, i, i / 2, 100 + i / 2,
		           i / 2, i % 2 ? "配偶" : "户主");
}

static int run(struct fx *f, const struct buf *b, size_t batch, int64_t stop_after,
               struct registry_import_result *r, struct dom_err *e)
{
	struct registry_import_opts o = { .source = "/data/people.csv",
		                          .batch = batch,
		                          .stop_after = stop_after,
		                          .on_error = on_error,
		                          .on_progress = on_progress,
		                          .arg = f };

	f->n_err = 0;
	return registry_import_csv(&f->id.x, b->data, b->len, &o, r, e);
}

static void assert_stats_in_step(struct fx *f)
{
	assert_int_equal(
	        idfx_count(&f->id,
	                   "SELECT count(*) FROM grids g LEFT JOIN grid_registry_stats s ON "
	                   "s.grid_id = g.id WHERE coalesce(s.residents, 0) != (SELECT count(*) "
	                   "FROM people p WHERE p.grid_id = g.id AND p.status = 'present') OR "
	                   "coalesce(s.households, 0) != (SELECT count(*) FROM people p WHERE "
	                   "p.grid_id = g.id AND p.relation = 'head') OR coalesce(s.floating, 0) "
	                   "!= (SELECT count(*) FROM people p WHERE p.grid_id = g.id AND "
	                   "p.reg_type = 'floating') OR coalesce(s.houses, 0) != (SELECT count(*) "
	                   "FROM houses h WHERE h.grid_id = g.id)"),
	        0);
}

static void test_stop_and_resume(void **state)
{
	struct fx *f = *state;
	struct registry_import_result r;
	struct dom_err e = { 0 };
	struct buf b;

	buf_init(&b, 1u << 20);
	make_csv(&b, 12);
	/* Stopped after the first batch of 5: lines 2..6 are in, with their progress. */
	assert_int_equal(run(f, &b, 5, 1, &r, &e), -1);
	assert_string_equal(e.code, "stopped");
	assert_int_equal(r.imported, 5);
	assert_int_equal(r.last_line, 6);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 5);
	assert_int_equal(idfx_count(&f->id, "SELECT last_line * 100 + rows FROM import_progress "
	                                    "WHERE source = '/data/people.csv'"),
	                 605);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.import' AND outcome = 'success'"),
	                 1);
	/* The re-run skips the committed lines and imports the other 7, once each. */
	assert_int_equal(run(f, &b, 5, 0, &r, &e), 0);
	assert_int_equal(r.resumed_after, 6);
	assert_int_equal(r.rows, 7);
	assert_int_equal(r.imported, 7);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.last_line, 13);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 12);
	assert_int_equal(idfx_count(&f->id, "SELECT count(DISTINCT id_number_bidx) FROM people"),
	                 12);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses"), 6);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM person_events WHERE kind = "
	                                    "'move_in'"),
	                 12);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.import'"),
	                 3);
	assert_stats_in_step(f);
	/* No plaintext ID number in the table. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people WHERE id_number LIKE "
	                                    "'3715%' OR phone LIKE '139%'"),
	                 0);
	/* Once more: nothing to do. */
	assert_int_equal(run(f, &b, 5, 0, &r, &e), 0);
	assert_true(r.already_complete);
	assert_int_equal(r.imported, 0);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 12);
	/* A file changed in its committed part is refused, nothing written. */
	b.data[strlen(HEADER) + 2] = 'X';
	assert_int_equal(run(f, &b, 5, 0, &r, &e), -1);
	assert_string_equal(e.code, "file_changed");
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 12);
	assert_true(f->progress_calls > 0);
	buf_release(&b);
}

static void test_bad_rows(void **state)
{
	struct fx *f = *state;
	struct registry_import_result r;
	struct dom_err e = { 0 };
	struct buf b;
	char id[19];

	buf_init(&b, 1u << 20);
	buf_puts(&b, HEADER);
	for (int i = 0; i < 12; i++) {
		const char *grid = i == 7 ? "371502001009009" : G1;

		if (i == 2) /* line 4: a wrong check character */
			buf_printf(&b, "居民%d,371502198001010000,户籍,%s,,,,,\n", i, grid);
		else if (i == 8) /* line 10: the ID number of line 8 again (the same batch: a
		                    batch after a bad one is only checked, so what earlier batches
		                    would have added is not there to compare with) */
			buf_printf(&b, "居民%d,%s,户籍,%s,,,,,\n", i, idn(6, id), grid);
		else if (i == 10) /* line 12: no such registration type */
			buf_printf(&b, "居民%d,%s,暂住,%s,,,,,\n", i, idn(i, id), grid);
		else /* line 9 (i == 7): a grid that does not exist */
			buf_printf(&b, "居民%d,%s,户籍,%s,,湖西路 1 号,,,\n", i, idn(i, id), grid);
	}
	assert_int_equal(run(f, &b, 5, 0, &r, &e), -1);
	assert_string_equal(e.code, "import_failed");
	assert_int_equal(r.imported, 0);
	assert_int_equal(r.bad, 4);
	assert_int_equal(f->n_err, 4);
	assert_int_equal(f->err_lines[0], 4);
	assert_string_equal(f->err_codes[0], "bad_id_number");
	assert_int_equal(f->err_lines[1], 9);
	assert_string_equal(f->err_codes[1], "not_found");
	assert_int_equal(f->err_lines[2], 10);
	assert_string_equal(f->err_codes[2], "duplicate");
	assert_int_equal(f->err_lines[3], 12);
	assert_string_equal(f->err_codes[3], "bad_reg_type");
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 0);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses"), 0);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM import_progress"), 0);
	/* Three batches, four records (failures: nothing kept): the first batch's quick pass met
	   a bad row (409 recheck) and its careful run named them; the next two ran carefully at
	   once, since nothing more is committed after a bad batch. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.import' AND outcome = 'failure'"),
	                 4);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.import' AND detail LIKE '%recheck%'"),
	                 1);
	/* A header without a required column. */
	buf_reset(&b);
	buf_puts(&b, "姓名,身份证号码,网格编码\n张三,x,y\n");
	assert_int_equal(run(f, &b, 5, 0, &r, &e), -1);
	assert_string_equal(e.code, "bad_header");
	assert_int_equal(f->err_lines[0], 1);
	buf_release(&b);
	assert_stats_in_step(f);
}

static void test_xlsx(void **state)
{
	struct fx *f = *state;
	static const char *const cols[] = { "name", "id_number", "reg_type", "grid", "address" };
	struct registry_import_opts o = { .source = "/data/people.xlsx",
		                          .on_error = on_error,
		                          .arg = f };
	struct registry_import_result r;
	struct dom_err e = { 0 };
	struct xlsx *wb = xlsx_new();
	char id[3][19], *data = NULL;
	size_t len = 0;

	assert_non_null(wb);
	assert_int_equal(xlsx_sheet(wb, "人口", cols, 5), 0);
	for (int i = 0; i < 3; i++) {
		const char *row[5] = { "李四", idn(100 + i, id[i]), "户籍", G2, "湖西路 9 号" };

		assert_int_equal(xlsx_row(wb, row, 5), 0);
	}
	assert_int_equal(xlsx_finish(wb, &data, &len), 0);
	assert_int_equal(registry_import_xlsx(&f->id.x, data, len, &o, &r, &e), 0);
	assert_int_equal(r.imported, 3);
	assert_int_equal(r.last_line, 4);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people WHERE grid_id = 2"), 3);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses"), 1);
	assert_stats_in_step(f);
	free(data);
}

/* A batch big enough for the parallel checks and sealing and for several multi-row statements
   (300 rows: 4 statements of 64 and 44 of one): every row as person_create would leave it. */
static void test_big_batch(void **state)
{
	struct fx *f = *state;
	struct registry_import_result r;
	struct dom_err e = { 0 };
	struct buf b, report;
	struct store_conn *c;
	const struct vault *v = vault_global();
	char id[19];

	buf_init(&b, 1u << 20);
	buf_init(&report, 1u << 16);
	make_csv(&b, 300);
	assert_int_equal(run(f, &b, 1000, 0, &r, &e), 0);
	assert_int_equal(r.imported, 300);
	assert_int_equal(r.batches, 1);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 300);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses"), 150);
	assert_int_equal(idfx_count(&f->id, "SELECT count(DISTINCT house_id) FROM people"), 150);
	/* Each new house with its first use (house_uses, migration 021), since its people came. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM house_uses u JOIN houses h ON "
	                                    "h.id = u.house_id AND u.use = 'self' AND u.since = "
	                                    "'2026-06-01'"),
	                 150);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM person_events e JOIN people p ON "
	                                    "p.id = e.person_id AND e.house_id = p.house_id AND "
	                                    "e.kind = 'move_in'"),
	                 300);
	assert_stats_in_step(f);
	/* Ids follow the file: the ID number of line k + 2 is person k's. */
	c = store_reader(f->id.s);
	assert_non_null(c);
	{
		struct store_stmt *st = store_prepare(
		        c, "SELECT id, id_number, name FROM people ORDER BY id LIMIT 1 OFFSET 123");
		char plain[64];
		int64_t row;

		assert_non_null(st);
		assert_int_equal(store_step(st), STORE_ROW);
		row = store_col_int64(st, 0);
		assert_int_equal(vault_open(v, "people.id_number", row, store_col_text(st, 1),
		                            plain, sizeof plain),
		                 0);
		assert_string_equal(plain, idn(123, id));
		assert_string_equal(store_col_text(st, 2), "居民123");
		store_reset(st);
	}
	/* A person's blind index keeps 128 bits (the registry's bidx_hex). */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people WHERE "
	                                    "length(id_number_bidx) != 32"),
	                 0);
	/* Every sealed value opens for its row and every blind index matches. */
	assert_int_equal(sealed_check(c, v, &report), 0);
	/* `wangge check`'s recount agrees; a counter changed behind the writes' back is found. */
	assert_int_equal(registry_check_counters(c, &report), 0);
	assert_int_equal(idfx_exec(&f->id, "UPDATE grid_registry_stats SET floating = floating + 1 "
	                                   "WHERE grid_id = 2"),
	                 0);
	assert_int_equal(registry_check_counters(c, &report), 1);
	assert_non_null(strstr(report.data, "grid " G2 " counters differ from a count: floating"));
	assert_int_equal(idfx_exec(&f->id, "UPDATE grid_registry_stats SET floating = floating - 1 "
	                                   "WHERE grid_id = 2"),
	                 0);
	/* A number registered before, in a new file: the quick pass meets the UNIQUE index, the
	   careful one names the line; nothing of the batch is kept. */
	{
		struct buf again;
		struct registry_import_opts o = { .source = "/data/again.csv",
			                          .on_error = on_error,
			                          .arg = f };

		buf_init(&again, 1u << 16);
		buf_puts(&again, HEADER);
		buf_printf(&again, "新人,%s,户籍,%s,,,,,\n", idn(900, id), G1);
		buf_printf(&again, "旧人,%s,户籍,%s,,,,,\n", idn(5, id),
		           G1); /* line 3: imported above */
		f->n_err = 0;
		assert_int_equal(registry_import_csv(&f->id.x, again.data, again.len, &o, &r, &e),
		                 -1);
		assert_int_equal(f->n_err, 1);
		assert_int_equal(f->err_lines[0], 3);
		assert_string_equal(f->err_codes[0], "duplicate");
		assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people"), 300);
		buf_release(&again);
	}
	/* The names are indexed: one statement per batch, not a trigger. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people_names WHERE people_names "
	                                    "MATCH '居民'"),
	                 300);
	buf_release(&report);
	buf_release(&b);
}

static int run_kind(struct fx *f, const struct buf *b, enum registry_import_kind kind,
                    struct registry_import_result *r, struct dom_err *e)
{
	struct registry_import_opts o = { .kind = kind,
		                          .source = "/data/registry.csv",
		                          .on_error = on_error,
		                          .on_progress = on_progress,
		                          .arg = f };

	f->n_err = 0;
	return registry_import_csv(&f->id.x, b->data, b->len, &o, r, e);
}

/* A unified social credit code of sequence i (valid check character). */
static const char *credit(int i, char out[19])
{
	(void)snprintf(out, 19, "91371502MA3C%05d", i);
	out[17] = uscc_check_char(out);
	out[18] = '\0';
	return out;
}

/* Houses and units from their own files: every bad row named, nothing written until the file
   is good, then the counters; a unit's credit code is unique; and the progress of one path is
   kept per kind (the same path imported as people after houses starts from its first line). */
static void test_houses_and_units(void **state)
{
	struct fx *f = *state;
	struct registry_import_result r;
	struct dom_err e = { 0 };
	struct buf b;
	char code[19], code2[19];

	buf_init(&b, 1u << 20);
	buf_puts(&b, "网格编码,地址,楼栋,单元,房号,房屋类型,房屋用途\n");
	buf_printf(&b, "%s,湖西路 1 号,1,1,101,住宅,自住\n", G1);
	buf_printf(&b, "%s,湖西路 1 号,1,1,102,住宅,出租\n", G1);
	buf_printf(&b, "%s,湖西路 2 号,,,,商铺,经营\n", G2);
	buf_printf(&b, "%s,湖西路 3 号,,,,别墅,自住\n", G2);          /* line 5: no such type */
	buf_printf(&b, "371502001009009,湖西路 4 号,,,,住宅,自住\n"); /* line 6: no such grid */
	assert_int_equal(run_kind(f, &b, REGISTRY_IMPORT_HOUSES, &r, &e), -1);
	assert_string_equal(e.code, "import_failed");
	assert_int_equal(f->n_err, 2);
	assert_int_equal(f->err_lines[0], 5);
	assert_string_equal(f->err_codes[0], "bad_type");
	assert_int_equal(f->err_lines[1], 6);
	assert_string_equal(f->err_codes[1], "not_found");
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses"), 0);
	/* Fixed (the bad lines dropped): all in, counted in their grids. */
	b.len = 0;
	buf_puts(&b, "grid,address,building,unit_no,room,type,use\n");
	buf_printf(&b, "%s,湖西路 1 号,1,1,101,住宅,自住\n", G1);
	buf_printf(&b, "%s,湖西路 1 号,1,1,102,dwelling,rent\n", G1);
	buf_printf(&b, "%s,湖西路 2 号,,,,商铺,经营\n", G2);
	assert_int_equal(run_kind(f, &b, REGISTRY_IMPORT_HOUSES, &r, &e), 0);
	assert_int_equal(r.imported, 3);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM houses WHERE use = 'rent' AND "
	                                    "building = '1' AND room = '102'"),
	                 1);
	assert_int_equal(idfx_count(&f->id, "SELECT houses FROM grid_registry_stats WHERE "
	                                    "grid_id = 1"),
	                 2);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'house.import' AND outcome = 'success'"),
	                 1);

	b.len = 0;
	buf_puts(&b, "单位名称,统一社会信用代码,单位类别,地址,网格编码,联系人,联系电话\n");
	buf_printf(&b, "湖西超市,%s,商户,湖西路 2 号,%s,张三,13912345678\n", credit(1, code), G2);
	buf_printf(&b, "湖西小学,%s,学校,湖西路 9 号,%s,,\n", credit(2, code2), G1);
	buf_printf(&b, "假公司,91371502MA3C000010,企业,湖西路 5 号,%s,,\n", G1); /* line 4 */
	buf_printf(&b, "又一超市,%s,商户,湖西路 6 号,%s,,\n", code, G1); /* line 5: line 2's code */
	assert_int_equal(run_kind(f, &b, REGISTRY_IMPORT_UNITS, &r, &e), -1);
	assert_int_equal(f->n_err, 2);
	assert_int_equal(f->err_lines[0], 4);
	assert_string_equal(f->err_codes[0], "bad_credit_code");
	assert_int_equal(f->err_lines[1], 5);
	assert_string_equal(f->err_codes[1], "duplicate");
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM units"), 0);
	b.len = 0;
	buf_puts(&b, "单位名称,统一社会信用代码,单位类别,地址,网格编码\n");
	buf_printf(&b, "湖西超市,%s,商户,湖西路 2 号,%s\n", code, G2);
	buf_printf(&b, "湖西小学,%s,学校,湖西路 9 号,%s\n", code2, G1);
	assert_int_equal(run_kind(f, &b, REGISTRY_IMPORT_UNITS, &r, &e), 0);
	assert_int_equal(r.imported, 2);
	assert_int_equal(idfx_count(&f->id, "SELECT units FROM grid_registry_stats WHERE grid_id = "
	                                    "2"),
	                 1);
	/* The progress of /data/registry.csv is kept per kind. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM import_progress WHERE source = "
	                                    "'/data/registry.csv'"),
	                 2);
	b.len = 0;
	buf_puts(&b, HEADER);
	buf_printf(&b, "居民,%s,户籍,%s,,,,,\n", idn(1, code), G1);
	assert_int_equal(run_kind(f, &b, REGISTRY_IMPORT_PEOPLE, &r, &e), 0);
	assert_int_equal(r.resumed_after, 0);
	assert_int_equal(r.imported, 1);
	assert_stats_in_step(f);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_houses_and_units, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
