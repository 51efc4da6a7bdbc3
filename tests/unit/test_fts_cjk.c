/*
 * Name search (store/fts_cjk.h): the wg_cjk tokenizer on a real FTS5 table through the store,
 * and the query builder. A two-character name is found exactly, inside longer names, and not
 * when its characters are only scattered; ASCII is case-insensitive; what a person types can
 * never become FTS5 syntax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/fts_cjk.h"
#include "store/store.h"

struct fx {
	char dir[64];
	struct store *s;
};

static int exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_options o;
	char db[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-fts-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0)
		return -1;
	if (store_write(f->s, exec_fn,
	                "CREATE VIRTUAL TABLE names USING fts5(name, tokenize = 'wg_cjk');"
	                "INSERT INTO names (rowid, name) VALUES (1, '张三'), (2, '张三丰'), "
	                "(3, '李张三'), (4, '张小三'), (5, '三张'), (6, 'Zhang San 张'), "
	                "(7, '王𠀾明')") != 0)
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
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The rowids matching what was typed, as "1,2,3". */
static void search(struct fx *f, const char *typed, char *out, size_t n)
{
	char q[256];
	struct store_stmt *st;
	size_t used = 0;

	out[0] = '\0';
	assert_true(fts_cjk_query(typed, q, sizeof q) > 0);
	st = store_prepare(store_reader(f->s),
	                   "SELECT rowid FROM names WHERE names MATCH ? ORDER BY rowid");
	assert_non_null(st);
	store_bind_text(st, 1, q, -1);
	while (store_step(st) == STORE_ROW)
		used += (size_t)snprintf(out + used, n - used, "%s%lld", used ? "," : "",
		                         (long long)store_col_int64(st, 0));
	store_reset(st);
}

static void test_two_character_names(void **state)
{
	char got[64];

	search(*state, "张三", got, sizeof got);
	assert_string_equal(got, "1,2,3"); /* not 张小三, not 三张 */
	search(*state, "张三丰", got, sizeof got);
	assert_string_equal(got, "2");
	search(*state, "张", got, sizeof got);
	assert_string_equal(got, "1,2,3,4,5,6");
	search(*state, "王𠀾明", got, sizeof got); /* a character outside the BMP */
	assert_string_equal(got, "7");
}

static void test_ascii_and_mixed(void **state)
{
	char got[64];

	search(*state, "zhang", got, sizeof got);
	assert_string_equal(got, "6");
	search(*state, "ZHANG 张", got, sizeof got);
	assert_string_equal(got, "6");
}

static void test_query_cannot_inject(void **state)
{
	char q[128];
	(void)state;

	/* Quotes, operators and columns are separators, never syntax. */
	assert_int_equal(fts_cjk_query("\"张三\" OR name:*", q, sizeof q), 4);
	assert_string_equal(q, "\"张\" \"三\" \"OR\" \"name\" \"张三\"");
	assert_int_equal(fts_cjk_query("!@#$%^&*()", q, sizeof q), 0);
	assert_int_equal(fts_cjk_query("张三", q, 8), -1); /* too small: refused, not cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_character_names),
		cmocka_unit_test(test_ascii_and_mixed),
		cmocka_unit_test(test_query_cannot_inject),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
