/*
 * A person's history (person_history.h): the person's dated records read from person_events in
 * (date, id) order along person_events_person, keyset-paged, scoped in SQL through the person's
 * row (a record is the person's: the houses and units it names are shown by their current
 * address and name even when they now lie outside the caller's scope). Key-people rules as
 * person_get: a current key person needs person.key_read and a reason, and records of key
 * categories are left out (not masked: a hidden tag would itself say "key person") unless the
 * caller has both; every answer showing them is audited.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "domain/person_history.h"
#include "domain/registry.h"
#include "domain/sensitive.h"
#include "store/store.h"

/* The Chinese label of a record's kind (person_events.kind). */
static const char *kind_label(const char *kind)
{
	static const struct {
		const char *kind, *label;
	} labels[] = {
		{ "registered", "登记" }, { "born", "出生登记" },  { "move_in", "迁入" },
		{ "move_out", "迁出" },   { "died", "死亡" },      { "unit", "工作单位变更" },
		{ "tag_enter", "纳入" },  { "tag_leave", "退出" }, { "changed", "信息变更" },
	};

	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].kind, kind) == 0)
			return labels[i].label;
	return kind;
}

struct history_rows {
	int key_shown; /* a record of a key category is in the answer */
};

static json_t *history_row(struct store_stmt *st, void *arg)
{
	struct history_rows *h = arg;
	const char *kind = store_col_text(st, 2), *tag = store_col_text(st, 7),
	           *detail = store_col_text(st, 8), *tag_kind = NULL;
	int64_t house = store_col_int64(st, 3), unit = store_col_int64(st, 5);
	char label[96], at[40];
	json_t *o;

	clock_format_local(store_col_int64(st, 9), at, sizeof at);
	if (*tag) {
		(void)person_tag_parse(tag, &tag_kind);
		if (tag_kind && strcmp(tag_kind, "key") == 0)
			h->key_shown = 1;
		(void)snprintf(label, sizeof label, "%s%s", kind_label(kind), registry_label(tag));
	} else {
		(void)snprintf(label, sizeof label, "%s", kind_label(kind));
	}
	o = json_pack(
	        "{s:I,s:s,s:s,s:s,s:o,s:o,s:s}", "id", (json_int_t)store_col_int64(st, 0), "date",
	        store_col_text(st, 1), "kind", kind, "label", label, "house",
	        house ? json_pack("{s:I,s:s}", "id", (json_int_t)house, "address",
	                          store_col_text(st, 4))
	              : json_null(),
	        "unit",
	        unit ? json_pack("{s:I,s:s}", "id", (json_int_t)unit, "name", store_col_text(st, 6))
	             : json_null(),
	        "recorded_at", at);
	if (o && *tag) {
		json_object_set_new(o, "tag", json_string(tag));
		json_object_set_new(o, "tag_label", json_string(registry_label(tag)));
	}
	/* A change names the fields changed, never their values (person.c). */
	if (o && *detail)
		json_object_set_new(o, "detail", json_string(detail));
	return o;
}

/* The person's key_count inside the caller's scope: 1 found, 0 not, -1 error. */
static int person_key_count(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                            int64_t *keys)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[256];
	struct store_stmt *st;
	int rc;

	dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
	(void)snprintf(sql, sizeof sql, "SELECT p.key_count FROM people p WHERE p.id = ?%s", scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_int64(st, 1, id) || dom_scope_bind(x->caller, "p.grid_id", st, 2) < 0) {
		store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW)
		*keys = store_col_int64(st, 0);
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

json_t *person_history(const struct dom_ctx *x, int64_t id, const char *reason,
                       const struct dom_page *pg, struct dom_err *e)
{
	char sql[1024], obj[40], detail[DOM_DETAIL_MAX];
	struct store_conn *c = dom_reader(x, e);
	struct history_rows h = { 0 };
	struct store_stmt *st;
	json_t *out = NULL;
	int64_t keys = 0, after;
	int rc, with_key;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	rc = person_key_count(c, x, id, &keys);
	if (rc < 0) {
		dom_err_read(e);
		return NULL;
	}
	if (rc == 0) {
		dom_err_set(e, 404, "not_found", "人员不存在");
		return NULL;
	}
	(void)snprintf(obj, sizeof obj, "person:%" PRId64, id);
	if (keys > 0 && !access_can(x->caller, "person.key_read")) {
		(void)dom_audit(x, "person.key_read", obj, "denied",
		                "查看重点人员变动记录：无重点人员查看权限（person.key_read）");
		dom_err_set(e, 403, "key_person", "无权查看重点人员信息");
		e->audited = 1;
		return NULL;
	}
	if (keys > 0 && !sensitive_reason_ok(reason)) {
		dom_err_set(e, 400, "reason_required", "查看重点人员信息须填写理由（2 到 200 字）");
		return NULL;
	}
	with_key = person_key_access(x, reason);
	/* A record of a key category is one whose tag the person holds (or held) as kind key:
	   person_tags keeps every row with its dates, so no list of categories is repeated here. */
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT ev.id, ev.date, ev.kind, coalesce(ev.house_id, 0), coalesce(h.address, "
	        "''), "
	        "coalesce(ev.unit_id, 0), coalesce(u.name, ''), coalesce(ev.tag, ''), "
	        "coalesce(ev.detail, ''), ev.created_at FROM person_events ev LEFT JOIN houses h "
	        "ON h.id = ev.house_id LEFT JOIN units u ON u.id = ev.unit_id WHERE ev.person_id = "
	        "?1 AND (?2 = 0 OR (ev.date, ev.id) > ((SELECT e2.date FROM person_events e2 WHERE "
	        "e2.id = ?2), ?2))%s ORDER BY ev.date, ev.id LIMIT ?3",
	        with_key ? ""
	                 : " AND NOT (ev.tag IS NOT NULL AND EXISTS (SELECT 1 FROM person_tags t "
	                   "WHERE t.person_id = ev.person_id AND t.tag = ev.tag AND t.kind = "
	                   "'key'))");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	store_bind_int64(st, 2, after);
	store_bind_int64(st, 3, (int64_t)pg->limit + 1);
	if (!(out = dom_page_collect(st, pg, history_row, &h, e)))
		return NULL;
	json_object_set_new(out, "person", json_integer((json_int_t)id));
	if (keys > 0 || h.key_shown) {
		(void)snprintf(detail, sizeof detail, "查看重点人员变动记录，理由：%.400s", reason);
		if (dom_audit(x, "person.key_read", obj, "success", detail) < 0) {
			json_decref(out);
			dom_err_set(e, 503, "audit_failed",
			            "审计记录写入失败，暂不能查看重点人员信息");
			return NULL;
		}
	}
	return out;
}
