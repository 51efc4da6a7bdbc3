/*
 * Boundaries for the rest of the system, with GEOS hidden behind them: validation of a GeoJSON
 * boundary (with Chinese reasons), and struct geo_shape, an opaque parsed boundary with the few
 * operations the grid rules need (areas in square metres, union, intersection, difference, output
 * as GeoJSON). Boundaries are WGS84 lng/lat Polygons or MultiPolygons; anything else is refused
 * here, at the edge of the system. Only src/geo/ includes GEOS (geo/geom_geos.h).
 *
 * Areas are square metres through a local equirectangular projection centred on the shape's own
 * latitude (good to well under 1% over a county).
 *
 * Shapes are owned by whoever made them (geo_shape_free). A shape may be made on one thread and
 * used on another, but not by two threads at once.
 */
#ifndef WANGGE_GEO_GEOM_H
#define WANGGE_GEO_GEOM_H

#include <jansson.h>
#include <stddef.h>

/* Plausible extent of coordinates in China (WGS84). Boundaries outside are refused. */
#define GEO_LNG_MIN 73.0
#define GEO_LNG_MAX 136.0
#define GEO_LAT_MIN 3.0
#define GEO_LAT_MAX 54.0
#define GEO_MAX_VERTICES 200000 /* per boundary */
#define GEO_MSG_MAX 256

/*
 * Validates a boundary given as a GeoJSON geometry object (Polygon or MultiPolygon) or a Feature
 * holding one: the structure, every coordinate a finite number inside the China extent, rings
 * closed with at least 4 positions, and the geometry valid and non-empty for GEOS. 0 and, if
 * normalized is non-NULL, a compact GeoJSON text of just {type, coordinates} (caller free()s it);
 * or -1 with a Chinese reason in msg.
 */
int geo_boundary_check(const json_t *in, char **normalized, char *msg, size_t msglen);

struct geo_shape;

/* geo_boundary_check that keeps the parsed shape: the shape (free it), or NULL with msg. */
struct geo_shape *geo_shape_from_json(const json_t *in, char **normalized, char *msg,
                                      size_t msglen);
/* The same from GeoJSON text (as stored in the database). */
struct geo_shape *geo_shape_from_text(const char *text, char *msg, size_t msglen);
void geo_shape_free(struct geo_shape *s);

/* Area in square metres; 0 for an empty shape. */
double geo_shape_area_m2(const struct geo_shape *s);
/* 1 when s is one connected polygon (not several parts), 0 otherwise. */
int geo_shape_is_polygon(const struct geo_shape *s);
/* 1 when a and b share a point, 0 when not, -1 on failure. Cheap when their extents are apart. */
int geo_shape_intersects(const struct geo_shape *a, const struct geo_shape *b);

/* New shapes from old ones (free them); NULL when GEOS fails or memory runs out. Results may be
   empty (area 0). geo_shape_difference(a, NULL) is a copy of a. */
struct geo_shape *geo_shape_intersection(const struct geo_shape *a, const struct geo_shape *b);
struct geo_shape *geo_shape_difference(const struct geo_shape *a, const struct geo_shape *b);
/* The union of n shapes (n >= 1). */
struct geo_shape *geo_shape_union(struct geo_shape *const *parts, size_t n);

/* Square metres of a ∖ b; a large number (HUGE_VAL) when it cannot be computed, so that a check
   "at most so much is left over" fails safe. */
double geo_shape_difference_m2(const struct geo_shape *a, const struct geo_shape *b);
/* Square metres of a ∩ b; HUGE_VAL when it cannot be computed. */
double geo_shape_intersection_m2(const struct geo_shape *a, const struct geo_shape *b);

/* GeoJSON of the polygons in s (Polygon or MultiPolygon, coordinates as stored doubles) as a new
   reference; NULL for an empty shape. */
json_t *geo_shape_to_json(const struct geo_shape *s);

/* ---- cutting an area into parts (the demo city: townships, villages and grids) ---- */

/* The extent of s: 0, or -1 for an empty shape. */
int geo_shape_extent(const struct geo_shape *s, double *xmin, double *ymin, double *xmax,
                     double *ymax);
/* A point inside s (GEOS's point on surface): 0, or -1 for an empty shape or on failure. */
int geo_shape_inner_point(const struct geo_shape *s, double *x, double *y);

/* Where geo_shape_spread_points draws its random numbers: uniform in [0, 1). */
typedef double (*geo_uniform_fn)(void *arg);

/*
 * Places points xy[2*from .. 2*n) inside s, spread out: each is the best of k random candidates,
 * the one farthest from every point already placed (xy[0 .. 2*i), including those before from,
 * which stay). Candidates are drawn in the window (xmin, ymin, xmax, ymax) if window is non-NULL
 * (cut to the extent of s), else in the extent of s; distances are measured with longitude
 * shrunk by the cosine of the latitude. Deterministic for the stream of uniform(). 0, or -1
 * when no candidate inside s is found after many tries (a shape far too small) or GEOS fails.
 */
int geo_shape_spread_points(const struct geo_shape *s, double *xy, size_t from, size_t n,
                            unsigned k, const double window[4], geo_uniform_fn uniform, void *arg);

/*
 * Cuts area into n parts, one around each seed (xy[2*i], xy[2*i+1], which should lie inside
 * area and be distinct): the Voronoi cells of the seeds clipped to area. A piece of a cell that the
 * area's outline cuts off from its seed goes to the neighbouring part it shares the longest edge
 * with, so parts are connected wherever area is. The parts cover area without gap or overlap (up to
 * double rounding: write their coordinates with 17 significant digits to keep it so). parts[0 .. n)
 * receive new shapes (free them). 0, or -1 (nothing left allocated) when GEOS fails or memory runs
 * out.
 */
int geo_shape_partition(const struct geo_shape *area, const double *xy, size_t n,
                        struct geo_shape **parts);

#include "base/banned.h"
#endif
