/*
 * Unit tests for the domain kernel (domain/dom.h): dom_write commits a change with its audit
 * record; a refusal by permission or by the authorize step, and a failed apply, roll the change
 * back but commit a "denied"/"failure" record; keep_error keeps the change and answers an error;
 * a write without an authorize step or an audit sink is refused; dom_exec binds and maps errors;
 * scope conditions as SQL (region range, grid workers through user_grids, nothing for the
 * anonymous caller); keyset page parameters and cursors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "base/buf.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "store/store.h"

static const unsigned char KEY[AUDIT_KEY_LEN] = { 9, 8, 7 };

struct fx {
	char dir[64];
	struct store *s;
	struct dom_ctx x;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-dom-XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	dom_ctx_cli(&f->x, f->s, KEY, NULL);
	f->x.now = 1700000000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int64_t count(struct store *s, const char *sql)
{
	struct store_stmt *st = store_prepare(store_reader(s), sql);
	int64_t n = -1;

	if (st && store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return n;
}

/* The last audit record's action, outcome and detail. */
static void last_record(struct store *s, char *action, char *outcome, char *detail, size_t n)
{
	struct store_stmt *st = store_prepare(
	        store_reader(s), "SELECT action, outcome, detail FROM audit_log ORDER BY id DESC");

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(action, n, "%s", store_col_text(st, 0));
	snprintf(outcome, n, "%s", store_col_text(st, 1));
	snprintf(detail, n, "%s", store_col_text(st, 2));
	store_reset(st);
}

/* The module under test: inserts probe rows. arg names the key; "refuse" makes authorize answer
   404, "fail" makes apply fail after its insert, "keep" keeps the insert but answers 401. */
static int authorize_calls;

static int probe_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	(void)c;
	(void)x;
	authorize_calls++;
	if (strcmp(w->arg, "refuse") == 0)
		return dom_err_set(e, 404, "not_found", "对象不存在");
	return 0;
}

static int probe_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	const char *key = w->arg;

	if (dom_exec(c, e, "INSERT INTO probe (key, created_at) VALUES (?, ?)", "ti", key, x->now) <
	    0)
		return -1;
	dom_write_detail(w, "写入 %s", key);
	if (strcmp(key, "fail") == 0)
		return dom_err_set(e, 400, "bad_thing", "写入后失败");
	if (strcmp(key, "keep") == 0)
		dom_err_set(&w->keep_error, 401, "bad_credentials", "保留失败次数");
	return 0;
}

static int probe_write(struct fx *f, const char *key, const char *permission, struct dom_err *e)
{
	struct dom_write w = { .action = "probe.write",
		               .permission = permission,
		               .authorize = probe_authorize,
		               .apply = probe_apply,
		               .arg = (void *)key };

	dom_write_object(&w, "probe:%s", key);
	return dom_write(&f->x, &w, e);
}

static void test_write_success_and_refusals(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	char action[256], outcome[256], detail[256];
	struct principal nobody = *access_anonymous();

	/* Success: the row and its record. */
	assert_int_equal(probe_write(f, "a", "internal.probe", &e), 0);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'a'"), 1);
	last_record(f->s, action, outcome, detail, sizeof action);
	assert_string_equal(action, "probe.write");
	assert_string_equal(outcome, "success");
	assert_string_equal(detail, "写入 a");

	/* Refused by authorize: nothing written, "denied" recorded, audited flag set. */
	assert_int_equal(probe_write(f, "refuse", "internal.probe", &e), -1);
	assert_int_equal(e.status, 404);
	assert_true(e.audited);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'refuse'"), 0);
	last_record(f->s, action, outcome, detail, sizeof action);
	assert_string_equal(outcome, "denied");
	assert_non_null(strstr(detail, "404 not_found"));

	/* Apply failed after its insert: the insert is rolled back, "failure" recorded. */
	assert_int_equal(probe_write(f, "fail", "internal.probe", &e), -1);
	assert_int_equal(e.status, 400);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'fail'"), 0);
	last_record(f->s, action, outcome, detail, sizeof action);
	assert_string_equal(outcome, "failure");

	/* A constraint inside apply (duplicate key): 409, rolled back, recorded. */
	assert_int_equal(probe_write(f, "a", "internal.probe", &e), -1);
	assert_int_equal(e.status, 409);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'a'"), 1);

	/* keep_error: the change stays, the answer is the error, the record says failure. */
	assert_int_equal(probe_write(f, "keep", "internal.probe", &e), -1);
	assert_int_equal(e.status, 401);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'keep'"), 1);
	last_record(f->s, action, outcome, detail, sizeof action);
	assert_string_equal(outcome, "failure");

	/* Without the permission: refused before authorize runs, and recorded. */
	authorize_calls = 0;
	f->x.caller = &nobody;
	assert_int_equal(probe_write(f, "b", "internal.probe", &e), -1);
	assert_int_equal(e.status, 403);
	assert_int_equal(authorize_calls, 0);
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'b'"), 0);
	last_record(f->s, action, outcome, detail, sizeof action);
	assert_string_equal(outcome, "denied");
	f->x.caller = access_system();

	/* Every record is in the chain. */
	{
		struct buf report;

		buf_init(&report, 4096);
		assert_int_equal(audit_verify(store_reader(f->s), KEY, &report), 0);
		buf_release(&report);
	}
}

static void test_write_needs_authorize_and_sink(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct dom_write w = { .action = "probe.write",
		               .permission = "internal.probe",
		               .apply = probe_apply,
		               .arg = "c" };
	int64_t records = count(f->s, "SELECT count(*) FROM audit_log");

	assert_int_equal(dom_write(&f->x, &w, &e), -1);
	assert_int_equal(e.status, 500);
	w.authorize = probe_authorize;
	f->x.audit_key = NULL;
	assert_int_equal(dom_write(&f->x, &w, &e), -1);
	assert_int_equal(e.status, 500);
	f->x.audit_key = KEY;
	assert_int_equal(count(f->s, "SELECT count(*) FROM probe WHERE key = 'c'"), 0);
	assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log"), records);
}

static void test_scope_sql(void **state)
{
	struct fx *f = *state;
	static const int64_t grids[] = { 2 };
	struct principal county = { .user_id = 5, .region_path = "371500000000/371502000000/" };
	struct principal worker = county;
	char sql[DOM_SCOPE_SQL_MAX], q[512];
	struct store_stmt *st;
	int idx;

	(void)f;
	worker.grid_bound = 1;
	worker.grid_ids = grids;
	worker.ngrids = 1;
	dom_scope_sql(&county, "g.path", "g.id", sql);
	assert_string_equal(sql, " AND g.path >= ? AND g.path < ?");
	dom_scope_sql(&worker, "g.path", "g.id", sql);
	assert_non_null(strstr(sql, "user_grids"));
	/* Region lists of a grid worker: the region rule only. */
	dom_scope_sql(&worker, "r.path", NULL, sql);
	assert_null(strstr(sql, "user_grids"));

	/* Against rows: the county sees its subtree only; the anonymous caller sees nothing. */
	snprintf(q, sizeof q,
	         "SELECT count(*) FROM (SELECT '371500000000/371502000000/371502001000/' AS path "
	         "UNION ALL SELECT '371500000000/371503000000/' UNION ALL SELECT "
	         "'371500000000/371502000000/') t WHERE 1%s",
	         (dom_scope_sql(&county, "t.path", NULL, sql), sql));
	st = store_prepare(store_reader(f->s), q);
	assert_non_null(st);
	idx = dom_scope_bind(&county, NULL, st, 1);
	assert_int_equal(idx, 3);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 2);
	store_reset(st);
	st = store_prepare(store_reader(f->s), q);
	assert_int_equal(dom_scope_bind(access_anonymous(), NULL, st, 1), 3);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 0);
	store_reset(st);
	st = store_prepare(store_reader(f->s), q);
	assert_int_equal(dom_scope_bind(access_system(), NULL, st, 1), 3);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 3);
	store_reset(st);
}

static void test_pages(void **state)
{
	struct dom_page pg;
	struct dom_err e = { 0 };
	char cursor[DOM_CURSOR_MAX];

	(void)state;
	assert_int_equal(dom_page_parse(&pg, NULL, NULL, &e), 0);
	assert_int_equal(pg.limit, DOM_PAGE_DEFAULT);
	assert_string_equal(pg.after, "");
	assert_int_equal(dom_page_parse(&pg, "200", "", &e), 0);
	assert_int_equal(pg.limit, 200);
	assert_int_equal(dom_page_parse(&pg, "0", NULL, &e), -1);
	assert_string_equal(e.code, "bad_limit");
	assert_int_equal(dom_page_parse(&pg, "201", NULL, &e), -1);
	assert_int_equal(dom_page_parse(&pg, "1x", NULL, &e), -1);
	dom_cursor_encode("371502001001001", cursor);
	assert_int_equal(dom_page_parse(&pg, "5", cursor, &e), 0);
	assert_string_equal(pg.after, "371502001001001");
	assert_int_equal(dom_page_parse(&pg, NULL, "!!!", &e), -1);
	assert_string_equal(e.code, "bad_cursor");
	dom_cursor_encode("a\tb", cursor); /* control characters never come back out */
	assert_int_equal(dom_page_parse(&pg, NULL, cursor, &e), -1);
}

static void test_exec(void **state)
{
	struct fx *f = *state;
	struct store_conn *c = store_reader(f->s);
	struct dom_err e = { 0 };

	/* Reads only: a statement that fails to prepare is a 503. */
	assert_int_equal(dom_exec(c, &e, "UPDATE nosuchtable SET x = ?", "i", (int64_t)1), -1);
	assert_int_equal(e.status, 503);
	/* An unknown type letter is refused without running anything. */
	assert_int_equal(dom_exec(c, &e, "SELECT ?", "z", (int64_t)1), -1);
	assert_int_equal(e.status, 503);
	/* As many letters as placeholders, or nothing runs. */
	assert_int_equal(dom_exec(c, &e, "SELECT ?, ?", "i", (int64_t)1), -1);
	assert_int_equal(e.status, 500);
	assert_int_equal(dom_exec(c, &e, "SELECT ?", "ii", (int64_t)1, (int64_t)2), -1);
	assert_int_equal(e.status, 500);
}

static json_t *probe_row(struct store_stmt *st, void *arg)
{
	int *calls = arg;

	(*calls)++;
	return json_string(store_col_text(st, 1));
}

/* dom_page_collect: pages of a keyset list, the extra row giving the cursor, none on the last. */
static void test_page_collect(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct dom_page pg;
	struct store_stmt *st;
	json_t *page;
	int calls = 0, seen = 0;
	char key[8];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_int_equal(probe_write(f, key, "internal.probe", &e), 0);
	}
	assert_int_equal(dom_page_parse(&pg, "2", NULL, &e), 0);
	for (;;) {
		int64_t after = 0;
		const char *next;

		assert_int_equal(dom_page_after_id(&pg, &after, &e), 0);
		st = store_prepare(store_reader(f->s),
		                   "SELECT id, key FROM probe WHERE id > ? ORDER BY id LIMIT ?");
		assert_non_null(st);
		store_bind_int64(st, 1, after);
		store_bind_int64(st, 2, pg.limit + 1);
		page = dom_page_collect(st, &pg, probe_row, &calls, &e);
		assert_non_null(page);
		seen += (int)json_array_size(json_object_get(page, "items"));
		next = json_string_value(json_object_get(page, "next_cursor"));
		if (!next) {
			assert_true(json_is_null(json_object_get(page, "next_cursor")));
			json_decref(page);
			break;
		}
		assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
		assert_int_equal(dom_page_parse(&pg, "2", next, &e), 0);
		json_decref(page);
	}
	assert_int_equal(seen, 5);
	assert_int_equal(calls, 5); /* the extra row is never rendered */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_success_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_needs_authorize_and_sink, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_scope_sql, setup, teardown),
		cmocka_unit_test(test_pages),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_collect, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
