// Identity on the command line: `wangge demo` accounts file, `wangge user add` on a database
// without users (one-time password, TOTP, first-login password change; refused once the role is
// held), and `wangge check` reporting audit records deleted, altered or reordered directly in the
// database file with the sqlite3 tool.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clientFor, login, makeDemoDb, readAccounts, startDemoServer, testEnv, totpCode } from '../lib/auth.mjs';
import { makeTempDir, runCli } from '../lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

test('wangge demo writes an account for every built-in role, mode 0600, without forced password change', async () => {
  const db = await makeDemoDb();
  const acc = readAccounts(db);
  // One per role, and for the matter flow a township center operator and a second department.
  assert.deepEqual(acc.map((a) => a.role).sort(),
    ['auditor', 'center_leader', 'center_operator', 'center_operator', 'dept_handler', 'dept_handler',
      'grid_worker', 'secadmin', 'sysadmin']);
  assert.deepEqual(acc.filter((a) => ['center_operator', 'dept_handler'].includes(a.role)).map((a) => a.username),
    ['operator', 'handler', 'township', 'handler2']);
  assert.equal(statSync(`${db}.accounts.json`).mode & 0o777, 0o600);
  assert.equal(statSync(`${db}.audit.key`).mode & 0o777, 0o600);
  for (const a of acc) {
    assert.ok(a.password.length >= 12 && a.username && a.organisation);
    // Administrators, and the leader who may unmask personal data, have TOTP (issue 8).
    assert.equal(Boolean(a.totp_secret), ['sysadmin', 'secadmin', 'auditor', 'center_leader'].includes(a.role));
  }
  assert.equal(sql(db, 'SELECT count(*) FROM users WHERE must_change_password = 1'), '0');
  // Running it again adds nothing.
  const again = await runCli(['demo', '--db', db], { env: testEnv });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already there/);
  assert.equal(sql(db, 'SELECT count(*) FROM users'), '9');
});

test('wangge user add creates the first administrators only, with a one-time password', async () => {
  const dir = makeTempDir();
  const db = path.join(dir, 'w.db');
  assert.equal((await runCli(['migrate', '--db', db])).code, 0);
  assert.equal(sql(db, 'SELECT count(*) FROM users'), '0', 'no default account');
  let r = await runCli(['user', 'add', '--db', db, '--role', 'sysadmin', '--username', 'admin'], { env: testEnv });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no regions/);
  sql(db, "INSERT INTO regions (code, name, level, parent_code, path, created_at, updated_at) VALUES ('371500000000', '聊城市', 2, NULL, '371500000000/', 0, 0)");
  r = await runCli(['user', 'add', '--db', db, '--role', 'center_operator', '--username', 'op'], { env: testEnv });
  assert.equal(r.code, 2, 'only administrator roles');
  r = await runCli(['user', 'add', '--db', db, '--role', 'sysadmin', '--username', 'admin'], { env: testEnv });
  assert.equal(r.code, 0, r.stderr);
  const password = r.stdout.match(/one-time password:\s+(\S+)/)[1];
  const secret = r.stdout.match(/TOTP secret:\s+(\S+)/)[1];
  r = await runCli(['user', 'add', '--db', db, '--role', 'sysadmin', '--username', 'admin2'], { env: testEnv });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already holds/);

  const server = await startDemoServer({ db });
  try {
    let l = await login(server, 'admin', password);
    assert.equal(l.body.error.code, 'totp_required');
    l = await login(server, 'admin', password, { totp: totpCode(secret) });
    assert.equal(l.status, 200);
    assert.equal(l.body.must_change_password, true);
    const c = clientFor(server, { cookie: l.cookies.wg_session, csrf: l.body.csrf_token });
    assert.equal((await c.get('/api/v1/users')).body.error.code, 'password_change_required');
    assert.equal((await c.put('/api/v1/session/password', { old_password: password, new_password: 'Tall-Poplar-Road-9' })).status, 200);
    const users = await c.get('/api/v1/users');
    assert.equal(users.status, 200);
    assert.equal(users.body.items[0].username, 'admin');
    assert.ok(!server.logs().includes(password) && !server.logs().includes(secret));
  } finally {
    await server.stop();
  }
});

test('wangge check reports audit records deleted, altered or reordered in the database file', async () => {
  const server = await startDemoServer();
  const db = server.db;
  for (let i = 0; i < 3; i++) await login(server, 'nobody', `Wrong-pass-${i}x`);
  assert.equal(await server.stop(), 0);
  const n = Number(sql(db, 'SELECT count(*) FROM audit_log'));
  assert.ok(n > 10);
  let r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /healthy/);

  const backup = path.join(path.dirname(db), 'copy.db');
  sql(db, `VACUUM INTO '${backup}'`);
  const fresh = () => { sql(backup, `VACUUM INTO '${db}.tmp'`); execFileSync('mv', [`${db}.tmp`, db]); };

  sql(db, 'DELETE FROM audit_log WHERE id = 5');
  r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /audit: record\(s\) 5\.\.5 missing before record 6/);

  fresh();
  sql(db, "UPDATE audit_log SET detail = detail || ' ' WHERE id = 7");
  r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /audit: record 7 was altered/);

  fresh();
  sql(db, 'UPDATE audit_log SET id = -3 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = 4; UPDATE audit_log SET id = 4 WHERE id = -3');
  r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /record 3/);
  assert.match(r.stdout, /record 4/);

  fresh();
  sql(db, `DELETE FROM audit_log WHERE id = ${n}`);
  r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`record\\(s\\) ${n}\\.\\.${n} missing at the end`));

  fresh();
  assert.equal((await runCli(['check', '--db', db])).code, 0);
  execFileSync('mv', [`${db}.audit.key`, `${db}.key.away`]);
  r = await runCli(['check', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /key file .* is missing/);
});
