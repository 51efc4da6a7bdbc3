/*
 * Grid checks (R1): per community, the active grids must tile the community's boundary — no two
 * overlapping, no part of the community left without a grid, none reaching outside it — and
 * comprehensive grids should keep to the guide size of Art. 8. Areas are square metres
 * (geo/geom.h); slivers below GRID_CHECK_MIN_AREA_M2 are float noise of shared edges and are not
 * reported. Only the grids in the caller's scope take part (a SQL condition, as in every read).
 * Active grids without an active full-time worker (Art. 10) are findings of type "no_worker",
 * from the staffing aggregation (domain/staffing.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/grid.h"
#include "domain/staffing.h"
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
	struct geo_shape *g;
};

struct counts {
	int overlap, gap, outside, size, no_boundary, no_worker;
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

static void add_geometry(json_t *f, const struct geo_shape *g)
{
	json_t *j = geo_shape_to_json(g);

	json_object_set_new(f, "geometry", j ? j : json_null());
}

static int check_community(struct store_conn *c, const struct dom_ctx *x, const char *ccode,
                           const char *cname, const char *cboundary,
                           const struct grid_thresholds *t, json_t *findings, struct counts *n,
                           int64_t *ngrids)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	struct cgrid *gs = NULL;
	size_t count = 0, cap = 0;
	struct geo_shape *cb = NULL, *u = NULL, **shapes = NULL;
	char msg[512];
	int rc, result = -1;

	dom_scope_sql(x->caller, "g.path", "g.id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT g.id, g.code, g.name, g.kind, g.boundary, g.households, g.residents "
	               "FROM grids g WHERE g.community_code = ? AND g.status = 'active'%s "
	               "ORDER BY g.code",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_text(st, 1, ccode, -1) || dom_scope_bind(x->caller, "g.id", st, 2) < 0) {
		store_reset(st);
		return -1;
	}
	while ((rc = store_step(st)) == STORE_ROW) {
		struct cgrid *g;
		char gmsg[GEO_MSG_MAX];

		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct cgrid *ng = ncap > SIZE_MAX / sizeof *ng
			                           ? NULL
			                           : realloc(gs, ncap * sizeof *ng);

			if (!ng) {
				rc = STORE_ERR;
				break;
			}
			gs = ng;
			cap = ncap;
		}
		g = &gs[count];
		memset(g, 0, sizeof *g);
		(void)snprintf(g->code, sizeof g->code, "%s", store_col_text(st, 1));
		(void)snprintf(g->name, sizeof g->name, "%s", store_col_text(st, 2));
		g->kind = (int)store_col_int64(st, 3);
		g->households = store_col_int64(st, 5);
		g->residents = store_col_int64(st, 6);
		g->g = geo_shape_from_text(store_col_text(st, 4), gmsg, sizeof gmsg);
		if (!g->g)
			continue;
		count++;
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto out;
	*ngrids += (int64_t)count;

	/* Guide size of comprehensive grids. */
	for (size_t i = 0; i < count; i++) {
		struct cgrid *g = &gs[i];
		int r_ok = g->residents >= t->residents_min && g->residents <= t->residents_max;
		int h_ok = g->households >= t->households_min && g->households <= t->households_max;
		json_t *f;

		if (g->kind != GRID_COMPREHENSIVE || r_ok || h_ok)
			continue;
		(void)snprintf(msg, sizeof msg,
		               "综合网格“%s”登记 %lld 人、%lld 户，不在指导规模内（%lld–%lld 人或 "
		               "%lld–%lld 户）",
		               g->name, (long long)g->residents, (long long)g->households,
		               (long long)t->residents_min, (long long)t->residents_max,
		               (long long)t->households_min, (long long)t->households_max);
		f = finding("size", "规模超出指导范围", ccode, cname, json_pack("[s]", g->code), -1,
		            msg);
		json_object_set_new(f, "residents", json_integer(g->residents));
		json_object_set_new(f, "households", json_integer(g->households));
		json_array_append_new(findings, f);
		n->size++;
	}

	/* Overlapping pairs. */
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++) {
			struct cgrid *a = &gs[i], *b = &gs[j];
			struct geo_shape *ix;
			double area;

			if (geo_shape_intersects(a->g, b->g) != 1)
				continue;
			ix = geo_shape_intersection(a->g, b->g);
			area = ix ? geo_shape_area_m2(ix) : 0;
			if (area > GRID_CHECK_MIN_AREA_M2) {
				json_t *f;

				(void)snprintf(msg, sizeof msg, "网格“%s”与“%s”重叠约 %.1f 平方米",
				               a->name, b->name, area);
				f = finding("overlap", "网格重叠", ccode, cname,
				            json_pack("[s,s]", a->code, b->code), area, msg);
				add_geometry(f, ix);
				json_array_append_new(findings, f);
				n->overlap++;
			}
			geo_shape_free(ix);
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
	cb = geo_shape_from_text(cboundary, msg, sizeof msg);
	if (!cb)
		goto out;
	if (count) {
		if (!(shapes = malloc(count * sizeof *shapes)))
			goto out;
		for (size_t i = 0; i < count; i++)
			shapes[i] = gs[i].g;
		if (!(u = geo_shape_union(shapes, count)))
			goto out;
	}
	/* A grid-bound caller (grid worker) sees only its own grids: the rest of the community
	   would look like a gap, and the gap's shape would outline grids it may not see. */
	if (x->caller->is_system || !x->caller->grid_bound) {
		struct geo_shape *gap = geo_shape_difference(cb, u);
		double area = gap ? geo_shape_area_m2(gap) : 0;

		if (area > GRID_CHECK_MIN_AREA_M2) {
			json_t *f;

			(void)snprintf(msg, sizeof msg, "%s有约 %.1f 平方米的区域不属于任何网格",
			               cname, area);
			f = finding("gap", "空白区域", ccode, cname, json_array(), area, msg);
			add_geometry(f, gap);
			json_array_append_new(findings, f);
			n->gap++;
		}
		geo_shape_free(gap);
	}
	for (size_t i = 0; i < count; i++) {
		struct geo_shape *outside = geo_shape_difference(gs[i].g, cb);
		double area = outside ? geo_shape_area_m2(outside) : 0;

		if (area > GRID_CHECK_MIN_AREA_M2) {
			json_t *f;

			(void)snprintf(msg, sizeof msg, "网格“%s”有约 %.1f 平方米超出%s的边界",
			               gs[i].name, area, cname);
			f = finding("outside", "超出社区边界", ccode, cname,
			            json_pack("[s]", gs[i].code), area, msg);
			add_geometry(f, outside);
			json_array_append_new(findings, f);
			n->outside++;
		}
		geo_shape_free(outside);
	}
	result = 0;
out:
	for (size_t i = 0; i < count; i++)
		geo_shape_free(gs[i].g);
	free(gs);
	free(shapes);
	geo_shape_free(cb);
	geo_shape_free(u);
	return result;
}

struct community {
	char code[13];
	char name[REGION_NAME_BYTES];
	char *boundary;
};

json_t *grid_checks(const struct dom_ctx *x, const char *region12, struct dom_err *e)
{
	struct store_conn *c;
	struct region r;
	struct grid_thresholds t;
	struct community *cs = NULL;
	size_t ncs = 0, cap = 0;
	struct counts n = { 0 };
	json_t *findings = NULL, *out = NULL;
	int64_t ngrids = 0;
	int rc;

	if (region_get(x, region12, &r, e) < 0) {
		region_release(&r);
		return NULL;
	}
	c = store_reader(x->store);
	(void)grid_thresholds_load(c, &t);
	if (r.level == DIV_VILLAGE) {
		cs = calloc(1, sizeof *cs);
		if (!cs)
			goto fail;
		memcpy(cs->code, r.code, sizeof cs->code);
		memcpy(cs->name, r.name, sizeof cs->name);
		cs->boundary = r.boundary;
		r.boundary = NULL;
		ncs = 1;
	} else {
		char scope[DOM_SCOPE_SQL_MAX], sql[512], hi[ACCESS_PATH_MAX];
		size_t len = strlen(r.path);
		struct store_stmt *st;

		memcpy(hi, r.path, len + 1);
		hi[len - 1] = (char)(hi[len - 1] + 1);
		dom_scope_sql(x->caller, "r.path", NULL, scope);
		(void)snprintf(sql, sizeof sql,
		               "SELECT r.code, r.name, r.boundary FROM regions r WHERE r.level = 5 "
		               "AND r.path >= ? AND r.path < ?%s ORDER BY r.code LIMIT ?",
		               scope);
		if (!c || !(st = store_prepare(c, sql)))
			goto fail;
		if (store_bind_text(st, 1, r.path, -1) || store_bind_text(st, 2, hi, -1) ||
		    (rc = dom_scope_bind(x->caller, NULL, st, 3)) < 0 ||
		    store_bind_int64(st, rc, GRID_CHECK_MAX_COMMUNITIES + 1)) {
			store_reset(st);
			goto fail;
		}
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
		if (rc != STORE_DONE)
			goto fail;
		if (ncs > GRID_CHECK_MAX_COMMUNITIES) {
			dom_err_set(e, 400, "too_large",
			            "该区划下的社区/村过多（超过 %d 个），请选择更小的区划检查",
			            GRID_CHECK_MAX_COMMUNITIES);
			goto out;
		}
	}
	if (!(findings = json_array()))
		goto fail;
	for (size_t i = 0; i < ncs; i++)
		if (check_community(c, x, cs[i].code, cs[i].name, cs[i].boundary, &t, findings, &n,
		                    &ngrids) < 0)
			goto fail;
	/* Art. 10: active grids without an active full-time worker (domain/staffing.h). */
	if (staffing_findings(c, x, r.path, findings, &n.no_worker) < 0)
		goto fail;
	out = json_pack("{s:{s:s,s:s,s:i,s:s},s:I,s:I,s:s,s:{s:I,s:I,s:I,s:I},"
	                "s:{s:i,s:i,s:i,s:i,s:i,s:i},s:O}",
	                "region", "code", r.code, "name", r.name, "level", r.level, "kind",
	                region_kind_label(r.code), "communities", (json_int_t)ncs, "grids",
	                (json_int_t)ngrids, "area_unit", "m2", "thresholds", "residents_min",
	                (json_int_t)t.residents_min, "residents_max", (json_int_t)t.residents_max,
	                "households_min", (json_int_t)t.households_min, "households_max",
	                (json_int_t)t.households_max, "counts", "overlap", n.overlap, "gap", n.gap,
	                "outside", n.outside, "size", n.size, "no_boundary", n.no_boundary,
	                "no_worker", n.no_worker, "findings", findings);
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
