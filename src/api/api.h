/*
 * Handlers of the HTTP API, one file per resource. Each parses and validates its input, calls the
 * domain layer, and answers with JSON. The route table in routes.c lists them all.
 */
#ifndef WANGGE_API_API_H
#define WANGGE_API_API_H

#include "http/http.h"

/* health.c */
void api_healthz(struct req *r);
/* probe.c (internal routes, tests and benchmarks only) */
void api_probe_put(struct req *r);
void api_probe_get(struct req *r);

#include "base/banned.h"
#endif
