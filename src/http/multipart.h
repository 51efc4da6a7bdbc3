/*
 * multipart/form-data request bodies (forms with files), for the routes flagged ROUTE_MULTIPART.
 * libmicrohttpd's post processor parses the body as it arrives; text fields are kept in memory
 * (MULTIPART_FIELDS_MAX bytes in all) and every file part is streamed to its own temporary file in
 * the upload folder the server was given, so a request holds at most a few kilobytes of a file in
 * memory however large it is. A file part over MULTIPART_FILE_MAX bytes, or more than
 * MULTIPART_FILES_MAX file parts, ends the upload: the request is answered 413 without reading
 * the rest. Temporary files still in the folder when the request ends are removed; a handler
 * that wants to keep one moves it away first (domain/upload.h commits it by rename).
 *
 * Handlers see the parsed form through req_multipart() (http.h); the client's file name and part
 * Content-Type are kept for the record but decide nothing.
 */
#ifndef WANGGE_HTTP_MULTIPART_H
#define WANGGE_HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_FIELDS_MAX (64 * 1024)      /* bytes of text fields (names and values) */
#define MULTIPART_FIELD_COUNT 32              /* text fields */
#define MULTIPART_FILES_MAX 16                /* file parts; the domain allows fewer */
#define MULTIPART_FILE_MAX (8u * 1024 * 1024) /* bytes of one file part */
#define MULTIPART_PATH_MAX 4096

struct multipart_field {
	char *name; /* owned by the multipart */
	char *value;
	size_t len;
};

struct multipart_file {
	char *field;                   /* the form field name */
	char *filename;                /* as the client sent it (may be ""); never used as a path */
	char path[MULTIPART_PATH_MAX]; /* the temporary file; "" once moved or removed */
	uint64_t size;
};

struct multipart {
	struct multipart_field fields[MULTIPART_FIELD_COUNT];
	size_t nfields;
	struct multipart_file files[MULTIPART_FILES_MAX];
	size_t nfiles;
	/* What ended the upload: 0 none, 413 (too large / too many files), 400 (malformed or
	   too many fields), 503 (the temporary file could not be written). */
	int error;
	/* private */
	void *pp; /* struct MHD_PostProcessor */
	char tmp_dir[MULTIPART_PATH_MAX];
	size_t field_bytes;
	int fd;       /* the open file part, -1 when none */
	int in_field; /* the current part is a text field (the last of fields[]) */
};

/* The first value of the text field name, or NULL. Borrowed from m. */
const char *multipart_value(const struct multipart *m, const char *name);

/* For the server (http/server.c): a parser for the body of conn when its Content-Type is
   multipart/form-data, writing file parts into tmp_dir; NULL when it is not multipart (or out of
   memory). multipart_feed takes the next bytes of the body: 0, or -1 once m->error is set (feed
   nothing more). multipart_finish ends the body (closes the last file). multipart_free removes
   every temporary file still in place and frees m (NULL is allowed). */
struct MHD_Connection;
struct multipart *multipart_new(struct MHD_Connection *conn, const char *tmp_dir);
int multipart_feed(struct multipart *m, const char *data, size_t n);
int multipart_finish(struct multipart *m);
void multipart_free(struct multipart *m);

#include "base/banned.h"
#endif
