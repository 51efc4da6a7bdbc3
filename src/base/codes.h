/*
 * Validation of the national identifier codes a grid-management system receives from residents,
 * organisations and higher-level systems: the resident ID number (GB 11643-1999), the unified
 * social credit code (GB 32100-2015), administrative division codes (GB/T 2260 and the 12-digit
 * statistical township/village extension) and the project's own grid codes built on top of them.
 * Everything here is pure computation on caller-supplied strings, holds no state and allocates
 * nothing, so it is safe to call from any thread and on any untrusted input; failures come back as
 * a stable ASCII code the API layer can map, plus a Chinese message that can be shown to the user
 * as is.
 */
#ifndef WANGGE_BASE_CODES_H
#define WANGGE_BASE_CODES_H

/*
 * Result of a failed check: a stable machine code (ASCII, e.g. "bad_length") and a Chinese message.
 * Both point to static strings: never free them, they stay valid for the life of the program.
 */
struct code_error {
	const char *code;
	const char *message;
};

/* The resident ID number (GB 11643-1999) lives in base/idcard.h. */

/*
 * Unified social credit code, GB 32100-2015: 18 chars from 0123456789ABCDEFGHJKLMNPQRTUWXY
 * (no I O S V Z); check = 31 - (sum value*weight mod 31), weights
 * 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, 31 maps to 0. Lowercase input is accepted and
 * normalized to uppercase into `out` (19 bytes, NUL-terminated; may be NULL to validate only).
 * Returns 0, or -1 with *err (if non-NULL) and `out` set to "". Error codes: "null_input",
 * "bad_length", "bad_char", "bad_check".
 */
int uscc_parse(const char *in, char out[19], struct code_error *err);

/*
 * Check character for the first 17 characters of a USCC (lowercase accepted). Returns '\0' if
 * `first17` is NULL or is not exactly 17 characters from the code's alphabet.
 */
char uscc_check_char(const char *first17);

/*
 * Division codes. GB/T 2260 6-digit (province 2, prefecture 2, county 2) and the 12-digit
 * statistical code (6 + township 3 + village 3).
 */
enum division_level {
	DIV_INVALID = 0,
	DIV_PROVINCE = 1,
	DIV_PREFECTURE = 2,
	DIV_COUNTY = 3,
	DIV_TOWNSHIP = 4,
	DIV_VILLAGE = 5
};

/*
 * Level of a 6- or 12-digit code by its trailing zero groups: XX0000 province, XXXX00 prefecture,
 * XXXXXX county (6 digits); 12 digits: ...000000 -> level of the 6-digit prefix, ...XXX000
 * township, otherwise village. Returns DIV_INVALID (and fills err if non-NULL) for wrong length,
 * non-digits, a zero province part, or inconsistent zero groups such as 370015 (prefecture 00 with
 * a county part) or 371500001000 where the 6-digit part is not a county. Only the structure is
 * checked, not membership in the published code lists. Error codes: "null_input", "bad_length",
 * "bad_char", "bad_province", "bad_structure".
 */
enum division_level division_level(const char *code, struct code_error *err);

/*
 * Parent code in the same length family (12-digit codes keep 12 digits: 371502001002 ->
 * 371502001000, 371502001000 -> 371502000000, 371502000000 -> 371500000000, 371500000000 ->
 * 370000000000; 6-digit: 371502 -> 371500 -> 370000). Writes into `out` (13 bytes) and returns 0,
 * or returns -1 for a province, an invalid code or a NULL `out`; on -1 a non-NULL `out` is "".
 */
int division_parent(const char *code, char out[13]);

/*
 * Kind of a township by its 3-digit part: 001-099 street (jiedao, 1), 100-199 town (zhen, 2),
 * 200-399 township (xiang, 3), 400-599 other township-level units (4); 0 if out of range.
 */
int division_township_kind(int township_part);

/*
 * County kind by its 2-digit part: 01-20 city district (1), 21-80 county (2), 81-99 county-level
 * city (3); 0 otherwise.
 */
int division_county_kind(int county_part);

/*
 * Grid code: default rule is the 12-digit village/community statistical code + 3-digit sequence
 * (15 digits); comprehensive grids 001-599, dedicated grids 601-999. The bands are configurable.
 */
enum grid_kind { GRID_COMPREHENSIVE = 1, GRID_DEDICATED = 2 };

struct grid_code_rule {
	int comprehensive_min, comprehensive_max; /* defaults 1, 599 */
	int dedicated_min, dedicated_max;         /* defaults 601, 999 */
};

extern const struct grid_code_rule grid_code_default_rule;

/*
 * Validates a grid code against the rule (NULL means grid_code_default_rule): 15 digits, its first
 * 12 a village-level statistical code (division_level == DIV_VILLAGE), and the sequence within the
 * band of `kind`. If `community` is non-NULL the first 12 digits must equal it. Returns 0 or -1
 * with *err (if non-NULL). Error codes: "null_input", "bad_length", "bad_char", "bad_parent"
 * (prefix not a village code), "wrong_parent" (prefix differs from `community`), "bad_kind",
 * "sequence_out_of_band".
 */
int grid_code_check(const struct grid_code_rule *rule, const char *code, const char *community,
                    enum grid_kind kind, struct code_error *err);

/*
 * Composes community + 3-digit sequence into `out` (16 bytes) and returns 0. Returns -1 (with a
 * non-NULL `out` set to "") if `out` is NULL, `community` is not a village-level code, `kind` is
 * unknown, or the sequence is outside the kind's band or outside 0-999. `rule` NULL means
 * grid_code_default_rule.
 */
int grid_code_compose(const struct grid_code_rule *rule, const char *community, int sequence,
                      enum grid_kind kind, char out[16]);

#include "base/banned.h"

#endif
