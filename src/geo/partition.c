/*
 * Cutting an area into parts without gap or overlap (geo/geom.h): spread-out seed points inside
 * a shape, and the Voronoi cells of seeds clipped to the area. The demo city uses it to make
 * townships inside the real county outlines, villages inside townships and grids inside
 * villages, since townships and villages have no public outlines.
 *
 * Exactness: the parts keep the area's own vertices and segments where they follow its outline,
 * and neighbours share the Voronoi vertices of their common edge; the points where a Voronoi edge
 * crosses the outline are computed once per side, in double precision, and agree to ~1e-15°.
 * Nothing is snapped to a coarser grid: snap rounding would move those crossings off the outline
 * and leave slivers of square metres between a part and its parent. So a part's coordinates
 * need all 17 digits when written out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geom_geos.h"

int geo_shape_extent(const struct geo_shape *s, double *xmin, double *ymin, double *xmax,
                     double *ymax)
{
	if (!s || s->empty)
		return -1;
	*xmin = s->xmin;
	*ymin = s->ymin;
	*xmax = s->xmax;
	*ymax = s->ymax;
	return 0;
}

int geo_shape_inner_point(const struct geo_shape *s, double *x, double *y)
{
	GEOSContextHandle_t h = geo_ctx();
	GEOSGeometry *p;
	int rc = -1;

	if (!h || !s || s->empty || !(p = GEOSPointOnSurface_r(h, s->g)))
		return -1;
	if (!GEOSisEmpty_r(h, p) && GEOSGeomGetX_r(h, p, x) == 1 && GEOSGeomGetY_r(h, p, y) == 1)
		rc = 0;
	GEOSGeom_destroy_r(h, p);
	return rc;
}

/* 1 when (x, y) is inside pg (not on its boundary), 0 when not, -1 on failure. */
static int contains_xy(GEOSContextHandle_t h, const GEOSPreparedGeometry *pg, double x, double y)
{
	GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
	char r = pt ? GEOSPreparedContains_r(h, pg, pt) : 2;

	if (pt)
		GEOSGeom_destroy_r(h, pt);
	return r == 2 ? -1 : r;
}

#define SPREAD_TRIES 400 /* random draws per wanted candidate before giving up */

int geo_shape_spread_points(const struct geo_shape *s, double *xy, size_t from, size_t n,
                            unsigned k, const double window[4], geo_uniform_fn uniform, void *arg)
{
	GEOSContextHandle_t h = geo_ctx();
	const GEOSPreparedGeometry *pg = NULL;
	double kx;
	int rc = -1;

	if (!h || !s || s->empty || k == 0 || !uniform || !(pg = GEOSPrepare_r(h, s->g)))
		goto out;
	kx = cos((s->ymin + s->ymax) / 2 * M_PI / 180.0);
	for (size_t i = from; i < n; i++) {
		double best = -1, bx = 0, by = 0;

		/* First in the window, then (if the window holds nothing of s) in the extent. */
		for (int pass = window ? 0 : 1; pass < 2 && best < 0; pass++) {
			double x0 = s->xmin, y0 = s->ymin, x1 = s->xmax, y1 = s->ymax;
			unsigned found = 0;

			if (pass == 0) {
				x0 = fmax(x0, window[0]);
				y0 = fmax(y0, window[1]);
				x1 = fmin(x1, window[2]);
				y1 = fmin(y1, window[3]);
				if (x0 >= x1 || y0 >= y1)
					continue;
			}
			for (unsigned t = 0; found < k && t < SPREAD_TRIES * k; t++) {
				double x = x0 + (x1 - x0) * uniform(arg);
				double y = y0 + (y1 - y0) * uniform(arg);
				double d = HUGE_VAL;
				int c = contains_xy(h, pg, x, y);

				if (c < 0)
					goto out;
				if (!c)
					continue;
				found++;
				for (size_t j = 0; j < i; j++) {
					double dx = (x - xy[2 * j]) * kx, dy = y - xy[2 * j + 1];

					d = fmin(d, dx * dx + dy * dy);
				}
				if (d > best) {
					best = d;
					bx = x;
					by = y;
				}
			}
		}
		if (best < 0)
			goto out;
		xy[2 * i] = bx;
		xy[2 * i + 1] = by;
	}
	rc = 0;
out:
	if (pg)
		GEOSPreparedGeom_destroy_r(h, pg);
	return rc;
}

/* ---- partition ---- */

/* One polygon of a clipped cell, on its way to the part it ends in. */
struct piece {
	GEOSGeometry *g; /* owned */
	size_t part;     /* the part it joins */
};

struct pieces {
	struct piece *v;
	size_t n, cap;
};

static int pieces_add(struct pieces *p, GEOSGeometry *g, size_t part)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct piece *v =
		        cap <= SIZE_MAX / sizeof *v ? realloc(p->v, cap * sizeof *v) : NULL;

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct piece){ g, part };
	return 0;
}

/* Length of the edge that piece shares with other (0 when they only touch or are apart). */
static double shared_length(GEOSContextHandle_t h, const GEOSGeometry *piece_edge,
                            const GEOSGeometry *other)
{
	GEOSGeometry *common = GEOSIntersection_r(h, piece_edge, other);
	double len = 0;

	if (common) {
		if (GEOSLength_r(h, common, &len) != 1)
			len = 0;
		GEOSGeom_destroy_r(h, common);
	}
	return len;
}

/* The seed of cell: the i with (xy[2i], xy[2i+1]) inside it, or n. */
static size_t seed_of(GEOSContextHandle_t h, const GEOSGeometry *cell, const double *xy, size_t n)
{
	const GEOSPreparedGeometry *pg = GEOSPrepare_r(h, cell);
	size_t found = n;

	if (!pg)
		return n;
	for (size_t i = 0; i < n && found == n; i++)
		if (contains_xy(h, pg, xy[2 * i], xy[2 * i + 1]) == 1)
			found = i;
	GEOSPreparedGeom_destroy_r(h, pg);
	return found;
}

/* Splits the clipped cell of part i into its polygons: the one holding the seed stays with i
   (main[i]); the others go to loose for reassignment. -1 when memory runs out. */
static int split_cell(GEOSContextHandle_t h, GEOSGeometry *clipped, size_t i, const double *xy,
                      GEOSGeometry **main_i, struct pieces *loose)
{
	int np = GEOSGetNumGeometries_r(h, clipped), keep = -1;
	double best = -1;

	if (GEOSGeomTypeId_r(h, clipped) == GEOS_POLYGON || np <= 1) {
		*main_i = clipped;
		return 0;
	}
	/* The seed's polygon, else the largest. */
	for (int q = 0; q < np && keep < 0; q++) {
		const GEOSPreparedGeometry *pg =
		        GEOSPrepare_r(h, GEOSGetGeometryN_r(h, clipped, q));

		if (pg && contains_xy(h, pg, xy[2 * i], xy[2 * i + 1]) == 1)
			keep = q;
		if (pg)
			GEOSPreparedGeom_destroy_r(h, pg);
	}
	for (int q = 0; q < np && keep < 0; q++) {
		double a = 0;

		if (GEOSArea_r(h, GEOSGetGeometryN_r(h, clipped, q), &a) == 1 && a > best) {
			best = a;
			keep = q;
		}
	}
	for (int q = 0; q < np; q++) {
		const GEOSGeometry *member = GEOSGetGeometryN_r(h, clipped, q);
		GEOSGeometry *g;

		if (GEOSGeomTypeId_r(h, member) != GEOS_POLYGON) /* where cells only touch */
			continue;
		if (!(g = GEOSGeom_clone_r(h, member)))
			goto fail;
		if (q == keep) {
			*main_i = g;
		} else if (pieces_add(loose, g, i) < 0) {
			GEOSGeom_destroy_r(h, g);
			goto fail;
		}
	}
	GEOSGeom_destroy_r(h, clipped);
	return *main_i ? 0 : -1;
fail:
	GEOSGeom_destroy_r(h, clipped);
	return -1;
}

/* Gives every loose piece to the part whose main polygon shares the longest edge with it (its
   own part when none does: an exclave of the area). */
static int assign_loose(GEOSContextHandle_t h, struct pieces *loose, GEOSGeometry *const *mains,
                        size_t n)
{
	for (size_t p = 0; p < loose->n; p++) {
		struct piece *pc = &loose->v[p];
		GEOSGeometry *edge = GEOSBoundary_r(h, pc->g);
		double best = 0;
		size_t to = pc->part;

		if (!edge)
			return -1;
		for (size_t j = 0; j < n; j++) {
			double len;

			if (j == pc->part || !mains[j] || GEOSIntersects_r(h, edge, mains[j]) != 1)
				continue;
			len = shared_length(h, edge, mains[j]);
			if (len > best) {
				best = len;
				to = j;
			}
		}
		GEOSGeom_destroy_r(h, edge);
		pc->part = to;
	}
	return 0;
}

/* Part i: main[i] with the loose pieces given to it. Takes main_i. */
static GEOSGeometry *join_part(GEOSContextHandle_t h, GEOSGeometry *main_i, size_t i,
                               struct pieces *loose)
{
	GEOSGeometry **members, *coll, *u;
	size_t m = 1;

	for (size_t p = 0; p < loose->n; p++)
		m += loose->v[p].part == i && loose->v[p].g;
	if (m == 1)
		return main_i;
	if (m > UINT32_MAX || !(members = calloc(m, sizeof *members))) {
		GEOSGeom_destroy_r(h, main_i);
		return NULL;
	}
	members[0] = main_i;
	m = 1;
	for (size_t p = 0; p < loose->n; p++)
		if (loose->v[p].part == i && loose->v[p].g) {
			members[m++] = loose->v[p].g;
			loose->v[p].g = NULL; /* the collection takes it */
		}
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, members, (unsigned)m);
	if (!coll) {
		for (size_t q = 0; q < m; q++)
			GEOSGeom_destroy_r(h, members[q]);
		free(members);
		return NULL;
	}
	free(members);
	u = GEOSUnaryUnion_r(h, coll);
	GEOSGeom_destroy_r(h, coll);
	return u;
}

int geo_shape_partition(const struct geo_shape *area, const double *xy, size_t n,
                        struct geo_shape **parts)
{
	GEOSContextHandle_t h = geo_ctx();
	GEOSGeometry *a = NULL, *seeds = NULL, *cells = NULL, **mains = NULL, **pts = NULL;
	struct pieces loose = { 0 };
	size_t made = 0;
	int rc = -1, ncells;

	for (size_t i = 0; i < n; i++)
		parts[i] = NULL;
	if (!h || !area || area->empty || n == 0 || n > INT32_MAX)
		return -1;
	if (!(a = GEOSGeom_clone_r(h, area->g)))
		goto out;
	if (n == 1) {
		parts[0] = geo_shape_wrap(h, a);
		a = NULL;
		rc = parts[0] ? 0 : -1;
		goto out;
	}
	if (!(pts = calloc(n, sizeof *pts)) || !(mains = calloc(n, sizeof *mains)))
		goto out;
	for (made = 0; made < n; made++)
		if (!(pts[made] = GEOSGeom_createPointFromXY_r(h, xy[2 * made], xy[2 * made + 1])))
			goto out;
	if (!(seeds = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, (unsigned)n)))
		goto out;
	made = 0; /* the multipoint owns the points now */
	/* The diagram's frame is the area's extent (GEOS grows it a little), so the cells cover
	   the whole area. */
	if (!(cells = GEOSVoronoiDiagram_r(h, seeds, a, 0.0, 0)))
		goto out;
	ncells = GEOSGetNumGeometries_r(h, cells);
	if (ncells < 0 || (size_t)ncells != n) /* seeds that coincide */
		goto out;
	for (int c = 0; c < ncells; c++) {
		const GEOSGeometry *cell = GEOSGetGeometryN_r(h, cells, c);
		size_t i = seed_of(h, cell, xy, n);
		GEOSGeometry *clipped;

		if (i == n || mains[i])
			goto out;
		if (!(clipped = GEOSIntersection_r(h, cell, a)))
			goto out;
		if (split_cell(h, clipped, i, xy, &mains[i], &loose) < 0)
			goto out;
	}
	if (assign_loose(h, &loose, mains, n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		GEOSGeometry *g = join_part(h, mains[i], i, &loose);

		mains[i] = NULL;
		if (!g || !(parts[i] = geo_shape_wrap(h, g)))
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < made; i++)
		GEOSGeom_destroy_r(h, pts[i]);
	free(pts);
	if (mains)
		for (size_t i = 0; i < n; i++)
			if (mains[i])
				GEOSGeom_destroy_r(h, mains[i]);
	free(mains);
	for (size_t p = 0; p < loose.n; p++)
		if (loose.v[p].g)
			GEOSGeom_destroy_r(h, loose.v[p].g);
	free(loose.v);
	if (cells)
		GEOSGeom_destroy_r(h, cells);
	if (seeds)
		GEOSGeom_destroy_r(h, seeds);
	if (a)
		GEOSGeom_destroy_r(h, a);
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			geo_shape_free(parts[i]);
			parts[i] = NULL;
		}
	return rc;
}
