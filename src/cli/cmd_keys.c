/*
 * `wangge keys rotate` and `wangge keys retire-old`: rotation of the data key that seals the
 * sensitive columns (base/vault.h for the key files, domain/sealed.h for the re-sealing).
 *
 * rotate takes the database for itself (a running server makes it refuse; a server started
 * meanwhile cannot open the database), makes PATH.data.key.new, re-seals every registered value
 * under it in batches, then makes it the current key and keeps the replaced one as
 * PATH.data.key.old. Every step can be interrupted: running it again continues where it stopped
 * (see docs/security.md "Key rotation" for each crash point). retire-old removes
 * PATH.data.key.old once no value needs it. Both append audit records (action keys.rotate and
 * keys.retire_old, user system, source cli).
 */
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/vault.h"
#include "cli/cli.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "domain/sealed.h"
#include "store/store.h"

#define KEYS_BUSY_MS 2000      /* how long rotate waits for other connections to let go */
#define PROGRESS_EVERY_MS 1000 /* at most one progress line per column per second */
#define KEY_SHOWN 8            /* hex digits of a key fingerprint shown to people */

static void keys_usage(FILE *f)
{
	fputs("usage: wangge keys rotate [--db PATH] [--batch N]\n"
	      "       wangge keys retire-old [--db PATH]\n"
	      "  rotate      re-seal every encrypted value under a new data key; the old key is\n"
	      "              kept as PATH.data.key.old. The server must be stopped (rotate "
	      "refuses\n"
	      "              while it runs). If interrupted, run it again: it continues.\n"
	      "  retire-old  remove PATH.data.key.old once no value needs it\n"
	      "  --db PATH   database file (WANGGE_DB, default wangge.db)\n"
	      "  --batch N   rows re-sealed per transaction (default 500)\n"
	      "  --stop-after N  (tests) stop after N rows, as an interrupted run would\n",
	      f);
}

struct keys_args {
	const char *db;
	unsigned batch;
	unsigned stop_after;
};

/* Parses the options after the subcommand. Returns 0, or the exit code to use (-2: help). */
static int parse_args(int argc, char **argv, struct keys_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "stop-after", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->db = cli_env("WANGGE_DB", "wangge.db");
	a->batch = SEALED_ROTATE_BATCH;
	a->stop_after = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->db = optarg; break;
		case 'b':
			if (cli_parse_uint(optarg, 1, SEALED_ROTATE_BATCH_MAX, &a->batch) < 0) {
				fprintf(stderr, "wangge keys: bad --batch '%s' (want 1..%d)\n",
				        optarg, SEALED_ROTATE_BATCH_MAX);
				return 2;
			}
			break;
		case 's':
			if (cli_parse_uint(optarg, 1, 4000000000u, &a->stop_after) < 0) {
				fprintf(stderr, "wangge keys: bad --stop-after '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': keys_usage(stdout); return -2;
		default: keys_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wangge keys: unexpected argument '%s'\n", argv[optind]);
		keys_usage(stderr);
		return 2;
	}
	return 0;
}

/* Appends one record of a key step in its own transaction (domain/audit.h). 0 or -1. */
static int keys_audit(struct store *s, const unsigned char *key, const char *action,
                      const char *object, const char *outcome, const char *detail)
{
	struct audit_entry a = { 0 };

	a.at = clock_now();
	a.username = "system";
	a.source = "cli";
	a.action = action;
	a.object = object;
	a.outcome = outcome;
	a.detail = detail;
	a.request_id = "";
	return audit_append(s, key, &a) == 0 ? 0 : -1;
}

struct progress {
	const struct sealed_column *col;
	int64_t last_ms, last_done;
};

/* One line per column at its start and end, and at most one a second between. */
static void print_progress(const struct sealed_column *col, int64_t done, int64_t total, void *arg)
{
	struct progress *p = arg;
	int64_t now = clock_mono_ms();

	if (p->col == col &&
	    (done == p->last_done || (done < total && now - p->last_ms < PROGRESS_EVERY_MS)))
		return;
	p->col = col;
	p->last_ms = now;
	p->last_done = done;
	printf("  %-20s %" PRId64 "/%" PRId64 " rows\n", col->label, done, total);
	fflush(stdout);
}

/* What the rotation reads before it starts, on the writer (the only connection of an exclusive
   store). */
struct rotate_state {
	const struct vault *v;
	int64_t pending; /* progress rows of a rotation to v's key */
	int64_t need_previous;
};

static int state_fn(struct store_conn *c, void *arg)
{
	struct rotate_state *st = arg;

	st->pending = sealed_rotation_pending(c, st->v->key_id);
	st->need_previous = sealed_count_previous(c, st->v, NULL);
	return st->pending < 0 || st->need_previous < 0 ? STORE_ERR : 0;
}

static int keys_rotate(const struct keys_args *a)
{
	unsigned char akey[AUDIT_KEY_LEN];
	struct store_options so;
	struct store *s = NULL;
	struct vault v = { 0 };
	struct dom_ctx x;
	struct dom_err e = { 0 };
	struct sealed_rotation r = { 0 };
	struct progress pr = { 0 };
	struct rotate_state st = { 0 };
	char err[1024] = "", detail[512], cur[4096], old[4096];
	int has_new, has_old, created = 0, switching, rc = 1;

	if (audit_key_load(a->db, 1, akey, err, sizeof err) != 0) {
		fprintf(stderr, "wangge keys rotate: %s\n", err);
		return 1;
	}
	vault_key_file_path(a->db, VAULT_KEY_CURRENT, cur, sizeof cur);
	vault_key_file_path(a->db, VAULT_KEY_OLD, old, sizeof old);
	store_options_default(&so, a->db);
	so.exclusive = 1;
	so.busy_timeout_ms = KEYS_BUSY_MS;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr,
		        "wangge keys rotate: %s\n"
		        "Stop `wangge serve` (and any other wangge command on this database) "
		        "first: "
		        "no value may change while the values are re-sealed.\n",
		        err);
		goto out;
	}
	has_new = vault_key_file_exists(a->db, VAULT_KEY_NEW, err, sizeof err);
	has_old = vault_key_file_exists(a->db, VAULT_KEY_OLD, err, sizeof err);
	if (has_new < 0 || has_old < 0) {
		fprintf(stderr, "wangge keys rotate: %s\n", err);
		goto out;
	}
	/* Which key do values go to? .new exists: a rotation to it was interrupted, continue it.
	   Only .old: the switch is done; finish an interrupted end, or re-seal values that still
	   need .old (a restored backup). Neither: start a rotation with a new key. */
	switching = has_new || !has_old;
	if (switching) {
		if (vault_rotation_load(&v, a->db, !has_new, &created, err, sizeof err) < 0) {
			fprintf(stderr, "wangge keys rotate: %s\n", err);
			goto out;
		}
	} else {
		if (vault_load_with_old(&v, a->db, err, sizeof err) != 0) {
			fprintf(stderr, "wangge keys rotate: %s\n",
			        err[0] ? err : "the data key file is missing");
			goto out;
		}
		st.v = &v;
		if (store_write(s, state_fn, &st) != 0) {
			fprintf(stderr, "wangge keys rotate: cannot read the database\n");
			goto out;
		}
		if (st.pending == 0 && st.need_previous == 0) {
			fprintf(stderr,
			        "wangge keys rotate: the data key was rotated already and the "
			        "replaced key is still kept as %s.\nRetire it first (`wangge keys "
			        "retire-old --db %s`, which checks that no value needs it), then "
			        "rotate again.\n",
			        old, a->db);
			goto out;
		}
	}
	if (created)
		snprintf(detail, sizeof detail, "开始轮换数据密钥：新密钥 %.*s 替换 %.*s",
		         KEY_SHOWN, v.key_id, KEY_SHOWN, v.prev_key_id);
	else
		snprintf(detail, sizeof detail, "继续轮换数据密钥：新密钥 %.*s 替换 %.*s",
		         KEY_SHOWN, v.key_id, KEY_SHOWN, v.prev_key_id);
	/* Audited before any value changes; refused unaudited. */
	if (keys_audit(s, akey, "keys.rotate", "data.key", "success", detail) < 0) {
		fprintf(stderr, "wangge keys rotate: cannot write the audit record\n");
		goto out;
	}
	printf("%s: %s data key rotation to key %.*s (replacing %.*s)\n", a->db,
	       created ? "starting" : "continuing", KEY_SHOWN, v.key_id, KEY_SHOWN, v.prev_key_id);
	dom_ctx_cli(&x, s, akey, NULL);
	r.batch = (int)a->batch;
	r.stop_after = a->stop_after;
	r.progress = print_progress;
	r.arg = &pr;
	rc = sealed_rotate(&x, &v, &r, &e);
	if (rc != 0) {
		if (rc == 1)
			printf("%s: stopped after %u rows (--stop-after): run `wangge keys rotate` "
			       "again to continue\n",
			       a->db, a->stop_after);
		else
			fprintf(stderr,
			        "wangge keys rotate: %s\nWhat was re-sealed stays; run it again to "
			        "continue.\n",
			        e.message);
		rc = 1;
		goto out;
	}
	rc = 1;
	if (switching && vault_rotation_switch(a->db, err, sizeof err) < 0) {
		fprintf(stderr, "wangge keys rotate: %s\nRun it again to finish.\n", err);
		goto out;
	}
	snprintf(detail, sizeof detail,
	         "数据密钥轮换完成：当前密钥 %.*s，被替换的密钥 %.*s 保留为 .data.key.old，"
	         "待 wangge keys retire-old 删除",
	         KEY_SHOWN, v.key_id, KEY_SHOWN, v.prev_key_id);
	dom_ctx_cli(&x, s, akey, NULL);
	if (sealed_rotation_finish(&x, detail, &e) < 0) {
		fprintf(stderr, "wangge keys rotate: %s\nRun it again to finish.\n", e.message);
		goto out;
	}
	printf("%s: data key rotated: %" PRId64 " value(s) re-sealed in this run, %" PRId64
	       " already under the new key.\n"
	       "%s is now key %.*s; the replaced key %.*s is kept as %s until\n"
	       "`wangge keys retire-old --db %s`. Back up the new key file now.\n",
	       a->db, r.resealed, r.current, cur, KEY_SHOWN, v.key_id, KEY_SHOWN, v.prev_key_id,
	       old, a->db);
	if (r.clear || r.unreadable)
		printf("warning: %" PRId64 " value(s) stored in clear and %" PRId64
		       " that open with neither key were left as they are; `wangge check` names "
		       "them.\n",
		       r.clear, r.unreadable);
	rc = 0;
out:
	vault_wipe(&v);
	sodium_memzero(akey, sizeof akey);
	store_close(s);
	return rc;
}

static int keys_retire_old(const struct keys_args *a)
{
	unsigned char akey[AUDIT_KEY_LEN];
	struct store_options so;
	struct store *s = NULL;
	struct store_conn *c;
	struct vault v = { 0 };
	char err[1024] = "", detail[256], old[4096];
	int64_t pending, need, neither = 0;
	int has, rc = 1;

	vault_key_file_path(a->db, VAULT_KEY_OLD, old, sizeof old);
	has = vault_key_file_exists(a->db, VAULT_KEY_NEW, err, sizeof err);
	if (has != 0) {
		fprintf(stderr, "wangge keys retire-old: %s\n",
		        has > 0 ? "a key rotation is unfinished (.data.key.new exists): run "
		                  "`wangge keys rotate` again to finish it first"
		                : err);
		return 1;
	}
	has = vault_key_file_exists(a->db, VAULT_KEY_OLD, err, sizeof err);
	if (has <= 0) {
		if (has == 0)
			printf("%s: no old data key to retire (%s does not exist)\n", a->db, old);
		else
			fprintf(stderr, "wangge keys retire-old: %s\n", err);
		return has == 0 ? 0 : 1;
	}
	if (audit_key_load(a->db, 1, akey, err, sizeof err) != 0) {
		fprintf(stderr, "wangge keys retire-old: %s\n", err);
		return 1;
	}
	store_options_default(&so, a->db);
	if (store_open(&so, &s, err, sizeof err) < 0 ||
	    vault_load_with_old(&v, a->db, err, sizeof err) != 0) {
		fprintf(stderr, "wangge keys retire-old: %s\n",
		        err[0] ? err : "the data key file is missing");
		goto out;
	}
	c = store_reader(s);
	pending = sealed_rotation_pending(c, NULL);
	need = sealed_count_previous(c, &v, &neither);
	if (pending < 0 || need < 0) {
		fprintf(stderr, "wangge keys retire-old: cannot read the database\n");
		goto out;
	}
	if (pending > 0 || need > 0) {
		fprintf(stderr,
		        "wangge keys retire-old: refused: %s%" PRId64
		        " value(s) still open only with the old key.\nRun `wangge keys rotate --db "
		        "%s` to re-seal them, then retire the old key.\n",
		        pending > 0 ? "a rotation is not finished; " : "", need, a->db);
		goto out;
	}
	/* A value that opens with no key might still be the old key's (too long to open here, say):
	   never remove a key while such a value exists. */
	if (neither > 0) {
		fprintf(stderr,
		        "wangge keys retire-old: refused: %" PRId64
		        " sealed value(s) open with neither key; `wangge check --db %s` names "
		        "them.\n"
		        "Clear or re-enter them, then retire the old key.\n",
		        neither, a->db);
		goto out;
	}
	snprintf(detail, sizeof detail, "删除被替换的数据密钥 %.*s（已无数据需要它）", KEY_SHOWN,
	         v.prev_key_id);
	/* Recorded first: a crash after it leaves the file, and a re-run retires it again. */
	if (keys_audit(s, akey, "keys.retire_old", "data.key.old", "success", detail) < 0) {
		fprintf(stderr, "wangge keys retire-old: cannot write the audit record\n");
		goto out;
	}
	if (vault_retire_old(a->db, err, sizeof err) < 0) {
		fprintf(stderr, "wangge keys retire-old: %s\n", err);
		(void)keys_audit(s, akey, "keys.retire_old", "data.key.old", "failure", err);
		goto out;
	}
	printf("%s: old data key %.*s retired (%s removed)\n", a->db, KEY_SHOWN, v.prev_key_id,
	       old);
	rc = 0;
out:
	vault_wipe(&v);
	sodium_memzero(akey, sizeof akey);
	store_close(s);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	struct keys_args a;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int rc;

	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		keys_usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (strcmp(sub, "rotate") != 0 && strcmp(sub, "retire-old") != 0) {
		fprintf(stderr, "wangge keys: unknown subcommand '%s'\n", sub);
		keys_usage(stderr);
		return 2;
	}
	rc = parse_args(argc - 1, argv + 1, &a);
	if (rc)
		return rc == -2 ? 0 : rc;
	if (strcmp(sub, "retire-old") == 0 && (a.batch != SEALED_ROTATE_BATCH || a.stop_after)) {
		fprintf(stderr, "wangge keys retire-old: takes only --db\n");
		return 2;
	}
	if (access(a.db, F_OK) != 0) {
		fprintf(stderr, "wangge keys: %s: no such database\n", a.db);
		return 1;
	}
	if (sodium_init() < 0) {
		fputs("wangge keys: libsodium failed to initialise\n", stderr);
		return 1;
	}
	return strcmp(sub, "rotate") == 0 ? keys_rotate(&a) : keys_retire_old(&a);
}
