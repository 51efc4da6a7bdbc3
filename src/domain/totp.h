/*
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1 (OpenSSL), 6 digits,
 * 30-second steps, what every authenticator app speaks. Secrets travel as RFC 4648 base32 without
 * padding. Verification accepts one step either side of now and refuses a step at or before the
 * last one accepted for that user, so a code cannot be replayed.
 */
#ifndef WANGGE_DOMAIN_TOTP_H
#define WANGGE_DOMAIN_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, the RFC 4226 recommendation */
#define TOTP_SECRET_B32 33   /* 32 base32 characters + NUL */
#define TOTP_STEP_S 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1 /* steps accepted either side of now */

/* Base32 (RFC 4648 alphabet, no padding on output; padding, spaces and lowercase accepted on
   input). encode returns the length written (out needs 8*ceil(n/5)/5+1 bytes) or -1 when out is
   too small; decode returns the number of bytes or -1 on a bad character or overflow. */
int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t outlen);
int totp_base32_decode(const char *in, unsigned char *out, size_t outcap);

/* RFC 4226 value for counter, truncated to digits (6..8) decimal digits. */
uint32_t totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits);
/* The code (digits characters, zero-padded, NUL-terminated in out[9]) at time t. */
void totp_code_at(const unsigned char *key, size_t keylen, int64_t t, int digits, char out[9]);

/* Checks a 6-digit code against a base32 secret at time now. Returns the matching step (>
   last_step) or -1 when the code is wrong, malformed, or a replay of a step already used. */
int64_t totp_verify(const char *secret_b32, const char *code, int64_t now, int64_t last_step);

/* A new random secret, base32. */
void totp_new_secret(char out[TOTP_SECRET_B32]);

/* otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30.
   issuer and account are percent-encoded. Returns 0, or -1 when out is too small. */
int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t n);

#include "base/banned.h"
#endif
