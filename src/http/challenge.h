/*
 * A simple challenge for the public forms once a quota is spent (issue 11): a small sum written
 * in Chinese numerals ("七加十二等于多少？"), and a token for a hidden field that lets the server
 * check the answer without keeping anything per question. The token holds its expiry and a
 * random nonce, and an HMAC-SHA-256 (libsodium) over them, the answer and what the challenge is
 * bound to (the client's address and the form's target), under a key chosen at random once per
 * process: a token is worth nothing after a restart, from another address, for another grid, or
 * after CHALLENGE_TTL_S.
 *
 * A token is taken once: its nonce is remembered (the last CHALLENGE_SEEN of them) from the
 * first time it is verified, right or wrong, so an answer cannot be guessed by retrying the same
 * token and a solved challenge cannot be replayed. A nonce older than the ring would be
 * forgotten, but only after CHALLENGE_SEEN verifications within CHALLENGE_TTL_S.
 *
 * This keeps out scripts that post blindly, not a determined person: the quotas and the hard
 * limit (429) behind it bound what one address or grid can send.
 */
#ifndef WANGGE_HTTP_CHALLENGE_H
#define WANGGE_HTTP_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

#define CHALLENGE_TTL_S 600
#define CHALLENGE_SEEN 8192
#define CHALLENGE_TOKEN_MAX 72
#define CHALLENGE_QUESTION_MAX 96

struct challenge {
	char question[CHALLENGE_QUESTION_MAX]; /* Chinese text, e.g. "七加十二等于多少？" */
	char token[CHALLENGE_TOKEN_MAX];       /* URL-safe base64, for a hidden field */
};

/* A new challenge bound to bind (e.g. "address|grid") at now_s (a monotonic clock in seconds).
   0, or -1 when libsodium cannot start. */
int challenge_new(const char *bind, int64_t now_s, struct challenge *out);

/* 1 when answer (decimal digits, spaces around ignored) solves the challenge of token, issued for
   bind, not expired at now_s and not verified before; 0 otherwise. */
int challenge_verify(const char *bind, const char *token, const char *answer, int64_t now_s);

#include "base/banned.h"
#endif
