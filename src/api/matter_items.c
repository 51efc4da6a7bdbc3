/*
 * The matter list over HTTP (docs/api-matter-items.md): list, get, propose (a new item or a
 * revision), the center's approve / reject / publish / withdraw, versions and the difference of
 * two, and the public page GET /public/matter-list (server-rendered Chinese HTML, or JSON with
 * Accept: application/json or ?format=json) for anyone, without login (Art. 16). Parses input
 * into domain/matter_item calls and answers what they return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "domain/matter_item.h"

#define PUBLIC_PAGE_MAX (4u * 1024 * 1024)

void api_matter_items_list(struct req *r)
{
	struct matter_item_filter f = { req_query(r, "category"), req_query(r, "state"),
		                        req_query(r, "q") };
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	json_t *out;

	if (f.q && !*f.q)
		f.q = NULL;
	if (f.category && !*f.category)
		f.category = NULL;
	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = matter_item_list_json(&x, &f, &pg, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

void api_matter_item_categories(struct req *r)
{
	json_t *cats = json_array();

	for (size_t i = 0; cats && i < matter_category_count; i++)
		json_array_append_new(cats,
		                      json_pack("{s:s,s:s}", "code", matter_categories[i].code,
		                                "label", matter_categories[i].label));
	resp_json(r, 200, json_pack("{s:o}", "items", cats));
}

/* An integer member in [1, max] into *out (0 when absent): 0, or -1 after answering 400. */
static int int_member(struct req *r, json_t *o, const char *key, int max, int *out,
                      const char *what)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
		char msg[160];

		(void)snprintf(msg, sizeof msg, "%s（%s）应为 1 到 %d 之间的整数", what, key, max);
		resp_error(r, 400, "bad_field", msg);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/* The proposal body into f (strings borrowed from the body). -1 after answering 400. */
static int fields_or_respond(struct req *r, json_t *body, int is_new, struct matter_item_fields *f)
{
	static const char *const allowed_new[] = {
		"code",          "name",    "category", "description",    "worker_role",
		"default_level", "urgency", "limits",   "warn_share_pct", "departments",
		"expires_on",    "note",    NULL,
	};
	static const char *const stage_keys[] = { "accept", "handle", "verify", NULL };
	static const char *const limit_keys[] = { "amount", "unit", NULL };
	json_t *limits = json_object_get(body, "limits"),
	       *deps = json_object_get(body, "departments");
	int *amount[3] = { &f->accept_amount, &f->handle_amount, &f->verify_amount };
	int *unit[3] = { &f->accept_unit, &f->handle_unit, &f->verify_unit };
	size_t i;
	json_t *v;

	memset(f, 0, sizeof *f);
	f->n_departments = -1;
	/* A revision takes the same members but code (allowed_new + 1 skips it). */
	if (body_keys_or_respond(r, body, is_new ? allowed_new : allowed_new + 1, "") < 0 ||
	    body_string_or_respond(r, body, "code", &f->code) < 0 ||
	    body_string_or_respond(r, body, "name", &f->name) < 0 ||
	    body_string_or_respond(r, body, "category", &f->category) < 0 ||
	    body_string_or_respond(r, body, "description", &f->description) < 0 ||
	    body_string_or_respond(r, body, "worker_role", &f->worker_role) < 0 ||
	    body_string_or_respond(r, body, "default_level", &f->default_level) < 0 ||
	    body_string_or_respond(r, body, "expires_on", &f->expires_on) < 0 ||
	    body_string_or_respond(r, body, "note", &f->note) < 0 ||
	    int_member(r, body, "urgency", 3, &f->urgency, "紧急程度") < 0 ||
	    int_member(r, body, "warn_share_pct", 99, &f->warn_share_pct, "预警比例") < 0)
		return -1;
	/* expires_on: null clears a revision's expiry, like "". */
	if (json_is_null(json_object_get(body, "expires_on")))
		f->expires_on = "";
	if (limits && !json_is_null(limits)) {
		if (!json_is_object(limits) ||
		    body_keys_or_respond(r, limits, stage_keys, "时限 limits：") < 0) {
			if (!json_is_object(limits))
				resp_error(r, 400, "bad_field",
				           "limits 应为对象 {accept, handle, verify}");
			return -1;
		}
		for (int s = 0; s < 3; s++) {
			json_t *lim = json_object_get(limits, stage_keys[s]);
			const char *u;

			if (!lim || json_is_null(lim))
				continue;
			if (!json_is_object(lim) ||
			    body_keys_or_respond(r, lim, limit_keys, "时限 limits 的一项：") < 0 ||
			    body_string_or_respond(r, lim, "unit", &u) < 0 ||
			    int_member(r, lim, "amount", CAL_MAX_HOURS, amount[s], "时限") < 0) {
				if (!json_is_object(lim))
					resp_error(r, 400, "bad_field",
					           "时限应为对象 {amount, unit}");
				return -1;
			}
			if (u && !(*unit[s] = (int)matter_unit_from_name(u))) {
				resp_error(r, 400, "bad_limit",
				           "时限单位 unit 应为 working_days 或 working_hours");
				return -1;
			}
		}
	}
	if (deps && !json_is_null(deps)) {
		if (!json_is_array(deps) || json_array_size(deps) > MATTER_ITEM_DEPTS_MAX) {
			resp_error(r, 400, "bad_departments",
			           "departments 应为组织编号数组（最多 8 个，第一个为牵头部门）");
			return -1;
		}
		f->n_departments = 0;
		json_array_foreach(deps, i, v)
		{
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				resp_error(r, 400, "bad_departments",
				           "departments 的每一项应为组织编号");
				return -1;
			}
			f->departments[f->n_departments++] = (int64_t)json_integer_value(v);
		}
	}
	return 0;
}

static void respond_item(struct req *r, const struct dom_ctx *x, int status, int64_t id)
{
	struct dom_err e = { 0 };
	json_t *o = matter_item_get_json(x, id, &e);

	if (!o)
		respond_dom_err(r, &e);
	else
		resp_json(r, status, o);
}

void api_matter_items_create(struct req *r)
{
	json_t *body = req_json_or_respond(r);
	struct matter_item_fields f;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;

	if (!body || fields_or_respond(r, body, 1, &f) < 0)
		return;
	api_ctx(r, &x);
	if (matter_item_propose(&x, 0, &f, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_item(r, &x, 201, id);
}

void api_matter_item_get(struct req *r)
{
	struct dom_ctx x;
	int64_t id;

	if (api_id_param(r, "id", &id) < 0)
		return;
	api_ctx(r, &x);
	respond_item(r, &x, 200, id);
}

void api_matter_item_revise(struct req *r)
{
	json_t *body = req_json_or_respond(r);
	struct matter_item_fields f;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id, out;

	if (!body || api_id_param(r, "id", &id) < 0 || fields_or_respond(r, body, 0, &f) < 0)
		return;
	api_ctx(r, &x);
	if (matter_item_propose(&x, id, &f, &out, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_item(r, &x, 201, id);
}

/* approve / reject / publish / withdraw: the body members each takes, then the call. */
enum decision_route { R_APPROVE, R_REJECT, R_PUBLISH, R_WITHDRAW };

static void decide(struct req *r, enum decision_route what)
{
	static const char *const none[] = { NULL };
	static const char *const reason_only[] = { "reason", NULL };
	static const char *const publish_keys[] = { "effective_from", NULL };
	static const char *const withdraw_keys[] = { "effective_from", "reason", NULL };
	static const char *const *const allowed[] = { none, reason_only, publish_keys,
		                                      withdraw_keys };
	json_t *body = NULL;
	const char *reason = NULL, *from = NULL;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id;
	int rc = -1;

	if (api_id_param(r, "id", &id) < 0)
		return;
	if (what == R_APPROVE) {
		if (body_none_or_respond(r) < 0)
			return;
	} else if (!(body = req_json_or_respond(r)) ||
	           body_keys_or_respond(r, body, allowed[what], "") < 0 ||
	           body_string_or_respond(r, body, "reason", &reason) < 0 ||
	           body_string_or_respond(r, body, "effective_from", &from) < 0) {
		return;
	}
	api_ctx(r, &x);
	switch (what) {
	case R_APPROVE: rc = matter_item_approve(&x, id, &e); break;
	case R_REJECT: rc = matter_item_reject(&x, id, reason, &e); break;
	case R_PUBLISH: rc = matter_item_publish(&x, id, from, &e); break;
	case R_WITHDRAW: rc = matter_item_withdraw(&x, id, from, reason, &e); break;
	}
	if (rc < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_item(r, &x, 200, id);
}

void api_matter_item_approve(struct req *r)
{
	decide(r, R_APPROVE);
}

void api_matter_item_reject(struct req *r)
{
	decide(r, R_REJECT);
}

void api_matter_item_publish(struct req *r)
{
	decide(r, R_PUBLISH);
}

void api_matter_item_withdraw(struct req *r)
{
	decide(r, R_WITHDRAW);
}

void api_matter_item_versions(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct dom_ctx x;
	int64_t id;
	json_t *out;

	if (api_id_param(r, "id", &id) < 0 || api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = matter_item_versions_json(&x, id, &pg, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

void api_matter_item_version(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id, v;
	json_t *out;

	if (api_id_param(r, "id", &id) < 0 || api_id_param(r, "version", &v) < 0)
		return;
	if (v > 1000000) {
		resp_error(r, 404, "not_found", "版本不存在");
		return;
	}
	api_ctx(r, &x);
	out = matter_item_version_json(&x, id, (int)v, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

void api_matter_item_diff(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id, from, to;
	json_t *out;

	if (api_id_param(r, "id", &id) < 0 ||
	    query_int_or_respond(r, "from", 0, 1, 1000000, &from) < 0 ||
	    query_int_or_respond(r, "to", 0, 1, 1000000, &to) < 0)
		return;
	if (!from || !to) {
		resp_error(r, 400, "bad_param", "请给出要比较的两个版本 from 和 to");
		return;
	}
	api_ctx(r, &x);
	out = matter_item_diff_json(&x, id, (int)from, (int)to, &e);
	if (!out)
		respond_dom_err(r, &e);
	else
		resp_json(r, 200, out);
}

/* JSON when asked for by ?format=json or an Accept header naming application/json. */
static int wants_json(struct req *r)
{
	const char *fmt = req_query(r, "format"), *accept = req_header(r, "Accept");

	if (fmt)
		return strcmp(fmt, "json") == 0;
	return accept && strstr(accept, "application/json") != NULL;
}

void api_public_matter_list(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *fmt = req_query(r, "format");
	struct buf page;

	if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "html") != 0) {
		resp_error(r, 400, "bad_param", "参数 format 应为 json 或 html");
		return;
	}
	api_ctx(r, &x);
	if (wants_json(r)) {
		json_t *out = matter_item_public_json(&x, &e);

		if (!out)
			respond_dom_err(r, &e);
		else
			resp_json(r, 200, out);
		return;
	}
	buf_init(&page, PUBLIC_PAGE_MAX);
	if (matter_item_public_html(&x, &page, &e) < 0)
		respond_dom_err(r, &e);
	else
		resp_bytes(r, 200, "text/html; charset=utf-8", page.data, page.len);
	buf_release(&page);
}
