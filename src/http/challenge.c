/*
 * The signed arithmetic challenge (http/challenge.h).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/challenge.h"

#define NONCE_BYTES 12
#define MAC_BYTES 16
#define RAW_BYTES (8 + NONCE_BYTES + MAC_BYTES)

static unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char seen[CHALLENGE_SEEN][NONCE_BYTES];
static size_t seen_next;

static void key_init(void)
{
	if (sodium_init() < 0)
		return;
	crypto_auth_hmacsha256_keygen(key);
	key_ok = 1;
}

/* The MAC over expiry and nonce (raw[0..20)), bind and answer. */
static void mac(const unsigned char *raw, const char *bind, unsigned answer,
                unsigned char out[MAC_BYTES])
{
	crypto_auth_hmacsha256_state st;
	unsigned char full[crypto_auth_hmacsha256_BYTES];
	char ans[16];

	(void)snprintf(ans, sizeof ans, "%u", answer);
	crypto_auth_hmacsha256_init(&st, key, sizeof key);
	crypto_auth_hmacsha256_update(&st, raw, 8 + NONCE_BYTES);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)bind, strlen(bind) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ans, strlen(ans));
	crypto_auth_hmacsha256_final(&st, full);
	memcpy(out, full, MAC_BYTES);
}

/* A number 1..20 in Chinese numerals. */
static const char *numeral(unsigned n)
{
	static const char *const words[] = {
		"零",   "一",   "二",   "三",   "四",   "五",   "六",   "七",   "八",   "九",  "十",
		"十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十"
	};
	return n < sizeof words / sizeof words[0] ? words[n] : "";
}

int challenge_new(const char *bind, int64_t now_s, struct challenge *out)
{
	unsigned char raw[RAW_BYTES];
	uint64_t expires = (uint64_t)(now_s + CHALLENGE_TTL_S);
	unsigned a, b;

	memset(out, 0, sizeof *out);
	(void)pthread_once(&key_once, key_init);
	if (!key_ok)
		return -1;
	a = 1 + randombytes_uniform(20);
	b = 1 + randombytes_uniform(20);
	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(expires >> (56 - 8 * i));
	randombytes_buf(raw + 8, NONCE_BYTES);
	mac(raw, bind ? bind : "", a + b, raw + 8 + NONCE_BYTES);
	sodium_bin2base64(out->token, sizeof out->token, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	(void)snprintf(out->question, sizeof out->question, "%s加%s等于多少？", numeral(a),
	               numeral(b));
	return 0;
}

/* 1 when the nonce was seen before; remembers it otherwise. */
static int seen_before(const unsigned char *nonce)
{
	int found = 0;

	pthread_mutex_lock(&seen_lock);
	for (size_t i = 0; i < CHALLENGE_SEEN && !found; i++)
		found = sodium_memcmp(seen[i], nonce, NONCE_BYTES) == 0;
	if (!found) {
		memcpy(seen[seen_next], nonce, NONCE_BYTES);
		seen_next = (seen_next + 1) % CHALLENGE_SEEN;
	}
	pthread_mutex_unlock(&seen_lock);
	return found;
}

int challenge_verify(const char *bind, const char *token, const char *answer, int64_t now_s)
{
	unsigned char raw[RAW_BYTES], want[MAC_BYTES];
	size_t len = 0;
	uint64_t expires = 0;
	unsigned n = 0, digits = 0;
	const char *p = answer;

	(void)pthread_once(&key_once, key_init);
	if (!key_ok || !token || !answer ||
	    sodium_base642bin(raw, sizeof raw, token, strlen(token), NULL, &len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != RAW_BYTES)
		return 0;
	for (int i = 0; i < 8; i++)
		expires = expires << 8 | raw[i];
	if (expires < (uint64_t)now_s || expires > (uint64_t)now_s + CHALLENGE_TTL_S)
		return 0;
	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
		n = n * 10 + (unsigned)(*p - '0');
	while (*p == ' ')
		p++;
	if (*p || digits == 0 || digits >= 3)
		return 0;
	/* Spent from the first try, whatever the answer: no guessing on one token. */
	if (seen_before(raw + 8))
		return 0;
	mac(raw, bind ? bind : "", n, want);
	return sodium_memcmp(want, raw + 8 + NONCE_BYTES, MAC_BYTES) == 0;
}
