/*
 * Passwords: the policy (length, character classes, not the user name), Argon2id hashing with
 * the configured cost, verification, and generated one-time passwords. Nothing here touches the
 * database; users (domain/user.h) and login (domain/session.h) use these.
 */
#ifndef WANGGE_DOMAIN_PASSWORD_H
#define WANGGE_DOMAIN_PASSWORD_H

#include <stddef.h>

#include "domain/security_config.h"

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 128
#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_GENERATED_CHARS 16

/* NULL when password satisfies the policy for username, else a Chinese reason (static):
   at least 12 characters, at least 3 of 4 classes (lower, upper, digit, other), not containing the
   user name (case-insensitive), at most 128 bytes. */
const char *password_policy(const char *username, const char *password);
/* Argon2id string (libsodium crypto_pwhash_str_alg) with the configured cost. 0 or -1. */
int password_hash(const struct security_config *c, const char *password,
                  char out[PASSWORD_HASH_MAX]);
/* 1 when password matches hash. */
int password_verify(const char *hash, const char *password);
/* How many Argon2 verifications password_verify ran in this process (tests count them). */
unsigned long password_verify_count(void);
/* 1 when hash was made with another cost than c's (login re-hashes it). */
int password_needs_rehash(const struct security_config *c, const char *hash);
/* A random password that satisfies the policy: 16 characters from an unambiguous alphabet, with
   every class present. out needs 17 bytes (shorter n gives a shorter password). */
void password_generate(char *out, size_t n);

#include "base/banned.h"
#endif
