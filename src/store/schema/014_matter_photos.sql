-- Photos of matters (issue 10 part 3): what a reporter or a handler sent with an event (the
-- report, a self-handling, a progress note, a submitted result). The bytes and their type are in
-- uploads (011); this says which matter a photo belongs to and which event attached it. The event
-- log stays the truth: that event's fields list the hashes ("photos"), and `wangge check` compares
-- this table with the events. A photo is served only to callers who may see the matter; the hash
-- alone grants nothing. A photo sent again with a later event of the same matter keeps its first
-- row (the first event that attached it).
CREATE TABLE matter_photos (
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  hash TEXT NOT NULL REFERENCES uploads(hash),
  event_seq INTEGER NOT NULL,
  added_by INTEGER REFERENCES users(id),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (matter_id, hash)
);
