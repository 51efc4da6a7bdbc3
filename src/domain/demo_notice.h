/*
 * The demo's supervision phones: every center of the demo city gets a made-up landline in
 * Liaocheng's area code (0635), so the public notice boards (domain/notice.h) show one. Kept apart
 * from the demo city's generator (domain/demo.c) on purpose: one call after the accounts.
 */
#ifndef WANGGE_DOMAIN_DEMO_NOTICE_H
#define WANGGE_DOMAIN_DEMO_NOTICE_H

#include "domain/dom.h"

/* Sets "0635-8xxxxxx" on every center that has no supervision phone. 0, or -1 with e. */
int demo_supervision_phones(const struct dom_ctx *x, struct dom_err *e);

#include "base/banned.h"
#endif
