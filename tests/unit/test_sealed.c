/*
 * Unit tests for domain/sealed's registry of encrypted columns over a temporary database with a
 * few users: the registry's rows, sealed_count and sealed_check walking it (values in clear,
 * values that do not open, stale and orphaned blind indexes, values needing the previous key),
 * and key rotation: a full run (every value re-sealed under the new key, blind indexes
 * recomputed, one audit record per column, the audit chain intact), a run interrupted twice (as a
 * crash would: the batch in progress rolled back) and re-run to the end without re-sealing what
 * was done or losing a value, values readable with either key meanwhile, progress of another key
 * started over, values in clear or unreadable left as they are, a long value re-sealed whole, and
 * the exclusive store the rotation runs on (refused beside another connection, keeps others out).
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
#include "base/vault.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "domain/sealed.h"
#include "store/store.h"

#define USERS 20
#define MAXV 256

struct fx {
	char dir[64];
	char db[128];
	struct store *s;
	unsigned char akey[AUDIT_KEY_LEN];
	struct dom_ctx x;
	struct vault cur; /* the data key the values are sealed with */
	int64_t ids[USERS];
	int64_t sealed_values; /* values written sealed by setup */
};

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
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

/* The text of column col of user id (into out, "" for NULL). */
static void column_of(struct fx *f, const char *col, int64_t id, char *out, size_t n)
{
	char sql[128];
	struct store_stmt *st;

	snprintf(sql, sizeof sql, "SELECT %s FROM users WHERE id = ?", col);
	st = store_prepare(store_reader(f->s), sql);
	assert_non_null(st);
	store_bind_int64(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	dom_copy(out, n, store_col_text(st, 0));
	store_reset(st);
}

struct fields {
	int64_t id;
	const char *phone, *idn, *totp;
	struct dom_err e;
};

static int fields_fn(struct store_conn *c, void *arg)
{
	struct fields *u = arg;
	char sealed[SEALED_TOTP_MAX];
	struct store_stmt *st;
	int rc = sealed_user_fields(c, u->id, u->phone, u->idn, &u->e);

	if (rc != 0 || !u->totp)
		return rc;
	if (sealed_totp_seal(u->id, u->totp, sealed, sizeof sealed) < 0)
		return STORE_ERR;
	st = store_prepare(c, "UPDATE users SET totp_secret = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, sealed, -1);
	store_bind_int64(st, 2, u->id);
	return dom_step_done(st);
}

static void phone_of(int i, char out[16])
{
	snprintf(out, 16, "1380000%04d", i);
}

static void idn_of(int i, char out[24])
{
	snprintf(out, 24, "37150219900101%03dX", i);
}

static void totp_of(int i, char out[40])
{
	snprintf(out, 40, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3P%02d", i);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char err[256], sql[512];

	if (!f || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-sealed-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	store_options_default(&o, f->db);
	if (store_open(&o, &f->s, err, sizeof err) < 0 ||
	    audit_key_load(f->db, 1, f->akey, err, sizeof err) != 0 ||
	    vault_load(&f->cur, f->db, 1, err, sizeof err) != 0)
		return -1;
	vault_global_set(&f->cur);
	dom_ctx_cli(&f->x, f->s, f->akey, NULL);
	if (store_write(f->s, exec_fn,
	                "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	                "updated_at) VALUES ('371500000000', '聊城市', 2, NULL, '371500000000/', "
	                "0, 0); INSERT INTO organisations (id, name, kind, level, region_code, "
	                "created_at, updated_at) VALUES (1, '测试中心', 'center', 'city', "
	                "'371500000000', 0, 0)") != 0)
		return -1;
	for (int i = 0; i < USERS; i++) {
		char phone[16], idn[24], totp[40];
		struct fields u = { 0 };

		/* Ids with gaps, so the walk goes by id, not by count. */
		f->ids[i] = 10 + 3 * i;
		snprintf(sql, sizeof sql,
		         "INSERT INTO users (id, username, display_name, org_id, password_hash, "
		         "password_changed_at, created_at, updated_at) VALUES (%lld, 'u%d', "
		         "'用户%d', "
		         "1, 'x', 0, 0, 0)",
		         (long long)f->ids[i], i, i);
		if (store_write(f->s, exec_fn, sql) != 0)
			return -1;
		phone_of(i, phone);
		idn_of(i, idn);
		totp_of(i, totp);
		u.id = f->ids[i];
		u.phone = phone; /* every user */
		u.idn = i % 2 == 0 ? idn : NULL;
		u.totp = i % 3 == 0 ? totp : NULL;
		if (store_write(f->s, fields_fn, &u) != 0)
			return -1;
		f->sealed_values += 1 + (i % 2 == 0) + (i % 3 == 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	vault_global_set(NULL);
	vault_wipe(&f->cur);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Runs sealed_check with v; returns findings, report in *out (caller releases). */
static int check(struct fx *f, const struct vault *v, struct buf *out)
{
	buf_init(out, 1 << 20);
	return sealed_check(store_reader(f->s), v, out);
}

/* Every value of every registered column: which key of v opens it (counts[0], counts[1],
   counts[2] = neither), and every plaintext equals what setup wrote. */
/* The number of registered columns (one progress row and one audit record each). */
static int64_t registry_size(void)
{
	size_t n;

	(void)sealed_columns(&n);
	return (int64_t)n;
}

static void tally(struct fx *f, const struct vault *v, int64_t counts[3])
{
	size_t n;
	const struct sealed_column *cols = sealed_columns(&n);
	char stored[MAXV], plain[MAXV], want[40];

	counts[0] = counts[1] = counts[2] = 0;
	for (int i = 0; i < USERS; i++) {
		for (size_t k = 0; k < n; k++) {
			int which;

			/* The fixture seals users' columns; the other tables of the registry
			   (workers) are empty here. */
			if (strcmp(cols[k].table, "users") != 0)
				continue;
			column_of(f, cols[k].column, f->ids[i], stored, sizeof stored);
			if (!stored[0])
				continue;
			which = vault_open_which(v, cols[k].label, f->ids[i], stored, plain,
			                         sizeof plain);
			counts[which < 0 ? 2 : which]++;
			if (which < 0)
				continue;
			if (k == 0)
				phone_of(i, want);
			else if (k == 1)
				idn_of(i, want);
			else
				totp_of(i, want);
			assert_string_equal(plain, want);
		}
	}
}

static void test_registry(void **state)
{
	struct fx *f = *state;
	size_t n;
	const struct sealed_column *cols = sealed_columns(&n);
	struct buf r;
	int with_index = 0;

	assert_int_equal(n, 8);
	assert_string_equal(cols[0].label, SEALED_FIELD_PHONE);
	assert_string_equal(cols[1].label, SEALED_FIELD_ID_NUMBER);
	assert_string_equal(cols[2].label, SEALED_FIELD_TOTP);
	assert_string_equal(cols[3].label, SEALED_FIELD_WORKER_ID_NUMBER);
	assert_string_equal(cols[4].label, SEALED_FIELD_WORKER_PHONE);
	assert_string_equal(cols[5].label, SEALED_FIELD_MATTER_CONTACT);
	assert_string_equal(cols[6].label, SEALED_FIELD_PERSON_ID_NUMBER);
	assert_string_equal(cols[7].label, SEALED_FIELD_PERSON_PHONE);
	for (size_t i = 0; i < n; i++) {
		char label[128];
		/* The label is table.column: the associated data of every value ever sealed. */
		snprintf(label, sizeof label, "%s.%s", cols[i].table, cols[i].column);
		assert_string_equal(cols[i].label, label);
		assert_string_equal(cols[i].id_column, "id");
		if (cols[i].bidx_column) {
			with_index++;
			assert_string_equal(cols[i].bidx_column, "id_number_bidx");
		}
	}
	assert_int_equal(with_index, 3); /* users, workers and people .id_number */
	assert_int_equal(sealed_count(store_reader(f->s)), f->sealed_values);
	assert_int_equal(count(f, "SELECT count(*) FROM users WHERE id_number_bidx IS NOT NULL"),
	                 USERS / 2);
	assert_int_equal(check(f, &f->cur, &r), 0);
	assert_string_equal(r.data, "");
	buf_release(&r);
	/* Without a key only the clear values can be looked for: none. */
	assert_int_equal(check(f, NULL, &r), 0);
	buf_release(&r);
	assert_int_equal(sealed_count_previous(store_reader(f->s), &f->cur, NULL), 0);
	assert_int_equal(sealed_rotation_pending(store_reader(f->s), NULL), 0);
}

static void test_check_findings(void **state)
{
	struct fx *f = *state;
	char sql[512];
	struct buf r;
	int64_t a = f->ids[1], b = f->ids[2], c = f->ids[4], d = f->ids[6];

	/* In clear; moved from another row; a stale index; an index without a value. */
	snprintf(sql, sizeof sql,
	         "UPDATE users SET phone = '13700001111' WHERE id = %lld; "
	         "UPDATE users SET phone = (SELECT phone FROM users WHERE id = %lld) WHERE id = "
	         "%lld; "
	         "UPDATE users SET id_number_bidx = (SELECT id_number_bidx FROM users WHERE id = "
	         "%lld) WHERE id = %lld; "
	         "UPDATE users SET id_number = NULL WHERE id = %lld",
	         (long long)a, (long long)f->ids[0], (long long)b, (long long)d, (long long)c,
	         (long long)d);
	assert_int_equal(store_write(f->s, exec_fn, sql), 0);
	assert_int_equal(check(f, &f->cur, &r), 4);
	snprintf(sql, sizeof sql, "row %lld users.phone is stored in clear", (long long)a);
	assert_non_null(strstr(r.data, sql));
	snprintf(sql, sizeof sql, "row %lld users.phone does not decrypt", (long long)b);
	assert_non_null(strstr(r.data, sql));
	snprintf(sql, sizeof sql, "row %lld users.id_number_bidx does not match users.id_number",
	         (long long)c);
	assert_non_null(strstr(r.data, sql));
	snprintf(sql, sizeof sql,
	         "row %lld users.id_number_bidx is set but users.id_number is empty", (long long)d);
	assert_non_null(strstr(r.data, sql));
	buf_release(&r);
	/* Without the key: the value in clear and the index without a value. */
	assert_int_equal(check(f, NULL, &r), 2);
	buf_release(&r);
	/* The count is of sealed values only. */
	assert_int_equal(sealed_count(store_reader(f->s)), f->sealed_values - 2);
}

/* The rotation vault: the new key (made beside the database) with the current one as previous. */
static void rotation_vault(struct fx *f, struct vault *v)
{
	char err[512];
	int created;

	assert_int_equal(vault_rotation_load(v, f->db, 1, &created, err, sizeof err), 0);
	assert_true(v->ready && v->prev_ready);
	assert_string_equal(v->prev_key_id, f->cur.key_id);
	assert_string_not_equal(v->key_id, f->cur.key_id);
}

static void test_rotate_full(void **state)
{
	struct fx *f = *state;
	struct vault v, now;
	struct sealed_rotation r = { .batch = 4 };
	struct dom_err e = { 0 };
	struct buf rep;
	int64_t c[3];
	char err[512], stored[MAXV], bidx[VAULT_INDEX_HEX];

	rotation_vault(f, &v);
	tally(f, &v, c);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], f->sealed_values);
	assert_int_equal(sealed_count_previous(store_reader(f->s), &v, NULL), f->sealed_values);

	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	assert_int_equal(r.resealed, f->sealed_values);
	assert_int_equal(r.current + r.clear + r.unreadable, 0);
	assert_false(r.stopped);
	tally(f, &v, c);
	assert_int_equal(c[0], f->sealed_values); /* every value under the new key */
	assert_int_equal(c[1] + c[2], 0);
	/* Blind indexes made with the new index key. */
	column_of(f, "id_number_bidx", f->ids[0], stored, sizeof stored);
	{
		char idn[24];
		idn_of(0, idn);
		vault_blind_index(&v, SEALED_FIELD_ID_NUMBER, idn, bidx);
		assert_string_equal(stored, bidx);
		vault_blind_index(&f->cur, SEALED_FIELD_ID_NUMBER, idn, bidx);
		assert_string_not_equal(stored, bidx);
	}
	assert_int_equal(check(f, &v, &rep), 0);
	buf_release(&rep);
	/* One audit record per registered column, in the transaction of its last batch. */
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'keys.rotate'"),
	                 registry_size());
	assert_int_equal(sealed_rotation_pending(store_reader(f->s), v.key_id), registry_size());

	/* The switch and the end: the new key is current, the replaced one kept as .old. */
	assert_int_equal(vault_rotation_switch(f->db, err, sizeof err), 0);
	assert_int_equal(sealed_rotation_finish(&f->x, "done", &e), 0);
	assert_int_equal(sealed_rotation_pending(store_reader(f->s), NULL), 0);
	assert_int_equal(vault_load_with_old(&now, f->db, err, sizeof err), 0);
	assert_string_equal(now.key_id, v.key_id);
	assert_string_equal(now.prev_key_id, f->cur.key_id);
	assert_int_equal(sealed_count_previous(store_reader(f->s), &now, NULL), 0);
	assert_int_equal(check(f, &now, &rep), 0);
	buf_release(&rep);
	/* The current key alone opens everything: .old can go. */
	vault_set_previous(&now, NULL);
	tally(f, &now, c);
	assert_int_equal(c[0], f->sealed_values);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action = 'keys.rotate'"),
	                 registry_size() + 1);
	buf_init(&rep, 1 << 20);
	assert_int_equal(audit_verify(store_reader(f->s), f->akey, &rep), 0);
	buf_release(&rep);
	vault_wipe(&v);
	vault_wipe(&now);
}

/* Crash simulation: stop after N rows examined, rolling back the batch in progress. */
static void test_rotate_interrupted(void **state)
{
	struct fx *f = *state;
	struct vault v;
	struct sealed_rotation r = { .batch = 3, .stop_after = 7 };
	struct dom_err e = { 0 };
	struct buf rep;
	int64_t c[3], resealed;
	char before[USERS][MAXV], after[MAXV], plain[MAXV], want[16];

	rotation_vault(f, &v);
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 1);
	assert_true(r.stopped);
	/* Batches of rows 1-3 and 4-6 committed; row 7 was re-sealed in the third batch, which
	   was rolled back: exactly 6 phones are under the new key. */
	assert_int_equal(r.resealed, 6);
	assert_int_equal(count(f, "SELECT count(*) FROM sealed_rotation WHERE label = "
	                          "'users.phone' AND done = 0"),
	                 1);
	assert_int_equal(count(f, "SELECT last_id FROM sealed_rotation WHERE label = "
	                          "'users.phone'"),
	                 f->ids[5]);
	tally(f, &v, c);
	assert_int_equal(c[0], 6);
	assert_int_equal(c[1], f->sealed_values - 6);
	assert_int_equal(c[2], 0);
	/* Meanwhile every value opens with one key or the other, through the process vault. */
	vault_global_set(&v);
	for (int i = 0; i < USERS; i++) {
		column_of(f, "phone", f->ids[i], before[i], sizeof before[i]);
		sealed_open(plain, sizeof plain, SEALED_FIELD_PHONE, f->ids[i], before[i]);
		phone_of(i, want);
		assert_string_equal(plain, want);
	}
	/* A check names the values still under the previous key, in one finding. */
	assert_int_equal(check(f, &v, &rep), 1);
	assert_non_null(strstr(rep.data, "open only with the previous data key"));
	buf_release(&rep);

	/* Second interruption, in the next column: the 14 phones left (5 batches), one batch of 3
	   ID numbers, then a stop in the next batch. */
	r = (struct sealed_rotation){ .batch = 3, .stop_after = 18 };
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 1);
	resealed = 6 + r.resealed;
	assert_int_equal(r.resealed, USERS - 6 + 3);
	assert_int_equal(count(f, "SELECT done FROM sealed_rotation WHERE label = 'users.phone'"),
	                 1);

	/* To the end. Values done before are not re-sealed again (their text is unchanged). */
	r = (struct sealed_rotation){ .batch = 3 };
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	resealed += r.resealed;
	assert_int_equal(resealed, f->sealed_values);
	/* Done columns and done rows are not even read again. */
	assert_int_equal(r.current, 0);
	for (int i = 0; i < 6; i++) {
		column_of(f, "phone", f->ids[i], after, sizeof after);
		assert_string_equal(after, before[i]);
	}
	tally(f, &v, c);
	assert_int_equal(c[0], f->sealed_values);
	assert_int_equal(check(f, &v, &rep), 0);
	buf_release(&rep);
	/* A re-run finds nothing to do. */
	r = (struct sealed_rotation){ .batch = 7 };
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	assert_int_equal(r.resealed, 0);
	vault_wipe(&v);
}

/* Progress recorded for another key (a rotation whose new key was lost) starts over. */
static void test_rotate_other_progress(void **state)
{
	struct fx *f = *state;
	struct vault v;
	struct sealed_rotation r = { 0 };
	struct dom_err e = { 0 };
	int64_t c[3];

	assert_int_equal(
	        store_write(f->s, exec_fn,
	                    "INSERT INTO sealed_rotation (label, key_id, last_id, done, resealed, "
	                    "started_at, updated_at) VALUES ('users.phone', 'another', 999999, 1, "
	                    "5, 0, 0)"),
	        0);
	rotation_vault(f, &v);
	assert_int_equal(sealed_rotation_pending(store_reader(f->s), v.key_id), 0);
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	assert_int_equal(r.resealed, f->sealed_values);
	tally(f, &v, c);
	assert_int_equal(c[0], f->sealed_values);
	vault_wipe(&v);
}

/* A value in clear and one that opens with neither key are left as they are and counted. */
static void test_rotate_leaves_clear_and_unreadable(void **state)
{
	struct fx *f = *state;
	struct vault v;
	struct sealed_rotation r = { .batch = 5 };
	struct dom_err e = { 0 };
	char sql[256], stored[MAXV];

	snprintf(sql, sizeof sql,
	         "UPDATE users SET phone = '13700001111' WHERE id = %lld; UPDATE users SET "
	         "totp_secret = 'v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id "
	         "= %lld",
	         (long long)f->ids[1], (long long)f->ids[3]);
	assert_int_equal(store_write(f->s, exec_fn, sql), 0);
	rotation_vault(f, &v);
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	assert_int_equal(r.clear, 1);
	assert_int_equal(r.unreadable, 1);
	assert_int_equal(r.resealed, f->sealed_values - 2);
	column_of(f, "phone", f->ids[1], stored, sizeof stored);
	assert_string_equal(stored, "13700001111");
	column_of(f, "totp_secret", f->ids[3], stored, sizeof stored);
	assert_string_equal(stored, "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	/* Nothing needs the old key, but one value opens with neither: retire-old refuses on it. */
	{
		int64_t neither = -1;
		assert_int_equal(sealed_count_previous(store_reader(f->s), &v, &neither), 0);
		assert_int_equal(neither, 1);
	}
	vault_wipe(&v);
}

struct long_value {
	int64_t id;
	char sealed[2048];
};

static int long_fn(struct store_conn *c, void *arg)
{
	struct long_value *l = arg;
	struct store_stmt *st = store_prepare(c, "UPDATE users SET phone = ? WHERE id = ?");

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, l->sealed, -1);
	store_bind_int64(st, 2, l->id);
	return dom_step_done(st);
}

/* A value longer than the user fields' buffers (a future column's) is re-sealed whole. */
static void test_rotate_long_value(void **state)
{
	struct fx *f = *state;
	struct vault v;
	struct sealed_rotation r = { 0 };
	struct dom_err e = { 0 };
	struct long_value l = { .id = f->ids[2] };
	char plain[SEALED_VALUE_MAX], out[SEALED_VALUE_MAX], stored[2048];
	int64_t neither = -1;

	memset(plain, 'x', sizeof plain - 1);
	plain[sizeof plain - 1] = '\0';
	assert_int_equal(
	        vault_seal(&f->cur, SEALED_FIELD_PHONE, l.id, plain, l.sealed, sizeof l.sealed), 0);
	assert_true(strlen(l.sealed) + 1 <= SEALED_SEALED_MAX);
	assert_int_equal(store_write(f->s, long_fn, &l), 0);
	rotation_vault(f, &v);
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), 0);
	assert_int_equal(r.resealed, f->sealed_values);
	assert_int_equal(r.unreadable, 0);
	column_of(f, "phone", l.id, stored, sizeof stored);
	assert_string_not_equal(stored, l.sealed);
	assert_int_equal(vault_open_which(&v, SEALED_FIELD_PHONE, l.id, stored, out, sizeof out),
	                 0);
	assert_string_equal(out, plain);
	assert_int_equal(sealed_count_previous(store_reader(f->s), &v, &neither), 0);
	assert_int_equal(neither, 0);
	vault_wipe(&v);
}

/* A rotation needs both keys and an audit key, and a sane batch. */
static void test_rotate_refusals(void **state)
{
	struct fx *f = *state;
	struct sealed_rotation r = { .batch = SEALED_ROTATE_BATCH_MAX + 1 };
	struct dom_err e = { 0 };
	struct vault v;
	struct dom_ctx x = f->x;

	assert_int_equal(sealed_rotate(&f->x, &f->cur, &r, &e), -1); /* no previous key */
	rotation_vault(f, &v);
	assert_int_equal(sealed_rotate(&f->x, &v, &r, &e), -1);
	assert_string_equal(e.code, "bad_batch");
	x.audit_key = NULL;
	r.batch = 0;
	assert_int_equal(sealed_rotate(&x, &v, &r, &e), -1);
	assert_int_equal(count(f, "SELECT count(*) FROM sealed_rotation"), 0);
	vault_wipe(&v);
}

/* The rotation's store (option exclusive) refuses while another connection has the database
   open (a running server), and, once open, keeps every other connection out. */
static void test_exclusive_store(void **state)
{
	struct fx *f = *state;
	struct store_options o;
	struct store *x = NULL, *other = NULL;
	char err[256];

	store_options_default(&o, f->db);
	o.exclusive = 1;
	o.busy_timeout_ms = 50;
	/* f->s (opened by setup, like a server) holds the database. */
	assert_non_null(store_reader(f->s));
	assert_int_equal(store_open(&o, &x, err, sizeof err), -1);
	assert_non_null(strstr(err, "in use by another process"));
	assert_null(x);
	store_close(f->s);
	f->s = NULL;

	assert_int_equal(store_open(&o, &x, err, sizeof err), 0);
	assert_int_equal(
	        store_write(x, exec_fn, "UPDATE users SET display_name = 'x' WHERE id = 10"), 0);
	store_options_default(&o, f->db);
	o.busy_timeout_ms = 50;
	assert_int_equal(store_open(&o, &other, err, sizeof err), -1);
	store_close(x);
	/* Released at close. */
	assert_int_equal(store_open(&o, &f->s, err, sizeof err), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM users WHERE display_name = 'x'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_other_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_leaves_clear_and_unreadable, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_rotate_long_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
