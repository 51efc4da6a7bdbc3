/*
 * The audit trail (R4, R10; 等保 2.0 level 3): who did what, when, from where, to which object,
 * with which outcome. Append-only and tamper-evident: every record carries the hash of the one
 * before it, and its own hash is BLAKE2b-256 keyed with a secret kept in a file beside the database
 * (PATH.audit.key, mode 0600), never in the database. Whoever can edit the database file but not
 * read the key cannot remove, reorder or alter a record without audit_verify noticing. Two keyed
 * anchors in audit_meta record the head (so a removed last record is noticed) and, after a purge,
 * the base. The database alone cannot tell "nothing was ever audited" from "every record and anchor
 * was deleted", nor the current head anchor from an older one put back after the tail was cut; so a
 * head record is also kept outside it, beside the key (PATH.audit.head, see below). What neither
 * notices: replacing the database AND the head record with older copies of both (roll-back); ship
 * the head hash off the machine (backups, the log) to cover that.
 *
 * Records younger than the retention (default 180 days; Cybersecurity Law Art. 21 wants six
 * months) cannot be purged by anyone; no route deletes records.
 */
#ifndef WANGGE_DOMAIN_AUDIT_H
#define WANGGE_DOMAIN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_KEY_LEN 32
#define AUDIT_HASH_HEX 65 /* 32 bytes as hex + NUL */
#define AUDIT_DEFAULT_RETENTION_S (180 * 86400LL)

struct store;
struct store_conn;
struct buf;

/* One record. Strings are borrowed; NULL is stored as "". */
struct audit_entry {
	int64_t at;      /* UTC seconds; 0 = now */
	int64_t user_id; /* 0 when no user (anonymous, API token, system) */
	const char
	        *username;  /* who: user name, "token:NAME", "system", or what was typed at login */
	int64_t org_id;     /* 0 when none */
	const char *source; /* client address */
	const char *action; /* e.g. "session.login", "user.create", "POST /api/v1/grids" */
	const char *object; /* e.g. "user:12", "/api/v1/grids/3" */
	const char *outcome; /* "success", "failure" or "denied" */
	const char *detail;  /* free text: status, reason given for unmasking, ... */
	const char *request_id;
};

/* PATH.audit.key for a database path. Returns 0, or -1 when out is too small. */
int audit_key_path(const char *db_path, char *out, size_t n);
/* Reads the key beside db_path; with create set, makes it (32 random bytes, mode 0600) when it is
   missing, together with the head record at 0 (below), but refuses (-1) when a head record or a
   data key beside the database shows that a trail was kept. Returns 0, 1 when the file is
   missing (and create is 0), or -1 with a reason in err. */
int audit_key_load(const char *db_path, int create, unsigned char key[AUDIT_KEY_LEN], char *err,
                   size_t errlen);

/* Appends e inside a write already running on the writer thread (so the record commits or rolls
   back with the change it describes). Returns 0 or a negative store_rc. */
int audit_append_conn(struct store_conn *c, const unsigned char key[AUDIT_KEY_LEN],
                      const struct audit_entry *e);
/* Appends e in its own write (store_write). Returns 0 or a negative store_rc. */
int audit_append(struct store *s, const unsigned char key[AUDIT_KEY_LEN],
                 const struct audit_entry *e);

/*
 * The head record, PATH.audit.head (mode 0600): one line
 *     wangge-audit-head-v1 <id of the newest record> <its hash> <mac>
 * where mac = BLAKE2b-256 keyed with the audit key over the id and hash. It is replaced atomically
 * (a temporary file, fsync, rename, fsync of the folder) after commits that appended records, and
 * its id only grows. The chain in the database must contain the record it names; the chain may run
 * ahead of it (a crash between a commit and the update). It is created, at id 0, together with the
 * audit key, so a key without a head record means the record was removed.
 */
/* PATH.audit.head for a database path. Returns 0, or -1 when out is too small. */
int audit_head_path(const char *db_path, char *out, size_t n);

/* Everything `wangge check` says about the audit trail of the database at db_path, read on c: a
   missing key while there is evidence that a trail was kept (records, anchors, the head record or
   the data key), the chain (audit_verify), and the head record against the chain (missing,
   altered, records missing at the end, record rewritten). Appends one line per finding to report
   and returns the number of findings, or -1 when the check could not run. */
int audit_check(struct store_conn *c, const char *db_path, struct buf *report);

/* For a process that serves the database s at db_path (wangge serve), before any thread appends:
   loads the audit key into key, creating it (and a head record at 0) only when there is no sign
   that a trail was ever kept; checks the head record against the chain and moves it up to the
   chain's newest record. Refuses, returning -1 with err saying what to restore, when the key is
   missing over an existing trail, and when the head record is missing, altered, or names a record
   the chain does not hold (tail cut, or a database rolled back to an older copy). On success a
   keeper thread keeps the head record up to date: call audit_head_sync after requests and
   audit_head_close before closing s. One database per process. */
int audit_open(struct store *s, const char *db_path, unsigned char key[AUDIT_KEY_LEN], char *err,
               size_t errlen);
/* Wakes the keeper thread when this process appended a record it has not covered yet (one atomic
   load otherwise). Call once the write that appended was acknowledged (store_write returned),
   from any thread; the head record follows within milliseconds under load, and the keeper also
   looks every 250 ms by itself. */
void audit_head_sync(void);
/* Stops the keeper thread, brings the head record up to the committed chain one last time, wipes
   the key copy. Call when no request runs any more, before closing the store. */
void audit_head_close(void);
/* For commands that append to the trail and exit (demo, user add, import): moves the head record
   of db_path up to the committed chain of s. Returns 0, or -1 with err when the head record is
   missing or altered or the chain does not hold the record it names (then it is left alone). */
int audit_head_update(struct store *s, const char *db_path, const unsigned char key[AUDIT_KEY_LEN],
                      char *err, size_t errlen);
/* `wangge audit-head --reset`: after a deliberate restore of an older database (or for a database
   made before head records existed), when the chain in the database verifies on its own: appends
   an audit.head_reset record saying what the head record said, then rewrites the head record at
   the chain's newest record. Returns 0 with a summary in msg, or -1 with the reason in msg. */
int audit_head_reset(struct store *s, const char *db_path, char *msg, size_t msglen);
/* Describes the head record and the chain's newest record (`wangge audit-head`) into out.
   Returns 1 when they agree (the chain holds the head record), 0 when not, -1 on error. */
int audit_head_describe(struct store_conn *c, const char *db_path, struct buf *out);

/* Walks the whole chain on connection c. Appends one line per finding to report ("audit: ...")
   and returns the number of findings, or -1 when the check could not run. */
int audit_verify(struct store_conn *c, const unsigned char key[AUDIT_KEY_LEN], struct buf *report);

/* Deletes records older than `before`, refusing (returns -2, nothing deleted) when before is later
   than now - retention_s. On success stores the new base anchor, sets *deleted and returns 0;
   other failures return -1. */
int audit_purge(struct store *s, const unsigned char key[AUDIT_KEY_LEN], int64_t before,
                int64_t retention_s, int64_t now, int64_t *deleted);

/* Search. Strings NULL = any; from/to 0 = open. */
struct audit_filter {
	const char *username;
	const char *action; /* exact, or a prefix when it ends with '*' */
	const char *outcome;
	int64_t from, to; /* [from, to) UTC seconds */
	int64_t limit, offset;
};
struct json_t;
/* {items:[{id,at,username,user_id,org_id,source,action,object,outcome,detail,request_id}],
   total, limit, offset}, newest first; NULL on error. */
struct json_t *audit_list(struct store *s, const struct audit_filter *f);
/* Appends the matching records (oldest first, no paging) as CSV with a header row to out:
   UTF-8 with BOM, RFC 4180 quoting, cells that a spreadsheet would run as formulas prefixed with
   an apostrophe. Returns the number of rows, or -1 (error or out full). */
int64_t audit_export_csv(struct store *s, const struct audit_filter *f, struct buf *out);

#include "base/banned.h"
#endif
