/*
 * Matters over HTTP (docs/api-matters.md): the queue GET /api/v1/matters, the report POST
 * /api/v1/matters, one matter GET /api/v1/matters/:id with its timeline and the actions the
 * caller may take, every flow action POST /api/v1/matters/:id/actions, the counters
 * GET /api/v1/matters/counts and the state table GET /api/v1/matters/flow. A location given as
 * lng/lat is turned into a grid here, through the locate index; the domain does the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "domain/flow.h"
#include "domain/matter.h"
#include "geo/geom.h"
#include "geo/gridindex.h"

void api_matters_list(struct req *r)
{
	struct matter_filter f = { 0 };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	const char *alert = req_query(r, "alert"), *mine = req_query(r, "mine");
	json_t *out;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	f.state = req_query(r, "state");
	f.category = req_query(r, "category");
	f.item = req_query(r, "item");
	f.grid_code = req_query(r, "grid");
	if (alert && strcmp(alert, "yellow") == 0) {
		f.alert = 1;
	} else if (alert && strcmp(alert, "red") == 0) {
		f.alert = 2;
	} else if (alert && *alert) {
		resp_error(r, 400, "bad_param",
		           "参数 alert 应为 yellow（黄牌及以上）或 red（红牌）");
		return;
	}
	if (mine && strcmp(mine, "1") != 0 && strcmp(mine, "0") != 0) {
		resp_error(r, 400, "bad_param", "参数 mine 应为 1 或 0");
		return;
	}
	f.mine = mine && strcmp(mine, "1") == 0;
	api_ctx(r, &x);
	out = matter_list(&x, &f, &pg, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

static void respond_matter(struct req *r, const struct dom_ctx *x, int status, int64_t id)
{
	struct dom_err e = { 0 };
	json_t *o = matter_get(x, id, &e);

	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, status, o);
}

/* The grid of a location, through the locate index: 1 with code, 0 after answering. */
static int locate_grid(struct req *r, double lng, double lat, char *code, size_t n)
{
	struct gridindex *ix = gridindex_acquire(req_app(r)->grids);
	struct gridindex_hit hit;
	int rc;

	if (!ix) {
		resp_error(r, 503, "index_unavailable", "网格索引尚未就绪，请稍后重试");
		return 0;
	}
	rc = gridindex_locate(ix, lng, lat, &hit);
	if (rc == 1)
		(void)snprintf(code, n, "%s", hit.code);
	gridindex_unref(ix);
	if (rc != 1) {
		resp_error(r, 400, "outside_grids", "该位置不在任何网格内，请在地图上选择网格");
		return 0;
	}
	return 1;
}

void api_matters_report(struct req *r)
{
	static const char *const allowed[] = { "source",      "item",    "title",
		                               "description", "address", "grid",
		                               "location",    "urgency", NULL };
	static const char *const loc_allowed[] = { "lng", "lat", NULL };
	json_t *body = req_json_or_respond(r), *loc, *urg;
	struct matter_report in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char grid[32] = "";
	int64_t id;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "source", &in.source) < 0 ||
	    body_string_or_respond(r, body, "item", &in.item) < 0 ||
	    body_string_or_respond(r, body, "title", &in.title) < 0 ||
	    body_string_or_respond(r, body, "description", &in.description) < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid_code) < 0)
		return;
	if (!in.source)
		in.source = "patrol";
	urg = json_object_get(body, "urgency");
	if (urg &&
	    (!json_is_integer(urg) || json_integer_value(urg) < 1 || json_integer_value(urg) > 3)) {
		resp_error(r, 400, "bad_field", "紧急程度 urgency 应为 1、2 或 3");
		return;
	}
	in.urgency = urg ? (int)json_integer_value(urg) : 0;
	loc = json_object_get(body, "location");
	if (loc && !json_is_null(loc)) {
		json_t *lng = json_object_get(loc, "lng"), *lat = json_object_get(loc, "lat");

		if (!json_is_object(loc) ||
		    body_keys_or_respond(r, loc, loc_allowed, "location.") < 0)
			return;
		if (!json_is_number(lng) || !json_is_number(lat) ||
		    json_number_value(lng) < GEO_LNG_MIN || json_number_value(lng) > GEO_LNG_MAX ||
		    json_number_value(lat) < GEO_LAT_MIN || json_number_value(lat) > GEO_LAT_MAX) {
			resp_error(r, 400, "bad_coordinates",
			           "位置 location 应为有效的经纬度 {lng, lat}");
			return;
		}
		in.has_location = 1;
		in.lng = json_number_value(lng);
		in.lat = json_number_value(lat);
		if (!in.grid_code) {
			if (!locate_grid(r, in.lng, in.lat, grid, sizeof grid))
				return;
			in.grid_code = grid;
		}
	}
	api_ctx(r, &x);
	if (matter_report(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_matter(r, &x, 201, id);
}

void api_matters_get(struct req *r)
{
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	respond_matter(r, &x, 200, id);
}

void api_matters_act(struct req *r)
{
	json_t *body = req_json_or_respond(r), *version;
	struct matter_action in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *action;
	int a;

	if (!body || api_id_param(r, "id", &in.matter_id) < 0)
		return;
	action = body_string_or_null(body, "action");
	a = flow_action_from_name(action);
	if (a < 0 || a == FA_REPORT) {
		resp_error(r, 400, "bad_action", "操作 action 无效");
		return;
	}
	version = json_object_get(body, "version");
	if (!json_is_integer(version) || json_integer_value(version) < 1 ||
	    json_integer_value(version) > 1000000) {
		resp_error(r, 400, "missing_field", "请给出事项的版本号 version（整数）");
		return;
	}
	in.action = (enum flow_action)a;
	in.version = (int)json_integer_value(version);
	in.fields = body;
	api_ctx(r, &x);
	if (matter_act(&x, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_matter(r, &x, 200, in.matter_id);
}

void api_matters_counts(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;

	api_ctx(r, &x);
	o = matter_counts(&x, req_query(r, "region"), &e);
	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, o);
}

void api_matters_dashboard(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;

	api_ctx(r, &x);
	o = matter_dashboard(&x, req_query(r, "region"), &e);
	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, o);
}

void api_matters_flow(struct req *r)
{
	json_t *o = flow_table_json();

	if (!o)
		resp_error(r, 500, "internal", "内部错误");
	else
		resp_json(r, 200, o);
}

/* Tests: run the deadline scheduler's step now (after moving the clock), instead of waiting. */
void api_matters_tick(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x, sys;
	int64_t changed = 0;

	if (body_none_or_respond(r) < 0)
		return;
	api_ctx(r, &x);
	dom_ctx_as(&sys, &x, access_system());
	if (matter_alerts_tick(&sys, &changed, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, json_pack("{s:I}", "changed", (json_int_t)changed));
}

/* ---- residents (no login; docs/api-matters.md "Residents") ---- */

void api_public_report(struct req *r)
{
	static const char *const allowed[] = { "item", "title",    "description", "address",
		                               "grid", "location", "contact",     NULL };
	static const char *const loc_allowed[] = { "lng", "lat", NULL };
	json_t *body = req_json_or_respond(r), *loc;
	struct matter_report in = { .source = "resident" };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *contact = NULL;
	char grid[32] = "", code[MATTER_TRACKING_CHARS + 1];
	int64_t id;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "item", &in.item) < 0 ||
	    body_string_or_respond(r, body, "title", &in.title) < 0 ||
	    body_string_or_respond(r, body, "description", &in.description) < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid_code) < 0 ||
	    body_string_or_respond(r, body, "contact", &contact) < 0)
		return;
	loc = json_object_get(body, "location");
	if (loc && !json_is_null(loc)) {
		json_t *lng = json_object_get(loc, "lng"), *lat = json_object_get(loc, "lat");

		if (!json_is_object(loc) ||
		    body_keys_or_respond(r, loc, loc_allowed, "location.") < 0)
			return;
		if (!json_is_number(lng) || !json_is_number(lat) ||
		    json_number_value(lng) < GEO_LNG_MIN || json_number_value(lng) > GEO_LNG_MAX ||
		    json_number_value(lat) < GEO_LAT_MIN || json_number_value(lat) > GEO_LAT_MAX) {
			resp_error(r, 400, "bad_coordinates",
			           "位置 location 应为有效的经纬度 {lng, lat}");
			return;
		}
		in.has_location = 1;
		in.lng = json_number_value(lng);
		in.lat = json_number_value(lat);
		if (!in.grid_code) {
			if (!locate_grid(r, in.lng, in.lat, grid, sizeof grid))
				return;
			in.grid_code = grid;
		}
	}
	api_ctx(r, &x);
	if (matter_public_report(&x, &in, contact, code, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 201,
	          json_pack("{s:s,s:s+}", "tracking_code", code, "track_url", "/public/track/",
	                    code));
}

void api_public_track(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;

	api_ctx(r, &x);
	o = matter_track(&x, req_param(r, "code"), &e);
	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, o);
}

void api_public_rate(struct req *r)
{
	static const char *const allowed[] = { "rating", "comment", NULL };
	json_t *body = req_json_or_respond(r), *rating;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *comment = NULL;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "comment", &comment) < 0)
		return;
	rating = json_object_get(body, "rating");
	if (!json_is_integer(rating) || json_integer_value(rating) < 1 ||
	    json_integer_value(rating) > 3) {
		resp_error(r, 400, "bad_rating", "评价应为 1（满意）、2（基本满意）或 3（不满意）");
		return;
	}
	api_ctx(r, &x);
	if (matter_rate(&x, req_param(r, "code"), (int)json_integer_value(rating), comment, &e) <
	    0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_public_track(r);
}
