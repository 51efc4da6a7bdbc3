/*
 * Unit tests for domain/grid and the checks: codes (given, auto-assigned, wrong length, wrong
 * parent, out of band, duplicate, reuse of a retired code), boundary validation, update, redraw
 * with versions, split and merge with lineage and their geometry conditions, retire, keyset pages
 * of the list and the GeoJSON, history, scope (a township sees its grids; a grid worker only the
 * grids bound to it, through the user_grids join), Art. 7 and scope refusals that change nothing
 * and leave a "denied" audit record, one audit record per write, and the checks finding planted
 * overlaps, gaps and size outliers.
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
#include "domain/permissions.h"
#include "domain/region.h"
#include "store/store.h"

#define COMM "371502001001"

static const unsigned char KEY[AUDIT_KEY_LEN] = { 1, 2, 3 };

struct fx {
	char dir[64];
	struct store *s;
	struct dom_ctx sys; /* the system principal's context */
};

/* A context for caller p on f's store (static: one call per expression). */
static const struct dom_ctx *as(struct fx *f, const struct principal *p)
{
	static struct dom_ctx x;

	dom_ctx_as(&x, &f->sys, p);
	return &x;
}

/* A rectangle as a GeoJSON object (new reference). */
static json_t *rect(double x0, double y0, double x1, double y1)
{
	return json_pack("{s:s,s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
	                 "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
}

static void region(struct fx *f, const char *code, const char *name, json_t *b)
{
	struct region r;
	struct dom_err e = { 0 };

	assert_int_equal(region_create(&f->sys, code, name, b, &r, &e), 0);
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
	dom_ctx_cli(&f->sys, f->s, KEY, NULL);
	region(f, "371500", "聊城市", NULL);
	region(f, "371502", "东昌府区", NULL);
	region(f, "371502001000", "古楼街道", NULL);
	/* The community: 0.2° × 0.1° at (116.0, 36.0). */
	region(f, COMM, "柳园社区", rect(116.0, 36.0, 116.2, 36.1));
	region(f, "371502001002", "湖西社区", NULL);
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
	int rc = grid_create(&f->sys, &in, out, e);

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
	assert_int_equal(grid_retire(&f->sys, "371502001001002", "测试撤销", &e), 0);
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
		assert_int_equal(grid_create(&f->sys, &in, out, &e), 0);
		assert_string_equal(out, "371502001001601");
		in.subtype = "网吧";
		assert_int_equal(grid_create(&f->sys, &in, out, &e), -1);
		assert_string_equal(e.code, "bad_subtype");
		in.subtype = "学校";
		in.code = "371502001001005";
		assert_int_equal(grid_create(&f->sys, &in, out, &e), -1);
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
		assert_int_equal(grid_create(&f->sys, &in, out, &e), -1);
		assert_int_equal(e.status, 404);
		in.community = "371502001000";
		assert_int_equal(grid_create(&f->sys, &in, out, &e), -1);
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
	assert_int_equal(grid_update(&f->sys, out, &patch, &e), 0);
	assert_int_equal(grid_get(&f->sys, out, &g, &e), 0);
	assert_string_equal(g.name, "改名网格");
	assert_int_equal(g.households, 420);
	assert_int_equal(g.residents, 1000);
	grid_release(&g);
	patch = (struct grid_patch){ .subtype = "学校", .households = -1, .residents = -1 };
	assert_int_equal(grid_update(&f->sys, out, &patch, &e), -1);
	assert_string_equal(e.code, "bad_subtype");

	b = rect(116.0, 36.0, 116.12, 36.1);
	assert_int_equal(grid_redraw(&f->sys, out, b, "扩大范围", &e), 0);
	json_decref(b);
	assert_int_equal(grid_get(&f->sys, out, &g, &e), 0);
	assert_int_equal(g.version, 2);
	assert_string_equal(g.code, out); /* the code stays */
	grid_release(&g);
	h = grid_history(&f->sys, out, &e);
	assert_non_null(h);
	assert_int_equal(json_array_size(json_object_get(h, "versions")), 2);
	assert_false(json_is_null(
	        json_object_get(json_array_get(json_object_get(h, "versions"), 0), "valid_to")));
	assert_true(json_is_null(
	        json_object_get(json_array_get(json_object_get(h, "versions"), 1), "valid_to")));
	json_decref(h);
	assert_null(grid_history(&f->sys, "371502001001999", &e));
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

		assert_int_equal(grid_split(&f->sys, out, parts, 2, codes, &e), -1);
		assert_string_equal(e.code, "parts_incomplete");
	}
	json_decref(b1);
	b1 = rect(116.0, 36.0, 116.11, 36.1);
	{
		struct grid_part parts[2] = { { "西半", b1, NULL, -1, -1 },
			                      { "东半", b2, NULL, -1, -1 } };

		assert_int_equal(grid_split(&f->sys, out, parts, 2, codes, &e), -1);
		assert_string_equal(e.code, "parts_overlap");
	}
	json_decref(b1);
	b1 = rect(115.99, 36.0, 116.1, 36.1);
	{
		struct grid_part parts[2] = { { "西半", b1, NULL, -1, -1 },
			                      { "东半", b2, NULL, -1, -1 } };

		assert_int_equal(grid_split(&f->sys, out, parts, 2, codes, &e), -1);
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

		assert_int_equal(grid_split(&f->sys, out, parts, 3, codes, &e), 0);
	}
	json_decref(b1);
	json_decref(b2);
	json_decref(b3);
	assert_string_equal(codes[0], "371502001001002");
	assert_string_equal(codes[1], "371502001001009");
	assert_string_equal(codes[2], "371502001001003");
	assert_int_equal(grid_get(&f->sys, out, &g, &e), 0);
	assert_int_equal(g.retired, 1);
	assert_true(g.valid_to > 0);
	grid_release(&g);
	assert_int_equal(grid_get(&f->sys, codes[0], &g, &e), 0);
	assert_int_equal(g.residents, 500); /* half the area, half the people */
	grid_release(&g);
	h = grid_history(&f->sys, out, &e);
	assert_int_equal(json_array_size(json_object_get(json_object_get(h, "lineage"), "down")),
	                 3);
	json_decref(h);
	h = grid_history(&f->sys, codes[1], &e);
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

		assert_int_equal(grid_split(&f->sys, out, parts, 2, codes, &e), -1);
		assert_int_equal(e.status, 409);
		json_decref(a);
		json_decref(c);
	}

	/* Merge the two eastern parts back; non-adjacent grids are refused. */
	{
		const char *pair[2] = { "371502001001009", "371502001001003" };
		const char *apart[2] = { "371502001001002", "371502001001009" };

		assert_int_equal(grid_merge(&f->sys, pair, 2, "东网格", NULL, merged, &e), 0);
		assert_string_equal(merged, "371502001001004");
		assert_int_equal(grid_get(&f->sys, merged, &g, &e), 0);
		assert_int_equal(g.residents, 250 + 250);
		grid_release(&g);
		assert_int_equal(grid_merge(&f->sys, apart, 2, "再合并", NULL, merged, &e), -1);
		assert_int_equal(e.status, 409); /* 009 is retired now */
	}
	h = grid_history(&f->sys, out, &e);
	/* Down from the original: three children, and the merged grandchild. */
	assert_int_equal(json_array_size(json_object_get(json_object_get(h, "lineage"), "down")),
	                 4);
	json_decref(h);
}

/* grid_list and grid_geojson as parsed JSON (the text must parse), or NULL with *e. */
static json_t *list_json(const struct dom_ctx *x, const struct grid_filter *filt,
                         const struct dom_page *pg, struct dom_err *e)
{
	struct buf b;
	json_t *j = NULL;

	buf_init(&b, 1u << 24);
	if (grid_list(x, filt, pg, &b, e) == 0) {
		j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(j);
	}
	buf_release(&b);
	return j;
}

static json_t *geojson_json(const struct dom_ctx *x, const char *region, int status,
                            const struct dom_page *pg, struct dom_err *e)
{
	struct buf b;
	json_t *j = NULL;

	buf_init(&b, 1u << 24);
	if (grid_geojson(x, region, status, pg, &b, e) == 0) {
		j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(j);
	}
	buf_release(&b);
	return j;
}

/* Walks every page of the list for caller x with filter filt and page size limit; returns the
   codes seen, in order, as one string "c1 c2 ..." (static) and checks order and no repeats. */
static const char *walk(const struct dom_ctx *x, const struct grid_filter *filt, int limit)
{
	static char seen[4096];
	char prev[16] = "";
	struct dom_page pg = { .limit = limit };
	struct dom_err e = { 0 };
	size_t used = 0;

	seen[0] = '\0';
	for (int pages = 0; pages < 100; pages++) {
		json_t *list = list_json(x, filt, &pg, &e), *items, *next;

		if (!list)
			print_message("%d %s %s\n", e.status, e.code, e.message);
		assert_non_null(list);
		items = json_object_get(list, "items");
		next = json_object_get(list, "next_cursor");
		assert_non_null(next);
		assert_true(json_array_size(items) <= (size_t)limit);
		assert_null(json_object_get(list, "total"));
		for (size_t i = 0; i < json_array_size(items); i++) {
			const char *code = json_string_value(
			        json_object_get(json_array_get(items, i), "code"));

			assert_true(strcmp(code, prev) > 0); /* code order, no repeats */
			snprintf(prev, sizeof prev, "%s", code);
			used += (size_t)snprintf(seen + used, sizeof seen - used, "%s%s",
			                         used ? " " : "", code);
		}
		if (json_is_null(next)) {
			json_decref(list);
			return seen;
		}
		/* A full page has a cursor; the next page starts after it. */
		assert_int_equal(json_array_size(items), limit);
		assert_int_equal(dom_page_parse(&pg, NULL, json_string_value(next), &e), 0);
		pg.limit = limit;
		json_decref(list);
	}
	fail_msg("too many pages");
	return NULL;
}

static void test_list_pages(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct grid_filter filt = { .status = 0 };
	struct dom_page pg = { .limit = 20 };
	char out[16];
	json_t *list;

	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof name, "柳园第%d网格", i + 1);
		assert_int_equal(create(f, NULL, name,
		                        rect(116.0 + 0.04 * i, 36.0, 116.04 + 0.04 * i, 36.1), out,
		                        &e),
		                 0);
	}
	assert_int_equal(grid_retire(&f->sys, "371502001001003", "测试撤销", &e), 0);
	/* Pages of 2, 1 and 20 all see the same four active grids, in code order. */
	for (int limit = 1; limit <= 20; limit += limit == 1 ? 1 : 18)
		assert_string_equal(
		        walk(&f->sys, &filt, limit),
		        "371502001001001 371502001001002 371502001001004 371502001001005");
	filt.status = 1;
	assert_string_equal(walk(&f->sys, &filt, 2), "371502001001003");
	filt.status = -1;
	assert_string_equal(walk(&f->sys, &filt, 2),
	                    "371502001001001 371502001001002 371502001001003 371502001001004 "
	                    "371502001001005");
	filt.status = 0;
	filt.q = "第2";
	assert_string_equal(walk(&f->sys, &filt, 2), "371502001001002");
	filt.q = NULL;
	filt.kind = GRID_DEDICATED;
	assert_string_equal(walk(&f->sys, &filt, 2), "");
	filt.kind = 0;
	filt.region = "371502000000";
	assert_string_equal(walk(&f->sys, &filt, 3),
	                    "371502001001001 371502001001002 371502001001004 371502001001005");
	filt.region = "371502001002"; /* the other community: no grids */
	assert_string_equal(walk(&f->sys, &filt, 3), "");
	filt.region = "371503000000";
	assert_null(list_json(&f->sys, &filt, &pg, &e));
	assert_int_equal(e.status, 404);
	filt.region = NULL;

	/* A cursor that is not a grid code is refused. */
	assert_int_equal(dom_page_parse(&pg, "2", "MzcxNTAy", &e), 0); /* "371502" */
	assert_null(list_json(&f->sys, &filt, &pg, &e));
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "bad_cursor");

	/* The map's GeoJSON: pages too, with truncated while more follow. */
	assert_int_equal(dom_page_parse(&pg, "3", NULL, &e), 0);
	list = geojson_json(&f->sys, COMM, 0, &pg, &e);
	assert_non_null(list);
	assert_int_equal(json_array_size(json_object_get(list, "features")), 3);
	assert_true(json_is_true(json_object_get(list, "truncated")));
	assert_int_equal(dom_page_parse(&pg, "3",
	                                json_string_value(json_object_get(list, "next_cursor")),
	                                &e),
	                 0);
	json_decref(list);
	list = geojson_json(&f->sys, COMM, 0, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(list, "features")), 1);
	assert_true(json_is_false(json_object_get(list, "truncated")));
	assert_true(json_is_null(json_object_get(list, "next_cursor")));
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(list, "features"), 0), "id")),
	                    "371502001001005");
	json_decref(list);
}

/* Runs SQL on the writer (test fixtures the domain has no function for). */
static int exec_fn(struct store_conn *c, void *sql)
{
	return store_exec(c, sql) == STORE_OK ? 0 : -1;
}

static void sql(struct fx *f, const char *text)
{
	assert_int_equal(store_write(f->s, exec_fn, (void *)text), 0);
}

static void test_scope_in_sql(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct grid_filter filt = { .status = -1 };
	struct dom_page pg = { .limit = 20 };
	struct principal town = { .user_id = 3, .org_kind = ORG_CENTER };
	struct grid g;
	char out[16], mine[16], other[16], text[256];
	json_t *j;

	assert_int_equal(create(f, NULL, "柳园第一网格", rect(116.0, 36.0, 116.1, 36.1), mine, &e),
	                 0);
	assert_int_equal(create(f, NULL, "柳园第二网格", rect(116.1, 36.0, 116.2, 36.1), other, &e),
	                 0);

	/* A township center sees the grids of its township; another township sees none. */
	memcpy(town.region_code, "371502001000", 13);
	snprintf(town.region_path, sizeof town.region_path,
	         "371500000000/371502000000/371502001000/");
	assert_int_equal(grid_get(as(f, &town), mine, &g, &e), 0);
	grid_release(&g);
	assert_string_equal(walk(as(f, &town), &filt, 1), "371502001001001 371502001001002");
	snprintf(town.region_path, sizeof town.region_path,
	         "371500000000/371502000000/371502002000/");
	memcpy(town.region_code, "371502002000", 13);
	assert_int_equal(grid_get(as(f, &town), mine, &g, &e), -1);
	assert_int_equal(e.status, 404);
	grid_release(&g);
	assert_string_equal(walk(as(f, &town), &filt, 5), "");

	/* A grid worker, whatever the kind of their organisation (here a committee), sees only the
	   grids bound to them in user_grids: the list, a get, the history, the map. The principal's
	   in-memory list of grids is left empty on purpose: the database decides. */
	sql(f, "INSERT INTO organisations (id, name, kind, region_code, created_at, updated_at) "
	       "VALUES (9, '柳园社区居民委员会', 'committee', '371502001001', 0, 0)");
	sql(f, "INSERT INTO users (id, username, display_name, org_id, password_hash, "
	       "password_changed_at, created_at, updated_at) VALUES (4, 'gw', '网格员', 9, 'x', 0, "
	       "0, 0)");
	assert_int_equal(grid_get(&f->sys, mine, &g, &e), 0);
	snprintf(text, sizeof text, "INSERT INTO user_grids (user_id, grid_id) VALUES (4, %lld)",
	         (long long)g.id);
	grid_release(&g);
	sql(f, text);
	{
		struct principal w = { .user_id = 4,
			               .org_kind = ORG_COMMITTEE,
			               .grid_bound = 1,
			               .region_code = "371502001001",
			               .region_path = "371500000000/371502000000/371502001000/"
			                              "371502001001/" };

		assert_string_equal(walk(as(f, &w), &filt, 1), mine);
		filt.region = COMM;
		assert_string_equal(walk(as(f, &w), &filt, 20), mine);
		filt.region = NULL;
		assert_int_equal(grid_get(as(f, &w), mine, &g, &e), 0);
		grid_release(&g);
		assert_int_equal(grid_get(as(f, &w), other, &g, &e), -1);
		assert_int_equal(e.status, 404);
		grid_release(&g);
		assert_null(grid_history(as(f, &w), other, &e));
		assert_int_equal(e.status, 404);
		j = geojson_json(as(f, &w), COMM, 0, &pg, &e);
		assert_non_null(j);
		assert_int_equal(json_array_size(json_object_get(j, "features")), 1);
		assert_string_equal(
		        json_string_value(json_object_get(
		                json_array_get(json_object_get(j, "features"), 0), "id")),
		        mine);
		json_decref(j);
		/* Nor may a grid worker change even their own grid (Art. 7). */
		assert_int_equal(grid_retire(as(f, &w), mine, "越权", &e), -1);
		assert_int_equal(e.status, 403);
	}
	(void)out;
}

/* The newest audit record: action, object and outcome (32 bytes each). */
static void last_record(struct store *s, char *action, char *object, char *outcome)
{
	struct store_stmt *st = store_prepare(
	        store_reader(s),
	        "SELECT action, object, outcome FROM audit_log ORDER BY id DESC LIMIT 1");

	action[0] = object[0] = outcome[0] = '\0';
	assert_non_null(st);
	if (store_step(st) == STORE_ROW) {
		snprintf(action, 32, "%s", store_col_text(st, 0));
		snprintf(object, 32, "%s", store_col_text(st, 1));
		snprintf(outcome, 32, "%s", store_col_text(st, 2));
	}
	store_reset(st);
}

static int64_t audit_count(struct store *s);

/* Asserts the write just refused left exactly one new record: action on object, "denied". */
static void expect_denied(struct fx *f, int64_t before, const char *action, const char *object)
{
	char a[32], o[32], outcome[32];

	assert_int_equal(audit_count(f->s), before + 1);
	last_record(f->s, a, o, outcome);
	assert_string_equal(a, action);
	assert_string_equal(o, object);
	assert_string_equal(outcome, "denied");
}

static void test_refusals_change_nothing_and_are_audited(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct perm_set writer = { 0 };
	/* A township center holding grid.write (a custom role): in scope, but not the county. */
	struct principal town = { .user_id = 3,
		                  .username = "town.op",
		                  .org_kind = ORG_CENTER,
		                  .region_code = "371502001000",
		                  .region_path = "371500000000/371502000000/371502001000/",
		                  .impl = &writer };
	/* The county center of another county: the right level, the wrong scope. */
	struct principal far = { .user_id = 5,
		                 .username = "far.op",
		                 .org_kind = ORG_CENTER,
		                 .region_code = "371503000000",
		                 .region_path = "371500000000/371503000000/",
		                 .impl = &writer };
	struct principal reader = town;
	struct perm_set none = { 0 };
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .name = "越权网格",
		                 .households = -1,
		                 .residents = -1 };
	struct grid g;
	char code[16], out[16];
	int64_t before;
	json_t *b = rect(116.1, 36.0, 116.2, 36.1);

	assert_int_equal(perm_set_add_name(&writer, "grid.write"), 0);
	reader.impl = &none;
	assert_int_equal(create(f, NULL, "受保护网格", rect(116.0, 36.0, 116.1, 36.1), code, &e),
	                 0);
	in.boundary = b;

	/* Art. 7: the township may not retire, update or create, though the grid is in its scope.
	 */
	before = audit_count(f->s);
	assert_int_equal(grid_retire(as(f, &town), code, "越权撤销", &e), -1);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.code, "not_county_authority");
	assert_true(e.audited);
	expect_denied(f, before, "grid.retire", "grid:371502001001001");
	before = audit_count(f->s);
	assert_int_equal(grid_create(as(f, &town), &in, out, &e), -1);
	assert_string_equal(e.code, "not_county_authority");
	expect_denied(f, before, "grid.create", "region:371502001001");
	/* Refused before its input is looked at: a bad name does not turn it into a 400. */
	before = audit_count(f->s);
	in.name = "";
	assert_int_equal(grid_create(as(f, &town), &in, out, &e), -1);
	assert_int_equal(e.status, 403);
	expect_denied(f, before, "grid.create", "region:371502001001");
	in.name = "越权网格";

	/* Scope: a grid outside the caller's scope is "not found", and still recorded. */
	before = audit_count(f->s);
	assert_int_equal(grid_retire(as(f, &far), code, "越权撤销", &e), -1);
	assert_int_equal(e.status, 404);
	expect_denied(f, before, "grid.retire", "grid:371502001001001");
	before = audit_count(f->s);
	{
		struct grid_patch patch = { .name = "改名", .households = -1, .residents = -1 };

		assert_int_equal(grid_update(as(f, &far), code, &patch, &e), -1);
		assert_int_equal(e.status, 404);
	}
	expect_denied(f, before, "grid.update", "grid:371502001001001");
	before = audit_count(f->s);
	{
		json_t *p1 = rect(116.0, 36.0, 116.05, 36.1), *p2 = rect(116.05, 36.0, 116.1, 36.1);
		struct grid_part parts[2] = { { "甲", p1, NULL, -1, -1 },
			                      { "乙", p2, NULL, -1, -1 } };
		char codes[2][16];

		assert_int_equal(grid_split(as(f, &far), code, parts, 2, codes, &e), -1);
		assert_int_equal(e.status, 404);
		json_decref(p1);
		json_decref(p2);
	}
	expect_denied(f, before, "grid.split", "grid:371502001001001");
	before = audit_count(f->s);
	assert_int_equal(grid_create(as(f, &far), &in, out, &e), -1);
	assert_int_equal(e.status, 404);
	expect_denied(f, before, "grid.create", "region:371502001001");

	/* Without grid.write at all: the kernel's permission check. */
	before = audit_count(f->s);
	assert_int_equal(grid_retire(as(f, &reader), code, "越权撤销", &e), -1);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.code, "forbidden");
	expect_denied(f, before, "grid.retire", "grid:371502001001001");

	/* Nothing changed: the grid is active, version 1, named as before; no grid was made. */
	assert_int_equal(grid_get(&f->sys, code, &g, &e), 0);
	assert_false(g.retired);
	assert_int_equal(g.version, 1);
	assert_string_equal(g.name, "受保护网格");
	grid_release(&g);
	{
		struct grid_filter filt = { .status = -1 };

		assert_string_equal(walk(&f->sys, &filt, 20), "371502001001001");
	}
	json_decref(b);
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
		assert_int_equal(grid_create(&f->sys, &in, b, &e), 0);
		json_decref(bd);
	}
	ch = grid_checks(&f->sys, COMM, &e);
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
	ch = grid_checks(&f->sys, "371502001000", &e);
	assert_int_equal(json_integer_value(json_object_get(ch, "communities")), 2);
	assert_int_equal(count_type(ch, "no_boundary"), 1);
	json_decref(ch);
	/* Fix both: redraw the west grid back and add a third grid over the gap; a grid reaching
	   outside the community is reported. */
	{
		json_t *bd = rect(116.0, 36.0, 116.1, 36.1);

		assert_int_equal(grid_redraw(&f->sys, a, bd, NULL, &e), 0);
		json_decref(bd);
	}
	assert_int_equal(create(f, NULL, "补缺网格", rect(116.18, 36.0, 116.21, 36.1), c, &e), 0);
	ch = grid_checks(&f->sys, COMM, &e);
	assert_int_equal(count_type(ch, "overlap"), 0);
	assert_int_equal(count_type(ch, "gap"), 0);
	assert_int_equal(count_type(ch, "outside"), 1);
	json_decref(ch);
	assert_null(grid_checks(&f->sys, "371599000000", &e));
	assert_int_equal(e.status, 404);
}

/* The action and object of the audit record with this id, or "" when there is none. */
static void audit_row(struct store *s, int64_t id, char *action, char *object, char *outcome)
{
	struct store_stmt *st = store_prepare(
	        store_reader(s), "SELECT action, object, outcome FROM audit_log WHERE id = ?");

	action[0] = object[0] = outcome[0] = '\0';
	assert_non_null(st);
	store_bind_int64(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		snprintf(action, 32, "%s", store_col_text(st, 0));
		snprintf(object, 32, "%s", store_col_text(st, 1));
		snprintf(outcome, 32, "%s", store_col_text(st, 2));
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

/* Every write through dom_write leaves one record in its own transaction: a success with the
   grid's object, a failure (409) with its reason; the chain stays valid. */
static void test_one_record_per_write(void **state)
{
	struct fx *f = *state;
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .name = "审计网格",
		                 .households = -1,
		                 .residents = -1 };
	struct dom_err e = { 0 };
	char out[16], again[16], action[32], object[32], outcome[32];
	struct buf report;
	json_t *b = rect(116.0, 36.0, 116.1, 36.1);
	int64_t base = audit_count(f->s); /* setup's region writes */

	in.boundary = b;
	assert_int_equal(grid_create(&f->sys, &in, out, &e), 0);
	assert_int_equal(audit_count(f->s) - base, 1);
	audit_row(f->s, base + 1, action, object, outcome);
	assert_string_equal(action, "grid.create");
	assert_string_equal(object, "grid:371502001001001");
	assert_string_equal(outcome, "success");

	/* Refused inside the write (duplicate code): nothing changes, the failure is recorded. */
	in.code = out;
	assert_int_equal(grid_create(&f->sys, &in, again, &e), -1);
	assert_int_equal(e.status, 409);
	assert_true(e.audited);
	assert_int_equal(audit_count(f->s) - base, 2);
	audit_row(f->s, base + 2, action, object, outcome);
	assert_string_equal(action, "grid.create");
	assert_string_equal(outcome, "failure");

	/* Bad input is refused before the write: no record. */
	in.code = NULL;
	in.name = "";
	assert_int_equal(grid_create(&f->sys, &in, again, &e), -1);
	assert_int_equal(e.status, 400);
	assert_int_equal(audit_count(f->s) - base, 2);

	assert_int_equal(grid_retire(&f->sys, out, "测试", &e), 0);
	assert_int_equal(audit_count(f->s) - base, 3);
	audit_row(f->s, base + 3, action, object, outcome);
	assert_string_equal(action, "grid.retire");
	assert_string_equal(object, "grid:371502001001001");
	assert_string_equal(outcome, "success");
	json_decref(b);

	buf_init(&report, 4096);
	assert_int_equal(audit_verify(store_reader(f->s), KEY, &report), 0);
	buf_release(&report);
}

/* Times in the JSON are RFC 3339 in Asia/Shanghai, from the context's clock. */
static void test_times(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = f->sys;
	struct dom_err e = { 0 };
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .name = "定时网格",
		                 .households = -1,
		                 .residents = -1 };
	struct grid g;
	char out[16];
	json_t *b = rect(116.0, 36.0, 116.1, 36.1), *j;

	x.now = 1795878000; /* 2026-11-28T15:00:00Z */
	in.boundary = b;
	assert_int_equal(grid_create(&x, &in, out, &e), 0);
	assert_int_equal(grid_get(&x, out, &g, &e), 0);
	j = grid_to_json(&g, 0);
	assert_string_equal(json_string_value(json_object_get(j, "valid_from")),
	                    "2026-11-28T23:00:00+08:00");
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
	                    "2026-11-28T23:00:00+08:00");
	assert_true(json_is_null(json_object_get(j, "valid_to")));
	json_decref(j);
	grid_release(&g);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_redraw_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_in_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing_and_are_audited, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_record_per_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
