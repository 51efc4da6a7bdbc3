/*
 * Unit tests for http/csp: the import map's hash from index.html (and no hash for any other
 * inline script), the tile origin taken from a URL template, and the policy's fixed parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "http/csp.h"

#define FIXED_TAIL                                                                                 \
	"; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

static int build(const char *html, const char *tile, char *out, size_t n, int *refused)
{
	return csp_build(html, html ? strlen(html) : 0, tile, out, n, refused);
}

static void test_default_policy(void **state)
{
	char out[CSP_MAX];
	int refused = -1;

	(void)state;
	assert_int_equal(build(NULL, NULL, out, sizeof out, &refused), 0);
	assert_int_equal(refused, 0);
	assert_string_equal(out, "default-src 'self'; script-src 'self'; style-src 'self' "
	                         "'unsafe-inline'; img-src 'self' data: blob:" FIXED_TAIL);
	/* Before csp_init, the policy is the same, without hashes. */
	assert_string_equal(csp_policy(), out);
}

static void test_importmap_hashed(void **state)
{
	char out[CSP_MAX];
	int refused = -1;
	const char *html = "<!doctype html><head>\n"
	                   "<!-- a comment with <script>evil()</script> in it -->\n"
	                   "<script type=\"importmap\">{\"imports\":{}}</script>\n"
	                   "<script type=\"module\" src=\"app/main.js\"></script>\n"
	                   "</head>";

	(void)state;
	assert_int_equal(build(html, NULL, out, sizeof out, &refused), 1);
	assert_int_equal(refused, 0);
	assert_non_null(strstr(out,
	                       "script-src 'self' 'sha256-URrTy+Il/Nz0lHojVUx275hWqAWhkSF0VsHbUM4/"
	                       "6Hw='; style-src"));
}

static void test_case_quotes_and_spaces(void **state)
{
	char out[CSP_MAX];
	int refused = -1;

	(void)state;
	/* The hash covers the exact text between the tags, spaces included. */
	assert_int_equal(build("<SCRIPT TYPE=' ImportMap ' >x</SCRIPT ><script\ttype=importmap> {} "
	                       "</script>",
	                       NULL, out, sizeof out, &refused),
	                 2);
	assert_int_equal(refused, 0);
	assert_non_null(strstr(out, "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=' "
	                            "'sha256-VX+RORhZkOKUv6M7dCXWpJUowkzQWRewBCQ1Mia4s/s='"));
}

static void test_other_inline_scripts_refused(void **state)
{
	char out[CSP_MAX];
	int refused = -1;

	(void)state;
	assert_int_equal(build("<script>alert(1)</script><script type=\"module\">x</script>"
	                       "<script type=\"text/javascript\" src=\"a.js\"></script>"
	                       "<scripts>not a script</scripts><noscript>x</noscript>",
	                       NULL, out, sizeof out, &refused),
	                 0);
	assert_int_equal(refused, 2);
	assert_null(strstr(out, "sha256"));
	assert_non_null(strstr(out, "script-src 'self'; style-src 'self' 'unsafe-inline';"));
	/* An unterminated tag or script ends the scan without reading past the end. */
	assert_int_equal(build("<script type=\"importmap", NULL, out, sizeof out, &refused), 0);
	assert_int_equal(build("<script type=importmap>{", NULL, out, sizeof out, &refused), 1);
	assert_int_equal(build("<!-- <script>", NULL, out, sizeof out, &refused), 0);
}

static void check_origin(const char *url, const char *want)
{
	char out[300];
	int rc = csp_tile_origin(url, out, sizeof out);

	if (want) {
		if (rc != 0)
			fail_msg("%s: refused", url);
		assert_string_equal(out, want);
	} else {
		if (rc != -1)
			fail_msg("%s: accepted as %s", url, out);
		assert_string_equal(out, "");
	}
}

static void test_tile_origin(void **state)
{
	(void)state;
	check_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
	             "https://*.tile.openstreetmap.org");
	check_origin("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}",
	             "https://*.is.autonavi.com");
	check_origin("http://tiles.example.net:8081/t/{z}/{x}/{y}.png",
	             "http://tiles.example.net:8081");
	check_origin("https://tiles.example.net", "https://tiles.example.net");
	check_origin("https://localhost:9000?z={z}", "https://localhost:9000");
	check_origin("https://10.0.0.7/tiles#x", "https://10.0.0.7");

	check_origin(NULL, NULL);
	check_origin("", NULL);
	check_origin("/tiles/{z}/{x}/{y}.png", NULL);
	check_origin("//tiles.example.net/{z}", NULL);
	check_origin("ftp://tiles.example.net/", NULL);
	check_origin("javascript:alert(1)", NULL);
	check_origin("https://evil.example; script-src 'unsafe-inline'", NULL);
	check_origin("https://evil.example'/x", NULL);
	check_origin("https://user@tiles.example.net/", NULL);
	check_origin("https://tiles.{s}.example.net/", NULL);
	check_origin("https://{s}/x", NULL);
	check_origin("https://tiles..example.net/", NULL);
	check_origin("https://tiles.example.net:/x", NULL);
	check_origin("https://tiles.example.net:123456/x", NULL);
	check_origin("https://tiles.example.net:80x/", NULL);
	check_origin("https:///x", NULL);
	check_origin("https://tiles example.net/", NULL);
	check_origin("https://tïles.example.net/", NULL);
}

static void test_tile_origin_in_policy(void **state)
{
	char out[CSP_MAX];

	(void)state;
	assert_int_equal(
	        build(NULL, "https://{s}.tiles.example/{z}/{x}/{y}.png", out, sizeof out, NULL), 0);
	assert_non_null(
	        strstr(out, "; img-src 'self' data: blob: https://*.tiles.example; connect-src"));
	assert_int_equal(build(NULL, "javascript:x", out, sizeof out, NULL), 0);
	assert_non_null(strstr(out, "; img-src 'self' data: blob:; connect-src"));
}

static void test_small_buffer(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(build(NULL, NULL, out, sizeof out, NULL), -1);
	assert_int_equal(build(NULL, NULL, out, 0, NULL), -1);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* csp_init reads index.html and config.json from the web root (runs last: it sets the policy). */
static void test_init_from_files(void **state)
{
	char dir[] = "/tmp/wangge-csp-XXXXXX", path[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	csp_init(dir); /* neither file: the default policy */
	assert_null(strstr(csp_policy(), "sha256"));
	write_file(dir, "index.html", "<script type=\"importmap\">x</script>");
	write_file(dir, "config.json",
	           "{\"tileUrl\": \"https://{s}.tiles.example/{z}/{x}/{y}.png\"}");
	csp_init(dir);
	assert_non_null(strstr(csp_policy(),
	                       "script-src 'self' "
	                       "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=';"));
	assert_non_null(
	        strstr(csp_policy(), "img-src 'self' data: blob: https://*.tiles.example;"));
	write_file(dir, "config.json", "{ broken");
	csp_init(dir);
	assert_non_null(strstr(csp_policy(), "img-src 'self' data: blob:;"));
	assert_non_null(strstr(csp_policy(), "'sha256-"));
	for (const char *f = "index.html\0config.json\0"; *f; f += strlen(f) + 1) {
		snprintf(path, sizeof path, "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_importmap_hashed),
		cmocka_unit_test(test_case_quotes_and_spaces),
		cmocka_unit_test(test_other_inline_scripts_refused),
		cmocka_unit_test(test_tile_origin),
		cmocka_unit_test(test_tile_origin_in_policy),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_init_from_files),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
