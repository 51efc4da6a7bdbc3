// GET /api/v1/audit comes a keyset page at a time, newest first, like every other list:
// {items, next_cursor}, no total, no offset. On a demo server with a varied trail (logins that
// succeed and fail, refused requests of several users), walking every page of a filtered search
// gives exactly the matching records of the database (read with the sqlite3 tool), each once, in
// descending id order; a cursor with other filters gives the matching records older than it; bad
// cursors and limits answer 400; the export of the same filters still works.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { accountFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';

let server, auditor, trail;

// Every record of the database, newest first: [{id, username, action, outcome, at}].
function dbTrail() {
  const out = execFileSync('sqlite3', ['-json', server.db,
    'SELECT id, username, action, outcome, at FROM audit_log ORDER BY id DESC'], { encoding: 'utf8' });
  return JSON.parse(out || '[]');
}

// The records of trail matching the filter, as the server is meant to read it.
function expected(f, below = Infinity) {
  return trail.filter((r) => r.id < below
    && (!f.user || r.username === f.user)
    && (!f.action || (f.action.endsWith('*') ? r.action.startsWith(f.action.slice(0, -1)) : r.action === f.action))
    && (!f.outcome || r.outcome === f.outcome)
    && (f.fromAt === undefined || r.at >= f.fromAt)
    && (f.toAt === undefined || r.at < f.toAt)).map((r) => r.id);
}

const rfc3339 = (at) => new Date(at * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function query(f, extra = {}) {
  const q = new URLSearchParams();
  for (const k of ['user', 'action', 'outcome']) if (f[k]) q.set(k, f[k]);
  if (f.fromAt !== undefined) q.set('from', rfc3339(f.fromAt));
  if (f.toAt !== undefined) q.set('to', rfc3339(f.toAt));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) q.set(k, String(v));
  return q.toString();
}

// Follows next_cursor from cursor (undefined: the first page) to the end; the ids seen, in order.
async function walk(f, limit, cursor) {
  const ids = [];
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 1000, 'the walk ends');
    const r = await auditor.get(`/api/v1/audit?${query(f, { limit, cursor })}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['items', 'next_cursor'], 'no total, no offset');
    assert.ok(r.body.items.length <= limit);
    ids.push(...r.body.items.map((x) => x.id));
    if (r.body.next_cursor === null) return ids;
    assert.equal(r.body.items.length, limit, 'a page with a next page is full');
    assert.equal(typeof r.body.next_cursor, 'string');
    cursor = r.body.next_cursor;
  }
}

function assertSame(ids, want, what) {
  assert.equal(new Set(ids).size, ids.length, `${what}: no record twice`);
  assert.deepEqual(ids, want, `${what}: every matching record, newest first`);
}

before(async () => {
  server = await startDemoServer();
  // A varied trail: logins of several users, a few failed ones, and refused requests.
  const clients = {};
  for (const role of ['center_operator', 'center_leader', 'dept_handler', 'grid_worker', 'sysadmin', 'auditor']) {
    clients[role] = await loginAs(server, role);
  }
  auditor = clients.auditor;
  for (const role of ['center_operator', 'grid_worker']) {
    const r = await login(server, accountFor(server.db, role).username, 'Wrong-password-99');
    assert.equal(r.status, 401);
  }
  // Whatever each role may not read is refused, and recorded.
  const paths = ['/api/v1/users', '/api/v1/roles', '/api/v1/tokens', '/api/v1/audit', '/api/v1/lockouts'];
  for (const role of ['center_operator', 'grid_worker', 'dept_handler', 'auditor']) {
    for (let round = 0; round < 3; round++) {
      for (const p of paths) await clients[role].get(p);
    }
  }
  trail = dbTrail();
  assert.ok(trail.length >= 60, `a trail to page through (${trail.length} records)`);
  assert.ok(new Set(trail.filter((r) => r.outcome === 'denied').map((r) => r.username)).size >= 3,
    'refusals of several users');
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('GET /api/v1/audit pages', () => {
  test('every page of a search, whole and filtered, equals the database', async () => {
    const op = accountFor(server.db, 'center_operator').username;
    const worker = accountFor(server.db, 'grid_worker').username;
    // A time in the middle of this test's own requests (the demo's records, written in one
    // second, come before them).
    const gets = trail.filter((r) => r.action.startsWith('GET '));
    const mid = gets[Math.floor(gets.length / 2)].at;
    const filters = [
      {},
      { user: worker },
      { user: op, outcome: 'denied' },
      { action: 'session.*' },
      { action: 'session.login', outcome: 'failure' },
      { action: 'GET /api/v1/roles', outcome: 'denied' },
      { outcome: 'denied' },
      { fromAt: mid },
      { toAt: mid + 1, action: 'GET *' },
      { user: 'nobody-at-all' },
    ];
    for (const f of filters) {
      const want = expected(f);
      if (f.user !== 'nobody-at-all') assert.ok(want.length > 0, `${JSON.stringify(f)} matches something`);
      for (const limit of [1, 7, 200]) {
        assertSame(await walk(f, limit), want, `${JSON.stringify(f)} limit ${limit}`);
      }
    }
    // The default page size is 20.
    const r = await auditor.get('/api/v1/audit');
    assert.equal(r.body.items.length, 20);
    assert.deepEqual(r.body.items.map((x) => x.id), trail.slice(0, 20).map((x) => x.id));
    // Times are RFC 3339 in Asia/Shanghai; the organisation's name comes along.
    assert.match(r.body.items[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    assert.ok('org_name' in r.body.items[0]);
  });

  test('a cursor with other filters gives the matching records older than it', async () => {
    const worker = accountFor(server.db, 'grid_worker').username;
    const first = await auditor.get('/api/v1/audit?limit=25');
    assert.equal(first.status, 200);
    const below = first.body.items.at(-1).id;
    for (const f of [{ user: worker }, { outcome: 'denied' }, { action: 'session.*' }]) {
      assertSame(await walk(f, 4, first.body.next_cursor), expected(f, below), `${JSON.stringify(f)} after id ${below}`);
    }
  });

  test('bad cursors and limits answer 400', async () => {
    const b64 = (s) => Buffer.from(s).toString('base64url');
    for (const cursor of ['!!!', b64('abc'), b64('0'), b64('-5'), b64('12x'), 'A'.repeat(400)]) {
      const r = await auditor.get(`/api/v1/audit?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 400, `cursor ${cursor}: ${r.text}`);
      assert.equal(r.body.error.code, 'bad_cursor');
      assert.match(r.body.error.message, /游标/);
    }
    for (const limit of ['0', '201', '-1', 'x', '1.5', '500']) {
      const r = await auditor.get(`/api/v1/audit?limit=${limit}&action=session.*`);
      assert.equal(r.status, 400, `limit ${limit}: ${r.text}`);
      assert.equal(r.body.error.code, 'bad_limit');
    }
    // The filters are still checked.
    const r = await auditor.get('/api/v1/audit?outcome=maybe');
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_outcome');
  });

  test('the export of a filtered search holds the same records, oldest first', async () => {
    const op = accountFor(server.db, 'center_operator').username;
    const f = { user: op, outcome: 'denied' };
    const r = await auditor.get(`/api/v1/audit/export?${query(f)}`);
    assert.equal(r.status, 200, r.text);
    const ids = r.text.split('\r\n').slice(1).filter(Boolean).map((line) => Number(line.match(/^"(\d+)"/)[1]));
    assert.deepEqual(ids, expected(f).reverse());
  });
});
