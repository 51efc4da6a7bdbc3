/*
 * The city-scale demo population (demo_city_people.h). Grids are walked in id order and each is
 * generated from a random stream seeded by the seed and the grid, so the same city and seed
 * give the same people. ID numbers are made unique by construction: for each area code, birth
 * date and sex a counter gives the sequence number, and the counters advance over every grid in
 * the same order on every run. A grid that already has people is generated (to advance the
 * counters) but not written, so a run stopped half-way is finished by running it again.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/codes.h"
#include "base/idcard.h"
#include "domain/demo_city_people.h"
#include "domain/registry.h"
#include "domain/worker.h" /* worker_local_date */
#include "store/store.h"

#define WRITE_PEOPLE 20000 /* people per write, as the import */
#define ARENA (8u * 1024 * 1024)
#define AREAS_MAX 32
#define DAY0_YEAR 1920
#define DAYS (110 * 366) /* birth dates from 1920 on */

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
	"魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
	"薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
};
/* Surnames of Shandong lean to the first: the index is drawn as the smaller of two draws. */
static const char *const male_chars[] = {
	"伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
	"鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "峰",
	"建", "国", "志", "文", "东", "海", "晓", "振", "庆", "永", "德", "成", "广", "庆", "瑞",
};
static const char *const female_chars[] = {
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "桂", "兰", "燕", "萍",
	"红", "梅", "琳", "雪", "婷", "慧", "莉", "倩", "颖", "洁", "佳", "欣", "悦", "璐", "晶",
	"春", "玉", "凤", "云", "翠", "美", "淑", "丹", "彤", "雯", "琪", "宁", "月", "爱", "荣",
};
static const char *const relations[] = { "户主", "配偶", "子女", "父母" };
/* Area codes of the floating population's home places: Hebei, Henan, Shanxi, Anhui, Jiangsu,
   Jinan and Heze of Shandong itself. */
static const char *const elsewhere[] = { "130102", "410102", "140105", "340102",
	                                 "320102", "370102", "371702" };
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	/* splitmix64: small, fast, and good enough to shape a population. */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(next(r) % n);
}

/* Days since 1920-01-01 to a civil date (proleptic Gregorian). */
static void civil(int days, int *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	*y = DAY0_YEAR;
	for (;;) {
		int len = (*y % 4 == 0 && (*y % 100 != 0 || *y % 400 == 0)) ? 366 : 365;

		if (days < len)
			break;
		days -= len;
		(*y)++;
	}
	for (*m = 1;; (*m)++) {
		int len = mdays[*m - 1] +
		          (*m == 2 && (*y % 4 == 0 && (*y % 100 != 0 || *y % 400 == 0)));

		if (days < len)
			break;
		days -= len;
	}
	*d = days + 1;
}

static int days_of(int y, int m, int d)
{
	int days = 0;

	for (int yy = DAY0_YEAR; yy < y; yy++)
		days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0)) ? 366 : 365;
	for (int mm = 1; mm < m; mm++) {
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

		days += mdays[mm - 1] + (mm == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
	}
	return days + d - 1;
}

struct gen {
	const struct dom_ctx *x;
	struct demo_city_population *out;
	unsigned seed;
	int today; /* days since 1920-01-01 */
	/* Sequence counters per area code, birth day and sex. */
	char areas[AREAS_MAX][7];
	size_t n_areas;
	uint16_t (*seq)[DAYS][2];
	/* The write being gathered: rows and their strings. */
	struct person_bulk_row *rows;
	size_t n, cap;
	struct unit_input *units; /* the units of the same grids */
	size_t n_units, units_cap;
	int64_t unit_seq; /* numbers the credit codes; advances over every grid, as seq */
	char *arena;      /* ARENA bytes, allocated once: the rows point into it */
	size_t used;
	int full;    /* the arena ran out (a write empties it) */
	int careful; /* person_insert_many looks every number up (to name a bad row) */
};

static int area_index(struct gen *g, const char *area)
{
	for (size_t i = 0; i < g->n_areas; i++)
		if (strcmp(g->areas[i], area) == 0)
			return (int)i;
	if (g->n_areas == AREAS_MAX)
		return -1;
	memcpy(g->areas[g->n_areas], area, 7);
	return (int)g->n_areas++;
}

/* A copy of s kept until the write (NULL, and full set, when the arena is out of room). */
static const char *keep(struct gen *g, const char *s)
{
	size_t n = strlen(s) + 1;
	char *at = g->arena + g->used;

	if (n > ARENA - g->used) {
		g->full = 1;
		return NULL;
	}
	memcpy(at, s, n);
	g->used += n;
	return at;
}

/* One person of the household. 0, or -1 when out of room. */
static int person(struct gen *g, struct rng *r, const char *grid, const char *address,
                  const char *room, const char *household, const char *area, int age, int male,
                  const char *surname, int relation, int reg, int moved_in)
{
	struct person_bulk_row *p;
	char id[19], name[32], phone[16], date[11], born[11];
	int a = area_index(g, area), day, y, m, d, seq;
	const char *const *chars = male ? male_chars : female_chars;
	size_t nchars = male ? N_OF(male_chars) : N_OF(female_chars);

	if (a < 0)
		return -1;
	/* A birth day of that age: today minus age years, minus up to a year. */
	day = g->today - age * 365 - (int)(age / 4) - (int)below(r, 365);
	if (day < 0)
		day = (int)below(r, 365);
	while (day < DAYS && g->seq[a][day][male] >= 499)
		day++; /* that day's sequence numbers are used up: the next day */
	if (day >= DAYS)
		return -1;
	seq = g->seq[a][day][male]++ * 2 + (male ? 1 : 2);
	civil(day, &y, &m, &d);
	(void)snprintf(born, sizeof born, "%04d-%02d-%02d", y, m, d);
	if (reg == 2) {
		(void)snprintf(id, sizeof id, "E%08u",
		               (unsigned)(g->out->foreigners + 1) % 100000000u);
	} else {
		(void)snprintf(id, sizeof id, "%s%04d%02d%02d%03d", area, y, m, d, seq);
		id[17] = idcard_check_char(id);
		id[18] = '\0';
	}
	(void)snprintf(name, sizeof name, "%s%s%s", surname, chars[below(r, (unsigned)nchars)],
	               below(r, 10) < 7 ? chars[below(r, (unsigned)nchars)] : "");
	if (age >= 12 || below(r, 4) == 0)
		(void)snprintf(phone, sizeof phone, "1%c%09u", "3456789"[below(r, 7)],
		               below(r, 1000000000u));
	else
		phone[0] = '\0';
	civil(moved_in, &y, &m, &d);
	(void)snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 1024;
		struct person_bulk_row *nr = realloc(g->rows, ncap * sizeof *nr);

		if (!nr)
			return -1;
		g->rows = nr;
		g->cap = ncap;
	}
	p = &g->rows[g->n];
	*p = (struct person_bulk_row){ .in = PERSON_INPUT_INIT };
	p->in.name = keep(g, name);
	p->in.id_number = keep(g, id);
	p->in.reg_type = reg == 2 ? "境外" : reg == 1 ? "流动" : "户籍";
	p->in.grid = keep(g, grid);
	p->in.phone = phone[0] ? keep(g, phone) : NULL;
	p->in.household_no = household;
	p->in.relation = relations[relation];
	p->in.date = keep(g, date);
	p->address = address;
	p->room = room;
	p->line = (int64_t)g->n + 1;
	if (reg == 2) { /* a foreigner: a passport number instead, sex and birth date given */
		p->in.passport = p->in.id_number;
		p->in.id_number = NULL;
		p->in.sex = male ? "M" : "F";
		p->in.birth_date = keep(g, born);
		p->in.nationality = "KOR";
	}
	sodium_memzero(id, sizeof id);
	sodium_memzero(phone, sizeof phone);
	if (g->full)
		return -1;
	g->n++;
	g->out->people++;
	g->out->floating += reg == 1;
	g->out->foreigners += reg == 2;
	g->out->elderly += age >= 60;
	g->out->children += age < 15;
	return 0;
}

/* One household of the grid: a house (address, room) and its people. 0 or -1. */
static int household(struct gen *g, struct rng *r, const char *grid, const char *grid_name, int k,
                     int *left)
{
	char text[160], room[16], hh[40];
	const char *address, *roomk, *hhk;
	unsigned shape = below(r, 100), size;
	int reg = below(r, 100) < 12 ? 1 : 0, head_age, head_male = below(r, 100) < 80;
	const char *surname = surnames[below(r, (unsigned)N_OF(surnames)) < N_OF(surnames) / 2
	                                       ? below(r, 24)
	                                       : below(r, (unsigned)N_OF(surnames))];
	const char *area = grid;
	char area6[7], own[7];
	int moved_in, rc = 0;

	/* 20% one person, 30% two, 22% three, 15% four, 9% five, 4% six. */
	size = shape < 20   ? 1
	       : shape < 50 ? 2
	       : shape < 72 ? 3
	       : shape < 87 ? 4
	       : shape < 96 ? 5
	                    : 6;
	if ((int)size > *left)
		size = (unsigned)*left;
	if (reg == 1 && below(r, 200) == 0)
		reg = 2; /* one household in about 1,700: foreigners */
	memcpy(own, grid, 6);
	own[6] = '\0';
	if (reg == 1)
		area = elsewhere[below(r, (unsigned)N_OF(elsewhere))];
	else
		area = own;
	memcpy(area6, area, 7);
	/* The household's shape gives the ages. */
	if (size == 1)
		head_age = below(r, 100) < 40 ? 60 + (int)below(r, 31) : 20 + (int)below(r, 40);
	else if (size == 2)
		head_age = below(r, 2) ? 60 + (int)below(r, 26) : 25 + (int)below(r, 35);
	else
		head_age = 28 + (int)below(r, 25);
	moved_in = g->today - (int)below(r, 15 * 365);
	(void)snprintf(text, sizeof text, "%s%d号楼%d单元", grid_name, 1 + k / 24, 1 + (k / 8) % 3);
	(void)snprintf(room, sizeof room, "%d0%d", 1 + (k / 2) % 6, 1 + k % 2);
	(void)snprintf(hh, sizeof hh, "%s-%04d", grid, k + 1);
	address = keep(g, text);
	roomk = keep(g, room);
	hhk = keep(g, hh);
	g->out->houses++;
	rc |= person(g, r, grid, address, roomk, hhk, area6, head_age, head_male, surname, 0, reg,
	             moved_in);
	if (size >= 2)
		rc |= person(
		        g, r, grid, address, roomk, hhk, area6,
		        head_age - 3 + (int)below(r, 7) < 18 ? 18 : head_age - 3 + (int)below(r, 7),
		        !head_male, surnames[below(r, (unsigned)N_OF(surnames))], 1, reg, moved_in);
	for (unsigned c = 2; c < size && c < 4; c++) {
		int age = head_age - 22 - (int)below(r, 12);

		rc |= person(g, r, grid, address, roomk, hhk, area6,
		             age < 0 ? (int)below(r, 3) : age, below(r, 2), surname, 2, reg,
		             moved_in);
	}
	for (unsigned c = 4; c < size; c++)
		rc |= person(g, r, grid, address, roomk, hhk, area6,
		             head_age + 24 + (int)below(r, 8), c == 4, surname, 3, reg, moved_in);
	*left -= (int)size;
	return rc ? -1 : 0;
}

static int community_len(const char *grid_name)
{
	const char *at = strstr(grid_name, "第");

	return (int)(at ? (size_t)(at - grid_name) : strlen(grid_name));
}

/* Organisation code check character (GB 11714) of the 8 characters at s (digits here). */
static char org_check(const char *s)
{
	static const int w[] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0, c;

	for (int i = 0; i < 8; i++)
		sum += (s[i] - '0') * w[i];
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

/* The units of a grid: about one per 60 residents, most of them shops and small firms. 0 or -1
   (out of room). */
static int grid_units(struct gen *g, struct rng *r, const char *grid, const char *grid_name,
                      int64_t residents)
{
	/* kind, its registration authority and type (the credit code's first two characters),
	   name endings, per mille */
	static const char *const shops[] = { "便利店", "超市",   "小吃店", "五金店", "理发店",
		                             "药店",   "水果店", "早餐店", NULL };
	static const char *const firms[] = { "商贸有限公司", "建材有限公司",     "科技有限公司",
		                             "物流有限公司", "餐饮管理有限公司", NULL };
	static const char *const schools[] = { "小学", "幼儿园", NULL };
	static const char *const clinics[] = { "卫生室", "社区卫生服务站", NULL };
	static const char *const orgs[] = { "志愿者协会", "老年协会", NULL };
	static const char *const offices[] = { "便民服务站", NULL };
	static const char *const coops[] = { "农民专业合作社", NULL };
	/* kind, its registration authority and type (the credit code's first two characters),
	   name endings, per mille */
	static const struct {
		const char *kind, *reg;
		const char *const *endings;
		unsigned share;
	} kinds[] = {
		{ "shop", "92", shops, 600 },     { "enterprise", "91", firms, 260 },
		{ "school", "12", schools, 30 },  { "hospital", "12", clinics, 30 },
		{ "social_org", "52", orgs, 40 }, { "government", "11", offices, 20 },
		{ "other", "93", coops, 20 },
	};
	int n = (int)(residents / 60) + (int)below(r, 4);

	for (int k = 0; k < n; k++) {
		unsigned pick = below(r, 1000), acc = 0;
		size_t t = 0, ne = 0;
		char code[19], name[160], address[160], phone[16];
		struct unit_input *u;

		while (t + 1 < N_OF(kinds) && pick >= acc + kinds[t].share)
			acc += kinds[t++].share;
		while (kinds[t].endings[ne])
			ne++;
		g->unit_seq++;
		(void)snprintf(code, sizeof code, "%s%.6s%08" PRId64, kinds[t].reg, grid,
		               g->unit_seq % 100000000);
		code[16] = org_check(code + 8);
		code[17] = '\0';
		code[17] = uscc_check_char(code);
		code[18] = '\0';
		if (strcmp(kinds[t].kind, "shop") == 0 || strcmp(kinds[t].kind, "enterprise") == 0)
			(void)snprintf(name, sizeof name, "聊城%s%s%s", surnames[below(r, 24)],
			               male_chars[below(r, (unsigned)N_OF(male_chars))],
			               kinds[t].endings[below(r, (unsigned)ne)]);
		else
			/* The community's name: the grid's without its "第N网格". */
			(void)snprintf(name, sizeof name, "%.*s%s", community_len(grid_name),
			               grid_name, kinds[t].endings[below(r, (unsigned)ne)]);
		(void)snprintf(address, sizeof address, "%s%d号", grid_name, 1 + k);
		(void)snprintf(phone, sizeof phone, "1%c%09u", "3456789"[below(r, 7)],
		               below(r, 1000000000u));
		if (g->n_units == g->units_cap) {
			size_t ncap = g->units_cap ? g->units_cap * 2 : 512;
			struct unit_input *nu = realloc(g->units, ncap * sizeof *nu);

			if (!nu)
				return -1;
			g->units = nu;
			g->units_cap = ncap;
		}
		u = &g->units[g->n_units];
		*u = (struct unit_input){ .grid = keep(g, grid),
			                  .name = keep(g, name),
			                  .credit_code = keep(g, code),
			                  .kind = kinds[t].kind,
			                  .address = keep(g, address),
			                  .contact_name = NULL,
			                  .contact_phone = keep(g, phone) };
		if (g->full)
			return -1;
		g->n_units++;
		g->out->units++;
	}
	return 0;
}

struct grid_row {
	int64_t id, residents;
	char code[16], name[64];
	int has_people;
};

static int load_grids(const struct dom_ctx *x, struct grid_row **out, size_t *n, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	struct grid_row *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	if (!c)
		return -1;
	if (!(st = store_prepare(c, "SELECT g.id, g.code, g.name, g.residents, EXISTS (SELECT 1 "
	                            "FROM people p WHERE p.grid_id = g.id) FROM grids g WHERE "
	                            "g.status = 'active' AND g.residents > 0 ORDER BY g.id")))
		return dom_err_read(e);
	while ((rc = store_step(st)) == STORE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct grid_row *nv = realloc(v, ncap * sizeof *nv);

			if (!nv) {
				rc = STORE_ERR;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[*n].id = store_col_int64(st, 0);
		dom_copy(v[*n].code, sizeof v[*n].code, store_col_text(st, 1));
		dom_copy(v[*n].name, sizeof v[*n].name, store_col_text(st, 2));
		v[*n].residents = store_col_int64(st, 3);
		v[*n].has_people = (int)store_col_int64(st, 4);
		(*n)++;
	}
	store_reset(st);
	*out = v;
	return rc == STORE_DONE ? 0 : dom_err_read(e);
}

static void first_bad(void *arg, int64_t line, const char *code, const char *message)
{
	struct dom_err *e = arg;

	if (!e->status)
		dom_err_set(e, 500, "demo_row", "第 %" PRId64 " 人：%s（%s）", line, message, code);
}

static int write_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct gen *g = w->arg;
	struct dom_err bad = { 0 };
	/* Valid and unique by construction: the quick pass; a bad row (a generator bug) is named
	   by the careful one (flush). */
	int rc = person_insert_many(c, x, g->rows, g->n,
	                            g->careful ? PERSON_BULK_CHECK_REGISTERED : 0, first_bad, &bad,
	                            e);

	if (rc > 0)
		*e = bad; /* a generator bug: the demo must be valid */
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < g->n_units; i++) {
		int64_t id;

		if (unit_insert(c, x, &g->units[i], &id, e) < 0)
			return -1;
	}
	dom_write_detail(w, "演示人口 %zu 人，单位 %zu 个", g->n, g->n_units);
	return 0;
}

/* Writes the gathered people as one write alone. */
static int flush(struct gen *g, struct dom_err *e)
{
	struct dom_write w = { .action = "demo.people",
		               .permission = "person.write",
		               /* The demo is filled by the system principal over the whole city:
		                  the permission is the rule; every row is still checked in scope by
		                  person_insert_many. */
		               .authorize = dom_authorize_any,
		               .apply = write_apply,
		               .arg = g,
		               .callers_unchanged = 1,
		               .alone = 1 };
	int rc = 0;

	if (g->n > 0 || g->n_units > 0) {
		dom_write_object(&w, "people:demo");
		rc = dom_write(g->x, &w, e);
		if (rc < 0 && e->code && strcmp(e->code, "recheck") == 0) {
			g->careful = 1; /* to name the bad row in the error */
			dom_write_object(&w, "people:demo");
			rc = dom_write(g->x, &w, e);
			g->careful = 0;
		}
	}
	sodium_memzero(g->arena, g->used);
	g->used = 0;
	g->n = 0;
	g->n_units = 0;
	g->full = 0;
	return rc;
}

int demo_city_people_fill(const struct dom_ctx *x, unsigned seed, demo_city_progress_fn progress,
                          void *arg, struct demo_city_population *out, char *err, size_t errlen)
{
	struct gen g = { .x = x, .out = out, .seed = seed };
	struct grid_row *grids = NULL;
	struct dom_err e = { 0 };
	char today[WORKER_DATE_LEN + 1];
	size_t n = 0, todo = 0;
	int rc = -1;

	memset(out, 0, sizeof *out);
	worker_local_date(x->now, today);
	g.today = days_of((int)strtol(today, NULL, 10), (int)strtol(today + 5, NULL, 10),
	                  (int)strtol(today + 8, NULL, 10));
	g.seq = calloc(AREAS_MAX, sizeof *g.seq);
	g.arena = malloc(ARENA);
	if (!g.seq || !g.arena) {
		dom_err_set(&e, 500, "internal", "out of memory");
		goto out;
	}
	if (load_grids(x, &grids, &n, &e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		todo += !grids[i].has_people;
	if (todo == 0) {
		out->already = n > 0;
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct grid_row *gr = &grids[i];
		struct rng r = { ((uint64_t)seed << 32) ^
			         (uint64_t)gr->id * 0x9E3779B97F4A7C15ULL };
		size_t mark_n = g.n, mark_used = g.used, mark_units = g.n_units;
		struct demo_city_population before = *out;
		int left = (int)(gr->residents > 5000 ? 5000 : gr->residents);

		for (int k = 0; left > 0; k++)
			if (household(&g, &r, gr->code, gr->name, k, &left) < 0) {
				dom_err_set(&e, 500, "internal", "演示人口生成失败（网格 %s）",
				            gr->code);
				goto out;
			}
		if (grid_units(&g, &r, gr->code, gr->name, gr->residents) < 0) {
			dom_err_set(&e, 500, "internal", "演示单位生成失败（网格 %s）", gr->code);
			goto out;
		}
		if (gr->has_people) { /* filled by an earlier run: generated for the counters only
			               */
			sodium_memzero(g.arena + mark_used, g.used - mark_used);
			g.n = mark_n;
			g.n_units = mark_units;
			g.used = mark_used;
			*out = before;
			continue;
		}
		out->grids++;
		if (g.n >= WRITE_PEOPLE) {
			if (flush(&g, &e) < 0)
				goto out;
			if (progress)
				progress(arg, out, (int64_t)todo);
		}
	}
	if (flush(&g, &e) < 0)
		goto out;
	if (progress)
		progress(arg, out, (int64_t)todo);
	rc = 0;
out:
	if (rc < 0)
		(void)snprintf(err, errlen, "%s", e.message[0] ? e.message : "failed");
	if (g.arena)
		sodium_memzero(g.arena, g.used);
	free(g.arena);
	free(g.seq);
	free(g.rows);
	free(g.units);
	free(grids);
	return rc;
}
