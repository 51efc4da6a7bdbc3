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
 *
 * Key rotation (`wangge keys rotate`, domain/sealed.h) uses three files beside the database:
 *   PATH.data.key      the current key: everything is sealed with it;
 *   PATH.data.key.new  only while a rotation runs: the key values are being re-sealed under;
 *   PATH.data.key.old  after a rotation: the replaced key, kept until `wangge keys retire-old`.
 * A vault holds one key to seal with and, optionally, a previous key that still opens values
 * (vault_open tries the key, then the previous one) but never seals. Every file step is atomic
 * (a whole key file appears by link or rename, never half written) and synced with its folder.
 */
#ifndef WANGGE_BASE_VAULT_H
#define WANGGE_BASE_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_KEY_LEN 32
#define VAULT_INDEX_HEX 65 /* 64 hex digits + NUL */
#define VAULT_PREFIX "v1:"
#define VAULT_KEY_ID_HEX 33 /* 32 hex digits + NUL */

struct vault {
	unsigned char aead_key[32];
	unsigned char index_key[32];
	int ready;
	/* A fingerprint of the key (keyed BLAKE2b-128 of a constant: tells keys apart, reveals
	   nothing about them), used to name a rotation's target and in audit records. */
	char key_id[VAULT_KEY_ID_HEX];
	/* The previous key (during and after a rotation): opens, never seals. */
	unsigned char prev_aead_key[32];
	unsigned char prev_index_key[32];
	int prev_ready;
	char prev_key_id[VAULT_KEY_ID_HEX];
};

/* Reads the key file at path (exactly len bytes). With create set, makes it when missing (random
   bytes, mode 0600, O_EXCL; a lost race reads the winner's). Returns 0, 1 when missing and not
   created, -1 with err. Shared by the audit key (domain/audit.c) and the data key. */
int keyfile_load(const char *path, size_t len, int create, unsigned char *key, char *err,
                 size_t errlen);

/* PATH.data.key for a database path. Returns 0, or -1 when out is too small. */
int vault_key_path(const char *db_path, char *out, size_t n);
/* The key file of a rotation stage beside db_path: VAULT_KEY_CURRENT (PATH.data.key),
   VAULT_KEY_NEW (PATH.data.key.new) or VAULT_KEY_OLD (PATH.data.key.old). 0, or -1 when out is
   too small. */
enum vault_key_file { VAULT_KEY_CURRENT, VAULT_KEY_NEW, VAULT_KEY_OLD };
int vault_key_file_path(const char *db_path, enum vault_key_file which, char *out, size_t n);
/* Derives the subkeys of a data key into v (no previous key). */
void vault_init(struct vault *v, const unsigned char key[VAULT_KEY_LEN]);
/* Makes prev's key the previous key of v: values sealed with it still open in v; v seals with
   its own key only. prev NULL removes v's previous key. */
void vault_set_previous(struct vault *v, const struct vault *prev);
/* The previous key of v as a vault of its own (ready 0 when v has none), e.g. to compute a blind
   index made with it. */
void vault_previous(const struct vault *v, struct vault *out);
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
/* As vault_open; returns 0 when v's key opened the value, 1 when v's previous key did, -1 when
   neither (out wiped). */
int vault_open_which(const struct vault *v, const char *field, int64_t row, const char *sealed,
                     char *out, size_t n);
/* 1 when s looks like a sealed value ("v1:" prefix). */
int vault_is_sealed(const char *s);
/* Keyed blind index of a normalised value, as 64 hex digits. */
void vault_blind_index(const struct vault *v, const char *field, const char *value,
                       char out[VAULT_INDEX_HEX]);

/* Loads the current key beside db_path (never creating it) with PATH.data.key.old, when present,
   as its previous key. Returns 0, 1 when the current key is missing, -1 with err. */
int vault_load_with_old(struct vault *v, const char *db_path, char *err, size_t errlen);

/* The process's vault: loaded once at start, before threads, with PATH.data.key.old as its
   previous key when present. Refuses while PATH.data.key.new exists (a rotation is unfinished:
   part of the values open only with the new key and the blind indexes are mixed), and refuses to
   create a new key when sealed_values > 0 (the database holds values sealed with a key that is
   gone); both return -1 with a clear err. Returns 0 or -1. */
int vault_global_load(const char *db_path, int64_t sealed_values, char *err, size_t errlen);
/* The process's vault, or NULL when none was loaded. */
const struct vault *vault_global(void);
/* Installs v (copied) as the process's vault (tests); NULL removes it. */
void vault_global_set(const struct vault *v);

/* ---- the key files of a rotation (the steps are driven by `wangge keys rotate`) ---- */

/* 1 when the key file exists, 0 when not, -1 with err on another error. */
int vault_key_file_exists(const char *db_path, enum vault_key_file which, char *err, size_t errlen);
/* Loads the vault of a rotation: key = PATH.data.key.new, previous = PATH.data.key. With create
   set, the new key is made when missing (random, 0600, written under a temporary name and linked
   into place, so it is whole or absent, then the folder synced); *created tells whether it was
   made now. Returns 0 or -1 with err (a key missing, or a key file broken). */
int vault_rotation_load(struct vault *v, const char *db_path, int create, int *created, char *err,
                        size_t errlen);
/* Makes the new key current, idempotently, each step atomic and synced with the folder:
   (1) PATH.data.key is linked as PATH.data.key.old (skipped when .old already holds the same
   key: a re-run after a crash); (2) PATH.data.key.new is renamed over PATH.data.key. Refuses
   when .old exists with another key. Returns 0 or -1 with err. */
int vault_rotation_switch(const char *db_path, char *err, size_t errlen);
/* Removes PATH.data.key.old and syncs the folder. 0, or -1 with err. The caller checks first
   that no value still needs it. */
int vault_retire_old(const char *db_path, char *err, size_t errlen);

#include "base/banned.h"
#endif
