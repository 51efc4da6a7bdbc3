/*
 * Unit tests for 三员分立 against every administrator and the identity fixes of issue 8 that are
 * easiest to see below the API: recovery codes hashed with a key (and codes stored before the
 * key re-hashed in place, still valid), who must enrol TOTP with an activation code (unmasking
 * permissions too; an enrolment made before gaining them does not count), the last auditor kept
 * through a custom role's change, an organisation holding administrators not disabled, token
 * lifetimes that would overflow. tests/api/identity-separation.test.mjs covers the routes.
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

#include "base/clock.h"
#include "base/vault.h"
#include "domain/activation.h"
#include "domain/audit.h"
#include "domain/caller.h"
#include "domain/org.h"
#include "domain/role.h"
#include "domain/security_config.h"
#include "domain/session.h"
#include "domain/token.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "domain/user.h"
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

	if (!f || idfx_open(&f->id, "sep") < 0)
		return -1;
	f->id.x.source = "10.0.0.2";
	/* What `wangge serve` does at start. */
	totp_recovery_key_install(f->id.key);
	f->org = org_ensure(&f->id.x, "测试中心", "center", "city", "371500000000");
	if (f->org < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	totp_recovery_key_install(NULL);
	assert_int_equal(idfx_close(&f->id), 0);
	free(f);
	return 0;
}

static int64_t make_user(struct fx *f, const char *name, const char *role, char *pw, char *totp)
{
	struct dom_err e = { 0 };
	int64_t id = user_bootstrap(&f->id.x, name, name, f->org, role, 0, pw, 24, totp, &e);

	assert_true(id > 0);
	return id;
}

static void act_as(struct fx *f, int64_t id, struct caller *c, struct dom_ctx *xs)
{
	assert_int_equal(caller_load(store_reader(f->id.s), &f->id.cfg, id, f->id.x.now, c), 1);
	dom_ctx_as(xs, &f->id.x, &c->p);
}

static void code_now(const char *secret, char code[9])
{
	unsigned char key[64];
	int klen = totp_base32_decode(secret, key, sizeof key);

	assert_true(klen > 0);
	totp_code_at(key, (size_t)klen, clock_now(), 6, code);
}

/* The stored hash of user_id's recovery code number n (by id). */
static void stored_hash(struct fx *f, int64_t user_id, int n, unsigned char out[32])
{
	char q[160];
	struct store_stmt *st;
	int len = 0;
	const void *h;

	snprintf(q, sizeof q,
	         "SELECT code_hash FROM totp_recovery_codes WHERE user_id = %lld ORDER BY id "
	         "LIMIT 1 OFFSET %d",
	         (long long)user_id, n);
	st = store_prepare(store_reader(f->id.s), q);
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	h = store_col_blob(st, 0, &len);
	assert_int_equal(len, 32);
	memcpy(out, h, 32);
	store_reset(st);
}

/* The old, unkeyed form: BLAKE2b-256 of "<id>:<code without dashes>". */
static void unkeyed(int64_t user_id, const char *code, unsigned char out[32])
{
	char norm[32], buf[64];

	totp_code_normalise(code, norm, sizeof norm);
	snprintf(buf, sizeof buf, "%lld:%s", (long long)user_id, norm);
	crypto_generichash(out, 32, (const unsigned char *)buf, strlen(buf), NULL, 0);
}

static int login_recovery(struct fx *f, const char *user, const char *pw, const char *code)
{
	struct login_request rq = { .username = user, .password = pw, .recovery_code = code };
	struct login_result res;

	assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
	return res.status;
}

/* Enrols TOTP for a business user (no activation needed) and returns its recovery codes. */
static void enrol(struct fx *f, int64_t id, const char *pw,
                  char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS])
{
	struct caller c;
	struct dom_ctx xs;
	struct dom_err e = { 0 };
	char secret[TOTP_SECRET_B32], uri[256], code[9];

	act_as(f, id, &c, &xs);
	assert_int_equal(totp_enrol_begin(&xs, "wrong-Password-1", 0, secret, sizeof secret, uri,
	                                  sizeof uri, &e),
	                 -1);
	assert_string_equal(e.code, "wrong_password");
	assert_int_equal(totp_enrol_begin(&xs, pw, 0, secret, sizeof secret, uri, sizeof uri, &e),
	                 0);
	code_now(secret, code);
	assert_int_equal(totp_enrol_confirm(&xs, code, NULL, codes, &e), 0);
	caller_release(&c);
}

/* Recovery codes are stored keyed: neither the old unkeyed hash nor a hash with another key
   matches, and the login checks them with the installed key. */
static void test_recovery_keyed(void **state)
{
	struct fx *f = *state;
	char pw[24], codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS];
	unsigned char h[32], old[32], mine[32];
	int64_t id = make_user(f, "worker1", "grid_worker", pw, NULL);

	enrol(f, id, pw, codes);
	stored_hash(f, id, 0, h);
	unkeyed(id, codes[0], old);
	assert_memory_not_equal(h, old, 32);
	totp_recovery_hash(id, codes[0], mine);
	assert_memory_equal(h, mine, 32);
	assert_int_equal(count(f, "SELECT count(*) FROM totp_recovery_codes WHERE keyed = 0"), 0);
	/* Another key (another database's audit key) gives another hash. */
	{
		unsigned char other[AUDIT_KEY_LEN];

		randombytes_buf(other, sizeof other);
		totp_recovery_key_install(other);
		totp_recovery_hash(id, codes[0], mine);
		assert_memory_not_equal(h, mine, 32);
		assert_int_equal(login_recovery(f, "worker1", pw, codes[0]), LOGIN_TOTP_INVALID);
		totp_recovery_key_install(f->id.key);
	}
	assert_int_equal(login_recovery(f, "worker1", pw, codes[1]), LOGIN_OK);
	assert_int_equal(login_recovery(f, "worker1", pw, codes[1]), LOGIN_TOTP_INVALID);
}

struct legacy {
	int64_t id;
	unsigned char h[32];
};

static int legacy_fn(struct store_conn *c, void *arg)
{
	struct legacy *l = arg;
	struct store_stmt *st = store_prepare(c, "INSERT INTO totp_recovery_codes (user_id, "
	                                         "code_hash, keyed) VALUES (?, ?, 0)");

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, l->id);
	store_bind_blob(st, 2, l->h, 32);
	return dom_step_done(st);
}

/* A code stored before the key (keyed = 0, the old hash) does not match until `wangge serve`
   re-hashes it at start; then it works, once, and a second re-hash finds nothing to do. */
static void test_recovery_rekey(void **state)
{
	struct fx *f = *state;
	char pw[24], codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS];
	struct legacy l;
	struct dom_err e = { 0 };
	int64_t rows = -1, records;
	struct caller c;
	struct dom_ctx xs;

	l.id = make_user(f, "worker2", "grid_worker", pw, NULL);
	enrol(f, l.id, pw, codes);
	unkeyed(l.id, "abcd-efgh-jkmn", l.h);
	assert_int_equal(store_write(f->id.s, legacy_fn, &l), 0);
	assert_int_equal(login_recovery(f, "worker2", pw, "abcd-efgh-jkmn"), LOGIN_TOTP_INVALID);
	/* Only the system re-hashes. */
	act_as(f, l.id, &c, &xs);
	assert_int_equal(totp_recovery_rekey(&xs, &rows, &e), -1);
	assert_int_equal(e.status, 403);
	caller_release(&c);
	assert_int_equal(totp_recovery_rekey(&f->id.x, &rows, &e), 0);
	assert_int_equal(rows, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM totp_recovery_codes WHERE keyed = 0"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = "
	                          "'totp.recovery_rekey' AND username = 'system'"),
	                 1);
	/* Typed as users do: case and dashes do not matter. */
	assert_int_equal(login_recovery(f, "worker2", pw, "ABCD-efgh-jkmn"), LOGIN_OK);
	records = count(f, "SELECT count(*) FROM audit_log");
	assert_int_equal(totp_recovery_rekey(&f->id.x, &rows, &e), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log"), records);
	/* The codes enrolled with the key still work after the re-hash. */
	assert_int_equal(login_recovery(f, "worker2", pw, codes[2]), LOGIN_OK);
}

/* Who must enrol TOTP with an activation code: administrators, and whoever may unmask. An
   enrolment made before gaining such a permission does not count; a code issued before a TOTP
   reset approves nothing after it. */
static void test_needs_activation(void **state)
{
	struct fx *f = *state;
	char pw[24], secret[TOTP_SECRET_B32], uri[256], code[9], act[ACTIVATION_CODE_CHARS];
	char codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_CHARS];
	const char *roles[] = { "center_leader" };
	struct caller c;
	struct dom_ctx xs;
	struct dom_err e = { 0 };
	int64_t exp, id = make_user(f, "leader1", "center_operator", pw, NULL);

	act_as(f, id, &c, &xs);
	assert_false(c.totp_required);
	assert_false(caller_restricted(&c));
	caller_release(&c);
	/* Enrolled as a business user (no approval needed then). */
	enrol(f, id, pw, codes);
	assert_int_equal(activation_issue(&f->id.x, id, act, &exp, &e), -1);
	assert_string_equal(e.code, "activation_not_needed");
	/* Gains an unmasking permission: the enrolment does not count any more. */
	assert_int_equal(role_assign(&f->id.x, id, roles, 1, &e), 0);
	act_as(f, id, &c, &xs);
	assert_true(c.totp_required);
	assert_false(c.totp_enrolled);
	assert_true(caller_restricted(&c));
	assert_int_equal(activation_pending(&f->id.x, id), 1);
	/* Begins again; the confirmation needs the code. */
	assert_int_equal(totp_enrol_begin(&xs, pw, 0, secret, sizeof secret, uri, sizeof uri, &e),
	                 0);
	code_now(secret, code);
	assert_int_equal(totp_enrol_confirm(&xs, code, NULL, codes, &e), -1);
	assert_string_equal(e.code, "activation_required");
	assert_int_equal(activation_issue(&f->id.x, id, act, &exp, &e), 0);
	assert_int_equal(exp, f->id.x.now + ACTIVATION_TTL_S);
	/* A TOTP reset revokes it. */
	assert_int_equal(totp_enrol_reset(&f->id.x, id, &e), 0);
	assert_int_equal(totp_enrol_begin(&xs, pw, 0, secret, sizeof secret, uri, sizeof uri, &e),
	                 0);
	code_now(secret, code);
	assert_int_equal(totp_enrol_confirm(&xs, code, act, codes, &e), -1);
	assert_string_equal(e.code, "activation_invalid");
	assert_int_equal(activation_issue(&f->id.x, id, act, &exp, &e), 0);
	assert_int_equal(totp_enrol_confirm(&xs, code, act, codes, &e), 0);
	caller_release(&c);
	act_as(f, id, &c, &xs);
	assert_true(c.totp_enrolled);
	assert_false(caller_restricted(&c));
	assert_int_equal(activation_pending(&f->id.x, id), 0);
	/* Whoever must have TOTP cannot turn it off. */
	assert_int_equal(totp_enrol_disable(&xs, pw, 0, &e), -1);
	assert_string_equal(e.code, "totp_required");
	caller_release(&c);
	assert_int_equal(
	        count(f, "SELECT count(*) FROM user_activations WHERE used_at IS NOT NULL"), 1);
}

/* The last enabled holder of audit permissions keeps them through a custom role's change too,
   and the organisation of administrators is not disabled. */
static void test_last_auditor_custom_role(void **state)
{
	struct fx *f = *state;
	const char *audit[] = { "audit.read" }, *business[] = { "grid.read" };
	char pw[24], name[] = "aud_custom";
	const char *roles[] = { name };
	struct dom_err e = { 0 };
	int64_t rid, id = make_user(f, "aud1", "center_operator", pw, NULL);

	assert_int_equal(role_create(&f->id.x, name, "自定义审计", audit, 1, &rid, &e), 0);
	assert_int_equal(role_assign(&f->id.x, id, roles, 1, &e), 0);
	assert_int_equal(role_family_holders(store_reader(f->id.s), 1u << PERM_AUDIT, 0, 0, 0, 0),
	                 1);
	assert_int_equal(role_update(&f->id.x, rid, NULL, business, 1, &e), -1);
	assert_int_equal(e.status, 409);
	assert_string_equal(e.code, "last_auditor");
	assert_int_equal(org_update(&f->id.x, f->org, NULL, 1, &e), -1);
	assert_string_equal(e.code, "org_has_admins");
	/* With another auditor it may change; the organisation still holds one. */
	make_user(f, "aud2", "auditor", pw, NULL);
	assert_int_equal(role_update(&f->id.x, rid, NULL, business, 1, &e), 0);
	assert_int_equal(org_update(&f->id.x, f->org, NULL, 1, &e), -1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'role.update' AND "
	                          "outcome = 'failure' AND detail LIKE '%last_auditor%'"),
	                 1);
}

/* A lifetime whose end would overflow is refused before anything is written. */
static void test_token_lifetime_overflow(void **state)
{
	struct fx *f = *state;
	const char *perms[] = { "org.read" };
	char token[API_TOKEN_CHARS];
	struct dom_err e = { 0 };
	struct dom_ctx x = f->id.x;
	int64_t id = 0;

	x.now = INT64_MAX - 100;
	assert_int_equal(token_create(&x, "溢出", f->org, perms, 1, 3600, &id, token, &e), -1);
	assert_string_equal(e.code, "bad_lifetime");
	assert_int_equal(
	        token_create(&f->id.x, "溢出", f->org, perms, 1, INT64_MAX, &id, token, &e), -1);
	assert_string_equal(e.code, "bad_lifetime");
	assert_int_equal(count(f, "SELECT count(*) FROM api_tokens"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recovery_keyed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_needs_activation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_auditor_custom_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_lifetime_overflow, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
