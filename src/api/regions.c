/*
 * Regions over HTTP: GET/POST /api/v1/regions, GET/PATCH /api/v1/regions/:code and the map's
 * GET /api/v1/regions/:code/grids.geojson (a page of at most GRID_GEOJSON_PAGE_MAX features).
 * Parses and validates input, builds the request's domain context (api_ctx), calls domain/region
 * and domain/grid, and answers JSON; a region outside the caller's scope is answered 404, like a
 * missing one. Lists are keyset pages: ?limit=&cursor=, answered {items, next_cursor}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "app.h"
#include "domain/grid.h"
#include "domain/region.h"

/* A region code from a path or query value; 1 ok, 0 after answering 400 (or 404 for paths). */
static int code_arg(struct req *r, const char *in, char out[13], int status)
{
	struct code_error cerr = { 0 };

	if (!region_code_normalize(in, out, &cerr)) {
		char msg[256];

		(void)snprintf(msg, sizeof msg, "区划代码无效：%s",
		               cerr.message ? cerr.message : "");
		if (status == 404)
			resp_error(r, 404, "not_found", "区划不存在");
		else
			resp_error(r, 400, "bad_code", msg);
		return 0;
	}
	return 1;
}

void api_regions_list(struct req *r)
{
	struct region_filter f = { 0 };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	char parent[13];
	int64_t level;
	json_t *out;

	if (req_query(r, "parent")) {
		if (!code_arg(r, req_query(r, "parent"), parent, 400))
			return;
		f.parent = parent;
	}
	if (query_int_or_respond(r, "level", 0, 1, 5, &level) < 0 ||
	    api_page_or_respond(r, &pg) < 0)
		return;
	f.level = (int)level;
	api_ctx(r, &x);
	out = region_list(&x, &f, &pg, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

/* Answers the region with its ancestors (breadcrumbs): status and its JSON, or the error. */
static void respond_region(struct req *r, const struct dom_ctx *x, int status, const char *code)
{
	struct dom_err e = { 0 };
	struct region reg;
	json_t *o;

	if (region_get(x, code, &reg, &e) < 0) {
		respond_dom_err(r, &e);
	} else if (!(o = region_detail_json(x, &reg))) {
		resp_error(r, 500, "internal", "内部错误");
	} else {
		resp_json(r, status, o);
	}
	region_release(&reg);
}

void api_region_get(struct req *r)
{
	struct dom_ctx x;
	char code[13];

	if (!code_arg(r, req_param(r, "code"), code, 404))
		return;
	api_ctx(r, &x);
	respond_region(r, &x, 200, code);
}

void api_region_create(struct req *r)
{
	static const char *const allowed[] = { "code", "name", "boundary", NULL };
	json_t *body = req_json_or_respond(r);
	struct region reg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *code, *name;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_not_null_or_respond(r, body, "code", &code) < 0 ||
	    body_string_not_null_or_respond(r, body, "name", &name) < 0)
		return;
	if (!code) {
		resp_error(r, 400, "bad_code", "缺少区划代码 code");
		return;
	}
	if (!name) {
		resp_error(r, 400, "bad_name", "缺少区划名称 name");
		return;
	}
	api_ctx(r, &x);
	if (region_create(&x, code, name, json_object_get(body, "boundary"), &reg, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_region(r, &x, 201, reg.code);
	region_release(&reg);
}

void api_region_update(struct req *r)
{
	static const char *const allowed[] = { "name", "boundary", NULL };
	json_t *body = req_json_or_respond(r), *b;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *name;
	char code[13];

	if (!body || !code_arg(r, req_param(r, "code"), code, 404) ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_not_null_or_respond(r, body, "name", &name) < 0)
		return;
	b = json_object_get(body, "boundary");
	api_ctx(r, &x);
	if (region_update(&x, code, name, b && !json_is_null(b) ? b : NULL, b && json_is_null(b),
	                  &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	if (name)
		api_grids_changed(r); /* community names appear in locate answers */
	respond_region(r, &x, 200, code);
}

void api_region_grids_geojson(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	const char *status = req_query(r, "status"), *limit = req_query(r, "limit");
	int64_t n;
	char code[13];
	struct buf text;

	if (!code_arg(r, req_param(r, "code"), code, 404))
		return;
	if (status && strcmp(status, "active") != 0 && strcmp(status, "all") != 0) {
		resp_error(r, 400, "bad_param", "参数 status 应为 active 或 all");
		return;
	}
	/* A map page is larger than a list page: its own default and cap, the same cursor. */
	if (limit) {
		char *end = NULL;

		n = strtoll(limit, &end, 10);
		if (!*limit || *end || n < 1 || n > GRID_GEOJSON_PAGE_MAX) {
			char msg[96];

			(void)snprintf(msg, sizeof msg, "每页条数应为 1 到 %d 之间的整数",
			               GRID_GEOJSON_PAGE_MAX);
			resp_error(r, 400, "bad_limit", msg);
			return;
		}
	} else {
		n = GRID_GEOJSON_PAGE_DEFAULT;
	}
	if (dom_page_parse(&pg, NULL, req_query(r, "cursor"), &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	pg.limit = (int)n;
	api_ctx(r, &x);
	buf_init(&text, 64u * 1024 * 1024);
	api_grids_page(r,
	               grid_geojson(&x, code, status && strcmp(status, "all") == 0 ? -1 : 0, &pg,
	                            &text, &e),
	               &text, &e);
}
