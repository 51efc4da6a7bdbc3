/*
 * Unit tests for base/codes: resident ID numbers, unified social credit codes, division codes and
 * grid codes. Expected check characters are either published real-world codes or computed by small
 * reference implementations written here independently of the module, so a shared mistake in the
 * weights or the alphabet would have to be made twice to go unnoticed. Every error path is checked
 * by its machine code, because that is what the API layer relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/codes.h"
#include "base/idcard.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* `input` is only printed, so that a failure inside a shared helper names the offending case. */
static void assert_err(const struct code_error *err, const char *code, const char *input)
{
	if (!err->code || strcmp(err->code, code) != 0)
		print_message("input: %s\n", input ? input : "(null)");
	assert_non_null(err->code);
	assert_string_equal(err->code, code);
	assert_non_null(err->message);
	assert_true(strlen(err->message) > 0);
	/* Messages are for users and must be Chinese, i.e. contain at least one non-ASCII byte. */
	int has_non_ascii = 0;
	for (const char *p = err->message; *p; p++)
		if ((unsigned char)*p >= 0x80)
			has_non_ascii = 1;
	assert_true(has_non_ascii);
}

static void expect_id_error(const char *in, const char *code)
{
	struct idcard id;
	struct code_error err = { 0 };
	memset(&id, 0x5a, sizeof id);
	int rc = idcard_parse(in, &id, &err);
	if (rc != -1)
		print_message("input: %s\n", in);
	assert_int_equal(rc, -1);
	assert_err(&err, code, in);
	/* A failed parse must not leave a half-filled record behind. */
	assert_string_equal(id.number, "");
	assert_int_equal(id.birth_year, 0);
	assert_int_equal(id.sex, 0);
}

/* Independent reference for the GB 11643 check character. */
static char ref_id_check(const char *d17)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	long sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (long)(d17[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

/* Builds a full 18-character ID with a correct check character from 17 digits. */
static void make_id(const char *d17, char out[19])
{
	memcpy(out, d17, 17);
	out[17] = ref_id_check(d17);
	out[18] = '\0';
}

static const char ref_uscc_alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int ref_uscc_value(char c)
{
	for (int i = 0; i < 31; i++)
		if (ref_uscc_alpha[i] == c)
			return i;
	return -1;
}

/* Independent reference for the GB 32100 check character (uppercase input only). */
static char ref_uscc_check(const char *s17)
{
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	long sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (long)ref_uscc_value(s17[i]) * w[i];
	long c = 31 - sum % 31;
	return ref_uscc_alpha[c == 31 ? 0 : c];
}

static void expect_uscc_error(const char *in, const char *code)
{
	char out[19];
	struct code_error err = { 0 };
	memset(out, 'Q', sizeof out);
	int rc = uscc_parse(in, out, &err);
	if (rc != -1)
		print_message("input: %s\n", in);
	assert_int_equal(rc, -1);
	assert_err(&err, code, in);
	assert_string_equal(out, "");
}

static void expect_div_error(const char *in, const char *code)
{
	struct code_error err = { 0 };
	assert_int_equal(division_level(in, &err), DIV_INVALID);
	assert_err(&err, code, in);
}

static void expect_grid_error(const struct grid_code_rule *rule, const char *code,
                              const char *community, enum grid_kind kind, const char *errcode)
{
	struct code_error err = { 0 };
	assert_int_equal(grid_code_check(rule, code, community, kind, &err), -1);
	assert_err(&err, errcode, code);
}

/* ---- resident ID ----------------------------------------------------------------------------- */

static void test_idcard_valid_vectors(void **state)
{
	(void)state;
	struct idcard id;
	struct code_error err = { 0 };

	assert_int_equal(idcard_parse("11010519491231002X", &id, &err), 0);
	assert_string_equal(id.number, "11010519491231002X");
	assert_string_equal(id.division, "110105");
	assert_int_equal(id.birth_year, 1949);
	assert_int_equal(id.birth_month, 12);
	assert_int_equal(id.birth_day, 31);
	assert_int_equal(id.sex, 2); /* sequence 002: even */

	assert_int_equal(idcard_parse("440524188001010014", &id, &err), 0);
	assert_string_equal(id.division, "440524");
	assert_int_equal(id.birth_year, 1880);
	assert_int_equal(id.birth_month, 1);
	assert_int_equal(id.birth_day, 1);
	assert_int_equal(id.sex, 1); /* sequence 001: odd */

	assert_int_equal(idcard_parse("34052419800101001X", &id, &err), 0);
	assert_string_equal(id.number, "34052419800101001X");
	assert_int_equal(id.birth_year, 1980);
	assert_int_equal(id.sex, 1);

	assert_int_equal(idcard_parse("370101190102039973", &id, &err), 0);
	assert_string_equal(id.division, "370101");
	assert_int_equal(id.birth_year, 1901);
	assert_int_equal(id.birth_month, 2);
	assert_int_equal(id.birth_day, 3);
	assert_int_equal(id.sex, 1); /* sequence 997: odd */

	/* Validation only: out and err may both be NULL. */
	assert_int_equal(idcard_parse("370101190102039973", NULL, NULL), 0);
	assert_int_equal(idcard_parse("370101190102039974", NULL, NULL), -1);
}

static void test_idcard_lowercase_x(void **state)
{
	(void)state;
	struct idcard id;
	struct code_error err = { 0 };
	assert_int_equal(idcard_parse("11010519491231002x", &id, &err), 0);
	assert_string_equal(id.number, "11010519491231002X");
	/* x is only ever a check character. */
	expect_id_error("1101051949123100x2", "bad_char");
}

static void test_idcard_bad_check(void **state)
{
	(void)state;
	expect_id_error("110105194912310021", "bad_check");
	expect_id_error("11010519491231002Y", "bad_char");
	expect_id_error("440524188001010015", "bad_check");
	expect_id_error("340524198001010010", "bad_check");
	/* Transposed digits keep the same characters but must fail the weighted sum. */
	expect_id_error("370101190102039793", "bad_check");
	/* Every wrong check character is rejected, every position. */
	const char *valid = "370101190102039973";
	const char *candidates = "0123456789X";
	for (const char *c = candidates; *c; c++) {
		char buf[19];
		memcpy(buf, valid, sizeof buf);
		buf[17] = *c;
		assert_int_equal(idcard_parse(buf, NULL, NULL), *c == '3' ? 0 : -1);
	}
}

static void test_idcard_bad_dates(void **state)
{
	(void)state;
	char buf[19];
	struct idcard id;
	struct code_error err = { 0 };

	/* Correct check characters, so only the date can be the reason for rejection. */
	make_id("11010519490230002", buf); /* Feb 30 */
	expect_id_error(buf, "bad_date");
	make_id("11010519000229001", buf); /* 1900 is not a leap year (century rule) */
	assert_string_equal(buf, "110105190002290017");
	expect_id_error(buf, "bad_date");
	make_id("11010520000229001", buf); /* 2000 is (400 rule) */
	assert_string_equal(buf, "110105200002290013");
	assert_int_equal(idcard_parse(buf, &id, &err), 0);
	assert_int_equal(id.birth_month, 2);
	assert_int_equal(id.birth_day, 29);
	make_id("11010519810229001", buf);
	expect_id_error(buf, "bad_date");
	make_id("11010519841301001", buf); /* month 13 */
	expect_id_error(buf, "bad_date");
	make_id("11010519840001001", buf); /* month 00 */
	expect_id_error(buf, "bad_date");
	make_id("11010519840100001", buf); /* day 00 */
	expect_id_error(buf, "bad_date");
	make_id("11010519840431001", buf); /* Apr 31 */
	expect_id_error(buf, "bad_date");
	make_id("11010500000101001", buf); /* year 0000 */
	expect_id_error(buf, "bad_date");

	/* Year floor 1850. */
	make_id("11010518491231001", buf);
	expect_id_error(buf, "date_out_of_range");
	make_id("11010518500101001", buf);
	assert_int_equal(idcard_parse(buf, NULL, NULL), 0);

	/* Not after today: far future against the real clock, exact boundary with a fixed today. */
	make_id("11010529990101001", buf);
	expect_id_error(buf, "date_out_of_range");
	make_id("11010520240102001", buf);
	assert_int_equal(idcard_parse_on(buf, 2024, 1, 1, &id, &err), -1);
	assert_err(&err, "date_out_of_range", buf);
	assert_int_equal(idcard_parse_on(buf, 2024, 1, 2, &id, &err), 0);
	assert_int_equal(id.birth_day, 2);
	assert_int_equal(idcard_parse_on(buf, 2023, 2, 29, &id, &err),
	                 -1); /* today itself invalid */
	assert_err(&err, "bad_date", buf);
	assert_int_equal(idcard_parse_on(NULL, 2024, 1, 1, &id, &err), -1);
	assert_err(&err, "null_input", NULL);
}

static void test_idcard_bad_length_and_chars(void **state)
{
	(void)state;
	expect_id_error(NULL, "null_input");
	expect_id_error("", "bad_length");
	expect_id_error("11010519491231002", "bad_length");   /* 17 */
	expect_id_error("11010519491231002X0", "bad_length"); /* 19 */
	expect_id_error("1101051949123100", "bad_length");    /* 16 */
	expect_id_error("11010519491231", "bad_length");      /* 14 */
	expect_id_error(" 11010519491231002X", "bad_length"); /* whitespace is not trimmed */
	expect_id_error("1101051949AB31002X", "bad_char");    /* letters in the middle */
	expect_id_error("11010519491231-02X", "bad_char");
	expect_id_error("11010519491231 02X", "bad_char");
	expect_id_error("X10105194912310021", "bad_char");
	expect_id_error("11010549123100A", "bad_char"); /* 15-char with a letter */
	/* UTF-8 Chinese: 6 characters x 3 bytes = 18 bytes, none of them digits. */
	expect_id_error("北京市东城区", "bad_char");
	expect_id_error("身份证号码", "bad_char"); /* 15 bytes: looks like an old-format length */
	expect_id_error("身份证", "bad_length");
	/* Full-width digits are 3 bytes each in UTF-8. */
	expect_id_error("１１０１０５１９４９１２３１００２Ｘ", "bad_length");
	/* 17 digits followed by a multi-byte character: wrong length in bytes. */
	expect_id_error("11010519491231002中", "bad_length");
	/* 17 digits followed by a lone high byte: right length, bad last char. */
	expect_id_error("11010519491231002\xff", "bad_char");

	char *big = malloc(100001);
	assert_non_null(big);
	memset(big, '1', 100000);
	big[100000] = '\0';
	expect_id_error(big, "bad_length");
	free(big);
}

static void test_idcard_upgrade_15(void **state)
{
	(void)state;
	struct idcard id;
	struct code_error err = { 0 };
	const char *eighteen[] = { "34052419800101001X", "11010519491231002X", "370101190102039973",
		                   "440524198001010013", "110105196002290014" };
	for (size_t i = 0; i < sizeof eighteen / sizeof eighteen[0]; i++) {
		/* Derive the old form: drop "19" from the year and the check character. */
		char fifteen[16];
		memcpy(fifteen, eighteen[i], 6);
		memcpy(fifteen + 6, eighteen[i] + 8, 9);
		fifteen[15] = '\0';
		assert_int_equal(idcard_parse(fifteen, &id, &err), 0);
		assert_string_equal(id.number, eighteen[i]);
		assert_int_equal(id.number[18], '\0');
	}

	assert_int_equal(idcard_parse("340524800101001", &id, &err), 0);
	assert_string_equal(id.number, "34052419800101001X");
	assert_string_equal(id.division, "340524");
	assert_int_equal(id.birth_year, 1980);
	assert_int_equal(id.sex, 1);
	assert_int_equal(idcard_parse("110105491231002", &id, &err), 0);
	assert_int_equal(id.sex, 2);

	/* 1900-02-29 in the old form is still not a date. */
	expect_id_error("110105000229001", "bad_date");
	expect_id_error("110105490230002", "bad_date");
	expect_id_error("11010549123100X", "bad_char");
}

static void test_idcard_check_char(void **state)
{
	(void)state;
	assert_int_equal(idcard_check_char("11010519491231002"), 'X');
	assert_int_equal(idcard_check_char("44052418800101001"), '4');
	assert_int_equal(idcard_check_char("37010119010203997"), '3');
	/* Every remainder maps through "10X98765432"; compare against the reference on a sweep. */
	char d[18] = "11010519800101000";
	for (int seq = 0; seq < 1000; seq++) {
		d[14] = (char)('0' + seq / 100);
		d[15] = (char)('0' + seq / 10 % 10);
		d[16] = (char)('0' + seq % 10);
		assert_int_equal(idcard_check_char(d), ref_id_check(d));
	}
	assert_int_equal(idcard_check_char(NULL), '\0');
	assert_int_equal(idcard_check_char(""), '\0');
	assert_int_equal(idcard_check_char("1101051949123100"), '\0');   /* 16 */
	assert_int_equal(idcard_check_char("11010519491231002X"), '\0'); /* 18 */
	assert_int_equal(idcard_check_char("1101051949123100A"), '\0');
	assert_int_equal(idcard_check_char("北京市东城区"), '\0');
}

static void test_idcard_age_on(void **state)
{
	(void)state;
	struct idcard id;
	assert_int_equal(idcard_parse("11010519491231002X", &id, NULL), 0);
	assert_int_equal(idcard_age_on(&id, 1949, 12, 30), -1);
	assert_int_equal(idcard_age_on(&id, 1949, 12, 31), 0);
	assert_int_equal(idcard_age_on(&id, 1950, 12, 30), 0);
	assert_int_equal(idcard_age_on(&id, 1950, 12, 31), 1);
	assert_int_equal(idcard_age_on(&id, 2024, 12, 30), 74);
	assert_int_equal(idcard_age_on(&id, 2024, 12, 31), 75);
	assert_int_equal(idcard_age_on(&id, 2025, 1, 1), 75);

	char buf[19];
	make_id("11010520000229001", buf);
	assert_int_equal(idcard_parse(buf, &id, NULL), 0);
	assert_int_equal(idcard_age_on(&id, 2000, 2, 28), -1);
	assert_int_equal(idcard_age_on(&id, 2000, 2, 29), 0);
	assert_int_equal(idcard_age_on(&id, 2018, 2, 28), 17);
	assert_int_equal(idcard_age_on(&id, 2018, 3, 1), 18); /* non-leap: older on Mar 1 */
	assert_int_equal(idcard_age_on(&id, 2023, 2, 28), 22);
	assert_int_equal(idcard_age_on(&id, 2023, 3, 1), 23);
	assert_int_equal(idcard_age_on(&id, 2024, 2, 28), 23);
	assert_int_equal(idcard_age_on(&id, 2024, 2, 29), 24); /* leap: older on Feb 29 */

	/* Invalid reference dates and records never yield an age. */
	assert_int_equal(idcard_age_on(&id, 2023, 2, 29), -1);
	assert_int_equal(idcard_age_on(&id, 2024, 13, 1), -1);
	assert_int_equal(idcard_age_on(&id, 2024, 0, 1), -1);
	assert_int_equal(idcard_age_on(NULL, 2024, 1, 1), -1);
	struct idcard zero = { 0 };
	assert_int_equal(idcard_age_on(&zero, 2024, 1, 1), -1);
}

/* ---- unified social credit code -------------------------------------------------------------- */

static void test_uscc_valid(void **state)
{
	(void)state;
	char out[19];
	struct code_error err = { 0 };

	/*
	 * Hand computation for 91350100M000100Y4? (value x weight, running sum):
	 *   9x1=9, 1x3=3 (12), 3x9=27 (39), 5x27=135 (174), 0x19=0, 1x26=26 (200), 0x16, 0x17,
	 *   M=21 x20=420 (620), 0x29, 0x25, 0x13, 1x8=8 (628), 0x24, 0x10, Y=30 x30=900 (1528),
	 *   4x28=112 (1640). 1640 mod 31 = 28 (31*52 = 1612), 31 - 28 = 3, alphabet[3] = '3'.
	 */
	assert_int_equal(uscc_check_char("91350100M000100Y4"), '3');
	assert_int_equal(uscc_parse("91350100M000100Y43", out, &err), 0);
	assert_string_equal(out, "91350100M000100Y43");

	/* Real-world codes of registered enterprises, which the formula accepts. */
	assert_int_equal(uscc_parse("914403001922038216", out, &err), 0);
	assert_int_equal(uscc_parse("9144030071526726XG", out, &err), 0);
	assert_int_equal(uscc_parse("91110000802100433B", out, &err), 0);
	assert_int_equal(uscc_parse("91110000802100433B", NULL, NULL), 0);

	/*
	 * Codes built from the reference formula, sweeping one position through the whole alphabet
	 * so every check value (including 31 -> '0') shows up; each code is accepted and every
	 * other check character rejected.
	 */
	int seen[31] = { 0 };
	char code[19] = "91350100MA0000000?";
	for (int a = 0; a < 31; a++) {
		for (int b = 0; b < 31; b += 5) {
			code[16] = ref_uscc_alpha[a];
			code[15] = ref_uscc_alpha[b];
			code[17] = ref_uscc_check(code);
			code[18] = '\0';
			seen[ref_uscc_value(code[17])] = 1;
			char first17[18];
			memcpy(first17, code, 17);
			first17[17] = '\0';
			assert_int_equal(uscc_check_char(first17), code[17]);
			assert_int_equal(uscc_parse(code, out, &err), 0);
			assert_string_equal(out, code);
			for (int k = 0; k < 31; k++) {
				if (ref_uscc_alpha[k] == code[17])
					continue;
				char wrong[19];
				memcpy(wrong, code, sizeof wrong);
				wrong[17] = ref_uscc_alpha[k];
				assert_int_equal(uscc_parse(wrong, NULL, &err), -1);
				assert_string_equal(err.code, "bad_check");
			}
		}
	}
	for (int k = 0; k < 31; k++)
		assert_true(seen[k]);
}

static void test_uscc_lowercase(void **state)
{
	(void)state;
	char out[19];
	struct code_error err = { 0 };
	assert_int_equal(uscc_parse("91350100m000100y43", out, &err), 0);
	assert_string_equal(out, "91350100M000100Y43");
	assert_int_equal(uscc_parse("9144030071526726xg", out, &err), 0);
	assert_string_equal(out, "9144030071526726XG");
	assert_int_equal(uscc_check_char("91350100m000100y4"), '3');
}

static void test_uscc_bad_chars(void **state)
{
	(void)state;
	const char *banned = "IOSVZiosvz";
	for (const char *c = banned; *c; c++) {
		char code[19];
		memcpy(code, "91350100M000100Y43", sizeof code);
		code[8] = *c;
		expect_uscc_error(code, "bad_char");
		memcpy(code, "91350100M000100Y43", sizeof code);
		code[17] = *c; /* also as the check character */
		expect_uscc_error(code, "bad_char");
	}
	expect_uscc_error("91350100M000100Y4-", "bad_char");
	expect_uscc_error("91350100M000 00Y43", "bad_char");
	expect_uscc_error("91350100M000100Y4\xff", "bad_char");
	expect_uscc_error("统一社会信用代码", "bad_length"); /* 8 x 3 = 24 bytes */
	expect_uscc_error("北京大学出版社", "bad_length");   /* 7 x 3 = 21 bytes */
	expect_uscc_error("福建省福州市", "bad_char");       /* 6 x 3 = 18 bytes */
	assert_int_equal(uscc_check_char("91350100I000100Y4"), '\0');
}

static void test_uscc_bad_check_and_length(void **state)
{
	(void)state;
	expect_uscc_error("91350100M000100Y44", "bad_check");
	expect_uscc_error("91350100M000100Y40", "bad_check");
	expect_uscc_error("914403001922038215", "bad_check");
	expect_uscc_error("91350100M000100Y34", "bad_check"); /* transposition */
	expect_uscc_error(NULL, "null_input");
	expect_uscc_error("", "bad_length");
	expect_uscc_error("91350100M000100Y4", "bad_length");
	expect_uscc_error("91350100M000100Y433", "bad_length");
	expect_uscc_error(" 91350100M000100Y43", "bad_length");
	assert_int_equal(uscc_parse(NULL, NULL, NULL), -1);
	assert_int_equal(uscc_check_char(NULL), '\0');
	assert_int_equal(uscc_check_char(""), '\0');
	assert_int_equal(uscc_check_char("91350100M000100Y"), '\0');
	assert_int_equal(uscc_check_char("91350100M000100Y43"), '\0');
}

/* ---- division codes -------------------------------------------------------------------------- */

static void test_division_level_valid(void **state)
{
	(void)state;
	struct code_error err = { 0 };
	/* 江苏省 苏州市 姑苏区 金阊街道 养育巷社区 */
	assert_int_equal(division_level("320508019044", &err), DIV_VILLAGE);
	assert_int_equal(division_level("320508019000", &err), DIV_TOWNSHIP);
	assert_int_equal(division_level("320508000000", &err), DIV_COUNTY);
	assert_int_equal(division_level("320500000000", &err), DIV_PREFECTURE);
	assert_int_equal(division_level("320000000000", &err), DIV_PROVINCE);
	assert_int_equal(division_level("371500", &err), DIV_PREFECTURE);
	assert_int_equal(division_level("371502", &err), DIV_COUNTY);
	assert_int_equal(division_level("370000", &err), DIV_PROVINCE);
	assert_int_equal(division_level("110101", NULL), DIV_COUNTY);
	assert_int_equal(division_level("371502001002", NULL), DIV_VILLAGE);
}

static void test_division_level_invalid(void **state)
{
	(void)state;
	expect_div_error(NULL, "null_input");
	expect_div_error("", "bad_length");
	expect_div_error("37150", "bad_length");
	expect_div_error("3715020", "bad_length");
	expect_div_error("37150200100", "bad_length");
	expect_div_error("3715020010020", "bad_length");
	expect_div_error("37150a", "bad_char");
	expect_div_error("371502 01002", "bad_char");
	expect_div_error("山东省", "bad_length"); /* 3 x 3 = 9 bytes */
	expect_div_error("济南", "bad_char");     /* 2 x 3 = 6 bytes */
	expect_div_error("济南市历", "bad_char"); /* 4 x 3 = 12 bytes */
	expect_div_error("000000", "bad_province");
	expect_div_error("001502", "bad_province");
	expect_div_error("000000019044", "bad_province");
	expect_div_error("370015", "bad_structure");
	expect_div_error("370015000000", "bad_structure");
	expect_div_error("371500001000", "bad_structure");
	expect_div_error("370000001000", "bad_structure");
	expect_div_error("371500001002", "bad_structure");
	expect_div_error("371502000001", "bad_structure");
}

static void test_division_parent(void **state)
{
	(void)state;
	char out[13];
	const char *chain[] = { "320508019044", "320508019000", "320508000000", "320500000000",
		                "320000000000" };
	for (size_t i = 0; i + 1 < sizeof chain / sizeof chain[0]; i++) {
		assert_int_equal(division_parent(chain[i], out), 0);
		assert_string_equal(out, chain[i + 1]);
	}
	memset(out, 'Q', sizeof out);
	assert_int_equal(division_parent("320000000000", out), -1);
	assert_string_equal(out, "");

	assert_int_equal(division_parent("371502001002", out), 0);
	assert_string_equal(out, "371502001000");
	assert_int_equal(division_parent("371502001000", out), 0);
	assert_string_equal(out, "371502000000");
	assert_int_equal(division_parent("371502000000", out), 0);
	assert_string_equal(out, "371500000000");
	assert_int_equal(division_parent("371500000000", out), 0);
	assert_string_equal(out, "370000000000");

	assert_int_equal(division_parent("371502", out), 0);
	assert_string_equal(out, "371500");
	assert_int_equal(division_parent("371500", out), 0);
	assert_string_equal(out, "370000");
	assert_int_equal(division_parent("370000", out), -1);
	assert_string_equal(out, "");

	assert_int_equal(division_parent("370015", out), -1);
	assert_int_equal(division_parent("371500001000", out), -1);
	assert_int_equal(division_parent(NULL, out), -1);
	assert_int_equal(division_parent("", out), -1);
	assert_int_equal(division_parent("苏州市姑苏区", out), -1);
	assert_int_equal(division_parent("371502", NULL), -1);
}

static void test_division_kinds(void **state)
{
	(void)state;
	assert_int_equal(division_township_kind(0), 0);
	assert_int_equal(division_township_kind(1), 1);
	assert_int_equal(division_township_kind(19), 1);
	assert_int_equal(division_township_kind(99), 1);
	assert_int_equal(division_township_kind(100), 2);
	assert_int_equal(division_township_kind(199), 2);
	assert_int_equal(division_township_kind(200), 3);
	assert_int_equal(division_township_kind(399), 3);
	assert_int_equal(division_township_kind(400), 4);
	assert_int_equal(division_township_kind(599), 4);
	assert_int_equal(division_township_kind(600), 0);
	assert_int_equal(division_township_kind(-1), 0);
	assert_int_equal(division_township_kind(1000), 0);

	assert_int_equal(division_county_kind(0), 0);
	assert_int_equal(division_county_kind(1), 1);
	assert_int_equal(division_county_kind(20), 1);
	assert_int_equal(division_county_kind(21), 2);
	assert_int_equal(division_county_kind(80), 2);
	assert_int_equal(division_county_kind(81), 3);
	assert_int_equal(division_county_kind(99), 3);
	assert_int_equal(division_county_kind(100), 0);
	assert_int_equal(division_county_kind(-5), 0);
}

/* ---- grid codes ------------------------------------------------------------------------------ */

static void test_grid_check_valid(void **state)
{
	(void)state;
	struct code_error err = { 0 };
	const struct grid_code_rule *r = &grid_code_default_rule;
	assert_int_equal(r->comprehensive_min, 1);
	assert_int_equal(r->comprehensive_max, 599);
	assert_int_equal(r->dedicated_min, 601);
	assert_int_equal(r->dedicated_max, 999);

	assert_int_equal(grid_code_check(r, "320508019044001", NULL, GRID_COMPREHENSIVE, &err), 0);
	assert_int_equal(grid_code_check(r, "320508019044599", NULL, GRID_COMPREHENSIVE, &err), 0);
	assert_int_equal(grid_code_check(r, "320508019044601", NULL, GRID_DEDICATED, &err), 0);
	assert_int_equal(grid_code_check(r, "320508019044999", NULL, GRID_DEDICATED, &err), 0);
	assert_int_equal(
	        grid_code_check(r, "320508019044123", "320508019044", GRID_COMPREHENSIVE, &err), 0);
	/* NULL rule means the default rule. */
	assert_int_equal(grid_code_check(NULL, "320508019044700", NULL, GRID_DEDICATED, NULL), 0);
}

static void test_grid_check_errors(void **state)
{
	(void)state;
	const struct grid_code_rule *r = &grid_code_default_rule;
	expect_grid_error(r, NULL, NULL, GRID_COMPREHENSIVE, "null_input");
	expect_grid_error(r, "", NULL, GRID_COMPREHENSIVE, "bad_length");
	expect_grid_error(r, "32050801904400", NULL, GRID_COMPREHENSIVE, "bad_length");
	expect_grid_error(r, "3205080190440010", NULL, GRID_COMPREHENSIVE, "bad_length");
	expect_grid_error(r, "320508019044", NULL, GRID_COMPREHENSIVE, "bad_length");
	expect_grid_error(r, "32050801904400a", NULL, GRID_COMPREHENSIVE, "bad_char");
	expect_grid_error(r, "3205080190 4001", NULL, GRID_COMPREHENSIVE, "bad_char");
	expect_grid_error(r, "养育巷社区", NULL, GRID_COMPREHENSIVE, "bad_char"); /* 15 bytes */
	expect_grid_error(r, "320508019000001", NULL, GRID_COMPREHENSIVE,
	                  "bad_parent"); /* township */
	expect_grid_error(r, "320508000000001", NULL, GRID_COMPREHENSIVE,
	                  "bad_parent"); /* county */
	expect_grid_error(r, "370015000001001", NULL, GRID_COMPREHENSIVE, "bad_parent");
	expect_grid_error(r, "000000000001001", NULL, GRID_COMPREHENSIVE, "bad_parent");
	expect_grid_error(r, "320508019044001", "320508019045", GRID_COMPREHENSIVE, "wrong_parent");
	expect_grid_error(r, "320508019044001", "32050801904", GRID_COMPREHENSIVE, "wrong_parent");
	expect_grid_error(r, "320508019044001", "3205080190440", GRID_COMPREHENSIVE,
	                  "wrong_parent");
	expect_grid_error(r, "320508019044001", "", GRID_COMPREHENSIVE, "wrong_parent");
	expect_grid_error(r, "320508019044000", NULL, GRID_COMPREHENSIVE, "sequence_out_of_band");
	expect_grid_error(r, "320508019044600", NULL, GRID_COMPREHENSIVE, "sequence_out_of_band");
	expect_grid_error(r, "320508019044601", NULL, GRID_COMPREHENSIVE, "sequence_out_of_band");
	expect_grid_error(r, "320508019044000", NULL, GRID_DEDICATED, "sequence_out_of_band");
	expect_grid_error(r, "320508019044599", NULL, GRID_DEDICATED, "sequence_out_of_band");
	expect_grid_error(r, "320508019044600", NULL, GRID_DEDICATED, "sequence_out_of_band");
	expect_grid_error(r, "320508019044001", NULL, (enum grid_kind)0, "bad_kind");
	expect_grid_error(r, "320508019044001", NULL, (enum grid_kind)3, "bad_kind");
}

static void test_grid_custom_rule(void **state)
{
	(void)state;
	const struct grid_code_rule narrow = { .comprehensive_min = 1,
		                               .comprehensive_max = 99,
		                               .dedicated_min = 900,
		                               .dedicated_max = 949 };
	struct code_error err = { 0 };
	assert_int_equal(
	        grid_code_check(&narrow, "320508019044099", NULL, GRID_COMPREHENSIVE, &err), 0);
	expect_grid_error(&narrow, "320508019044100", NULL, GRID_COMPREHENSIVE,
	                  "sequence_out_of_band");
	assert_int_equal(grid_code_check(&narrow, "320508019044900", NULL, GRID_DEDICATED, &err),
	                 0);
	expect_grid_error(&narrow, "320508019044950", NULL, GRID_DEDICATED, "sequence_out_of_band");

	char out[16];
	assert_int_equal(grid_code_compose(&narrow, "320508019044", 949, GRID_DEDICATED, out), 0);
	assert_string_equal(out, "320508019044949");
	assert_int_equal(grid_code_compose(&narrow, "320508019044", 601, GRID_DEDICATED, out), -1);

	/* A misconfigured band wider than three digits must not produce a longer code. */
	const struct grid_code_rule wide = { .comprehensive_min = -10,
		                             .comprehensive_max = 5000,
		                             .dedicated_min = 5,
		                             .dedicated_max = 1 };
	assert_int_equal(grid_code_compose(&wide, "320508019044", 1000, GRID_COMPREHENSIVE, out),
	                 -1);
	assert_int_equal(grid_code_compose(&wide, "320508019044", -1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(&wide, "320508019044", 0, GRID_COMPREHENSIVE, out), 0);
	assert_string_equal(out, "320508019044000");
	assert_int_equal(grid_code_compose(&wide, "320508019044", 3, GRID_DEDICATED, out), -1);
}

static void test_grid_compose(void **state)
{
	(void)state;
	const struct grid_code_rule *r = &grid_code_default_rule;
	char out[16];
	assert_int_equal(grid_code_compose(r, "320508019044", 1, GRID_COMPREHENSIVE, out), 0);
	assert_string_equal(out, "320508019044001");
	assert_int_equal(grid_code_check(r, out, "320508019044", GRID_COMPREHENSIVE, NULL), 0);
	assert_int_equal(grid_code_compose(r, "320508019044", 42, GRID_COMPREHENSIVE, out), 0);
	assert_string_equal(out, "320508019044042");
	assert_int_equal(grid_code_compose(r, "320508019044", 599, GRID_COMPREHENSIVE, out), 0);
	assert_string_equal(out, "320508019044599");
	assert_int_equal(grid_code_compose(r, "320508019044", 601, GRID_DEDICATED, out), 0);
	assert_string_equal(out, "320508019044601");
	assert_int_equal(grid_code_check(r, out, "320508019044", GRID_DEDICATED, NULL), 0);
	assert_int_equal(grid_code_compose(NULL, "371502001002", 999, GRID_DEDICATED, out), 0);
	assert_string_equal(out, "371502001002999");

	memset(out, 'Q', sizeof out);
	assert_int_equal(grid_code_compose(r, "320508019044", 600, GRID_COMPREHENSIVE, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(grid_code_compose(r, "320508019044", 600, GRID_DEDICATED, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019044", 0, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019044", 1000, GRID_DEDICATED, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019044", 700, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019044", 1, (enum grid_kind)9, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019000", 1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "320508", 1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "3205080190441", 1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, NULL, 1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "养育巷社区", 1, GRID_COMPREHENSIVE, out), -1);
	assert_int_equal(grid_code_compose(r, "320508019044", 1, GRID_COMPREHENSIVE, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idcard_valid_vectors),
		cmocka_unit_test(test_idcard_lowercase_x),
		cmocka_unit_test(test_idcard_bad_check),
		cmocka_unit_test(test_idcard_bad_dates),
		cmocka_unit_test(test_idcard_bad_length_and_chars),
		cmocka_unit_test(test_idcard_upgrade_15),
		cmocka_unit_test(test_idcard_check_char),
		cmocka_unit_test(test_idcard_age_on),
		cmocka_unit_test(test_uscc_valid),
		cmocka_unit_test(test_uscc_lowercase),
		cmocka_unit_test(test_uscc_bad_chars),
		cmocka_unit_test(test_uscc_bad_check_and_length),
		cmocka_unit_test(test_division_level_valid),
		cmocka_unit_test(test_division_level_invalid),
		cmocka_unit_test(test_division_parent),
		cmocka_unit_test(test_division_kinds),
		cmocka_unit_test(test_grid_check_valid),
		cmocka_unit_test(test_grid_check_errors),
		cmocka_unit_test(test_grid_custom_rule),
		cmocka_unit_test(test_grid_compose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
