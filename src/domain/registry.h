/*
 * The basic-information registry (基础信息, issue 12; R3(1)(2)(5), R4): houses (房屋), units (单位)
 * and people (实有人口), which Art. 13(1) makes a grid worker's first duty to collect and keep.
 *
 *   - Every house, unit and person lies in one grid (an active grid inside the caller's scope,
 *     chosen on create; a person's grid follows the house they live in). Rows carry the grid's id
 *     and its community's path, so reads and writes are scoped in SQL (dom_scope_sql: a grid
 *     worker sees only their grids). Out of scope answers 404.
 *   - A person's ID number (or a foreigner's passport number) and phone are sealed at rest
 *     (domain/sealed.h: people.id_number with its blind index for exact lookup, people.phone),
 *     and leave masked (domain/sensitive.h, entity "person") unless unmasked with a reason.
 *   - Dynamic information: every change of a person (registered, born, moved in, moved out,
 *     died, workplace, tags, basic fields) appends a dated row to person_events (append-only);
 *     the people row is the current view, and the residents of a house on any past date are
 *     computed from the dated residence records (house_residents).
 *   - Care tags (独居老人, 残疾人, 低保 ...) and key-people categories (社区矫正对象, 刑满释放人员,
 *     吸毒戒断人员, 严重精神障碍患者) have the date entered and the date left; current views read
 *     only those not left. A key person's record is sensitive personal data: it is read only
 *     with person.key_read and a stated reason, and every such read is in the audit trail
 *     ("person.key_read", with the reason). Callers without it get 403 for a key person and do
 *     not see key people in lists. Setting or clearing a key category needs person.key_read too.
 *   - Per-grid counters (grid_registry_stats) are updated in the same transaction as each change.
 *
 * Dates are "YYYY-MM-DD" (Asia/Shanghai calendar dates); times are UTC seconds rendered as
 * RFC 3339 +08:00 by the JSON functions.
 */
#ifndef WANGGE_DOMAIN_REGISTRY_H
#define WANGGE_DOMAIN_REGISTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"
#include "base/vault.h"
#include "domain/dom.h"

#define REGISTRY_TEXT_CHARS 100 /* names, addresses */
#define REGISTRY_TAGS_MAX 16    /* tags entered or left in one change */

/* ---- codes and their labels: *_parse accept the code or the Chinese label, NULL otherwise ---- */

const char *house_type_parse(const char *s); /* dwelling 住宅, shop 商铺, office 办公, ... */
const char *house_use_parse(const char *s); /* self 自住, rent 出租, vacant 空置, business 经营 */
const char *unit_kind_parse(const char *s); /* enterprise 企业, shop 商户, school 学校, ... */
const char *person_reg_type_parse(const char *s); /* huji 户籍, floating 流动, foreign 境外 */
const char *person_relation_parse(const char *s); /* head 户主, spouse 配偶, child 子女, ... */
/* A care tag or key-people category: the code, and *kind "care" or "key". NULL when unknown. */
const char *person_tag_parse(const char *s, const char **kind);
/* The Chinese label of any of the codes above ("" when unknown). A unit kind shares the code
   shop with a house type (商户, 商铺): units use unit_kind_label. */
const char *registry_label(const char *code);
const char *unit_kind_label(const char *code);

/* ---- houses ---- */

struct house_input {
	const char *grid; /* 15-digit code, required */
	const char *address;
	const char *building, *unit_no, *room; /* optional */
	const char *type, *use;                /* codes or labels; required */
	const char *date; /* the date the use began (house_uses; default today, not later) */
	int has_location; /* lng, lat given (WGS84; the API found grid from them when not chosen) */
	double lng, lat;
};
/* 0 and *id, or -1 with e: 400 bad_field / bad_grid / bad_type / bad_use / bad_date. */
int house_create(const struct dom_ctx *x, const struct house_input *in, int64_t *id,
                 struct dom_err *e);
/* house_create's checks and insert inside a write the caller runs (the houses import: many in
   one audited write). Same errors. */
int house_insert(struct store_conn *c, const struct dom_ctx *x, const struct house_input *in,
                 int64_t *id, struct dom_err *e);
/* The house as JSON, or NULL with e (404 when missing or out of scope). */
json_t *house_get(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* Keyset page of the houses in scope, optionally of one grid (code). */
json_t *house_list(const struct dom_ctx *x, const char *grid, const struct dom_page *pg,
                   struct dom_err *e);
/* Calls fn with each item of an export (fn does not keep the object), stopping at fn's
   non-zero answer. */
typedef int (*registry_each_fn)(const json_t *item, void *arg);
/* Calls fn with each house in scope (of grid, when given) as house_list answers it, with
   use_since (the date its current use began), in the list's order. 0, or -1 with e: 400
   bad_param (malformed grid), 413 too_many_rows when more than max houses match (before fn has
   seen them all: the caller discards what it made). */
int house_each(const struct dom_ctx *x, const char *grid, int64_t max, registry_each_fn fn,
               void *arg, struct dom_err *e);
/*
 * The residents of house id on date (NULL: today), computed from the dated residence records:
 * people whose last residence record (moved in, born, moved out, died) on or before date moved
 * them into this house. Key people are included only when with_key (the caller holds
 * person.key_read and gave a reason; see person_key_access). {"date", "items": [...]} or NULL.
 */
json_t *house_residents(const struct dom_ctx *x, int64_t id, const char *date, int with_key,
                        struct dom_err *e);

/* A change of a house (PATCH). NULL: unchanged. */
struct house_change {
	const char *address;
	const char *building, *unit_no, *room; /* "" clears */
	const char *type, *use;                /* codes or labels */
	const char *grid; /* 15-digit code: moves the house (and its residents) */
	const char *date; /* with use: the date the new use took effect (default today) */
	int64_t version;  /* required: the version the change was made on */
};
/*
 * Changes house id (registry.write; registry_edit.c). A new use is a dated fact: appended to
 * house_uses with its date (not before the current use's). A new grid (active, in the caller's
 * scope) moves the house and its present residents: their grid and path follow, and the houses
 * counter and the residents' contributions move from one grid's counters to the other's. 0, or -1
 * with e: 400 bad_field / bad_type / bad_use / bad_grid / bad_date; 403 key_person (moving a house
 * a key person lives in without person.key_read); 404 house or grid missing or out of scope; 409
 * version_conflict (version is not the stored one).
 */
int house_update(const struct dom_ctx *x, int64_t id, const struct house_change *in,
                 struct dom_err *e);

/* ---- units ---- */

struct unit_input {
	const char *grid, *name, *credit_code, *kind, *address; /* required */
	const char *contact_name, *contact_phone;               /* optional */
	int has_location;                                       /* as for houses */
	double lng, lat;
};
/* 0 and *id, or -1 with e: 400 bad_field / bad_grid / bad_credit_code / bad_kind, 409 duplicate
   (the credit code is registered). */
int unit_create(const struct dom_ctx *x, const struct unit_input *in, int64_t *id,
                struct dom_err *e);
/* unit_create's checks and insert inside a write the caller runs (the units import). Same
   errors. */
int unit_insert(struct store_conn *c, const struct dom_ctx *x, const struct unit_input *in,
                int64_t *id, struct dom_err *e);
/* A change of a unit (PATCH). NULL: unchanged. */
struct unit_change {
	const char *name, *credit_code, *kind, *address;
	const char *grid;                         /* 15-digit code: moves the unit */
	const char *contact_name, *contact_phone; /* "" clears */
	int64_t version;                          /* required */
};
/* Changes unit id (registry.write; registry_edit.c); a new grid moves the units counter. 0, or -1
   with e: 400 bad_name / bad_field / bad_credit_code / bad_kind / bad_grid; 404 unit or grid
   missing or out of scope; 409 version_conflict, duplicate (the new credit code is another
   unit's). */
int unit_update(const struct dom_ctx *x, int64_t id, const struct unit_change *in,
                struct dom_err *e);
json_t *unit_get(const struct dom_ctx *x, int64_t id, struct dom_err *e);
json_t *unit_list(const struct dom_ctx *x, const char *grid, const struct dom_page *pg,
                  struct dom_err *e);
/* The same for units, as unit_list answers them (house_each). */
int unit_each(const struct dom_ctx *x, const char *grid, int64_t max, registry_each_fn fn,
              void *arg, struct dom_err *e);

/* ---- people ---- */

/* A create or a change. NULL: not given. */
struct person_input {
	const char *name;
	const char *id_number; /* resident ID number (18 or 15 digits): required unless foreign */
	const char *passport;  /* foreigners (reg_type foreign): passport number instead */
	const char *sex, *birth_date, *nationality; /* foreigners only: from the ID number else */
	const char *phone;                          /* "" clears (change) */
	const char *reg_type;                       /* huji / floating / foreign; required */
	const char *grid;                           /* required when no house is given on create */
	int64_t house; /* -1 not given; > 0 moves in (create: lives in); 0 moves out (change) */
	int64_t unit;  /* -1 not given; 0 none; > 0 the workplace */
	const char *household_no, *relation;
	const char *died; /* change: the date of death */
	int born;         /* create: registered by birth */
	const char *date; /* the date of the change's records (default today) */
	int verify;       /* change: the record was verified now (people.verified_at, part 6) */
	const char *tags_enter[REGISTRY_TAGS_MAX];
	size_t n_enter;
	const char *tags_leave[REGISTRY_TAGS_MAX];
	size_t n_leave;
};
#define PERSON_INPUT_INIT                                                                          \
	{                                                                                          \
		.house = -1, .unit = -1                                                            \
	}

/* Registers a person. 0 and *id, or -1 with e: 400 bad_name, bad_id_number, bad_passport,
   bad_reg_type, bad_grid, bad_date, bad_tag, bad_relation; 403 key_read_required (a key
   category without person.key_read); 404 house or unit not found (or out of scope); 409
   duplicate (ID number already registered). */
int person_create(const struct dom_ctx *x, const struct person_input *in, int64_t *id,
                  struct dom_err *e);
/* What a create's input gives once checked, without the database (person_check_new). */
struct person_new {
	const char *doc_type, *reg_type, *relation; /* static strings; relation NULL: none */
	char idn[40], sex[2], birth[11], date[11];  /* normalised ID or passport number */
	char bidx[VAULT_INDEX_HEX];                 /* its blind index */
};
/* person_create's validation of in, with the blind index of its document number, for a write
   that registers many people at once (person_insert_many). Tags and a death date are refused.
   0, or -1 with e (the same 400s as person_create; 503 vault_unavailable). */
int person_check_new(const struct dom_ctx *x, const struct person_input *in, struct person_new *out,
                     struct dom_err *e);
/* Indexes the names of people first..last for name search (people_names), inside the write
   that inserted them: one statement, so a bulk write indexes its rows at once. */
int person_names_index(struct store_conn *c, int64_t first, int64_t last, struct dom_err *e);

/* One row of a bulk registration: the person, the house it lives in (address and optional room
   in in.grid; NULL: none) and the source line for reports. */
struct person_bulk_row {
	struct person_input in;
	const char *address, *room;
	int64_t line;
};
typedef void (*person_bulk_bad_fn)(void *arg, int64_t line, const char *code, const char *message);
/* person_insert_many's flags. */
enum {
	/* Look each blind index up in the database before writing. Without it, a number already
	   registered is found by the UNIQUE index when the rows go in, and any bad row ends the
	   call at once: the write then fails with 409 recheck, nothing reported (nothing to keep;
	   the caller runs the batch again with this flag, which names every bad row in line order).
	   A bulk import meets few bad rows, and the lookups are a tenth of its work. */
	PERSON_BULK_CHECK_REGISTERED = 1,
};
/*
 * Inside a write the caller runs (the people import): registers rows[0..n) as person_create
 * registers one (checked by person_check_new, grid in the caller's scope, house found or
 * registered as a self-occupied dwelling (住宅, 自住) when there is none, duplicates refused, ID
 * and phone sealed, a dated record, the grid counters), with multi-row statements. Every bad row
 * is reported through bad (the rest are still checked) and then nothing is written: the return is
 * the number of bad rows (> 0), and the caller fails its write. 0 when all are registered; -1
 * with e on a store error, or 409 recheck (flags).
 */
int person_insert_many(struct store_conn *c, const struct dom_ctx *x,
                       const struct person_bulk_row *rows, size_t n, unsigned flags,
                       person_bulk_bad_fn bad, void *arg, struct dom_err *e);
/* Changes person id: basic fields, and the dated records (move in / out, died, unit, tags).
   -1 with e as for create, and 404 (missing or out of scope), 403 key_person (a key person, or
   a key category, without person.key_read), 409 dead (no change after death), 409 tag_current /
   400 tag_not_current. */
int person_update(const struct dom_ctx *x, int64_t id, const struct person_input *in,
                  struct dom_err *e);

/*
 * May this read include key people? 1 when the caller holds person.key_read and reason is an
 * acceptable reason (domain/sensitive.h); 0 otherwise. No audit: the caller records the read
 * with person_key_read_record once it has answered.
 */
int person_key_access(const struct dom_ctx *x, const char *reason);
/* Records a read of key-people data of object ("person:12", "people:list") with its reason. */
int person_key_read_record(const struct dom_ctx *x, const char *object, const char *reason);

/*
 * Person id as JSON (id and phone masked unless unmask). A key person: without person.key_read
 * 403 key_person (the refusal is audited); without an acceptable reason 400 reason_required;
 * otherwise the answer carries the key categories and the read is audited with the reason. 404
 * when missing or out of scope.
 */
json_t *person_get(const struct dom_ctx *x, int64_t id, const char *reason, int unmask,
                   struct dom_err *e);

struct person_filter {
	const char *grid;      /* 15-digit code */
	int64_t house;         /* 0: any */
	const char *id_number; /* exact, through the blind index */
	const char *reg_type;
	const char *tag;    /* a current care tag (or key category, with key access) */
	const char *status; /* present / moved_out / dead */
	const char *name;   /* full-text: every character typed, adjacent ones adjacent */
	int with_key;       /* include key people (person_key_access said yes) */
};
/* Keyset page of the people in scope matching f. 400 bad_param for a bad filter. */
json_t *person_list(const struct dom_ctx *x, const struct person_filter *f,
                    const struct dom_page *pg, int unmask, struct dom_err *e);
/* Calls fn with each person in scope matching f (as person_list answers them, masked; fn does
   not keep the object), in the list's order, stopping at fn's non-zero answer. 0, or -1 with e:
   as person_list, 413 too_many_rows when more than max people match (before fn has seen them
   all: the caller discards what it made). */
typedef int (*person_each_fn)(const json_t *person, void *arg);
int person_each(const struct dom_ctx *x, const struct person_filter *f, int64_t max,
                person_each_fn fn, void *arg, struct dom_err *e);

/* ---- per-grid statistics ---- */

/* The registry's counters of grid code (in scope): residents, households, floating, foreigners,
   care, key_people, houses, units, with the grid's declared residents and households. */
json_t *registry_grid_stats(const struct dom_ctx *x, const char *code, struct dom_err *e);

/* ---- shared by the registry's modules (registry.c, person.c) ---- */

struct registry_counts {
	int64_t residents, households, floating, foreigners, care, key_people, houses, units;
};
/* For `wangge check`: compares every grid's registry counters with a count of its people, houses
   and units (present residents, households by their heads, floating, foreigners, care, key
   people), appending one line per grid that differs to report. Findings, or -1. */
struct buf;
int registry_check_counters(struct store_conn *c, struct buf *report);
/* Adds sign * d to the counters of grid_id, inside a write. 0 or -1 with e. */
int registry_stats_add(struct store_conn *c, int64_t grid_id, const struct registry_counts *d,
                       int sign, struct dom_err *e);
/* Walks st (a list's statement, limited to max + 1 rows) calling fn with each row as row(st,
   row_arg) makes it (fn does not keep it), stopping at fn's non-zero answer; resets st. 0, or -1
   with e: 413 too_many_rows past max rows ("符合条件的<what>超过 max <measure>，请缩小范围"),
   500, or a read error. The exports' walk (house_each, unit_each, person_each). */
int registry_walk(struct store_stmt *st, int64_t max, dom_row_fn row, void *row_arg,
                  const char *what, const char *measure, registry_each_fn fn, void *arg,
                  struct dom_err *e);
/* The active grid code inside the caller's scope (grid workers: their grids): *grid_id and its
   path (ACCESS_PATH_MAX). 0, or -1 with e: 404 not_found (missing or outside the scope), 400
   bad_grid (malformed or retired). */
int registry_grid_resolve(struct store_conn *c, const struct dom_ctx *x, const char *code,
                          int64_t *grid_id, char *path, struct dom_err *e);
/* House id inside the caller's scope: its grid and path. 1 found, 0 not, -1 error. */
int registry_house_locate(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                          int64_t *grid_id, char *path);
/* Inside a write: records that house id is of use (a code) since the date ("YYYY-MM-DD"). 0 or -1
   with e. */
int registry_house_use_add(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                           const char *use, const char *since, struct dom_err *e);
/* 1 when unit id exists inside the caller's scope, 0 not, -1 error. */
int registry_unit_visible(struct store_conn *c, const struct dom_ctx *x, int64_t id);
/* 1 when s (UTF-8, no control characters) has 1..max characters. */
int registry_text_ok(const char *s, size_t max);
/* An optional text as JSON: the string, or null when empty. */
json_t *registry_opt(const char *s);

#include "base/banned.h"
#endif
