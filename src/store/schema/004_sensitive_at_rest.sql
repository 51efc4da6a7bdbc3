-- Encryption at rest of sensitive personal fields (密评; src/base/vault.h, docs/security.md).
-- users.phone and users.id_number keep their names but hold sealed values from now on:
-- "v1:" + base64(nonce || XChaCha20-Poly1305 ciphertext), keyed with PATH.data.key beside the
-- database. `wangge check` reports any value there that is not sealed.
-- id_number_bidx: keyed BLAKE2b-256 (hex) of the normalised ID number, for equality lookup
-- without decrypting every row. NULL when the user has no ID number.
ALTER TABLE users ADD COLUMN id_number_bidx TEXT;
CREATE INDEX users_id_number_bidx ON users(id_number_bidx);
