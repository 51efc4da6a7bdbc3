/*
 * The caller cache: the caller built for a browser session (domain/caller.h), kept in memory for
 * a few seconds so that a request does not read the session, the user, the organisation, the
 * roles and the grids again each time (issue 7, "the request path").
 *
 *   - Entries are keyed by the session token's hash and live at most security.caller_cache_s
 *     (default 30 s) from when they were loaded.
 *   - Every write that may change a caller bumps one generation counter after it committed
 *     (dom_write does it unless the write says callers_unchanged); an entry is used only while
 *     the generation it was loaded under is current. The generation is read BEFORE the load, so
 *     a write committed during a load makes its entry stale at once. So the next request after a
 *     logout, password change, role, grant, organisation or scope change sees it. The lifetime
 *     only bounds what the server cannot see: changes another process (a host command) made to
 *     the database while it runs.
 *   - The session's last activity is kept in the entry: idle expiry is decided on it, and the
 *     database's last_seen_at is brought up to it at most once a minute (min(60 s, idle/4)) by a
 *     background thread, so a read request never waits for a durable write. When an entry goes
 *     stale, its activity carries over into the reload.
 *
 * The cache works only between caller_cache_open and caller_cache_close (`wangge serve`);
 * elsewhere (commands, unit tests) every lookup misses, nothing is kept, and session.c writes
 * last_seen_at itself. Thread-safe; fixed size (CALLER_CACHE_ENTRIES), no allocation per
 * request except the copy of a grid worker's grid list.
 */
#ifndef WANGGE_DOMAIN_CALLER_CACHE_H
#define WANGGE_DOMAIN_CALLER_CACHE_H

#include <stdint.h>

#include "domain/caller.h"
#include "domain/dom.h"

struct store;

#define CALLER_CACHE_ENTRIES 4096 /* sessions kept at once; the least recently used go first */
#define CALLER_CACHE_TOUCH_QUEUE 1024

/* Starts the cache (and its last-seen writer thread) for a server on s. 0, or -1 when the
   thread or the memory is not available (the server then runs without the cache). */
int caller_cache_open(struct store *s);
/* Writes every pending last-seen time, stops the thread and forgets every entry. Call before
   store_close. Safe when the cache was never opened. */
void caller_cache_close(void);

/* The generation of callers: read it before loading a caller that will be put. */
uint64_t caller_cache_generation(void);
/* After a write that may change a caller committed: every entry goes stale. */
void caller_cache_invalidate(void);

enum caller_cache_answer {
	CALLER_CACHE_MISS = 0, /* load the caller (then caller_cache_put) */
	CALLER_CACHE_HIT,      /* out is the session's caller; its activity at x->now is noted */
	CALLER_CACHE_ENDED,    /* the session expired (absolute or idle): answer as unknown */
};

/* Looks up the session whose token hashes to key at x->now. On a hit, out (released or never
   built) receives a copy of its caller. On a miss, *last_seen receives the last activity the
   cache still knew of (0 when none): the reload takes the later of it and the database's. */
enum caller_cache_answer caller_cache_get(const unsigned char key[32], const struct dom_ctx *x,
                                          struct caller *out, int64_t *last_seen);
/* Keeps the caller c just loaded (under generation, read before the load) for the session
   whose token hashes to key, active at x->now, expiring at expires_at, whose database row says
   last_seen_at = stored_last_seen. Queues the write of last_seen_at when it is due. Returns 1
   when kept (the cache now owns the last-seen bookkeeping), 0 when the cache is closed or off
   (the caller writes last_seen_at itself). */
int caller_cache_put(const unsigned char key[32], uint64_t generation, const struct dom_ctx *x,
                     const struct caller *c, int64_t expires_at, int64_t stored_last_seen);

/* The last activity the cache knows of for the session whose token hashes to key, without
   noting any (0 when it holds none): for checks that must not keep a session alive. */
int64_t caller_cache_last_seen(const unsigned char key[32]);

/* Counters, for tests and benchmarks. */
struct caller_cache_stats {
	uint64_t hits, misses, touches_written, touches_dropped;
};
void caller_cache_stats(struct caller_cache_stats *out);

#include "base/banned.h"
#endif
