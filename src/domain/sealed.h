/*
 * Sensitive fields sealed at rest: users.phone, users.id_number and users.totp_secret are sealed
 * with the process's vault (base/vault.h) on write and opened on read; users.id_number_bidx is
 * the ID number's blind index, so a user can be found by ID number without storing it in clear.
 * The field name and the row id are the AEAD's associated data, so a value does not open in
 * another field or row. Writes that set any of them fail with 503 vault_unavailable when no vault
 * was loaded. `wangge check` reports values in clear, values that do not open and stale indexes.
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
#define SEALED_MAX 256
/* Room for a sealed TOTP secret (base32, TOTP_SECRET_B32) with its NUL. */
#define SEALED_TOTP_MAX 128

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
/* Number of sealed values in the database (to refuse a new data key when some exist), or -1. */
int64_t sealed_count(struct store_conn *c);
/* Reports (for `wangge check`) every sensitive value stored in clear, and with v also every one
   that does not decrypt and every blind index that does not match. Returns findings or -1. */
int sealed_check(struct store_conn *c, const struct vault *v, struct buf *report);

#include "base/banned.h"
#endif
