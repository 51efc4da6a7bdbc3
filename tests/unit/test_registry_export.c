/*
 * Unit tests of the house and unit exports (domain/registry_export.h) on a township with two
 * grids: the sheet holds the houses of the scope (of one grid with a filter; of the bound grid
 * only for a grid-bound caller) under the import's headers, and the houses import reads it back
 * into the same houses; a unit's contact phone leaves masked; a caller without registry.export is
 * refused and the refusal recorded; more rows than the cap is 413 with nothing handed out; every
 * export is one audit record with its row count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/xlsx_read.h"
#include "domain/permissions.h"
#include "domain/registry.h"
#include "domain/registry_export.h"
#include "domain/registry_import.h"
#include "registry_fx.h"

struct fx {
	struct idfx id;
	struct perm_set perms, reader;
	struct principal op;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "registry_export") < 0)
		return -1;
	if (registry_fx_township(&f->id) != 0)
		return -1;
	perm_set_add_name(&f->perms, "registry.read");
	perm_set_add_name(&f->perms, "registry.write");
	perm_set_add_name(&f->perms, "registry.export");
	perm_set_add_name(&f->reader, "registry.read");
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

static int64_t house(struct fx *f, const char *grid, const char *address, const char *use,
                     const char *date)
{
	struct house_input in = { .grid = grid,
		                  .address = address,
		                  .room = "101",
		                  .type = "住宅",
		                  .use = use,
		                  .date = date };
	struct dom_err e = { 0 };
	int64_t id = 0;

	assert_int_equal(house_create(&f->id.x, &in, &id, &e), 0);
	return id;
}

/* The cell (row r, column c) of t, "" when empty. */
static const char *cell(const struct xlsx_table *t, size_t r, size_t c)
{
	assert_true(r < t->n);
	return c < t->rows[r].n && t->rows[r].cells[c].text ? t->rows[r].cells[c].text : "";
}

static void read_sheet(const char *data, size_t len, struct xlsx_table *t)
{
	char err[128];

	assert_int_equal(xlsx_read_first_sheet(data, len, t, err, sizeof err), 0);
}

static int64_t audits(struct fx *f, const char *action, const char *outcome)
{
	char q[256];

	(void)snprintf(q, sizeof q,
	               "SELECT count(*) FROM audit_log WHERE action = '%s' AND outcome = '%s'",
	               action, outcome);
	return idfx_count(&f->id, q);
}

/* The houses of the scope, of one grid, of a grid-bound caller's grid; the header row is the
   import's; the houses import reads the file back. */
static void test_houses(void **state)
{
	struct fx *f = *state;
	static const char *const header[] = { "网格编码", "地址",     "楼栋",     "单元",
		                              "房号",     "房屋类型", "房屋用途", "用途起始日期",
		                              "现住人数", "登记时间" };
	struct registry_import_opts o = { .kind = REGISTRY_IMPORT_HOUSES,
		                          .source = "/data/houses.xlsx" };
	struct registry_import_result r;
	static const int64_t bound[] = { 2 };
	struct principal worker;
	struct dom_err e = { 0 };
	struct xlsx_table t;
	char *data = NULL;
	size_t len = 0;

	house(f, G1, "湖西路 1 号", "出租", "2025-03-01");
	house(f, G1, "湖西路 2 号", "自住", NULL);
	house(f, G2, "湖西路 3 号", "空置", NULL);

	assert_int_equal(house_export_xlsx(&f->id.x, NULL, 100, &data, &len, &e), 0);
	read_sheet(data, len, &t);
	assert_int_equal(t.n, 4);
	for (size_t c = 0; c < 10; c++)
		assert_string_equal(cell(&t, 0, c), header[c]);
	assert_string_equal(cell(&t, 1, 0), G1);
	assert_string_equal(cell(&t, 1, 1), "湖西路 1 号");
	assert_string_equal(cell(&t, 1, 4), "101");
	assert_string_equal(cell(&t, 1, 5), "住宅");
	assert_string_equal(cell(&t, 1, 6), "出租");
	assert_string_equal(cell(&t, 1, 7), "2025-03-01");
	assert_string_equal(cell(&t, 1, 8), "0");
	assert_string_equal(cell(&t, 1, 9), "2026-06-01T12:00:00+08:00");
	assert_string_equal(cell(&t, 2, 7), "2026-06-01"); /* no date: the day it was registered */
	assert_string_equal(cell(&t, 3, 0), G2);
	xlsx_table_free(&t);
	assert_int_equal(audits(f, "house.export", "success"), 1);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'house.export' AND detail LIKE '导出房屋 3 处%'"),
	                 1);

	/* The houses import reads the file: three more houses, the same fields. */
	assert_int_equal(registry_import_xlsx(&f->id.x, data, len, &o, &r, &e), 0);
	assert_int_equal(r.imported, 3);
	assert_int_equal(idfx_count(&f->id,
	                            "SELECT count(*) FROM houses WHERE address = '湖西路 1 号' "
	                            "AND room = '101' AND type = 'dwelling' AND use = 'rent' "
	                            "AND grid_id = 1"),
	                 2);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM house_uses WHERE since = "
	                                    "'2025-03-01'"),
	                 2);
	free(data);

	/* One grid. */
	assert_int_equal(house_export_xlsx(&f->id.x, G2, 100, &data, &len, &e), 0);
	read_sheet(data, len, &t);
	assert_int_equal(t.n, 3); /* header and 湖西路 3 号 twice */
	assert_string_equal(cell(&t, 1, 1), "湖西路 3 号");
	xlsx_table_free(&t);
	free(data);

	/* A grid-bound caller (user 7, bound to grid 2): only its grid, whatever it asks for. */
	assert_int_equal(
	        idfx_exec(
	                &f->id,
	                "INSERT INTO organisations (id, name, kind, region_code, created_at, "
	                "updated_at) VALUES (9, '湖西社区网格员队伍', 'grid_team', '371502001001', "
	                "0, 0); INSERT INTO users (id, username, display_name, org_id, "
	                "password_hash, password_changed_at, created_at, updated_at) VALUES (7, "
	                "'gw', '网格员', 9, 'x', 0, 0, 0); INSERT INTO user_grids (user_id, "
	                "grid_id) VALUES (7, 2);"),
	        0);
	worker = f->op;
	worker.user_id = 7;
	worker.grid_ids = bound;
	worker.ngrids = 1;
	worker.grid_bound = 1;
	f->id.x.caller = &worker;
	assert_int_equal(house_export_xlsx(&f->id.x, NULL, 100, &data, &len, &e), 0);
	read_sheet(data, len, &t);
	assert_int_equal(t.n, 3);
	assert_string_equal(cell(&t, 1, 0), G2);
	assert_string_equal(cell(&t, 2, 0), G2);
	xlsx_table_free(&t);
	free(data);
	assert_int_equal(house_export_xlsx(&f->id.x, G1, 100, &data, &len, &e), 0);
	read_sheet(data, len, &t);
	assert_int_equal(t.n, 1); /* a grid outside the scope: the header only */
	xlsx_table_free(&t);
	free(data);
	f->id.x.caller = &f->op;
}

/* A unit's contact phone leaves masked; the rest as registered. */
static void test_units(void **state)
{
	struct fx *f = *state;
	struct unit_input in = { .grid = G1,
		                 .name = "湖西超市",
		                 .credit_code = "91350100M000100Y43",
		                 .kind = "shop",
		                 .address = "湖西路 9 号",
		                 .contact_name = "王店长",
		                 .contact_phone = "13912345678" };
	struct dom_err e = { 0 };
	struct xlsx_table t;
	char *data = NULL;
	size_t len = 0;
	int64_t id;

	assert_int_equal(unit_create(&f->id.x, &in, &id, &e), 0);
	assert_int_equal(unit_export_xlsx(&f->id.x, G1, 100, &data, &len, &e), 0);
	assert_null(memmem(data, len, "13912345678", 11));
	read_sheet(data, len, &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(cell(&t, 0, 6), "联系电话");
	assert_string_equal(cell(&t, 1, 0), "湖西超市");
	assert_string_equal(cell(&t, 1, 1), "91350100M000100Y43");
	assert_string_equal(cell(&t, 1, 2), "商户");
	assert_string_equal(cell(&t, 1, 4), G1);
	assert_string_equal(cell(&t, 1, 5), "王店长");
	assert_string_equal(cell(&t, 1, 6), "139****5678");
	xlsx_table_free(&t);
	free(data);
	assert_int_equal(audits(f, "unit.export", "success"), 1);
}

/* Without registry.export: 403 and a denied record; past the cap: 413, nothing handed out, a
   failure record. */
static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct principal reader = f->op;
	struct dom_err e = { 0 };
	char *data = (char *)"x";
	size_t len = 1;

	house(f, G1, "湖西路 1 号", "自住", NULL);
	house(f, G1, "湖西路 2 号", "自住", NULL);
	reader.impl = &f->reader;
	f->id.x.caller = &reader;
	assert_int_equal(house_export_xlsx(&f->id.x, NULL, 100, &data, &len, &e), -1);
	assert_int_equal(e.status, 403);
	assert_null(data);
	assert_int_equal(audits(f, "house.export", "denied"), 1);
	f->id.x.caller = &f->op;

	memset(&e, 0, sizeof e);
	assert_int_equal(house_export_xlsx(&f->id.x, NULL, 1, &data, &len, &e), -1);
	assert_int_equal(e.status, 413);
	assert_string_equal(e.code, "too_many_rows");
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(audits(f, "house.export", "failure"), 1);
	memset(&e, 0, sizeof e);
	assert_int_equal(house_export_xlsx(&f->id.x, NULL, 2, &data, &len, &e), 0); /* at the cap */
	free(data);
	memset(&e, 0, sizeof e);
	assert_int_equal(house_export_xlsx(&f->id.x, "1234", 2, &data, &len, &e), -1);
	assert_int_equal(e.status, 400);
	assert_int_equal(audits(f, "house.export", "failure"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_houses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
