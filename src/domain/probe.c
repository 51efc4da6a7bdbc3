/*
 * Internal test hooks (domain/probe.h): the write probe, written through the group-commit writer
 * like every other domain write, and the test clock.
 */
#include <string.h>

#include "base/clock.h"
#include "domain/dom.h"
#include "domain/probe.h"
#include "store/store.h"

int probe_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	if (n == 0 || n > PROBE_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
}

struct put_ctx {
	const char *key;
	int64_t now;
	int64_t id;
};

static int put_fn(struct store_conn *c, void *arg)
{
	struct put_ctx *ctx = arg;
	struct store_stmt *st =
	        store_prepare(c, "INSERT INTO probe (key, created_at) VALUES (?, ?)");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, ctx->key, -1);
	store_bind_int64(st, 2, ctx->now);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	ctx->id = store_last_insert_id(c);
	return 0;
}

int probe_put(struct store *s, const char *key, int64_t now, int64_t *id)
{
	struct put_ctx ctx = { .key = key, .now = now };
	int rc = store_write(s, put_fn, &ctx);

	if (rc == 0)
		*id = ctx.id;
	return rc;
}

int probe_get(struct store *s, const char *key, int64_t *id, int64_t *created_at)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int rc, found = -1;

	if (!c || !(st = store_prepare(c, "SELECT id, created_at FROM probe WHERE key = ?")))
		return -1;
	store_bind_text(st, 1, key, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*id = store_col_int64(st, 0);
		*created_at = store_col_int64(st, 1);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

int64_t probe_count(struct store *s)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int64_t n = -1;

	if (!c || !(st = store_prepare(c, "SELECT count(*) FROM probe")))
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

int probe_clock_move(int64_t offset, int advance, int64_t *now_offset, struct dom_err *e)
{
	const int64_t max = PROBE_CLOCK_MAX_OFFSET_S;
	int64_t next = offset;

	/* Both bounds are checked before adding, so the sum cannot overflow. */
	if (offset < -max || offset > max)
		goto bad;
	if (advance)
		next = clock_get_offset() + offset;
	if (next < -max || next > max)
		goto bad;
	clock_set_offset(next);
	*now_offset = next;
	return 0;
bad:
	return dom_err_set(e, 400, "bad_offset",
	                   "时钟偏移应为整数秒，且与真实时间相差不超过 %lld 秒（十年）",
	                   (long long)max);
}
