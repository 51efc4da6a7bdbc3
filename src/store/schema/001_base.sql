-- Base tables of the foundation. Times are UTC seconds.

-- A tiny table written by the internal probe route: the crash-durability test writes here under
-- load, kills the server, and checks every acknowledged key survived.
CREATE TABLE probe (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
