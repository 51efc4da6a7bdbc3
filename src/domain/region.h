/*
 * The jurisdiction tree: 市 > 县(市、区) > 乡镇(街道) > 社区/行政村, keyed by the 12-digit
 * statistical division code. Each region stores its materialized ancestor path
 * ("371500000000/371502000000/") so that a subtree, and therefore an access scope, is one indexed
 * range query. Parents are inferred from codes; a region below county level needs its parent to
 * exist.
 *
 * Every function takes the caller's principal: reads only see regions inside its scope (a region
 * outside it is reported as not found), writes need "region.write" and a parent inside the scope.
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

/* Reads one region on connection c. Returns 1 found (inside p's scope), 0 not found or out of
   scope, -1 on a database error. */
int region_load(struct store_conn *c, const struct principal *p, const char *code12,
                struct region *out);
int region_get(struct store *s, const struct principal *p, const char *code12, struct region *out);

/* JSON of a region: code, name, level, kind, parent_code, path, has_boundary, and the boundary
   object when with_boundary. New reference. */
json_t *region_to_json(const struct region *r, int with_boundary);

struct region_filter {
	const char *parent; /* 12-digit code or NULL */
	int level;          /* 0 any */
	int64_t limit, offset;
};
/* {items:[...], total, limit, offset}; NULL with *e on failure. */
json_t *region_list(struct store *s, const struct principal *p, const struct region_filter *f,
                    struct dom_err *e);

/* Creates a region. code may be 6 or 12 digits; boundary may be NULL. On success returns 0 and
   fills out (caller releases it). Errors: 400 bad_code/bad_name/bad_boundary, 404 unknown_parent
   (missing or outside p's scope), 403 forbidden, 409 duplicate. */
int region_create(const struct dom_ctx *x, const char *code, const char *name,
                  const json_t *boundary, struct region *out, struct dom_err *e);

/* Changes name and/or boundary (NULL leaves a field; boundary json null clears it). */
int region_update(const struct dom_ctx *x, const char *code12, const char *name,
                  const json_t *boundary, int clear_boundary, struct dom_err *e);

/*
 * Imports regions from CSV text (header row; columns code,name[,boundary]; UTF-8 with or without
 * BOM; RFC 4180 quoting). Every bad row is reported into report as "第 N 行: reason" lines (N is
 * the physical line number in the file), and then nothing is imported. Parents may come later in
 * the same file. Returns the number of regions imported (>= 0), -1 when rows were bad (report says
 * which), -2 on a database failure (report says so).
 */
int region_import_csv(struct store *s, const struct principal *p, const char *data, size_t len,
                      struct buf *report);

#include "base/banned.h"
#endif
