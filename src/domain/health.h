/*
 * System health as the status page and load balancers see it.
 */
#ifndef WANGGE_DOMAIN_HEALTH_H
#define WANGGE_DOMAIN_HEALTH_H

struct store;

struct health {
	int database_ok;    /* a read on this thread's connection succeeded */
	int schema_version; /* applied schema version, -1 when unknown */
	int schema_latest;  /* what this binary expects */
};

void health_read(struct store *s, struct health *out);

#include "base/banned.h"
#endif
