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
#include "idfx.h"

#define THRESHOLD 5
#define ATTEMPTS (4 * THRESHOLD)

struct fx {
	struct idfx id; /* first: the shared fixture (idfx.h) */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "lpar") < 0)
		return -1;
	/* Costly enough (tens of milliseconds) that the attempts overlap. */
	f->id.cfg.argon2_opslimit = 2;
	f->id.cfg.argon2_memlimit = 16u * 1024 * 1024;
	f->id.cfg.lockout_account_failures = THRESHOLD;
	f->id.cfg.lockout_address_failures = 1000;
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
	struct dom_ctx x = t->f->id.x;
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

	org = org_ensure(&f->id.x, "测试中心", "center", "city", "371500000000");
	assert_true(org > 0);
	assert_true(user_bootstrap(&f->id.x, "target", "target", org, "center_operator", 0, pw,
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
		assert_int_equal(session_login(&f->id.x, &rq, &res), 0);
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
