-- 三员分立 against every administrator (issue 8; docs/security.md "Separation of the three
-- administrators" and "Activation"): activation codes, who set an account's one-time password,
-- whether a TOTP enrolment was approved, and recovery codes hashed with a key.

-- 1 when the account's TOTP was enrolled with an activation code issued by a security
-- administrator (or made on the host by `wangge user add` / the demo). An account that holds
-- administrator or unmasking permissions counts as enrolled only then. Enrolments made before
-- this migration are taken as approved: they were made by the first administrators on the host
-- or by users for themselves, and nobody can tell them apart now.
ALTER TABLE users ADD COLUMN totp_activated INTEGER NOT NULL DEFAULT 0;
UPDATE users SET totp_activated = 1 WHERE totp_enabled = 1;

-- The user who set the current one-time password (creation or reset); NULL when the host did or
-- the user chose the password. While the one-time password is in force (must_change_password),
-- that user may not issue the account's activation code.
ALTER TABLE users ADD COLUMN password_set_by INTEGER REFERENCES users(id);

-- Activation codes: 60 random bits shown once to the security administrator who issues them,
-- stored as a keyed BLAKE2b-256 (domain/activation.c), valid until expires_at, used once. Issuing
-- a new one, resetting the password or the TOTP revokes those not yet used.
CREATE TABLE user_activations (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  code_hash BLOB NOT NULL,
  issued_by INTEGER REFERENCES users(id), -- NULL: the host (`wangge user totp-reset`)
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX user_activations_user ON user_activations(user_id, used_at, revoked_at);

-- Recovery codes were BLAKE2b-256 of "<user id>:<code>"; they are now keyed (a key derived from
-- the audit key): hash = BLAKE2b-256(key; old hash). keyed = 0 marks a row still holding the old
-- hash: `wangge serve` re-hashes those at start (totp_recovery_rekey), so codes handed out before
-- keep working.
ALTER TABLE totp_recovery_codes ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
