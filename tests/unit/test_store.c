/*
 * Unit tests for store/ with the SQLite backend, each on a fresh database in its own temporary
 * folder: migrations and their idempotence, statements and the statement cache, constraint errors,
 * the group-commit writer (one failing write rolls back only itself; concurrent writes really
 * share commits; max_batch 1 turns grouping off), the integrity check and its findings, read-only
 * opens, and per-thread readers across several stores. The internal `probe` table of migration 001
 * is the test table.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/log.h"
#include "store/migrate.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof f->db, "%s/test.db", f->dir);
	*state = f;
	return 0;
}

/* Removes every file the test may have left (db, -wal, -shm, extra databases) and the folder. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {
		"test.db",  "test.db-wal", "test.db-shm", "test.db-journal", "a.db", "a.db-wal",
		"a.db-shm", "b.db",        "b.db-wal",    "b.db-shm",        "c.db", "c.db-wal",
		"c.db-shm", "d.db",        "d.db-wal",    "d.db-shm",        "e.db", "e.db-wal",
		"e.db-shm"
	};
	char p[256];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static struct store *open_store(const char *path, int max_batch, int readonly)
{
	struct store_options o;
	struct store *s = NULL;
	char err[256] = "";

	store_options_default(&o, path);
	if (max_batch)
		o.max_batch = max_batch;
	o.readonly = readonly;
	if (store_open(&o, &s, err, sizeof err) != 0)
		print_message("store_open %s: %s\n", path, err);
	assert_non_null(s);
	return s;
}

/* A write that inserts key into probe and then returns ret (non-zero asks for a rollback). */
struct put {
	const char *key;
	int ret;
	int64_t id;
	int changes;
};

static int put_fn(struct store_conn *c, void *arg)
{
	struct put *p = arg;
	struct store_stmt *st =
	        store_prepare(c, "INSERT INTO probe (key, created_at) VALUES (?, ?)");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, p->key, -1);
	store_bind_int64(st, 2, 1700000000);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc;
	p->id = store_last_insert_id(c);
	p->changes = store_changes(c);
	return p->ret;
}

static int put(struct store *s, const char *key)
{
	struct put p = { .key = key };
	return store_write(s, put_fn, &p);
}

/* Number of probe rows with this key, or of all rows when key is NULL; read on this thread. */
static int64_t count_rows(struct store *s, const char *key)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int64_t n = -1;

	assert_non_null(c);
	st = store_prepare(c, key ? "SELECT count(*) FROM probe WHERE key = ?"
	                          : "SELECT count(*) FROM probe");
	assert_non_null(st);
	if (key)
		store_bind_text(st, 1, key, -1);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

static int64_t query_int(struct store_conn *c, const char *sql)
{
	struct store_stmt *st = store_prepare(c, sql);
	int64_t v;

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	v = store_col_int64(st, 0);
	store_reset(st);
	return v;
}

/* ---- migrations ----------------------------------------------------------------------------- */

static int pragma_fn(struct store_conn *c, void *arg)
{
	int64_t *out = arg;

	out[0] = query_int(c, "PRAGMA synchronous");
	out[1] = query_int(c, "PRAGMA foreign_keys");
	return 0;
}

static void test_open_migrates(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int64_t pragmas[2] = { -1, -1 };

	assert_non_null(c);
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_latest(),
	                 store_migrations[store_migration_count - 1].version);
	assert_int_equal(store_schema_version(c), store_schema_latest());
	assert_int_equal(query_int(c, "SELECT count(*) FROM schema_version"),
	                 store_migration_count);
	assert_int_equal(query_int(c, "SELECT count(*) FROM sqlite_master WHERE name = 'probe'"),
	                 1);
	/* Version numbers are strictly increasing in the embedded list. */
	for (int i = 1; i < store_migration_count; i++)
		assert_true(store_migrations[i].version > store_migrations[i - 1].version);
	/* The settings durability depends on. */
	st = store_prepare(c, "PRAGMA journal_mode");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "wal");
	store_reset(st);
	assert_int_equal(query_int(c, "PRAGMA foreign_keys"), 1);
	assert_int_equal(store_write(s, pragma_fn, pragmas), 0);
	assert_int_equal(pragmas[0], 2); /* FULL */
	assert_int_equal(pragmas[1], 1);
	/* Readers are read-only. */
	assert_int_equal(store_exec(c, "DELETE FROM probe"), STORE_ERR);
	store_close(s);
}

static void test_reopen_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	int64_t applied_at;

	assert_int_equal(put(s, "kept"), 0);
	applied_at = query_int(store_reader(s), "SELECT applied_at FROM schema_version WHERE "
	                                        "version = 1");
	store_close(s);
	for (int i = 0; i < 3; i++) {
		s = open_store(f->db, 0, 0);
		assert_int_equal(store_schema_version(store_reader(s)), store_schema_latest());
		assert_int_equal(query_int(store_reader(s), "SELECT count(*) FROM schema_version"),
		                 store_migration_count);
		/* Migration 1 was not applied again. */
		assert_int_equal(query_int(store_reader(s), "SELECT applied_at FROM schema_version "
		                                            "WHERE version = 1"),
		                 applied_at);
		assert_int_equal(count_rows(s, "kept"), 1);
		assert_int_equal(count_rows(s, NULL), 1);
		store_close(s);
	}
	store_close(NULL); /* allowed */
}

static int bump_schema_fn(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_exec(c, "INSERT INTO schema_version (version, name, applied_at) "
	                     "VALUES (999, '999_from_the_future', 0)");
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct store_options o;
	char err[256] = "";

	assert_int_equal(store_write(s, bump_schema_fn, NULL), 0);
	store_close(s);
	store_options_default(&o, f->db);
	s = (struct store *)&o; /* must be reset to NULL on failure */
	assert_int_equal(store_open(&o, &s, err, sizeof err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "newer"));
}

static void test_open_failure(void **state)
{
	struct fixture *f = *state;
	struct store_options o;
	struct store *s = NULL;
	char path[256], err[256] = "";

	snprintf(path, sizeof path, "%s/no/such/dir/x.db", f->dir);
	store_options_default(&o, path);
	assert_int_equal(store_open(&o, &s, err, sizeof err), -1);
	assert_null(s);
	assert_true(strlen(err) > 0);
	/* A file that is not a database. */
	{
		FILE *fp = fopen(f->db, "w");
		assert_non_null(fp);
		for (int i = 0; i < 200; i++)
			fputs("this is not an sqlite database at all\n", fp);
		fclose(fp);
	}
	store_options_default(&o, f->db);
	err[0] = '\0';
	assert_int_equal(store_open(&o, &s, err, sizeof err), -1);
	assert_null(s);
	assert_true(strlen(err) > 0);
}

/* ---- statements ----------------------------------------------------------------------------- */

static void test_statements(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct store_conn *c = store_reader(s);
	struct store_stmt *st, *again;
	struct put p = { .key = "alpha" };
	const void *blob;
	int len;

	/* Inserts report their row id and change count. */
	assert_int_equal(store_write(s, put_fn, &p), 0);
	assert_true(p.id > 0);
	assert_int_equal(p.changes, 1);
	assert_int_equal(put(s, "beta"), 0);

	st = store_prepare(c, "SELECT ?, ?, ?, ?, ?, ?");
	assert_non_null(st);
	assert_int_equal(store_col_count(st), 6);
	assert_int_equal(store_bind_int64(st, 1, INT64_MIN), STORE_OK);
	assert_int_equal(store_bind_double(st, 2, 2.5), STORE_OK);
	assert_int_equal(store_bind_text(st, 3, "hello world", 5), STORE_OK);
	assert_int_equal(store_bind_blob(st, 4, "\0\1\2", 3), STORE_OK);
	assert_int_equal(store_bind_null(st, 5), STORE_OK);
	assert_int_equal(store_bind_text(st, 6, NULL, -1), STORE_OK);
	/* Out-of-range bind index is an error, not a crash. */
	assert_true(store_bind_int64(st, 7, 1) < 0);
	assert_true(store_bind_int64(st, 0, 1) < 0);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), INT64_MIN);
	assert_true(store_col_double(st, 1) == 2.5);
	assert_string_equal(store_col_text(st, 2), "hello");
	blob = store_col_blob(st, 3, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(blob, "\0\1\2", 3);
	assert_true(store_col_is_null(st, 4));
	assert_false(store_col_is_null(st, 0));
	assert_null(store_col_text(st, 5));
	assert_int_equal(store_step(st), STORE_DONE);

	/* The cache hands back the same statement, reset and with its bindings cleared. */
	again = store_prepare(c, "SELECT ?, ?, ?, ?, ?, ?");
	assert_ptr_equal(again, st);
	assert_int_equal(store_step(again), STORE_ROW);
	assert_true(store_col_is_null(again, 0));
	store_reset(again);

	/* Iterating rows; a half-read statement is reset by the next prepare of the same SQL. */
	st = store_prepare(c, "SELECT key FROM probe ORDER BY key");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "alpha");
	st = store_prepare(c, "SELECT key FROM probe ORDER BY key");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "alpha");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "beta");
	assert_int_equal(store_step(st), STORE_DONE);
	store_reset(st);

	/* Bad SQL gives NULL and a message, and does not poison the cache. */
	assert_null(store_prepare(c, "SELEC nothing"));
	assert_true(strlen(store_errmsg(c)) > 0);
	assert_null(store_prepare(c, "SELECT * FROM no_such_table"));
	assert_int_equal(query_int(c, "SELECT 41 + 1"), 42);
	/* Many distinct statements (more than the cache's slot count) all stay usable. */
	for (int i = 0; i < 600; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT %d", i);
		assert_int_equal(query_int(c, sql), i);
	}
	assert_int_equal(query_int(c, "SELECT 7"), 7);
	store_close(s);
}

static void test_constraint(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct store_stats st;

	assert_int_equal(put(s, "dup"), 0);
	assert_int_equal(put(s, "dup"), STORE_CONSTRAINT);
	/* NOT NULL is a constraint too. */
	assert_int_equal(put(s, NULL), STORE_CONSTRAINT);
	/* The writer carries on normally afterwards. */
	assert_int_equal(put(s, "after"), 0);
	assert_int_equal(count_rows(s, "dup"), 1);
	assert_int_equal(count_rows(s, NULL), 2);
	store_stats(s, &st);
	assert_int_equal(st.writes, 4);
	assert_int_equal(st.failed, 0); /* a refused write is not a failed commit */
	store_close(s);
}

/* ---- the writer ----------------------------------------------------------------------------- */

/* The gate holds the writer inside the first write while the test queues the next ones, so
   that those form one batch. gate_entered tells the test that the writer is inside. */
static sem_t gate, gate_entered;

static int gate_fn(struct store_conn *c, void *arg)
{
	struct put *p = arg;

	sem_post(&gate_entered);
	while (sem_wait(&gate) != 0)
		;
	return put_fn(c, p);
}

struct writer_arg {
	struct store *s;
	store_write_fn fn;
	void *ctx;
	int rc;
	int alone; /* store_write_alone */
};

static void *writer_thread(void *arg)
{
	struct writer_arg *w = arg;

	w->rc = w->alone ? store_write_alone(w->s, w->fn, w->ctx)
	                 : store_write(w->s, w->fn, w->ctx);
	return NULL;
}

/* Waits until n writes wait in the store's queue. The queue is only observable through the
   stats, so this yields in a loop; it orders on the event itself, not on a guess of how long it
   takes, and a write that never arrives fails the test by its timeout instead of passing it. */
static void wait_queued(struct store *s, uint64_t n)
{
	struct store_stats st;

	for (;;) {
		store_stats(s, &st);
		if (st.queued == n)
			return;
		sched_yield();
	}
}

static void test_rollback_only_itself(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct put pg = { .key = "gate" }, pa = { .key = "a" }, pb = { .key = "b", .ret = 7 },
	           pc = { .key = "c" }, pd = { .key = "gate" }, pe = { .key = "e", .ret = -1 };
	struct writer_arg w[6] = {
		{ s, gate_fn, &pg, 99, 0 }, { s, put_fn, &pa, 99, 0 }, { s, put_fn, &pb, 99, 0 },
		{ s, put_fn, &pc, 99, 0 },  { s, put_fn, &pd, 99, 0 }, { s, put_fn, &pe, 99, 0 },
	};
	pthread_t t[6];
	struct store_stats before, after;

	assert_int_equal(sem_init(&gate, 0, 0), 0);
	assert_int_equal(sem_init(&gate_entered, 0, 0), 0);
	store_stats(s, &before);
	assert_int_equal(pthread_create(&t[0], NULL, writer_thread, &w[0]), 0);
	while (sem_wait(&gate_entered) != 0)
		; /* the writer is now inside gate_fn, its batch of one taken off the queue */
	for (int i = 1; i < 6; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
		wait_queued(s, (uint64_t)i); /* queued in this order, behind the gate */
	}
	sem_post(&gate);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	store_stats(s, &after);
	assert_int_equal(after.queued, 0);

	assert_int_equal(w[0].rc, 0);
	assert_int_equal(w[1].rc, 0);
	assert_int_equal(w[2].rc, 7); /* the fn's own value comes back */
	assert_int_equal(w[3].rc, 0);
	assert_int_equal(w[4].rc, STORE_CONSTRAINT); /* duplicate of "gate" */
	assert_int_equal(w[5].rc, -1);
	assert_int_equal(count_rows(s, "gate"), 1);
	assert_int_equal(count_rows(s, "a"), 1);
	assert_int_equal(count_rows(s, "b"), 0); /* inserted, then rolled back */
	assert_int_equal(count_rows(s, "c"), 1);
	assert_int_equal(count_rows(s, "e"), 0);
	assert_int_equal(count_rows(s, NULL), 3);
	/* The five queued writes shared one transaction: two commits for six writes. */
	assert_int_equal(after.writes - before.writes, 6);
	assert_int_equal(after.commits - before.commits, 2);
	sem_destroy(&gate);
	sem_destroy(&gate_entered);
	store_close(s);
}

/* A write alone is a transaction of its own: the writes queued before it commit without it,
   those after it wait, and its failure rolls back all it did (no savepoint needed). */
static void test_write_alone(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct put pg = { .key = "gate" }, pa = { .key = "a" }, px = { .key = "x" },
	           pb = { .key = "b" }, py = { .key = "y", .ret = 7 }, pc = { .key = "c" };
	struct writer_arg w[6] = {
		{ s, gate_fn, &pg, 99, 0 }, { s, put_fn, &pa, 99, 0 }, { s, put_fn, &px, 99, 1 },
		{ s, put_fn, &pb, 99, 0 },  { s, put_fn, &py, 99, 1 }, { s, put_fn, &pc, 99, 0 },
	};
	pthread_t t[6];
	struct store_stats before, after;

	assert_int_equal(sem_init(&gate, 0, 0), 0);
	assert_int_equal(sem_init(&gate_entered, 0, 0), 0);
	store_stats(s, &before);
	assert_int_equal(pthread_create(&t[0], NULL, writer_thread, &w[0]), 0);
	while (sem_wait(&gate_entered) != 0)
		;
	for (int i = 1; i < 6; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
		wait_queued(s, (uint64_t)i);
	}
	sem_post(&gate);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	store_stats(s, &after);
	assert_int_equal(w[2].rc, 0);
	assert_int_equal(w[4].rc, 7); /* the fn's own value comes back */
	assert_int_equal(count_rows(s, "x"), 1);
	assert_int_equal(count_rows(s, "y"), 0); /* inserted, then the transaction rolled back */
	assert_int_equal(count_rows(s, NULL), 5);
	/* gate | a | x alone | b | y alone, rolled back | c: five commits, not the two of a
	   shared batch. */
	assert_int_equal(after.commits - before.commits, 5);
	assert_int_equal(after.writes - before.writes, 6);
	sem_destroy(&gate);
	sem_destroy(&gate_entered);
	store_close(s);
}

#define GC_THREADS 32
#define GC_WRITES 50

struct gc_arg {
	struct store *s;
	int thread;
	atomic_int *failures;
};

static void *gc_thread(void *arg)
{
	struct gc_arg *a = arg;
	char key[32];

	for (int i = 0; i < GC_WRITES; i++) {
		snprintf(key, sizeof key, "t%02d-w%03d", a->thread, i);
		if (put(a->s, key) != 0)
			atomic_fetch_add(a->failures, 1);
	}
	return NULL;
}

static void run_concurrent(struct store *s, int threads, atomic_int *failures)
{
	pthread_t t[GC_THREADS];
	struct gc_arg a[GC_THREADS];

	for (int i = 0; i < threads; i++) {
		a[i] = (struct gc_arg){ s, i, failures };
		assert_int_equal(pthread_create(&t[i], NULL, gc_thread, &a[i]), 0);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
}

static void test_group_commit(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	atomic_int failures = 0;
	struct store_stats st;

	run_concurrent(s, GC_THREADS, &failures);
	store_stats(s, &st);
	print_message("group commit: %llu writes in %llu commits\n", (unsigned long long)st.writes,
	              (unsigned long long)st.commits);
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(st.writes, GC_THREADS * GC_WRITES);
	assert_int_equal(st.failed, 0);
	assert_true(st.commits < st.writes);
	assert_true(st.commits > 0);
	/* Every acknowledged write is there, exactly once. */
	assert_int_equal(count_rows(s, NULL), GC_THREADS * GC_WRITES);
	assert_int_equal(query_int(store_reader(s), "SELECT count(DISTINCT key) FROM probe"),
	                 GC_THREADS * GC_WRITES);
	assert_int_equal(count_rows(s, "t00-w000"), 1);
	assert_int_equal(count_rows(s, "t31-w049"), 1);
	store_close(s);
	/* And still there after reopening. */
	s = open_store(f->db, 0, 0);
	assert_int_equal(count_rows(s, NULL), GC_THREADS * GC_WRITES);
	store_close(s);
}

static void test_max_batch_one(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 1, 0);
	atomic_int failures = 0;
	struct store_stats st;

	run_concurrent(s, 8, &failures);
	store_stats(s, &st);
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(st.writes, 8 * GC_WRITES);
	assert_int_equal(st.commits, st.writes);
	assert_int_equal(count_rows(s, NULL), 8 * GC_WRITES);
	store_close(s);
}

/* ---- check ---------------------------------------------------------------------------------- */

static void test_check_healthy_and_schema(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct buf report;

	buf_init(&report, 1 << 20);
	assert_int_equal(put(s, "x"), 0);
	assert_int_equal(store_check(s, &report), 0);
	assert_int_equal(report.len, 0);
	/* A schema_version the binary does not know is a finding. */
	assert_int_equal(store_write(s, bump_schema_fn, NULL), 0);
	assert_int_equal(store_check(s, &report), 1);
	assert_non_null(strstr(report.data, "schema"));
	assert_non_null(strstr(report.data, "999"));
	store_close(s);
	/* The read-only open used by `wangge check` reports the same. */
	buf_reset(&report);
	s = open_store(f->db, 0, 1);
	assert_int_equal(store_check(s, &report), 1);
	assert_non_null(strstr(report.data, "schema"));
	store_close(s);
	buf_release(&report);
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		print_message("sqlite: %s\n", msg);
	assert_null(msg);
	sqlite3_close(db);
}

static void test_check_foreign_key(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct buf report;

	store_close(s);
	/* Behind the store's back, with enforcement off, leave an orphan row. */
	raw_exec(f->db, "PRAGMA foreign_keys=OFF;"
	                "CREATE TABLE fk_parent (id INTEGER PRIMARY KEY);"
	                "CREATE TABLE fk_child (id INTEGER PRIMARY KEY,"
	                " parent INTEGER NOT NULL REFERENCES fk_parent (id));"
	                "INSERT INTO fk_parent VALUES (1);"
	                "INSERT INTO fk_child VALUES (10, 1), (11, 42);");
	buf_init(&report, 1 << 20);
	s = open_store(f->db, 0, 1);
	assert_int_equal(store_check(s, &report), 1);
	assert_non_null(strstr(report.data, "foreign key"));
	assert_non_null(strstr(report.data, "fk_child"));
	assert_non_null(strstr(report.data, "row 11"));
	assert_null(strstr(report.data, "row 10"));
	store_close(s);
	/* A read-write open reports it too. */
	buf_reset(&report);
	s = open_store(f->db, 0, 0);
	assert_int_equal(store_check(s, &report), 1);
	assert_non_null(strstr(report.data, "fk_child"));
	store_close(s);
	buf_release(&report);
}

static int orphan_fn(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_exec(c, "INSERT INTO fk_child VALUES (12, 4242)");
}

static void test_foreign_keys_enforced(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);

	store_close(s);
	raw_exec(f->db, "CREATE TABLE fk_parent (id INTEGER PRIMARY KEY);"
	                "CREATE TABLE fk_child (id INTEGER PRIMARY KEY,"
	                " parent INTEGER NOT NULL REFERENCES fk_parent (id));");
	s = open_store(f->db, 0, 0);
	assert_int_equal(store_write(s, orphan_fn, NULL), STORE_CONSTRAINT);
	assert_int_equal(query_int(store_reader(s), "SELECT count(*) FROM fk_child"), 0);
	store_close(s);
}

static void test_check_corruption(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct buf report;
	struct stat sb;
	char key[64];
	FILE *fp;
	int findings;

	for (int i = 0; i < 400; i++) {
		snprintf(key, sizeof key, "row-%04d-padding-padding-padding", i);
		assert_int_equal(put(s, key), 0);
	}
	store_close(s); /* the last close checkpoints the WAL into the main file */
	assert_int_equal(stat(f->db, &sb), 0);
	assert_true(sb.st_size > 8 * 4096);
	/* Garbage over the middle of the file (never page 1, so it still opens). */
	fp = fopen(f->db, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, sb.st_size / 2, SEEK_SET), 0);
	for (int i = 0; i < 3000; i++)
		fputc((i * 37 + 11) & 0xff, fp);
	fclose(fp);
	buf_init(&report, 1 << 20);
	s = open_store(f->db, 0, 1);
	findings = store_check(s, &report);
	print_message("corrupted: %d finding(s): %.200s\n", findings, report.data);
	/* Regression: integrity_check printed a line and then failed with SQLITE_CORRUPT, and
	   store_check answered -1 ("could not run") and dropped what it had found. */
	assert_true(findings > 0);
	assert_non_null(strstr(report.data, "integrity"));
	store_close(s);
	buf_release(&report);
}

/* ---- read-only and readers ------------------------------------------------------------------ */

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	struct store_options o;
	char path[256], err[256] = "";
	struct store *ro = NULL;

	assert_int_equal(put(s, "before"), 0);
	store_close(s);
	s = open_store(f->db, 0, 1);
	assert_int_equal(put(s, "refused"), STORE_ERR);
	assert_int_equal(count_rows(s, NULL), 1);
	assert_int_equal(count_rows(s, "before"), 1);
	store_close(s);
	s = open_store(f->db, 0, 0);
	assert_int_equal(count_rows(s, "refused"), 0);
	store_close(s);

	/* A read-only open never creates a file. */
	snprintf(path, sizeof path, "%s/e.db", f->dir);
	store_options_default(&o, path);
	o.readonly = 1;
	assert_int_equal(store_open(&o, &ro, err, sizeof err), -1);
	assert_null(ro);
	assert_true(strlen(err) > 0);
	assert_int_equal(access(path, F_OK), -1);
}

/* Readers are cached per thread per store; several stores on one thread, and a store opened at
   the address of a closed one, must each read their own database. */
static void test_readers_many_stores(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	struct store *s[5];
	char path[256];

	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s.db", f->dir, names[i]);
		s[i] = open_store(path, 0, 0);
		assert_int_equal(put(s[i], names[i]), 0);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 5; i++) {
			assert_int_equal(count_rows(s[i], names[i]), 1);
			assert_int_equal(count_rows(s[i], NULL), 1);
		}
	}
	for (int i = 0; i < 5; i++)
		store_close(s[i]);
	/* Reopen in another order: stale thread-local slots must not be reused by id. */
	for (int i = 4; i >= 0; i--) {
		snprintf(path, sizeof path, "%s/%s.db", f->dir, names[i]);
		s[i] = open_store(path, 0, 0);
		assert_int_equal(count_rows(s[i], names[i]), 1);
		assert_int_equal(count_rows(s[i], NULL), 1);
		store_close(s[i]);
	}
}

static void *reader_thread(void *arg)
{
	struct store *s = arg;
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	intptr_t n = -1;

	if (c && (st = store_prepare(c, "SELECT count(*) FROM probe")) &&
	    store_step(st) == STORE_ROW) {
		n = (intptr_t)store_col_int64(st, 0);
		store_reset(st);
	}
	/* Each thread has its own connection. */
	if (c == store_reader(s))
		return (void *)n;
	return (void *)(intptr_t)-2;
}

static void test_reader_per_thread(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f->db, 0, 0);
	pthread_t t[4];
	void *res;
	struct store_conn *mine;

	assert_int_equal(put(s, "one"), 0);
	assert_int_equal(put(s, "two"), 0);
	mine = store_reader(s);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader_thread, s), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &res);
		assert_int_equal((intptr_t)res, 2);
	}
	assert_ptr_equal(store_reader(s), mine);
	/* A reader sees writes committed after it was opened. */
	assert_int_equal(put(s, "three"), 0);
	assert_int_equal(count_rows(s, NULL), 3);
	store_close(s); /* closes the other threads' readers too (ASan would report a leak) */
}

int main(void)
{
	log_set_level(LOG_WARN); /* migrations log at info; keep the output to what matters */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_migrates),
		T(test_reopen_idempotent),
		T(test_newer_schema_refused),
		T(test_open_failure),
		T(test_statements),
		T(test_constraint),
		T(test_rollback_only_itself),
		T(test_write_alone),
		T(test_group_commit),
		T(test_max_batch_one),
		T(test_check_healthy_and_schema),
		T(test_check_foreign_key),
		T(test_foreign_keys_enforced),
		T(test_check_corruption),
		T(test_readonly),
		T(test_readers_many_stores),
		T(test_reader_per_thread),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
