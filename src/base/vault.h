/*
 * Encryption at rest of sensitive personal fields (密评: ID numbers and phone numbers), and the
 * key files kept beside the database.
 *
 * The data key (32 random bytes) lives in PATH.data.key (mode 0600) beside the database, never in
 * it. Two subkeys are derived from it with crypto_kdf (context "wgvault1"): subkey 1 for the AEAD,
 * subkey 2 for blind indexes, so the index key cannot decrypt anything.
 *
 *   sealed value = "v1:" + base64 (standard, padded) of nonce (24 bytes) || ciphertext || tag
 *   AEAD         = XChaCha20-Poly1305 IETF, associated data = "<field>#<row id>" (row 0 = none),
 *                  so a sealed value copied into another field or another row does not open.
 *   blind index  = hex BLAKE2b-256 keyed with subkey 2 over "<field>" NUL "<normalised value>":
 *                  equality lookup without storing the value.
 *
 * The module knows nothing about tables: callers pass field names ("users.phone"). A process opens
 * one vault at start (vault_global_load) before any thread exists; it is read-only afterwards.
 */
#ifndef WANGGE_BASE_VAULT_H
#define WANGGE_BASE_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_KEY_LEN 32
#define VAULT_INDEX_HEX 65 /* 64 hex digits + NUL */
#define VAULT_PREFIX "v1:"

struct vault {
	unsigned char aead_key[32];
	unsigned char index_key[32];
	int ready;
};

/* Reads the key file at path (exactly len bytes). With create set, makes it when missing (random
   bytes, mode 0600, O_EXCL; a lost race reads the winner's). Returns 0, 1 when missing and not
   created, -1 with err. Shared by the audit key (domain/audit.c) and the data key. */
int keyfile_load(const char *path, size_t len, int create, unsigned char *key, char *err,
                 size_t errlen);

/* PATH.data.key for a database path. Returns 0, or -1 when out is too small. */
int vault_key_path(const char *db_path, char *out, size_t n);
/* Derives the subkeys of a data key into v. */
void vault_init(struct vault *v, const unsigned char key[VAULT_KEY_LEN]);
/* Loads (create set: creates when missing) the data key beside db_path into v. Returns 0, 1 when
   missing and not created, -1 with err. */
int vault_load(struct vault *v, const char *db_path, int create, char *err, size_t errlen);
/* Wipes v. */
void vault_wipe(struct vault *v);

/* Bytes a sealed value of a plaintext of plain_len bytes needs, NUL included. */
size_t vault_sealed_size(size_t plain_len);
/* Seals plain for field and row into out. Returns 0, or -1 when out is too small. */
int vault_seal(const struct vault *v, const char *field, int64_t row, const char *plain, char *out,
               size_t n);
/* Opens a sealed value into out (NUL-terminated). Returns 0, or -1 when it is not a "v1:" value,
   does not authenticate (tampered, other field or row, other key) or does not fit. out is wiped
   on failure. */
int vault_open(const struct vault *v, const char *field, int64_t row, const char *sealed, char *out,
               size_t n);
/* 1 when s looks like a sealed value ("v1:" prefix). */
int vault_is_sealed(const char *s);
/* Keyed blind index of a normalised value, as 64 hex digits. */
void vault_blind_index(const struct vault *v, const char *field, const char *value,
                       char out[VAULT_INDEX_HEX]);

/* The process's vault: loaded once at start, before threads. Refuses to create a new key when
   sealed_values > 0 (the database holds values sealed with a key that is gone): returns -1 with a
   clear err. Returns 0 or -1. */
int vault_global_load(const char *db_path, int64_t sealed_values, char *err, size_t errlen);
/* The process's vault, or NULL when none was loaded. */
const struct vault *vault_global(void);
/* Installs v (copied) as the process's vault (tests); NULL removes it. */
void vault_global_set(const struct vault *v);

#include "base/banned.h"
#endif
