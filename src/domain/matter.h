/*
 * Matters (事项) and their flow (R7-R9, Art. 17-19), on the domain kernel.
 *
 * The truth is the append-only event log (matter_events): every action appends one event whose
 * fields hold everything the projection needs, including what was computed when it was taken
 * (the new holder after an escalation, each assignment's deadline on the working-day calendar).
 * The matter row and its assignments are the projection, rebuilt by folding the events with
 * matter_fold; the live path folds the new event into the stored projection and writes it back
 * in the same transaction, with the dashboard counters (matter_counters). A rebuild from the
 * events gives the same projection (matter_check_projection, run by `wangge check`).
 *
 * Concurrency: every action names the version it was taken on; the writer serializes writes,
 * so of two actions on the same version one succeeds and the other gets 409 version_conflict.
 *
 * Scope (who sees a matter): the system sees all; a center, committee or other region-bound
 * user the matters whose place is in its region (an equality on the matter's code at the
 * caller's level: one index walk); a grid worker the matters of their grids; a department what
 * was dispatched to it and what its own people reported.
 */
#ifndef WANGGE_DOMAIN_MATTER_H
#define WANGGE_DOMAIN_MATTER_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "domain/flow.h"
#include "domain/upload.h"

struct json_t;
struct buf;

#define MATTER_ASSIGN_MAX 8
#define MATTER_TITLE_CHARS 60
#define MATTER_TEXT_CHARS 2000
#define MATTER_TRACKING_CHARS 16 /* a resident's tracking code: 80 random bits */
#define MATTER_TRACKING_HASH_BYTES 32
/* Photos: at most UPLOAD_MAX_PER_RECORD with one event (the report, a self-handling, a progress
   note, a submitted result), and at most MATTER_PHOTOS_MAX on one matter over all its events. */
#define MATTER_PHOTOS_MAX 60

/* One piece of work handed to an organisation (分流 to a department or 交办 to a lower center). */
struct matter_assignment {
	int n; /* 1.. within the matter */
	int64_t org_id;
	char kind[12];   /* dispatch | assign */
	char role[8];    /* lead | co */
	char status[12]; /* pending | signed | returned | submitted */
	int64_t due_at, warn_at, return_by, extension_due_at;
	int explained;
	int alert;
	int64_t created_at, updated_at;
};

/* The projection of a matter: what folding its events gives. */
struct matter_view {
	int64_t id;
	enum flow_state state;
	int64_t owner_org_id;
	char handler[12]; /* "", center, worker, assignees */
	int64_t due_at, warn_at;
	int version;
	int64_t updated_at, closed_at;
	int nassign;
	struct matter_assignment a[MATTER_ASSIGN_MAX];
	int rating;      /* the reporter's: 1 满意, 2 基本满意, 3 不满意; 0 none */
	int supervision; /* the highest 督办 on record: 1 normal, 2 yellow card, 3 red card */
	int reminders;   /* 催办 received */
	int spam;        /* marked as spam (rejected) */
	/* Not folded: the region path of the holding center, loaded with the projection for the
	   "higher center" rule (supervision). */
	char owner_path[ACCESS_PATH_MAX];
};

/* What a report gives. Strings are borrowed. */
struct matter_report {
	const char *source; /* patrol, resident, hotline, department, assigned, other */
	const char *item;   /* matter-list item code */
	const char *title;
	const char *description;
	const char *address;   /* optional */
	const char *grid_code; /* the grid (from lng/lat through the locate index, or chosen) */
	int has_location;
	double lng, lat;
	int urgency;                 /* 0: the item's */
	const struct upload *photos; /* taken into the upload store already (domain/upload.h) */
	size_t nphotos;
};

/* An action on a matter. fields is the request body (borrowed): action-specific fields. */
struct matter_action {
	int64_t matter_id;
	enum flow_action action;
	int version; /* the version the caller saw */
	const struct json_t *fields;
	const struct upload *photos; /* evidence, for the actions matter_action_takes_photos */
	size_t nphotos;
};

/* Folds one event into v (pure: no database, no clock). action is the event's action name and
   fields its stored fields. Returns 0, or -1 when the event does not apply (a corrupt log). */
int matter_fold(struct matter_view *v, const char *action, const struct json_t *fields, int64_t at);

/* Photos. The event that carries them lists their hashes in its fields ("photos"), so the event
   log stays the truth; the fold ignores them; matter_photos links each to the matter with the
   seq of the first event that sent it. Only the report and the actions that carry a result or a
   note take photos: self_handle, progress, submit. */
int matter_action_takes_photos(enum flow_action action);
/* The photos of one request: 400 photos_not_allowed when the action takes none, 400
   too_many_photos over UPLOAD_MAX_PER_RECORD, 400 bad_photo for an invalid one. photos NULL:
   only the count is checked (before the files are taken into the store). 0, or -1 with e. */
int matter_photos_check(enum flow_action action, const struct upload *photos, size_t n,
                        struct dom_err *e);

/* What a report needs no database for (source, item given, text lengths, a grid, urgency,
   photos). matter_report checks it again; the API calls it before storing any file. */
int matter_report_check(const struct matter_report *in, struct dom_err *e);
/* Likewise for an action (a known action with the fields it takes, a version, photos). */
int matter_action_check(const struct matter_action *in, struct dom_err *e);

/* Reports a matter. *id gets the new matter's id. 0, or -1 with e. */
int matter_report(const struct dom_ctx *x, const struct matter_report *in, int64_t *id,
                  struct dom_err *e);
/* A resident's report, without login (Art. 18): source "resident", any active grid, an item of
   the published list, a contact (personal data: sealed at rest, shown only to those who may see
   the matter, masked). code gets the tracking code (MATTER_TRACKING_CHARS + NUL), shown once and
   stored only as a keyed hash. 0, or -1 with e. */
int matter_public_report(const struct dom_ctx *x, const struct matter_report *in,
                         const char *contact, char code[MATTER_TRACKING_CHARS + 1], int64_t *id,
                         struct dom_err *e);
/* What the resident holding the tracking code sees: the progress in plain words, the answers
   given to them and the result; their own contact, masked; whether they may rate. NULL with e
   (404 for an unknown code, the same for every wrong code). */
struct json_t *matter_track(const struct dom_ctx *x, const char *code, struct dom_err *e);
/* The resident rates a closed matter once: rating 1 满意, 2 基本满意, 3 不满意 (the center then
   reviews it); comment optional. 0, or -1 with e (409 already_rated, bad_transition before it
   is closed). */
int matter_rate(const struct dom_ctx *x, const char *code, int rating, const char *comment,
                struct dom_err *e);

/* Takes an action (any row of the flow table but the report). 0, or -1 with e:
   400 missing_field/bad_field, 403 not_your_turn, 404 not_found, 409 bad_transition (names the
   state and the action), version_conflict, return_too_late, overdue_explanation_required,
   item_not_published (Art. 16), calendar_missing. */
int matter_act(const struct dom_ctx *x, const struct matter_action *in, struct dom_err *e);

/* The matter as the caller may see it: fields, assignments (with organisation names), its
   photos ({hash, url, mime, size, added_at, event_seq}), the timeline of events (each with the
   photos it attached), and "actions": what this caller may do now ({action, label, required,
   assignment?}; dispatch and assign carry "options", the organisations they may go to). NULL
   with e (404 outside scope). */
struct json_t *matter_get(const struct dom_ctx *x, int64_t id, struct dom_err *e);

/* A photo of matter id that the caller may see: 0 with *mime (static), or -1 with e (404 when the
   matter is missing or outside the caller's scope, or the photo is not one of its photos: the
   hash alone grants nothing). */
int matter_photo(const struct dom_ctx *x, int64_t id, const char *hash, const char **mime,
                 struct dom_err *e);

/* Filters of the queue. Empty strings / 0 are "any". */
struct matter_filter {
	const char *state; /* a state name, or "open" */
	const char *category;
	const char *item;
	const char *grid_code;
	int alert; /* 1 yellow or worse, 2 red; 0 any */
	int mine;  /* department / assignee: only with open work for the caller's org */
};
/* A keyset page of the matters in the caller's scope, newest first. NULL with e. */
struct json_t *matter_list(const struct dom_ctx *x, const struct matter_filter *f,
                           const struct dom_page *pg, struct dom_err *e);

/* Counters of a region in the caller's scope ("" = the caller's own region): {region, by_state:
   {state: n}, by_category: {...}, yellow, red, open}. NULL with e. */
struct json_t *matter_counts(const struct dom_ctx *x, const char *region_code, struct dom_err *e);

/* The command center's numbers for a region in the caller's scope ("" = the caller's own; centers
   only): the counters (as matter_counts), reports today by source and category and per day this
   week, organisations of the region with what they hold in yellow and red, supervision
   received and 按期结案率, and open matters per grid for the map. All read from the counters the
   write path keeps; nothing scans the matters. NULL with e. */
struct json_t *matter_dashboard(const struct dom_ctx *x, const char *region_code,
                                struct dom_err *e);

/* The scheduler's step: turns matters and assignments yellow or red at x->now, with the counters,
   in one write. *changed gets how many rows changed colour. 0, or -1 with e. */
int matter_alerts_tick(const struct dom_ctx *x, int64_t *changed, struct dom_err *e);

/* `wangge check`: folds every matter's events and compares with the stored projection, the
   counters with a GROUP BY over matters, and matter_photos with the photos the events list. Appends
   one line per difference to report. Returns the number of differences, or -1 on a database error.
 */
int matter_check_projection(struct store_conn *c, struct buf *report);

#include "base/banned.h"
#endif
