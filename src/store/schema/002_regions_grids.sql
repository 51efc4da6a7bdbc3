-- The jurisdiction tree (市 > 县 > 乡镇/街道 > 社区/村) and the grids with their history (R1).
-- Times are UTC seconds. Boundaries are GeoJSON geometries (Polygon or MultiPolygon, WGS84 lng/lat)
-- stored as text, so both backends hold them the same way.

-- Regions are keyed by the 12-digit statistical division code. `path` is the materialized list of
-- ancestor codes ending with the region's own, each followed by '/', e.g.
-- '371500000000/371502000000/371502001000/': a subtree is the range path >= P AND path < P',
-- which is how access scoping (domain/access.h) reads it.
CREATE TABLE regions (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  parent_code TEXT REFERENCES regions(code),
  path TEXT NOT NULL UNIQUE,
  boundary TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);
CREATE INDEX regions_level ON regions(level);

-- Grids. `code` stays UNIQUE across every grid that ever existed, so a retired grid's code can
-- never be given to another one. `path` is the path of the grid's community (for scoping).
-- kind: 1 综合网格 (comprehensive), 2 专属网格 (dedicated; subtype names which kind).
CREATE TABLE grids (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  community_code TEXT NOT NULL REFERENCES regions(code),
  path TEXT NOT NULL,
  kind INTEGER NOT NULL CHECK (kind IN (1, 2)),
  subtype TEXT,
  name TEXT NOT NULL,
  boundary TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  households INTEGER NOT NULL DEFAULT 0 CHECK (households >= 0),
  residents INTEGER NOT NULL DEFAULT 0 CHECK (residents >= 0),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  retire_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX grids_path ON grids(path, status);
CREATE INDEX grids_community ON grids(community_code, status);

-- Every boundary a grid has had. The current one is also in grids.boundary; its row has
-- valid_to NULL until the grid is redrawn or retired.
CREATE TABLE grid_versions (
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  version INTEGER NOT NULL,
  boundary TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  reason TEXT,
  PRIMARY KEY (grid_id, version)
);

-- Lineage: a split writes one row per child (parent = the split grid), a merge one row per
-- merged grid (child = the new grid).
CREATE TABLE grid_lineage (
  parent_id INTEGER NOT NULL REFERENCES grids(id),
  child_id INTEGER NOT NULL REFERENCES grids(id),
  op TEXT NOT NULL CHECK (op IN ('split', 'merge')),
  at INTEGER NOT NULL,
  PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX grid_lineage_child ON grid_lineage(child_id);

-- Tunable thresholds of the grid checks (the guide size of a comprehensive grid, Art. 8).
CREATE TABLE grid_settings (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO grid_settings (key, value) VALUES
  ('residents_min', 500),
  ('residents_max', 1500),
  ('households_min', 300),
  ('households_max', 500);
