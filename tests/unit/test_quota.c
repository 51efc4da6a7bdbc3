/*
 * Unit tests for http/quota (sliding-window counts per key) and http/challenge (the signed sum):
 * counts per key, the previous window fading out, a full table forgetting rather than inventing;
 * a challenge solved once, refused when wrong, replayed, expired, forged, or bound elsewhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/challenge.h"
#include "http/quota.h"

#define HOUR (3600 * 1000LL)

static void test_counts_slide(void **state)
{
	struct quota *q = quota_new(64, HOUR);
	int64_t t0 = 10 * HOUR;

	(void)state;
	assert_non_null(q);
	assert_int_equal(quota_peek(q, "a", t0), 0);
	for (int i = 0; i < 4; i++)
		quota_add(q, "a", t0 + i);
	quota_add(q, "b", t0);
	assert_int_equal(quota_peek(q, "a", t0 + 10), 4);
	assert_int_equal(quota_peek(q, "b", t0 + 10), 1);
	/* Half-way into the next window half of the last one still counts. */
	assert_int_equal(quota_peek(q, "a", t0 + HOUR + HOUR / 2), 2);
	quota_add(q, "a", t0 + HOUR + HOUR / 2);
	assert_int_equal(quota_peek(q, "a", t0 + HOUR + HOUR / 2), 3);
	/* Two windows later it is all gone. */
	assert_int_equal(quota_peek(q, "a", t0 + 3 * HOUR), 0);
	quota_free(q);
	assert_null(quota_new(64, 0));
}

static void test_full_table_forgets(void **state)
{
	struct quota *q = quota_new(64, HOUR);
	char key[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		(void)snprintf(key, sizeof key, "k%d", i);
		quota_add(q, key, HOUR + i);
	}
	/* Every key counted at most once: a slot taken over starts from zero. */
	for (int i = 0; i < 5000; i++) {
		(void)snprintf(key, sizeof key, "k%d", i);
		assert_true(quota_peek(q, key, HOUR + 5000) <= 1);
	}
	quota_free(q);
}

static unsigned numeral(const char *s, size_t n)
{
	static const char *const w[] = {
		"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"
	};
	unsigned v = 0;
	size_t k = 0;

	if (n >= 3 && memcmp(s, "十", 3) == 0) { /* 十, 十N */
		v = 10;
		k = 3;
	}
	for (unsigned d = 1; d < 10 && k < n; d++)
		if (n - k >= 3 && memcmp(s + k, w[d], 3) == 0) {
			if (n - k > 3 && memcmp(s + k + 3, "十", 3) == 0)
				return d * 10; /* N十 */
			return v + d;
		}
	return v;
}

/* The answer of a question "A加B等于多少？". */
static unsigned solve(const char *question)
{
	const char *plus = strstr(question, "加"), *eq = strstr(question, "等于");

	assert_non_null(plus);
	assert_non_null(eq);
	return numeral(question, (size_t)(plus - question)) +
	       numeral(plus + 3, (size_t)(eq - plus - 3));
}

static void test_challenge(void **state)
{
	struct challenge c, d;
	char answer[8], wrong[8];
	unsigned sum;

	(void)state;
	assert_int_equal(challenge_new("1.2.3.4|g1", 1000, &c), 0);
	sum = solve(c.question);
	assert_true(sum >= 2 && sum <= 40);
	(void)snprintf(answer, sizeof answer, "%u", sum);
	(void)snprintf(wrong, sizeof wrong, "%u", sum + 1);
	/* Bound elsewhere, expired, not digits: refused (each try spends the token). */
	assert_int_equal(challenge_new("1.2.3.4|g1", 1000, &d), 0);
	assert_int_equal(challenge_verify("1.2.3.5|g1", d.token, answer, 1001), 0);
	assert_int_equal(
	        challenge_verify("1.2.3.4|g1", c.token, answer, 1000 + CHALLENGE_TTL_S + 1), 0);
	assert_int_equal(challenge_verify("1.2.3.4|g1", c.token, "abc", 1001), 0);
	/* Right answer: once. */
	assert_int_equal(challenge_verify("1.2.3.4|g1", c.token, answer, 1001), 1);
	assert_int_equal(challenge_verify("1.2.3.4|g1", c.token, answer, 1001), 0);
	/* Wrong answer spends the token too. */
	assert_int_equal(challenge_new("a", 2000, &c), 0);
	(void)snprintf(answer, sizeof answer, " %u ", solve(c.question));
	(void)snprintf(wrong, sizeof wrong, "%u", solve(c.question) + 1);
	assert_int_equal(challenge_verify("a", c.token, wrong, 2001), 0);
	assert_int_equal(challenge_verify("a", c.token, answer, 2001), 0);
	/* A forged token (one bit changed) is refused. */
	assert_int_equal(challenge_new("a", 3000, &c), 0);
	(void)snprintf(answer, sizeof answer, "%u", solve(c.question));
	c.token[10] = c.token[10] == 'A' ? 'B' : 'A';
	assert_int_equal(challenge_verify("a", c.token, answer, 3001), 0);
	assert_int_equal(challenge_verify("a", "", answer, 3001), 0);
	assert_int_equal(challenge_verify("a", NULL, answer, 3001), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_slide),
		cmocka_unit_test(test_full_table_forgets),
		cmocka_unit_test(test_challenge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
