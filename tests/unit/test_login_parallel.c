/*
 * Unit test for issue 8 item 6, "parallel wrong passwords cannot exceed the lockout threshold":
 * 4N threads try wrong passwords for one account at once (N the threshold). The attempt must be
 * counted on the writer before its password is verified, so at most N Argon2 verifications run
 * (counted by password_verify_count) and every other attempt is refused as locked. Argon2 is
 * made costly enough here that all attempts are in flight together, as they would be under an
 * attack; when the count is taken after verifying, all 4N get verified.
 */
#include <pthread.h>
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
#include "domain/org.h"
#include "domain/password.h"
#include "domain/security_config.h"
#include "domain/session.h"
#include "domain/user.h"
#include "store/store.h"

#define THRESHOLD 5
#define ATTEMPTS (4 * THRESHOLD)

struct fx {
	char dir[64];
	struct store *s;
	unsigned char key[AUDIT_KEY_LEN];
	struct security_config cfg;
	struct dom_ctx x;
};

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256];
	unsigned char dk[VAULT_KEY_LEN];
	struct vault v;

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-lpar-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0 ||
	    audit_key_load(db, 1, f->key, err, sizeof err) != 0)
		return -1;
	security_config_default(&f->cfg);
	/* Costly enough (tens of milliseconds) that the attempts overlap. */
	f->cfg.argon2_opslimit = 2;
	f->cfg.argon2_memlimit = 16u * 1024 * 1024;
	f->cfg.lockout_account_failures = THRESHOLD;
	f->cfg.lockout_address_failures = 1000;
	dom_ctx_cli(&f->x, f->s, f->key, &f->cfg);
	f->x.source = "10.0.0.1";
	f->x.request_id = "t";
	randombytes_buf(dk, sizeof dk);
	vault_init(&v, dk);
	vault_global_set(&v);
	vault_wipe(&v);
	sodium_memzero(dk, sizeof dk);
	if (store_write(f->s, exec_fn,
	                "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	                "updated_at) VALUES ('371500000000', '聊城市', 2, NULL, '371500000000/', "
	                "0, 0)") != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	vault_global_set(NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

struct attempt {
	struct fx *f;
	pthread_barrier_t *go;
	char source[32];
	char password[32];
	struct login_result res;
	int rc;
};

static void *attempt_main(void *arg)
{
	struct attempt *t = arg;
	struct dom_ctx x = t->f->x;
	struct login_request rq = { .username = "target", .password = t->password };

	x.source = t->source; /* many addresses: only the account's count matters */
	pthread_barrier_wait(t->go);
	t->rc = session_login(&x, &rq, &t->res);
	return NULL;
}

static void test_parallel_wrong_passwords(void **state)
{
	struct fx *f = *state;
	struct dom_err e = { 0 };
	struct attempt t[ATTEMPTS];
	pthread_t th[ATTEMPTS];
	pthread_barrier_t go;
	char pw[24];
	unsigned long before, verified;
	int64_t org;
	int bad = 0, locked = 0;

	org = org_ensure(&f->x, "测试中心", "center", "city", "371500000000");
	assert_true(org > 0);
	assert_true(user_bootstrap(&f->x, "target", "target", org, "center_operator", 0, pw,
	                           sizeof pw, NULL, &e) > 0);
	pthread_barrier_init(&go, NULL, ATTEMPTS);
	before = password_verify_count();
	for (int i = 0; i < ATTEMPTS; i++) {
		memset(&t[i], 0, sizeof t[i]);
		t[i].f = f;
		t[i].go = &go;
		snprintf(t[i].source, sizeof t[i].source, "10.1.0.%d", i + 1);
		snprintf(t[i].password, sizeof t[i].password, "Wrong-password-%d", i);
		assert_int_equal(pthread_create(&th[i], NULL, attempt_main, &t[i]), 0);
	}
	for (int i = 0; i < ATTEMPTS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	verified = password_verify_count() - before;
	for (int i = 0; i < ATTEMPTS; i++) {
		assert_int_equal(t[i].rc, 0);
		bad += t[i].res.status == LOGIN_BAD_CREDENTIALS;
		locked += t[i].res.status == LOGIN_ACCOUNT_LOCKED;
	}
	printf("# %d parallel wrong passwords, threshold %d: %lu verified, %d refused as locked\n",
	       ATTEMPTS, THRESHOLD, verified, locked);
	assert_true(verified <= THRESHOLD);
	assert_int_equal(bad + locked, ATTEMPTS);
	assert_true(bad <= THRESHOLD);
	/* The account is locked: even the right password is refused now. */
	{
		struct login_request rq = { .username = "target", .password = pw };
		struct login_result res;
		assert_int_equal(session_login(&f->x, &rq, &res), 0);
		assert_int_equal(res.status, LOGIN_ACCOUNT_LOCKED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parallel_wrong_passwords, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
