/*
 * A rate limit per key (a client address now; a grid's code for the per-grid quotas of the
 * public report form later): token buckets in a table of fixed size, so no stream of new
 * addresses can grow memory. Each key holds at most burst tokens, refilled at per_minute a
 * minute; a request takes one, and is refused while none is left, with the seconds until the
 * next one (for Retry-After).
 *
 * Keys are hashed with SipHash under a random key chosen at creation (libsodium's
 * crypto_shorthash), so nobody can pick addresses that collide on purpose. A key looks for its
 * bucket among RATELIMIT_PROBE slots; when they are all taken by other keys the one idle the
 * longest is given to the new key. A bucket taken over that way starts full, which at worst
 * gives an address pushed out by a flood of others a fresh burst: the table stays a bound on
 * memory, the limit stays a limit for every address it holds.
 *
 * Thread-safe (one mutex; a take is a few hundred nanoseconds). The caller names the key: for
 * client addresses use req_client_addr, which believes X-Forwarded-For only from the trusted
 * proxies (http/proxy.h).
 */
#ifndef WANGGE_HTTP_RATELIMIT_H
#define WANGGE_HTTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_PROBE 8

struct ratelimit;

/* A table of slots buckets (rounded up to a power of two, at least 64), each refilled at
   per_minute tokens a minute up to burst. NULL when out of memory or per_minute/burst < 1. */
struct ratelimit *ratelimit_new(size_t slots, unsigned per_minute, unsigned burst);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token of key at now_ms (a monotonic clock in milliseconds). 0 when allowed; -1 when
   refused, with *retry_after_s the whole seconds (at least 1) until a token is back. */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, int *retry_after_s);

#include "base/banned.h"
#endif
