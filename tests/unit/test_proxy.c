/*
 * The client address behind trusted reverse proxies (http/proxy.h): headers are believed only
 * from a trusted peer, and then only up to the right-most hop that is not a trusted proxy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/proxy.h"

static void test_parse(void **state)
{
	struct proxy_list l;
	char err[128];

	(void)state;
	assert_int_equal(proxy_list_parse(NULL, &l, err, sizeof err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(proxy_list_parse("  ", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(
	        proxy_list_parse("127.0.0.1, ::1 ,10.0.0.0/8,fd00::/8", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(proxy_list_parse("127.0.0.1,", &l, err, sizeof err), -1);
	assert_int_equal(proxy_list_parse("localhost", &l, err, sizeof err), -1);
	assert_int_equal(proxy_list_parse("10.0.0.0/33", &l, err, sizeof err), -1);
	assert_int_equal(proxy_list_parse("10.0.0.0/", &l, err, sizeof err), -1);
	assert_int_equal(proxy_list_parse("::1/129", &l, err, sizeof err), -1);
}

static void test_trusted(void **state)
{
	struct proxy_list l;
	char err[128];

	(void)state;
	assert_int_equal(proxy_list_parse("10.1.0.0/16,::1", &l, err, sizeof err), 0);
	assert_true(proxy_trusted(&l, "10.1.2.3"));
	assert_true(proxy_trusted(&l, "::ffff:10.1.2.3"));
	assert_false(proxy_trusted(&l, "10.2.0.1"));
	assert_true(proxy_trusted(&l, "::1"));
	assert_false(proxy_trusted(&l, "::2"));
	assert_false(proxy_trusted(&l, "garbage"));
	assert_int_equal(proxy_list_parse("192.168.1.128/25", &l, err, sizeof err), 0);
	assert_true(proxy_trusted(&l, "192.168.1.200"));
	assert_false(proxy_trusted(&l, "192.168.1.127"));
}

static void test_client(void **state)
{
	struct proxy_list none, l;
	char err[128], out[PROXY_ADDR_MAX];

	(void)state;
	assert_int_equal(proxy_list_parse("", &none, err, sizeof err), 0);
	assert_int_equal(proxy_list_parse("127.0.0.1,10.0.0.0/8", &l, err, sizeof err), 0);

	/* No trusted proxy configured: headers are ignored. */
	proxy_client_addr(&none, "127.0.0.1", "6.6.6.6", "7.7.7.7", out);
	assert_string_equal(out, "127.0.0.1");
	/* An untrusted peer cannot claim another address. */
	proxy_client_addr(&l, "203.0.113.9", "6.6.6.6", "7.7.7.7", out);
	assert_string_equal(out, "203.0.113.9");
	/* From the proxy: the right-most untrusted hop; hops to its left are the client's own
	   claims and are skipped. */
	proxy_client_addr(&l, "127.0.0.1", "6.6.6.6, 198.51.100.7", NULL, out);
	assert_string_equal(out, "198.51.100.7");
	proxy_client_addr(&l, "127.0.0.1", "6.6.6.6,198.51.100.7, 10.0.0.2", NULL, out);
	assert_string_equal(out, "198.51.100.7");
	/* Every hop trusted: the left-most proxy's peer is unknown, keep the socket address. */
	proxy_client_addr(&l, "127.0.0.1", "10.0.0.3, 10.0.0.2", NULL, out);
	assert_string_equal(out, "127.0.0.1");
	/* Garbage in the right-most hop: nothing is believed. */
	proxy_client_addr(&l, "127.0.0.1", "6.6.6.6, not-an-ip", NULL, out);
	assert_string_equal(out, "127.0.0.1");
	/* X-Real-IP when there is no X-Forwarded-For; normalized. */
	proxy_client_addr(&l, "127.0.0.1", NULL, " 2001:DB8::1 ", out);
	assert_string_equal(out, "2001:db8::1");
	proxy_client_addr(&l, "127.0.0.1", NULL, "bogus", out);
	assert_string_equal(out, "127.0.0.1");
	/* A mapped peer address counts as its IPv4 form. */
	proxy_client_addr(&l, "::ffff:127.0.0.1", "198.51.100.8", NULL, out);
	assert_string_equal(out, "198.51.100.8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
