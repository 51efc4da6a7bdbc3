-- Edits of houses and units (issue 12 part 1): the dated history of a house's use.
--
-- A house's use (自住 self, 出租 rent, 空置 vacant, 经营 business) is a dated fact: a flat let
-- from one date on is a rented flat from then, and the grid worker's checks of rented flats
-- depend on when. houses.use stays the current view; house_uses holds one row per use the house
-- has had, with the date it took effect (since, "YYYY-MM-DD" Asia/Shanghai), who recorded it and
-- when (UTC seconds). Not person_events: those rows belong to a person (person_id NOT NULL), and
-- a house's use is not a fact about anyone living in it. houses and units already carry version
-- (016), which the edits check (optimistic concurrency).
CREATE TABLE house_uses (
  id INTEGER PRIMARY KEY,
  house_id INTEGER NOT NULL REFERENCES houses(id),
  use TEXT NOT NULL CHECK (use IN ('self', 'rent', 'vacant', 'business')),
  since TEXT NOT NULL,
  user_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX house_uses_house ON house_uses(house_id, since, id);
CREATE TRIGGER house_uses_no_update BEFORE UPDATE ON house_uses BEGIN
  SELECT RAISE(ABORT, 'house uses are append-only');
END;
CREATE TRIGGER house_uses_no_delete BEFORE DELETE ON house_uses BEGIN
  SELECT RAISE(ABORT, 'house uses are append-only');
END;

-- Houses registered before this migration: their use since the (Asia/Shanghai) day they were
-- registered.
INSERT INTO house_uses (house_id, use, since, user_id, created_at)
  SELECT id, use, date(created_at, 'unixepoch', '+8 hours'), NULL, created_at FROM houses;
