-- Name search of the registry (issue 12): an FTS5 index of people's names with the wg_cjk
-- tokenizer (store/fts_cjk.h: Han characters and their bigrams, so a two-character name is
-- found exactly and inside longer names). External content: the names stay in people, the index
-- holds only tokens, kept in step by the triggers below in the same transaction as each change.
-- The tokenizer is registered by the store on every connection it opens; a tool that writes
-- people's names without it (the bare sqlite3 shell) is refused by these triggers.
CREATE VIRTUAL TABLE people_names USING fts5(name, content = 'people', content_rowid = 'id',
                                             tokenize = 'wg_cjk');
INSERT INTO people_names (rowid, name) SELECT id, name FROM people;
CREATE TRIGGER people_names_insert AFTER INSERT ON people BEGIN
  INSERT INTO people_names (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER people_names_delete AFTER DELETE ON people BEGIN
  INSERT INTO people_names (people_names, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER people_names_update AFTER UPDATE OF name ON people BEGIN
  INSERT INTO people_names (people_names, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO people_names (rowid, name) VALUES (new.id, new.name);
END;
