-- The basic-information registry (issue 12, R3(1)(2)(5), R4): houses, units and people, the
-- dated records of every change to a person, care tags and key-people categories with their
-- dates, and per-grid counters kept in the write transaction. Times are UTC seconds; calendar
-- dates ("YYYY-MM-DD", Asia/Shanghai) are text. Every row carries grid_id and path (the path of
-- its grid's community): scope conditions filter on them (domain/dom.h).

-- 房屋. use: 自住 self, 出租 rent, 空置 vacant, 经营 business.
CREATE TABLE houses (
  id INTEGER PRIMARY KEY,
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  path TEXT NOT NULL,
  address TEXT NOT NULL,
  building TEXT,
  unit_no TEXT,
  room TEXT,
  type TEXT NOT NULL CHECK (type IN ('dwelling', 'shop', 'office', 'factory', 'other')),
  use TEXT NOT NULL CHECK (use IN ('self', 'rent', 'vacant', 'business')),
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX houses_path ON houses(path, id);
CREATE INDEX houses_grid ON houses(grid_id, id);

-- 单位. credit_code is the unified social credit code (GB 32100), validated before it gets here.
CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  credit_code TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'shop', 'school', 'hospital',
    'social_org', 'government', 'other')),
  address TEXT NOT NULL,
  contact_name TEXT,
  contact_phone TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX units_path ON units(path, id);
CREATE INDEX units_grid ON units(grid_id, id);

-- 实有人口. id_number (the resident ID number, or the passport number of a foreigner) and phone
-- are sealed (domain/sealed.c registry: people.id_number with its blind index, people.phone).
-- status: present (lives in the grid), moved_out (left the area), dead. key_count / care_count
-- are the numbers of key-people categories and care tags the person is in now (left date unset).
-- house_id, unit_id and status are the CURRENT view; the history is person_events.
CREATE TABLE people (
  id INTEGER PRIMARY KEY,
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  doc_type TEXT NOT NULL CHECK (doc_type IN ('id_card', 'passport')),
  id_number TEXT,
  id_number_bidx TEXT UNIQUE,
  sex TEXT CHECK (sex IN ('M', 'F')),
  birth_date TEXT,
  phone TEXT,
  reg_type TEXT NOT NULL CHECK (reg_type IN ('huji', 'floating', 'foreign')),
  nationality TEXT NOT NULL DEFAULT 'CHN',
  house_id INTEGER REFERENCES houses(id),
  household_no TEXT,
  relation TEXT,
  unit_id INTEGER REFERENCES units(id),
  status TEXT NOT NULL DEFAULT 'present' CHECK (status IN ('present', 'moved_out', 'dead')),
  key_count INTEGER NOT NULL DEFAULT 0,
  care_count INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX people_path ON people(path, id);
CREATE INDEX people_grid ON people(grid_id, id);
CREATE INDEX people_house ON people(house_id, id);

-- Care tags (kind care) and key-people categories (kind key) with the date entered and the date
-- left (NULL while in it). Current views filter on left_on IS NULL.
CREATE TABLE person_tags (
  id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES people(id),
  kind TEXT NOT NULL CHECK (kind IN ('care', 'key')),
  tag TEXT NOT NULL,
  entered_on TEXT NOT NULL,
  left_on TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX person_tags_person ON person_tags(person_id, kind, tag);
CREATE UNIQUE INDEX person_tags_current ON person_tags(person_id, tag) WHERE left_on IS NULL;

-- The dated records of a person (dynamic information): registered, born, move_in (into
-- house_id), move_out (left the area), died, unit (workplace changed to unit_id, or none),
-- tag_enter / tag_leave (tag), changed (basic fields; detail says which). Append-only: the view
-- of any past date is computed from these rows.
CREATE TABLE person_events (
  id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES people(id),
  kind TEXT NOT NULL CHECK (kind IN ('registered', 'born', 'move_in', 'move_out', 'died',
    'unit', 'tag_enter', 'tag_leave', 'changed')),
  date TEXT NOT NULL,
  house_id INTEGER REFERENCES houses(id),
  unit_id INTEGER REFERENCES units(id),
  tag TEXT,
  detail TEXT,
  user_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX person_events_person ON person_events(person_id, date, id);
CREATE INDEX person_events_house ON person_events(house_id, date) WHERE house_id IS NOT NULL;
CREATE TRIGGER person_events_no_update BEFORE UPDATE ON person_events BEGIN
  SELECT RAISE(ABORT, 'person events are append-only');
END;
CREATE TRIGGER person_events_no_delete BEFORE DELETE ON person_events BEGIN
  SELECT RAISE(ABORT, 'person events are append-only');
END;

-- Per-grid counters of the registry, updated in the same transaction as each change (never a
-- COUNT per request): people present, households (present heads of household), floating
-- population, foreigners, people with a care tag, key people, houses, units.
CREATE TABLE grid_registry_stats (
  grid_id INTEGER PRIMARY KEY REFERENCES grids(id),
  residents INTEGER NOT NULL DEFAULT 0,
  households INTEGER NOT NULL DEFAULT 0,
  floating INTEGER NOT NULL DEFAULT 0,
  foreigners INTEGER NOT NULL DEFAULT 0,
  care INTEGER NOT NULL DEFAULT 0,
  key_people INTEGER NOT NULL DEFAULT 0,
  houses INTEGER NOT NULL DEFAULT 0,
  units INTEGER NOT NULL DEFAULT 0
);
