/*
 * The resident ID number (居民身份证号码, GB 11643-1999): 6-digit address code (the registration
 * county when the card was issued; it may be retired since, so only its shape is checked, never
 * against today's divisions), 8-digit birth date, 3-digit sequence (odd for men, even for women)
 * and the ISO 7064 MOD 11-2 check character ('X' for ten). Old 15-digit numbers (6 + YYMMDD + 3,
 * issued to people born in the 1900s) are upgraded to 18 digits with "19" and a computed check
 * character. Pure computation on caller-supplied text: no state, no allocation, safe on any input
 * and from any thread. Used by the user accounts, the worker registry and, later, the people
 * registry; failures come back as a stable ASCII code and a Chinese message for the user.
 */
#ifndef WANGGE_BASE_IDCARD_H
#define WANGGE_BASE_IDCARD_H

#include "base/codes.h" /* struct code_error */

#define IDCARD_DATE_LEN 10 /* "YYYY-MM-DD" */

struct idcard {
	char number[19];  /* normalized 18-char form, uppercase X */
	char division[7]; /* first 6 digits */
	int birth_year, birth_month, birth_day;
	int sex; /* 1 male (odd sequence), 2 female (even) */
};

/*
 * Validates an 18-character ID (lowercase x accepted, stored as X): 17 digits, a 6-digit address
 * code whose first two digits are a province of GB/T 2260, a real birth date (Gregorian leap
 * years, year >= 1850, not after today's date in China Standard Time, UTC+8) and the check
 * character. A 15-digit old-format number is accepted and upgraded: "19" is inserted before the
 * 2-digit year and the check character is computed. No surrounding whitespace is trimmed. `in`
 * may be NULL (error "null_input"); `out` may be NULL to validate only; `err` may be NULL. Returns
 * 0 and fills *out, or -1, zeroes *out and fills *err. Error codes: "null_input", "bad_length",
 * "bad_char", "bad_region", "bad_date", "date_out_of_range", "bad_check".
 * This one reads the system clock for "today"; domain code uses idcard_parse_on with its x->now.
 */
int idcard_parse(const char *in, struct idcard *out, struct code_error *err);

/*
 * Same as idcard_parse but with "today" given explicitly, so that the result does not depend on
 * the clock (the domain's request time, tests, batch re-validation of historical records). An
 * invalid today date yields -1 with "bad_date".
 */
int idcard_parse_on(const char *in, int today_year, int today_month, int today_day,
                    struct idcard *out, struct code_error *err);

/*
 * Check character for the first 17 digits: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
 * sum mod 11 = R, check = "10X98765432"[R]. Returns '\0' if `first17` is NULL or is not exactly
 * 17 ASCII digits.
 */
char idcard_check_char(const char *first17);

/*
 * Full years of age on the given date; a person born on Feb 29 turns a year older on Mar 1 in
 * non-leap years. Returns -1 if the date is before birth, if `id` is NULL or holds an invalid birth
 * date, or if the given date is not a real calendar date.
 */
int idcard_age_on(const struct idcard *id, int year, int month, int day);

/* The birth date as "YYYY-MM-DD" into out (IDCARD_DATE_LEN + 1 bytes). Returns out. */
const char *idcard_birth_date(const struct idcard *id, char out[IDCARD_DATE_LEN + 1]);

/* "M" (odd sequence digit) or "F" (even). */
const char *idcard_sex_code(const struct idcard *id);

/* 1 when the first two digits of a 6-digit address code name a province-level division of
   GB/T 2260 (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82). */
int idcard_province_valid(const char *division);

#include "base/banned.h"
#endif
