/*
 * Unit tests for domain/audit: the key file (created 0600, reused), a clean chain verifies, and
 * each kind of tampering done straight in the database is reported with the record's id: an
 * altered field, a deleted record in the middle, a deleted last record, two records swapped, a
 * forged record without the key. The purge refuses records younger than the retention and leaves
 * a chain that still verifies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "domain/audit.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char db[128];
	struct store *s;
	unsigned char key[AUDIT_KEY_LEN];
};

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

static void sql(struct fx *f, const char *text)
{
	assert_int_equal(store_write(f->s, exec_fn, (void *)text), 0);
}

static void append_n(struct fx *f, int n, int64_t at)
{
	for (int i = 0; i < n; i++) {
		char obj[32];
		struct audit_entry e = { .at = at,
			                 .user_id = 1,
			                 .username = "alice",
			                 .org_id = 2,
			                 .source = "127.0.0.1",
			                 .action = "user.update",
			                 .object = obj,
			                 .outcome = "success",
			                 .detail = "x",
			                 .request_id = "r" };
		snprintf(obj, sizeof obj, "user:%d", i);
		assert_int_equal(audit_append(f->s, f->key, &e), 0);
	}
}

static int verify(struct fx *f, struct buf *report)
{
	buf_reset(report);
	return audit_verify(store_reader(f->s), f->key, report);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	store_options_default(&o, f->db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	if (audit_key_load(f->db, 1, f->key, err, sizeof err) != 0)
		return -1;
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

static void test_key_file(void **state)
{
	struct fx *f = *state;
	unsigned char again[AUDIT_KEY_LEN];
	char path[200], err[256];
	struct stat st;

	assert_int_equal(audit_key_path(f->db, path, sizeof path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, AUDIT_KEY_LEN);
	assert_int_equal(audit_key_load(f->db, 0, again, err, sizeof err), 0);
	assert_memory_equal(again, f->key, AUDIT_KEY_LEN);
	assert_int_equal(audit_key_load("/tmp/wangge-no-such-dir/x.db", 0, again, err, sizeof err),
	                 1);
}

static void test_clean_chain(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	assert_int_equal(verify(f, &report), 0); /* empty */
	append_n(f, 5, 0);
	assert_int_equal(verify(f, &report), 0);
	assert_string_equal(report.data, "");
	/* A different key sees every record as altered. */
	f->key[0] ^= 1;
	assert_true(verify(f, &report) >= 5);
	f->key[0] ^= 1;
	buf_release(&report);
}

static void test_altered(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 5, 0);
	sql(f, "UPDATE audit_log SET outcome = 'failure' WHERE id = 3");
	assert_int_equal(verify(f, &report), 1);
	assert_non_null(strstr(report.data, "record 3 was altered"));
	buf_release(&report);
}

static void test_deleted_middle_and_last(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 6, 0);
	sql(f, "DELETE FROM audit_log WHERE id = 3");
	assert_true(verify(f, &report) >= 1);
	assert_non_null(strstr(report.data, "record(s) 3..3 missing before record 4"));
	sql(f, "DELETE FROM audit_log WHERE id = 6");
	verify(f, &report);
	assert_non_null(strstr(report.data, "record(s) 6..6 missing at the end"));
	buf_release(&report);
}

static void test_reordered(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 5, 0);
	/* Swap the contents of records 2 and 4, keeping their ids. */
	sql(f,
	    "UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 4;"
	    " UPDATE audit_log SET id = 4 WHERE id = -2");
	assert_true(verify(f, &report) >= 2);
	assert_non_null(strstr(report.data, "record 2"));
	assert_non_null(strstr(report.data, "record 4"));
	buf_release(&report);
}

static void test_forged(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 3, 0);
	/* A record appended without the key, copying the previous hash. */
	sql(f, "INSERT INTO audit_log (id, at, user_id, username, org_id, source, action, object, "
	       "outcome, detail, request_id, prev_hash, hash) SELECT 4, at, user_id, username, "
	       "org_id, source, action, object, outcome, detail, request_id, hash, hash FROM "
	       "audit_log WHERE id = 3");
	assert_true(verify(f, &report) >= 1);
	assert_non_null(strstr(report.data, "record 4 was altered"));
	buf_release(&report);
}

static void test_purge(void **state)
{
	struct fx *f = *state;
	struct buf report;
	int64_t now = clock_now(), deleted = -1;

	buf_init(&report, 1 << 16);
	append_n(f, 4, now - 400 * 86400LL);
	append_n(f, 3, now - 10);
	/* Nobody may purge records younger than the retention, whatever they ask. */
	assert_int_equal(audit_purge(f->s, f->key, now, AUDIT_DEFAULT_RETENTION_S, now, &deleted),
	                 -2);
	assert_int_equal(audit_purge(f->s, f->key, now - 100 * 86400LL, 0, now, &deleted), -2);
	assert_int_equal(audit_purge(f->s, f->key, now - 200 * 86400LL, AUDIT_DEFAULT_RETENTION_S,
	                             now, &deleted),
	                 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(verify(f, &report), 0);
	append_n(f, 1, 0);
	assert_int_equal(verify(f, &report), 0);
	/* Changing the base anchor is noticed. */
	sql(f, "UPDATE audit_meta SET value = '1:' || substr(value, instr(value, ':') + 1) WHERE "
	       "name = 'base'");
	assert_true(verify(f, &report) >= 1);
	buf_release(&report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_middle_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
