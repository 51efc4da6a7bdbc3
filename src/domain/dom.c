/*
 * The domain kernel (domain/dom.h): the context, the error, the write path with its audit record
 * in the same transaction, scope as SQL and keyset pages.
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/audit.h"
#include "domain/caller_cache.h"
#include "domain/dom.h"
#include "store/store.h"

/* ---- the error ---- */

int dom_err_set(struct dom_err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->status = status;
	e->code = code;
	e->audited = 0;
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

int dom_err_store(struct dom_err *e, int store_rc)
{
	if (store_rc == STORE_CONSTRAINT)
		return dom_err_set(e, 409, "conflict",
		                   "数据冲突（重复或引用不存在），请刷新后重试");
	return dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
}

int dom_err_read(struct dom_err *e)
{
	return dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
}

int dom_err_is_refusal(const struct dom_err *e)
{
	/* 423 and 429: a locked account or address refuses the caller as surely as a 403. */
	return e->status == 403 || e->status == 404 || e->status == 423 || e->status == 429;
}

/* ---- the context ---- */

void dom_ctx_cli(struct dom_ctx *x, struct store *s, const unsigned char *audit_key,
                 const struct security_config *security)
{
	memset(x, 0, sizeof *x);
	x->store = s;
	x->caller = access_system();
	x->now = clock_now();
	x->audit_key = audit_key;
	x->source = "cli";
	x->request_id = "";
	x->security = security;
}

void dom_ctx_as(struct dom_ctx *x2, const struct dom_ctx *x, const struct principal *caller)
{
	*x2 = *x;
	x2->caller = caller ? caller : access_anonymous();
}

/* ---- the write path ---- */

void dom_write_object(struct dom_write *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(w->object, sizeof w->object, fmt, ap);
	va_end(ap);
}

void dom_write_detail(struct dom_write *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(w->detail, sizeof w->detail, fmt, ap);
	va_end(ap);
}

int dom_authorize_any(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	(void)c;
	(void)x;
	(void)w;
	(void)e;
	return 0;
}

static int append_record(struct store_conn *c, const struct dom_ctx *x, const struct dom_write *w,
                         const char *outcome, const struct dom_err *e)
{
	struct audit_entry a = { 0 };
	char detail[DOM_DETAIL_MAX + DOM_MSG_MAX + 48];
	const struct principal *p = x->caller;

	if (e && e->status)
		(void)snprintf(detail, sizeof detail, "%s%s%d %s: %s", w->detail,
		               w->detail[0] ? "; " : "", e->status, e->code ? e->code : "error",
		               e->message);
	else
		(void)snprintf(detail, sizeof detail, "%s", w->detail);
	a.at = x->now;
	a.user_id = w->audit_username ? w->audit_user_id : p->user_id;
	a.username = w->audit_username ? w->audit_username : p->username;
	a.org_id = w->audit_username ? w->audit_org_id : p->org_id;
	a.source = x->source;
	a.action = w->action;
	a.object = w->object;
	a.outcome = outcome;
	a.detail = detail;
	a.request_id = x->request_id;
	return audit_append_conn(c, x->audit_key, &a);
}

struct write_run {
	const struct dom_ctx *x;
	struct dom_write *w;
	struct dom_err *e;
};

/* What write_fn answers when a write alone failed: its transaction is to be rolled back and the
   failure recorded by a write of its own (record_fn). Distinct from every store_rc. */
#define ROLLED_BACK 7

/* The audit record of a write alone that failed, in a transaction of its own. */
static int record_fn(struct store_conn *c, void *arg)
{
	struct write_run *r = arg;

	return append_record(c, r->x, r->w, r->w->outcome, r->e) == 0 ? 0 : STORE_ERR;
}

static int write_fn(struct store_conn *c, void *arg)
{
	struct write_run *r = arg;
	const struct dom_ctx *x = r->x;
	struct dom_write *w = r->w;
	struct dom_err *e = r->e;
	int rc;

	e->status = 0;
	w->keep_error.status = 0;
	if (!access_can(x->caller, w->permission)) {
		dom_err_set(e, 403, "forbidden", "没有执行此操作的权限");
		w->outcome = "denied";
		goto record;
	}
	if (!w->alone && store_exec(c, "SAVEPOINT dom_change") != STORE_OK)
		return STORE_ERR;
	rc = w->authorize(c, x, w, e);
	if (rc == 0)
		rc = w->apply(c, x, w, e);
	if (rc != 0) {
		if (e->status == 0)
			dom_err_set(e, 500, "internal", "内部错误");
		w->outcome = dom_err_is_refusal(e) ? "denied" : "failure";
		/* A write alone: the store rolls its transaction back, dom_write records it after.
		 */
		if (w->alone)
			return ROLLED_BACK;
		if (store_exec(c, "ROLLBACK TO dom_change") != STORE_OK ||
		    store_exec(c, "RELEASE dom_change") != STORE_OK)
			return STORE_ERR;
	} else {
		if (!w->alone && store_exec(c, "RELEASE dom_change") != STORE_OK)
			return STORE_ERR;
		if (w->keep_error.status) {
			*e = w->keep_error;
			w->outcome = "failure";
		} else {
			w->outcome = "success";
		}
	}
record:
	/* The record commits with the change, or, after a refusal, alone. If it cannot be written
	   nothing is kept: an unaudited change must not exist. */
	return append_record(c, x, w, w->outcome, e) == 0 ? 0 : STORE_ERR;
}

int dom_write(const struct dom_ctx *x, struct dom_write *w, struct dom_err *e)
{
	struct write_run r = { x, w, e };
	int rc;

	e->status = 0;
	e->audited = 0;
	w->outcome = NULL;
	if (!x->caller || !x->audit_key || !w->authorize || !w->apply || !w->action ||
	    !w->permission) {
		log_error("dom.write_incomplete", "action=%s", w->action ? w->action : "");
		return dom_err_set(e, 500, "internal", "内部错误：写操作缺少授权步骤或审计");
	}
	rc = w->alone ? store_write_alone(x->store, write_fn, &r)
	              : store_write(x->store, write_fn, &r);
	if (rc == ROLLED_BACK)
		rc = store_write(x->store, record_fn, &r);
	/* The record is committed: the head record beside the database follows (domain/audit.h). */
	audit_head_sync();
	/* A committed change may have changed a caller: cached callers are loaded again from the
	   next request on (before this one answers). */
	if (rc == 0 && (!e->status || w->keep_error.status) && !w->callers_unchanged)
		caller_cache_invalidate();
	if (rc != 0) {
		log_error("dom.write_failed", "action=%s rc=%d", w->action, rc);
		return dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
	}
	if (e->status) {
		e->audited = 1;
		return -1;
	}
	return 0;
}

struct audit_run {
	const struct dom_ctx *x;
	struct dom_write w;
	const char *outcome;
};

static int audit_fn(struct store_conn *c, void *arg)
{
	struct audit_run *r = arg;

	return append_record(c, r->x, &r->w, r->outcome, NULL) == 0 ? 0 : STORE_ERR;
}

int dom_audit(const struct dom_ctx *x, const char *action, const char *object, const char *outcome,
              const char *detail)
{
	struct audit_run r = { .x = x, .outcome = outcome };

	if (!x->audit_key)
		return -1;
	r.w.action = action;
	(void)snprintf(r.w.object, sizeof r.w.object, "%s", object ? object : "");
	(void)snprintf(r.w.detail, sizeof r.w.detail, "%s", detail ? detail : "");
	if (store_write(x->store, audit_fn, &r) != 0) {
		log_error("dom.audit_failed", "action=%s", action);
		return -1;
	}
	audit_head_sync();
	return 0;
}

/* ---- reads ---- */

struct store_conn *dom_reader(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = store_reader(x->store);

	if (!c)
		dom_err_read(e);
	return c;
}

/* ---- scope in SQL ---- */

static int grid_scoped(const struct principal *p, const char *grid_col)
{
	return grid_col && p && !p->is_system && p->grid_bound;
}

void dom_scope_sql(const struct principal *p, const char *path_col, const char *grid_col,
                   char out[DOM_SCOPE_SQL_MAX])
{
	if (grid_scoped(p, grid_col))
		(void)snprintf(
		        out, DOM_SCOPE_SQL_MAX,
		        " AND %s >= ? AND %s < ? AND %s IN (SELECT grid_id FROM user_grids WHERE "
		        "user_id = ?)",
		        path_col, path_col, grid_col);
	else
		(void)snprintf(out, DOM_SCOPE_SQL_MAX, " AND %s >= ? AND %s < ?", path_col,
		               path_col);
}

int dom_scope_bind(const struct principal *p, const char *grid_col, struct store_stmt *st, int idx)
{
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];

	access_scope_range(p, lo, hi);
	if (store_bind_text(st, idx, lo, -1) || store_bind_text(st, idx + 1, hi, -1))
		return -1;
	idx += 2;
	if (grid_scoped(p, grid_col)) {
		if (store_bind_int64(st, idx, p->user_id))
			return -1;
		idx++;
	}
	return idx;
}

/* ---- keyset pages ---- */

int dom_page_parse(struct dom_page *pg, const char *limit, const char *cursor, struct dom_err *e)
{
	unsigned char key[DOM_KEY_MAX];
	size_t n = 0;
	long v = DOM_PAGE_DEFAULT;

	pg->limit = DOM_PAGE_DEFAULT;
	pg->after[0] = '\0';
	if (limit && *limit) {
		char *end = NULL;

		v = strtol(limit, &end, 10);
		if (!end || *end || end == limit || v < 1 || v > DOM_PAGE_MAX)
			return dom_err_set(e, 400, "bad_limit", "每页条数应为 1 到 %d 之间的整数",
			                   DOM_PAGE_MAX);
	}
	pg->limit = (int)v;
	if (!cursor || !*cursor)
		return 0;
	if (strlen(cursor) >= DOM_CURSOR_MAX ||
	    sodium_base642bin(key, sizeof key - 1, cursor, strlen(cursor), NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return dom_err_set(e, 400, "bad_cursor", "分页游标无效，请从第一页重新查询");
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x20 || key[i] == 0x7f)
			return dom_err_set(e, 400, "bad_cursor",
			                   "分页游标无效，请从第一页重新查询");
	memcpy(pg->after, key, n);
	pg->after[n] = '\0';
	return 0;
}

int dom_page_after_id(const struct dom_page *pg, int64_t *id, struct dom_err *e)
{
	char *end = NULL;
	long long v;

	*id = 0;
	if (!pg->after[0])
		return 0;
	v = strtoll(pg->after, &end, 10);
	if (!end || *end || v <= 0)
		return dom_err_set(e, 400, "bad_cursor", "分页游标无效，请从第一页重新查询");
	*id = v;
	return 0;
}

json_t *dom_page_json(json_t *items, const char *next_key)
{
	char cursor[DOM_CURSOR_MAX];

	if (!items)
		return NULL;
	if (next_key)
		dom_cursor_encode(next_key, cursor);
	return json_pack("{s:o,s:s?}", "items", items, "next_cursor", next_key ? cursor : NULL);
}

void dom_cursor_encode(const char *key, char out[DOM_CURSOR_MAX])
{
	size_t n = strlen(key);

	if (n >= DOM_KEY_MAX)
		n = DOM_KEY_MAX - 1;
	sodium_bin2base64(out, DOM_CURSOR_MAX, (const unsigned char *)key, n,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- small helpers ---- */

void dom_copy(char *dst, size_t n, const char *src)
{
	if (n == 0)
		return;
	(void)snprintf(dst, n, "%s", src ? src : "");
}

size_t dom_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int dom_step_done(struct store_stmt *st)
{
	int rc = store_step(st);

	store_reset(st);
	if (rc == STORE_DONE || rc == STORE_ROW)
		return 0;
	return rc < 0 ? rc : STORE_ERR;
}

int dom_exec(struct store_conn *c, struct dom_err *e, const char *sql, const char *types, ...)
{
	struct store_stmt *st;
	va_list ap;
	int idx = 1, rc = STORE_OK;
	size_t marks = 0;

	/* One letter per placeholder, or the arguments would be read with the wrong types: refuse
	   loudly instead (the SQL here is the module's constant text, with no '?' in literals). */
	for (const char *q = sql; *q; q++)
		marks += *q == '?';
	if (marks != strlen(types)) {
		log_error("dom.exec_arity", "placeholders=%zu types=%s", marks, types);
		return dom_err_set(e, 500, "internal", "内部错误：参数个数不符");
	}
	st = store_prepare(c, sql);
	if (!st)
		return dom_err_store(e, STORE_ERR);
	va_start(ap, types);
	for (const char *t = types; *t && rc == STORE_OK; t++, idx++) {
		int64_t v;

		switch (*t) {
		case 'i': rc = store_bind_int64(st, idx, va_arg(ap, int64_t)); break;
		case 'n':
			v = va_arg(ap, int64_t);
			rc = v ? store_bind_int64(st, idx, v) : store_bind_null(st, idx);
			break;
		case 't': rc = store_bind_text(st, idx, va_arg(ap, const char *), -1); break;
		default: rc = STORE_ERR; break;
		}
	}
	va_end(ap);
	if (rc != STORE_OK) {
		store_reset(st);
		log_error("dom.exec_bind", "types=%s", types);
		return dom_err_store(e, STORE_ERR);
	}
	rc = dom_step_done(st);
	return rc == 0 ? 0 : dom_err_store(e, rc);
}

json_t *dom_page_collect(struct store_stmt *st, const struct dom_page *pg, dom_row_fn row,
                         void *arg, struct dom_err *e)
{
	json_t *items = json_array(), *out = NULL;
	int64_t last = 0;
	int n = 0, more = 0, rc = STORE_ERR;
	char key[24];

	if (items)
		while ((rc = store_step(st)) == STORE_ROW) {
			json_t *item;

			/* The extra row only says there is a next page. */
			if (n == pg->limit) {
				more = 1;
				break;
			}
			last = store_col_int64(st, 0);
			item = row(st, arg);
			if (!item || json_array_append_new(items, item) < 0) {
				rc = STORE_ERR;
				break;
			}
			n++;
		}
	store_reset(st);
	if (rc == STORE_DONE || (rc == STORE_ROW && more)) {
		(void)snprintf(key, sizeof key, "%" PRId64, last);
		out = dom_page_json(items, more ? key : NULL);
		items = NULL;
	}
	json_decref(items);
	if (!out)
		dom_err_read(e);
	return out;
}
