-- Key-people visits and data quality of the registry (issue 12 parts 5 and 6).
--
-- Visits are duty records (011_duty.sql) of duty key_group_visit linked to the person visited
-- (duty_records.person_id, NULL for every other record). A key person is due for a visit when
-- the last such record (or, before the first, the date the person entered a current key
-- category) is older than the shortest interval of their current categories.
ALTER TABLE duty_records ADD COLUMN person_id INTEGER REFERENCES people(id);
CREATE INDEX duty_records_person ON duty_records(person_id, at) WHERE person_id IS NOT NULL;

-- The visit interval of each key-people category, in days (configurable: edit the row).
-- Defaults: 社区矫正对象 weekly (supervised persons report and are checked on most often),
-- the others monthly.
CREATE TABLE key_visit_intervals (
  category TEXT PRIMARY KEY CHECK (category IN ('community_correction', 'released_prisoner',
    'drug_rehab', 'mental_illness')),
  days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 366)
);
INSERT INTO key_visit_intervals (category, days) VALUES
  ('community_correction', 7), ('released_prisoner', 30), ('drug_rehab', 30),
  ('mental_illness', 30);

-- When a person's record was last verified by a worker (UTC seconds; NULL: never since it was
-- registered, and the registration counts as the first verification).
ALTER TABLE people ADD COLUMN verified_at INTEGER;

-- Thresholds of the data-quality lists (configurable: edit the row): verify_months, a record
-- is "to verify" when not verified for that many months (30 days each); crowded_residents, a
-- house with more people living in it than this is implausible.
CREATE TABLE registry_settings (
  name TEXT PRIMARY KEY CHECK (name IN ('verify_months', 'crowded_residents')),
  value INTEGER NOT NULL CHECK (value > 0)
);
INSERT INTO registry_settings (name, value) VALUES ('verify_months', 12),
  ('crowded_residents', 12);
