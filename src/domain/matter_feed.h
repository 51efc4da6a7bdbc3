/*
 * The change feed of matters (issue 11, live updates): an in-memory ring of the last changes to
 * matters, each with a monotonic sequence number (the id of the server-sent event that carries
 * it) and the scope keys that decide who may see it. The matter write path notes a change after
 * its transaction committed (matter_report, matter_act, matter_alerts_tick); the live streams
 * (api/stream.c) read the ring from their cursor, each keeping only what its caller's scope lets
 * through (matter_feed_visible: the rule of matter_scope_sql, in C).
 *
 * A change carries no personal data: the matter's id, its state, colour, version and the time.
 * Clients refetch what they show. The ring forgets the oldest changes; a reader whose cursor fell
 * off it is told so (the stream then sends "reset" and the client reloads its list).
 *
 * Sequence numbers start above a base given at open (the server uses the start time in
 * microseconds), so an event id of an earlier run is never taken for one of this run.
 *
 * Process-wide, like the caller cache: it works between matter_feed_open and matter_feed_close
 * (`wangge serve`, and the unit tests); elsewhere (commands, the demo builder) noting a change
 * does nothing. Thread-safe.
 */
#ifndef WANGGE_DOMAIN_MATTER_FEED_H
#define WANGGE_DOMAIN_MATTER_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"
#include "domain/dom.h"
#include "domain/matter.h"

#define MATTER_FEED_DEFAULT_CAPACITY 4096

enum matter_feed_kind {
	MATTER_FEED_NEW = 0, /* reported */
	MATTER_FEED_STATE,   /* an action moved it to another state */
	MATTER_FEED_UPDATE,  /* an action that kept the state (sign, progress, extension ...) */
	MATTER_FEED_ALERT,   /* the scheduler turned it yellow or red */
};

/* What decides who sees a matter (the columns matter_scope_sql reads). "" for a missing code. */
struct matter_feed_keys {
	char city[13], county[13], township[13], community[13];
	char path[ACCESS_PATH_MAX]; /* the region path of the matter's place */
	int64_t grid_id;            /* 0: none */
	int64_t owner_org_id;       /* the center holding it */
	int64_t reporter_org_id;    /* 0: none */
	int nassignees;
	int64_t assignee_org_ids[MATTER_ASSIGN_MAX]; /* every organisation it was handed to */
};

/* One change. */
struct matter_change {
	uint64_t seq;
	int64_t matter_id;
	enum matter_feed_kind kind;
	char state[16]; /* flow state name */
	int alert;      /* 0 none, 1 yellow, 2 red */
	int version;
	int64_t at; /* UTC seconds */
	struct matter_feed_keys keys;
};

/* Starts the feed with room for capacity changes (>= 2); the first change gets seq base + 1.
   0, or -1 when out of memory. A second open replaces the first. */
int matter_feed_open(size_t capacity, uint64_t base);
/* Forgets every change and stops noting them. */
void matter_feed_close(void);

/* Called after every change appended (outside the feed's lock, on the thread that noted it):
   the streams wake the readers the change concerns. One listener; NULL removes it. */
typedef void (*matter_feed_listener)(const struct matter_change *ch, void *arg);
void matter_feed_listen(matter_feed_listener fn, void *arg);

/* Notes a change of matter id after the write that made it committed: reads the matter's state
   and scope keys on this thread's reader and appends them at x->now. Failures are logged, never
   returned: the change is committed whether or not a stream hears of it (clients that miss one
   get "reset" or refetch on reconnect). Does nothing while the feed is closed. */
void matter_feed_note(const struct dom_ctx *x, int64_t matter_id, enum matter_feed_kind kind);
/* The same for n matters (the scheduler's colour changes). */
void matter_feed_note_many(const struct dom_ctx *x, const int64_t *ids, size_t n,
                           enum matter_feed_kind kind);

/* Appends a change as given (ch->seq is assigned and returned). 0 when the feed is closed. */
uint64_t matter_feed_append(const struct matter_change *ch);

/* The seq the next change will get (so "everything before it has been seen"). */
uint64_t matter_feed_next_seq(void);

/* Reads the first change at or after *cursor that p may see into out and moves *cursor past it
   (past every change it skipped too). Returns 1 with a change, 0 when there is none yet (the
   cursor is then the next seq), -1 when *cursor is no longer in the ring (fell off it, or is
   not a seq of this run): the reader must start again from matter_feed_next_seq(). */
int matter_feed_read(uint64_t *cursor, const struct principal *p, struct matter_change *out);

/* 1 when p may see a matter with these keys: the rule of matter_scope_sql (domain/matter_read.c)
   over the same columns. The system sees all; a department what was handed to it or reported by
   its people; a grid worker the matters of their grids inside their region; a center, committee
   or other region-bound caller the matters whose code at its region's level is its region's
   code (else its region path's subtree); nobody else anything. */
int matter_feed_visible(const struct principal *p, const struct matter_feed_keys *k);

/* The change as the data of an event: {"seq","matter","kind","state","alert","version","at"}
   (kind new|state|update|alert, alert none|yellow|red, at RFC 3339 +08:00). Writes at most n
   bytes with the NUL; returns the length, or -1 when it does not fit. */
int matter_change_json(const struct matter_change *ch, char *out, size_t n);

#include "base/banned.h"
#endif
