/*
 * Internal test hooks over HTTP, served only with --enable-internal (domain/probe.h):
 *   POST /api/v1/internal/probe {"key":"..."} and GET /api/v1/internal/probe/:key, the write probe;
 *   POST /api/v1/internal/clock {"offset_seconds": N} or {"advance_seconds": N}, the test clock.
 */
#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "domain/dom.h"
#include "domain/probe.h"
#include "store/store.h"

void api_probe_put(struct req *r)
{
	static const char *const allowed[] = { "key", NULL };
	json_t *body = req_json_or_respond(r);
	const char *key;
	int64_t id = 0;
	int rc;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	key = json_string_value(json_object_get(body, "key"));
	if (!probe_key_valid(key)) {
		resp_error(r, 400, "invalid_key", "key 必须是 1 到 64 个可见 ASCII 字符");
		return;
	}
	rc = probe_put(req_app(r)->store, key, clock_now(), &id);
	if (rc == STORE_CONSTRAINT) {
		resp_error(r, 409, "duplicate_key", "该 key 已存在");
		return;
	}
	if (rc != 0) {
		resp_error(r, 503, "write_failed", "写入失败，请稍后重试");
		return;
	}
	resp_json(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "key", key));
}

void api_probe_get(struct req *r)
{
	const char *key = req_param(r, "key");
	int64_t id, created;
	char ts[32];
	int found;

	if (!probe_key_valid(key)) {
		resp_error(r, 400, "invalid_key", "key 必须是 1 到 64 个可见 ASCII 字符");
		return;
	}
	found = probe_get(req_app(r)->store, key, &id, &created);
	if (found < 0) {
		resp_error(r, 503, "read_failed", "读取失败，请稍后重试");
		return;
	}
	if (!found) {
		resp_error(r, 404, "not_found", "记录不存在");
		return;
	}
	resp_json(r, 200,
	          json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "key", key, "created_at",
	                    clock_format_local(created, ts, sizeof ts)));
}

void api_clock_set(struct req *r)
{
	static const char *const allowed[] = { "offset_seconds", "advance_seconds", NULL };
	json_t *body = req_json_or_respond(r), *set, *adv, *v;
	struct dom_err e = { 0 };
	int64_t offset = 0;
	char ts[32];

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	set = json_object_get(body, "offset_seconds");
	adv = json_object_get(body, "advance_seconds");
	v = set ? set : adv;
	if (!v || (set && adv)) {
		resp_error(r, 400, "bad_request",
		           "需要 offset_seconds（相对真实时间的偏移）或 "
		           "advance_seconds（向前拨动）之一");
		return;
	}
	if (!json_is_integer(v)) {
		resp_error(r, 400, "bad_offset", "时钟偏移应为整数秒");
		return;
	}
	if (probe_clock_move(json_integer_value(v), adv != NULL, &offset, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200,
	          json_pack("{s:I,s:s}", "offset_seconds", (json_int_t)offset, "now",
	                    clock_format_local(clock_now(), ts, sizeof ts)));
}
