/*
 * Unit tests for base/idcard beyond the parsing cases of test_codes.c: the address-code shape,
 * the derived birth date and sex, the 15 -> 18 upgrade with a check character computed here
 * independently, leap days, and the age on a given date (the worker registry's under-18 rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/idcard.h"

/* An independent MOD 11-2: sum of digit * 2^(17-i) mod 11, check = (12 - sum) mod 11. */
static char ref_check(const char *d17)
{
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (d17[i] - '0') * ((1 << (17 - i)) % 11);
	sum = (12 - sum % 11) % 11;
	return sum == 10 ? 'X' : (char)('0' + sum);
}

static void test_published_vectors(void **state)
{
	static const char *const ok[] = { "11010519491231002X", "440524188001010014",
		                          "34052419800101001X", "370101190102039973" };
	struct idcard id;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(idcard_parse_on(ok[i], 2026, 1, 1, &id, NULL), 0);
		assert_int_equal(ref_check(ok[i]), ok[i][17]);
	}
	/* Lower-case x is accepted and stored upper-case. */
	assert_int_equal(idcard_parse_on("11010519491231002x", 2026, 1, 1, &id, NULL), 0);
	assert_string_equal(id.number, "11010519491231002X");
}

static void test_bad_check_char(void **state)
{
	struct code_error err = { 0 };
	struct idcard id;

	(void)state;
	assert_int_equal(idcard_parse_on("110105194912310021", 2026, 1, 1, &id, &err), -1);
	assert_string_equal(err.code, "bad_check");
	assert_string_equal(id.number, "");
}

static void test_real_dates(void **state)
{
	char d17[18], n[19];
	struct code_error err = { 0 };
	struct idcard id;

	(void)state;
	/* 2023-02-29 does not exist; 2024-02-29 does. The check character is made right, so only
	   the date can refuse it. */
	memcpy(d17, "37150220230229001", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	n[18] = '\0';
	assert_int_equal(idcard_parse_on(n, 2026, 1, 1, &id, &err), -1);
	assert_string_equal(err.code, "bad_date");
	memcpy(d17, "37150220240229001", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	assert_int_equal(idcard_parse_on(n, 2026, 1, 1, &id, &err), 0);
	/* 1900 was not a leap year, 2000 was. */
	memcpy(d17, "37150219000229001", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	assert_int_equal(idcard_parse_on(n, 2026, 1, 1, &id, &err), -1);
	assert_string_equal(err.code, "bad_date");
	/* A birth date after "today" is refused. */
	memcpy(d17, "37150220260102001", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	assert_int_equal(idcard_parse_on(n, 2026, 1, 1, &id, &err), -1);
	assert_string_equal(err.code, "date_out_of_range");
	assert_int_equal(idcard_parse_on(n, 2026, 1, 2, &id, &err), 0);
}

static void test_region_shape(void **state)
{
	char d17[18], n[19];
	struct code_error err = { 0 };

	(void)state;
	assert_true(idcard_province_valid("371502"));
	assert_true(idcard_province_valid("820000"));
	assert_false(idcard_province_valid("001502"));
	assert_false(idcard_province_valid("991502"));
	assert_false(idcard_province_valid("1"));
	memcpy(d17, "99150219800101001", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	n[18] = '\0';
	assert_int_equal(idcard_parse_on(n, 2026, 1, 1, NULL, &err), -1);
	assert_string_equal(err.code, "bad_region");
}

static void test_upgrade_15(void **state)
{
	char b[IDCARD_DATE_LEN + 1];
	struct idcard id;

	(void)state;
	/* 371502 800101 003 -> 371502 19800101 003 + check. */
	assert_int_equal(idcard_parse_on("371502800101003", 2026, 1, 1, &id, NULL), 0);
	assert_int_equal(strlen(id.number), 18);
	assert_memory_equal(id.number, "37150219800101003", 17);
	assert_int_equal(id.number[17], ref_check("37150219800101003"));
	assert_string_equal(idcard_birth_date(&id, b), "1980-01-01");
	assert_string_equal(idcard_sex_code(&id), "M");
	assert_string_equal(id.division, "371502");
}

static void test_sex_and_birth(void **state)
{
	char b[IDCARD_DATE_LEN + 1];
	struct idcard id;

	(void)state;
	assert_int_equal(idcard_parse_on("11010519491231002X", 2026, 1, 1, &id, NULL), 0);
	assert_string_equal(idcard_birth_date(&id, b), "1949-12-31");
	assert_string_equal(idcard_sex_code(&id), "F"); /* 17th digit 2: even */
	assert_int_equal(idcard_parse_on("370101190102039973", 2026, 1, 1, &id, NULL), 0);
	assert_string_equal(idcard_sex_code(&id), "M"); /* 7: odd */
	assert_string_equal(idcard_birth_date(&id, b), "1901-02-03");
}

static void test_age_on(void **state)
{
	char d17[18], n[19];
	struct idcard id;

	(void)state;
	memcpy(d17, "37150220080301002", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	n[18] = '\0';
	assert_int_equal(idcard_parse_on(n, 2026, 6, 1, &id, NULL), 0);
	assert_int_equal(idcard_age_on(&id, 2026, 2, 28), 17); /* the day before: still 17 */
	assert_int_equal(idcard_age_on(&id, 2026, 3, 1), 18);
	assert_int_equal(idcard_age_on(&id, 2007, 1, 1), -1); /* before birth */
	/* Born on a leap day: 18 on 1 March of a common year. */
	memcpy(d17, "37150220080229002", 18);
	memcpy(n, d17, 17);
	n[17] = ref_check(d17);
	assert_int_equal(idcard_parse_on(n, 2026, 6, 1, &id, NULL), 0);
	assert_int_equal(idcard_age_on(&id, 2026, 2, 28), 17);
	assert_int_equal(idcard_age_on(&id, 2026, 3, 1), 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_bad_check_char),
		cmocka_unit_test(test_real_dates),
		cmocka_unit_test(test_region_shape),
		cmocka_unit_test(test_upgrade_15),
		cmocka_unit_test(test_sex_and_birth),
		cmocka_unit_test(test_age_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
