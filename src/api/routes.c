/*
 * The route table: every HTTP route the server answers, with the permission it needs and its body
 * limit. Tests and docs read this same table (the authorization matrix is generated from it), so a
 * route exists only once it is here.
 */
#include "api/api.h"

const struct route api_routes[] = {
	{ "GET", "/healthz", api_healthz, "public", 0, 0 },
	{ "POST", "/api/v1/internal/probe", api_probe_put, "internal.probe", 1024, ROUTE_INTERNAL },
	{ "GET", "/api/v1/internal/probe/:key", api_probe_get, "internal.probe", 0,
	  ROUTE_INTERNAL },
	{ "POST", "/api/v1/internal/clock", api_clock_set, "internal.probe", 1024, ROUTE_INTERNAL },
	{ "POST", "/api/v1/internal/tick", api_matters_tick, "internal.probe", 1024,
	  ROUTE_INTERNAL },
	/* Matters and their flow (R7-R9; docs/api-matters.md, docs/matter-flow.md). The flow
	   permission of each action is checked by the domain against the state table. */
	{ "GET", "/api/v1/matters", api_matters_list, "matter.read", 0, 0 },
	{ "POST", "/api/v1/matters", api_matters_report, "matter.report", MATTER_MAX_BODY, 0 },
	{ "GET", "/api/v1/matters/counts", api_matters_counts, "matter.stats", 0, 0 },
	{ "GET", "/api/v1/matters/flow", api_matters_flow, "matter.read", 0, 0 },
	{ "GET", "/api/v1/matters/:id", api_matters_get, "matter.read", 0, 0 },
	{ "POST", "/api/v1/matters/:id/actions", api_matters_act, "matter.act", MATTER_MAX_BODY,
	  0 },
	/* Regions and grids (R1; docs/api-grids.md). Literal paths before ":code" ones. */
	{ "GET", "/api/v1/regions", api_regions_list, "region.read", 0, 0 },
	{ "POST", "/api/v1/regions", api_region_create, "region.write", GRID_MAX_BODY, 0 },
	{ "GET", "/api/v1/regions/:code", api_region_get, "region.read", 0, 0 },
	{ "PATCH", "/api/v1/regions/:code", api_region_update, "region.write", GRID_MAX_BODY, 0 },
	{ "GET", "/api/v1/regions/:code/grids.geojson", api_region_grids_geojson, "grid.read", 0,
	  0 },
	{ "GET", "/api/v1/grids", api_grids_list, "grid.read", 0, 0 },
	{ "POST", "/api/v1/grids", api_grid_create, "grid.write", GRID_MAX_BODY, 0 },
	{ "GET", "/api/v1/grids/locate", api_grids_locate, "grid.read", 0, 0 },
	{ "GET", "/api/v1/grids/checks", api_grids_checks, "grid.check", 0, 0 },
	{ "POST", "/api/v1/grids/merge", api_grids_merge, "grid.write", 64 * 1024, 0 },
	{ "GET", "/api/v1/grids/:code", api_grid_get, "grid.read", 0, 0 },
	{ "PATCH", "/api/v1/grids/:code", api_grid_update, "grid.write", 0, 0 },
	{ "POST", "/api/v1/grids/:code/redraw", api_grid_redraw, "grid.write", GRID_MAX_BODY, 0 },
	{ "POST", "/api/v1/grids/:code/split", api_grid_split, "grid.write", GRID_MAX_BODY, 0 },
	{ "POST", "/api/v1/grids/:code/retire", api_grid_retire, "grid.write", 0, 0 },
	{ "GET", "/api/v1/grids/:code/history", api_grid_history, "grid.read", 0, 0 },
	/* Identity and access (issue 4; docs/api-identity.md). "authenticated" = any logged-in
	   caller; ROUTE_SELF routes stay open while the password must be changed or TOTP enrolled.
	 */
	{ "POST", "/api/v1/session", api_session_login, "public", 4096, 0 },
	{ "GET", "/api/v1/session", api_session_get, "authenticated", 0, ROUTE_SELF },
	{ "DELETE", "/api/v1/session", api_session_logout, "authenticated", 0, ROUTE_SELF },
	{ "DELETE", "/api/v1/sessions", api_sessions_logout_all, "authenticated", 0, ROUTE_SELF },
	{ "PUT", "/api/v1/session/password", api_session_password, "authenticated", 4096,
	  ROUTE_SELF },
	{ "POST", "/api/v1/session/totp", api_session_totp_begin, "authenticated", 1024,
	  ROUTE_SELF },
	{ "POST", "/api/v1/session/totp/confirm", api_session_totp_confirm, "authenticated", 1024,
	  ROUTE_SELF },
	{ "POST", "/api/v1/session/totp/disable", api_session_totp_disable, "authenticated", 1024,
	  0 },
	{ "GET", "/api/v1/permissions", api_permissions_list, "authenticated", 0, 0 },
	{ "GET", "/api/v1/users", api_users_list, "user.read", 0, 0 },
	{ "POST", "/api/v1/users", api_users_create, "user.write", 0, 0 },
	{ "GET", "/api/v1/users/:id", api_users_get, "user.read", 0, 0 },
	{ "PATCH", "/api/v1/users/:id", api_users_update, "user.write", 0, 0 },
	{ "POST", "/api/v1/users/:id/password-reset", api_users_password_reset, "user.write", 1024,
	  0 },
	{ "PUT", "/api/v1/users/:id/roles", api_users_set_roles, "role.assign", 0, 0 },
	{ "PUT", "/api/v1/users/:id/grids", api_users_set_grids, "user.write", 0, 0 },
	{ "DELETE", "/api/v1/users/:id/totp", api_users_totp_reset, "user.totp_reset", 0, 0 },
	/* 三员分立 (issue 8): the security administrator's approval of a TOTP enrolment, and its
	   management of the accounts holding security or audit permissions. */
	{ "POST", "/api/v1/users/:id/activation", api_users_activation, "user.activate", 1024, 0 },
	{ "PATCH", "/api/v1/users/:id/admin-account", api_users_admin_update, "user.admin_write", 0,
	  0 },
	{ "POST", "/api/v1/users/:id/admin-account/password-reset", api_users_admin_password_reset,
	  "user.admin_write", 1024, 0 },
	{ "GET", "/api/v1/orgs", api_orgs_list, "org.read", 0, 0 },
	{ "POST", "/api/v1/orgs", api_orgs_create, "org.write", 0, 0 },
	{ "GET", "/api/v1/orgs/:id", api_orgs_get, "org.read", 0, 0 },
	{ "PATCH", "/api/v1/orgs/:id", api_orgs_update, "org.write", 0, 0 },
	{ "GET", "/api/v1/roles", api_roles_list, "role.read", 0, 0 },
	{ "POST", "/api/v1/roles", api_roles_create, "role.write", 0, 0 },
	{ "PATCH", "/api/v1/roles/:id", api_roles_update, "role.write", 0, 0 },
	{ "DELETE", "/api/v1/roles/:id", api_roles_delete, "role.write", 0, 0 },
	{ "GET", "/api/v1/lockouts", api_lockouts_list, "lockout.read", 0, 0 },
	{ "DELETE", "/api/v1/lockouts/:id", api_lockouts_release, "lockout.write", 0, 0 },
	{ "GET", "/api/v1/security/settings", api_security_settings, "security.read", 0, 0 },
	{ "GET", "/api/v1/tokens", api_tokens_list, "token.read", 0, 0 },
	{ "POST", "/api/v1/tokens", api_tokens_create, "token.write", 0, 0 },
	{ "DELETE", "/api/v1/tokens/:id", api_tokens_revoke, "token.write", 0, 0 },
	{ "GET", "/api/v1/audit", api_audit_list, "audit.read", 0, 0 },
	{ "GET", "/api/v1/audit/export", api_audit_export, "audit.export", 0, 0 },
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];

const struct http_hooks api_http_hooks = {
	.routes = api_routes,
	.nroutes = sizeof api_routes / sizeof api_routes[0],
	.authorize = api_authorize,
	.after = api_audit_request,
};
