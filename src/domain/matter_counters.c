/*
 * The dashboard's counters of matters, kept in the write transaction of every event and colour
 * change (see matter.h): by region, state, category and colour (matter_counters); reports per
 * local day by region, source and category (matter_daily); open matters per grid
 * (matter_grid_open); and per organisation what it holds in yellow and red, the supervisions
 * and reminders it received and its closings on time (matter_org_counters). matter_alerts.c's
 * check compares each with a count over the matters.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "domain/matter.h"
#include "domain/matter_internal.h"
#include "store/store.h"

int matter_counters_move(struct store_conn *c, const char *const codes[3], const char *category,
                         const char *state0, int alert0, const char *state1, int alert1)
{
	struct dom_err e = { 0 };

	for (int i = 0; i < 3; i++) {
		if (!codes[i] || !*codes[i])
			continue;
		if (state0 && dom_exec(c, &e,
		                       "UPDATE matter_counters SET n = n - 1 WHERE region_code = ? "
		                       "AND state = ? AND category = ? AND alert = ?",
		                       "ttti", codes[i], state0, category, (int64_t)alert0) < 0)
			return -1;
		if (dom_exec(c, &e,
		             "INSERT INTO matter_counters (region_code, state, category, alert, n) "
		             "VALUES (?, ?, ?, ?, 1) ON CONFLICT (region_code, state, category, "
		             "alert) "
		             "DO UPDATE SET n = n + 1",
		             "ttti", codes[i], state1, category, (int64_t)alert1) < 0)
			return -1;
	}
	return 0;
}

int matter_org_count(struct store_conn *c, int64_t org, const char *key, int delta)
{
	struct dom_err e = { 0 };

	if (!org || !delta)
		return 0;
	if (delta < 0)
		return dom_exec(
		        c, &e,
		        "UPDATE matter_org_counters SET n = n + ? WHERE org_id = ? AND key = ?",
		        "iit", (int64_t)delta, org, key);
	return dom_exec(
	        c, &e,
	        "INSERT INTO matter_org_counters (org_id, key, n) VALUES (?, ?, ?) ON CONFLICT "
	        "(org_id, key) DO UPDATE SET n = n + excluded.n",
	        "iti", org, key, (int64_t)delta);
}

int matter_grid_open_move(struct store_conn *c, int64_t grid_id, int delta)
{
	struct dom_err e = { 0 };

	if (!grid_id || !delta)
		return 0;
	if (delta < 0)
		return dom_exec(c, &e, "UPDATE matter_grid_open SET n = n + ? WHERE grid_id = ?",
		                "ii", (int64_t)delta, grid_id);
	return dom_exec(c, &e,
	                "INSERT INTO matter_grid_open (grid_id, n) VALUES (?, ?) ON CONFLICT "
	                "(grid_id) DO UPDATE SET n = n + excluded.n",
	                "ii", grid_id, (int64_t)delta);
}

void matter_local_day(int64_t t, char out[11])
{
	int y, m, d;

	clock_civil_from_days((t + 8 * 3600) / 86400, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

int matter_daily_add(struct store_conn *c, const char *const codes[3], int64_t at,
                     const char *source, const char *category)
{
	struct dom_err e = { 0 };
	char day[11];

	matter_local_day(at, day);
	for (int i = 0; i < 3; i++) {
		if (!codes[i] || !*codes[i])
			continue;
		if (dom_exec(c, &e,
		             "INSERT INTO matter_daily (region_code, day, source, category, n) "
		             "VALUES "
		             "(?, ?, ?, ?, 1) ON CONFLICT (region_code, day, source, category) DO "
		             "UPDATE SET n = n + 1",
		             "tttt", codes[i], day, source, category) < 0)
			return -1;
	}
	return 0;
}

/* What a matter adds to the organisations' yellow and red counts: its owner center while it is
   open and coloured, and each organisation with open work on it by that work's colour. */
struct org_mark {
	int64_t org;
	int alert;
};

static int marks_of(const struct matter_view *v, int alert, int open, const int *assign_alerts,
                    struct org_mark *out)
{
	int n = 0;

	if (open && alert > 0)
		out[n++] = (struct org_mark){ v->owner_org_id, alert };
	for (int i = 0; i < v->nassign; i++) {
		const struct matter_assignment *a = &v->a[i];
		int open_work =
		        strcmp(a->status, "pending") == 0 || strcmp(a->status, "signed") == 0;

		if (open && open_work && assign_alerts[i] > 0)
			out[n++] = (struct org_mark){ a->org_id, assign_alerts[i] };
	}
	return n;
}

int matter_org_alerts_move(struct store_conn *c, const struct matter_view *before, int alert0,
                           const struct matter_view *after, int alert1, int64_t now)
{
	struct org_mark m0[MATTER_ASSIGN_MAX + 1], m1[MATTER_ASSIGN_MAX + 1];
	int a0[MATTER_ASSIGN_MAX], a1[MATTER_ASSIGN_MAX], n0, n1;
	int used[MATTER_ASSIGN_MAX + 1] = { 0 };

	for (int i = 0; i < before->nassign; i++)
		a0[i] = before->a[i].alert;
	for (int i = 0; i < after->nassign; i++)
		a1[i] = matter_alert_at(after->a[i].due_at, after->a[i].warn_at, now);
	n0 = before->state == FS_NONE
	             ? 0
	             : marks_of(before, alert0, flow_state_open(before->state), a0, m0);
	n1 = marks_of(after, alert1, flow_state_open(after->state), a1, m1);
	/* Unchanged marks cancel; the rest move. */
	for (int i = 0; i < n0; i++) {
		int kept = 0;

		for (int j = 0; j < n1 && !kept; j++)
			if (!used[j] && m1[j].org == m0[i].org && m1[j].alert == m0[i].alert) {
				used[j] = 1;
				kept = 1;
			}
		if (!kept &&
		    matter_org_count(c, m0[i].org, m0[i].alert == 2 ? "red" : "yellow", -1) < 0)
			return -1;
	}
	for (int j = 0; j < n1; j++)
		if (!used[j] &&
		    matter_org_count(c, m1[j].org, m1[j].alert == 2 ? "red" : "yellow", 1) < 0)
			return -1;
	return 0;
}
