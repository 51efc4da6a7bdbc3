/*
 * Uploads: files people send with a record (photos of a duty record, of a matter's events).
 * The rules live here: a file is at most UPLOAD_MAX_BYTES, at most UPLOAD_MAX_PER_RECORD are
 * attached to one record, and only JPEG, PNG and WebP are accepted, judged by the file's first
 * bytes (the client's Content-Type and file name are never believed). An accepted file is stored
 * once under the BLAKE2b-256 hash of its content (store/files.h), outside the database, and the
 * table uploads says what it is. A hash grants nothing: a file is served only through the record
 * it is attached to, by a route that checks the caller may see that record (domain/duty.h,
 * domain/matter.h).
 *
 * The file store is one per process (like the data key): `wangge serve` installs it at start-up
 * with upload_store_install; commands and tests that take uploads do the same.
 */
#ifndef WANGGE_DOMAIN_UPLOAD_H
#define WANGGE_DOMAIN_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "store/files.h"

#define UPLOAD_MAX_BYTES (8u * 1024 * 1024)
#define UPLOAD_MAX_PER_RECORD 9
#define UPLOAD_SNIFF_BYTES 16 /* the bytes upload_sniff needs */

struct upload {
	char hash[FILES_HASH_HEX + 1];
	const char *mime; /* static: "image/jpeg", "image/png" or "image/webp" */
	uint64_t size;
};

/* The process's file store (borrowed until the process ends, or until installed again). NULL
   uninstalls. */
void upload_store_install(struct files *f);
struct files *upload_store(void);

/* The type of a file from its first n bytes: "image/jpeg", "image/png", "image/webp", or NULL for
   anything else (an executable, HTML, SVG, a PDF...). */
const char *upload_sniff(const unsigned char *p, size_t n);

/* The photos of one record or event: 400 too_many_photos over UPLOAD_MAX_PER_RECORD, 400
   bad_photo when one has no valid hash or type. photos NULL: only the count is checked (before
   the files are taken into the store). 0, or -1 with e. Duty records and matters use it. */
int upload_check(const struct upload *photos, size_t n, struct dom_err *e);

/* The static type string equal to a stored one ("image/jpeg", "image/png", "image/webp"), or
   NULL for anything else: what a photo route answers as Content-Type. */
const char *upload_mime(const char *stored);

/* Takes a complete temporary file received from the client (in the store's tmp folder) into the
   store: refuses a file over UPLOAD_MAX_BYTES (413 file_too_large), an empty one (400
   empty_file) or one of another type (415 unsupported_type), hashes it and commits it under its
   hash. Fills out. On failure tmp_path is left where it was (its owner removes it); 503
   upload_failed when the store cannot take it. */
int upload_accept(const struct dom_ctx *x, const char *tmp_path, struct upload *out,
                  struct dom_err *e);

/* Inside a write (apply step): records the upload's row; a file stored before keeps its first
   row (who sent it first, and when). 0, or -1 with e. */
struct store_conn;
int upload_record_conn(struct store_conn *c, const struct dom_ctx *x, const struct upload *u,
                       struct dom_err *e);

/* Opens the stored file called hash for reading: a descriptor the caller closes, and *size; -1
   when there is no such file. Callers check the caller may see it first. */
int upload_open(const char *hash, uint64_t *size);

#include "base/banned.h"
#endif
