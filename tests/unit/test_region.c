/*
 * Unit tests for domain/region: code normalization, paths and kind labels, name validation,
 * create/get/list/update on a fresh database, keyset pages of the list, scoping by a principal's
 * region path, and the CSV import (BOM, quoting, parents later in the file, 6-digit codes; every
 * bad row reported with its line number; nothing imported when any row is bad; one audit record
 * per import run).
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

#include "base/buf.h"
#include "domain/region.h"
#include "store/store.h"

struct fx {
	char dir[64];
	struct store *s;
};

/* A domain context for p on s with a fixed audit key (static: one call per expression). */
static const struct dom_ctx *ctx(struct store *s, const struct principal *p)
{
	static const unsigned char key[32] = { 7 };
	static struct dom_ctx x;

	dom_ctx_cli(&x, s, key, NULL);
	x.caller = p;
	return &x;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-region-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t count_regions(struct store *s)
{
	struct store_stmt *st = store_prepare(store_reader(s), "SELECT count(*) FROM regions");
	int64_t n = -1;

	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

static void test_codes_and_paths(void **state)
{
	char out[13], path[ACCESS_PATH_MAX];
	struct code_error err = { 0 };

	(void)state;
	assert_int_equal(region_code_normalize("371502", out, &err), 3);
	assert_string_equal(out, "371502000000");
	assert_int_equal(region_code_normalize("371500", out, &err), 2);
	assert_int_equal(region_code_normalize("371502001001", out, &err), 5);
	assert_int_equal(region_code_normalize("371502001000", out, &err), 4);
	assert_int_equal(region_code_normalize("3715020010", out, &err), 0);
	assert_string_equal(err.code, "bad_length");
	assert_int_equal(region_code_normalize("37150200100a", out, &err), 0);
	assert_string_equal(err.code, "bad_char");
	assert_int_equal(region_code_normalize(NULL, out, &err), 0);
	assert_int_equal(region_path_join("", "371500000000", path), 0);
	assert_string_equal(path, "371500000000/");
	assert_int_equal(region_path_join("371500000000/", "371502000000", path), 0);
	assert_string_equal(path, "371500000000/371502000000/");
	assert_string_equal(region_kind_label("371502000000"), "区");
	assert_string_equal(region_kind_label("371521000000"), "县");
	assert_string_equal(region_kind_label("371581000000"), "县级市");
	assert_string_equal(region_kind_label("371502001000"), "街道");
	assert_string_equal(region_kind_label("371502100000"), "镇");
	assert_string_equal(region_kind_label("371502200000"), "乡");
	assert_string_equal(region_kind_label("371502001001"), "社区");
	assert_string_equal(region_kind_label("371502100200"), "村");
	assert_string_equal(region_kind_label("371500000000"), "市");
}

static void test_names(void **state)
{
	char msg[128];

	(void)state;
	assert_true(dom_name_valid("古楼街道", msg, sizeof msg));
	assert_false(dom_name_valid("", msg, sizeof msg));
	assert_false(dom_name_valid(" 古楼", msg, sizeof msg));
	assert_false(dom_name_valid("古\x01楼", msg, sizeof msg));
	assert_false(dom_name_valid("\xff\xfe", msg, sizeof msg));
	assert_false(dom_name_valid("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"
	                            "二三四五六七八九十一",
	                            msg, sizeof msg));
	assert_non_null(strstr(msg, "过长"));
}

static void create_ok(struct store *s, const char *code, const char *name)
{
	struct region r;
	struct dom_err e = { 0 };

	if (region_create(ctx(s, access_system()), code, name, NULL, &r, &e) != 0)
		print_message("%s: %s\n", code, e.message);
	region_release(&r);
}

static void test_create_get_list_update(void **state)
{
	struct fx *f = *state;
	struct region r;
	struct dom_err e = { 0 };
	struct region_filter filt = { 0 };
	struct dom_page pg = { .limit = 10 };
	json_t *list, *b;

	create_ok(f->s, "371500", "聊城市");
	create_ok(f->s, "371502", "东昌府区");
	create_ok(f->s, "371521", "阳谷县");
	create_ok(f->s, "371502001000", "古楼街道");
	b = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[115.9,36.4],[116,36.4],[116,36.5],"
	               "[115.9,36.5],[115.9,36.4]]]}",
	               0, NULL);
	assert_int_equal(
	        region_create(ctx(f->s, access_system()), "371502001001", "柳园社区", b, &r, &e),
	        0);
	assert_string_equal(r.path, "371500000000/371502000000/371502001000/371502001001/");
	assert_string_equal(r.parent_code, "371502001000");
	assert_int_equal(r.level, 5);
	region_release(&r);
	json_decref(b);

	/* Duplicate, unknown parent, bad code, bad name, bad boundary. */
	assert_int_equal(region_create(ctx(f->s, access_system()), "371502", "重复", NULL, &r, &e),
	                 -1);
	assert_int_equal(e.status, 409);
	assert_int_equal(
	        region_create(ctx(f->s, access_system()), "371502002001", "孤儿社区", NULL, &r, &e),
	        -1);
	assert_int_equal(e.status, 404);
	assert_string_equal(e.code, "unknown_parent");
	assert_int_equal(region_create(ctx(f->s, access_system()), "37150", "短", NULL, &r, &e),
	                 -1);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "bad_code");
	assert_int_equal(
	        region_create(ctx(f->s, access_system()), "371502002000", "", NULL, &r, &e), -1);
	assert_string_equal(e.code, "bad_name");
	b = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[115.9,36.4],[116,36.5],[116,36.4],"
	               "[115.9,36.5],[115.9,36.4]]]}",
	               0, NULL);
	assert_int_equal(
	        region_create(ctx(f->s, access_system()), "371502002000", "道口铺街道", b, &r, &e),
	        -1);
	assert_string_equal(e.code, "bad_boundary");
	assert_non_null(strstr(e.message, "自相交"));
	json_decref(b);

	assert_int_equal(region_get(ctx(f->s, access_system()), "371502001001", &r, &e), 0);
	assert_string_equal(r.name, "柳园社区");
	assert_non_null(r.boundary);
	region_release(&r);
	assert_int_equal(region_get(ctx(f->s, access_system()), "371502009009", &r, &e), -1);

	filt.parent = "371500000000";
	list = region_list(ctx(f->s, access_system()), &filt, &pg, &e);
	assert_non_null(list);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
	assert_true(json_is_null(json_object_get(list, "next_cursor")));
	json_decref(list);
	filt.parent = NULL;
	filt.level = 5;
	list = region_list(ctx(f->s, access_system()), &filt, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
	json_decref(list);

	assert_int_equal(region_update(ctx(f->s, access_system()), "371502001001", "柳园新社区",
	                               NULL, 0, &e),
	                 0);
	assert_int_equal(region_get(ctx(f->s, access_system()), "371502001001", &r, &e), 0);
	assert_string_equal(r.name, "柳园新社区");
	assert_non_null(r.boundary);
	region_release(&r);
	assert_int_equal(
	        region_update(ctx(f->s, access_system()), "371502001001", NULL, NULL, 1, &e), 0);
	assert_int_equal(region_get(ctx(f->s, access_system()), "371502001001", &r, &e), 0);
	assert_null(r.boundary);
	region_release(&r);
}

static void test_scope(void **state)
{
	struct fx *f = *state;
	struct principal p = { .user_id = 7, .org_kind = ORG_CENTER };
	struct region r;
	struct dom_err e = { 0 };
	struct region_filter filt = { 0 };
	struct dom_page pg = { .limit = 100 };
	json_t *list;

	create_ok(f->s, "371500", "聊城市");
	create_ok(f->s, "371502", "东昌府区");
	create_ok(f->s, "371521", "阳谷县");
	create_ok(f->s, "371521100000", "阿城镇");
	memcpy(p.region_code, "371502000000", 13);
	snprintf(p.region_path, sizeof p.region_path, "371500000000/371502000000/");
	assert_int_equal(region_get(ctx(f->s, &p), "371502000000", &r, &e), 0);
	region_release(&r);
	/* Another county and the city above are out of scope: not found. */
	assert_int_equal(region_get(ctx(f->s, &p), "371521000000", &r, &e), -1);
	assert_int_equal(region_get(ctx(f->s, &p), "371521100000", &r, &e), -1);
	assert_int_equal(region_get(ctx(f->s, &p), "371500000000", &r, &e), -1);
	list = region_list(ctx(f->s, &p), &filt, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(list, "items"), 0), "code")),
	                    "371502000000");
	json_decref(list);
	/* Writes without the permission are refused. */
	assert_int_equal(region_create(ctx(f->s, &p), "371502001000", "古楼街道", NULL, &r, &e),
	                 -1);
	assert_int_equal(e.status, 403);
}

static int import(struct fx *f, const char *csv, struct buf *report)
{
	buf_reset(report);
	return region_import_csv(ctx(f->s, access_system()), csv, strlen(csv), report);
}

static void test_import_good(void **state)
{
	struct fx *f = *state;
	struct buf report;
	struct region r;
	struct dom_err e = { 0 };
	/* BOM, children before parents, 6-digit codes, a quoted boundary with commas and quotes,
	   CRLF line ends, a blank line. */
	const char *csv =
	        "\xef\xbb\xbf"
	        "code,name,boundary\r\n"
	        "371502001001,柳园社区,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
	        "[[[115.9,36.4],[116,36.4],[116,36.5],[115.9,36.5],[115.9,36.4]]]}\"\r\n"
	        "371502001000,古楼街道,\r\n"
	        "\r\n"
	        "371502,东昌府区\r\n"
	        "371500,聊城市\r\n";

	buf_init(&report, 1 << 20);
	assert_int_equal(import(f, csv, &report), 4);
	assert_string_equal(report.data, "");
	assert_int_equal(region_get(ctx(f->s, access_system()), "371502001001", &r, &e), 0);
	assert_string_equal(r.path, "371500000000/371502000000/371502001000/371502001001/");
	assert_non_null(r.boundary);
	region_release(&r);
	/* Importing again: every row is now a duplicate of the database. */
	assert_int_equal(import(f, csv, &report), -1);
	assert_non_null(strstr(report.data, "第 3 行"));
	assert_non_null(strstr(report.data, "已存在"));
	assert_int_equal(count_regions(f->s), 4);
	buf_release(&report);
}

static void test_import_bad_rows(void **state)
{
	struct fx *f = *state;
	struct buf report;
	const char *csv =
	        "code,name,boundary\n"
	        "371500,聊城市\n"                    /* 2 ok */
	        "371502,东昌府区\n"                  /* 3 ok */
	        "3715021,坏代码\n"                   /* 4 bad length */
	        "371599001000,无上级街道\n"          /* 5 unknown parent */
	        "371502,东昌府区重复\n"              /* 6 duplicate of line 3 */
	        "371502001000,\n"                    /* 7 missing name */
	        "371502002000,新区街道,{not json}\n" /* 8 bad json */
	        "371502003000,湖西街道,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
	        "[[[116,36],[116.1,36.1],[116.1,36],[116,36.1],[116,36]]]}\"\n" /* 9 bow-tie */
	        "371502004000,只有,三,列,多\n" /* 10 column count */
	        "371502005000,道口铺街道\n";   /* 11 ok */
	int64_t before = count_regions(f->s);

	buf_init(&report, 1 << 20);
	assert_int_equal(import(f, csv, &report), -1);
	print_message("%s", report.data);
	assert_non_null(strstr(report.data, "第 4 行"));
	assert_non_null(strstr(report.data, "第 5 行"));
	assert_non_null(strstr(report.data, "上级区划 371599000000 不存在"));
	assert_non_null(strstr(report.data, "第 6 行：区划代码 371502000000 与第 3 行重复"));
	assert_non_null(strstr(report.data, "第 7 行：缺少名称"));
	assert_non_null(strstr(report.data, "第 8 行"));
	assert_non_null(strstr(report.data, "第 9 行"));
	assert_non_null(strstr(report.data, "自相交"));
	assert_non_null(strstr(report.data, "第 10 行"));
	assert_null(strstr(report.data, "第 2 行"));
	assert_null(strstr(report.data, "第 11 行"));
	/* Nothing half-imported. */
	assert_int_equal(count_regions(f->s), before);
	/* Bad header. */
	assert_int_equal(import(f, "代码x,名字\n371500,聊城市\n", &report), -1);
	assert_non_null(strstr(report.data, "第 1 行：表头"));
	assert_int_equal(import(f, "", &report), -1);
	assert_int_equal(import(f, "code,name\n\"371500,聊城市\n", &report), -1);
	assert_non_null(strstr(report.data, "引号"));
	assert_int_equal(count_regions(f->s), before);
	buf_release(&report);
}

static void test_list_pages(void **state)
{
	struct fx *f = *state;
	struct region_filter filt = { 0 };
	struct dom_page pg = { .limit = 2 };
	struct dom_err e = { 0 };
	struct principal p = { .user_id = 7,
		               .org_kind = ORG_CENTER,
		               .region_code = "371502000000",
		               .region_path = "371500000000/371502000000/" };
	char seen[512] = "", prev[13] = "";
	size_t used = 0;
	int pages = 0;
	json_t *list;

	create_ok(f->s, "371500", "聊城市");
	create_ok(f->s, "371502", "东昌府区");
	create_ok(f->s, "371521", "阳谷县");
	create_ok(f->s, "371502001000", "古楼街道");
	create_ok(f->s, "371502002000", "柳园街道");
	create_ok(f->s, "371502001001", "柳园社区");
	create_ok(f->s, "371502001002", "湖西社区");
	create_ok(f->s, "371521100000", "阿城镇");
	/* The county's scope, two at a time: every region once, in code order, nothing outside. */
	for (;;) {
		json_t *items, *next;

		list = region_list(ctx(f->s, &p), &filt, &pg, &e);
		assert_non_null(list);
		items = json_object_get(list, "items");
		next = json_object_get(list, "next_cursor");
		for (size_t i = 0; i < json_array_size(items); i++) {
			const char *code = json_string_value(
			        json_object_get(json_array_get(items, i), "code"));

			assert_true(strcmp(code, prev) > 0);
			snprintf(prev, sizeof prev, "%s", code);
			used += (size_t)snprintf(seen + used, sizeof seen - used, "%s ", code);
		}
		pages++;
		if (json_is_null(next)) {
			json_decref(list);
			break;
		}
		assert_int_equal(json_array_size(items), 2);
		assert_int_equal(dom_page_parse(&pg, "2", json_string_value(next), &e), 0);
		json_decref(list);
	}
	assert_string_equal(seen, "371502000000 371502001000 371502001001 371502001002 "
	                          "371502002000 ");
	assert_int_equal(pages, 3);
	/* Children of a township, with their counts. */
	filt.parent = "371502001000";
	pg = (struct dom_page){ .limit = 10 };
	list = region_list(ctx(f->s, &p), &filt, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
	json_decref(list);
	filt.parent = "371502000000";
	list = region_list(ctx(f->s, &p), &filt, &pg, &e);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(list, "items"), 0), "children")),
	                 2);
	json_decref(list);
	/* A cursor that is not a region code. */
	assert_int_equal(dom_page_parse(&pg, "2", "YWJj", &e), 0); /* "abc" */
	assert_null(region_list(ctx(f->s, &p), &filt, &pg, &e));
	assert_string_equal(e.code, "bad_cursor");
}

static int64_t count_audit(struct store *s, const char *action, const char *outcome)
{
	struct store_stmt *st =
	        store_prepare(store_reader(s), "SELECT count(*) FROM audit_log WHERE action = ? "
	                                       "AND outcome = ? AND object = 'regions'");
	int64_t n = -1;

	store_bind_text(st, 1, action, -1);
	store_bind_text(st, 2, outcome, -1);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* One import run is one write, recorded once: a success with the count, or a failure. */
static void test_import_audited(void **state)
{
	struct fx *f = *state;
	struct buf report;
	struct principal p = { .user_id = 7,
		               .org_kind = ORG_CENTER,
		               .region_code = "371502000000",
		               .region_path = "371500000000/371502000000/" };

	buf_init(&report, 1 << 20);
	assert_int_equal(
	        import(f, "code,name\n371500,聊城市\n371502,东昌府区\n371502001000,古楼街道\n",
	               &report),
	        3);
	assert_int_equal(count_audit(f->s, "region.import", "success"), 1);
	assert_int_equal(import(f, "code,name\n371502001001,柳园社区\n371502001,坏代码\n", &report),
	                 -1);
	assert_int_equal(count_audit(f->s, "region.import", "failure"), 1);
	assert_int_equal(count_regions(f->s), 3);
	/* A caller without region.write is refused by the kernel, and recorded. */
	buf_reset(&report);
	assert_int_equal(region_import_csv(ctx(f->s, &p), "code,name\n371502001001,柳园社区\n",
	                                   strlen("code,name\n371502001001,柳园社区\n"), &report),
	                 -1);
	assert_non_null(strstr(report.data, "权限"));
	assert_int_equal(count_audit(f->s, "region.import", "denied"), 1);
	assert_int_equal(count_regions(f->s), 3);
	buf_release(&report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_and_paths),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_create_get_list_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_audited, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
