/*
 * Photos over HTTP, shared by the routes that take or serve them (duty records, matters): the
 * file parts of a multipart form (every file in the field "photos"), taking them into the
 * upload store (domain/upload.h decides size, type by magic bytes and hash), and answering one
 * photo once the domain said the caller may see the record it belongs to. Owns nothing beyond
 * the request.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/upload.h"
#include "http/multipart.h"

_Static_assert(MULTIPART_FILE_MAX == UPLOAD_MAX_BYTES,
               "the HTTP layer stops a file where the upload rule refuses it");

int api_photo_parts_or_respond(struct req *r, const struct multipart *m, size_t *n)
{
	*n = 0;
	for (size_t i = 0; m && i < m->nfiles; i++)
		if (strcmp(m->files[i].field, "photos") != 0) {
			resp_error(r, 400, "unknown_field", "文件只能放在字段 photos 中");
			return -1;
		}
	*n = m ? m->nfiles : 0;
	return 0;
}

int api_photos_accept_or_respond(struct req *r, const struct dom_ctx *x, const struct multipart *m,
                                 size_t n, struct upload *out)
{
	struct dom_err e = { 0 };

	for (size_t i = 0; i < n; i++)
		if (upload_accept(x, m->files[i].path, &out[i], &e) < 0) {
			respond_dom_err(r, &e);
			return -1;
		}
	return 0;
}

void api_photo_send(struct req *r, const char *hash, const char *mime)
{
	char etag[FILES_HASH_HEX + 3];
	const char *inm;
	uint64_t size = 0;
	int fd;

	/* The content never changes under its hash: cache it long, privately (it is not public). */
	(void)snprintf(etag, sizeof etag, "\"%s\"", hash);
	resp_header(r, "ETag", etag);
	resp_header(r, "Cache-Control", "private, max-age=31536000, immutable");
	resp_header(r, "Content-Disposition", "inline");
	inm = req_header(r, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		resp_bytes(r, 304, mime, "", 0);
		return;
	}
	fd = upload_open(hash, &size);
	if (fd < 0) {
		resp_error(r, 404, "not_found", "照片不存在");
		return;
	}
	resp_file(r, 200, mime, fd, size);
}
