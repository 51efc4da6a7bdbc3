/*
 * The .xlsx exports of the registry (issue 12 part 7): houses (房屋) and units (单位) here, and
 * the sheet-writing engine the people export (person_export.h) shares with them. An export shows
 * what the caller's list shows (the list's query, scope and order; masked fields masked), is
 * capped (413 too_many_rows, nothing exported), and is in the audit trail every time, refused
 * or not. The column headers are the names the registry import reads (registry_import.c), so an
 * exported file is also an import file. Owned by the registry; the workbook is written by
 * base/xlsx.h.
 */
#ifndef WANGGE_DOMAIN_REGISTRY_EXPORT_H
#define WANGGE_DOMAIN_REGISTRY_EXPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/xlsx.h"
#include "domain/dom.h"
#include "domain/registry.h"

/* The default caps of one export. Houses run to several times a county's units: 100,000 houses
   keeps a township (or a large community) in one file (99,000 houses: 3.6 MB, 1.2 s measured). */
#define HOUSE_EXPORT_MAX_ROWS 100000
#define UNIT_EXPORT_MAX_ROWS 50000

/* The houses in the caller's scope (of grid, a 15-digit code, when not NULL; a grid outside the
   scope gives an empty sheet, as the list answers it) as an .xlsx workbook (malloc'd *data,
   *len): one sheet 房屋, headers 网格编码 地址 楼栋 单元 房号 房屋类型 房屋用途 用途起始日期
   现住人数 登记时间. Needs registry.export (403 forbidden). More than max houses is 413
   too_many_rows (nothing exported). Every export, refused or not, is in the audit trail
   (house.export on houses, with the grid and the row count). 0, or -1 with e. */
int house_export_xlsx(const struct dom_ctx *x, const char *grid, int64_t max, char **data,
                      size_t *len, struct dom_err *e);
/* The same for units (sheet 单位; headers 单位名称 统一社会信用代码 单位类别 地址 网格编码 联系人
   联系电话 登记时间; the contact phone masked as people's phones are; unit.export on units). */
int unit_export_xlsx(const struct dom_ctx *x, const char *grid, int64_t max, char **data,
                     size_t *len, struct dom_err *e);

/* ---- the engine of the registry's exports (people, houses, units) ---- */

/* Calls fn with each item matching filter in the caller's scope, 413 past max (person_each,
   house_each, unit_each behind a wrapper). */
typedef int (*registry_source_fn)(const struct dom_ctx *x, const void *filter, int64_t max,
                                  registry_each_fn fn, void *arg, struct dom_err *e);

struct registry_sheet {
	const char *name;        /* the sheet's name */
	const char *const *cols; /* the header row */
	size_t ncols;
	int (*row)(struct xlsx *wb, const json_t *item); /* writes one item's row: 0 or -1 */
};

/* Writes the sheet of the items source gives for filter (at most max) into a workbook (malloc'd
 *data, *len) and their number into *rows. 0, or -1 with e (the source's error, or 500). */
int registry_export_sheet(const struct dom_ctx *x, const struct registry_sheet *s,
                          registry_source_fn source, const void *filter, int64_t max, char **data,
                          size_t *len, int64_t *rows, struct dom_err *e);
/* Records an export (rc: what registry_export_sheet answered) in the audit trail: action on
   object, outcome success or failure, detail. An export whose record cannot be written is not
   handed out: *data is freed and the answer is 503 audit_failed. Returns rc, or -1. */
int registry_export_record(const struct dom_ctx *x, const char *action, const char *object,
                           const char *detail, int rc, char **data, size_t *len, struct dom_err *e);

/* A string member of o, or "" (JSON null or missing): a cell's text. */
const char *registry_cell(const json_t *o, const char *key);

#include "base/banned.h"
#endif
