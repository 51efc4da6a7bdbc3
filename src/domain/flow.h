/*
 * The life of a matter as one table (R7-R9, Art. 16-19): each row is {state, action, who, next
 * state, required fields, permission}. The matter module (domain/matter.c) refuses any (state,
 * action) pair that is not a row, checks `who` against the caller and the required fields
 * against the request, and the documentation (docs/matter-flow.md) is generated from this table
 * by `wangge flow --markdown`; a test checks that the committed file is the generated one.
 *
 * States are stored by their ASCII names; labels are the Chinese words the UI shows.
 */
#ifndef WANGGE_DOMAIN_FLOW_H
#define WANGGE_DOMAIN_FLOW_H

#include <stddef.h>

struct json_t;

enum flow_state {
	FS_NONE = 0,    /* before the report */
	FS_REPORTED,    /* 已上报: waiting for the holding center to accept */
	FS_ACCEPTED,    /* 已受理: the center decides how it is handled */
	FS_REJECTED,    /* 不予受理 (final) */
	FS_IN_PROGRESS, /* 处置中: held by the center, the grid worker, or assignees */
	FS_DONE,        /* 已办结: the result is in, waiting for verification */
	FS_VERIFIED,    /* 已核查 */
	FS_CLOSED,      /* 已结案: the reporter may rate it once */
	FS_RATED,       /* 已评价 (final) */
	FS_REVIEWING,   /* 复核中: the reporter was not satisfied; the center reviews */
	FS_COUNT
};

enum flow_action {
	FA_REPORT = 0,
	FA_SELF_HANDLE,
	FA_ACCEPT,
	FA_REJECT,
	FA_ESCALATE,
	FA_HANDLE,
	FA_ASSIGN,
	FA_DISPATCH,
	FA_SIGN,
	FA_RETURN,
	FA_PROGRESS,
	FA_REQUEST_EXTENSION,
	FA_APPROVE_EXTENSION,
	FA_DENY_EXTENSION,
	FA_EXPLAIN_OVERDUE,
	FA_SUBMIT,
	FA_VERIFY,
	FA_REWORK,
	FA_CLOSE,
	FA_FEEDBACK,
	FA_MARK_SPAM,
	FA_RATE,
	FA_UPHOLD,
	FA_SUPERVISE,
	FA_REMIND,
	FA_COUNT
};

/* Who may take an action on a matter. */
enum flow_who {
	FW_REPORTER,    /* a grid worker bound to the matter's grid, or a center in scope */
	FW_GRID_WORKER, /* a grid worker bound to the matter's grid */
	FW_OWNER,       /* the center that holds the matter */
	FW_ASSIGNEE, /* an organisation the matter is assigned or dispatched to, with open work */
	FW_HANDLER,  /* whoever handles it now: an assignee, or the owner center handling it */
	FW_RESIDENT, /* the resident who reported it, by the tracking code */
	FW_HIGHER,   /* a center above the holding one whose area holds the matter */
};

#define FLOW_FIELDS_MAX 4

struct flow_row {
	enum flow_state from;
	enum flow_action action;
	enum flow_who who;
	enum flow_state to;     /* the usual next state */
	enum flow_state to_alt; /* the other possible one (FS_NONE: none); when is in `note` */
	const char *required[FLOW_FIELDS_MAX]; /* request fields that must be given, NULL-ended */
	const char *permission;
	const char *note; /* English, for the docs: a condition or what happens besides */
};

extern const struct flow_row flow_rows[];
extern const size_t flow_row_count;

/* The row for (state, action), or NULL when the pair is not in the table. */
const struct flow_row *flow_find(enum flow_state s, enum flow_action a);

const char *flow_state_name(enum flow_state s);    /* "in_progress" */
const char *flow_state_label(enum flow_state s);   /* "处置中" */
const char *flow_action_name(enum flow_action a);  /* "dispatch" */
const char *flow_action_label(enum flow_action a); /* "分流" */
const char *flow_who_name(enum flow_who w);
const char *flow_who_label(enum flow_who w);
/* By name; FS_NONE / -1 when unknown. */
enum flow_state flow_state_from_name(const char *name);
int flow_action_from_name(const char *name);
/* 1 when the state is open (the matter still has work or a decision ahead). */
int flow_state_open(enum flow_state s);

/* The table as JSON: {states:[{name,label}], actions:[...], rows:[...]} (new reference). */
struct json_t *flow_table_json(void);
/* The table as the Markdown of docs/matter-flow.md (malloc'd), or NULL. */
char *flow_table_markdown(void);

#include "base/banned.h"
#endif
