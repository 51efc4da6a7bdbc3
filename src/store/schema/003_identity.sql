-- Identity and tiered access (分级准入授权): organisations, users, roles, sessions, API tokens,
-- login failures and lockouts, TOTP recovery codes, and the hash-chained audit trail.
-- Times are UTC seconds. Secrets are never stored: passwords as Argon2id strings, session ids,
-- API tokens, CSRF tokens and recovery codes as hashes. The permission names and the permissions
-- of the built-in roles live in src/domain/permissions.c (the catalog), not here.

-- kind: center (网格化服务管理中心 of a city, county or township), department (a functional
-- department bound to a region), committee (village or residents' committee), grid_team.
-- level of a center: 'city', 'county', 'township' (NULL for the other kinds).
CREATE TABLE organisations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('center', 'department', 'committee', 'grid_team')),
  level TEXT CHECK (level IS NULL OR level IN ('city', 'county', 'township')),
  region_code TEXT NOT NULL REFERENCES regions(code),
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (region_code, name)
);
CREATE INDEX organisations_region ON organisations(region_code);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  org_id INTEGER NOT NULL REFERENCES organisations(id),
  phone TEXT,
  id_number TEXT,
  password_hash TEXT NOT NULL,
  password_changed_at INTEGER NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 1,
  totp_secret TEXT,
  totp_enabled INTEGER NOT NULL DEFAULT 0,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

-- Roles: the built-in ones (builtin = 1, permissions from the catalog) and custom roles defined by
-- the security administrator (permissions in role_permissions).
CREATE TABLE roles (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  builtin INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO roles (name, label, builtin, created_at, updated_at) VALUES
  ('center_operator', '中心操作员', 1, 0, 0),
  ('center_leader', '中心领导', 1, 0, 0),
  ('dept_handler', '部门处置人员', 1, 0, 0),
  ('grid_worker', '网格员', 1, 0, 0),
  ('sysadmin', '系统管理员', 1, 0, 0),
  ('secadmin', '安全管理员', 1, 0, 0),
  ('auditor', '审计员', 1, 0, 0);

CREATE TABLE role_permissions (
  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users(id),
  role_id INTEGER NOT NULL REFERENCES roles(id),
  granted_by INTEGER,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles(role_id);

-- Grid workers are bound to their grids.
CREATE TABLE user_grids (
  user_id INTEGER NOT NULL REFERENCES users(id),
  grid_id INTEGER NOT NULL REFERENCES grids(id),
  PRIMARY KEY (user_id, grid_id)
);
CREATE INDEX user_grids_grid ON user_grids(grid_id);

-- Browser sessions. token_hash = BLAKE2b-256 of the cookie value; csrf_hash likewise.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  csrf_hash BLOB NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Every failed login, for the sliding-window lockout counts (per user name and per address).
CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  source TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
CREATE INDEX login_failures_source ON login_failures(source, at);

-- kind 'account' (subject = user name) or 'address' (subject = source address).
CREATE TABLE lockouts (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('account', 'address')),
  subject TEXT NOT NULL,
  locked_at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  released_at INTEGER,
  released_by INTEGER
);
CREATE INDEX lockouts_subject ON lockouts(kind, subject, until);

CREATE TABLE totp_recovery_codes (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  code_hash BLOB NOT NULL,
  used_at INTEGER
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes(user_id);

-- API tokens for other systems: "wgt_" + 43 base64url characters; only the hash is kept and the
-- first characters (prefix) to tell tokens apart in lists.
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  org_id INTEGER NOT NULL REFERENCES organisations(id),
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_by INTEGER,
  last_used_at INTEGER
);
CREATE TABLE api_token_permissions (
  token_id INTEGER NOT NULL REFERENCES api_tokens(id),
  permission TEXT NOT NULL,
  PRIMARY KEY (token_id, permission)
);

-- The audit trail. Append-only: no route deletes; audit_purge refuses records younger than the
-- retention. hash = BLAKE2b-256 keyed with PATH.audit.key over prev_hash and the canonical record
-- (see src/domain/audit.c); prev_hash of the first record is 64 zeros (or the purge anchor).
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER,
  username TEXT NOT NULL,
  org_id INTEGER,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  detail TEXT NOT NULL,
  request_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log(username, at);
CREATE INDEX audit_log_action ON audit_log(action, at);

-- Keyed anchors of the chain: 'head' (last id and hash, so a removed last record is noticed) and
-- 'base' (first id and its prev_hash after a purge). value = "id:hash:mac".
CREATE TABLE audit_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
