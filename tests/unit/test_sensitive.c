/*
 * Unit tests for domain/sensitive: masking rules (ID numbers keep first and last character, phone
 * numbers 3+4, short values hidden), UTF-8 awareness, the classification table and reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/sensitive.h"

static void test_id_number(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, "11010519491231002X", out, sizeof out),
	                    "1****************X");
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, "ab", out, sizeof out), "**");
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, "", out, sizeof out), "");
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, NULL, out, sizeof out), "");
	/* A too-small buffer is cut, never overrun. */
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, "11010519491231002X", out, 5), "1***");
}

static void test_phone(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(sensitive_mask(MASK_PHONE, "13812345678", out, sizeof out),
	                    "138****5678");
	assert_string_equal(sensitive_mask(MASK_PHONE, "0635-8881234", out, sizeof out),
	                    "063****1234");
	assert_string_equal(sensitive_mask(MASK_PHONE, "110", out, sizeof out), "***");
	assert_string_equal(sensitive_mask(MASK_PHONE, "12345", out, sizeof out), "***45");
}

static void test_utf8(void **state)
{
	char out[64];

	(void)state;
	/* One star per character, never half a character. */
	assert_string_equal(sensitive_mask(MASK_ID_NUMBER, "张三丰", out, sizeof out), "张*丰");
	assert_string_equal(sensitive_mask(MASK_ALL, "张三丰", out, sizeof out), "***");
	assert_string_equal(sensitive_mask(MASK_NONE, "张三", out, sizeof out), "张三");
}

static void test_table(void **state)
{
	char out[64];
	const struct field_class_def *d;

	(void)state;
	d = sensitive_field("user", "id_number");
	assert_non_null(d);
	assert_int_equal(d->cls, FIELD_SENSITIVE);
	assert_string_equal(sensitive_class_name(d->cls), "sensitive");
	assert_null(sensitive_field("user", "nope"));
	assert_string_equal(
	        sensitive_show("user", "id_number", "11010519491231002X", 0, out, sizeof out),
	        "1****************X");
	assert_string_equal(
	        sensitive_show("user", "id_number", "11010519491231002X", 1, out, sizeof out),
	        "11010519491231002X");
	assert_string_equal(sensitive_show("user", "phone", "13812345678", 0, out, sizeof out),
	                    "138****5678");
	assert_string_equal(sensitive_show("user", "display_name", "张三", 0, out, sizeof out),
	                    "张三");
	/* Every sensitive field is masked. */
	for (size_t i = 0; i < sensitive_field_count; i++)
		if (sensitive_fields[i].cls == FIELD_SENSITIVE)
			assert_int_not_equal(sensitive_fields[i].mask, MASK_NONE);
}

static void test_reason(void **state)
{
	(void)state;
	assert_false(sensitive_reason_ok(NULL));
	assert_false(sensitive_reason_ok(""));
	assert_false(sensitive_reason_ok("  x"));
	assert_true(sensitive_reason_ok("核查"));
	assert_true(sensitive_reason_ok("verify eligibility"));
	{
		char long_reason[700];
		memset(long_reason, 'a', 201);
		long_reason[201] = '\0';
		assert_false(sensitive_reason_ok(long_reason));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_number), cmocka_unit_test(test_phone),
		cmocka_unit_test(test_utf8),      cmocka_unit_test(test_table),
		cmocka_unit_test(test_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
