-- Matters (事项) and their flow (R7-R9, Art. 17-19): the event log is the truth, the matters and
-- matter_assignments rows are its projection, updated in the same transaction as each event, and
-- matter_counters keeps the numbers the dashboards read. The state table itself is code
-- (src/domain/flow.c), and docs/matter-flow.md is generated from it.
--
-- Scope columns: the matter's place in the jurisdiction tree is kept as one code per level
-- (county, township, community) next to the grid, so a center's queue is an equality on one
-- indexed column and its keyset page walks (column, id) without sorting.
CREATE TABLE matters (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL CHECK (source IN ('patrol', 'resident', 'hotline', 'department',
                                         'assigned', 'other')),
  item_code TEXT NOT NULL,
  item_version_id INTEGER NOT NULL,
  category TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  address TEXT,
  lng REAL,
  lat REAL,
  grid_id INTEGER REFERENCES grids(id),
  path TEXT NOT NULL,
  city_code TEXT NOT NULL,
  county_code TEXT,
  township_code TEXT,
  community_code TEXT,
  urgency INTEGER NOT NULL CHECK (urgency BETWEEN 1 AND 3),
  reporter_user_id INTEGER REFERENCES users(id),
  reporter_org_id INTEGER REFERENCES organisations(id),
  state TEXT NOT NULL,
  -- The center that holds the matter now (its level follows from the organisation) and who
  -- handles it: 'center' (handled at this level), 'worker' (self-handled by the reporting grid
  -- worker), 'assignees' (departments or a lower center, in matter_assignments), or NULL.
  owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
  handler TEXT CHECK (handler IS NULL OR handler IN ('center', 'worker', 'assignees')),
  -- The deadline of the current stage (accept, handle, verify): yellow from warn_at, red from
  -- due_at. alert is what the scheduler last set: 0 none, 1 yellow, 2 red.
  due_at INTEGER,
  warn_at INTEGER,
  alert INTEGER NOT NULL DEFAULT 0 CHECK (alert IN (0, 1, 2)),
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE INDEX matters_county ON matters(county_code, id);
CREATE INDEX matters_township ON matters(township_code, id);
CREATE INDEX matters_community ON matters(community_code, id);
CREATE INDEX matters_grid ON matters(grid_id, id);
CREATE INDEX matters_owner ON matters(owner_org_id, id);
CREATE INDEX matters_reporter_org ON matters(reporter_org_id, id) WHERE reporter_org_id IS NOT NULL;
-- The scheduler's work: open matters by the next instant their colour can change.
CREATE INDEX matters_warn ON matters(alert, warn_at) WHERE alert < 1 AND warn_at IS NOT NULL;
CREATE INDEX matters_due ON matters(alert, due_at) WHERE alert < 2 AND due_at IS NOT NULL;

-- Every action, append-only: seq is the matter's version after the action (1 for the report).
CREATE TABLE matter_events (
  id INTEGER PRIMARY KEY,
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_user_id INTEGER,
  actor_org_id INTEGER,
  action TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  fields TEXT NOT NULL,
  UNIQUE (matter_id, seq)
);
CREATE TRIGGER matter_events_no_update BEFORE UPDATE ON matter_events
BEGIN SELECT RAISE(ABORT, 'matter_events is append-only'); END;
CREATE TRIGGER matter_events_no_delete BEFORE DELETE ON matter_events
BEGIN SELECT RAISE(ABORT, 'matter_events is append-only'); END;

-- Work handed to an organisation: kind 'dispatch' (分流, to a department; role lead or co for
-- joint handling) or 'assign' (交办, to a lower center). n numbers them within the matter.
CREATE TABLE matter_assignments (
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  n INTEGER NOT NULL,
  org_id INTEGER NOT NULL REFERENCES organisations(id),
  kind TEXT NOT NULL CHECK (kind IN ('dispatch', 'assign')),
  role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'signed', 'returned', 'submitted')),
  requirements TEXT,
  due_at INTEGER NOT NULL,
  warn_at INTEGER NOT NULL,
  alert INTEGER NOT NULL DEFAULT 0 CHECK (alert IN (0, 1, 2)),
  explained INTEGER NOT NULL DEFAULT 0,
  extension_due_at INTEGER,
  -- 退回 is allowed until this instant (the item's sign-for limit from the dispatch).
  return_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (matter_id, n)
);
CREATE INDEX matter_assignments_org ON matter_assignments(org_id, matter_id);
CREATE INDEX matter_assignments_warn ON matter_assignments(alert, warn_at)
  WHERE alert < 1 AND status IN ('pending', 'signed');
CREATE INDEX matter_assignments_due ON matter_assignments(alert, due_at)
  WHERE alert < 2 AND status IN ('pending', 'signed');

-- Dashboard counters, kept in the write transaction of every event and colour change: the
-- number of matters in each (region, state, category, alert) for the city, county and township
-- of each matter. A region's numbers are a handful of point reads, never a scan of matters.
CREATE TABLE matter_counters (
  region_code TEXT NOT NULL,
  state TEXT NOT NULL,
  category TEXT NOT NULL,
  alert INTEGER NOT NULL,
  n INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (region_code, state, category, alert)
);
