/*
 * Duty records over HTTP (docs/api-duty.md): POST /api/v1/duty-records takes either
 * multipart/form-data (the fields and up to nine files in "photos") or a JSON object (no photos);
 * GET lists and reads them, and GET .../photos/:hash serves a photo of a record the caller may
 * see. The order of a create is: check every field (a prohibited act is refused before any file
 * is stored), take each file into the upload store (domain/upload.h: size, type by magic bytes,
 * hash), then write the record through the domain.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/clock.h"
#include "domain/duty.h"
#include "domain/upload.h"
#include "http/multipart.h"

static const char *const create_fields[] = { "duty", "act",  "at",     "grid", "lng",
	                                     "lat",  "note", "person", NULL };

static int allowed_field(const char *name)
{
	for (size_t i = 0; create_fields[i]; i++)
		if (strcmp(create_fields[i], name) == 0)
			return 1;
	return 0;
}

/* A coordinate from form text: 1 parsed, 0 absent, -1 malformed. */
static int form_number(const char *s, double *out)
{
	char *end = NULL;

	if (!s || !*s)
		return 0;
	*out = strtod(s, &end);
	return end && !*end && isfinite(*out) ? 1 : -1;
}

/* A coordinate from JSON: 1 number, 0 absent or null, -1 another type. */
static int json_number(json_t *body, const char *key, double *out)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 1;
}

static int bad(struct req *r, const char *code, const char *message)
{
	resp_error(r, 400, code, message);
	return -1;
}

/* The fields of a create from the multipart form or the JSON body into in. -1 after answering. */
static int create_input(struct req *r, const struct multipart *m, struct duty_input *in)
{
	const char *at = NULL;
	double lng = 0, lat = 0;
	int hl, ha;

	memset(in, 0, sizeof *in);
	if (m) {
		for (size_t i = 0; i < m->nfields; i++)
			if (!allowed_field(m->fields[i].name)) {
				char msg[160];

				(void)snprintf(msg, sizeof msg, "不支持的字段：%.100s",
				               m->fields[i].name);
				return bad(r, "unknown_field", msg);
			}
		if (api_photo_parts_or_respond(r, m, &in->nphotos) < 0)
			return -1;
		in->duty = multipart_value(m, "duty");
		in->act = multipart_value(m, "act");
		in->grid = multipart_value(m, "grid");
		in->note = multipart_value(m, "note");
		at = multipart_value(m, "at");
		if (multipart_value(m, "person")) {
			char *end = NULL;

			in->person_id = strtoll(multipart_value(m, "person"), &end, 10);
			if (!end || *end || in->person_id <= 0)
				return bad(r, "bad_person", "走访对象 person 应为人员编号");
		}
		hl = form_number(multipart_value(m, "lng"), &lng);
		ha = form_number(multipart_value(m, "lat"), &lat);
	} else {
		json_t *body = req_json_or_respond(r);

		if (!body || body_keys_or_respond(r, body, create_fields, "") < 0 ||
		    body_string_or_respond(r, body, "duty", &in->duty) < 0 ||
		    body_string_or_respond(r, body, "act", &in->act) < 0 ||
		    body_string_or_respond(r, body, "grid", &in->grid) < 0 ||
		    body_string_or_respond(r, body, "note", &in->note) < 0 ||
		    body_string_or_respond(r, body, "at", &at) < 0)
			return -1;
		if (json_object_get(body, "person")) {
			json_t *pv = json_object_get(body, "person");

			if (!json_is_integer(pv) || json_integer_value(pv) <= 0)
				return bad(r, "bad_person", "走访对象 person 应为人员编号");
			in->person_id = json_integer_value(pv);
		}
		hl = json_number(body, "lng", &lng);
		ha = json_number(body, "lat", &lat);
	}
	if (hl < 0 || ha < 0 || (hl > 0) != (ha > 0))
		return bad(r, "bad_location", "位置无效：经度 lng 和纬度 lat 须同时给出，且为数字");
	in->has_location = hl > 0;
	in->lng = lng;
	in->lat = lat;
	if (at && *at && clock_parse(at, &in->at) < 0)
		return bad(r, "bad_time",
		           "履职时间 at 应为 RFC 3339 时间，如 2026-11-28T09:30:00+08:00");
	return 0;
}

static void respond_record(struct req *r, const struct dom_ctx *x, int status, int64_t id)
{
	struct dom_err e = { 0 };
	json_t *o = duty_get(x, id, &e);

	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, status, o);
}

void api_duty_create(struct req *r)
{
	const struct multipart *m = req_multipart(r);
	struct upload photos[UPLOAD_MAX_PER_RECORD];
	struct duty_input in;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id = 0;

	if (create_input(r, m, &in) < 0)
		return;
	api_ctx(r, &x);
	/* Everything about the record first: a prohibited act stores no file. */
	if (duty_check(&x, &in, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	if (api_photos_accept_or_respond(r, &x, m, in.nphotos, photos) < 0)
		return;
	in.photos = photos;
	if (duty_create(&x, &in, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_record(r, &x, 201, id);
}

/* A date filter: YYYY-MM-DD (a whole day in Asia/Shanghai; "to" includes that day) or RFC 3339.
   1 set, 0 absent, -1 after answering. */
static int date_param(struct req *r, const char *name, int end_of_day, int64_t *out)
{
	const char *s = req_query(r, name);

	*out = 0;
	if (!s)
		return 0;
	if (clock_parse(s, out) < 0) {
		char msg[160];

		(void)snprintf(msg, sizeof msg, "参数 %s 应为日期 YYYY-MM-DD 或 RFC 3339 时间",
		               name);
		resp_error(r, 400, "bad_param", msg);
		return -1;
	}
	if (end_of_day && strlen(s) == 10)
		*out += 86400;
	return 1;
}

void api_duty_list(struct req *r)
{
	struct duty_filter f = { 0 };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	int64_t mine;
	json_t *out;

	f.grid = req_query(r, "grid");
	f.duty = req_query(r, "duty");
	if (f.duty && !duty_type_find(f.duty)) {
		resp_error(r, 400, "bad_param", "参数 duty 应为十项职责的代码之一");
		return;
	}
	if (query_int_or_respond(r, "worker", 0, 1, INT64_MAX, &f.worker_id) < 0 ||
	    query_int_or_respond(r, "mine", 0, 0, 1, &mine) < 0 ||
	    date_param(r, "from", 0, &f.from) < 0 || date_param(r, "to", 1, &f.to) < 0 ||
	    api_page_or_respond(r, &pg) < 0)
		return;
	f.mine = (int)mine;
	api_ctx(r, &x);
	out = duty_list(&x, &f, &pg, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

void api_duty_get(struct req *r)
{
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	respond_record(r, &x, 200, id);
}

void api_duty_photo(struct req *r)
{
	const char *hash = req_param(r, "hash"), *mime = NULL;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	if (duty_photo(&x, id, hash, &mime, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_photo_send(r, hash, mime);
}

void api_duty_catalog(struct req *r)
{
	resp_json(r, 200, duty_catalog_json());
}
