/*
 * The basic-information registry over HTTP (docs/api-registry.md): /api/v1/houses, /api/v1/units,
 * /api/v1/people and /api/v1/grids/:code/statistics. Handlers parse the request, call
 * domain/registry.h and render; ID and phone numbers leave masked unless the caller holds
 * sensitive.unmask and gives ?unmask=1&reason=... (recorded). Key people are read only with
 * person.key_read and ?reason=...; the domain records every such read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/person_export.h"
#include "domain/registry_export.h"
#include "domain/person_history.h"
#include "domain/registry.h"
#include "domain/registry_quality.h"

/* Answers out (200) or the error. */
static void answer_status(struct req *r, int status, json_t *out, const struct dom_err *e)
{
	if (!out)
		respond_dom_err(r, e);
	else
		resp_json(r, status, out);
}

static void answer(struct req *r, json_t *out, const struct dom_err *e)
{
	answer_status(r, 200, out, e);
}

/* The optional integer member key of body as an id: -1 absent, 0 null, > 0 the id. -2 after
   answering 400. */
static int64_t body_ref(struct req *r, json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);
	char msg[96];

	if (!v)
		return -1;
	if (json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0)
		return json_integer_value(v);
	(void)snprintf(msg, sizeof msg, "字段 %s 应为正整数或 null", key);
	resp_error(r, 400, "bad_field", msg);
	return -2;
}

/* The optional string member key of body that null or "" clears: NULL absent, "" null or empty,
   else the string. -1 after answering 400. */
static int clearable_or_respond(struct req *r, json_t *body, const char *key, const char **out)
{
	json_t *v = json_object_get(body, key);

	if (body_string_or_respond(r, body, key, out) < 0)
		return -1;
	if (v && json_is_null(v))
		*out = "";
	return 0;
}

/* The required member version (the version of the record the change was made on): a positive
   integer into *out. -1 after answering 400. */
static int version_or_respond(struct req *r, json_t *body, int64_t *out)
{
	json_t *v = json_object_get(body, "version");

	if (!v || !json_is_integer(v) || json_integer_value(v) <= 0) {
		resp_error(r, 400, "bad_field", "须提供所修改记录的版本 version（正整数）");
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static const char *query(struct req *r, const char *name)
{
	const char *v = req_query(r, name);

	return v && *v ? v : NULL;
}

/* ---- houses ---- */

void api_houses_create(struct req *r)
{
	static const char *const allowed[] = { "grid", "address", "building", "unit_no",  "room",
		                               "type", "use",     "date",     "location", NULL };
	json_t *body = req_json_or_respond(r);
	struct house_input in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char grid[32];
	int64_t id = 0;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid) < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    body_string_or_respond(r, body, "building", &in.building) < 0 ||
	    body_string_or_respond(r, body, "unit_no", &in.unit_no) < 0 ||
	    body_string_or_respond(r, body, "room", &in.room) < 0 ||
	    body_string_or_respond(r, body, "type", &in.type) < 0 ||
	    body_string_or_respond(r, body, "use", &in.use) < 0 ||
	    body_string_or_respond(r, body, "date", &in.date) < 0 ||
	    api_location_or_respond(r, json_object_get(body, "location"), &in.has_location, &in.lng,
	                            &in.lat, &in.grid, grid, sizeof grid) < 0)
		return;
	api_ctx(r, &x);
	if (house_create(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	answer_status(r, 201, house_get(&x, id, &e), &e);
}

void api_houses_list(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	answer(r, house_list(&x, query(r, "grid"), &pg, &e), &e);
}

void api_houses_get(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	answer(r, house_get(&x, id, &e), &e);
}

void api_houses_update(struct req *r)
{
	static const char *const allowed[] = { "address", "building", "unit_no", "room",    "type",
		                               "use",     "grid",     "date",    "version", NULL };
	json_t *body = req_json_or_respond(r);
	struct house_change in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    clearable_or_respond(r, body, "building", &in.building) < 0 ||
	    clearable_or_respond(r, body, "unit_no", &in.unit_no) < 0 ||
	    clearable_or_respond(r, body, "room", &in.room) < 0 ||
	    body_string_or_respond(r, body, "type", &in.type) < 0 ||
	    body_string_or_respond(r, body, "use", &in.use) < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid) < 0 ||
	    body_string_or_respond(r, body, "date", &in.date) < 0 ||
	    version_or_respond(r, body, &in.version) < 0)
		return;
	api_ctx(r, &x);
	if (house_update(&x, id, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	answer(r, house_get(&x, id, &e), &e);
}

/* ?date= (default today); key people are included with person.key_read and ?reason=. */
void api_houses_residents(struct req *r)
{
	const char *reason = query(r, "reason");
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;
	int64_t id;
	int key;
	char obj[48];

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	key = person_key_access(&x, reason);
	out = house_residents(&x, id, query(r, "date"), key, &e);
	if (out && key) {
		(void)snprintf(obj, sizeof obj, "house:%" PRId64 ":residents", id);
		if (person_key_read_record(&x, obj, reason) < 0) {
			json_decref(out);
			resp_error(r, 503, "audit_failed", "审计记录写入失败，请稍后重试");
			return;
		}
	}
	answer(r, out, &e);
}

/* ---- units ---- */

void api_units_create(struct req *r)
{
	static const char *const allowed[] = { "grid",          "name",     "credit_code",
		                               "kind",          "address",  "contact_name",
		                               "contact_phone", "location", NULL };
	json_t *body = req_json_or_respond(r);
	struct unit_input in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char grid[32];
	int64_t id = 0;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid) < 0 ||
	    body_string_or_respond(r, body, "name", &in.name) < 0 ||
	    body_string_or_respond(r, body, "credit_code", &in.credit_code) < 0 ||
	    body_string_or_respond(r, body, "kind", &in.kind) < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    body_string_or_respond(r, body, "contact_name", &in.contact_name) < 0 ||
	    body_string_or_respond(r, body, "contact_phone", &in.contact_phone) < 0 ||
	    api_location_or_respond(r, json_object_get(body, "location"), &in.has_location, &in.lng,
	                            &in.lat, &in.grid, grid, sizeof grid) < 0)
		return;
	api_ctx(r, &x);
	if (unit_create(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	answer_status(r, 201, unit_get(&x, id, &e), &e);
}

void api_units_update(struct req *r)
{
	static const char *const allowed[] = { "name",          "credit_code", "kind",
		                               "address",       "grid",        "contact_name",
		                               "contact_phone", "version",     NULL };
	json_t *body = req_json_or_respond(r);
	struct unit_change in = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    body_string_or_respond(r, body, "name", &in.name) < 0 ||
	    body_string_or_respond(r, body, "credit_code", &in.credit_code) < 0 ||
	    body_string_or_respond(r, body, "kind", &in.kind) < 0 ||
	    body_string_or_respond(r, body, "address", &in.address) < 0 ||
	    body_string_or_respond(r, body, "grid", &in.grid) < 0 ||
	    clearable_or_respond(r, body, "contact_name", &in.contact_name) < 0 ||
	    clearable_or_respond(r, body, "contact_phone", &in.contact_phone) < 0 ||
	    version_or_respond(r, body, &in.version) < 0)
		return;
	api_ctx(r, &x);
	if (unit_update(&x, id, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	answer(r, unit_get(&x, id, &e), &e);
}

void api_units_list(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	answer(r, unit_list(&x, query(r, "grid"), &pg, &e), &e);
}

void api_units_get(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	answer(r, unit_get(&x, id, &e), &e);
}

/* ---- people ---- */

/* An optional array of tag names into names[0..*n). -1 after answering 400. */
static int tags_or_respond(struct req *r, json_t *body, const char *key, const char **names,
                           size_t *n)
{
	json_t *a = json_object_get(body, key);

	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	return body_strings_or_respond(r, a, key, REGISTRY_TAGS_MAX, names, n,
	                               "标签须为字符串数组（一次最多 16 个）");
}

static int read_person(struct req *r, json_t *body, struct person_input *in, int creating)
{
	static const char *const create_fields[] = {
		"name",     "id_number", "passport", "sex",   "birth_date", "nationality",
		"phone",    "reg_type",  "grid",     "house", "unit",       "household_no",
		"relation", "born",      "date",     "tags",  NULL,
	};
	static const char *const change_fields[] = {
		"name", "phone", "reg_type",   "house",      "unit",   "household_no", "relation",
		"died", "date",  "tags_enter", "tags_leave", "verify", NULL,
	};
	json_t *born = json_object_get(body, "born");
	json_t *verify = json_object_get(body, "verify");

	if (body_keys_or_respond(r, body, creating ? create_fields : change_fields, "") < 0 ||
	    body_string_or_respond(r, body, "name", &in->name) < 0 ||
	    body_string_or_respond(r, body, "id_number", &in->id_number) < 0 ||
	    body_string_or_respond(r, body, "passport", &in->passport) < 0 ||
	    body_string_or_respond(r, body, "sex", &in->sex) < 0 ||
	    body_string_or_respond(r, body, "birth_date", &in->birth_date) < 0 ||
	    body_string_or_respond(r, body, "nationality", &in->nationality) < 0 ||
	    body_string_or_respond(r, body, "phone", &in->phone) < 0 ||
	    body_string_or_respond(r, body, "reg_type", &in->reg_type) < 0 ||
	    body_string_or_respond(r, body, "grid", &in->grid) < 0 ||
	    body_string_or_respond(r, body, "household_no", &in->household_no) < 0 ||
	    body_string_or_respond(r, body, "relation", &in->relation) < 0 ||
	    body_string_or_respond(r, body, "died", &in->died) < 0 ||
	    body_string_or_respond(r, body, "date", &in->date) < 0 ||
	    tags_or_respond(r, body, creating ? "tags" : "tags_enter", in->tags_enter,
	                    &in->n_enter) < 0 ||
	    tags_or_respond(r, body, "tags_leave", in->tags_leave, &in->n_leave) < 0)
		return -1;
	if ((in->house = body_ref(r, body, "house")) == -2 ||
	    (in->unit = body_ref(r, body, "unit")) == -2)
		return -1;
	if (creating && in->house == 0)
		in->house = -1;
	if (born && !json_is_boolean(born)) {
		resp_error(r, 400, "bad_field", "字段 born 应为 true 或 false");
		return -1;
	}
	in->born = born && json_is_true(born);
	if (verify && !json_is_boolean(verify)) {
		resp_error(r, 400, "bad_field", "字段 verify 应为 true 或 false");
		return -1;
	}
	in->verify = verify && json_is_true(verify);
	return 0;
}

void api_people_create(struct req *r)
{
	struct person_input in = PERSON_INPUT_INIT;
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id = 0;
	json_t *o;

	if (!body || read_person(r, body, &in, 1) < 0)
		return;
	api_ctx(r, &x);
	if (person_create(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	/* The new record is answered without key categories (a key person is read with a
	   reason, like any other time). */
	o = json_pack("{s:I}", "id", (json_int_t)id);
	resp_json(r, 201, o);
}

void api_people_update(struct req *r)
{
	struct person_input in = PERSON_INPUT_INIT;
	json_t *body = req_json_or_respond(r);
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 || read_person(r, body, &in, 0) < 0)
		return;
	api_ctx(r, &x);
	if (person_update(&x, id, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	resp_json(r, 200, json_pack("{s:I}", "id", (json_int_t)id));
}

void api_people_get(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *o;
	int64_t id;
	int um;
	char obj[40];

	if (api_id_param(r, "id", &id) < 0)
		return;
	if ((um = api_unmask_requested(r)) < 0)
		return;
	api_ctx(r, &x);
	if (!(o = person_get(&x, id, query(r, "reason"), um, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	if (um) {
		(void)snprintf(obj, sizeof obj, "person:%" PRId64, id);
		api_unmask_record(r, obj);
	}
	resp_json(r, 200, o);
}

/* ?reason= for a key person (the domain records the read); keyset-paged. */
void api_people_history(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0 || api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	answer(r, person_history(&x, id, query(r, "reason"), &pg, &e), &e);
}

/* The list's filters from the query string (with_key left to the caller). -1 after answering
   400. */
static int people_filter_or_respond(struct req *r, struct person_filter *f)
{
	const char *house = query(r, "house");
	char *end = NULL;

	f->grid = query(r, "grid");
	f->id_number = query(r, "id_number");
	f->reg_type = query(r, "reg_type");
	f->tag = query(r, "tag");
	f->status = query(r, "status");
	f->name = query(r, "name");
	if (house) {
		f->house = strtoll(house, &end, 10);
		if (!end || *end || f->house <= 0) {
			resp_error(r, 400, "bad_param", "参数 house 应为房屋编号");
			return -1;
		}
	}
	return 0;
}

void api_people_list(struct req *r)
{
	struct person_filter f = { 0 };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	json_t *out;
	int um;

	if (people_filter_or_respond(r, &f) < 0 || api_page_or_respond(r, &pg) < 0 ||
	    (um = api_unmask_requested(r)) < 0)
		return;
	api_ctx(r, &x);
	f.with_key = person_key_access(&x, query(r, "reason"));
	if (!(out = person_list(&x, &f, &pg, um, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	if (f.with_key && person_key_read_record(&x, "people:list", query(r, "reason")) < 0) {
		json_decref(out);
		resp_error(r, 503, "audit_failed", "审计记录写入失败，请稍后重试");
		return;
	}
	if (um)
		api_unmask_record(r, "people:list");
	resp_json(r, 200, out);
}

/* The cap of one export: the environment variable env (1..cap; tests lower it), else cap. */
static int64_t export_max_rows(const char *env, int64_t cap)
{
	const char *v = getenv(env);
	char *end = NULL;
	long long n;

	if (!v || !*v)
		return cap;
	n = strtoll(v, &end, 10);
	return end && !*end && n >= 1 && n <= cap ? (int64_t)n : cap;
}

void api_people_export_xlsx(struct req *r)
{
	struct person_filter f = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char *data;
	size_t len;

	if (people_filter_or_respond(r, &f) < 0)
		return;
	api_ctx(r, &x);
	f.with_key = person_key_access(&x, query(r, "reason"));
	if (person_export_xlsx(
	            &x, &f,
	            export_max_rows("WANGGE_PEOPLE_EXPORT_MAX_ROWS", PERSON_EXPORT_MAX_ROWS), &data,
	            &len, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	if (f.with_key && person_key_read_record(&x, "people:export", query(r, "reason")) < 0) {
		free(data);
		resp_error(r, 503, "audit_failed", "审计记录写入失败，请稍后重试");
		return;
	}
	api_respond_xlsx(r, x.now, "people", data, len);
}

/* ---- the .xlsx exports of houses and units ---- */

typedef int (*place_export_fn)(const struct dom_ctx *x, const char *grid, int64_t max, char **data,
                               size_t *len, struct dom_err *e);

/* ?grid= (optional); the cap is lowered by WANGGE_REGISTRY_EXPORT_MAX_ROWS (tests). */
static void place_export_xlsx(struct req *r, place_export_fn export, int64_t cap, const char *name)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char *data;
	size_t len;

	api_ctx(r, &x);
	if (export(&x, query(r, "grid"), export_max_rows("WANGGE_REGISTRY_EXPORT_MAX_ROWS", cap),
	           &data, &len, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_respond_xlsx(r, x.now, name, data, len);
}

void api_houses_export_xlsx(struct req *r)
{
	place_export_xlsx(r, house_export_xlsx, HOUSE_EXPORT_MAX_ROWS, "houses");
}

void api_units_export_xlsx(struct req *r)
{
	place_export_xlsx(r, unit_export_xlsx, UNIT_EXPORT_MAX_ROWS, "units");
}

/* ---- statistics ---- */

void api_grid_statistics(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;

	api_ctx(r, &x);
	answer(r, registry_grid_stats(&x, req_param(r, "code"), &e), &e);
}

/* ---- key-people visits and data quality (issue 12 parts 5 and 6) ---- */

void api_people_visits_due(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	answer(r, person_visits_due(&x, query(r, "grid"), query(r, "reason"), &pg, &e), &e);
}

void api_registry_quality(struct req *r)
{
	const char *reason = query(r, "reason");
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	json_t *out;
	int with_key;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	with_key = person_key_access(&x, reason);
	if (!(out = registry_quality(&x, query(r, "kind"), query(r, "grid"), with_key, &pg, &e))) {
		respond_dom_err(r, &e);
		return;
	}
	if (with_key && person_key_read_record(&x, "registry:quality", reason) < 0) {
		json_decref(out);
		resp_error(r, 503, "audit_failed", "审计记录写入失败，请稍后重试");
		return;
	}
	resp_json(r, 200, out);
}
