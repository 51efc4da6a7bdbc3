/*
 * Sensitive fields sealed at rest (sealed.h): sealing and opening user fields, the generic
 * sealing of any registered column (sealed_put), the registry of
 * encrypted columns, and what walks it: the count of sealed values, the check, and the re-sealing
 * of a key rotation.
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/audit.h"
#include "domain/sealed.h"
#include "store/store.h"

struct sealed_column;
static const struct sealed_column *column_of(const char *label);
static void column_index(const struct sealed_column *col, const struct vault *v, const char *value,
                         char out[VAULT_INDEX_HEX]);

/* Opens the stored value of a sealed field of user row into dst. A value that is not sealed (from
   before encryption at rest; `wangge check` reports it) is shown as stored; one that does not open
   (no key, wrong key, altered) is shown as "" and logged. */
void sealed_open(char *dst, size_t n, const char *field, int64_t row, const char *stored)
{
	if (!stored || !*stored) {
		dom_copy(dst, n, "");
		return;
	}
	if (!vault_is_sealed(stored)) {
		dom_copy(dst, n, stored);
		return;
	}
	if (vault_open(vault_global(), field, row, stored, dst, n) < 0) {
		log_warn("vault.open_failed", "field=%s row=%" PRId64, field, row);
		dom_copy(dst, n, "");
	}
}

int sealed_totp_seal(int64_t row, const char *secret, char *out, size_t n)
{
	const struct vault *v = vault_global();

	if (!v || !secret)
		return -1;
	return vault_seal(v, SEALED_FIELD_TOTP, row, secret, out, n);
}

int sealed_totp_open(int64_t row, const char *stored, char *out, size_t n)
{
	sealed_open(out, n, SEALED_FIELD_TOTP, row, stored);
	return stored && vault_is_sealed(stored) && !out[0] ? -1 : 0;
}

int sealed_user_fields(struct store_conn *c, int64_t row, const char *phone, const char *idn,
                       struct dom_err *e)
{
	const struct vault *v = vault_global();
	char sp[SEALED_MAX], si[SEALED_MAX], bidx[VAULT_INDEX_HEX];
	struct store_stmt *st;
	int rc = 0;

	if (!phone && !idn)
		return 0;
	if (((phone && *phone) || (idn && *idn)) && !v)
		return dom_err_set(e, 503, "vault_unavailable",
		                   "敏感信息加密密钥未加载，暂时无法保存电话号码或身份证号码");
	if ((phone && *phone && vault_seal(v, SEALED_FIELD_PHONE, row, phone, sp, sizeof sp) < 0) ||
	    (idn && *idn && vault_seal(v, SEALED_FIELD_ID_NUMBER, row, idn, si, sizeof si) < 0)) {
		rc = dom_err_store(e, STORE_ERR);
		goto out;
	}
	if (idn && *idn)
		column_index(column_of(SEALED_FIELD_ID_NUMBER), v, idn, bidx);
	st = store_prepare(c, "UPDATE users SET phone = CASE WHEN ? = 1 THEN ? ELSE phone END, "
	                      "id_number = CASE WHEN ? = 1 THEN ? ELSE id_number END, "
	                      "id_number_bidx = CASE WHEN ? = 1 THEN ? ELSE id_number_bidx END "
	                      "WHERE id = ?");
	if (!st) {
		rc = dom_err_store(e, STORE_ERR);
		goto out;
	}
	store_bind_int64(st, 1, phone != NULL);
	store_bind_text(st, 2, phone && *phone ? sp : NULL, -1);
	store_bind_int64(st, 3, idn != NULL);
	store_bind_text(st, 4, idn && *idn ? si : NULL, -1);
	store_bind_int64(st, 5, idn != NULL);
	store_bind_text(st, 6, idn && *idn ? bidx : NULL, -1);
	store_bind_int64(st, 7, row);
	if ((rc = dom_step_done(st)) != 0)
		rc = dom_err_store(e, rc);
out:
	sodium_memzero(sp, sizeof sp);
	sodium_memzero(si, sizeof si);
	return rc;
}

/* ---- the registry ---- */

/* Every encrypted column. A new one is a new row (and its migration); nothing else changes. */
static const struct sealed_column registry[] = {
	{ "users", "phone", "id", NULL, SEALED_FIELD_PHONE, 0 },
	{ "users", "id_number", "id", "id_number_bidx", SEALED_FIELD_ID_NUMBER, 0 },
	{ "users", "totp_secret", "id", NULL, SEALED_FIELD_TOTP, 0 },
	{ "workers", "id_number", "id", "id_number_bidx", SEALED_FIELD_WORKER_ID_NUMBER, 0 },
	{ "workers", "phone", "id", NULL, SEALED_FIELD_WORKER_PHONE, 0 },
	{ "matters", "reporter_contact", "id", NULL, SEALED_FIELD_MATTER_CONTACT, 0 },
	{ "people", "id_number", "id", "id_number_bidx", SEALED_FIELD_PERSON_ID_NUMBER, 32 },
	{ "people", "phone", "id", NULL, SEALED_FIELD_PERSON_PHONE, 0 },
};
#define REGISTRY_N (sizeof registry / sizeof registry[0])

static const struct sealed_column *column_of(const char *label)
{
	for (size_t i = 0; i < REGISTRY_N; i++)
		if (strcmp(registry[i].label, label) == 0)
			return &registry[i];
	return NULL;
}

/* The blind index of value in col made with v: the keyed hash as hex (base/vault.h), cut to
   the column's length. Every blind index of a registered column is made here. */
static void column_index(const struct sealed_column *col, const struct vault *v, const char *value,
                         char out[VAULT_INDEX_HEX])
{
	vault_blind_index(v, col->label, value, out);
	if (col->bidx_hex > 0 && col->bidx_hex < VAULT_INDEX_HEX - 1)
		out[col->bidx_hex] = '\0';
}

const struct sealed_column *sealed_columns(size_t *n)
{
	*n = REGISTRY_N;
	return registry;
}

#define SQL_MAX 512
#define IDENT_MAX 63

/* 1 when s is a plain lower-case SQL identifier, so it can be written into SQL text as is. */
static int ident_ok(const char *s)
{
	size_t n = 0;

	if (!s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n <= IDENT_MAX;
}

/* The statements of one registered column, built from its constant identifiers. Rows "of the
   column" are those holding a value or (stale) a blind index. */
struct col_sql {
	char count_sealed[SQL_MAX]; /* ? = the sealed prefix pattern */
	char rows[SQL_MAX];         /* all rows of the column, id order: id, value, index */
	char count_rows[SQL_MAX];   /* count of rows of the column with id > ? */
	char batch[SQL_MAX];        /* ? = after id, ? = limit: id, value, index */
	char update[SQL_MAX];       /* ? = value, [? = index,] ? = id */
	char update_index[SQL_MAX]; /* ? = index, ? = id (columns with an index) */
};

static int fmt_ok(int w)
{
	return w > 0 && w < SQL_MAX;
}

static int col_sql_build(const struct sealed_column *col, struct col_sql *q)
{
	const char *t = col->table, *v = col->column, *id = col->id_column, *b = col->bidx_column;
	char has[SQL_MAX], idx[IDENT_MAX + 1];
	int ok;

	if (!ident_ok(t) || !ident_ok(v) || !ident_ok(id) || (b && !ident_ok(b))) {
		log_error("sealed.registry_bad", "label=%s", col->label);
		return -1;
	}
	if (b) {
		ok = fmt_ok(snprintf(has, sizeof has, "(%s IS NOT NULL OR %s IS NOT NULL)", v, b));
		(void)snprintf(idx, sizeof idx, "%s", b);
	} else {
		ok = fmt_ok(snprintf(has, sizeof has, "%s IS NOT NULL", v));
		(void)snprintf(idx, sizeof idx, "NULL");
	}
	ok = ok &&
	     fmt_ok(snprintf(q->count_sealed, SQL_MAX, "SELECT count(*) FROM %s WHERE %s LIKE ?", t,
	                     v)) &&
	     fmt_ok(snprintf(q->rows, SQL_MAX, "SELECT %s, %s, %s FROM %s WHERE %s ORDER BY %s", id,
	                     v, idx, t, has, id)) &&
	     fmt_ok(snprintf(q->count_rows, SQL_MAX, "SELECT count(*) FROM %s WHERE %s > ? AND %s",
	                     t, id, has)) &&
	     fmt_ok(snprintf(q->batch, SQL_MAX,
	                     "SELECT %s, %s, %s FROM %s WHERE %s > ? AND %s ORDER BY %s LIMIT ?",
	                     id, v, idx, t, id, has, id));
	q->update_index[0] = '\0';
	if (ok && b)
		ok = fmt_ok(snprintf(q->update, SQL_MAX,
		                     "UPDATE %s SET %s = ?, %s = ? WHERE %s = ?", t, v, b, id)) &&
		     fmt_ok(snprintf(q->update_index, SQL_MAX, "UPDATE %s SET %s = ? WHERE %s = ?",
		                     t, b, id));
	else if (ok)
		ok = fmt_ok(snprintf(q->update, SQL_MAX, "UPDATE %s SET %s = ? WHERE %s = ?", t, v,
		                     id));
	return ok ? 0 : -1;
}

/* One int64 from a query with at most one bound value: text_arg, or int_arg when have_int. -1 on
   error. */
static int64_t query_count(struct store_conn *c, const char *sql, const char *text_arg,
                           int have_int, int64_t int_arg)
{
	struct store_stmt *st = store_prepare(c, sql);
	int64_t n = -1;

	if (!st)
		return -1;
	if (text_arg)
		store_bind_text(st, 1, text_arg, -1);
	else if (have_int)
		store_bind_int64(st, 1, int_arg);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* ---- encryption at rest ---- */

int64_t sealed_count(struct store_conn *c)
{
	struct col_sql q;
	int64_t total = 0;

	if (!c)
		return -1;
	for (size_t i = 0; i < REGISTRY_N; i++) {
		int64_t n;

		if (col_sql_build(&registry[i], &q) < 0)
			return -1;
		n = query_count(c, q.count_sealed, VAULT_PREFIX "%", 0, 0);
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}

/* The blind index of plain made with the key that opened it (which: 0 v's key, 1 its previous). */
static void index_with(const struct vault *v, int which, const struct sealed_column *col,
                       const char *plain, char out[VAULT_INDEX_HEX])
{
	struct vault prev;

	if (which == 0) {
		column_index(col, v, plain, out);
		return;
	}
	vault_previous(v, &prev);
	column_index(col, &prev, plain, out);
	vault_wipe(&prev);
}

/* Checks one registered column; adds to *findings and *previous. 0 or -1. */
static int check_column(struct store_conn *c, const struct sealed_column *col,
                        const struct vault *v, struct buf *report, int *findings, int64_t *previous)
{
	struct col_sql q;
	struct store_stmt *st;
	char plain[SEALED_VALUE_MAX], bidx[VAULT_INDEX_HEX];
	int rc;

	if (col_sql_build(col, &q) < 0 || !(st = store_prepare(c, q.rows)))
		return -1;
	/* Lines read "sensitive: row <id> <label> <finding>". */
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t id = store_col_int64(st, 0);
		const char *val = store_col_text(st, 1), *have = store_col_text(st, 2);
		int which;

		if (!val) {
			buf_printf(report,
			           "sensitive: row %" PRId64 " %s.%s is set but %s is empty\n", id,
			           col->table, col->bidx_column, col->label);
			(*findings)++;
			continue;
		}
		if (!vault_is_sealed(val)) {
			buf_printf(report, "sensitive: row %" PRId64 " %s is stored in clear\n", id,
			           col->label);
			(*findings)++;
			continue;
		}
		if (!v)
			continue;
		which = vault_open_which(v, col->label, id, val, plain, sizeof plain);
		if (which < 0) {
			buf_printf(report,
			           "sensitive: row %" PRId64
			           " %s does not decrypt (altered, moved or "
			           "another key)\n",
			           id, col->label);
			(*findings)++;
			continue;
		}
		if (which == 1)
			(*previous)++;
		if (col->bidx_column) {
			index_with(v, which, col, plain, bidx);
			if (!have || strcmp(have, bidx) != 0) {
				buf_printf(report,
				           "sensitive: row %" PRId64 " %s.%s does not match %s\n",
				           id, col->table, col->bidx_column, col->label);
				(*findings)++;
			}
		}
		sodium_memzero(plain, sizeof plain);
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

int sealed_check(struct store_conn *c, const struct vault *v, struct buf *report)
{
	int64_t previous = 0;
	int findings = 0;

	if (!c)
		return -1;
	for (size_t i = 0; i < REGISTRY_N; i++)
		if (check_column(c, &registry[i], v, report, &findings, &previous) < 0)
			return -1;
	if (previous > 0) {
		buf_printf(
		        report,
		        "sensitive: %" PRId64 " value(s) open only with the previous data key "
		        "(.data.key.old, or the current key during a rotation): run `wangge keys "
		        "rotate` to re-seal them\n",
		        previous);
		findings++;
	}
	return findings;
}

/* ---- key rotation ---- */

/* What a batch does to one row. */
enum row_action { ROW_KEEP, ROW_RESEAL, ROW_INDEX, ROW_DROP_INDEX };

struct row_work {
	int64_t id;
	enum row_action action;
	char plain[SEALED_VALUE_MAX];
};

/* The rotation of one column, shared by its transactions. */
struct col_run {
	const struct dom_ctx *x;
	const struct vault *v;
	const struct sealed_column *col;
	struct sealed_rotation *r;
	struct col_sql q;
	struct row_work *rows; /* batch entries */
	int batch;
	int64_t last_id, done_rows, total;
	int done;
	int64_t *examined; /* rows examined by this sealed_rotate call, committed batches only */
	/* Counts of the batch in progress, added to r once it has committed. */
	int64_t b_resealed, b_current, b_clear, b_unreadable;
	int b_rows;
	int stopped;
};

static int rotation_record(struct store_conn *c, const struct dom_ctx *x, const char *object,
                           const char *detail)
{
	struct audit_entry a = { 0 };

	a.at = x->now;
	a.user_id = x->caller->user_id;
	a.username = x->caller->username;
	a.org_id = x->caller->org_id;
	a.source = x->source;
	a.action = "keys.rotate";
	a.object = object;
	a.outcome = "success";
	a.detail = detail;
	a.request_id = x->request_id;
	return audit_append_conn(c, x->audit_key, &a);
}

/* Starts or resumes the column: its progress row for this key (a row left by a rotation to
   another key starts over), and its row counts. */
static int begin_fn(struct store_conn *c, void *arg)
{
	struct col_run *cr = arg;
	struct store_stmt *st;
	int rc, found = 0;
	int64_t left;

	st = store_prepare(c, "SELECT key_id, last_id, done FROM sealed_rotation WHERE label = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, cr->col->label, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		const char *k = store_col_text(st, 0);
		if (k && strcmp(k, cr->v->key_id) == 0) {
			found = 1;
			cr->last_id = store_col_int64(st, 1);
			cr->done = store_col_int64(st, 2) != 0;
		}
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	if (!found) {
		cr->last_id = INT64_MIN;
		cr->done = 0;
		st = store_prepare(c,
		                   "INSERT INTO sealed_rotation (label, key_id, last_id, done, "
		                   "resealed, started_at, updated_at) VALUES (?, ?, ?, 0, 0, ?, ?) "
		                   "ON CONFLICT (label) DO UPDATE SET key_id = excluded.key_id, "
		                   "last_id = excluded.last_id, done = 0, resealed = 0, "
		                   "started_at = excluded.started_at, "
		                   "updated_at = excluded.updated_at");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, cr->col->label, -1);
		store_bind_text(st, 2, cr->v->key_id, -1);
		store_bind_int64(st, 3, cr->last_id);
		store_bind_int64(st, 4, cr->x->now);
		store_bind_int64(st, 5, cr->x->now);
		rc = dom_step_done(st);
		if (rc != 0)
			return rc;
	}
	cr->total = query_count(c, cr->q.count_rows, NULL, 1, INT64_MIN);
	left = query_count(c, cr->q.count_rows, NULL, 1, cr->last_id);
	if (cr->total < 0 || left < 0 || left > cr->total)
		return STORE_ERR;
	cr->done_rows = cr->total - left;
	return 0;
}

/* Reads the next batch of the column and decides what to do with each row. Returns the number of
   rows, or a negative store_rc. */
static int batch_read(struct store_conn *c, struct col_run *cr)
{
	struct store_stmt *st = store_prepare(c, cr->q.batch);
	char bidx[VAULT_INDEX_HEX];
	int n = 0, rc = STORE_DONE;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, cr->last_id);
	store_bind_int64(st, 2, cr->batch);
	while (n < cr->batch && (rc = store_step(st)) == STORE_ROW) {
		struct row_work *w = &cr->rows[n++];
		const char *val = store_col_text(st, 1), *have = store_col_text(st, 2);
		int which;

		w->id = store_col_int64(st, 0);
		w->action = ROW_KEEP;
		if (!val) {
			w->action = ROW_DROP_INDEX; /* an index left without its value */
			continue;
		}
		if (!vault_is_sealed(val)) {
			cr->b_clear++;
			continue;
		}
		which = vault_open_which(cr->v, cr->col->label, w->id, val, w->plain,
		                         sizeof w->plain);
		if (which < 0) {
			cr->b_unreadable++;
		} else if (which == 1) {
			w->action = ROW_RESEAL;
		} else {
			cr->b_current++;
			if (cr->col->bidx_column) {
				column_index(cr->col, cr->v, w->plain, bidx);
				if (!have || strcmp(have, bidx) != 0)
					w->action = ROW_INDEX;
			}
		}
	}
	store_reset(st);
	if (rc == STORE_ROW || rc == STORE_DONE)
		return n;
	return rc < 0 ? rc : STORE_ERR;
}

/* Writes one row: the value re-sealed under the new key (ROW_RESEAL) and, for a column with a
   blind index, the index made with the new key (NULL for ROW_DROP_INDEX). */
static int row_write(struct store_conn *c, struct col_run *cr, const struct row_work *w)
{
	char sealed[SEALED_SEALED_MAX], bidx[VAULT_INDEX_HEX];
	struct store_stmt *st;
	int rc = STORE_ERR, i = 1;
	const char *b = cr->col->bidx_column;

	if (w->action == ROW_RESEAL &&
	    vault_seal(cr->v, cr->col->label, w->id, w->plain, sealed, sizeof sealed) < 0)
		goto out;
	if (w->action != ROW_RESEAL && !b)
		goto out; /* nothing to do: batch_read never asks this */
	if (b && w->action != ROW_DROP_INDEX)
		column_index(cr->col, cr->v, w->plain, bidx);
	st = store_prepare(c, w->action == ROW_RESEAL ? cr->q.update : cr->q.update_index);
	if (!st)
		goto out;
	if (w->action == ROW_RESEAL)
		store_bind_text(st, i++, sealed, -1);
	if (b)
		store_bind_text(st, i++, w->action == ROW_DROP_INDEX ? NULL : bidx, -1);
	store_bind_int64(st, i, w->id);
	rc = dom_step_done(st);
	if (rc == 0 && store_changes(c) != 1)
		rc = STORE_ERR;
out:
	sodium_memzero(sealed, sizeof sealed);
	return rc;
}

/* One batch of the column in one transaction: re-seal, fix indexes, record the progress and, at
   the end of the column, its audit record. */
static int batch_fn(struct store_conn *c, void *arg)
{
	struct col_run *cr = arg;
	struct store_stmt *st;
	char detail[256];
	int n, rc = 0;
	int64_t total = 0;

	cr->b_resealed = cr->b_current = cr->b_clear = cr->b_unreadable = 0;
	cr->b_rows = 0;
	n = batch_read(c, cr);
	if (n < 0)
		return n;
	for (int i = 0; i < n && rc == 0; i++) {
		struct row_work *w = &cr->rows[i];

		if (cr->r->stop_after > 0 && *cr->examined + i >= cr->r->stop_after) {
			cr->stopped =
			        1; /* as if the process died here: nothing of this batch stays */
			rc = 1;
			break;
		}
		if (w->action == ROW_KEEP)
			continue;
		rc = row_write(c, cr, w);
		if (w->action == ROW_RESEAL)
			cr->b_resealed++;
	}
	for (int i = 0; i < n; i++)
		sodium_memzero(cr->rows[i].plain, sizeof cr->rows[i].plain);
	if (rc != 0)
		return rc;
	st = store_prepare(c, "UPDATE sealed_rotation SET last_id = ?, done = ?, "
	                      "resealed = resealed + ?, updated_at = ? "
	                      "WHERE label = ? AND key_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, n > 0 ? cr->rows[n - 1].id : cr->last_id);
	store_bind_int64(st, 2, n < cr->batch);
	store_bind_int64(st, 3, cr->b_resealed);
	store_bind_int64(st, 4, cr->x->now);
	store_bind_text(st, 5, cr->col->label, -1);
	store_bind_text(st, 6, cr->v->key_id, -1);
	rc = dom_step_done(st);
	if (rc == 0 && store_changes(c) != 1)
		rc = STORE_ERR;
	if (rc == 0 && n < cr->batch) {
		st = store_prepare(c, "SELECT resealed FROM sealed_rotation WHERE label = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, cr->col->label, -1);
		if (store_step(st) == STORE_ROW)
			total = store_col_int64(st, 0);
		store_reset(st);
		(void)snprintf(detail, sizeof detail,
		               "%s 的 %" PRId64
		               " 行已用新数据密钥 %.8s 重新加密（共重新加密 %" PRId64 " 个值）",
		               cr->col->label, cr->done_rows + n, cr->v->key_id, total);
		rc = rotation_record(c, cr->x, cr->col->label, detail);
	}
	if (rc == 0)
		cr->b_rows = n;
	return rc;
}

static int rotate_column(const struct dom_ctx *x, const struct vault *v,
                         const struct sealed_column *col, struct sealed_rotation *r,
                         struct row_work *rows, int batch, int64_t *examined, struct dom_err *e)
{
	struct col_run cr = { .x = x,
		              .v = v,
		              .col = col,
		              .r = r,
		              .rows = rows,
		              .batch = batch,
		              .examined = examined };
	int rc;

	if (col_sql_build(col, &cr.q) < 0)
		return dom_err_set(e, 500, "internal", "内部错误：加密字段登记表有误（%s）",
		                   col->label);
	if (store_write(x->store, begin_fn, &cr) != 0)
		return dom_err_set(e, 503, "write_failed", "写入失败：无法记录 %s 的轮换进度",
		                   col->label);
	if (r->progress)
		r->progress(col, cr.done_rows, cr.total, r->arg);
	while (!cr.done) {
		rc = store_write(x->store, batch_fn, &cr);
		if (rc != 0 && cr.stopped) {
			r->stopped = 1;
			return 1;
		}
		if (rc != 0)
			return dom_err_set(e, 503, "write_failed",
			                   "写入失败：%s 的一批数据未能重新加密（已提交的批次保留，"
			                   "重新运行即可继续）",
			                   col->label);
		r->resealed += cr.b_resealed;
		r->current += cr.b_current;
		r->clear += cr.b_clear;
		r->unreadable += cr.b_unreadable;
		*examined += cr.b_rows;
		if (cr.b_rows > 0)
			cr.last_id = cr.rows[cr.b_rows - 1].id;
		cr.done_rows += cr.b_rows;
		cr.done = cr.b_rows < batch;
		if (r->progress)
			r->progress(col, cr.done_rows, cr.total, r->arg);
	}
	return 0;
}

int sealed_rotate(const struct dom_ctx *x, const struct vault *v, struct sealed_rotation *r,
                  struct dom_err *e)
{
	struct row_work *rows = NULL;
	int batch = r->batch ? r->batch : SEALED_ROTATE_BATCH, rc = 0;
	int64_t examined = 0;

	r->resealed = r->current = r->clear = r->unreadable = 0;
	r->stopped = 0;
	if (!v || !v->ready || !v->prev_ready || !x->audit_key)
		return dom_err_set(e, 500, "internal",
		                   "内部错误：轮换需要新旧两个数据密钥和审计密钥");
	if (batch < 1 || batch > SEALED_ROTATE_BATCH_MAX)
		return dom_err_set(e, 400, "bad_batch", "每批行数应为 1 到 %d",
		                   SEALED_ROTATE_BATCH_MAX);
	rows = calloc((size_t)batch, sizeof *rows); /* calloc checks the product for overflow */
	if (!rows)
		return dom_err_set(e, 503, "no_memory", "内存不足");
	for (size_t i = 0; i < REGISTRY_N && rc == 0; i++)
		rc = rotate_column(x, v, &registry[i], r, rows, batch, &examined, e);
	sodium_memzero(rows, (size_t)batch * sizeof *rows);
	free(rows);
	return rc;
}

struct finish_run {
	const struct dom_ctx *x;
	const char *detail;
};

static int finish_fn(struct store_conn *c, void *arg)
{
	struct finish_run *f = arg;
	int rc = store_exec(c, "DELETE FROM sealed_rotation");

	return rc != STORE_OK ? rc : rotation_record(c, f->x, "data.key", f->detail);
}

int sealed_rotation_finish(const struct dom_ctx *x, const char *detail, struct dom_err *e)
{
	struct finish_run f = { x, detail };

	if (!x->audit_key)
		return dom_err_set(e, 500, "internal", "内部错误：缺少审计密钥");
	if (store_write(x->store, finish_fn, &f) != 0)
		return dom_err_set(e, 503, "write_failed", "写入失败：无法记录轮换结束");
	return 0;
}

int64_t sealed_rotation_pending(struct store_conn *c, const char *key_id)
{
	if (!c)
		return -1;
	if (!key_id)
		return query_count(c, "SELECT count(*) FROM sealed_rotation", NULL, 0, 0);
	return query_count(c, "SELECT count(*) FROM sealed_rotation WHERE key_id = ?", key_id, 0,
	                   0);
}

int64_t sealed_count_previous(struct store_conn *c, const struct vault *v, int64_t *neither)
{
	struct col_sql q;
	struct store_stmt *st;
	char plain[SEALED_VALUE_MAX];
	int64_t n = 0, none = 0;
	int rc = STORE_DONE;

	if (!c || !v || !v->ready)
		return -1;
	for (size_t i = 0; i < REGISTRY_N && rc == STORE_DONE; i++) {
		const struct sealed_column *col = &registry[i];

		if (col_sql_build(col, &q) < 0 || !(st = store_prepare(c, q.rows)))
			return -1;
		while ((rc = store_step(st)) == STORE_ROW) {
			const char *val = store_col_text(st, 1);
			int which;

			if (!val || !vault_is_sealed(val))
				continue;
			which = vault_open_which(v, col->label, store_col_int64(st, 0), val, plain,
			                         sizeof plain);
			n += which == 1;
			none += which < 0;
			sodium_memzero(plain, sizeof plain);
		}
		store_reset(st);
	}
	if (neither)
		*neither = none;
	return rc == STORE_DONE ? n : -1;
}

int sealed_index(const char *label, const char *value, char *out)
{
	const struct vault *v = vault_global();
	const struct sealed_column *col = column_of(label);

	if (!v || !col)
		return -1;
	column_index(col, v, value ? value : "", out);
	return 0;
}

int sealed_value(const char *label, int64_t row, const char *value, char *sealed, size_t n,
                 char *bidx, struct dom_err *e)
{
	const struct vault *v = vault_global();
	const struct sealed_column *col = NULL;

	for (size_t i = 0; i < REGISTRY_N && !col; i++)
		if (strcmp(registry[i].label, label) == 0)
			col = &registry[i];
	if (!col || n == 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	sealed[0] = '\0';
	if (bidx)
		bidx[0] = '\0';
	if (!value || !*value)
		return 0;
	if (!v)
		return dom_err_set(e, 503, "vault_unavailable",
		                   "敏感信息加密密钥未加载，暂时无法保存电话号码或身份证号码");
	if (vault_seal(v, label, row, value, sealed, n) < 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	if (bidx && col->bidx_column)
		column_index(col, v, value, bidx);
	return 0;
}

int sealed_put(struct store_conn *c, const char *label, int64_t row, const char *value,
               struct dom_err *e)
{
	const struct vault *v = vault_global();
	const struct sealed_column *col = NULL;
	char sealed[SEALED_SEALED_MAX], bidx[VAULT_INDEX_HEX];
	int set = value && *value, rc = -1;
	struct col_sql q;
	struct store_stmt *st;

	for (size_t i = 0; i < REGISTRY_N && !col; i++)
		if (strcmp(registry[i].label, label) == 0)
			col = &registry[i];
	if (!col || col_sql_build(col, &q) < 0)
		return dom_err_set(e, 500, "internal", "内部错误");
	if (set && !v)
		return dom_err_set(e, 503, "vault_unavailable",
		                   "敏感信息加密密钥未加载，暂时无法保存电话号码或身份证号码");
	if (set && vault_seal(v, label, row, value, sealed, sizeof sealed) < 0) {
		rc = dom_err_store(e, STORE_ERR);
		goto out;
	}
	if (set && col->bidx_column)
		column_index(col, v, value, bidx);
	if (!(st = store_prepare(c, q.update))) {
		rc = dom_err_store(e, STORE_ERR);
		goto out;
	}
	store_bind_text(st, 1, set ? sealed : NULL, -1);
	if (col->bidx_column) {
		store_bind_text(st, 2, set ? bidx : NULL, -1);
		store_bind_int64(st, 3, row);
	} else {
		store_bind_int64(st, 2, row);
	}
	rc = dom_step_done(st);
	if (rc != 0)
		rc = dom_err_store(e, rc);
out:
	sodium_memzero(sealed, sizeof sealed);
	return rc;
}

int sealed_id_number_index(const char *id_number, char *out)
{
	const struct vault *v = vault_global();

	if (!v)
		return -1;
	column_index(column_of(SEALED_FIELD_ID_NUMBER), v, id_number, out);
	return 0;
}
