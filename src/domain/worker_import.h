/*
 * Workers in and out of spreadsheets (R2, issue 9 part 7): the import of an Excel-friendly CSV
 * (UTF-8 with or without a byte order mark, header names in Chinese as the export writes them, or
 * the API's field names) or of an .xlsx workbook's first sheet (base/xlsx_read.h) with the same
 * columns, and the list export as .xlsx. The import is all-or-nothing: every row is
 * validated and inserted in one dom_write, exactly as POST /workers would; any bad row rolls the
 * whole file back and every bad row is reported with its line and reason. The export walks the
 * same scoped, filtered query as the list, with ID and phone numbers masked, and is audited.
 */
#ifndef WANGGE_DOMAIN_WORKER_IMPORT_H
#define WANGGE_DOMAIN_WORKER_IMPORT_H

#include <jansson.h>
#include <stddef.h>

#include "domain/dom.h"
#include "domain/worker.h"

#define WORKER_IMPORT_MAX_BYTES (4u * 1024 * 1024)
#define WORKER_IMPORT_MAX_ROWS 5000
#define WORKER_IMPORT_MAX_ERRORS 200

/* Imports the CSV text data[0..len). Returns the number of workers created (>= 0), or -1 with
   e; when rows were refused, e is 400 import_failed and *errors (new reference) holds
   [{line, code, message}] (at most WORKER_IMPORT_MAX_ERRORS; nothing was written). */
int worker_import_csv(const struct dom_ctx *x, const char *data, size_t len, json_t **errors,
                      struct dom_err *e);

/* The same from an .xlsx workbook data[0..len): its first sheet, read as the CSV is (line = the
   spreadsheet's row number). Date columns may hold text "YYYY-MM-DD" or a date Excel stores as
   a serial day number (converted). A file that is not a readable workbook is 400 bad_xlsx with
   the reason (not a ZIP, damaged, encrypted, a zip bomb ...) and no rows. */
int worker_import_xlsx(const struct dom_ctx *x, const char *data, size_t len, json_t **errors,
                       struct dom_err *e);

/* The workers matching f visible to the caller as an .xlsx workbook (malloc'd *data, *len),
   masked; records the export (worker.export) in the audit trail. 0 or -1 with e. */
int worker_export_xlsx(const struct dom_ctx *x, const struct worker_filter *f, char **data,
                       size_t *len, struct dom_err *e);

#include "base/banned.h"
#endif
