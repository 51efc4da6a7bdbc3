/*
 * `wangge routes`: the route table as JSON, with the permission catalog, the built-in roles and
 * the field classification, so tests (the authorization matrix) and docs read the same tables the
 * server uses. `--check` exits 1 when a route names no permission or one missing from the catalog.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "domain/permissions.h"

static json_t *flags_json(unsigned flags)
{
	json_t *a = json_array();

	if (flags & ROUTE_INTERNAL)
		json_array_append_new(a, json_string("internal"));
	if (flags & ROUTE_SELF)
		json_array_append_new(a, json_string("self"));
	if (flags & ROUTE_MULTIPART)
		json_array_append_new(a, json_string("multipart"));
	return a;
}

int cmd_routes(int argc, char **argv)
{
	json_t *out, *routes = json_array();
	char *text;
	int check = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			puts("usage: wangge routes [--check]\n"
			     "  prints {routes:[{method,pattern,permission,flags,max_body}],\n"
			     "          permissions, builtin_roles, sensitive_fields} as JSON;\n"
			     "  --check: exit 1 when a route's permission is missing from the "
			     "catalog");
			return 0;
		} else {
			fprintf(stderr, "wangge routes: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	for (size_t i = 0; i < api_route_count; i++) {
		const struct route *rt = &api_routes[i];
		const char *perm = rt->permission ? rt->permission : "";
		if (permission_index(perm) < 0) {
			fprintf(stderr,
			        "wangge routes: %s %s: permission '%s' is not in the catalog\n",
			        rt->method, rt->pattern, perm);
			bad++;
		}
		json_array_append_new(
		        routes, json_pack("{s:s,s:s,s:s,s:o,s:I}", "method", rt->method, "pattern",
		                          rt->pattern, "permission", perm, "flags",
		                          flags_json(rt->flags), "max_body",
		                          (json_int_t)(rt->max_body ? rt->max_body
		                                                    : HTTP_DEFAULT_MAX_BODY)));
	}
	out = api_permission_catalog_json();
	json_object_set_new(out, "routes", routes);
	if (!check) {
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text) {
			puts(text);
			free(text);
		}
	}
	json_decref(out);
	return bad ? 1 : 0;
}
