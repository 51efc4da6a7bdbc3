/*
 * Sensitive fields sealed at rest (sealed.h).
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
#include "domain/sealed.h"
#include "store/store.h"

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
		vault_blind_index(v, SEALED_FIELD_ID_NUMBER, idn, bidx);
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

int64_t sealed_count(struct store_conn *c)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT (SELECT count(*) FROM users WHERE phone LIKE 'v1:%') + (SELECT count(*) "
	           "FROM users WHERE id_number LIKE 'v1:%') + (SELECT count(*) FROM users WHERE "
	           "totp_secret LIKE 'v1:%')");
	int64_t n = -1;

	if (!st)
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

int sealed_check(struct store_conn *c, const struct vault *v, struct buf *report)
{
	/* Each sealed field and its column in the query below. */
	static const char *const fields[] = { SEALED_FIELD_PHONE, SEALED_FIELD_ID_NUMBER,
		                              SEALED_FIELD_TOTP };
	static const int cols[] = { 1, 2, 4 };
	struct store_stmt *st = store_prepare(
	        c, "SELECT id, phone, id_number, id_number_bidx, totp_secret FROM users WHERE "
	           "phone IS NOT NULL OR id_number IS NOT NULL OR totp_secret IS NOT NULL "
	           "ORDER BY id");
	char plain[SEALED_MAX], bidx[VAULT_INDEX_HEX];
	int findings = 0, rc;

	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t id = store_col_int64(st, 0);
		for (int i = 0; i < 3; i++) {
			const char *val = store_col_text(st, cols[i]);
			if (!val)
				continue;
			if (!vault_is_sealed(val)) {
				buf_printf(report,
				           "sensitive: user %" PRId64 " %s is stored in clear\n",
				           id, fields[i]);
				findings++;
			} else if (v &&
			           vault_open(v, fields[i], id, val, plain, sizeof plain) < 0) {
				buf_printf(report,
				           "sensitive: user %" PRId64
				           " %s does not decrypt (altered, "
				           "moved or another key)\n",
				           id, fields[i]);
				findings++;
			} else if (v && i == 1) {
				const char *have = store_col_text(st, 3);
				vault_blind_index(v, SEALED_FIELD_ID_NUMBER, plain, bidx);
				if (!have || strcmp(have, bidx) != 0) {
					buf_printf(report,
					           "sensitive: user %" PRId64
					           " users.id_number_bidx does not match the ID "
					           "number\n",
					           id);
					findings++;
				}
			}
			sodium_memzero(plain, sizeof plain);
		}
	}
	store_reset(st);
	return rc == STORE_DONE ? findings : -1;
}

int sealed_id_number_index(const char *id_number, char *out)
{
	const struct vault *v = vault_global();

	if (!v)
		return -1;
	vault_blind_index(v, SEALED_FIELD_ID_NUMBER, id_number, out);
	return 0;
}
