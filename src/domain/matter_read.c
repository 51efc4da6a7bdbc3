/*
 * Reading matters: the caller's scope as SQL, the queue (keyset pages, newest first), one matter
 * with its assignments, its timeline and what the caller may do now, and the counters of a
 * region. Every read is scoped by the database (matter_scope_sql); nothing is filtered in C.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/codes.h"
#include "domain/access.h"
#include "domain/matter.h"
#include "domain/matter_internal.h"
#include "domain/matter_item.h"
#include "domain/region.h"
#include "domain/sealed.h"
#include "store/files.h"
#include "store/store.h"

/* The column holding the matter's code at the level of a region code, or NULL. */
static const char *level_column(const char *region_code)
{
	struct code_error ce = { 0 };
	char norm[13];

	switch (region_code_normalize(region_code, norm, &ce)) {
	case 2: return "m.city_code";
	case 3: return "m.county_code";
	case 4: return "m.township_code";
	case 5: return "m.community_code";
	default: return NULL;
	}
}

void matter_scope_sql(const struct principal *p, char out[MATTER_SCOPE_SQL_MAX])
{
	const char *col;

	if (p->is_system) {
		out[0] = '\0';
	} else if (!access_authenticated(p)) {
		snprintf(out, MATTER_SCOPE_SQL_MAX, " AND 0");
	} else if (p->org_kind == ORG_DEPARTMENT) {
		snprintf(out, MATTER_SCOPE_SQL_MAX,
		         " AND (m.reporter_org_id = ? OR m.id IN (SELECT matter_id FROM "
		         "matter_assignments WHERE org_id = ?))");
	} else if (p->grid_bound) {
		char s[DOM_SCOPE_SQL_MAX];

		dom_scope_sql(p, "m.path", "m.grid_id", s);
		snprintf(out, MATTER_SCOPE_SQL_MAX, "%s", s);
	} else if ((col = level_column(p->region_code)) != NULL) {
		snprintf(out, MATTER_SCOPE_SQL_MAX, " AND %s = ?", col);
	} else {
		char s[DOM_SCOPE_SQL_MAX];

		dom_scope_sql(p, "m.path", NULL, s);
		snprintf(out, MATTER_SCOPE_SQL_MAX, "%s", s);
	}
}

int matter_scope_bind(const struct principal *p, struct store_stmt *st, int idx)
{
	if (p->is_system || !access_authenticated(p))
		return idx;
	if (p->org_kind == ORG_DEPARTMENT) {
		store_bind_int64(st, idx, p->org_id);
		store_bind_int64(st, idx + 1, p->org_id);
		return idx + 2;
	}
	if (p->grid_bound)
		return dom_scope_bind(p, "m.grid_id", st, idx);
	if (level_column(p->region_code)) {
		char norm[13];
		struct code_error ce = { 0 };

		region_code_normalize(p->region_code, norm, &ce);
		store_bind_text(st, idx, norm, -1);
		return idx + 1;
	}
	return dom_scope_bind(p, NULL, st, idx);
}

static void set_time(json_t *o, const char *key, int64_t t)
{
	char buf[40];

	if (t)
		json_object_set_new(o, key, json_string(clock_format_local(t, buf, sizeof buf)));
	else
		json_object_set_new(o, key, json_null());
}

static const char *alert_name(int alert)
{
	return alert == 2 ? "red" : alert == 1 ? "yellow" : "none";
}

/* The highest 督办 on record (matters.supervision), or NULL for none. */
static json_t *supervision_json(int level)
{
	const char *name = level == 3   ? "red"
	                   : level == 2 ? "yellow"
	                   : level == 1 ? "normal"
	                                : NULL;

	return name ? json_string(name) : json_null();
}

/* ---- the queue ---- */

#define LIST_COLUMNS                                                                               \
	"m.id, m.title, m.state, m.item_code, m.category, m.urgency, coalesce(m.due_at, 0), "      \
	"m.alert, m.created_at, m.updated_at, m.version, coalesce(g.code, ''), "                   \
	"coalesce(g.name, ''), o.id, o.name, m.source, m.supervision, m.reminders "

static json_t *list_row(struct store_stmt *st, void *arg)
{
	json_t *o;
	(void)arg;

	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:{s:s,s:s},s:{s:I,s:s},s:s}", "id",
	              (json_int_t)store_col_int64(st, 0), "title", store_col_text(st, 1), "state",
	              store_col_text(st, 2), "state_label",
	              flow_state_label(flow_state_from_name(store_col_text(st, 2))), "item",
	              store_col_text(st, 3), "category", store_col_text(st, 4), "urgency",
	              (int)store_col_int64(st, 5), "alert", alert_name((int)store_col_int64(st, 7)),
	              "version", (int)store_col_int64(st, 10), "grid", "code",
	              store_col_text(st, 11), "name", store_col_text(st, 12), "owner", "id",
	              (json_int_t)store_col_int64(st, 13), "name", store_col_text(st, 14), "source",
	              store_col_text(st, 15));
	if (o) {
		set_time(o, "due_at", store_col_int64(st, 6));
		set_time(o, "created_at", store_col_int64(st, 8));
		set_time(o, "updated_at", store_col_int64(st, 9));
		json_object_set_new(o, "supervision",
		                    supervision_json((int)store_col_int64(st, 16)));
		json_object_set_new(o, "reminders", json_integer(store_col_int64(st, 17)));
	}
	return o;
}

json_t *matter_list(const struct dom_ctx *x, const struct matter_filter *f,
                    const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[MATTER_SCOPE_SQL_MAX], sql[2048];
	struct store_stmt *st;
	int64_t after;
	int idx, open = f->state && strcmp(f->state, "open") == 0;
	json_t *page;

	if (!c)
		return NULL;
	if (f->state && *f->state && !open && flow_state_from_name(f->state) == FS_NONE) {
		dom_err_set(e, 400, "bad_state", "状态无效：%s", f->state);
		return NULL;
	}
	if (f->alert < 0 || f->alert > 2) {
		dom_err_set(e, 400, "bad_alert", "预警级别应为 1（黄牌及以上）或 2（红牌）");
		return NULL;
	}
	if (dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	matter_scope_sql(x->caller, scope);
	snprintf(
	        sql, sizeof sql,
	        "SELECT " LIST_COLUMNS "FROM matters m LEFT JOIN grids g ON g.id = m.grid_id "
	        "JOIN organisations o ON o.id = m.owner_org_id WHERE m.id < ?%s%s%s%s%s%s%s "
	        "ORDER BY m.id DESC LIMIT ?",
	        scope,
	        open ? " AND m.state IN ('reported', 'accepted', 'in_progress', 'done', "
	               "'verified')"
	        : f->state && *f->state ? " AND m.state = ?"
	                                : "",
	        f->category && *f->category ? " AND m.category = ?" : "",
	        f->item && *f->item ? " AND m.item_code = ?" : "",
	        f->grid_code && *f->grid_code
	                ? " AND m.grid_id = (SELECT id FROM grids WHERE code = ?)"
	                : "",
	        f->alert ? " AND m.alert >= ?" : "",
	        f->mine ? " AND m.id IN (SELECT matter_id FROM matter_assignments WHERE org_id = ? "
	                  "AND status IN ('pending', 'signed'))"
	                : "");
	st = store_prepare(c, sql);
	if (!st) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, after ? after : INT64_MAX);
	idx = matter_scope_bind(x->caller, st, 2);
	if (f->state && *f->state && !open)
		store_bind_text(st, idx++, f->state, -1);
	if (f->category && *f->category)
		store_bind_text(st, idx++, f->category, -1);
	if (f->item && *f->item)
		store_bind_text(st, idx++, f->item, -1);
	if (f->grid_code && *f->grid_code)
		store_bind_text(st, idx++, f->grid_code, -1);
	if (f->alert)
		store_bind_int64(st, idx++, f->alert);
	if (f->mine)
		store_bind_int64(st, idx++, x->caller->org_id);
	store_bind_int64(st, idx, pg->limit + 1);
	page = dom_page_collect(st, pg, list_row, NULL, e);
	return page;
}

/* ---- one matter ---- */

/* Event fields for the timeline: instants as RFC 3339, internal bookkeeping left out. */
static json_t *fields_for_timeline(const char *text)
{
	json_t *f = json_loads(text, 0, NULL), *out = json_object();
	const char *key;
	json_t *v;

	if (!f || !out) {
		json_decref(f);
		return out;
	}
	json_object_foreach(f, key, v)
	{
		size_t len = strlen(key);

		if (strcmp(key, "limits") == 0 || strcmp(key, "warn_at") == 0 ||
		    strcmp(key, "item_version_id") == 0 || strcmp(key, "owner_org_id") == 0 ||
		    strcmp(key, "photos") == 0)
			continue;
		if (json_is_integer(v) && len > 3 &&
		    (strcmp(key + len - 3, "_at") == 0 || strcmp(key, "return_by") == 0)) {
			set_time(out, key, json_integer_value(v));
		} else if (json_is_array(v)) {
			json_t *arr = json_array();
			size_t i;
			json_t *it;

			json_array_foreach(v, i, it)
			{
				json_t *o = json_deep_copy(it);
				json_t *due = json_object_get(it, "due_at");

				if (json_is_object(o)) {
					json_object_del(o, "warn_at");
					json_object_del(o, "return_by");
					if (json_is_integer(due))
						set_time(o, "due_at", json_integer_value(due));
				}
				json_array_append_new(arr, o);
			}
			json_object_set_new(out, key, arr);
		} else {
			json_object_set(out, key, v);
		}
	}
	json_decref(f);
	return out;
}

static json_t *photo_json(int64_t matter_id, const char *hash)
{
	char url[160];

	snprintf(url, sizeof url, "/api/v1/matters/%lld/photos/%s", (long long)matter_id, hash);
	return json_pack("{s:s,s:s}", "hash", hash, "url", url);
}

/* The photos an event attached (its fields' "photos"), as [{hash, url}]. */
static json_t *event_photos(int64_t matter_id, const char *fields_text)
{
	json_t *f = strstr(fields_text, "\"photos\"") ? json_loads(fields_text, 0, NULL) : NULL;
	json_t *out = json_array(), *h;
	size_t i;

	json_array_foreach(json_object_get(f, "photos"), i, h)
	{
		if (json_is_string(h) && files_name_valid(json_string_value(h)))
			json_array_append_new(out, photo_json(matter_id, json_string_value(h)));
	}
	json_decref(f);
	return out;
}

/* The matter's photos in the order they came: [{hash, url, mime, size, added_at, event_seq}]. */
static json_t *photos_json(struct store_conn *c, int64_t id)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT p.hash, u.mime, u.size, p.added_at, p.event_seq FROM matter_photos p "
	           "JOIN uploads u ON u.hash = p.hash WHERE p.matter_id = ? ORDER BY p.event_seq, "
	           "p.added_at, p.hash LIMIT ?");
	json_t *arr = json_array();

	if (!st || !arr) {
		json_decref(arr);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	store_bind_int64(st, 2, MATTER_PHOTOS_MAX);
	while (store_step(st) == STORE_ROW) {
		json_t *o = photo_json(id, store_col_text(st, 0));

		if (!o)
			continue;
		json_object_set_new(o, "mime", json_string(store_col_text(st, 1)));
		json_object_set_new(o, "size", json_integer(store_col_int64(st, 2)));
		set_time(o, "added_at", store_col_int64(st, 3));
		json_object_set_new(o, "event_seq", json_integer(store_col_int64(st, 4)));
		json_array_append_new(arr, o);
	}
	store_reset(st);
	return arr;
}

static json_t *timeline(struct store_conn *c, int64_t id)
{
	struct store_stmt *st = store_prepare(
	        c,
	        "SELECT ev.seq, ev.at, ev.action, coalesce(ev.from_state, ''), ev.to_state, "
	        "ev.fields, coalesce(u.display_name, ''), coalesce(o.name, '') FROM matter_events "
	        "ev LEFT JOIN users u ON u.id = ev.actor_user_id LEFT JOIN organisations o ON "
	        "o.id = ev.actor_org_id WHERE ev.matter_id = ? ORDER BY ev.seq LIMIT 1000");
	json_t *arr = json_array();

	if (!st || !arr) {
		json_decref(arr);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	while (store_step(st) == STORE_ROW) {
		int action = flow_action_from_name(store_col_text(st, 2));
		json_t *ev = json_pack(
		        "{s:i,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (int)store_col_int64(st, 0),
		        "action", store_col_text(st, 2), "action_label",
		        action >= 0 ? flow_action_label((enum flow_action)action) : "?", "from",
		        store_col_text(st, 3), "to", store_col_text(st, 4), "actor",
		        store_col_text(st, 6), "organisation", store_col_text(st, 7));

		if (!ev)
			continue;
		set_time(ev, "at", store_col_int64(st, 1));
		json_object_set_new(ev, "fields", fields_for_timeline(store_col_text(st, 5)));
		json_object_set_new(ev, "photos", event_photos(id, store_col_text(st, 5)));
		json_array_append_new(arr, ev);
	}
	store_reset(st);
	return arr;
}

static json_t *assignments_json(struct store_conn *c, const struct matter_view *v, int64_t now)
{
	json_t *arr = json_array();
	struct store_stmt *st = store_prepare(c, "SELECT name FROM organisations WHERE id = ?");

	for (int i = 0; arr && st && i < v->nassign; i++) {
		const struct matter_assignment *a = &v->a[i];
		json_t *o;
		char name[256] = "";

		store_bind_int64(st, 1, a->org_id);
		if (store_step(st) == STORE_ROW)
			dom_copy(name, sizeof name, store_col_text(st, 0));
		store_reset(st);
		o = json_pack(
		        "{s:i,s:{s:I,s:s},s:s,s:s,s:s,s:b,s:b,s:s}", "n", a->n, "org", "id",
		        (json_int_t)a->org_id, "name", name, "kind", a->kind, "role", a->role,
		        "status", a->status, "explained", a->explained, "overdue",
		        (strcmp(a->status, "pending") == 0 || strcmp(a->status, "signed") == 0) &&
		                now >= a->due_at,
		        "alert", alert_name(a->alert));
		if (!o)
			continue;
		set_time(o, "due_at", a->due_at);
		set_time(o, "return_by", a->return_by);
		set_time(o, "extension_due_at", a->extension_due_at);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Where a dispatch (departments) or an assignment down (lower centers) may go: the
   organisations whose region holds the matter's place (a segment of its path), as the write
   path checks them, so the dialog offers what would be accepted. The caller may not see these
   organisations through /api/v1/orgs (a township center does not see the county's departments),
   so they come with the action. */
static json_t *action_options(struct store_conn *c, enum flow_action action, const char *path,
                              int64_t owner_org_id)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT o.id, o.name, r.name FROM organisations o JOIN regions r ON r.code = "
	           "o.region_code WHERE o.disabled = 0 AND o.kind = ? AND o.region_code IN (?, ?, "
	           "?, ?, ?) AND (? = 0 OR (CASE o.level WHEN 'city' THEN 2 WHEN 'county' THEN 3 "
	           "WHEN 'township' THEN 4 ELSE 0 END) > (SELECT CASE level WHEN 'city' THEN 2 "
	           "WHEN 'county' THEN 3 WHEN 'township' THEN 4 ELSE 9 END FROM organisations "
	           "WHERE id = ?)) ORDER BY r.path, o.id LIMIT 200");
	json_t *arr = json_array();
	const char *p = path;
	int k = 2;

	if (!st || !arr) {
		json_decref(arr);
		return NULL;
	}
	store_bind_text(st, 1, action == FA_DISPATCH ? "department" : "center", -1);
	while (p && *p && k <= 6) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 12)
			store_bind_text(st, k++, p, 12);
		p = slash ? slash + 1 : NULL;
	}
	while (k <= 6)
		store_bind_text(st, k++, "", 0);
	store_bind_int64(st, 7, action == FA_ASSIGN);
	store_bind_int64(st, 8, owner_org_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "id",
		                                     (json_int_t)store_col_int64(st, 0), "name",
		                                     store_col_text(st, 1), "region_name",
		                                     store_col_text(st, 2)));
	store_reset(st);
	return arr;
}

/* Whether the published list lets the grid worker resolve the item on the spot (Art. 16): the
   write path refuses self-handling otherwise, so it is not offered. */
static int worker_may_resolve(struct store_conn *c, const struct dom_ctx *x, const char *item_code)
{
	struct matter_item it;
	struct dom_err e = { 0 };

	return matter_item_in_force(c, item_code, x->now, &it, &e) == 0 &&
	       strcmp(it.worker_role, "resolve") == 0;
}

/* The actions this caller may take now, with what each needs. */
static json_t *available_actions(struct store_conn *c, const struct dom_ctx *x,
                                 const struct matter_view *v, int64_t grid_id, const char *path,
                                 const char *item_code)
{
	json_t *arr = json_array();
	int pending_ext = 0;

	for (int i = 0; i < v->nassign; i++)
		pending_ext |= v->a[i].extension_due_at != 0;
	for (size_t i = 0; arr && i < flow_row_count; i++) {
		const struct flow_row *r = &flow_rows[i];
		const struct matter_assignment *mine = NULL;
		json_t *req, *o;
		int n = 0;

		if (r->from != v->state || !access_can(x->caller, r->permission) ||
		    !matter_caller_is(x->caller, r->who, v, grid_id, path, r->action, &n))
			continue;
		for (int k = 0; n && k < v->nassign; k++)
			if (v->a[k].n == n)
				mine = &v->a[k];
		if ((r->action == FA_APPROVE_EXTENSION || r->action == FA_DENY_EXTENSION) &&
		    !pending_ext)
			continue;
		if (r->action == FA_SELF_HANDLE && !worker_may_resolve(c, x, item_code))
			continue;
		if (mine && r->action == FA_EXPLAIN_OVERDUE &&
		    (x->now < mine->due_at || mine->explained))
			continue;
		if (mine && r->action == FA_RETURN && x->now > mine->return_by)
			continue;
		if (mine && r->action == FA_SUBMIT && strcmp(mine->status, "pending") == 0)
			continue;
		if (mine && r->action == FA_REQUEST_EXTENSION && mine->extension_due_at)
			continue;
		req = json_array();
		for (int k = 0; k < FLOW_FIELDS_MAX && r->required[k]; k++)
			json_array_append_new(req, json_string(r->required[k]));
		o = json_pack("{s:s,s:s,s:o}", "action", flow_action_name(r->action), "label",
		              flow_action_label(r->action), "required", req);
		if (o && n)
			json_object_set_new(o, "assignment", json_integer(n));
		if (o && (r->action == FA_DISPATCH || r->action == FA_ASSIGN))
			json_object_set_new(o, "options",
			                    action_options(c, r->action, path, v->owner_org_id));
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}

json_t *matter_get(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[MATTER_SCOPE_SQL_MAX], sql[1024];
	struct store_stmt *st;
	struct matter_view v;
	json_t *o = NULL;
	int64_t grid_id = 0;
	char path[ACCESS_PATH_MAX] = "", item[32] = "";
	int rc;

	if (!c)
		return NULL;
	matter_scope_sql(x->caller, scope);
	snprintf(sql, sizeof sql,
	         "SELECT m.id, m.title, m.description, coalesce(m.address, ''), m.lng, m.lat, "
	         "coalesce(g.code, ''), coalesce(g.name, ''), m.item_code, m.category, m.urgency, "
	         "m.source, m.state, m.alert, coalesce(m.due_at, 0), m.created_at, m.updated_at, "
	         "m.version, o.id, o.name, coalesce(m.grid_id, 0), m.path, coalesce(m.closed_at, "
	         "0), coalesce(m.handler, ''), m.supervision, m.reminders FROM matters m LEFT JOIN "
	         "grids g ON g.id = m.grid_id "
	         "JOIN organisations o ON o.id = m.owner_org_id WHERE m.id = ?%s",
	         scope);
	st = store_prepare(c, sql);
	if (!st) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	matter_scope_bind(x->caller, st, 2);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		o = json_pack(
		        "{s:I,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:{s:I,s:"
		        "s},s:s}",
		        "id", (json_int_t)id, "title", store_col_text(st, 1), "description",
		        store_col_text(st, 2), "address", store_col_text(st, 3), "grid", "code",
		        store_col_text(st, 6), "name", store_col_text(st, 7), "item",
		        store_col_text(st, 8), "category", store_col_text(st, 9), "urgency",
		        (int)store_col_int64(st, 10), "source", store_col_text(st, 11), "state",
		        store_col_text(st, 12), "state_label",
		        flow_state_label(flow_state_from_name(store_col_text(st, 12))), "alert",
		        alert_name((int)store_col_int64(st, 13)), "version",
		        (int)store_col_int64(st, 17), "owner", "id",
		        (json_int_t)store_col_int64(st, 18), "name", store_col_text(st, 19),
		        "handler", store_col_text(st, 23));
		if (o) {
			if (!store_col_is_null(st, 4))
				json_object_set_new(o, "location",
				                    json_pack("{s:f,s:f}", "lng",
				                              store_col_double(st, 4), "lat",
				                              store_col_double(st, 5)));
			else
				json_object_set_new(o, "location", json_null());
			set_time(o, "due_at", store_col_int64(st, 14));
			set_time(o, "created_at", store_col_int64(st, 15));
			set_time(o, "updated_at", store_col_int64(st, 16));
			set_time(o, "closed_at", store_col_int64(st, 22));
			json_object_set_new(o, "supervision",
			                    supervision_json((int)store_col_int64(st, 24)));
			json_object_set_new(o, "reminders", json_integer(store_col_int64(st, 25)));
		}
		grid_id = store_col_int64(st, 20);
		dom_copy(path, sizeof path, store_col_text(st, 21));
		dom_copy(item, sizeof item, store_col_text(st, 8));
	}
	store_reset(st);
	if (rc != STORE_ROW) {
		if (rc == STORE_DONE)
			dom_err_set(e, 404, "not_found", "事项不存在");
		else
			dom_err_read(e);
		return NULL;
	}
	if (!o || matter_view_load(c, id, &v) != 1) {
		json_decref(o);
		dom_err_read(e);
		return NULL;
	}
	json_object_set_new(o, "assignments", assignments_json(c, &v, x->now));
	json_object_set_new(o, "photos", photos_json(c, id));
	json_object_set_new(o, "timeline", timeline(c, id));
	json_object_set_new(o, "actions", available_actions(c, x, &v, grid_id, path, item));
	return o;
}

int matter_photo(const struct dom_ctx *x, int64_t id, const char *hash, const char **mime,
                 struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[MATTER_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc;

	*mime = NULL;
	if (!c)
		return -1;
	if (!files_name_valid(hash))
		return dom_err_set(e, 404, "not_found", "照片不存在");
	/* The matter's scope decides, never the hash: the same photo attached to a matter the
	   caller cannot see is not served through this one. */
	matter_scope_sql(x->caller, scope);
	snprintf(sql, sizeof sql,
	         "SELECT u.mime FROM matters m JOIN matter_photos p ON p.matter_id = m.id JOIN "
	         "uploads u ON u.hash = p.hash WHERE m.id = ? AND p.hash = ?%s",
	         scope);
	if (!(st = store_prepare(c, sql)))
		return dom_err_read(e);
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, hash, -1);
	matter_scope_bind(x->caller, st, 3);
	rc = store_step(st);
	if (rc == STORE_ROW)
		*mime = upload_mime(store_col_text(st, 0));
	store_reset(st);
	if (rc == STORE_ROW && *mime)
		return 0;
	if (rc == STORE_ROW || rc == STORE_DONE)
		return dom_err_set(e, 404, "not_found", "照片不存在");
	return dom_err_read(e);
}

/* ---- counters ---- */

json_t *matter_counts(const struct dom_ctx *x, const char *region_code, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	const struct principal *p = x->caller;
	char code[13] = "", path[ACCESS_PATH_MAX] = "";
	struct store_stmt *st;
	json_t *by_state = json_object(), *by_category = json_object(), *o = NULL;
	int64_t open = 0, yellow = 0, red = 0, total = 0;
	int rc;

	if (!c || !by_state || !by_category)
		goto fail;
	if (p->org_kind == ORG_DEPARTMENT || p->grid_bound) {
		dom_err_set(e, 403, "forbidden", "统计数据仅供网格化服务管理中心查看");
		goto fail;
	}
	if (region_code && *region_code) {
		struct code_error ce = { 0 };

		if (!region_code_normalize(region_code, code, &ce)) {
			dom_err_set(e, 400, "bad_code", "区划代码无效：%s", ce.message);
			goto fail;
		}
	} else if (p->region_code[0]) {
		dom_copy(code, sizeof code, p->region_code);
	} else {
		st = store_prepare(c, "SELECT code FROM regions WHERE parent_code IS NULL ORDER BY "
		                      "code LIMIT 1");
		if (st && store_step(st) == STORE_ROW)
			dom_copy(code, sizeof code, store_col_text(st, 0));
		if (st)
			store_reset(st);
	}
	st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");
	if (!st) {
		dom_err_read(e);
		goto fail;
	}
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		dom_copy(path, sizeof path, store_col_text(st, 0));
	store_reset(st);
	if (rc != STORE_ROW || (!p->is_system && !access_sees_region(p, path))) {
		dom_err_set(e, 404, "not_found", "区划不存在或不在您的管辖范围内");
		goto fail;
	}
	st = store_prepare(c, "SELECT state, category, alert, n FROM matter_counters WHERE "
	                      "region_code = ? AND n > 0");
	if (!st) {
		dom_err_read(e);
		goto fail;
	}
	store_bind_text(st, 1, code, -1);
	while (store_step(st) == STORE_ROW) {
		const char *state = store_col_text(st, 0);
		const char *category = store_col_text(st, 1);
		int alert = (int)store_col_int64(st, 2);
		int64_t n = store_col_int64(st, 3);
		json_t *s = json_object_get(by_state, state), *k;
		int is_open = flow_state_open(flow_state_from_name(state));

		json_object_set_new(by_state, state,
		                    json_integer((s ? json_integer_value(s) : 0) + n));
		total += n;
		if (is_open) {
			open += n;
			yellow += alert == 1 ? n : 0;
			red += alert == 2 ? n : 0;
			k = json_object_get(by_category, category);
			json_object_set_new(by_category, category,
			                    json_integer((k ? json_integer_value(k) : 0) + n));
		}
	}
	store_reset(st);
	o = json_pack("{s:s,s:o,s:o,s:I,s:I,s:I,s:I}", "region", code, "by_state", by_state,
	              "open_by_category", by_category, "total", (json_int_t)total, "open",
	              (json_int_t)open, "yellow", (json_int_t)yellow, "red", (json_int_t)red);
	if (!o)
		dom_err_set(e, 500, "internal", "内部错误");
	return o;
fail:
	json_decref(by_state);
	json_decref(by_category);
	return NULL;
}

/* ---- the resident's view ---- */

/* A step of the progress in plain words for the resident, or NULL for steps that are internal
   (signing for, notes between offices, extensions, supervision). */
static const char *plain_step(const char *action)
{
	static const struct {
		const char *action, *words;
	} steps[] = {
		{ "report", "您反映的问题已提交" },
		{ "accept", "已受理，正在安排办理" },
		{ "reject", "经核实，不予受理" },
		{ "mark_spam", "经核实，不予受理" },
		{ "escalate", "已转报上级网格化服务管理中心" },
		{ "handle", "已安排办理" },
		{ "assign", "已交办相关单位办理" },
		{ "dispatch", "已转交相关部门办理" },
		{ "self_handle", "网格员已现场处置" },
		{ "submit", "已办理完毕，等待核查" },
		{ "verify", "办理结果已核查" },
		{ "rework", "正在重新办理" },
		{ "close", "已办结" },
		{ "feedback", "答复" },
		{ "rate", "您已评价" },
		{ "uphold", "经复核，维持办理结果" },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (strcmp(steps[i].action, action) == 0)
			return steps[i].words;
	return NULL;
}

static const char *rating_words(int r)
{
	return r == 1 ? "满意" : r == 2 ? "基本满意" : r == 3 ? "不满意" : NULL;
}

/* A contact shown back to its owner: the first three and last four characters of a phone-like
   value, the rest as asterisks. */
static void mask_contact(const char *in, char *out, size_t n)
{
	size_t len = strlen(in);

	if (len <= 7) {
		dom_copy(out, n, "****");
		return;
	}
	snprintf(out, n, "%.3s****%s", in, in + len - 4);
}

json_t *matter_track(const struct dom_ctx *x, const char *code, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	int64_t id = 0;
	int version = 0, rc;
	json_t *o = NULL, *steps = NULL;
	char contact[64] = "", shown[32];

	if (!c)
		return NULL;
	rc = matter_by_tracking(x, code, &id, &version);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "查询码不正确，或事项不存在");
		return NULL;
	}
	st = store_prepare(c,
	                   "SELECT m.title, m.state, coalesce(m.rating, 0), m.created_at, "
	                   "coalesce(g.name, ''), coalesce(m.reporter_contact, ''), m.item_code, "
	                   "coalesce(m.closed_at, 0) FROM matters m LEFT JOIN grids g ON g.id = "
	                   "m.grid_id WHERE m.id = ?");
	if (!st) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		enum flow_state s = flow_state_from_name(store_col_text(st, 1));
		int rating = (int)store_col_int64(st, 2);

		sealed_open(contact, sizeof contact, SEALED_FIELD_MATTER_CONTACT, id,
		            store_col_text(st, 5));
		mask_contact(contact, shown, sizeof shown);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:b,s:s}", "title", store_col_text(st, 0),
		              "state", flow_state_name(s), "state_label", flow_state_label(s),
		              "grid", store_col_text(st, 4), "item", store_col_text(st, 6),
		              "rating", rating_words(rating), "can_rate", s == FS_CLOSED && !rating,
		              "contact", shown);
		if (o)
			set_time(o, "reported_at", store_col_int64(st, 3));
		if (o)
			set_time(o, "closed_at", store_col_int64(st, 7));
	}
	store_reset(st);
	sodium_memzero(contact, sizeof contact);
	if (!o) {
		dom_err_read(e);
		return NULL;
	}
	steps = json_array();
	st = store_prepare(c,
	                   "SELECT action, at, fields FROM matter_events WHERE matter_id = ? ORDER "
	                   "BY seq LIMIT 500");
	if (!st || !steps) {
		json_decref(o);
		json_decref(steps);
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	while (store_step(st) == STORE_ROW) {
		const char *action = store_col_text(st, 0), *words = plain_step(action);
		json_t *f, *step;
		const char *text = NULL;

		if (!words)
			continue;
		f = json_loads(store_col_text(st, 2), 0, NULL);
		/* What the resident is told in words of the staff: answers, results, the review. */
		if (strcmp(action, "feedback") == 0)
			text = json_string_value(json_object_get(f, "message"));
		else if (strcmp(action, "submit") == 0 || strcmp(action, "self_handle") == 0)
			text = json_string_value(json_object_get(f, "result"));
		else if (strcmp(action, "uphold") == 0 || strcmp(action, "reject") == 0)
			text = json_string_value(json_object_get(f, "reason"));
		else if (strcmp(action, "rate") == 0)
			text = rating_words((int)json_integer_value(json_object_get(f, "rating")));
		step = json_pack("{s:s,s:s,s:s?}", "action", action, "words", words, "text", text);
		if (step) {
			set_time(step, "at", store_col_int64(st, 1));
			json_array_append_new(steps, step);
		}
		json_decref(f);
	}
	store_reset(st);
	json_object_set_new(o, "steps", steps);
	return o;
}

/* ---- the command center's numbers ---- */

/* The caller's region for the dashboard: code given (in scope) or the caller's own. 0, or -1. */
static int dashboard_region(struct store_conn *c, const struct principal *p, const char *in,
                            char code[13], char path[ACCESS_PATH_MAX], struct dom_err *e)
{
	struct store_stmt *st;
	int rc;

	if (in && *in) {
		struct code_error ce = { 0 };

		if (!region_code_normalize(in, code, &ce))
			return dom_err_set(e, 400, "bad_code", "区划代码无效：%s", ce.message);
	} else if (p->region_code[0]) {
		dom_copy(code, 13, p->region_code);
	} else {
		st = store_prepare(
		        c, "SELECT code FROM regions WHERE parent_code IS NULL ORDER BY code "
		           "LIMIT 1");
		if (st && store_step(st) == STORE_ROW)
			dom_copy(code, 13, store_col_text(st, 0));
		if (st)
			store_reset(st);
	}
	st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");
	if (!st)
		return dom_err_read(e);
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW)
		dom_copy(path, ACCESS_PATH_MAX, store_col_text(st, 0));
	store_reset(st);
	if (rc != STORE_ROW || (!p->is_system && !access_sees_region(p, path)))
		return dom_err_set(e, 404, "not_found", "区划不存在或不在您的管辖范围内");
	return 0;
}

json_t *matter_dashboard(const struct dom_ctx *x, const char *region_code, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	const struct principal *p = x->caller;
	char code[13] = "", path[ACCESS_PATH_MAX] = "", today[11], week0[11];
	struct store_stmt *st;
	json_t *o, *counts, *daily_today, *daily_week, *orgs, *grids, *sources, *categories;
	int64_t days;
	int wd;

	if (!c)
		return NULL;
	if (p->org_kind == ORG_DEPARTMENT || p->grid_bound) {
		dom_err_set(e, 403, "forbidden", "指挥大屏仅供网格化服务管理中心查看");
		return NULL;
	}
	if (dashboard_region(c, p, region_code, code, path, e) < 0)
		return NULL;
	counts = matter_counts(x, code, e);
	if (!counts)
		return NULL;
	/* Today and this week (Monday to today), local days. */
	matter_local_day(x->now, today);
	days = (x->now + 8 * 3600) / 86400;
	wd = clock_weekday(days); /* 0 Sunday .. 6 Saturday */
	matter_local_day(x->now - (int64_t)((wd + 6) % 7) * 86400, week0);
	daily_today = json_object();
	daily_week = json_object();
	sources = json_object();
	categories = json_object();
	orgs = json_array();
	grids = json_array();
	o = json_object();
	if (!daily_today || !daily_week || !sources || !categories || !orgs || !grids || !o)
		goto oom;
	st = store_prepare(c,
	                   "SELECT day, source, category, n FROM matter_daily WHERE region_code = "
	                   "? AND day >= ? AND day <= ? AND n > 0");
	if (!st)
		goto read;
	store_bind_text(st, 1, code, -1);
	store_bind_text(st, 2, week0, -1);
	store_bind_text(st, 3, today, -1);
	while (store_step(st) == STORE_ROW) {
		const char *day = store_col_text(st, 0), *src = store_col_text(st, 1),
		           *cat = store_col_text(st, 2);
		int64_t n = store_col_int64(st, 3);
		json_t *v;

		if (strcmp(day, today) == 0) {
			v = json_object_get(sources, src);
			json_object_set_new(sources, src,
			                    json_integer((v ? json_integer_value(v) : 0) + n));
			v = json_object_get(categories, cat);
			json_object_set_new(categories, cat,
			                    json_integer((v ? json_integer_value(v) : 0) + n));
		}
		v = json_object_get(daily_week, day);
		json_object_set_new(daily_week, day,
		                    json_integer((v ? json_integer_value(v) : 0) + n));
	}
	store_reset(st);
	json_object_set_new(daily_today, "by_source", sources);
	json_object_set_new(daily_today, "by_category", categories);
	sources = categories = NULL;
	/* Organisations in the region: what they hold in yellow and red, supervision, and the
	   on-time rate of what they closed. */
	st = store_prepare(
	        c,
	        "SELECT o.id, o.name, o.kind, sum(CASE k.key WHEN 'yellow' THEN k.n ELSE 0 END), "
	        "sum(CASE k.key WHEN 'red' THEN k.n ELSE 0 END), sum(CASE k.key WHEN 'supervised' "
	        "THEN k.n ELSE 0 END), sum(CASE k.key WHEN 'reminded' THEN k.n ELSE 0 END), "
	        "sum(CASE k.key WHEN 'closed' THEN k.n ELSE 0 END), sum(CASE k.key WHEN "
	        "'closed_on_time' THEN k.n ELSE 0 END) FROM matter_org_counters k JOIN "
	        "organisations o ON o.id = k.org_id JOIN regions r ON r.code = o.region_code WHERE "
	        "r.path >= ? AND r.path < ? GROUP BY o.id ORDER BY o.id LIMIT 500");
	if (!st)
		goto read;
	{
		char hi[ACCESS_PATH_MAX + 1];

		snprintf(hi, sizeof hi, "%s\x7f", path);
		store_bind_text(st, 1, path, -1);
		store_bind_text(st, 2, hi, -1);
	}
	while (store_step(st) == STORE_ROW) {
		int64_t closed = store_col_int64(st, 7), on_time = store_col_int64(st, 8);
		json_t *row = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "id",
		                        (json_int_t)store_col_int64(st, 0), "name",
		                        store_col_text(st, 1), "kind", store_col_text(st, 2),
		                        "yellow", (json_int_t)store_col_int64(st, 3), "red",
		                        (json_int_t)store_col_int64(st, 4), "supervised",
		                        (json_int_t)store_col_int64(st, 5), "reminded",
		                        (json_int_t)store_col_int64(st, 6), "closed",
		                        (json_int_t)closed, "closed_on_time", (json_int_t)on_time);

		if (row)
			json_object_set_new(row, "on_time_rate",
			                    closed ? json_real((double)on_time / (double)closed)
			                           : json_null());
		json_array_append_new(orgs, row);
	}
	store_reset(st);
	/* Open matters per grid with the grid's centre, for the map (clustered by the page). */
	st = store_prepare(c,
	                   "SELECT g.code, g.name, k.n FROM matter_grid_open k JOIN grids g ON "
	                   "g.id = k.grid_id WHERE k.n > 0 AND g.path >= ? AND g.path < ? ORDER BY "
	                   "g.code LIMIT 20000");
	if (!st)
		goto read;
	{
		char hi[ACCESS_PATH_MAX + 1];

		snprintf(hi, sizeof hi, "%s\x7f", path);
		store_bind_text(st, 1, path, -1);
		store_bind_text(st, 2, hi, -1);
	}
	while (store_step(st) == STORE_ROW)
		json_array_append_new(grids,
		                      json_pack("{s:s,s:s,s:I}", "code", store_col_text(st, 0),
		                                "name", store_col_text(st, 1), "open",
		                                (json_int_t)store_col_int64(st, 2)));
	store_reset(st);
	json_object_set_new(o, "region", json_string(code));
	json_object_set_new(o, "today", json_string(today));
	json_object_set_new(o, "week_from", json_string(week0));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "reported_today", daily_today);
	json_object_set_new(o, "reported_by_day", daily_week);
	json_object_set_new(o, "organisations", orgs);
	json_object_set_new(o, "open_by_grid", grids);
	return o;
read:
	dom_err_read(e);
	goto fail;
oom:
	dom_err_set(e, 500, "internal", "内存不足");
fail:
	json_decref(counts);
	json_decref(daily_today);
	json_decref(daily_week);
	json_decref(sources);
	json_decref(categories);
	json_decref(orgs);
	json_decref(grids);
	json_decref(o);
	return NULL;
}
