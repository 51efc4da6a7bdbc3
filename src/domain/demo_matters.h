/*
 * Demo matters with their event histories (see demo_matters.c), for `wangge demo --matters N`.
 */
#ifndef WANGGE_DOMAIN_DEMO_MATTERS_H
#define WANGGE_DOMAIN_DEMO_MATTERS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

/* Adds n matters over the year before x->now, deterministic for seed, as the caller of x (the
   system). *written gets how many were made. 0, or -1 with a message in err. */
int demo_matters_create(const struct dom_ctx *x, int64_t n, uint64_t seed, int64_t *written,
                        char *err, size_t errlen);

#endif
