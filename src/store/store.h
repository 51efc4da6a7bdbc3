/*
 * The storage interface. Everything above store/ talks to the database through these functions
 * only; no backend type appears here, so a PostgreSQL backend can sit behind the same calls.
 *
 * Reads: each thread gets its own read connection (store_reader), which sees the last committed
 * state. Writes: all go through one writer thread (store_write). The writer takes every pending
 * write, runs them in one transaction (each inside its own savepoint, so one failing write does not
 * undo the others), commits with one fsync, and only then wakes the callers. An acknowledged write
 * is therefore durable, and concurrent writers share the cost of the fsync (group commit).
 *
 * SQL uses `?` placeholders and the portable subset described in docs/architecture.md.
 */
#ifndef WANGGE_STORE_STORE_H
#define WANGGE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;      /* the database: one writer plus per-thread readers */
struct store_conn; /* one connection; used by one thread at a time */
struct store_stmt; /* a prepared statement, cached by its connection */

enum store_rc {
	STORE_OK = 0,
	STORE_ROW = 1,         /* store_step: a row is ready */
	STORE_DONE = 2,        /* store_step: no more rows */
	STORE_ERR = -1,        /* any other failure; see store_errmsg */
	STORE_CONSTRAINT = -2, /* a UNIQUE, CHECK, NOT NULL or FOREIGN KEY constraint failed */
	STORE_BUSY = -3,       /* the database stayed locked past the busy timeout */
};

struct store_options {
	const char *path;    /* database file; created when missing */
	int max_batch;       /* most writes grouped in one transaction; 1 turns group commit off */
	int busy_timeout_ms; /* how long a connection waits for a lock */
	int readonly;        /* open without migrating and refuse writes (used by `wangge check`) */
	/* Hold the database for this process alone until store_close (`wangge keys rotate`): the
	   open fails when another process has it open (a running server), and no other process can
	   open it meanwhile. Only the writer may be used (store_write); readers would wait. */
	int exclusive;
	/* Set by a bulk import (`wangge import people`): the writer keeps a page cache of
	   STORE_BULK_CACHE_MIB, so a batch's pages stay in memory until its commit instead of
	   spilling mid-write, and lets the WAL grow to STORE_BULK_CHECKPOINT_PAGES pages before a
	   checkpoint, so an index page that many batches change is copied into the database once
	   instead of after every batch. (Defaults: SQLite's 2 MiB cache, a checkpoint every 1,000
	   pages.) The writer also runs with foreign keys off: the bulk writes take every reference
	   from the same transaction (the grid resolved, the house found or inserted, the person
	   just inserted), the same code runs with them on in the tests, and `wangge check` runs
	   SQLite's foreign_key_check over everything. Only the bulk commands open a store so. */
	int bulk_load;
};
#define STORE_BULK_CACHE_MIB 256
#define STORE_BULK_CHECKPOINT_PAGES 500000 /* 4 KiB pages: the WAL grows to about 2 GiB */

/* Default options for a path: max_batch 256, busy timeout 5000 ms. */
void store_options_default(struct store_options *o, const char *path);

/* Opens (creating if needed) the database, applies pending migrations in a transaction each and
   starts the writer thread. On failure returns -1 and writes a reason into err. */
int store_open(const struct store_options *o, struct store **out, char *err, size_t errlen);
/* Finishes every queued write, stops the writer, closes every connection and frees s. The caller
   must make sure no other thread still uses s or a connection from it. NULL is allowed. */
void store_close(struct store *s);

/* This thread's read connection for s (opened on first use, closed by store_close). NULL if it
   cannot be opened. Borrowed: do not close it. */
struct store_conn *store_reader(struct store *s);

/* A write. Runs on the writer thread inside a transaction; returns 0 to keep its changes, any
   other value to roll its changes back (the value is handed back to the caller of store_write). */
typedef int (*store_write_fn)(struct store_conn *c, void *ctx);
/* Queues fn and blocks until its transaction is durable. Returns fn's value when the commit
   succeeded (so 0 means written and synced), or STORE_ERR when the commit failed or the store is
   closing (then nothing of fn is kept). */
int store_write(struct store *s, store_write_fn fn, void *ctx);

/* Like store_write, but fn runs in a transaction of its own, never grouped with other writes
   and without a savepoint: a nonzero return rolls the whole transaction back. For big writes
   (thousands of rows): inside a savepoint SQLite copies every page first touched to an in-memory
   sub-journal and walks that journal at the end of each statement that adds to it, so a big
   write's cost grew with the square of its size. Others' writes wait while it runs. */
int store_write_alone(struct store *s, store_write_fn fn, void *ctx);
/* Statements. store_prepare returns the connection's cached statement for this SQL text, reset and
   with no bindings; it stays owned by the connection. NULL on a syntax error (see store_errmsg).
   Do not prepare the same SQL again while iterating it. Bind indexes start at 1. */
struct store_stmt *store_prepare(struct store_conn *c, const char *sql);
int store_bind_int64(struct store_stmt *st, int idx, int64_t v);
int store_bind_double(struct store_stmt *st, int idx, double v);
/* Text is copied; len -1 means NUL-terminated. NULL binds SQL NULL. */
int store_bind_text(struct store_stmt *st, int idx, const char *s, int len);
int store_bind_blob(struct store_stmt *st, int idx, const void *p, int len);
int store_bind_null(struct store_stmt *st, int idx);
/* STORE_ROW, STORE_DONE, or a negative enum store_rc. */
int store_step(struct store_stmt *st);
/* Column values of the current row, index from 0. Text and blobs stay valid until the next step or
   reset. A NULL text column reads as NULL. */
int64_t store_col_int64(struct store_stmt *st, int col);
double store_col_double(struct store_stmt *st, int col);
const char *store_col_text(struct store_stmt *st, int col);
const void *store_col_blob(struct store_stmt *st, int col, int *len);
int store_col_is_null(struct store_stmt *st, int col);
int store_col_count(struct store_stmt *st);
/* Ends the statement's current run and clears bindings. */
void store_reset(struct store_stmt *st);

/* Runs SQL that returns no rows and takes no parameters (may hold several statements). */
int store_exec(struct store_conn *c, const char *sql);
int64_t store_last_insert_id(struct store_conn *c);
int store_changes(struct store_conn *c);
const char *store_errmsg(struct store_conn *c);

/* Schema version applied to the database (0 when none); -1 on error. */
int store_schema_version(struct store_conn *c);
/* Newest schema version this binary knows. */
int store_schema_latest(void);

/* Integrity of the storage itself: page structure, foreign keys, schema version. Appends one line
   per finding to report. Returns the number of findings, or -1 if the check could not run. */
struct buf;
int store_check(struct store *s, struct buf *report);

/* Statistics of the writer, for benchmarks and /healthz. */
struct store_stats {
	uint64_t writes;  /* store_write calls completed */
	uint64_t commits; /* transactions committed */
	uint64_t failed;  /* writes answered STORE_ERR */
	uint64_t queued;  /* writes waiting now for the writer to take them (tests order on it) */
};
void store_stats(struct store *s, struct store_stats *out);

#include "base/banned.h"
#endif
