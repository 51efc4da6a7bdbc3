/*
 * Sensitive fields sealed at rest: users.phone, users.id_number, users.totp_secret,
 * workers.id_number and workers.phone are sealed with the process's vault (base/vault.h) on write
 * and opened on read; users.id_number_bidx is the ID number's blind index, so a user can be found
 * by ID number without storing it in clear. The field name and the row id are the AEAD's associated
 * data, so a value does not open in another field or row. Writes that set any of them fail with 503
 * vault_unavailable when no vault was loaded. `wangge check` reports values in clear, values that
 * do not open and stale indexes.
 *
 * The registry (sealed_columns) names every encrypted column once. Counting sealed values (to
 * refuse a new data key over them), checking them and re-sealing them under a new key (key
 * rotation, `wangge keys rotate`) all walk the registry, so a module that seals a new column adds
 * one row there and nothing else. The SQL is built from the registry's constant identifiers
 * (checked to be plain identifiers) and every value is bound.
 */
#ifndef WANGGE_DOMAIN_SEALED_H
#define WANGGE_DOMAIN_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

struct store_conn;
struct vault;
struct buf;

#define SEALED_FIELD_PHONE "users.phone"
#define SEALED_FIELD_ID_NUMBER "users.id_number"
#define SEALED_FIELD_TOTP "users.totp_secret"
#define SEALED_FIELD_WORKER_ID_NUMBER "workers.id_number"
#define SEALED_FIELD_WORKER_PHONE "workers.phone"
#define SEALED_FIELD_MATTER_CONTACT "matters.reporter_contact"
#define SEALED_FIELD_PERSON_ID_NUMBER "people.id_number"
#define SEALED_FIELD_PERSON_PHONE "people.phone"
#define SEALED_MAX 256
/* Room for a sealed TOTP secret (base32, TOTP_SECRET_B32) with its NUL. */
#define SEALED_TOTP_MAX 128
/* Room for the clear value of any registered column, NUL included, where the registry is walked
   (check, rotation); a column with longer values raises it. A value that does not fit does not
   open, so it is reported and never taken for done. */
#define SEALED_VALUE_MAX 1024
/* Room for such a value sealed (vault_sealed_size(SEALED_VALUE_MAX - 1) = 1424). */
#define SEALED_SEALED_MAX 1536

/* Opens the stored value of a sealed field of user row into dst. A value that is not sealed (from
   before encryption at rest; `wangge check` reports it) is shown as stored; one that does not
   open (no key, wrong key, altered) is shown as "" and logged. */
void sealed_open(char *dst, size_t n, const char *field, int64_t row, const char *stored);
/* Seals a TOTP secret of user row ("users.totp_secret#row") into out. Returns 0, or -1 when no
   vault is loaded or out is too small. */
int sealed_totp_seal(int64_t row, const char *secret, char *out, size_t n);
/* Opens the stored TOTP secret of user row into out (NUL-terminated). A value stored in clear is
   taken as stored; NULL or "" gives "". Returns 0, or -1 (out "", logged) when a sealed value
   does not open. */
int sealed_totp_open(int64_t row, const char *stored, char *out, size_t n);
/* Inside a write: stores the sealed phone and ID number of user row (NULL leaves a field, ""
   clears it) and the ID number's blind index. 0, or -1 with e (503 vault_unavailable when there
   is no data key). */
int sealed_user_fields(struct store_conn *c, int64_t row, const char *phone, const char *idn,
                       struct dom_err *e);
/* The blind index of a (normalised) ID number into out (VAULT_INDEX_HEX bytes). 0, or -1 when no
   vault is loaded. */
int sealed_id_number_index(const char *id_number, char *out);
/* Inside a write: stores value sealed into the registered column label ("workers.phone") of
   row, and its blind index when the column has one. NULL or "" stores SQL NULL in both. The one
   sealing path for modules: nothing column-specific is written outside the registry. 0, or -1
   with e (500 for a label not in the registry, 503 vault_unavailable without a data key). */
int sealed_put(struct store_conn *c, const char *label, int64_t row, const char *value,
               struct dom_err *e);
/* value sealed for the registered column label of row into sealed (n bytes), and its blind
   index into bidx (VAULT_INDEX_HEX bytes) when the column has one, for a multi-row INSERT that
   writes the column itself (person_insert_many). NULL or "" gives "" in both. 0, or -1 with e
   (500 for a label not in the registry or too small a buffer, 503 vault_unavailable). */
int sealed_value(const char *label, int64_t row, const char *value, char *sealed, size_t n,
                 char *bidx, struct dom_err *e);
/* The blind index of value for the registered column label into out (VAULT_INDEX_HEX bytes), for
   exact lookup and duplicate refusal. 0, or -1 when no vault is loaded. */
int sealed_index(const char *label, const char *value, char *out);
/* Number of sealed values in the database (to refuse a new data key when some exist), or -1. */
int64_t sealed_count(struct store_conn *c);
/* Reports (for `wangge check`) every sensitive value stored in clear, and with v also every one
   that does not decrypt, every blind index that does not match (or is left without a value), and
   in one line how many values open only with v's previous key. Returns findings or -1. */
int sealed_check(struct store_conn *c, const struct vault *v, struct buf *report);

/* ---- the registry ---- */

/* One encrypted column. All strings are static. */
struct sealed_column {
	const char *table;       /* "users" */
	const char *column;      /* "id_number": holds "v1:..." sealed values (or NULL) */
	const char *id_column;   /* "id": the integer row id bound into the associated data */
	const char *bidx_column; /* "id_number_bidx": its blind index, or NULL */
	/* The field name bound into every value's associated data and blind index, and used in
	   reports: "users.id_number". Never changed once values exist. */
	const char *label;
	/* Hex digits of the blind index kept (0: all 64 of the keyed hash). people.id_number keeps
	   32 (128 bits: no collision among a country's numbers is to be expected), so the index of
	   a city's 6 million people is half the size: the people import is about a quarter faster.
	 */
	unsigned bidx_hex;
};
/* The registry: every encrypted column, in a fixed order; *n gets the number of rows. */
const struct sealed_column *sealed_columns(size_t *n);

/* ---- key rotation ---- */

#define SEALED_ROTATE_BATCH 500 /* rows per transaction */
#define SEALED_ROTATE_BATCH_MAX 10000

/* Reports progress: done of total rows of col (rows holding a value or a blind index). */
typedef void (*sealed_progress_fn)(const struct sealed_column *col, int64_t done, int64_t total,
                                   void *arg);

/* A rotation run: options in, counts of this run out. */
struct sealed_rotation {
	int batch;          /* rows per transaction, 1..SEALED_ROTATE_BATCH_MAX; 0 = default */
	int64_t stop_after; /* tests: stop after examining this many rows, rolling back the batch
	                       in progress as a crash would; 0 = never */
	sealed_progress_fn progress; /* may be NULL */
	void *arg;
	int64_t resealed; /* values re-sealed under the new key, blind index recomputed */
	int64_t current;  /* values already under the new key (an earlier run did them) */
	int64_t clear;    /* values stored in clear: left as they are (`wangge check` names them) */
	int64_t unreadable; /* values that open with neither key: left as they are */
	int stopped;        /* stop_after was reached */
};

/*
 * Re-seals every value of every registered column under v's key (the new one) and recomputes its
 * blind index; v's previous key (the one being replaced) opens the values not yet done. Each
 * column is walked in id order, r->batch rows per transaction on the store writer; the same
 * transaction records the column's progress (table sealed_rotation, keyed by v's key id) and, for
 * the last batch of a column, the audit record "keys.rotate" of that column. Which key a value is
 * sealed with is found by opening it, so a re-run after a crash at any point continues from the
 * last committed batch and never re-seals or loses a value. Returns 0 when every column is done,
 * 1 when stopped by r->stop_after, -1 with e on failure (what committed stays committed).
 */
int sealed_rotate(const struct dom_ctx *x, const struct vault *v, struct sealed_rotation *r,
                  struct dom_err *e);
/* Ends a rotation in one transaction: forgets its progress rows and appends the audit record
   "keys.rotate" (object "data.key", outcome success, detail). Returns 0, or -1 with e. */
int sealed_rotation_finish(const struct dom_ctx *x, const char *detail, struct dom_err *e);
/* Progress rows of a rotation to key_id (NULL: of any rotation) not yet finished, or -1. */
int64_t sealed_rotation_pending(struct store_conn *c, const char *key_id);
/* Sealed values of the registered columns that open only with v's previous key (they still need
   it), or -1. With neither set, *neither gets the number of sealed values that open with no key
   of v (altered, or sealed with a key that is gone). */
int64_t sealed_count_previous(struct store_conn *c, const struct vault *v, int64_t *neither);

#include "base/banned.h"
#endif
