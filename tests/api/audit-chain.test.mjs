// The audit chain against tampering the database alone cannot reveal, on the real binary with the
// sqlite3 tool: the whole trail deleted (records and anchors), and the tail cut with an older head
// anchor put back. Both must make `wangge check` exit non-zero and `wangge serve` refuse to start,
// thanks to the head record kept outside the database (DB.audit.head). `wangge audit-head --reset`
// accepts a deliberately restored database and records that it did. `wangge serve` refuses to make a
// new audit key over an existing chain, and says what to restore.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { login, makeDemoDb, testEnv } from '../lib/auth.mjs';
import { runCli, startServer } from '../lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

async function check(db) {
  return runCli(['check', '--db', db]);
}

// A demo database, then a few more audited actions through the server, so the chain has a tail.
async function auditedDb() {
  const db = await makeDemoDb();
  const early = {
    last: Number(sql(db, 'SELECT max(id) FROM audit_log')),
    anchor: sql(db, "SELECT value FROM audit_meta WHERE name = 'head'"),
  };
  const server = await startServer({ db, env: testEnv });
  try {
    for (let i = 0; i < 3; i++) await login(server, 'nobody', `Wrong-pass-${i}x`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const last = Number(sql(db, 'SELECT max(id) FROM audit_log'));
  assert.ok(last >= early.last + 3, `the logins were audited (${early.last} -> ${last})`);
  const r = await check(db);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { db, early, last };
}

test('the head record sits beside the key, mode 0600', async () => {
  const { db, last } = await auditedDb();
  const head = `${db}.audit.head`;
  assert.equal(statSync(head).mode & 0o777, 0o600);
  const text = readFileSync(head, 'utf8');
  assert.match(text, new RegExp(`^wangge-audit-head-v1 ${last} [0-9a-f]{64} [0-9a-f]{64}\\n$`));
  assert.ok(text.includes(sql(db, `SELECT hash FROM audit_log WHERE id = ${last}`)));
});

test('check and serve: the whole audit trail deleted (records and anchors)', async () => {
  const { db, last } = await auditedDb();
  sql(db, 'DELETE FROM audit_log; DELETE FROM audit_meta;');
  const r = await check(db);
  assert.notEqual(r.code, 0, `an emptied trail reported healthy:\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /healthy/);
  assert.match(r.stdout, /audit: the head anchor is missing/);
  assert.match(r.stdout, new RegExp(`audit: record\\(s\\) 1\\.\\.${last} missing at the end: the head record .*\\.audit\\.head is at record ${last}`));
  await assert.rejects(startServer({ db, env: testEnv }), /event=audit\.open_failed[\s\S]*audit-head --reset/);
});

test('check and serve: the tail cut and an older head anchor put back', async () => {
  const { db, early, last } = await auditedDb();
  sql(db, `DELETE FROM audit_log WHERE id > ${early.last}; UPDATE audit_meta SET value = '${early.anchor}' WHERE name = 'head';`);
  const r = await check(db);
  assert.notEqual(r.code, 0, `a cut tail reported healthy:\n${r.stdout}`);
  assert.match(r.stdout, new RegExp(`audit: record\\(s\\) ${early.last + 1}\\.\\.${last} missing at the end: the head record`));
  const err = await startServer({ db, env: testEnv }).then(() => null, (e) => e.message);
  assert.ok(err, 'serve refused to start');
  assert.match(err, /event=audit\.open_failed/);
  assert.match(err, new RegExp(`wangge serve: the audit trail in the database ends at record ${early.last} but the head record`));

  // An operator who restored an older copy on purpose accepts it; the acceptance is itself audited.
  const show = await runCli(['audit-head', '--db', db]);
  assert.equal(show.code, 1, show.stdout + show.stderr);
  assert.match(show.stdout, new RegExp(`head record: record ${last}`));
  const reset = await runCli(['audit-head', '--reset', '--db', db]);
  assert.equal(reset.code, 0, reset.stdout + reset.stderr);
  assert.equal(sql(db, `SELECT action FROM audit_log WHERE id = ${early.last + 1}`), 'audit.head_reset');
  const after = await check(db);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  const server = await startServer({ db, env: testEnv });
  assert.equal(await server.stop(), 0);
});

test('check and serve: the head record altered, or missing', async () => {
  const { db } = await auditedDb();
  const head = `${db}.audit.head`;
  const good = readFileSync(head, 'utf8');
  writeFileSync(head, good.replace(/^(\S+) (\d+)/, (m, tag, n) => `${tag} ${Number(n) + 5}`));
  let r = await check(db);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /audit: the head record .*\.audit\.head was altered/);
  await assert.rejects(startServer({ db, env: testEnv }), /head record .* was altered/);

  renameSync(head, `${head}.away`);
  r = await check(db);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /audit: the head record .*\.audit\.head is missing/);
  await assert.rejects(startServer({ db, env: testEnv }), /head record .* is missing/);
  renameSync(`${head}.away`, head);
  assert.equal(writeFileSync(head, good), undefined);
  assert.equal((await check(db)).code, 0);
});

test('serve refuses to make a new audit key over an existing chain', async () => {
  const { db } = await auditedDb();
  const key = `${db}.audit.key`;
  renameSync(key, `${key}.bak`);
  const r = await check(db);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /audit: the audit key file .*\.audit\.key is missing but the database holds an audit trail/);
  const err = await startServer({ db, env: testEnv }).then(() => null, (e) => e.message);
  assert.ok(err, 'serve refused to start');
  assert.match(err, /event=audit\.open_failed/);
  assert.match(err, /wangge serve: the audit key file .*\.audit\.key is missing but the database holds an audit trail of \d+ record\(s\): restore the key file from its backup/);
  assert.equal(existsSync(key), false, 'no new key was made');

  // Still refused with every record and anchor gone too: the head record shows a trail was kept.
  sql(db, 'DELETE FROM audit_log; DELETE FROM audit_meta;');
  await assert.rejects(startServer({ db, env: testEnv }), /audit key file .* is missing/);
  assert.equal(existsSync(key), false, 'no new key was made');
  renameSync(`${key}.bak`, key);
});
