/*
 * Organisations: /api/v1/orgs (keyset pages, ?kind=&limit=&cursor=) and /api/v1/orgs/:id. Scoped
 * by the caller's region subtree in the domain; an organisation outside it answers 404.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/notice.h"
#include "domain/org.h"

void api_orgs_list(struct req *r)
{
	struct dom_page pg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = org_list(&x, req_query(r, "kind"), &pg, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

static void respond_org(struct req *r, int status, int64_t id)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	struct org o;

	api_ctx(r, &x);
	if (org_get(&x, id, &o, &e) < 0)
		respond_dom_err(r, &e);
	else
		resp_json(r, status, org_to_json(&o));
}

void api_orgs_get(struct req *r)
{
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	respond_org(r, 200, id);
}

void api_orgs_create(struct req *r)
{
	static const char *const allowed[] = { "name", "kind", "level", "region_code", NULL };
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *name, *kind, *level, *region;
	int64_t id;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	name = body_string_or_null(body, "name");
	kind = body_string_or_null(body, "kind");
	level = body_string_or_null(body, "level");
	region = body_string_or_null(body, "region_code");
	if (!name || !kind || !region) {
		resp_error(r, 400, "bad_request", "需要 name、kind 和 region_code");
		return;
	}
	api_ctx(r, &x);
	if (org_create(&x, name, kind, level, region, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_org(r, 201, id);
}

void api_orgs_update(struct req *r)
{
	static const char *const allowed[] = { "name", "disabled", "supervision_phone", NULL };
	json_t *body = req_json_or_respond(r), *v, *phone;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *name = NULL;
	int disabled = -1;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	if ((v = json_object_get(body, "name")) != NULL) {
		if (!json_is_string(v)) {
			resp_error(r, 400, "bad_request", "name 须为字符串");
			return;
		}
		name = json_string_value(v);
	}
	if ((v = json_object_get(body, "disabled")) != NULL) {
		if (!json_is_boolean(v)) {
			resp_error(r, 400, "bad_request", "disabled 须为布尔值");
			return;
		}
		disabled = json_is_true(v);
	}
	/* A center's supervision phone (Art. 15 notice boards): a string, or null to clear it. */
	phone = json_object_get(body, "supervision_phone");
	if (phone && !json_is_string(phone) && !json_is_null(phone)) {
		resp_error(r, 400, "bad_request", "supervision_phone 须为字符串或 null");
		return;
	}
	api_ctx(r, &x);
	/* The phone first: its refusals (not a center, out of scope) come before any other change.
	 */
	if (phone && notice_set_supervision_phone(&x, id, json_string_value(phone), &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	if ((name || disabled >= 0 || !phone) && org_update(&x, id, name, disabled, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_org(r, 200, id);
}
