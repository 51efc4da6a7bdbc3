-- The registry's bulk import takes houses and units as well as people (issue 12 part 7): the
-- progress of a file is kept per source and kind, so one path may be imported as each kind.
CREATE TABLE import_progress_new (
  source TEXT NOT NULL,         -- the file's absolute path as the import was given it
  kind TEXT NOT NULL CHECK (kind IN ('people', 'houses', 'units')),
  last_line INTEGER NOT NULL,   -- every data row up to this line is committed
  rows INTEGER NOT NULL,        -- rows imported from the source so far
  prefix_hash TEXT NOT NULL,    -- hex BLAKE2b-256 of the records up to last_line
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, kind)
);
INSERT INTO import_progress_new SELECT source, kind, last_line, rows, prefix_hash, updated_at
  FROM import_progress;
DROP TABLE import_progress;
ALTER TABLE import_progress_new RENAME TO import_progress;
