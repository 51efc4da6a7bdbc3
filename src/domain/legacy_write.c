/*
 * TRANSITIONAL helpers of the identity modules (legacy_write.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/legacy_write.h"

int legacy_write(struct store *s, store_write_fn fn, void *arg, struct dom_err *e)
{
	int rc = store_write(s, fn, arg);

	if (rc == 1)
		return -1;
	if (rc)
		return dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
	return 0;
}

void legacy_audit_init(const struct dom_ctx *x, const struct principal *p, struct audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->at = x->now;
	e->user_id = p ? p->user_id : 0;
	e->username = p ? p->username : "-";
	e->org_id = p ? p->org_id : 0;
	e->source = x->source;
	e->request_id = x->request_id;
	e->outcome = "success";
}

int legacy_audit(struct store_conn *c, const struct dom_ctx *x, const struct principal *p,
                 const char *action, const char *object, const char *outcome, const char *detail)
{
	struct audit_entry e;

	legacy_audit_init(x, p, &e);
	e.action = action;
	e.object = object;
	e.outcome = outcome;
	e.detail = detail;
	return audit_append_conn(c, x->audit_key, &e);
}

int legacy_audit_as(struct store_conn *c, const struct dom_ctx *x, int64_t user_id,
                    const char *username, int64_t org_id, const char *action, const char *object,
                    const char *outcome, const char *detail)
{
	struct audit_entry e;

	legacy_audit_init(x, NULL, &e);
	e.user_id = user_id;
	e.username = username;
	e.org_id = org_id;
	e.action = action;
	e.object = object;
	e.outcome = outcome;
	e.detail = detail;
	return audit_append_conn(c, x->audit_key, &e);
}
