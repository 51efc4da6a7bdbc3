/*
 * The jurisdiction tree: 市 > 县(市、区) > 乡镇(街道) > 社区/行政村, keyed by the 12-digit
 * statistical division code. Each region stores its materialized ancestor path
 * ("371500000000/371502000000/") so that a subtree, and therefore an access scope, is one indexed
 * range query. Parents are inferred from codes; a region below county level needs its parent to
 * exist.
 *
 * Every function takes the domain context (domain/dom.h): reads see only regions inside the
 * caller's scope, as a SQL condition (a region outside it is reported as not found); lists are
 * keyset pages in code order; writes go through dom_write, need "region.write" and a parent
 * inside the scope, and leave one audit record each (an import: one record for the whole file).
 *
 * Codes nest like the tree: a region's code starts with its parent's significant digits, and a
 * grid's code with its community's. So the subtree of a region lies inside a range of codes
 * (region_code_range), which lets a list read its page from the code index; the path condition
 * of the scope then decides exactly.
 */
#ifndef WANGGE_DOMAIN_REGION_H
#define WANGGE_DOMAIN_REGION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/codes.h"
#include "domain/access.h"
#include "domain/dom.h"

struct store;
struct store_conn;
struct buf;

#define REGION_NAME_BYTES 128 /* UTF-8 bytes, with the NUL */
#define REGION_NAME_CHARS 40  /* most characters in a region or grid name */

/* Checks a display name: valid UTF-8, 1..REGION_NAME_CHARS characters, no control characters, no
   leading/trailing space. Returns 1, or 0 with a Chinese reason in msg. */
int dom_name_valid(const char *name, char *msg, size_t msglen);

/* Accepts a 6-digit (GB/T 2260) or 12-digit statistical code and writes the 12-digit form into
   out ("371502" -> "371502000000"). Returns its level (1..5), or 0 with *err filled. */
int region_code_normalize(const char *in, char out[13], struct code_error *err);

/* Path of a child: parent_path ("" for a root) + code + "/". Returns 0, -1 if it does not fit. */
int region_path_join(const char *parent_path, const char *code, char out[ACCESS_PATH_MAX]);

/* Kind label of a region by its code: 省, 市, 区/县/县级市, 街道/镇/乡/乡级单位, 社区/村. Static.
 */
const char *region_kind_label(const char *code12);

struct region {
	char code[13];
	char name[REGION_NAME_BYTES];
	int level;
	char parent_code[13]; /* "" for a root */
	char path[ACCESS_PATH_MAX];
	char *boundary; /* GeoJSON text or NULL; owned (region_release frees it) */
	int64_t created_at, updated_at;
};
void region_release(struct region *r);

/* ---- code ranges and code-keyed pages (regions and grids) ---- */

/* The half-open range [lo, hi) of the codes (regions', and grids', which start with their
   community's) that may lie below region code12: its significant digits, "371502" for a county.
   An invalid code gives the empty range ("", ""). lo and hi need 13 bytes. */
void region_code_range(const char *code12, char lo[13], char hi[13]);
/* The code range of p's scope: that of its organisation's region; everything ("", "\x7f") for the
   system principal, or when the scope is not a region (the SQL condition then decides alone). */
void region_scope_code_range(const struct principal *p, char lo[13], char hi[13]);
/* Narrows [lo, hi) to its intersection with [lo2, hi2). */
void region_code_range_narrow(char lo[13], char hi[13], const char *lo2, const char *hi2);
/* 0 when pg's cursor is absent or a code of len digits; -1 with e 400 bad_cursor otherwise. */
int codes_cursor_check(const struct dom_page *pg, size_t len, struct dom_err *e);
/* {"items": items, "next_cursor": cursor after last, or null when last is NULL}. Steals items.
   NULL when memory runs out. */
json_t *codes_page_json(json_t *items, const char *last);

/* ---- reads ---- */

/* Reads one region on connection c (a reader, or the writer inside dom_write), scoped by
   x->caller in SQL. 1 found inside the scope, 0 not found or out of scope, -1 on a database
   error. out is released by the caller in every case. */
int region_load(struct store_conn *c, const struct dom_ctx *x, const char *code12,
                struct region *out);
/* region_load on this thread's reader: 0, or -1 with e (404 not_found, 503 read_failed). */
int region_get(const struct dom_ctx *x, const char *code12, struct region *out, struct dom_err *e);

/* JSON of a region: code, name, level, kind, parent_code, path, has_boundary, and the boundary
   object when with_boundary. New reference. */
json_t *region_to_json(const struct region *r, int with_boundary);
/* region_to_json with the boundary and "ancestors": [{code, name, level}] from the top down,
   those inside the caller's scope only (breadcrumbs). New reference, NULL when memory runs out. */
json_t *region_detail_json(const struct dom_ctx *x, const struct region *r);

struct region_filter {
	const char *parent; /* 12-digit code or NULL */
	int level;          /* 0 any */
};
/* A page of the regions in the caller's scope in code order: {items:[{code, name, level, kind,
   parent_code, path, has_boundary, children, grids}], next_cursor}; NULL with *e on failure
   (400 bad_cursor, 503). */
json_t *region_list(const struct dom_ctx *x, const struct region_filter *f,
                    const struct dom_page *pg, struct dom_err *e);

/* ---- writes ---- */

/* Creates a region. code may be 6 or 12 digits; boundary may be NULL. On success returns 0 and
   fills out (caller releases it). Errors: 400 bad_code/bad_name/bad_boundary, 404 unknown_parent
   (missing or outside the caller's scope), 403 forbidden, 409 duplicate. */
int region_create(const struct dom_ctx *x, const char *code, const char *name,
                  const json_t *boundary, struct region *out, struct dom_err *e);

/* Changes name and/or boundary (NULL leaves a field; clear_boundary removes it). */
int region_update(const struct dom_ctx *x, const char *code12, const char *name,
                  const json_t *boundary, int clear_boundary, struct dom_err *e);

/*
 * Imports regions from CSV text (base/csv.h: header row; columns code,name[,boundary]; UTF-8 with
 * or without BOM). Every bad row is reported into report as "第 N 行：reason" lines (N is the
 * physical line number in the file), and then nothing is imported. Parents may come later in the
 * same file. One dom_write (action region.import, object "regions") whatever the outcome, once the
 * file has rows. Returns the number of regions imported (>= 0), -1 when rows were bad or the
 * caller may not import (report says which), -2 on a database failure (report says so).
 */
int region_import_csv(const struct dom_ctx *x, const char *data, size_t len, struct buf *report);

#include "base/banned.h"
#endif
