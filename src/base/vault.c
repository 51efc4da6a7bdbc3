/*
 * Encryption at rest: see vault.h. libsodium does the cryptography; this file only frames it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/vault.h"

#define KDF_CONTEXT "wgvault1" /* crypto_kdf_CONTEXTBYTES = 8 */
#define KEY_ID_INPUT "wangge-data-key-id"
#define KEY_ID_LEN 16
#define SUBKEY_AEAD 1
#define SUBKEY_INDEX 2
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_ORIGINAL
#define AD_MAX 160
#define RAW_MAX 4096 /* largest sealed payload handled (nonce + ciphertext + tag) */

int keyfile_load(const char *path, size_t len, int create, unsigned char *key, char *err,
                 size_t errlen)
{
	struct stat st;
	int fd, rc = -1;
	ssize_t got;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		if (!create)
			return 1;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			randombytes_buf(key, len);
			if (write(fd, key, len) != (ssize_t)len || fsync(fd) != 0) {
				snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
				close(fd);
				unlink(path);
				sodium_memzero(key, len);
				return -1;
			}
			close(fd);
			log_info("keyfile.created", "path=%s", path);
			return 0;
		}
		if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); /* lost a race: read theirs */
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)len) {
		snprintf(err, errlen, "%s is not a %zu-byte key file", path, len);
		goto out;
	}
	if (st.st_mode & 077)
		log_warn("keyfile.mode", "path=%s mode=%o want=600", path,
		         (unsigned)(st.st_mode & 0777));
	got = read(fd, key, len);
	if (got != (ssize_t)len) {
		snprintf(err, errlen, "cannot read %s", path);
		sodium_memzero(key, len);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int vault_key_path(const char *db_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s.data.key", db_path);

	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static const char *const key_file_suffix[] = { ".data.key", ".data.key.new", ".data.key.old" };

int vault_key_file_path(const char *db_path, enum vault_key_file which, char *out, size_t n)
{
	int w;

	if ((unsigned)which >= sizeof key_file_suffix / sizeof key_file_suffix[0])
		return -1;
	w = snprintf(out, n, "%s%s", db_path, key_file_suffix[which]);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

void vault_init(struct vault *v, const unsigned char key[VAULT_KEY_LEN])
{
	unsigned char id[KEY_ID_LEN];

	sodium_memzero(v, sizeof *v);
	crypto_kdf_derive_from_key(v->aead_key, sizeof v->aead_key, SUBKEY_AEAD, KDF_CONTEXT, key);
	crypto_kdf_derive_from_key(v->index_key, sizeof v->index_key, SUBKEY_INDEX, KDF_CONTEXT,
	                           key);
	/* A keyed hash of a constant: equal for equal keys, and says nothing about the key. */
	crypto_generichash(id, sizeof id, (const unsigned char *)KEY_ID_INPUT,
	                   sizeof KEY_ID_INPUT - 1, key, VAULT_KEY_LEN);
	sodium_bin2hex(v->key_id, sizeof v->key_id, id, sizeof id);
	v->ready = 1;
}

void vault_set_previous(struct vault *v, const struct vault *prev)
{
	sodium_memzero(v->prev_aead_key, sizeof v->prev_aead_key);
	sodium_memzero(v->prev_index_key, sizeof v->prev_index_key);
	v->prev_key_id[0] = '\0';
	v->prev_ready = 0;
	if (!prev || !prev->ready)
		return;
	memcpy(v->prev_aead_key, prev->aead_key, sizeof v->prev_aead_key);
	memcpy(v->prev_index_key, prev->index_key, sizeof v->prev_index_key);
	memcpy(v->prev_key_id, prev->key_id, sizeof v->prev_key_id);
	v->prev_ready = 1;
}

void vault_previous(const struct vault *v, struct vault *out)
{
	sodium_memzero(out, sizeof *out);
	if (!v || !v->prev_ready)
		return;
	memcpy(out->aead_key, v->prev_aead_key, sizeof out->aead_key);
	memcpy(out->index_key, v->prev_index_key, sizeof out->index_key);
	memcpy(out->key_id, v->prev_key_id, sizeof out->key_id);
	out->ready = 1;
}

int vault_load(struct vault *v, const char *db_path, int create, char *err, size_t errlen)
{
	unsigned char key[VAULT_KEY_LEN];
	char path[4096];
	int rc;

	if (vault_key_path(db_path, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	rc = keyfile_load(path, sizeof key, create, key, err, errlen);
	if (rc == 0)
		vault_init(v, key);
	sodium_memzero(key, sizeof key);
	return rc;
}

void vault_wipe(struct vault *v)
{
	sodium_memzero(v, sizeof *v);
}

size_t vault_sealed_size(size_t plain_len)
{
	return sizeof VAULT_PREFIX - 1 +
	       sodium_base64_ENCODED_LEN(NONCE_LEN + plain_len + TAG_LEN, B64);
}

static int make_ad(const char *field, int64_t row, char ad[AD_MAX])
{
	int w = snprintf(ad, AD_MAX, "%s#%" PRId64, field ? field : "", row);

	return w < 0 || w >= AD_MAX ? -1 : w;
}

int vault_seal(const struct vault *v, const char *field, int64_t row, const char *plain, char *out,
               size_t n)
{
	unsigned char raw[RAW_MAX];
	unsigned long long clen = 0;
	size_t plen = strlen(plain);
	char ad[AD_MAX];
	int adlen = make_ad(field, row, ad);

	if (!v || !v->ready || adlen < 0 || NONCE_LEN + plen + TAG_LEN > sizeof raw ||
	    n < vault_sealed_size(plen))
		return -1;
	randombytes_buf(raw, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	        raw + NONCE_LEN, &clen, (const unsigned char *)plain, plen,
	        (const unsigned char *)ad, (size_t)adlen, NULL, raw, v->aead_key);
	memcpy(out, VAULT_PREFIX, sizeof VAULT_PREFIX - 1);
	sodium_bin2base64(out + sizeof VAULT_PREFIX - 1, n - (sizeof VAULT_PREFIX - 1), raw,
	                  NONCE_LEN + (size_t)clen, B64);
	sodium_memzero(raw, sizeof raw);
	return 0;
}

int vault_is_sealed(const char *s)
{
	return s && strncmp(s, VAULT_PREFIX, sizeof VAULT_PREFIX - 1) == 0;
}

/* Opens with one AEAD key. 0 or -1 (out wiped). */
static int open_with(const unsigned char *aead_key, const char *field, int64_t row,
                     const char *sealed, char *out, size_t n)
{
	unsigned char raw[RAW_MAX];
	unsigned long long mlen = 0;
	size_t rawlen = 0;
	char ad[AD_MAX];
	int adlen = make_ad(field, row, ad), rc = -1;

	if (n)
		out[0] = '\0';
	if (adlen < 0 || !vault_is_sealed(sealed) || n == 0)
		return -1;
	sealed += sizeof VAULT_PREFIX - 1;
	if (sodium_base642bin(raw, sizeof raw, sealed, strlen(sealed), NULL, &rawlen, NULL, B64) !=
	            0 ||
	    rawlen < NONCE_LEN + TAG_LEN || rawlen - NONCE_LEN - TAG_LEN >= n)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	            (unsigned char *)out, &mlen, NULL, raw + NONCE_LEN, rawlen - NONCE_LEN,
	            (const unsigned char *)ad, (size_t)adlen, raw, aead_key) != 0) {
		sodium_memzero(out, n);
		goto out;
	}
	out[mlen] = '\0';
	if (memchr(out, '\0', (size_t)mlen)) { /* not a string: refuse rather than truncate */
		sodium_memzero(out, n);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(raw, sizeof raw);
	return rc;
}

int vault_open_which(const struct vault *v, const char *field, int64_t row, const char *sealed,
                     char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	if (!v || !v->ready)
		return -1;
	if (open_with(v->aead_key, field, row, sealed, out, n) == 0)
		return 0;
	if (v->prev_ready && open_with(v->prev_aead_key, field, row, sealed, out, n) == 0)
		return 1;
	return -1;
}

int vault_open(const struct vault *v, const char *field, int64_t row, const char *sealed, char *out,
               size_t n)
{
	return vault_open_which(v, field, row, sealed, out, n) < 0 ? -1 : 0;
}

void vault_blind_index(const struct vault *v, const char *field, const char *value,
                       char out[VAULT_INDEX_HEX])
{
	unsigned char h[32];
	crypto_generichash_state st;

	crypto_generichash_init(&st, v->index_key, sizeof v->index_key, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)field, strlen(field) + 1);
	crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, VAULT_INDEX_HEX, h, sizeof h);
	sodium_memzero(&st, sizeof st);
}

int vault_load_with_old(struct vault *v, const char *db_path, char *err, size_t errlen)
{
	unsigned char key[VAULT_KEY_LEN];
	struct vault old;
	char path[4096];
	int rc = vault_load(v, db_path, 0, err, errlen);

	if (rc != 0)
		return rc;
	if (vault_key_file_path(db_path, VAULT_KEY_OLD, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		vault_wipe(v);
		return -1;
	}
	rc = keyfile_load(path, sizeof key, 0, key, err, errlen);
	if (rc == 0) {
		vault_init(&old, key);
		vault_set_previous(v, &old);
		vault_wipe(&old);
	} else if (rc < 0) {
		vault_wipe(v);
	}
	sodium_memzero(key, sizeof key);
	return rc < 0 ? -1 : 0;
}

static struct vault global_vault;

int vault_global_load(const char *db_path, int64_t sealed_values, char *err, size_t errlen)
{
	struct vault v;
	char path[4096];
	int rc = vault_key_file_exists(db_path, VAULT_KEY_NEW, err, errlen);

	if (rc != 0) {
		if (rc == 1) {
			vault_key_file_path(db_path, VAULT_KEY_NEW, path, sizeof path);
			snprintf(err, errlen,
			         "a data key rotation is unfinished (%s exists): run `wangge keys "
			         "rotate --db %s` again to finish it",
			         path, db_path);
		}
		return -1;
	}
	rc = vault_load_with_old(&v, db_path, err, errlen);
	if (rc == 1 && sealed_values > 0) {
		vault_key_path(db_path, path, sizeof path);
		snprintf(err, errlen,
		         "the data key file %s is missing but the database holds %" PRId64
		         " encrypted value(s): restore the key file from its backup (a new key "
		         "cannot read them)",
		         path, sealed_values);
		return -1;
	}
	if (rc == 1)
		rc = vault_load(&v, db_path, 1, err, errlen);
	if (rc != 0)
		return -1;
	global_vault = v;
	vault_wipe(&v);
	return 0;
}

const struct vault *vault_global(void)
{
	return global_vault.ready ? &global_vault : NULL;
}

void vault_global_set(const struct vault *v)
{
	if (v)
		global_vault = *v;
	else
		vault_wipe(&global_vault);
}

/* ---- the key files of a rotation ---- */

/* fsync of the folder holding path, so a link, rename or unlink in it survives a crash. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	int fd, rc = -1;

	if (len >= sizeof dir) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (!slash)
		memcpy(dir, ".", 2);
	else if (len == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) == 0)
		rc = 0;
	else
		snprintf(err, errlen, "cannot sync the folder %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int vault_key_file_exists(const char *db_path, enum vault_key_file which, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	if (vault_key_file_path(db_path, which, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "cannot look at %s: %s", path, strerror(errno));
	return -1;
}

/* Makes the key file path holding key, whole or not at all: written and synced under a temporary
   name, then linked into place (link, unlike rename, never replaces an existing file) and the
   folder synced. Returns 0, 1 when path appeared meanwhile (nothing written), -1 with err. */
static int keyfile_create_whole(const char *path, const unsigned char *key, size_t len, char *err,
                                size_t errlen)
{
	char tmp[4096 + 8];
	int fd = -1, rc = -1, w = snprintf(tmp, sizeof tmp, "%s.tmp", path);

	if (w < 0 || (size_t)w >= sizeof tmp) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	if (unlink(tmp) != 0 && errno != ENOENT) { /* left by a crash before the link */
		snprintf(err, errlen, "cannot remove %s: %s", tmp, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, key, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = 1;
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	rc = sync_dir(path, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int vault_rotation_load(struct vault *v, const char *db_path, int create, int *created, char *err,
                        size_t errlen)
{
	unsigned char key[VAULT_KEY_LEN];
	struct vault cur;
	char path[4096];
	int rc;

	*created = 0;
	rc = vault_load(&cur, db_path, 0, err, errlen);
	if (rc == 1) {
		vault_key_path(db_path, path, sizeof path);
		snprintf(err, errlen,
		         "the data key file %s is missing: there is no key to rotate (restore it "
		         "from its backup)",
		         path);
	}
	if (rc != 0)
		return -1;
	if (vault_key_file_path(db_path, VAULT_KEY_NEW, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		rc = -1;
		goto out;
	}
	rc = keyfile_load(path, sizeof key, 0, key, err, errlen);
	if (rc == 1 && !create)
		snprintf(err, errlen, "the new data key file %s is missing", path);
	if (rc == 1 && create) {
		randombytes_buf(key, sizeof key);
		rc = keyfile_create_whole(path, key, sizeof key, err, errlen);
		if (rc == 0)
			*created = 1;
		else if (rc == 1) /* made meanwhile by another run: use that one */
			rc = keyfile_load(path, sizeof key, 0, key, err, errlen);
	}
	if (rc == 0) {
		vault_init(v, key);
		vault_set_previous(v, &cur);
	}
out:
	sodium_memzero(key, sizeof key);
	vault_wipe(&cur);
	return rc == 0 ? 0 : -1;
}

int vault_rotation_switch(const char *db_path, char *err, size_t errlen)
{
	unsigned char cur_key[VAULT_KEY_LEN], old_key[VAULT_KEY_LEN], new_key[VAULT_KEY_LEN];
	char cur[4096], new[4096], old[4096];
	int rc = -1, have_old;

	if (vault_key_file_path(db_path, VAULT_KEY_CURRENT, cur, sizeof cur) < 0 ||
	    vault_key_file_path(db_path, VAULT_KEY_NEW, new, sizeof new) < 0 ||
	    vault_key_file_path(db_path, VAULT_KEY_OLD, old, sizeof old) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	/* Both must be whole before anything moves. */
	have_old = keyfile_load(new, sizeof new_key, 0, new_key, err, errlen);
	if (have_old == 0)
		have_old = keyfile_load(cur, sizeof cur_key, 0, cur_key, err, errlen);
	if (have_old == 1)
		snprintf(err, errlen, "%s or %s is missing", new, cur);
	if (have_old != 0)
		goto out;
	have_old = keyfile_load(old, sizeof old_key, 0, old_key, err, errlen);
	if (have_old < 0)
		goto out;
	if (have_old == 0 && sodium_memcmp(old_key, cur_key, sizeof cur_key) != 0) {
		snprintf(err, errlen,
		         "%s holds another key than %s (left from an earlier rotation, or put "
		         "there by hand): check that no backup needs it, move it away, and run "
		         "the rotation again",
		         old, cur);
		goto out;
	}
	/* (1) Keep the current key as .old (a second name of the same file). */
	if (have_old == 1) {
		if (link(cur, old) != 0) {
			snprintf(err, errlen, "cannot link %s to %s: %s", cur, old,
			         strerror(errno));
			goto out;
		}
		if (sync_dir(old, err, errlen) != 0)
			goto out;
	}
	/* (2) The new key becomes the current one, in one step. */
	if (rename(new, cur) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", new, cur, strerror(errno));
		goto out;
	}
	if (sync_dir(cur, err, errlen) != 0)
		goto out;
	log_info("vault.key_switched", "path=%s", cur);
	rc = 0;
out:
	sodium_memzero(cur_key, sizeof cur_key);
	sodium_memzero(old_key, sizeof old_key);
	sodium_memzero(new_key, sizeof new_key);
	return rc;
}

int vault_retire_old(const char *db_path, char *err, size_t errlen)
{
	char old[4096];

	if (vault_key_file_path(db_path, VAULT_KEY_OLD, old, sizeof old) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	if (unlink(old) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", old, strerror(errno));
		return -1;
	}
	if (sync_dir(old, err, errlen) != 0)
		return -1;
	log_info("vault.old_key_retired", "path=%s", old);
	return 0;
}
