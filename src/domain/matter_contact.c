/*
 * The resident's contact for staff (domain/matter_contact.h): read within the caller's matter
 * scope, opened from its seal, masked unless the caller unmasks it.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "domain/matter_contact.h"
#include "domain/matter_internal.h"
#include "domain/sealed.h"
#include "domain/sensitive.h"
#include "store/store.h"

int matter_reporter_contact(const struct dom_ctx *x, int64_t id, int unmask, char *out, size_t n,
                            struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[MATTER_SCOPE_SQL_MAX], sql[512], clear[MATTER_CONTACT_MAX] = "";
	struct store_stmt *st;
	int rc, found = -1;

	if (n)
		out[0] = '\0';
	if (!c)
		return -1;
	matter_scope_sql(x->caller, scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT coalesce(m.reporter_contact, '') FROM matters m WHERE m.id = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return dom_err_read(e);
	store_bind_int64(st, 1, id);
	matter_scope_bind(x->caller, st, 2);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		sealed_open(clear, sizeof clear, SEALED_FIELD_MATTER_CONTACT, id,
		            store_col_text(st, 0));
		found = clear[0] ? 1 : 0;
	}
	store_reset(st);
	if (found > 0) {
		const char *shown =
		        sensitive_show("matter", "reporter_contact", clear, unmask, out, n);

		if (shown != out)
			(void)snprintf(out, n, "%s", shown);
	}
	sodium_memzero(clear, sizeof clear);
	if (rc == STORE_ROW)
		return found;
	if (rc == STORE_DONE)
		return dom_err_set(e, 404, "not_found", "事项不存在");
	return dom_err_read(e);
}
