/*
 * The write path of matters: the report, every action of the flow table, the fold of an event
 * into the projection, and the projection's storage with the dashboard counters. See matter.h
 * for the model (events are the truth; the row is their fold) and flow.h for the table.
 */
#include "domain/matter.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/codes.h"
#include "domain/access.h"
#include "domain/audit.h"
#include "domain/calendar.h"
#include "domain/matter_feed.h"
#include "domain/matter_internal.h"
#include "domain/matter_item.h"
#include "domain/region.h"
#include "domain/sealed.h"
#include "store/store.h"

/* ---- small helpers ---- */

int matter_alert_at(int64_t due_at, int64_t warn_at, int64_t now)
{
	if (!due_at)
		return 0;
	if (now >= due_at)
		return 2;
	return warn_at && now >= warn_at ? 1 : 0;
}

static int64_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Text from the caller: valid UTF-8 (jansson checked), 1..max characters, no control
   characters but newline and tab. */
static int text_ok(const char *s, size_t max)
{
	size_t n;

	if (!s || !*s)
		return 0;
	n = dom_utf8_chars(s);
	if (n == 0 || n > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* "YYYY-MM-DD" (a local date) → the instant its day ends in Asia/Shanghai. 0 when invalid. */
static int64_t local_day_end(const char *s)
{
	int y, m, d;
	char tail;

	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    !clock_valid_date(y, m, d))
		return 0;
	return (clock_days_from_civil(y, m, d) + 1) * 86400 - 8 * 3600;
}

/* The codes of a region path at city, county and township level (each "" when absent), and the
   community's. */
struct place {
	char city[13], county[13], township[13], community[13];
};

static void place_from_path(const char *path, struct place *pl)
{
	const char *p = path;

	memset(pl, 0, sizeof *pl);
	while (p && *p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char code[13];
		struct code_error ce = { 0 };
		char norm[13];

		if (len == 12) {
			memcpy(code, p, 12);
			code[12] = '\0';
			switch (region_code_normalize(code, norm, &ce)) {
			case 2: dom_copy(pl->city, sizeof pl->city, norm); break;
			case 3: dom_copy(pl->county, sizeof pl->county, norm); break;
			case 4: dom_copy(pl->township, sizeof pl->township, norm); break;
			case 5: dom_copy(pl->community, sizeof pl->community, norm); break;
			default: break;
			}
		}
		p = slash ? slash + 1 : NULL;
	}
}

/* ---- the fold ---- */

static struct matter_assignment *assignment_n(struct matter_view *v, int64_t n)
{
	for (int i = 0; i < v->nassign; i++)
		if (v->a[i].n == n)
			return &v->a[i];
	return NULL;
}

static int assignment_open(const struct matter_assignment *a)
{
	return strcmp(a->status, "pending") == 0 || strcmp(a->status, "signed") == 0;
}

/* The matter's deadline while assignees hold it: the earliest open assignment's. */
static void due_from_assignments(struct matter_view *v)
{
	v->due_at = v->warn_at = 0;
	for (int i = 0; i < v->nassign; i++) {
		const struct matter_assignment *a = &v->a[i];
		int64_t due = a->due_at;

		if (!assignment_open(a))
			continue;
		if (!v->due_at || due < v->due_at) {
			v->due_at = due;
			v->warn_at = a->warn_at;
		}
	}
}

static int count_status(const struct matter_view *v, const char *status)
{
	int k = 0;

	for (int i = 0; i < v->nassign; i++)
		k += strcmp(v->a[i].status, status) == 0;
	return k;
}

/* After an assignment changed: done when nothing is open and something was submitted, back to
   the center when everything was returned, else still in progress. */
static void settle_assignments(struct matter_view *v, const json_t *f)
{
	int open = 0;

	for (int i = 0; i < v->nassign; i++)
		open += assignment_open(&v->a[i]);
	if (open) {
		due_from_assignments(v);
		return;
	}
	if (count_status(v, "submitted") > 0) {
		v->state = FS_DONE;
	} else {
		v->state = FS_ACCEPTED;
		dom_copy(v->handler, sizeof v->handler, "");
	}
	v->due_at = jint(f, "due_at");
	v->warn_at = jint(f, "warn_at");
}

static int fold_new_assignments(struct matter_view *v, const json_t *list, int64_t at)
{
	size_t i;
	const json_t *it;

	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, it)
	{
		struct matter_assignment *a;

		if (v->nassign >= MATTER_ASSIGN_MAX)
			return -1;
		a = &v->a[v->nassign++];
		memset(a, 0, sizeof *a);
		a->n = (int)jint(it, "n");
		a->org_id = jint(it, "org_id");
		dom_copy(a->kind, sizeof a->kind, jstr(it, "kind"));
		dom_copy(a->role, sizeof a->role, jstr(it, "role"));
		dom_copy(a->status, sizeof a->status, "pending");
		a->due_at = jint(it, "due_at");
		a->warn_at = jint(it, "warn_at");
		a->return_by = jint(it, "return_by");
		a->created_at = a->updated_at = at;
		if (a->n < 1 || !a->org_id || !a->due_at)
			return -1;
	}
	return 0;
}

int matter_fold(struct matter_view *v, const char *action_name, const json_t *f, int64_t at)
{
	int action = flow_action_from_name(action_name);
	struct matter_assignment *a = NULL;
	int64_t n = jint(f, "assignment");

	if (action < 0 || !json_is_object(f))
		return -1;
	if (n) {
		a = assignment_n(v, n);
		if (!a)
			return -1;
		a->updated_at = at;
	}
	switch ((enum flow_action)action) {
	case FA_REPORT:
		memset(v, 0, sizeof *v);
		v->state = FS_REPORTED;
		v->owner_org_id = jint(f, "owner_org_id");
		v->due_at = jint(f, "due_at");
		v->warn_at = jint(f, "warn_at");
		v->version = 0;
		break;
	case FA_SELF_HANDLE:
		v->state = FS_DONE;
		dom_copy(v->handler, sizeof v->handler, "worker");
		v->due_at = jint(f, "due_at");
		v->warn_at = jint(f, "warn_at");
		break;
	case FA_ACCEPT:
		v->state = FS_ACCEPTED;
		v->due_at = jint(f, "due_at");
		v->warn_at = jint(f, "warn_at");
		break;
	case FA_REJECT:
		v->state = FS_REJECTED;
		v->due_at = v->warn_at = 0;
		v->closed_at = at;
		break;
	case FA_ESCALATE:
		v->state = FS_REPORTED;
		v->owner_org_id = jint(f, "owner_org_id");
		dom_copy(v->handler, sizeof v->handler, "");
		v->due_at = jint(f, "due_at");
		v->warn_at = jint(f, "warn_at");
		break;
	case FA_HANDLE:
		v->state = FS_IN_PROGRESS;
		dom_copy(v->handler, sizeof v->handler, "center");
		break;
	case FA_ASSIGN:
	case FA_DISPATCH:
		if (fold_new_assignments(v, json_object_get(f, "assignments"), at) < 0)
			return -1;
		v->state = FS_IN_PROGRESS;
		dom_copy(v->handler, sizeof v->handler, "assignees");
		due_from_assignments(v);
		break;
	case FA_SIGN:
		if (!a)
			return -1;
		dom_copy(a->status, sizeof a->status, "signed");
		break;
	case FA_RETURN:
		if (!a)
			return -1;
		dom_copy(a->status, sizeof a->status, "returned");
		settle_assignments(v, f);
		break;
	case FA_REQUEST_EXTENSION:
		if (!a)
			return -1;
		a->extension_due_at = jint(f, "extension_due_at");
		break;
	case FA_APPROVE_EXTENSION:
		if (!a)
			return -1;
		a->due_at = jint(f, "due_at");
		a->warn_at = jint(f, "warn_at");
		a->extension_due_at = 0;
		due_from_assignments(v);
		break;
	case FA_DENY_EXTENSION:
		if (!a)
			return -1;
		a->extension_due_at = 0;
		break;
	case FA_EXPLAIN_OVERDUE:
		if (!a)
			return -1;
		a->explained = 1;
		break;
	case FA_SUBMIT:
		if (a) {
			dom_copy(a->status, sizeof a->status, "submitted");
			settle_assignments(v, f);
		} else {
			v->state = FS_DONE;
			v->due_at = jint(f, "due_at");
			v->warn_at = jint(f, "warn_at");
		}
		break;
	case FA_VERIFY:
		v->state = FS_VERIFIED;
		v->due_at = v->warn_at = 0;
		break;
	case FA_REWORK: {
		const json_t *list = json_object_get(f, "reworked");
		size_t i;
		const json_t *it;

		v->state = FS_IN_PROGRESS;
		if (strcmp(v->handler, "assignees") == 0) {
			json_array_foreach(list, i, it)
			{
				struct matter_assignment *r = assignment_n(v, jint(it, "n"));

				if (!r)
					return -1;
				dom_copy(r->status, sizeof r->status, "signed");
				r->due_at = jint(it, "due_at");
				r->warn_at = jint(it, "warn_at");
				r->explained = 0;
				r->updated_at = at;
			}
			due_from_assignments(v);
		} else {
			v->due_at = jint(f, "due_at");
			v->warn_at = jint(f, "warn_at");
		}
		break;
	}
	case FA_CLOSE:
		v->state = FS_CLOSED;
		v->closed_at = at;
		v->due_at = v->warn_at = 0;
		break;
	case FA_MARK_SPAM:
		v->state = FS_REJECTED;
		v->spam = 1;
		v->due_at = v->warn_at = 0;
		v->closed_at = at;
		break;
	case FA_RATE:
		v->rating = (int)jint(f, "rating");
		if (v->rating < 1 || v->rating > 3)
			return -1;
		v->state = v->rating == 3 ? FS_REVIEWING : FS_RATED;
		v->due_at = jint(f, "due_at");
		v->warn_at = jint(f, "warn_at");
		break;
	case FA_UPHOLD:
		v->state = FS_RATED;
		v->due_at = v->warn_at = 0;
		break;
	case FA_SUPERVISE: {
		int level = (int)jint(f, "level");

		if (level < 1 || level > 3)
			return -1;
		if (level > v->supervision)
			v->supervision = level;
		break;
	}
	case FA_REMIND: v->reminders++; break;
	case FA_PROGRESS:
	case FA_FEEDBACK:
	case FA_COUNT: break;
	}
	v->version++;
	v->updated_at = at;
	return 0;
}

/* ---- the stored projection ---- */

int matter_view_load(struct store_conn *c, int64_t id, struct matter_view *v)
{
	struct store_stmt *st;
	int rc;

	memset(v, 0, sizeof *v);
	st = store_prepare(c,
	                   "SELECT m.state, m.owner_org_id, coalesce(m.handler, ''), "
	                   "coalesce(m.due_at, 0), coalesce(m.warn_at, 0), m.version, "
	                   "m.updated_at, coalesce(m.closed_at, 0), coalesce(m.rating, 0), "
	                   "m.supervision, m.reminders, m.spam, coalesce(r.path, '') FROM matters "
	                   "m JOIN organisations o ON o.id = m.owner_org_id LEFT JOIN regions r ON "
	                   "r.code = o.region_code WHERE m.id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		v->id = id;
		v->state = flow_state_from_name(store_col_text(st, 0));
		v->owner_org_id = store_col_int64(st, 1);
		dom_copy(v->handler, sizeof v->handler, store_col_text(st, 2));
		v->due_at = store_col_int64(st, 3);
		v->warn_at = store_col_int64(st, 4);
		v->version = (int)store_col_int64(st, 5);
		v->updated_at = store_col_int64(st, 6);
		v->closed_at = store_col_int64(st, 7);
		v->rating = (int)store_col_int64(st, 8);
		v->supervision = (int)store_col_int64(st, 9);
		v->reminders = (int)store_col_int64(st, 10);
		v->spam = (int)store_col_int64(st, 11);
		dom_copy(v->owner_path, sizeof v->owner_path, store_col_text(st, 12));
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? 0 : -1;
	st = store_prepare(c, "SELECT n, org_id, kind, role, status, due_at, warn_at, return_by, "
	                      "coalesce(extension_due_at, 0), explained, alert, created_at, "
	                      "updated_at FROM matter_assignments WHERE matter_id = ? ORDER BY n");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	while ((rc = store_step(st)) == STORE_ROW && v->nassign < MATTER_ASSIGN_MAX) {
		struct matter_assignment *a = &v->a[v->nassign++];

		a->n = (int)store_col_int64(st, 0);
		a->org_id = store_col_int64(st, 1);
		dom_copy(a->kind, sizeof a->kind, store_col_text(st, 2));
		dom_copy(a->role, sizeof a->role, store_col_text(st, 3));
		dom_copy(a->status, sizeof a->status, store_col_text(st, 4));
		a->due_at = store_col_int64(st, 5);
		a->warn_at = store_col_int64(st, 6);
		a->return_by = store_col_int64(st, 7);
		a->extension_due_at = store_col_int64(st, 8);
		a->explained = (int)store_col_int64(st, 9);
		a->alert = (int)store_col_int64(st, 10);
		a->created_at = store_col_int64(st, 11);
		a->updated_at = store_col_int64(st, 12);
	}
	store_reset(st);
	return rc == STORE_DONE || rc == STORE_ROW ? 1 : -1;
}

/* Writes v (after a fold from before) over the stored projection, with its colour at now and
   every counter it moves. */
static int view_save(struct store_conn *c, const struct matter_view *before,
                     const struct matter_view *v, int64_t now, struct dom_err *e)
{
	struct store_stmt *st;
	char codes_buf[3][13] = { "", "", "" }, category[64] = "", old_state[16] = "";
	const char *codes[3] = { codes_buf[0], codes_buf[1], codes_buf[2] };
	int old_alert = 0, alert = matter_alert_at(v->due_at, v->warn_at, now), rc, ever_red = 0;
	int was_open = flow_state_open(before->state), is_open = flow_state_open(v->state);
	int64_t grid_id = 0;

	st = store_prepare(c,
	                   "SELECT state, alert, category, city_code, coalesce(county_code, ''), "
	                   "coalesce(township_code, ''), coalesce(grid_id, 0), ever_red FROM "
	                   "matters WHERE id = ?");
	if (!st)
		return dom_err_store(e, -1);
	store_bind_int64(st, 1, v->id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		dom_copy(old_state, sizeof old_state, store_col_text(st, 0));
		old_alert = (int)store_col_int64(st, 1);
		dom_copy(category, sizeof category, store_col_text(st, 2));
		for (int i = 0; i < 3; i++)
			dom_copy(codes_buf[i], sizeof codes_buf[i], store_col_text(st, 3 + i));
		grid_id = store_col_int64(st, 6);
		ever_red = (int)store_col_int64(st, 7);
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return dom_err_store(e, -1);
	if (dom_exec(c, e,
	             "UPDATE matters SET state = ?, owner_org_id = ?, handler = ?, due_at = ?, "
	             "warn_at = ?, alert = ?, version = ?, updated_at = ?, closed_at = ?, rating = "
	             "?, supervision = ?, reminders = ?, spam = ?, ever_red = ever_red OR ? WHERE "
	             "id = ?",
	             "titnnii"
	             "nnniiii"
	             "i",
	             flow_state_name(v->state), v->owner_org_id, v->handler[0] ? v->handler : NULL,
	             v->due_at, v->warn_at, (int64_t)alert, (int64_t)v->version, v->updated_at,
	             v->closed_at, (int64_t)v->rating, (int64_t)v->supervision,
	             (int64_t)v->reminders, (int64_t)v->spam, (int64_t)(alert == 2), v->id) < 0)
		return -1;
	for (int i = 0; i < v->nassign; i++) {
		const struct matter_assignment *a = &v->a[i];
		int aalert = assignment_open(a) ? matter_alert_at(a->due_at, a->warn_at, now) : 0;

		if (dom_exec(c, e,
		             "INSERT INTO matter_assignments (matter_id, n, org_id, kind, role, "
		             "status, due_at, warn_at, alert, explained, extension_due_at, "
		             "return_by, "
		             "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		             "?, ?) "
		             "ON CONFLICT (matter_id, n) DO UPDATE SET status = excluded.status, "
		             "due_at = excluded.due_at, warn_at = excluded.warn_at, alert = "
		             "excluded.alert, explained = excluded.explained, extension_due_at = "
		             "excluded.extension_due_at, updated_at = excluded.updated_at",
		             "iiittt"
		             "iiiini"
		             "ii",
		             v->id, (int64_t)a->n, a->org_id, a->kind, a->role, a->status,
		             a->due_at, a->warn_at, (int64_t)aalert, (int64_t)a->explained,
		             a->extension_due_at, a->return_by, a->created_at, a->updated_at) < 0)
			return -1;
	}
	if (strcmp(old_state, flow_state_name(v->state)) != 0 || old_alert != alert)
		if (matter_counters_move(c, codes, category, old_state, old_alert,
		                         flow_state_name(v->state), alert) < 0)
			return dom_err_store(e, -1);
	if (was_open != is_open && matter_grid_open_move(c, grid_id, is_open ? 1 : -1) < 0)
		return dom_err_store(e, -1);
	if (matter_org_alerts_move(c, before, old_alert, v, alert, now) < 0)
		return dom_err_store(e, -1);
	/* The first closing counts for the holding center's 按期结案率. */
	if (v->state == FS_CLOSED && !before->closed_at &&
	    (matter_org_count(c, v->owner_org_id, "closed", 1) < 0 ||
	     (!ever_red && alert < 2 &&
	      matter_org_count(c, v->owner_org_id, "closed_on_time", 1) < 0)))
		return dom_err_store(e, -1);
	return 0;
}

static int event_append(struct store_conn *c, const struct dom_ctx *x, int64_t matter_id, int seq,
                        const char *action, const char *from, const char *to, const json_t *fields,
                        struct dom_err *e)
{
	char *text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return dom_err_set(e, 500, "internal", "内部错误");
	rc = dom_exec(c, e,
	              "INSERT INTO matter_events (matter_id, seq, at, actor_user_id, actor_org_id, "
	              "action, from_state, to_state, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	              "iiinnttt"
	              "t",
	              matter_id, (int64_t)seq, x->now, x->caller->user_id, x->caller->org_id,
	              action, from, to, text);
	free(text);
	return rc;
}

/* ---- deadlines ---- */

/* The item's limits as stored with the report (so a later change of the list does not move a
   matter's deadlines): "limits": {"accept": [n, unit], "handle": [...], "verify": [...],
   "warn": pct}. */
static json_t *limits_json(const struct matter_item *it)
{
	return json_pack("{s:[i,i],s:[i,i],s:[i,i],s:i}", "accept", it->accept_amount,
	                 (int)it->accept_unit, "handle", it->handle_amount, (int)it->handle_unit,
	                 "verify", it->verify_amount, (int)it->verify_unit, "warn",
	                 it->warn_share_pct);
}

static int stage_deadline(struct store_conn *c, const struct dom_ctx *x, const json_t *limits,
                          const char *stage, int64_t *due, int64_t *warn, struct dom_err *e)
{
	const json_t *l = json_object_get(limits, stage);
	int amount = (int)json_integer_value(json_array_get(l, 0));
	int unit = (int)json_integer_value(json_array_get(l, 1));
	int pct = (int)jint(limits, "warn");

	if (amount < 1 || (unit != CAL_WORKING_DAYS && unit != CAL_WORKING_HOURS))
		return dom_err_set(e, 500, "internal", "事项时限设置无效");
	return calendar_deadline(c, x->now, amount, (enum cal_unit)unit, pct > 0 ? pct : 70, due,
	                         warn, e);
}

static int set_stage_deadline(struct store_conn *c, const struct dom_ctx *x, const json_t *limits,
                              const char *stage, json_t *f, struct dom_err *e)
{
	int64_t due = 0, warn = 0;

	if (stage_deadline(c, x, limits, stage, &due, &warn, e) < 0)
		return -1;
	json_object_set_new(f, "due_at", json_integer(due));
	json_object_set_new(f, "warn_at", json_integer(warn));
	return 0;
}

/* ---- who is the caller ---- */

static int caller_sees_place(const struct principal *p, int64_t grid_id, const char *path)
{
	return p->is_system || access_sees_grid(p, grid_id, path);
}

static int open_assignment_of(const struct principal *p, const struct matter_view *v,
                              enum flow_action action)
{
	for (int i = 0; i < v->nassign; i++) {
		const struct matter_assignment *a = &v->a[i];

		if (!assignment_open(a) || (!p->is_system && a->org_id != p->org_id))
			continue;
		if (action == FA_SIGN && strcmp(a->status, "pending") != 0)
			continue;
		return a->n;
	}
	return 0;
}

int matter_caller_is(const struct principal *p, enum flow_who who, const struct matter_view *v,
                     int64_t grid_id, const char *path, enum flow_action action, int *assignment)
{
	*assignment = 0;
	switch (who) {
	case FW_REPORTER: return caller_sees_place(p, grid_id, path);
	case FW_GRID_WORKER:
		return p->is_system || (p->grid_bound && access_sees_grid(p, grid_id, path));
	case FW_OWNER: return p->is_system || (p->org_id && p->org_id == v->owner_org_id);
	case FW_ASSIGNEE: *assignment = open_assignment_of(p, v, action); return *assignment > 0;
	case FW_HANDLER:
		if (strcmp(v->handler, "assignees") == 0) {
			*assignment = open_assignment_of(p, v, action);
			return *assignment > 0;
		}
		if (strcmp(v->handler, "center") == 0)
			return p->is_system || (p->org_id && p->org_id == v->owner_org_id);
		if (strcmp(v->handler, "worker") == 0)
			return p->is_system ||
			       (p->grid_bound && access_sees_grid(p, grid_id, path));
		return 0;
	case FW_RESIDENT:
		/* Only through the tracking code (matter_rate), never as a logged-in caller. */
		return 0;
	case FW_HIGHER:
		/* A center above the holding one: its area holds the matter and the holder's area.
		 */
		return p->is_system || (p->org_kind == ORG_CENTER && p->org_id != v->owner_org_id &&
		                        access_sees_region(p, path) && v->owner_path[0] &&
		                        access_sees_region(p, v->owner_path) &&
		                        strlen(p->region_path) < strlen(v->owner_path));
	}
	return 0;
}

/* ---- organisations for the flow ---- */

/* The enabled center at one of the given region codes, searched in order; 0 when none. */
static int64_t center_at(struct store_conn *c, const char *const *codes, int n, char level[16])
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT id, coalesce(level, '') FROM organisations WHERE kind = 'center' AND "
	           "disabled = 0 AND region_code = ? ORDER BY id LIMIT 1");
	int64_t id = 0;

	for (int i = 0; st && i < n && !id; i++) {
		if (!codes[i] || !*codes[i])
			continue;
		store_bind_text(st, 1, codes[i], -1);
		if (store_step(st) == STORE_ROW) {
			id = store_col_int64(st, 0);
			if (level)
				dom_copy(level, 16, store_col_text(st, 1));
		}
		store_reset(st);
	}
	return id;
}

struct org_brief {
	int64_t id;
	char kind[16], level[16], region_code[13];
	int disabled;
};

static int org_brief_load(struct store_conn *c, int64_t id, struct org_brief *o)
{
	struct store_stmt *st = store_prepare(c, "SELECT kind, coalesce(level, ''), region_code, "
	                                         "disabled FROM organisations WHERE id = ?");
	int rc;

	memset(o, 0, sizeof *o);
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		o->id = id;
		dom_copy(o->kind, sizeof o->kind, store_col_text(st, 0));
		dom_copy(o->level, sizeof o->level, store_col_text(st, 1));
		dom_copy(o->region_code, sizeof o->region_code, store_col_text(st, 2));
		o->disabled = (int)store_col_int64(st, 3);
	}
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

static int place_has(const struct place *pl, const char *code)
{
	return *code && (strcmp(pl->city, code) == 0 || strcmp(pl->county, code) == 0 ||
	                 strcmp(pl->township, code) == 0 || strcmp(pl->community, code) == 0);
}

static int level_rank(const char *level)
{
	if (strcmp(level, "city") == 0)
		return 2;
	if (strcmp(level, "county") == 0)
		return 3;
	if (strcmp(level, "township") == 0)
		return 4;
	return 0;
}

/* ---- photos ---- */

int matter_action_takes_photos(enum flow_action action)
{
	return action == FA_REPORT || action == FA_SELF_HANDLE || action == FA_PROGRESS ||
	       action == FA_SUBMIT;
}

int matter_photos_check(enum flow_action action, const struct upload *photos, size_t n,
                        struct dom_err *e)
{
	if (n && !matter_action_takes_photos(action))
		return dom_err_set(e, 400, "photos_not_allowed",
		                   "“%s”操作不能附照片（上报、自行处置、进展说明和提交办理结果"
		                   "可以附照片）",
		                   flow_action_label(action));
	return upload_check(photos, n, e);
}

/* The event's "photos": the hashes sent with it, each once, in the order sent. */
static int photos_to_fields(json_t *f, const struct upload *photos, size_t n, struct dom_err *e)
{
	json_t *list;

	if (!n)
		return 0;
	list = json_array();
	if (!list || json_object_set_new(f, "photos", list) != 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= strcmp(photos[i].hash, photos[j].hash) == 0;
		if (!seen && json_array_append_new(list, json_string(photos[i].hash)) != 0)
			return dom_err_set(e, 500, "internal", "内部错误");
	}
	return 0;
}

/* Inside the write, after the event seq was appended: the uploads rows and the links. A photo
   the matter already has keeps its first link. 409 too_many_photos past MATTER_PHOTOS_MAX. */
static int photos_link(struct store_conn *c, const struct dom_ctx *x, int64_t matter_id, int seq,
                       const struct upload *photos, size_t n, struct dom_err *e)
{
	struct store_stmt *st;
	int64_t have = 0;
	int rc;

	if (!n)
		return 0;
	st = store_prepare(c, "SELECT count(*) FROM matter_photos WHERE matter_id = ?");
	if (!st)
		return dom_err_store(e, -1);
	store_bind_int64(st, 1, matter_id);
	rc = store_step(st);
	if (rc == STORE_ROW)
		have = store_col_int64(st, 0);
	store_reset(st);
	if (rc != STORE_ROW)
		return dom_err_store(e, -1);
	if (have + (int64_t)n > MATTER_PHOTOS_MAX)
		return dom_err_set(e, 409, "too_many_photos",
		                   "一个事项最多 %d 张照片（已有 %lld 张）", MATTER_PHOTOS_MAX,
		                   (long long)have);
	for (size_t i = 0; i < n; i++)
		if (upload_record_conn(c, x, &photos[i], e) < 0 ||
		    dom_exec(c, e,
		             "INSERT INTO matter_photos (matter_id, hash, event_seq, added_by, "
		             "added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (matter_id, hash) DO "
		             "NOTHING",
		             "itini", matter_id, photos[i].hash, (int64_t)seq, x->caller->user_id,
		             x->now) < 0)
			return -1;
	return 0;
}

/* ---- the report ---- */

struct report_arg {
	const struct matter_report *in;
	struct matter_item item;
	int64_t grid_id;
	char path[ACCESS_PATH_MAX];
	struct place place;
	int64_t owner;
	int64_t id;
	/* A resident's report (matter_public_report): no scope, a contact and a tracking code. */
	int public_report;
	const char *contact;
	char tracking_hash[2 * MATTER_TRACKING_HASH_BYTES + 1];
};

static int report_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct report_arg *r = w->arg;
	struct store_stmt *st;
	const char *order[3];
	int rc;

	st = store_prepare(c, "SELECT id, path FROM grids WHERE code = ? AND status = 'active'");
	if (!st)
		return dom_err_store(e, -1);
	store_bind_text(st, 1, r->in->grid_code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		r->grid_id = store_col_int64(st, 0);
		dom_copy(r->path, sizeof r->path, store_col_text(st, 1));
	}
	store_reset(st);
	if (rc != STORE_ROW ||
	    (!r->public_report && !caller_sees_place(x->caller, r->grid_id, r->path)))
		return dom_err_set(e, 404, "grid_not_found", "网格不存在或不在您的管辖范围内");
	if (matter_item_in_force(c, r->in->item, x->now, &r->item, e) < 0)
		return -1;
	place_from_path(r->path, &r->place);
	order[0] = r->place.township;
	order[1] = r->place.county;
	order[2] = r->place.city;
	r->owner = center_at(c, order, 3, NULL);
	if (!r->owner)
		return dom_err_set(e, 409, "no_center",
		                   "该网格所在地区尚未设立网格化服务管理中心，无法受理");
	return 0;
}

static int report_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct report_arg *r = w->arg;
	const struct matter_report *in = r->in;
	json_t *f = json_object(), *limits = limits_json(&r->item);
	struct matter_view v;
	const char *codes[3] = { r->place.city, r->place.county, r->place.township };
	int urgency = in->urgency ? in->urgency : (r->item.urgency ? r->item.urgency : 1);
	int rc = -1, alert;

	if (!f || !limits) {
		json_decref(f);
		json_decref(limits);
		return dom_err_set(e, 500, "internal", "内部错误");
	}
	json_object_set_new(f, "limits", limits);
	json_object_set_new(f, "owner_org_id", json_integer(r->owner));
	json_object_set_new(f, "item", json_string(r->item.code));
	json_object_set_new(f, "item_version_id", json_integer(r->item.version_id));
	json_object_set_new(f, "title", json_string(in->title));
	json_object_set_new(f, "source", json_string(in->source));
	json_object_set_new(f, "grid", json_string(in->grid_code));
	if (set_stage_deadline(c, x, limits, "accept", f, e) < 0)
		goto out;
	if (matter_fold(&v, "report", f, x->now) < 0) {
		dom_err_set(e, 500, "internal", "内部错误");
		goto out;
	}
	alert = matter_alert_at(v.due_at, v.warn_at, x->now);
	if (dom_exec(
	            c, e,
	            "INSERT INTO matters (source, item_code, item_version_id, category, title, "
	            "description, address, lng, lat, grid_id, path, city_code, county_code, "
	            "township_code, community_code, urgency, reporter_user_id, reporter_org_id, "
	            "state, owner_org_id, due_at, warn_at, alert, version, created_at, updated_at) "
	            "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	            "?, "
	            "?, ?, ?, ?)",
	            "ttittt"
	            "titttt"
	            "tinnti"
	            "iiiiii",
	            in->source, r->item.code, r->item.version_id, r->item.category, in->title,
	            in->description, in->address, r->grid_id, r->path, r->place.city,
	            r->place.county[0] ? r->place.county : NULL,
	            r->place.township[0] ? r->place.township : NULL,
	            r->place.community[0] ? r->place.community : NULL, (int64_t)urgency,
	            x->caller->user_id, x->caller->org_id, "reported", r->owner, v.due_at,
	            v.warn_at, (int64_t)alert, (int64_t)v.version, x->now, x->now) < 0)
		goto out;
	r->id = store_last_insert_id(c);
	if (in->has_location) {
		struct store_stmt *st = store_prepare(c, "UPDATE matters SET lng = ?, lat = ? "
		                                         "WHERE id = ?");
		if (!st)
			goto out;
		store_bind_double(st, 1, in->lng);
		store_bind_double(st, 2, in->lat);
		store_bind_int64(st, 3, r->id);
		if (dom_step_done(st) < 0) {
			dom_err_store(e, -1);
			goto out;
		}
		json_object_set_new(f, "lng", json_real(in->lng));
		json_object_set_new(f, "lat", json_real(in->lat));
	}
	if (photos_to_fields(f, in->photos, in->nphotos, e) < 0 ||
	    event_append(c, x, r->id, 1, "report", NULL, "reported", f, e) < 0 ||
	    photos_link(c, x, r->id, 1, in->photos, in->nphotos, e) < 0)
		goto out;
	{
		struct matter_view none;

		memset(&none, 0, sizeof none);
		if (matter_counters_move(c, codes, r->item.category, NULL, 0, "reported", alert) <
		            0 ||
		    matter_daily_add(c, codes, x->now, in->source, r->item.category) < 0 ||
		    matter_grid_open_move(c, r->grid_id, 1) < 0 ||
		    matter_org_alerts_move(c, &none, 0, &v, alert, x->now) < 0) {
			dom_err_store(e, -1);
			goto out;
		}
	}
	if (r->public_report &&
	    (dom_exec(c, e, "UPDATE matters SET tracking_hash = ? WHERE id = ?", "ti",
	              r->tracking_hash, r->id) < 0 ||
	     sealed_put(c, SEALED_FIELD_MATTER_CONTACT, r->id, r->contact, e) < 0))
		goto out;
	dom_write_object(w, "matter:%lld", (long long)r->id);
	dom_write_detail(w, "上报事项：%s（%s），照片 %zu 张", in->title, r->item.name,
	                 in->nphotos);
	rc = 0;
out:
	json_decref(f);
	return rc;
}

static const char *const sources[] = { "patrol",   "resident", "hotline", "department",
	                               "assigned", "other",    NULL };

int matter_report_check(const struct matter_report *in, struct dom_err *e)
{
	int known = 0;

	for (int i = 0; sources[i]; i++)
		known |= in->source && strcmp(in->source, sources[i]) == 0;
	if (!known)
		return dom_err_set(e, 400, "bad_field",
		                   "来源无效：应为 patrol、resident、hotline、"
		                   "department、assigned 或 other");
	if (!in->item || !*in->item)
		return dom_err_set(e, 400, "missing_field", "请选择事项清单中的事项（item）");
	if (!text_ok(in->title, MATTER_TITLE_CHARS))
		return dom_err_set(e, 400, "bad_field", "标题须为 1 至 %d 个字符",
		                   MATTER_TITLE_CHARS);
	if (!text_ok(in->description, MATTER_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "描述须为 1 至 %d 个字符",
		                   MATTER_TEXT_CHARS);
	if (in->address && *in->address && !text_ok(in->address, 200))
		return dom_err_set(e, 400, "bad_field", "地址须为 1 至 200 个字符");
	if (!in->grid_code || !*in->grid_code)
		return dom_err_set(e, 400, "missing_location", "请提供位置（经纬度）或选择网格");
	if (in->urgency < 0 || in->urgency > 3)
		return dom_err_set(e, 400, "bad_field", "紧急程度应为 1、2 或 3");
	return matter_photos_check(FA_REPORT, in->photos, in->nphotos, e);
}

int matter_report(const struct dom_ctx *x, const struct matter_report *in, int64_t *id,
                  struct dom_err *e)
{
	struct report_arg r = { .in = in };
	struct dom_write w = { .action = "matter.report",
		               .permission = "matter.report",
		               .authorize = report_authorize,
		               .apply = report_apply,
		               .arg = &r,
		               .callers_unchanged = 1 };

	if (matter_report_check(in, e) < 0)
		return -1;
	dom_write_object(&w, "grid:%s", in->grid_code);
	if (dom_write(x, &w, e) < 0)
		return -1;
	matter_feed_note(x, r.id, MATTER_FEED_NEW); /* after the commit: the live streams */
	*id = r.id;
	return 0;
}

/* ---- actions ---- */

struct act_arg {
	const struct matter_action *in;
	const struct flow_row *row;
	struct matter_view v;
	int64_t grid_id;
	char path[ACCESS_PATH_MAX];
	struct place place;
	char item_code[32];
	json_t *limits; /* from the report event */
	json_t *f;      /* the event's fields, built in authorize */
	int resident; /* the resident by the tracking code (matter_rate), not a logged-in caller */
	int64_t reporter_org_id;
	int assignment;
};

static int load_matter(struct store_conn *c, struct act_arg *a, struct dom_err *e)
{
	struct store_stmt *st;
	int rc = matter_view_load(c, a->in->matter_id, &a->v);

	if (rc < 0)
		return dom_err_store(e, -1);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "事项不存在");
	st = store_prepare(c, "SELECT coalesce(m.grid_id, 0), m.path, m.item_code, ev.fields, "
	                      "coalesce(m.reporter_org_id, 0) "
	                      "FROM matters m JOIN matter_events ev ON ev.matter_id = m.id AND "
	                      "ev.seq = 1 WHERE m.id = ?");
	if (!st)
		return dom_err_store(e, -1);
	store_bind_int64(st, 1, a->in->matter_id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		json_t *report = json_loads(store_col_text(st, 3), 0, NULL);

		a->grid_id = store_col_int64(st, 0);
		a->reporter_org_id = store_col_int64(st, 4);
		dom_copy(a->path, sizeof a->path, store_col_text(st, 1));
		dom_copy(a->item_code, sizeof a->item_code, store_col_text(st, 2));
		a->limits = json_incref(json_object_get(report, "limits"));
		json_decref(report);
	}
	store_reset(st);
	if (rc != STORE_ROW || !a->limits)
		return dom_err_set(e, 500, "internal", "事项记录不完整");
	place_from_path(a->path, &a->place);
	return 0;
}

/* Matter scope for a write: the same rule as reads (a department sees only what was dispatched
   to it), answered as 404 like a missing matter. */
static int caller_sees_matter(const struct principal *p, const struct act_arg *a)
{
	if (p->is_system)
		return 1;
	if (p->org_kind == ORG_DEPARTMENT) {
		if (a->reporter_org_id == p->org_id)
			return 1;
		for (int i = 0; i < a->v.nassign; i++)
			if (a->v.a[i].org_id == p->org_id)
				return 1;
		return 0;
	}
	return access_sees_grid(p, a->grid_id, a->path) || p->org_id == a->v.owner_org_id;
}

static const char *field_text(const json_t *fields, const char *name)
{
	return jstr(fields, name);
}

static int required_fields(const struct flow_row *row, const json_t *fields, struct dom_err *e)
{
	for (int k = 0; k < FLOW_FIELDS_MAX && row->required[k]; k++) {
		const json_t *v = json_object_get(fields, row->required[k]);

		if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
		    (json_is_array(v) && json_array_size(v) == 0))
			return dom_err_set(e, 400, "missing_field", "“%s”操作须填写 %s",
			                   flow_action_label(row->action), row->required[k]);
	}
	return 0;
}

/* Copies a text field of the request into the event, checked. */
static int take_text(struct act_arg *a, const char *name, size_t max, struct dom_err *e)
{
	const char *s = field_text(a->in->fields, name);

	if (!s)
		return 0;
	if (!text_ok(s, max))
		return dom_err_set(e, 400, "bad_field", "%s 须为 1 至 %zu 个字符，且不含控制字符",
		                   name, max);
	json_object_set_new(a->f, name, json_string(s));
	return 0;
}

/* The deadline of a new assignment: the request's "due" date or "working_days", else the item's
   handling limit; the return limit is the item's sign-for (accept) limit. */
static int assignment_deadlines(struct store_conn *c, const struct dom_ctx *x, const json_t *limits,
                                const json_t *req, json_t *out, struct dom_err *e)
{
	const char *due = jstr(req, "due");
	const json_t *wd = json_object_get(req, "working_days");
	int64_t due_at = 0, warn_at = 0, ret = 0, ret_warn = 0;
	int pct = (int)jint(limits, "warn");

	if (pct <= 0)
		pct = 70;
	if (due) {
		due_at = local_day_end(due);
		if (!due_at || due_at <= x->now)
			return dom_err_set(e, 400, "bad_field",
			                   "办理期限应为今天或以后的日期（YYYY-MM-DD）");
		warn_at = x->now + (due_at - x->now) * pct / 100;
	} else if (wd) {
		if (!json_is_integer(wd) || json_integer_value(wd) < 1 ||
		    json_integer_value(wd) > 366)
			return dom_err_set(e, 400, "bad_field", "工作日数应为 1 至 366 的整数");
		if (calendar_deadline(c, x->now, (int)json_integer_value(wd), CAL_WORKING_DAYS, pct,
		                      &due_at, &warn_at, e) < 0)
			return -1;
	} else if (stage_deadline(c, x, limits, "handle", &due_at, &warn_at, e) < 0) {
		return -1;
	}
	if (stage_deadline(c, x, limits, "accept", &ret, &ret_warn, e) < 0)
		return -1;
	json_object_set_new(out, "due_at", json_integer(due_at));
	json_object_set_new(out, "warn_at", json_integer(warn_at));
	json_object_set_new(out, "return_by", json_integer(ret));
	return 0;
}

static int check_dispatch(struct store_conn *c, const struct dom_ctx *x, struct act_arg *a,
                          struct dom_err *e)
{
	const json_t *deps = json_object_get(a->in->fields, "departments");
	json_t *list = json_array();
	int leads = 0, next = a->v.nassign + 1;
	size_t i;
	const json_t *it;

	json_object_set_new(a->f, "assignments", list);
	if (!json_is_array(deps) || json_array_size(deps) == 0)
		return dom_err_set(e, 400, "missing_field", "请选择承办部门");
	if (a->v.nassign + json_array_size(deps) > MATTER_ASSIGN_MAX)
		return dom_err_set(e, 400, "bad_field", "一个事项最多分流 %d 次",
		                   MATTER_ASSIGN_MAX);
	json_array_foreach(deps, i, it)
	{
		int64_t org = jint(it, "org");
		const char *role = jstr(it, "role");
		struct org_brief o;
		json_t *as;

		if (!json_is_object(it) || org <= 0)
			return dom_err_set(e, 400, "bad_field",
			                   "departments 的每一项须给出部门 org");
		if (!role)
			role = i == 0 ? "lead" : "co";
		if (strcmp(role, "lead") != 0 && strcmp(role, "co") != 0)
			return dom_err_set(e, 400, "bad_field",
			                   "role 应为 lead（牵头）或 co（协办）");
		leads += strcmp(role, "lead") == 0;
		if (org_brief_load(c, org, &o) != 1 || strcmp(o.kind, "department") != 0 ||
		    o.disabled || !place_has(&a->place, o.region_code))
			return dom_err_set(e, 400, "bad_department",
			                   "部门 %lld 不存在、已停用或其辖区不包含该事项所在地",
			                   (long long)org);
		for (size_t j = 0; j < i; j++)
			if (jint(json_array_get(deps, j), "org") == org)
				return dom_err_set(e, 400, "bad_department",
				                   "同一部门不能重复分流");
		for (int j = 0; j < a->v.nassign; j++)
			if (a->v.a[j].org_id == org && assignment_open(&a->v.a[j]))
				return dom_err_set(e, 409, "already_assigned",
				                   "该部门已在办理此事项");
		as = json_pack("{s:i,s:I,s:s,s:s}", "n", next++, "org_id", (json_int_t)org, "kind",
		               "dispatch", "role", role);
		if (!as)
			return dom_err_set(e, 500, "internal", "内部错误");
		json_array_append_new(list, as);
		if (jstr(it, "requirements")) {
			if (!text_ok(jstr(it, "requirements"), 500))
				return dom_err_set(e, 400, "bad_field",
				                   "办理要求须为 1 至 500 个字符");
			json_object_set_new(as, "requirements",
			                    json_string(jstr(it, "requirements")));
		}
		if (assignment_deadlines(c, x, a->limits, it, as, e) < 0)
			return -1;
	}
	if (leads != 1)
		return dom_err_set(e, 400, "bad_field",
		                   "须指定且只能指定一个牵头部门（role: lead）");
	return 0;
}

static int check_assign(struct store_conn *c, const struct dom_ctx *x, struct act_arg *a,
                        struct dom_err *e)
{
	int64_t org = jint(a->in->fields, "org");
	struct org_brief o, owner;
	json_t *list = json_array(), *as;

	json_object_set_new(a->f, "assignments", list);
	if (org_brief_load(c, org, &o) != 1 || org_brief_load(c, a->v.owner_org_id, &owner) != 1 ||
	    strcmp(o.kind, "center") != 0 || o.disabled || !place_has(&a->place, o.region_code) ||
	    level_rank(o.level) <= level_rank(owner.level))
		return dom_err_set(e, 400, "bad_org",
		                   "只能交办给事项所在地的下级网格化服务管理中心");
	if (a->v.nassign >= MATTER_ASSIGN_MAX)
		return dom_err_set(e, 400, "bad_field", "一个事项最多分流 %d 次",
		                   MATTER_ASSIGN_MAX);
	as = json_pack("{s:i,s:I,s:s,s:s}", "n", a->v.nassign + 1, "org_id", (json_int_t)org,
	               "kind", "assign", "role", "lead");
	if (!as)
		return dom_err_set(e, 500, "internal", "内部错误");
	json_array_append_new(list, as);
	if (take_text(a, "requirements", 500, e) < 0)
		return -1;
	json_object_set(as, "requirements", json_object_get(a->f, "requirements"));
	return assignment_deadlines(c, x, a->limits, a->in->fields, as, e);
}

static int check_escalate(struct store_conn *c, struct act_arg *a, struct dom_err *e)
{
	struct org_brief owner;
	const char *up[2] = { NULL, NULL };
	int64_t next;

	if (org_brief_load(c, a->v.owner_org_id, &owner) != 1)
		return dom_err_store(e, -1);
	if (strcmp(owner.level, "township") == 0) {
		up[0] = a->place.county;
		up[1] = a->place.city;
	} else if (strcmp(owner.level, "county") == 0) {
		up[0] = a->place.city;
	}
	next = center_at(c, up, 2, NULL);
	if (!next || next == a->v.owner_org_id)
		return dom_err_set(e, 409, "no_higher_center",
		                   "没有可以上报的上级网格化服务管理中心");
	json_object_set_new(a->f, "owner_org_id", json_integer(next));
	return 0;
}

/* Builds the event's fields for the action (checking the request), before the fold. */
static int build_fields(struct store_conn *c, const struct dom_ctx *x, struct act_arg *a,
                        struct dom_err *e)
{
	const json_t *in = a->in->fields;
	struct matter_assignment *as = a->assignment ? assignment_n(&a->v, a->assignment) : NULL;

	if (as)
		json_object_set_new(a->f, "assignment", json_integer(as->n));
	switch (a->in->action) {
	case FA_SELF_HANDLE: {
		struct matter_item it;

		if (matter_item_in_force(c, a->item_code, x->now, &it, e) < 0)
			return -1;
		if (strcmp(it.worker_role, "resolve") != 0)
			return dom_err_set(
			        e, 409, "not_on_list_for_worker",
			        "按已公布的事项清单，网格员对“%s”只负责上报，不能自行处置"
			        "（第十六条）",
			        it.name);
		if (take_text(a, "result", MATTER_TEXT_CHARS, e) < 0)
			return -1;
		return set_stage_deadline(c, x, a->limits, "verify", a->f, e);
	}
	case FA_ACCEPT: return set_stage_deadline(c, x, a->limits, "handle", a->f, e);
	case FA_REJECT: return take_text(a, "reason", 500, e);
	case FA_ESCALATE:
		if (take_text(a, "reason", 500, e) < 0 || check_escalate(c, a, e) < 0)
			return -1;
		return set_stage_deadline(c, x, a->limits, "accept", a->f, e);
	case FA_HANDLE: return 0;
	case FA_ASSIGN: return check_assign(c, x, a, e);
	case FA_DISPATCH: return check_dispatch(c, x, a, e);
	case FA_SIGN: return 0;
	case FA_RETURN:
		if (x->now > as->return_by)
			return dom_err_set(e, 409, "return_too_late",
			                   "已超过退回时限，不能退回；请办理，或申请延期");
		if (take_text(a, "basis", 1000, e) < 0)
			return -1;
		/* If this was the last open assignment the matter moves: to the verify stage when
		   others submitted, else back to the center's handling limit. */
		return set_stage_deadline(c, x, a->limits,
		                          count_status(&a->v, "submitted") ? "verify" : "handle",
		                          a->f, e);
	case FA_PROGRESS: return take_text(a, "note", MATTER_TEXT_CHARS, e);
	case FA_REQUEST_EXTENSION: {
		int64_t due = local_day_end(field_text(in, "due"));

		if (as->extension_due_at)
			return dom_err_set(e, 409, "extension_pending", "已有延期申请等待批准");
		if (!due || due <= as->due_at)
			return dom_err_set(e, 400, "bad_field",
			                   "延期后的期限应为晚于当前期限的日期（YYYY-MM-DD）");
		json_object_set_new(a->f, "due", json_string(field_text(in, "due")));
		json_object_set_new(a->f, "extension_due_at", json_integer(due));
		return take_text(a, "reason", 500, e);
	}
	case FA_APPROVE_EXTENSION:
	case FA_DENY_EXTENSION: {
		struct matter_assignment *t = assignment_n(&a->v, jint(in, "assignment"));

		if (!t || !t->extension_due_at)
			return dom_err_set(e, 409, "no_extension",
			                   "该承办单位没有待批准的延期申请");
		json_object_set_new(a->f, "assignment", json_integer(t->n));
		if (a->in->action == FA_DENY_EXTENSION)
			return take_text(a, "reason", 500, e);
		json_object_set_new(a->f, "due_at", json_integer(t->extension_due_at));
		json_object_set_new(
		        a->f, "warn_at",
		        json_integer(t->extension_due_at -
		                     (t->due_at - t->warn_at > 0 ? t->due_at - t->warn_at : 0)));
		return 0;
	}
	case FA_EXPLAIN_OVERDUE:
		if (x->now < as->due_at)
			return dom_err_set(e, 409, "not_overdue", "尚未超期，无需书面说明");
		return take_text(a, "explanation", MATTER_TEXT_CHARS, e);
	case FA_SUBMIT:
		if (as && strcmp(as->status, "pending") == 0)
			return dom_err_set(e, 409, "sign_first", "请先签收，再提交办理结果");
		if (as && x->now >= as->due_at && !as->explained)
			return dom_err_set(
			        e, 409, "overdue_explanation_required",
			        "已超过办理期限，须先向交办的中心作出书面说明，再提交办理结果"
			        "（第十九条）");
		if (take_text(a, "result", MATTER_TEXT_CHARS, e) < 0)
			return -1;
		return set_stage_deadline(c, x, a->limits, "verify", a->f, e);
	case FA_VERIFY: return take_text(a, "note", 500, e);
	case FA_REWORK: {
		json_t *list = json_array();

		json_object_set_new(a->f, "reworked", list);
		if (take_text(a, "reason", 500, e) < 0)
			return -1;
		if (strcmp(a->v.handler, "assignees") != 0)
			return set_stage_deadline(c, x, a->limits, "handle", a->f, e);
		for (int i = 0; i < a->v.nassign; i++) {
			int64_t due = 0, warn = 0;

			if (strcmp(a->v.a[i].status, "submitted") != 0)
				continue;
			if (stage_deadline(c, x, a->limits, "handle", &due, &warn, e) < 0)
				return -1;
			json_array_append_new(list, json_pack("{s:i,s:I,s:I}", "n", a->v.a[i].n,
			                                      "due_at", (json_int_t)due, "warn_at",
			                                      (json_int_t)warn));
		}
		return 0;
	}
	case FA_CLOSE: return take_text(a, "note", 500, e);
	case FA_FEEDBACK: return take_text(a, "message", 1000, e);
	case FA_MARK_SPAM: return take_text(a, "reason", 500, e);
	case FA_UPHOLD: return take_text(a, "reason", 1000, e);
	case FA_RATE: {
		const json_t *r = json_object_get(in, "rating");

		if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 3)
			return dom_err_set(e, 400, "bad_rating",
			                   "评价应为 1（满意）、2（基本满意）或 3（不满意）");
		json_object_set_new(a->f, "rating", json_integer(json_integer_value(r)));
		if (take_text(a, "comment", 500, e) < 0)
			return -1;
		/* Not satisfied: the center reviews it within the verification limit. */
		if (json_integer_value(r) == 3)
			return set_stage_deadline(c, x, a->limits, "verify", a->f, e);
		return 0;
	}
	case FA_SUPERVISE: {
		const char *level = field_text(in, "level");
		int n = !level                         ? 0
		        : strcmp(level, "normal") == 0 ? 1
		        : strcmp(level, "yellow") == 0 ? 2
		        : strcmp(level, "red") == 0    ? 3
		                                       : 0;

		if (!n)
			return dom_err_set(
			        e, 400, "bad_field",
			        "督办级别 level 应为 normal（督办）、yellow（黄牌）或 red（红牌）");
		json_object_set_new(a->f, "level", json_integer(n));
		return take_text(a, "message", 1000, e);
	}
	case FA_REMIND: return take_text(a, "message", 1000, e);
	case FA_REPORT:
	case FA_COUNT: break;
	}
	return dom_err_set(e, 400, "bad_action", "不支持的操作");
}

static int act_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct act_arg *a = w->arg;
	const struct principal *p = x->caller;

	if (load_matter(c, a, e) < 0)
		return -1;
	if (!a->resident && !caller_sees_matter(p, a))
		return dom_err_set(e, 404, "not_found", "事项不存在");
	if (a->in->version != a->v.version)
		return dom_err_set(e, 409, "version_conflict",
		                   "该事项已被他人处理（当前版本 %d），请刷新后重试", a->v.version);
	if (a->resident && a->v.rating)
		return dom_err_set(e, 409, "already_rated", "您已评价过，不能重复评价");
	a->row = flow_find(a->v.state, a->in->action);
	if (!a->row)
		return dom_err_set(e, 409, "bad_transition", "事项处于“%s”状态，不能执行“%s”操作",
		                   flow_state_label(a->v.state), flow_action_label(a->in->action));
	if (a->resident ? a->row->who != FW_RESIDENT
	                : (!access_can(p, a->row->permission) ||
	                   !matter_caller_is(p, a->row->who, &a->v, a->grid_id, a->path,
	                                     a->in->action, &a->assignment)))
		return dom_err_set(e, 403, "not_your_turn", "该事项当前不由您执行“%s”操作",
		                   flow_action_label(a->in->action));
	if (required_fields(a->row, a->in->fields, e) < 0)
		return -1;
	return build_fields(c, x, a, e);
}

static int act_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                     struct dom_err *e)
{
	struct act_arg *a = w->arg;
	enum flow_state from = a->v.state;
	struct matter_view before = a->v;

	if (matter_fold(&a->v, flow_action_name(a->in->action), a->f, x->now) < 0)
		return dom_err_set(e, 500, "internal", "事项状态计算失败");
	if (a->v.state != a->row->to && a->v.state != a->row->to_alt)
		return dom_err_set(e, 500, "internal", "事项状态与流程表不符");
	/* Supervision and reminders count for everyone holding the matter now. */
	if (a->in->action == FA_SUPERVISE || a->in->action == FA_REMIND) {
		const char *key = a->in->action == FA_SUPERVISE ? "supervised" : "reminded";

		if (matter_org_count(c, a->v.owner_org_id, key, 1) < 0)
			return dom_err_store(e, -1);
		for (int i = 0; i < a->v.nassign; i++)
			if (assignment_open(&a->v.a[i]) &&
			    matter_org_count(c, a->v.a[i].org_id, key, 1) < 0)
				return dom_err_store(e, -1);
	}
	if (view_save(c, &before, &a->v, x->now, e) < 0 ||
	    photos_to_fields(a->f, a->in->photos, a->in->nphotos, e) < 0 ||
	    event_append(c, x, a->v.id, a->v.version, flow_action_name(a->in->action),
	                 flow_state_name(from), flow_state_name(a->v.state), a->f, e) < 0 ||
	    photos_link(c, x, a->v.id, a->v.version, a->in->photos, a->in->nphotos, e) < 0)
		return -1;
	dom_write_detail(w, "%s：%s → %s，照片 %zu 张", flow_action_label(a->in->action),
	                 flow_state_label(from), flow_state_label(a->v.state), a->in->nphotos);
	return 0;
}

/* The request fields each action may carry besides "action" and "version". */
static int fields_known(enum flow_action action, const json_t *fields, struct dom_err *e)
{
	static const struct {
		enum flow_action action;
		const char *names;
	} allowed[] = {
		{ FA_SELF_HANDLE, " result " },
		{ FA_ACCEPT, " " },
		{ FA_REJECT, " reason " },
		{ FA_ESCALATE, " reason " },
		{ FA_HANDLE, " " },
		{ FA_ASSIGN, " org requirements due working_days " },
		{ FA_DISPATCH, " departments " },
		{ FA_SIGN, " assignment " },
		{ FA_RETURN, " basis assignment " },
		{ FA_PROGRESS, " note assignment " },
		{ FA_REQUEST_EXTENSION, " due reason assignment " },
		{ FA_APPROVE_EXTENSION, " assignment " },
		{ FA_DENY_EXTENSION, " assignment reason " },
		{ FA_EXPLAIN_OVERDUE, " explanation assignment " },
		{ FA_SUBMIT, " result assignment " },
		{ FA_VERIFY, " note " },
		{ FA_REWORK, " reason " },
		{ FA_CLOSE, " note " },
		{ FA_FEEDBACK, " message " },
		{ FA_MARK_SPAM, " reason " },
		{ FA_RATE, " rating comment " },
		{ FA_UPHOLD, " reason " },
		{ FA_SUPERVISE, " level message " },
		{ FA_REMIND, " message " },
	};
	const char *names = NULL;
	const char *key;
	const json_t *v;

	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (allowed[i].action == action)
			names = allowed[i].names;
	if (!names)
		return dom_err_set(e, 400, "bad_action", "不支持的操作");
	json_object_foreach((json_t *)fields, key, v)
	{
		char probe[48];

		if (strcmp(key, "action") == 0 || strcmp(key, "version") == 0)
			continue;
		snprintf(probe, sizeof probe, " %.40s ", key);
		if (!strstr(names, probe))
			return dom_err_set(e, 400, "unknown_field", "“%s”操作不接受字段 %s",
			                   flow_action_label(action), key);
		if (strcmp(key, "departments") != 0 && !json_is_string(v) && !json_is_integer(v))
			return dom_err_set(e, 400, "bad_field", "字段 %s 的类型不对", key);
	}
	if (action == FA_DISPATCH) {
		size_t i;
		const json_t *it;

		json_array_foreach(json_object_get(fields, "departments"), i, it)
		{
			json_object_foreach((json_t *)it, key, v)
			{
				char probe[48];

				snprintf(probe, sizeof probe, " %.40s ", key);
				if (!strstr(" org role due working_days requirements ", probe))
					return dom_err_set(e, 400, "unknown_field",
					                   "departments 中不接受字段 %s", key);
			}
		}
	}
	return 0;
}

int matter_action_check(const struct matter_action *in, struct dom_err *e)
{
	if (in->action == FA_REPORT || in->action < 0 || in->action >= FA_COUNT)
		return dom_err_set(e, 400, "bad_action", "不支持的操作");
	if (!json_is_object(in->fields))
		return dom_err_set(e, 400, "bad_body", "请求体应为 JSON 对象");
	if (fields_known(in->action, in->fields, e) < 0)
		return -1;
	if (in->version < 1)
		return dom_err_set(e, 400, "missing_field", "请给出事项的版本号（version）");
	return matter_photos_check(in->action, in->photos, in->nphotos, e);
}

int matter_act(const struct dom_ctx *x, const struct matter_action *in, struct dom_err *e)
{
	struct act_arg a = { .in = in };
	char audit_action[48];
	struct dom_write w = { .action = audit_action,
		               .permission = "matter.act",
		               .authorize = act_authorize,
		               .apply = act_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	int rc = -1;

	if (matter_action_check(in, e) < 0)
		return -1;
	snprintf(audit_action, sizeof audit_action, "matter.%s", flow_action_name(in->action));
	a.f = json_object();
	if (!a.f)
		return dom_err_set(e, 500, "internal", "内部错误");
	dom_write_object(&w, "matter:%lld", (long long)in->matter_id);
	rc = dom_write(x, &w, e);
	if (rc == 0) /* after the commit: the live streams */
		matter_feed_note(x, in->matter_id,
		                 a.row->from != a.v.state ? MATTER_FEED_STATE : MATTER_FEED_UPDATE);
	json_decref(a.f);
	json_decref(a.limits);
	return rc;
}

/* ---- residents ---- */

static const char tracking_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* 32, no 0/1/I/O */

int matter_tracking_hash(const struct dom_ctx *x, const char *code,
                         char out[2 * MATTER_TRACKING_HASH_BYTES + 1])
{
	unsigned char h[MATTER_TRACKING_HASH_BYTES];
	char norm[MATTER_TRACKING_CHARS + 1];
	size_t n = 0;

	/* Case and separators do not matter to a person typing the code. */
	for (const char *p = code; p && *p && n < MATTER_TRACKING_CHARS + 1; p++) {
		char ch = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);

		if (ch == '-' || ch == ' ')
			continue;
		if (!strchr(tracking_alphabet, ch) || n == MATTER_TRACKING_CHARS)
			return -1;
		norm[n++] = ch;
	}
	if (n != MATTER_TRACKING_CHARS)
		return -1;
	norm[n] = '\0';
	crypto_generichash(h, sizeof h, (const unsigned char *)norm, n, x->audit_key,
	                   x->audit_key ? AUDIT_KEY_LEN : 0);
	sodium_bin2hex(out, 2 * MATTER_TRACKING_HASH_BYTES + 1, h, sizeof h);
	return 0;
}

int matter_public_report(const struct dom_ctx *x, const struct matter_report *in,
                         const char *contact, char code[MATTER_TRACKING_CHARS + 1], int64_t *id,
                         struct dom_err *e)
{
	struct matter_report r_in = *in;
	struct report_arg r = { .in = &r_in, .public_report = 1, .contact = contact };
	struct dom_write w = { .action = "matter.public_report",
		               .permission = "public",
		               .authorize = report_authorize,
		               .apply = report_apply,
		               .arg = &r,
		               .callers_unchanged = 1 };
	unsigned char rnd[MATTER_TRACKING_CHARS];

	r_in.source = "resident";
	if (!contact || !text_ok(contact, 60))
		return dom_err_set(e, 400, "bad_contact",
		                   "请留下联系方式（电话或其他，1 至 60 个字符）");
	if (!in->item || !*in->item)
		return dom_err_set(e, 400, "missing_field", "请选择反映的事项类别");
	if (!text_ok(in->title, MATTER_TITLE_CHARS))
		return dom_err_set(e, 400, "bad_field", "标题须为 1 至 %d 个字符",
		                   MATTER_TITLE_CHARS);
	if (!text_ok(in->description, MATTER_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "描述须为 1 至 %d 个字符",
		                   MATTER_TEXT_CHARS);
	if (in->address && *in->address && !text_ok(in->address, 200))
		return dom_err_set(e, 400, "bad_field", "地址须为 1 至 200 个字符");
	if (!in->grid_code || !*in->grid_code)
		return dom_err_set(e, 400, "missing_location", "请提供位置或选择网格");
	if (matter_photos_check(FA_REPORT, in->photos, in->nphotos, e) < 0)
		return -1;
	randombytes_buf(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		code[i] = tracking_alphabet[rnd[i] & 31];
	code[MATTER_TRACKING_CHARS] = '\0';
	if (matter_tracking_hash(x, code, r.tracking_hash) < 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	dom_write_object(&w, "grid:%s", in->grid_code);
	if (dom_write(x, &w, e) < 0) {
		sodium_memzero(code, MATTER_TRACKING_CHARS + 1);
		return -1;
	}
	*id = r.id;
	return 0;
}

/* The matter of a tracking code and its version, on this thread's reader. 1, 0 unknown, -1. */
int matter_by_tracking(const struct dom_ctx *x, const char *code, int64_t *id, int *version)
{
	char hash[2 * MATTER_TRACKING_HASH_BYTES + 1];
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	int rc;

	if (matter_tracking_hash(x, code, hash) < 0)
		return 0;
	if (!c ||
	    !(st = store_prepare(c, "SELECT id, version FROM matters WHERE tracking_hash = ?")))
		return -1;
	store_bind_text(st, 1, hash, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*id = store_col_int64(st, 0);
		*version = (int)store_col_int64(st, 1);
	}
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

int matter_rate(const struct dom_ctx *x, const char *code, int rating, const char *comment,
                struct dom_err *e)
{
	json_t *fields = json_pack("{s:i}", "rating", rating);
	struct matter_action in = { .action = FA_RATE };
	struct act_arg a = { .in = &in, .resident = 1 };
	struct dom_write w = { .action = "matter.rate",
		               .permission = "public",
		               .authorize = act_authorize,
		               .apply = act_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	int rc;

	if (!fields)
		return dom_err_set(e, 500, "internal", "内部错误");
	if (comment && *comment)
		json_object_set_new(fields, "comment", json_string(comment));
	in.fields = fields;
	rc = matter_by_tracking(x, code, &in.matter_id, &in.version);
	if (rc <= 0) {
		json_decref(fields);
		return rc < 0 ? dom_err_read(e)
		              : dom_err_set(e, 404, "not_found", "查询码不正确，或事项不存在");
	}
	a.f = json_object();
	dom_write_object(&w, "matter:%lld", (long long)in.matter_id);
	rc = a.f ? dom_write(x, &w, e) : dom_err_set(e, 500, "internal", "内部错误");
	json_decref(a.f);
	json_decref(a.limits);
	json_decref(fields);
	return rc;
}
