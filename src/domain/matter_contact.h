/*
 * The contact a resident left with a report (matter_public_report): personal data, sealed at rest
 * (domain/sealed.h, "matters.reporter_contact"), shown only to staff who may see the matter, and
 * masked (domain/sensitive.h, matter.reporter_contact: 139****1111) unless the caller unmasks it
 * with a reason (sensitive.unmask; the API records every unmasking). Part of the matter module;
 * kept apart from matter_read.c so the residents' pages own it.
 */
#ifndef WANGGE_DOMAIN_MATTER_CONTACT_H
#define WANGGE_DOMAIN_MATTER_CONTACT_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

#define MATTER_CONTACT_MAX 256 /* 60 characters of UTF-8, or their mask */

/* The reporter's contact of matter id, masked unless unmask (the API checks the caller may
   unmask and records it): 1 with out, 0 when the matter has none (not a resident's report), or
   -1 with e (404 when the matter is missing or outside the caller's scope). */
int matter_reporter_contact(const struct dom_ctx *x, int64_t id, int unmask, char *out, size_t n,
                            struct dom_err *e);

#include "base/banned.h"
#endif
