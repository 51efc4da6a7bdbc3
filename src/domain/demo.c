/*
 * Demo city builder. The tree is the real one: the National Bureau of Statistics' 2023 codes and
 * names of Liaocheng's county-level units, townships and villages/communities, compiled into
 * the binary from data/liaocheng/regions.csv (scripts/extract-liaocheng.mjs; provenance in
 * data/liaocheng/PROVENANCE.md), and the real outlines of the eight county-level units (and the
 * city's, their union) from the same file. Townships, villages and grids have no public outlines,
 * so they are made up: each county is cut into the Voronoi cells of one seed point per township
 * (geo_shape_partition), each township into cells of its villages, each village into cells of its
 * grids; cells are clipped to their parent, so every level tiles its parent without gap or overlap
 * and the grid checks find nothing. Seeds of 街道 cluster around a point inside the county and
 * those of communities (居委会) around their township's seed, where towns are; the others spread
 * over the rest.
 *
 * Scales: "city" is the whole tree, every village with grids (their number from the county's
 * resident figure and the guide size of about 1,000 residents per grid); "test" keeps the eight
 * counties, the first township of each (two in 东昌府区: its first 街道 and its first 镇) and two
 * villages of each (the first community and the first village, where there are both), with two
 * grids per village, for fast tests.
 *
 * Randomness: one splitmix64 stream per county, derived from the seed, so a seed gives the same
 * city on every machine.
 *
 * The whole city is one dom_write (action demo.build, one audit record with the counts): the
 * system principal only, into a database without the city. Its rows are inserted directly in
 * bulk rather than through region_create and grid_create, one transaction for some thousands of
 * grids instead of one each.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/codes.h"
#include "base/csv.h"
#include "domain/access.h"
#include "domain/demo.h"
#include "domain/grid.h"
#include "domain/region.h"
#include "geo/geom.h"
#include "store/store.h"

/* data/liaocheng/regions.csv, embedded at build time (cmake/embed_file.cmake). */
extern const char demo_liaocheng_csv[];
extern const size_t demo_liaocheng_csv_len;

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

static double rng_uniform_cb(void *arg)
{
	return rng_unif(arg);
}

static int rng_int(struct rng *r, int n) /* [0, n) */
{
	return (int)(rng_next(r) % (uint64_t)n);
}

/* ---- the city ---- */

#define CITY_CODE "371500000000"
#define CITY_NAME "聊城市"
#define NAME_CAP REGION_NAME_BYTES

struct county_def {
	const char *code6;
	int target; /* comprehensive grids at city scale: residents at end-2023 / 1,000 */
};

static const struct county_def counties[] = {
	{ "371502", 1480 }, { "371503", 510 }, { "371521", 690 }, { "371522", 910 },
	{ "371524", 340 },  { "371525", 700 }, { "371526", 450 }, { "371581", 780 },
};
#define NCOUNTIES (sizeof counties / sizeof counties[0])

void demo_short_name(const char *name, char *out, size_t cap)
{
	static const struct {
		const char *suffix;
		int village; /* 1: a 村 committee (the village is "...村") */
	} committees[] = {
		{ "居民委员会", 0 },
		{ "村民委员会", 1 },
		{ "居委会", 0 },
		{ "村委会", 1 },
	};
	size_t n = strlen(name);

	(void)snprintf(out, cap, "%s", name);
	for (size_t i = 0; i < sizeof committees / sizeof committees[0]; i++) {
		size_t k = strlen(committees[i].suffix);
		size_t stem;

		if (n <= k || strcmp(name + n - k, committees[i].suffix) != 0)
			continue;
		stem = n - k;
		/* "张庄村委会" is the committee of 张庄村; "王村村委会" of 王村; "X社区村委会" of
		 * X社区. */
		if (committees[i].village &&
		    !(stem >= 3 && memcmp(name + stem - 3, "村", 3) == 0) &&
		    !(stem >= 6 && memcmp(name + stem - 6, "社区", 6) == 0))
			(void)snprintf(out, cap, "%.*s村", (int)stem, name);
		else
			(void)snprintf(out, cap, "%.*s", (int)stem, name);
		break;
	}
}

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

/* ---- the tree from the embedded file ---- */

struct node {
	char code[13];
	char name[NAME_CAP];
	char *boundary; /* GeoJSON text (county-level units only), or NULL */
};

struct nodes {
	struct node *v;
	size_t n, cap;
};

struct tree {
	struct nodes
	        level[6]; /* by enum division_level: [3] counties, [4] townships, [5] villages */
};

static void tree_release(struct tree *t)
{
	for (int l = 0; l < 6; l++) {
		for (size_t i = 0; i < t->level[l].n; i++)
			free(t->level[l].v[i].boundary);
		free(t->level[l].v);
	}
	memset(t, 0, sizeof *t);
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->code, ((const struct node *)b)->code);
}

/* Reads the embedded regions.csv (code,name,boundary). 0, or -1 with err. */
static int tree_load(struct tree *t, char *err, size_t errlen)
{
	struct csv_reader r;
	struct buf f[3];
	int line = 0, nf, rc = -1;

	memset(t, 0, sizeof *t);
	for (int i = 0; i < 3; i++)
		buf_init(&f[i], 4u * 1024 * 1024);
	csv_reader_init(&r, demo_liaocheng_csv, demo_liaocheng_csv_len);
	if (csv_read(&r, f, 3, &line) < 2) /* the header */
		goto bad;
	while ((nf = csv_read(&r, f, 3, &line)) > 0) {
		enum division_level lv = division_level(f[0].data, NULL);
		struct nodes *ns;
		struct node *nd;

		if (nf < 2 || f[0].len != 12 || lv == DIV_INVALID || f[1].len >= NAME_CAP)
			goto bad;
		ns = &t->level[lv];
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? ns->cap * 2 : 64;
			struct node *v = realloc(ns->v, cap * sizeof *v);

			if (!v)
				goto oom;
			ns->v = v;
			ns->cap = cap;
		}
		nd = &ns->v[ns->n++];
		memset(nd, 0, sizeof *nd);
		memcpy(nd->code, f[0].data, 13);
		memcpy(nd->name, f[1].data, f[1].len + 1);
		if (nf >= 3 && f[2].len > 0 && !(nd->boundary = strdup(f[2].data)))
			goto oom;
	}
	if (nf < 0)
		goto bad;
	for (int l = DIV_COUNTY; l <= DIV_VILLAGE; l++)
		qsort(t->level[l].v, t->level[l].n, sizeof(struct node), node_cmp);
	rc = 0;
	goto out;
bad:
	(void)snprintf(err, errlen, "embedded data/liaocheng/regions.csv: bad line %d", line);
	goto out;
oom:
	(void)snprintf(err, errlen, "out of memory");
out:
	for (int i = 0; i < 3; i++)
		buf_release(&f[i]);
	if (rc < 0)
		tree_release(t);
	return rc;
}

/* The nodes of ns whose code starts with prefix[0..plen): [*from, *to). */
static void children(const struct nodes *ns, const char *prefix, size_t plen, size_t *from,
                     size_t *to)
{
	size_t i = 0;

	while (i < ns->n && strncmp(ns->v[i].code, prefix, plen) < 0)
		i++;
	*from = i;
	while (i < ns->n && strncmp(ns->v[i].code, prefix, plen) == 0)
		i++;
	*to = i;
}

/* The 3-digit part of a code at offset off (6: township, 9: village). */
static int part3(const char *code, int off)
{
	return (code[off] - '0') * 100 + (code[off + 1] - '0') * 10 + (code[off + 2] - '0');
}

/* GeoJSON text of a shape, every coordinate with all its digits (geo_shape_partition). */
static char *shape_text(const struct geo_shape *g)
{
	json_t *j = geo_shape_to_json(g);
	char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return t;
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

/* Seeds for the children of area: the first nnear (街道 of a county, communities of a township)
   near (cx, cy), within a window of `share` of the area's extent, the rest spread over the
   area. All near when every child is (an urban 街道): then nothing clusters. */
static int seeds_for(const struct geo_shape *area, size_t nnear, size_t n, double cx, double cy,
                     double share, struct rng *r, double *xy)
{
	double x0, y0, x1, y1, w[4];

	if (geo_shape_extent(area, &x0, &y0, &x1, &y1) < 0)
		return -1;
	if (nnear == n)
		nnear = 0;
	w[0] = cx - (x1 - x0) * share;
	w[1] = cy - (y1 - y0) * share;
	w[2] = cx + (x1 - x0) * share;
	w[3] = cy + (y1 - y0) * share;
	if (nnear && geo_shape_spread_points(area, xy, 0, nnear, 8, w, rng_uniform_cb, r) < 0)
		return -1;
	return geo_shape_spread_points(area, xy, nnear, n, 8, NULL, rng_uniform_cb, r);
}

static void free_shapes(struct geo_shape **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		geo_shape_free(v[i]);
	free(v);
}

struct county_job {
	const struct tree *t;
	const struct node *county;
	size_t ci;
	enum demo_scale scale;
	struct rng r;
	struct batch *b;
	struct demo_summary *sum;
	double weight_sum; /* of the county's villages (city scale) */
};

/* The grids of one village: ngrids cells of its area, the last one dedicated if asked. */
static int build_grids(struct county_job *j, const struct node *v, const char *vpath,
                       const struct geo_shape *varea, int ngrids, int dedicated)
{
	struct geo_shape **cells = calloc((size_t)ngrids, sizeof *cells);
	double *xy = calloc((size_t)ngrids * 2, sizeof *xy);
	char vshort[NAME_CAP];
	int seq = 0, rc = -1;

	if (!cells || !xy)
		goto out;
	if (seeds_for(varea, 0, (size_t)ngrids, 0, 0, 0, &j->r, xy) < 0 ||
	    geo_shape_partition(varea, xy, (size_t)ngrids, cells) < 0)
		goto out;
	demo_short_name(v->name, vshort, sizeof vshort);
	for (int c = 0; c < ngrids; c++) {
		struct dgrid *g = add_grid(j->b);
		char num[32];

		if (!g || !(g->boundary = shape_text(cells[c])))
			goto out;
		memcpy(g->community, v->code, 13);
		(void)snprintf(g->path, sizeof g->path, "%s", vpath);
		if (dedicated && c == ngrids - 1) {
			int d = rng_int(&j->r,
			                (int)(sizeof dedicated_kinds / sizeof dedicated_kinds[0]));

			if (j->scale == DEMO_TEST)
				d = j->ci == 0 ? 0 : 1; /* a school and an industrial park */
			g->kind = GRID_DEDICATED;
			g->subtype = dedicated_kinds[d].subtype;
			(void)grid_code_compose(NULL, v->code, 601, GRID_DEDICATED, g->code);
			(void)snprintf(g->name, sizeof g->name, "%s%s专属网格", vshort,
			               dedicated_kinds[d].suffix);
			j->sum->dedicated++;
		} else {
			g->kind = GRID_COMPREHENSIVE;
			(void)grid_code_compose(NULL, v->code, ++seq, GRID_COMPREHENSIVE, g->code);
			cn_num(seq, num, sizeof num);
			(void)snprintf(g->name, sizeof g->name, "%s第%s网格", vshort, num);
			people(&j->r, j->scale == DEMO_CITY, &g->residents, &g->households);
			j->sum->residents += g->residents;
			j->sum->households += g->households;
		}
		j->sum->grids++;
	}
	rc = 0;
out:
	free_shapes(cells, (size_t)ngrids);
	free(xy);
	return rc;
}

static struct drow *region_row(struct batch *b, const struct node *nd, int level,
                               const char *parent, const char *path, char *boundary)
{
	struct drow *row = add_row(b);

	if (!row) {
		free(boundary);
		return NULL;
	}
	memcpy(row->code, nd->code, 13);
	(void)snprintf(row->name, sizeof row->name, "%s", nd->name);
	row->level = level;
	if (parent)
		memcpy(row->parent, parent, 13);
	(void)snprintf(row->path, sizeof row->path, "%s", path);
	row->boundary = boundary;
	return row;
}

/* Grids of a village at city scale: its share of the county's grids by weight (communities
   weigh more: towns are denser), at least one. The weights come from the county's stream in
   village order, drawn once in county_weights. */
#define COMMUNITY_WEIGHT 4.0
#define MAX_GRIDS_PER_VILLAGE 60

static double village_weight(const struct node *v, double jitter)
{
	return (part3(v->code, 9) < 200 ? COMMUNITY_WEIGHT : 1.0) * (0.5 + jitter);
}

/* One township: its villages as cells of its area, then their grids. */
static int build_township(struct county_job *j, const struct node *tn, const char *tpath,
                          const struct geo_shape *tarea, double sx, double sy, const double *jitter)
{
	const struct nodes *vs = &j->t->level[DIV_VILLAGE];
	char prefix[10];
	size_t from, to, m, keep, ncomm = 0, second;
	struct geo_shape **cells = NULL;
	double *xy = NULL;
	int rc = -1;

	memcpy(prefix, tn->code, 9);
	prefix[9] = '\0';
	children(vs, prefix, 9, &from, &to);
	m = to - from;
	if (m == 0)
		return 0;
	for (size_t i = from; i < to; i++)
		ncomm += part3(vs->v[i].code, 9) < 200;
	/* The test scale keeps two: the first community and the first village where the township
	   has both (communities come first in code order), else its first two. */
	keep = j->scale == DEMO_CITY ? m : (m < 2 ? m : 2);
	second = j->scale == DEMO_TEST && ncomm >= 1 && ncomm < m ? ncomm : 1;
	if (!(cells = calloc(m, sizeof *cells)) || !(xy = calloc(m * 2, sizeof *xy)))
		goto out;
	if (seeds_for(tarea, ncomm, m, sx, sy, 0.2, &j->r, xy) < 0 ||
	    geo_shape_partition(tarea, xy, m, cells) < 0)
		goto out;
	for (size_t q = 0; q < keep; q++) {
		size_t k = q == 1 ? second : q;
		const struct node *v = &vs->v[from + k];
		char vpath[ACCESS_PATH_MAX];
		int ngrids, dedicated;

		(void)region_path_join(tpath, v->code, vpath);
		if (!region_row(j->b, v, 5, tn->code, vpath, shape_text(cells[k])))
			goto out;
		if (part3(v->code, 9) < 200)
			j->sum->communities++;
		else
			j->sum->villages++;
		if (j->scale == DEMO_CITY) {
			double share = village_weight(v, jitter[k]) / j->weight_sum;

			ngrids = (int)lround(counties[j->ci].target * share);
			if (ngrids < 1)
				ngrids = 1;
			if (ngrids > MAX_GRIDS_PER_VILLAGE)
				ngrids = MAX_GRIDS_PER_VILLAGE;
			dedicated = k == 0 && ngrids >= 2;
			ngrids += dedicated;
		} else {
			/* A school in 东昌府区 and an industrial park in 临清市. */
			dedicated = k == 0 && (j->ci == 0 || j->ci == NCOUNTIES - 1) &&
			            strcmp(tn->code + 6, "001000") == 0;
			ngrids = 2 + dedicated;
		}
		if (build_grids(j, v, vpath, cells[k], ngrids, dedicated) < 0)
			goto out;
	}
	rc = 0;
out:
	free_shapes(cells, m);
	free(xy);
	return rc;
}

/* One county-level unit with its townships, villages and grids. */
static int build_county(struct county_job *j)
{
	const struct nodes *ts = &j->t->level[DIV_TOWNSHIP], *vs = &j->t->level[DIV_VILLAGE];
	const struct node *cn = j->county;
	char city_path[ACCESS_PATH_MAX], county_path[ACCESS_PATH_MAX], msg[GEO_MSG_MAX];
	struct geo_shape *area = NULL, **cells = NULL;
	double *xy = NULL, *jitter = NULL, cx, cy;
	size_t from, to, n = 0, nstreet = 0, vfrom, vto;
	int rc = -1;

	(void)region_path_join("", CITY_CODE, city_path);
	(void)region_path_join(city_path, cn->code, county_path);
	if (!cn->boundary || !(area = geo_shape_from_text(cn->boundary, msg, sizeof msg)))
		goto out;
	if (!region_row(j->b, cn, 3, CITY_CODE, county_path, strdup(cn->boundary)))
		goto out;
	j->sum->counties++;
	children(ts, cn->code, 6, &from, &to);
	n = to - from;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	for (size_t i = from; i < to; i++)
		nstreet += part3(ts->v[i].code, 6) < 100;
	/* Village weights for the city scale, drawn first so the stream does not depend on the
	   order of the rest. */
	children(vs, cn->code, 6, &vfrom, &vto);
	if (!(jitter = calloc(vto - vfrom + 1, sizeof *jitter)))
		goto out;
	for (size_t i = vfrom; i < vto; i++) {
		jitter[i - vfrom] = rng_unif(&j->r);
		j->weight_sum += village_weight(&vs->v[i], jitter[i - vfrom]);
	}
	if (!(cells = calloc(n, sizeof *cells)) || !(xy = calloc(n * 2, sizeof *xy)) ||
	    geo_shape_inner_point(area, &cx, &cy) < 0)
		goto out;
	if (seeds_for(area, nstreet, n, cx, cy, 0.1, &j->r, xy) < 0 ||
	    geo_shape_partition(area, xy, n, cells) < 0)
		goto out;
	for (size_t k = 0; k < n; k++) {
		const struct node *tn = &ts->v[from + k];
		char tpath[ACCESS_PATH_MAX];
		size_t tv_from, tv_to;
		int wanted = j->scale == DEMO_CITY || k == 0 ||
		             (j->ci == 0 && part3(tn->code, 6) >= 100 &&
		              part3(ts->v[from + k - 1].code, 6) < 100);

		if (!wanted)
			continue;
		(void)region_path_join(county_path, tn->code, tpath);
		if (!region_row(j->b, tn, 4, cn->code, tpath, shape_text(cells[k])))
			goto out;
		j->sum->townships++;
		children(vs, tn->code, 9, &tv_from, &tv_to);
		if (build_township(j, tn, tpath, cells[k], xy[2 * k], xy[2 * k + 1],
		                   jitter + (tv_from - vfrom)) < 0)
			goto out;
	}
	rc = 0;
out:
	geo_shape_free(area);
	free_shapes(cells, n);
	free(xy);
	free(jitter);
	return rc;
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
	const struct tree *tree;
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

/* apply: the city, then each county with its townships, villages and grids. */
static int build_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct build_arg *a = w->arg;
	const struct nodes *cs = &a->tree->level[DIV_COUNTY];
	const struct nodes *city = &a->tree->level[DIV_PREFECTURE];
	struct batch b = { 0 };
	char path[ACCESS_PATH_MAX];
	int rc;

	b.now = x->now;
	if (city->n != 1 || strcmp(city->v[0].code, CITY_CODE) != 0)
		return dom_err_set(e, 500, "internal", "演示数据缺少聊城市");
	(void)region_path_join("", CITY_CODE, path);
	if (!region_row(&b, &city->v[0], 2, NULL, path,
	                city->v[0].boundary ? strdup(city->v[0].boundary) : NULL))
		goto oom;
	for (size_t ci = 0; ci < NCOUNTIES; ci++) {
		struct county_job j = {
			.t = a->tree, .ci = ci, .scale = a->scale, .b = &b, .sum = a->sum
		};
		size_t from, to;

		j.r.s = a->seed * 0x9e3779b97f4a7c15ull + (uint64_t)ci * 0xd1b54a32d192ed03ull + 1;
		children(cs, counties[ci].code6, 6, &from, &to);
		if (to != from + 1) {
			batch_release(&b);
			return dom_err_set(e, 500, "internal", "演示数据缺少县级单位 %s",
			                   counties[ci].code6);
		}
		j.county = &cs->v[from];
		if (build_county(&j) < 0)
			goto oom;
		rc = batch_write(c, &b);
		batch_release(&b);
		b.now = x->now;
		if (rc != 0)
			return dom_err_store(e, rc);
	}
	dom_write_detail(w, "生成演示城市：%d 个县级单位，%d 个乡镇，%d 个村（社区），%d 个网格",
	                 a->sum->counties, a->sum->townships,
	                 a->sum->communities + a->sum->villages, a->sum->grids);
	return 0;
oom:
	batch_release(&b);
	return dom_err_set(e, 500, "internal", "生成演示城市失败（内存不足或几何运算失败）");
}

int demo_city_build(const struct dom_ctx *x, enum demo_scale scale, uint64_t seed,
                    struct demo_summary *sum, char *err, size_t errlen)
{
	int64_t t0 = clock_mono_ms();
	struct tree tree;
	struct build_arg a = { &tree, scale, seed, sum };
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
	if (tree_load(&tree, err, errlen) < 0)
		return -1;
	dom_write_object(&w, "regions");
	rc = dom_write(x, &w, &e);
	tree_release(&tree);
	if (rc < 0) {
		(void)snprintf(err, errlen, "%s (%s)", e.message, e.code ? e.code : "error");
		return -1;
	}
	sum->build_ms = clock_mono_ms() - t0;
	return 0;
}
