/*
 * Sliding-window counters in a fixed table (http/quota.h).
 */
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/quota.h"

struct counter {
	uint64_t key;    /* SipHash of the key; 0 = free slot */
	int64_t started; /* start of the current window (a multiple of window_ms) */
	unsigned cur, prev;
};

struct quota {
	pthread_mutex_t lock;
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	int64_t window_ms;
	size_t mask;
	struct counter slots[];
};

struct quota *quota_new(size_t slots, int64_t window_ms)
{
	struct quota *q;
	size_t n = 64, bytes;

	if (window_ms < 1 || sodium_init() < 0)
		return NULL;
	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	if (__builtin_mul_overflow(n, sizeof(struct counter), &bytes) ||
	    __builtin_add_overflow(bytes, sizeof *q, &bytes))
		return NULL;
	q = calloc(1, bytes);
	if (!q)
		return NULL;
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q);
		return NULL;
	}
	randombytes_buf(q->hash_key, sizeof q->hash_key);
	q->window_ms = window_ms;
	q->mask = n - 1;
	return q;
}

void quota_free(struct quota *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static uint64_t key_hash(const struct quota *q, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), q->hash_key);
	memcpy(&h, out, sizeof h);
	return h ? h : 1; /* 0 marks a free slot */
}

/* Moves c's windows forward to the window holding now. */
static void roll(const struct quota *q, struct counter *c, int64_t now_ms)
{
	int64_t start = now_ms - now_ms % q->window_ms;

	if (start == c->started)
		return;
	c->prev = start - c->started == q->window_ms ? c->cur : 0;
	c->cur = 0;
	c->started = start;
}

/* The counter of key (under the lock); create: take over a slot when key has none. NULL when
   key has none and create is 0. */
static struct counter *find(struct quota *q, const char *key, int64_t now_ms, int create)
{
	uint64_t h = key_hash(q, key ? key : "");
	struct counter *stale = NULL;

	for (size_t i = 0; i < QUOTA_PROBE; i++) {
		struct counter *s = &q->slots[(h + i) & q->mask];

		if (s->key == h) {
			roll(q, s, now_ms);
			return s;
		}
		if (!stale || (stale->key != 0 && (s->key == 0 || s->started < stale->started)))
			stale = s;
	}
	if (!create)
		return NULL;
	stale->key = h;
	stale->started = now_ms - now_ms % q->window_ms;
	stale->cur = stale->prev = 0;
	return stale;
}

unsigned quota_peek(struct quota *q, const char *key, int64_t now_ms)
{
	struct counter *c;
	unsigned n = 0;

	pthread_mutex_lock(&q->lock);
	c = find(q, key, now_ms, 0);
	if (c) {
		/* The share of the previous window still inside the last window_ms. */
		double inside = 1.0 - (double)(now_ms - c->started) / (double)q->window_ms;

		n = c->cur + (unsigned)((double)c->prev * inside);
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

void quota_add(struct quota *q, const char *key, int64_t now_ms)
{
	struct counter *c;

	pthread_mutex_lock(&q->lock);
	c = find(q, key, now_ms, 1);
	if (c->cur < UINT_MAX)
		c->cur++;
	pthread_mutex_unlock(&q->lock);
}
