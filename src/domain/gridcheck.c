/*
 * Grid checks (R1): per community, the active grids must tile the community's boundary — no two
 * overlapping, no part of the community left without a grid, none reaching outside it — and
 * comprehensive grids should keep to the guide size of Art. 8. Areas are square metres through a
 * local equirectangular projection (geo_area_m2); slivers below GRID_CHECK_MIN_AREA_M2 are float
 * noise of shared edges and are not reported. Findings about grid workers arrive with the workers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/grid.h"
#include "geo/geom.h"
#include "store/store.h"

int grid_thresholds_load(struct store_conn *c, struct grid_thresholds *t)
{
	struct store_stmt *st;
	int rc;

	t->residents_min = GRID_RESIDENTS_MIN_DEFAULT;
	t->residents_max = GRID_RESIDENTS_MAX_DEFAULT;
	t->households_min = GRID_HOUSEHOLDS_MIN_DEFAULT;
	t->households_max = GRID_HOUSEHOLDS_MAX_DEFAULT;
	if (!c || !(st = store_prepare(c, "SELECT key, value FROM grid_settings")))
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *k = store_col_text(st, 0);
		int64_t v = store_col_int64(st, 1);

		if (!k)
			continue;
		if (strcmp(k, "residents_min") == 0)
			t->residents_min = v;
		else if (strcmp(k, "residents_max") == 0)
			t->residents_max = v;
		else if (strcmp(k, "households_min") == 0)
			t->households_min = v;
		else if (strcmp(k, "households_max") == 0)
			t->households_max = v;
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

struct cgrid {
	char code[16];
	char name[REGION_NAME_BYTES];
	int kind;
	int64_t households, residents;
	GEOSGeometry *g;
	double xmin, ymin, xmax, ymax;
};

struct counts {
	int overlap, gap, outside, size, no_boundary;
};

static double round1(double a)
{
	return round(a * 10.0) / 10.0;
}

static json_t *finding(const char *type, const char *label, const char *ccode, const char *cname,
                       json_t *grids, double area, const char *message)
{
	json_t *f = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s}", "type", type, "label", label,
	                      "community", "code", ccode, "name", cname, "grids", grids, "message",
	                      message);

	json_object_set_new(f, "area_m2", area >= 0 ? json_real(round1(area)) : json_null());
	return f;
}

static void add_geometry(GEOSContextHandle_t h, json_t *f, const GEOSGeometry *g)
{
	json_t *j = geo_to_json(h, g);

	json_object_set_new(f, "geometry", j ? j : json_null());
}

static int check_community(struct store_conn *c, const struct principal *p, const char *ccode,
                           const char *cname, const char *cboundary,
                           const struct grid_thresholds *t, json_t *findings, struct counts *n,
                           int64_t *ngrids)
{
	GEOSContextHandle_t h = geo_ctx();
	struct store_stmt *st;
	struct cgrid *gs = NULL;
	size_t count = 0, cap = 0;
	GEOSGeometry *cb = NULL, *u = NULL;
	char msg[512];
	int rc, result = -1;

	st = store_prepare(c, "SELECT id, code, name, kind, boundary, households, residents, path "
	                      "FROM grids WHERE community_code = ? AND status = 'active' "
	                      "ORDER BY code");
	if (!st)
		return -1;
	store_bind_text(st, 1, ccode, -1);
	while ((rc = store_step(st)) == STORE_ROW) {
		struct cgrid *x;
		char gmsg[GEO_MSG_MAX];

		if (!grid_visible(p, store_col_int64(st, 0), store_col_text(st, 7)))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct cgrid *ng = realloc(gs, ncap * sizeof *ng);

			if (!ng)
				break;
			gs = ng;
			cap = ncap;
		}
		x = &gs[count];
		memset(x, 0, sizeof *x);
		(void)snprintf(x->code, sizeof x->code, "%s", store_col_text(st, 1));
		(void)snprintf(x->name, sizeof x->name, "%s", store_col_text(st, 2));
		x->kind = (int)store_col_int64(st, 3);
		x->households = store_col_int64(st, 5);
		x->residents = store_col_int64(st, 6);
		x->g = geo_boundary_from_text(h, store_col_text(st, 4), gmsg, sizeof gmsg);
		if (!x->g)
			continue;
		GEOSGeom_getExtent_r(h, x->g, &x->xmin, &x->ymin, &x->xmax, &x->ymax);
		count++;
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		goto out;
	*ngrids += (int64_t)count;

	/* Guide size of comprehensive grids. */
	for (size_t i = 0; i < count; i++) {
		struct cgrid *x = &gs[i];
		int r_ok = x->residents >= t->residents_min && x->residents <= t->residents_max;
		int h_ok = x->households >= t->households_min && x->households <= t->households_max;

		if (x->kind != GRID_COMPREHENSIVE || r_ok || h_ok)
			continue;
		(void)snprintf(msg, sizeof msg,
		               "综合网格“%s”登记 %lld 人、%lld 户，不在指导规模内（%lld–%lld 人或 "
		               "%lld–%lld 户）",
		               x->name, (long long)x->residents, (long long)x->households,
		               (long long)t->residents_min, (long long)t->residents_max,
		               (long long)t->households_min, (long long)t->households_max);
		json_t *f = finding("size", "规模超出指导范围", ccode, cname,
		                    json_pack("[s]", x->code), -1, msg);
		json_object_set_new(f, "residents", json_integer(x->residents));
		json_object_set_new(f, "households", json_integer(x->households));
		json_array_append_new(findings, f);
		n->size++;
	}

	/* Overlapping pairs. */
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++) {
			struct cgrid *a = &gs[i], *b = &gs[j];
			GEOSGeometry *ix;
			double area;

			if (a->xmax < b->xmin || b->xmax < a->xmin || a->ymax < b->ymin ||
			    b->ymax < a->ymin)
				continue;
			if (GEOSIntersects_r(h, a->g, b->g) != 1)
				continue;
			ix = GEOSIntersection_r(h, a->g, b->g);
			area = ix ? geo_area_m2(h, ix) : 0;
			if (area > GRID_CHECK_MIN_AREA_M2) {
				json_t *f;

				(void)snprintf(msg, sizeof msg, "网格“%s”与“%s”重叠约 %.1f 平方米",
				               a->name, b->name, area);
				f = finding("overlap", "网格重叠", ccode, cname,
				            json_pack("[s,s]", a->code, b->code), area, msg);
				add_geometry(h, f, ix);
				json_array_append_new(findings, f);
				n->overlap++;
			}
			if (ix)
				GEOSGeom_destroy_r(h, ix);
		}

	/* Coverage of the community boundary. */
	if (!cboundary) {
		(void)snprintf(msg, sizeof msg, "%s未登记边界，无法检查空白区域和越界网格", cname);
		json_array_append_new(findings, finding("no_boundary", "社区未登记边界", ccode,
		                                        cname, json_array(), -1, msg));
		n->no_boundary++;
		result = 0;
		goto out;
	}
	cb = geo_boundary_from_text(h, cboundary, msg, sizeof msg);
	if (!cb)
		goto out;
	if (count) {
		GEOSGeometry **geoms = malloc(count * sizeof *geoms), *coll;

		if (!geoms)
			goto out;
		for (size_t i = 0; i < count; i++)
			geoms[i] = GEOSGeom_clone_r(h, gs[i].g);
		coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, geoms,
		                                   (unsigned)count);
		free(geoms);
		u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
		if (coll)
			GEOSGeom_destroy_r(h, coll);
		if (!u)
			goto out;
	}
	/* A grid-bound caller (grid worker) sees only its own grids: the rest of the community
	   would look like a gap, and the gap's shape would outline grids it may not see. */
	if (!p->is_system && p->grid_bound) {
		/* no gap finding */
	} else {
		GEOSGeometry *gap = u ? GEOSDifference_r(h, cb, u) : GEOSGeom_clone_r(h, cb);
		double area = gap ? geo_area_m2(h, gap) : 0;

		if (area > GRID_CHECK_MIN_AREA_M2) {
			json_t *f;

			(void)snprintf(msg, sizeof msg, "%s有约 %.1f 平方米的区域不属于任何网格",
			               cname, area);
			f = finding("gap", "空白区域", ccode, cname, json_array(), area, msg);
			add_geometry(h, f, gap);
			json_array_append_new(findings, f);
			n->gap++;
		}
		if (gap)
			GEOSGeom_destroy_r(h, gap);
	}
	for (size_t i = 0; i < count; i++) {
		GEOSGeometry *out = GEOSDifference_r(h, gs[i].g, cb);
		double area = out ? geo_area_m2(h, out) : 0;

		if (area > GRID_CHECK_MIN_AREA_M2) {
			json_t *f;

			(void)snprintf(msg, sizeof msg, "网格“%s”有约 %.1f 平方米超出%s的边界",
			               gs[i].name, area, cname);
			f = finding("outside", "超出社区边界", ccode, cname,
			            json_pack("[s]", gs[i].code), area, msg);
			add_geometry(h, f, out);
			json_array_append_new(findings, f);
			n->outside++;
		}
		if (out)
			GEOSGeom_destroy_r(h, out);
	}
	result = 0;
out:
	for (size_t i = 0; i < count; i++)
		GEOSGeom_destroy_r(h, gs[i].g);
	free(gs);
	if (cb)
		GEOSGeom_destroy_r(h, cb);
	if (u)
		GEOSGeom_destroy_r(h, u);
	return result;
}

struct community {
	char code[13];
	char name[REGION_NAME_BYTES];
	char *boundary;
};

json_t *grid_checks(struct store *s, const struct principal *p, const char *region12,
                    struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct region r;
	struct grid_thresholds t;
	struct community *cs = NULL;
	size_t ncs = 0, cap = 0;
	struct counts n = { 0 };
	json_t *findings = NULL, *out = NULL;
	int64_t ngrids = 0;
	int rc;

	rc = c ? region_load(c, p, region12, &r) : -1;
	if (rc <= 0) {
		if (rc < 0)
			dom_err_set(e, 503, "read_failed", "读取区划失败，请稍后重试");
		else
			dom_err_set(e, 404, "not_found", "区划 %s 不存在", region12);
		return NULL;
	}
	(void)grid_thresholds_load(c, &t);
	if (r.level == DIV_VILLAGE) {
		cs = calloc(1, sizeof *cs);
		if (cs) {
			memcpy(cs->code, r.code, sizeof cs->code);
			memcpy(cs->name, r.name, sizeof cs->name);
			cs->boundary = r.boundary;
			r.boundary = NULL;
			ncs = 1;
		}
	} else {
		char hi[ACCESS_PATH_MAX];
		size_t len = strlen(r.path);
		struct store_stmt *st;

		memcpy(hi, r.path, len + 1);
		hi[len - 1] = (char)(hi[len - 1] + 1);
		st = store_prepare(c,
		                   "SELECT code, name, boundary FROM regions WHERE level = 5 AND "
		                   "path >= ? AND path < ? ORDER BY code");
		if (!st)
			goto fail;
		store_bind_text(st, 1, r.path, -1);
		store_bind_text(st, 2, hi, -1);
		while ((rc = store_step(st)) == STORE_ROW) {
			if (ncs == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct community *nc = realloc(cs, ncap * sizeof *nc);

				if (!nc)
					break;
				cs = nc;
				cap = ncap;
			}
			(void)snprintf(cs[ncs].code, sizeof cs[ncs].code, "%s",
			               store_col_text(st, 0));
			(void)snprintf(cs[ncs].name, sizeof cs[ncs].name, "%s",
			               store_col_text(st, 1));
			cs[ncs].boundary =
			        store_col_is_null(st, 2) ? NULL : strdup(store_col_text(st, 2));
			ncs++;
		}
		store_reset(st);
		if (ncs > GRID_CHECK_MAX_COMMUNITIES) {
			dom_err_set(e, 400, "too_large",
			            "该区划下的社区/村过多（%zu 个），请选择更小的区划检查", ncs);
			goto out;
		}
	}
	findings = json_array();
	for (size_t i = 0; i < ncs; i++)
		if (check_community(c, p, cs[i].code, cs[i].name, cs[i].boundary, &t, findings, &n,
		                    &ngrids) < 0)
			goto fail;
	out = json_pack("{s:{s:s,s:s,s:i,s:s},s:I,s:I,s:s,s:{s:I,s:I,s:I,s:I},"
	                "s:{s:i,s:i,s:i,s:i,s:i},s:O}",
	                "region", "code", r.code, "name", r.name, "level", r.level, "kind",
	                region_kind_label(r.code), "communities", (json_int_t)ncs, "grids",
	                (json_int_t)ngrids, "area_unit", "m2", "thresholds", "residents_min",
	                (json_int_t)t.residents_min, "residents_max", (json_int_t)t.residents_max,
	                "households_min", (json_int_t)t.households_min, "households_max",
	                (json_int_t)t.households_max, "counts", "overlap", n.overlap, "gap", n.gap,
	                "outside", n.outside, "size", n.size, "no_boundary", n.no_boundary,
	                "findings", findings);
	goto out;
fail:
	dom_err_set(e, 503, "read_failed", "检查失败，请稍后重试");
out:
	json_decref(findings);
	for (size_t i = 0; i < ncs; i++)
		free(cs[i].boundary);
	free(cs);
	region_release(&r);
	return out;
}
