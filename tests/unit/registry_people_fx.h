/*
 * The fixture of the registry's people tests (test_registry.c, test_registry_quality.c): the
 * township of registry_fx.h, a center operator of it (op) and the same with person.key_read
 * (officer), and helpers that register a house and a person. Each test file's setup names the
 * operator's permissions (fx_setup). Header-only, as idfx.h; include after cmocka.h.
 */
#ifndef WANGGE_TESTS_REGISTRY_PEOPLE_FX_H
#define WANGGE_TESTS_REGISTRY_PEOPLE_FX_H

#include "base/idcard.h"
#include "domain/permissions.h"
#include "domain/registry.h"
#include "registry_fx.h"

struct fx {
	struct idfx id;
	struct perm_set perms, key_perms;
	struct principal op, officer;
};

static inline const char *idn(const char *first17, char out[19])
{
	memcpy(out, first17, 17);
	out[17] = idcard_check_char(first17);
	out[18] = '\0';
	return out;
}

static inline int fx_setup(void **state, const char *const *base)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || idfx_open(&f->id, "registry") < 0)
		return -1;
	if (registry_fx_township(&f->id) != 0)
		return -1;
	for (int i = 0; base[i]; i++) {
		perm_set_add_name(&f->perms, base[i]);
		perm_set_add_name(&f->key_perms, base[i]);
	}
	perm_set_add_name(&f->key_perms, "person.key_read");
	f->op = (struct principal){ .user_id = 1,
		                    .org_kind = ORG_CENTER,
		                    .region_code = TOWN,
		                    .region_path = TOWN_PATH,
		                    .impl = &f->perms };
	f->officer = f->op;
	f->officer.impl = &f->key_perms;
	f->id.x.now = 1780286400; /* 2026-06-01 12:00 +08:00 */
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;
	int rc = idfx_close(&f->id);

	free(f);
	return rc;
}

static inline struct dom_ctx as(struct fx *f, const struct principal *p)
{
	struct dom_ctx x = f->id.x;

	x.caller = p;
	return x;
}

static inline int64_t new_house(const struct dom_ctx *x, const char *grid)
{
	struct house_input in = {
		.grid = grid, .address = "湖西路 1 号", .type = "住宅", .use = "自住"
	};
	struct dom_err e = { 0 };
	int64_t id = 0;

	assert_int_equal(house_create(x, &in, &id, &e), 0);
	return id;
}

static inline int64_t new_person(const struct dom_ctx *x, const char *first17, int64_t house,
                                 const char *date, const char *relation)
{
	struct person_input in = PERSON_INPUT_INIT;
	struct dom_err e = { 0 };
	char n[19];
	int64_t id = 0;

	in.name = "王芳";
	in.id_number = idn(first17, n);
	in.reg_type = "户籍";
	in.phone = "13912345678";
	in.house = house;
	in.date = date;
	in.relation = relation;
	assert_int_equal(person_create(x, &in, &id, &e), 0);
	return id;
}

#endif
