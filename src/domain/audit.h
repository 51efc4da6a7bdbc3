/*
 * The audit trail (R4, R10; 等保 2.0 level 3): who did what, when, from where, to which object,
 * with which outcome. Append-only and tamper-evident: every record carries the hash of the one
 * before it, and its own hash is BLAKE2b-256 keyed with a secret kept in a file beside the database
 * (PATH.audit.key, mode 0600), never in the database. Whoever can edit the database file but not
 * read the key cannot remove, reorder or alter a record without audit_verify noticing. Two keyed
 * anchors in audit_meta record the head (so a removed last record is noticed) and, after a purge,
 * the base. What a keyed chain cannot notice: replacing the database AND the head with an older
 * copy of both (roll-back); ship the head hash off the machine (backups, the log) to cover that.
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
   missing. Returns 0, 1 when the file is missing (and create is 0), or -1 with a reason in err. */
int audit_key_load(const char *db_path, int create, unsigned char key[AUDIT_KEY_LEN], char *err,
                   size_t errlen);

/* Appends e inside a write already running on the writer thread (so the record commits or rolls
   back with the change it describes). Returns 0 or a negative store_rc. */
int audit_append_conn(struct store_conn *c, const unsigned char key[AUDIT_KEY_LEN],
                      const struct audit_entry *e);
struct principal;
/* Appends a record of a successful write by p (user, organisation, source address and request id
   from p) inside the write running on c, so it commits or rolls back with the change. Does
   nothing and returns 0 when p carries no audit key (audit_in_write(p) is 0). Returns 0 or a
   negative store_rc. */
int audit_write_conn(struct store_conn *c, const struct principal *p, const char *action,
                     const char *object, const char *detail);
/* 1 when p's domain writes append their own audit record (p->audit_key is set). */
int audit_in_write(const struct principal *p);
/* Appends e in its own write (store_write). Returns 0 or a negative store_rc. */
int audit_append(struct store *s, const unsigned char key[AUDIT_KEY_LEN],
                 const struct audit_entry *e);

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
