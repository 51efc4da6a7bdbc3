/*
 * A small table writer for .xlsx answers (exports and reports) over libxlsxwriter: sheets of rows
 * of text or number cells, a bold header row, and the finished workbook handed back in memory.
 * libxlsxwriter 1.1.4 (Debian 12) writes only to a named file, so the workbook goes to a private
 * temporary file (mkstemp under $TMPDIR or /tmp, removed before returning) that is read back.
 * Text is written as text: a cell starting with '=' stays a string, never a formula.
 */
#ifndef WANGGE_BASE_XLSX_H
#define WANGGE_BASE_XLSX_H

#include <stddef.h>

struct xlsx;

/* A new workbook, or NULL. */
struct xlsx *xlsx_new(void);
/* Starts a sheet named name (at most 31 characters) with the header row cols[0..n). 0 or -1. */
int xlsx_sheet(struct xlsx *x, const char *name, const char *const *cols, size_t n);
/* Appends a row to the current sheet: cells[0..n) as text (NULL: empty). 0 or -1. */
int xlsx_row(struct xlsx *x, const char *const *cells, size_t n);
/* The same with the cells whose bit is set in numeric (cell i: bit i) written as numbers. */
int xlsx_row_mixed(struct xlsx *x, const char *const *cells, size_t n, unsigned long numeric);
/* Closes the workbook and gives its bytes (malloc'd) in *data and *len; frees x in every case.
   0 or -1. */
int xlsx_finish(struct xlsx *x, char **data, size_t *len);
/* Frees a workbook not finished (after a failure). */
void xlsx_free(struct xlsx *x);

#include "base/banned.h"
#endif
