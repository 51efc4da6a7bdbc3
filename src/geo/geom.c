/*
 * GEOS glue: per-thread contexts, GeoJSON boundaries in and out, areas in square metres, and the
 * opaque struct geo_shape the domain works with (geo/geom.h). Boundaries are built directly from
 * the parsed JSON (not through GEOS's GeoJSON reader) so every structural mistake gets its own
 * Chinese message, and GEOS only judges topology.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geom_geos.h"

static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_destroy(void *p)
{
	GEOS_finish_r((GEOSContextHandle_t)p);
}

static void ctx_key_init(void)
{
	(void)pthread_key_create(&ctx_key, ctx_destroy);
}

GEOSContextHandle_t geo_ctx(void)
{
	GEOSContextHandle_t h;

	(void)pthread_once(&ctx_once, ctx_key_init);
	h = pthread_getspecific(ctx_key);
	if (!h) {
		h = GEOS_init_r();
		if (h && pthread_setspecific(ctx_key, h) != 0) {
			GEOS_finish_r(h);
			h = NULL;
		}
	}
	return h;
}

static void msgf(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msgf(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !n)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, n, fmt, ap);
	va_end(ap);
}

/* Builds one linear ring from a JSON array of positions. */
static GEOSGeometry *ring_from_json(GEOSContextHandle_t h, const json_t *ring, size_t *budget,
                                    char *msg, size_t msglen)
{
	size_t n = json_is_array(ring) ? json_array_size(ring) : 0;
	GEOSCoordSequence *seq = NULL;
	GEOSGeometry *g = NULL;
	double x0 = 0, y0 = 0, x = 0, y = 0;

	if (!json_is_array(ring)) {
		msgf(msg, msglen, "边界格式错误：每个环必须是坐标数组");
		return NULL;
	}
	if (n < 4) {
		msgf(msg, msglen, "边界格式错误：每个环至少需要 4 个坐标点（首末点相同）");
		return NULL;
	}
	if (n > *budget) {
		msgf(msg, msglen, "边界顶点过多（最多 %d 个）", GEO_MAX_VERTICES);
		return NULL;
	}
	*budget -= n;
	seq = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
	if (!seq) {
		msgf(msg, msglen, "内存不足");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *pos = json_array_get(ring, i);
		const json_t *jx = json_array_get(pos, 0), *jy = json_array_get(pos, 1);

		if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3 ||
		    !json_is_number(jx) || !json_is_number(jy)) {
			msgf(msg, msglen, "边界格式错误：坐标必须是 [经度, 纬度] 数字数组");
			goto bad;
		}
		x = json_number_value(jx);
		y = json_number_value(jy);
		if (!isfinite(x) || !isfinite(y) || x < GEO_LNG_MIN || x > GEO_LNG_MAX ||
		    y < GEO_LAT_MIN || y > GEO_LAT_MAX) {
			msgf(msg, msglen,
			     "坐标超出范围：经度应在 %.0f～%.0f 之间，纬度应在 %.0f～%.0f "
			     "之间（WGS84）",
			     GEO_LNG_MIN, GEO_LNG_MAX, GEO_LAT_MIN, GEO_LAT_MAX);
			goto bad;
		}
		if (i == 0) {
			x0 = x;
			y0 = y;
		}
		GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, x, y);
	}
	if (x != x0 || y != y0) {
		msgf(msg, msglen, "边界格式错误：环未闭合，首末两个坐标点必须相同");
		goto bad;
	}
	g = GEOSGeom_createLinearRing_r(h, seq); /* takes seq */
	if (!g)
		msgf(msg, msglen, "边界格式错误：无法构成闭合环");
	return g;
bad:
	GEOSCoordSeq_destroy_r(h, seq);
	return NULL;
}

static GEOSGeometry *polygon_from_json(GEOSContextHandle_t h, const json_t *rings, size_t *budget,
                                       char *msg, size_t msglen)
{
	size_t n = json_is_array(rings) ? json_array_size(rings) : 0;
	GEOSGeometry *shell = NULL, **holes = NULL, *poly = NULL;
	size_t nholes = 0;

	if (n == 0) {
		msgf(msg, msglen, "边界格式错误：多边形至少需要一个外环");
		return NULL;
	}
	shell = ring_from_json(h, json_array_get(rings, 0), budget, msg, msglen);
	if (!shell)
		return NULL;
	if (n > 1) {
		holes = calloc(n - 1, sizeof *holes);
		if (!holes) {
			msgf(msg, msglen, "内存不足");
			goto out;
		}
		for (size_t i = 1; i < n; i++) {
			holes[nholes] =
			        ring_from_json(h, json_array_get(rings, i), budget, msg, msglen);
			if (!holes[nholes])
				goto out;
			nholes++;
		}
	}
	poly = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nholes); /* takes all rings */
	if (poly) {
		shell = NULL;
		nholes = 0;
	} else {
		msgf(msg, msglen, "边界格式错误：无法构成多边形");
	}
out:
	for (size_t i = 0; i < nholes; i++)
		GEOSGeom_destroy_r(h, holes[i]);
	free(holes);
	if (shell)
		GEOSGeom_destroy_r(h, shell);
	return poly;
}

/* Chinese for the reasons GEOS's validity check gives. */
static const char *reason_zh(const char *r)
{
	static const struct {
		const char *en, *zh;
	} map[] = {
		{ "Ring Self-intersection", "环自相交" },
		{ "Self-intersection", "边界自相交" },
		{ "Hole lies outside shell", "内环位于外环之外" },
		{ "Holes are nested", "内环相互嵌套" },
		{ "Interior is disconnected", "多边形内部不连通" },
		{ "Nested shells", "多个多边形相互嵌套" },
		{ "Duplicate Rings", "存在重复的环" },
		{ "Too few distinct points", "不重复的坐标点过少" },
		{ "Invalid Coordinate", "坐标无效" },
		{ "Ring is not closed", "环未闭合" },
	};
	for (size_t i = 0; r && i < sizeof map / sizeof map[0]; i++)
		if (strncmp(r, map[i].en, strlen(map[i].en)) == 0)
			return map[i].zh;
	return "拓扑无效";
}

GEOSGeometry *geo_boundary_from_json(GEOSContextHandle_t h, const json_t *in, char **normalized,
                                     char *msg, size_t msglen)
{
	const json_t *geom = in, *coords;
	const char *type;
	GEOSGeometry *g = NULL, **parts = NULL;
	size_t nparts = 0, budget = GEO_MAX_VERTICES;
	char *reason = NULL;
	GEOSGeometry *where = NULL;
	char valid;

	if (normalized)
		*normalized = NULL;
	if (!h) {
		msgf(msg, msglen, "几何引擎不可用");
		return NULL;
	}
	if (!json_is_object(geom)) {
		msgf(msg, msglen, "边界必须是 GeoJSON 对象（Polygon 或 MultiPolygon）");
		return NULL;
	}
	type = json_string_value(json_object_get(geom, "type"));
	if (type && strcmp(type, "Feature") == 0) {
		geom = json_object_get(geom, "geometry");
		type = json_is_object(geom) ? json_string_value(json_object_get(geom, "type"))
		                            : NULL;
	}
	if (!type || (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0)) {
		msgf(msg, msglen, "边界类型必须是 GeoJSON Polygon 或 MultiPolygon");
		return NULL;
	}
	coords = json_object_get(geom, "coordinates");
	if (!json_is_array(coords) || json_array_size(coords) == 0) {
		msgf(msg, msglen, "边界格式错误：缺少坐标（coordinates）或坐标为空");
		return NULL;
	}
	if (strcmp(type, "Polygon") == 0) {
		g = polygon_from_json(h, coords, &budget, msg, msglen);
		if (!g)
			return NULL;
	} else {
		size_t n = json_array_size(coords);

		parts = calloc(n, sizeof *parts);
		if (!parts) {
			msgf(msg, msglen, "内存不足");
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			parts[nparts] = polygon_from_json(h, json_array_get(coords, i), &budget,
			                                  msg, msglen);
			if (!parts[nparts])
				goto fail;
			nparts++;
		}
		g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)nparts);
		if (!g) {
			msgf(msg, msglen, "边界格式错误：无法构成多多边形");
			goto fail;
		}
		free(parts);
		parts = NULL;
		nparts = 0;
	}
	valid = GEOSisValidDetail_r(h, g, 0, &reason, &where);
	if (valid != 1) {
		double wx = 0, wy = 0;

		if (where) {
			(void)GEOSGeomGetX_r(h, where, &wx);
			(void)GEOSGeomGetY_r(h, where, &wy);
		}
		if (valid == 0 && where)
			msgf(msg, msglen, "边界无效：%s（位置 %.6f, %.6f）", reason_zh(reason), wx,
			     wy);
		else
			msgf(msg, msglen, "边界无效：%s", reason_zh(reason));
		goto fail;
	}
	if (GEOSisEmpty_r(h, g) != 0) {
		msgf(msg, msglen, "边界不能为空");
		goto fail;
	}
	{
		double a = 0;

		if (GEOSArea_r(h, g, &a) != 1 || !(a > 0)) {
			msgf(msg, msglen, "边界面积为零");
			goto fail;
		}
	}
	if (normalized) {
		json_t *o = json_pack("{s:s,s:O}", "type", type, "coordinates", coords);

		*normalized = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
		json_decref(o);
		if (!*normalized) {
			msgf(msg, msglen, "内存不足");
			goto fail;
		}
	}
	goto out;
fail:
	for (size_t i = 0; i < nparts; i++)
		GEOSGeom_destroy_r(h, parts[i]);
	if (g)
		GEOSGeom_destroy_r(h, g);
	g = NULL;
	if (normalized) {
		free(*normalized);
		*normalized = NULL;
	}
out:
	free(parts);
	if (reason)
		GEOSFree_r(h, reason);
	if (where)
		GEOSGeom_destroy_r(h, where);
	return g;
}

GEOSGeometry *geo_boundary_from_text(GEOSContextHandle_t h, const char *text, char *msg,
                                     size_t msglen)
{
	json_error_t jerr;
	json_t *j;
	GEOSGeometry *g;

	if (!text) {
		msgf(msg, msglen, "边界为空");
		return NULL;
	}
	j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		msgf(msg, msglen, "边界不是合法的 JSON（第 %d 行第 %d 列）", jerr.line,
		     jerr.column);
		return NULL;
	}
	g = geo_boundary_from_json(h, j, NULL, msg, msglen);
	json_decref(j);
	return g;
}

static json_t *ring_to_json(GEOSContextHandle_t h, const GEOSGeometry *ring)
{
	const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
	unsigned n = 0;
	json_t *a = json_array();

	if (!a || !seq || !GEOSCoordSeq_getSize_r(h, seq, &n)) {
		json_decref(a);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		double x, y;

		GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
		json_array_append_new(a, json_pack("[f,f]", x, y));
	}
	return a;
}

static json_t *polygon_to_json(GEOSContextHandle_t h, const GEOSGeometry *p)
{
	json_t *rings = json_array();
	int nholes = GEOSGetNumInteriorRings_r(h, p);

	if (!rings)
		return NULL;
	json_array_append_new(rings, ring_to_json(h, GEOSGetExteriorRing_r(h, p)));
	for (int i = 0; i < nholes; i++)
		json_array_append_new(rings, ring_to_json(h, GEOSGetInteriorRingN_r(h, p, i)));
	return rings;
}

/* Appends every non-empty polygon of g (searching collections) to polys. */
static void collect_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, json_t *polys)
{
	int type = GEOSGeomTypeId_r(h, g);

	if (type == GEOS_POLYGON) {
		if (!GEOSisEmpty_r(h, g))
			json_array_append_new(polys, polygon_to_json(h, g));
	} else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
		int n = GEOSGetNumGeometries_r(h, g);

		for (int i = 0; i < n; i++)
			collect_polygons(h, GEOSGetGeometryN_r(h, g, i), polys);
	}
}

json_t *geo_to_json(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	json_t *polys = json_array(), *out = NULL;

	if (!polys || !g)
		goto out;
	collect_polygons(h, g, polys);
	if (json_array_size(polys) == 1)
		out = json_pack("{s:s,s:O}", "type", "Polygon", "coordinates",
		                json_array_get(polys, 0));
	else if (json_array_size(polys) > 1)
		out = json_pack("{s:s,s:O}", "type", "MultiPolygon", "coordinates", polys);
out:
	json_decref(polys);
	return out;
}

double geo_area_m2(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	/* An equirectangular projection is linear, so it scales every area by the same factor:
	   (R·π/180)² · cos(lat0). */
	static const double R = 6371008.8; /* mean Earth radius, metres */
	double a = 0, ymin = 0, ymax = 0, k;

	if (!g || GEOSisEmpty_r(h, g) != 0 || GEOSArea_r(h, g, &a) != 1 ||
	    GEOSGeom_getYMin_r(h, g, &ymin) != 1 || GEOSGeom_getYMax_r(h, g, &ymax) != 1)
		return 0;
	k = R * M_PI / 180.0;
	return a * k * k * cos((ymin + ymax) / 2 * M_PI / 180.0);
}

int geo_boundary_check(const json_t *in, char **normalized, char *msg, size_t msglen)
{
	GEOSContextHandle_t h = geo_ctx();
	GEOSGeometry *g;

	if (!h) {
		(void)snprintf(msg, msglen, "几何运算不可用");
		return -1;
	}
	g = geo_boundary_from_json(h, in, normalized, msg, msglen);
	if (!g)
		return -1;
	GEOSGeom_destroy_r(h, g);
	return 0;
}

/* ---- shapes ---- */

struct geo_shape *geo_shape_wrap(GEOSContextHandle_t h, GEOSGeometry *g)
{
	struct geo_shape *s;

	if (!g)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		GEOSGeom_destroy_r(h, g);
		return NULL;
	}
	s->g = g;
	s->empty = GEOSisEmpty_r(h, g) != 0;
	if (!s->empty && GEOSGeom_getExtent_r(h, g, &s->xmin, &s->ymin, &s->xmax, &s->ymax) != 1)
		s->empty = 1;
	return s;
}

struct geo_shape *geo_shape_from_json(const json_t *in, char **normalized, char *msg, size_t msglen)
{
	GEOSContextHandle_t h = geo_ctx();
	struct geo_shape *s;

	if (normalized)
		*normalized = NULL;
	if (!h) {
		msgf(msg, msglen, "几何运算不可用");
		return NULL;
	}
	s = geo_shape_wrap(h, geo_boundary_from_json(h, in, normalized, msg, msglen));
	if (!s && normalized && *normalized) {
		free(*normalized);
		*normalized = NULL;
		msgf(msg, msglen, "内存不足");
	}
	return s;
}

struct geo_shape *geo_shape_from_text(const char *text, char *msg, size_t msglen)
{
	GEOSContextHandle_t h = geo_ctx();

	if (!h) {
		msgf(msg, msglen, "几何运算不可用");
		return NULL;
	}
	return geo_shape_wrap(h, geo_boundary_from_text(h, text, msg, msglen));
}

void geo_shape_free(struct geo_shape *s)
{
	if (!s)
		return;
	GEOSGeom_destroy_r(geo_ctx(), s->g);
	free(s);
}

double geo_shape_area_m2(const struct geo_shape *s)
{
	return s && !s->empty ? geo_area_m2(geo_ctx(), s->g) : 0;
}

int geo_shape_is_polygon(const struct geo_shape *s)
{
	return s && !s->empty && GEOSGeomTypeId_r(geo_ctx(), s->g) == GEOS_POLYGON;
}

static int apart(const struct geo_shape *a, const struct geo_shape *b)
{
	return a->empty || b->empty || a->xmax < b->xmin || b->xmax < a->xmin ||
	       a->ymax < b->ymin || b->ymax < a->ymin;
}

int geo_shape_intersects(const struct geo_shape *a, const struct geo_shape *b)
{
	char r;

	if (!a || !b)
		return -1;
	if (apart(a, b))
		return 0;
	r = GEOSIntersects_r(geo_ctx(), a->g, b->g);
	return r == 2 ? -1 : r;
}

struct geo_shape *geo_shape_intersection(const struct geo_shape *a, const struct geo_shape *b)
{
	GEOSContextHandle_t h = geo_ctx();

	if (!h || !a || !b)
		return NULL;
	return geo_shape_wrap(h, GEOSIntersection_r(h, a->g, b->g));
}

struct geo_shape *geo_shape_difference(const struct geo_shape *a, const struct geo_shape *b)
{
	GEOSContextHandle_t h = geo_ctx();

	if (!h || !a)
		return NULL;
	return geo_shape_wrap(h, b ? GEOSDifference_r(h, a->g, b->g) : GEOSGeom_clone_r(h, a->g));
}

struct geo_shape *geo_shape_union(struct geo_shape *const *parts, size_t n)
{
	GEOSContextHandle_t h = geo_ctx();
	GEOSGeometry **clones = NULL, *coll = NULL, *u = NULL;
	size_t made = 0;

	if (!h || n == 0 || n > UINT32_MAX || !(clones = calloc(n, sizeof *clones)))
		return NULL;
	for (; made < n; made++)
		if (!parts[made] || !(clones[made] = GEOSGeom_clone_r(h, parts[made]->g)))
			goto out;
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, clones, (unsigned)n);
	if (coll) {
		made = 0; /* the collection owns the clones now */
		u = GEOSUnaryUnion_r(h, coll);
	}
out:
	for (size_t i = 0; i < made; i++)
		GEOSGeom_destroy_r(h, clones[i]);
	free(clones);
	if (coll)
		GEOSGeom_destroy_r(h, coll);
	return geo_shape_wrap(h, u);
}

double geo_shape_difference_m2(const struct geo_shape *a, const struct geo_shape *b)
{
	struct geo_shape *d = geo_shape_difference(a, b);
	double area = d ? geo_shape_area_m2(d) : HUGE_VAL;

	geo_shape_free(d);
	return area;
}

double geo_shape_intersection_m2(const struct geo_shape *a, const struct geo_shape *b)
{
	struct geo_shape *d;
	double area;

	if (a && b && apart(a, b))
		return 0;
	d = geo_shape_intersection(a, b);
	area = d ? geo_shape_area_m2(d) : HUGE_VAL;
	geo_shape_free(d);
	return area;
}

json_t *geo_shape_to_json(const struct geo_shape *s)
{
	return s && !s->empty ? geo_to_json(geo_ctx(), s->g) : NULL;
}
