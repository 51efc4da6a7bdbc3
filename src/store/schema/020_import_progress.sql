-- Resumable bulk imports (issue 12 part 7, domain/person_import.h). A file is imported in batches,
-- each one transaction; the batch's transaction also records here the last line of the file it
-- committed and a BLAKE2b hash of every record up to that line. A re-run of the same source
-- skips the committed lines when the hash of its records up to last_line is the same (the file
-- was not changed in its committed part), and refuses to run when it is not.
CREATE TABLE import_progress (
  source TEXT PRIMARY KEY,      -- the file's absolute path as the import was given it
  kind TEXT NOT NULL CHECK (kind IN ('people')),
  last_line INTEGER NOT NULL,   -- every data row up to this line is committed
  rows INTEGER NOT NULL,        -- people imported from the source so far
  prefix_hash TEXT NOT NULL,    -- hex BLAKE2b-256 of the records up to last_line
  updated_at INTEGER NOT NULL
);

-- The import finds a house by grid, address and room (registry_house_find_or_add).
CREATE INDEX houses_address ON houses(grid_id, address, room);
