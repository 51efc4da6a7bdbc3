/*
 * Unit tests for domain/audit: the key file (created 0600, reused), a clean chain verifies, and
 * each kind of tampering done straight in the database is reported with the record's id: an
 * altered field, a deleted record in the middle, a deleted last record, two records swapped, a
 * forged record without the key. The purge refuses records younger than the retention and leaves
 * a chain that still verifies. The head record beside the key (PATH.audit.head): made with the key,
 * 0600; moved up after commits; reports what the database alone cannot (every record and anchor
 * deleted, the tail cut with an older head anchor put back, a chain rewritten past it), an altered
 * or missing head record; refuses a new key over an existing trail; audit_open refuses to serve
 * such a database and keeps the record up to date after appends. The search comes a keyset page at
 * a time, newest first: walking every page of a filtered search gives each matching record once,
 * a cursor with other filters gives the matching records older than it, bad cursors and limits
 * are refused, and the CSV export stops with 413 when it outgrows its buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "domain/access.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char db[128];
	struct store *s;
	unsigned char key[AUDIT_KEY_LEN];
};

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

static void sql(struct fx *f, const char *text)
{
	assert_int_equal(store_write(f->s, exec_fn, (void *)text), 0);
}

static void append_n(struct fx *f, int n, int64_t at)
{
	for (int i = 0; i < n; i++) {
		char obj[32];
		struct audit_entry e = { .at = at,
			                 .user_id = 1,
			                 .username = "alice",
			                 .org_id = 2,
			                 .source = "127.0.0.1",
			                 .action = "user.update",
			                 .object = obj,
			                 .outcome = "success",
			                 .detail = "x",
			                 .request_id = "r" };
		snprintf(obj, sizeof obj, "user:%d", i);
		assert_int_equal(audit_append(f->s, f->key, &e), 0);
	}
}

static int verify(struct fx *f, struct buf *report)
{
	buf_reset(report);
	return audit_verify(store_reader(f->s), f->key, report);
}

/* What `wangge check` says about the trail: key, chain and head record. */
static int check(struct fx *f, struct buf *report)
{
	buf_reset(report);
	return audit_check(store_reader(f->s), f->db, report);
}

static void head_update(struct fx *f)
{
	char err[512];

	assert_int_equal(audit_head_update(f->s, f->db, f->key, err, sizeof err), 0);
}

/* The head record's text (at most n - 1 bytes). */
static void head_text(struct fx *f, char *out, size_t n)
{
	char path[200];
	FILE *fp;
	size_t got;

	assert_int_equal(audit_head_path(f->db, path, sizeof path), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	got = fread(out, 1, n - 1, fp);
	out[got] = '\0';
	fclose(fp);
}

static void head_put(struct fx *f, const char *text)
{
	char path[200];
	FILE *fp;

	assert_int_equal(audit_head_path(f->db, path, sizeof path), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* The value of the head anchor in audit_meta, as SQL can put it back. */
static void head_anchor(struct fx *f, char *out, size_t n)
{
	struct store_stmt *st = store_prepare(store_reader(f->s),
	                                      "SELECT value FROM audit_meta WHERE name = 'head'");

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(out, n, "%s", store_col_text(st, 0));
	store_reset(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	store_options_default(&o, f->db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	if (audit_key_load(f->db, 1, f->key, err, sizeof err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_key_file(void **state)
{
	struct fx *f = *state;
	unsigned char again[AUDIT_KEY_LEN];
	char path[200], err[256];
	struct stat st;

	assert_int_equal(audit_key_path(f->db, path, sizeof path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, AUDIT_KEY_LEN);
	assert_int_equal(audit_key_load(f->db, 0, again, err, sizeof err), 0);
	assert_memory_equal(again, f->key, AUDIT_KEY_LEN);
	assert_int_equal(audit_key_load("/tmp/wangge-no-such-dir/x.db", 0, again, err, sizeof err),
	                 1);
	/* The head record is made with the key, at 0, mode 0600. */
	assert_int_equal(audit_head_path(f->db, path, sizeof path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* A missing key is not made again while a head record or a data key shows a trail was kept. */
static void test_key_not_remade(void **state)
{
	struct fx *f = *state;
	unsigned char again[AUDIT_KEY_LEN];
	char key[200], head[200], data[220], err[1024];
	FILE *fp;

	assert_int_equal(audit_key_path(f->db, key, sizeof key), 0);
	assert_int_equal(audit_head_path(f->db, head, sizeof head), 0);
	snprintf(data, sizeof data, "%s.data.key", f->db);
	assert_int_equal(unlink(key), 0);
	assert_int_equal(audit_key_load(f->db, 1, again, err, sizeof err), -1);
	assert_non_null(strstr(err, "head record"));
	assert_int_equal(access(key, F_OK), -1);
	/* The head record gone too, but a data key left. */
	assert_int_equal(unlink(head), 0);
	fp = fopen(data, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(audit_key_load(f->db, 1, again, err, sizeof err), -1);
	assert_non_null(strstr(err, "data key"));
	assert_int_equal(access(key, F_OK), -1);
	/* Neither: a fresh key and head record are made. */
	assert_int_equal(unlink(data), 0);
	assert_int_equal(audit_key_load(f->db, 1, again, err, sizeof err), 0);
	assert_int_equal(access(key, F_OK), 0);
	assert_int_equal(access(head, F_OK), 0);
}

static void test_clean_chain(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	assert_int_equal(verify(f, &report), 0); /* empty */
	append_n(f, 5, 0);
	assert_int_equal(verify(f, &report), 0);
	assert_string_equal(report.data, "");
	/* A different key sees every record as altered. */
	f->key[0] ^= 1;
	assert_true(verify(f, &report) >= 5);
	f->key[0] ^= 1;
	buf_release(&report);
}

static void test_altered(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 5, 0);
	sql(f, "UPDATE audit_log SET outcome = 'failure' WHERE id = 3");
	assert_int_equal(verify(f, &report), 1);
	assert_non_null(strstr(report.data, "record 3 was altered"));
	buf_release(&report);
}

static void test_deleted_middle_and_last(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 6, 0);
	sql(f, "DELETE FROM audit_log WHERE id = 3");
	assert_true(verify(f, &report) >= 1);
	assert_non_null(strstr(report.data, "record(s) 3..3 missing before record 4"));
	sql(f, "DELETE FROM audit_log WHERE id = 6");
	verify(f, &report);
	assert_non_null(strstr(report.data, "record(s) 6..6 missing at the end"));
	buf_release(&report);
}

static void test_reordered(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 5, 0);
	/* Swap the contents of records 2 and 4, keeping their ids. */
	sql(f,
	    "UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 4;"
	    " UPDATE audit_log SET id = 4 WHERE id = -2");
	assert_true(verify(f, &report) >= 2);
	assert_non_null(strstr(report.data, "record 2"));
	assert_non_null(strstr(report.data, "record 4"));
	buf_release(&report);
}

static void test_forged(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 3, 0);
	/* A record appended without the key, copying the previous hash. */
	sql(f, "INSERT INTO audit_log (id, at, user_id, username, org_id, source, action, object, "
	       "outcome, detail, request_id, prev_hash, hash) SELECT 4, at, user_id, username, "
	       "org_id, source, action, object, outcome, detail, request_id, hash, hash FROM "
	       "audit_log WHERE id = 3");
	assert_true(verify(f, &report) >= 1);
	assert_non_null(strstr(report.data, "record 4 was altered"));
	buf_release(&report);
}

static void test_purge(void **state)
{
	struct fx *f = *state;
	struct buf report;
	int64_t now = clock_now(), deleted = -1;

	buf_init(&report, 1 << 16);
	append_n(f, 4, now - 400 * 86400LL);
	append_n(f, 3, now - 10);
	/* Nobody may purge records younger than the retention, whatever they ask. */
	assert_int_equal(audit_purge(f->s, f->key, now, AUDIT_DEFAULT_RETENTION_S, now, &deleted),
	                 -2);
	assert_int_equal(audit_purge(f->s, f->key, now - 100 * 86400LL, 0, now, &deleted), -2);
	assert_int_equal(audit_purge(f->s, f->key, now - 200 * 86400LL, AUDIT_DEFAULT_RETENTION_S,
	                             now, &deleted),
	                 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(verify(f, &report), 0);
	append_n(f, 1, 0);
	assert_int_equal(verify(f, &report), 0);
	/* Changing the base anchor is noticed. */
	sql(f, "UPDATE audit_meta SET value = '1:' || substr(value, instr(value, ':') + 1) WHERE "
	       "name = 'base'");
	assert_true(verify(f, &report) >= 1);
	buf_release(&report);
}

/* Deleting every record and anchor leaves a database that cannot tell by itself; the head record
   can. */
static void test_head_whole_trail_deleted(void **state)
{
	struct fx *f = *state;
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 5, 0);
	assert_int_equal(check(f, &report), 0); /* the head record may lag behind the chain */
	head_update(f);
	assert_int_equal(check(f, &report), 0);
	sql(f, "DELETE FROM audit_log; DELETE FROM audit_meta");
	assert_int_equal(verify(f, &report), 0); /* the chain alone looks like a fresh one */
	assert_int_equal(check(f, &report), 2);
	assert_non_null(strstr(report.data, "audit: the head anchor is missing"));
	assert_non_null(strstr(report.data, "audit: record(s) 1..5 missing at the end: the head "
	                                    "record"));
	buf_release(&report);
}

/* The tail cut and an older head anchor put back: consistent inside the database. */
static void test_head_tail_cut(void **state)
{
	struct fx *f = *state;
	struct buf report;
	char anchor[256], q[512], err[1024];

	buf_init(&report, 1 << 16);
	append_n(f, 3, 0);
	head_anchor(f, anchor, sizeof anchor);
	append_n(f, 3, 0);
	head_update(f);
	snprintf(q, sizeof q,
	         "DELETE FROM audit_log WHERE id > 3; UPDATE audit_meta SET value = '%s' WHERE "
	         "name = 'head'",
	         anchor);
	sql(f, q);
	assert_int_equal(verify(f, &report), 0);
	assert_int_equal(check(f, &report), 1);
	assert_non_null(strstr(report.data, "audit: record(s) 4..6 missing at the end"));
	/* Later appends (other records under the same ids) do not move the head record over the
	   gap, and are reported as rewriting. */
	append_n(f, 4, 1000);
	assert_int_equal(audit_head_update(f->s, f->db, f->key, err, sizeof err), -1);
	assert_non_null(strstr(err, "record 6 of the audit trail in the database does not match"));
	assert_int_equal(check(f, &report), 1);
	assert_non_null(strstr(report.data, "record 6 does not match the head record"));
	buf_release(&report);
}

static void test_head_altered_or_missing(void **state)
{
	struct fx *f = *state;
	struct buf report;
	char text[256], forged[256], path[200];

	buf_init(&report, 1 << 16);
	append_n(f, 2, 0);
	head_update(f);
	head_text(f, text, sizeof text);
	snprintf(forged, sizeof forged, "%s", text);
	forged[strlen("wangge-audit-head-v1 ")] = '1'; /* id 2 -> 1, MAC left as it was */
	head_put(f, forged);
	assert_int_equal(check(f, &report), 1);
	assert_non_null(strstr(report.data, "was altered"));
	head_put(f, text);
	assert_int_equal(check(f, &report), 0);
	assert_int_equal(audit_head_path(f->db, path, sizeof path), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(check(f, &report), 1);
	assert_non_null(strstr(report.data, "is missing"));
	buf_release(&report);
}

/* A purge may leave the head record below the base anchor; that is not a finding. */
static void test_head_purged(void **state)
{
	struct fx *f = *state;
	struct buf report;
	int64_t now = clock_now(), deleted = -1;

	buf_init(&report, 1 << 16);
	append_n(f, 4, now - 400 * 86400LL);
	head_update(f);
	append_n(f, 3, now - 10);
	assert_int_equal(audit_purge(f->s, f->key, now - 200 * 86400LL, AUDIT_DEFAULT_RETENTION_S,
	                             now, &deleted),
	                 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(check(f, &report), 0);
	head_update(f);
	assert_int_equal(check(f, &report), 0);
	buf_release(&report);
}

/* audit_open: what `wangge serve` does at start, and the updates after appends. */
static void test_open_and_sync(void **state)
{
	struct fx *f = *state;
	unsigned char key[AUDIT_KEY_LEN];
	char err[1024], text[256], want[32], keypath[200];
	struct buf report;

	buf_init(&report, 1 << 16);
	append_n(f, 2, 0);
	assert_int_equal(audit_open(f->s, f->db, key, err, sizeof err), 0);
	assert_memory_equal(key, f->key, AUDIT_KEY_LEN);
	head_text(f, text, sizeof text);
	assert_non_null(strstr(text, "wangge-audit-head-v1 2 ")); /* moved up at the start */
	append_n(f, 3, 0);
	audit_head_sync(); /* wakes the keeper thread, which follows within milliseconds */
	snprintf(want, sizeof want, "-v1 %d ", 5);
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		head_text(f, text, sizeof text);
		if (strstr(text, want))
			break;
		nanosleep(&ts, NULL);
	}
	assert_non_null(strstr(text, want));
	/* Appended and not announced: the last pass at close covers it. */
	append_n(f, 1, 0);
	audit_head_close();
	head_text(f, text, sizeof text);
	snprintf(want, sizeof want, "-v1 %d ", 6);
	assert_non_null(strstr(text, want));
	append_n(f, 1, 0);
	audit_head_sync(); /* closed: the record stays */
	head_text(f, text, sizeof text);
	assert_non_null(strstr(text, want));

	/* A cut tail: refused, and the reason names the reset command. */
	sql(f, "DELETE FROM audit_log WHERE id > 4; UPDATE audit_meta SET value = 'x' WHERE name = "
	       "'head'");
	assert_int_equal(audit_open(f->s, f->db, key, err, sizeof err), -1);
	assert_non_null(strstr(err, "ends at record 4 but the head record"));
	assert_non_null(strstr(err, "wangge audit-head --reset"));

	/* The key missing over a trail: refused, and no key is made. */
	assert_int_equal(audit_key_path(f->db, keypath, sizeof keypath), 0);
	assert_int_equal(unlink(keypath), 0);
	assert_int_equal(audit_open(f->s, f->db, key, err, sizeof err), -1);
	assert_non_null(strstr(err, "is missing but the database holds an audit trail of 4"));
	assert_int_equal(access(keypath, F_OK), -1);
	buf_release(&report);
}

/* The reset command: only over a chain that verifies, and it records itself. */
static void test_head_reset(void **state)
{
	struct fx *f = *state;
	struct buf report;
	char msg[1024];
	char anchor[256], q[512];

	buf_init(&report, 1 << 16);
	append_n(f, 2, 0);
	head_anchor(f, anchor, sizeof anchor);
	append_n(f, 2, 0);
	head_update(f);
	sql(f, "UPDATE audit_log SET detail = 'y' WHERE id = 2");
	assert_int_equal(audit_head_reset(f->s, f->db, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "findings of its own"));
	sql(f, "UPDATE audit_log SET detail = 'x' WHERE id = 2");
	/* The database as it was at record 2 (an older backup, restored on purpose). */
	snprintf(q, sizeof q,
	         "DELETE FROM audit_log WHERE id > 2; UPDATE audit_meta SET value = '%s' WHERE "
	         "name = 'head'",
	         anchor);
	sql(f, q);
	assert_int_equal(check(f, &report), 1);
	assert_int_equal(audit_head_reset(f->s, f->db, msg, sizeof msg), 0);
	assert_non_null(strstr(msg, "now at record 3 (it was at record 4)"));
	assert_int_equal(check(f, &report), 0);
	buf_release(&report);
}

/* ---- search ---- */

/* Record i of the search fixture: user alice or bob (every third), action user.update,
   session.login (every fourth) or role.create (every seventh), outcome denied every fifth. at
   grows by 10 s a record from 1,700,000,000. */
static const char *search_user(int i)
{
	return i % 3 == 0 ? "bob" : "alice";
}
static const char *search_action(int i)
{
	return i % 7 == 0 ? "role.create" : i % 4 == 0 ? "session.login" : "user.update";
}
static const char *search_outcome(int i)
{
	return i % 5 == 0 ? "denied" : "success";
}
#define SEARCH_AT0 1700000000
#define SEARCH_N 97

static void append_search(struct fx *f)
{
	for (int i = 1; i <= SEARCH_N; i++) {
		char obj[32];
		struct audit_entry e = { .at = SEARCH_AT0 + 10 * i,
			                 .username = search_user(i),
			                 .source = "127.0.0.1",
			                 .action = search_action(i),
			                 .object = obj,
			                 .outcome = search_outcome(i),
			                 .detail = "x",
			                 .request_id = "r" };
		snprintf(obj, sizeof obj, "n:%d", i);
		assert_int_equal(audit_append(f->s, f->key, &e), 0);
	}
}

static int search_matches(const struct audit_filter *q, int i)
{
	int64_t at = SEARCH_AT0 + 10 * i;

	if (q->username && strcmp(q->username, search_user(i)))
		return 0;
	if (q->action) {
		size_t n = strlen(q->action);
		if (q->action[n - 1] == '*' ? strncmp(q->action, search_action(i), n - 1)
		                            : strcmp(q->action, search_action(i)))
			return 0;
	}
	if (q->outcome && strcmp(q->outcome, search_outcome(i)))
		return 0;
	return (!q->from || at >= q->from) && (!q->to || at < q->to);
}

/* Walks every page of q at limit rows a page from cursor (NULL: the first page); fills seen[i]
   with how often record i came (ids are 1..SEARCH_N: the fixture is the only writer) and checks
   each page holds at most limit rows, newest first across pages. Returns the number of pages. */
static int walk(struct fx *f, const struct audit_filter *q, int limit, const char *cursor,
                int seen[SEARCH_N + 1])
{
	struct dom_ctx x;
	char next[DOM_CURSOR_MAX] = "", lim[16];
	int64_t prev = INT64_MAX;
	int pages = 0;

	dom_ctx_cli(&x, f->s, f->key, NULL);
	snprintf(lim, sizeof lim, "%d", limit);
	if (cursor)
		snprintf(next, sizeof next, "%s", cursor);
	memset(seen, 0, sizeof(int) * (SEARCH_N + 1));
	for (;;) {
		struct dom_page pg;
		struct dom_err e = { 0 };
		json_t *out, *items, *it, *nc;
		size_t k;

		assert_int_equal(dom_page_parse(&pg, lim, next, &e), 0);
		out = audit_list(&x, q, &pg, &e);
		assert_non_null(out);
		items = json_object_get(out, "items");
		assert_true(json_array_size(items) <= (size_t)limit);
		assert_null(json_object_get(out, "total"));
		assert_null(json_object_get(out, "offset"));
		json_array_foreach(items, k, it)
		{
			int64_t id = json_integer_value(json_object_get(it, "id"));

			assert_true(id >= 1 && id <= SEARCH_N);
			assert_true(id < prev);
			prev = id;
			seen[id]++;
		}
		pages++;
		nc = json_object_get(out, "next_cursor");
		assert_non_null(nc);
		if (json_is_null(nc)) {
			json_decref(out);
			break;
		}
		/* A page that says there is more is full. */
		assert_int_equal(json_array_size(items), (size_t)limit);
		snprintf(next, sizeof next, "%s", json_string_value(nc));
		json_decref(out);
		assert_true(pages <= SEARCH_N + 1);
	}
	return pages;
}

static void expect_walk(struct fx *f, const struct audit_filter *q, int limit, int below)
{
	int seen[SEARCH_N + 1], want = 0, pages;
	char key[24], cursor[DOM_CURSOR_MAX];

	snprintf(key, sizeof key, "%d", below);
	dom_cursor_encode(key, cursor);
	pages = walk(f, q, limit, below ? cursor : NULL, seen);
	for (int i = 1; i <= SEARCH_N; i++) {
		int expected = search_matches(q, i) && (!below || i < below);

		want += expected;
		if (seen[i] != expected)
			fail_msg("record %d seen %d times, expected %d", i, seen[i], expected);
	}
	/* Full pages and one last page: no empty page after a full one (the page asks for one row
	   more than it shows), and one empty page when nothing matches. */
	assert_true(want > 0);
	assert_int_equal(pages, (want + limit - 1) / limit);
}

static void test_list_pages(void **state)
{
	struct fx *f = *state;
	struct audit_filter q;

	append_search(f);
	/* Everything, and one filter at a time, at page sizes that divide the count and not. */
	memset(&q, 0, sizeof q);
	expect_walk(f, &q, 10, 0);
	expect_walk(f, &q, 97, 0);
	expect_walk(f, &q, 200, 0);
	q.username = "bob";
	expect_walk(f, &q, 4, 0);
	memset(&q, 0, sizeof q);
	q.action = "session.*";
	expect_walk(f, &q, 3, 0);
	q.action = "user.update";
	expect_walk(f, &q, 7, 0);
	memset(&q, 0, sizeof q);
	q.outcome = "denied";
	expect_walk(f, &q, 1, 0);
	memset(&q, 0, sizeof q);
	q.from = SEARCH_AT0 + 10 * 20;
	q.to = SEARCH_AT0 + 10 * 61;
	expect_walk(f, &q, 6, 0);
	/* All of them together. */
	q.username = "alice";
	q.action = "user.*";
	q.outcome = "success";
	expect_walk(f, &q, 5, 0);
	/* A cursor with other filters: the matching records older than it. */
	memset(&q, 0, sizeof q);
	q.username = "bob";
	expect_walk(f, &q, 4, 50);
	q.action = "role.create";
	expect_walk(f, &q, 2, 71);
}

/* 12 records on a page of 12 exactly: the page knows there is no next one. */
static void test_list_last_page_exact(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x;
	struct dom_page pg;
	struct dom_err e = { 0 };
	json_t *out;

	append_n(f, 12, 1700000000);
	dom_ctx_cli(&x, f->s, f->key, NULL);
	assert_int_equal(dom_page_parse(&pg, "12", NULL, &e), 0);
	out = audit_list(&x, &(struct audit_filter){ 0 }, &pg, &e);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 12);
	assert_true(json_is_null(json_object_get(out, "next_cursor")));
	json_decref(out);
	assert_int_equal(dom_page_parse(&pg, "11", NULL, &e), 0);
	out = audit_list(&x, &(struct audit_filter){ 0 }, &pg, &e);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 11);
	assert_true(json_is_string(json_object_get(out, "next_cursor")));
	json_decref(out);
}

static void test_list_refusals(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x, anon;
	struct dom_page pg;
	struct dom_err e = { 0 };
	char cursor[DOM_CURSOR_MAX];

	append_n(f, 3, 1700000000);
	dom_ctx_cli(&x, f->s, f->key, NULL);
	/* A cursor that decodes to something other than a record id. */
	dom_cursor_encode("abc", cursor);
	assert_int_equal(dom_page_parse(&pg, NULL, cursor, &e), 0);
	assert_null(audit_list(&x, &(struct audit_filter){ 0 }, &pg, &e));
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "bad_cursor");
	dom_cursor_encode("-4", cursor);
	assert_int_equal(dom_page_parse(&pg, NULL, cursor, &e), 0);
	assert_null(audit_list(&x, &(struct audit_filter){ 0 }, &pg, &e));
	assert_string_equal(e.code, "bad_cursor");
	/* Without audit.read (anonymous): refused, whatever the route said. */
	dom_ctx_as(&anon, &x, access_anonymous());
	assert_int_equal(dom_page_parse(&pg, NULL, NULL, &e), 0);
	assert_null(audit_list(&anon, &(struct audit_filter){ 0 }, &pg, &e));
	assert_int_equal(e.status, 403);
	{
		struct buf out;

		buf_init(&out, 1 << 20);
		assert_int_equal(audit_export_csv(&anon, &(struct audit_filter){ 0 }, &out, &e),
		                 -1);
		assert_int_equal(e.status, 403);
		assert_int_equal(out.len, 0);
		buf_release(&out);
	}
}

static void test_export(void **state)
{
	struct fx *f = *state;
	struct dom_ctx x;
	struct dom_err e = { 0 };
	struct audit_filter q = { .username = "bob" };
	struct buf out;
	int want = 0;
	const char *p;
	int64_t rows;

	append_search(f);
	dom_ctx_cli(&x, f->s, f->key, NULL);
	for (int i = 1; i <= SEARCH_N; i++)
		want += search_matches(&q, i);
	buf_init(&out, 1 << 20);
	rows = audit_export_csv(&x, &q, &out, &e);
	assert_int_equal(rows, want);
	/* Oldest first: bob's first record is n:3, before n:6. */
	p = strstr(out.data, "\"n:3\"");
	assert_non_null(p);
	assert_non_null(strstr(p, "\"n:6\""));
	assert_null(strstr(out.data, "\"n:1\""));
	buf_release(&out);

	/* The buffer's maximum bounds the export: past it, 413 and a request to narrow the search.
	 */
	buf_init(&out, 2000);
	assert_int_equal(audit_export_csv(&x, &(struct audit_filter){ 0 }, &out, &e), -1);
	assert_int_equal(e.status, 413);
	assert_string_equal(e.code, "export_too_large");
	assert_non_null(strstr(e.message, "缩小"));
	assert_true(out.len <= 2000);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_middle_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_not_remade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_whole_trail_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_tail_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_altered_or_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_purged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_and_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_last_page_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
