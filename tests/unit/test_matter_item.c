/*
 * Unit tests for domain/matter_item: the life of an item (a draft is not in force; an approved
 * but unpublished version is not; a version published for a future date is in force only from
 * that date; a temporary item stops after its expiry; a withdrawn item answers item_not_published
 * citing Art. 16), versions kept and compared, content fixed after the draft stage (the
 * migration's triggers), validation of proposals, and the public list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "domain/matter_item.h"
#include "idfx.h"

struct mfx {
	struct idfx f;
	int64_t dept1, dept2, center;
};

static int setup(void **state)
{
	struct mfx *m = calloc(1, sizeof *m);

	if (!m || idfx_open(&m->f, "matteritem") < 0 ||
	    idfx_exec(&m->f,
	              "INSERT INTO organisations (id, name, kind, level, region_code, "
	              "created_at, updated_at) VALUES "
	              "(11, '聊城市城市管理局', 'department', NULL, '371500000000', 0, 0), "
	              "(12, '聊城市公安局', 'department', NULL, '371500000000', 0, 0), "
	              "(13, '聊城市网格化服务管理中心', 'center', 'city', '371500000000', 0, 0)") !=
	            0)
		return -1;
	m->dept1 = 11;
	m->dept2 = 12;
	m->center = 13;
	/* 2026-03-02 10:00 Shanghai. */
	assert_int_equal(clock_parse("2026-03-02T10:00:00+08:00", &m->f.x.now), 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct mfx *m = *state;

	assert_int_equal(idfx_close(&m->f), 0);
	free(m);
	return 0;
}

static void base_fields(struct matter_item_fields *f, const char *code, int64_t dept)
{
	memset(f, 0, sizeof *f);
	f->code = code;
	f->name = "占道经营";
	f->category = "city_management";
	f->description = "流动摊贩占用道路经营";
	f->worker_role = "resolve";
	f->default_level = "township";
	f->urgency = 1;
	f->accept_amount = 4;
	f->accept_unit = CAL_WORKING_HOURS;
	f->handle_amount = 3;
	f->handle_unit = CAL_WORKING_DAYS;
	f->verify_amount = 1;
	f->verify_unit = CAL_WORKING_DAYS;
	f->warn_share_pct = 70;
	f->departments[0] = dept;
	f->n_departments = 1;
}

static int64_t day_at(const char *date)
{
	int64_t t;

	assert_int_equal(clock_parse(date, &t), 0);
	return t + 12 * 3600; /* noon */
}

static void expect_not_published(struct mfx *m, const char *code, int64_t at)
{
	struct matter_item it;
	struct dom_err e = { 0 };

	assert_int_equal(matter_item_in_force(store_reader(m->f.s), code, at, &it, &e), -1);
	assert_int_equal(e.status, 409);
	assert_string_equal(e.code, "item_not_published");
	assert_non_null(strstr(e.message, "第十六条"));
}

static void test_lifecycle(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f;
	struct matter_item it;
	struct dom_err e = { 0 };
	int64_t id = 0, id2;

	base_fields(&f, "CG-001", m->dept1);
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), 0);
	assert_true(id > 0);
	/* Unknown code: 404; a draft: not in force. */
	assert_int_equal(matter_item_in_force(store_reader(m->f.s), "NOPE", m->f.x.now, &it, &e),
	                 -1);
	assert_int_equal(e.status, 404);
	assert_string_equal(e.code, "item_not_found");
	expect_not_published(m, "CG-001", m->f.x.now);
	/* The same code twice: 409 duplicate. A second proposal while one is open: draft_open. */
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id2, &e), -1);
	assert_string_equal(e.code, "duplicate");
	memset(&f, 0, sizeof f);
	f.n_departments = -1;
	assert_int_equal(matter_item_propose(&m->f.x, id, &f, &id2, &e), -1);
	assert_string_equal(e.code, "draft_open");
	/* Publishing before approval is refused; approved but unpublished is not in force. */
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-03-02", &e), -1);
	assert_string_equal(e.code, "not_approved");
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), 0);
	expect_not_published(m, "CG-001", m->f.x.now);
	/* A date in the past is refused; publish for 2026-03-10 (a future date). */
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-03-01", &e), -1);
	assert_string_equal(e.code, "bad_date");
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-03-10", &e), 0);
	/* Not in force until then: 03-09 refused, 03-10 (and the `at` of a later write) in force.
	 */
	expect_not_published(m, "CG-001", m->f.x.now);
	expect_not_published(m, "CG-001", day_at("2026-03-09"));
	assert_int_equal(matter_item_in_force(store_reader(m->f.s), "CG-001",
	                                      day_at("2026-03-10") - 12 * 3600, &it, &e),
	                 0);
	assert_int_equal(it.id, id);
	assert_int_equal(it.version, 1);
	assert_string_equal(it.category_label, "城市管理");
	assert_int_equal(it.accept_unit, CAL_WORKING_HOURS);
	assert_int_equal(it.handle_amount, 3);
	assert_int_equal(it.n_departments, 1);
	assert_int_equal(it.departments[0], m->dept1);
	/* A revision (handle in 5 days, a second department) published from 04-01: version 1
	   stays in force until 03-31, version 2 from 04-01. */
	memset(&f, 0, sizeof f);
	f.handle_amount = 5;
	f.departments[0] = m->dept1;
	f.departments[1] = m->dept2;
	f.n_departments = 2;
	f.note = "增加联动部门";
	assert_int_equal(matter_item_propose(&m->f.x, id, &f, &id2, &e), 0);
	assert_int_equal(id2, id);
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), 0);
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-04-01", &e), 0);
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "CG-001", day_at("2026-03-31"), &it, &e),
	        0);
	assert_int_equal(it.version, 1);
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "CG-001", day_at("2026-04-01"), &it, &e),
	        0);
	assert_int_equal(it.version, 2);
	assert_int_equal(it.handle_amount, 5);
	assert_int_equal(it.n_departments, 2);
	assert_string_equal(it.name, "占道经营"); /* kept from version 1 */
	/* Withdrawn from 05-01: in force on 04-30, item_not_published from 05-01 (Art. 16). */
	m->f.x.now = day_at("2026-04-15");
	assert_int_equal(matter_item_withdraw(&m->f.x, id, "2026-05-01", NULL, &e), -1);
	assert_string_equal(e.code, "bad_reason");
	assert_int_equal(matter_item_withdraw(&m->f.x, id, "2026-05-01", "职能调整", &e), 0);
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "CG-001", day_at("2026-04-30"), &it, &e),
	        0);
	expect_not_published(m, "CG-001", day_at("2026-05-01"));
	assert_int_equal(matter_item_withdraw(&m->f.x, id, "2026-05-02", "again", &e), -1);
	assert_string_equal(e.code, "not_published");
	/* Every version is kept: 1, 2 and the withdrawal 3. */
	assert_int_equal(idfx_count(&m->f, "SELECT count(*) FROM matter_item_versions"), 3);
	/* The audit trail has every step: propose, approve, publish, revise, approve, publish,
	   withdraw. */
	assert_int_equal(idfx_count(&m->f, "SELECT count(*) FROM audit_log WHERE action LIKE "
	                                   "'matter_item.%' AND outcome = 'success'"),
	                 7);
}

static void test_temporary_and_reject(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f;
	struct matter_item it;
	struct dom_err e = { 0 };
	int64_t id;

	base_fields(&f, "LS-001", m->dept2);
	f.category = "emergency";
	f.name = "防汛期间积水点巡查";
	f.expires_on = "2026-09-30";
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), 0);
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), 0);
	/* Publishing after its expiry makes no sense. */
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-10-01", &e), -1);
	assert_string_equal(e.code, "expired");
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-06-01", &e), 0);
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "LS-001", day_at("2026-09-30"), &it, &e),
	        0);
	assert_string_equal(it.expires_on, "2026-09-30");
	expect_not_published(m, "LS-001", day_at("2026-10-01"));
	/* A rejected proposal leaves the published version in force and frees the item for the
	   next proposal. */
	memset(&f, 0, sizeof f);
	f.n_departments = -1;
	f.urgency = 3;
	assert_int_equal(matter_item_propose(&m->f.x, id, &f, &id, &e), 0);
	assert_int_equal(matter_item_reject(&m->f.x, id, "", &e), -1);
	assert_int_equal(matter_item_reject(&m->f.x, id, "时限不合理", &e), 0);
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), -1);
	assert_string_equal(e.code, "no_draft");
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "LS-001", day_at("2026-07-01"), &it, &e),
	        0);
	assert_int_equal(it.urgency, 1);
	assert_int_equal(matter_item_propose(&m->f.x, id, &f, &id, &e), 0);
}

static void test_validation(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f;
	struct dom_err e = { 0 };
	int64_t id;

	base_fields(&f, "cg-1", m->dept1);
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_code");
	base_fields(&f, "CG-002", m->center); /* a center is not a department */
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_departments");
	base_fields(&f, "CG-002", m->dept1);
	f.category = "weather";
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_category");
	base_fields(&f, "CG-002", m->dept1);
	f.handle_amount = 367;
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_limit");
	base_fields(&f, "CG-002", m->dept1);
	f.worker_role = "punish"; /* Art. 13: no penalties by grid workers */
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_worker_role");
	base_fields(&f, "CG-002", m->dept1);
	f.departments[1] = m->dept1;
	f.n_departments = 2;
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), -1);
	assert_string_equal(e.code, "bad_departments");
	/* Nothing was written by the refusals. */
	assert_int_equal(idfx_count(&m->f, "SELECT count(*) FROM matter_items"), 0);
}

static void test_versions_fixed_and_diff(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f;
	struct dom_err e = { 0 };
	int64_t id;
	json_t *d, *ch;
	size_t i;
	int saw_handle = 0, saw_depts = 0;

	base_fields(&f, "ZA-001", m->dept2);
	f.category = "public_security";
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), 0);
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), 0);
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-03-02", &e), 0);
	/* The migration's triggers: content of a published version and any deletion refused. */
	assert_int_not_equal(idfx_exec(&m->f, "UPDATE matter_item_versions SET handle_amount = 9"),
	                     0);
	assert_int_not_equal(idfx_exec(&m->f, "DELETE FROM matter_item_versions"), 0);
	assert_int_not_equal(idfx_exec(&m->f, "UPDATE matter_item_versions SET status = 'draft'"),
	                     0);
	memset(&f, 0, sizeof f);
	f.handle_amount = 2;
	f.handle_unit = CAL_WORKING_DAYS;
	f.departments[0] = m->dept2;
	f.departments[1] = m->dept1;
	f.n_departments = 2;
	assert_int_equal(matter_item_propose(&m->f.x, id, &f, &id, &e), 0);
	d = matter_item_diff_json(&m->f.x, id, 1, 2, &e);
	assert_non_null(d);
	json_array_foreach(json_object_get(d, "changes"), i, ch)
	{
		const char *field = json_string_value(json_object_get(ch, "field"));

		saw_handle |= strcmp(field, "limits.handle") == 0;
		saw_depts |= strcmp(field, "departments") == 0;
		assert_true(strcmp(field, "name") != 0); /* unchanged fields are not listed */
	}
	assert_true(saw_handle && saw_depts);
	json_decref(d);
	assert_null(matter_item_diff_json(&m->f.x, id, 1, 7, &e));
	assert_int_equal(e.status, 404);
	/* The public list shows the published version, grouped by category; not the draft. */
	d = matter_item_public_json(&m->f.x, &e);
	assert_non_null(d);
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 1);
	ch = json_array_get(json_object_get(d, "categories"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "label")), "社会治安");
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(
	                        json_object_get(json_array_get(json_object_get(ch, "items"), 0),
	                                        "limits"),
	                        "handle"),
	                "amount")),
	        3);
	json_decref(d);
}

/* A withdrawal overrides a publication scheduled for a later date: the newest decision in
   effect decides (published for 06-01, withdrawn from today 03-02: never in force). */
static void test_withdraw_scheduled(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f;
	struct dom_err e = { 0 };
	int64_t id;

	base_fields(&f, "CG-009", m->dept1);
	assert_int_equal(matter_item_propose(&m->f.x, 0, &f, &id, &e), 0);
	assert_int_equal(matter_item_approve(&m->f.x, id, &e), 0);
	assert_int_equal(matter_item_publish(&m->f.x, id, "2026-06-01", &e), 0);
	assert_int_equal(matter_item_withdraw(&m->f.x, id, NULL, "编制有误", &e), 0);
	expect_not_published(m, "CG-009", day_at("2026-03-02"));
	expect_not_published(m, "CG-009", day_at("2026-06-02"));
}

/* The system imports a whole list in one write: all or nothing, one audit record; nobody else
   may (through the API every item is proposed, approved and published). */
static void test_import(void **state)
{
	struct mfx *m = *state;
	struct matter_item_fields f[2];
	struct matter_item it;
	struct dom_err e = { 0 };
	struct principal p = *access_system();

	base_fields(&f[0], "IM-001", m->dept1);
	f[0].effective_from = "2026-03-02";
	base_fields(&f[1], "IM-002", m->dept2);
	f[1].effective_from = "2026-04-01";
	f[1].category = "nonsense";
	assert_int_equal(matter_item_import(&m->f.x, f, 2, &e), -1);
	assert_string_equal(e.code, "bad_category");
	assert_int_equal(idfx_count(&m->f, "SELECT count(*) FROM matter_items"), 0);
	f[1].category = "environment";
	p.is_system = 0;
	{
		struct dom_ctx x2;

		dom_ctx_as(&x2, &m->f.x, &p);
		assert_int_equal(matter_item_import(&x2, f, 2, &e), -1);
		assert_int_equal(e.status, 403);
	}
	assert_int_equal(matter_item_import(&m->f.x, f, 2, &e), 0);
	assert_int_equal(matter_item_in_force(store_reader(m->f.s), "IM-001", m->f.x.now, &it, &e),
	                 0);
	assert_int_equal(it.version, 1);
	expect_not_published(m, "IM-002", m->f.x.now);
	assert_int_equal(
	        matter_item_in_force(store_reader(m->f.s), "IM-002", day_at("2026-04-01"), &it, &e),
	        0);
	assert_int_equal(idfx_count(&m->f, "SELECT count(*) FROM audit_log WHERE action = "
	                                   "'matter_item.import' AND outcome = 'success'"),
	                 1);
	assert_int_equal(matter_item_import(&m->f.x, f, 1, &e), -1);
	assert_string_equal(e.code, "duplicate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_and_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_fixed_and_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_scheduled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
