/*
 * The domain kernel: the one way a domain module is written (docs/adding-a-module.md).
 *
 *   - struct dom_ctx is passed to every domain call: the store, the caller, the time "now" (taken
 *     once per request from the injectable clock, base/clock.h), the audit sink and the security
 *     configuration. Domain code never calls clock_now() and never takes a principal alone.
 *   - struct dom_err is the one error type: an HTTP-like status, a stable ASCII code, a Chinese
 *     message, and whether the failure was already recorded in the audit trail.
 *   - dom_write() is the one write path. It runs on the group-commit writer and, in one
 *     transaction: checks the action's permission, runs the module's authorize step (may THIS
 *     caller take this action on THIS object: scope, ownership, separation of duties), runs the
 *     change, and appends the audit record. A refusal or a failed change is rolled back but its
 *     audit record is kept and committed, so no refusal that reached the domain is unaudited.
 *   - dom_scope_sql()/dom_scope_bind() turn the caller's scope into a SQL condition, so lists and
 *     gets are scoped by the database, never by filtering rows in C.
 *   - dom_page and dom_cursor_* are keyset pagination: an opaque cursor after the last row, a
 *     bounded page size, no COUNT over the scope.
 *
 * Arrows point down: api/ builds a dom_ctx per request and calls domain functions; domain modules
 * reach the database only through store.h.
 */
#ifndef WANGGE_DOMAIN_DOM_H
#define WANGGE_DOMAIN_DOM_H

#include <stddef.h>
#include <stdint.h>

#include "domain/access.h"

struct store;
struct store_conn;
struct store_stmt;
struct security_config;

#define DOM_MSG_MAX 512
#define DOM_OBJECT_MAX 96
#define DOM_DETAIL_MAX 512

/* ---- the error ---- */

/* A domain failure the API answers as is. status 0 means no error. */
struct dom_err {
	int status;       /* 400, 403, 404, 409, 413, 429, 500, 503 */
	const char *code; /* static ASCII, e.g. "bad_code", "duplicate", "forbidden" */
	char message[DOM_MSG_MAX];
	int audited; /* the failure is already in the audit trail (dom_write recorded it) */
};

/* Fills e (status, code, printf-style Chinese message) and clears e->audited. Returns -1 so a
   caller can write `return dom_err_set(...)`. */
int dom_err_set(struct dom_err *e, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Maps a negative store_rc from inside a write: STORE_CONSTRAINT gives 409 conflict, anything
   else 503 write_failed. Returns -1. */
int dom_err_store(struct dom_err *e, int store_rc);
/* 503 read_failed ("读取失败，请稍后重试"). Returns -1. */
int dom_err_read(struct dom_err *e);
/* 1 when e is a refusal of the caller (403, 404, or 423/429 for a locked account or address),
   as opposed to bad input or a failure. */
int dom_err_is_refusal(const struct dom_err *e);

/* ---- the context ---- */

struct dom_ctx {
	struct store *store;
	const struct principal *caller; /* never NULL: access_anonymous() when nobody logged in */
	int64_t now;                    /* UTC seconds, fixed for the whole request */
	/* The audit sink: records are keyed with audit_key (AUDIT_KEY_LEN bytes); source is the
	   client address ("cli" for commands), request_id "" for commands. All borrowed. */
	const unsigned char *audit_key;
	const char *source;
	const char *request_id;
	const struct security_config *security; /* session, lockout and password parameters */
};

/* A context for command-line tools and the demo builder: the system principal, now from the
   clock, source "cli". security may be NULL where no identity write is made. */
void dom_ctx_cli(struct dom_ctx *x, struct store *s, const unsigned char *audit_key,
                 const struct security_config *security);
/* The same context for another caller (x2 copies x with caller replaced). */
void dom_ctx_as(struct dom_ctx *x2, const struct dom_ctx *x, const struct principal *caller);

/* ---- the write path ---- */

struct dom_write;
/* A step of a write, run on the writer thread inside the transaction. Returns 0 to go on, or -1
   with e set. */
typedef int (*dom_step_fn)(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e);

struct dom_write {
	const char *action;     /* audit action, "grid.create" */
	const char *permission; /* the caller must hold it ("public" for anonymous actions) */
	/* Decides whether this caller may take this action on this object: loads the target inside
	   the transaction and checks scope, ownership and separation rules. Required: a write with
	   no authorize step is refused (500), so no module can forget it. Use dom_authorize_any
	   only where the permission is the whole rule (and say why at the call site). */
	dom_step_fn authorize;
	dom_step_fn apply; /* makes the change */
	void *arg;         /* the module's own state for authorize and apply */
	/* Filled by the module (before, or in authorize/apply): the audit record's object and
	   detail. On failure the kernel appends the error code and message to the detail. */
	char object[DOM_OBJECT_MAX];
	char detail[DOM_DETAIL_MAX];
	/* Optional: the audit identity when it is not the caller's (login records what was typed,
	   and the user and organisation behind it when the name exists). */
	const char *audit_username;
	int64_t audit_user_id;
	int64_t audit_org_id;
	/* Set by the kernel: the audit outcome written ("success", "denied", "failure"). */
	const char *outcome;
	/* Optional: run after apply when the change must be kept although the request answers an
	   error (a failed login counts the failure: apply returns 0 and sets keep_error). */
	struct dom_err keep_error;
	/* Set (by the module, or by apply) when the change touches nothing a caller is built from
	   (users, organisations and their regions, roles, grants, grid bindings, sessions): the
	   caller cache (domain/caller_cache.h) is then kept. Left 0, every cached caller is loaded
	   again after the commit, so forgetting it costs time, never a stale right. */
	int callers_unchanged;
	/* Set for a big write (thousands of rows: an import batch): it runs in a transaction of its
	   own without a savepoint (store_write_alone). A failure then rolls everything back, and
	   its audit record is committed by a second write of its own. */
	int alone;
};

/* The authorize step for writes whose route permission is the whole rule. */
int dom_authorize_any(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e);

/* Runs w on the group-commit writer (see the file comment). Returns 0 when the change committed;
   -1 with e set otherwise (e->audited tells whether its record was committed). When apply sets
   w->keep_error.status, the change and its record commit (outcome "failure") and dom_write
   returns -1 with e = keep_error. */
int dom_write(const struct dom_ctx *x, struct dom_write *w, struct dom_err *e);

/* Appends a record of something that is not a write through dom_write (a read of sensitive data,
   an export), in its own transaction. outcome "success", "denied" or "failure". 0 or -1. */
int dom_audit(const struct dom_ctx *x, const char *action, const char *object, const char *outcome,
              const char *detail);

/* Formats w->object / w->detail. */
void dom_write_object(struct dom_write *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void dom_write_detail(struct dom_write *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* ---- reads ---- */

/* This thread's read connection, or NULL with e = 503 read_failed. */
struct store_conn *dom_reader(const struct dom_ctx *x, struct dom_err *e);

/* ---- scope in SQL ---- */

/*
 * The caller's scope as a SQL condition over the columns of one row:
 *   path_col  a region path column ("r.path", "g.path"): the region subtree of the caller;
 *   grid_col  a grid id column ("g.id") or NULL: for grid-bound callers (grid workers) the row
 *             must be one of their grids (a join through user_grids, not a list in C).
 * The condition starts with " AND " and holds only placeholders; dom_scope_bind binds them in
 * order from index idx and returns the next free index (or -1). The same principal always gives
 * the same text, so the statement cache keeps one statement per shape.
 * A caller without scope (anonymous) gets a condition that matches nothing.
 */
#define DOM_SCOPE_SQL_MAX 192
void dom_scope_sql(const struct principal *p, const char *path_col, const char *grid_col,
                   char out[DOM_SCOPE_SQL_MAX]);
int dom_scope_bind(const struct principal *p, const char *grid_col, struct store_stmt *st, int idx);

/* ---- keyset pages ---- */

#define DOM_PAGE_DEFAULT 20
#define DOM_PAGE_MAX 200
#define DOM_CURSOR_MAX 128 /* encoded */
#define DOM_KEY_MAX 80     /* decoded key text */

/* A page request: at most limit rows after the key (key "" = from the start). */
struct dom_page {
	int limit;
	char after[DOM_KEY_MAX];
};
/* Sets the page from the query parameters limit (1..DOM_PAGE_MAX, default DOM_PAGE_DEFAULT) and
   cursor (NULL or "" = first page). 0, or -1 with e 400 bad_limit / bad_cursor. */
int dom_page_parse(struct dom_page *pg, const char *limit, const char *cursor, struct dom_err *e);
/* Encodes a key (the last row's order key as text) into an opaque cursor. out DOM_CURSOR_MAX. */
void dom_cursor_encode(const char *key, char out[DOM_CURSOR_MAX]);
/* For lists keyed by a positive row id: *id = the page's key as an id (0 on the first page). 0, or
   -1 with e 400 bad_cursor when the key is not an id. */
int dom_page_after_id(const struct dom_page *pg, int64_t *id, struct dom_err *e);
/* The answer of a keyset page: {"items": items, "next_cursor": cursor of next_key, or null when
   next_key is NULL (the last page)}. Steals items; NULL when out of memory. */
struct json_t;
struct json_t *dom_page_json(struct json_t *items, const char *next_key);
/* One row of a keyset list as JSON (new reference), or NULL when out of memory. */
typedef struct json_t *(*dom_row_fn)(struct store_stmt *st, void *arg);
/* Steps st, a list query bound with LIMIT pg->limit + 1 whose column 0 is the row's id (the page
   key), turning up to pg->limit rows into items with row(st, arg); resets st. Answers the page
   ({items, next_cursor}: a cursor when the extra row exists), or NULL with e 503 read_failed. */
struct json_t *dom_page_collect(struct store_stmt *st, const struct dom_page *pg, dom_row_fn row,
                                void *arg, struct dom_err *e);

/* ---- small helpers every module needs ---- */

/* Copies src (NULL is "") into dst of n bytes, truncating; dst is always NUL-terminated. */
void dom_copy(char *dst, size_t n, const char *src);
/* Number of characters (UTF-8 code points) in s. */
size_t dom_utf8_chars(const char *s);
/* Steps a statement that returns no row needed (INSERT, UPDATE, DELETE) and resets it: 0, or a
   negative store_rc (STORE_CONSTRAINT for a constraint violation). */
int dom_step_done(struct store_stmt *st);
/* Runs one statement that returns no rows (INSERT, UPDATE, DELETE) inside a write: prepares sql,
   binds one argument per letter of types, in order, and steps it to completion.
     'i' int64_t          'n' int64_t, bound as SQL NULL when 0 (an optional id)
     't' const char *     (NULL binds SQL NULL)
   Returns 0, or -1 with e from dom_err_store (409 on a constraint, 503 otherwise); 500 when
   types does not have one letter per '?' of sql. */
int dom_exec(struct store_conn *c, struct dom_err *e, const char *sql, const char *types, ...);

#include "base/banned.h"
#endif
