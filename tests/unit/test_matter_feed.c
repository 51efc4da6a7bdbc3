/*
 * The change feed of matters (domain/matter_feed.h): the ring wraps and tells a reader whose
 * cursor fell off it; a reader resumes after any change still in the ring and never sees a
 * change twice; ids of another run are refused. And the scope rule in C against the SQL one:
 * on the demo city, matters reported in grids of several counties and handed to departments,
 * the set of matters the feed's changes let through for each principal (grid worker, township
 * and county centers, two departments, the system, the anonymous caller) equals the set
 * matter_list returns to that principal, among the matters the changes are about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "base/clock.h"
#include "domain/calendar.h"
#include "domain/caller.h"
#include "domain/demo.h"
#include "domain/demo_accounts.h"
#include "domain/demo_matter_items.h"
#include "domain/flow.h"
#include "domain/matter.h"
#include "domain/matter_feed.h"
#include "idfx.h"

/* ---- the ring ---- */

static struct matter_change change_of(int64_t matter_id)
{
	struct matter_change ch;

	memset(&ch, 0, sizeof ch);
	ch.matter_id = matter_id;
	ch.kind = MATTER_FEED_STATE;
	snprintf(ch.state, sizeof ch.state, "accepted");
	ch.version = 2;
	ch.at = 1780000000;
	snprintf(ch.keys.city, sizeof ch.keys.city, "371500000000");
	snprintf(ch.keys.path, sizeof ch.keys.path, "371500000000/");
	return ch;
}

static int listened;
static void count_listen(const struct matter_change *ch, void *arg)
{
	(void)ch;
	(void)arg;
	listened++;
}

static void test_ring_wrap_and_resume(void **state)
{
	const struct principal *sys = access_system();
	struct matter_change out;
	uint64_t cur;
	(void)state;

	assert_int_equal(matter_feed_open(4, 1000), 0);
	matter_feed_listen(count_listen, NULL);
	listened = 0;
	assert_int_equal(matter_feed_next_seq(), 1001);
	cur = 1001;
	assert_int_equal(matter_feed_read(&cur, sys, &out), 0); /* nothing yet */
	assert_int_equal(cur, 1001);
	for (int64_t id = 1; id <= 6; id++) {
		struct matter_change ch = change_of(id);

		assert_int_equal(matter_feed_append(&ch), 1000 + (uint64_t)id);
	}
	assert_int_equal(listened, 6);
	assert_int_equal(matter_feed_next_seq(), 1007);
	/* Four slots: 1003..1006 remain; 1001 and 1002 fell off. */
	cur = 1001;
	assert_int_equal(matter_feed_read(&cur, sys, &out), -1);
	cur = 1002;
	assert_int_equal(matter_feed_read(&cur, sys, &out), -1);
	/* Resume after 1004 (cursor 1005): 1005, 1006, then nothing, each once. */
	cur = 1005;
	assert_int_equal(matter_feed_read(&cur, sys, &out), 1);
	assert_int_equal(out.seq, 1005);
	assert_int_equal(out.matter_id, 5);
	assert_int_equal(matter_feed_read(&cur, sys, &out), 1);
	assert_int_equal(out.seq, 1006);
	assert_int_equal(matter_feed_read(&cur, sys, &out), 0);
	assert_int_equal(cur, 1007);
	/* Ids of another run (at or below the base) and ahead of the feed are refused. */
	cur = 1000;
	assert_int_equal(matter_feed_read(&cur, sys, &out), -1);
	cur = 17;
	assert_int_equal(matter_feed_read(&cur, sys, &out), -1);
	cur = 1008;
	assert_int_equal(matter_feed_read(&cur, sys, &out), -1);
	/* A reader that may see nothing steps over everything and ends caught up. */
	cur = 1003;
	assert_int_equal(matter_feed_read(&cur, access_anonymous(), &out), 0);
	assert_int_equal(cur, 1007);
	/* The event's data. */
	{
		char json[320];
		struct matter_change ch = change_of(9);

		ch.seq = 1234;
		ch.alert = 2;
		assert_true(matter_change_json(&ch, json, sizeof json) > 0);
		assert_string_equal(json, "{\"seq\":1234,\"matter\":9,\"kind\":\"state\",\"state\":"
		                          "\"accepted\",\"alert\":\"red\",\"version\":2,\"at\":"
		                          "\"2026-05-29T04:26:40+08:00\"}");
		assert_int_equal(matter_change_json(&ch, json, 20), -1);
	}
	matter_feed_listen(NULL, NULL);
	matter_feed_close();
	/* Closed: appends go nowhere. */
	{
		struct matter_change ch = change_of(1);

		assert_int_equal(matter_feed_append(&ch), 0);
	}
}

/* ---- the scope rule against matter_scope_sql ---- */

struct fx {
	struct idfx f;
	struct demo_account acc[DEMO_ACCOUNT_MAX];
	int nacc;
};

static const struct demo_account *account(struct fx *x, const char *username)
{
	for (int i = 0; i < x->nacc; i++)
		if (strcmp(x->acc[i].username, username) == 0)
			return &x->acc[i];
	return NULL;
}

/* A stand-in calendar for this year and the next two where the shipped one ends. */
static int stand_in_calendars(struct idfx *f)
{
	int y, m, d;

	clock_civil_from_days(f->x.now / 86400, &y, &m, &d);
	(void)m;
	(void)d;
	for (int year = y; year <= y + 2; year++) {
		char csv[64], q[96];
		struct dom_err e = { 0 };
		int h = 0, w = 0;

		snprintf(q, sizeof q, "SELECT count(*) FROM calendar_years WHERE year = %d", year);
		if (idfx_count(f, q) > 0)
			continue;
		snprintf(csv, sizeof csv, "%d-01-01,holiday,元旦\n", year);
		if (calendar_load_year(&f->x, year, csv, strlen(csv), "test", &h, &w, &e) < 0)
			return -1;
	}
	return 0;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	struct demo_summary sum;
	char err[256];

	if (!x || idfx_open(&x->f, "matter-feed") < 0 ||
	    idfx_exec(&x->f, "DELETE FROM regions") != 0 ||
	    demo_city_build(&x->f.x, DEMO_TEST, 1, &sum, err, sizeof err) < 0)
		return -1;
	x->nacc = demo_accounts_create(&x->f.x, x->acc, err, sizeof err);
	if (x->nacc <= 0 || demo_matter_items_load(&x->f.x, err, sizeof err) < 0 ||
	    stand_in_calendars(&x->f) < 0)
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	idfx_close(&x->f);
	free(x);
	return 0;
}

static int64_t report_in(struct fx *x, const struct dom_ctx *y, const char *grid)
{
	struct matter_report in = { .source = "patrol",
		                    .item = "CG-001",
		                    .title = "占道经营",
		                    .description = "人行道被摊位占用",
		                    .grid_code = grid };
	struct dom_err e = { 0 };
	int64_t id = 0;

	(void)x;
	if (matter_report(y, &in, &id, &e) < 0) {
		fprintf(stderr, "report in %s: %s\n", grid, e.message);
		return 0;
	}
	return id;
}

static int act(const struct dom_ctx *y, int64_t id, int version, const char *action,
               const char *fields)
{
	json_t *f = json_loads(fields ? fields : "{}", 0, NULL);
	struct matter_action in = { .matter_id = id,
		                    .action = (enum flow_action)flow_action_from_name(action),
		                    .version = version,
		                    .fields = f };
	struct dom_err e = { 0 };
	int rc = matter_act(y, &in, &e);

	if (rc < 0)
		fprintf(stderr, "%s on %lld: %s\n", action, (long long)id, e.message);
	json_decref(f);
	return rc;
}

#define MAX_IDS 256

static int has(const int64_t *ids, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The matters the feed lets p see, among every change since first. */
static int feed_ids(const struct principal *p, uint64_t first, int64_t *ids)
{
	struct matter_change ch;
	uint64_t cur = first;
	int n = 0;

	while (matter_feed_read(&cur, p, &ch) == 1)
		if (!has(ids, n, ch.matter_id) && n < MAX_IDS)
			ids[n++] = ch.matter_id;
	return n;
}

/* The matters matter_list gives p, among those in `among`. */
static int list_ids(struct fx *x, const struct principal *p, const int64_t *among, int namong,
                    int64_t *ids)
{
	struct dom_ctx y;
	struct matter_filter f = { 0 };
	struct dom_page pg = { .limit = DOM_PAGE_MAX };
	struct dom_err e = { 0 };
	int n = 0;

	dom_ctx_as(&y, &x->f.x, p);
	for (;;) {
		json_t *page = matter_list(&y, &f, &pg, &e), *it;
		const char *next;
		size_t i;

		assert_non_null(page);
		json_array_foreach(json_object_get(page, "items"), i, it)
		{
			int64_t id = json_integer_value(json_object_get(it, "id"));

			if (has(among, namong, id) && n < MAX_IDS)
				ids[n++] = id;
		}
		next = json_string_value(json_object_get(page, "next_cursor"));
		if (!next) {
			json_decref(page);
			break;
		}
		/* The cursor is opaque: parse it as the API does. */
		assert_int_equal(dom_page_parse(&pg, NULL, next, &e), 0);
		pg.limit = DOM_PAGE_MAX;
		json_decref(page);
	}
	return n;
}

static void test_scope_rule_matches_sql(void **state)
{
	struct fx *x = *state;
	const char *users[] = { "worker", "township", "operator", "leader", "handler", "handler2" };
	struct caller callers[6];
	int64_t every[MAX_IDS], grid_ids[8] = { 0 };
	char grids[8][32];
	int nevery = 0, ngrids = 0;
	uint64_t first;
	struct store_stmt *st;
	char fields[160];

	assert_int_equal(matter_feed_open(1024, 5000), 0);
	first = matter_feed_next_seq();
	for (int i = 0; i < 6; i++) {
		caller_init(&callers[i]);
		assert_int_equal(caller_get(&x->f.x, account(x, users[i])->user_id, &callers[i]),
		                 1);
	}
	/* Grids: the worker's two, and one in each of a few townships of several counties. */
	for (size_t i = 0; i < callers[0].p.ngrids && ngrids < 2; i++)
		grid_ids[ngrids++] = callers[0].p.grid_ids[i];
	/* A grid of the worker's community it is not bound to: the region rule alone would let
	   the worker see it. */
	st = store_prepare(store_reader(x->f.s),
	                   "SELECT g.id FROM grids g JOIN grids w ON w.id = ? AND g.path = w.path "
	                   "WHERE g.status = 'active' AND g.id NOT IN (SELECT grid_id FROM "
	                   "user_grids WHERE user_id = ?) ORDER BY g.id LIMIT 1");
	store_bind_int64(st, 1, grid_ids[0]);
	store_bind_int64(st, 2, callers[0].p.user_id);
	if (store_step(st) == STORE_ROW)
		grid_ids[ngrids++] = store_col_int64(st, 0);
	store_reset(st);
	assert_int_equal(ngrids, (callers[0].p.ngrids < 2 ? (int)callers[0].p.ngrids : 2) + 1);
	st = store_prepare(store_reader(x->f.s),
	                   "SELECT id FROM grids WHERE status = 'active' AND id IN (SELECT min(id) "
	                   "FROM grids GROUP BY substr(path, 1, 39)) ORDER BY id LIMIT 6");
	while (store_step(st) == STORE_ROW && ngrids < 8)
		grid_ids[ngrids++] = store_col_int64(st, 0);
	store_reset(st);
	assert_true(ngrids >= 4);
	st = store_prepare(store_reader(x->f.s), "SELECT code FROM grids WHERE id = ?");
	for (int i = 0; i < ngrids; i++) {
		store_bind_int64(st, 1, grid_ids[i]);
		assert_int_equal(store_step(st), STORE_ROW);
		dom_copy(grids[i], sizeof grids[i], store_col_text(st, 0));
		store_reset(st);
	}
	/* Reports: the worker in its grids, the system everywhere, a department in its place. */
	for (int i = 0; i < ngrids; i++) {
		struct dom_ctx y;
		int64_t id;

		if (has(callers[0].p.grid_ids, (int)callers[0].p.ngrids, grid_ids[i])) {
			dom_ctx_as(&y, &x->f.x, &callers[0].p);
			id = report_in(x, &y, grids[i]);
		} else {
			id = report_in(x, &x->f.x, grids[i]);
		}
		if (id)
			every[nevery++] = id;
	}
	assert_true(nevery >= 4);
	/* The township accepts the worker's first report and hands it to the first department;
	   the second stays with it. */
	{
		struct dom_ctx y;

		dom_ctx_as(&y, &x->f.x, &callers[1].p);
		assert_int_equal(act(&y, every[0], 1, "accept", NULL), 0);
		snprintf(fields, sizeof fields, "{\"departments\":[{\"org\":%lld}]}",
		         (long long)callers[4].p.org_id);
		assert_int_equal(act(&y, every[0], 2, "dispatch", fields), 0);
		dom_ctx_as(&y, &x->f.x, &callers[4].p);
		assert_int_equal(act(&y, every[0], 3, "sign", NULL), 0);
	}
	/* A month later the open ones turn red: alert changes, noted by the scheduler. */
	{
		struct dom_ctx sys = x->f.x;
		struct dom_err e = { 0 };
		int64_t changed = 0;

		sys.now += 30 * 86400;
		assert_int_equal(matter_alerts_tick(&sys, &changed, &e), 0);
		assert_true(changed >= 1);
	}
	/* Every change is there, the kinds as the writes were. */
	{
		struct matter_change ch;
		uint64_t cur = first;
		int news = 0, states = 0, updates = 0, alerts = 0;

		while (matter_feed_read(&cur, access_system(), &ch) == 1) {
			news += ch.kind == MATTER_FEED_NEW;
			states += ch.kind == MATTER_FEED_STATE;
			updates += ch.kind == MATTER_FEED_UPDATE;
			alerts += ch.kind == MATTER_FEED_ALERT;
		}
		assert_int_equal(news, nevery);
		assert_int_equal(states, 2);  /* accept, dispatch */
		assert_int_equal(updates, 1); /* sign */
		assert_true(alerts >= 1);
	}
	/* For every principal: the feed's set equals the list's set. */
	for (int i = 0; i < 8; i++) {
		const struct principal *p = i < 6    ? &callers[i].p
		                            : i == 6 ? access_system()
		                                     : access_anonymous();
		int64_t a[MAX_IDS], b[MAX_IDS];
		int na = feed_ids(p, first, a), nb = list_ids(x, p, every, nevery, b);

		if (na != nb)
			fprintf(stderr, "principal %d (%s): feed %d, list %d\n", i,
			        i < 6 ? users[i] : "system/anonymous", na, nb);
		assert_int_equal(na, nb);
		for (int k = 0; k < na; k++)
			assert_true(has(b, nb, a[k]));
	}
	/* The rule is not vacuous: the worker, the township and a department each see some and
	   miss some, and the two departments differ. */
	{
		int64_t a[MAX_IDS];
		int nw = feed_ids(&callers[0].p, first, a), nt = feed_ids(&callers[1].p, first, a),
		    nh = feed_ids(&callers[4].p, first, a), nh2 = feed_ids(&callers[5].p, first, a);

		assert_true(nw >= 2 && nw < nevery);
		assert_true(nt >= 2 && nt < nevery);
		assert_int_equal(nh, 1);
		assert_int_equal(nh2, 0);
		assert_int_equal(feed_ids(access_system(), first, a), nevery);
		assert_int_equal(feed_ids(access_anonymous(), first, a), 0);
	}
	for (int i = 0; i < 6; i++)
		caller_release(&callers[i]);
	matter_feed_close();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_wrap_and_resume),
		cmocka_unit_test(test_scope_rule_matches_sql),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
