/*
 * Unit tests for domain/identity and domain/session on a fresh database: the password policy,
 * Argon2id hashing, generated passwords, user names; login with lockout counted per account
 * (5 failures in the window lock it, a correct password is then refused, the lock is audited and
 * can be released) and per address; TOTP at login with replay refusal; the caller built for a
 * user (permissions, scope, restrictions); refusal of self grants and of mixed administrator
 * roles (三员分立).
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

#include "base/buf.h"
#include "base/clock.h"
#include "base/vault.h"
#include "domain/audit.h"
#include "domain/caller.h"
#include "domain/lockout.h"
#include "domain/org.h"
#include "domain/password.h"
#include "domain/role.h"
#include "domain/sealed.h"
#include "domain/security_config.h"
#include "domain/session.h"
#include "domain/user.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "store/store.h"
#include "idfx.h"

struct fx {
	struct idfx id; /* first: the shared fixture (idfx.h) */
	int64_t org;
};

static int64_t count(struct fx *f, const char *q)
{
	return idfx_count(&f->id, q);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "ident") < 0 ||
	    idfx_exec(&f->id,
	              "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	              "updated_at) VALUES ('371502000000', '东昌府区', 3, '371500000000', "
	              "'371500000000/371502000000/', 0, 0), ('371521000000', '阳谷县', 3, "
	              "'371500000000', '371500000000/371521000000/', 0, 0)") != 0)
		return -1;
	f->org = org_ensure(&f->id.x, "测试中心", "center", "city", "371500000000");
	if (f->org < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(idfx_close(&f->id), 0);
	free(f);
	return 0;
}

static void test_policy(void **state)
{
	(void)state;
	assert_null(password_policy("alice", "Correct-Horse-9"));
	assert_non_null(password_policy("alice", "Short-1a"));
	assert_non_null(password_policy("alice", "alllowercase12")); /* 2 classes */
	assert_null(password_policy("alice", "alllowercase12!"));    /* 3 classes */
	assert_non_null(password_policy("alice", "xxALICExx-12"));   /* user name */
	assert_non_null(password_policy("alice", ""));
	assert_non_null(password_policy("alice", NULL));
	{
		char big[200];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		big[0] = 'A';
		big[1] = '1';
		assert_non_null(password_policy("bob", big)); /* > 128 bytes */
	}
	for (int i = 0; i < 50; i++) {
		char pw[17];
		password_generate(pw, sizeof pw);
		assert_int_equal(strlen(pw), 16);
		assert_null(password_policy("someone", pw));
	}
	assert_true(user_name_ok("operator"));
	assert_true(user_name_ok("li.si-2"));
	assert_false(user_name_ok("Li"));
	assert_false(user_name_ok("ab"));
	assert_false(user_name_ok("-abc"));
	assert_false(user_name_ok("a b c"));
	assert_false(user_name_ok("张三丰"));
}

static void test_hash(void **state)
{
	struct fx *f = *state;
	char h[PASSWORD_HASH_MAX];

	assert_int_equal(password_hash(&f->id.cfg, "Correct-Horse-9", h), 0);
	assert_non_null(strstr(h, "$argon2id$"));
	assert_true(password_verify(h, "Correct-Horse-9"));
	assert_false(password_verify(h, "Correct-Horse-8"));
	assert_false(password_verify(h, NULL));
	assert_false(password_verify("garbage", "x"));
}

static int64_t make_user_in(struct fx *f, int64_t org, const char *name, const char *role, char *pw,
                            char *totp)
{
	struct dom_err e = { 0 };
	int64_t id = user_bootstrap(&f->id.x, name, name, org, role, 0, pw, 24, totp, &e);

	assert_true(id > 0);
	return id;
}

static int64_t make_user(struct fx *f, const char *name, const char *role, char *pw, char *totp)
{
	return make_user_in(f, f->org, name, role, pw, totp);
}

/* A context acting as user id (loaded like a request would), into c and xs. */
static void act_as(struct fx *f, int64_t id, struct caller *c, struct dom_ctx *xs)
{
	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, id, f->id.x.now, c), 1);
	dom_ctx_as(xs, &f->id.x, &c->p);
}

static void test_lockout(void **state)
{
	struct fx *f = *state;
	struct login_request rq = { .username = "operator", .password = "wrong-Password-1" };
	struct login_result res;
	char pw[24];
	struct dom_err e = { 0 };
	json_t *locks;

	make_user(f, "operator", "center_operator", pw, NULL);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
		assert_int_equal(res.status, LOGIN_BAD_CREDENTIALS);
	}
	/* Four failures: the right password still works, and clears the count. */
	rq.password = pw;
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_OK);
	assert_int_equal(strlen(res.token), SESSION_TOKEN_CHARS - 1);
	rq.password = "wrong-Password-1";
	for (int i = 0; i < 5; i++) {
		assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
		assert_int_equal(res.status, LOGIN_BAD_CREDENTIALS);
	}
	/* The fifth failure in the window locked the account: now even the password is refused. */
	rq.password = pw;
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_ACCOUNT_LOCKED);
	assert_true(res.locked_until > clock_now());
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'login.lockout' "
	                          "AND object = 'account:operator'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'session.login' "
	                          "AND outcome = 'failure'"),
	                 9);
	/* Unknown user names are counted and locked alike. */
	rq.username = "nobody";
	for (int i = 0; i < 5; i++)
		session_login(&f->id.x, &rq, &res);
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_ACCOUNT_LOCKED);
	/* A refusal because of the lock is recorded as denied, and counts no failure. */
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'session.login' "
	                          "AND outcome = 'denied' AND username = 'nobody'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM login_failures WHERE username = 'nobody'"),
	                 5);
	/* The security administrator releases the lock. */
	{
		struct dom_page pg = { .limit = 20 };
		locks = lockout_list(&f->id.x, &pg, &e);
	}
	assert_int_equal(json_array_size(json_object_get(locks, "items")), 2);
	assert_true(json_is_null(json_object_get(locks, "next_cursor")));
	{
		int64_t id = json_integer_value(
		        json_object_get(json_array_get(json_object_get(locks, "items"), 0), "id"));
		char spw[24];
		struct caller sec;
		struct dom_ctx xs;

		act_as(f, make_user(f, "secadm", "secadmin", spw, NULL), &sec, &xs);
		assert_int_equal(lockout_release(&xs, id, &e), 0);
		caller_release(&sec);
	}
	json_decref(locks);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = "
	                          "'lockout.release' AND outcome = 'success' AND username = "
	                          "'secadm'"),
	                 1);
	rq.username = "operator";
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_OK);
}

static void test_address_lockout(void **state)
{
	struct fx *f = *state;
	struct login_request rq = { .password = "wrong-Password-1" };
	struct login_result res;
	char names[24][16];

	f->id.cfg.lockout_address_failures = 6;
	for (int i = 0; i < 6; i++) {
		snprintf(names[i], sizeof names[i], "user%d", i);
		rq.username = names[i];
		session_login(&f->id.x, &rq, &res);
		assert_int_equal(res.status, LOGIN_BAD_CREDENTIALS);
	}
	rq.username = "another";
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_ADDRESS_LOCKED);
	/* Another address is not affected. */
	f->id.x.source = "10.0.0.2";
	session_login(&f->id.x, &rq, &res);
	assert_int_equal(res.status, LOGIN_BAD_CREDENTIALS);
}

static void test_totp_login(void **state)
{
	struct fx *f = *state;
	char pw[24], secret[TOTP_SECRET_B32], code[9];
	unsigned char key[64];
	struct login_request rq = { .username = "sec" };
	struct login_result res;
	int klen;

	make_user(f, "sec", "secadmin", pw, secret);
	rq.password = pw;
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_TOTP_REQUIRED);
	klen = totp_base32_decode(secret, key, sizeof key);
	totp_code_at(key, (size_t)klen, clock_now(), 6, code);
	rq.totp = code;
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_OK);
	/* The same code again is refused (replay), and counts as a failure. */
	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	assert_int_equal(res.status, LOGIN_TOTP_INVALID);
	rq.totp = "000000";
	if (strcmp(code, "000000") == 0)
		rq.totp = "111111";
	session_login(&f->id.x, &rq, &res);
	assert_int_equal(res.status, LOGIN_TOTP_INVALID);
}

static int swap_fn(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_exec(c, "UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE "
	                     "username = 'sec1') WHERE username = 'sec2'");
}

/* The TOTP secret is stored sealed ("users.totp_secret#id"); `wangge check` finds none in clear,
   and a sealed secret copied onto another user's row does not open there. */
static void test_totp_sealed(void **state)
{
	struct fx *f = *state;
	char pw[24], secret[TOTP_SECRET_B32], raw[SEALED_TOTP_MAX] = "";
	char out[TOTP_SECRET_B32 + 8];
	struct buf report;
	struct store_stmt *st;
	int64_t id = make_user(f, "sec1", "secadmin", pw, secret);

	make_user(f, "sec2", "auditor", pw, secret);
	st = store_prepare(store_reader(f->id.s), "SELECT totp_secret FROM users WHERE id = ?");
	assert_non_null(st);
	store_bind_int64(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(raw, sizeof raw, "%s", store_col_text(st, 0));
	store_reset(st);
	assert_true(vault_is_sealed(raw));
	assert_int_equal(sealed_totp_open(id, raw, out, sizeof out), 0);
	assert_int_equal(strlen(out), TOTP_SECRET_B32 - 1);
	assert_int_equal(sealed_totp_open(id + 1, raw, out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(count(f, "SELECT count(*) FROM users WHERE totp_secret LIKE 'v1:%'"), 2);
	assert_int_equal(sealed_count(store_reader(f->id.s)), 2);

	buf_init(&report, 4096);
	assert_int_equal(sealed_check(store_reader(f->id.s), vault_global(), &report), 0);
	assert_int_equal(store_write(f->id.s, swap_fn, NULL), 0);
	assert_int_equal(sealed_check(store_reader(f->id.s), vault_global(), &report), 1);
	assert_non_null(strstr(report.data, "users.totp_secret does not decrypt"));
	buf_release(&report);
}

static void test_caller_and_grants(void **state)
{
	struct fx *f = *state;
	char pw[24], s1[TOTP_SECRET_B32], s2[TOTP_SECRET_B32];
	struct caller c, sec;
	struct dom_ctx xs;
	struct dom_err e = { 0 };
	int64_t op = make_user(f, "operator", "center_operator", pw, NULL);
	int64_t secid = make_user(f, "secadm", "secadmin", pw, s1);
	int64_t sys = make_user(f, "sysadm", "sysadmin", pw, s2);
	const char *audit_role[] = { "auditor" };
	const char *sec_role[] = { "secadmin" };
	const char *leader[] = { "center_leader", "center_operator" };

	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, op, clock_now(), &c), 1);
	assert_true(access_can(&c.p, "grid.write"));
	assert_false(access_can(&c.p, "user.write"));
	assert_string_equal(c.p.region_path, "371500000000/");
	assert_false(c.totp_required);
	assert_false(caller_restricted(&c));
	caller_release(&c);
	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, secid, clock_now(), &sec),
	                 1);
	assert_true(sec.totp_required);
	assert_true(sec.totp_enrolled);
	dom_ctx_as(&xs, &f->id.x, &sec.p);
	/* No self grant, audited as denied. */
	assert_int_equal(role_assign(&xs, secid, audit_role, 1, &e), -1);
	assert_string_equal(e.code, "self_grant");
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'user.roles' AND "
	                          "outcome = 'denied'"),
	                 1);
	/* No second administrator family on one user. */
	{
		const char *both[] = { "sysadmin", "auditor" };
		assert_int_equal(role_assign(&xs, sys, both, 2, &e), -1);
		assert_string_equal(e.code, "separation");
	}
	assert_int_equal(role_assign(&xs, sys, sec_role, 1, &e), 0);
	assert_int_equal(role_assign(&xs, op, leader, 2, &e), 0);
	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, op, clock_now(), &c), 1);
	assert_true(access_can(&c.p, "sensitive.unmask"));
	caller_release(&c);
	/* A custom role mixing families is refused; a clean one can be created but not edited
	   by someone who holds it. */
	{
		const char *mixed[] = { "user.write", "audit.read" };
		const char *ok[] = { "grid.read", "grid.check" };
		int64_t rid;
		assert_int_equal(role_create(&xs, "mixed", "混合", mixed, 2, &rid, &e), -1);
		assert_string_equal(e.code, "separation");
		assert_int_equal(role_create(&xs, "checker", "检查员", ok, 2, &rid, &e), 0);
	}
	caller_release(&sec);
	/* Password expiry makes the caller restricted. */
	f->id.cfg.password_max_age_s = 1;
	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, op, clock_now() + 5, &c),
	                 1);
	assert_true(c.must_change_password);
	assert_true(caller_restricted(&c));
	caller_release(&c);
}

/* Writes check the target, not only the permission: a county administrator acting on a user of
   another county is answered 404 (as if the user did not exist), nothing changes, and the
   refusal is in the audit trail as denied. */
static void test_out_of_scope_target(void **state)
{
	struct fx *f = *state;
	char pw[24], hash[PASSWORD_HASH_MAX] = "", after[PASSWORD_HASH_MAX] = "";
	char otp[USER_TEMP_PASSWORD_MAX];
	struct caller sec, sys;
	struct dom_ctx xsec, xsys;
	struct dom_err e = { 0 };
	const char *roles[] = { "center_leader" };
	int64_t county_a = org_ensure(&f->id.x, "东昌府区中心", "center", "county", "371502000000");
	int64_t county_b = org_ensure(&f->id.x, "阳谷县中心", "center", "county", "371521000000");
	int64_t other = make_user_in(f, county_b, "other", "center_operator", pw, NULL);
	int64_t local = make_user_in(f, county_a, "local", "center_operator", pw, NULL);
	struct store_stmt *st;

	assert_true(county_a > 0 && county_b > 0);
	act_as(f, make_user_in(f, county_a, "seca", "secadmin", pw, NULL), &sec, &xsec);
	act_as(f, make_user_in(f, county_a, "sysa", "sysadmin", pw, NULL), &sys, &xsys);
	st = store_prepare(store_reader(f->id.s), "SELECT password_hash FROM users WHERE id = ?");
	store_bind_int64(st, 1, other);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(hash, sizeof hash, "%s", store_col_text(st, 0));
	store_reset(st);

	/* The right permission (user.totp_reset, role.assign, user.write), the wrong county. */
	assert_int_equal(totp_enrol_reset(&xsec, other, &e), -1);
	assert_int_equal(e.status, 404);
	assert_true(e.audited);
	assert_int_equal(role_assign(&xsec, other, roles, 1, &e), -1);
	assert_int_equal(e.status, 404);
	assert_int_equal(user_password_reset(&xsys, other, otp, sizeof otp, &e), -1);
	assert_int_equal(e.status, 404);
	{
		struct user_fields uf = { .display_name = "改名", .disabled = -1 };
		assert_int_equal(user_update(&xsys, other, &uf, &e), -1);
		assert_int_equal(e.status, 404);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND "
	                          "object = 'user:"
	                          "' || (SELECT id FROM users WHERE username = "
	                          "'other') AND action IN ('user.totp_reset', 'user.roles', "
	                          "'user.password_reset', 'user.update')"),
	                 4);
	assert_int_equal(count(f, "SELECT count(*) FROM user_roles WHERE user_id = (SELECT id FROM "
	                          "users WHERE username = 'other')"),
	                 1);
	st = store_prepare(store_reader(f->id.s), "SELECT password_hash FROM users WHERE id = ?");
	store_bind_int64(st, 1, other);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(after, sizeof after, "%s", store_col_text(st, 0));
	store_reset(st);
	assert_string_equal(hash, after);

	/* Lookup by ID number goes through the blind index and keeps to the caller's scope. */
	{
		struct user_fields uf = { .id_number = "11010519491231002x", .disabled = -1 };
		int64_t found = 0;

		assert_int_equal(user_update(&f->id.x, other, &uf, &e), 0);
		assert_int_equal(user_find_by_id_number(store_reader(f->id.s), f->id.x.caller,
		                                        f->id.x.now, "11010519491231002X", &found),
		                 1);
		assert_int_equal(found, other);
		assert_int_equal(user_find_by_id_number(store_reader(f->id.s), &sys.p, f->id.x.now,
		                                        "11010519491231002X", &found),
		                 0);
		assert_int_equal(count(f, "SELECT count(*) FROM users WHERE id_number LIKE "
		                          "'%11010519491231002%'"),
		                 0);
	}

	/* The same calls on a user of their own county go through. */
	assert_int_equal(user_password_reset(&xsys, local, otp, sizeof otp, &e), 0);
	assert_int_equal(role_assign(&xsec, local, roles, 1, &e), 0);

	/* Without the permission the kernel refuses before looking at the target. */
	assert_int_equal(role_assign(&xsys, local, roles, 1, &e), -1);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.code, "forbidden");
	caller_release(&sec);
	caller_release(&sys);
}

/* Nobody lifts their own restrictions: granting themselves roles, resetting their own second
   factor, editing a role they hold, releasing their own lock. Each refusal is audited. */
static void test_self_grant(void **state)
{
	struct fx *f = *state;
	char pw[24];
	struct caller sec;
	struct dom_ctx xsec;
	struct dom_err e = { 0 };
	const char *mine[] = { "secadmin", "center_leader" };
	const char *checker_perms[] = { "grid.read", "grid.check" };
	const char *with_checker[] = { "secadmin", "checker" };
	int64_t me = make_user(f, "selfish", "secadmin", pw, NULL), rid;

	act_as(f, me, &sec, &xsec);
	assert_int_equal(role_assign(&xsec, me, mine, 2, &e), -1);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.code, "self_grant");
	assert_int_equal(totp_enrol_reset(&xsec, me, &e), -1);
	assert_string_equal(e.code, "self_grant");
	/* A custom role the caller holds (granted by the system) cannot be changed by them. */
	assert_int_equal(role_create(&xsec, "checker", "检查员", checker_perms, 2, &rid, &e), 0);
	assert_int_equal(role_assign(&f->id.x, me, with_checker, 2, &e), 0);
	caller_release(&sec);
	act_as(f, me, &sec, &xsec);
	assert_int_equal(role_update(&xsec, rid, "我的角色", NULL, 0, &e), -1);
	assert_string_equal(e.code, "self_grant");
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND "
	                          "username = 'selfish' AND action IN ('user.roles', "
	                          "'user.totp_reset', 'role.update')"),
	                 3);
	assert_int_equal(count(f, "SELECT count(*) FROM roles WHERE label = '我的角色'"), 0);
	caller_release(&sec);
}

static json_t *plain_user(void *ctx, const struct user_view *u)
{
	(void)ctx;
	return json_pack("{s:I,s:s}", "id", (json_int_t)u->id, "username", u->username);
}

/* Users are listed a keyset page at a time: following next_cursor visits every user in the
   caller's scope exactly once, in id order, and nobody outside it. */
static void test_user_pages(void **state)
{
	struct fx *f = *state;
	char pw[24], seen[512] = "";
	struct caller sec;
	struct dom_ctx xsec;
	struct dom_err e = { 0 };
	struct user_filter uf = { 0 };
	struct dom_page pg;
	int64_t county_a = org_ensure(&f->id.x, "东昌府区中心", "center", "county", "371502000000");
	int64_t county_b = org_ensure(&f->id.x, "阳谷县中心", "center", "county", "371521000000");
	int64_t prev = 0;
	int pages = 0, total = 0;
	const char *cursor = NULL;
	json_t *page = NULL;

	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "ua%d", i);
		make_user_in(f, county_a, name, "center_operator", pw, NULL);
		snprintf(name, sizeof name, "ub%d", i);
		make_user_in(f, county_b, name, "center_operator", pw, NULL);
	}
	act_as(f, make_user_in(f, county_a, "seca", "secadmin", pw, NULL), &sec, &xsec);
	do {
		char cur[DOM_CURSOR_MAX] = "";
		json_t *items, *it;
		size_t i;

		if (cursor)
			snprintf(cur, sizeof cur, "%s", cursor);
		json_decref(page);
		assert_int_equal(dom_page_parse(&pg, "2", cur, &e), 0);
		page = user_list(&xsec, &uf, &pg, plain_user, NULL, &e);
		assert_non_null(page);
		items = json_object_get(page, "items");
		assert_true(json_array_size(items) <= 2);
		json_array_foreach(items, i, it)
		{
			int64_t id = json_integer_value(json_object_get(it, "id"));
			const char *name = json_string_value(json_object_get(it, "username"));

			assert_true(id > prev);
			prev = id;
			assert_true(strncmp(name, "ua", 2) == 0 || strcmp(name, "seca") == 0);
			snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s ", name);
			assert_non_null(json_object_get(it, "roles"));
			total++;
		}
		cursor = json_string_value(json_object_get(page, "next_cursor"));
		pages++;
	} while (cursor);
	json_decref(page);
	assert_int_equal(total, 6);
	assert_int_equal(pages, 3);
	assert_string_equal(seen, "ua0 ua1 ua2 ua3 ua4 seca ");
	/* A cursor that is not one is refused. */
	assert_int_equal(dom_page_parse(&pg, "2", "bm90LWFuLWlk", &e), 0); /* "not-an-id" */
	assert_null(user_list(&xsec, &uf, &pg, plain_user, NULL, &e));
	assert_int_equal(e.status, 400);
	caller_release(&sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caller_and_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_scope_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
