/*
 * Unit tests for http/router: matching over a small local route table (the real table in
 * api/routes.c changes with every issue; the matcher's rules do not). Covers parameters, trailing
 * slashes, 404 versus 405 with the Allow list, HEAD answered by GET routes, routes hidden behind
 * flags, and paths that are too long or have too many segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

static void h_a(struct req *r)
{
	(void)r;
}

static void h_b(struct req *r)
{
	(void)r;
}

static const struct route table[] = {
	{ "GET", "/healthz", h_a, "public", 0, 0 },
	{ "GET", "/api/v1/grids", h_a, "grid.read", 0, 0 },
	{ "POST", "/api/v1/grids", h_b, "grid.write", 0, 0 },
	{ "GET", "/api/v1/grids/search", h_b, "grid.read", 0, 0 },
	{ "GET", "/api/v1/grids/:id", h_a, "grid.read", 0, 0 },
	{ "PUT", "/api/v1/grids/:id", h_b, "grid.write", 0, 0 },
	{ "DELETE", "/api/v1/grids/:id", h_b, "grid.write", 0, 0 },
	{ "GET", "/api/v1/grids/:id/members/:uid", h_a, "grid.read", 0, 0 },
	{ "POST", "/api/v1/matters/:id/actions", h_b, "matter.act", 0, 0 },
	{ "POST", "/api/v1/matters/new", h_a, "matter.create", 0, 0 },
	{ "GET", "/api/v1/internal/probe/:key", h_a, "internal", 0, ROUTE_INTERNAL },
	{ "POST", "/api/v1/internal/probe", h_b, "internal", 0, ROUTE_INTERNAL },
};
static const size_t ntable = sizeof table / sizeof table[0];

static struct route_match *match(const char *method, const char *path, unsigned flags)
{
	static struct route_match m;

	memset(&m, 0x5a, sizeof m); /* the matcher must initialise every field it reports */
	router_match(table, ntable, method, path, flags, &m);
	return &m;
}

static const char *param(const struct route_match *m, const char *name)
{
	for (int i = 0; i < m->nparams; i++)
		if (m->name_len[i] == strlen(name) &&
		    memcmp(m->names[i], name, m->name_len[i]) == 0)
			return m->values[i];
	return NULL;
}

static void assert_route(const struct route_match *m, size_t row)
{
	assert_ptr_equal(m->route, &table[row]);
	assert_int_equal(m->method_mismatch, 0);
}

static void assert_not_found(const struct route_match *m)
{
	assert_null(m->route);
	assert_int_equal(m->method_mismatch, 0);
	assert_int_equal(m->nparams, 0);
}

static void test_exact(void **state)
{
	struct route_match *m;

	(void)state;
	m = match("GET", "/healthz", 0);
	assert_route(m, 0);
	assert_int_equal(m->nparams, 0);
	assert_route(match("GET", "/api/v1/grids", 0), 1);
	assert_route(match("POST", "/api/v1/grids", 0), 2);
	/* A literal row listed before a parameter row wins. */
	assert_route(match("GET", "/api/v1/grids/search", 0), 3);
	/* Matching is case-sensitive, for methods and paths. */
	assert_null(match("get", "/healthz", 0)->route);
	assert_not_found(match("GET", "/HEALTHZ", 0));
}

static void test_params(void **state)
{
	struct route_match *m;
	char path[64];

	(void)state;
	m = match("GET", "/api/v1/grids/320508019044", 0);
	assert_route(m, 4);
	assert_int_equal(m->nparams, 1);
	assert_string_equal(param(m, "id"), "320508019044");
	assert_null(param(m, "uid"));

	m = match("GET", "/api/v1/grids/g7/members/u42", 0);
	assert_route(m, 7);
	assert_int_equal(m->nparams, 2);
	assert_string_equal(param(m, "id"), "g7");
	assert_string_equal(param(m, "uid"), "u42");
	/* Names point into the pattern and are not NUL-terminated there. */
	assert_int_equal(m->name_len[0], 2);
	assert_memory_equal(m->names[0], "id", 2);

	/* Values live in the match's scratch copy, not in the caller's string. */
	snprintf(path, sizeof path, "/api/v1/grids/abc");
	m = match("PUT", path, 0);
	assert_route(m, 5);
	path[14] = 'X';
	assert_string_equal(param(m, "id"), "abc");
	assert_true(param(m, "id") >= m->scratch &&
	            param(m, "id") < m->scratch + sizeof m->scratch);

	/* POST /api/v1/matters/new is a literal row after a parameter row of another method: the
	   parameter row's method mismatch must not stick once the literal row matches. */
	m = match("POST", "/api/v1/matters/new", 0);
	assert_route(m, 9);
	m = match("POST", "/api/v1/matters/7/actions", 0);
	assert_route(m, 8);
	assert_string_equal(param(m, "id"), "7");

	/* A parameter never matches an empty segment. */
	assert_not_found(match("GET", "/api/v1/grids//members/u1", 0));
	/* Percent-decoded values arrive as they are; the router does not interpret them. */
	m = match("GET", "/api/v1/grids/a b%", 0);
	assert_route(m, 4);
	assert_string_equal(param(m, "id"), "a b%");
}

static void test_trailing_slash(void **state)
{
	struct route_match *m;

	(void)state;
	assert_route(match("GET", "/healthz/", 0), 0);
	assert_route(match("GET", "/healthz///", 0), 0);
	assert_route(match("GET", "/api/v1/grids/", 0), 1);
	m = match("GET", "/api/v1/grids/12/", 0);
	assert_route(m, 4);
	assert_string_equal(param(m, "id"), "12");
	/* Leading slashes collapse; inner empty segments do not. */
	assert_route(match("GET", "//healthz", 0), 0);
	assert_not_found(match("GET", "/api//v1/grids", 0));
	/* The root is its own path. */
	assert_not_found(match("GET", "/", 0));
	assert_not_found(match("GET", "", 0));
}

static void test_not_found(void **state)
{
	(void)state;
	assert_not_found(match("GET", "/nope", 0));
	assert_not_found(match("GET", "/api/v1", 0));
	assert_not_found(match("GET", "/api/v1/grid", 0));
	assert_not_found(match("GET", "/api/v1/gridsx", 0));
	assert_not_found(match("GET", "/api/v1/grids/1/extra", 0));
	assert_not_found(match("GET", "/api/v1/grids/1/members", 0));
	assert_not_found(match("GET", "/api/v1/grids/1/members/2/3", 0));
	assert_not_found(match("DELETE", "/nope", 0));
}

static void test_method_not_allowed(void **state)
{
	struct route_match *m;

	(void)state;
	m = match("PATCH", "/api/v1/grids/7", 0);
	assert_null(m->route);
	assert_int_equal(m->method_mismatch, 1);
	/* GET routes answer HEAD too, so HEAD follows GET in the list. */
	assert_string_equal(m->allow, "GET, HEAD, PUT, DELETE");

	m = match("DELETE", "/api/v1/grids", 0);
	assert_null(m->route);
	assert_int_equal(m->method_mismatch, 1);
	assert_string_equal(m->allow, "GET, HEAD, POST");

	m = match("POST", "/healthz", 0);
	assert_int_equal(m->method_mismatch, 1);
	assert_string_equal(m->allow, "GET, HEAD");

	/* /api/v1/grids/search exists for GET as a literal and for PUT/DELETE through :id. */
	m = match("POST", "/api/v1/grids/search", 0);
	assert_int_equal(m->method_mismatch, 1);
	assert_string_equal(m->allow, "GET, HEAD, PUT, DELETE");

	/* A successful match leaves no Allow list behind. */
	m = match("GET", "/api/v1/grids/7", 0);
	assert_route(m, 4);
}

static void test_head(void **state)
{
	struct route_match *m;

	(void)state;
	assert_route(match("HEAD", "/healthz", 0), 0);
	m = match("HEAD", "/api/v1/grids/9", 0);
	assert_route(m, 4);
	assert_string_equal(param(m, "id"), "9");
	/* HEAD is not a stand-in for any other method. */
	m = match("HEAD", "/api/v1/matters/new", 0);
	assert_null(m->route);
	assert_int_equal(m->method_mismatch, 1);
	assert_string_equal(m->allow, "POST");
}

static void test_internal_flag(void **state)
{
	struct route_match *m;

	(void)state;
	/* Hidden completely (404, not 405) unless enabled. */
	assert_not_found(match("GET", "/api/v1/internal/probe/k1", 0));
	assert_not_found(match("POST", "/api/v1/internal/probe", 0));
	assert_not_found(match("DELETE", "/api/v1/internal/probe", 0));
	m = match("GET", "/api/v1/internal/probe/k1", ROUTE_INTERNAL);
	assert_route(m, 10);
	assert_string_equal(param(m, "key"), "k1");
	assert_route(match("POST", "/api/v1/internal/probe", ROUTE_INTERNAL), 11);
	m = match("DELETE", "/api/v1/internal/probe", ROUTE_INTERNAL);
	assert_int_equal(m->method_mismatch, 1);
	assert_string_equal(m->allow, "POST");
	/* Unrelated flags enable nothing. */
	assert_not_found(match("POST", "/api/v1/internal/probe", 0x100));
	/* Ordinary routes are served whatever flags are enabled. */
	assert_route(match("GET", "/healthz", ROUTE_INTERNAL), 0);
}

static void test_long_paths(void **state)
{
	char *path = malloc(HTTP_MAX_URI + 100);
	struct route_match *m;
	size_t plen = strlen("/api/v1/grids/");

	(void)state;
	assert_non_null(path);
	/* Exactly HTTP_MAX_URI bytes is still matched. */
	memcpy(path, "/api/v1/grids/", plen);
	memset(path + plen, 'x', HTTP_MAX_URI - plen);
	path[HTTP_MAX_URI] = '\0';
	m = match("GET", path, 0);
	assert_route(m, 4);
	assert_int_equal(strlen(param(m, "id")), HTTP_MAX_URI - plen);
	/* One byte more is refused without a match (the server answers 414 before this). */
	memset(path + plen, 'x', HTTP_MAX_URI + 1 - plen);
	path[HTTP_MAX_URI + 1] = '\0';
	assert_not_found(match("GET", path, 0));
	memset(path + plen, 'y', HTTP_MAX_URI + 50 - plen);
	path[HTTP_MAX_URI + 50] = '\0';
	assert_not_found(match("GET", path, 0));
	free(path);
}

static void test_too_many_segments(void **state)
{
	char path[512];
	size_t n = 0;

	(void)state;
	/* A known prefix followed by many segments: no match and no overrun of the segment array.
	 */
	n += (size_t)snprintf(path + n, sizeof path - n, "/api/v1/grids");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(path + n, sizeof path - n, "/s");
	assert_not_found(match("GET", path, 0));
	/* Many empty segments count as segments too. */
	memset(path, '/', 200);
	memcpy(path + 200, "a", 2);
	memcpy(path, "/x", 2);
	assert_not_found(match("GET", path, 0));
	/* 32 segments are still split (no crash, plain 404 for this table). */
	n = 0;
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(path + n, sizeof path - n, "/%d", i);
	assert_not_found(match("GET", path, 0));
}

static void test_allow_bounded(void **state)
{
	static const struct route many[] = {
		{ "GET", "/r", h_a, "p", 0, 0 },
		{ "POST", "/r", h_a, "p", 0, 0 },
		{ "PUT", "/r", h_a, "p", 0, 0 },
		{ "DELETE", "/r", h_a, "p", 0, 0 },
		{ "PATCH", "/r", h_a, "p", 0, 0 },
		{ "OPTIONS", "/r", h_a, "p", 0, 0 },
		{ "PROPFIND", "/r", h_a, "p", 0, 0 },
		{ "PROPPATCH", "/r", h_a, "p", 0, 0 },
		{ "MKCOL", "/r", h_a, "p", 0, 0 },
		{ "COPY", "/r", h_a, "p", 0, 0 },
		{ "LONGMETHODNAME", "/r", h_a, "p", 0, 0 },
		{ "GET", "/r", h_b, "p", 0, 0 },
	};
	struct route_match m;

	(void)state;
	memset(&m, 0x5a, sizeof m);
	router_match(many, sizeof many / sizeof many[0], "TRACE", "/r", 0, &m);
	assert_null(m.route);
	assert_int_equal(m.method_mismatch, 1);
	/* Terminated within its array, starts with the first methods, lists each at most once. */
	assert_non_null(memchr(m.allow, '\0', sizeof m.allow));
	assert_memory_equal(m.allow, "GET, HEAD, POST, PUT, DELETE", 28);
	assert_ptr_equal(strstr(m.allow, "GET"), m.allow);
	assert_null(strstr(m.allow + 1, "GET"));
	assert_null(strstr(strstr(m.allow, "HEAD") + 1, "HEAD"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_trailing_slash),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_internal_flag),
		cmocka_unit_test(test_long_paths),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_allow_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
