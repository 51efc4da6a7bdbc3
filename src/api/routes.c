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
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
