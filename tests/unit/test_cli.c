/*
 * Unit tests for cli/cli_util: the --listen parser and the bounded unsigned parser every numeric
 * option goes through, and the environment fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

static void expect_listen(const char *in, const char *addr, unsigned port)
{
	char out[64];
	unsigned p = 99999;

	memset(out, 'Q', sizeof out);
	if (cli_parse_listen(in, out, sizeof out, &p) != 0)
		print_message("refused: %s\n", in);
	assert_int_equal(cli_parse_listen(in, out, sizeof out, &p), 0);
	assert_string_equal(out, addr);
	assert_int_equal(p, port);
}

static void expect_listen_bad(const char *in, unsigned cap)
{
	char out[64];
	unsigned p = 4242;

	if (cli_parse_listen(in, out, cap, &p) != -1)
		print_message("accepted: %s\n", in ? in : "(null)");
	assert_int_equal(cli_parse_listen(in, out, cap, &p), -1);
	assert_int_equal(p, 4242); /* untouched on failure */
}

static void test_listen_valid(void **state)
{
	(void)state;
	expect_listen("127.0.0.1:8080", "127.0.0.1", 8080);
	expect_listen("0.0.0.0:0", "0.0.0.0", 0);
	expect_listen("10.1.2.3:65535", "10.1.2.3", 65535);
	expect_listen("[::1]:9000", "::1", 9000);
	expect_listen("[::]:80", "::", 80);
	expect_listen("[fe80::1:2:3]:443", "fe80::1:2:3", 443);
	/* No address means every IPv4 interface. */
	expect_listen(":8080", "0.0.0.0", 8080);
	/* The last colon separates the port. */
	expect_listen("localhost:1", "localhost", 1);
}

static void test_listen_bad(void **state)
{
	(void)state;
	expect_listen_bad(NULL, 64);
	expect_listen_bad("", 64);
	expect_listen_bad("127.0.0.1", 64);
	expect_listen_bad("127.0.0.1:", 64);
	expect_listen_bad("127.0.0.1:65536", 64);
	expect_listen_bad("127.0.0.1:99999999999999999999", 64);
	expect_listen_bad("127.0.0.1:-1", 64);
	expect_listen_bad("127.0.0.1:+80", 64);
	expect_listen_bad("127.0.0.1:80x", 64);
	expect_listen_bad("127.0.0.1:0x50", 64);
	expect_listen_bad("127.0.0.1: 80", 64);
	expect_listen_bad("8080", 64);
	expect_listen_bad(":", 64);
	expect_listen_bad("[::1]", 64);
	expect_listen_bad("[::1]8080", 64);
	expect_listen_bad("[::1]:", 64);
	expect_listen_bad("[]:80", 64);
	expect_listen_bad("[::1:80", 64);
	expect_listen_bad("[::1]:80:81", 64);
	/* The address must fit the caller's buffer, terminator included. */
	expect_listen_bad("123456789:80", 9);
	expect_listen_bad("[123456789]:80", 9);
	expect_listen_bad(":80", 7); /* "0.0.0.0" needs 8 bytes */
	{
		char out[10];
		unsigned p;
		assert_int_equal(cli_parse_listen("12345678:80", out, sizeof out - 1, &p), 0);
		assert_string_equal(out, "12345678");
		assert_int_equal(cli_parse_listen(":80", out, 8, &p), 0);
		assert_string_equal(out, "0.0.0.0");
	}
}

static void expect_uint(const char *s, unsigned min, unsigned max, unsigned want)
{
	unsigned v = 12345;

	if (cli_parse_uint(s, min, max, &v) != 0)
		print_message("refused: %s\n", s);
	assert_int_equal(cli_parse_uint(s, min, max, &v), 0);
	assert_int_equal(v, want);
}

static void expect_uint_bad(const char *s, unsigned min, unsigned max)
{
	unsigned v = 12345;

	if (cli_parse_uint(s, min, max, &v) != -1)
		print_message("accepted: \"%s\" in [%u, %u]\n", s ? s : "(null)", min, max);
	assert_int_equal(cli_parse_uint(s, min, max, &v), -1);
	assert_int_equal(v, 12345);
}

static void test_uint(void **state)
{
	(void)state;
	expect_uint("0", 0, 10, 0);
	expect_uint("10", 0, 10, 10);
	expect_uint("1", 1, 256, 1);
	expect_uint("256", 1, 256, 256);
	expect_uint("007", 0, 10, 7);
	expect_uint("4294967295", 0, 4294967295u, 4294967295u);
	expect_uint("67108864", 1024, 64u * 1024 * 1024, 64u * 1024 * 1024);
	expect_uint_bad("11", 0, 10);
	expect_uint_bad("0", 1, 256);
	expect_uint_bad("257", 1, 256);
	expect_uint_bad("1023", 1024, 2048);
	expect_uint_bad("4294967296", 0, 4294967295u);
	expect_uint_bad("18446744073709551616", 0, 4294967295u);
	expect_uint_bad("99999999999999999999999", 0, 10);
	expect_uint_bad("-1", 0, 10);
	expect_uint_bad("-0", 0, 10);
	expect_uint_bad("+1", 0, 10);
	expect_uint_bad("", 0, 10);
	expect_uint_bad(NULL, 0, 10);
	expect_uint_bad("1x", 0, 10);
	expect_uint_bad("1 ", 0, 10);
	expect_uint_bad("0x5", 0, 10);
	expect_uint_bad("1.5", 0, 10);
	expect_uint_bad("1e3", 0, 10000);
	/* Regression: strtoul skips leading white space, so " 5" and "\t-1" used to get through
	   (the latter as ULONG_MAX rejected only by the range check). */
	expect_uint_bad(" 5", 0, 10);
	expect_uint_bad("\n5", 0, 10);
	expect_uint_bad(" -1", 0, 4294967295u);
}

/* --public-url: the base of links printed on notice boards; scheme, host, port, nothing else. */
static void test_public_url(void **state)
{
	static const char *const good[] = { "https://wangge.example.cn", "http://10.0.0.5:8080",
		                            "https://[2001:db8::1]:8443", "http://localhost" };
	static const char *const bad[] = { "wangge.example.cn", "ftp://x.cn",
		                           "https://x.cn/",     "https://x.cn/path",
		                           "https://x.cn?q=1",  "https://user@x.cn",
		                           "https://x.cn:",     "https://x.cn:80:81",
		                           "https://",          "https://x.cn\"><script>",
		                           "https://[::1" };

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(cli_public_url_valid(good[i]), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cli_public_url_valid(bad[i]), -1);
}

static void test_env(void **state)
{
	(void)state;
	unsetenv("WANGGE_TEST_ENV");
	assert_string_equal(cli_env("WANGGE_TEST_ENV", "fallback"), "fallback");
	assert_null(cli_env("WANGGE_TEST_ENV", NULL));
	setenv("WANGGE_TEST_ENV", "", 1);
	assert_string_equal(cli_env("WANGGE_TEST_ENV", "fallback"), "fallback");
	setenv("WANGGE_TEST_ENV", "value", 1);
	assert_string_equal(cli_env("WANGGE_TEST_ENV", "fallback"), "value");
	unsetenv("WANGGE_TEST_ENV");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_valid), cmocka_unit_test(test_listen_bad),
		cmocka_unit_test(test_uint),         cmocka_unit_test(test_env),
		cmocka_unit_test(test_public_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
