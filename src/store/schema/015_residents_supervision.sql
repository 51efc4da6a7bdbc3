-- Residents and the command center (R8, R10; issue 11): residents report without login and
-- follow their matter with a tracking code, rate it once it is closed; higher centers supervise
-- (督办) and remind (催办); and the counters the city dashboard reads, kept in the same
-- transaction as every event.
--
-- tracking_hash: keyed BLAKE2b (hex) of the resident's tracking code; the code itself is shown
-- once and never stored. reporter_contact is sealed at rest (domain/sealed.c registry,
-- "matters.reporter_contact"). rating: 1 满意, 2 基本满意, 3 不满意 (NULL: not rated).
-- supervision: the highest supervision on record, 0 none, 1 督办, 2 黄牌督办, 3 红牌督办.
ALTER TABLE matters ADD COLUMN tracking_hash TEXT;
ALTER TABLE matters ADD COLUMN reporter_contact TEXT;
ALTER TABLE matters ADD COLUMN rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 3);
ALTER TABLE matters ADD COLUMN spam INTEGER NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN supervision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;
-- Set by the scheduler when the matter first turns red: a closing after that is not on time.
ALTER TABLE matters ADD COLUMN ever_red INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX matters_tracking ON matters(tracking_hash) WHERE tracking_hash IS NOT NULL;

-- Per organisation: supervisions and reminders received, closings and closings on time (按期结案率
-- = closed_on_time / closed, for the owner center at closing), and what it holds now in yellow
-- and red (the owner center of an open matter, and every organisation with open work on it);
-- one row per (org, key).
CREATE TABLE matter_org_counters (
  org_id INTEGER NOT NULL REFERENCES organisations(id),
  key TEXT NOT NULL CHECK (key IN ('supervised', 'reminded', 'closed', 'closed_on_time',
                                   'yellow', 'red')),
  n INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (org_id, key)
);

-- Open matters per grid, for the map of open matters.
CREATE TABLE matter_grid_open (
  grid_id INTEGER PRIMARY KEY REFERENCES grids(id),
  n INTEGER NOT NULL CHECK (n >= 0)
);

-- Matters reported per local day, by region (city, county, township), source and category: the
-- dashboard's "today" and "this week".
CREATE TABLE matter_daily (
  region_code TEXT NOT NULL,
  day TEXT NOT NULL,
  source TEXT NOT NULL,
  category TEXT NOT NULL,
  n INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (region_code, day, source, category)
);
