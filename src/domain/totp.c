/*
 * RFC 6238 TOTP. HMAC-SHA1 comes from OpenSSL's one-shot HMAC(), which is not deprecated in 3.x.
 * Comparisons of codes are constant-time.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "domain/totp.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned buffer = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = b32_alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (o + 1 >= outlen)
			return -1;
		out[o++] = b32_alphabet[(buffer << (5 - bits)) & 31];
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int totp_base32_decode(const char *in, unsigned char *out, size_t outcap)
{
	size_t o = 0;
	unsigned buffer = 0;
	int bits = 0;

	for (const char *p = in; *p; p++) {
		char c = *p;
		const char *at;

		if (c == '=' || c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		at = strchr(b32_alphabet, c);
		if (!at || !c)
			return -1;
		buffer = (buffer << 5) | (unsigned)(at - b32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)((buffer >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return (int)o;
}

uint32_t totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0, off;
	uint32_t bin, mod = 1;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &maclen) || maclen < 20)
		return UINT32_MAX;
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	for (int i = 0; i < digits; i++)
		mod *= 10;
	OPENSSL_cleanse(mac, sizeof mac);
	return bin % mod;
}

void totp_code_at(const unsigned char *key, size_t keylen, int64_t t, int digits, char out[9])
{
	uint32_t v = totp_hotp(key, keylen, (uint64_t)(t / TOTP_STEP_S), digits);

	snprintf(out, 9, "%0*u", digits, (unsigned)v);
}

int64_t totp_verify(const char *secret_b32, const char *code, int64_t now, int64_t last_step)
{
	unsigned char key[64];
	int keylen;
	int64_t step = now / TOTP_STEP_S, found = -1;

	if (!secret_b32 || !code || strlen(code) != TOTP_DIGITS)
		return -1;
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return -1;
	keylen = totp_base32_decode(secret_b32, key, sizeof key);
	if (keylen <= 0)
		return -1;
	/* Check every step in the window (no early exit), so timing does not tell which matched. */
	for (int64_t s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
		char want[9];

		totp_code_at(key, (size_t)keylen, s * TOTP_STEP_S, TOTP_DIGITS, want);
		if (CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0 && s > last_step && found < 0)
			found = s;
	}
	sodium_memzero(key, sizeof key);
	return found;
}

void totp_new_secret(char out[TOTP_SECRET_B32])
{
	unsigned char raw[TOTP_SECRET_BYTES];

	randombytes_buf(raw, sizeof raw);
	totp_base32_encode(raw, sizeof raw, out, TOTP_SECRET_B32);
	sodium_memzero(raw, sizeof raw);
}

static int pct_encode(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
		            *p == '~';
		if (o + (plain ? 1 : 3) >= n)
			return -1;
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t n)
{
	char is[192], ac[192];
	int w;

	if (pct_encode(issuer, is, sizeof is) < 0 || pct_encode(account, ac, sizeof ac) < 0)
		return -1;
	w = snprintf(out, n,
	             "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
	             is, ac, secret_b32, is, TOTP_DIGITS, TOTP_STEP_S);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}
