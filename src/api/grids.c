/*
 * Grids over HTTP (see docs/api-grids.md): list, get, create, update, redraw, split, merge,
 * retire, history, locate and checks. Every field is validated here or in domain/grid with a
 * Chinese message; a grid outside the caller's scope is answered 404. Each handler builds the
 * request's domain context (api_ctx) and reaches the data only through domain/grid, which scopes,
 * pages, writes and audits. After a successful write the locate index is rebuilt and published
 * (api_grids_changed).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "geo/geom.h"
#include "geo/gridindex.h"

void api_grids_changed(struct req *r)
{
	struct app *app = req_app(r);

	if (app->grids && gridindex_rebuild(app->grids, app->store) < 0)
		log_error("gridindex.stale", "reason=%s", "rebuild failed after a write");
}

/* The optional member key as a count of people or households (0..GRID_MAX_PEOPLE); *out -1 when
   absent or null. -1 after answering 400 bad_number. */
static int count_or_respond(struct req *r, json_t *obj, const char *key, const char *label,
                            int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = -1;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > GRID_MAX_PEOPLE) {
		char msg[160];

		(void)snprintf(msg, sizeof msg, "%s（%s）应为 0 到 %d 之间的整数", label, key,
		               GRID_MAX_PEOPLE);
		resp_error(r, 400, "bad_number", msg);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

#define JSON_TYPE "application/json; charset=utf-8"
#define PAGE_TEXT_MAX (64u * 1024 * 1024) /* a page of grids as JSON text, boundaries included */

/* Answers the grid by code (also after a write): 200/201 with its JSON. */
static void respond_grid(struct req *r, const struct dom_ctx *x, int status, const char *code)
{
	struct dom_err e = { 0 };
	struct grid g;
	struct buf text;

	buf_init(&text, GRID_JSON_MAX);
	if (grid_get(x, code, &g, &e) < 0)
		respond_dom_err(r, &e);
	else if (grid_json(&g, 1, &text) < 0)
		resp_error(r, 500, "internal", "内部错误");
	else
		resp_bytes(r, status, JSON_TYPE, text.data, text.len);
	grid_release(&g);
	buf_release(&text);
}

/* Answers a page the domain wrote as JSON text (grid_list, grid_geojson): 200, or the error. */
void api_grids_page(struct req *r, int rc, struct buf *text, const struct dom_err *e)
{
	if (rc < 0)
		respond_dom_err(r, e);
	else
		resp_bytes(r, 200, JSON_TYPE, text->data, text->len);
	buf_release(text);
}

void api_grids_list(struct req *r)
{
	struct grid_filter f = { .status = 0 };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	struct code_error cerr = { 0 };
	const char *status = req_query(r, "status"), *kind = req_query(r, "kind");
	char region[13];
	struct buf text;

	if (req_query(r, "region")) {
		if (!region_code_normalize(req_query(r, "region"), region, &cerr)) {
			resp_error(r, 400, "bad_code", "参数 region 不是有效的区划代码");
			return;
		}
		f.region = region;
	}
	if (status) {
		if (strcmp(status, "active") == 0) {
			f.status = 0;
		} else if (strcmp(status, "retired") == 0) {
			f.status = 1;
		} else if (strcmp(status, "all") == 0) {
			f.status = -1;
		} else {
			resp_error(r, 400, "bad_param", "参数 status 应为 active、retired 或 all");
			return;
		}
	}
	if (kind && !(f.kind = grid_kind_parse(kind))) {
		resp_error(r, 400, "bad_param", "参数 kind 应为 comprehensive 或 dedicated");
		return;
	}
	f.q = req_query(r, "q");
	if (f.q && strlen(f.q) > 100) {
		resp_error(r, 400, "bad_param", "参数 q 过长");
		return;
	}
	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	buf_init(&text, PAGE_TEXT_MAX);
	api_grids_page(r, grid_list(&x, &f, &pg, &text, &e), &text, &e);
}

void api_grid_get(struct req *r)
{
	struct dom_ctx x;

	api_ctx(r, &x);
	respond_grid(r, &x, 200, req_param(r, "code"));
}

void api_grid_create(struct req *r)
{
	static const char *const allowed[] = { "community",  "kind",      "subtype",
		                               "code",       "name",      "boundary",
		                               "households", "residents", NULL };
	json_t *body = req_json_or_respond(r);
	struct grid_input in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *kind;
	char code[16];

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "community", &in.community) < 0 ||
	    body_string_or_respond(r, body, "kind", &kind) < 0 ||
	    body_string_or_respond(r, body, "subtype", &in.subtype) < 0 ||
	    body_string_or_respond(r, body, "code", &in.code) < 0 ||
	    body_string_or_respond(r, body, "name", &in.name) < 0 ||
	    count_or_respond(r, body, "households", "户数", &in.households) < 0 ||
	    count_or_respond(r, body, "residents", "人口数", &in.residents) < 0)
		return;
	if (!in.community) {
		resp_error(r, 400, "bad_community", "缺少所属社区/村代码 community");
		return;
	}
	if (!in.name) {
		resp_error(r, 400, "bad_name", "缺少网格名称 name");
		return;
	}
	in.kind = kind ? grid_kind_parse(kind) : GRID_COMPREHENSIVE;
	in.boundary = json_object_get(body, "boundary");
	api_ctx(r, &x);
	if (grid_create(&x, &in, code, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_grids_changed(r);
	respond_grid(r, &x, 201, code);
}

void api_grid_update(struct req *r)
{
	static const char *const allowed[] = { "name", "subtype", "households", "residents", NULL };
	json_t *body = req_json_or_respond(r);
	struct grid_patch patch = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *code = req_param(r, "code");

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "name", &patch.name) < 0 ||
	    body_string_or_respond(r, body, "subtype", &patch.subtype) < 0 ||
	    count_or_respond(r, body, "households", "户数", &patch.households) < 0 ||
	    count_or_respond(r, body, "residents", "人口数", &patch.residents) < 0)
		return;
	api_ctx(r, &x);
	if (grid_update(&x, code, &patch, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	if (patch.name)
		api_grids_changed(r);
	respond_grid(r, &x, 200, code);
}

void api_grid_redraw(struct req *r)
{
	static const char *const allowed[] = { "boundary", "reason", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *code = req_param(r, "code"), *reason;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "reason", &reason) < 0)
		return;
	api_ctx(r, &x);
	if (grid_redraw(&x, code, json_object_get(body, "boundary"), reason, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_grids_changed(r);
	respond_grid(r, &x, 200, code);
}

void api_grid_retire(struct req *r)
{
	static const char *const allowed[] = { "reason", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *code = req_param(r, "code"), *reason;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "reason", &reason) < 0)
		return;
	if (!reason || !reason[0]) {
		resp_error(r, 400, "bad_reason", "请填写撤销原因 reason");
		return;
	}
	api_ctx(r, &x);
	if (grid_retire(&x, code, reason, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_grids_changed(r);
	respond_grid(r, &x, 200, code);
}

/* {"retired": [...codes], "created": [...grids]} */
static void respond_lineage(struct req *r, const struct dom_ctx *x, const char *const *retired,
                            size_t nret, char (*created)[16], size_t ncreated)
{
	json_t *out = json_pack("{s:[],s:[]}", "retired", "created");
	json_t *ret = json_object_get(out, "retired"), *cre = json_object_get(out, "created");

	for (size_t i = 0; i < nret; i++)
		json_array_append_new(ret, json_string(retired[i]));
	for (size_t i = 0; i < ncreated; i++) {
		struct dom_err e = { 0 };
		struct grid g;

		if (grid_get(x, created[i], &g, &e) == 0)
			json_array_append_new(cre, grid_to_json(&g, 1));
		grid_release(&g);
	}
	resp_json(r, 201, out);
}

void api_grid_split(struct req *r)
{
	static const char *const allowed[] = { "parts", NULL };
	static const char *const part_keys[] = { "name",       "boundary",  "code",
		                                 "households", "residents", NULL };
	json_t *body = req_json_or_respond(r), *parts_j;
	struct grid_part parts[GRID_MAX_PARTS];
	char codes[GRID_MAX_PARTS][16];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *code = req_param(r, "code");
	size_t n;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	parts_j = json_object_get(body, "parts");
	n = json_is_array(parts_j) ? json_array_size(parts_j) : 0;
	if (n < 2 || n > GRID_MAX_PARTS) {
		char msg[128];

		(void)snprintf(msg, sizeof msg, "parts 必须是包含 2 到 %d 个部分的数组",
		               GRID_MAX_PARTS);
		resp_error(r, 400, "bad_parts", msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *pj = json_array_get(parts_j, i);
		char where[64];

		if (!json_is_object(pj)) {
			resp_error(r, 400, "bad_parts", "parts 的每一项必须是对象");
			return;
		}
		(void)snprintf(where, sizeof where, "第 %zu 部分：", i + 1);
		if (body_keys_or_respond(r, pj, part_keys, where) < 0 ||
		    body_string_or_respond(r, pj, "name", &parts[i].name) < 0 ||
		    body_string_or_respond(r, pj, "code", &parts[i].code) < 0 ||
		    count_or_respond(r, pj, "households", "户数", &parts[i].households) < 0 ||
		    count_or_respond(r, pj, "residents", "人口数", &parts[i].residents) < 0)
			return;
		parts[i].boundary = json_object_get(pj, "boundary");
	}
	api_ctx(r, &x);
	if (grid_split(&x, code, parts, n, codes, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_grids_changed(r);
	respond_lineage(r, &x, &code, 1, codes, n);
}

void api_grids_merge(struct req *r)
{
	static const char *const allowed[] = { "codes", "name", "code", NULL };
	json_t *body = req_json_or_respond(r), *codes_j;
	const char *codes[GRID_MAX_PARTS], *name, *code;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char created[1][16];
	size_t n;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "name", &name) < 0 ||
	    body_string_or_respond(r, body, "code", &code) < 0)
		return;
	codes_j = json_object_get(body, "codes");
	n = json_is_array(codes_j) ? json_array_size(codes_j) : 0;
	if (n < 2 || n > GRID_MAX_PARTS) {
		char msg[128];

		(void)snprintf(msg, sizeof msg, "codes 必须是包含 2 到 %d 个网格编码的数组",
		               GRID_MAX_PARTS);
		resp_error(r, 400, "bad_codes", msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		codes[i] = json_string_value(json_array_get(codes_j, i));
		if (!codes[i]) {
			resp_error(r, 400, "bad_codes", "codes 的每一项必须是网格编码字符串");
			return;
		}
	}
	if (!name) {
		resp_error(r, 400, "bad_name", "缺少合并后网格的名称 name");
		return;
	}
	api_ctx(r, &x);
	if (grid_merge(&x, codes, n, name, code, created[0], &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_grids_changed(r);
	respond_lineage(r, &x, codes, n, created, 1);
}

void api_grid_history(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	api_ctx(r, &x);
	out = grid_history(&x, req_param(r, "code"), &e);

	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

/* Parses one coordinate; 1 ok, 0 after answering 400. */
static int coord(struct req *r, const char *name, double min, double max, double *out)
{
	const char *s = req_query(r, name);
	char *end, msg[200];

	if (!s || !*s) {
		resp_error(r, 400, "bad_coordinates",
		           "缺少经纬度参数 lng 和 lat（WGS84 十进制度）");
		return 0;
	}
	errno = 0;
	*out = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(*out)) {
		(void)snprintf(msg, sizeof msg, "参数 %s 不是有效的数字", name);
		resp_error(r, 400, "bad_coordinates", msg);
		return 0;
	}
	if (*out < min || *out > max) {
		(void)snprintf(msg, sizeof msg, "参数 %s 超出范围（应在 %.0f～%.0f 之间）", name,
		               min, max);
		resp_error(r, 400, "bad_coordinates", msg);
		return 0;
	}
	return 1;
}

void api_grids_locate(struct req *r)
{
	struct gridindex *ix;
	struct gridindex_hit hit;
	double lng, lat;
	int rc;

	if (!coord(r, "lng", GEO_LNG_MIN, GEO_LNG_MAX, &lng) ||
	    !coord(r, "lat", GEO_LAT_MIN, GEO_LAT_MAX, &lat))
		return;
	ix = gridindex_acquire(req_app(r)->grids);
	if (!ix) {
		resp_error(r, 503, "index_unavailable", "网格索引尚未就绪，请稍后重试");
		return;
	}
	rc = gridindex_locate(ix, lng, lat, &hit);
	if (rc < 0) {
		resp_error(r, 500, "locate_failed", "定位失败");
	} else if (rc == 0 || !grid_visible(req_principal(r), hit.id, hit.path)) {
		resp_error(r, 404, "not_found", "该位置不在任何网格内");
	} else {
		resp_json(r, 200,
		          json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "code", hit.code, "name",
		                    hit.name, "kind", grid_kind_name(hit.kind), "kind_label",
		                    grid_kind_label(hit.kind), "community", "code",
		                    hit.community_code, "name", hit.community_name));
	}
	gridindex_unref(ix);
}

void api_grids_checks(struct req *r)
{
	struct dom_err e = { 0 };
	struct code_error cerr = { 0 };
	struct dom_ctx x;
	const char *q = req_query(r, "region");
	char region[13];
	json_t *out;

	if (!q) {
		resp_error(r, 400, "bad_param", "缺少参数 region（社区/村、乡镇或县的区划代码）");
		return;
	}
	if (!region_code_normalize(q, region, &cerr)) {
		resp_error(r, 400, "bad_code", "参数 region 不是有效的区划代码");
		return;
	}
	api_ctx(r, &x);
	out = grid_checks(&x, region, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}
