/*
 * Unit tests for domain/caller_cache: a cached caller is a copy; any new generation, the end of
 * its lifetime, or a clock moved back makes it stale (and the activity it knew of carries over);
 * a caller loaded under an older generation is stale at once; idle and absolute expiry are
 * decided on the activity in memory; last_seen_at is written by the background thread when due,
 * when an entry is pushed out, and at close; a closed or disabled cache keeps nothing; and
 * session_authenticate serves repeated requests from it.
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

#include "base/vault.h"
#include "domain/audit.h"
#include "domain/caller_cache.h"
#include "domain/org.h"
#include "domain/security_config.h"
#include "domain/session.h"
#include "domain/user.h"
#include "store/store.h"
#include "idfx.h"

#define T0 1800000000

struct fx {
	struct idfx id; /* first: the shared fixture (idfx.h) */
	int64_t user;
};

static int64_t one(struct fx *f, const char *q)
{
	return idfx_count(&f->id, q);
}

/* A session row (id) of the test user with token_hash = key, last seen at T0. */
static void add_session(struct fx *f, int id, const unsigned char key[32])
{
	char sql[512], hex[65];

	sodium_bin2hex(hex, sizeof hex, key, 32);
	snprintf(sql, sizeof sql,
	         "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, "
	         "last_seen_at, expires_at, source) VALUES (%d, x'%s', x'%s', %lld, %d, %d, %d, "
	         "'t')",
	         id, hex, hex, (long long)f->user, T0, T0, T0 + 43200);
	assert_int_equal(idfx_exec(&f->id, sql), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct dom_err e = { 0 };
	char pw[24];
	int64_t org;

	if (!f || idfx_open(&f->id, "ccache") < 0)
		return -1;
	f->id.cfg.caller_cache_s = 30;
	f->id.cfg.session_idle_s = 600; /* last_seen_at written every 60 s */
	org = org_ensure(&f->id.x, "测试中心", "center", "city", "371500000000");
	f->user = user_bootstrap(&f->id.x, "cached", "cached", org, "center_operator", 0, pw,
	                         sizeof pw, NULL, &e);
	if (org < 0 || f->user < 0)
		return -1;
	f->id.x.now = T0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	caller_cache_close();
	assert_int_equal(idfx_close(&f->id), 0);
	free(f);
	return 0;
}

/* A caller of the test user with session id and two grids. */
static void make_caller(struct fx *f, struct caller *c, int64_t session_id, int64_t *grids)
{
	caller_init(c);
	c->p.user_id = f->user;
	dom_copy(c->p.username, sizeof c->p.username, "cached");
	c->session_id = session_id;
	grids[0] = 11;
	grids[1] = 12;
	c->p.grid_ids = grids;
	c->p.ngrids = 2;
	perm_set_add_name(&c->perms, "grid.read");
}

static void test_hit_copy_and_generation(void **state)
{
	struct fx *f = *state;
	unsigned char key[32] = { 1, 2, 3 };
	struct caller c, got;
	int64_t grids[2], known = -1;
	uint64_t gen;

	assert_int_equal(caller_cache_open(f->id.s), 0);
	make_caller(f, &c, 7, grids);
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	assert_int_equal(known, 0);
	gen = caller_cache_generation();
	assert_int_equal(caller_cache_put(key, gen, &f->id.x, &c, T0 + 43200, T0), 1);
	f->id.x.now = T0 + 10;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_HIT);
	/* A copy: its own grid list and permission set. */
	assert_int_equal(got.p.ngrids, 2);
	assert_ptr_not_equal(got.p.grid_ids, grids);
	assert_int_equal(got.p.grid_ids[1], 12);
	assert_ptr_equal(got.p.impl, &got.perms);
	assert_true(access_can(&got.p, "grid.read"));
	assert_int_equal(got.session_id, 7);
	caller_release(&got);
	/* A committed write anywhere: stale, and the activity in memory is handed to the reload. */
	caller_cache_invalidate();
	f->id.x.now = T0 + 15;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	assert_int_equal(known, T0 + 10);
	/* Loaded under the generation read before a write that committed during the load: stale
	   at once. */
	gen = caller_cache_generation();
	caller_cache_invalidate();
	assert_int_equal(caller_cache_put(key, gen, &f->id.x, &c, T0 + 43200, T0), 1);
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 43200, T0), 1);
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
}

static void test_lifetime_and_expiry(void **state)
{
	struct fx *f = *state;
	unsigned char key[32] = { 9, 9, 9 };
	struct caller c, got;
	int64_t grids[2], known;

	assert_int_equal(caller_cache_open(f->id.s), 0);
	make_caller(f, &c, 8, grids);
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 1000, T0), 1);
	f->id.x.now = T0 + 29;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	f->id.x.now = T0 + 30; /* the lifetime (30 s) is over */
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	assert_int_equal(known, T0 + 29);
	f->id.x.now = T0 - 1; /* the clock moved back */
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 1000, T0), 1);
	f->id.x.now = T0 - 2;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	/* Idle: decided on the activity in memory, while the entry is still fresh. */
	f->id.cfg.caller_cache_s = 3000;
	f->id.x.now = T0;
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 43200, T0), 1);
	f->id.x.now = T0 + 599;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	f->id.x.now = T0 + 599 + 599;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	f->id.x.now = T0 + 1198 + 600;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_ENDED);
	/* The absolute end. */
	f->id.x.now = T0;
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 100, T0), 1);
	f->id.x.now = T0 + 100;
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_ENDED);
}

static void test_last_seen_written(void **state)
{
	struct fx *f = *state;
	unsigned char keys[6][32];
	struct caller c, got;
	struct caller_cache_stats st;
	int64_t grids[2], known;

	f->id.cfg.caller_cache_s = 3000;
	memset(keys, 0, sizeof keys);
	/* Keys that fall into one set (shard and set come from the first bytes): 4 ways. */
	for (int i = 0; i < 6; i++) {
		keys[i][0] = 5;
		keys[i][31] = (unsigned char)(i + 1);
		add_session(f, 100 + i, keys[i]);
	}
	assert_int_equal(caller_cache_open(f->id.s), 0);
	for (int i = 0; i < 4; i++) {
		make_caller(f, &c, 100 + i, grids);
		f->id.x.now = T0 + i;
		assert_int_equal(caller_cache_put(keys[i], caller_cache_generation(), &f->id.x, &c,
		                                  T0 + 43200, T0),
		                 1);
	}
	/* Activity: 30 s is below the write granularity (60 s), 61 s is not. */
	f->id.x.now = T0 + 30;
	assert_int_equal(caller_cache_get(keys[1], &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	f->id.x.now = T0 + 61;
	assert_int_equal(caller_cache_get(keys[2], &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	f->id.x.now = T0 + 25;
	assert_int_equal(caller_cache_get(keys[3], &f->id.x, &got, &known), CALLER_CACHE_HIT);
	caller_release(&got);
	/* A fifth session in the same set pushes out the least recently active (keys[0], seen at
	   T0 only: nothing to write) ... */
	make_caller(f, &c, 104, grids);
	f->id.x.now = T0 + 62;
	assert_int_equal(
	        caller_cache_put(keys[4], caller_cache_generation(), &f->id.x, &c, T0 + 43200, T0),
	        1);
	assert_int_equal(caller_cache_get(keys[0], &f->id.x, &got, &known), CALLER_CACHE_MISS);
	/* ... and a sixth the next one (keys[3], active at T0 + 25 but not written yet). */
	make_caller(f, &c, 105, grids);
	assert_int_equal(
	        caller_cache_put(keys[5], caller_cache_generation(), &f->id.x, &c, T0 + 43200, T0),
	        1);
	assert_int_equal(caller_cache_get(keys[3], &f->id.x, &got, &known), CALLER_CACHE_MISS);
	/* At close, whatever is still only in memory is written too. */
	caller_cache_close();
	caller_cache_stats(&st);
	assert_true(st.touches_written >= 3);
	assert_int_equal(one(f, "SELECT last_seen_at FROM sessions WHERE id = 100"), T0);
	assert_int_equal(one(f, "SELECT last_seen_at FROM sessions WHERE id = 101"), T0 + 30);
	assert_int_equal(one(f, "SELECT last_seen_at FROM sessions WHERE id = 102"), T0 + 61);
	assert_int_equal(one(f, "SELECT last_seen_at FROM sessions WHERE id = 103"), T0 + 25);
	assert_int_equal(one(f, "SELECT last_seen_at FROM sessions WHERE id = 104"), T0 + 62);
}

static void test_closed_or_off(void **state)
{
	struct fx *f = *state;
	unsigned char key[32] = { 4 };
	struct caller c, got;
	int64_t grids[2], known;

	make_caller(f, &c, 9, grids);
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 100, T0), 0);
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
	assert_int_equal(caller_cache_open(f->id.s), 0);
	f->id.cfg.caller_cache_s = 0;
	assert_int_equal(
	        caller_cache_put(key, caller_cache_generation(), &f->id.x, &c, T0 + 100, T0), 0);
	assert_int_equal(caller_cache_get(key, &f->id.x, &got, &known), CALLER_CACHE_MISS);
}

/* session_authenticate: the first request loads, the next ones are served from the cache; a
   write through the kernel makes the next one load again. */
static void test_session_authenticate(void **state)
{
	struct fx *f = *state;
	char token[SESSION_TOKEN_CHARS];
	unsigned char th[32];
	struct caller got;
	struct caller_cache_stats a, b;
	struct dom_err e = { 0 };

	session_secret_new(token);
	session_secret_hash(token, th);
	add_session(f, 200, th);
	assert_int_equal(caller_cache_open(f->id.s), 0);
	caller_cache_stats(&a);
	for (int i = 0; i < 5; i++) {
		f->id.x.now = T0 + i;
		assert_int_equal(session_authenticate(&f->id.x, token, &got), 1);
		assert_int_equal(got.p.user_id, f->user);
		assert_int_equal(got.session_id, 200);
		caller_release(&got);
	}
	caller_cache_stats(&b);
	assert_int_equal(b.misses - a.misses, 1);
	assert_int_equal(b.hits - a.hits, 4);
	/* The logout (a kernel write) ends it for the very next request. */
	{
		struct caller me;
		struct dom_ctx xs;
		assert_int_equal(session_authenticate(&f->id.x, token, &me), 1);
		dom_ctx_as(&xs, &f->id.x, &me.p);
		assert_int_equal(session_logout(&xs, 200, 0, &e), 0);
		caller_release(&me);
	}
	assert_int_equal(session_authenticate(&f->id.x, token, &got), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_copy_and_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_seen_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_or_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_authenticate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
