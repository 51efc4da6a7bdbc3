/*
 * The demo's matter list: city departments (organisations of kind 'department' under 聊城市) and
 * a realistic published list of a few dozen items across the categories of domain/matter_item.h
 * with plausible time limits, plus one pending revision, one item scheduled for a later date and
 * one temporary item, so every state of the lifecycle shows in the demo.
 */
#ifndef WANGGE_DOMAIN_DEMO_MATTER_ITEMS_H
#define WANGGE_DOMAIN_DEMO_MATTER_ITEMS_H

#include <stddef.h>

struct dom_ctx;

/* Creates the departments and the list as x->caller (the system principal), through the domain
   writes (each audited). Nothing is done when the list already has items. Returns the number of
   items created, or -1 with a reason in err. */
int demo_matter_items_load(const struct dom_ctx *x, char *err, size_t errlen);

#include "base/banned.h"
#endif
