/*
 * Unit tests for domain/access and domain/permissions: the scope range of a region path, subtree
 * membership, the grid-worker rule, permission checks through a perm_set, and the catalog's own
 * invariants (every built-in role's permission exists; the three administrators are separated;
 * only the administrator roles need TOTP).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/access.h"
#include "domain/permissions.h"

static void test_scope_range(void **state)
{
	struct principal p = { .user_id = 5 };
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];

	(void)state;
	memcpy(p.region_path, "371500000000/371502000000/", 27);
	access_scope_range(&p, lo, hi);
	assert_string_equal(lo, "371500000000/371502000000/");
	assert_string_equal(hi, "371500000000/3715020000000");
	assert_true(access_sees_region(&p, "371500000000/371502000000/"));
	assert_true(access_sees_region(&p, "371500000000/371502000000/371502001000/"));
	assert_false(access_sees_region(&p, "371500000000/"));
	assert_false(access_sees_region(&p, "371500000000/371503000000/"));
	assert_false(access_sees_region(&p, "371500000000/371502000001/"));
	/* No scope: sees nothing. System: everything. */
	p.region_path[0] = '\0';
	assert_false(access_sees_region(&p, "371500000000/"));
	assert_true(access_sees_region(access_system(), "371500000000/"));
	assert_false(access_sees_region(access_anonymous(), "371500000000/"));
}

static void test_grid_rule(void **state)
{
	int64_t mine[] = { 7, 9 };
	struct principal w = { .user_id = 3, .grid_ids = mine, .ngrids = 2, .grid_bound = 1 };
	const char *path = "371500000000/371502000000/371502001000/371502001001/";

	(void)state;
	memcpy(w.region_path, path, strlen(path) + 1);
	assert_true(access_sees_grid(&w, 7, path));
	assert_true(access_sees_grid(&w, 9, path));
	assert_false(access_sees_grid(&w, 8, path));
	/* Even one of theirs is refused outside the region scope. */
	assert_false(access_sees_grid(&w, 7, "371500000000/371503000000/"));
	w.grid_bound = 0;
	assert_true(access_sees_grid(&w, 8, path));
	assert_true(access_sees_grid(access_system(), 8, path));
}

static void test_can(void **state)
{
	struct perm_set s = { 0 };
	struct principal p = { .user_id = 1, .impl = &s };
	struct principal anon = { 0 };

	(void)state;
	assert_int_equal(perm_set_add_name(&s, "grid.read"), 0);
	assert_int_equal(perm_set_add_name(&s, "no.such"), -1);
	assert_true(access_can(&p, "grid.read"));
	assert_false(access_can(&p, "grid.write"));
	assert_false(access_can(&p, "no.such"));
	assert_true(access_can(&p, "public"));
	assert_true(access_can(&p, "authenticated"));
	assert_true(access_can(&anon, "public"));
	assert_false(access_can(&anon, "authenticated"));
	assert_false(access_can(&anon, "grid.read"));
	assert_true(access_can(access_system(), "audit.read"));
	assert_false(access_can(NULL, "public"));
}

static void test_catalog(void **state)
{
	unsigned admin_roles = 0;

	(void)state;
	for (size_t i = 0; i < permission_count; i++) {
		assert_int_equal(permission_index(permission_catalog[i].name), (int)i);
		assert_true(strlen(permission_catalog[i].label) > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(permission_catalog[i].name,
			                        permission_catalog[j].name);
	}
	assert_false(permission_grantable("public"));
	assert_false(permission_grantable("authenticated"));
	assert_false(permission_grantable("internal.probe"));
	assert_true(permission_grantable("grid.read"));
	for (size_t i = 0; i < builtin_role_count; i++) {
		const struct builtin_role *r = &builtin_roles[i];
		struct perm_set s;
		for (const char *const *q = r->permissions; *q; q++)
			assert_true(permission_grantable(*q));
		builtin_role_perms(r, &s);
		assert_true(perm_set_separated(&s));
		if (perm_set_is_admin(&s))
			admin_roles |= 1u << i;
	}
	/* Exactly sysadmin, secadmin and auditor are administrators (TOTP required). */
	assert_int_equal(admin_roles, (1u << 4) | (1u << 5) | (1u << 6));
	assert_string_equal(builtin_roles[4].name, "sysadmin");
	assert_string_equal(builtin_roles[5].name, "secadmin");
	assert_string_equal(builtin_roles[6].name, "auditor");
	/* 三员分立: no two of them combined pass the separation check. */
	for (int a = 4; a < 7; a++)
		for (int b = a + 1; b < 7; b++) {
			struct perm_set x, y;
			builtin_role_perms(&builtin_roles[a], &x);
			builtin_role_perms(&builtin_roles[b], &y);
			perm_set_union(&x, &y);
			assert_false(perm_set_separated(&x));
		}
	{
		struct perm_set s = { 0 }, t = { 0 };
		perm_set_add_name(&s, "grid.read");
		perm_set_add_name(&t, "grid.read");
		perm_set_add_name(&t, "audit.read");
		assert_true(perm_set_subset(&s, &t));
		assert_false(perm_set_subset(&t, &s));
		assert_null(builtin_role_find("root"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope_range),
		cmocka_unit_test(test_grid_rule),
		cmocka_unit_test(test_can),
		cmocka_unit_test(test_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
