/*
 * Grid workers (网格员, R2): the registry of the people who serve the grids, with the rules of the
 * regulation (《聊城市城乡网格化服务管理条例》) about them:
 *   - Art. 11: PRC nationality and 18 years of age on the start date (refused with 400
 *     `nationality` / `under_age`), and the other conditions recorded as checks (attestations);
 *   - Art. 12: a part-time worker's source (村/居委会成员, 人民调解员, ...);
 *   - Art. 14: 持证上岗, the certificate number and its validity;
 *   - Art. 22-24: workforce records (training, rewards and penalties, pay, allowance, insurance:
 *     records, not payroll) and the exit procedure: status 离岗 with a date and a reason, the
 *     worker's grid assignments end, and the linked login account loses its grid bindings (its
 *     access scope) in the same transaction. The account itself is NOT disabled: that is the
 *     system administrator's decision, taken and audited on its own (PATCH /users/{id}); the
 *     exit's audit record says the bindings were removed.
 * The ID number is validated (base/idcard.h: check character, real date, 15 -> 18 upgrade) and
 * its birth date and sex are derived from it. ID and phone numbers are sealed at rest through
 * the sealed-field registry (domain/sealed.h) and leave masked (domain/sensitive.h, entity
 * "worker") unless the API unmasks them with a reason; the work phone is published (Art. 15).
 *
 * Scope: a worker belongs to the region that manages it (normally the township); its `path` is
 * that region's path, so reads and writes are scoped by the caller's region subtree in SQL
 * (dom_scope_sql). A grid-bound caller (a grid worker holding worker.read through a custom role)
 * sees only the worker record linked to its own account. Out of scope answers 404.
 *
 * Grids served: several grids per worker, several workers per grid, at most one lead per grid.
 * Whenever a worker's grids change, the linked account's user_grids is rewritten to the same set
 * in the same transaction, so what the account may see follows the assignment.
 *
 * Dates ("YYYY-MM-DD", Asia/Shanghai calendar dates) are text; times are UTC seconds rendered as
 * RFC 3339 +08:00. Amounts are cents in the database and yuan with two decimals in JSON.
 */
#ifndef WANGGE_DOMAIN_WORKER_H
#define WANGGE_DOMAIN_WORKER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"
#include "domain/dom.h"
#include "domain/region.h"

#define WORKER_NAME_CHARS 32
#define WORKER_TEXT_CHARS 200 /* exit reason, notes, topics */
#define WORKER_GRIDS_MAX 50   /* grids one worker may serve */
#define WORKER_DATE_LEN 10

/* 1 when s is a real calendar date "YYYY-MM-DD". */
int worker_date_valid(const char *s);
/* The calendar date of t in Asia/Shanghai as "YYYY-MM-DD" into out (11 bytes). */
const char *worker_local_date(int64_t t, char out[WORKER_DATE_LEN + 1]);

/* Codes and their Chinese labels. *_parse accept the code or the label and give the code, or
   NULL when s is neither. */
const char *worker_employment_parse(const char *s);    /* full_time / part_time */
const char *worker_employment_label(const char *code); /* 专职 / 兼职 */
const char *worker_source_parse(const char *s);        /* Art. 12 sources */
const char *worker_source_label(const char *code);
const char *worker_status_parse(const char *s);    /* active / suspended / exited */
const char *worker_status_label(const char *code); /* 在岗 / 停岗 / 离岗 */
/* "CHN" for CHN, 中国, 中华人民共和国 (case-insensitive code); NULL otherwise. */
const char *worker_nationality_parse(const char *s);

struct worker {
	int64_t id;
	char name[WORKER_NAME_CHARS * 4 + 1];
	char id_number[19]; /* opened from its sealed form */
	char birth_date[WORKER_DATE_LEN + 1];
	char sex[2]; /* "M" / "F" */
	char nationality[4];
	char phone[32];      /* opened from its sealed form */
	char work_phone[32]; /* published on the notice board (Art. 15) */
	char employment[16];
	char part_time_source[24]; /* "" for full-time workers */
	char education[64];
	char certificate_no[64];
	char certificate_valid_to[WORKER_DATE_LEN + 1];
	char region_code[13];
	char region_name[REGION_NAME_BYTES];
	char path[ACCESS_PATH_MAX];
	char start_date[WORKER_DATE_LEN + 1];
	char status[12];
	char status_date[WORKER_DATE_LEN + 1];
	char exit_reason[WORKER_TEXT_CHARS * 4 + 1];
	int64_t user_id; /* 0 when no account is linked */
	int64_t version;
	int64_t created_at, updated_at;
};

/* The fields of a create or a change. NULL: not given (a change keeps the stored value; a
   create leaves it empty, or takes the default said here). "" clears an optional field. */
struct worker_input {
	const char *name;
	const char *id_number;
	const char *nationality; /* default CHN */
	const char *phone, *work_phone;
	const char *employment;       /* required on create */
	const char *part_time_source; /* required for part-time workers */
	const char *education;
	const char *certificate_no, *certificate_valid_to;
	const char *region;     /* 12-digit code of the managing region (township); required */
	const char *start_date; /* default: today */
	const char *status;     /* change only: active / suspended (exit has its own procedure) */
	const char *status_date;
	int64_t user_id; /* -1 not given, 0 unlink (change), > 0 the account to link */
	int64_t version; /* change only: the version the caller saw (409 on mismatch); 0 = none */
};
#define WORKER_INPUT_INIT                                                                          \
	{                                                                                          \
		.user_id = -1                                                                      \
	}

/* Creates a worker; *id gets its id. 0, or -1 with e: 400 bad_name, bad_id_number, under_age,
   nationality, bad_employment, bad_source, bad_date, bad_field; 404 unknown region or account
   outside the scope; 409 duplicate (ID number already registered, account already linked). */
int worker_create(const struct dom_ctx *x, const struct worker_input *in, int64_t *id,
                  struct dom_err *e);
/* Changes the given fields of worker id (validated as a whole, like a create). 409
   version_conflict when in->version is set and is not the stored one; 409 worker_exited for an
   exited worker. */
int worker_update(const struct dom_ctx *x, int64_t id, const struct worker_input *in,
                  struct dom_err *e);
/* The exit procedure (Art. 24): status exited on date with reason, grid assignments ended, the
   linked account's grid bindings removed. 0 or -1 with e. */
int worker_exit(const struct dom_ctx *x, int64_t id, const char *date, const char *reason,
                struct dom_err *e);

/* One grid served. */
struct worker_grid_input {
	const char *code;
	int lead;
};
/* Replaces the grids worker id serves with grids[0..n) (active grids in the caller's scope; at
   most one lead per grid over all workers). The linked account's user_grids follows. 0 or -1
   with e: 400 bad_grid (unknown, retired or outside the scope, or listed twice), 409 lead_taken,
   409 worker_exited. */
int worker_set_grids(const struct dom_ctx *x, int64_t id, const struct worker_grid_input *grids,
                     size_t n, struct dom_err *e);

/* Reads worker id visible to the caller (on c: a reader or the writer). 1, 0 (missing or out of
   scope), -1 error. */
int worker_load(struct store_conn *c, const struct dom_ctx *x, int64_t id, struct worker *out);
/* worker_load on this thread's reader: 0, or -1 with e (404, 503). */
int worker_get(const struct dom_ctx *x, int64_t id, struct worker *out, struct dom_err *e);

/* The worker as JSON with phone and ID number masked unless unmask (see docs/api-workers.md);
   with grids (read from the database) when x is given. New reference or NULL. */
json_t *worker_to_json(const struct dom_ctx *x, const struct worker *w, int unmask);

struct worker_filter {
	const char *region;      /* 12-digit code: workers managed inside its subtree */
	const char *employment;  /* full_time / part_time */
	const char *status;      /* active / suspended / exited */
	const char *cert_before; /* certificate valid to before this date (or none recorded) */
	const char *grid;        /* grid code: workers serving it */
};
/* Validates f (codes, dates): 0 or -1 with e 400 bad_param. */
int worker_filter_check(const struct worker_filter *f, struct dom_err *e);
/* A keyset page of the workers visible to the caller, in region-path then id order:
   {items, next_cursor}, items masked unless unmask. NULL with e (404 unknown region). */
json_t *worker_list(const struct dom_ctx *x, const struct worker_filter *f,
                    const struct dom_page *pg, int unmask, struct dom_err *e);
/* Walks every worker matching f visible to the caller, in the list's order (the export), and
   calls fn(w, arg) for each; fn returns 0 to go on. 0, or -1 with e. */
typedef int (*worker_each_fn)(const struct worker *w, void *arg);
int worker_each(const struct dom_ctx *x, const struct worker_filter *f, worker_each_fn fn,
                void *arg, struct dom_err *e);

/* Inside a write (the import's step): validates in as a new worker for x's caller and inserts
   it, exactly as worker_create does. 0, or -1 with e. */
int worker_insert(struct store_conn *c, const struct dom_ctx *x, const struct worker_input *in,
                  int64_t *id, struct dom_err *e);

/* ---- Art. 11 attestations ---- */

/* political, education, health, ability, devotion, legal: the conditions of Art. 11 besides
   nationality and age (which the registry checks itself). */
const char *worker_attestation_label(const char *item); /* NULL for an unknown item */
/* Records (or re-records) that item was checked for worker id by the caller, with a note. */
int worker_attest(const struct dom_ctx *x, int64_t id, const char *item, const char *note,
                  struct dom_err *e);
/* [{item, label, checked_by, checked_at, note}] of worker id (visible). NULL with e. */
json_t *worker_attestations(const struct dom_ctx *x, int64_t id, struct dom_err *e);

/* ---- workforce records (Art. 22-24) ---- */

struct worker_record_input {
	const char *kind; /* training reward penalty pay allowance insurance */
	const char *date;
	const char *topic;     /* training topic, or the reward's / penalty's reason */
	int64_t hours_tenths;  /* training; -1 not given */
	const char *organiser; /* training organiser, deciding organisation */
	int64_t amount_cents;  /* pay, allowance, insurance; -1 not given */
	const char *period_from, *period_to;
	const char *note;
};
/* Parses "123.45" (yuan, at most two decimals, 0..99,999,999.99) into cents: 0 or -1. */
int worker_amount_parse(const char *s, int64_t *cents);
/* Parses "2.5" hours (one decimal, 0 < h <= 1000) into tenths: 0 or -1. */
int worker_hours_parse(const char *s, int64_t *tenths);
int worker_record_add(const struct dom_ctx *x, int64_t id, const struct worker_record_input *in,
                      int64_t *record_id, struct dom_err *e);
/* A keyset page of worker id's records (kind NULL: all) in id order. NULL with e. */
json_t *worker_records(const struct dom_ctx *x, int64_t id, const char *kind,
                       const struct dom_page *pg, struct dom_err *e);

#include "base/banned.h"
#endif
