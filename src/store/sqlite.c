/*
 * The SQLite backend of store.h. WAL mode lets readers run beside the single writer;
 * synchronous=FULL makes every commit durable before store_write returns. The writer thread owns
 * the one write connection; readers are opened lazily, one per thread, and registered so
 * store_close can close them. Statements are cached per connection in a small hash table keyed by
 * SQL text.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "store/migrate.h"
#include "store/fts_cjk.h"
#include "store/store.h"

#define STMT_SLOTS 256

struct store_stmt {
	sqlite3_stmt *st;
	char *sql;
	unsigned hash;
	struct store_stmt *next;
};

struct store_conn {
	sqlite3 *db;
	struct store_stmt *slots[STMT_SLOTS];
	struct store_conn *next_reader; /* in store->readers */
};

struct write_req {
	store_write_fn fn;
	void *ctx;
	int rc;
	int done;
	int alone;              /* store_write_alone: a transaction of its own, no savepoint */
	pthread_cond_t done_cv; /* signalled for this write alone, so a commit wakes only its own */
	struct write_req *next;
};

struct store {
	struct store_options opt;
	char *path;
	uint64_t id; /* tells this store's thread-local readers from a closed one's */
	struct store_conn *writer;
	pthread_t writer_thread;
	int writer_started;
	pthread_mutex_t lock;  /* guards the queue, stopping, readers and stats */
	pthread_cond_t queued; /* a write was queued, or stopping was set */
	struct write_req *head, *tail;
	int stopping;
	struct store_conn *readers;
	struct store_stats stats;
};

static atomic_uint_fast64_t store_next_id = 1;

/* One cached reader per thread; a thread serving two stores (tests) just reopens on switch. */
struct reader_slot {
	uint64_t store_id;
	struct store_conn *conn;
};
static _Thread_local struct reader_slot tl_readers[4];

static int rc_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: return STORE_OK;
	case SQLITE_ROW: return STORE_ROW;
	case SQLITE_DONE: return STORE_DONE;
	case SQLITE_CONSTRAINT: return STORE_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return STORE_BUSY;
	default: return STORE_ERR;
	}
}

void store_options_default(struct store_options *o, const char *path)
{
	memset(o, 0, sizeof *o);
	o->path = path;
	o->max_batch = 256;
	o->busy_timeout_ms = 5000;
}

static void conn_close(struct store_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < STMT_SLOTS; i++) {
		struct store_stmt *st = c->slots[i], *next;
		for (; st; st = next) {
			next = st->next;
			sqlite3_finalize(st->st);
			free(st->sql);
			free(st);
		}
	}
	sqlite3_close_v2(c->db);
	free(c);
}

static struct store_conn *conn_open(struct store *s, int reader, char *err, size_t errlen)
{
	struct store_conn *c = calloc(1, sizeof *c);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	char pragmas[384];

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!reader && !s->opt.readonly)
		flags |= SQLITE_OPEN_CREATE;
	if (s->opt.readonly)
		flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(s->path, &c->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", s->path,
		         c->db ? sqlite3_errmsg(c->db) : "out of memory");
		conn_close(c);
		return NULL;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, s->opt.busy_timeout_ms);
	/* Exclusive: first, before anything reads the file (PRAGMA synchronous does), so the
	   connection must take an exclusive lock, refused while another holds its shared lock. */
	snprintf(pragmas, sizeof pragmas,
	         "%sPRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;%s",
	         !reader && s->opt.exclusive ? "PRAGMA locking_mode=EXCLUSIVE; " : "",
	         reader ? " PRAGMA query_only=1;" : "");
	if (!reader && s->opt.bulk_load) {
		size_t at = strlen(pragmas);

		/* Foreign keys off: an enforced reference makes SQLite open a statement journal for
		   every INSERT (a copy of each page it changes, freed at the statement's end). */
		snprintf(pragmas + at, sizeof pragmas - at,
		         " PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=%d; PRAGMA "
		         "foreign_keys=OFF;",
		         STORE_BULK_CACHE_MIB * 1024, STORE_BULK_CHECKPOINT_PAGES);
	}
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		if (s->opt.exclusive && (sqlite3_errcode(c->db) & 0xff) == SQLITE_BUSY)
			snprintf(err, errlen, "%s is in use by another process", s->path);
		else
			snprintf(err, errlen, "cannot configure %s: %s", s->path,
			         sqlite3_errmsg(c->db));
		conn_close(c);
		return NULL;
	}
	/* Name search (store/fts_cjk.h): the tokenizer must exist before any statement reads a
	   table declared with it. */
	if (fts_cjk_register(c->db) < 0) {
		snprintf(err, errlen, "cannot register the name search tokenizer: %s",
		         sqlite3_errmsg(c->db));
		conn_close(c);
		return NULL;
	}
	return c;
}

int store_exec(struct store_conn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		log_error("store.exec", "error=\"%s\"", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc_from_sqlite(rc);
}

int64_t store_last_insert_id(struct store_conn *c)
{
	return (int64_t)sqlite3_last_insert_rowid(c->db);
}

int store_changes(struct store_conn *c)
{
	return sqlite3_changes(c->db);
}

const char *store_errmsg(struct store_conn *c)
{
	return sqlite3_errmsg(c->db);
}

static unsigned hash_sql(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct store_stmt *store_prepare(struct store_conn *c, const char *sql)
{
	unsigned h = hash_sql(sql);
	struct store_stmt **slot = &c->slots[h % STMT_SLOTS], *st;
	sqlite3_stmt *raw = NULL;

	for (st = *slot; st; st = st->next) {
		if (st->hash == h && strcmp(st->sql, sql) == 0) {
			sqlite3_reset(st->st);
			sqlite3_clear_bindings(st->st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, NULL) !=
	    SQLITE_OK) {
		log_error("store.prepare", "error=\"%s\"", sqlite3_errmsg(c->db));
		return NULL;
	}
	st = calloc(1, sizeof *st);
	if (!st || !(st->sql = strdup(sql))) {
		free(st);
		sqlite3_finalize(raw);
		return NULL;
	}
	st->st = raw;
	st->hash = h;
	st->next = *slot;
	*slot = st;
	return st;
}

int store_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
	return rc_from_sqlite(sqlite3_bind_int64(st->st, idx, v));
}

int store_bind_double(struct store_stmt *st, int idx, double v)
{
	return rc_from_sqlite(sqlite3_bind_double(st->st, idx, v));
}

int store_bind_text(struct store_stmt *st, int idx, const char *s, int len)
{
	if (!s)
		return rc_from_sqlite(sqlite3_bind_null(st->st, idx));
	return rc_from_sqlite(sqlite3_bind_text(st->st, idx, s, len, SQLITE_TRANSIENT));
}

int store_bind_blob(struct store_stmt *st, int idx, const void *p, int len)
{
	if (!p)
		return rc_from_sqlite(sqlite3_bind_null(st->st, idx));
	return rc_from_sqlite(sqlite3_bind_blob(st->st, idx, p, len, SQLITE_TRANSIENT));
}

int store_bind_null(struct store_stmt *st, int idx)
{
	return rc_from_sqlite(sqlite3_bind_null(st->st, idx));
}

int store_step(struct store_stmt *st)
{
	int rc = sqlite3_step(st->st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_debug("store.step", "rc=%d error=\"%s\"", rc,
		          sqlite3_errmsg(sqlite3_db_handle(st->st)));
	return rc_from_sqlite(rc);
}

int64_t store_col_int64(struct store_stmt *st, int col)
{
	return (int64_t)sqlite3_column_int64(st->st, col);
}

double store_col_double(struct store_stmt *st, int col)
{
	return sqlite3_column_double(st->st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st->st, col);
}

const void *store_col_blob(struct store_stmt *st, int col, int *len)
{
	const void *p = sqlite3_column_blob(st->st, col);

	*len = sqlite3_column_bytes(st->st, col);
	return p;
}

int store_col_is_null(struct store_stmt *st, int col)
{
	return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

int store_col_count(struct store_stmt *st)
{
	return sqlite3_column_count(st->st);
}

void store_reset(struct store_stmt *st)
{
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
}

int store_schema_latest(void)
{
	return store_migration_count ? store_migrations[store_migration_count - 1].version : 0;
}

int store_schema_version(struct store_conn *c)
{
	struct store_stmt *st;
	int v = -1;

	/* One statement, so /healthz costs one read transaction. The table exists from the first
	   open on (migrate creates it before anything else); a database without it is not ours. */
	st = store_prepare(c, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (!st)
		return -1;
	if (store_step(st) == STORE_ROW)
		v = (int)store_col_int64(st, 0);
	store_reset(st);
	return v;
}

static int migrate(struct store_conn *c, char *err, size_t errlen)
{
	int current;

	if (store_exec(c, "CREATE TABLE IF NOT EXISTS schema_version ("
	                  " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER "
	                  "NOT NULL)"))
		goto fail;
	current = store_schema_version(c);
	if (current < 0)
		goto fail;
	if (current > store_schema_latest()) {
		snprintf(err, errlen, "database schema %d is newer than this binary knows (%d)",
		         current, store_schema_latest());
		return -1;
	}
	for (int i = 0; i < store_migration_count; i++) {
		const struct migration *m = &store_migrations[i];
		struct store_stmt *st;

		if (m->version <= current)
			continue;
		if (store_exec(c, "BEGIN IMMEDIATE"))
			goto fail;
		if (store_exec(c, m->sql))
			goto rollback;
		st = store_prepare(c, "INSERT INTO schema_version (version, name, applied_at) "
		                      "VALUES (?, ?, strftime('%s','now'))");
		if (!st)
			goto rollback;
		store_bind_int64(st, 1, m->version);
		store_bind_text(st, 2, m->name, -1);
		if (store_step(st) != STORE_DONE) {
			store_reset(st);
			goto rollback;
		}
		store_reset(st);
		if (store_exec(c, "COMMIT"))
			goto rollback;
		log_info("store.migrated", "version=%d name=%s", m->version, m->name);
		continue;
	rollback:
		snprintf(err, errlen, "migration %s failed: %s", m->name, sqlite3_errmsg(c->db));
		store_exec(c, "ROLLBACK");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "migration failed: %s", sqlite3_errmsg(c->db));
	return -1;
}

/* Runs one batch: BEGIN, each write in its savepoint, COMMIT; a write alone (store_write_alone)
   without the savepoint, its failure rolling the transaction back. Sets every request's rc. */
static void run_batch(struct store *s, struct write_req *batch)
{
	struct store_conn *c = s->writer;
	int ok = store_exec(c, "BEGIN IMMEDIATE") == STORE_OK;

	if (ok && batch->alone) {
		batch->rc = batch->fn(c, batch->ctx);
		if (batch->rc != 0) {
			store_exec(c, "ROLLBACK");
			ok = 0; /* nothing committed; the write's own rc is handed back */
			goto count;
		}
	}
	for (struct write_req *r = batch; r && !batch->alone; r = r->next) {
		if (!ok) {
			r->rc = STORE_ERR;
			continue;
		}
		if (store_exec(c, "SAVEPOINT w") != STORE_OK) {
			r->rc = STORE_ERR;
			continue;
		}
		r->rc = r->fn(c, r->ctx);
		if (r->rc != 0)
			store_exec(c, "ROLLBACK TO w");
		store_exec(c, "RELEASE w");
	}
	if (ok && store_exec(c, "COMMIT") != STORE_OK) {
		log_error("store.commit_failed", "error=\"%s\"", sqlite3_errmsg(c->db));
		store_exec(c, "ROLLBACK");
		ok = 0;
	}
	for (struct write_req *r = batch; r; r = r->next)
		if (!ok)
			r->rc = STORE_ERR;
count:
	pthread_mutex_lock(&s->lock);
	if (ok)
		s->stats.commits++;
	for (struct write_req *r = batch; r; r = r->next) {
		s->stats.writes++;
		if (r->rc == STORE_ERR)
			s->stats.failed++;
	}
	pthread_mutex_unlock(&s->lock);
}

static void *writer_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct write_req *batch, *last;
		int n = 1;

		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->queued, &s->lock);
		if (!s->head)
			break;
		batch = last = s->head;
		/* A write alone is a batch of one; others never join it. */
		while (!batch->alone && last->next && !last->next->alone && n < s->opt.max_batch) {
			last = last->next;
			n++;
		}
		s->head = last->next;
		if (!s->head)
			s->tail = NULL;
		s->stats.queued -= (uint64_t)n;
		last->next = NULL;
		pthread_mutex_unlock(&s->lock);

		run_batch(s, batch);

		pthread_mutex_lock(&s->lock);
		for (struct write_req *r = batch, *next; r; r = next) {
			next = r->next; /* r lives on its caller's stack: read next before waking it
			                 */
			r->done = 1;
			pthread_cond_signal(&r->done_cv);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int queue_write(struct store *s, store_write_fn fn, void *ctx, int alone)
{
	struct write_req req = { .fn = fn, .ctx = ctx, .alone = alone };

	if (s->opt.readonly)
		return STORE_ERR;
	pthread_cond_init(&req.done_cv, NULL);
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		pthread_cond_destroy(&req.done_cv);
		return STORE_ERR;
	}
	if (s->tail)
		s->tail->next = &req;
	else
		s->head = &req;
	s->tail = &req;
	s->stats.queued++;
	pthread_cond_signal(&s->queued);
	while (!req.done)
		pthread_cond_wait(&req.done_cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&req.done_cv);
	return req.rc;
}

int store_write(struct store *s, store_write_fn fn, void *ctx)
{
	return queue_write(s, fn, ctx, 0);
}

int store_write_alone(struct store *s, store_write_fn fn, void *ctx)
{
	return queue_write(s, fn, ctx, 1);
}

int store_open(const struct store_options *o, struct store **out, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s || !(s->path = strdup(o->path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->opt = *o;
	s->opt.path = s->path;
	if (s->opt.max_batch < 1)
		s->opt.max_batch = 1;
	s->id = atomic_fetch_add(&store_next_id, 1);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->queued, NULL);
	s->writer = conn_open(s, 0, err, errlen);
	if (!s->writer)
		goto fail;
	if (!s->opt.readonly) {
		if (store_exec(s->writer, "PRAGMA journal_mode=WAL") != STORE_OK) {
			snprintf(err, errlen, "cannot switch %s to WAL: %s", s->path,
			         sqlite3_errmsg(s->writer->db));
			goto fail;
		}
		if (migrate(s->writer, err, errlen) < 0)
			goto fail;
		if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
			snprintf(err, errlen, "cannot start writer thread");
			goto fail;
		}
		s->writer_started = 1;
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	struct store_conn *r, *next;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->queued);
	pthread_mutex_unlock(&s->lock);
	if (s->writer_started)
		pthread_join(s->writer_thread, NULL);
	for (r = s->readers; r; r = next) {
		next = r->next_reader;
		conn_close(r);
	}
	for (unsigned i = 0; i < sizeof tl_readers / sizeof tl_readers[0]; i++)
		if (tl_readers[i].store_id == s->id)
			tl_readers[i] = (struct reader_slot){ 0 };
	conn_close(s->writer);
	pthread_cond_destroy(&s->queued);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

struct store_conn *store_reader(struct store *s)
{
	unsigned n = sizeof tl_readers / sizeof tl_readers[0], free_slot = n;
	struct store_conn *c;
	char err[256];

	for (unsigned i = 0; i < n; i++) {
		if (tl_readers[i].store_id == s->id)
			return tl_readers[i].conn;
		if (tl_readers[i].store_id == 0 && free_slot == n)
			free_slot = i;
	}
	c = conn_open(s, 1, err, sizeof err);
	if (!c) {
		log_error("store.reader_open", "error=\"%s\"", err);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	c->next_reader = s->readers;
	s->readers = c;
	pthread_mutex_unlock(&s->lock);
	/* A thread that outlived a closed store keeps a stale slot id; reuse the first slot then.
	 */
	if (free_slot == n)
		free_slot = 0;
	tl_readers[free_slot] = (struct reader_slot){ .store_id = s->id, .conn = c };
	return c;
}

void store_stats(struct store *s, struct store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

int store_check(struct store *s, struct buf *report)
{
	struct store_conn *c = s->writer;
	struct store_stmt *st;
	int findings = 0, v, rc;

	st = store_prepare(c, "PRAGMA integrity_check");
	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *line = store_col_text(st, 0);
		if (line && strcmp(line, "ok") != 0) {
			buf_printf(report, "integrity: %s\n", line);
			findings++;
		}
	}
	if (rc != STORE_DONE) {
		/* SQLite stops the walk at a page it cannot read: that is a finding too, and
		   the lines already gathered must not be lost behind a bare -1. */
		buf_printf(report, "integrity: check stopped: %s\n", sqlite3_errmsg(c->db));
		store_reset(st);
		return findings + 1;
	}
	store_reset(st);
	st = store_prepare(c, "PRAGMA foreign_key_check");
	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		buf_printf(report, "foreign key: table %s row %lld refers to missing %s\n",
		           store_col_text(st, 0), (long long)store_col_int64(st, 1),
		           store_col_text(st, 2));
		findings++;
	}
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	v = store_schema_version(c);
	if (v != store_schema_latest()) {
		buf_printf(report, "schema: database is at version %d, this binary expects %d\n", v,
		           store_schema_latest());
		findings++;
	}
	return findings;
}
