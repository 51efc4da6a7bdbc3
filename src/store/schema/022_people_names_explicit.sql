-- People's names are indexed for search (people_names, 019) by the write that inserts them
-- (person_names_index), no longer by a row trigger: a bulk registration indexes a whole batch
-- in one statement. A trigger-fed FTS5 table is flushed to disk at every statement savepoint
-- that follows, so the people import wrote one index segment per row. Changes and deletions of
-- names stay on their triggers (019).
DROP TRIGGER people_names_insert;
