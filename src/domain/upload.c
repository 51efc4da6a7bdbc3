/*
 * Uploads (domain/upload.h): the type and size rules, the content hash, and the uploads row.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/upload.h"
#include "store/store.h"

static _Atomic(struct files *) the_store;

void upload_store_install(struct files *f)
{
	atomic_store(&the_store, f);
}

struct files *upload_store(void)
{
	return atomic_load(&the_store);
}

const char *upload_sniff(const unsigned char *p, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= sizeof png && memcmp(p, png, sizeof png) == 0)
		return "image/png";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

int upload_check(const struct upload *photos, size_t n, struct dom_err *e)
{
	if (n > UPLOAD_MAX_PER_RECORD)
		return dom_err_set(e, 400, "too_many_photos", "每条记录最多 %d 张照片",
		                   UPLOAD_MAX_PER_RECORD);
	for (size_t i = 0; photos && i < n; i++)
		if (!files_name_valid(photos[i].hash) || !photos[i].mime)
			return dom_err_set(e, 400, "bad_photo", "照片无效");
	return 0;
}

const char *upload_mime(const char *stored)
{
	static const char *const mimes[] = { "image/jpeg", "image/png", "image/webp" };

	for (size_t i = 0; stored && i < sizeof mimes / sizeof mimes[0]; i++)
		if (strcmp(stored, mimes[i]) == 0)
			return mimes[i];
	return NULL;
}

/* Reads the whole file once: its first bytes for the type, every byte for the hash. */
static int hash_file(int fd, unsigned char head[UPLOAD_SNIFF_BYTES], size_t *head_len,
                     unsigned char digest[32])
{
	crypto_generichash_state h;
	unsigned char chunk[64 * 1024];
	ssize_t n;

	*head_len = 0;
	if (crypto_generichash_init(&h, NULL, 0, 32) != 0)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (*head_len < UPLOAD_SNIFF_BYTES) {
			size_t take = UPLOAD_SNIFF_BYTES - *head_len;

			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(head + *head_len, chunk, take);
			*head_len += take;
		}
		if (crypto_generichash_update(&h, chunk, (unsigned long long)n) != 0)
			return -1;
	}
	return crypto_generichash_final(&h, digest, 32);
}

int upload_accept(const struct dom_ctx *x, const char *tmp_path, struct upload *out,
                  struct dom_err *e)
{
	struct files *store = upload_store();
	unsigned char head[UPLOAD_SNIFF_BYTES], digest[32];
	size_t head_len = 0;
	struct stat st;
	int fd = -1, rc = -1;

	(void)x;
	memset(out, 0, sizeof *out);
	if (!store) {
		dom_err_set(e, 503, "upload_failed", "文件存储不可用，请稍后重试");
		goto out;
	}
	fd = open(tmp_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		dom_err_set(e, 503, "upload_failed", "读取上传的文件失败，请重试");
		goto out;
	}
	if ((uint64_t)st.st_size > UPLOAD_MAX_BYTES) {
		dom_err_set(e, 413, "file_too_large", "单个文件不能超过 %u MB",
		            UPLOAD_MAX_BYTES / (1024 * 1024));
		goto out;
	}
	if (st.st_size == 0) {
		dom_err_set(e, 400, "empty_file", "上传的文件是空的");
		goto out;
	}
	if (hash_file(fd, head, &head_len, digest) != 0) {
		dom_err_set(e, 503, "upload_failed", "读取上传的文件失败，请重试");
		goto out;
	}
	out->mime = upload_sniff(head, head_len);
	if (!out->mime) {
		dom_err_set(e, 415, "unsupported_type",
		            "只接受 JPEG、PNG 或 WebP 格式的照片（按文件内容判断，与文件名无关）");
		goto out;
	}
	sodium_bin2hex(out->hash, sizeof out->hash, digest, sizeof digest);
	out->size = (uint64_t)st.st_size;
	if (files_commit(store, tmp_path, out->hash) != 0) {
		dom_err_set(e, 503, "upload_failed", "保存文件失败，请稍后重试");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		out->mime = NULL;
	return rc;
}

int upload_record_conn(struct store_conn *c, const struct dom_ctx *x, const struct upload *u,
                       struct dom_err *e)
{
	return dom_exec(c, e,
	                "INSERT INTO uploads (hash, mime, size, created_at, created_by) "
	                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
	                "ttiin", u->hash, u->mime, (int64_t)u->size, x->now, x->caller->user_id);
}

int upload_open(const char *hash, uint64_t *size)
{
	struct files *store = upload_store();

	*size = 0;
	return store ? files_open_read(store, hash, size) : -1;
}
