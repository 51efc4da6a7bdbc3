/*
 * The hash-chained audit trail. The canonical form of a record is a fixed list of fields, each
 * written as "<decimal length>:<bytes>\n", so no choice of field contents can make two different
 * records encode alike. hash = BLAKE2b-256(key; prev_hash hex || canonical record), as hex.
 * Appends run on the writer thread, which serialises them, so reading the last hash and inserting
 * after it cannot interleave with another append.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/access.h"
#include "domain/audit.h"
#include "store/store.h"

static const char zero_hash[AUDIT_HASH_HEX] =
        "0000000000000000000000000000000000000000000000000000000000000000";

int audit_key_path(const char *db_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s.audit.key", db_path);

	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int audit_key_load(const char *db_path, int create, unsigned char key[AUDIT_KEY_LEN], char *err,
                   size_t errlen)
{
	char path[4096];

	if (audit_key_path(db_path, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	return keyfile_load(path, AUDIT_KEY_LEN, create, key, err, errlen); /* base/vault.h */
}

static void put_field(crypto_generichash_state *h, const char *s)
{
	char len[24];
	int n;

	if (!s)
		s = "";
	n = snprintf(len, sizeof len, "%zu:", strlen(s));
	crypto_generichash_update(h, (const unsigned char *)len, (size_t)n);
	crypto_generichash_update(h, (const unsigned char *)s, strlen(s));
	crypto_generichash_update(h, (const unsigned char *)"\n", 1);
}

static void put_int(crypto_generichash_state *h, int64_t v)
{
	char s[24];

	snprintf(s, sizeof s, "%" PRId64, v);
	put_field(h, s);
}

static void to_hex(const unsigned char *raw, char out[AUDIT_HASH_HEX])
{
	sodium_bin2hex(out, AUDIT_HASH_HEX, raw, 32);
}

struct record {
	int64_t id, at, user_id, org_id;
	const char *username, *source, *action, *object, *outcome, *detail, *request_id;
	const char *prev_hash;
};

static void record_hash(const unsigned char *key, const struct record *r, char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state h;
	unsigned char raw[32];

	crypto_generichash_init(&h, key, AUDIT_KEY_LEN, sizeof raw);
	put_field(&h, "wangge-audit-v1");
	put_field(&h, r->prev_hash);
	put_int(&h, r->id);
	put_int(&h, r->at);
	put_int(&h, r->user_id);
	put_field(&h, r->username);
	put_int(&h, r->org_id);
	put_field(&h, r->source);
	put_field(&h, r->action);
	put_field(&h, r->object);
	put_field(&h, r->outcome);
	put_field(&h, r->detail);
	put_field(&h, r->request_id);
	crypto_generichash_final(&h, raw, sizeof raw);
	to_hex(raw, out);
}

/* mac over an anchor "name:id:hash". */
static void anchor_mac(const unsigned char *key, const char *name, int64_t id, const char *hash,
                       char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state h;
	unsigned char raw[32];

	crypto_generichash_init(&h, key, AUDIT_KEY_LEN, sizeof raw);
	put_field(&h, "wangge-audit-anchor-v1");
	put_field(&h, name);
	put_int(&h, id);
	put_field(&h, hash);
	crypto_generichash_final(&h, raw, sizeof raw);
	to_hex(raw, out);
}

static int put_anchor(struct store_conn *c, const unsigned char *key, const char *name, int64_t id,
                      const char *hash)
{
	char mac[AUDIT_HASH_HEX], value[200];
	struct store_stmt *st;
	int rc;

	anchor_mac(key, name, id, hash, mac);
	snprintf(value, sizeof value, "%" PRId64 ":%s:%s", id, hash, mac);
	st = store_prepare(c, "INSERT INTO audit_meta (name, value) VALUES (?, ?) "
	                      "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, name, -1);
	store_bind_text(st, 2, value, -1);
	rc = store_step(st);
	store_reset(st);
	return rc == STORE_DONE ? 0 : (rc < 0 ? rc : STORE_ERR);
}

/* Reads anchor name: 1 found and valid, 0 missing, -2 present but not valid, -1 error. */
static int get_anchor(struct store_conn *c, const unsigned char *key, const char *name, int64_t *id,
                      char hash[AUDIT_HASH_HEX])
{
	struct store_stmt *st = store_prepare(c, "SELECT value FROM audit_meta WHERE name = ?");
	char mac[AUDIT_HASH_HEX], want[AUDIT_HASH_HEX];
	long long lid;
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, name, -1);
	rc = store_step(st);
	if (rc == STORE_DONE) {
		found = 0;
	} else if (rc == STORE_ROW) {
		const char *v = store_col_text(st, 0);
		found = -2;
		if (v && sscanf(v, "%lld:%64[0-9a-f]:%64[0-9a-f]", &lid, hash, mac) == 3) {
			*id = lid;
			anchor_mac(key, name, *id, hash, want);
			if (sodium_memcmp(want, mac, 64) == 0)
				found = 1;
		}
	}
	store_reset(st);
	return found;
}

int audit_append_conn(struct store_conn *c, const unsigned char key[AUDIT_KEY_LEN],
                      const struct audit_entry *e)
{
	struct store_stmt *st;
	struct record r = { 0 };
	char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
	int rc;

	memcpy(prev, zero_hash, sizeof prev);
	r.id = 1;
	st = store_prepare(c, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
	if (!st)
		return STORE_ERR;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		const char *h = store_col_text(st, 1);
		r.id = store_col_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s", h ? h : "");
	}
	store_reset(st);
	if (rc != STORE_ROW && rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	if (rc == STORE_DONE) {
		/* Empty log: after a purge of everything the chain continues from the base. */
		int64_t bid;
		char bh[AUDIT_HASH_HEX];
		if (get_anchor(c, key, "head", &bid, bh) == 1) {
			r.id = bid + 1;
			memcpy(prev, bh, sizeof prev);
		}
	}
	r.at = e->at ? e->at : clock_now();
	r.user_id = e->user_id;
	r.org_id = e->org_id;
	r.username = e->username ? e->username : "";
	r.source = e->source ? e->source : "";
	r.action = e->action ? e->action : "";
	r.object = e->object ? e->object : "";
	r.outcome = e->outcome ? e->outcome : "success";
	r.detail = e->detail ? e->detail : "";
	r.request_id = e->request_id ? e->request_id : "";
	r.prev_hash = prev;
	record_hash(key, &r, hash);
	st = store_prepare(c, "INSERT INTO audit_log (id, at, user_id, username, org_id, source, "
	                      "action, object, outcome, detail, request_id, prev_hash, hash) "
	                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, r.id);
	store_bind_int64(st, 2, r.at);
	if (r.user_id)
		store_bind_int64(st, 3, r.user_id);
	else
		store_bind_null(st, 3);
	store_bind_text(st, 4, r.username, -1);
	if (r.org_id)
		store_bind_int64(st, 5, r.org_id);
	else
		store_bind_null(st, 5);
	store_bind_text(st, 6, r.source, -1);
	store_bind_text(st, 7, r.action, -1);
	store_bind_text(st, 8, r.object, -1);
	store_bind_text(st, 9, r.outcome, -1);
	store_bind_text(st, 10, r.detail, -1);
	store_bind_text(st, 11, r.request_id, -1);
	store_bind_text(st, 12, prev, -1);
	store_bind_text(st, 13, hash, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	return put_anchor(c, key, "head", r.id, hash);
}

struct append_ctx {
	const unsigned char *key;
	const struct audit_entry *e;
};

static int append_fn(struct store_conn *c, void *arg)
{
	struct append_ctx *ctx = arg;

	return audit_append_conn(c, ctx->key, ctx->e);
}

int audit_in_write(const struct principal *p)
{
	return p && p->audit_key != NULL;
}

int audit_write_conn(struct store_conn *c, const struct principal *p, const char *action,
                     const char *object, const char *detail)
{
	struct audit_entry e = { 0 };

	if (!audit_in_write(p))
		return 0;
	e.user_id = p->user_id;
	e.username = p->username;
	e.org_id = p->org_id;
	e.source = p->source;
	e.action = action;
	e.object = object;
	e.outcome = "success";
	e.detail = detail;
	e.request_id = p->request_id;
	return audit_append_conn(c, p->audit_key, &e);
}

int audit_append(struct store *s, const unsigned char key[AUDIT_KEY_LEN],
                 const struct audit_entry *e)
{
	struct append_ctx ctx = { key, e };
	int rc = store_write(s, append_fn, &ctx);

	if (rc != 0)
		log_error("audit.append_failed", "action=%s rc=%d", e->action ? e->action : "", rc);
	return rc;
}

int audit_verify(struct store_conn *c, const unsigned char key[AUDIT_KEY_LEN], struct buf *report)
{
	struct store_stmt *st;
	char expect[AUDIT_HASH_HEX], head_hash[AUDIT_HASH_HEX], base_hash[AUDIT_HASH_HEX];
	int64_t last_id = 0, head_id = 0, base_id = 0, n = 0;
	int findings = 0, rc, head, base;

	memcpy(expect, zero_hash, sizeof expect);
	base = get_anchor(c, key, "base", &base_id, base_hash);
	head = get_anchor(c, key, "head", &head_id, head_hash);
	if (base == -1 || head == -1)
		return -1;
	if (base == -2) {
		buf_printf(report, "audit: the base anchor was altered\n");
		findings++;
	} else if (base == 1) {
		memcpy(expect, base_hash, sizeof expect);
		last_id = base_id - 1;
	}
	if (head == -2) {
		buf_printf(report, "audit: the head anchor was altered\n");
		findings++;
	}
	st = store_prepare(c, "SELECT id, at, user_id, username, org_id, source, action, object, "
	                      "outcome, detail, request_id, prev_hash, hash FROM audit_log "
	                      "ORDER BY id");
	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct record r;
		char want[AUDIT_HASH_HEX];
		const char *stored;

		r.id = store_col_int64(st, 0);
		r.at = store_col_int64(st, 1);
		r.user_id = store_col_is_null(st, 2) ? 0 : store_col_int64(st, 2);
		r.username = store_col_text(st, 3);
		r.org_id = store_col_is_null(st, 4) ? 0 : store_col_int64(st, 4);
		r.source = store_col_text(st, 5);
		r.action = store_col_text(st, 6);
		r.object = store_col_text(st, 7);
		r.outcome = store_col_text(st, 8);
		r.detail = store_col_text(st, 9);
		r.request_id = store_col_text(st, 10);
		r.prev_hash = store_col_text(st, 11);
		stored = store_col_text(st, 12);
		if (!r.prev_hash)
			r.prev_hash = "";
		if (!stored)
			stored = "";
		n++;
		if (r.id != last_id + 1) {
			if (r.id > last_id + 1)
				buf_printf(report,
				           "audit: record(s) %" PRId64 "..%" PRId64
				           " missing before record %" PRId64 "\n",
				           last_id + 1, r.id - 1, r.id);
			else
				buf_printf(report, "audit: record %" PRId64 " out of order\n",
				           r.id);
			findings++;
		} else if (strcmp(r.prev_hash, expect) != 0) {
			buf_printf(report,
			           "audit: record %" PRId64 " does not follow record %" PRId64
			           " (a record was removed, inserted or reordered)\n",
			           r.id, last_id);
			findings++;
		}
		record_hash(key, &r, want);
		if (strcmp(want, stored) != 0) {
			buf_printf(report,
			           "audit: record %" PRId64 " was altered (its hash does "
			           "not match its content)\n",
			           r.id);
			findings++;
		}
		snprintf(expect, sizeof expect, "%s", stored);
		last_id = r.id;
	}
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	if (head == 1) {
		if (last_id < head_id) {
			buf_printf(report,
			           "audit: record(s) %" PRId64 "..%" PRId64
			           " missing at the end (the head anchor is at %" PRId64 ")\n",
			           last_id + 1, head_id, head_id);
			findings++;
		} else if (last_id > head_id) {
			buf_printf(report,
			           "audit: record(s) after %" PRId64
			           " are not covered by the head anchor\n",
			           head_id);
			findings++;
		} else if (strcmp(expect, head_hash) != 0) {
			buf_printf(report,
			           "audit: the last record %" PRId64
			           " does not match the head anchor\n",
			           last_id);
			findings++;
		}
	} else if (head == 0 && n > 0) {
		buf_printf(report, "audit: the head anchor is missing\n");
		findings++;
	}
	return findings;
}

struct purge_ctx {
	const unsigned char *key;
	int64_t before;
	int64_t deleted;
};

static int purge_fn(struct store_conn *c, void *arg)
{
	struct purge_ctx *ctx = arg;
	struct store_stmt *st;
	int64_t first = 0;
	char prev[AUDIT_HASH_HEX] = "";
	int rc;

	/* The first record that stays becomes the new base. */
	st = store_prepare(c, "SELECT id, prev_hash FROM audit_log WHERE at >= ? ORDER BY id "
	                      "LIMIT 1");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, ctx->before);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		first = store_col_int64(st, 0);
		snprintf(prev, sizeof prev, "%s", store_col_text(st, 1));
	}
	store_reset(st);
	if (rc == STORE_DONE)
		return 1; /* nothing younger: keep at least the newest record as the base */
	if (rc != STORE_ROW)
		return rc < 0 ? rc : STORE_ERR;
	st = store_prepare(c, "DELETE FROM audit_log WHERE id < ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, first);
	rc = store_step(st);
	store_reset(st);
	if (rc != STORE_DONE)
		return rc < 0 ? rc : STORE_ERR;
	ctx->deleted = store_changes(c);
	return put_anchor(c, ctx->key, "base", first, prev);
}

int audit_purge(struct store *s, const unsigned char key[AUDIT_KEY_LEN], int64_t before,
                int64_t retention_s, int64_t now, int64_t *deleted)
{
	struct purge_ctx ctx = { key, before, 0 };
	int rc;

	if (retention_s < AUDIT_DEFAULT_RETENTION_S)
		retention_s = AUDIT_DEFAULT_RETENTION_S;
	if (before > now - retention_s)
		return -2;
	rc = store_write(s, purge_fn, &ctx);
	if (rc == 1) {
		*deleted = 0;
		return 0;
	}
	if (rc != 0)
		return -1;
	*deleted = ctx.deleted;
	log_info("audit.purged", "before=%lld deleted=%lld", (long long)before,
	         (long long)ctx.deleted);
	return 0;
}

/* ---- search and export ---- */

static const char audit_where[] =
        "WHERE (? IS NULL OR username = ?) AND (? IS NULL OR action = ? OR (? = 1 AND "
        "substr(action, 1, length(?)) = ?)) AND (? IS NULL OR outcome = ?) AND (? = 0 OR at >= "
        "?) AND (? = 0 OR at < ?) ";

static void bind_filter(struct store_stmt *st, const struct audit_filter *f, char *prefix,
                        size_t plen)
{
	int is_prefix = 0;
	int k = 1;

	prefix[0] = '\0';
	if (f->action) {
		size_t n = strlen(f->action);
		if (n > 0 && f->action[n - 1] == '*') {
			snprintf(prefix, plen, "%.*s", (int)(n - 1), f->action);
			is_prefix = 1;
		}
	}
	store_bind_text(st, k++, f->username, -1);
	store_bind_text(st, k++, f->username, -1);
	store_bind_text(st, k++, f->action, -1);
	store_bind_text(st, k++, f->action, -1);
	store_bind_int64(st, k++, is_prefix);
	store_bind_text(st, k++, prefix, -1);
	store_bind_text(st, k++, prefix, -1);
	store_bind_text(st, k++, f->outcome, -1);
	store_bind_text(st, k++, f->outcome, -1);
	store_bind_int64(st, k++, f->from);
	store_bind_int64(st, k++, f->from);
	store_bind_int64(st, k++, f->to);
	store_bind_int64(st, k++, f->to);
}

#define AUDIT_FILTER_BINDS 13

struct json_t *audit_list(struct store *s, const struct audit_filter *f)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	char sql[1024], prefix[128];
	json_t *items = json_array();
	int64_t total = 0;
	int rc;

	if (!c || !items)
		goto fail;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log %s", audit_where);
	if (!(st = store_prepare(c, sql)))
		goto fail;
	bind_filter(st, f, prefix, sizeof prefix);
	if (store_step(st) == STORE_ROW)
		total = store_col_int64(st, 0);
	store_reset(st);
	/* The organisation's current name; the filter's columns are audit_log's only (organisations
	   has no column of those names). */
	snprintf(
	        sql, sizeof sql,
	        "SELECT a.id, a.at, a.username, a.user_id, a.org_id, a.source, a.action, a.object, "
	        "a.outcome, a.detail, a.request_id, o.name FROM audit_log a LEFT JOIN "
	        "organisations o ON o.id = a.org_id %s ORDER BY a.id DESC LIMIT ? OFFSET ?",
	        audit_where);
	if (!(st = store_prepare(c, sql)))
		goto fail;
	bind_filter(st, f, prefix, sizeof prefix);
	store_bind_int64(st, AUDIT_FILTER_BINDS + 1, f->limit);
	store_bind_int64(st, AUDIT_FILTER_BINDS + 2, f->offset);
	while ((rc = store_step(st)) == STORE_ROW) {
		char t[32];
		json_t *it = json_pack(
		        "{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
		        (json_int_t)store_col_int64(st, 0), "at",
		        clock_format_local(store_col_int64(st, 1), t, sizeof t), "username",
		        store_col_text(st, 2), "user_id", (json_int_t)store_col_int64(st, 3),
		        "org_id", (json_int_t)store_col_int64(st, 4), "source",
		        store_col_text(st, 5), "action", store_col_text(st, 6), "object",
		        store_col_text(st, 7), "outcome", store_col_text(st, 8), "detail",
		        store_col_text(st, 9), "request_id", store_col_text(st, 10));

		json_object_set_new(it, "org_name",
		                    store_col_is_null(st, 11)
		                            ? json_null()
		                            : json_string(store_col_text(st, 11)));
		json_array_append_new(items, it);
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	return json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                 (json_int_t)f->limit, "offset", (json_int_t)f->offset);
fail:
	json_decref(items);
	return NULL;
}

static int csv_cell(struct buf *out, const char *v, int last)
{
	int rc = buf_putc(out, '"');

	if (v && (*v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t' || *v == '\r'))
		rc |= buf_putc(out, '\'');
	for (const char *p = v ? v : ""; *p && rc == 0; p++) {
		if (*p == '"')
			rc |= buf_putc(out, '"');
		rc |= buf_putc(out, *p);
	}
	rc |= buf_putc(out, '"');
	rc |= buf_puts(out, last ? "\r\n" : ",");
	return rc;
}

int64_t audit_export_csv(struct store *s, const struct audit_filter *f, struct buf *out)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	char sql[1024], prefix[128];
	int64_t rows = 0;
	int rc;

	if (!c)
		return -1;
	if (buf_puts(out, "\xef\xbb\xbf\"编号\",\"时间\",\"用户\",\"用户ID\",\"组织ID\",\"组织\","
	                  "\"来源地址\",\"操作\",\"对象\",\"结果\",\"详情\",\"请求ID\","
	                  "\"哈希\"\r\n") < 0)
		return -1;
	snprintf(
	        sql, sizeof sql,
	        "SELECT a.id, a.at, a.username, a.user_id, a.org_id, a.source, a.action, a.object, "
	        "a.outcome, a.detail, a.request_id, a.hash, o.name FROM audit_log a LEFT JOIN "
	        "organisations o ON o.id = a.org_id %s ORDER BY a.id",
	        audit_where);
	if (!(st = store_prepare(c, sql)))
		return -1;
	bind_filter(st, f, prefix, sizeof prefix);
	while ((rc = store_step(st)) == STORE_ROW) {
		char id[24], t[32], uid[24], oid[24];
		int w = 0;
		snprintf(id, sizeof id, "%" PRId64, store_col_int64(st, 0));
		clock_format_local(store_col_int64(st, 1), t, sizeof t);
		snprintf(uid, sizeof uid, "%s",
		         store_col_is_null(st, 3) ? "" : store_col_text(st, 3));
		snprintf(oid, sizeof oid, "%s",
		         store_col_is_null(st, 4) ? "" : store_col_text(st, 4));
		w |= csv_cell(out, id, 0);
		w |= csv_cell(out, t, 0);
		w |= csv_cell(out, store_col_text(st, 2), 0);
		w |= csv_cell(out, uid, 0);
		w |= csv_cell(out, oid, 0);
		w |= csv_cell(out, store_col_is_null(st, 12) ? "" : store_col_text(st, 12), 0);
		for (int k = 5; k <= 10; k++)
			w |= csv_cell(out, store_col_text(st, k), 0);
		w |= csv_cell(out, store_col_text(st, 11), 1);
		if (w) {
			store_reset(st);
			return -1;
		}
		rows++;
	}
	store_reset(st);
	return rc == STORE_DONE ? rows : -1;
}
