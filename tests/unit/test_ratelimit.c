/*
 * Unit tests for http/ratelimit: a burst, then refusals with Retry-After until the refill; keys
 * are independent; a full table keeps limiting the keys it holds and takes new ones over from
 * the longest idle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "http/ratelimit.h"

static void test_burst_then_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(64, 60, 5); /* one a second, burst 5 */
	int retry = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "10.0.0.1", 1000, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 1000, &retry), -1);
	assert_int_equal(retry, 1);
	/* Another address has its own bucket. */
	assert_int_equal(ratelimit_take(rl, "10.0.0.2", 1000, &retry), 0);
	/* One token back after a second, not two. */
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 2000, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 2000, &retry), -1);
	/* A long idle refills to the burst, never beyond. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "10.0.0.1", 600000, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 600000, &retry), -1);
	ratelimit_free(rl);
	assert_null(ratelimit_new(64, 0, 5));
}

static void test_full_table_still_limits(void **state)
{
	struct ratelimit *rl = ratelimit_new(64, 1, 2);
	char key[32];
	int retry = 0, refused = 0;

	(void)state;
	/* Far more addresses than slots: memory stays fixed. */
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "192.0.2.%d", i);
		(void)ratelimit_take(rl, key, i, &retry);
	}
	/* An address that keeps asking is still refused after its burst. */
	for (int i = 0; i < 10; i++)
		if (ratelimit_take(rl, "198.51.100.7", 20000, &retry) < 0)
			refused++;
	assert_int_equal(refused, 8);
	assert_true(retry >= 1);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refill),
		cmocka_unit_test(test_full_table_still_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
