/*
 * The .xlsx export of the people register (实有人口, issue 12 part 7): the people the caller may
 * see, with the list's filters and scope, masked as the list answers them. Owned by the
 * registry; the workbook is written by base/xlsx.h.
 */
#ifndef WANGGE_DOMAIN_PERSON_EXPORT_H
#define WANGGE_DOMAIN_PERSON_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "domain/registry.h"

#define PERSON_EXPORT_MAX_ROWS 50000 /* the default cap of one export */

/* The people matching f visible to the caller (key people only with f->with_key, as the list)
   as an .xlsx workbook (malloc'd *data, *len), ID number, phone and birth date masked. More
   than max people is 413 too_many_rows (nothing exported). Every export, refused or not, is
   in the audit trail (person.export) with its filters and row count. 0, or -1 with e. */
int person_export_xlsx(const struct dom_ctx *x, const struct person_filter *f, int64_t max,
                       char **data, size_t *len, struct dom_err *e);

#include "base/banned.h"
#endif
