/*
 * The point -> grid index: STRtree over prepared geometries, built once, read by many threads,
 * replaced by publishing a new one. See gridindex.h for the threading contract.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "geo/geom_geos.h"
#include "geo/gridindex.h"
#include "store/store.h"

struct entry {
	int64_t id;
	char *code, *name, *community_code, *community_name, *path;
	int kind;
	GEOSGeometry *g;
	const GEOSPreparedGeometry *pg;
};

struct gridindex {
	atomic_long refs;
	struct entry *entries;
	size_t n;
	GEOSSTRtree *tree;
};

static void entry_release(GEOSContextHandle_t h, struct entry *e)
{
	if (e->pg)
		GEOSPreparedGeom_destroy_r(h, e->pg);
	if (e->g)
		GEOSGeom_destroy_r(h, e->g);
	free(e->code);
	free(e->name);
	free(e->community_code);
	free(e->community_name);
	free(e->path);
}

static void index_free(struct gridindex *ix)
{
	GEOSContextHandle_t h = geo_ctx();

	if (!ix)
		return;
	if (ix->tree)
		GEOSSTRtree_destroy_r(h, ix->tree);
	for (size_t i = 0; i < ix->n; i++)
		entry_release(h, &ix->entries[i]);
	free(ix->entries);
	free(ix);
}

static char *dup(const char *s)
{
	return strdup(s ? s : "");
}

static void ignore_cb(void *item, void *userdata)
{
	(void)item;
	(void)userdata;
}

struct gridindex *gridindex_build(const struct gridindex_item *items, size_t n, size_t *skipped)
{
	GEOSContextHandle_t h = geo_ctx();
	struct gridindex *ix = calloc(1, sizeof *ix);
	GEOSGeometry *probe = NULL;
	size_t bad = 0;

	if (!ix || !h)
		goto fail;
	atomic_init(&ix->refs, 1);
	ix->entries = calloc(n ? n : 1, sizeof *ix->entries);
	ix->tree = GEOSSTRtree_create_r(h, 10);
	if (!ix->entries || !ix->tree)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &ix->entries[ix->n];
		char msg[GEO_MSG_MAX];
		double x, y;

		e->g = geo_boundary_from_text(h, items[i].boundary, msg, sizeof msg);
		if (!e->g) {
			bad++;
			continue;
		}
		e->pg = GEOSPrepare_r(h, e->g);
		e->id = items[i].id;
		e->kind = items[i].kind;
		e->code = dup(items[i].code);
		e->name = dup(items[i].name);
		e->community_code = dup(items[i].community_code);
		e->community_name = dup(items[i].community_name);
		e->path = dup(items[i].path);
		ix->n++;
		if (!e->pg || !e->code || !e->name || !e->community_code || !e->community_name ||
		    !e->path)
			goto fail;
		/* Touch the prepared geometry once so its lazily built point locator exists before
		   other threads read it. Any point will do. */
		if (GEOSGeom_getXMin_r(h, e->g, &x) == 1 && GEOSGeom_getYMin_r(h, e->g, &y) == 1) {
			GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);

			if (pt) {
				(void)GEOSPreparedCovers_r(h, e->pg, pt);
				(void)GEOSPreparedContains_r(h, e->pg, pt);
				GEOSGeom_destroy_r(h, pt);
			}
		}
	}
	/* The tree's items point into entries, which was allocated once and never moves. */
	for (size_t i = 0; i < ix->n; i++)
		GEOSSTRtree_insert_r(h, ix->tree, ix->entries[i].g, &ix->entries[i]);
	/* GEOS 3.11 builds the tree on its first query, without a lock: do that here. */
	probe = GEOSGeom_createPointFromXY_r(h, 0, 0);
	if (!probe)
		goto fail;
	GEOSSTRtree_query_r(h, ix->tree, probe, ignore_cb, NULL);
	GEOSGeom_destroy_r(h, probe);
	if (skipped)
		*skipped = bad;
	return ix;
fail:
	index_free(ix);
	return NULL;
}

size_t gridindex_size(const struct gridindex *ix)
{
	return ix ? ix->n : 0;
}

struct query {
	GEOSContextHandle_t h;
	const GEOSGeometry *pt;
	const struct entry *best;
	int err;
};

static void query_cb(void *item, void *userdata)
{
	const struct entry *e = item;
	struct query *q = userdata;
	char r;

	if (q->best && strcmp(e->code, q->best->code) >= 0)
		return; /* cannot win the tie-break */
	r = GEOSPreparedCovers_r(q->h, e->pg, q->pt);
	if (r == 1)
		q->best = e;
	else if (r != 0)
		q->err = 1;
}

int gridindex_locate(const struct gridindex *ix, double lng, double lat, struct gridindex_hit *hit)
{
	GEOSContextHandle_t h = geo_ctx();
	struct query q = { .h = h };
	GEOSGeometry *pt;

	if (!ix || !h)
		return -1;
	pt = GEOSGeom_createPointFromXY_r(h, lng, lat);
	if (!pt)
		return -1;
	q.pt = pt;
	GEOSSTRtree_query_r(h, ix->tree, pt, query_cb, &q);
	GEOSGeom_destroy_r(h, pt);
	if (q.err && !q.best)
		return -1;
	if (!q.best)
		return 0;
	hit->id = q.best->id;
	hit->code = q.best->code;
	hit->name = q.best->name;
	hit->kind = q.best->kind;
	hit->community_code = q.best->community_code;
	hit->community_name = q.best->community_name;
	hit->path = q.best->path;
	return 1;
}

void gridindex_ref(struct gridindex *ix)
{
	if (ix)
		atomic_fetch_add(&ix->refs, 1);
}

void gridindex_unref(struct gridindex *ix)
{
	if (ix && atomic_fetch_sub(&ix->refs, 1) == 1)
		index_free(ix);
}

struct gridindex *gridindex_build_from_store(struct store *s)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	struct gridindex_item *items = NULL;
	size_t n = 0, cap = 0, skipped = 0;
	struct gridindex *ix = NULL;
	int64_t t0 = clock_mono_us();
	int rc;

	if (!c ||
	    !(st = store_prepare(c, "SELECT g.id, g.code, g.name, g.kind, g.community_code, "
	                            "r.name, g.boundary, g.path FROM grids g JOIN regions r ON "
	                            "r.code = g.community_code WHERE g.status = 'active'")))
		return NULL;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct gridindex_item *it;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct gridindex_item *ni = realloc(items, ncap * sizeof *ni);

			if (!ni)
				goto out;
			items = ni;
			cap = ncap;
		}
		it = &items[n++];
		it->id = store_col_int64(st, 0);
		it->code = dup(store_col_text(st, 1));
		it->name = dup(store_col_text(st, 2));
		it->kind = (int)store_col_int64(st, 3);
		it->community_code = dup(store_col_text(st, 4));
		it->community_name = dup(store_col_text(st, 5));
		it->boundary = dup(store_col_text(st, 6));
		it->path = dup(store_col_text(st, 7));
	}
	if (rc == STORE_DONE)
		ix = gridindex_build(items, n, &skipped);
	if (ix)
		log_info("gridindex.built", "grids=%zu skipped=%zu us=%lld", ix->n, skipped,
		         (long long)(clock_mono_us() - t0));
out:
	store_reset(st);
	for (size_t i = 0; i < n; i++) {
		free((char *)items[i].code);
		free((char *)items[i].name);
		free((char *)items[i].community_code);
		free((char *)items[i].community_name);
		free((char *)items[i].boundary);
		free((char *)items[i].path);
	}
	free(items);
	return ix;
}

struct gridindex_holder {
	pthread_mutex_t mu;         /* guards cur */
	pthread_mutex_t rebuild_mu; /* one rebuild at a time */
	struct gridindex *cur;
	uint64_t requested; /* rebuild requests so far (under mu) */
	uint64_t covered;   /* requests the published index already reflects (under rebuild_mu) */
};

struct gridindex_holder *gridindex_holder_new(void)
{
	struct gridindex_holder *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->rebuild_mu, NULL);
	return h;
}

void gridindex_holder_free(struct gridindex_holder *h)
{
	if (!h)
		return;
	gridindex_unref(h->cur);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->rebuild_mu);
	free(h);
}

struct gridindex *gridindex_acquire(struct gridindex_holder *h)
{
	struct gridindex *ix;

	if (!h)
		return NULL;
	pthread_mutex_lock(&h->mu);
	ix = h->cur;
	gridindex_ref(ix);
	pthread_mutex_unlock(&h->mu);
	return ix;
}

void gridindex_publish(struct gridindex_holder *h, struct gridindex *ix)
{
	struct gridindex *old;

	pthread_mutex_lock(&h->mu);
	old = h->cur;
	h->cur = ix;
	pthread_mutex_unlock(&h->mu);
	gridindex_unref(old);
}

int gridindex_rebuild(struct gridindex_holder *h, struct store *s)
{
	struct gridindex *ix = NULL;
	uint64_t mine, start;
	int rc = 0;

	if (!h)
		return -1;
	/* Requests are registered after their write committed. A rebuild that starts reading after
	   a request was registered sees that write, so concurrent writers share one rebuild. */
	pthread_mutex_lock(&h->mu);
	mine = ++h->requested;
	pthread_mutex_unlock(&h->mu);
	pthread_mutex_lock(&h->rebuild_mu);
	if (h->covered < mine) {
		pthread_mutex_lock(&h->mu);
		start = h->requested;
		pthread_mutex_unlock(&h->mu);
		ix = gridindex_build_from_store(s);
		if (ix) {
			gridindex_publish(h, ix);
			h->covered = start;
		} else {
			rc = -1;
		}
	}
	pthread_mutex_unlock(&h->rebuild_mu);
	if (rc < 0)
		log_error("gridindex.rebuild_failed", "kept=%s", "previous");
	return rc;
}
