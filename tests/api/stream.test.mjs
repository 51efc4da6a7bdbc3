// Live updates (issue 11, part 2; docs/api-stream.md): GET /api/v1/stream as two users at two
// levels — the township center's operator and a department — plus a second department. A
// change made by another user reaches the streams whose scope includes it within a second and
// not the others; Last-Event-ID resumes; a cursor the ring moved past gets "reset"; no login is
// 401; a logout ends the stream at its next heartbeat; the caps answer 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { openStream } from '../lib/sse.mjs';

const RING = 16; // WANGGE_FEED_RING: small, so the reset test can outrun it
const BEAT_MS = 300; // WANGGE_STREAM_HEARTBEAT_MS
let server, worker, township, handler, handler2;
let grid;
const open = [];

async function stream(client, opts) {
  const s = await openStream(server, client, opts);
  open.push(s);
  return s;
}

async function report(title = '路灯不亮') {
  const r = await worker.post('/api/v1/matters', {
    item: 'CG-001', title, description: '夜间路灯不亮，行人看不清路。', grid: grid.code,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function act(client, m, action, fields = {}) {
  const r = await client.post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...fields });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const about = (id, kind) => (e) => e.event === 'matter' && e.data.matter === id && (!kind || e.data.kind === kind);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  server = await startDemoServer({
    args: ['--enable-internal', '--max-streams-per-user', '3'],
    env: { WANGGE_FEED_RING: String(RING), WANGGE_STREAM_HEARTBEAT_MS: String(BEAT_MS) },
  });
  await ensureCalendar(server);
  [worker, township, handler, handler2] = await Promise.all([
    loginAs(server, 'worker'), loginAs(server, 'township'), loginAs(server, 'handler'),
    loginAs(server, 'handler2'),
  ]);
  const mine = await worker.get('/api/v1/grids?limit=10');
  assert.equal(mine.status, 200, mine.text);
  [grid] = mine.body.items;
});

after(async () => {
  for (const s of open) s.close();
  if (server) assert.equal(await server.stop(), 0);
});

describe('stream', () => {
  test('no login: 401, and the stream is text/event-stream with a ready event', async () => {
    const anon = await openStream(server, null);
    assert.equal(anon.status, 401);
    assert.equal(JSON.parse(anon.text).error.code, 'unauthenticated');
    const s = await stream(township);
    assert.equal(s.status, 200);
    assert.match(s.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(s.headers.get('cache-control'), 'no-store');
    const ready = await s.next((e) => e.event === 'ready');
    assert.match(ready.id, /^\d+$/);
    s.close();
  });

  test('a change reaches the streams whose scope includes it within a second, and no other', async () => {
    const [t, h, h2] = [await stream(township), await stream(handler), await stream(handler2)];
    await Promise.all([t, h, h2].map((s) => s.next((e) => e.event === 'ready')));

    // The grid worker reports: the township holds it; neither department sees it.
    let start = Date.now();
    let m = await report();
    let ev = await t.next(about(m.id, 'new'), 1000);
    assert.ok(Date.now() - start < 1000);
    assert.equal(ev.data.state, 'reported');
    assert.equal(ev.data.version, 1);
    assert.equal(ev.data.alert, 'none');
    assert.match(ev.data.at, /\+08:00$/);
    assert.equal(ev.id, String(ev.data.seq));
    // Only ids, state, colour, version and time: nothing personal.
    assert.deepEqual(Object.keys(ev.data).sort(), ['alert', 'at', 'kind', 'matter', 'seq', 'state', 'version']);

    // Accepted and dispatched to the first department: now it sees the matter, the second not.
    m = await act(township, m, 'accept');
    await t.next(about(m.id, 'state'), 1000);
    start = Date.now();
    m = await act(township, m, 'dispatch', { departments: [{ org: handler.login.org.id }] });
    ev = await h.next(about(m.id), 1000);
    assert.ok(Date.now() - start < 1000);
    assert.equal(ev.data.kind, 'state');
    assert.equal(ev.data.state, 'in_progress');
    // The department signs: an update that keeps the state, seen by the township.
    m = await act(handler, m, 'sign');
    ev = await t.next(about(m.id, 'update'), 1000);
    assert.equal(ev.data.version, m.version);

    // Give anything misrouted time to arrive, then check the second department got nothing.
    await sleep(300);
    assert.equal(h2.events.filter((e) => e.event === 'matter' && e.data.matter === m.id).length, 0);
    assert.equal(h.events.filter(about(m.id, 'new')).length, 0, 'the department did not see the report');
    for (const s of [t, h, h2]) s.close();
  });

  test('Last-Event-ID resumes after that event; once=1 ends after the backlog', async () => {
    const t = await stream(township);
    const ready = await t.next((e) => e.event === 'ready');
    const a = await report('资源回收点满溢');
    const b = await report('井盖缺失');
    const evA = await t.next(about(a.id, 'new'), 1000);
    await t.next(about(b.id, 'new'), 1000);
    t.close();

    // From the ready event: both reports, in order, then the end.
    const r1 = await stream(township, { lastEventId: ready.id, query: 'once=1' });
    await r1.done;
    const seen = r1.events.filter((e) => e.event === 'matter').map((e) => e.data.matter);
    assert.ok(seen.indexOf(a.id) >= 0 && seen.indexOf(a.id) < seen.indexOf(b.id), JSON.stringify(seen));
    assert.equal(r1.events[0].event, 'ready');
    assert.equal(r1.events[0].id, undefined, 'a resumed stream keeps the client\'s id');
    // From a's event: b only, not a again.
    const r2 = await stream(township, { lastEventId: evA.id, query: 'once=1' });
    await r2.done;
    const seen2 = r2.events.filter((e) => e.event === 'matter').map((e) => e.data.matter);
    assert.ok(!seen2.includes(a.id) && seen2.includes(b.id), JSON.stringify(seen2));
    // A department resuming from the same point sees neither (not in its scope).
    const r3 = await stream(handler, { lastEventId: ready.id, query: 'once=1' });
    await r3.done;
    assert.ok(!r3.events.some((e) => e.event === 'matter' && [a.id, b.id].includes(e.data.matter)));
  });

  test('a cursor the ring moved past, or not of this run, gets reset', async () => {
    const t = await stream(township);
    const ready = await t.next((e) => e.event === 'ready');
    t.close();
    for (let i = 0; i <= RING; i++) await report(`批量事项${i}`);
    const r = await stream(township, { lastEventId: ready.id, query: 'once=1' });
    await r.done;
    const reset = r.events.find((e) => e.event === 'reset');
    assert.ok(reset, JSON.stringify(r.events.map((e) => e.raw)));
    assert.ok(BigInt(reset.id) > BigInt(ready.id) + BigInt(RING));
    for (const bad of ['1', 'abc', '99999999999999999999']) {
      const x = await stream(township, { lastEventId: bad, query: 'once=1' });
      await x.done;
      assert.ok(x.events.some((e) => e.event === 'reset'), `Last-Event-ID ${bad}`);
    }
    const q = await openStream(server, township, { query: 'once=yes' });
    assert.equal(q.status, 400);
  });

  test('heartbeats keep the stream; a logout ends it at the next one', async () => {
    const c = await loginAs(server, 'handler2');
    const s = await stream(c);
    await s.next((e) => e.event === 'ready');
    await sleep(BEAT_MS * 3);
    assert.ok(s.comments >= 1, 'heartbeat comments arrive');
    assert.equal(s.ended, false);
    const out = await c.del('/api/v1/session');
    assert.equal(out.status, 200, out.text);
    await Promise.race([s.done, sleep(BEAT_MS * 10)]);
    assert.equal(s.ended, true, 'the stream ended after the logout');
    const again = await openStream(server, c);
    assert.equal(again.status, 401);
  });

  test('per-user cap: 503 with a JSON error beyond it', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) {
      const s = await stream(handler2);
      assert.equal(s.status, 200);
      await s.next((e) => e.event === 'ready');
      mine.push(s);
    }
    const over = await openStream(server, handler2);
    assert.equal(over.status, 503);
    assert.equal(JSON.parse(over.text).error.code, 'too_many_streams_for_user');
    // Another user is not held back by it.
    const other = await stream(handler);
    assert.equal(other.status, 200);
    other.close();
    // Closed streams are let go (at the latest at their heartbeat).
    for (const s of mine) s.close();
    await sleep(BEAT_MS * 4);
    const back = await stream(handler2);
    assert.equal(back.status, 200);
    back.close();
  });
});
