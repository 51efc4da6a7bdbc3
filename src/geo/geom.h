/*
 * Geometry helpers over the GEOS reentrant C API: a GEOS context per thread, boundary parsing and
 * validation from GeoJSON (with Chinese reasons), GeoJSON output, and areas in square metres
 * through a local equirectangular projection. Boundaries are WGS84 lng/lat Polygons or
 * MultiPolygons; anything else is refused here, at the edge of the system.
 */
#ifndef WANGGE_GEO_GEOM_H
#define WANGGE_GEO_GEOM_H

#include <geos_c.h>
#include <jansson.h>
#include <stddef.h>

/* Plausible extent of coordinates in China (WGS84). Boundaries outside are refused. */
#define GEO_LNG_MIN 73.0
#define GEO_LNG_MAX 136.0
#define GEO_LAT_MIN 3.0
#define GEO_LAT_MAX 54.0
#define GEO_MAX_VERTICES 200000 /* per boundary */
#define GEO_MSG_MAX 256

/* This thread's GEOS context, created on first use and finished when the thread exits. Never
   NULL unless memory runs out. Borrowed. */
GEOSContextHandle_t geo_ctx(void);

/*
 * Validates a boundary given as a GeoJSON geometry object (Polygon or MultiPolygon) or a Feature
 * holding one. Checks the structure, that every coordinate is a finite number inside the China
 * extent, that rings are closed with at least 4 positions, and that GEOS finds the geometry valid
 * and non-empty. On success returns the geometry (caller destroys it with GEOSGeom_destroy_r(h,..))
 * and, if normalized is non-NULL, a compact GeoJSON text of just {type, coordinates} (caller
 * free()s it). On failure returns NULL and writes a Chinese reason into msg.
 */
GEOSGeometry *geo_boundary_from_json(GEOSContextHandle_t h, const json_t *in, char **normalized,
                                     char *msg, size_t msglen);
/* geo_boundary_from_json without handing out a geometry: 0 and the normalized text (caller
   free()s it; may be NULL when not wanted), or -1 with a Chinese reason in msg. */
int geo_boundary_check(const json_t *in, char **normalized, char *msg, size_t msglen);
/* The same from GeoJSON text (as stored in the database). */
GEOSGeometry *geo_boundary_from_text(GEOSContextHandle_t h, const char *text, char *msg,
                                     size_t msglen);

/* GeoJSON of a (multi)polygon geometry as a new jansson object (coordinates as stored doubles);
   NULL for other types or empty geometries. Caller owns the reference. */
json_t *geo_to_json(GEOSContextHandle_t h, const GEOSGeometry *g);

/* Area in square metres of a lng/lat geometry, through an equirectangular projection centred on
   the geometry's own latitude (good to well under 1% over a county). 0 for empty or on error. */
double geo_area_m2(GEOSContextHandle_t h, const GEOSGeometry *g);

#include "base/banned.h"
#endif
