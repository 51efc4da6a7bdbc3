/*
 * Unit tests of the worker registry (domain/worker.h), staffing compliance (domain/staffing.h)
 * and the CSV import (domain/worker_import.h) on a small tree: 聊城市 > 东昌府区 > two townships,
 * a community (社区, code 0xx) and a village (村, code 2xx) with grids. Covers the refusals
 * (bad_id_number, under_age, nationality) each leaving an audit record and no row, sealing at
 * rest, scope (another township's operator gets 404), the compliance counts, and the import's
 * all-or-nothing rule, from CSV and from .xlsx (row numbers as lines, Excel serial dates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/idcard.h"
#include "base/xlsx.h"
#include "domain/permissions.h"
#include "domain/staffing.h"
#include "domain/worker.h"
#include "domain/worker_import.h"
#include "idfx.h"

#define TOWN1 "371502001000"
#define TOWN2 "371502002000"
#define TOWN1_PATH "371500000000/371502000000/371502001000/"
#define TOWN2_PATH "371500000000/371502000000/371502002000/"

struct fx {
	struct idfx id;
	struct perm_set perms;
	struct principal op1, op2; /* center operators of the two townships */
};

/* A valid ID number from its first 17 digits into out (19 bytes). */
static const char *idn(const char *first17, char out[19])
{
	memcpy(out, first17, 17);
	out[17] = idcard_check_char(first17);
	out[18] = '\0';
	return out;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "worker") < 0)
		return -1;
	if (idfx_exec(
	            &f->id,
	            "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	            "updated_at) VALUES "
	            "('371502000000', '东昌府区', 3, '371500000000', '371500000000/371502000000/', "
	            "0, 0),"
	            "('371502001000', '古楼街道', 4, '371502000000', '" TOWN1_PATH "', 0, 0),"
	            "('371502002000', '柳园街道', 4, '371502000000', '" TOWN2_PATH "', 0, 0),"
	            "('371502001001', '湖西社区', 5, '371502001000', '" TOWN1_PATH
	            "371502001001/', 0, 0),"
	            "('371502001201', '王屯村', 5, '371502001000', '" TOWN1_PATH
	            "371502001201/', 0, 0);"
	            "INSERT INTO grids (id, code, community_code, path, kind, name, boundary, "
	            "valid_from, created_at, updated_at) VALUES "
	            "(1, '371502001001001', '371502001001', '" TOWN1_PATH
	            "371502001001/', 1, '湖西一网格', '{}', 0, 0, 0),"
	            "(2, '371502001001002', '371502001001', '" TOWN1_PATH
	            "371502001001/', 1, '湖西二网格', '{}', 0, 0, 0),"
	            "(3, '371502001201001', '371502001201', '" TOWN1_PATH
	            "371502001201/', 1, '王屯网格', '{}', 0, 0, 0);"
	            "INSERT INTO organisations (id, name, kind, level, region_code, created_at, "
	            "updated_at) VALUES (1, '古楼中心', 'center', 'township', '371502001000', 0, "
	            "0);"
	            "INSERT INTO users (id, username, display_name, org_id, password_hash, "
	            "password_changed_at, created_at, updated_at) VALUES (1, 'op1', '操作员', 1, "
	            "'x', 0, 0, 0);") != 0)
		return -1;
	perm_set_add_name(&f->perms, "worker.read");
	perm_set_add_name(&f->perms, "worker.write");
	f->op1 = (struct principal){ .user_id = 1,
		                     .org_kind = ORG_CENTER,
		                     .region_code = TOWN1,
		                     .region_path = TOWN1_PATH,
		                     .impl = &f->perms };
	f->op2 = (struct principal){ .user_id = 1,
		                     .org_kind = ORG_CENTER,
		                     .region_code = TOWN2,
		                     .region_path = TOWN2_PATH,
		                     .impl = &f->perms };
	/* 2026-06-01 12:00 +08:00 */
	f->id.x.now = 1780286400;
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

static struct dom_ctx as(struct fx *f, const struct principal *p)
{
	struct dom_ctx x = f->id.x;

	x.caller = p;
	return x;
}

static struct worker_input input(const char *name, const char *id_number, const char *employment)
{
	struct worker_input in = WORKER_INPUT_INIT;

	in.name = name;
	in.id_number = id_number;
	in.employment = employment;
	in.part_time_source = strcmp(employment, "part_time") == 0 ? "volunteer" : NULL;
	in.region = TOWN1;
	in.phone = "13912345678";
	in.start_date = "2026-01-05";
	return in;
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op1);
	struct dom_err e = { 0 };
	struct worker_input in;
	char n[19], bad[19];
	int64_t id = 0;

	/* A bad check character. */
	idn("37150219850615123", n);
	memcpy(bad, n, sizeof bad);
	bad[17] = n[17] == '0' ? '1' : '0';
	in = input("王一", bad, "full_time");
	assert_int_equal(worker_create(&x, &in, &id, &e), -1);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "bad_id_number");
	/* Under 18 on the start date, 18 the next day. */
	in = input("王二", idn("37150220080106123", n), "full_time");
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_create(&x, &in, &id, &e), -1);
	assert_string_equal(e.code, "under_age");
	assert_non_null(strstr(e.message, "十八周岁"));
	in.start_date = "2026-01-06";
	assert_int_equal(worker_create(&x, &in, &id, &e), 0);
	/* A foreign nationality. */
	in = input("王三", idn("37150219850615133", n), "full_time");
	in.nationality = "JPN";
	assert_int_equal(worker_create(&x, &in, &id, &e), -1);
	assert_string_equal(e.code, "nationality");
	assert_non_null(strstr(e.message, "第十一条"));
	/* Only the one good worker exists. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM workers"), 1);
	/* The refused update (under age by a later ID) is audited by the kernel. */
	in = input("王二", idn("37150220100106123", n), "full_time");
	in.start_date = NULL;
	assert_int_equal(worker_update(&x, id, &in, &e), -1);
	assert_string_equal(e.code, "under_age");
	assert_true(e.audited);
}

static void test_sealed_and_scope(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x1 = as(f, &f->op1), x2 = as(f, &f->op2);
	struct dom_err e = { 0 };
	struct worker_input in;
	struct worker w;
	char n[19];
	int64_t id = 0;
	struct store_stmt *st;

	in = input("李静", idn("37150219900512233", n), "full_time");
	assert_int_equal(worker_create(&x1, &in, &id, &e), 0);
	/* Stored sealed: neither the ID number nor the phone appears in clear. */
	st = store_prepare(store_reader(f->id.s),
	                   "SELECT id_number, phone FROM workers WHERE id = ?");
	store_bind_int64(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_true(vault_is_sealed(store_col_text(st, 0)));
	assert_true(vault_is_sealed(store_col_text(st, 1)));
	store_reset(st);
	assert_int_equal(worker_get(&x1, id, &w, &e), 0);
	assert_string_equal(w.id_number, n);
	assert_string_equal(w.phone, "13912345678");
	assert_string_equal(w.birth_date, "1990-05-12");
	assert_string_equal(w.sex, "M");
	/* Another township's operator: 404 on read and write, nothing in its list. */
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_get(&x2, id, &w, &e), -1);
	assert_int_equal(e.status, 404);
	in = input(NULL, NULL, "full_time");
	in.name = NULL;
	in.id_number = NULL;
	in.employment = NULL;
	in.region = NULL;
	in.phone = NULL;
	in.start_date = NULL;
	in.education = "高中";
	assert_int_equal(worker_update(&x2, id, &in, &e), -1);
	assert_int_equal(e.status, 404);
	/* A duplicate ID number is 409. */
	in = input("李静二", n, "full_time");
	assert_int_equal(worker_create(&x1, &in, &id, &e), -1);
	assert_int_equal(e.status, 409);
}

static int64_t totals(const json_t *rep, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(rep, "totals"), key));
}

static void test_compliance_counts(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op1);
	struct dom_err e = { 0 };
	struct worker_grid_input g1 = { "371502001001001", 1 }, g3 = { "371502001201001", 1 };
	struct worker_input in;
	char n[19];
	int64_t ft = 0, pt = 0;
	json_t *rep;

	in = input("全职甲", idn("37150219800101123", n), "full_time");
	assert_int_equal(worker_create(&x, &in, &ft, &e), 0);
	in = input("兼职乙", idn("37150219810101123", n), "part_time");
	assert_int_equal(worker_create(&x, &in, &pt, &e), 0);
	assert_int_equal(worker_set_grids(&x, ft, &g1, 1, &e), 0);
	assert_int_equal(worker_set_grids(&x, pt, &g3, 1, &e), 0);
	/* Grid 1 compliant; grid 2 nobody; grid 3 (village) part-time only: 1 / 0 / 2. */
	rep = staffing_report(&x, TOWN1, &e);
	assert_non_null(rep);
	assert_int_equal(totals(rep, "grids"), 3);
	assert_int_equal(totals(rep, "compliant"), 1);
	assert_int_equal(totals(rep, "exceptions"), 0);
	assert_int_equal(totals(rep, "failing"), 2);
	json_decref(rep);
	/* The community grid may not be an exception; the village grid may. */
	assert_int_equal(staffing_exception_mark(&x, "371502001001002", "无人", NULL, NULL, &e),
	                 -1);
	assert_string_equal(e.code, "not_rural");
	assert_int_equal(staffing_exception_mark(&x, "371502001201001", "暂不具备条件",
	                                         "2026-01-01", NULL, &e),
	                 0);
	rep = staffing_report(&x, TOWN1, &e);
	assert_int_equal(totals(rep, "exceptions"), 1);
	assert_int_equal(totals(rep, "failing"), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(rep, "failing"), 0), "code")),
	                    "371502001001002");
	json_decref(rep);
	/* An exception that ended yesterday no longer covers the grid. */
	assert_int_equal(staffing_exception_mark(&x, "371502001201001", "暂不具备条件",
	                                         "2026-01-01", "2026-05-31", &e),
	                 0);
	rep = staffing_report(&x, TOWN1, &e);
	assert_int_equal(totals(rep, "exceptions"), 0);
	assert_int_equal(totals(rep, "failing"), 2);
	json_decref(rep);
	/* The exit of the full-time worker makes grid 1 fail too. */
	assert_int_equal(worker_exit(&x, ft, "2026-05-31", "调离", &e), 0);
	rep = staffing_report(&x, TOWN1, &e);
	assert_int_equal(totals(rep, "compliant"), 0);
	assert_int_equal(totals(rep, "failing"), 3);
	json_decref(rep);
	assert_int_equal(
	        idfx_count(&f->id, "SELECT count(*) FROM worker_grids WHERE worker_id = 1"), 0);
}

static void test_import_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op1);
	struct dom_err e = { 0 };
	json_t *errors = NULL;
	char a[19], b[19], csv[1024];

	idn("37150219800101123", a);
	idn("37150219900101123", b);
	/* Row 3 names a township outside the caller's scope: nothing is written. */
	(void)snprintf(csv, sizeof csv,
	               "\xef\xbb\xbf姓名,身份证号码,用工类型,兼职来源,所属区划代码\r\n"
	               "甲,%s,专职,,%s\r\n乙,%s,兼职,志愿者,%s\r\n",
	               a, TOWN1, b, TOWN2);
	assert_int_equal(worker_import_csv(&x, csv, strlen(csv), &errors, &e), -1);
	assert_string_equal(e.code, "import_failed");
	assert_non_null(errors);
	assert_int_equal(json_array_size(errors), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 0), "line")), 3);
	json_decref(errors);
	errors = NULL;
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM workers"), 0);
	/* A missing required column is named. */
	assert_int_equal(worker_import_csv(&x, "姓名,身份证号码\n甲,1\n", 26, &errors, &e), -1);
	assert_non_null(
	        strstr(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
	               "用工类型"));
	json_decref(errors);
	errors = NULL;
	/* Fixed: both rows in. */
	(void)snprintf(csv, sizeof csv,
	               "姓名,身份证号码,用工类型,兼职来源,所属区划代码\n甲,%s,专职,,%s\n"
	               "乙,%s,兼职,志愿者,%s\n",
	               a, TOWN1, b, TOWN1);
	assert_int_equal(worker_import_csv(&x, csv, strlen(csv), &errors, &e), 2);
	assert_null(errors);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM workers"), 2);
}

/* The .xlsx import: a workbook from our own writer, row numbers as lines, a date typed into
   Excel (a serial day number) taken as a date, columns past the header ignored; a file that is
   not a workbook refused as bad_xlsx. */
static void test_import_xlsx(void **state)
{
	static const char *const head[] = { "姓名",     "身份证号码",   "用工类型",
		                            "兼职来源", "所属区划代码", "到岗日期" };
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op1);
	struct dom_err e = { 0 };
	json_t *errors = NULL;
	char a[19], b[19], *data;
	const char *r1[] = { "甲", a, "专职", NULL, TOWN1, "45658", "多余的列" };
	const char *r2[] = { "乙", b, "兼职", "志愿者", TOWN2, "2026-01-05" };
	size_t len;
	struct xlsx *w;

	idn("37150219800101123", a);
	idn("37150219900101123", b);
	for (int pass = 0; pass < 2; pass++) {
		w = xlsx_new();
		assert_non_null(w);
		assert_int_equal(xlsx_sheet(w, "网格员", head, 6), 0);
		assert_int_equal(xlsx_row_mixed(w, r1, 7, 1u << 5), 0);
		assert_int_equal(xlsx_row(w, r2, 6), 0);
		assert_int_equal(xlsx_finish(w, &data, &len), 0);
		if (pass == 0) {
			/* Row 3 names a township outside the caller's scope. */
			assert_int_equal(worker_import_xlsx(&x, data, len, &errors, &e), -1);
			assert_string_equal(e.code, "import_failed");
			assert_int_equal(json_array_size(errors), 1);
			assert_int_equal(json_integer_value(json_object_get(
			                         json_array_get(errors, 0), "line")),
			                 3);
			json_decref(errors);
			errors = NULL;
			assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM workers"), 0);
			r2[4] = TOWN1;
		} else {
			assert_int_equal(worker_import_xlsx(&x, data, len, &errors, &e), 2);
			assert_null(errors);
		}
		free(data);
	}
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM workers WHERE start_date = "
	                                    "'2025-01-01' AND name = '甲'"),
	                 1);
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_import_xlsx(&x, "姓名\n", 7, &errors, &e), -1);
	assert_null(errors);
	assert_string_equal(e.code, "bad_xlsx");
	assert_non_null(strstr(e.message, "不是 ZIP"));
}

static void test_amounts(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(worker_amount_parse("3250.5", &v), 0);
	assert_int_equal(v, 325050);
	assert_int_equal(worker_amount_parse("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(worker_amount_parse("1.234", &v), -1);
	assert_int_equal(worker_amount_parse("-1", &v), -1);
	assert_int_equal(worker_amount_parse("1.2.3", &v), -1);
	assert_int_equal(worker_amount_parse("", &v), -1);
	assert_int_equal(worker_hours_parse("2.5", &v), 0);
	assert_int_equal(v, 25);
	assert_int_equal(worker_hours_parse("0", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_and_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compliance_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_xlsx, setup, teardown),
		cmocka_unit_test(test_amounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
