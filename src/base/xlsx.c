/*
 * The .xlsx table writer (xlsx.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "base/xlsx.h"

#define XLSX_MAX_BYTES (256u * 1024 * 1024)

struct xlsx {
	char path[512];
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold;
	lxw_row_t row;
	int failed;
};

struct xlsx *xlsx_new(void)
{
	const char *dir = getenv("TMPDIR");
	struct xlsx *x = calloc(1, sizeof *x);
	int fd, n;

	if (!x)
		return NULL;
	n = snprintf(x->path, sizeof x->path, "%s/wangge-xlsx-XXXXXX", dir && *dir ? dir : "/tmp");
	if (n < 0 || (size_t)n >= sizeof x->path || (fd = mkstemp(x->path)) < 0) {
		free(x);
		return NULL;
	}
	(void)close(fd);
	if (!(x->wb = workbook_new(x->path))) {
		(void)unlink(x->path);
		free(x);
		return NULL;
	}
	x->bold = workbook_add_format(x->wb);
	format_set_bold(x->bold);
	return x;
}

int xlsx_sheet(struct xlsx *x, const char *name, const char *const *cols, size_t n)
{
	if (!x || x->failed || !(x->ws = workbook_add_worksheet(x->wb, name)))
		goto fail;
	x->row = 0;
	for (size_t i = 0; i < n && i < 1000; i++) {
		if (worksheet_write_string(x->ws, 0, (lxw_col_t)i, cols[i] ? cols[i] : "", x->bold))
			goto fail;
		(void)worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, 16, NULL);
	}
	(void)worksheet_freeze_panes(x->ws, 1, 0);
	x->row = 1;
	return 0;
fail:
	if (x)
		x->failed = 1;
	return -1;
}

int xlsx_row_mixed(struct xlsx *x, const char *const *cells, size_t n, unsigned long numeric)
{
	if (!x || x->failed || !x->ws || x->row >= LXW_ROW_MAX)
		goto fail;
	for (size_t i = 0; i < n && i < 1000; i++) {
		const char *c = cells[i];
		lxw_error rc;

		if (!c || !*c)
			continue;
		if (i < sizeof numeric * 8 && (numeric >> i) & 1u)
			rc = worksheet_write_number(x->ws, x->row, (lxw_col_t)i, strtod(c, NULL),
			                            NULL);
		else
			rc = worksheet_write_string(x->ws, x->row, (lxw_col_t)i, c, NULL);
		if (rc)
			goto fail;
	}
	x->row++;
	return 0;
fail:
	if (x)
		x->failed = 1;
	return -1;
}

int xlsx_row(struct xlsx *x, const char *const *cells, size_t n)
{
	return xlsx_row_mixed(x, cells, n, 0);
}

void xlsx_free(struct xlsx *x)
{
	if (!x)
		return;
	if (x->wb)
		(void)workbook_close(x->wb);
	(void)unlink(x->path);
	free(x);
}

int xlsx_finish(struct xlsx *x, char **data, size_t *len)
{
	FILE *f = NULL;
	struct stat sb;
	char *buf = NULL;
	int rc = -1;

	*data = NULL;
	*len = 0;
	if (!x)
		return -1;
	if (x->failed || workbook_close(x->wb) != LXW_NO_ERROR) {
		x->wb = NULL;
		goto out;
	}
	x->wb = NULL;
	if (!(f = fopen(x->path, "rb")) || fstat(fileno(f), &sb) != 0 || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > XLSX_MAX_BYTES || !(buf = malloc((size_t)sb.st_size)) ||
	    fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
		goto out;
	*data = buf;
	*len = (size_t)sb.st_size;
	buf = NULL;
	rc = 0;
out:
	if (f)
		(void)fclose(f);
	free(buf);
	xlsx_free(x);
	return rc;
}
