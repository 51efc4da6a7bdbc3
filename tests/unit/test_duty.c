/*
 * Unit tests for domain/duty: the prohibited acts of Art. 13 are refused (by code, and by the
 * Chinese words in a duty sent as text) before anything is stored; validation; a grid worker
 * records only in a grid bound to the account, and the worker record linked to the account is
 * attached; reads are scoped (another grid's worker and another county see nothing, a photo is
 * served only with a record in scope); refusals are audited and change nothing.
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
#include <sodium.h>

#include "domain/audit.h"
#include "domain/duty.h"
#include "domain/grid.h"
#include "domain/notice.h"
#include "domain/permissions.h"
#include "domain/region.h"
#include "store/store.h"

#define COMM "371502001001"
#define PHOTO "8f0e30f030c46c9ee98404b0f7cec2119539f9e98012fb15b0e2fd9aef8723d8"

static const unsigned char KEY[AUDIT_KEY_LEN] = { 4, 5, 6 };

struct fx {
	char dir[64];
	struct store *s;
	struct dom_ctx sys;
	char grid_a[16], grid_b[16];
	struct perm_set worker_perms, reader_perms;
	struct principal worker_a, worker_b, county, other_county;
};

static const struct dom_ctx *as(struct fx *f, const struct principal *p)
{
	static struct dom_ctx x;

	dom_ctx_as(&x, &f->sys, p);
	return &x;
}

static int exec_fn(struct store_conn *c, void *sql)
{
	return store_exec(c, sql) == STORE_OK ? 0 : -1;
}

static void sql(struct fx *f, const char *text)
{
	assert_int_equal(store_write(f->s, exec_fn, (void *)text), 0);
}

static int64_t count(struct fx *f, const char *q)
{
	struct store_stmt *st = store_prepare(store_reader(f->s), q);
	int64_t n = -1;

	if (st && store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return n;
}

static json_t *rect(double x0, double y0, double x1, double y1)
{
	return json_pack("{s:s,s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
	                 "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
}

static void region(struct fx *f, const char *code, const char *name, json_t *b)
{
	struct region r;
	struct dom_err e = { 0 };

	assert_int_equal(region_create(&f->sys, code, name, b, &r, &e), 0);
	region_release(&r);
	json_decref(b);
}

static void grid(struct fx *f, const char *name, double x0, char out[16])
{
	struct dom_err e = { 0 };
	json_t *b = rect(x0, 36.0, x0 + 0.05, 36.05);
	struct grid_input in = { .community = COMM,
		                 .kind = GRID_COMPREHENSIVE,
		                 .name = name,
		                 .boundary = b,
		                 .households = 400,
		                 .residents = 1000 };

	assert_int_equal(grid_create(&f->sys, &in, out, &e), 0);
	json_decref(b);
}

static void principal(struct principal *p, int64_t user, const char *code, const char *path,
                      struct perm_set *perms, int grid_bound)
{
	memset(p, 0, sizeof *p);
	p->user_id = user;
	snprintf(p->username, sizeof p->username, "u%lld", (long long)user);
	p->org_kind = grid_bound ? ORG_GRID_TEAM : ORG_CENTER;
	snprintf(p->region_code, sizeof p->region_code, "%s", code);
	snprintf(p->region_path, sizeof p->region_path, "%s", path);
	p->impl = perms;
	p->grid_bound = grid_bound;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256], text[512];

	if (sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-duty-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	dom_ctx_cli(&f->sys, f->s, KEY, NULL);
	region(f, "371500", "聊城市", NULL);
	region(f, "371502", "东昌府区", NULL);
	region(f, "371503", "茌平区", NULL);
	region(f, "371502001000", "古楼街道", NULL);
	region(f, COMM, "柳园社区", rect(116.0, 36.0, 116.2, 36.1));
	grid(f, "甲网格", 116.0, f->grid_a);
	grid(f, "乙网格", 116.1, f->grid_b);
	sql(f, "INSERT INTO organisations (id, name, kind, region_code, created_at, updated_at) "
	       "VALUES (9, '柳园社区网格员队伍', 'grid_team', '371502001001', 0, 0), "
	       "(10, '古楼街道网格化服务管理中心', 'center', '371502001000', 0, 0)");
	sql(f, "INSERT INTO users (id, username, display_name, org_id, password_hash, "
	       "password_changed_at, created_at, updated_at) VALUES "
	       "(4, 'gwa', '网格员甲', 9, 'x', 0, 0, 0), (5, 'gwb', '网格员乙', 9, 'x', 0, 0, 0)");
	snprintf(text, sizeof text,
	         "INSERT INTO user_grids (user_id, grid_id) SELECT 4, id FROM grids WHERE code = "
	         "'%s'; INSERT INTO user_grids (user_id, grid_id) SELECT 5, id FROM grids WHERE "
	         "code = '%s'",
	         f->grid_a, f->grid_b);
	sql(f, text);
	/* Worker A has a registry record linked to the account (workers.user_id). */
	sql(f, "INSERT INTO workers (id, name, id_number, id_number_bidx, birth_date, sex, "
	       "nationality, work_phone, employment, region_code, path, start_date, status_date, "
	       "user_id, created_at, updated_at) VALUES (21, '网格员甲', 'v1:x', 'bidx-a', "
	       "'1990-01-01', 'F', 'CHN', '0635-1234567', 'full_time', '371502001000', "
	       "'371500000000/371502000000/371502001000/', '2024-01-01', '2024-01-01', 4, 0, 0)");
	perm_set_add_name(&f->worker_perms, "duty.write");
	perm_set_add_name(&f->worker_perms, "duty.read");
	perm_set_add_name(&f->reader_perms, "duty.read");
	principal(&f->worker_a, 4, COMM, "371500000000/371502000000/371502001000/371502001001/",
	          &f->worker_perms, 1);
	principal(&f->worker_b, 5, COMM, "371500000000/371502000000/371502001000/371502001001/",
	          &f->worker_perms, 1);
	principal(&f->county, 6, "371502000000", "371500000000/371502000000/", &f->reader_perms, 0);
	principal(&f->other_county, 7, "371503000000", "371500000000/371503000000/",
	          &f->reader_perms, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_prohibited_acts_refused(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct duty_input in = { .duty = "data_collection", .grid = f->grid_a };
	const char *acts[] = { "administrative_license", "administrative_penalty",
		               "administrative_coercion" };
	const char *duties[] = { "行政处罚", "对商户罚款", "查封违建", "行政许可审批",
		                 "administrative_penalty" };
	int64_t id = 0, audits = count(f, "SELECT count(*) FROM audit_log");

	for (size_t i = 0; i < 3; i++) {
		in.act = acts[i];
		assert_int_equal(duty_create(as(f, &f->worker_a), &in, &id, &e), -1);
		assert_int_equal(e.status, 400);
		assert_string_equal(e.code, "prohibited_act");
		assert_non_null(strstr(e.message, "第十三条"));
	}
	in.act = "visit";
	for (size_t i = 0; i < sizeof duties / sizeof duties[0]; i++) {
		in.duty = duties[i];
		assert_int_equal(duty_create(as(f, &f->worker_a), &in, &id, &e), -1);
		assert_string_equal(e.code, "prohibited_act");
	}
	/* Refused before the write: nothing stored, nothing for the kernel to record (the HTTP
	   layer records the refused request). */
	assert_int_equal(count(f, "SELECT count(*) FROM duty_records"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log"), audits);
	assert_null(duty_prohibited("visit"));
	assert_null(duty_prohibited("key_group_visit"));
	assert_string_equal(duty_prohibited("administrative_coercion"), "行政强制措施");
}

static void test_validation(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct duty_input in = { .duty = "data_collection", .grid = f->grid_a };
	const struct dom_ctx *x = as(f, &f->worker_a);

	in.duty = "patrol";
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "bad_duty");
	in.duty = "publicity";
	in.act = "arrest";
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "bad_act");
	in.act = NULL;
	in.has_location = 1;
	in.lng = 181;
	in.lat = 36;
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "bad_location");
	in.lng = 116;
	in.lat = -91;
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "bad_location");
	in.lat = 36;
	in.at = x->now + 3600;
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "bad_time");
	in.at = 0;
	in.nphotos = 10;
	assert_int_equal(duty_check(x, &in, &e), -1);
	assert_string_equal(e.code, "too_many_photos");
	in.nphotos = 9;
	assert_int_equal(duty_check(x, &in, &e), 0);
}

static void test_scope(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct upload photo = { .hash = PHOTO, .mime = "image/png", .size = 24 };
	struct duty_input in = { .duty = "key_group_visit",
		                 .act = "visit",
		                 .grid = f->grid_a,
		                 .has_location = 1,
		                 .lng = 116.02,
		                 .lat = 36.02,
		                 .note = "走访",
		                 .photos = &photo,
		                 .nphotos = 1 };
	struct dom_page pg = { .limit = 20 };
	struct duty_filter all = { 0 };
	const char *mime = NULL;
	int64_t id = 0, other = 0;
	json_t *j;

	/* Worker B may not record in worker A's grid: 404 as if it did not exist, audited. */
	assert_int_equal(duty_create(as(f, &f->worker_b), &in, &other, &e), -1);
	assert_int_equal(e.status, 404);
	assert_true(e.audited);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'duty.create' "
	                          "AND outcome = 'denied'"),
	                 1);
	/* Nor may a reader without duty.write. */
	assert_int_equal(duty_create(as(f, &f->county), &in, &other, &e), -1);
	assert_int_equal(e.status, 403);
	assert_int_equal(duty_create(as(f, &f->worker_a), &in, &id, &e), 0);
	assert_true(id > 0);
	assert_int_equal(count(f, "SELECT worker_id FROM duty_records"), 21);
	assert_int_equal(count(f, "SELECT count(*) FROM uploads"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'duty.create' "
	                          "AND outcome = 'success'"),
	                 1);

	/* Worker A and the county see it, with the photo. */
	j = duty_get(as(f, &f->worker_a), id, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "worker_name")), "网格员甲");
	assert_int_equal(json_array_size(json_object_get(j, "photos")), 1);
	json_decref(j);
	assert_int_equal(duty_photo(as(f, &f->county), id, PHOTO, &mime, &e), 0);
	assert_string_equal(mime, "image/png");
	j = duty_list(as(f, &f->county), &all, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);

	/* Worker B (another grid) and another county: nothing, 404. */
	assert_null(duty_get(as(f, &f->worker_b), id, &e));
	assert_int_equal(e.status, 404);
	assert_int_equal(duty_photo(as(f, &f->worker_b), id, PHOTO, &mime, &e), -1);
	assert_int_equal(e.status, 404);
	assert_int_equal(duty_photo(as(f, &f->other_county), id, PHOTO, &mime, &e), -1);
	assert_int_equal(e.status, 404);
	j = duty_list(as(f, &f->worker_b), &all, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	j = duty_list(as(f, &f->other_county), &all, &pg, &e);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	/* A hash that is not this record's photo, even a real one elsewhere, grants nothing. */
	assert_int_equal(
	        duty_photo(as(f, &f->county), id,
	                   "0000000000000000000000000000000000000000000000000000000000000000",
	                   &mime, &e),
	        -1);
	assert_int_equal(e.status, 404);
	/* Anonymous sees nothing. */
	assert_int_equal(duty_photo(as(f, access_anonymous()), id, PHOTO, &mime, &e), -1);
	assert_int_equal(e.status, 404);
}

static void test_list_pages_newest_first(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct duty_input in = { .duty = "publicity", .grid = f->grid_a };
	struct duty_filter mine = { .mine = 1, .duty = "publicity" };
	struct dom_page pg = { .limit = 2 };
	int64_t id, last = INT64_MAX;
	int seen = 0;

	for (int i = 0; i < 5; i++)
		assert_int_equal(duty_create(as(f, &f->worker_a), &in, &id, &e), 0);
	for (;;) {
		json_t *j = duty_list(as(f, &f->worker_a), &mine, &pg, &e), *items, *next;
		size_t i;
		json_t *it;

		assert_non_null(j);
		items = json_object_get(j, "items");
		json_array_foreach(items, i, it)
		{
			int64_t v = json_integer_value(json_object_get(it, "id"));

			assert_true(v < last);
			last = v;
			seen++;
		}
		next = json_object_get(j, "next_cursor");
		if (json_is_null(next)) {
			json_decref(j);
			break;
		}
		assert_int_equal(dom_page_parse(&pg, "2", json_string_value(next), &e), 0);
		json_decref(j);
	}
	assert_int_equal(seen, 5);
}

static void test_notice_shows_published_fields_only(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct notice n;
	char text[256];

	snprintf(text, sizeof text,
	         "INSERT INTO worker_grids (worker_id, grid_id, lead, since) SELECT 21, id, 1, 0 "
	         "FROM grids WHERE code = '%s'",
	         f->grid_a);
	sql(f, text);
	assert_int_equal(notice_set_supervision_phone(&f->sys, 10, "0635-8888888", &e), 0);
	assert_int_equal(notice_load(as(f, access_anonymous()), f->grid_a, &n, &e), 0);
	assert_int_equal(n.nworkers, 1);
	assert_string_equal(n.workers[0].name, "网格员甲");
	assert_string_equal(n.workers[0].work_phone, "0635-1234567");
	assert_true(n.workers[0].lead && n.workers[0].full_time);
	assert_string_equal(n.supervision_phone, "0635-8888888");
	assert_string_equal(n.township_name, "古楼街道");
	notice_release(&n);
	/* The worker leaves: the next load has nobody. */
	sql(f, "UPDATE workers SET status = 'exited' WHERE id = 21");
	assert_int_equal(notice_load(as(f, access_anonymous()), f->grid_a, &n, &e), 0);
	assert_int_equal(n.nworkers, 0);
	notice_release(&n);
	assert_int_equal(notice_load(as(f, access_anonymous()), "371502001001999", &n, &e), -1);
	assert_int_equal(e.status, 404);
	notice_release(&n);
	assert_int_equal(notice_set_supervision_phone(&f->sys, 10, "<script>", &e), -1);
	assert_string_equal(e.code, "bad_phone");
	assert_int_equal(notice_set_supervision_phone(&f->sys, 9, "0635-1", &e), -1);
	assert_string_equal(e.code, "not_a_center");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prohibited_acts_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pages_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notice_shows_published_fields_only, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
