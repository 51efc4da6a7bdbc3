/*
 * Unit tests of key-people visits and the registry's data-quality lists
 * (domain/registry_quality.h), on the small tree of test_registry.c: when a key person falls due
 * (shortest interval of the current categories, counted from entering or from the last visit),
 * visits recorded as duty records linked to the person, who may record and read them, and the
 * unverified / no-house / crowded / duplicates lists with their configurable thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/idcard.h"
#include "domain/permissions.h"
#include "domain/duty.h"
#include "domain/registry.h"
#include "domain/registry_quality.h"
#include "registry_people_fx.h"

static int setup(void **state)
{
	static const char *const base[] = { "registry.read", "registry.write", "person.read",
		                            "person.write",  "duty.write",     NULL };

	return fx_setup(state, base);
}

#define DAYS(n) ((int64_t)(n)*86400)

static int64_t new_key_person(const struct dom_ctx *x, const char *first17, int64_t house,
                              const char *tag, const char *date)
{
	struct person_input in = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	char n[19];
	int64_t id = 0;

	in.name = "李强";
	in.id_number = idn(first17, n);
	in.reg_type = "户籍";
	in.house = house ? house : -1;
	in.grid = house ? NULL : G1;
	in.date = date;
	in.tags_enter[0] = tag;
	in.n_enter = 1;
	if (person_create(x, &in, &id, &e) < 0)
		fail_msg("%s: %s", e.code, e.message);
	return id;
}

static int visit(const struct dom_ctx *x, int64_t person, const char *duty, struct dom_err *e)
{
	struct duty_input in = { .duty = duty, .grid = G1, .person_id = person };
	struct principal p = *x->caller;
	struct dom_ctx y = *x;
	int64_t id = 0;

	p.user_id = 0; /* the fixture has no users table rows (recorded_by references one) */
	y.caller = &p;
	return duty_create(&y, &in, &id, e);
}

/* The ids in a page's items, as a count and the first. */
static size_t items(json_t *page, int64_t *first)
{
	json_t *a = json_object_get(page, "items");

	assert_non_null(a);
	if (first)
		*first = json_array_size(a)
		                 ? json_integer_value(json_object_get(json_array_get(a, 0), "id"))
		                 : 0;
	return json_array_size(a);
}

static json_t *due(const struct dom_ctx *x, const char *reason, struct dom_err *e)
{
	struct dom_page pg = { .limit = 50 };

	return person_visits_due(x, NULL, reason, &pg, e);
}

static void test_visits_due(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->officer), op = as(f, &f->op);
	struct dom_err e = { 0 };
	int64_t house = new_house(&x, G1), weekly, monthly, first = 0;
	json_t *page;

	/* Entered 2026-05-20; now is 2026-06-01 12:00: the weekly one is due since 05-27. */
	weekly = new_key_person(&x, "37150219800101001", house, "社区矫正对象", "2026-05-20");
	monthly = new_key_person(&x, "37150219800101002", house, "刑满释放人员", "2026-05-20");
	(void)new_person(&x, "37150219800101003", house, NULL, "head");

	assert_null(due(&op, "走访排查", &e));
	assert_int_equal(e.status, 403);
	memset(&e, 0, sizeof e);
	assert_null(due(&x, NULL, &e));
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "reason_required");

	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, &first), 1);
	assert_int_equal(first, weekly);
	json_t *it = json_array_get(json_object_get(page, "items"), 0);
	assert_int_equal(json_integer_value(json_object_get(it, "interval_days")), 7);
	assert_int_equal(json_integer_value(json_object_get(it, "overdue_days")), 5);
	assert_string_equal(json_string_value(json_object_get(it, "due_at")),
	                    "2026-05-27T00:00:00+08:00");
	assert_true(json_is_null(json_object_get(it, "last_visit")));
	json_decref(page);

	/* Only a key-group visit of a current key person in the grid, by a key reader. */
	memset(&e, 0, sizeof e);
	assert_int_equal(visit(&x, weekly, "data_collection", &e), -1);
	assert_int_equal(e.status, 400);
	memset(&e, 0, sizeof e);
	assert_int_equal(visit(&op, weekly, "key_group_visit", &e), -1);
	assert_int_equal(e.status, 403);
	memset(&e, 0, sizeof e);
	assert_int_equal(visit(&x, weekly + 2, "key_group_visit", &e), -1);
	assert_int_equal(e.status, 404);

	/* A visit now clears it; a week later it is due again, counted from the visit. */
	memset(&e, 0, sizeof e);
	if (visit(&x, weekly, "key_group_visit", &e) < 0)
		fail_msg("%s: %s", e.code, e.message);
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, NULL), 0);
	json_decref(page);
	x.now += DAYS(7) - 1;
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, NULL), 0);
	json_decref(page);
	x.now += 1;
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, &first), 1);
	assert_int_equal(first, weekly);
	assert_false(json_is_null(
	        json_object_get(json_array_get(json_object_get(page, "items"), 0), "last_visit")));
	json_decref(page);

	/* The monthly one is due 30 days after entering (2026-06-19 00:00 +08:00), with the
	   weekly one again. */
	x.now = 1780286400 + DAYS(18) - 12 * 3600 - 1;
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, NULL), 1);
	json_decref(page);
	x.now += 1;
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, NULL), 2);
	json_decref(page);
	/* The interval is configurable. */
	assert_int_equal(idfx_exec(&f->id, "UPDATE key_visit_intervals SET days = 10 WHERE "
	                                   "category = 'released_prisoner'"),
	                 0);
	x.now = 1780286400;
	page = due(&x, "走访排查", &e);
	assert_int_equal(items(page, &first), 1);
	assert_int_equal(first, monthly);
	json_decref(page);
}

static json_t *quality(const struct dom_ctx *x, const char *kind, struct dom_err *e)
{
	struct dom_page pg = { .limit = 50 };

	return registry_quality(x, kind, NULL, 0, &pg, e);
}

static void test_quality(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->officer);
	struct person_input in = PERSON_INPUT_INIT, change = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	int64_t house = new_house(&x, G1), a, b, c, nohouse = 0, first = 0;
	char n[19];
	json_t *page;

	a = new_person(&x, "37150219800101011", house, NULL, "head");
	b = new_person(&x, "37150219800101012", house, NULL, "spouse");
	c = new_person(&x, "37150219800101013", house, NULL, "child");
	(void)new_key_person(&x, "37150219800101014", 0, "吸毒戒断人员", NULL);
	in.name = "赵敏";
	in.id_number = idn("37150219800101015", n);
	in.reg_type = "流动";
	in.grid = G2;
	assert_int_equal(person_create(&x, &in, &nohouse, &e), 0);

	/* Fresh records need no verification; the key person stays out of these lists. */
	page = quality(&x, NULL, &e);
	assert_int_equal(items(page, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(page, "kind")), "unverified");
	assert_int_equal(json_integer_value(json_object_get(page, "threshold")), 12);
	json_decref(page);
	page = quality(&x, "no_house", &e);
	assert_int_equal(items(page, &first), 1);
	assert_int_equal(first, nohouse);
	json_decref(page);

	/* Thirteen months later all four are due; verifying one takes it off the list. */
	x.now += DAYS(13 * 30);
	page = quality(&x, "unverified", &e);
	assert_int_equal(items(page, &first), 4);
	assert_int_equal(first, a);
	json_decref(page);
	change.verify = 1;
	assert_int_equal(person_update(&x, a, &change, &e), 0);
	page = quality(&x, "unverified", &e);
	assert_int_equal(items(page, &first), 3);
	assert_int_equal(first, b);
	json_decref(page);
	(void)c;

	/* Three residents are plausible until the threshold is lowered to two. */
	page = quality(&x, "crowded", &e);
	assert_int_equal(items(page, NULL), 0);
	json_decref(page);
	assert_int_equal(idfx_exec(&f->id, "UPDATE registry_settings SET value = 2 WHERE name = "
	                                   "'crowded_residents'"),
	                 0);
	page = quality(&x, "crowded", &e);
	assert_int_equal(items(page, &first), 1);
	assert_int_equal(first, house);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(page, "items"), 0), "residents")),
	                 3);
	json_decref(page);

	/* The blind index is unique: no duplicates to report. */
	page = quality(&x, "duplicates", &e);
	assert_int_equal(items(page, NULL), 0);
	json_decref(page);
	assert_null(quality(&x, "nonsense", &e));
	assert_int_equal(e.status, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_visits_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quality, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
