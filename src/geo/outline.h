/*
 * The outline of a boundary as an SVG path, for the public notice board (no map tiles, nothing
 * fetched from elsewhere): the GeoJSON Polygon or MultiPolygon is projected with an
 * equirectangular projection around its middle latitude (east-west distances shrink by the
 * cosine of the latitude, so a grid keeps its shape) and fitted into a square of side size with
 * a margin. Holes are drawn as further rings (fill-rule evenodd shows them).
 */
#ifndef WANGGE_GEO_OUTLINE_H
#define WANGGE_GEO_OUTLINE_H

#include "base/buf.h"

/* Appends the path data ("M x y L ... Z ...") of geojson (text) fitted into [0, size]² to out.
   0, or -1 when the text is not a Polygon or MultiPolygon with finite coordinates, or out is
   full. */
int geo_outline_path(const char *geojson, double size, struct buf *out);

#endif
