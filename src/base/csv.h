/*
 * A reader of CSV text as RFC 4180 writes it: fields separated by commas, records by CRLF (a bare
 * LF or CR is accepted too), fields that hold a comma, a quote or a line break enclosed in double
 * quotes with inner quotes doubled. A UTF-8 byte order mark at the start is skipped. Every record
 * is reported with the physical line it starts on, so a caller can tell a person "第 N 行" even
 * when quoted fields span lines. Nothing is trimmed or interpreted: a field is the bytes between
 * the separators, quotes removed.
 *
 * The reader borrows the text and allocates nothing itself; fields go into buffers the caller
 * owns (base/buf.h), whose maximum sizes bound what one field may hold.
 */
#ifndef WANGGE_BASE_CSV_H
#define WANGGE_BASE_CSV_H

#include <stddef.h>

struct buf;

#define CSV_UNTERMINATED (-1) /* a quoted field runs to the end of the text */
#define CSV_TOO_LONG (-2)     /* a field did not fit its buffer */

struct csv_reader {
	const char *p, *end; /* the unread text (borrowed) */
	int line;            /* physical line of p, from 1 */
};

/* Starts reading data[0..len) (borrowed; need not be NUL-terminated), skipping a UTF-8 BOM. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len);

/*
 * Reads the next record. Its first nmax fields go into fields[0..nmax) (each emptied first); any
 * further fields are counted but dropped. Returns the number of fields in the record (>= 1; an
 * empty line is one empty field), 0 at the end of the text, or CSV_UNTERMINATED / CSV_TOO_LONG.
 * *line receives the physical line the record starts on. After an error the reader is at the end.
 */
int csv_read(struct csv_reader *r, struct buf *fields, int nmax, int *line);

#include "base/banned.h"
#endif
