/*
 * Passwords: policy, Argon2id hashing, verification and generated passwords (password.h).
 */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "domain/dom.h"
#include "domain/password.h"

const char *password_policy(const char *username, const char *password)
{
	int lower = 0, upper = 0, digit = 0, other = 0;

	if (!password || !*password)
		return "密码不能为空";
	if (strlen(password) > PASSWORD_MAX_BYTES)
		return "密码过长（最多 128 字节）";
	if (dom_utf8_chars(password) < PASSWORD_MIN_CHARS)
		return "密码至少 12 个字符";
	for (const unsigned char *s = (const unsigned char *)password; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			return "密码不能包含控制字符";
		if (islower(*s))
			lower = 1;
		else if (isupper(*s))
			upper = 1;
		else if (isdigit(*s))
			digit = 1;
		else
			other = 1;
	}
	if (lower + upper + digit + other < 3)
		return "密码须包含小写字母、大写字母、数字、其他符号中的至少三类";
	if (username && *username && strlen(username) >= 3) {
		size_t ul = strlen(username), pl = strlen(password);
		for (size_t i = 0; i + ul <= pl; i++)
			if (strncasecmp(password + i, username, ul) == 0)
				return "密码不能包含用户名";
	}
	return NULL;
}

int password_hash(const struct security_config *c, const char *password,
                  char out[PASSWORD_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, password, strlen(password), c->argon2_opslimit,
	                          c->argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		log_error("password.hash_failed", "memlimit=%zu", c->argon2_memlimit);
		return -1;
	}
	return 0;
}

int password_needs_rehash(const struct security_config *c, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, c->argon2_opslimit, c->argon2_memlimit) != 0;
}

static atomic_ulong verifications;

unsigned long password_verify_count(void)
{
	return atomic_load(&verifications);
}

int password_verify(const char *hash, const char *password)
{
	if (!hash || !password || strlen(password) > PASSWORD_MAX_BYTES)
		return 0;
	atomic_fetch_add(&verifications, 1);
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void password_generate(char *out, size_t n)
{
	static const char *const classes[] = { "abcdefghjkmnpqrstuvwxyz",
		                               "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "#%+-=@^_" };
	size_t len = n - 1 < 16 ? n - 1 : 16;

	if (n == 0)
		return;
	for (;;) {
		int seen[4] = { 0 };
		for (size_t i = 0; i < len; i++) {
			/* Weight letters more so passwords stay easy to read out. */
			uint32_t k = randombytes_uniform(10);
			const char *cl;

			k = k < 4 ? 0 : k < 7 ? 1 : k < 9 ? 2 : 3;
			cl = classes[k];
			out[i] = cl[randombytes_uniform((uint32_t)strlen(cl))];
			seen[k] = 1;
		}
		out[len] = '\0';
		if (seen[0] && seen[1] && seen[2] && seen[3])
			return;
	}
}
