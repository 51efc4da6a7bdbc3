-- Duty records of grid workers (Art. 13) with their photos, the upload store's index, and the
-- township center's supervision phone shown on the public notice board (Art. 15).
-- Times are UTC seconds.

-- Every file received (duty record photos now, matter photos later). The bytes are not here: they
-- live beside the database in DB.files/<first two hex digits>/<the rest>, named by the BLAKE2b-256
-- hash of their content (domain/upload.h), so one photo sent twice is stored once. mime is what
-- the server found in the file's first bytes, never what the client said. A row names who sent
-- the file first; who may see it is decided by the records it is attached to, never by the hash.
CREATE TABLE uploads (
  hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
  mime TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp')),
  size INTEGER NOT NULL CHECK (size > 0),
  created_at INTEGER NOT NULL,
  created_by INTEGER REFERENCES users(id)
);

-- One visit or service of a grid worker. duty is one of the ten duties of Art. 13 (codes in
-- domain/duty.c), act what was done (an act the regulation forbids a grid worker, licensing,
-- penalties and coercive measures, is refused before it gets here). path is the path of the
-- grid's community, so scope is the same path range as everywhere; worker_id is the worker record
-- linked to the account that recorded it (NULL when that account has none).
CREATE TABLE duty_records (
  id INTEGER PRIMARY KEY,
  duty TEXT NOT NULL CHECK (duty IN ('data_collection', 'convenience_service',
    'dispute_screening', 'psychological_service', 'key_group_visit', 'safety_hazard',
    'incident_response', 'security_prevention', 'publicity', 'other_matters')),
  act TEXT NOT NULL CHECK (act IN ('visit', 'collect', 'service', 'inspect', 'mediate',
    'report', 'publicize', 'other')),
  at INTEGER NOT NULL,
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  path TEXT NOT NULL,
  worker_id INTEGER REFERENCES workers(id),
  lng REAL CHECK (lng IS NULL OR lng BETWEEN -180 AND 180),
  lat REAL CHECK (lat IS NULL OR lat BETWEEN -90 AND 90),
  note TEXT,
  photos INTEGER NOT NULL DEFAULT 0 CHECK (photos BETWEEN 0 AND 9),
  recorded_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  CHECK ((lng IS NULL) = (lat IS NULL))
);
-- Lists page newest first by id; these serve that order inside each filter and the scope.
CREATE INDEX duty_records_path ON duty_records(path, id);
CREATE INDEX duty_records_grid ON duty_records(grid_id, id);
CREATE INDEX duty_records_worker ON duty_records(worker_id, id);
CREATE INDEX duty_records_recorder ON duty_records(recorded_by, id);

CREATE TABLE duty_record_photos (
  record_id INTEGER NOT NULL REFERENCES duty_records(id),
  hash TEXT NOT NULL REFERENCES uploads(hash),
  position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 8),
  PRIMARY KEY (record_id, hash)
);
CREATE INDEX duty_record_photos_hash ON duty_record_photos(hash);

-- The supervision phone of a (township) center, published on the notice board of every grid in
-- its township (Art. 15 asks for the workers' contacts; residents also need whom to complain to).
ALTER TABLE organisations ADD COLUMN supervision_phone TEXT;
