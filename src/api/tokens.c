/*
 * API tokens for other systems: /api/v1/tokens (keyset pages, newest first) and
 * /api/v1/tokens/:id. The token itself appears once, in the answer to POST; lists show only its
 * prefix.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "domain/token.h"

void api_tokens_list(struct req *r)
{
	struct dom_page pg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = token_list(&x, &pg, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

void api_tokens_create(struct req *r)
{
	static const char shape[] =
	        "需要 name、org_id（整数）、permissions（数组），可选 expires_in_days";
	static const char *const allowed[] = { "name", "org_id", "permissions", "expires_in_days",
		                               NULL };
	json_t *body = req_json_or_respond(r), *a, *days;
	const char *names[64];
	char token[API_TOKEN_CHARS], prefix[16], t[32];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	int64_t id, lifetime;
	size_t n;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0)
		return;
	a = json_object_get(body, "permissions");
	days = json_object_get(body, "expires_in_days");
	if (!json_is_integer(json_object_get(body, "org_id")) || (days && !json_is_integer(days))) {
		resp_error(r, 400, "bad_request", shape);
		return;
	}
	if (body_strings_or_respond(r, a, "permissions", 64, names, &n, shape) < 0)
		return;
	/* Days to seconds without overflow: a huge number of days must not wrap into range. */
	if (__builtin_mul_overflow((int64_t)(days ? json_integer_value(days) : 90), (int64_t)86400,
	                           &lifetime))
		lifetime = -1; /* the domain refuses it as bad_lifetime */
	api_ctx(r, &x);
	if (token_create(&x, body_string_or_null(body, "name"),
	                 json_integer_value(json_object_get(body, "org_id")), names, n, lifetime,
	                 &id, token, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	(void)snprintf(prefix, sizeof prefix, "%.12s", token);
	resp_json(r, 201,
	          json_pack("{s:I,s:s,s:s,s:O,s:s}", "id", (json_int_t)id, "token", token, "prefix",
	                    prefix, "permissions", a, "expires_at",
	                    clock_format_local(x.now + lifetime, t, sizeof t)));
	sodium_memzero(token, sizeof token);
}

void api_tokens_revoke(struct req *r)
{
	int64_t id;

	if (id_write_or_respond(r, token_revoke, &id) == 0)
		resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}
