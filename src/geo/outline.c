/*
 * GeoJSON boundary to SVG path data (geo/outline.h).
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "geo/outline.h"

#define MARGIN 0.04 /* of the side, on every side */

struct box {
	double x0, y0, x1, y1;
	int n;
};

typedef int (*point_fn)(double lng, double lat, int first, void *arg);

/* Calls fn on every position of every ring; ring_end after each ring. 0, or -1 on bad shape. */
static int walk(const json_t *geom, point_fn fn, int (*ring_end)(void *), void *arg)
{
	const char *type = json_string_value(json_object_get(geom, "type"));
	const json_t *coords = json_object_get(geom, "coordinates");
	size_t np, nr, nq;
	int multi;

	if (!type || !json_is_array(coords))
		return -1;
	if (strcmp(type, "Polygon") == 0)
		multi = 0;
	else if (strcmp(type, "MultiPolygon") == 0)
		multi = 1;
	else
		return -1;
	np = multi ? json_array_size(coords) : 1;
	for (size_t p = 0; p < np; p++) {
		const json_t *poly = multi ? json_array_get(coords, p) : coords;

		if (!json_is_array(poly))
			return -1;
		nr = json_array_size(poly);
		for (size_t r = 0; r < nr; r++) {
			const json_t *ring = json_array_get(poly, r);

			if (!json_is_array(ring) || json_array_size(ring) < 4)
				return -1;
			nq = json_array_size(ring);
			for (size_t q = 0; q < nq; q++) {
				const json_t *pt = json_array_get(ring, q);
				double lng = json_number_value(json_array_get(pt, 0));
				double lat = json_number_value(json_array_get(pt, 1));

				if (!json_is_array(pt) || !json_is_number(json_array_get(pt, 0)) ||
				    !json_is_number(json_array_get(pt, 1)) || !isfinite(lng) ||
				    !isfinite(lat))
					return -1;
				if (fn(lng, lat, q == 0, arg) < 0)
					return -1;
			}
			if (ring_end && ring_end(arg) < 0)
				return -1;
		}
	}
	return 0;
}

static int extend(double lng, double lat, int first, void *arg)
{
	struct box *b = arg;

	(void)first;
	if (b->n++ == 0) {
		b->x0 = b->x1 = lng;
		b->y0 = b->y1 = lat;
	} else {
		b->x0 = fmin(b->x0, lng);
		b->x1 = fmax(b->x1, lng);
		b->y0 = fmin(b->y0, lat);
		b->y1 = fmax(b->y1, lat);
	}
	return 0;
}

struct draw {
	struct buf *out;
	double x0, y1, kx, scale, offx, offy;
};

static int draw_point(double lng, double lat, int first, void *arg)
{
	struct draw *d = arg;
	double x = d->offx + (lng - d->x0) * d->kx * d->scale;
	double y = d->offy + (d->y1 - lat) * d->scale;

	return buf_printf(d->out, "%s%.1f %.1f", first ? "M" : "L", x, y);
}

static int close_ring(void *arg)
{
	struct draw *d = arg;

	return buf_puts(d->out, "Z");
}

int geo_outline_path(const char *geojson, double size, struct buf *out)
{
	json_t *g = geojson ? json_loads(geojson, 0, NULL) : NULL;
	struct box b = { 0 };
	struct draw d = { .out = out };
	double w, h, inner = size * (1 - 2 * MARGIN);
	int rc = -1;

	if (!g || walk(g, extend, NULL, &b) < 0 || b.n == 0)
		goto out;
	d.kx = cos((b.y0 + b.y1) / 2 * M_PI / 180.0);
	w = (b.x1 - b.x0) * d.kx;
	h = b.y1 - b.y0;
	if (!(w > 0) || !(h > 0))
		goto out;
	d.scale = inner / fmax(w, h);
	d.x0 = b.x0;
	d.y1 = b.y1;
	d.offx = (size - w * d.scale) / 2;
	d.offy = (size - h * d.scale) / 2;
	rc = walk(g, draw_point, close_ring, &d);
out:
	json_decref(g);
	return rc;
}
