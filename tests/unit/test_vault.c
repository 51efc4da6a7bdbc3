/*
 * Unit tests for base/vault: seal/open round trip (fresh nonce each time), tamper detection, a
 * value moved to another field or row does not open, another key does not open, the blind index
 * is stable, keyed and field-separated, the data key file is created 0600 and reused, and the
 * process vault refuses to make a new key when sealed values exist. Key rotation: a previous key
 * opens but never seals, key fingerprints, the new key file made whole and reused, the switch
 * (.old kept, .new made current) idempotent after a crash between its two steps and refused over
 * an unrelated .old, the process vault refused while a rotation is unfinished and given .old as
 * its previous key, and retiring .old.
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
#include <sodium.h>

#include "base/vault.h"

struct fx {
	char dir[64];
	char db[128];
	struct vault v;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	if (!f || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-vault-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	if (vault_load(&f->v, f->db, 1, err, sizeof err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[256];

	for (int k = VAULT_KEY_CURRENT; k <= VAULT_KEY_OLD; k++) {
		vault_key_file_path(f->db, (enum vault_key_file)k, path, sizeof path);
		unlink(path);
	}
	rmdir(f->dir);
	vault_wipe(&f->v);
	vault_global_set(NULL);
	free(f);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	char a[256], b[256], out[64];

	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", a, sizeof a), 0);
	assert_true(vault_is_sealed(a));
	assert_null(strstr(a, "13812345678"));
	assert_true(strlen(a) + 1 <= vault_sealed_size(11));
	assert_int_equal(vault_open(&f->v, "users.phone", 7, a, out, sizeof out), 0);
	assert_string_equal(out, "13812345678");
	/* A fresh nonce each time: equal plaintexts do not give equal sealed values. */
	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", b, sizeof b), 0);
	assert_string_not_equal(a, b);
	/* The empty string round-trips too. */
	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "", a, sizeof a), 0);
	assert_int_equal(vault_open(&f->v, "users.phone", 7, a, out, sizeof out), 0);
	assert_string_equal(out, "");
	/* Too small an output buffer is refused, not truncated. */
	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", a, 20), -1);
	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", b, sizeof b), 0);
	assert_int_equal(vault_open(&f->v, "users.phone", 7, b, out, 5), -1);
}

static void test_tamper(void **state)
{
	struct fx *f = *state;
	char a[256], out[64];
	size_t n;

	assert_int_equal(vault_seal(&f->v, "users.id_number", 3, "371502199003071234", a, sizeof a),
	                 0);
	n = strlen(a);
	for (size_t i = 3; i < n; i++) {
		char t[256];
		memcpy(t, a, n + 1);
		t[i] = t[i] == 'A' ? 'B' : 'A'; /* another base64 character */
		assert_int_equal(vault_open(&f->v, "users.id_number", 3, t, out, sizeof out), -1);
		assert_string_equal(out, "");
	}
	/* Truncated, not sealed, garbage. */
	a[n - 4] = '\0';
	assert_int_equal(vault_open(&f->v, "users.id_number", 3, a, out, sizeof out), -1);
	assert_int_equal(vault_open(&f->v, "users.id_number", 3, "13812345678", out, sizeof out),
	                 -1);
	assert_int_equal(vault_open(&f->v, "users.id_number", 3, "v1:!!!", out, sizeof out), -1);
	assert_int_equal(vault_open(&f->v, "users.id_number", 3, "v1:", out, sizeof out), -1);
}

static void test_wrong_field_row_key(void **state)
{
	struct fx *f = *state;
	struct vault other;
	unsigned char k[VAULT_KEY_LEN];
	char a[256], out[64];

	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", a, sizeof a), 0);
	assert_int_equal(vault_open(&f->v, "users.id_number", 7, a, out, sizeof out), -1);
	assert_int_equal(vault_open(&f->v, "users.phone", 8, a, out, sizeof out), -1);
	randombytes_buf(k, sizeof k);
	vault_init(&other, k);
	assert_int_equal(vault_open(&other, "users.phone", 7, a, out, sizeof out), -1);
	assert_int_equal(vault_open(&f->v, "users.phone", 7, a, out, sizeof out), 0);
	/* No vault at all. */
	assert_int_equal(vault_open(NULL, "users.phone", 7, a, out, sizeof out), -1);
	assert_int_equal(vault_seal(NULL, "users.phone", 7, "1", a, sizeof a), -1);
	vault_wipe(&other);
}

static void test_blind_index(void **state)
{
	struct fx *f = *state;
	struct vault other, again;
	unsigned char k[VAULT_KEY_LEN];
	char a[VAULT_INDEX_HEX], b[VAULT_INDEX_HEX], c[VAULT_INDEX_HEX], err[256];

	vault_blind_index(&f->v, "users.id_number", "371502199003071234", a);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	vault_blind_index(&f->v, "users.id_number", "371502199003071234", b);
	assert_string_equal(a, b);
	/* Stable across loads of the same key file. */
	assert_int_equal(vault_load(&again, f->db, 0, err, sizeof err), 0);
	vault_blind_index(&again, "users.id_number", "371502199003071234", c);
	assert_string_equal(a, c);
	/* Another value, another field, another key: another index. */
	vault_blind_index(&f->v, "users.id_number", "371502199003071235", b);
	assert_string_not_equal(a, b);
	vault_blind_index(&f->v, "users.phone", "371502199003071234", b);
	assert_string_not_equal(a, b);
	randombytes_buf(k, sizeof k);
	vault_init(&other, k);
	vault_blind_index(&other, "users.id_number", "371502199003071234", b);
	assert_string_not_equal(a, b);
	/* The index key is not the AEAD key. */
	assert_memory_not_equal(f->v.aead_key, f->v.index_key, sizeof f->v.aead_key);
	vault_wipe(&other);
	vault_wipe(&again);
}

static void test_key_file(void **state)
{
	struct fx *f = *state;
	struct vault again, none;
	char path[256], err[256], a[256], out[64];
	struct stat st;

	assert_int_equal(vault_key_path(f->db, path, sizeof path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, VAULT_KEY_LEN);
	/* Reused, not replaced: what one load seals, the next opens. */
	assert_int_equal(vault_seal(&f->v, "users.phone", 1, "010-12345678", a, sizeof a), 0);
	assert_int_equal(vault_load(&again, f->db, 1, err, sizeof err), 0);
	assert_int_equal(vault_open(&again, "users.phone", 1, a, out, sizeof out), 0);
	assert_string_equal(out, "010-12345678");
	vault_wipe(&again);
	/* Missing and not created: 1. A broken key file: -1. */
	assert_int_equal(vault_load(&none, "/tmp/wangge-no-such-dir/x.db", 0, err, sizeof err), 1);
	assert_int_equal(truncate(path, 5), 0);
	assert_int_equal(vault_load(&none, f->db, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "key file"));
}

static void test_global(void **state)
{
	struct fx *f = *state;
	char path[256], err[512];

	vault_global_set(NULL);
	assert_null(vault_global());
	vault_key_path(f->db, path, sizeof path);
	assert_int_equal(unlink(path), 0);
	/* Sealed values exist but the key is gone: refused, clearly, and no new key is made. */
	assert_int_equal(vault_global_load(f->db, 3, err, sizeof err), -1);
	assert_non_null(strstr(err, "missing"));
	assert_non_null(strstr(err, path));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_null(vault_global());
	/* No sealed values: the key is made. */
	assert_int_equal(vault_global_load(f->db, 0, err, sizeof err), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_non_null(vault_global());
}

static void test_previous_key(void **state)
{
	struct fx *f = *state;
	struct vault next, prev, again;
	unsigned char k[VAULT_KEY_LEN];
	char a[256], b[256], out[64], err[256];

	/* Fingerprints: equal for the same key file, different for another key. */
	assert_int_equal(strlen(f->v.key_id), 32);
	assert_int_equal(vault_load(&again, f->db, 0, err, sizeof err), 0);
	assert_string_equal(again.key_id, f->v.key_id);
	randombytes_buf(k, sizeof k);
	vault_init(&next, k);
	assert_string_not_equal(next.key_id, f->v.key_id);
	assert_false(next.prev_ready);

	assert_int_equal(vault_seal(&f->v, "users.phone", 7, "13812345678", a, sizeof a), 0);
	assert_int_equal(vault_open_which(&next, "users.phone", 7, a, out, sizeof out), -1);
	vault_set_previous(&next, &f->v);
	assert_string_equal(next.prev_key_id, f->v.key_id);
	/* The previous key opens (which = 1) ... */
	assert_int_equal(vault_open_which(&next, "users.phone", 7, a, out, sizeof out), 1);
	assert_string_equal(out, "13812345678");
	assert_int_equal(vault_open(&next, "users.phone", 7, a, out, sizeof out), 0);
	/* ... but never seals: a new value opens with the new key alone. */
	assert_int_equal(vault_seal(&next, "users.phone", 7, "13812345678", b, sizeof b), 0);
	assert_int_equal(vault_open_which(&next, "users.phone", 7, b, out, sizeof out), 0);
	assert_int_equal(vault_open(&f->v, "users.phone", 7, b, out, sizeof out), -1);
	/* Still bound to field and row. */
	assert_int_equal(vault_open_which(&next, "users.phone", 8, a, out, sizeof out), -1);
	/* The previous key as a vault of its own makes the old blind index. */
	vault_previous(&next, &prev);
	assert_true(prev.ready);
	assert_false(prev.prev_ready);
	vault_blind_index(&prev, "users.id_number", "371502199003071234", a);
	vault_blind_index(&f->v, "users.id_number", "371502199003071234", b);
	assert_string_equal(a, b);
	vault_set_previous(&next, NULL);
	vault_previous(&next, &prev);
	assert_false(prev.ready);
	vault_wipe(&next);
	vault_wipe(&again);
}

static int file_exists(const char *db, enum vault_key_file which)
{
	char path[256];

	vault_key_file_path(db, which, path, sizeof path);
	return access(path, F_OK) == 0;
}

static void test_rotation_files(void **state)
{
	struct fx *f = *state;
	struct vault v, again, now;
	char cur[256], new[256], old[256], tmp[300], err[512], a[256], out[64];
	int created;
	struct stat st;

	vault_key_file_path(f->db, VAULT_KEY_CURRENT, cur, sizeof cur);
	vault_key_file_path(f->db, VAULT_KEY_NEW, new, sizeof new);
	vault_key_file_path(f->db, VAULT_KEY_OLD, old, sizeof old);
	assert_string_equal(cur + strlen(f->db), ".data.key");
	assert_string_equal(new + strlen(f->db), ".data.key.new");
	assert_string_equal(old + strlen(f->db), ".data.key.old");
	assert_int_equal(vault_key_file_exists(f->db, VAULT_KEY_NEW, err, sizeof err), 0);

	/* Not without create. Then made: 0600, 32 bytes, no temporary file left. */
	assert_int_equal(vault_rotation_load(&v, f->db, 0, &created, err, sizeof err), -1);
	assert_non_null(strstr(err, "missing"));
	assert_int_equal(vault_rotation_load(&v, f->db, 1, &created, err, sizeof err), 0);
	assert_int_equal(created, 1);
	assert_int_equal(stat(new, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, VAULT_KEY_LEN);
	snprintf(tmp, sizeof tmp, "%s.tmp", new);
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_string_equal(v.prev_key_id, f->v.key_id);
	/* A second run reuses it. */
	assert_int_equal(vault_rotation_load(&again, f->db, 1, &created, err, sizeof err), 0);
	assert_int_equal(created, 0);
	assert_string_equal(again.key_id, v.key_id);
	vault_wipe(&again);

	/* The process vault refuses while the rotation is unfinished. */
	assert_int_equal(vault_global_load(f->db, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "rotation is unfinished"));
	assert_int_equal(vault_global_load(f->db, 0, err, sizeof err), -1);

	/* A crash between the two steps of the switch: .old linked, .new not yet renamed. */
	assert_int_equal(link(cur, old), 0);
	assert_int_equal(vault_rotation_switch(f->db, err, sizeof err), 0);
	assert_false(file_exists(f->db, VAULT_KEY_NEW));
	assert_int_equal(vault_load_with_old(&now, f->db, err, sizeof err), 0);
	assert_string_equal(now.key_id, v.key_id);
	assert_string_equal(now.prev_key_id, f->v.key_id);
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Nothing left to switch to. */
	assert_int_equal(vault_rotation_switch(f->db, err, sizeof err), -1);

	/* The process vault: the current key, with .old opening what it sealed. */
	assert_int_equal(vault_seal(&f->v, "users.phone", 3, "13812345678", a, sizeof a), 0);
	assert_int_equal(vault_global_load(f->db, 1, err, sizeof err), 0);
	assert_string_equal(vault_global()->key_id, v.key_id);
	assert_int_equal(vault_open_which(vault_global(), "users.phone", 3, a, out, sizeof out), 1);
	assert_string_equal(out, "13812345678");

	/* A second rotation while .old holds an unrelated key: the switch refuses. */
	assert_int_equal(vault_rotation_load(&again, f->db, 1, &created, err, sizeof err), 0);
	assert_int_equal(vault_rotation_switch(f->db, err, sizeof err), -1);
	assert_non_null(strstr(err, "another key"));
	assert_true(file_exists(f->db, VAULT_KEY_NEW));
	assert_int_equal(unlink(new), 0);
	vault_wipe(&again);

	/* Retiring .old: gone, and retiring again is harmless. */
	assert_int_equal(vault_retire_old(f->db, err, sizeof err), 0);
	assert_false(file_exists(f->db, VAULT_KEY_OLD));
	assert_int_equal(vault_retire_old(f->db, err, sizeof err), 0);
	assert_int_equal(vault_load_with_old(&now, f->db, err, sizeof err), 0);
	assert_false(now.prev_ready);

	/* The plain switch from scratch: .old is the replaced key, the current one the new. */
	assert_int_equal(vault_rotation_load(&again, f->db, 1, &created, err, sizeof err), 0);
	assert_int_equal(vault_rotation_switch(f->db, err, sizeof err), 0);
	assert_int_equal(vault_load_with_old(&now, f->db, err, sizeof err), 0);
	assert_string_equal(now.key_id, again.key_id);
	assert_string_equal(now.prev_key_id, v.key_id);
	vault_wipe(&again);
	vault_wipe(&now);
	vault_wipe(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_field_row_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blind_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global, setup, teardown),
		cmocka_unit_test_setup_teardown(test_previous_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
