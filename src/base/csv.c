/*
 * The RFC 4180 reader (base/csv.h): one pass over the text, one byte at a time, with the state
 * "inside quotes" or not. A quote opens a quoted field only at the start of a field; elsewhere it
 * is an ordinary byte, as most spreadsheet programs read it.
 */
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"

void csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	r->p = data;
	r->end = data + len;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

/* Appends ch to field n when it is kept; -1 when the field's buffer is full. */
static int put(struct buf *fields, int nmax, int n, char ch)
{
	if (n >= nmax)
		return 0;
	return buf_putc(&fields[n], ch);
}

int csv_read(struct csv_reader *r, struct buf *fields, int nmax, int *line)
{
	int n = 0, quoted = 0, at_field_start = 1, rc;

	*line = r->line;
	if (r->p >= r->end)
		return 0;
	for (int i = 0; i < nmax; i++)
		buf_reset(&fields[i]);
	for (;;) {
		char ch;

		if (r->p >= r->end) {
			if (quoted) {
				rc = CSV_UNTERMINATED;
				goto fail;
			}
			break;
		}
		ch = *r->p++;
		if (quoted) {
			if (ch == '"') {
				if (r->p < r->end && *r->p == '"') {
					r->p++;
					if (put(fields, nmax, n, '"') < 0)
						goto too_long;
				} else {
					quoted = 0;
				}
				continue;
			}
			if (ch == '\n' || (ch == '\r' && !(r->p < r->end && *r->p == '\n')))
				r->line++;
			if (put(fields, nmax, n, ch) < 0)
				goto too_long;
			continue;
		}
		if (ch == '"' && at_field_start) {
			quoted = 1;
			at_field_start = 0;
			continue;
		}
		if (ch == ',') {
			n++;
			at_field_start = 1;
			continue;
		}
		if (ch == '\r' && r->p < r->end && *r->p == '\n')
			continue; /* the LF ends the record */
		if (ch == '\n' || ch == '\r') {
			r->line++;
			break;
		}
		if (put(fields, nmax, n, ch) < 0)
			goto too_long;
		at_field_start = 0;
	}
	return n + 1;
too_long:
	rc = CSV_TOO_LONG;
fail:
	r->p = r->end;
	return rc;
}
