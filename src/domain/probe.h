/*
 * Internal test hooks, served only when the server runs with --enable-internal:
 *   - the write probe: a key-value table used to prove that acknowledged writes are durable (the
 *     crash test) and to measure the group-commit writer (bench). It carries no domain meaning.
 *   - the test clock: moves the server's injectable clock (base/clock.h), so API tests make
 *     session idle and absolute timeouts, lockout windows, TOTP steps and password ages pass
 *     without sleeping.
 */
#ifndef WANGGE_DOMAIN_PROBE_H
#define WANGGE_DOMAIN_PROBE_H

#include <stdint.h>

struct store;
struct dom_err;

#define PROBE_KEY_MAX 64
/* The test clock never moves further than this from the real time: ten years of 366 days. */
#define PROBE_CLOCK_MAX_OFFSET_S (10LL * 366 * 86400)

/* 1 when key is 1..PROBE_KEY_MAX printable ASCII characters. */
int probe_key_valid(const char *key);
/* Durably stores key, created at now (UTC seconds). Returns 0 and *id; STORE_CONSTRAINT if the key
   exists; STORE_ERR otherwise. */
int probe_put(struct store *s, const char *key, int64_t now, int64_t *id);
/* 1 found (with *id and *created_at), 0 absent, -1 error. */
int probe_get(struct store *s, const char *key, int64_t *id, int64_t *created_at);
/* Number of probe rows, or -1. */
int64_t probe_count(struct store *s);

/* Moves the process's clock: to offset seconds from the real time when advance is 0, or by offset
   seconds from where it stands when advance is 1. The resulting offset must lie within
   ±PROBE_CLOCK_MAX_OFFSET_S (and an advance itself too, so nothing overflows). Returns 0 with
   *now_offset the offset now in force, or -1 with e 400 bad_offset (the clock is left alone).
   Requests already running keep the "now" they took when they started. */
int probe_clock_move(int64_t offset, int advance, int64_t *now_offset, struct dom_err *e);

#include "base/banned.h"
#endif
