/*
 * Grids (R1, Art. 7–9): 综合网格 (comprehensive) and 专属网格 (dedicated) with a code under the
 * grid-code rule (base/codes.h), a name, a validated boundary, declared households and residents,
 * and a history: a redraw keeps every earlier boundary as a version, a split or merge retires the
 * old grids and records lineage rows, a retirement closes the grid. Nothing is ever deleted, and a
 * code, once given, is never given again (the code column is UNIQUE over every grid ever made).
 *
 * Every function takes the domain context (domain/dom.h). Reads are scoped in SQL
 * (dom_scope_sql: the region subtree of the caller, and for grid workers a join on the grids bound
 * to them); a grid outside the scope reads as not found. Lists are keyset pages in code order
 * along an index, so a page costs the same in a city as in a test database. Writes go through
 * dom_write: they need "grid.write" and, by Art. 7, a caller whose organisation sits at county
 * level with the grid inside its scope (the system principal may do anything); the authorize step
 * checks that inside the transaction, on the target as it is then, and every write or refusal
 * leaves one audit record. Callers rebuild the locate index after a successful write.
 *
 * Times in the JSON answers are RFC 3339 in Asia/Shanghai (clock_format_local).
 */
#ifndef WANGGE_DOMAIN_GRID_H
#define WANGGE_DOMAIN_GRID_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/codes.h"
#include "domain/access.h"
#include "domain/region.h"

struct store;
struct store_conn;

#define GRID_MAX_PARTS 50              /* most parts of a split, or grids in a merge */
#define GRID_MAX_PEOPLE 1000000        /* sanity cap on declared households/residents */
#define GRID_REASON_MAX_CHARS 200      /* retire/redraw reasons */
#define GRID_GEOJSON_PAGE_DEFAULT 1000 /* features in one GeoJSON page */
#define GRID_GEOJSON_PAGE_MAX 2000
#define GRID_AREA_TOLERANCE_M2                                                                     \
	1.0 /* split pieces may differ from the whole by float noise only                          \
	     */

/* The grid-code rule in force: one place to configure it (base/codes.h holds the default). */
const struct grid_code_rule *grid_rule(void);

/* "comprehensive"/"综合网格" -> GRID_COMPREHENSIVE, "dedicated"/"专属网格" -> GRID_DEDICATED, else
 * 0. */
int grid_kind_parse(const char *s);
const char *grid_kind_name(int kind);  /* "comprehensive" / "dedicated" */
const char *grid_kind_label(int kind); /* "综合网格" / "专属网格" */
/* 1 when s is one of the dedicated-grid subtypes: 园区 商圈市场 企业 学校 医院 景区 商务楼宇. */
int grid_subtype_valid(const char *s);
extern const char *const grid_subtypes[];
extern const size_t grid_subtype_count;

struct grid {
	int64_t id;
	char code[16];
	char community_code[13];
	char community_name[REGION_NAME_BYTES];
	char path[ACCESS_PATH_MAX]; /* the community's path */
	int kind;
	char subtype[32]; /* "" for comprehensive grids */
	char name[REGION_NAME_BYTES];
	char *boundary; /* GeoJSON text; owned */
	int version;
	int64_t households, residents;
	int retired;
	int64_t valid_from, valid_to; /* valid_to 0 while active */
	char *retire_reason;          /* owned; NULL when none */
	int64_t created_at, updated_at;
};
void grid_release(struct grid *g);

/* 1 when p may see a grid with this id and community path (for answers that do not come from
   the database, such as the locate index's). */
int grid_visible(const struct principal *p, int64_t id, const char *path);

/* Reads one grid by code on c (a reader, or the writer inside dom_write), scoped by x->caller in
   SQL. 1 found and visible, 0 not (or out of scope), -1 error. out is released by the caller. */
int grid_load(struct store_conn *c, const struct dom_ctx *x, const char *code, struct grid *out);
/* grid_load on this thread's reader: 0, or -1 with e (404 not_found, 503 read_failed). */
int grid_get(const struct dom_ctx *x, const char *code, struct grid *out, struct dom_err *e);

struct jsonw;
struct buf;
#define GRID_JSON_MAX (16u * 1024 * 1024) /* one grid's JSON, boundary included */
/* Writes g as a JSON object (see docs/api-grids.md) onto w; the boundary as stored. */
void grid_write_json(struct jsonw *w, const struct grid *g, int with_boundary);
/* The same appended to out as JSON text. 0, or -1 when out is full. */
int grid_json(const struct grid *g, int with_boundary, struct buf *out);
/* The same as a jansson object, for answers that embed it. New reference, NULL on failure. */
json_t *grid_to_json(const struct grid *g, int with_boundary);

struct grid_input {
	const char *community; /* 12-digit village/community code */
	int kind;              /* enum grid_kind */
	const char *subtype;   /* dedicated grids only */
	const char *code;      /* NULL: the next free sequence of the kind's band */
	const char *name;
	const json_t *boundary;
	int64_t households, residents; /* -1: not given (0) */
};
/* Creates a grid; its code is written into code_out. 0, or -1 with *e. */
int grid_create(const struct dom_ctx *x, const struct grid_input *in, char code_out[16],
                struct dom_err *e);

struct grid_patch {
	const char *name;              /* NULL: unchanged */
	const char *subtype;           /* NULL: unchanged */
	int64_t households, residents; /* -1: unchanged */
};
int grid_update(const struct dom_ctx *x, const char *code, const struct grid_patch *patch,
                struct dom_err *e);

/* New boundary version; the code stays. reason may be NULL. */
int grid_redraw(const struct dom_ctx *x, const char *code, const json_t *boundary,
                const char *reason, struct dom_err *e);

struct grid_part {
	const char *name;
	const json_t *boundary;
	const char *code;              /* NULL: auto */
	int64_t households, residents; /* -1: share of the old grid's figures by area */
};
/* Splits an active grid into n parts whose union is the grid and which do not overlap. The old
   grid is retired and lineage rows written. codes_out receives the new codes (n entries). */
int grid_split(const struct dom_ctx *x, const char *code, const struct grid_part *parts, size_t n,
               char (*codes_out)[16], struct dom_err *e);

/* Merges n active grids of one community and kind, which must form one connected area, into a
   new grid (households and residents summed); the old ones are retired. */
int grid_merge(const struct dom_ctx *x, const char *const *codes, size_t n, const char *name,
               const char *code, char code_out[16], struct dom_err *e);

int grid_retire(const struct dom_ctx *x, const char *code, const char *reason, struct dom_err *e);

/* {grid, versions:[...], lineage:{up:[...], down:[...]}}; NULL with *e. Lineage rows outside the
   caller's scope are walked through but not shown. */
json_t *grid_history(const struct dom_ctx *x, const char *code, struct dom_err *e);

struct grid_filter {
	const char *region; /* 12-digit code: grids of its subtree; NULL all in scope */
	int status;         /* 0 active, 1 retired, -1 any */
	int kind;           /* 0 any */
	const char *q;      /* name substring or NULL */
};
/* A page of the grids in the caller's scope in code order, appended to out as the JSON text
   {items:[...], next_cursor}. 0, or -1 with *e (404 when the region is unknown or outside the
   scope, 400 bad_cursor, 503). */
int grid_list(const struct dom_ctx *x, const struct grid_filter *f, const struct dom_page *pg,
              struct buf *out, struct dom_err *e);

/* A page of the grids of a region's subtree as a GeoJSON FeatureCollection in code order, with
   "next_cursor" (null on the last page) and "truncated" (true when more pages follow), appended to
   out as JSON text. status: 0 active, -1 any. pg->limit up to GRID_GEOJSON_PAGE_MAX. 0 or -1. */
int grid_geojson(const struct dom_ctx *x, const char *region12, int status,
                 const struct dom_page *pg, struct buf *out, struct dom_err *e);

/* ---- checks (gridcheck.c) ---- */

/* Guide size of a comprehensive grid (Art. 8): a grid is outside the guide when neither its
   residents nor its households fall in their ranges. Defaults live in the grid_settings table. */
struct grid_thresholds {
	int64_t residents_min, residents_max, households_min, households_max;
};
#define GRID_RESIDENTS_MIN_DEFAULT 500
#define GRID_RESIDENTS_MAX_DEFAULT 1500
#define GRID_HOUSEHOLDS_MIN_DEFAULT 300
#define GRID_HOUSEHOLDS_MAX_DEFAULT 500
#define GRID_CHECK_MIN_AREA_M2 1.0 /* overlaps and gaps smaller than this are float noise */
#define GRID_CHECK_MAX_COMMUNITIES 5000

int grid_thresholds_load(struct store_conn *c, struct grid_thresholds *t);

/* Checks of one community, or of every community under a township/county/city: overlapping
   active grids, parts of the community boundary covered by no grid, grids reaching outside their
   community, communities without a boundary, comprehensive grids outside the guide size. */
json_t *grid_checks(const struct dom_ctx *x, const char *region12, struct dom_err *e);

#include "base/banned.h"
#endif
