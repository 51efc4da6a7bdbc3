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

void vault_init(struct vault *v, const unsigned char key[VAULT_KEY_LEN])
{
	crypto_kdf_derive_from_key(v->aead_key, sizeof v->aead_key, SUBKEY_AEAD, KDF_CONTEXT, key);
	crypto_kdf_derive_from_key(v->index_key, sizeof v->index_key, SUBKEY_INDEX, KDF_CONTEXT,
	                           key);
	v->ready = 1;
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

int vault_open(const struct vault *v, const char *field, int64_t row, const char *sealed, char *out,
               size_t n)
{
	unsigned char raw[RAW_MAX];
	unsigned long long mlen = 0;
	size_t rawlen = 0;
	char ad[AD_MAX];
	int adlen = make_ad(field, row, ad);

	if (n)
		out[0] = '\0';
	if (!v || !v->ready || adlen < 0 || !vault_is_sealed(sealed) || n == 0)
		return -1;
	sealed += sizeof VAULT_PREFIX - 1;
	if (sodium_base642bin(raw, sizeof raw, sealed, strlen(sealed), NULL, &rawlen, NULL, B64) !=
	            0 ||
	    rawlen < NONCE_LEN + TAG_LEN || rawlen - NONCE_LEN - TAG_LEN >= n)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	            (unsigned char *)out, &mlen, NULL, raw + NONCE_LEN, rawlen - NONCE_LEN,
	            (const unsigned char *)ad, (size_t)adlen, raw, v->aead_key) != 0) {
		sodium_memzero(out, n);
		return -1;
	}
	out[mlen] = '\0';
	if (memchr(out, '\0', (size_t)mlen)) { /* not a string: refuse rather than truncate */
		sodium_memzero(out, n);
		return -1;
	}
	return 0;
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

static struct vault global_vault;

int vault_global_load(const char *db_path, int64_t sealed_values, char *err, size_t errlen)
{
	struct vault v;
	char path[4096];
	int rc = vault_load(&v, db_path, 0, err, errlen);

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
