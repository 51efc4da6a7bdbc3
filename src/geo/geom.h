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

#include "base/banned.h"
#endif
