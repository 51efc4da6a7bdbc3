/*
 * Unit tests of the basic-information registry (domain/registry.h) on a small tree: one township
 * with a community and two grids. Covers the unified social credit code refusal, ID and phone
 * numbers sealed at rest and opened for display, the residents of a house at past dates computed
 * from the dated records after moves, the per-grid counters kept in step with a recount after a
 * sequence of changes, and the key-people rule (no key category without person.key_read; a read
 * of a key person needs a reason and leaves an audit record).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/idcard.h"
#include "domain/permissions.h"
#include "domain/person_history.h"
#include "domain/registry.h"
#include "registry_people_fx.h"

static int setup(void **state)
{
	static const char *const base[] = { "registry.read", "registry.write", "person.read",
		                            "person.write", NULL };

	return fx_setup(state, base);
}

static void test_credit_code(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op);
	struct unit_input in = { .grid = G1,
		                 .name = "湖西商店",
		                 .credit_code = "91350100M000100Y44",
		                 .kind = "商户",
		                 .address = "湖西路 2 号" };
	struct dom_err e = { 0 };
	int64_t id = 0;

	assert_int_equal(unit_create(&x, &in, &id, &e), -1);
	assert_string_equal(e.code, "bad_credit_code");
	in.credit_code = "91350100m000100y43"; /* lower case is normalised */
	assert_int_equal(unit_create(&x, &in, &id, &e), 0);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM units WHERE credit_code = "
	                                    "'91350100M000100Y43'"),
	                 1);
	assert_int_equal(unit_create(&x, &in, &id, &e), -1);
	assert_int_equal(e.status, 409);
}

static void test_sealed(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op);
	struct store_stmt *st;
	struct dom_err e = { 0 };
	json_t *o;
	char n[19];
	int64_t id = new_person(&x, "37150219850315123", new_house(&x, G1), NULL, "head");

	st = store_prepare(store_reader(f->id.s), "SELECT id_number, phone, id_number_bidx FROM "
	                                          "people WHERE id = ?");
	store_bind_int64(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_true(vault_is_sealed(store_col_text(st, 0)));
	assert_true(vault_is_sealed(store_col_text(st, 1)));
	assert_non_null(store_col_text(st, 2));
	store_reset(st);
	o = person_get(&x, id, NULL, 1, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id_number")),
	                    idn("37150219850315123", n));
	assert_string_equal(json_string_value(json_object_get(o, "phone")), "13912345678");
	assert_string_equal(json_string_value(json_object_get(o, "birth_date")), "1985-03-15");
	json_decref(o);
	o = person_get(&x, id, NULL, 0, &e);
	assert_string_not_equal(json_string_value(json_object_get(o, "id_number")), n);
	json_decref(o);
}

/* The ids of the residents of house on date, in a fixed-size array; returns their number. */
static size_t residents(const struct dom_ctx *x, int64_t house, const char *date, int64_t *ids)
{
	struct dom_err e = { 0 };
	json_t *o = house_residents(x, house, date, 0, &e), *items;
	size_t n;

	assert_non_null(o);
	items = json_object_get(o, "items");
	n = json_array_size(items);
	for (size_t i = 0; i < n && i < 8; i++)
		ids[i] = json_integer_value(json_object_get(json_array_get(items, i), "id"));
	json_decref(o);
	return n;
}

static void test_history(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op);
	int64_t a = new_house(&x, G1), b = new_house(&x, G2), ids[8];
	int64_t p1 = new_person(&x, "37150219700101111", a, "2025-01-10", "head");
	int64_t p2 = new_person(&x, "37150219720202222", a, "2025-03-01", "spouse");
	struct person_input mv = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };

	mv.house = b;
	mv.date = "2025-06-01";
	assert_int_equal(person_update(&x, p1, &mv, &e), 0);
	mv.house = 0;
	mv.date = "2025-09-01";
	assert_int_equal(person_update(&x, p2, &mv, &e), 0);
	/* A move dated before the last one is refused and changes nothing. */
	mv.house = a;
	mv.date = "2025-05-01";
	assert_int_equal(person_update(&x, p1, &mv, &e), -1);
	assert_string_equal(e.code, "bad_date");

	assert_int_equal(residents(&x, a, "2025-01-09", ids), 0);
	assert_int_equal(residents(&x, a, "2025-01-10", ids), 1);
	assert_int_equal(ids[0], p1);
	assert_int_equal(residents(&x, a, "2025-04-01", ids), 2);
	assert_int_equal(residents(&x, a, "2025-06-01", ids), 1);
	assert_int_equal(ids[0], p2);
	assert_int_equal(residents(&x, a, "2025-09-01", ids), 0);
	assert_int_equal(residents(&x, b, "2025-06-01", ids), 1);
	assert_int_equal(ids[0], p1);
	/* The person follows the house into its grid. */
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people WHERE grid_id = 2 AND "
	                                    "status = 'present'"),
	                 1);
	/* The dated records are append-only. */
	assert_int_not_equal(idfx_exec(&f->id, "DELETE FROM person_events"), 0);
}

/* The counters of every grid equal a recount from the people, houses and units. */
static void assert_stats_in_step(struct fx *f)
{
	assert_int_equal(
	        idfx_count(
	                &f->id,
	                "SELECT count(*) FROM grids g LEFT JOIN grid_registry_stats s ON "
	                "s.grid_id = g.id WHERE coalesce(s.residents, 0) != (SELECT count(*) "
	                "FROM people p WHERE p.grid_id = g.id AND p.status = 'present') OR "
	                "coalesce(s.households, 0) != (SELECT count(*) FROM people p WHERE "
	                "p.grid_id = g.id AND p.status = 'present' AND p.relation = 'head') OR "
	                "coalesce(s.floating, 0) != (SELECT count(*) FROM people p WHERE "
	                "p.grid_id = g.id AND p.status = 'present' AND p.reg_type = 'floating') "
	                "OR coalesce(s.care, 0) != (SELECT count(*) FROM people p WHERE p.grid_id "
	                "= g.id AND p.status = 'present' AND p.care_count > 0) OR "
	                "coalesce(s.key_people, 0) != (SELECT count(*) FROM people p WHERE "
	                "p.grid_id = g.id AND p.status = 'present' AND p.key_count > 0) OR "
	                "coalesce(s.houses, 0) != (SELECT count(*) FROM houses h WHERE h.grid_id "
	                "= g.id)"),
	        0);
}

static void test_stats_and_key_people(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op), xo = as(f, &f->officer);
	int64_t a = new_house(&x, G1), b = new_house(&x, G2);
	int64_t p1 = new_person(&x, "37150219600101333", a, "2025-01-01", "head");
	int64_t p2 = new_person(&x, "37150219650101444", a, "2025-01-01", "spouse");
	struct person_input ch = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	json_t *o;

	assert_stats_in_step(f);
	ch.reg_type = "流动";
	ch.tags_enter[0] = "独居老人";
	ch.n_enter = 1;
	assert_int_equal(person_update(&x, p1, &ch, &e), 0);
	assert_stats_in_step(f);
	/* Key categories need person.key_read, and the refusal changes nothing. */
	ch = (struct person_input)PERSON_INPUT_INIT;
	ch.tags_enter[0] = "严重精神障碍患者";
	ch.n_enter = 1;
	assert_int_equal(person_update(&x, p2, &ch, &e), -1);
	assert_int_equal(e.status, 403);
	assert_int_equal(person_update(&xo, p2, &ch, &e), 0);
	assert_stats_in_step(f);
	assert_int_equal(idfx_count(&f->id, "SELECT key_people FROM grid_registry_stats WHERE "
	                                    "grid_id = 1"),
	                 1);
	/* Reading the key person: 403 without key_read, 400 without a reason, audited with it. */
	assert_null(person_get(&x, p2, "核实", 0, &e));
	assert_int_equal(e.status, 403);
	assert_null(person_get(&xo, p2, NULL, 0, &e));
	assert_string_equal(e.code, "reason_required");
	o = person_get(&xo, p2, "走访前核实", 0, &e);
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "key_categories")), 1);
	json_decref(o);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.key_read' AND outcome = 'success' AND detail "
	                                    "LIKE '%走访前核实%'"),
	                 1);
	/* Moves across grids, leaving a category, death: still in step. */
	ch = (struct person_input)PERSON_INPUT_INIT;
	ch.house = b;
	ch.tags_leave[0] = "mental_illness";
	ch.n_leave = 1;
	assert_int_equal(person_update(&xo, p2, &ch, &e), 0);
	assert_stats_in_step(f);
	o = person_get(&x, p2, NULL, 0, &e); /* no longer a key person */
	assert_non_null(o);
	json_decref(o);
	ch = (struct person_input)PERSON_INPUT_INIT;
	ch.died = "2026-05-01";
	assert_int_equal(person_update(&x, p1, &ch, &e), 0);
	assert_stats_in_step(f);
	assert_int_equal(idfx_count(&f->id, "SELECT residents FROM grid_registry_stats WHERE "
	                                    "grid_id = 1"),
	                 0);
}

/* ---- edits of houses and units, a person's history (registry_edit.c, person_history.c) ---- */

static void test_house_edit(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op), xo = as(f, &f->officer), xf;
	struct principal far = f->op;
	int64_t h = new_house(&x, G1), k = new_house(&x, G1);
	int64_t p1 = new_person(&x, "37150219800101555", h, "2025-01-01", "head");
	int64_t p2 = new_person(&x, "37150219820101666", k, "2025-01-01", "head");
	struct house_change ch = { .version = 2, .address = "湖西路 9 号" };
	struct person_input key = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	json_t *o;

	(void)p1;
	/* The version read is required and must be the stored one. */
	assert_int_equal(house_update(&x, h, &ch, &e), -1);
	assert_string_equal(e.code, "version_conflict");
	ch.version = 0;
	assert_int_equal(house_update(&x, h, &ch, &e), -1);
	assert_string_equal(e.code, "bad_field");
	ch = (struct house_change){ .version = 1, .use = "随便" };
	assert_int_equal(house_update(&x, h, &ch, &e), -1);
	assert_string_equal(e.code, "bad_use");
	/* Outside the caller's scope: as if missing, and nothing changes. */
	dom_copy(far.region_code, sizeof far.region_code, "371502002000");
	dom_copy(far.region_path, sizeof far.region_path,
	         "371500000000/371502000000/371502002000/");
	xf = as(f, &far);
	ch = (struct house_change){ .version = 1, .address = "别处" };
	assert_int_equal(house_update(&xf, h, &ch, &e), -1);
	assert_int_equal(e.status, 404);
	/* A use change is a dated record, not before the current use's date. */
	ch = (struct house_change){ .version = 1, .use = "出租", .date = "2026-06-01" };
	assert_int_equal(house_update(&x, h, &ch, &e), 0);
	ch = (struct house_change){ .version = 2, .use = "空置", .date = "2026-05-31" };
	assert_int_equal(house_update(&x, h, &ch, &e), -1);
	assert_string_equal(e.code, "bad_date");
	o = house_get(&x, h, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "use")), "rent");
	assert_string_equal(json_string_value(json_object_get(o, "use_since")), "2026-06-01");
	assert_int_equal(json_array_size(json_object_get(o, "use_history")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	assert_int_not_equal(idfx_exec(&f->id, "DELETE FROM house_uses"), 0);
	/* A move to another grid takes the residents and keeps every counter in step. */
	ch = (struct house_change){ .version = 2, .grid = G2 };
	assert_int_equal(house_update(&x, h, &ch, &e), 0);
	assert_stats_in_step(f);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM people WHERE grid_id = 2"), 1);
	/* A house a key person lives in moves only with person.key_read. */
	key.tags_enter[0] = "刑满释放人员";
	key.n_enter = 1;
	assert_int_equal(person_update(&xo, p2, &key, &e), 0);
	ch = (struct house_change){ .version = 1, .grid = G2 };
	assert_int_equal(house_update(&x, k, &ch, &e), -1);
	assert_int_equal(e.status, 403);
	assert_int_equal(idfx_count(&f->id, "SELECT key_people FROM grid_registry_stats WHERE "
	                                    "grid_id = 1"),
	                 1);
	assert_int_equal(house_update(&xo, k, &ch, &e), 0);
	assert_stats_in_step(f);
	assert_int_equal(idfx_count(&f->id, "SELECT key_people FROM grid_registry_stats WHERE "
	                                    "grid_id = 2"),
	                 1);
}

static void test_unit_edit(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op);
	struct unit_input in = { .grid = G1,
		                 .name = "湖西商店",
		                 .credit_code = "91350100M000100Y43",
		                 .kind = "商户",
		                 .address = "湖西路 2 号",
		                 .contact_name = "钱七" };
	struct unit_change ch = { .version = 1, .credit_code = "91350100M000100Y44" };
	struct dom_err e = { 0 };
	int64_t a = 0, b = 0;

	assert_int_equal(unit_create(&x, &in, &a, &e), 0);
	in.credit_code = "91371502MA0000017H";
	assert_int_equal(unit_create(&x, &in, &b, &e), 0);
	assert_int_equal(unit_update(&x, a, &ch, &e), -1);
	assert_string_equal(e.code, "bad_credit_code");
	ch.credit_code = "91371502ma0000017h"; /* the other unit's, in lower case */
	assert_int_equal(unit_update(&x, a, &ch, &e), -1);
	assert_string_equal(e.code, "duplicate");
	ch = (struct unit_change){
		.version = 1, .name = "湖西超市", .contact_name = "", .grid = G2
	};
	assert_int_equal(unit_update(&x, a, &ch, &e), 0);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM units WHERE id = 1 AND name = "
	                                    "'湖西超市' AND contact_name IS NULL AND grid_id = 2 "
	                                    "AND version = 2"),
	                 1);
	assert_int_equal(idfx_count(&f->id, "SELECT units FROM grid_registry_stats WHERE grid_id "
	                                    "= 1"),
	                 1);
	assert_int_equal(idfx_count(&f->id, "SELECT units FROM grid_registry_stats WHERE grid_id "
	                                    "= 2"),
	                 1);
	assert_int_equal(unit_update(&x, a, &ch, &e), -1);
	assert_string_equal(e.code, "version_conflict");
}

/* Person id's history as the caller x reads it (one page of 50). */
static json_t *history_of(const struct dom_ctx *x, int64_t id, const char *reason,
                          struct dom_err *e)
{
	struct dom_page pg = { .limit = 50 };

	return person_history(x, id, reason, &pg, e);
}

/* The kinds of the records of a history answer, joined by spaces. */
static const char *kinds(json_t *o, char *buf, size_t n)
{
	json_t *items = json_object_get(o, "items");

	buf[0] = '\0';
	for (size_t i = 0; i < json_array_size(items); i++) {
		size_t len = strlen(buf);

		(void)snprintf(
		        buf + len, n - len, "%s%s", i ? " " : "",
		        json_string_value(json_object_get(json_array_get(items, i), "kind")));
	}
	return buf;
}

static void test_person_history(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x = as(f, &f->op), xo = as(f, &f->officer);
	int64_t a = new_house(&x, G1), b = new_house(&x, G2);
	int64_t p = new_person(&x, "37150219750101777", a, "2025-02-01", "head");
	struct person_input ch = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	char buf[256];
	json_t *o;

	ch.house = b;
	ch.date = "2025-07-01";
	assert_int_equal(person_update(&x, p, &ch, &e), 0);
	o = history_of(&x, p, NULL, &e);
	assert_non_null(o);
	assert_string_equal(kinds(o, buf, sizeof buf), "move_in move_in");
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(json_array_get(json_object_get(o, "items"), 1), "house"),
	                "id")),
	        b);
	json_decref(o);
	/* A key person: 403 (audited) without key_read, 400 without a reason, audited with it. */
	ch = (struct person_input)PERSON_INPUT_INIT;
	ch.tags_enter[0] = "社区矫正对象";
	ch.n_enter = 1;
	ch.date = "2025-08-01";
	assert_int_equal(person_update(&xo, p, &ch, &e), 0);
	assert_null(history_of(&x, p, "核实", &e));
	assert_int_equal(e.status, 403);
	assert_true(e.audited);
	assert_null(history_of(&xo, p, NULL, &e));
	assert_string_equal(e.code, "reason_required");
	o = history_of(&xo, p, "矫正期间走访核实", &e);
	assert_non_null(o);
	assert_string_equal(kinds(o, buf, sizeof buf), "move_in move_in tag_enter");
	json_decref(o);
	assert_int_equal(idfx_count(&f->id, "SELECT count(*) FROM audit_log WHERE action = "
	                                    "'person.key_read' AND outcome = 'success' AND detail "
	                                    "LIKE '%矫正期间走访核实%'"),
	                 1);
	/* Left: the key records stay out for a caller without key_read. */
	ch = (struct person_input)PERSON_INPUT_INIT;
	ch.tags_leave[0] = "社区矫正对象";
	ch.n_leave = 1;
	ch.date = "2025-10-01";
	assert_int_equal(person_update(&xo, p, &ch, &e), 0);
	o = history_of(&x, p, NULL, &e);
	assert_non_null(o);
	assert_string_equal(kinds(o, buf, sizeof buf), "move_in move_in");
	json_decref(o);
	/* Outside the scope: 404. */
	{
		struct principal far = f->op;
		struct dom_ctx xf;

		dom_copy(far.region_path, sizeof far.region_path,
		         "371500000000/371502000000/371502002000/");
		xf = as(f, &far);
		assert_null(history_of(&xf, p, NULL, &e));
		assert_int_equal(e.status, 404);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_key_people, setup, teardown),
		cmocka_unit_test_setup_teardown(test_house_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_history, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
