// Grid and region writes append their audit record inside their own transaction (issue 4, item 5:
// "every write" is in the tamper-evident trail). The county center's operator creates a
// community, then creates, splits and retires grids; the auditor finds exactly one record per
// write, with the right action, object, user, organisation and source address, and no second
// record from the HTTP layer's automatic path. A refused write is recorded too, by the domain
// kernel (dom_write), once, with its outcome.
// Finally the server is killed (SIGKILL) straight after a 201 to POST /api/v1/grids: after a
// restart the grid's audit record is there and `wangge check` reports the database healthy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { accountFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { runCli } from '../lib/server.mjs';

const COMMUNITY = '371502001071'; // created here, inside a demo street of 东昌府区, far from the demo grids

const rect = (x0, y0, x1, y1) => ({
  type: 'Polygon',
  coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
});

let server, op, auditor, account;

before(async () => {
  server = await startDemoServer();
  account = accountFor(server.db, 'center_operator');
  op = await loginAs(server, 'center_operator');
  auditor = await loginAs(server, 'auditor');
});

after(async () => { if (server) await server.stop(); });

// The audit records with this action (exact, or a prefix ending in '*'), newest first: every page.
async function records(action) {
  const items = [];
  let cursor = '';
  do {
    const r = await auditor.get(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=200&cursor=${cursor}`);
    assert.equal(r.status, 200, r.text);
    items.push(...r.body.items);
    cursor = r.body.next_cursor ?? '';
  } while (cursor);
  return items;
}

function assertMine(rec, action, object) {
  assert.equal(rec.action, action);
  assert.equal(rec.object, object);
  assert.equal(rec.outcome, 'success');
  assert.equal(rec.username, account.username);
  assert.equal(rec.user_id, account.user_id);
  assert.equal(rec.org_id, account.org_id);
  assert.equal(rec.source, '127.0.0.1');
  assert.ok(rec.request_id, 'the record carries the request id');
  assert.ok(rec.detail, 'the record has a detail');
}

// Exactly one record of action on object, and it is the caller's.
async function exactlyOne(action, object) {
  const found = (await records(action)).filter((x) => x.object === object);
  assert.equal(found.length, 1, `${action} ${object}: ${JSON.stringify(found)}`);
  assertMine(found[0], action, object);
  return found[0];
}

// No record of the automatic path (action "METHOD /pattern") for a successful write.
async function noAutomatic(prefix) {
  const auto = (await records(`${prefix}*`)).filter((x) => x.outcome === 'success');
  assert.deepEqual(auto, [], `automatic records of ${prefix}`);
}

test('region and grid writes are audited once, in their own transaction', async () => {
  let r = await op.post('/api/v1/regions', {
    code: COMMUNITY, name: '审计测试社区', boundary: rect(118.2, 36.2, 118.3, 36.3),
  });
  assert.equal(r.status, 201, r.text);
  await exactlyOne('region.create', `region:${COMMUNITY}`);

  r = await op.patch(`/api/v1/regions/${COMMUNITY}`, { name: '审计测试新社区' });
  assert.equal(r.status, 200, r.text);
  await exactlyOne('region.update', `region:${COMMUNITY}`);

  r = await op.post('/api/v1/grids', {
    community: COMMUNITY, name: '审计测试网格', boundary: rect(118.2, 36.2, 118.25, 36.25),
    households: 400, residents: 1000,
  });
  assert.equal(r.status, 201, r.text);
  const code = r.body.code;
  const created = await exactlyOne('grid.create', `grid:${code}`);
  assert.match(created.detail, /审计测试网格/);

  r = await op.patch(`/api/v1/grids/${code}`, { residents: 1100 });
  assert.equal(r.status, 200, r.text);
  const updated = await exactlyOne('grid.update', `grid:${code}`);
  assert.match(updated.detail, /人口数/);

  r = await op.post(`/api/v1/grids/${code}/split`, {
    parts: [
      { name: '审计测试西网格', boundary: rect(118.2, 36.2, 118.225, 36.25) },
      { name: '审计测试东网格', boundary: rect(118.225, 36.2, 118.25, 36.25) },
    ],
  });
  assert.equal(r.status, 201, r.text);
  const parts = r.body.created.map((g) => g.code);
  assert.equal(parts.length, 2);
  const split = await exactlyOne('grid.split', `grid:${code}`);
  for (const p of parts) assert.ok(split.detail.includes(p), `${split.detail} names ${p}`);

  r = await op.post(`/api/v1/grids/${parts[0]}/retire`, { reason: '审计测试撤销' });
  assert.equal(r.status, 200, r.text);
  const retired = await exactlyOne('grid.retire', `grid:${parts[0]}`);
  assert.match(retired.detail, /审计测试撤销/);

  await noAutomatic('POST /api/v1/grids');
  await noAutomatic('PATCH /api/v1/grids');
  await noAutomatic('POST /api/v1/regions');
  await noAutomatic('PATCH /api/v1/regions');

  // A refused write changes nothing and is still recorded, once, by the domain kernel.
  r = await op.post(`/api/v1/grids/${parts[0]}/retire`, { reason: '再次撤销' });
  assert.equal(r.status, 409, r.text);
  const retires = (await records('grid.retire')).filter((x) => x.object === `grid:${parts[0]}`);
  assert.deepEqual(retires.map((x) => x.outcome), ['failure', 'success']);
  assert.match(retires[0].detail, /409 retired/);
  assert.deepEqual(await records('POST /api/v1/grids/:code/retire'), []);
});

test('a write acknowledged just before a crash keeps its audit record', async () => {
  const r = await op.post('/api/v1/grids', {
    community: COMMUNITY, name: '崩溃测试网格', boundary: rect(118.26, 36.26, 118.28, 36.28),
  });
  assert.equal(r.status, 201, r.text);
  const code = r.body.code;
  // The harness unrefs the server process: a timer keeps this wait alive (and bounded).
  const keepAlive = setTimeout(() => {}, 10_000);
  const exited = new Promise((resolve) => server.proc.once('exit', (code, signal) => resolve(signal)));
  server.kill(); // SIGKILL straight after the answer
  assert.equal(await exited, 'SIGKILL');
  clearTimeout(keepAlive);

  const db = server.db;
  server = await startDemoServer({ db });
  auditor = await loginAs(server, 'auditor');
  op = await loginAs(server, 'center_operator');
  const g = await op.get(`/api/v1/grids/${code}`);
  assert.equal(g.status, 200, g.text);
  await exactlyOne('grid.create', `grid:${code}`);
  assert.equal(await server.stop(), 0);
  server = null;

  const check = await runCli(['check', '--db', db]);
  assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
});
