/*
 * Matters over HTTP (docs/api-matters.md): the queue GET /api/v1/matters, the report POST
 * /api/v1/matters, one matter GET /api/v1/matters/:id with its timeline and the actions the
 * caller may take, every flow action POST /api/v1/matters/:id/actions, the counters
 * GET /api/v1/matters/counts, the state table GET /api/v1/matters/flow and a matter's photo
 * GET /api/v1/matters/:id/photos/:hash. A report, and the actions that take photos, come as JSON
 * or as multipart/form-data with the same fields and the photos (api/photos.c takes them into
 * the upload store after every field was checked). A location given as lng/lat is turned into a
 * grid here, through the locate index; the domain does the rest.
 */
#include <math.h>
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
#include "http/multipart.h"

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

/* The optional "location" {lng, lat} of a report into in (api_location_or_respond). */
static int location_or_respond(struct req *r, json_t *loc, struct matter_report *in, char *grid,
                               size_t grid_size)
{
	return api_location_or_respond(r, loc, &in->has_location, &in->lng, &in->lat,
	                               &in->grid_code, grid, grid_size);
}

/* The text fields of a multipart form as a JSON object, so a form goes through the same checks
   as a JSON body: every value a string, except the names in ints (an integer) and reals (a
   number). A name given twice is refused. A new reference, or NULL after answering. */
static json_t *form_object(struct req *r, const struct multipart *m, const char *const *ints,
                           const char *const *reals)
{
	json_t *o = json_object();

	if (!o) {
		resp_error(r, 500, "internal", "内部错误");
		return NULL;
	}
	for (size_t i = 0; i < m->nfields; i++) {
		const struct multipart_field *f = &m->fields[i];
		json_t *v = NULL;
		char msg[160], *end = NULL;
		int is_int = 0, is_real = 0;

		for (size_t k = 0; ints && ints[k]; k++)
			is_int |= strcmp(ints[k], f->name) == 0;
		for (size_t k = 0; reals && reals[k]; k++)
			is_real |= strcmp(reals[k], f->name) == 0;
		if (json_object_get(o, f->name)) {
			(void)snprintf(msg, sizeof msg, "字段 %.100s 重复", f->name);
			resp_error(r, 400, "bad_field", msg);
			goto fail;
		}
		if (is_int) {
			long long n = strtoll(f->value, &end, 10);

			if (*f->value && end && !*end)
				v = json_integer(n);
		} else if (is_real) {
			double d = strtod(f->value, &end);

			if (*f->value && end && !*end && isfinite(d))
				v = json_real(d);
		} else {
			v = json_stringn(f->value, f->len);
		}
		if (!v) {
			(void)snprintf(msg, sizeof msg, "字段 %.100s 的值无效%s", f->name,
			               is_int    ? "（应为整数）"
			               : is_real ? "（应为数字）"
			                         : "");
			resp_error(r, 400, "bad_field", msg);
			goto fail;
		}
		json_object_set_new(o, f->name, v);
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A report form: the JSON body's fields, with the location as two fields lng and lat. */
static json_t *report_form(struct req *r, const struct multipart *m)
{
	static const char *const ints[] = { "urgency", NULL };
	static const char *const reals[] = { "lng", "lat", NULL };
	json_t *o = form_object(r, m, ints, reals), *lng, *lat;

	if (!o)
		return NULL;
	lng = json_object_get(o, "lng");
	lat = json_object_get(o, "lat");
	if (!lng != !lat) {
		resp_error(r, 400, "bad_coordinates", "位置须同时给出经度 lng 和纬度 lat");
		json_decref(o);
		return NULL;
	}
	if (lng) {
		json_object_set_new(o, "location", json_pack("{s:O,s:O}", "lng", lng, "lat", lat));
		json_object_del(o, "lng");
		json_object_del(o, "lat");
	}
	return o;
}

/* The report's fields from the body (JSON, or a form made into one) into in; a location
   without a grid is placed through the locate index into grid. 0, or -1 after answering. */
static int report_input(struct req *r, json_t *body, struct matter_report *in, char *grid,
                        size_t grid_size)
{
	static const char *const allowed[] = { "source",      "item",    "title",
		                               "description", "address", "grid",
		                               "location",    "urgency", NULL };
	json_t *urg;

	if (body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "source", &in->source) < 0 ||
	    body_string_or_respond(r, body, "item", &in->item) < 0 ||
	    body_string_or_respond(r, body, "title", &in->title) < 0 ||
	    body_string_or_respond(r, body, "description", &in->description) < 0 ||
	    body_string_or_respond(r, body, "address", &in->address) < 0 ||
	    body_string_or_respond(r, body, "grid", &in->grid_code) < 0)
		return -1;
	if (!in->source)
		in->source = "patrol";
	urg = json_object_get(body, "urgency");
	if (urg &&
	    (!json_is_integer(urg) || json_integer_value(urg) < 1 || json_integer_value(urg) > 3)) {
		resp_error(r, 400, "bad_field", "紧急程度 urgency 应为 1、2 或 3");
		return -1;
	}
	in->urgency = urg ? (int)json_integer_value(urg) : 0;
	if (location_or_respond(r, json_object_get(body, "location"), in, grid, grid_size) < 0)
		return -1;
	return 0;
}

/* POST /api/v1/matters: a JSON body, or a multipart form with the same fields (the location
   as lng and lat) and up to nine files in "photos". Everything about the report is checked
   before any file is stored; the files are then taken into the upload store and linked in the
   report's own write. */
void api_matters_report(struct req *r)
{
	const struct multipart *m = req_multipart(r);
	struct upload photos[UPLOAD_MAX_PER_RECORD];
	struct matter_report in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *owned = NULL, *body;
	char grid[32] = "";
	int64_t id;

	if (m) {
		if (api_photo_parts_or_respond(r, m, &in.nphotos) < 0)
			return;
		body = owned = report_form(r, m);
	} else {
		body = req_json_or_respond(r);
	}
	if (!body || report_input(r, body, &in, grid, sizeof grid) < 0)
		goto out;
	if (matter_report_check(&in, &e) < 0) {
		respond_dom_err(r, &e);
		goto out;
	}
	api_ctx(r, &x);
	if (api_photos_accept_or_respond(r, &x, m, in.nphotos, photos) < 0)
		goto out;
	in.photos = photos;
	if (matter_report(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		goto out;
	}
	api_written(r);
	respond_matter(r, &x, 201, id);
out:
	json_decref(owned);
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

/* POST /api/v1/matters/:id/actions: a JSON body, or a multipart form with the same fields
   (version and assignment as integers) and up to nine files in "photos" for the actions that
   take photos (matter_action_takes_photos). */
void api_matters_act(struct req *r)
{
	static const char *const ints[] = { "version", "assignment", NULL };
	const struct multipart *m = req_multipart(r);
	struct upload photos[UPLOAD_MAX_PER_RECORD];
	json_t *owned = NULL, *body, *version;
	struct matter_action in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *action;
	int a;

	if (api_id_param(r, "id", &in.matter_id) < 0)
		return;
	if (m) {
		if (api_photo_parts_or_respond(r, m, &in.nphotos) < 0)
			return;
		body = owned = form_object(r, m, ints, NULL);
	} else {
		body = req_json_or_respond(r);
	}
	if (!body)
		goto out;
	action = body_string_or_null(body, "action");
	a = flow_action_from_name(action);
	if (a < 0 || a == FA_REPORT) {
		resp_error(r, 400, "bad_action", "操作 action 无效");
		goto out;
	}
	version = json_object_get(body, "version");
	if (!json_is_integer(version) || json_integer_value(version) < 1 ||
	    json_integer_value(version) > 1000000) {
		resp_error(r, 400, "missing_field", "请给出事项的版本号 version（整数）");
		goto out;
	}
	in.action = (enum flow_action)a;
	in.version = (int)json_integer_value(version);
	in.fields = body;
	if (matter_action_check(&in, &e) < 0) {
		respond_dom_err(r, &e);
		goto out;
	}
	api_ctx(r, &x);
	if (api_photos_accept_or_respond(r, &x, m, in.nphotos, photos) < 0)
		goto out;
	in.photos = photos;
	if (matter_act(&x, &in, &e) < 0) {
		respond_dom_err(r, &e);
		goto out;
	}
	api_written(r);
	respond_matter(r, &x, 200, in.matter_id);
out:
	json_decref(owned);
}

/* GET /api/v1/matters/:id/photos/:hash: only when the matter is in the caller's scope and the
   photo is one of its photos (404 otherwise, as if missing). */
void api_matters_photo(struct req *r)
{
	const char *hash = req_param(r, "hash"), *mime = NULL;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	if (matter_photo(&x, id, hash, &mime, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_photo_send(r, hash, mime);
}

/* A region's numbers for the caller (?region=, default its own): counters or the dashboard. */
static void respond_region_numbers(struct req *r, json_t *(*read)(const struct dom_ctx *,
                                                                  const char *, struct dom_err *))
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;

	api_ctx(r, &x);
	o = read(&x, req_query(r, "region"), &e);
	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, o);
}

void api_matters_counts(struct req *r)
{
	respond_region_numbers(r, matter_counts);
}

void api_matters_dashboard(struct req *r)
{
	respond_region_numbers(r, matter_dashboard);
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
	json_t *body = req_json_or_respond(r);
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
	if (location_or_respond(r, json_object_get(body, "location"), &in, grid, sizeof grid) < 0)
		return;
	if (api_resident_quota_or_respond(r, in.grid_code) < 0)
		return;
	api_public_ctx(r, &x);
	if (matter_public_report(&x, &in, contact, code, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_resident_counted(r, in.grid_code);
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

	api_public_ctx(r, &x);
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
	api_public_ctx(r, &x);
	if (matter_rate(&x, req_param(r, "code"), (int)json_integer_value(rating), comment, &e) <
	    0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	api_public_track(r);
}
