/*
 * A small, strict and bounded reader of .xlsx workbooks (Office Open XML spreadsheets) for the
 * imports: it gives the first worksheet as rows of text cells. Debian 12 ships no library that
 * reads .xlsx, and an .xlsx is only a ZIP archive of XML parts, so this file does the three
 * steps itself:
 *   - the ZIP central directory, read from the end of the file with every size and offset
 *     bounds-checked; ZIP64, encryption, multi-disk archives, methods other than stored and
 *     deflate, duplicate names and names with path tricks ("..", absolute, backslashes, control
 *     characters) are refused;
 *   - each part needed is inflated with zlib into a buffer of its declared size, whose size, ratio
 *     to the compressed size (a zip bomb's mark) and CRC-32 are checked, with a cap on the total;
 *   - a purpose-built XML tokenizer (elements, attributes, text, CDATA, comments, the five
 *     predefined entities and numeric character references; a DOCTYPE is refused, so no entity
 *     can expand) walks xl/workbook.xml and its relationships to the first sheet, the shared
 *     strings (rich-text runs joined, phonetic runs skipped) and the sheet's <row>/<c> cells.
 * Anything malformed or over a limit is refused with a Chinese message for the person who
 * uploaded the file; nothing in the input can make it read out of bounds or allocate without
 * bound. Formulas are not evaluated: a formula cell gives its cached value.
 */
#ifndef WANGGE_BASE_XLSX_READ_H
#define WANGGE_BASE_XLSX_READ_H

#include <stddef.h>
#include <stdint.h>

#define XLSX_READ_MAX_FILE (16u * 1024 * 1024)  /* the .xlsx file itself */
#define XLSX_READ_MAX_ENTRIES 1024              /* members of the archive */
#define XLSX_READ_MAX_PART (32u * 1024 * 1024)  /* one part, inflated */
#define XLSX_READ_MAX_TOTAL (64u * 1024 * 1024) /* all parts read, inflated */
#define XLSX_READ_MAX_RATIO 200                 /* inflated / compressed, parts over 1 MB */
#define XLSX_READ_MAX_ROWS 100000               /* rows with a value */
#define XLSX_READ_MAX_COLS 256                  /* columns A..IV may hold values */
#define XLSX_READ_MAX_CELL (128u * 1024)        /* bytes of one cell's text */
#define XLSX_READ_MAX_STRINGS 1000000           /* shared strings */

/* A cell's text (NUL-terminated UTF-8) and kind: 's' text, 'n' number (as the file writes it,
   e.g. "45678" or "1.5E-3"), 'b' boolean ("TRUE"/"FALSE"), 'e' error ("#N/A"), 'd' an ISO 8601
   date cell. text is NULL for an empty cell. */
struct xlsx_cell {
	char *text;
	char kind;
};

/* A row that holds at least one value: its spreadsheet row number (1-based, as Excel shows it)
   and cells[0..n) for columns A, B, ... up to the last one with a value. */
struct xlsx_row {
	uint32_t number;
	size_t n;
	struct xlsx_cell *cells;
};

/* The first worksheet: its rows with values, in order. date1904: the workbook counts dates from
   1904 (a Mac Excel setting), which xlsx_serial_date needs to know. */
struct xlsx_table {
	size_t n;
	struct xlsx_row *rows;
	int date1904;
};

/* Reads the first worksheet of the workbook data[0..len) into *t. 0, or -1 with a Chinese reason
   in err (t is then empty). Free t with xlsx_table_free in both cases. */
int xlsx_read_first_sheet(const void *data, size_t len, struct xlsx_table *t, char *err,
                          size_t errlen);
void xlsx_table_free(struct xlsx_table *t);

/* 1 when data[0..len) starts like a ZIP archive (an .xlsx), else 0. */
int xlsx_looks_like_zip(const void *data, size_t len);

/* The calendar date "YYYY-MM-DD" of the Excel serial day number num (a number cell: days since
   1899-12-30 with Excel's fictitious 1900-02-29 at 60, or since 1904-01-01 when date1904; a
   fraction of a day, the time, is dropped) into out; NULL when num is not such a number or is
   day 60 or outside 1900..9999. */
const char *xlsx_serial_date(const char *num, int date1904, char out[11]);

#include "base/banned.h"
#endif
