/*
 * The time side of matters: the scheduler's step that turns matters and assignments yellow at
 * the warning share of their limit and red when overdue (run by `serve` on its own thread, and by
 * the internal tick route in tests), and the consistency check `wangge check` runs: the
 * projection folded again from the events, and the counters against a GROUP BY.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "domain/matter.h"
#include "domain/matter_feed.h"
#include "domain/matter_internal.h"
#include "store/store.h"

/* At most this many rows change colour per write, so one tick never holds the writer long; the
   scheduler runs again at once while rows are left. */
#define TICK_BATCH 500

struct tick_arg {
	int64_t changed;
	int more;
	/* The matters whose colour changed, for the live streams after the commit. */
	size_t nids;
	int64_t ids[2 * TICK_BATCH];
};

static int tick_matters(struct store_conn *c, int64_t now, struct tick_arg *t, struct dom_err *e)
{
	/* Red first, then yellow: a matter past both gets red in one step. */
	static const char *const queries[2] = {
		"SELECT id, state, category, alert, city_code, coalesce(county_code, ''), "
		"coalesce(township_code, ''), due_at, warn_at, owner_org_id FROM matters WHERE "
		"alert "
		"< 2 AND due_at IS NOT NULL AND due_at <= ? LIMIT ?",
		"SELECT id, state, category, alert, city_code, coalesce(county_code, ''), "
		"coalesce(township_code, ''), due_at, warn_at, owner_org_id FROM matters WHERE "
		"alert "
		"< 1 AND warn_at IS NOT NULL AND warn_at <= ? LIMIT ?",
	};
	for (int q = 0; q < 2; q++) {
		struct store_stmt *st = store_prepare(c, queries[q]);
		struct row {
			int64_t id, owner;
			char state[16], category[64], codes[3][13];
			int alert, next;
		} *rows = NULL;
		int n = 0, rc;

		if (!st)
			return dom_err_store(e, -1);
		rows = calloc(TICK_BATCH, sizeof *rows);
		if (!rows)
			return dom_err_set(e, 500, "internal", "内存不足");
		store_bind_int64(st, 1, now);
		store_bind_int64(st, 2, TICK_BATCH);
		while ((rc = store_step(st)) == STORE_ROW && n < TICK_BATCH) {
			struct row *r = &rows[n++];

			r->id = store_col_int64(st, 0);
			dom_copy(r->state, sizeof r->state, store_col_text(st, 1));
			dom_copy(r->category, sizeof r->category, store_col_text(st, 2));
			r->alert = (int)store_col_int64(st, 3);
			for (int k = 0; k < 3; k++)
				dom_copy(r->codes[k], sizeof r->codes[k],
				         store_col_text(st, 4 + k));
			r->next = matter_alert_at(store_col_int64(st, 7), store_col_int64(st, 8),
			                          now);
			r->owner = store_col_int64(st, 9);
		}
		store_reset(st);
		if (n == TICK_BATCH)
			t->more = 1;
		for (int i = 0; i < n; i++) {
			struct row *r = &rows[i];
			const char *codes[3] = { r->codes[0], r->codes[1], r->codes[2] };

			if (r->next <= r->alert)
				continue;
			if (dom_exec(c, e,
			             "UPDATE matters SET alert = ?, ever_red = ever_red OR ? = 2 "
			             "WHERE id "
			             "= ?",
			             "iii", (int64_t)r->next, (int64_t)r->next, r->id) < 0 ||
			    (r->alert &&
			     matter_org_count(c, r->owner, r->alert == 2 ? "red" : "yellow", -1) <
			             0) ||
			    matter_org_count(c, r->owner, r->next == 2 ? "red" : "yellow", 1) < 0 ||
			    matter_counters_move(c, codes, r->category, r->state, r->alert,
			                         r->state, r->next) < 0) {
				free(rows);
				return e->status ? -1 : dom_err_store(e, -1);
			}
			t->changed++;
			if (t->nids < sizeof t->ids / sizeof t->ids[0])
				t->ids[t->nids++] = r->id;
		}
		free(rows);
	}
	return 0;
}

/* Open work of organisations changes colour the same way, with their yellow and red counts. */
static int tick_assignments(struct store_conn *c, int64_t now, struct tick_arg *t,
                            struct dom_err *e)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT matter_id, n, org_id, alert, due_at, warn_at FROM matter_assignments "
	           "WHERE status IN ('pending', 'signed') AND ((alert < 2 AND due_at <= ?1) OR "
	           "(alert < 1 AND warn_at <= ?1)) LIMIT ?2");
	struct arow {
		int64_t matter, org;
		int n, alert, next;
	} * rows;
	int k = 0, rc = 0;

	if (!st)
		return dom_err_store(e, -1);
	rows = calloc(TICK_BATCH, sizeof *rows);
	if (!rows)
		return dom_err_set(e, 500, "internal", "内存不足");
	store_bind_int64(st, 1, now);
	store_bind_int64(st, 2, TICK_BATCH);
	while (k < TICK_BATCH && store_step(st) == STORE_ROW) {
		rows[k].matter = store_col_int64(st, 0);
		rows[k].n = (int)store_col_int64(st, 1);
		rows[k].org = store_col_int64(st, 2);
		rows[k].alert = (int)store_col_int64(st, 3);
		rows[k].next = matter_alert_at(store_col_int64(st, 4), store_col_int64(st, 5), now);
		k++;
	}
	store_reset(st);
	if (k == TICK_BATCH)
		t->more = 1;
	for (int i = 0; i < k && rc == 0; i++) {
		struct arow *r = &rows[i];

		if (r->next <= r->alert)
			continue;
		if (dom_exec(
		            c, e,
		            "UPDATE matter_assignments SET alert = ? WHERE matter_id = ? AND n = ?",
		            "iii", (int64_t)r->next, r->matter, (int64_t)r->n) < 0 ||
		    (r->alert &&
		     matter_org_count(c, r->org, r->alert == 2 ? "red" : "yellow", -1) < 0) ||
		    matter_org_count(c, r->org, r->next == 2 ? "red" : "yellow", 1) < 0)
			rc = e->status ? -1 : dom_err_store(e, -1);
		else
			t->changed++;
	}
	free(rows);
	return rc;
}

static int tick_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	struct tick_arg *t = w->arg;

	if (tick_matters(c, x->now, t, e) < 0)
		return -1;
	if (tick_assignments(c, x->now, t, e) < 0)
		return -1;
	dom_write_detail(w, "时限预警：%lld 项变色", (long long)t->changed);
	return 0;
}

/* Something to do at now? Read first, so an idle tick writes nothing (not even an audit
   record). */
static int tick_due(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	int found = 0;

	if (!c)
		return -1;
	st = store_prepare(c, "SELECT EXISTS (SELECT 1 FROM matters WHERE alert < 2 AND due_at "
	                      "<= ?1) OR EXISTS (SELECT 1 FROM matters WHERE alert < 1 AND warn_at "
	                      "<= ?1) OR EXISTS (SELECT 1 FROM matter_assignments WHERE alert < 1 "
	                      "AND warn_at <= ?1 AND status IN ('pending', 'signed')) OR EXISTS "
	                      "(SELECT 1 FROM matter_assignments WHERE alert < 2 AND due_at <= ?1 "
	                      "AND status IN ('pending', 'signed'))");
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, x->now);
	if (store_step(st) == STORE_ROW)
		found = store_col_int64(st, 0) != 0;
	store_reset(st);
	return found;
}

int matter_alerts_tick(const struct dom_ctx *x, int64_t *changed, struct dom_err *e)
{
	struct tick_arg t = { 0 };
	struct dom_write w = { .action = "matter.alerts",
		               .permission = "matter.schedule",
		               .authorize = dom_authorize_any, /* the system's own step */
		               .apply = tick_apply,
		               .arg = &t,
		               .callers_unchanged = 1 };
	int due;

	*changed = 0;
	do {
		t.more = 0;
		t.nids = 0;
		due = tick_due(x, e);
		if (due <= 0)
			return due;
		dom_write_object(&w, "matters");
		if (dom_write(x, &w, e) < 0)
			return -1;
		/* after the commit: the live streams */
		matter_feed_note_many(x, t.ids, t.nids, MATTER_FEED_ALERT);
		*changed += t.changed;
		t.changed = 0;
	} while (t.more);
	return 0;
}

/* ---- the check ---- */

static int compare_view(const struct matter_view *a, const struct matter_view *b,
                        struct buf *report)
{
	int diffs = 0;

#define DIFF(cond, what)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			buf_printf(report, "matter %lld: %s differs from its events\n",            \
			           (long long)b->id, what);                                        \
			diffs++;                                                                   \
		}                                                                                  \
	} while (0)
	DIFF(a->state != b->state, "state");
	DIFF(a->owner_org_id != b->owner_org_id, "holding center");
	DIFF(strcmp(a->handler, b->handler) != 0, "handler");
	DIFF(a->due_at != b->due_at || a->warn_at != b->warn_at, "deadline");
	DIFF(a->version != b->version, "version");
	DIFF(a->closed_at != b->closed_at, "closing time");
	DIFF(a->rating != b->rating || a->spam != b->spam, "rating or spam mark");
	DIFF(a->supervision != b->supervision || a->reminders != b->reminders,
	     "supervision or reminders");
	DIFF(a->nassign != b->nassign, "number of assignments");
	for (int i = 0; i < a->nassign && i < b->nassign; i++) {
		const struct matter_assignment *x = &a->a[i], *y = &b->a[i];

		DIFF(x->n != y->n || x->org_id != y->org_id || strcmp(x->status, y->status) != 0 ||
		             strcmp(x->role, y->role) != 0 || strcmp(x->kind, y->kind) != 0 ||
		             x->due_at != y->due_at || x->warn_at != y->warn_at ||
		             x->explained != y->explained ||
		             x->extension_due_at != y->extension_due_at,
		     "an assignment");
	}
#undef DIFF
	return diffs;
}

static int check_one(struct store_conn *c, struct store_stmt *ev, int64_t id, struct buf *report)
{
	struct matter_view folded, stored;
	int rc, diffs = 0;

	memset(&folded, 0, sizeof folded);
	store_bind_int64(ev, 1, id);
	while ((rc = store_step(ev)) == STORE_ROW) {
		json_t *f = json_loads(store_col_text(ev, 1), 0, NULL);
		int bad = !f || matter_fold(&folded, store_col_text(ev, 0), f,
		                            store_col_int64(ev, 2)) < 0;

		json_decref(f);
		if (bad) {
			buf_printf(report, "matter %lld: event %lld does not apply\n",
			           (long long)id, (long long)store_col_int64(ev, 3));
			diffs++;
			break;
		}
	}
	store_reset(ev);
	folded.id = id;
	if (matter_view_load(c, id, &stored) != 1)
		return -1;
	return diffs + compare_view(&folded, &stored, report);
}

#define OPEN_STATES "('reported', 'accepted', 'in_progress', 'done', 'verified', 'reviewing')"
/* The other counters against a count, both ways: each query answers the number of rows that
   differ. */
static const struct {
	const char *what, *sql;
} other_counters[] = {
	{ "open-per-grid cells",
	  "WITH g AS (SELECT grid_id, count(*) AS n FROM matters WHERE grid_id IS NOT NULL AND "
	  "state "
	  "IN " OPEN_STATES
	  " GROUP BY 1), k AS (SELECT grid_id, n FROM matter_grid_open WHERE n > 0) "
	  "SELECT count(*) FROM (SELECT * FROM g EXCEPT SELECT * FROM k UNION ALL SELECT * FROM "
	  "(SELECT * FROM k EXCEPT SELECT * FROM g))" },
	{ "reports-per-day cells",
	  "WITH d AS (SELECT city_code AS r, county_code AS c, township_code AS t, "
	  "strftime('%Y-%m-%d', "
	  "created_at + 28800, 'unixepoch') AS day, source, category FROM matters), g AS (SELECT "
	  "r, "
	  "day, source, category, count(*) FROM d GROUP BY 1, 2, 3, 4 UNION ALL SELECT c, day, "
	  "source, category, count(*) FROM d WHERE c IS NOT NULL GROUP BY 1, 2, 3, 4 UNION ALL "
	  "SELECT t, day, source, category, count(*) FROM d WHERE t IS NOT NULL GROUP BY 1, 2, 3, "
	  "4), "
	  "k AS (SELECT region_code, day, source, category, n FROM matter_daily WHERE n > 0) "
	  "SELECT "
	  "count(*) FROM (SELECT * FROM g EXCEPT SELECT * FROM k UNION ALL SELECT * FROM (SELECT * "
	  "FROM k EXCEPT SELECT * FROM g))" },
	{ "yellow/red-per-organisation cells",
	  "WITH marks(org, key) AS (SELECT owner_org_id, CASE alert WHEN 2 THEN 'red' ELSE "
	  "'yellow' "
	  "END FROM matters WHERE alert > 0 AND state IN " OPEN_STATES
	  " UNION ALL SELECT a.org_id, "
	  "CASE a.alert WHEN 2 THEN 'red' ELSE 'yellow' END FROM matter_assignments a JOIN matters "
	  "m "
	  "ON m.id = a.matter_id WHERE a.alert > 0 AND a.status IN ('pending', 'signed') AND "
	  "m.state "
	  "IN " OPEN_STATES "), g AS (SELECT org, key, count(*) FROM marks GROUP BY 1, 2), k AS "
	  "(SELECT org_id, key, n FROM matter_org_counters WHERE key IN ('yellow', 'red') AND n > "
	  "0) "
	  "SELECT count(*) FROM (SELECT * FROM g EXCEPT SELECT * FROM k UNION ALL SELECT * FROM "
	  "(SELECT * FROM k EXCEPT SELECT * FROM g))" },
};

int matter_check_projection(struct store_conn *c, struct buf *report)
{
	struct store_stmt *ids, *ev, *cnt;
	int64_t last = 0, diffs = 0;
	int rc;

	ev = store_prepare(c,
	                   "SELECT action, fields, at, seq FROM matter_events WHERE matter_id = ? "
	                   "ORDER BY seq");
	ids = store_prepare(c, "SELECT id FROM matters WHERE id > ? ORDER BY id LIMIT 1000");
	if (!ev || !ids)
		return -1;
	for (;;) {
		int64_t batch[1000];
		int n = 0;

		store_bind_int64(ids, 1, last);
		while ((rc = store_step(ids)) == STORE_ROW && n < 1000)
			batch[n++] = store_col_int64(ids, 0);
		store_reset(ids);
		if (rc != STORE_DONE && rc != STORE_ROW)
			return -1;
		for (int i = 0; i < n; i++) {
			int d = check_one(c, ev, batch[i], report);

			if (d < 0)
				return -1;
			diffs += d;
		}
		if (n < 1000)
			break;
		last = batch[n - 1];
	}
	/* The counters against a GROUP BY over the matters, both ways. */
	cnt = store_prepare(
	        c,
	        "WITH g(region_code, state, category, alert, n) AS ("
	        "SELECT city_code, state, category, alert, count(*) FROM matters GROUP BY 1, 2, 3, "
	        "4 "
	        "UNION ALL SELECT county_code, state, category, alert, count(*) FROM matters WHERE "
	        "county_code IS NOT NULL GROUP BY 1, 2, 3, 4 UNION ALL SELECT township_code, "
	        "state, "
	        "category, alert, count(*) FROM matters WHERE township_code IS NOT NULL GROUP BY "
	        "1, 2, 3, 4), k AS (SELECT region_code, state, category, alert, n FROM "
	        "matter_counters WHERE n > 0) SELECT count(*) FROM (SELECT * FROM g EXCEPT SELECT "
	        "* FROM k UNION ALL SELECT * FROM (SELECT * FROM k EXCEPT SELECT * FROM g))");
	if (!cnt)
		return -1;
	if (store_step(cnt) == STORE_ROW && store_col_int64(cnt, 0) > 0) {
		buf_printf(report,
		           "matter counters: %lld cells differ from a count of the matters\n",
		           (long long)store_col_int64(cnt, 0));
		diffs++;
	}
	store_reset(cnt);
	for (size_t k = 0; k < sizeof other_counters / sizeof other_counters[0]; k++) {
		cnt = store_prepare(c, other_counters[k].sql);
		if (!cnt)
			return -1;
		if (store_step(cnt) == STORE_ROW && store_col_int64(cnt, 0) > 0) {
			buf_printf(report,
			           "matter counters: %lld %s differ from a count of the matters\n",
			           (long long)store_col_int64(cnt, 0), other_counters[k].what);
			diffs++;
		}
		store_reset(cnt);
	}
	/* The photo links against the events that list them (the first event of each photo). */
	cnt = store_prepare(
	        c, "WITH e(matter_id, hash, event_seq) AS (SELECT ev.matter_id, j.value, "
	           "min(ev.seq) FROM matter_events ev, json_each(ev.fields, '$.photos') j WHERE "
	           "ev.fields LIKE '%\"photos\"%' GROUP BY 1, 2), p AS (SELECT matter_id, hash, "
	           "event_seq FROM matter_photos) SELECT count(*) FROM (SELECT * FROM e EXCEPT "
	           "SELECT * FROM p UNION ALL SELECT * FROM (SELECT * FROM p EXCEPT SELECT * FROM "
	           "e))");
	if (!cnt)
		return -1;
	if (store_step(cnt) == STORE_ROW && store_col_int64(cnt, 0) > 0) {
		buf_printf(report,
		           "matter photos: %lld links differ from the photos the events list\n",
		           (long long)store_col_int64(cnt, 0));
		diffs++;
	}
	store_reset(cnt);
	return (int)(diffs > 1000000 ? 1000000 : diffs);
}
