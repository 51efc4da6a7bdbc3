/*
 * Demo city builder. Geometry: the city's bounding box is a 3×3 lattice of county cells (东昌府区
 * takes two, being the largest); each county cell is a lattice of township rectangles, each
 * township a lattice of community rectangles, and each community is cut into a jittered lattice
 * of 12-vertex quads. Every coordinate is rounded to 1e-7° and printed with %.7f, and the
 * vertices of a shared edge are computed once and reused by both neighbours, so the grids of a
 * community tile its rectangle exactly. Points on a community's outer edge keep the edge's exact
 * coordinate, so neighbouring communities meet without slivers either.
 *
 * Randomness: one splitmix64 stream per county, derived from the seed, so a seed gives the same
 * city on every machine.
 *
 * The whole city is one dom_write (action demo.build, one audit record with the counts): the
 * system principal only, into a database without the city. Its rows are inserted directly in
 * bulk rather than through region_create and grid_create, one transaction for some thousands of
 * grids instead of one each.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "domain/access.h"
#include "domain/demo.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "store/store.h"

int demo_scale_parse(const char *s)
{
	if (s && strcmp(s, "test") == 0)
		return DEMO_TEST;
	if (s && strcmp(s, "city") == 0)
		return DEMO_CITY;
	return -1;
}

/* ---- randomness ---- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unif(struct rng *r) /* [0, 1) */
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int rng_int(struct rng *r, int n) /* [0, n) */
{
	return (int)(rng_next(r) % (uint64_t)n);
}

/* ---- the city ---- */

#define CITY_CODE "371500000000"
#define CITY_NAME "聊城市"

struct county_def {
	const char *code6, *name;
	int col, row, rows; /* cell in the 3×3 city lattice (row 0 is north) */
	int target;         /* comprehensive grids at city scale: residents / 1,000 */
	int tx, ty;         /* township lattice at city scale */
	int streets, xiang; /* how many townships are 街道 (first) and 乡 (last) */
};

/* Real codes and names (domain-facts.md); resident figures of end-2023 set the grid counts. */
static const struct county_def counties[] = {
	{ "371502", "东昌府区", 1, 0, 2, 1480, 4, 5, 8, 0 },
	{ "371503", "茌平区", 2, 1, 1, 510, 5, 3, 4, 0 },
	{ "371521", "阳谷县", 1, 2, 1, 690, 6, 3, 2, 2 },
	{ "371522", "莘县", 0, 2, 1, 910, 6, 4, 2, 2 },
	{ "371524", "东阿县", 2, 2, 1, 340, 5, 2, 2, 1 },
	{ "371525", "冠县", 0, 1, 1, 700, 6, 3, 2, 2 },
	{ "371526", "高唐县", 2, 0, 1, 450, 4, 3, 2, 1 },
	{ "371581", "临清市", 0, 0, 1, 780, 4, 4, 4, 0 },
};
#define NCOUNTIES (sizeof counties / sizeof counties[0])

/* Syllables of plausible place names. */
static const char *const stem_a[] = {
	"古", "柳", "新", "湖", "道", "阎", "堂", "沙", "梁", "斗", "郑", "张", "于", "许", "朱",
	"顾", "侯", "李", "王", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡",
	"郭", "何", "高", "林", "十", "八", "大", "小", "东", "西", "南", "北", "前", "后", "金",
	"凤", "龙", "清", "安", "丰", "兴", "和", "平", "河", "桥", "韩", "田", "魏", "石", "常",
};
static const char *const stem_b[] = {
	"楼", "园", "庄", "集", "店", "营", "屯", "寨", "口", "桥", "湾", "坊", "寺", "堡",
	"铺", "城", "台", "坡", "河", "湖", "庙", "岗", "洼", "泉", "林", "里", "阁", "关",
};
#define NA (sizeof stem_a / sizeof stem_a[0])
#define NB (sizeof stem_b / sizeof stem_b[0])

static const char *const cn_digits[] = { "", "一", "二", "三", "四", "五", "六", "七", "八", "九" };

/* Chinese numeral for 1..99. */
static void cn_num(int n, char *out, size_t cap)
{
	if (n < 10)
		(void)snprintf(out, cap, "%s", cn_digits[n]);
	else
		(void)snprintf(out, cap, "%s十%s", n / 10 == 1 ? "" : cn_digits[n / 10],
		               cn_digits[n % 10]);
}

#define NAME_CAP 96

/* A two-syllable stem not yet in used[0..n). */
static void unique_stem(struct rng *r, char used[][NAME_CAP], int n, char *out)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		int dup = 0;

		(void)snprintf(out, NAME_CAP, "%s%s", stem_a[rng_int(r, (int)NA)],
		               stem_b[rng_int(r, (int)NB)]);
		for (int i = 0; i < n && !dup; i++)
			dup = strcmp(used[i], out) == 0;
		if (!dup)
			return;
	}
	(void)snprintf(out, NAME_CAP, "%s%s%d", stem_a[rng_int(r, (int)NA)],
	               stem_b[rng_int(r, (int)NB)], n);
}

/* snprintf for names and codes whose sizes are known to fit (cut if not). */
static void fmt(char *dst, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	(void)vsnprintf(dst, cap, f, ap);
	va_end(ap);
}

static double r7(double x)
{
	return round(x * 1e7) / 1e7;
}

/* The i-th of n+1 lattice lines from a to b; the ends are a and b exactly. */
static double edge(double a, double b, int i, int n)
{
	if (i == 0)
		return a;
	if (i == n)
		return b;
	return r7(a + (b - a) * i / n);
}

static char *rect_geojson(double x0, double y0, double x1, double y1)
{
	struct buf b;

	buf_init(&b, 4096);
	(void)buf_printf(&b,
	                 "{\"type\":\"Polygon\",\"coordinates\":[[[%.7f,%.7f],[%.7f,%.7f],"
	                 "[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]}",
	                 x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
	return buf_detach(&b, NULL);
}

struct pt {
	double x, y;
};

/*
 * Cuts the rectangle [x0,x1]×[y0,y1] (y1 north) into gx×gy quads; polys[j*gx+i] receives the
 * GeoJSON of the cell in column i (west→east) and row j (north→south). Caller frees them.
 */
static int tile(struct rng *r, double x0, double y0, double x1, double y1, int gx, int gy,
                char **polys)
{
	struct pt *v = calloc((size_t)(gx + 1) * (gy + 1), sizeof *v);
	/* Two inner points per edge: horizontal edges [gx][gy+1], vertical edges [gx+1][gy]. */
	struct pt *hp = calloc((size_t)gx * (gy + 1) * 2, sizeof *hp);
	struct pt *vp = calloc((size_t)(gx + 1) * gy * 2, sizeof *vp);
	double dx = (x1 - x0) / gx, dy = (y1 - y0) / gy;
	int rc = -1;

#define V(i, j) v[(j) * (gx + 1) + (i)]
#define HP(i, j, k) hp[((j)*gx + (i)) * 2 + (k)]
#define VP(i, j, k) vp[((j) * (gx + 1) + (i)) * 2 + (k)]
	if (!v || !hp || !vp)
		goto out;
	for (int j = 0; j <= gy; j++)
		for (int i = 0; i <= gx; i++) {
			double x = edge(x0, x1, i, gx), y = edge(y1, y0, j, gy);

			if (i > 0 && i < gx)
				x = r7(x + (rng_unif(r) - 0.5) * 0.5 * dx);
			if (j > 0 && j < gy)
				y = r7(y + (rng_unif(r) - 0.5) * 0.5 * dy);
			V(i, j) = (struct pt){ x, y };
		}
	for (int j = 0; j <= gy; j++)
		for (int i = 0; i < gx; i++)
			for (int k = 0; k < 2; k++) {
				struct pt a = V(i, j), b = V(i + 1, j);
				double t = (k + 1) / 3.0;
				double y = a.y + (b.y - a.y) * t;

				if (j > 0 && j < gy)
					y = r7(y + (rng_unif(r) - 0.5) * 0.12 * dy);
				else
					y = a.y; /* on the community's edge: keep it exact */
				HP(i, j, k) = (struct pt){ r7(a.x + (b.x - a.x) * t), y };
			}
	for (int j = 0; j < gy; j++)
		for (int i = 0; i <= gx; i++)
			for (int k = 0; k < 2; k++) {
				struct pt a = V(i, j), b = V(i, j + 1);
				double t = (k + 1) / 3.0;
				double x = a.x + (b.x - a.x) * t;

				if (i > 0 && i < gx)
					x = r7(x + (rng_unif(r) - 0.5) * 0.12 * dx);
				else
					x = a.x;
				VP(i, j, k) = (struct pt){ x, r7(a.y + (b.y - a.y) * t) };
			}
	for (int j = 0; j < gy; j++)
		for (int i = 0; i < gx; i++) {
			/* Counter-clockwise: TL, down the west edge, east along the south edge, up
			   the east edge, west along the north edge. */
			struct pt ring[13];
			struct buf b;
			int n = 0;

			ring[n++] = V(i, j);
			ring[n++] = VP(i, j, 0);
			ring[n++] = VP(i, j, 1);
			ring[n++] = V(i, j + 1);
			ring[n++] = HP(i, j + 1, 0);
			ring[n++] = HP(i, j + 1, 1);
			ring[n++] = V(i + 1, j + 1);
			ring[n++] = VP(i + 1, j, 1);
			ring[n++] = VP(i + 1, j, 0);
			ring[n++] = V(i + 1, j);
			ring[n++] = HP(i, j, 1);
			ring[n++] = HP(i, j, 0);
			ring[n++] = V(i, j);
			buf_init(&b, 8192);
			(void)buf_puts(&b, "{\"type\":\"Polygon\",\"coordinates\":[[");
			for (int k = 0; k < n; k++)
				(void)buf_printf(&b, "%s[%.7f,%.7f]", k ? "," : "", ring[k].x,
				                 ring[k].y);
			(void)buf_puts(&b, "]]}");
			polys[j * gx + i] = buf_detach(&b, NULL);
		}
	rc = 0;
#undef V
#undef HP
#undef VP
out:
	free(v);
	free(hp);
	free(vp);
	return rc;
}

/* ---- one county's rows ---- */

struct drow {
	char code[13];
	char name[NAME_CAP];
	int level;
	char parent[13];
	char path[ACCESS_PATH_MAX];
	char *boundary;
};

struct dgrid {
	char code[16];
	char community[13];
	char path[ACCESS_PATH_MAX];
	int kind;
	const char *subtype;
	char name[2 * NAME_CAP];
	char *boundary;
	int64_t households, residents;
};

struct batch {
	struct drow *rows;
	size_t nrows, caprows;
	struct dgrid *grids;
	size_t ngrids, capgrids;
	int64_t now;
};

static struct drow *add_row(struct batch *b)
{
	if (b->nrows == b->caprows) {
		size_t n = b->caprows ? b->caprows * 2 : 256;
		struct drow *nr = realloc(b->rows, n * sizeof *nr);

		if (!nr)
			return NULL;
		b->rows = nr;
		b->caprows = n;
	}
	memset(&b->rows[b->nrows], 0, sizeof b->rows[0]);
	return &b->rows[b->nrows++];
}

static struct dgrid *add_grid(struct batch *b)
{
	if (b->ngrids == b->capgrids) {
		size_t n = b->capgrids ? b->capgrids * 2 : 1024;
		struct dgrid *ng = realloc(b->grids, n * sizeof *ng);

		if (!ng)
			return NULL;
		b->grids = ng;
		b->capgrids = n;
	}
	memset(&b->grids[b->ngrids], 0, sizeof b->grids[0]);
	return &b->grids[b->ngrids++];
}

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->nrows; i++)
		free(b->rows[i].boundary);
	for (size_t i = 0; i < b->ngrids; i++)
		free(b->grids[i].boundary);
	free(b->rows);
	free(b->grids);
	memset(b, 0, sizeof *b);
}

static int batch_write(struct store_conn *c, void *arg)
{
	struct batch *b = arg;
	struct store_stmt *st;
	int rc;

	for (size_t i = 0; i < b->nrows; i++) {
		struct drow *r = &b->rows[i];

		st = store_prepare(
		        c, "INSERT INTO regions (code, name, level, parent_code, path, "
		           "boundary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, r->code, -1);
		store_bind_text(st, 2, r->name, -1);
		store_bind_int64(st, 3, r->level);
		store_bind_text(st, 4, r->parent[0] ? r->parent : NULL, -1);
		store_bind_text(st, 5, r->path, -1);
		store_bind_text(st, 6, r->boundary, -1);
		store_bind_int64(st, 7, b->now);
		store_bind_int64(st, 8, b->now);
		rc = store_step(st);
		store_reset(st);
		if (rc != STORE_DONE)
			return rc < 0 ? rc : STORE_ERR;
	}
	for (size_t i = 0; i < b->ngrids; i++) {
		struct dgrid *g = &b->grids[i];
		int64_t id;

		st = store_prepare(c,
		                   "INSERT INTO grids (code, community_code, path, kind, subtype, "
		                   "name, boundary, version, households, residents, status, "
		                   "valid_from, created_at, updated_at) "
		                   "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'active', ?, ?, ?)");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, g->code, -1);
		store_bind_text(st, 2, g->community, -1);
		store_bind_text(st, 3, g->path, -1);
		store_bind_int64(st, 4, g->kind);
		store_bind_text(st, 5, g->subtype, -1);
		store_bind_text(st, 6, g->name, -1);
		store_bind_text(st, 7, g->boundary, -1);
		store_bind_int64(st, 8, g->households);
		store_bind_int64(st, 9, g->residents);
		store_bind_int64(st, 10, b->now);
		store_bind_int64(st, 11, b->now);
		store_bind_int64(st, 12, b->now);
		rc = store_step(st);
		store_reset(st);
		if (rc != STORE_DONE)
			return rc < 0 ? rc : STORE_ERR;
		id = store_last_insert_id(c);
		st = store_prepare(c, "INSERT INTO grid_versions (grid_id, version, boundary, "
		                      "valid_from, reason) VALUES (?, 1, ?, ?, ?)");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, id);
		store_bind_text(st, 2, g->boundary, -1);
		store_bind_int64(st, 3, b->now);
		store_bind_text(st, 4, "演示数据", -1);
		rc = store_step(st);
		store_reset(st);
		if (rc != STORE_DONE)
			return rc < 0 ? rc : STORE_ERR;
	}
	return 0;
}

static const struct {
	const char *subtype, *suffix;
} dedicated_kinds[] = {
	{ "学校", "中学" },         { "园区", "工业园" },       { "医院", "卫生院" },
	{ "商圈市场", "商贸城" },   { "企业", "纺织有限公司" }, { "景区", "湿地公园" },
	{ "商务楼宇", "商务大厦" },
};

/* Plausible declared figures of a comprehensive grid: about 1,000 residents, ~2.9 per
   household; at city scale about 2% fall outside the guide size on purpose. */
static void people(struct rng *r, int outliers, int64_t *residents, int64_t *households)
{
	double res;

	if (outliers && rng_int(r, 100) < 2) {
		res = 1600 + rng_unif(r) * 600;
	} else {
		/* Sum of three uniforms: a bell shape around 1,000 within 700..1,300. */
		res = 700 + (rng_unif(r) + rng_unif(r) + rng_unif(r)) * 200;
	}
	*residents = (int64_t)res;
	*households = (int64_t)(res / (2.7 + rng_unif(r) * 0.4));
}

struct county_plan {
	int ntown;       /* townships */
	int tx, ty;      /* township lattice */
	int comm_target; /* communities per township (city scale) */
};

static int build_county(const struct county_def *cd, size_t ci, enum demo_scale scale,
                        uint64_t seed, struct batch *b, struct demo_summary *sum)
{
	struct rng r = { seed * 0x9e3779b97f4a7c15ull + (uint64_t)ci * 0xd1b54a32d192ed03ull + 1 };
	char ccode[13], city_path[ACCESS_PATH_MAX], county_path[ACCESS_PATH_MAX];
	char town_names[64][NAME_CAP];
	double cx0 = edge(DEMO_LNG_MIN, DEMO_LNG_MAX, cd->col, 3);
	double cx1 = edge(DEMO_LNG_MIN, DEMO_LNG_MAX, cd->col + 1, 3);
	double cy1 = edge(DEMO_LAT_MAX, DEMO_LAT_MIN, cd->row, 3); /* north */
	double cy0 = edge(DEMO_LAT_MAX, DEMO_LAT_MIN, cd->row + cd->rows, 3);
	int tx = scale == DEMO_CITY ? cd->tx : 1;
	int ty = scale == DEMO_CITY ? cd->ty : (ci == 0 ? 2 : 1);
	int ntown = tx * ty;
	struct drow *row;

	fmt(ccode, sizeof ccode, "%s000000", cd->code6);
	(void)region_path_join("", CITY_CODE, city_path);
	(void)region_path_join(city_path, ccode, county_path);
	if (!(row = add_row(b)))
		return -1;
	memcpy(row->code, ccode, 13);
	(void)snprintf(row->name, sizeof row->name, "%s", cd->name);
	row->level = 3;
	memcpy(row->parent, CITY_CODE, 13);
	memcpy(row->path, county_path, sizeof county_path);
	row->boundary = rect_geojson(cx0, cy0, cx1, cy1);
	sum->counties++;

	for (int t = 0; t < ntown; t++) {
		int ti = t % tx, tj = t / tx, tseq, nstreets, nxiang, ncomm, nx, ny, nshe;
		double tx0 = edge(cx0, cx1, ti, tx), tx1 = edge(cx0, cx1, ti + 1, tx);
		double ty1 = edge(cy1, cy0, tj, ty), ty0 = edge(cy1, cy0, tj + 1, ty);
		char tcode[13], tpath[ACCESS_PATH_MAX], stem[NAME_CAP];
		char comm_names[128][NAME_CAP];
		const char *suffix;
		int is_street;

		nstreets = scale == DEMO_CITY ? cd->streets
		                              : (cd->code6[4] == '0' || cd->code6[4] == '8');
		nxiang = scale == DEMO_CITY ? cd->xiang : 0;
		if (t < nstreets) {
			tseq = 1 + t;
			suffix = "街道";
		} else if (t >= ntown - nxiang) {
			tseq = 200 + (t - (ntown - nxiang));
			suffix = "乡";
		} else {
			tseq = 100 + (t - nstreets);
			suffix = "镇";
		}
		is_street = tseq < 100;
		fmt(tcode, sizeof tcode, "%s%03d000", cd->code6, tseq);
		(void)region_path_join(county_path, tcode, tpath);
		unique_stem(&r, town_names, t, stem);
		memcpy(town_names[t], stem, NAME_CAP);
		if (!(row = add_row(b)))
			return -1;
		memcpy(row->code, tcode, 13);
		fmt(row->name, sizeof row->name, "%s%s", stem, suffix);
		row->level = 4;
		memcpy(row->parent, ccode, 13);
		memcpy(row->path, tpath, sizeof tpath);
		row->boundary = rect_geojson(tx0, ty0, tx1, ty1);
		sum->townships++;

		if (scale == DEMO_CITY) {
			int target = (int)lround((double)cd->target / ntown / 4.25);

			if (target < 2)
				target = 2;
			nx = (int)ceil(sqrt((double)target));
			ny = (target + nx - 1) / nx;
		} else {
			nx = 2;
			ny = 1;
		}
		ncomm = nx * ny;
		if (ncomm > 128)
			ncomm = 128;
		nshe = is_street ? ncomm : 1 + rng_int(&r, 2);
		for (int k = 0; k < ncomm; k++) {
			int ki = k % nx, kj = k / nx, she = k < nshe, gx, gy, dedicated, seq = 0;
			double kx0 = edge(tx0, tx1, ki, nx), kx1 = edge(tx0, tx1, ki + 1, nx);
			double ky1 = edge(ty1, ty0, kj, ny), ky0 = edge(ty1, ty0, kj + 1, ny);
			char kcode[13], kpath[ACCESS_PATH_MAX], kstem[NAME_CAP], kname[NAME_CAP];
			char *polys[9] = { 0 };

			fmt(kcode, sizeof kcode, "%s%03d%03d", cd->code6, tseq,
			    she ? 1 + k : 200 + (k - nshe));
			(void)region_path_join(tpath, kcode, kpath);
			unique_stem(&r, comm_names, k, kstem);
			memcpy(comm_names[k], kstem, NAME_CAP);
			fmt(kname, sizeof kname, "%s%s", kstem, she ? "社区" : "村");
			if (!(row = add_row(b)))
				return -1;
			memcpy(row->code, kcode, 13);
			memcpy(row->name, kname, sizeof kname);
			row->level = 5;
			memcpy(row->parent, tcode, 13);
			memcpy(row->path, kpath, sizeof kpath);
			row->boundary = rect_geojson(kx0, ky0, kx1, ky1);
			if (she)
				sum->communities++;
			else
				sum->villages++;

			if (scale == DEMO_CITY) {
				gx = 1 + rng_int(&r, 3);
				gy = 1 + rng_int(&r, 3);
				dedicated = k == 0 && gx * gy >= 2;
			} else {
				dedicated = t == 0 && k == 0 && (ci == 0 || ci == NCOUNTIES - 1);
				gx = dedicated ? 3 : 2;
				gy = 1;
			}
			if (tile(&r, kx0, ky0, kx1, ky1, gx, gy, polys) < 0)
				return -1;
			for (int c = 0; c < gx * gy; c++) {
				struct dgrid *g = add_grid(b);
				char num[32];

				if (!g) {
					for (int q = c; q < gx * gy; q++)
						free(polys[q]);
					return -1;
				}
				g->boundary = polys[c];
				polys[c] = NULL;
				memcpy(g->community, kcode, 13);
				memcpy(g->path, kpath, sizeof kpath);
				if (dedicated && c == gx * gy - 1) {
					int d = rng_int(&r, (int)(sizeof dedicated_kinds /
					                          sizeof dedicated_kinds[0]));

					if (scale == DEMO_TEST)
						d = ci == 0 ? 0 : 1; /* a school and an industrial
						                        park */
					g->kind = GRID_DEDICATED;
					g->subtype = dedicated_kinds[d].subtype;
					(void)grid_code_compose(NULL, kcode, 601, GRID_DEDICATED,
					                        g->code);
					(void)snprintf(g->name, sizeof g->name, "%s%s专属网格",
					               stem, dedicated_kinds[d].suffix);
					sum->dedicated++;
				} else {
					g->kind = GRID_COMPREHENSIVE;
					(void)grid_code_compose(NULL, kcode, ++seq,
					                        GRID_COMPREHENSIVE, g->code);
					cn_num(seq, num, sizeof num);
					(void)snprintf(g->name, sizeof g->name, "%s第%s网格", kname,
					               num);
					people(&r, scale == DEMO_CITY, &g->residents,
					       &g->households);
					sum->residents += g->residents;
					sum->households += g->households;
				}
				sum->grids++;
			}
		}
	}
	return 0;
}

/* 1 when the city region exists, 0 when not, -1 on a database error. */
static int city_exists(struct store_conn *c)
{
	struct store_stmt *st = c ? store_prepare(c, "SELECT 1 FROM regions WHERE code = ?") : NULL;
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, CITY_CODE, -1);
	rc = store_step(st);
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

struct build_arg {
	enum demo_scale scale;
	uint64_t seed;
	struct demo_summary *sum;
};

/* authorize: only the system builds the demo, and only into a database without the city. */
static int build_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	int rc;

	(void)w;
	if (!x->caller->is_system)
		return dom_err_set(e, 403, "forbidden", "只有系统可以生成演示城市");
	rc = city_exists(c);
	if (rc < 0)
		return dom_err_read(e);
	if (rc > 0)
		return dom_err_set(e, 409, "already", "数据库中已有演示城市");
	return 0;
}

/* apply: the city, then each county with its townships, communities and grids. */
static int build_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct build_arg *a = w->arg;
	struct batch b = { 0 };
	struct drow *row;
	int rc;

	b.now = x->now;
	if (!(row = add_row(&b)))
		goto oom;
	memcpy(row->code, CITY_CODE, 13);
	(void)snprintf(row->name, sizeof row->name, "%s", CITY_NAME);
	row->level = 2;
	(void)region_path_join("", CITY_CODE, row->path);
	row->boundary = rect_geojson(DEMO_LNG_MIN, DEMO_LAT_MIN, DEMO_LNG_MAX, DEMO_LAT_MAX);
	for (size_t ci = 0; ci < NCOUNTIES; ci++) {
		if (build_county(&counties[ci], ci, a->scale, a->seed, &b, a->sum) < 0)
			goto oom;
		rc = batch_write(c, &b);
		batch_release(&b);
		b.now = x->now;
		if (rc != 0)
			return dom_err_store(e, rc);
	}
	dom_write_detail(w, "生成演示城市：%d 个县级单位，%d 个网格", a->sum->counties,
	                 a->sum->grids);
	return 0;
oom:
	batch_release(&b);
	return dom_err_set(e, 500, "internal", "内存不足");
}

int demo_city_build(const struct dom_ctx *x, enum demo_scale scale, uint64_t seed,
                    struct demo_summary *sum, char *err, size_t errlen)
{
	int64_t t0 = clock_mono_ms();
	struct build_arg a = { scale, seed, sum };
	struct dom_write w = { .action = "demo.build",
		               .permission = "region.write",
		               .authorize = build_authorize,
		               .apply = build_apply,
		               .arg = &a };
	struct dom_err e = { 0 };
	int rc;

	memset(sum, 0, sizeof *sum);
	rc = city_exists(store_reader(x->store));
	if (rc != 0) {
		if (rc < 0)
			(void)snprintf(err, errlen, "cannot read the database");
		sum->already = rc > 0;
		return rc < 0 ? -1 : 0;
	}
	dom_write_object(&w, "regions");
	if (dom_write(x, &w, &e) < 0) {
		(void)snprintf(err, errlen, "%s (%s)", e.message, e.code ? e.code : "error");
		return -1;
	}
	sum->build_ms = clock_mono_ms() - t0;
	return 0;
}
