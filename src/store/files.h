/*
 * The file store beside the database: uploaded files (photos) kept outside SQLite, each under the
 * name of its content hash, DB.files/ab/cdef... (the first two hex digits fan the names out over
 * 256 folders). A file reaches its name only complete and on disk: it is written to a temporary
 * file in DB.files/tmp/, synced, and renamed (an atomic step on one file system), and the folder
 * is synced after, so a crash leaves at most a stray temporary file, never a half file under a
 * hash name. Temporary files left by a crash are removed when the store is opened.
 *
 * This layer knows files, not rules: which types and sizes are accepted, and who may read a file,
 * is decided in domain/upload.h and the records files are attached to.
 */
#ifndef WANGGE_STORE_FILES_H
#define WANGGE_STORE_FILES_H

#include <stddef.h>
#include <stdint.h>

#define FILES_HASH_HEX 64 /* BLAKE2b-256 as lowercase hex */
#define FILES_PATH_MAX 4096

struct files;

/* Opens (creating with mode 0700) DB.files/ and DB.files/tmp/ beside db_path, removing what a
   crash left in tmp/. *out is owned by the caller (files_close). 0, or -1 with a reason in err. */
int files_open(const char *db_path, struct files **out, char *err, size_t errlen);
void files_close(struct files *f);
/* The folder of temporary files (borrowed; lives as long as f). Files written there can be
   committed by rename. */
const char *files_tmp_dir(const struct files *f);
/* A new empty temporary file (mode 0600) in the tmp folder: its descriptor, path written to
   path. -1 on failure. The caller closes the descriptor and commits or unlinks the path. */
int files_tmp_create(const struct files *f, char path[FILES_PATH_MAX]);
/* 1 when name is FILES_HASH_HEX lowercase hex digits. */
int files_name_valid(const char *name);
/* Gives the complete temporary file tmp_path (in the tmp folder) its name: syncs it, creates the
   fan-out folder, renames, syncs the folder. When a file of that name exists already (the same
   content), tmp_path is removed instead. 0, or -1 (tmp_path is then left for the caller). */
int files_commit(const struct files *f, const char *tmp_path, const char *name);
/* Opens the file called name for reading: its descriptor (O_CLOEXEC) and *size, or -1 when it is
   missing or name is not a hash. */
int files_open_read(const struct files *f, const char *name, uint64_t *size);

#include "base/banned.h"
#endif
