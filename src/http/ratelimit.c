/*
 * Token buckets in a fixed table (http/ratelimit.h).
 */
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/ratelimit.h"

struct bucket {
	uint64_t key; /* SipHash of the key; 0 = free slot */
	int64_t last_ms;
	double tokens;
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	double per_ms; /* tokens per millisecond */
	double burst;
	size_t mask;
	struct bucket slots[];
};

struct ratelimit *ratelimit_new(size_t slots, unsigned per_minute, unsigned burst)
{
	struct ratelimit *rl;
	size_t n = 64, bytes;

	if (per_minute < 1 || burst < 1 || sodium_init() < 0)
		return NULL;
	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	if (__builtin_mul_overflow(n, sizeof(struct bucket), &bytes) ||
	    __builtin_add_overflow(bytes, sizeof *rl, &bytes))
		return NULL;
	rl = calloc(1, bytes);
	if (!rl)
		return NULL;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return NULL;
	}
	randombytes_buf(rl->hash_key, sizeof rl->hash_key);
	rl->per_ms = per_minute / 60000.0;
	rl->burst = burst;
	rl->mask = n - 1;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static uint64_t key_hash(const struct ratelimit *rl, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), rl->hash_key);
	memcpy(&h, out, sizeof h);
	return h ? h : 1; /* 0 marks a free slot */
}

int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, int *retry_after_s)
{
	uint64_t h = key_hash(rl, key ? key : "");
	struct bucket *b = NULL, *idle = NULL;
	int rc = 0;

	*retry_after_s = 0;
	pthread_mutex_lock(&rl->lock);
	for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
		struct bucket *s = &rl->slots[(h + i) & rl->mask];

		if (s->key == h) {
			b = s;
			break;
		}
		/* The bucket to take over when key has none: a free one, else the longest idle. */
		if (s->key == 0) {
			if (!idle || idle->key != 0)
				idle = s;
		} else if (!idle || (idle->key != 0 && s->last_ms < idle->last_ms)) {
			idle = s;
		}
	}
	if (!b) {
		b = idle;
		b->key = h;
		b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
	} else {
		double wait_ms = (1.0 - b->tokens) / rl->per_ms;

		*retry_after_s = (int)ceil(wait_ms / 1000.0);
		if (*retry_after_s < 1)
			*retry_after_s = 1;
		rc = -1;
	}
	pthread_mutex_unlock(&rl->lock);
	return rc;
}
