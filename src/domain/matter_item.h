/*
 * The matter list (事项清单, R6; 条例第十六条): what grid management handles, as a published,
 * versioned list. An item has a stable code and versions; a version is proposed (a draft, by a
 * responsible department or a center), approved or rejected by the center, and published to take
 * effect on a date. Temporary items carry an expiry date; withdrawing an item publishes a
 * 'withdrawn' version on a date. Every version is kept (migration 012 refuses deleting one or
 * changing its content after the draft stage), so any two can be compared.
 *
 * The version deciding a day is the newest published or withdrawn version whose effective date is
 * not after that day (the latest decision in effect: a withdrawal overrides a publication even
 * if that one was scheduled for a later date); the item is in force on the day when that version
 * is published and not expired.
 * A matter whose item is not in force cannot be assigned to a grid worker (matter_item_in_force
 * answers 409 item_not_published citing Art. 16).
 *
 * Who: matter_item.read to read drafts and history (the published list itself is public, GET
 * /public/matter-list); matter_item.propose (departments for items they are responsible for,
 * centers for any); matter_item.approve (centers: approve, reject, publish, withdraw; never a
 * version the same person proposed). The list is one for the deployment, not region-scoped: it
 * is a public document.
 */
#ifndef WANGGE_DOMAIN_MATTER_ITEM_H
#define WANGGE_DOMAIN_MATTER_ITEM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "domain/calendar.h"
#include "domain/dom.h"

struct store_conn;

#define MATTER_ITEM_DEPTS_MAX 8
#define MATTER_ITEM_NAME_CHARS 60
#define MATTER_ITEM_DESC_CHARS 1000
#define MATTER_ITEM_NOTE_CHARS 500
#define MATTER_ITEM_PUBLIC_MAX 2000 /* items on the public page (the list is a few hundred) */

struct matter_item {
	int64_t id;         /* the item, stable across versions */
	int64_t version_id; /* the version in force */
	int version;
	char code[32];
	char name[128];
	char category[32];       /* category code, e.g. "city_management" */
	char category_label[64]; /* e.g. "城市管理" */
	char worker_role[16];    /* "report" | "resolve" | "assist": what the grid worker does */
	char default_level[16];  /* "township" | "county" | "city": default handling level */
	int urgency;             /* 1 normal, 2 urgent, 3 very urgent */
	int accept_amount, handle_amount, verify_amount; /* per-stage limits */
	enum cal_unit accept_unit, handle_unit, verify_unit;
	int warn_share_pct;     /* yellow at this share, default 70 */
	int64_t departments[8]; /* responsible departments; first = default lead */
	int n_departments;
	char expires_on[11]; /* "" or the last day of a temporary item */
};

/* Inside a write: the published version of item `code` in force at `at` (effective date reached,
   not expired, not withdrawn). 0, or -1 with e: 404 item_not_found for an unknown code,
   409 item_not_published with a Chinese message citing Art. 16 (the item is not on the published
   list, so the matter cannot be assigned to a grid worker) for one that exists but is not in
   force; 503. */
int matter_item_in_force(struct store_conn *c, const char *code, int64_t at,
                         struct matter_item *out, struct dom_err *e);
/* The same by item id (404 item_not_found for an unknown id). */
int matter_item_in_force_id(struct store_conn *c, int64_t id, int64_t at, struct matter_item *out,
                            struct dom_err *e);

/* ---- categories, roles, levels ---- */

struct matter_category {
	const char *code, *label;
};
extern const struct matter_category matter_categories[];
extern const size_t matter_category_count;
/* The label of a category code, or NULL for an unknown one. */
const char *matter_category_label(const char *code);
/* Chinese labels of worker_role, default_level and urgency values ("" for unknown ones). */
const char *matter_worker_role_label(const char *role);
const char *matter_level_label(const char *level);
const char *matter_urgency_label(int urgency);
/* "working_days" / "working_hours" and back (0 for an unknown name). */
const char *matter_unit_name(enum cal_unit u);
enum cal_unit matter_unit_from_name(const char *name);

/* ---- proposals ---- */

/* The content of a proposal. For a new item every field but description, expires_on and note is
   required; for a revision a NULL string / 0 number / n_departments < 0 keeps the value of the
   item's latest version. All strings borrowed. */
struct matter_item_fields {
	const char *code; /* new items only */
	const char *name, *category, *description, *worker_role, *default_level;
	const char *expires_on; /* "" clears (a revision of a temporary item made permanent) */
	const char *note;       /* why this version */
	int urgency;
	int accept_amount, handle_amount, verify_amount;
	int accept_unit, handle_unit, verify_unit;
	int warn_share_pct;
	int64_t departments[MATTER_ITEM_DEPTS_MAX];
	int n_departments;
	const char *effective_from; /* matter_item_import only: the publication date */
};

/* Proposes a new item (item_id 0) or a new version of item item_id, as a draft. *out_id gets the
   item id. 400 bad_* for invalid content (unknown category, department that is not a
   department, limits out of range ...), 404 for an unknown item, 409 duplicate (code taken) or
   draft_open (the item already has an open proposal), 403 forbidden for a department proposing
   an item it is not responsible for. */
int matter_item_propose(const struct dom_ctx *x, int64_t item_id,
                        const struct matter_item_fields *f, int64_t *out_id, struct dom_err *e);
/* Imports and publishes a whole list in one write with one audit record (matter_item.import):
   each entry a new item (every field as for a new proposal, plus effective_from), written as
   version 1, published. For the system principal only (the command line, the demo): through the
   API every item is proposed, approved and published. All or nothing: 400 for bad content, 409
   duplicate for a code already present. */
int matter_item_import(const struct dom_ctx *x, const struct matter_item_fields *items, size_t n,
                       struct dom_err *e);

/* The center approves / rejects (with a reason) the item's open draft. 409 no_draft, 403
   same_person when the caller proposed it. */
int matter_item_approve(const struct dom_ctx *x, int64_t item_id, struct dom_err *e);
int matter_item_reject(const struct dom_ctx *x, int64_t item_id, const char *reason,
                       struct dom_err *e);
/* Publishes the approved version to take effect on effective_from ("YYYY-MM-DD", not before
   today). 409 not_approved. */
int matter_item_publish(const struct dom_ctx *x, int64_t item_id, const char *effective_from,
                        struct dom_err *e);
/* Withdraws the item from effective_from (NULL: today) with a reason: a 'withdrawn' version. 409
   not_published when nothing is published. */
int matter_item_withdraw(const struct dom_ctx *x, int64_t item_id, const char *effective_from,
                         const char *reason, struct dom_err *e);

/* ---- reads ---- */

struct matter_item_filter {
	const char *category; /* NULL: all */
	const char *state;    /* NULL/"all", "in_force", "pending" (an open proposal) */
	const char *q;        /* NULL, or text in the code or the name */
};
/* A keyset page of items in id order: {items:[{id, code, name, category, category_label, state,
   version_in_force, latest_version, pending, ...}], next_cursor}. NULL with e. */
json_t *matter_item_list_json(const struct dom_ctx *x, const struct matter_item_filter *f,
                              const struct dom_page *pg, struct dom_err *e);
/* One item: {id, code, state, in_force: version JSON or null, pending: version JSON or null,
   latest_published: version JSON or null, latest_version}. 404 not_found. */
json_t *matter_item_get_json(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* A keyset page of the item's versions, newest first. */
json_t *matter_item_versions_json(const struct dom_ctx *x, int64_t id, const struct dom_page *pg,
                                  struct dom_err *e);
/* One version of an item (404 when either is unknown). */
json_t *matter_item_version_json(const struct dom_ctx *x, int64_t id, int version,
                                 struct dom_err *e);
/* The fields that differ between two versions: {id, from, to, changes:[{field, label, from,
   to}]}. 404 for an unknown version. */
json_t *matter_item_diff_json(const struct dom_ctx *x, int64_t id, int from, int to,
                              struct dom_err *e);
/* The published list in force today (x->now), for anyone: {date, categories:[{code, label,
   items:[...]}], count}. NULL with e. */
json_t *matter_item_public_json(const struct dom_ctx *x, struct dom_err *e);
/* The same as a server-rendered Chinese page (base/html.h) into out. 0, or -1 with e. */
int matter_item_public_html(const struct dom_ctx *x, struct buf *out, struct dom_err *e);

#include "base/banned.h"
#endif
