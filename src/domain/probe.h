/*
 * The write probe: a key-value table used to prove that acknowledged writes are durable (the
 * crash test) and to measure the group-commit writer (bench). It carries no domain meaning and its
 * routes are served only when the server runs with --enable-internal.
 */
#ifndef WANGGE_DOMAIN_PROBE_H
#define WANGGE_DOMAIN_PROBE_H

#include <stdint.h>

struct store;

#define PROBE_KEY_MAX 64

/* 1 when key is 1..PROBE_KEY_MAX printable ASCII characters. */
int probe_key_valid(const char *key);
/* Durably stores key. Returns 0 and *id; STORE_CONSTRAINT if the key exists; STORE_ERR otherwise.
 */
int probe_put(struct store *s, const char *key, int64_t *id);
/* 1 found (with *id and *created_at), 0 absent, -1 error. */
int probe_get(struct store *s, const char *key, int64_t *id, int64_t *created_at);
/* Number of probe rows, or -1. */
int64_t probe_count(struct store *s);

#include "base/banned.h"
#endif
