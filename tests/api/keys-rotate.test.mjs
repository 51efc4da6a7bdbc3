// Data key rotation (docs/security.md "Key rotation"): `wangge keys rotate` re-seals every value
// of every registered column under a new data key. It refuses beside a running server; an
// interrupted run leaves the server refusing to start until a re-run finishes it; afterwards the
// unmasked ID numbers and phones, and the TOTP logins, read as before; `wangge check` is healthy;
// the replaced key is kept as DB.data.key.old until `wangge keys retire-old`, which refuses while
// a rotation is unfinished; a second rotation waits for that retirement. Every step is audited.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { accountFor, loginAs, makeDemoDb, testEnv } from '../lib/auth.mjs';
import { runCli, startServer } from '../lib/server.mjs';

// A valid resident ID number (GB 11643 check character) from its first 17 digits.
function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

function hasSqlite3() {
  try { execFileSync('sqlite3', ['-version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

const reason = encodeURIComponent('核查人员身份');
const people = [0, 1, 2, 3, 4].map((i) => ({
  username: `rotate.user${i}`,
  phone: `1390000${String(1000 + i)}`,
  id_number: residentId(`3715021988050${String(1000 + i)}`.slice(0, 17)),
}));

let db;
let server;
let original; // the data key before the rotation

const cli = (args) => runCli(args, { env: testEnv });
const keyFile = (suffix = '') => `${db}.data.key${suffix}`;

async function unmaskedAll(srv) {
  const leader = await loginAs(srv, 'center_leader');
  const out = [];
  for (const p of people) {
    const r = await leader.get(`/api/v1/users/${p.id}?unmask=1&reason=${reason}`);
    assert.equal(r.status, 200, r.text);
    out.push({ phone: r.body.phone, id_number: r.body.id_number });
  }
  return out;
}

before(async () => {
  db = await makeDemoDb();
  server = await startServer({ db, env: testEnv });
  const sys = await loginAs(server, 'sysadmin');
  const org = accountFor(db, 'grid_worker').org_id;
  for (const p of people) {
    const r = await sys.post('/api/v1/users', {
      username: p.username, display_name: '轮换测试', org_id: org, phone: p.phone, id_number: p.id_number,
    });
    assert.equal(r.status, 201, r.text);
    p.id = r.body.id;
  }
  original = readFileSync(keyFile());
});
after(async () => { if (server) await server.stop(); });

describe('wangge keys rotate', () => {
  test('refused while the server runs; nothing is touched', async () => {
    const r = await cli(['keys', 'rotate', '--db', db]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /in use by another process/);
    assert.match(r.stderr, /Stop `wangge serve`/);
    assert.equal(existsSync(keyFile('.new')), false);
    assert.deepEqual(readFileSync(keyFile()), original);
  });

  test('usage errors exit 2', async () => {
    for (const args of [['keys'], ['keys', 'spin'], ['keys', 'rotate', '--batch', '0'], ['keys', 'rotate', '--bogus'], ['keys', 'rotate', 'extra'], ['keys', 'retire-old', '--batch', '5']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `wangge ${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('interrupted: the server refuses to start, check and retire-old name it; a re-run finishes', async () => {
    await server.stop();
    server = null;
    // Stops after 5 rows, as a crash would (the batch in progress is rolled back).
    let r = await cli(['keys', 'rotate', '--db', db, '--batch', '2', '--stop-after', '5']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /starting data key rotation/);
    assert.match(r.stdout, /stopped after 5 rows/);
    const st = statSync(keyFile('.new'));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
    assert.deepEqual(readFileSync(keyFile()), original, 'the current key stays until the end');

    await assert.rejects(startServer({ db, env: testEnv }), /rotation is unfinished/);
    r = await cli(['check', '--db', db]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /rotation is unfinished/);
    assert.doesNotMatch(r.stdout, /does not decrypt/, 'every value opens with one key or the other');
    r = await cli(['keys', 'retire-old', '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unfinished/);

    r = await cli(['keys', 'rotate', '--db', db, '--batch', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /continuing data key rotation/);
    assert.match(r.stdout, /users\.phone +\d+\/\d+ rows/);
    assert.match(r.stdout, /users\.id_number +\d+\/\d+ rows/);
    assert.match(r.stdout, /users\.totp_secret +\d+\/\d+ rows/);
    assert.match(r.stdout, /data key rotated/);
    assert.equal(existsSync(keyFile('.new')), false);
    assert.deepEqual(readFileSync(keyFile('.old')), original, 'the replaced key is kept as .old');
    assert.equal(statSync(keyFile('.old')).mode & 0o777, 0o600);
    assert.notDeepEqual(readFileSync(keyFile()), original);
  });

  test('wangge check is healthy after the rotation', async () => {
    const r = await cli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /healthy/);
  });

  test('the server reads every unmasked ID number and phone, and TOTP logins work', async () => {
    server = await startServer({ db, env: testEnv });
    const got = await unmaskedAll(server);
    assert.deepEqual(got, people.map((p) => ({ phone: p.phone, id_number: p.id_number })));
    // The administrators' TOTP secrets were re-sealed too: loginAs computes their codes.
    for (const role of ['sysadmin', 'secadmin', 'auditor']) await loginAs(server, role);
    // Writes seal with the new key.
    const sys = await loginAs(server, 'sysadmin');
    const r = await sys.patch(`/api/v1/users/${people[0].id}`, { phone: '15500001111' });
    assert.equal(r.status, 200, r.text);
    people[0].phone = '15500001111';
  });

  test('every step is in the audit trail', async () => {
    const aud = await loginAs(server, 'auditor');
    const r = await aud.get('/api/v1/audit?action=keys.*&limit=100');
    assert.equal(r.status, 200, r.text);
    const items = r.body.items;
    const of = (obj) => items.filter((i) => i.action === 'keys.rotate' && i.object === obj);
    assert.equal(of('data.key').length, 3, 'started, continued, finished');
    for (const col of ['users.phone', 'users.id_number', 'users.totp_secret']) assert.equal(of(col).length, 1, col);
    for (const i of items) {
      assert.equal(i.source, 'cli');
      assert.equal(i.username, 'system');
      assert.equal(i.outcome, 'success');
    }
  });

  test('a second rotation waits until the old key is retired; retire-old removes it', async () => {
    await server.stop();
    server = null;
    let r = await cli(['keys', 'rotate', '--db', db]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /retire-old/);
    assert.equal(existsSync(keyFile('.new')), false);

    r = await cli(['keys', 'retire-old', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /retired/);
    assert.equal(existsSync(keyFile('.old')), false);
    r = await cli(['keys', 'retire-old', '--db', db]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no old data key/);
    r = await cli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);

    server = await startServer({ db, env: testEnv });
    const got = await unmaskedAll(server);
    assert.deepEqual(got, people.map((p) => ({ phone: p.phone, id_number: p.id_number })));
  });

  test('retire-old refuses while a value still needs the old key (a restored copy)', { skip: !hasSqlite3() && 'no sqlite3 command' }, async () => {
    await server.stop();
    server = null;
    // A second rotation, then one value put back as sealed under the replaced key.
    const before = execFileSync('sqlite3', [db, `SELECT phone FROM users WHERE id = ${people[1].id}`]).toString().trim();
    let r = await cli(['keys', 'rotate', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    execFileSync('sqlite3', [db, `UPDATE users SET phone = '${before}' WHERE id = ${people[1].id}`]);
    r = await cli(['check', '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /1 value\(s\) open only with the previous data key/);
    r = await cli(['keys', 'retire-old', '--db', db]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /1 value\(s\) still open only with the old key/);
    assert.ok(existsSync(keyFile('.old')));
    // rotate re-seals it under the current key (no new key), then retire-old goes through.
    r = await cli(['keys', 'rotate', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 value\(s\) re-sealed/);
    r = await cli(['keys', 'retire-old', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await cli(['check', '--db', db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    server = await startServer({ db, env: testEnv });
    const got = await unmaskedAll(server);
    assert.equal(got[1].phone, people[1].phone);
  });
});
