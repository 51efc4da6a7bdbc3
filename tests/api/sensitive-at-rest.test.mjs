// Encryption at rest of sensitive personal fields (docs/security.md "Encryption at rest"): a user's
// ID number and phone never appear in clear in the database file or its WAL, yet come back exactly
// when a caller holding sensitive.unmask asks with a reason. TOTP secrets (enrolled or pending) are
// sealed the same way, and login and enrolment still check codes against them. `wangge check` reports a value stored
// in clear, and the server refuses to start when the data key file is gone but sealed values exist.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { accountFor, loginAs, readAccounts, startDemoServer, testEnv, totpCode } from '../lib/auth.mjs';
import { runCli, startServer } from '../lib/server.mjs';

// A valid resident ID number (GB 11643 check character) from its first 17 digits.
function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

const ID = residentId('37150219851204321');
const PHONE = '13987654321';
const PHONE2 = '15511223344';

function rawBytes(db) {
  const parts = [readFileSync(db)];
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`));
  return Buffer.concat(parts);
}

function hasSqlite3() {
  try { execFileSync('sqlite3', ['-version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

let server;
let userId;
const reason = encodeURIComponent('核查人员身份');

before(async () => {
  server = await startDemoServer();
});
after(async () => { if (server) await server.stop(); });

describe('sensitive fields at rest', () => {
  test('the data key file sits beside the database, mode 0600', () => {
    const st = statSync(`${server.db}.data.key`);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
  });

  test('a created user\'s ID number and phone are not in the database file in clear', async () => {
    const sys = await loginAs(server, 'sysadmin');
    const worker = accountFor(server.db, 'grid_worker');
    let r = await sys.post('/api/v1/users', {
      username: 'atrest.user', display_name: '静态加密测试', org_id: worker.org_id,
      phone: PHONE, id_number: ID,
    });
    assert.equal(r.status, 201, r.text);
    userId = r.body.id;
    assert.ok(userId > 0);
    r = await sys.patch(`/api/v1/users/${userId}`, { phone: PHONE2 });
    assert.equal(r.status, 200, r.text);

    const bytes = rawBytes(server.db);
    for (const s of [ID, PHONE, PHONE2, '13812345678']) {
      assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s} found in clear in the database`);
    }
    // The demo accounts' ID numbers too (their first 15 digits are fixed by the demo).
    assert.equal(bytes.indexOf(Buffer.from('371502199003071')), -1);
    assert.ok(bytes.indexOf(Buffer.from('v1:')) >= 0, 'sealed values are there');
  });

  test('TOTP secrets are sealed at rest; TOTP login and enrolment still work', async () => {
    const admins = readAccounts(server.db).filter((a) => a.totp_secret);
    assert.ok(admins.length >= 3, 'the demo administrators have TOTP secrets');
    // loginAs computes the current code from the clear secret in DB.accounts.json.
    for (const a of admins) await loginAs(server, a.role);

    const w = await loginAs(server, 'grid_worker');
    const begin = await w.post('/api/v1/session/totp', { password: accountFor(server.db, 'grid_worker').password });
    assert.equal(begin.status, 200, begin.text);
    const pending = begin.body.secret;
    assert.match(pending, /^[A-Z2-7]{32}$/);
    let bytes = rawBytes(server.db);
    assert.equal(bytes.indexOf(Buffer.from(pending)), -1, 'pending secret found in clear');
    const r = await w.post('/api/v1/session/totp/confirm', { code: totpCode(pending) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.recovery_codes.length, 10);

    bytes = rawBytes(server.db);
    for (const s of [pending, ...admins.map((a) => a.totp_secret)]) {
      assert.equal(bytes.indexOf(Buffer.from(s)), -1, `TOTP secret ${s} found in clear in the database`);
      assert.equal(bytes.indexOf(Buffer.from(s.toLowerCase())), -1);
    }
  });

  test('masked by default; unmasked with a reason by a role holding sensitive.unmask', async () => {
    const leader = await loginAs(server, 'center_leader');
    let r = await leader.get(`/api/v1/users/${userId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.phone, '155****3344');
    assert.equal(r.body.id_number, `3${'*'.repeat(16)}${ID[17]}`);
    r = await leader.get(`/api/v1/users/${userId}?unmask=1&reason=${reason}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.phone, PHONE2);
    assert.equal(r.body.id_number, ID);
    // Clearing a field clears it.
    const sys = await loginAs(server, 'sysadmin');
    r = await sys.patch(`/api/v1/users/${userId}`, { phone: null });
    assert.equal(r.status, 200, r.text);
    r = await leader.get(`/api/v1/users/${userId}?unmask=1&reason=${reason}`);
    assert.ok(!r.body.phone, JSON.stringify(r.body));
    assert.equal(r.body.id_number, ID);
  });

  test('wangge check: healthy; a clear value is a finding; a missing key is refused', { skip: !hasSqlite3() && 'no sqlite3 command' }, async () => {
    await server.stop();
    const db = server.db;
    server = null;
    let r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /healthy/);

    execFileSync('sqlite3', [db, `UPDATE users SET phone = '13700001111' WHERE id = ${userId}`]);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`row ${userId} users\\.phone is stored in clear`));
    // A sealed value moved to another row does not decrypt.
    execFileSync('sqlite3', [db, `UPDATE users SET phone = (SELECT id_number FROM users WHERE id = ${userId}) WHERE id = ${userId}`]);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`row ${userId} users\\.phone does not decrypt`));
    execFileSync('sqlite3', [db, `UPDATE users SET phone = NULL WHERE id = ${userId}`]);
    // A TOTP secret stored in clear, or moved to another row, is a finding too.
    const sec = accountFor(db, 'secadmin');
    const sealedTotp = execFileSync('sqlite3', [db, `SELECT totp_secret FROM users WHERE id = ${sec.user_id}`]).toString().trim();
    assert.match(sealedTotp, /^v1:/);
    execFileSync('sqlite3', [db, `UPDATE users SET totp_secret = '${sec.totp_secret}' WHERE id = ${sec.user_id}`]);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`row ${sec.user_id} users\\.totp_secret is stored in clear`));
    execFileSync('sqlite3', [db, `UPDATE users SET totp_secret = (SELECT totp_secret FROM users u WHERE u.username = '${accountFor(db, 'auditor').username}') WHERE id = ${sec.user_id}`]);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`row ${sec.user_id} users\\.totp_secret does not decrypt`));
    execFileSync('sqlite3', [db, `UPDATE users SET totp_secret = '${sealedTotp}' WHERE id = ${sec.user_id}`]);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);

    renameSync(`${db}.data.key`, `${db}.data.key.bak`);
    r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /data key file .*\.data\.key is missing/);
    await assert.rejects(startServer({ db, env: testEnv }), /data key file .*\.data\.key is missing/);
    assert.equal(existsSync(`${db}.data.key`), false, 'no new key was made');
    renameSync(`${db}.data.key.bak`, `${db}.data.key`);
    server = await startServer({ db, env: testEnv });
    const leader = await loginAs(server, 'center_leader');
    const g = await leader.get(`/api/v1/users/${userId}?unmask=1&reason=${reason}`);
    assert.equal(g.body.id_number, ID);
  });
});
