/*
 * The content-addressed file store beside the database (store/files.h): temporary file, fsync,
 * rename, fsync of the folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/files.h"

struct files {
	char dir[FILES_PATH_MAX]; /* DB.files */
	char tmp[FILES_PATH_MAX]; /* DB.files/tmp */
};

static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return -1;
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (fsync(fd) == 0)
		rc = 0;
	close(fd);
	return rc;
}

/* Removes the regular files a crash left in the tmp folder (nothing else lives there). */
static void clear_tmp(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;
	char path[FILES_PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", tmp, de->d_name) < sizeof path)
			(void)unlink(path);
	}
	closedir(d);
}

int files_open(const char *db_path, struct files **out, char *err, size_t errlen)
{
	struct files *f = calloc(1, sizeof *f);
	int rc = -1;

	*out = NULL;
	if (!f) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((size_t)snprintf(f->dir, sizeof f->dir, "%s.files", db_path) >= sizeof f->dir ||
	    (size_t)snprintf(f->tmp, sizeof f->tmp, "%s/tmp", f->dir) >= sizeof f->tmp) {
		(void)snprintf(err, errlen, "path too long");
		goto out;
	}
	if (make_dir(f->dir) < 0 || make_dir(f->tmp) < 0) {
		(void)snprintf(err, errlen, "cannot create %s: %s", f->tmp, strerror(errno));
		goto out;
	}
	clear_tmp(f->tmp);
	*out = f;
	f = NULL;
	rc = 0;
out:
	free(f);
	return rc;
}

void files_close(struct files *f)
{
	free(f);
}

const char *files_tmp_dir(const struct files *f)
{
	return f->tmp;
}

int files_tmp_create(const struct files *f, char path[FILES_PATH_MAX])
{
	int fd;

	if ((size_t)snprintf(path, FILES_PATH_MAX, "%s/up-XXXXXX", f->tmp) >= FILES_PATH_MAX)
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		(void)fchmod(fd, 0600);
	return fd;
}

int files_name_valid(const char *name)
{
	size_t n = 0;

	if (!name)
		return 0;
	for (; name[n]; n++)
		if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
			return 0;
	return n == FILES_HASH_HEX;
}

/* DB.files/ab and DB.files/ab/cdef... of a hash name. */
static int name_paths(const struct files *f, const char *name, char dir[FILES_PATH_MAX],
                      char path[FILES_PATH_MAX])
{
	if (!files_name_valid(name))
		return -1;
	if ((size_t)snprintf(dir, FILES_PATH_MAX, "%s/%.2s", f->dir, name) >= FILES_PATH_MAX ||
	    (size_t)snprintf(path, FILES_PATH_MAX, "%s/%s", dir, name + 2) >= FILES_PATH_MAX)
		return -1;
	return 0;
}

int files_commit(const struct files *f, const char *tmp_path, const char *name)
{
	char dir[FILES_PATH_MAX], path[FILES_PATH_MAX];
	struct stat st;
	int fd = -1, rc = -1;

	if (name_paths(f, name, dir, path) < 0)
		goto out;
	/* The bytes first: a name must never point at data that is not on disk yet. */
	fd = open(tmp_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fsync(fd) != 0)
		goto out;
	if (make_dir(dir) < 0)
		goto out;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		/* Stored already: the same hash is the same content. */
		(void)unlink(tmp_path);
		rc = 0;
		goto out;
	}
	if (rename(tmp_path, path) != 0)
		goto out;
	/* The rename is durable once both folders are synced (the fan-out folder may be new). */
	if (sync_dir(dir) != 0 || sync_dir(f->dir) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int files_open_read(const struct files *f, const char *name, uint64_t *size)
{
	char dir[FILES_PATH_MAX], path[FILES_PATH_MAX];
	struct stat st;
	int fd;

	*size = 0;
	if (name_paths(f, name, dir, path) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}
