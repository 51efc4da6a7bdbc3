/*
 * The hash-chained audit trail. The canonical form of a record is a fixed list of fields, each
 * written as "<decimal length>:<bytes>\n", so no choice of field contents can make two different
 * records encode alike. hash = BLAKE2b-256(key; prev_hash hex || canonical record), as hex.
 * Appends run on the writer thread, which serialises them, so reading the last hash and inserting
 * after it cannot interleave with another append.
 *
 * The head record outside the database (PATH.audit.head, audit.h) is moved up after commits, never
 * before: a record that is in the file but was rolled back would look like a cut tail. The writer
 * only notes the newest id it appended (`appended`). In a server, a keeper thread reads the
 * committed head on its own reader connection and rewrites the file; a request that appended wakes
 * it once its write was acknowledged (audit_head_sync), and it also looks every KEEPER_PERIOD_MS.
 * Rewriting the file in the request instead (temporary file, fsync, rename, under a lock) cut
 * audited writes from about 7,800/s to 450/s on the development machine; the thread costs the
 * requests nothing and, under load, one rewrite covers every commit batch finished meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/access.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "store/store.h"

static const char zero_hash[AUDIT_HASH_HEX] =
        "0000000000000000000000000000000000000000000000000000000000000000";

#define HEAD_TAG "wangge-audit-head-v1"
#define NO_KEEPER INT64_MAX
#define MSG_MAX (4096 + 512) /* a message naming a path of up to 4095 bytes */

/* The newest record id this process appended (set on the writer thread, before the commit). */
static atomic_int_fast64_t appended;
/* Appends up to this id need not wake the keeper: the head record holds them, or the keeper's last
   pass found them not (yet) committed and its timer looks again. NO_KEEPER when the process keeps
   no head record, so audit_head_sync returns at once. */
static atomic_int_fast64_t covered = NO_KEEPER;

#define KEEPER_PERIOD_MS 250 /* the keeper looks this often by itself */
#define KEEPER_GAP_MS 50     /* and, woken, never sooner than this after its last pass */

/* The head record a serving process keeps up to date (audit_open .. audit_head_close). store,
   db_path and key are set before the thread starts and left alone until it was joined. */
static struct {
	pthread_mutex_t lock; /* guards running, stopping, pending */
	pthread_cond_t wake;
	pthread_t thread;
	int running, stopping, pending;
	struct store *store;
	char db_path[4096];
	unsigned char key[AUDIT_KEY_LEN];
	int64_t written; /* the id the head record holds (keeper thread only) */
	int failing;     /* the last update failed: logged once until one succeeds */
} keeper = { .lock = PTHREAD_MUTEX_INITIALIZER };

int audit_key_path(const char *db_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s.audit.key", db_path);

	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int audit_head_path(const char *db_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s.audit.head", db_path);

	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int head_write(const char *path, const unsigned char *key, int64_t id, const char *hash,
                      int exclusive, int sync_dir, char *err, size_t errlen);

/* 1 when path exists (or cannot be told not to: a trail must not be given up on an EACCES). */
static int file_present(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

int audit_key_load(const char *db_path, int create, unsigned char key[AUDIT_KEY_LEN], char *err,
                   size_t errlen)
{
	char path[4096], head[4096], data[4096];
	int rc;

	if (audit_key_path(db_path, path, sizeof path) < 0 ||
	    audit_head_path(db_path, head, sizeof head) < 0 ||
	    vault_key_path(db_path, data, sizeof data) < 0) {
		snprintf(err, errlen, "database path too long");
		rc = -1;
		goto out;
	}
	rc = keyfile_load(path, AUDIT_KEY_LEN, 0, key, err, errlen); /* base/vault.h */
	if (rc != 1 || !create)
		goto out;
	/* The key is missing. A head record or a data key beside the database shows that a trail
	   was kept (both are made after the audit key): a new key could not verify it, and would
	   let whoever holds the new key rewrite it unnoticed. */
	if (file_present(head) || file_present(data)) {
		snprintf(
		        err, errlen,
		        "the audit key file %s is missing but the %s %s beside it shows that an "
		        "audit trail was kept: restore the key file from its backup (no new key is "
		        "made)",
		        path, file_present(head) ? "head record" : "data key",
		        file_present(head) ? head : data);
		rc = -1;
		goto out;
	}
	rc = keyfile_load(path, AUDIT_KEY_LEN, 1, key, err, errlen);
	if (rc != 0)
		goto out;
	/* The head record at 0, made with the key: from now on a key without a head record means
	   the record was removed. Exclusive, so a process that won a race to make the key and has
	   already moved the record up is not undone (head_write returns 1 then). */
	if (head_write(head, key, 0, zero_hash, 1, 1, err, errlen) < 0) {
		sodium_memzero(key, AUDIT_KEY_LEN);
		rc = -1;
	}
out:
	return rc;
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
	rc = put_anchor(c, key, "head", r.id, hash);
	if (rc == 0)
		atomic_store(&appended, r.id);
	return rc;
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

int audit_append(struct store *s, const unsigned char key[AUDIT_KEY_LEN],
                 const struct audit_entry *e)
{
	struct append_ctx ctx = { key, e };
	int rc = store_write(s, append_fn, &ctx);

	if (rc != 0)
		log_error("audit.append_failed", "action=%s rc=%d", e->action ? e->action : "", rc);
	audit_head_sync();
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

/* ---- the head record outside the database (audit.h) ---- */

static void head_mac(const unsigned char *key, int64_t id, const char *hash,
                     char out[AUDIT_HASH_HEX])
{
	crypto_generichash_state h;
	unsigned char raw[32];

	crypto_generichash_init(&h, key, AUDIT_KEY_LEN, sizeof raw);
	put_field(&h, HEAD_TAG);
	put_int(&h, id);
	put_field(&h, hash);
	crypto_generichash_final(&h, raw, sizeof raw);
	to_hex(raw, out);
}

/* Reads the head record at path: 1 when it is well formed and its MAC matches (id and hash set),
   0 when missing, -2 when present but altered or malformed, -1 when it cannot be read (err). */
static int head_read(const char *path, const unsigned char *key, int64_t *id,
                     char hash[AUDIT_HASH_HEX], char *err, size_t errlen)
{
	char text[256], mac[AUDIT_HASH_HEX], want[AUDIT_HASH_HEX], nl = 0;
	long long lid = -1;
	struct stat st;
	ssize_t got;
	int fd, end = 0, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = -2;
		goto out;
	}
	got = read(fd, text, sizeof text - 1);
	if (got < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	text[got] = '\0';
	rc = -2;
	if (sscanf(text, HEAD_TAG " %lld %64[0-9a-f] %64[0-9a-f]%c%n", &lid, hash, mac, &nl,
	           &end) != 4 ||
	    nl != '\n' || text[end] != '\0' || lid < 0 || strlen(hash) != 64 || strlen(mac) != 64)
		goto out;
	head_mac(key, (int64_t)lid, hash, want);
	if (sodium_memcmp(want, mac, 64) != 0)
		goto out;
	*id = (int64_t)lid;
	rc = 1;
out:
	close(fd);
	return rc;
}

/* Syncs the folder holding path, so a rename or link into it survives a crash. 0 or -1. */
static int fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, w, rc = -1;

	if (!slash)
		w = snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		w = snprintf(dir, sizeof dir, "/");
	else
		w = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if (w < 0 || (size_t)w >= sizeof dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fsync(fd) == 0)
		rc = 0;
	close(fd);
	return rc;
}

/* Writes the head record (id, hash) at path: a new temporary file beside it (mode 0600), fsync,
   then rename over path (or, exclusive, link, which fails when path exists), so a crash leaves
   the old record or the new one, never a torn one. With sync_dir, the folder is synced too, so the
   new one survives a crash; routine updates skip that fsync, since a record that falls back to
   the previous one after a crash only lags behind the chain, which is allowed. Returns 0, 1 when
   exclusive and path already exists, or -1 with err. */
static int head_write(const char *path, const unsigned char *key, int64_t id, const char *hash,
                      int exclusive, int sync_dir, char *err, size_t errlen)
{
	char tmp[4200], line[256], mac[AUDIT_HASH_HEX];
	int fd = -1, n, rc = -1, have_tmp = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp) {
		snprintf(err, errlen, "database path too long");
		goto out;
	}
	head_mac(key, id, hash, mac);
	n = snprintf(line, sizeof line, HEAD_TAG " %" PRId64 " %s %s\n", id, hash, mac);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	have_tmp = 1;
	if (n < 0 || (size_t)n >= sizeof line || fchmod(fd, 0600) != 0 ||
	    write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (exclusive) {
		if (link(tmp, path) != 0) {
			if (errno == EEXIST)
				rc = 1;
			else
				snprintf(err, errlen, "cannot create %s: %s", path,
				         strerror(errno));
			goto out;
		}
	} else {
		if (rename(tmp, path) != 0) {
			snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
			goto out;
		}
		have_tmp = 0;
	}
	if (sync_dir && fsync_dir_of(path) != 0) {
		snprintf(err, errlen, "cannot sync the folder of %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	return rc;
}

/* Serialises head record updates between processes (a server and a command on the same
   database) with an exclusive flock on the key file, which is never replaced. Returns the
   descriptor to close, or -1. */
static int head_lock(const char *db_path)
{
	char path[4096];
	int fd;

	if (audit_key_path(db_path, path, sizeof path) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The newest record of the chain on c: *id (0 when there is none) and its hash. 0, or -1. */
static int chain_last(struct store_conn *c, int64_t *id, char hash[AUDIT_HASH_HEX])
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
	int rc;

	*id = 0;
	memcpy(hash, zero_hash, AUDIT_HASH_HEX);
	if (!st)
		return -1;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		const char *h = store_col_text(st, 1);
		*id = store_col_int64(st, 0);
		snprintf(hash, AUDIT_HASH_HEX, "%s", h ? h : "");
	}
	store_reset(st);
	return rc == STORE_ROW || rc == STORE_DONE ? 0 : -1;
}

enum { HEAD_HELD, HEAD_BEHIND, HEAD_REWRITTEN };

/* Whether the chain on c, whose newest record is last, holds the head record (id, hash):
   HEAD_HELD (also for id 0, and for a record purged below a valid base anchor), HEAD_BEHIND (the
   chain ends before it), HEAD_REWRITTEN (record id differs or is gone), or -1 on error. */
static int chain_holds(struct store_conn *c, const unsigned char *key, int64_t id, const char *hash,
                       int64_t last)
{
	struct store_stmt *st;
	char base_hash[AUDIT_HASH_HEX];
	int64_t base_id = 0;
	int rc, held = -1;

	if (id == 0)
		return HEAD_HELD;
	if (last < id)
		return HEAD_BEHIND;
	st = store_prepare(c, "SELECT hash FROM audit_log WHERE id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		const char *h = store_col_text(st, 0);
		held = h && strcmp(h, hash) == 0 ? HEAD_HELD : HEAD_REWRITTEN;
	}
	store_reset(st);
	if (rc == STORE_DONE) {
		rc = get_anchor(c, key, "base", &base_id, base_hash);
		held = rc == 1 && base_id > id ? HEAD_HELD : HEAD_REWRITTEN;
		if (rc == -1)
			held = -1;
	}
	return held;
}

/* Why the head record (fid) and the chain (newest record last) disagree, for an operator. The
   message is cut to fit n (paths are at most 4095 bytes). Returns snprintf's count. */
static int mismatch_msg(int state, const char *path, int64_t fid, int64_t last, char *msg, size_t n)
{
	if (state == HEAD_BEHIND)
		return snprintf(msg, n,
		                "the audit trail in the database ends at record %" PRId64
		                " but the head record %s is at record %" PRId64 ": records %" PRId64
		                "..%" PRId64
		                " were cut from its end, or the database was rolled back to an "
		                "older copy",
		                last, path, fid, last + 1, fid);
	return snprintf(msg, n,
	                "record %" PRId64 " of the audit trail in the database does not match the "
	                "head record %s: the chain was rewritten from there",
	                fid, path);
}

/* Moves the head record of db_path up to the newest committed record on c, under the lock; with
   reset, rewrites it whatever it held. Sets *now_at (may be NULL) to the id it holds afterwards.
   Returns 0, or -1 with err when it is missing, altered, or names a record the chain does not
   hold (then it is left alone: moving it would bury the evidence). */
static int head_advance(struct store_conn *c, const char *db_path, const unsigned char *key,
                        int reset, int64_t *now_at, char *err, size_t errlen)
{
	char path[4096], fhash[AUDIT_HASH_HEX], lhash[AUDIT_HASH_HEX];
	int64_t fid = 0, last = 0;
	int lock, got, state, rc = -1;

	if (audit_head_path(db_path, path, sizeof path) < 0) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	lock = head_lock(db_path);
	if (lock < 0) {
		snprintf(err, errlen, "cannot lock the audit key file of %s: %s", db_path,
		         strerror(errno));
		return -1;
	}
	/* Both read under the lock, so of two processes the later writer saw the later chain. */
	if (chain_last(c, &last, lhash) < 0) {
		snprintf(err, errlen, "cannot read the audit trail of %s", db_path);
		goto out;
	}
	if (!reset) {
		got = head_read(path, key, &fid, fhash, err, errlen);
		if (got == 0 || got == -2)
			snprintf(err, errlen, "the head record %s %s", path,
			         got == 0 ? "is missing" : "was altered");
		if (got != 1)
			goto out;
		state = chain_holds(c, key, fid, fhash, last);
		if (state < 0) {
			snprintf(err, errlen, "cannot read the audit trail of %s", db_path);
			goto out;
		}
		if (state != HEAD_HELD) {
			mismatch_msg(state, path, fid, last, err, errlen);
			goto out;
		}
		if (last <= fid) {
			last = fid;
			rc = 0;
			goto out;
		}
	}
	if (head_write(path, key, last, lhash, 0, reset, err, errlen) == 0)
		rc = 0;
out:
	close(lock);
	if (rc == 0 && now_at)
		*now_at = last;
	return rc;
}

/* Whether refusing a new audit key is right: evidence on c and beside db_path that a trail was
   kept (records, anchors, the head record, the data key). Returns 1 with the reason in msg, 0
   when there is none, -1 on error. */
static int trail_evidence(struct store_conn *c, const char *db_path, char *msg, size_t n)
{
	char key[4096], head[4096], data[4096];
	struct store_stmt *st;
	int64_t records = 0, anchors = 0;
	int rc;

	if (audit_key_path(db_path, key, sizeof key) < 0 ||
	    audit_head_path(db_path, head, sizeof head) < 0 ||
	    vault_key_path(db_path, data, sizeof data) < 0) {
		snprintf(msg, n, "database path too long");
		return -1;
	}
	st = store_prepare(c, "SELECT (SELECT count(*) FROM audit_log), "
	                      "(SELECT count(*) FROM audit_meta)");
	if (!st)
		return -1;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		records = store_col_int64(st, 0);
		anchors = store_col_int64(st, 1);
	}
	store_reset(st);
	if (rc != STORE_ROW) {
		snprintf(msg, n, "cannot read the audit trail of %s", db_path);
		return -1;
	}
	if (records > 0 || anchors > 0)
		snprintf(
		        msg, n,
		        "the audit key file %s is missing but the database holds an audit trail of "
		        "%" PRId64 " record(s): restore the key file from its backup (a new key "
		        "could not verify the trail, so none is made)",
		        key, records);
	else if (file_present(head) || file_present(data))
		snprintf(msg, n,
		         "the audit key file %s is missing but the %s %s beside it shows that an "
		         "audit trail was kept: restore the key file (and the database) from their "
		         "backups (no new key is made)",
		         key, file_present(head) ? "head record" : "data key",
		         file_present(head) ? head : data);
	else
		return 0;
	return 1;
}

/* The head record against the chain on c, for `wangge check`. Returns findings, or -1. */
static int head_check(struct store_conn *c, const char *db_path, const unsigned char *key,
                      struct buf *report)
{
	char path[4096], fhash[AUDIT_HASH_HEX], lhash[AUDIT_HASH_HEX], hhash[AUDIT_HASH_HEX];
	char err[MSG_MAX];
	int64_t fid = 0, last = 0, hid = 0;
	int got, state, findings = 0;

	if (audit_head_path(db_path, path, sizeof path) < 0)
		return -1;
	got = head_read(path, key, &fid, fhash, err, sizeof err);
	if (got == -1) {
		buf_printf(report, "audit: %s\n", err);
		return 1;
	}
	if (got == 0) {
		buf_printf(report,
		           "audit: the head record %s is missing (it is made with the key: restore "
		           "it from its backup; for a database made before head records existed, "
		           "run wangge audit-head --reset)\n",
		           path);
		return 1;
	}
	if (got == -2) {
		buf_printf(report,
		           "audit: the head record %s was altered (its MAC does not match)\n",
		           path);
		return 1;
	}
	if (chain_last(c, &last, lhash) < 0)
		return -1;
	/* With records left, audit_verify already reports a missing head anchor. */
	if (fid > 0 && last == 0 && get_anchor(c, key, "head", &hid, hhash) == 0) {
		buf_printf(report, "audit: the head anchor is missing\n");
		findings++;
	}
	state = chain_holds(c, key, fid, fhash, last);
	if (state < 0)
		return -1;
	if (state == HEAD_BEHIND) {
		buf_printf(
		        report,
		        "audit: record(s) %" PRId64 "..%" PRId64
		        " missing at the end: the head record %s is at record %" PRId64
		        " (the tail was cut, or the database was rolled back to an older copy)\n",
		        last + 1, fid, path, fid);
		findings++;
	} else if (state == HEAD_REWRITTEN) {
		buf_printf(
		        report,
		        "audit: record %" PRId64
		        " does not match the head record %s (the chain was rewritten from there)\n",
		        fid, path);
		findings++;
	}
	return findings;
}

int audit_check(struct store_conn *c, const char *db_path, struct buf *report)
{
	unsigned char key[AUDIT_KEY_LEN];
	char err[MSG_MAX];
	int rc, findings = -1;

	if (!c || store_schema_version(c) < 3)
		return c ? 0 : -1;
	rc = audit_key_load(db_path, 0, key, err, sizeof err);
	if (rc < 0) {
		buf_printf(report, "audit: %s\n", err);
		return 1;
	}
	if (rc == 1) {
		rc = trail_evidence(c, db_path, err, sizeof err);
		if (rc > 0)
			buf_printf(report, "audit: %s\n", err);
		return rc;
	}
	findings = audit_verify(c, key, report);
	if (findings >= 0) {
		rc = head_check(c, db_path, key, report);
		findings = rc < 0 ? -1 : findings + rc;
	}
	sodium_memzero(key, sizeof key);
	return findings;
}

/* One pass of the keeper: the head record up to the committed chain, when this process appended
   since. Failures are logged once until a pass succeeds. */
static void keeper_pass(void)
{
	int64_t seen = atomic_load(&appended), at = 0;
	struct store_conn *c;
	char err[MSG_MAX];

	if (seen <= keeper.written)
		return;
	c = store_reader(keeper.store);
	if (c && head_advance(c, keeper.db_path, keeper.key, 0, &at, err, sizeof err) == 0) {
		keeper.written = at;
		keeper.failing = 0;
	} else if (!keeper.failing) {
		log_error("audit.head_failed", "db=%s error=\"%s\"", keeper.db_path,
		          c ? err : "no reader connection");
		keeper.failing = 1;
	}
	/* Appends up to seen that the chain does not hold yet were not committed when it was read,
	   or were rolled back: the timer looks again, so requests need not wake the thread for
	   them (a rolled-back record would otherwise have every request wake it). */
	atomic_store(&covered, at > seen ? at : seen);
}

/* Waits on the keeper's condition variable until ms on the monotonic clock (lock held). */
static void keeper_wait_until(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	pthread_cond_timedwait(&keeper.wake, &keeper.lock, &ts);
}

/* Passes when woken or every KEEPER_PERIOD_MS, but at most one per KEEPER_GAP_MS: under a write
   load the passes would otherwise follow each other at once, and each one's fsync competes with
   the writer's for the disk (audited writes/s fell by half in the bench without the gap). So the
   head record trails a busy server by up to KEEPER_GAP_MS plus one pass, an idle one by one pass.
 */
static void *keeper_main(void *arg)
{
	int64_t next = 0; /* earliest time of the next pass */

	(void)arg;
	pthread_mutex_lock(&keeper.lock);
	while (!keeper.stopping) {
		if (!keeper.pending)
			keeper_wait_until(clock_mono_ms() + KEEPER_PERIOD_MS);
		if (keeper.stopping)
			break;
		if (clock_mono_ms() < next) {
			keeper_wait_until(next);
			continue;
		}
		keeper.pending = 0;
		pthread_mutex_unlock(&keeper.lock);
		keeper_pass();
		pthread_mutex_lock(&keeper.lock);
		next = clock_mono_ms() + KEEPER_GAP_MS;
	}
	pthread_mutex_unlock(&keeper.lock);
	return NULL;
}

/* Starts the keeper thread of the head record of db_path (now at id at). 0, or -1 with err. */
static int keeper_start(struct store *s, const char *db_path, const unsigned char *key, int64_t at,
                        char *err, size_t errlen)
{
	pthread_condattr_t attr;
	int rc = -1;

	pthread_mutex_lock(&keeper.lock);
	if (keeper.running) {
		snprintf(err, errlen, "the audit head record of %s is already kept",
		         keeper.db_path);
		goto out;
	}
	keeper.store = s;
	snprintf(keeper.db_path, sizeof keeper.db_path, "%s", db_path);
	memcpy(keeper.key, key, AUDIT_KEY_LEN);
	keeper.written = at;
	keeper.failing = keeper.stopping = keeper.pending = 0;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&keeper.wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&keeper.thread, NULL, keeper_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the audit head thread");
		pthread_cond_destroy(&keeper.wake);
		sodium_memzero(keeper.key, sizeof keeper.key);
		keeper.store = NULL;
		goto out;
	}
	keeper.running = 1;
	atomic_store(&covered, at);
	rc = 0;
out:
	pthread_mutex_unlock(&keeper.lock);
	return rc;
}

int audit_open(struct store *s, const char *db_path, unsigned char key[AUDIT_KEY_LEN], char *err,
               size_t errlen)
{
	struct store_conn *c = store_reader(s);
	char path[4096], fhash[AUDIT_HASH_HEX], lhash[AUDIT_HASH_HEX];
	int64_t fid = 0, last = 0, at = 0;
	int rc, got, state;

	if (!c || audit_head_path(db_path, path, sizeof path) < 0) {
		snprintf(err, errlen, "cannot read the database %s", db_path);
		return -1;
	}
	rc = audit_key_load(db_path, 0, key, err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		rc = trail_evidence(c, db_path, err, errlen);
		if (rc != 0 || audit_key_load(db_path, 1, key, err, errlen) != 0)
			goto fail;
	}
	got = head_read(path, key, &fid, fhash, err, errlen);
	if (got == 0 || got == -2) {
		snprintf(err, errlen,
		         "the audit head record %s %s: restore it from its backup, taken with the "
		         "database. If this database was made before head records existed, or an "
		         "older copy of it was restored on purpose, run: wangge audit-head --reset "
		         "--db %s",
		         path, got == 0 ? "is missing" : "was altered", db_path);
		goto fail;
	}
	if (got < 0)
		goto fail;
	state = chain_last(c, &last, lhash) < 0 ? -1 : chain_holds(c, key, fid, fhash, last);
	if (state < 0) {
		snprintf(err, errlen, "cannot read the audit trail of %s", db_path);
		goto fail;
	}
	if (state != HEAD_HELD) {
		char why[MSG_MAX];
		mismatch_msg(state, path, fid, last, why, sizeof why);
		snprintf(err, errlen,
		         "%s. Restore the newest backup of the database; if this older copy was "
		         "restored on purpose, run: wangge audit-head --reset --db %s",
		         why, db_path);
		goto fail;
	}
	if (head_advance(c, db_path, key, 0, &at, err, errlen) < 0)
		goto fail;
	if (keeper_start(s, db_path, key, at, err, errlen) < 0)
		goto fail;
	log_info("audit.head", "db=%s record=%" PRId64, db_path, at);
	return 0;
fail:
	sodium_memzero(key, AUDIT_KEY_LEN);
	return -1;
}

void audit_head_sync(void)
{
	/* Every request that appended nothing: one atomic load. */
	if (atomic_load(&appended) <= atomic_load(&covered))
		return;
	pthread_mutex_lock(&keeper.lock);
	if (keeper.running && !keeper.pending) {
		keeper.pending = 1;
		pthread_cond_signal(&keeper.wake);
	}
	pthread_mutex_unlock(&keeper.lock);
}

void audit_head_close(void)
{
	int running;

	pthread_mutex_lock(&keeper.lock);
	running = keeper.running;
	keeper.stopping = 1;
	pthread_cond_signal(&keeper.wake);
	pthread_mutex_unlock(&keeper.lock);
	if (!running)
		return;
	pthread_join(keeper.thread, NULL);
	/* Every request has finished: the last pass, here, covers what they appended. */
	keeper_pass();
	atomic_store(&covered, NO_KEEPER);
	pthread_cond_destroy(&keeper.wake);
	keeper.running = keeper.stopping = keeper.pending = 0;
	keeper.store = NULL;
	sodium_memzero(keeper.key, sizeof keeper.key);
}

int audit_head_update(struct store *s, const char *db_path, const unsigned char key[AUDIT_KEY_LEN],
                      char *err, size_t errlen)
{
	struct store_conn *c = store_reader(s);

	if (!c) {
		snprintf(err, errlen, "cannot read the database %s", db_path);
		return -1;
	}
	return head_advance(c, db_path, key, 0, NULL, err, errlen);
}

int audit_head_reset(struct store *s, const char *db_path, char *msg, size_t msglen)
{
	struct store_conn *c = store_reader(s);
	unsigned char key[AUDIT_KEY_LEN];
	struct audit_entry e = { 0 };
	struct buf report;
	char path[4096], fhash[AUDIT_HASH_HEX], lhash[AUDIT_HASH_HEX], detail[256], was[96];
	int64_t fid = 0, last = 0, at = 0;
	int rc = -1, got, findings;

	buf_init(&report, 1u << 20);
	if (!c || audit_head_path(db_path, path, sizeof path) < 0) {
		snprintf(msg, msglen, "cannot read the database %s", db_path);
		goto out;
	}
	got = audit_key_load(db_path, 0, key, msg, msglen);
	if (got != 0) {
		if (got == 1)
			snprintf(msg, msglen,
			         "the audit key file of %s is missing: restore it first (a head "
			         "record is made with it)",
			         db_path);
		goto out;
	}
	/* Only a chain that verifies on its own gets a new head record: the reset must not bless
	   a removed, altered or reordered record. */
	findings = audit_verify(c, key, &report);
	if (findings != 0) {
		snprintf(msg, msglen,
		         findings < 0 ? "cannot verify the audit trail of %s"
		                      : "the audit trail in %s has findings of its own (see wangge "
		                        "check): the head record is left as it is",
		         db_path);
		goto wipe;
	}
	if (chain_last(c, &last, lhash) < 0) {
		snprintf(msg, msglen, "cannot read the audit trail of %s", db_path);
		goto wipe;
	}
	got = head_read(path, key, &fid, fhash, msg, msglen);
	if (got == 1)
		snprintf(was, sizeof was, "原记录为第 %" PRId64 " 条", fid);
	else
		snprintf(was, sizeof was, "原记录%s", got == 0 ? "缺失" : "无效");
	snprintf(detail, sizeof detail, "审计链头记录重置：%s，数据库中链末为第 %" PRId64 " 条",
	         was, last);
	/* The reset is itself recorded, so the auditor sees that and when the head was accepted. */
	e.username = "system";
	e.source = "cli";
	e.action = "audit.head_reset";
	e.object = "audit";
	e.outcome = "success";
	e.detail = detail;
	if (audit_append(s, key, &e) != 0) {
		snprintf(msg, msglen, "cannot append the audit.head_reset record to %s", db_path);
		goto wipe;
	}
	if (head_advance(c, db_path, key, 1, &at, msg, msglen) < 0)
		goto wipe;
	if (got == 1)
		snprintf(was, sizeof was, "it was at record %" PRId64, fid);
	else
		snprintf(was, sizeof was, "it was %s", got == 0 ? "missing" : "altered");
	snprintf(msg, msglen, "%s: the head record is now at record %" PRId64 " (%s)", path, at,
	         was);
	log_notice("audit.head_reset", "db=%s record=%" PRId64, db_path, at);
	rc = 0;
wipe:
	sodium_memzero(key, sizeof key);
out:
	buf_release(&report);
	return rc;
}

int audit_head_describe(struct store_conn *c, const char *db_path, struct buf *out)
{
	unsigned char key[AUDIT_KEY_LEN];
	char path[4096], fhash[AUDIT_HASH_HEX], lhash[AUDIT_HASH_HEX], err[MSG_MAX];
	int64_t fid = 0, last = 0;
	int rc = -1, got, state;

	if (!c || audit_head_path(db_path, path, sizeof path) < 0 ||
	    chain_last(c, &last, lhash) < 0)
		return -1;
	got = audit_key_load(db_path, 0, key, err, sizeof err);
	if (got != 0) {
		buf_printf(out, "head record: %s\ndatabase:    newest audit record %" PRId64 "\n",
		           got == 1 ? "cannot be read without the audit key" : err, last);
		return 0;
	}
	got = head_read(path, key, &fid, fhash, err, sizeof err);
	if (got == 1)
		buf_printf(out, "head record: record %" PRId64 " (%.16s...) in %s\n", fid, fhash,
		           path);
	else
		buf_printf(out, "head record: %s %s\n", path,
		           got == 0    ? "is missing"
		           : got == -2 ? "was altered"
		                       : err);
	buf_printf(out, "database:    newest audit record %" PRId64 "\n", last);
	rc = 0;
	if (got == 1) {
		state = chain_holds(c, key, fid, fhash, last);
		if (state == HEAD_HELD) {
			buf_printf(out, "the database holds the head record\n");
			rc = 1;
		} else if (state > 0) {
			mismatch_msg(state, path, fid, last, err, sizeof err);
			buf_printf(out, "%s\n", err);
		} else {
			rc = -1;
		}
	}
	sodium_memzero(key, sizeof key);
	return rc;
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

/* The filter over audit_log's own columns (organisations, joined for its name, has none of these
   names). Every condition is always present, with its value or NULL/0 bound, so the statement
   cache keeps one statement per use. */
static const char audit_match[] =
        "(? IS NULL OR username = ?) AND (? IS NULL OR action = ? OR (? = 1 AND "
        "substr(action, 1, length(?)) = ?)) AND (? IS NULL OR outcome = ?) AND (? = 0 OR at >= "
        "?) AND (? = 0 OR at < ?)";

/* Binds the values of audit_match from index k; returns the next free index. prefix (plen bytes)
   holds the action prefix while the statement runs. */
static int bind_filter(struct store_stmt *st, int k, const struct audit_filter *f, char *prefix,
                       size_t plen)
{
	int is_prefix = 0;

	prefix[0] = '\0';
	if (f->action) {
		size_t n = strlen(f->action);
		if (n > 0 && f->action[n - 1] == '*') {
			(void)snprintf(prefix, plen, "%.*s", (int)(n - 1), f->action);
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
	return k;
}

static json_t *record_json(struct store_stmt *st)
{
	char t[32];
	json_t *it = json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
	                       (json_int_t)store_col_int64(st, 0), "at",
	                       clock_format_local(store_col_int64(st, 1), t, sizeof t), "username",
	                       store_col_text(st, 2), "user_id", (json_int_t)store_col_int64(st, 3),
	                       "org_id", (json_int_t)store_col_int64(st, 4), "source",
	                       store_col_text(st, 5), "action", store_col_text(st, 6), "object",
	                       store_col_text(st, 7), "outcome", store_col_text(st, 8), "detail",
	                       store_col_text(st, 9), "request_id", store_col_text(st, 10));

	if (it)
		json_object_set_new(it, "org_name",
		                    store_col_is_null(st, 11)
		                            ? json_null()
		                            : json_string(store_col_text(st, 11)));
	return it;
}

/* record_json as a dom_row_fn. */
static json_t *record_row_json(struct store_stmt *st, void *arg)
{
	(void)arg;
	return record_json(st);
}

json_t *audit_list(const struct dom_ctx *x, const struct audit_filter *f, const struct dom_page *pg,
                   struct dom_err *e)
{
	struct store_conn *c;
	struct store_stmt *st;
	char sql[1024], prefix[128], upper[130];
	int64_t after;
	int k = 1, is_prefix;

	if (!access_can(x->caller, "audit.read")) {
		dom_err_set(e, 403, "forbidden", "没有查看审计日志的权限");
		return NULL;
	}
	if (dom_page_after_id(pg, &after, e) < 0 || !(c = dom_reader(x, e)))
		return NULL;
	/* Newest first along the primary key: "a.id < ?" is a range on the rowid, so a page costs
	   the same wherever it starts (the first page starts below every id). Only the filters
	   given are in the SQL, each as an equality or a range (an action prefix is the range
	   [prefix, prefix + 0xff): no UTF-8 text holds that byte), so the (username, id) and
	   (action, id) indexes serve a filtered search too (migration 009); the few shapes are
	   cached statements. The organisation's current name comes with each record. */
	is_prefix = f->action && *f->action && f->action[strlen(f->action) - 1] == '*';
	if (is_prefix) {
		(void)snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(f->action) - 1),
		               f->action);
		(void)snprintf(upper, sizeof upper, "%s\xff", prefix);
	}
	(void)snprintf(sql, sizeof sql,
	               "SELECT a.id, a.at, a.username, a.user_id, a.org_id, a.source, a.action, "
	               "a.object, a.outcome, a.detail, a.request_id, o.name FROM audit_log a LEFT "
	               "JOIN organisations o ON o.id = a.org_id WHERE a.id < ?%s%s%s%s%s "
	               "ORDER BY a.id DESC LIMIT ?",
	               f->username ? " AND a.username = ?" : "",
	               !f->action  ? ""
	               : is_prefix ? " AND a.action >= ? AND a.action < ?"
	                           : " AND a.action = ?",
	               f->outcome ? " AND a.outcome = ?" : "", f->from ? " AND a.at >= ?" : "",
	               f->to ? " AND a.at < ?" : "");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, k++, after ? after : INT64_MAX);
	if (f->username)
		store_bind_text(st, k++, f->username, -1);
	if (f->action && is_prefix) {
		store_bind_text(st, k++, prefix, -1);
		store_bind_text(st, k++, upper, -1);
	} else if (f->action) {
		store_bind_text(st, k++, f->action, -1);
	}
	if (f->outcome)
		store_bind_text(st, k++, f->outcome, -1);
	if (f->from)
		store_bind_int64(st, k++, f->from);
	if (f->to)
		store_bind_int64(st, k++, f->to);
	store_bind_int64(st, k, (int64_t)pg->limit + 1);
	return dom_page_collect(st, pg, record_row_json, NULL, e);
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

/* 413 for an export that does not fit in out (its maximum, in MB, is in the message). */
static int64_t export_too_large(const struct buf *out, struct dom_err *e)
{
	dom_err_set(e, 413, "export_too_large",
	            "导出结果超过 %zu MB 上限，请缩小时间范围或增加筛选条件后再导出",
	            out->max / (1024 * 1024) ? out->max / (1024 * 1024) : 1);
	return -1;
}

int64_t audit_export_csv(const struct dom_ctx *x, const struct audit_filter *f, struct buf *out,
                         struct dom_err *e)
{
	struct store_conn *c = NULL;
	struct store_stmt *st = NULL;
	char sql[1024], prefix[128];
	int64_t rows = -1, n = 0;
	int rc;

	if (!access_can(x->caller, "audit.export")) {
		dom_err_set(e, 403, "forbidden", "没有导出审计日志的权限");
		goto out;
	}
	if (!(c = dom_reader(x, e)))
		goto out;
	if (buf_puts(out, "\xef\xbb\xbf\"编号\",\"时间\",\"用户\",\"用户ID\",\"组织ID\",\"组织\","
	                  "\"来源地址\",\"操作\",\"对象\",\"结果\",\"详情\",\"请求ID\","
	                  "\"哈希\"\r\n") < 0) {
		export_too_large(out, e);
		goto out;
	}
	(void)snprintf(
	        sql, sizeof sql,
	        "SELECT a.id, a.at, a.username, a.user_id, a.org_id, a.source, a.action, a.object, "
	        "a.outcome, a.detail, a.request_id, a.hash, o.name FROM audit_log a LEFT JOIN "
	        "organisations o ON o.id = a.org_id WHERE %s ORDER BY a.id",
	        audit_match);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		goto out;
	}
	(void)bind_filter(st, 1, f, prefix, sizeof prefix);
	while ((rc = store_step(st)) == STORE_ROW) {
		char id[24], t[32], uid[24], oid[24];
		int w = 0;

		(void)snprintf(id, sizeof id, "%" PRId64, store_col_int64(st, 0));
		clock_format_local(store_col_int64(st, 1), t, sizeof t);
		(void)snprintf(uid, sizeof uid, "%s",
		               store_col_is_null(st, 3) ? "" : store_col_text(st, 3));
		(void)snprintf(oid, sizeof oid, "%s",
		               store_col_is_null(st, 4) ? "" : store_col_text(st, 4));
		w |= csv_cell(out, id, 0);
		w |= csv_cell(out, t, 0);
		w |= csv_cell(out, store_col_text(st, 2), 0);
		w |= csv_cell(out, uid, 0);
		w |= csv_cell(out, oid, 0);
		w |= csv_cell(out, store_col_is_null(st, 12) ? "" : store_col_text(st, 12), 0);
		for (int i = 5; i <= 10; i++)
			w |= csv_cell(out, store_col_text(st, i), 0);
		w |= csv_cell(out, store_col_text(st, 11), 1);
		if (w) {
			store_reset(st);
			export_too_large(out, e);
			goto out;
		}
		n++;
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		dom_err_read(e);
		goto out;
	}
	rows = n;
out:
	return rows;
}
