/*
 * Point -> grid: an immutable index of the active grids (GEOS prepared geometries in an STRtree),
 * and a holder that publishes a new index atomically when grids change.
 *
 * Threading: an index is built on one thread, which also builds the tree and touches every
 * prepared geometry once (GEOS 3.11 builds both lazily and without a lock). After that it is
 * read-only and may be queried from any number of threads, each with its own GEOS context
 * (geo_ctx()). Readers take a reference from the holder (gridindex_acquire) and give it back
 * (gridindex_release); a rebuild publishes the new index and the old one is freed when its last
 * reader lets go.
 *
 * Ties: a point on an edge or vertex shared by several grids is covered by all of them; the
 * answer is the one with the lowest code, so it never depends on the tree's visiting order.
 */
#ifndef WANGGE_GEO_GRIDINDEX_H
#define WANGGE_GEO_GRIDINDEX_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct gridindex;

/* One grid to index (borrowed strings; boundary is GeoJSON text). */
struct gridindex_item {
	int64_t id;
	const char *code, *name;
	int kind;
	const char *community_code, *community_name;
	const char *path; /* the community's region path, for scoping */
	const char *boundary;
};

/* A located grid. Strings point into the index: valid while the caller holds its reference. */
struct gridindex_hit {
	int64_t id;
	const char *code, *name;
	int kind;
	const char *community_code, *community_name;
	const char *path;
};

/* Builds an index from items. Items whose boundary does not parse are skipped and counted in
 *skipped (may be NULL). NULL when memory runs out. The result has one reference. */
struct gridindex *gridindex_build(const struct gridindex_item *items, size_t n, size_t *skipped);
/* Builds an index of every active grid in the store. NULL on a database error. */
struct gridindex *gridindex_build_from_store(struct store *s);
size_t gridindex_size(const struct gridindex *ix);

/* Finds the grid covering (lng, lat): 1 found (hit filled), 0 none, -1 error. Thread-safe. */
int gridindex_locate(const struct gridindex *ix, double lng, double lat, struct gridindex_hit *hit);

/* References. gridindex_unref frees the index when the count drops to zero. */
void gridindex_ref(struct gridindex *ix);
void gridindex_unref(struct gridindex *ix);

/* The published index. */
struct gridindex_holder;
struct gridindex_holder *gridindex_holder_new(void);
/* Frees the holder and drops its reference to the current index. */
void gridindex_holder_free(struct gridindex_holder *h);
/* The current index with a new reference (NULL if none yet): give it back with
   gridindex_unref. */
struct gridindex *gridindex_acquire(struct gridindex_holder *h);
/* Publishes ix (takes the caller's reference) and drops the holder's reference to the old one. */
void gridindex_publish(struct gridindex_holder *h, struct gridindex *ix);
/* Rebuilds from the store and publishes. Rebuilds are serialized. 0, or -1 (old index kept). */
int gridindex_rebuild(struct gridindex_holder *h, struct store *s);

#include "base/banned.h"
#endif
