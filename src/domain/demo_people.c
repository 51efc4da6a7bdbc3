/*
 * The demo population (demo_people.h). Every choice is a hash of the grid code and the running
 * person number, so the same city gives the same people. ID numbers are valid (check
 * character, real birth date, sex digit) with the township's area code for 户籍 residents and
 * another province's for floating people; an ID number that happens to be taken already is
 * moved on to the next sequence number.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/idcard.h"
#include "domain/demo_people.h"
#include "domain/duty.h"
#include "domain/registry.h"
#include "store/store.h"

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄",
	                                "周", "吴", "徐", "孙", "马", "朱", "胡", "郭" };
static const char *const male[] = { "伟", "强", "磊", "军",   "勇",   "杰",   "涛",
	                            "明", "超", "刚", "建国", "志强", "晓东", "文博" };
static const char *const female[] = { "芳", "娜", "秀英", "敏",   "静",   "丽",   "艳",
	                              "娟", "霞", "桂英", "海燕", "春梅", "玉兰", "红霞" };
static const char *const streets[] = { "振兴路", "东昌路", "花园路", "建设路",
	                               "光岳路", "柳园路", "利民路", "湖南路" };
/* Area codes of the floating population's home places (Henan, Hebei, Anhui, Jiangsu). */
static const char *const elsewhere[] = { "410102", "130102", "340102", "320102" };
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct grid_ref {
	char code[16], area[8];
};

struct fill {
	const struct dom_ctx *x;
	struct demo_population *out;
	int64_t n; /* people made so far: seeds the ID numbers */
	char today[16];
};

static uint32_t hash(const char *s, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* One person: born in birth_year (day from h), of sex male or not. house > 0 lives there, else
   registered in grid. 0 and *id, or -1 with e. */
static int person(struct fill *f, const struct grid_ref *g, int64_t house, const char *area,
                  int birth_year, int is_male, const char *surname, const char *reg_type,
                  const char *household, const char *relation, const char *date, const char *tag,
                  int64_t *id, struct dom_err *e)
{
	struct person_input in = PERSON_INPUT_INIT;
	uint32_t h = hash(g->code, (uint32_t)f->n * 2654435761u);
	char idn[20], name[32], phone[16];
	int64_t day = clock_days_from_civil(birth_year, 1, 1) + (int64_t)(h % 365);
	int y, m, d, rc = -1;

	(void)snprintf(name, sizeof name, "%s%s", surname,
	               is_male ? male[(h >> 8) % N_OF(male)] : female[(h >> 8) % N_OF(female)]);
	(void)snprintf(phone, sizeof phone, "1%02u%08u", 30 + (h >> 4) % 60,
	               (unsigned)((h ^ (uint32_t)f->n * 7u) % 100000000u));
	clock_civil_from_days(day, &y, &m, &d);
	in.name = name;
	in.reg_type = reg_type;
	in.phone = (h >> 3) % 5 ? phone : NULL;
	in.house = house > 0 ? house : -1;
	in.grid = house > 0 ? NULL : g->code;
	in.household_no = household;
	in.relation = relation;
	in.date = date;
	if (tag) {
		in.tags_enter[0] = tag;
		in.n_enter = 1;
	}
	for (int tries = 0; tries < 8 && rc < 0; tries++) {
		/* 600..999: the tests' own people use lower sequence numbers. */
		unsigned seq = 600u + (unsigned)((f->n++ % 200) * 2 + (is_male ? 1 : 0));

		(void)snprintf(idn, sizeof idn, "%.6s%04u%02u%02u%03u", area, (unsigned)y % 10000u,
		               (unsigned)m % 100u, (unsigned)d % 100u, seq % 1000u);
		idn[17] = idcard_check_char(idn);
		idn[18] = '\0';
		in.id_number = idn;
		memset(e, 0, sizeof *e);
		rc = person_create(f->x, &in, id, e);
		if (rc < 0 && e->status != 409)
			break;
	}
	if (rc == 0) {
		f->out->people++;
		f->out->floating += strcmp(reg_type, "流动") == 0;
	}
	return rc;
}

/* The day family j of grid g moved in (2008..2022). */
static void family_date(const struct grid_ref *g, int j, char date[16])
{
	uint32_t h = hash(g->code, 1000u + (uint32_t)j);

	(void)snprintf(date, 16, "%04u-%02u-15", 2008u + (h >> 12) % 15u, 1u + (h >> 20) % 12u);
}

/* House j of grid g, of use since the date (NULL: today) its first household moved in. */
static int house(struct fill *f, const struct grid_ref *g, int j, const char *use,
                 const char *since, int64_t *id, struct dom_err *e)
{
	uint32_t h = hash(g->code, (uint32_t)j);
	char address[64], building[16], room[16];
	struct house_input in = { .grid = g->code,
		                  .address = address,
		                  .building = building,
		                  .room = room,
		                  .type = "dwelling",
		                  .use = use,
		                  .date = since };

	(void)snprintf(address, sizeof address, "%s%u号", streets[h % N_OF(streets)],
	               1 + (h >> 8) % 200);
	(void)snprintf(building, sizeof building, "%u号楼", 1 + (h >> 16) % 12);
	(void)snprintf(room, sizeof room, "%u0%u", 1 + (unsigned)j % 6, 1 + (h >> 4) % 4);
	if (house_create(f->x, &in, id, e) < 0)
		return -1;
	f->out->houses++;
	return 0;
}

/* A family in house: head, spouse, 0..2 children, sometimes a parent. */
static int family(struct fill *f, const struct grid_ref *g, int64_t hid, int j, struct dom_err *e)
{
	uint32_t h = hash(g->code, 1000u + (uint32_t)j);
	const char *sn = surnames[h % N_OF(surnames)];
	int head_year = 1958 + (int)((h >> 4) % 30), kids = (int)((h >> 9) % 3);
	char hh[24], date[16];
	int64_t id;

	(void)snprintf(hh, sizeof hh, "%.9s%02d", g->code + 6, j);
	family_date(g, j, date);
	if (person(f, g, hid, g->area, head_year, 1, sn, "户籍", hh, "head", date,
	           (h >> 14) % 9 == 0 ? "low_income" : NULL, &id, e) < 0 ||
	    person(f, g, hid, g->area, head_year + 1 - (int)((h >> 6) % 4), 0,
	           surnames[(h >> 3) % N_OF(surnames)], "户籍", hh, "spouse", date,
	           (h >> 15) % 11 == 0 ? "disabled" : NULL, &id, e) < 0)
		return -1;
	for (int k = 0; k < kids; k++)
		if (person(f, g, hid, g->area, head_year + 24 + k * 3, (h >> (k + 20)) & 1, sn,
		           "户籍", hh, "child", date, NULL, &id, e) < 0)
			return -1;
	if ((h >> 24) % 4 == 0 && person(f, g, hid, g->area, head_year - 27, (h >> 25) & 1, sn,
	                                 "户籍", hh, "parent", date, NULL, &id, e) < 0)
		return -1;
	return 0;
}

/* The key people: one of each of three categories, in the first three grids, entered on
   different dates; the first is visited two days ago (a duty record linked to the person). */
static int key_person(struct fill *f, const struct grid_ref *g, int64_t hid, int i,
                      struct dom_err *e)
{
	static const char *const cats[] = { "community_correction", "released_prisoner",
		                            "mental_illness" };
	static const char *const dates[] = { "2026-03-02", "2025-10-20", "2024-06-11" };
	char hh[24];
	int64_t id = 0, rec;

	(void)snprintf(hh, sizeof hh, "%.9s90", g->code + 6);
	if (person(f, g, hid, g->area, 1975 + i * 6, i != 2, surnames[(i + 5) % N_OF(surnames)],
	           "户籍", hh, "head", strcmp(dates[i], f->today) < 0 ? dates[i] : f->today,
	           cats[i], &id, e) < 0)
		return -1;
	f->out->key_people++;
	if (i == 1) {
		struct duty_input in = { .duty = "key_group_visit",
			                 .grid = g->code,
			                 .at = f->x->now - 2 * 86400,
			                 .note = "例行走访，情况稳定",
			                 .person_id = id };

		if (duty_create(f->x, &in, &rec, e) < 0)
			return -1;
	}
	return 0;
}

static int fill_grid(struct fill *f, const struct grid_ref *g, int i, struct dom_err *e)
{
	uint32_t h = hash(g->code, 77u);
	int families = 2 + (int)(h % 3), floaters = 1 + (int)((h >> 4) % 3), j = 0;
	char hh[24];
	int64_t hid = 0, id;

	char since[16];

	for (; j < families; j++) {
		family_date(g, j, since);
		if (house(f, g, j, "self", since, &hid, e) < 0 || family(f, g, hid, j, e) < 0)
			return -1;
	}
	/* A rented flat of floating people (workers from another province), registered today. */
	if (house(f, g, j, "rent", NULL, &hid, e) < 0)
		return -1;
	(void)snprintf(hh, sizeof hh, "%.9s%02d", g->code + 6, j++);
	for (int k = 0; k < floaters; k++)
		if (person(f, g, hid, elsewhere[(h >> (8 + k)) % N_OF(elsewhere)],
		           1988 + (int)((h >> (12 + k)) % 14), (h >> (16 + k)) & 1,
		           surnames[(h >> (20 + k)) % N_OF(surnames)], "流动", hh,
		           k ? "other" : "head", NULL, NULL, &id, e) < 0)
			return -1;
	/* Some grids have an elderly person living alone. */
	if ((h >> 24) % 2 == 0) {
		(void)snprintf(hh, sizeof hh, "%.9s%02d", g->code + 6, j);
		if (house(f, g, j++, "self", "2010-05-01", &hid, e) < 0 ||
		    person(f, g, hid, g->area, 1938 + (int)((h >> 25) % 10), (h >> 26) & 1,
		           surnames[(h >> 27) % N_OF(surnames)], "户籍", hh, "head", "2010-05-01",
		           "elderly_alone", &id, e) < 0)
			return -1;
	}
	if (i < 3 && key_person(f, g, hid, i, e) < 0)
		return -1;
	/* One floating person registered in the grid with no house yet. */
	if (i == 0 && person(f, g, 0, elsewhere[0], 1996, 1, "钱", "流动", NULL, NULL, NULL, NULL,
	                     &id, e) < 0)
		return -1;
	f->out->grids++;
	return 0;
}

int demo_people_fill(const struct dom_ctx *x, struct demo_population *out, char *err, size_t errlen)
{
	struct fill f = { .x = x, .out = out };
	struct dom_err e = { 0 };
	struct grid_ref *gs = NULL;
	size_t n = 0, cap = 0;
	struct store_conn *c;
	struct store_stmt *st = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!(c = dom_reader(x, &e)))
		goto out;
	if (!(st = store_prepare(c, "SELECT EXISTS (SELECT 1 FROM people)")) ||
	    store_step(st) != STORE_ROW) {
		dom_err_read(&e);
		goto out;
	}
	out->already = store_col_int64(st, 0) != 0;
	store_reset(st);
	if (out->already) {
		rc = 0;
		goto out;
	}
	if (!(st = store_prepare(c, "SELECT code FROM grids WHERE status = 'active' ORDER BY "
	                            "code"))) {
		dom_err_read(&e);
		goto out;
	}
	while (store_step(st) == STORE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct grid_ref *ng = ncap > SIZE_MAX / sizeof *gs
			                              ? NULL
			                              : realloc(gs, ncap * sizeof *gs);

			if (!ng) {
				store_reset(st);
				dom_err_set(&e, 500, "internal", "内存不足");
				goto out;
			}
			gs = ng;
			cap = ncap;
		}
		dom_copy(gs[n].code, sizeof gs[n].code, store_col_text(st, 0));
		dom_copy(gs[n].area, sizeof gs[n].area, gs[n].code); /* its county: 6 digits */
		n++;
	}
	store_reset(st);
	clock_format_local(x->now, f.today, sizeof f.today);
	f.today[10] = '\0';
	for (size_t i = 0; i < n; i++)
		if (fill_grid(&f, &gs[i], (int)i, &e) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0)
		(void)snprintf(err, errlen, "%s", e.message[0] ? e.message : "读取失败");
	free(gs);
	return rc;
}
