/*
 * Counted quotas per key over a sliding window (an hour for the residents' reports): how many
 * reports an address, or a grid, sent in the last window. Unlike the token buckets of
 * http/ratelimit.h, which pace requests a minute at a time, a quota answers "how many so far" so
 * the caller can decide in steps (below the quota: free; above it: a challenge; above a hard
 * limit: refused).
 *
 * The count is the usual sliding-window estimate: this window's count plus the previous window's
 * weighted by the share of it still inside the last window length. Counters live in a table of
 * fixed size (keys hashed with SipHash under a random key, QUOTA_PROBE slots looked at per key,
 * the stalest taken over when all are busy), so no stream of new keys grows memory; a key pushed
 * out that way starts again from zero, which at worst forgets an old count, never invents one.
 *
 * Thread-safe (one mutex). Times are a monotonic clock in milliseconds (clock_mono_ms).
 */
#ifndef WANGGE_HTTP_QUOTA_H
#define WANGGE_HTTP_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#define QUOTA_PROBE 8

struct quota;

/* A table of slots counters (rounded up to a power of two, at least 64) over windows of
   window_ms. NULL when out of memory or window_ms < 1. */
struct quota *quota_new(size_t slots, int64_t window_ms);
void quota_free(struct quota *q);

/* The count of key over the last window at now_ms (0 for a key never counted). */
unsigned quota_peek(struct quota *q, const char *key, int64_t now_ms);
/* Counts one more for key at now_ms. */
void quota_add(struct quota *q, const char *key, int64_t now_ms);

#include "base/banned.h"
#endif
