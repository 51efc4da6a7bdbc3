/*
 * Staffing compliance (Art. 10): every active grid has at least one active full-time worker. A
 * rural village grid (a grid of a 村, village part of the code 200 and above) that cannot have one
 * yet may be staffed part-time only as a marked, dated exception (staffing_exceptions). A grid
 * is therefore, on a given day:
 *   compliant  it has an active full-time worker;
 *   exception  it has none, is a village grid and an exception covers the day;
 *   failing    anything else.
 * The report counts grids per township, county and the region asked for, and lists the failing
 * grids. It is one SQL aggregation (grids LEFT JOIN worker_grids / workers within the region's
 * path range, grouped by township) whose township rows are summed up to counties; no grid is
 * looked at in C. The same query feeds the "no_worker" finding of the grid checks.
 */
#ifndef WANGGE_DOMAIN_STAFFING_H
#define WANGGE_DOMAIN_STAFFING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

#define STAFFING_LIST_MAX 2000 /* failing / exception grids listed in one report */

/* The report for region code (6 or 12 digits; NULL: the caller's own region), as JSON:
   {region, date, totals, counties:[...], townships:[...], failing:[...], exceptions:[...],
   truncated}. NULL with e (404 unknown or out-of-scope region, 400 bad_code). */
json_t *staffing_report(const struct dom_ctx *x, const char *code, struct dom_err *e);

/* Appends to findings one grid-check finding (type "no_worker") per failing grid of the region
   with path path (region subtree), in the caller's scope, on c; *count gets their number. 0 or
   -1. */
int staffing_findings(struct store_conn *c, const struct dom_ctx *x, const char *path,
                      json_t *findings, int *count);

/* Marks grid code as a staffing exception from valid_from (NULL: today) to valid_to (NULL: open)
   for reason. 0 or -1 with e: 404 grid unknown or out of scope, 400 not_rural (only village
   grids may be exceptions), bad_reason, bad_date. Needs worker.write. */
int staffing_exception_mark(const struct dom_ctx *x, const char *code, const char *reason,
                            const char *valid_from, const char *valid_to, struct dom_err *e);
/* Clears the exception of grid code (404 when it has none). */
int staffing_exception_clear(const struct dom_ctx *x, const char *code, struct dom_err *e);

/* The report for region code as an .xlsx workbook (libxlsxwriter) in *data (malloc'd, *len
   bytes); records the export (staffing.export) in the audit trail. 0 or -1 with e. */
int staffing_export_xlsx(const struct dom_ctx *x, const char *code, char **data, size_t *len,
                         struct dom_err *e);

#include "base/banned.h"
#endif
