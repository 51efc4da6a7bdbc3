/*
 * Regions over HTTP: GET/POST /api/v1/regions, GET/PATCH /api/v1/regions/:code and the map's
 * GET /api/v1/regions/:code/grids.geojson. Parses and validates input, calls domain/region, and
 * answers JSON; a region outside the caller's scope is answered 404, like a missing one.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "domain/audit.h"
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
	char parent[13];
	int64_t level;
	json_t *out;

	if (req_query(r, "parent")) {
		if (!code_arg(r, req_query(r, "parent"), parent, 400))
			return;
		f.parent = parent;
	}
	if (query_int_or_respond(r, "level", 0, 1, 5, &level) < 0 ||
	    query_int_or_respond(r, "limit", 100, 1, 1000, &f.limit) < 0 ||
	    query_int_or_respond(r, "offset", 0, 0, INT32_MAX, &f.offset) < 0)
		return;
	f.level = (int)level;
	out = region_list(req_app(r)->store, req_principal(r), &f, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

/* The region with its ancestors (those the caller may see) for breadcrumbs. */
static json_t *region_full_json(struct req *r, const struct region *reg)
{
	json_t *o = region_to_json(reg, 1), *anc = json_array();
	const char *p = reg->path;

	while (p && *p) {
		const char *slash = strchr(p, '/');
		char code[13];
		struct region a;

		if (!slash || slash - p != 12)
			break;
		memcpy(code, p, 12);
		code[12] = '\0';
		p = slash + 1;
		if (strcmp(code, reg->code) == 0)
			break;
		if (region_get(req_app(r)->store, req_principal(r), code, &a) == 1)
			json_array_append_new(anc, json_pack("{s:s,s:s,s:i}", "code", a.code,
			                                     "name", a.name, "level", a.level));
		region_release(&a);
	}
	json_object_set_new(o, "ancestors", anc);
	return o;
}

void api_region_get(struct req *r)
{
	struct region reg;
	char code[13];
	int rc;

	if (!code_arg(r, req_param(r, "code"), code, 404))
		return;
	rc = region_get(req_app(r)->store, req_principal(r), code, &reg);
	if (rc < 0) {
		resp_error(r, 503, "read_failed", "读取区划失败，请稍后重试");
		return;
	}
	if (rc == 0) {
		resp_error(r, 404, "not_found", "区划不存在");
		return;
	}
	resp_json(r, 200, region_full_json(r, &reg));
	region_release(&reg);
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
	resp_json(r, 201, region_full_json(r, &reg));
	region_release(&reg);
}

void api_region_update(struct req *r)
{
	static const char *const allowed[] = { "name", "boundary", NULL };
	json_t *body = req_json_or_respond(r), *b;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	struct region reg;
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
	if (region_get(req_app(r)->store, req_principal(r), code, &reg) != 1) {
		resp_error(r, 503, "read_failed", "读取区划失败，请稍后重试");
		return;
	}
	resp_json(r, 200, region_full_json(r, &reg));
	region_release(&reg);
}

void api_region_grids_geojson(struct req *r)
{
	struct dom_err e = { 0 };
	const char *status = req_query(r, "status");
	char code[13];
	json_t *out;

	if (!code_arg(r, req_param(r, "code"), code, 404))
		return;
	if (status && strcmp(status, "active") != 0 && strcmp(status, "all") != 0) {
		resp_error(r, 400, "bad_param", "参数 status 应为 active 或 all");
		return;
	}
	out = grid_geojson(req_app(r)->store, req_principal(r), code,
	                   status && strcmp(status, "all") == 0 ? -1 : 0, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}
