/*
 * TRANSITIONAL (removed when identity moves onto dom_write): the write and audit helpers the
 * identity modules shared before the domain kernel. Writes run a store_write_fn that returns 1
 * after setting e to refuse, and append their own audit record with legacy_audit.
 */
#ifndef WANGGE_DOMAIN_LEGACY_WRITE_H
#define WANGGE_DOMAIN_LEGACY_WRITE_H

#include "domain/audit.h"
#include "domain/dom.h"
#include "store/store.h"

/* Runs fn on the writer: 0 after a committed write; -1 when fn refused (returned 1, e set) or
   when the write failed (e 503 write_failed). */
int legacy_write(struct store *s, store_write_fn fn, void *arg, struct dom_err *e);
/* Audit entry pre-filled with who (p, or "-") and where (x). */
void legacy_audit_init(const struct dom_ctx *x, const struct principal *p, struct audit_entry *e);
/* Appends a record inside the running write. */
int legacy_audit(struct store_conn *c, const struct dom_ctx *x, const struct principal *p,
                 const char *action, const char *object, const char *outcome, const char *detail);

/* The same for a record whose who is given explicitly (logins: what was typed). */
int legacy_audit_as(struct store_conn *c, const struct dom_ctx *x, int64_t user_id,
                    const char *username, int64_t org_id, const char *action, const char *object,
                    const char *outcome, const char *detail);

#include "base/banned.h"
#endif
