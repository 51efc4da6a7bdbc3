/*
 * Validators for unified social credit codes, division codes and grid codes.
 * Input comes straight from forms and imports, so every function first measures the string with a
 * bounded scan (a megabyte of pasted text is rejected after reading one byte past the longest valid
 * length), then classifies bytes with explicit ASCII ranges rather than <ctype.h>, whose answers
 * depend on the locale and are undefined for the negative chars that UTF-8 text produces.
 * Error messages are static Chinese strings meant to be shown to the user unchanged.
 */
#include <stddef.h>
#include <string.h>

#include "base/codes.h"

const struct grid_code_rule grid_code_default_rule = {
	.comprehensive_min = 1,
	.comprehensive_max = 599,
	.dedicated_min = 601,
	.dedicated_max = 999,
};

static void set_err(struct code_error *err, const char *code, const char *message)
{
	if (err) {
		err->code = code;
		err->message = message;
	}
}

/* Length of s, but stops counting once it exceeds max: the answer is exact up to max and max + 1
 * means "too long", which is all the callers need. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Caller guarantees n ASCII digits with n <= 4, so the value fits an int. */
static int digits_value(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* ---- Unified social credit code -------------------------------------------------------------- */

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Value 0-30 of a code character, lowercase accepted; -1 for anything else (including the
 * excluded letters I O S V Z and every non-ASCII byte). */
static int uscc_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == '\0')
		return -1;
	const char *p = memchr(uscc_alphabet, c, sizeof uscc_alphabet - 1);
	return p ? (int)(p - uscc_alphabet) : -1;
}

/* Caller guarantees 17 characters from the alphabet. */
static char uscc_check_core(const char *s)
{
	static const int weights[17] = { 1,  3,  9,  27, 19, 26, 16, 17, 20,
		                         29, 25, 13, 8,  24, 10, 30, 28 };
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += uscc_value(s[i]) * weights[i];
	int check = 31 - sum % 31;
	return uscc_alphabet[check == 31 ? 0 : check];
}

static int uscc_all_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (uscc_value(s[i]) < 0)
			return 0;
	return 1;
}

char uscc_check_char(const char *first17)
{
	if (!first17 || bounded_len(first17, 17) != 17 || !uscc_all_valid(first17, 17))
		return '\0';
	return uscc_check_core(first17);
}

int uscc_parse(const char *in, char out[19], struct code_error *err)
{
	if (out)
		out[0] = '\0';
	if (!in) {
		set_err(err, "null_input", "统一社会信用代码为空");
		return -1;
	}
	if (bounded_len(in, 18) != 18) {
		set_err(err, "bad_length", "统一社会信用代码应为18位");
		return -1;
	}
	if (!uscc_all_valid(in, 18)) {
		set_err(err, "bad_char",
		        "统一社会信用代码含有非法字符（只能是数字和除I、O、S、V、Z以外的大写字母"
		        "）");
		return -1;
	}
	char norm[19];
	for (int i = 0; i < 18; i++)
		norm[i] = uscc_alphabet[uscc_value(in[i])];
	norm[18] = '\0';
	if (norm[17] != uscc_check_core(norm)) {
		set_err(err, "bad_check", "统一社会信用代码校验位错误，请核对代码");
		return -1;
	}
	if (out)
		memcpy(out, norm, sizeof norm);
	return 0;
}

/* ---- Division codes -------------------------------------------------------------------------- */

/* Level of the 6-digit GB/T 2260 part; the province part is already known to be non-zero. */
static enum division_level six_digit_level(const char *code)
{
	int prefecture = digits_value(code + 2, 2);
	int county = digits_value(code + 4, 2);
	if (prefecture == 0 && county == 0)
		return DIV_PROVINCE;
	if (prefecture == 0)
		return DIV_INVALID;
	return county == 0 ? DIV_PREFECTURE : DIV_COUNTY;
}

enum division_level division_level(const char *code, struct code_error *err)
{
	if (!code) {
		set_err(err, "null_input", "行政区划代码为空");
		return DIV_INVALID;
	}
	size_t len = bounded_len(code, 12);
	if (len != 6 && len != 12) {
		set_err(err, "bad_length", "行政区划代码应为6位或12位数字");
		return DIV_INVALID;
	}
	if (!all_digits(code, len)) {
		set_err(err, "bad_char", "行政区划代码只能包含数字");
		return DIV_INVALID;
	}
	if (digits_value(code, 2) == 0) {
		set_err(err, "bad_province", "行政区划代码的省级部分不能为00");
		return DIV_INVALID;
	}
	enum division_level six = six_digit_level(code);
	if (six == DIV_INVALID) {
		set_err(err, "bad_structure",
		        "行政区划代码层级不一致：地级部分为00但县级部分不为00");
		return DIV_INVALID;
	}
	if (len == 6)
		return six;

	int township = digits_value(code + 6, 3);
	int village = digits_value(code + 9, 3);
	if (township == 0 && village == 0)
		return six;
	if (township == 0) {
		set_err(err, "bad_structure",
		        "行政区划代码层级不一致：乡级部分为000但村级部分不为000");
		return DIV_INVALID;
	}
	/* Townships and villages hang only under county-level units. */
	if (six != DIV_COUNTY) {
		set_err(err, "bad_structure",
		        "行政区划代码层级不一致：乡村级代码的前6位必须是县级代码");
		return DIV_INVALID;
	}
	return village == 0 ? DIV_TOWNSHIP : DIV_VILLAGE;
}

int division_parent(const char *code, char out[13])
{
	if (!out)
		return -1;
	out[0] = '\0';
	enum division_level level = division_level(code, NULL);
	size_t start, count;
	switch (level) {
	case DIV_VILLAGE: start = 9, count = 3; break;
	case DIV_TOWNSHIP: start = 6, count = 3; break;
	case DIV_COUNTY: start = 4, count = 2; break;
	case DIV_PREFECTURE: start = 2, count = 2; break;
	case DIV_PROVINCE:
	case DIV_INVALID:
	default: return -1;
	}
	/* division_level accepted it, so code is exactly 6 or 12 digits. */
	size_t len = bounded_len(code, 12);
	memcpy(out, code, len);
	memset(out + start, '0', count);
	out[len] = '\0';
	return 0;
}

int division_township_kind(int township_part)
{
	if (township_part >= 1 && township_part <= 99)
		return 1;
	if (township_part >= 100 && township_part <= 199)
		return 2;
	if (township_part >= 200 && township_part <= 399)
		return 3;
	if (township_part >= 400 && township_part <= 599)
		return 4;
	return 0;
}

int division_county_kind(int county_part)
{
	if (county_part >= 1 && county_part <= 20)
		return 1;
	if (county_part >= 21 && county_part <= 80)
		return 2;
	if (county_part >= 81 && county_part <= 99)
		return 3;
	return 0;
}

/* ---- Grid codes ------------------------------------------------------------------------------ */

static int grid_band(const struct grid_code_rule *rule, enum grid_kind kind, int *min, int *max)
{
	if (!rule)
		rule = &grid_code_default_rule;
	switch (kind) {
	case GRID_COMPREHENSIVE:
		*min = rule->comprehensive_min;
		*max = rule->comprehensive_max;
		return 0;
	case GRID_DEDICATED:
		*min = rule->dedicated_min;
		*max = rule->dedicated_max;
		return 0;
	default: return -1;
	}
}

/* The 12-digit prefix of a grid code is not NUL-terminated on its own, so it is copied out before
 * asking division_level. */
static int is_village_prefix(const char *s)
{
	char prefix[13];
	memcpy(prefix, s, 12);
	prefix[12] = '\0';
	return division_level(prefix, NULL) == DIV_VILLAGE;
}

int grid_code_check(const struct grid_code_rule *rule, const char *code, const char *community,
                    enum grid_kind kind, struct code_error *err)
{
	int min, max;
	if (!code) {
		set_err(err, "null_input", "网格编码为空");
		return -1;
	}
	if (grid_band(rule, kind, &min, &max) != 0) {
		set_err(err, "bad_kind", "网格类型无效");
		return -1;
	}
	if (bounded_len(code, 15) != 15) {
		set_err(err, "bad_length", "网格编码应为15位数字");
		return -1;
	}
	if (!all_digits(code, 15)) {
		set_err(err, "bad_char", "网格编码只能包含数字");
		return -1;
	}
	if (!is_village_prefix(code)) {
		set_err(err, "bad_parent", "网格编码前12位不是有效的村（社区）级区划代码");
		return -1;
	}
	if (community && (bounded_len(community, 12) != 12 || memcmp(code, community, 12) != 0)) {
		set_err(err, "wrong_parent", "网格编码不属于指定的村（社区）");
		return -1;
	}
	int sequence = digits_value(code + 12, 3);
	if (sequence < min || sequence > max) {
		set_err(err, "sequence_out_of_band",
		        kind == GRID_COMPREHENSIVE ? "网格序号超出综合网格的编号范围"
		                                   : "网格序号超出专属网格的编号范围");
		return -1;
	}
	return 0;
}

int grid_code_compose(const struct grid_code_rule *rule, const char *community, int sequence,
                      enum grid_kind kind, char out[16])
{
	int min, max;
	if (!out)
		return -1;
	out[0] = '\0';
	if (!community || division_level(community, NULL) != DIV_VILLAGE ||
	    bounded_len(community, 12) != 12)
		return -1;
	if (grid_band(rule, kind, &min, &max) != 0)
		return -1;
	/* A misconfigured rule must still never yield a code longer than 15 digits. */
	if (sequence < min || sequence > max || sequence < 0 || sequence > 999)
		return -1;
	memcpy(out, community, 12);
	out[12] = (char)('0' + sequence / 100);
	out[13] = (char)('0' + sequence / 10 % 10);
	out[14] = (char)('0' + sequence % 10);
	out[15] = '\0';
	return 0;
}
