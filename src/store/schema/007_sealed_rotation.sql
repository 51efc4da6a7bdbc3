-- Progress of a data key rotation (`wangge keys rotate`; src/domain/sealed.h, docs/security.md
-- "Key rotation"): one row per registered sealed column while a rotation runs, written in the
-- same transaction as the batch of re-sealed rows it describes, so a re-run after a crash
-- continues after last_id. key_id is the fingerprint of the key being rotated to (a row for
-- another key starts over). The rows are deleted when the rotation is finished and audited.
CREATE TABLE sealed_rotation (
  label TEXT PRIMARY KEY,       -- the registry's field name, e.g. users.id_number
  key_id TEXT NOT NULL,         -- fingerprint of the new data key (32 hex digits)
  last_id INTEGER NOT NULL,     -- rows with id <= last_id are done
  done INTEGER NOT NULL DEFAULT 0,
  resealed INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
