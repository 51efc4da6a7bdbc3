/*
 * The caller cache (caller_cache.h): a fixed table of sessions split into shards, each behind its
 * own mutex, each set of CACHE_WAYS entries chosen by the token hash (already uniform); a
 * generation counter; and a queue of last-seen times written by one background thread in one
 * transaction per batch.
 *
 * Lock order: a shard's mutex, then the queue's. The writer thread takes only the queue's.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "domain/caller_cache.h"
#include "domain/security_config.h"
#include "store/store.h"

#define CACHE_SHARDS 16
#define CACHE_WAYS 4
#define CACHE_SETS (CALLER_CACHE_ENTRIES / CACHE_SHARDS / CACHE_WAYS)
#define TOUCH_MAX_GRANULARITY_S 60

struct entry {
	int used;
	unsigned char key[32];
	uint64_t generation; /* read before the caller was loaded */
	int64_t loaded_at;
	int64_t expires_at;
	int64_t last_seen;        /* the session's last activity, in memory */
	int64_t stored_last_seen; /* what the database has, or will have once the queue is written
	                           */
	struct caller c;          /* owns its grid list */
};

struct shard {
	pthread_mutex_t lock;
	struct entry sets[CACHE_SETS][CACHE_WAYS];
};

struct touch {
	int64_t session_id, at;
};

static struct shard *shards; /* CACHE_SHARDS; NULL while closed */
static struct store *cache_store;
static atomic_int opened;
static atomic_uint_fast64_t generation = 1;
static atomic_uint_fast64_t n_hits, n_misses, n_written, n_dropped;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct touch q[CALLER_CACHE_TOUCH_QUEUE];
	size_t n;
	int stop;
	pthread_t thread;
} queue = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

uint64_t caller_cache_generation(void)
{
	return atomic_load(&generation);
}

void caller_cache_invalidate(void)
{
	atomic_fetch_add(&generation, 1);
}

void caller_cache_stats(struct caller_cache_stats *out)
{
	out->hits = atomic_load(&n_hits);
	out->misses = atomic_load(&n_misses);
	out->touches_written = atomic_load(&n_written);
	out->touches_dropped = atomic_load(&n_dropped);
}

/* ---- writing last-seen times ---- */

struct touch_batch {
	const struct touch *t;
	size_t n;
};

static int touch_fn(struct store_conn *c, void *arg)
{
	const struct touch_batch *b = arg;

	for (size_t i = 0; i < b->n; i++) {
		/* Never moves last_seen_at back (a queued time may be older than a newer one
		   written by another path). */
		struct store_stmt *st =
		        store_prepare(c, "UPDATE sessions SET last_seen_at = ? WHERE "
		                         "id = ? AND last_seen_at < ?");
		int rc;

		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, b->t[i].at);
		store_bind_int64(st, 2, b->t[i].session_id);
		store_bind_int64(st, 3, b->t[i].at);
		if ((rc = dom_step_done(st)) != 0)
			return rc;
	}
	return 0;
}

static void write_touches(const struct touch *t, size_t n)
{
	struct touch_batch b = { t, n };

	if (n == 0)
		return;
	/* Bookkeeping, not a change of any right: no audit record, no new generation. */
	if (store_write(cache_store, touch_fn, &b) != 0)
		log_warn("session.touch_failed", "sessions=%zu", n);
	else
		atomic_fetch_add(&n_written, n);
}

static void *writer_main(void *arg)
{
	static struct touch batch[CALLER_CACHE_TOUCH_QUEUE];
	size_t n;

	(void)arg;
	pthread_mutex_lock(&queue.lock);
	for (;;) {
		while (queue.n == 0 && !queue.stop)
			pthread_cond_wait(&queue.wake, &queue.lock);
		if (queue.n == 0)
			break; /* stopping, and nothing left */
		n = queue.n;
		memcpy(batch, queue.q, n * sizeof *batch);
		queue.n = 0;
		pthread_mutex_unlock(&queue.lock);
		write_touches(batch, n);
		pthread_mutex_lock(&queue.lock);
	}
	pthread_mutex_unlock(&queue.lock);
	return NULL;
}

/* Queues a last-seen time. 1 queued, 0 when the queue is full (the entry keeps its time and
   tries again on its next hit). */
static int enqueue(int64_t session_id, int64_t at)
{
	int ok = 0;

	pthread_mutex_lock(&queue.lock);
	if (queue.n < CALLER_CACHE_TOUCH_QUEUE) {
		queue.q[queue.n].session_id = session_id;
		queue.q[queue.n].at = at;
		queue.n++;
		ok = 1;
		pthread_cond_signal(&queue.wake);
	}
	pthread_mutex_unlock(&queue.lock);
	if (!ok)
		atomic_fetch_add(&n_dropped, 1);
	return ok;
}

/* How stale last_seen_at may get: min(60 s, idle/4), at least 1 s. Idle expiry is decided on
   the time in memory; the database needs only to be close enough for a reload after the entry
   went (then the later of the two counts). */
static int64_t touch_granularity(const struct security_config *cfg)
{
	int64_t g = cfg->session_idle_s / 4;

	if (g > TOUCH_MAX_GRANULARITY_S)
		g = TOUCH_MAX_GRANULARITY_S;
	return g < 1 ? 1 : g;
}

/* Under the shard's lock. */
static void touch_if_due(struct entry *e, const struct security_config *cfg)
{
	if (e->last_seen - e->stored_last_seen >= touch_granularity(cfg) &&
	    enqueue(e->c.session_id, e->last_seen))
		e->stored_last_seen = e->last_seen;
}

/* ---- the table ---- */

static int64_t lifetime(const struct dom_ctx *x)
{
	return x->security ? x->security->caller_cache_s : 0;
}

static struct shard *shard_of(const unsigned char key[32], struct entry **set)
{
	uint32_t h;
	struct shard *sh;

	memcpy(&h, key, sizeof h);
	sh = &shards[h % CACHE_SHARDS];
	*set = sh->sets[(h / CACHE_SHARDS) % CACHE_SETS];
	return sh;
}

static struct entry *find(struct entry *set, const unsigned char key[32])
{
	for (int i = 0; i < CACHE_WAYS; i++)
		if (set[i].used && memcmp(set[i].key, key, 32) == 0)
			return &set[i];
	return NULL;
}

/* Under the shard's lock: forgets e (its caller's memory, and the key). */
static void drop(struct entry *e)
{
	caller_release(&e->c);
	memset(e, 0, sizeof *e);
}

enum caller_cache_answer caller_cache_get(const unsigned char key[32], const struct dom_ctx *x,
                                          struct caller *out, int64_t *last_seen)
{
	enum caller_cache_answer answer = CALLER_CACHE_MISS;
	int64_t ttl = lifetime(x);
	uint64_t gen;
	struct entry *set, *e;
	struct shard *sh;

	*last_seen = 0;
	if (!atomic_load(&opened) || ttl <= 0)
		return CALLER_CACHE_MISS;
	gen = atomic_load(&generation);
	sh = shard_of(key, &set);
	pthread_mutex_lock(&sh->lock);
	e = find(set, key);
	if (!e)
		goto out;
	if (e->generation != gen || x->now < e->loaded_at || x->now - e->loaded_at >= ttl) {
		/* Stale: reload, keeping what the cache knew of the activity. */
		*last_seen = e->last_seen;
		goto out;
	}
	if (x->now >= e->expires_at || x->now - e->last_seen >= x->security->session_idle_s) {
		drop(e);
		answer = CALLER_CACHE_ENDED;
		goto out;
	}
	if (x->now > e->last_seen)
		e->last_seen = x->now;
	touch_if_due(e, x->security);
	if (caller_copy(out, &e->c) == 0)
		answer = CALLER_CACHE_HIT;
out:
	pthread_mutex_unlock(&sh->lock);
	atomic_fetch_add(answer == CALLER_CACHE_HIT ? &n_hits : &n_misses, 1);
	return answer;
}

int64_t caller_cache_last_seen(const unsigned char key[32])
{
	struct entry *set, *e;
	struct shard *sh;
	int64_t last = 0;

	if (!atomic_load(&opened))
		return 0;
	sh = shard_of(key, &set);
	pthread_mutex_lock(&sh->lock);
	e = find(set, key);
	if (e)
		last = e->last_seen;
	pthread_mutex_unlock(&sh->lock);
	return last;
}

/* Under the shard's lock: the entry to fill for a new key: a free one, else the least recently
   active (whose activity is queued first, so it is not lost). */
static struct entry *victim(struct entry *set)
{
	struct entry *v = &set[0];

	for (int i = 0; i < CACHE_WAYS; i++) {
		if (!set[i].used)
			return &set[i];
		if (set[i].last_seen < v->last_seen)
			v = &set[i];
	}
	if (v->last_seen > v->stored_last_seen)
		(void)enqueue(v->c.session_id, v->last_seen);
	return v;
}

int caller_cache_put(const unsigned char key[32], uint64_t gen, const struct dom_ctx *x,
                     const struct caller *c, int64_t expires_at, int64_t stored_last_seen)
{
	struct entry *set, *e;
	struct shard *sh;
	int kept = 0;

	if (!atomic_load(&opened) || lifetime(x) <= 0)
		return 0;
	sh = shard_of(key, &set);
	pthread_mutex_lock(&sh->lock);
	e = find(set, key);
	if (!e)
		e = victim(set);
	drop(e);
	if (caller_copy(&e->c, c) == 0) {
		e->used = 1;
		memcpy(e->key, key, 32);
		e->generation = gen;
		e->loaded_at = x->now;
		e->expires_at = expires_at;
		e->last_seen = x->now;
		e->stored_last_seen = stored_last_seen;
		touch_if_due(e, x->security);
		kept = 1;
	} else {
		memset(e, 0, sizeof *e);
	}
	pthread_mutex_unlock(&sh->lock);
	return kept;
}

int caller_cache_open(struct store *s)
{
	struct shard *sh;

	if (atomic_load(&opened))
		return 0;
	sh = calloc(CACHE_SHARDS, sizeof *sh);
	if (!sh)
		return -1;
	for (int i = 0; i < CACHE_SHARDS; i++)
		pthread_mutex_init(&sh[i].lock, NULL);
	cache_store = s;
	queue.n = 0;
	queue.stop = 0;
	if (pthread_create(&queue.thread, NULL, writer_main, NULL) != 0) {
		for (int i = 0; i < CACHE_SHARDS; i++)
			pthread_mutex_destroy(&sh[i].lock);
		free(sh);
		cache_store = NULL;
		return -1;
	}
	shards = sh;
	atomic_store(&opened, 1);
	return 0;
}

void caller_cache_close(void)
{
	struct touch *left;
	size_t n = 0;

	if (!atomic_load(&opened))
		return;
	atomic_store(&opened, 0);
	/* Activity not yet written goes out with the last batch (written here when the queue is
	   full). */
	left = calloc(CALLER_CACHE_ENTRIES, sizeof *left);
	for (int i = 0; i < CACHE_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].lock);
		for (int j = 0; j < CACHE_SETS; j++) {
			for (int k = 0; k < CACHE_WAYS; k++) {
				struct entry *e = &shards[i].sets[j][k];
				if (e->used && e->last_seen > e->stored_last_seen && left &&
				    n < CALLER_CACHE_ENTRIES) {
					left[n].session_id = e->c.session_id;
					left[n].at = e->last_seen;
					n++;
				}
				if (e->used)
					drop(e);
			}
		}
		pthread_mutex_unlock(&shards[i].lock);
	}
	pthread_mutex_lock(&queue.lock);
	queue.stop = 1;
	pthread_cond_signal(&queue.wake);
	pthread_mutex_unlock(&queue.lock);
	pthread_join(queue.thread, NULL);
	if (left)
		write_touches(left, n);
	free(left);
	for (int i = 0; i < CACHE_SHARDS; i++)
		pthread_mutex_destroy(&shards[i].lock);
	free(shards);
	shards = NULL;
	cache_store = NULL;
}
