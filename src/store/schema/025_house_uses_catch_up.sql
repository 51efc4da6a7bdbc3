-- 021 (house uses) was merged after 022 and 023 had been applied to databases built from main
-- in between; the migrator applies only versions above a database's own, so those databases
-- never got it. This repeats 021, doing nothing where it was applied: every statement is
-- conditional, and the backfill covers only houses with no use recorded.
CREATE TABLE IF NOT EXISTS house_uses (
  id INTEGER PRIMARY KEY,
  house_id INTEGER NOT NULL REFERENCES houses(id),
  use TEXT NOT NULL CHECK (use IN ('self', 'rent', 'vacant', 'business')),
  since TEXT NOT NULL,
  user_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS house_uses_house ON house_uses(house_id, since, id);
CREATE TRIGGER IF NOT EXISTS house_uses_no_update BEFORE UPDATE ON house_uses BEGIN
  SELECT RAISE(ABORT, 'house uses are append-only');
END;
CREATE TRIGGER IF NOT EXISTS house_uses_no_delete BEFORE DELETE ON house_uses BEGIN
  SELECT RAISE(ABORT, 'house uses are append-only');
END;
INSERT INTO house_uses (house_id, use, since, user_id, created_at)
  SELECT h.id, h.use, date(h.created_at, 'unixepoch', '+8 hours'), NULL, h.created_at
  FROM houses h WHERE NOT EXISTS (SELECT 1 FROM house_uses u WHERE u.house_id = h.id);
