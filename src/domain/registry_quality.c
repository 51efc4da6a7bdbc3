/*
 * Key-people visits due and the registry's data-quality lists (registry_quality.h): each one SQL
 * query scoped by dom_scope_sql and keyset-paged along people_path / houses_path, the overdue
 * and threshold conditions computed in SQL so that paging never happens in C.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "domain/registry.h"
#include "domain/registry_quality.h"
#include "store/store.h"

#define DAY 86400
#define LOCAL_OFFSET 28800 /* Asia/Shanghai: a calendar date starts at 00:00 +08:00 */

int registry_setting(struct store_conn *c, const char *name, int64_t *value)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT value FROM registry_settings WHERE name = ?");
	int rc = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, name, -1);
	if (store_step(st) == STORE_ROW) {
		*value = store_col_int64(st, 0);
		rc = 0;
	}
	store_reset(st);
	return rc;
}

static json_t *time_or_null(int64_t t)
{
	char buf[40];

	if (t <= 0)
		return json_null();
	clock_format_local(t, buf, sizeof buf);
	return json_string(buf);
}

struct due_ctx {
	int64_t now;
};

static json_t *due_row(struct store_stmt *st, void *arg)
{
	const struct due_ctx *d = arg;
	int64_t due = store_col_int64(st, 5);

	return json_pack("{s:I,s:s,s:s,s:I,s:o,s:o,s:I}", "id", (json_int_t)store_col_int64(st, 0),
	                 "name", store_col_text(st, 1), "grid", store_col_text(st, 2),
	                 "interval_days", (json_int_t)store_col_int64(st, 3), "last_visit",
	                 time_or_null(store_col_int64(st, 4)), "due_at", time_or_null(due),
	                 "overdue_days", (json_int_t)((d->now - due) / DAY));
}

json_t *person_visits_due(const struct dom_ctx *x, const char *grid, const char *reason,
                          const struct dom_page *pg, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[2560];
	struct store_conn *c = NULL;
	struct due_ctx d = { x->now };
	struct store_stmt *st;
	json_t *out = NULL;
	int64_t after;
	int k = 1;

	if (!access_can(x->caller, "person.key_read")) {
		(void)dom_audit(x, "person.key_read", "people:visits-due", "denied",
		                "无重点人员查看权限（person.key_read）");
		dom_err_set(e, 403, "key_person", "无权查看重点人员信息");
		e->audited = 1;
		return NULL;
	}
	if (!person_key_access(x, reason)) {
		dom_err_set(e, 400, "reason_required", "查看重点人员信息须填写理由（2 到 200 字）");
		return NULL;
	}
	if (grid && strlen(grid) != 15) {
		dom_err_set(e, 400, "bad_param", "参数 grid 应为 15 位网格编码");
		return NULL;
	}
	if (!(c = dom_reader(x, e)) || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
	/* due_at: the last visit (or the local midnight starting the day the person entered their
	   earliest current category) plus the shortest interval of the current categories. */
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT id, name, code, days, coalesce(last_visit, 0), due_at FROM (SELECT id, "
	        "name, code, path, days, last_visit, coalesce(last_visit, CAST(strftime('%%s', "
	        "since) AS INTEGER) - %d) + days * %d AS due_at FROM (SELECT p.id, p.name, g.code, "
	        "p.path, (SELECT min(k.days) FROM person_tags t JOIN key_visit_intervals k ON "
	        "k.category = t.tag WHERE t.person_id = p.id AND t.kind = 'key' AND t.left_on IS "
	        "NULL) AS days, (SELECT max(v.at) FROM duty_records v WHERE v.person_id = p.id AND "
	        "v.duty = 'key_group_visit') AS last_visit, (SELECT min(t.entered_on) FROM "
	        "person_tags t WHERE t.person_id = p.id AND t.kind = 'key' AND t.left_on IS NULL) "
	        "AS since FROM people p JOIN grids g ON g.id = p.grid_id WHERE p.key_count > 0 AND "
	        "p.status = 'present' AND (? = 0 OR (p.path, p.id) > ((SELECT p2.path FROM people "
	        "p2 WHERE p2.id = ?), ?))%s%s ORDER BY p.path, p.id)) WHERE due_at <= ? ORDER BY "
	        "path, id LIMIT ?",
	        LOCAL_OFFSET, DAY, scope, grid ? " AND g.code = ?" : "");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, "p.grid_id", st, k);
	if (grid)
		store_bind_text(st, k++, grid, -1);
	store_bind_int64(st, k++, x->now);
	store_bind_int64(st, k, pg->limit + 1);
	out = dom_page_collect(st, pg, due_row, &d, e);
	if (out && person_key_read_record(x, "people:visits-due", reason) < 0) {
		json_decref(out);
		out = NULL;
		dom_err_set(e, 503, "audit_failed", "审计记录写入失败，暂不能查看重点人员信息");
	}
	return out;
}

static json_t *quality_person_row(struct store_stmt *st, void *arg)
{
	int64_t house = store_col_int64(st, 3);

	(void)arg;
	return json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)store_col_int64(st, 0), "name",
	                 store_col_text(st, 1), "grid", store_col_text(st, 2), "house",
	                 house ? json_integer(house) : json_null(), "verified_at",
	                 time_or_null(store_col_int64(st, 4)));
}

static json_t *quality_house_row(struct store_stmt *st, void *arg)
{
	(void)arg;
	return json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)store_col_int64(st, 0), "address",
	                 store_col_text(st, 1), "grid", store_col_text(st, 2), "residents",
	                 (json_int_t)store_col_int64(st, 3));
}

json_t *registry_quality(const struct dom_ctx *x, const char *kind, const char *grid, int with_key,
                         const struct dom_page *pg, struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[2048];
	struct store_conn *c = NULL;
	const char *cond = NULL;
	int64_t after, threshold = 0, since = 0;
	int houses = 0, k = 1;
	struct store_stmt *st;
	json_t *out;

	if (!kind || !*kind)
		kind = "unverified";
	if (strcmp(kind, "unverified") == 0)
		cond = " AND p.status = 'present' AND coalesce(p.verified_at, p.created_at) < ?";
	else if (strcmp(kind, "no_house") == 0)
		cond = " AND p.status = 'present' AND p.house_id IS NULL";
	else if (strcmp(kind, "duplicates") == 0)
		cond = " AND p.id_number_bidx IS NOT NULL AND EXISTS (SELECT 1 FROM people q WHERE "
		       "q.id_number_bidx = p.id_number_bidx AND q.id <> p.id)";
	else if (strcmp(kind, "crowded") == 0)
		houses = 1;
	else {
		dom_err_set(e, 400, "bad_param",
		            "参数 kind 应为 unverified、duplicates、no_house 或 crowded");
		return NULL;
	}
	if (grid && strlen(grid) != 15) {
		dom_err_set(e, 400, "bad_param", "参数 grid 应为 15 位网格编码");
		return NULL;
	}
	if (!(c = dom_reader(x, e)) || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	if (strcmp(kind, "unverified") == 0 || houses) {
		if (registry_setting(c, houses ? "crowded_residents" : "verify_months",
		                     &threshold) < 0) {
			dom_err_read(e);
			return NULL;
		}
		since = x->now - threshold * 30 * DAY;
	}
	if (houses) {
		dom_scope_sql(x->caller, "h.path", "h.grid_id", scope);
		(void)snprintf(
		        sql, sizeof sql,
		        "SELECT id, address, code, n FROM (SELECT h.id, h.address, g.code, "
		        "h.path, (SELECT count(*) FROM people q WHERE q.house_id = h.id AND "
		        "q.status = 'present') AS n FROM houses h JOIN grids g ON g.id = "
		        "h.grid_id WHERE (? = 0 OR (h.path, h.id) > ((SELECT h2.path FROM "
		        "houses h2 WHERE h2.id = ?), ?))%s%s ORDER BY h.path, h.id) WHERE n > "
		        "? ORDER BY path, id LIMIT ?",
		        scope, grid ? " AND g.code = ?" : "");
	} else {
		dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
		(void)snprintf(
		        sql, sizeof sql,
		        "SELECT p.id, p.name, g.code, coalesce(p.house_id, 0), "
		        "coalesce(p.verified_at, p.created_at) FROM people p JOIN grids g ON "
		        "g.id = p.grid_id WHERE (? = 0 OR (p.path, p.id) > ((SELECT p2.path "
		        "FROM people p2 WHERE p2.id = ?), ?))%s%s%s%s ORDER BY p.path, p.id "
		        "LIMIT ?",
		        scope, with_key ? "" : " AND p.key_count = 0",
		        grid ? " AND g.code = ?" : "", cond);
	}
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	store_bind_int64(st, k++, after);
	k = dom_scope_bind(x->caller, houses ? "h.grid_id" : "p.grid_id", st, k);
	if (grid)
		store_bind_text(st, k++, grid, -1);
	if (houses)
		store_bind_int64(st, k++, threshold);
	else if (strcmp(kind, "unverified") == 0)
		store_bind_int64(st, k++, since);
	store_bind_int64(st, k, pg->limit + 1);
	out = dom_page_collect(st, pg, houses ? quality_house_row : quality_person_row, NULL, e);
	if (out) {
		json_object_set_new(out, "kind", json_string(kind));
		if (threshold)
			json_object_set_new(out, "threshold", json_integer(threshold));
	}
	return out;
}
