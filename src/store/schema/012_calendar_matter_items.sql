-- The working-day calendar (R7, R9) and the published matter list (事项清单, R6, Art. 16).
--
-- Calendar: a year is either loaded (a row in calendar_years) or missing. For a loaded year every
-- date not in calendar_days is a working day from Monday to Friday and a rest day on Saturday and
-- Sunday; calendar_days lists the exceptions: public holidays ('holiday') and make-up working days
-- ('workday', 调休上班). Deadline arithmetic refuses a date of a missing year (calendar_missing),
-- never guessing weekends only. Dates are 'YYYY-MM-DD' in Asia/Shanghai.
CREATE TABLE calendar_years (
  year INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
  source TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  loaded_by INTEGER REFERENCES users(id)
);
CREATE TABLE calendar_days (
  day TEXT PRIMARY KEY CHECK (length(day) = 10),
  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name TEXT NOT NULL
) WITHOUT ROWID;
-- One row: the office hours working-hour deadlines are counted in, as "HH:MM-HH:MM" periods
-- separated by commas, ascending and disjoint (domain/calendar.c parses and checks them).
CREATE TABLE calendar_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  office_hours TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by INTEGER REFERENCES users(id)
);
INSERT INTO calendar_settings (id, office_hours, updated_at) VALUES (1, '09:00-12:00,13:30-17:30', 0);

-- The default calendar: data/calendar/holidays-cn.csv (State Council notices for 2025 and 2026;
-- see data/calendar/SOURCE.md), row for row. tests/unit/test_calendar.c checks that this list and
-- the CSV file are the same.
INSERT INTO calendar_years (year, source, loaded_at) VALUES
  (2025, 'default: data/calendar/holidays-cn.csv (国办发明电〔2024〕12号)', 0),
  (2026, 'default: data/calendar/holidays-cn.csv (国务院办公厅 2025-11-04 通知)', 0);
INSERT INTO calendar_days (day, kind, name) VALUES
  ('2025-01-01', 'holiday', '元旦'),
  ('2025-01-26', 'workday', '春节调休上班'),
  ('2025-01-28', 'holiday', '春节'),
  ('2025-01-29', 'holiday', '春节'),
  ('2025-01-30', 'holiday', '春节'),
  ('2025-01-31', 'holiday', '春节'),
  ('2025-02-01', 'holiday', '春节'),
  ('2025-02-02', 'holiday', '春节'),
  ('2025-02-03', 'holiday', '春节'),
  ('2025-02-04', 'holiday', '春节'),
  ('2025-02-08', 'workday', '春节调休上班'),
  ('2025-04-04', 'holiday', '清明节'),
  ('2025-04-05', 'holiday', '清明节'),
  ('2025-04-06', 'holiday', '清明节'),
  ('2025-04-27', 'workday', '劳动节调休上班'),
  ('2025-05-01', 'holiday', '劳动节'),
  ('2025-05-02', 'holiday', '劳动节'),
  ('2025-05-03', 'holiday', '劳动节'),
  ('2025-05-04', 'holiday', '劳动节'),
  ('2025-05-05', 'holiday', '劳动节'),
  ('2025-05-31', 'holiday', '端午节'),
  ('2025-06-01', 'holiday', '端午节'),
  ('2025-06-02', 'holiday', '端午节'),
  ('2025-09-28', 'workday', '国庆节调休上班'),
  ('2025-10-01', 'holiday', '国庆节、中秋节'),
  ('2025-10-02', 'holiday', '国庆节、中秋节'),
  ('2025-10-03', 'holiday', '国庆节、中秋节'),
  ('2025-10-04', 'holiday', '国庆节、中秋节'),
  ('2025-10-05', 'holiday', '国庆节、中秋节'),
  ('2025-10-06', 'holiday', '国庆节、中秋节'),
  ('2025-10-07', 'holiday', '国庆节、中秋节'),
  ('2025-10-08', 'holiday', '国庆节、中秋节'),
  ('2025-10-11', 'workday', '国庆节调休上班'),
  ('2026-01-01', 'holiday', '元旦'),
  ('2026-01-02', 'holiday', '元旦'),
  ('2026-01-03', 'holiday', '元旦'),
  ('2026-01-04', 'workday', '元旦调休上班'),
  ('2026-02-14', 'workday', '春节调休上班'),
  ('2026-02-15', 'holiday', '春节'),
  ('2026-02-16', 'holiday', '春节'),
  ('2026-02-17', 'holiday', '春节'),
  ('2026-02-18', 'holiday', '春节'),
  ('2026-02-19', 'holiday', '春节'),
  ('2026-02-20', 'holiday', '春节'),
  ('2026-02-21', 'holiday', '春节'),
  ('2026-02-22', 'holiday', '春节'),
  ('2026-02-23', 'holiday', '春节'),
  ('2026-02-28', 'workday', '春节调休上班'),
  ('2026-04-04', 'holiday', '清明节'),
  ('2026-04-05', 'holiday', '清明节'),
  ('2026-04-06', 'holiday', '清明节'),
  ('2026-05-01', 'holiday', '劳动节'),
  ('2026-05-02', 'holiday', '劳动节'),
  ('2026-05-03', 'holiday', '劳动节'),
  ('2026-05-04', 'holiday', '劳动节'),
  ('2026-05-05', 'holiday', '劳动节'),
  ('2026-05-09', 'workday', '劳动节调休上班'),
  ('2026-06-19', 'holiday', '端午节'),
  ('2026-06-20', 'holiday', '端午节'),
  ('2026-06-21', 'holiday', '端午节'),
  ('2026-09-20', 'workday', '国庆节调休上班'),
  ('2026-09-25', 'holiday', '中秋节'),
  ('2026-09-26', 'holiday', '中秋节'),
  ('2026-09-27', 'holiday', '中秋节'),
  ('2026-10-01', 'holiday', '国庆节'),
  ('2026-10-02', 'holiday', '国庆节'),
  ('2026-10-03', 'holiday', '国庆节'),
  ('2026-10-04', 'holiday', '国庆节'),
  ('2026-10-05', 'holiday', '国庆节'),
  ('2026-10-06', 'holiday', '国庆节'),
  ('2026-10-07', 'holiday', '国庆节'),
  ('2026-10-10', 'workday', '国庆节调休上班');

-- The matter list. An item (a code, stable for ever) has versions; a version's content is written
-- once (the triggers below refuse changing it after the draft stage, and refuse deleting any
-- version), and its life is stamped on it: proposed (draft) -> approved -> published on an
-- effective date, or rejected. Withdrawing an item publishes a version of status 'withdrawn' on a
-- date. The version deciding a date is the newest (highest version number) published or withdrawn
-- version whose effective_from is not after that date: the latest decision that has taken effect,
-- so a withdrawal overrides an earlier publication, even one scheduled for a later date. The
-- item is in force when that version is 'published' and its expires_on (temporary items) has
-- not passed. The (item_id, version) unique index serves that lookup.
-- matter_items.published_version_id points at the newest publication (which may take effect in
-- the future); draft_version_id at the open proposal (at most one per item).
CREATE TABLE matter_items (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  published_version_id INTEGER,
  draft_version_id INTEGER,
  latest_version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE matter_item_versions (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES matter_items(id),
  version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'published', 'rejected',
                                         'withdrawn')),
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  worker_role TEXT NOT NULL CHECK (worker_role IN ('report', 'resolve', 'assist')),
  default_level TEXT NOT NULL CHECK (default_level IN ('township', 'county', 'city')),
  urgency INTEGER NOT NULL CHECK (urgency BETWEEN 1 AND 3),
  accept_amount INTEGER NOT NULL,
  accept_unit INTEGER NOT NULL CHECK (accept_unit IN (1, 2)),
  handle_amount INTEGER NOT NULL,
  handle_unit INTEGER NOT NULL CHECK (handle_unit IN (1, 2)),
  verify_amount INTEGER NOT NULL,
  verify_unit INTEGER NOT NULL CHECK (verify_unit IN (1, 2)),
  warn_share_pct INTEGER NOT NULL CHECK (warn_share_pct BETWEEN 1 AND 99),
  departments TEXT NOT NULL, -- JSON array of organisation ids (kind 'department'), lead first
  expires_on TEXT,           -- temporary items: last day in force
  note TEXT NOT NULL DEFAULT '', -- the proposer's reason for this version
  proposed_by INTEGER REFERENCES users(id),
  proposed_org INTEGER REFERENCES organisations(id),
  proposed_at INTEGER NOT NULL,
  decided_by INTEGER REFERENCES users(id), -- approved or rejected by
  decided_at INTEGER,
  reject_reason TEXT,
  effective_from TEXT,      -- published / withdrawn: the first day in force
  published_by INTEGER REFERENCES users(id),
  published_at INTEGER,
  UNIQUE (item_id, version)
);
CREATE UNIQUE INDEX matter_item_versions_one_open ON matter_item_versions(item_id)
  WHERE status IN ('draft', 'approved');

CREATE TRIGGER matter_item_versions_no_delete BEFORE DELETE ON matter_item_versions
BEGIN
  SELECT RAISE(ABORT, 'matter item versions are kept for ever');
END;
CREATE TRIGGER matter_item_versions_content_fixed BEFORE UPDATE OF item_id, version, name,
  category, description, worker_role, default_level, urgency, accept_amount, accept_unit,
  handle_amount, handle_unit, verify_amount, verify_unit, warn_share_pct, departments,
  expires_on, note, proposed_by, proposed_org, proposed_at ON matter_item_versions
  WHEN OLD.status <> 'draft'
BEGIN
  SELECT RAISE(ABORT, 'a matter item version is fixed once approved');
END;
CREATE TRIGGER matter_item_versions_final BEFORE UPDATE OF status ON matter_item_versions
  WHEN OLD.status IN ('published', 'rejected', 'withdrawn')
BEGIN
  SELECT RAISE(ABORT, 'a published, rejected or withdrawn version does not change');
END;
