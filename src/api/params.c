/*
 * Parameter parsing and error answers shared by the API handlers (contracts in params.h). Each
 * helper here replaced copies that lived in several handler files; the codes and Chinese messages
 * are the ones those copies sent, which clients and tests rely on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/params.h"
#include "base/buf.h"
#include "domain/dom.h"
#include "domain/worker.h" /* worker_local_date */
#include "app.h"
#include "geo/geom.h"
#include "geo/gridindex.h"

void respond_dom_err(struct req *r, const struct dom_err *e)
{
	if (e->audited)
		req_set_audited(r);
	resp_error(r, e->status ? e->status : 500, e->code ? e->code : "internal",
	           e->message[0] ? e->message : "内部错误");
}

void api_written(struct req *r)
{
	req_set_audited(r);
}

void api_respond_xlsx(struct req *r, int64_t now, const char *name, char *data, size_t len)
{
	char cd[160], day[WORKER_DATE_LEN + 1];

	(void)snprintf(cd, sizeof cd, "attachment; filename=\"%s-%s.xlsx\"", name,
	               worker_local_date(now, day));
	resp_header(r, "Content-Disposition", cd);
	resp_bytes(r, 200, XLSX_MIME, data, len);
	free(data);
}

int api_page_or_respond(struct req *r, struct dom_page *pg)
{
	struct dom_err e = { 0 };

	if (dom_page_parse(pg, req_query(r, "limit"), req_query(r, "cursor"), &e) < 0) {
		respond_dom_err(r, &e);
		return -1;
	}
	return 0;
}

int query_int_or_respond(struct req *r, const char *name, int64_t def, int64_t min, int64_t max,
                         int64_t *out)
{
	const char *s = req_query(r, name);
	char *end;
	long long v;

	*out = def;
	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		char msg[160];

		(void)snprintf(msg, sizeof msg, "参数 %s 应为 %lld 到 %lld 之间的整数", name,
		               (long long)min, (long long)max);
		resp_error(r, 400, "bad_param", msg);
		return -1;
	}
	*out = v;
	return 0;
}

int api_id_param(struct req *r, const char *name, int64_t *out)
{
	const char *v = req_param(r, name);
	char *end;
	long long n;

	if (!v || !*v || *v == '-' || *v == '+')
		goto bad;
	n = strtoll(v, &end, 10);
	if (*end || n <= 0)
		goto bad;
	*out = n;
	return 0;
bad:
	resp_error(r, 404, "not_found", "请求的对象不存在");
	return -1;
}

int body_keys_or_respond(struct req *r, json_t *obj, const char *const *allowed, const char *where)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		int ok = 0;

		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char msg[256];

			(void)snprintf(msg, sizeof msg, "%s不支持的字段：%.64s", where, key);
			resp_error(r, 400, "unknown_field", msg);
			return -1;
		}
	}
	return 0;
}

int body_none_or_respond(struct req *r)
{
	static const char *const none[] = { NULL };
	const struct buf *b = req_body(r);
	json_t *body;

	if (!b || b->len == 0)
		return 0;
	body = req_json_or_respond(r);
	return body ? body_keys_or_respond(r, body, none, "") : -1;
}

static int string_or_respond(struct req *r, json_t *obj, const char *key, int null_is_absent,
                             const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || (null_is_absent && json_is_null(v)))
		return 0;
	if (!json_is_string(v)) {
		char msg[128];

		(void)snprintf(msg, sizeof msg, "字段 %s 必须是字符串", key);
		resp_error(r, 400, "bad_field", msg);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int body_string_or_respond(struct req *r, json_t *obj, const char *key, const char **out)
{
	return string_or_respond(r, obj, key, 1, out);
}

int body_string_not_null_or_respond(struct req *r, json_t *obj, const char *key, const char **out)
{
	return string_or_respond(r, obj, key, 0, out);
}

int body_string(json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

const char *body_string_or_null(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int body_strings_or_respond(struct req *r, json_t *a, const char *key, size_t max,
                            const char **names, size_t *n, const char *shape_message)
{
	json_t *v;
	size_t i;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > max) {
		resp_error(r, 400, "bad_request", shape_message);
		return -1;
	}
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			char msg[128];

			(void)snprintf(msg, sizeof msg, "%s 须为字符串数组", key);
			resp_error(r, 400, "bad_request", msg);
			return -1;
		}
		names[(*n)++] = json_string_value(v);
	}
	return 0;
}

int id_write_or_respond(struct req *r, api_id_write_fn fn, int64_t *id)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;

	if (api_id_param(r, "id", id) < 0)
		return -1;
	api_ctx(r, &x);
	if (fn(&x, *id, &e) < 0) {
		respond_dom_err(r, &e);
		return -1;
	}
	req_set_audited(r);
	return 0;
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

int api_location_or_respond(struct req *r, json_t *loc, int *has, double *lng, double *lat,
                            const char **grid, char *buf, size_t n)
{
	static const char *const loc_allowed[] = { "lng", "lat", NULL };
	json_t *jlng, *jlat;

	*has = 0;
	if (!loc || json_is_null(loc))
		return 0;
	if (json_is_object(loc) && body_keys_or_respond(r, loc, loc_allowed, "location.") < 0)
		return -1;
	jlng = json_object_get(loc, "lng");
	jlat = json_object_get(loc, "lat");
	if (!json_is_object(loc) || !json_is_number(jlng) || !json_is_number(jlat) ||
	    json_number_value(jlng) < GEO_LNG_MIN || json_number_value(jlng) > GEO_LNG_MAX ||
	    json_number_value(jlat) < GEO_LAT_MIN || json_number_value(jlat) > GEO_LAT_MAX) {
		resp_error(r, 400, "bad_coordinates", "位置 location 应为有效的经纬度 {lng, lat}");
		return -1;
	}
	*has = 1;
	*lng = json_number_value(jlng);
	*lat = json_number_value(jlat);
	if (!*grid) {
		if (!locate_grid(r, *lng, *lat, buf, n))
			return -1;
		*grid = buf;
	}
	return 0;
}
