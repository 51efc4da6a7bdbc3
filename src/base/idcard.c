/*
 * The resident ID number (idcard.h). Input comes straight from forms and imports, so the string is
 * first measured with a bounded scan (a megabyte of pasted text is rejected after reading one byte
 * past the longest valid length), then bytes are classified with explicit ASCII ranges rather than
 * <ctype.h>, whose answers depend on the locale. Messages are static Chinese strings shown to the
 * user unchanged. Calendar arithmetic is base/clock.h's.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/idcard.h"

/* China has had a single time zone without daylight saving since 1991, so a fixed offset gives the
 * local date regardless of how the server's TZ is configured. */
enum { CHINA_UTC_OFFSET_SECONDS = 8 * 3600 };
enum { IDCARD_MIN_BIRTH_YEAR = 1850 };

static void set_err(struct code_error *err, const char *code, const char *message)
{
	if (err) {
		err->code = code;
		err->message = message;
	}
}

/* Length of s, but stops counting once it exceeds max: exact up to max, max + 1 means "too long".
 */
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

static int valid_date(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && clock_valid_date(year, month, day);
}

static int date_cmp(int y1, int m1, int d1, int y2, int m2, int d2)
{
	if (y1 != y2)
		return y1 < y2 ? -1 : 1;
	if (m1 != m2)
		return m1 < m2 ? -1 : 1;
	if (d1 != d2)
		return d1 < d2 ? -1 : 1;
	return 0;
}

int idcard_province_valid(const char *division)
{
	/* GB/T 2260 province-level codes; the list has not changed since 1997 (重庆 50). */
	static const int provinces[] = { 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
		                         35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
		                         53, 54, 61, 62, 63, 64, 65, 71, 81, 82 };
	int p;

	if (!division || bounded_len(division, 2) < 2 || !all_digits(division, 2))
		return 0;
	p = digits_value(division, 2);
	for (size_t i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
		if (provinces[i] == p)
			return 1;
	return 0;
}

const char *idcard_birth_date(const struct idcard *id, char out[IDCARD_DATE_LEN + 1])
{
	unsigned y = (unsigned)id->birth_year % 10000u, m = (unsigned)id->birth_month % 100u,
	         d = (unsigned)id->birth_day % 100u;

	(void)snprintf(out, IDCARD_DATE_LEN + 1, "%04u-%02u-%02u", y, m, d);
	return out;
}

const char *idcard_sex_code(const struct idcard *id)
{
	return id && id->sex == 1 ? "M" : "F";
}

/* Caller guarantees 17 ASCII digits. */
static char idcard_check_core(const char *digits)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char checks[] = "10X98765432";
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (digits[i] - '0') * weights[i];
	return checks[sum % 11];
}

char idcard_check_char(const char *first17)
{
	if (!first17 || bounded_len(first17, 17) != 17 || !all_digits(first17, 17))
		return '\0';
	return idcard_check_core(first17);
}

/* has_today == 0 means the clock could not be read: the future-date check is then skipped rather
 * than rejecting every resident because of a server problem. */
static int idcard_parse_core(const char *in, int has_today, int ty, int tm, int td,
                             struct idcard *out, struct code_error *err)
{
	char number[19];
	size_t len = bounded_len(in, 18);

	if (len == 18) {
		if (!all_digits(in, 17)) {
			set_err(err, "bad_char", "身份证号码前17位只能是数字");
			return -1;
		}
		char last = in[17] == 'x' ? 'X' : in[17];
		if (!is_digit(last) && last != 'X') {
			set_err(err, "bad_char", "身份证号码最后一位只能是数字或X");
			return -1;
		}
		memcpy(number, in, 17);
		number[17] = last;
	} else if (len == 15) {
		if (!all_digits(in, 15)) {
			set_err(err, "bad_char", "15位身份证号码只能包含数字");
			return -1;
		}
		/* Old-format numbers were issued only to people born in the 1900s, hence the fixed
		 * "19". */
		memcpy(number, in, 6);
		number[6] = '1';
		number[7] = '9';
		memcpy(number + 8, in + 6, 9);
		number[17] = idcard_check_core(number);
	} else {
		set_err(err, "bad_length", "身份证号码应为18位（或15位旧号码）");
		return -1;
	}
	number[18] = '\0';
	if (!idcard_province_valid(number)) {
		set_err(err, "bad_region", "身份证号码前6位不是有效的行政区划代码");
		return -1;
	}

	int year = digits_value(number + 6, 4);
	int month = digits_value(number + 10, 2);
	int day = digits_value(number + 12, 2);
	if (!valid_date(year, month, day)) {
		set_err(err, "bad_date", "身份证号码中的出生日期不是有效日期");
		return -1;
	}
	if (year < IDCARD_MIN_BIRTH_YEAR) {
		set_err(err, "date_out_of_range", "身份证号码中的出生年份早于1850年");
		return -1;
	}
	if (has_today && date_cmp(year, month, day, ty, tm, td) > 0) {
		set_err(err, "date_out_of_range", "身份证号码中的出生日期晚于当前日期");
		return -1;
	}
	if (number[17] != idcard_check_core(number)) {
		set_err(err, "bad_check", "身份证号码校验位错误，请核对号码");
		return -1;
	}

	if (out) {
		memcpy(out->number, number, sizeof out->number);
		memcpy(out->division, number, 6);
		out->division[6] = '\0';
		out->birth_year = year;
		out->birth_month = month;
		out->birth_day = day;
		out->sex = (number[16] - '0') % 2 == 1 ? 1 : 2;
	}
	return 0;
}

int idcard_parse_on(const char *in, int today_year, int today_month, int today_day,
                    struct idcard *out, struct code_error *err)
{
	/* Zeroed up front (the core writes *out only on success), so a caller that ignores the
	 * return value never sees stale data. */
	if (out)
		memset(out, 0, sizeof *out);
	if (!in) {
		set_err(err, "null_input", "身份证号码为空");
		return -1;
	}
	if (!valid_date(today_year, today_month, today_day)) {
		set_err(err, "bad_date", "参考日期无效");
		return -1;
	}
	return idcard_parse_core(in, 1, today_year, today_month, today_day, out, err);
}

int idcard_parse(const char *in, struct idcard *out, struct code_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!in) {
		set_err(err, "null_input", "身份证号码为空");
		return -1;
	}
	int has_today = 0;
	struct tm today = { 0 };
	time_t now = time(NULL);
	if (now != (time_t)-1) {
		time_t china = now + CHINA_UTC_OFFSET_SECONDS;
		has_today = gmtime_r(&china, &today) != NULL;
	}
	return idcard_parse_core(in, has_today, today.tm_year + 1900, today.tm_mon + 1,
	                         today.tm_mday, out, err);
}

int idcard_age_on(const struct idcard *id, int year, int month, int day)
{
	if (!id || !valid_date(id->birth_year, id->birth_month, id->birth_day) ||
	    !valid_date(year, month, day))
		return -1;
	if (date_cmp(year, month, day, id->birth_year, id->birth_month, id->birth_day) < 0)
		return -1;
	int age = year - id->birth_year;
	/* Plain (month, day) ordering already makes a Feb 29 birthday count from Mar 1 in non-leap
	 * years: Feb 28 sorts before Feb 29 and Mar 1 after it. */
	if (date_cmp(0, month, day, 0, id->birth_month, id->birth_day) < 0)
		age--;
	return age;
}
