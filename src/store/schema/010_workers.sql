-- Grid workers (网格员, R2, Art. 10-12, 14, 22-24): the registry, the grids each worker serves,
-- the Art. 11 attestations, staffing exceptions (Art. 10) and the workforce records (training,
-- rewards and penalties, pay / allowance / insurance). Times are UTC seconds; calendar dates
-- (birth, start, status, certificate validity, periods) are 'YYYY-MM-DD' text in Asia/Shanghai.
--
-- id_number and phone are sealed at rest through the sealed-field registry (domain/sealed.c):
-- they hold "v1:..." values; id_number_bidx is the blind index for exact lookup and duplicate
-- refusal. work_phone is the number Art. 15 requires to be published on the notice board, so it
-- is kept in clear on purpose. birth_date and sex are derived from the ID number on write.
-- path is the materialized path of the region the worker is managed by (normally the township),
-- so scope is the same path range as everywhere else.
CREATE TABLE workers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  id_number TEXT NOT NULL,
  id_number_bidx TEXT NOT NULL UNIQUE,
  birth_date TEXT NOT NULL,
  sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  nationality TEXT NOT NULL CHECK (nationality = 'CHN'),
  phone TEXT,
  work_phone TEXT,
  employment TEXT NOT NULL CHECK (employment IN ('full_time', 'part_time')),
  -- Art. 12 sources of part-time workers; NULL for full-time workers.
  part_time_source TEXT CHECK (part_time_source IS NULL OR part_time_source IN
    ('committee_member', 'mediator', 'police_assistant', 'villager_rep', 'resident_rep',
     'property_staff', 'volunteer', 'other')),
  education TEXT,
  certificate_no TEXT,
  certificate_valid_to TEXT,
  region_code TEXT NOT NULL REFERENCES regions(code),
  path TEXT NOT NULL,
  start_date TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'exited')),
  status_date TEXT NOT NULL,
  exit_reason TEXT,
  user_id INTEGER UNIQUE REFERENCES users(id),
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((employment = 'part_time') = (part_time_source IS NOT NULL))
);
CREATE INDEX workers_path ON workers(path, id);
CREATE INDEX workers_status ON workers(status, id);
CREATE INDEX workers_certificate ON workers(certificate_valid_to, id);

-- The grids a worker serves: several grids per worker, several workers per grid, at most one
-- lead per grid (the partial unique index). The linked account's user_grids (access scope) is
-- rewritten in the same transaction whenever this changes.
CREATE TABLE worker_grids (
  worker_id INTEGER NOT NULL REFERENCES workers(id),
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  lead INTEGER NOT NULL DEFAULT 0 CHECK (lead IN (0, 1)),
  since INTEGER NOT NULL,
  PRIMARY KEY (worker_id, grid_id)
);
CREATE INDEX worker_grids_grid ON worker_grids(grid_id, worker_id);
CREATE UNIQUE INDEX worker_grids_one_lead ON worker_grids(grid_id) WHERE lead = 1;

-- Art. 11 conditions checked for a worker: one row per condition, who checked it and when.
CREATE TABLE worker_attestations (
  worker_id INTEGER NOT NULL REFERENCES workers(id),
  item TEXT NOT NULL CHECK (item IN ('political', 'education', 'health', 'ability', 'devotion',
                                     'legal')),
  checked_by INTEGER NOT NULL REFERENCES users(id),
  checked_at INTEGER NOT NULL,
  note TEXT,
  PRIMARY KEY (worker_id, item)
);

-- Art. 10: a rural village grid that cannot yet have a full-time worker is allowed only as a
-- marked, dated exception. The compliance report counts a grid without a full-time worker as
-- an exception (not a failure) while one row here covers the date.
CREATE TABLE staffing_exceptions (
  grid_id INTEGER PRIMARY KEY REFERENCES grids(id),
  reason TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT,
  marked_by INTEGER NOT NULL REFERENCES users(id),
  marked_at INTEGER NOT NULL
);

-- Workforce records (Art. 22-24): records, not payroll. kind of a record:
--   training: topic, hours, organiser on date
--   reward / penalty: reason and the deciding organisation on date
--   pay / allowance / insurance: amount_cents for period_from..period_to
CREATE TABLE worker_records (
  id INTEGER PRIMARY KEY,
  worker_id INTEGER NOT NULL REFERENCES workers(id),
  kind TEXT NOT NULL CHECK (kind IN ('training', 'reward', 'penalty', 'pay', 'allowance',
                                     'insurance')),
  date TEXT NOT NULL,
  topic TEXT,
  hours_tenths INTEGER CHECK (hours_tenths IS NULL OR hours_tenths > 0),
  organiser TEXT,
  amount_cents INTEGER CHECK (amount_cents IS NULL OR amount_cents >= 0),
  period_from TEXT,
  period_to TEXT,
  note TEXT,
  recorded_by INTEGER NOT NULL REFERENCES users(id),
  recorded_at INTEGER NOT NULL
);
CREATE INDEX worker_records_worker ON worker_records(worker_id, id);
