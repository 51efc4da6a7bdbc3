/*
 * Roles and permissions (the security administrator's resources): /api/v1/roles,
 * /api/v1/permissions (the catalog, for any logged-in user), /api/v1/lockouts and
 * /api/v1/security/settings.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/lockout.h"
#include "domain/password.h"
#include "domain/role.h"
#include "domain/security_config.h"
#include "domain/permissions.h"
#include "domain/sensitive.h"

void api_roles_list(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	api_ctx(r, &x);
	out = role_list_json(&x, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, json_pack("{s:o}", "items", out));
}

/* Reads body.permissions as up to 64 strings into names; -1 after answering. *present = 0 when
   the key is absent. */
static int perm_names(struct req *r, json_t *body, const char **names, size_t *n, int *present)
{
	json_t *a = json_object_get(body, "permissions");

	*n = 0;
	*present = a != NULL;
	if (!a)
		return 0;
	return body_strings_or_respond(r, a, "permissions", 64, names, n,
	                               "permissions 须为权限名数组（最多 64 个）");
}

static void respond_role(struct req *r, int status, int64_t id)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *one;

	api_ctx(r, &x);
	one = role_get_json(&x, id, &e);
	if (!one)
		respond_dom_err(r, &e);
	else
		resp_json(r, status, one);
}

void api_roles_create(struct req *r)
{
	static const char *const allowed[] = { "name", "label", "permissions", NULL };
	json_t *body = req_json_or_respond(r);
	const char *names[64];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	size_t n;
	int present;
	int64_t id;

	if (!body || body_keys_or_respond(r, body, allowed, "") < 0 ||
	    perm_names(r, body, names, &n, &present) < 0)
		return;
	api_ctx(r, &x);
	if (role_create(&x, body_string_or_null(body, "name"), body_string_or_null(body, "label"),
	                names, n, &id, &e) < 0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_role(r, 201, id);
}

void api_roles_update(struct req *r)
{
	static const char *const allowed[] = { "label", "permissions", NULL };
	json_t *body = req_json_or_respond(r);
	const char *names[64];
	struct dom_err e = { 0 };
	struct dom_ctx x;
	size_t n;
	int present;
	int64_t id;

	if (!body || api_id_param(r, "id", &id) < 0 ||
	    body_keys_or_respond(r, body, allowed, "") < 0 ||
	    perm_names(r, body, names, &n, &present) < 0)
		return;
	api_ctx(r, &x);
	if (role_update(&x, id, body_string_or_null(body, "label"), present ? names : NULL, n, &e) <
	    0) {
		respond_dom_err(r, &e);
		return;
	}
	api_written(r);
	respond_role(r, 200, id);
}

void api_roles_delete(struct req *r)
{
	int64_t id;

	if (id_write_or_respond(r, role_delete, &id) == 0)
		resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static const char *family_key(enum perm_family f)
{
	switch (f) {
	case PERM_PSEUDO: return "pseudo";
	case PERM_INTERNAL: return "internal";
	case PERM_BUSINESS: return "business";
	case PERM_SYSTEM: return "system";
	case PERM_SECURITY: return "security";
	case PERM_AUDIT: return "audit";
	}
	return "";
}

json_t *api_permission_catalog_json(void)
{
	json_t *perms = json_array(), *roles = json_array(), *fields = json_array();

	for (size_t i = 0; i < permission_count; i++) {
		const struct permission_def *d = &permission_catalog[i];
		json_array_append_new(
		        perms, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "name", d->name, "label",
		                         d->label, "family", family_key(d->family), "family_label",
		                         permission_family_name(d->family), "grantable",
		                         permission_grantable(d->name), "token_grantable",
		                         (d->flags & PERM_TOKEN_GRANTABLE) != 0));
	}
	for (size_t i = 0; i < builtin_role_count; i++) {
		const struct builtin_role *b = &builtin_roles[i];
		json_t *p = json_array();
		struct perm_set s;
		for (const char *const *q = b->permissions; *q; q++)
			json_array_append_new(p, json_string(*q));
		builtin_role_perms(b, &s);
		json_array_append_new(roles, json_pack("{s:s,s:s,s:o,s:b}", "name", b->name,
		                                       "label", b->label, "permissions", p,
		                                       "totp_required", perm_set_needs_totp(&s)));
	}
	for (size_t i = 0; i < sensitive_field_count; i++) {
		const struct field_class_def *f = &sensitive_fields[i];
		json_array_append_new(fields,
		                      json_pack("{s:s,s:s,s:s,s:b}", "entity", f->entity, "field",
		                                f->field, "class", sensitive_class_name(f->cls),
		                                "masked", f->mask != MASK_NONE));
	}
	return json_pack("{s:o,s:o,s:o}", "permissions", perms, "builtin_roles", roles,
	                 "sensitive_fields", fields);
}

void api_permissions_list(struct req *r)
{
	resp_json(r, 200, api_permission_catalog_json());
}

void api_lockouts_list(struct req *r)
{
	struct dom_page pg;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	json_t *out;

	if (api_page_or_respond(r, &pg) < 0)
		return;
	api_ctx(r, &x);
	out = lockout_list(&x, &pg, &e);
	if (!out) {
		respond_dom_err(r, &e);
		return;
	}
	resp_json(r, 200, out);
}

void api_lockouts_release(struct req *r)
{
	int64_t id;

	if (id_write_or_respond(r, lockout_release, &id) == 0)
		resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void api_security_settings(struct req *r)
{
	struct dom_ctx x;
	const struct security_config *c;

	api_ctx(r, &x);
	c = x.security;
	resp_json(r, 200,
	          json_pack("{s:{s:I,s:I},s:{s:I,s:I},s:{s:i,s:i,s:I,s:I,s:I,s:I},s:{s:I},"
	                    "s:{s:i,s:i,s:I},s:{s:I},s:{s:I},s:b}",
	                    "argon2id", "opslimit", (json_int_t)c->argon2_opslimit, "memlimit_kib",
	                    (json_int_t)(c->argon2_memlimit / 1024), "session", "idle_timeout_s",
	                    (json_int_t)c->session_idle_s, "absolute_timeout_s",
	                    (json_int_t)c->session_absolute_s, "lockout", "account_failures",
	                    c->lockout_account_failures, "address_failures",
	                    c->lockout_address_failures, "window_s",
	                    (json_int_t)c->lockout_window_s, "duration_s",
	                    (json_int_t)c->lockout_duration_s, "max_duration_s",
	                    (json_int_t)c->lockout_max_duration_s, "backoff_reset_s",
	                    (json_int_t)c->lockout_backoff_reset_s, "caller_cache", "lifetime_s",
	                    (json_int_t)c->caller_cache_s, "password", "min_length",
	                    PASSWORD_MIN_CHARS, "min_classes", 3, "max_age_days",
	                    (json_int_t)(c->password_max_age_s / 86400), "audit", "retention_days",
	                    (json_int_t)(c->audit_retention_s / 86400), "api_tokens",
	                    "max_lifetime_days", (json_int_t)(c->token_max_lifetime_s / 86400),
	                    "secure_cookies", c->secure_cookies));
}
