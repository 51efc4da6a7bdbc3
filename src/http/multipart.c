/*
 * multipart/form-data through libmicrohttpd's post processor (http/multipart.h): text fields in
 * memory, file parts streamed to temporary files.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/multipart.h"

#define PP_BUFFER 16384 /* the post processor's own buffer (it holds a part's headers) */

const char *multipart_value(const struct multipart *m, const char *name)
{
	for (size_t i = 0; m && i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return m->fields[i].value;
	return NULL;
}

static int fail(struct multipart *m, int status)
{
	if (!m->error)
		m->error = status;
	return MHD_NO;
}

static void close_file(struct multipart *m)
{
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static enum MHD_Result start_file(struct multipart *m, const char *key, const char *filename)
{
	struct multipart_file *f;

	if (m->nfiles == MULTIPART_FILES_MAX)
		return (enum MHD_Result)fail(m, 413);
	f = &m->files[m->nfiles];
	memset(f, 0, sizeof *f);
	if ((size_t)snprintf(f->path, sizeof f->path, "%s/up-XXXXXX", m->tmp_dir) >= sizeof f->path)
		return (enum MHD_Result)fail(m, 503);
	m->fd = mkostemp(f->path, O_CLOEXEC);
	if (m->fd < 0) {
		f->path[0] = '\0';
		return (enum MHD_Result)fail(m, 503);
	}
	(void)fchmod(m->fd, 0600);
	m->nfiles++;
	f->field = dup_or_empty(key);
	f->filename = dup_or_empty(filename);
	if (!f->field || !f->filename)
		return (enum MHD_Result)fail(m, 503);
	return MHD_YES;
}

static enum MHD_Result start_field(struct multipart *m, const char *key)
{
	struct multipart_field *f;
	size_t klen = strlen(key);

	if (m->nfields == MULTIPART_FIELD_COUNT ||
	    __builtin_add_overflow(m->field_bytes, klen, &m->field_bytes) ||
	    m->field_bytes > MULTIPART_FIELDS_MAX)
		return (enum MHD_Result)fail(m, 400);
	f = &m->fields[m->nfields++];
	f->name = strdup(key);
	f->value = calloc(1, 1);
	f->len = 0;
	if (!f->name || !f->value)
		return (enum MHD_Result)fail(m, 503);
	return MHD_YES;
}

/* Called by the post processor for every piece of every part. A part's first piece has off 0;
   an empty part may come as one call with size 0, and a later piece of the same part never has
   off 0 unless nothing was delivered before, so "off 0 and something already delivered" marks
   the next part. */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
	struct multipart *m = cls;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (m->error)
		return MHD_NO;
	if (!key)
		return (enum MHD_Result)fail(m, 400);
	if (off == 0) {
		int same = 0;

		if (m->fd >= 0 && m->nfiles) {
			const struct multipart_file *f = &m->files[m->nfiles - 1];

			same = filename && f->size == 0 && strcmp(f->field, key) == 0;
		} else if (m->in_field && m->nfields) {
			const struct multipart_field *f = &m->fields[m->nfields - 1];

			same = !filename && f->len == 0 && strcmp(f->name, key) == 0;
		}
		if (!same) {
			close_file(m);
			m->in_field = 0;
			if (filename) {
				if (start_file(m, key, filename) != MHD_YES)
					return MHD_NO;
			} else {
				if (start_field(m, key) != MHD_YES)
					return MHD_NO;
				m->in_field = 1;
			}
		}
	}
	if (size == 0)
		return MHD_YES;
	if (m->fd >= 0) {
		struct multipart_file *f = &m->files[m->nfiles - 1];

		if (f->size + size > MULTIPART_FILE_MAX)
			return (enum MHD_Result)fail(m, 413);
		if (write_all(m->fd, data, size) < 0)
			return (enum MHD_Result)fail(m, 503);
		f->size += size;
	} else if (m->in_field) {
		struct multipart_field *f = &m->fields[m->nfields - 1];
		char *v;

		if (__builtin_add_overflow(m->field_bytes, size, &m->field_bytes) ||
		    m->field_bytes > MULTIPART_FIELDS_MAX)
			return (enum MHD_Result)fail(m, 400);
		v = realloc(f->value, f->len + size + 1);
		if (!v)
			return (enum MHD_Result)fail(m, 503);
		memcpy(v + f->len, data, size);
		f->len += size;
		v[f->len] = '\0';
		f->value = v;
	} else {
		return (enum MHD_Result)fail(m, 400);
	}
	return MHD_YES;
}

struct multipart *multipart_new(struct MHD_Connection *conn, const char *tmp_dir)
{
	const char *ct =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct multipart *m;

	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 || !tmp_dir || !*tmp_dir)
		return NULL;
	m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->fd = -1;
	(void)snprintf(m->tmp_dir, sizeof m->tmp_dir, "%s", tmp_dir);
	m->pp = MHD_create_post_processor(conn, PP_BUFFER, on_part, m);
	if (!m->pp) {
		free(m);
		return NULL;
	}
	return m;
}

int multipart_feed(struct multipart *m, const char *data, size_t n)
{
	if (m->error)
		return -1;
	if (MHD_post_process(m->pp, data, n) != MHD_YES && !m->error)
		m->error = 400;
	return m->error ? -1 : 0;
}

int multipart_finish(struct multipart *m)
{
	close_file(m);
	if (m->pp) {
		if (MHD_destroy_post_processor(m->pp) != MHD_YES && !m->error)
			m->error = 400; /* the body ended inside a part */
		m->pp = NULL;
	}
	return m->error ? -1 : 0;
}

void multipart_free(struct multipart *m)
{
	if (!m)
		return;
	close_file(m);
	if (m->pp)
		(void)MHD_destroy_post_processor(m->pp);
	for (size_t i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].path[0])
			(void)unlink(m->files[i].path);
		free(m->files[i].field);
		free(m->files[i].filename);
	}
	free(m);
}
