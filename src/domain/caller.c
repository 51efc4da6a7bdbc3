/*
 * The caller built for a user (caller.h): organisation and scope, roles and permissions, bound
 * grids, and the password and TOTP state that may restrict it.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "domain/caller.h"
#include "domain/dom.h"
#include "domain/org.h"
#include "domain/role.h"
#include "store/store.h"

void caller_init(struct caller *c)
{
	memset(c, 0, sizeof *c);
	c->p.impl = &c->perms;
	dom_copy(c->p.username, sizeof c->p.username, "-");
}

void caller_release(struct caller *c)
{
	free(c->grid_buf);
	c->grid_buf = NULL;
	c->p.grid_ids = NULL;
	c->p.ngrids = 0;
	sodium_memzero(c->csrf_hash, sizeof c->csrf_hash);
}

int caller_copy(struct caller *dst, const struct caller *src)
{
	size_t bytes;

	*dst = *src;
	dst->p.impl = &dst->perms;
	dst->grid_buf = NULL;
	dst->p.grid_ids = NULL;
	if (src->p.ngrids) {
		if (__builtin_mul_overflow(src->p.ngrids, sizeof *dst->grid_buf, &bytes) ||
		    !(dst->grid_buf = malloc(bytes))) {
			caller_init(dst);
			return -1;
		}
		memcpy(dst->grid_buf, src->p.grid_ids, bytes);
		dst->p.grid_ids = dst->grid_buf;
	}
	return 0;
}

int caller_get(const struct dom_ctx *x, int64_t user_id, struct caller *out)
{
	struct dom_err e = { 0 };
	struct store_conn *c = dom_reader(x, &e);

	if (!c) {
		caller_init(out);
		return -1;
	}
	return caller_load(c, x->security, user_id, x->now, out);
}

int caller_restricted(const struct caller *c)
{
	return c->must_change_password || (c->totp_required && !c->totp_enrolled);
}

static int load_grids(struct store_conn *c, int64_t user_id, struct caller *out)
{
	struct store_stmt *st = store_prepare(c, "SELECT grid_id FROM user_grids WHERE user_id = ? "
	                                         "ORDER BY grid_id");
	size_t cap = 0, n = 0;
	int rc;

	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	while ((rc = store_step(st)) == STORE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int64_t *g = realloc(out->grid_buf, ncap * sizeof *g);
			if (!g) {
				store_reset(st);
				return -1;
			}
			out->grid_buf = g;
			cap = ncap;
		}
		out->grid_buf[n++] = store_col_int64(st, 0);
	}
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	out->p.grid_ids = out->grid_buf;
	out->p.ngrids = n;
	return 0;
}

int caller_load(struct store_conn *c, const struct security_config *cfg, int64_t user_id,
                int64_t now, struct caller *out)
{
	struct store_stmt *st;
	int rc, found = -1, grid_worker = 0, activated = 0;
	int64_t changed_at;

	caller_init(out);
	st = store_prepare(c,
	                   "SELECT u.username, u.display_name, u.org_id, u.must_change_password, "
	                   "u.password_changed_at, u.totp_enabled, u.disabled, o.name, o.kind, "
	                   "o.region_code, r.path, o.disabled, u.totp_activated FROM users u JOIN "
	                   "organisations o "
	                   "ON o.id = u.org_id JOIN regions r ON r.code = o.region_code "
	                   "WHERE u.id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	rc = store_step(st);
	if (rc == STORE_DONE) {
		found = 0;
	} else if (rc == STORE_ROW) {
		if (store_col_int64(st, 6) || store_col_int64(st, 11)) {
			found = 0;
		} else {
			out->p.user_id = user_id;
			dom_copy(out->p.username, sizeof out->p.username, store_col_text(st, 0));
			dom_copy(out->display_name, sizeof out->display_name,
			         store_col_text(st, 1));
			out->p.org_id = store_col_int64(st, 2);
			out->must_change_password = store_col_int64(st, 3) != 0;
			changed_at = store_col_int64(st, 4);
			if (cfg && cfg->password_max_age_s > 0 &&
			    now - changed_at > cfg->password_max_age_s)
				out->must_change_password = 1;
			out->totp_enrolled = store_col_int64(st, 5) != 0;
			activated = store_col_int64(st, 12) != 0;
			dom_copy(out->org_name, sizeof out->org_name, store_col_text(st, 7));
			out->p.org_kind = org_kind_from_name(store_col_text(st, 8));
			dom_copy(out->p.region_code, sizeof out->p.region_code,
			         store_col_text(st, 9));
			dom_copy(out->p.region_path, sizeof out->p.region_path,
			         store_col_text(st, 10));
			found = 1;
		}
	}
	store_reset(st);
	if (found != 1)
		return found;
	if (role_user_perms(c, user_id, &out->perms, &grid_worker) < 0 ||
	    load_grids(c, user_id, out) < 0)
		return -1;
	out->p.grid_bound = grid_worker || out->p.ngrids > 0;
	/* Administrators and whoever may unmask personal data enrol TOTP before anything else, and
	   their enrolment counts only when a security administrator approved it (an activation
	   code, domain/activation.h): one made before they gained such a permission does not. */
	out->totp_required = perm_set_needs_totp(&out->perms);
	if (out->totp_required && !activated)
		out->totp_enrolled = 0;
	return 1;
}
