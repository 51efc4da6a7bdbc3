/*
 * Unit tests for domain/upload and store/files: a file lands under the BLAKE2b hash of its content
 * (DB.files/ab/cdef...), the same content twice is one file, the type is judged by magic bytes
 * (an .exe renamed .jpg and an HTML page are refused whatever their name), the size limit, and
 * the tmp folder is emptied when the store opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "domain/upload.h"
#include "store/files.h"

struct fx {
	char dir[64];
	char db[128];
	struct files *files;
	struct dom_ctx x;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	if (sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-upload-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	if (files_open(f->db, &f->files, err, sizeof err) < 0)
		return -1;
	upload_store_install(f->files);
	dom_ctx_cli(&f->x, NULL, NULL, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	upload_store_install(NULL);
	files_close(f->files);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Writes n bytes of p into a new temporary file of the store named like a client's upload; the
   path goes to path. */
static void tmp_with(struct fx *f, const void *p, size_t n, char path[FILES_PATH_MAX])
{
	int fd = files_tmp_create(f->files, path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1 };

static void test_sniff(void **state)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0 };
	static const unsigned char webp[] = "RIFF\x10\0\0\0WEBPVP8 ";
	static const unsigned char exe[] = "MZ\x90\0\x03\0\0\0\x04\0\0\0";
	static const unsigned char html[] = "<!doctype html><script>alert(1)</script>";
	static const unsigned char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
	static const unsigned char riff_wav[] = "RIFF\x10\0\0\0WAVEfmt ";

	(void)state;
	assert_string_equal(upload_sniff(jpeg, sizeof jpeg), "image/jpeg");
	assert_string_equal(upload_sniff(png, sizeof png), "image/png");
	assert_string_equal(upload_sniff(webp, sizeof webp - 1), "image/webp");
	assert_null(upload_sniff(exe, sizeof exe - 1));
	assert_null(upload_sniff(html, sizeof html - 1));
	assert_null(upload_sniff(svg, sizeof svg - 1));
	assert_null(upload_sniff(riff_wav, sizeof riff_wav - 1));
	assert_null(upload_sniff(jpeg, 2)); /* too short to tell */
}

static void test_stored_under_content_hash(void **state)
{
	struct fx *f = *state;
	char path[FILES_PATH_MAX], want[FILES_HASH_HEX + 1], stored[FILES_PATH_MAX];
	unsigned char digest[32];
	struct dom_err e = { 0 };
	struct upload u, again;
	struct stat st;
	uint64_t size;
	int fd;

	crypto_generichash(digest, sizeof digest, jpeg, sizeof jpeg, NULL, 0);
	sodium_bin2hex(want, sizeof want, digest, sizeof digest);
	tmp_with(f, jpeg, sizeof jpeg, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), 0);
	assert_string_equal(u.hash, want);
	assert_string_equal(u.mime, "image/jpeg");
	assert_int_equal(u.size, sizeof jpeg);
	/* DB.files/<2 hex>/<62 hex>, and the temporary file is gone. */
	snprintf(stored, sizeof stored, "%s.files/%.2s/%s", f->db, want, want + 2);
	assert_int_equal(stat(stored, &st), 0);
	assert_int_equal(st.st_size, sizeof jpeg);
	assert_int_not_equal(stat(path, &st), 0);
	/* The same bytes again: the same name, one file, the second temporary file removed. */
	tmp_with(f, jpeg, sizeof jpeg, path);
	assert_int_equal(upload_accept(&f->x, path, &again, &e), 0);
	assert_string_equal(again.hash, want);
	assert_int_not_equal(stat(path, &st), 0);
	fd = upload_open(want, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, sizeof jpeg);
	close(fd);
	/* Names that are not hashes open nothing (no path tricks through the name). */
	assert_int_equal(upload_open("../../etc/passwd", &size), -1);
	assert_int_equal(upload_open("AB", &size), -1);
}

static void test_refuses_other_types_whatever_the_name(void **state)
{
	struct fx *f = *state;
	static const char exe[] = "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0 not a photo";
	static const char html[] = "<html><body><img src=x onerror=alert(1)></body></html>";
	char path[FILES_PATH_MAX];
	struct dom_err e = { 0 };
	struct upload u;
	struct stat st;

	/* The client called it photo.jpg and said image/jpeg; neither is asked. */
	tmp_with(f, exe, sizeof exe - 1, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), -1);
	assert_int_equal(e.status, 415);
	assert_string_equal(e.code, "unsupported_type");
	assert_int_equal(stat(path, &st), 0); /* left for its owner to remove */
	unlink(path);
	tmp_with(f, html, sizeof html - 1, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), -1);
	assert_int_equal(e.status, 415);
	unlink(path);
	tmp_with(f, "", 0, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), -1);
	assert_string_equal(e.code, "empty_file");
	unlink(path);
}

static void test_size_limit(void **state)
{
	struct fx *f = *state;
	char path[FILES_PATH_MAX];
	struct dom_err e = { 0 };
	struct upload u;
	unsigned char *big = calloc(1, UPLOAD_MAX_BYTES + 1);

	assert_non_null(big);
	memcpy(big, jpeg, sizeof jpeg);
	tmp_with(f, big, UPLOAD_MAX_BYTES + 1, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), -1);
	assert_int_equal(e.status, 413);
	assert_string_equal(e.code, "file_too_large");
	unlink(path);
	/* Exactly the limit is accepted. */
	tmp_with(f, big, UPLOAD_MAX_BYTES, path);
	assert_int_equal(upload_accept(&f->x, path, &u, &e), 0);
	free(big);
}

static void test_open_clears_tmp(void **state)
{
	struct fx *f = *state;
	char path[FILES_PATH_MAX], err[256];
	struct files *again = NULL;
	struct stat st;

	/* A crash left a half-written temporary file: the next open removes it. */
	tmp_with(f, jpeg, 5, path);
	assert_int_equal(files_open(f->db, &again, err, sizeof err), 0);
	assert_int_not_equal(stat(path, &st), 0);
	files_close(again);
	assert_true(files_name_valid(
	        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(files_name_valid(
	        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(files_name_valid("0123"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test_setup_teardown(test_stored_under_content_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_other_types_whatever_the_name, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_clears_tmp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
