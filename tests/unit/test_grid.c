/*
 * Unit tests for domain/grid and the checks: codes (given, auto-assigned, wrong length, wrong
 * parent, out of band, duplicate, reuse of a retired code), boundary validation, update, redraw
 * with versions, split and merge with lineage and their geometry conditions, retire, list and
 * history, Art. 7 refusals, and the checks finding planted overlaps, gaps and size outliers.
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
#include "domain/audit.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "store/store.h"

#define COMM "371502001001"

struct fx {
	char dir[64];
	struct store *s;
};

/* A rectangle as a GeoJSON object (new reference). */
static json_t *rect(double x0, double y0, double x1, double y1)
{
	return json_pack("{s:s,s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
	                 "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
}

static void region(struct store *s, const char *code, const char *name, json_t *b)
{
	static const unsigned char key[32] = { 1, 2, 3 };
	struct region r;
	struct dom_err e = { 0 };
	struct dom_ctx x;

	dom_ctx_cli(&x, s, key, NULL);
	assert_int_equal(region_create(&x, code, name, b, &r, &e), 0);
	region_release(&r);
	json_decref(b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-grid-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	region(f->s, "371500", "聊城市", NULL);
	region(f->s, "371502", "东昌府区", NULL);
	region(f->s, "371502001000", "古楼街道", NULL);
	/* The community: 0.2° × 0.1° at (116.0, 36.0). */
	region(f->s, COMM, "柳园社区", rect(116.0, 36.0, 116.2, 36.1));
	region(f->s, "371502001002", "湖西社区", NULL);
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

/* Creates a comprehensive grid; returns 0 or -1 with *e. */
static int create(struct fx *f, const char *code, const char *name, json_t *b, char out[16],
                  struct dom_err *e)
{
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .code = code,
		                 .name = name,
		                 .boundary = b,
		                 .households = 400,
		                 .residents = 1000 };
	int rc = grid_create(f->s, access_system(), &in, out, e);

	json_decref(b);
	return rc;
}

static void expect_code_error(struct fx *f, const char *code, int status, const char *ecode)
{
	struct dom_err e = { 0 };
	char out[16];

	assert_int_equal(create(f, code, "坏网格", rect(116.0, 36.0, 116.1, 36.1), out, &e), -1);
	if (e.status != status || strcmp(e.code, ecode) != 0)
		print_message("%s: %d %s %s\n", code, e.status, e.code, e.message);
	assert_int_equal(e.status, status);
	assert_string_equal(e.code, ecode);
	assert_true((unsigned char)e.message[0] >= 0x80); /* Chinese */
}

static void test_codes(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	char out[16];

	assert_int_equal(
	        create(f, "371502001001001", "第一网格", rect(116.0, 36.0, 116.1, 36.1), out, &e),
	        0);
	assert_string_equal(out, "371502001001001");
	/* Auto-assigned: the next free sequence. */
	assert_int_equal(create(f, NULL, "第二网格", rect(116.1, 36.0, 116.2, 36.1), out, &e), 0);
	assert_string_equal(out, "371502001001002");

	expect_code_error(f, "37150200100100", 400, "bad_length");
	expect_code_error(f, "3715020010010011", 400, "bad_length");
	expect_code_error(f, "37150200100a001", 400, "bad_char");
	expect_code_error(f, "371502001002001", 400, "wrong_parent");
	expect_code_error(f, "371502001001600", 400, "sequence_out_of_band");
	expect_code_error(f, "371502001001000", 400, "sequence_out_of_band");
	expect_code_error(f, "371502001001001", 409, "duplicate_code");

	/* A retired code is never given again, by hand or automatically. */
	assert_int_equal(grid_retire(f->s, access_system(), "371502001001002", "测试撤销", &e), 0);
	expect_code_error(f, "371502001001002", 409, "code_retired");
	assert_int_equal(create(f, NULL, "第三网格", rect(116.1, 36.0, 116.2, 36.1), out, &e), 0);
	assert_string_equal(out, "371502001001003");

	/* Dedicated grids take the 601+ band and need a subtype. */
	{
		struct grid_input in = { .community = COMM,
			                 .kind = GRID_DEDICATED,
			                 .subtype = "学校",
			                 .name = "第一中学专属网格",
			                 .households = -1,
			                 .residents = -1 };
		json_t *b = rect(116.05, 36.05, 116.06, 36.06);

		in.boundary = b;
		assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), 0);
		assert_string_equal(out, "371502001001601");
		in.subtype = "网吧";
		assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), -1);
		assert_string_equal(e.code, "bad_subtype");
		in.subtype = "学校";
		in.code = "371502001001005";
		assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), -1);
		assert_string_equal(e.code, "sequence_out_of_band");
		json_decref(b);
	}
	/* The community must be a village-level region that exists. */
	{
		struct grid_input in = { .community = "371502001009",
			                 .kind = GRID_COMPREHENSIVE,
			                 .name = "无主网格",
			                 .households = -1,
			                 .residents = -1 };
		json_t *b = rect(116.05, 36.05, 116.06, 36.06);

		in.boundary = b;
		assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), -1);
		assert_int_equal(e.status, 404);
		in.community = "371502001000";
		assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), -1);
		assert_string_equal(e.code, "bad_community");
		json_decref(b);
	}
}

static void test_boundaries(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	char out[16];
	json_t *bowtie = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[116,36],[116.1,36.1],"
	                            "[116.1,36],[116,36.1],[116,36]]]}",
	                            0, NULL);

	assert_int_equal(create(f, NULL, "蝴蝶网格", bowtie, out, &e), -1);
	assert_string_equal(e.code, "bad_boundary");
	assert_non_null(strstr(e.message, "自相交"));
	assert_int_equal(create(f, NULL, "无边界网格", NULL, out, &e), -1);
	assert_string_equal(e.code, "bad_boundary");
	assert_int_equal(
	        create(f, NULL, "点网格",
	               json_pack("{s:s,s:[f,f]}", "type", "Point", "coordinates", 116.0, 36.0), out,
	               &e),
	        -1);
	assert_string_equal(e.code, "bad_boundary");
	assert_int_equal(create(f, NULL, "境外网格", rect(16.0, 36.0, 16.1, 36.1), out, &e), -1);
	assert_non_null(strstr(e.message, "超出范围"));
}

static void test_update_redraw_history(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct grid_patch patch = { .name = "改名网格", .households = 420, .residents = -1 };
	struct grid g;
	char out[16];
	json_t *h, *b;

	assert_int_equal(create(f, NULL, "第一网格", rect(116.0, 36.0, 116.1, 36.1), out, &e), 0);
	assert_int_equal(grid_update(f->s, access_system(), out, &patch, &e), 0);
	assert_int_equal(grid_get(f->s, access_system(), out, &g), 1);
	assert_string_equal(g.name, "改名网格");
	assert_int_equal(g.households, 420);
	assert_int_equal(g.residents, 1000);
	grid_release(&g);
	patch = (struct grid_patch){ .subtype = "学校", .households = -1, .residents = -1 };
	assert_int_equal(grid_update(f->s, access_system(), out, &patch, &e), -1);
	assert_string_equal(e.code, "bad_subtype");

	b = rect(116.0, 36.0, 116.12, 36.1);
	assert_int_equal(grid_redraw(f->s, access_system(), out, b, "扩大范围", &e), 0);
	json_decref(b);
	assert_int_equal(grid_get(f->s, access_system(), out, &g), 1);
	assert_int_equal(g.version, 2);
	assert_string_equal(g.code, out); /* the code stays */
	grid_release(&g);
	h = grid_history(f->s, access_system(), out, &e);
	assert_non_null(h);
	assert_int_equal(json_array_size(json_object_get(h, "versions")), 2);
	assert_false(json_is_null(
	        json_object_get(json_array_get(json_object_get(h, "versions"), 0), "valid_to")));
	assert_true(json_is_null(
	        json_object_get(json_array_get(json_object_get(h, "versions"), 1), "valid_to")));
	json_decref(h);
	assert_null(grid_history(f->s, access_system(), "371502001001999", &e));
	assert_int_equal(e.status, 404);
}

static void test_split_merge(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	char out[16], codes[3][16], merged[16];
	struct grid g;
	json_t *h, *b1, *b2, *b3;

	assert_int_equal(create(f, NULL, "大网格", rect(116.0, 36.0, 116.2, 36.1), out, &e), 0);
	assert_string_equal(out, "371502001001001");

	/* Parts that leave a gap, overlap, or reach outside are refused. */
	b1 = rect(116.0, 36.0, 116.09, 36.1);
	b2 = rect(116.1, 36.0, 116.2, 36.1);
	{
		struct grid_part parts[2] = { { "西半", b1, NULL, -1, -1 },
			                      { "东半", b2, NULL, -1, -1 } };

		assert_int_equal(grid_split(f->s, access_system(), out, parts, 2, codes, &e), -1);
		assert_string_equal(e.code, "parts_incomplete");
	}
	json_decref(b1);
	b1 = rect(116.0, 36.0, 116.11, 36.1);
	{
		struct grid_part parts[2] = { { "西半", b1, NULL, -1, -1 },
			                      { "东半", b2, NULL, -1, -1 } };

		assert_int_equal(grid_split(f->s, access_system(), out, parts, 2, codes, &e), -1);
		assert_string_equal(e.code, "parts_overlap");
	}
	json_decref(b1);
	b1 = rect(115.99, 36.0, 116.1, 36.1);
	{
		struct grid_part parts[2] = { { "西半", b1, NULL, -1, -1 },
			                      { "东半", b2, NULL, -1, -1 } };

		assert_int_equal(grid_split(f->s, access_system(), out, parts, 2, codes, &e), -1);
		assert_string_equal(e.code, "parts_outside");
	}
	json_decref(b1);

	/* A good split into three: the old grid is retired and keeps its lineage. */
	b1 = rect(116.0, 36.0, 116.1, 36.1);
	json_decref(b2);
	b2 = rect(116.1, 36.0, 116.2, 36.05);
	b3 = rect(116.1, 36.05, 116.2, 36.1);
	{
		struct grid_part parts[3] = { { "西网格", b1, NULL, -1, -1 },
			                      { "东南网格", b2, "371502001001009", 100, 250 },
			                      { "东北网格", b3, NULL, -1, -1 } };

		assert_int_equal(grid_split(f->s, access_system(), out, parts, 3, codes, &e), 0);
	}
	json_decref(b1);
	json_decref(b2);
	json_decref(b3);
	assert_string_equal(codes[0], "371502001001002");
	assert_string_equal(codes[1], "371502001001009");
	assert_string_equal(codes[2], "371502001001003");
	assert_int_equal(grid_get(f->s, access_system(), out, &g), 1);
	assert_int_equal(g.retired, 1);
	assert_true(g.valid_to > 0);
	grid_release(&g);
	assert_int_equal(grid_get(f->s, access_system(), codes[0], &g), 1);
	assert_int_equal(g.residents, 500); /* half the area, half the people */
	grid_release(&g);
	h = grid_history(f->s, access_system(), out, &e);
	assert_int_equal(json_array_size(json_object_get(json_object_get(h, "lineage"), "down")),
	                 3);
	json_decref(h);
	h = grid_history(f->s, access_system(), codes[1], &e);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(json_object_get(h, "lineage"), "up"), 0),
	                "code")),
	        out);
	json_decref(h);
	/* The retired grid cannot be split again. */
	{
		json_t *a = rect(116.0, 36.0, 116.1, 36.1), *c = rect(116.1, 36.0, 116.2, 36.1);
		struct grid_part parts[2] = { { "甲", a, NULL, -1, -1 },
			                      { "乙", c, NULL, -1, -1 } };

		assert_int_equal(grid_split(f->s, access_system(), out, parts, 2, codes, &e), -1);
		assert_int_equal(e.status, 409);
		json_decref(a);
		json_decref(c);
	}

	/* Merge the two eastern parts back; non-adjacent grids are refused. */
	{
		const char *pair[2] = { "371502001001009", "371502001001003" };
		const char *apart[2] = { "371502001001002", "371502001001009" };

		assert_int_equal(
		        grid_merge(f->s, access_system(), pair, 2, "东网格", NULL, merged, &e), 0);
		assert_string_equal(merged, "371502001001004");
		assert_int_equal(grid_get(f->s, access_system(), merged, &g), 1);
		assert_int_equal(g.residents, 250 + 250);
		grid_release(&g);
		assert_int_equal(
		        grid_merge(f->s, access_system(), apart, 2, "再合并", NULL, merged, &e),
		        -1);
		assert_int_equal(e.status, 409); /* 009 is retired now */
	}
	h = grid_history(f->s, access_system(), out, &e);
	/* Down from the original: three children, and the merged grandchild. */
	assert_int_equal(json_array_size(json_object_get(json_object_get(h, "lineage"), "down")),
	                 4);
	json_decref(h);
}

static void test_list_and_art7(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct grid_filter filt = { .status = 0, .limit = 10 };
	struct principal town = { .user_id = 3, .org_kind = ORG_CENTER };
	struct grid g;
	char out[16];
	json_t *list;

	assert_int_equal(create(f, NULL, "柳园第一网格", rect(116.0, 36.0, 116.1, 36.1), out, &e),
	                 0);
	assert_int_equal(create(f, NULL, "柳园第二网格", rect(116.1, 36.0, 116.2, 36.1), out, &e),
	                 0);
	filt.q = "第二";
	list = grid_list(f->s, access_system(), &filt, &e);
	assert_int_equal(json_integer_value(json_object_get(list, "total")), 1);
	json_decref(list);
	filt.q = NULL;
	filt.region = "371502000000";
	list = grid_list(f->s, access_system(), &filt, &e);
	assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
	json_decref(list);
	filt.region = "371503000000";
	assert_null(grid_list(f->s, access_system(), &filt, &e));
	assert_int_equal(e.status, 404);

	/* A township center sees its grids but may not change them (Art. 7). */
	memcpy(town.region_code, "371502001000", 13);
	snprintf(town.region_path, sizeof town.region_path,
	         "371500000000/371502000000/371502001000/");
	assert_int_equal(grid_get(f->s, &town, out, &g), 1);
	grid_release(&g);
	assert_int_equal(grid_retire(f->s, &town, out, "越权", &e), -1);
	assert_int_equal(e.status, 403);
	/* Another township sees nothing. */
	snprintf(town.region_path, sizeof town.region_path,
	         "371500000000/371502000000/371502002000/");
	assert_int_equal(grid_get(f->s, &town, out, &g), 0);
	/* A grid worker sees only the grids bound to them: grid_bound, whatever the kind of their
	   organisation (here a committee of the county's subtree). */
	{
		int64_t mine[1];
		struct principal w = { .user_id = 4,
			               .org_kind = ORG_COMMITTEE,
			               .grid_bound = 1,
			               .region_path = "371500000000/371502000000/" };

		assert_int_equal(grid_get(f->s, access_system(), out, &g), 1);
		mine[0] = g.id;
		grid_release(&g);
		w.grid_ids = mine;
		w.ngrids = 1;
		filt.region = NULL;
		list = grid_list(f->s, &w, &filt, &e);
		assert_int_equal(json_integer_value(json_object_get(list, "total")), 1);
		json_decref(list);
		assert_int_equal(grid_get(f->s, &w, "371502001001001", &g), 0);
	}
}

static int count_type(json_t *checks, const char *type)
{
	return (int)json_integer_value(json_object_get(json_object_get(checks, "counts"), type));
}

static void test_checks(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	char a[16], b[16], c[16];
	json_t *ch, *fd;

	/* West grid covers 116.00–116.11, east grid 116.10–116.18: a 0.01° overlap and a 0.02°
	   gap at the east end; the east grid is also too big (2,000 residents, 700 households). */
	assert_int_equal(create(f, NULL, "西网格", rect(116.0, 36.0, 116.11, 36.1), a, &e), 0);
	{
		struct grid_input in = { .community = COMM,
			                 .kind = GRID_COMPREHENSIVE,
			                 .name = "东网格",
			                 .households = 700,
			                 .residents = 2000 };
		json_t *bd = rect(116.1, 36.0, 116.18, 36.1);

		in.boundary = bd;
		assert_int_equal(grid_create(f->s, access_system(), &in, b, &e), 0);
		json_decref(bd);
	}
	ch = grid_checks(f->s, access_system(), COMM, &e);
	assert_non_null(ch);
	assert_int_equal(count_type(ch, "overlap"), 1);
	assert_int_equal(count_type(ch, "gap"), 1);
	assert_int_equal(count_type(ch, "size"), 1);
	assert_int_equal(count_type(ch, "outside"), 0);
	for (size_t i = 0; i < json_array_size(json_object_get(ch, "findings")); i++) {
		double area;

		fd = json_array_get(json_object_get(ch, "findings"), i);
		area = json_real_value(json_object_get(fd, "area_m2"));
		if (strcmp(json_string_value(json_object_get(fd, "type")), "overlap") == 0) {
			/* 0.01° × 0.1° at 36°N ≈ 0.9 × 11.1 km ≈ 10 km². */
			assert_true(area > 9.5e6 && area < 10.5e6);
			assert_string_equal(
			        json_string_value(json_array_get(json_object_get(fd, "grids"), 0)),
			        a);
			assert_non_null(json_object_get(fd, "geometry"));
		} else if (strcmp(json_string_value(json_object_get(fd, "type")), "gap") == 0) {
			assert_true(area > 19e6 && area < 21e6);
		}
	}
	json_decref(ch);
	/* The township level checks each community under it; 湖西社区 has no boundary. */
	ch = grid_checks(f->s, access_system(), "371502001000", &e);
	assert_int_equal(json_integer_value(json_object_get(ch, "communities")), 2);
	assert_int_equal(count_type(ch, "no_boundary"), 1);
	json_decref(ch);
	/* Fix both: redraw the west grid back and add a third grid over the gap; a grid reaching
	   outside the community is reported. */
	{
		json_t *bd = rect(116.0, 36.0, 116.1, 36.1);

		assert_int_equal(grid_redraw(f->s, access_system(), a, bd, NULL, &e), 0);
		json_decref(bd);
	}
	assert_int_equal(create(f, NULL, "补缺网格", rect(116.18, 36.0, 116.21, 36.1), c, &e), 0);
	ch = grid_checks(f->s, access_system(), COMM, &e);
	assert_int_equal(count_type(ch, "overlap"), 0);
	assert_int_equal(count_type(ch, "gap"), 0);
	assert_int_equal(count_type(ch, "outside"), 1);
	json_decref(ch);
	assert_null(grid_checks(f->s, access_system(), "371599000000", &e));
	assert_int_equal(e.status, 404);
}

/* The action and object of the audit record with this id, or "" when there is none. */
static void audit_row(struct store *s, int64_t id, char *action, char *object)
{
	struct store_stmt *st =
	        store_prepare(store_reader(s), "SELECT action, object FROM audit_log WHERE id = ?");

	action[0] = object[0] = '\0';
	assert_non_null(st);
	store_bind_int64(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		snprintf(action, 32, "%s", store_col_text(st, 0));
		snprintf(object, 32, "%s", store_col_text(st, 1));
	}
	store_reset(st);
}

static int64_t audit_count(struct store *s)
{
	struct store_stmt *st = store_prepare(store_reader(s), "SELECT count(*) FROM audit_log");
	int64_t n = -1;

	assert_non_null(st);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* With an audit key on the principal, each write appends its record in its own transaction; a
   refused or rolled-back write appends none; without a key (access_system()) nothing is added. */
static void test_audit_in_write(void **state)
{
	struct fx *f = *state;
	struct principal p = *access_system();
	unsigned char key[AUDIT_KEY_LEN] = { 1, 2, 3 };
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .name = "审计网格" };
	struct dom_err e = { 0 };
	char out[16], again[16], action[32], object[32];
	struct buf report;
	json_t *b = rect(116.0, 36.0, 116.1, 36.1);

	p.source = "cli";
	p.request_id = "";
	p.audit_key = key;
	int64_t base = audit_count(f->s); /* setup's region writes */

	in.boundary = b;
	assert_int_equal(grid_create(f->s, &p, &in, out, &e), 0);
	assert_int_equal(audit_count(f->s) - base, 1);
	audit_row(f->s, base + 1, action, object);
	assert_string_equal(action, "grid.create");
	assert_string_equal(object, "grid:371502001001001");

	/* Refused inside the write (duplicate code): rolled back, record included. */
	in.code = out;
	assert_int_equal(grid_create(f->s, &p, &in, again, &e), -1);
	assert_int_equal(e.status, 409);
	assert_int_equal(audit_count(f->s) - base, 1);

	assert_int_equal(grid_retire(f->s, &p, out, "测试", &e), 0);
	assert_int_equal(audit_count(f->s) - base, 2);
	audit_row(f->s, base + 2, action, object);
	assert_string_equal(action, "grid.retire");
	assert_string_equal(object, "grid:371502001001001");

	/* A principal without a key (commands that audit otherwise) appends nothing. */
	in.code = NULL;
	assert_int_equal(grid_create(f->s, access_system(), &in, out, &e), 0);
	assert_int_equal(audit_count(f->s) - base, 2);
	json_decref(b);

	buf_init(&report, 4096);
	assert_int_equal(audit_verify(store_reader(f->s), key, &report), 0);
	buf_release(&report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_redraw_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_art7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_in_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
