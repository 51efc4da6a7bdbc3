/*
 * The GEOS side of geo/geom.h, for the files of src/geo/ only: a GEOS context per thread and
 * boundaries as GEOS geometries. Nothing outside src/geo/ includes this header, so GEOS stays an
 * implementation detail of the geometry module (docs/architecture.md).
 */
#ifndef WANGGE_GEO_GEOM_GEOS_H
#define WANGGE_GEO_GEOM_GEOS_H

#include <geos_c.h>
#include <jansson.h>
#include <stddef.h>

#include "geo/geom.h"

/* This thread's GEOS context, created on first use and finished when the thread exits. Never
   NULL unless memory runs out. Borrowed. */
GEOSContextHandle_t geo_ctx(void);

/* geo_boundary_check handing out the geometry (destroy it with GEOSGeom_destroy_r(h, ...)), or
   NULL with a Chinese reason in msg. */
GEOSGeometry *geo_boundary_from_json(GEOSContextHandle_t h, const json_t *in, char **normalized,
                                     char *msg, size_t msglen);
/* The same from GeoJSON text (as stored in the database). */
GEOSGeometry *geo_boundary_from_text(GEOSContextHandle_t h, const char *text, char *msg,
                                     size_t msglen);

/* GeoJSON of a (multi)polygon geometry as a new reference; NULL for other types or empty ones. */
json_t *geo_to_json(GEOSContextHandle_t h, const GEOSGeometry *g);

/* Area in square metres of a lng/lat geometry (see geo/geom.h). 0 for empty or on error. */
double geo_area_m2(GEOSContextHandle_t h, const GEOSGeometry *g);

/* What a struct geo_shape is (geo/geom.h), for the files of src/geo/. */
struct geo_shape {
	GEOSGeometry *g;
	double xmin, ymin, xmax, ymax; /* extent, for a cheap "apart" test */
	int empty;
};

/* Wraps g (taken) as a shape; NULL (g destroyed) when g is NULL or memory runs out. */
struct geo_shape *geo_shape_wrap(GEOSContextHandle_t h, GEOSGeometry *g);

#include "base/banned.h"
#endif
