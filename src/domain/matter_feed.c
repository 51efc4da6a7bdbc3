/*
 * The change feed of matters (domain/matter_feed.h): a fixed ring of changes under one mutex,
 * the note taken after a committed write (the matter's state and scope keys read back on the
 * thread's reader), and the scope rule of matter_scope_sql as a predicate over those keys.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/matter_feed.h"
#include "domain/region.h"
#include "store/store.h"

static pthread_mutex_t feed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct matter_change *ring; /* capacity slots; seq s lives in slot s % capacity */
static size_t capacity;
static uint64_t first_seq; /* the seq of the oldest change still in the ring */
static uint64_t next_seq;  /* the seq the next change gets */
static uint64_t base_seq;  /* next_seq at open - 1: ids at or below it are of another run */
static matter_feed_listener listener;
static void *listener_arg;

int matter_feed_open(size_t cap, uint64_t base)
{
	struct matter_change *r;

	if (cap < 2 || cap > ((size_t)1 << 24))
		return -1;
	r = calloc(cap, sizeof *r);
	if (!r)
		return -1;
	pthread_mutex_lock(&feed_lock);
	free(ring);
	ring = r;
	capacity = cap;
	base_seq = base;
	first_seq = next_seq = base + 1;
	pthread_mutex_unlock(&feed_lock);
	return 0;
}

void matter_feed_close(void)
{
	pthread_mutex_lock(&feed_lock);
	free(ring);
	ring = NULL;
	capacity = 0;
	pthread_mutex_unlock(&feed_lock);
}

void matter_feed_listen(matter_feed_listener fn, void *arg)
{
	pthread_mutex_lock(&feed_lock);
	listener = fn;
	listener_arg = arg;
	pthread_mutex_unlock(&feed_lock);
}

uint64_t matter_feed_append(const struct matter_change *ch)
{
	struct matter_change copy = *ch;
	matter_feed_listener fn;
	void *arg;
	uint64_t seq = 0;

	pthread_mutex_lock(&feed_lock);
	if (ring) {
		seq = next_seq++;
		copy.seq = seq;
		ring[seq % capacity] = copy;
		if (next_seq - first_seq > capacity)
			first_seq = next_seq - capacity;
	}
	fn = listener;
	arg = listener_arg;
	pthread_mutex_unlock(&feed_lock);
	/* Outside the lock: the listener takes the streams' lock, and readers take this one under
	   it. */
	if (seq && fn)
		fn(&copy, arg);
	return seq;
}

uint64_t matter_feed_next_seq(void)
{
	uint64_t s;

	pthread_mutex_lock(&feed_lock);
	s = next_seq;
	pthread_mutex_unlock(&feed_lock);
	return s;
}

int matter_feed_read(uint64_t *cursor, const struct principal *p, struct matter_change *out)
{
	int rc = 0;
	uint64_t c = *cursor;

	pthread_mutex_lock(&feed_lock);
	if (!ring || c <= base_seq || c < first_seq || c > next_seq) {
		rc = -1;
		goto out;
	}
	for (; c < next_seq; c++) {
		const struct matter_change *ch = &ring[c % capacity];

		if (matter_feed_visible(p, &ch->keys)) {
			*out = *ch;
			c++;
			rc = 1;
			break;
		}
	}
	*cursor = c;
out:
	pthread_mutex_unlock(&feed_lock);
	return rc;
}

/* ---- the scope rule ---- */

/* The matter's code at the level of a region code (2 city .. 5 community), as matter_scope_sql
   picks the column; NULL when the code has no such level. */
static const char *code_at_level(const struct matter_feed_keys *k, int level)
{
	switch (level) {
	case 2: return k->city;
	case 3: return k->county;
	case 4: return k->township;
	case 5: return k->community;
	default: return NULL;
	}
}

/* The region path range of p, compared as SQLite compares text (bytes). */
static int in_range(const struct principal *p, const char *path)
{
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];

	access_scope_range(p, lo, hi);
	return strcmp(path, lo) >= 0 && strcmp(path, hi) < 0;
}

int matter_feed_visible(const struct principal *p, const struct matter_feed_keys *k)
{
	struct code_error ce = { 0 };
	char norm[13];
	const char *code;

	if (p->is_system)
		return 1;
	if (!access_authenticated(p))
		return 0;
	if (p->org_kind == ORG_DEPARTMENT) {
		if (k->reporter_org_id && k->reporter_org_id == p->org_id)
			return 1;
		for (int i = 0; i < k->nassignees && i < MATTER_ASSIGN_MAX; i++)
			if (k->assignee_org_ids[i] == p->org_id)
				return 1;
		return 0;
	}
	if (p->grid_bound) {
		if (!in_range(p, k->path))
			return 0;
		for (size_t i = 0; i < p->ngrids; i++)
			if (k->grid_id && p->grid_ids[i] == k->grid_id)
				return 1;
		return 0;
	}
	code = code_at_level(k, region_code_normalize(p->region_code, norm, &ce));
	if (code)
		return *code && strcmp(code, norm) == 0;
	return in_range(p, k->path);
}

/* ---- noting a committed change ---- */

/* Reads matter id's state and keys into ch on c. 1, 0 when missing, -1 on error. */
static int change_load(struct store_conn *c, int64_t id, struct matter_change *ch)
{
	struct store_stmt *st;
	int rc;

	st = store_prepare(c, "SELECT state, alert, version, city_code, coalesce(county_code, ''), "
	                      "coalesce(township_code, ''), coalesce(community_code, ''), path, "
	                      "coalesce(grid_id, 0), owner_org_id, coalesce(reporter_org_id, 0) "
	                      "FROM matters WHERE id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		struct matter_feed_keys *k = &ch->keys;

		ch->matter_id = id;
		dom_copy(ch->state, sizeof ch->state, store_col_text(st, 0));
		ch->alert = (int)store_col_int64(st, 1);
		ch->version = (int)store_col_int64(st, 2);
		dom_copy(k->city, sizeof k->city, store_col_text(st, 3));
		dom_copy(k->county, sizeof k->county, store_col_text(st, 4));
		dom_copy(k->township, sizeof k->township, store_col_text(st, 5));
		dom_copy(k->community, sizeof k->community, store_col_text(st, 6));
		dom_copy(k->path, sizeof k->path, store_col_text(st, 7));
		k->grid_id = store_col_int64(st, 8);
		k->owner_org_id = store_col_int64(st, 9);
		k->reporter_org_id = store_col_int64(st, 10);
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? 0 : -1;
	st = store_prepare(c, "SELECT DISTINCT org_id FROM matter_assignments WHERE matter_id = ? "
	                      "ORDER BY org_id");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	while ((rc = store_step(st)) == STORE_ROW && ch->keys.nassignees < MATTER_ASSIGN_MAX)
		ch->keys.assignee_org_ids[ch->keys.nassignees++] = store_col_int64(st, 0);
	store_reset(st);
	return rc == STORE_DONE || rc == STORE_ROW ? 1 : -1;
}

static int feed_is_open(void)
{
	int open;

	pthread_mutex_lock(&feed_lock);
	open = ring != NULL;
	pthread_mutex_unlock(&feed_lock);
	return open;
}

void matter_feed_note_many(const struct dom_ctx *x, const int64_t *ids, size_t n,
                           enum matter_feed_kind kind)
{
	struct dom_err e = { 0 };
	struct store_conn *c;

	if (!n || !feed_is_open())
		return;
	c = dom_reader(x, &e);
	if (!c) {
		log_warn("matter_feed.note_failed", "reason=\"no reader\"");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct matter_change ch;
		int rc;

		memset(&ch, 0, sizeof ch);
		ch.kind = kind;
		ch.at = x->now;
		rc = change_load(c, ids[i], &ch);
		if (rc == 1)
			(void)matter_feed_append(&ch);
		else
			log_warn("matter_feed.note_failed", "matter=%lld rc=%d", (long long)ids[i],
			         rc);
	}
}

void matter_feed_note(const struct dom_ctx *x, int64_t matter_id, enum matter_feed_kind kind)
{
	matter_feed_note_many(x, &matter_id, 1, kind);
}

/* ---- the event's data ---- */

int matter_change_json(const struct matter_change *ch, char *out, size_t n)
{
	static const char *const kinds[] = { "new", "state", "update", "alert" };
	char at[40];
	int len;

	len = snprintf(out, n,
	               "{\"seq\":%llu,\"matter\":%lld,\"kind\":\"%s\",\"state\":\"%s\","
	               "\"alert\":\"%s\",\"version\":%d,\"at\":\"%s\"}",
	               (unsigned long long)ch->seq, (long long)ch->matter_id,
	               (unsigned)ch->kind < 4 ? kinds[ch->kind] : "update", ch->state,
	               ch->alert == 2   ? "red"
	               : ch->alert == 1 ? "yellow"
	                                : "none",
	               ch->version, clock_format_local(ch->at, at, sizeof at));
	return len < 0 || (size_t)len >= n ? -1 : len;
}
